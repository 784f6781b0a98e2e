"""The server on a real PostgreSQL server: schema, bootstrap, ingest, splitting, reading, and
concurrent batches of one visitor (the row locks that keep chunks and cursors in order)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.cli import main
from app.core.recording.chunks import decode_chunk
from app.server.database import VERSION_TABLE, ServerDatabase
from app.server.models import Base
from tests.server.conftest import make_tenant, running_server
from tests.server.recordings import (
    ALL_SECRETS,
    BUTTON_ID,
    MINUTE,
    T0,
    batch,
    checkout_visit,
    click,
)

pytestmark = pytest.mark.postgres


def test_core_server_flow_on_postgres(postgres_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "init", "--db", postgres_url, "--org", "Acme", "--admin",
                 "boss@acme.test"]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["server", "project", "create", "--db", postgres_url, "--org", "Acme",
                 "--name", "Shop"]) == 0
    key = capsys.readouterr().out.strip()

    db = ServerDatabase(postgres_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection,
                                                 opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, Base.metadata) == []
        with running_server(db) as base, httpx.Client(base_url=base, timeout=30) as client:
            auth = {"Authorization": f"Bearer {token}"}
            ingest = {"X-Project-Key": key}
            first = client.post("/api/v1/ingest", json=batch("v", checkout_visit()),
                                headers=ingest)
            assert first.status_code == 200, first.text
            later = client.post("/api/v1/ingest", json=batch("v", [
                click(T0 + 20 * MINUTE, BUTTON_ID)]), headers=ingest)
            assert later.json()["sessions"] != first.json()["sessions"]

            org_id = client.get("/api/v1/me", headers=auth).json()["organization"]["id"]
            [project] = client.get(f"/api/v1/organizations/{org_id}/projects",
                                   headers=auth).json()
            page = client.get(f"/api/v1/projects/{project['id']}/sessions", headers=auth).json()
            assert [s["change_seq"] for s in page["sessions"]] == [1, 2]
            session = page["sessions"][0]
            assert session["visitor"]["uid"] == "user-42"
            base_url = f"/api/v1/projects/{project['id']}/sessions/{session['id']}"
            events = []
            for chunk in client.get(f"{base_url}/chunks", headers=auth).json():
                events += decode_chunk(client.get(f"{base_url}/chunks/{chunk['seq']}",
                                                  headers=auth).content)[0]
            dumped = str(events)
            assert len(events) == 12 and not any(s in dumped for s in ALL_SECRETS)
            kinds = {e["kind"] for e in client.get(f"{base_url}/events", headers=auth).json()}
            assert {"pageview", "click", "error", "identify", "custom"} <= kinds
            assert len(client.get(f"{base_url}/assets", headers=auth).json()) == 1
            refused = client.post("/api/v1/ingest", json=batch("v", [{"type": 3}]),
                                  headers=ingest)
            assert refused.status_code == 422
    finally:
        db.close()


def test_concurrent_batches_of_one_visitor_are_stored_in_turn(postgres_url: str) -> None:
    db = ServerDatabase(postgres_url)
    try:
        tenant = make_tenant(db, "Busy")
        with running_server(db) as base, httpx.Client(base_url=base, timeout=60) as client:
            client.post("/api/v1/ingest", json=batch("v", checkout_visit()),
                        headers={"X-Project-Key": tenant.project_key})

            def send(index: int) -> int:
                body = batch("v", [click(T0 + 10_000 + index, BUTTON_ID)])
                return client.post("/api/v1/ingest", json=body, headers={
                    "X-Project-Key": tenant.project_key}).status_code

            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(send, range(24))) == {200}
            auth = {"Authorization": f"Bearer {tenant.admin_token}"}
            [session] = client.get(f"/api/v1/projects/{tenant.project_id}/sessions",
                                   headers=auth).json()["sessions"]
            chunks = client.get(f"/api/v1/projects/{tenant.project_id}/sessions/"
                                f"{session['id']}/chunks", headers=auth).json()
            assert [c["seq"] for c in chunks] == list(range(len(chunks)))
            assert session["click_count"] == 25 and session["change_seq"] == 25
    finally:
        db.close()


def test_a_retry_racing_its_first_attempt_is_stored_once(postgres_url: str) -> None:
    db = ServerDatabase(postgres_url)
    try:
        tenant = make_tenant(db, "Retry")
        body = batch("v", checkout_visit(), session_id="tab")
        with running_server(db) as base, httpx.Client(base_url=base, timeout=60) as client:
            client.post("/api/v1/ingest", json=batch("v", checkout_visit(T0 - MINUTE),
                                                     session_id="tab"),
                        headers={"X-Project-Key": tenant.project_key})

            def send(_: int) -> httpx.Response:
                return client.post("/api/v1/ingest", json=body, headers={
                    "X-Project-Key": tenant.project_key})

            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(send, range(16)))
            assert {a.status_code for a in answers} == {200}
            assert [a.json()["duplicate"] for a in answers].count(False) == 1
            auth = {"Authorization": f"Bearer {tenant.admin_token}"}
            [session] = client.get(f"/api/v1/projects/{tenant.project_id}/sessions",
                                   headers=auth).json()["sessions"]
            assert session["event_count"] == 24
    finally:
        db.close()
