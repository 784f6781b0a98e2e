"""Privacy at ingest: what the policy masks never reaches the database, in any form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import zstandard
from sqlalchemy import select

from app.core.recording.chunks import decode_chunk
from app.server.database import ServerDatabase
from app.server.models import RecordingChunk, RecordingSession
from tests.server.conftest import Tenant, make_tenant
from tests.server.recordings import (
    AD_TEXT,
    ADS_ID,
    ALL_SECRETS,
    CARD_ID,
    EMAIL_ID,
    IDENTIFIED_EMAIL,
    PASSWORD_ID,
    PUBLIC_TEXT,
    SECRET_CARD,
    SECRET_EMAIL,
    SECRET_PASSWORD,
    T0,
    TYPED_CARD,
    TYPED_PASSWORD,
    batch,
    checkout_visit,
)


@pytest.fixture
def tenant(db: ServerDatabase) -> Tenant:
    return make_tenant(db, "Acme")


def ingest(client: httpx.Client, tenant: Tenant, events: list[dict]) -> str:
    response = client.post("/api/v1/ingest", json=batch("v", events),
                           headers={"X-Project-Key": tenant.project_key})
    assert response.status_code == 200, response.text
    return response.json()["sessions"][0]


def recorded(client: httpx.Client, tenant: Tenant, session_id: str) -> list[dict]:
    headers = {"Authorization": f"Bearer {tenant.admin_token}"}
    base = f"/api/v1/projects/{tenant.project_id}/sessions/{session_id}"
    events = []
    for chunk in client.get(f"{base}/chunks", headers=headers).json():
        events += decode_chunk(client.get(f"{base}/chunks/{chunk['seq']}",
                                          headers=headers).content)[0]
    return events


def nodes_by_id(events: list[dict]) -> dict[int, dict]:
    found: dict[int, dict] = {}
    stack = [e["data"]["node"] for e in events if e["type"] == 2]
    while stack:
        node = stack.pop()
        found[node["id"]] = node
        stack.extend(node.get("childNodes", []))
    return found


def inputs(events: list[dict]) -> dict[int, str]:
    return {e["data"]["id"]: e["data"]["text"] for e in events
            if e["type"] == 3 and e["data"].get("source") == 5}


def everything_stored(db: ServerDatabase, database_file: Path) -> bytes:
    """The database files' bytes plus every compressed column, decompressed."""
    parts = [path.read_bytes() for path in database_file.parent.glob(database_file.name + "*")]
    unzip = zstandard.ZstdDecompressor()
    with db.read() as session:
        parts += [unzip.decompress(data) for data in session.scalars(select(RecordingChunk.data))]
        parts += [unzip.decompress(state) for state in session.scalars(
            select(RecordingSession.masker_state)) if state]
    return b"\n".join(parts)


def test_typed_and_displayed_personal_data_is_never_stored_in_plaintext(
        client: httpx.Client, tenant: Tenant, db: ServerDatabase, tmp_path: Path) -> None:
    session_id = ingest(client, tenant, checkout_visit())
    stored = everything_stored(db, tmp_path / "server.sqlite3")
    for secret in ALL_SECRETS:
        assert secret.encode() not in stored, secret
    assert b"127.0.0.1" not in stored  # the client's IP address is never kept
    # The search does find what is kept on purpose: the identity a site shares.
    assert IDENTIFIED_EMAIL.encode() in stored

    events = recorded(client, tenant, session_id)
    nodes = nodes_by_id(events)
    assert nodes[EMAIL_ID]["attributes"]["value"] == "*" * len(SECRET_EMAIL)
    assert nodes[PASSWORD_ID]["attributes"]["value"] == "*" * len(SECRET_PASSWORD)
    assert nodes[CARD_ID]["attributes"]["value"] == "**** **** **** ****"
    assert inputs(events)[CARD_ID] == "**** **** **** ****"
    assert nodes[12]["textContent"] == "Signed in as " + "*" * len(SECRET_EMAIL)


def put_rules(client: httpx.Client, tenant: Tenant, rules: list[dict[str, str]],
              **flags: bool) -> httpx.Response:
    return client.put(f"/api/v1/projects/{tenant.project_id}/privacy",
                      json={"rules": rules, **flags},
                      headers={"Authorization": f"Bearer {tenant.admin_token}"})


