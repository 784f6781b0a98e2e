"""Isolation and roles over real HTTP: every read and write is checked in one place, and these
tests walk every endpoint to prove it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from app.server.database import ServerDatabase
from app.server.models import ApiToken
from app.server.roles import OrgRole
from tests.server.conftest import Tenant, make_tenant
from tests.server.recordings import LOGO_URL, batch, checkout_visit


@dataclass
class World:
    """Two organizations, each with a recorded session, and the ids to aim at."""

    a: Tenant
    b: Tenant
    a_session: str
    b_session: str


@pytest.fixture
def world(db: ServerDatabase, client: httpx.Client) -> World:
    a, b = make_tenant(db, "Acme"), make_tenant(db, "Globex")
    sessions = []
    for tenant in (a, b):
        response = client.post("/api/v1/ingest", json=batch("v", checkout_visit()),
                               headers={"X-Project-Key": tenant.project_key})
        sessions.append(response.json()["sessions"][0])
    return World(a, b, *sessions)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def project_reads(project_id: int, session_id: str) -> list[tuple[str, str, dict]]:
    base = f"/api/v1/projects/{project_id}"
    return [("GET", base, {}), ("GET", f"{base}/privacy", {}), ("GET", f"{base}/sessions", {}),
            ("GET", f"{base}/sessions/{session_id}", {}),
            ("GET", f"{base}/sessions/{session_id}/chunks", {}),
            ("GET", f"{base}/sessions/{session_id}/chunks/0", {}),
            ("GET", f"{base}/sessions/{session_id}/events", {}),
            ("GET", f"{base}/sessions/{session_id}/assets", {}),
            ("GET", f"{base}/assets?url={LOGO_URL}", {})]


def project_writes(project_id: int, session_id: str) -> list[tuple[str, str, dict]]:
    base = f"/api/v1/projects/{project_id}"
    return [("PATCH", base, {"name": "Renamed"}),
            ("PUT", f"{base}/privacy", {"rules": []}),
            ("GET", f"{base}/members", {}),  # manager-only view of everyone's roles
            ("PUT", f"{base}/members/1", {"role": "viewer"}),
            ("DELETE", f"{base}/sessions/{session_id}", {}),
            ("DELETE", base, {})]


def org_calls(org_id: int) -> list[tuple[str, str, dict]]:
    base = f"/api/v1/organizations/{org_id}"
    return [("GET", base, {}), ("GET", f"{base}/projects", {}),
            ("POST", f"{base}/projects", {"name": "New", "kind": "web"}),
            ("PUT", f"{base}/plan", {"plan": "business"}),
            ("GET", f"{base}/members", {}),
            ("POST", f"{base}/members", {"email": "x@new.test", "role": "member"}),
            ("PATCH", f"{base}/members/1", {"role": "guest"}),
            ("POST", f"{base}/members/1/tokens", {"name": "t"}),
            ("DELETE", f"{base}/members/1", {})]


def call(client: httpx.Client, method: str, url: str, body: dict,
         headers: dict[str, str]) -> httpx.Response:
    return client.request(method, url, json=body if method != "GET" else None,
                          headers=headers)


def test_a_token_of_one_organization_reaches_nothing_of_another(client: httpx.Client,
                                                                world: World) -> None:
    calls = (project_reads(world.b.project_id, world.b_session)
             + project_writes(world.b.project_id, world.b_session)
             + org_calls(world.b.org_id)
             # Another organization's session, asked for under one's own project:
             + project_reads(world.a.project_id, world.b_session)[3:8])
    for method, url, body in calls:
        response = call(client, method, url, body, bearer(world.a.admin_token))
        assert response.status_code in (403, 404), (method, url, response.text)
    # ... and nothing of it shows up in one's own lists.
    listed = client.get("/api/v1/organizations", headers=bearer(world.a.admin_token)).json()
    assert [o["id"] for o in listed] == [world.a.org_id]
    own = client.get(f"/api/v1/projects/{world.a.project_id}/sessions",
                     headers=bearer(world.a.admin_token)).json()
    assert [s["id"] for s in own["sessions"]] == [world.a_session]
    # The other organization's data is untouched and still there for its own token.
    for method, url, _ in project_reads(world.b.project_id, world.b_session):
        assert call(client, method, url, {}, bearer(world.b.admin_token)).status_code == 200, url


def test_a_project_key_cannot_read_anything(client: httpx.Client, world: World) -> None:
    key = world.a.project_key
    calls = (project_reads(world.a.project_id, world.a_session) + org_calls(world.a.org_id)
             + [("GET", "/api/v1/organizations", {}), ("GET", "/api/v1/me", {}),
                ("GET", "/api/v1/tokens", {})])
    for method, url, body in calls:
        for headers in (bearer(key), {"X-Project-Key": key}):
            response = call(client, method, url, body, headers)
            assert response.status_code == 401, (method, url, response.text)
    assert client.get(f"/api/v1/projects/{world.a.project_id}/sessions",
                      params={"key": key}).status_code == 401


def test_no_credentials_means_401(client: httpx.Client, world: World) -> None:
    response = client.get(f"/api/v1/projects/{world.a.project_id}/sessions")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_guest_can_view_but_change_nothing(client: httpx.Client, world: World,
                                             db: ServerDatabase) -> None:
    _, token = world.a.member(db, "guest@acme.test", OrgRole.GUEST)
    for method, url, _ in project_reads(world.a.project_id, world.a_session):
        assert call(client, method, url, {}, bearer(token)).status_code == 200, url
    changes = (project_writes(world.a.project_id, world.a_session)
               + [c for c in org_calls(world.a.org_id) if c[0] != "GET"]
               + [("POST", "/api/v1/tokens", {"name": "mine"}),
                  ("DELETE", "/api/v1/tokens/1", {})])
    for method, url, body in changes:
        response = call(client, method, url, body, bearer(token))
        assert response.status_code == 403, (method, url, response.text)
    # Nothing changed: the session and the project are as they were.
    assert call(client, "GET", f"/api/v1/projects/{world.a.project_id}/sessions/"
                f"{world.a_session}", {}, bearer(world.a.admin_token)).status_code == 200


def test_a_member_with_no_access_to_a_project_cannot_see_it(client: httpx.Client,
                                                            world: World,
                                                            db: ServerDatabase) -> None:
    member_id, token = world.a.member(db, "member@acme.test", OrgRole.MEMBER)
    projects = f"/api/v1/organizations/{world.a.org_id}/projects"
    assert [p["id"] for p in client.get(projects, headers=bearer(token)).json()] == \
        [world.a.project_id]
    assert client.put(f"/api/v1/projects/{world.a.project_id}/members/{member_id}",
                      json={"role": "none"},
                      headers=bearer(world.a.admin_token)).status_code == 200
    assert client.get(projects, headers=bearer(token)).json() == []
    for method, url, body in (project_reads(world.a.project_id, world.a_session)
                              + project_writes(world.a.project_id, world.a_session)):
        response = call(client, method, url, body, bearer(token))
        assert response.status_code == 404, (method, url, response.text)


def test_project_roles_viewer_editor_manager(client: httpx.Client, world: World,
                                             db: ServerDatabase) -> None:
    member_id, token = world.a.member(db, "member@acme.test", OrgRole.MEMBER)
    role_url = f"/api/v1/projects/{world.a.project_id}/members/{member_id}"
    session_url = f"/api/v1/projects/{world.a.project_id}/sessions/{world.a_session}"
    admin = bearer(world.a.admin_token)

    client.put(role_url, json={"role": "viewer"}, headers=admin)
    assert client.get(session_url, headers=bearer(token)).status_code == 200
    assert client.delete(session_url, headers=bearer(token)).status_code == 403
    project = client.get(f"/api/v1/projects/{world.a.project_id}", headers=bearer(token)).json()
    assert (project["role"], project["key"]) == ("viewer", None)  # the key is for managers

    client.put(role_url, json={"role": "editor"}, headers=admin)
    assert client.put(f"/api/v1/projects/{world.a.project_id}/privacy", json={"rules": []},
                      headers=bearer(token)).status_code == 403
    assert client.delete(session_url, headers=bearer(token)).status_code == 204
    assert client.get(session_url, headers=bearer(token)).status_code == 404
    tombstones = client.get(f"/api/v1/projects/{world.a.project_id}/sessions",
                            params={"include_deleted": "true"}, headers=admin).json()
    assert [(s["id"], s["deleted"]) for s in tombstones["sessions"]] == [(world.a_session, True)]

    client.put(role_url, json={"role": "manager"}, headers=admin)
    assert client.patch(f"/api/v1/projects/{world.a.project_id}", json={"name": "Shop"},
                        headers=bearer(token)).json()["key"] == world.a.project_key
    guest_id, _ = world.a.member(db, "guest@acme.test", OrgRole.GUEST)
    too_much = client.put(f"/api/v1/projects/{world.a.project_id}/members/{guest_id}",
                          json={"role": "editor"}, headers=bearer(token))
    assert too_much.status_code == 422 and "at most viewer" in too_much.json()["detail"]
    assert client.delete(f"/api/v1/projects/{world.a.project_id}",
                         headers=bearer(token)).status_code == 204
    gone = client.post("/api/v1/ingest", json=batch("v", checkout_visit()),
                       headers={"X-Project-Key": world.a.project_key})
    assert gone.status_code == 401


def test_an_accountant_sees_billing_not_recordings(client: httpx.Client, world: World,
                                                   db: ServerDatabase) -> None:
    _, token = world.a.member(db, "books@acme.test", OrgRole.ACCOUNTANT)
    assert client.get(f"/api/v1/organizations/{world.a.org_id}/projects",
                      headers=bearer(token)).json() == []
    assert client.get(f"/api/v1/projects/{world.a.project_id}/sessions",
                      headers=bearer(token)).status_code == 404
    plan = client.put(f"/api/v1/organizations/{world.a.org_id}/plan", json={"plan": "free"},
                      headers=bearer(token))
    assert (plan.status_code, plan.json()["max_projects"]) == (200, 3)


def test_the_plan_caps_the_number_of_projects(client: httpx.Client, db: ServerDatabase) -> None:
    tenant = make_tenant(db, "Small", plan="free")
    url = f"/api/v1/organizations/{tenant.org_id}/projects"
    codes = [client.post(url, json={"name": f"P{i}"}, headers=bearer(tenant.admin_token))
             .status_code for i in range(2)]
    assert codes == [201, 201]
    refused = client.post(url, json={"name": "P3"}, headers=bearer(tenant.admin_token))
    assert refused.status_code == 403
    assert refused.json() == {"code": "plan_limit", "detail": "the free plan of Small allows 3 "
                              "projects and all are in use; delete a project or change the "
                              "plan"}


def test_invited_members_and_tokens(client: httpx.Client, world: World,
                                    db: ServerDatabase) -> None:
    admin = bearer(world.a.admin_token)
    invited = client.post(f"/api/v1/organizations/{world.a.org_id}/members",
                          json={"email": "New@Acme.test", "role": "member"}, headers=admin)
    assert invited.status_code == 201
    token = invited.json()["token"]
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert (me["account"]["email"], me["organization"]["role"]) == ("new@acme.test", "member")
    # Only digests are stored.
    with db.read() as session:
        digests = set(session.scalars(select(ApiToken.token_sha256)))
    assert token not in digests and world.a.admin_token not in digests
    extra = client.post("/api/v1/tokens", json={"name": "laptop"}, headers=bearer(token)).json()
    assert client.get("/api/v1/me", headers=bearer(extra["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{extra['info']['id']}",
                         headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(extra["token"])).status_code == 401
    again = client.post(f"/api/v1/organizations/{world.a.org_id}/members",
                        json={"email": "new@acme.test"}, headers=admin)
    assert again.status_code == 409
    # The one who creates an organization also joins others.
    joined = client.post(f"/api/v1/organizations/{world.b.org_id}/members",
                         json={"email": "admin@acme.test", "role": "guest"},
                         headers=bearer(world.b.admin_token))
    assert joined.status_code == 201
    admin_id = client.get("/api/v1/me", headers=admin).json()["member_id"]
    last_admin = client.patch(f"/api/v1/organizations/{world.a.org_id}/members/{admin_id}",
                              json={"role": "member"}, headers=admin)
    assert last_admin.status_code == 409
