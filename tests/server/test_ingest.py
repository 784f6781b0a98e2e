"""Ingest over real HTTP: sessions, metadata, chunks, events, limits, encodings, CORS."""

from __future__ import annotations

import gzip
import logging
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from app.core.recording.chunks import decode_chunk
from app.server.database import ServerDatabase
from app.server.models import IngestBatch, Project, RecordingChunk, RecordingSession, Visitor
from app.server.settings import ServerSettings
from tests.server.conftest import ServerFactory, Tenant, make_tenant
from tests.server.recordings import (
    BUTTON_ID,
    IDENTIFIED_EMAIL,
    LOGO_BYTES,
    LOGO_URL,
    MINUTE,
    T0,
    URL,
    batch,
    checkout_page,
    checkout_visit,
    click,
    move,
)

CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/120.0 Mobile Safari/537.36")


@pytest.fixture
def tenant(db: ServerDatabase) -> Tenant:
    return make_tenant(db, "Acme")


def post(client: httpx.Client, tenant: Tenant, body: dict | bytes,
         **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post("/api/v1/ingest", content=content, headers={
        "X-Project-Key": tenant.project_key, "Content-Type": "application/json", **headers})


def auth(tenant: Tenant) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.admin_token}"}


def sessions(client: httpx.Client, tenant: Tenant, **params: object) -> dict:
    response = client.get(f"/api/v1/projects/{tenant.project_id}/sessions", params=params,
                          headers=auth(tenant))
    assert response.status_code == 200, response.text
    return response.json()


def chunk_events(client: httpx.Client, tenant: Tenant, session_id: str) -> list[dict]:
    base = f"/api/v1/projects/{tenant.project_id}/sessions/{session_id}"
    events = []
    for chunk in client.get(f"{base}/chunks", headers=auth(tenant)).json():
        events.extend(decode_chunk(client.get(f"{base}/chunks/{chunk['seq']}",
                                              headers=auth(tenant)).content)[0])
    return events


def test_a_batch_becomes_a_session_with_metadata_chunks_events_and_assets(
        client: httpx.Client, tenant: Tenant) -> None:
    response = post(client, tenant, batch("visitor-1", checkout_visit(),
                                          referrer="https://search.test/?q=shoes"),
                    **{"User-Agent": CHROME_ANDROID, "CF-IPCountry": "de"})
    assert response.status_code == 200, response.text
    assert response.json()["events"] == 12 and not response.json()["duplicate"]
    [session] = sessions(client, tenant)["sessions"]
    assert session["id"] == response.json()["sessions"][0]
    assert (session["start_ms"], session["duration_ms"]) == (T0, 5500)
    assert session["visitor"] == {"anonymous_id": "visitor-1", "uid": "user-42",
                                  "name": "Jane Doe", "email": IDENTIFIED_EMAIL,
                                  "properties": {"plan": "gold"}}
    assert (session["browser"], session["os"], session["country"]) == \
        ("Chrome 120", "Android 14", "DE")
    # The recording's viewport says desktop, and it wins over the User-Agent's guess.
    assert (session["device_type"], session["viewport_width"]) == ("desktop", 1280)
    assert (session["landing_page"], session["exit_page"], session["pages"]) == (URL, URL, [URL])
    assert session["referrer"] == "https://search.test/?q=shoes"
    assert (session["click_count"], session["input_count"], session["error_count"],
            session["custom_count"]) == (1, 4, 1, 2)
    assert session["active_ms"] > 0

    base = f"/api/v1/projects/{tenant.project_id}/sessions/{session['id']}"
    detail = client.get(base, headers=auth(tenant)).json()
    for chunk in detail["chunks"]:
        data = client.get(f"{base}/chunks/{chunk['seq']}", headers=auth(tenant))
        assert data.headers["content-type"] == "application/zstd"
        assert data.headers["x-chunk-sha256"] == chunk["sha256"]
        assert len(data.content) == chunk["size"]
    assert len(chunk_events(client, tenant, session["id"])) == 12

    kinds = [e["kind"] for e in client.get(f"{base}/events", headers=auth(tenant)).json()]
    assert kinds == ["pageview", "input", "input", "input", "input", "click", "error",
                     "identify", "custom"]
    [asset] = client.get(f"{base}/assets", headers=auth(tenant)).json()
    assert (asset["url"], asset["mime"]) == (LOGO_URL, "image/png")
    data = client.get(f"/api/v1/projects/{tenant.project_id}/assets", params={"url": LOGO_URL},
                      headers=auth(tenant))
    assert (data.status_code, data.content) == (200, LOGO_BYTES)