def test_selector_rules_mask_unmask_and_exclude_in_order(client: httpx.Client,
                                                         tenant: Tenant) -> None:
    rules = [{"action": "exclude", "selector": "#ads"},
             {"action": "mask", "selector": "p"},
             {"action": "mask", "selector": ".public"},
             {"action": "unmask", "selector": "div.public"},  # later: wins over the Mask
             {"action": "unmask", "selector": "input[type=password], .card"}]
    assert put_rules(client, tenant, rules).status_code == 200
    events = recorded(client, tenant, ingest(client, tenant, checkout_visit()))
    nodes = nodes_by_id(events)

    # Exclude: an empty placeholder of the same size, nothing of its content or attributes.
    ads = nodes[ADS_ID]
    assert ads["childNodes"] == []
    assert ads["attributes"] == {"style": "width: 300px; height: 250px", "rr_width": "300px",
                                 "rr_height": "250px", "data-tv-blocked": ""}
    assert AD_TEXT not in orjson.dumps(events).decode()
    assert inputs(events)[ADS_ID] == ""
    assert all(not e["data"].get("texts") for e in events
               if e["type"] == 3 and e["data"].get("source") == 0)

    assert nodes[12]["textContent"] == "****** ** ** " + "*" * len(SECRET_EMAIL)
    assert nodes[41]["textContent"] == PUBLIC_TEXT  # digits shown: unmasked
    # Unmask shows the card field; nothing unmasks a password.
    assert nodes[CARD_ID]["attributes"]["value"] == SECRET_CARD
    assert inputs(events)[CARD_ID] == TYPED_CARD
    assert nodes[PASSWORD_ID]["attributes"]["value"] == "*" * len(SECRET_PASSWORD)
    assert inputs(events)[PASSWORD_ID] == "*" * len(TYPED_PASSWORD)


def test_rules_survive_between_batches(client: httpx.Client, tenant: Tenant) -> None:
    """The masker's memory of excluded nodes carries over to the session's next batch."""
    put_rules(client, tenant, [{"action": "exclude", "selector": "#ads"}])
    visit = checkout_visit()
    first = ingest(client, tenant, visit[:2])
    second = ingest(client, tenant, visit[2:])
    assert first == second
    events = recorded(client, tenant, first)
    assert AD_TEXT not in orjson.dumps(events).decode()
    assert inputs(events)[ADS_ID] == ""


@pytest.mark.parametrize(("rules", "message"), [
    ([{"action": "mask", "selector": f".c{i}"} for i in range(21)], "20"),
    ([{"action": "mask", "selector": "a:hover"}], "pseudo-classes"),
    ([{"action": "hide", "selector": "a"}], "action"),
    ([{"action": "mask", "selector": "a + b"}], "sibling"),
])
def test_bad_rules_are_refused_and_the_policy_kept(client: httpx.Client, tenant: Tenant,
                                                  rules: list[Any], message: str) -> None:
    response = put_rules(client, tenant, rules)
    assert response.status_code == 422
    assert message in response.text
    policy = client.get(f"/api/v1/projects/{tenant.project_id}/privacy",
                        headers={"Authorization": f"Bearer {tenant.admin_token}"}).json()
    assert policy == {"mask_forms": True, "mask_numbers": True, "mask_emails": True,
                      "rules": []}


def test_relaxed_policy_shows_numbers_and_emails_but_never_passwords(
        client: httpx.Client, tenant: Tenant) -> None:
    put_rules(client, tenant, [], mask_forms=False, mask_numbers=False, mask_emails=False)
    events = recorded(client, tenant, ingest(client, tenant, checkout_visit(T0)))
    nodes = nodes_by_id(events)
    assert nodes[12]["textContent"] == f"Signed in as {SECRET_EMAIL}"
    assert nodes[PASSWORD_ID]["attributes"]["value"] == "*" * len(SECRET_PASSWORD)
    assert inputs(events)[PASSWORD_ID] == "*" * len(TYPED_PASSWORD)
