"""Caches indexed by an older Tapeview get the new events without re-importing: schema 0006
marks their sessions stale, and `reindex` (or listing a session's events) extracts them again
from the recordings the cache holds."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, select, text

from app.cli import main
from app.core.analytics.extract import EXTRACTION_VERSION
from app.core.cache.database import Cache, _alembic_config, head_revision
from app.core.cache.models import RecordedSession
from app.core.cache.queries import list_events
from app.core.cache.reindex import ensure_current_events, reindex, stale_session_ids
from app.core.importing import import_file
from tests.unit.core.event_streams import NOTE, SIGN_UP, T0, click, move, page, restyle, typing

WANTED = {"pageview", "click", "rage_click", "dead_click", "input", "submit"}


def write_recording(path: Path) -> Path:
    events = [*page(), click(T0 + 1000, NOTE), click(T0 + 1100, NOTE), click(T0 + 1200, NOTE),
              typing(T0 + 3000, 31, "someone@example.org"), click(T0 + 4000, SIGN_UP),
              *page(T0 + 7000, "https://shop.test/welcome"), restyle(T0 + 8000),
              move(T0 + 9000)]
    path.write_text(json.dumps(events))
    return path


def old_cache(cache_path: Path, tmp_path: Path) -> str:
    """A cache as Tapeview wrote it at schema 0005: one session, indexed with less."""
    cache = Cache(cache_path)
    result = import_file(cache, write_recording(tmp_path / "visit.json"))
    cache.close()
    assert result.session_id is not None
    engine = create_engine(f"sqlite:///{cache_path}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        connection.execute(text("DELETE FROM event WHERE kind NOT IN ('pageview', 'click')"))
    engine.dispose()
    return result.session_id


def kinds_and_selectors(cache: Cache, session_id: str) -> list[tuple[str, str | None]]:
    with cache.read_session() as session:
        return [(e.kind, e.selector) for e in list_events(session, session_id)]


def test_reindex_gives_an_upgraded_cache_the_new_events(cache_path: Path,
                                                        tmp_path: Path) -> None:
    session_id = old_cache(cache_path, tmp_path)
    cache = Cache(cache_path)
    try:
        assert cache.schema_revision() == head_revision()
        old = kinds_and_selectors(cache, session_id)
        assert {kind for kind, _ in old} == {"pageview", "click"}
        assert all(selector is None for _, selector in old)
        with cache.read_session() as session:
            assert stale_session_ids(session) == [session_id]

        report = reindex(cache)
        assert (report.sessions, report.cancelled) == (1, False)
        new = kinds_and_selectors(cache, session_id)
        assert {kind for kind, _ in new} == WANTED and len(new) == report.events
        assert ("rage_click", "body > main > p") in new
        with cache.read_session() as session:
            assert stale_session_ids(session) == []
            assert session.scalar(select(RecordedSession.events_version)) == EXTRACTION_VERSION
        assert reindex(cache).sessions == 0
        assert reindex(cache, everything=True).sessions == 1
        assert kinds_and_selectors(cache, session_id) == new  # the same again
    finally:
        cache.close()


def test_listing_a_stale_sessions_events_indexes_it_first(cache_path: Path, tmp_path: Path,
                                                          capsys) -> None:  # type: ignore[no-untyped-def]
    session_id = old_cache(cache_path, tmp_path)
    assert main(["--cache", str(cache_path), "events", session_id[:8], "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {row["kind"] for row in listed} == WANTED
    cache = Cache(cache_path)
    try:
        assert not ensure_current_events(cache, session_id)  # done already
    finally:
        cache.close()


def test_a_fresh_import_is_current_and_reindexes_to_the_same(cache: Cache,
                                                             tmp_path: Path) -> None:
    result = import_file(cache, write_recording(tmp_path / "visit.json"))
    assert result.session_id is not None
    with cache.read_session() as session:
        assert stale_session_ids(session) == []
        before = list_events(session, result.session_id)
    assert not ensure_current_events(cache, result.session_id)
    reindex(cache, everything=True)
    with cache.read_session() as session:
        assert list_events(session, result.session_id) == before