def test_fifteen_idle_minutes_end_a_session_and_the_next_replays_from_its_start(
        client: httpx.Client, tenant: Tenant) -> None:
    first = post(client, tenant, batch("v", [*checkout_page(T0), click(T0 + 1000, BUTTON_ID)]))
    second = post(client, tenant, batch("v", [move(T0 + 1000 + 14 * MINUTE)]))
    third = post(client, tenant, batch("v", [click(T0 + 1000 + 30 * MINUTE, BUTTON_ID)]))
    assert first.json()["sessions"] == second.json()["sessions"]
    assert third.json()["sessions"] != first.json()["sessions"]
    listed = sessions(client, tenant)["sessions"]
    assert len(listed) == 2
    assert listed[0]["duration_ms"] == 1000 + 14 * MINUTE
    # The new session was cut out of a tab that stayed open: it starts with the page as the
    # last one left it, so it replays from its first moment.
    events = chunk_events(client, tenant, listed[1]["id"])
    assert [e["type"] for e in events] == [4, 2, 3]
    assert events[0]["data"]["href"] == URL
    assert listed[1]["landing_page"] == URL


def test_sixty_minutes_end_a_session_even_when_active(client: httpx.Client,
                                                      tenant: Tenant) -> None:
    events = checkout_page(T0) + [move(T0 + minute * MINUTE) for minute in range(5, 75, 5)]
    response = post(client, tenant, batch("v", events))
    assert len(response.json()["sessions"]) == 2  # one batch, cut in two
    first, second = sessions(client, tenant)["sessions"]
    assert first["duration_ms"] == 55 * MINUTE
    assert second["start_ms"] == T0 + 60 * MINUTE
    assert [e["type"] for e in chunk_events(client, tenant, second["id"])][:2] == [4, 2]


def test_the_trackers_session_id_keeps_tabs_apart(client: httpx.Client, tenant: Tenant) -> None:
    one = post(client, tenant, batch("v", checkout_page(T0), session_id="tab-1"))
    two = post(client, tenant, batch("v", checkout_page(T0 + 100), session_id="tab-2"))
    again = post(client, tenant, batch("v", [click(T0 + 2000, BUTTON_ID)], session_id="tab-1"))
    assert one.json()["sessions"] == again.json()["sessions"] != two.json()["sessions"]


def test_the_cursor_returns_exactly_the_sessions_changed_since(client: httpx.Client,
                                                               tenant: Tenant) -> None:
    post(client, tenant, batch("a", checkout_page(T0)))
    post(client, tenant, batch("b", checkout_page(T0)))
    page = sessions(client, tenant, limit=1)
    assert page["has_more"] and len(page["sessions"]) == 1
    rest = sessions(client, tenant, after=page["next_cursor"])
    assert not rest["has_more"] and len(rest["sessions"]) == 1
    cursor = rest["next_cursor"]
    assert sessions(client, tenant, after=cursor) == {"sessions": [], "next_cursor": cursor,
                                                      "has_more": False}
    live = page["sessions"][0]
    before = client.get(f"/api/v1/projects/{tenant.project_id}/sessions/{live['id']}",
                        headers=auth(tenant)).json()["chunks"]
    post(client, tenant, batch(live["visitor"]["anonymous_id"], [click(T0 + 5000, BUTTON_ID)]))
    changed = sessions(client, tenant, after=cursor)["sessions"]
    assert [s["id"] for s in changed] == [live["id"]]
    assert changed[0]["change_seq"] > int(cursor)
    after = client.get(f"/api/v1/projects/{tenant.project_id}/sessions/{live['id']}",
                       headers=auth(tenant)).json()["chunks"]
    assert after[:len(before)] == before and len(after) == len(before) + 1  # appended only
    bad = client.get(f"/api/v1/projects/{tenant.project_id}/sessions", params={"after": "x"},
                     headers=auth(tenant))
    assert bad.status_code == 422


def test_filters(client: httpx.Client, tenant: Tenant) -> None:
    post(client, tenant, batch("a", checkout_visit(T0)), **{"User-Agent": CHROME_ANDROID})
    post(client, tenant, batch("b", checkout_page(T0 + MINUTE, "https://shop.test/cart")))
    assert len(sessions(client, tenant, url="/CART")["sessions"]) == 1
    assert len(sessions(client, tenant, has_errors=True)["sessions"]) == 1
    assert len(sessions(client, tenant, browser="chrome")["sessions"]) == 1
    assert len(sessions(client, tenant, visitor="user-42")["sessions"]) == 1
    assert len(sessions(client, tenant, from_ms=T0 + 1)["sessions"]) == 1
    assert len(sessions(client, tenant, min_duration_ms=1000)["sessions"]) == 1


