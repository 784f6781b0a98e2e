"""A synced session gets the same events index as the same recording imported: the desktop
extracts it from the masked events, whatever the server's own index holds."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.cache.database import Cache
from app.core.cache.queries import list_events
from app.core.cache.reindex import stale_session_ids
from app.core.importing import import_file
from app.core.sync import sync
from tests.server.recordings import BUTTON_ID, T0, TYPED_EMAIL, checkout_visit, click, move
from tests.sync.conftest import Server


def index(cache: Cache, session_id: str) -> list[tuple]:
    with cache.read_session() as session:
        return [(e.offset_ms, e.kind, e.name, e.selector, e.text, e.url, e.properties)
                for e in list_events(session, session_id)]


def test_a_synced_session_is_indexed_like_an_imported_one(server: Server, cache: Cache,
                                                          tmp_path: Path) -> None:
    visit = [*checkout_visit(), *(click(T0 + 6000 + i * 100, BUTTON_ID) for i in range(3)),
             move(T0 + 9000)]
    session_id = server.ingest("visitor-1", visit)
    sync(cache, server.url, server.token)
    synced = index(cache, session_id)

    path = tmp_path / "visit.json"
    path.write_text(json.dumps(visit))
    local = Cache(tmp_path / "imported.sqlite3")
    try:
        result = import_file(local, path)
        assert result.session_id is not None
        assert index(local, result.session_id) == synced
    finally:
        local.close()

    kinds = [row[1] for row in synced]
    assert {"rage_click", "dead_click", "input", "error", "identify"} <= set(kinds)
    pay = next(row for row in synced if row[1] == "rage_click")
    assert (pay[3], pay[4], pay[6]) == ("body > button", "Pay", {"count": 3})
    assert TYPED_EMAIL not in repr(synced)
    with cache.read_session() as session:
        assert stale_session_ids(session) == []
    with server.api() as api:
        served = api.get(f"/api/v1/projects/{server.tenant.project_id}/sessions/"
                         f"{session_id}/events").json()
    assert "rage_click" not in {event["kind"] for event in served}  # the API's kinds only