def test_a_retried_batch_is_stored_once(client: httpx.Client, tenant: Tenant,
                                        db: ServerDatabase) -> None:
    body = batch("v", checkout_visit())
    assert not post(client, tenant, body).json()["duplicate"]
    assert post(client, tenant, body).json()["duplicate"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(RecordingChunk)) == 2


def test_a_malformed_batch_is_refused_and_changes_nothing(client: httpx.Client,
                                                          tenant: Tenant,
                                                          db: ServerDatabase) -> None:
    post(client, tenant, batch("v", checkout_page(T0)))
    post(client, tenant, batch("other", checkout_page(T0)))

    def state() -> tuple:
        with db.read() as session:
            return (session.scalar(select(Project.change_seq)),
                    sorted(session.execute(select(RecordingSession.id,
                                                  RecordingSession.change_seq,
                                                  RecordingSession.event_count)).all()),
                    session.scalar(select(func.count()).select_from(RecordingChunk)))

    before = state()
    good = click(T0 + 10, BUTTON_ID)
    refused = [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (orjson.dumps({"events": [good]}), 422, "visitor_id"),
        (orjson.dumps(batch("v", [])), 422, "non-empty"),
        (orjson.dumps(batch("v", "events")), 422, "events"),
        (orjson.dumps(batch("v", [good, {"type": 3, "data": {}}])), 422, "events[1]"),
        (orjson.dumps(batch("v", [good, {"type": "3", "timestamp": T0}])), 422, "events[1]"),
        (orjson.dumps(batch("v", [{"type": 3, "timestamp": T0 // 1000, "data": {}}])), 422,
         "milliseconds"),
        (orjson.dumps(batch("v", [good, {"type": 2, "timestamp": T0}])), 422, "'data'"),
        (orjson.dumps(batch("v", [good, 7])), 422, "events.1"),
    ]
    for body, status, message in refused:
        response = post(client, tenant, body)
        assert response.status_code == status, (body, response.text)
        assert message in response.json()["detail"], (body, response.text)
    assert state() == before
    assert post(client, tenant, batch("v", [good])).status_code == 200


def test_keys_and_encodings(client: httpx.Client, tenant: Tenant) -> None:
    body = orjson.dumps(batch("v", checkout_page(T0)))
    assert client.post("/api/v1/ingest", content=body).status_code == 401
    unknown = post(client, Tenant(0, "", 0, "tvk_unknown"), body)
    assert (unknown.status_code, unknown.json()["detail"]) == (401, "unknown project key")
    zipped = post(client, tenant, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert zipped.status_code == 200, zipped.text
    # navigator.sendBeacon sets no headers: key in the query, gzip recognised by its bytes.
    beacon = client.post("/api/v1/ingest", params={"key": tenant.project_key},
                         content=gzip.compress(orjson.dumps(batch("w", checkout_page(T0)))))
    assert beacon.status_code == 200, beacon.text
    damaged = post(client, tenant, gzip.compress(body)[:-12], **{"Content-Encoding": "gzip"})
    assert damaged.status_code == 400
    brotli = post(client, tenant, body, **{"Content-Encoding": "br"})
    assert brotli.status_code == 415


def test_size_limits_answer_413(serve: ServerFactory, tenant: Tenant) -> None:
    client = serve(ServerSettings(max_body_bytes=20_000, max_decompressed_bytes=50_000))
    big = orjson.dumps(batch("v", checkout_page(T0) + [move(T0 + i) for i in range(10, 400)]))
    assert len(big) > 20_000
    response = post(client, tenant, big)
    assert response.status_code == 413
    assert "20,000 bytes" in response.json()["detail"]
    bomb = gzip.compress(orjson.dumps(batch("v", checkout_page(T0))) + b" " * 100_000)
    assert len(bomb) < 20_000
    response = post(client, tenant, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and "decompressed" in response.json()["detail"]


def test_rate_limit_answers_429_per_key(serve: ServerFactory, tenant: Tenant,
                                        db: ServerDatabase) -> None:
    client = serve(ServerSettings(rate_per_second=0.5, rate_burst=2))
    other = make_tenant(db, "Other")
    body = batch("v", checkout_page(T0))
    codes = [post(client, tenant, body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = post(client, tenant, body)
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    assert post(client, other, body).status_code == 200  # another key has its own budget


def test_the_default_key_limit_lets_a_busy_site_through(client: httpx.Client,
                                                         tenant: Tenant) -> None:
    # Every visitor of a site shares its key. Refused bodies count as requests too, and cost
    # this test no database work: 400 of them at once are within the default burst.
    codes = {post(client, tenant, b"{}").status_code for _ in range(400)}
    assert codes == {422}


def test_rate_limit_answers_429_per_visitor(serve: ServerFactory, tenant: Tenant,
                                            db: ServerDatabase) -> None:
    client = serve(ServerSettings(visitor_rate_per_second=0.5, visitor_rate_burst=2))
    other = make_tenant(db, "Other")

    def send(key: Tenant, visitor: str, offset: int) -> httpx.Response:
        return post(client, key, batch(visitor, [*checkout_page(T0),
                                                 click(T0 + offset, BUTTON_ID)]))

    codes = [send(tenant, "runaway", offset).status_code for offset in (10, 20, 30)]
    assert codes == [200, 200, 429]
    limited = send(tenant, "runaway", 40)
    assert limited.json()["code"] == "rate_limited" and "visitor" in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) >= 1
    assert send(tenant, "calm", 10).status_code == 200  # the site's other visitors go on
    assert send(other, "runaway", 10).status_code == 200  # a visitor of another project
    runaway = next(s for s in sessions(client, tenant)["sessions"]
                   if s["visitor"]["anonymous_id"] == "runaway")
    assert runaway["click_count"] == 2  # refused batches stored nothing


def test_cors_for_ingest_only(client: httpx.Client, tenant: Tenant) -> None:
    preflight = client.options("/api/v1/ingest", headers={
        "Origin": "https://shop.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-project-key"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "x-project-key" in preflight.headers["access-control-allow-headers"].lower()
    assert "POST" in preflight.headers["access-control-allow-methods"]
    posted = post(client, tenant, batch("v", checkout_page(T0)), Origin="https://shop.test")
    assert posted.headers["access-control-allow-origin"] == "*"
    refused = post(client, Tenant(0, "", 0, "nope"), b"{}", Origin="https://shop.test")
    assert refused.headers["access-control-allow-origin"] == "*"  # errors readable too
    read = client.get("/api/v1/organizations", headers={**auth(tenant),
                                                        "Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in read.headers


def test_concurrent_batches_of_one_visitor_are_stored_in_turn(client: httpx.Client,
                                                              tenant: Tenant) -> None:
    post(client, tenant, batch("v", checkout_page(T0)))

    def send(index: int) -> int:
        return post(client, tenant, batch("v", [click(T0 + 1000 + index, BUTTON_ID)])).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(24))) == {200}
    [session] = sessions(client, tenant)["sessions"]
    chunks = client.get(f"/api/v1/projects/{tenant.project_id}/sessions/{session['id']}/chunks",
                        headers=auth(tenant)).json()
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    assert (session["click_count"], session["change_seq"]) == (24, 25)


@contextmanager
def server_log() -> Iterator[list[logging.LogRecord]]:
    """Every record the server logs (uvicorn's loggers do not propagate to the root)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    loggers = [logging.getLogger(name) for name in ("uvicorn", "app")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("app").setLevel(logging.INFO)
    try:
        yield records
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_a_client_gone_mid_upload_is_logged_quietly_and_stores_nothing(
        client: httpx.Client, tenant: Tenant, db: ServerDatabase) -> None:
    body = orjson.dumps(batch("v", checkout_visit()))
    head = (f"POST /api/v1/ingest HTTP/1.1\r\nHost: {client.base_url.host}\r\n"
            f"X-Project-Key: {tenant.project_key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body) + 1000}\r\n\r\n").encode()
    with server_log() as records:
        # A tab closing mid-upload: headers promise more than is sent, then the socket closes.
        with socket.create_connection((client.base_url.host, client.base_url.port)) as sock:
            sock.sendall(head + body)
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        while not records and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # anything else it would log
    assert [(r.levelname, r.exc_info) for r in records] == [("INFO", None)], \
        [r.getMessage() for r in records]
    assert "nothing was stored" in records[0].getMessage()
    with db.read() as session:
        for model in (RecordingSession, RecordingChunk, IngestBatch, Visitor):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
    assert post(client, tenant, batch("v", checkout_visit())).status_code == 200
