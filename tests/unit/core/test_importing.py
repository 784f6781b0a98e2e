"""Importing into a real SQLite cache: every fixture, privacy, and nothing lost on failure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from app.core.cache.database import Cache
from app.core.cache.models import Event, RecordedSession, RecordingChunk
from app.core.cache.queries import iter_session_events, list_sessions
from app.core.exporting import ExportError, export_session
from app.core.importing import import_file, import_files
from app.core.recording.chunks import MAX_CHUNK_EVENTS

SECRET_EMAIL = "jane.doe.secret@example.com"


def cache_bytes(path: Path) -> bytes:
    """The main file and its WAL: everything SQLite has written."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def session_count(cache: Cache) -> int:
    with cache.read_session() as session:
        return session.scalar(select(func.count(RecordedSession.id))) or 0


def all_fixture_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCES.md")


def test_every_fixture_imports_but_the_sentry_template(cache: Cache, rrweb_fixtures: Path) -> None:
    results = import_files(cache, all_fixture_files(rrweb_fixtures))
    rejected = [r for r in results if not r.ok]
    assert [r.path.name for r in rejected] == ["privacy.json"]
    assert "privacy.json: not valid JSON" in rejected[0].message
    assert session_count(cache) == len(results) - 1


def test_reimport_finds_the_first_copy(cache: Cache, rrweb_fixtures: Path) -> None:
    path = rrweb_fixtures / "rrweb-io__rrweb" / "events.json"
    first, second = import_file(cache, path), import_file(cache, path)
    assert (first.status, second.status) == ("imported", "duplicate")
    assert second.session_id == first.session_id and session_count(cache) == 1


def test_refused_file_leaves_the_cache_byte_for_byte(cache_path: Path, rrweb_fixtures: Path,
                                                     tmp_path: Path) -> None:
    cache = Cache(cache_path)
    import_file(cache, rrweb_fixtures / "rrweb-io__rrweb" / "scroll.json")
    cache.close()
    before = cache_path.read_bytes()

    truncated = tmp_path / "truncated.json"
    truncated.write_bytes((rrweb_fixtures / "rrweb-io__rrweb" / "events.json").read_bytes()[:5000])
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes((i * 7919) % 256 for i in range(20000)))
    cache = Cache(cache_path)
    results = import_files(cache, [
        rrweb_fixtures / "getsentry__sentry-javascript" / "privacy.json", truncated, noise])
    cache.close()
    assert [r.status for r in results] == ["rejected"] * 3
    assert "truncated.json: not valid JSON: the data ends too early" in results[1].message
    assert "noise.bin: not a recording: binary data" in results[2].message
    assert cache_path.read_bytes() == before


def test_full_disk_rolls_the_file_back_and_keeps_what_was_there(cache: Cache,
                                                                rrweb_fixtures: Path) -> None:
    import_file(cache, rrweb_fixtures / "rrweb-io__rrweb" / "scroll.json")
    with cache.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    cache.engine.dispose()

    # SQLite's own size cap makes it fail exactly as on a full disk (SQLITE_FULL).
    @event.listens_for(cache.engine, "connect")
    def _cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 1}")

    result = import_file(cache, rrweb_fixtures / "rrweb-io__rrweb" / "events.json")
    assert result.status == "rejected"
    assert "events.json: could not write to the cache (database or disk is full)" in result.message
    event.remove(cache.engine, "connect", _cap)
    cache.engine.dispose()
    assert session_count(cache) == 1
    with cache.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.exec_driver_sql("SELECT count(*) FROM event").scalar() == \
            connection.exec_driver_sql("SELECT count(*) FROM event WHERE session_id IN "
                                       "(SELECT id FROM session)").scalar()


def test_typed_email_never_reaches_the_cache_file(cache_path: Path, rrweb_fixtures: Path,
                                                  tmp_path: Path) -> None:
    recording = json.loads((rrweb_fixtures / "rrweb-io__rrweb" / "input.json").read_text())
    for item in recording:
        if item["type"] == 3 and item["data"].get("source") == 5:
            item["data"]["text"] = SECRET_EMAIL
    typed = tmp_path / "typed.json"
    typed.write_text(json.dumps(recording))
    assert SECRET_EMAIL.encode() in typed.read_bytes()

    cache = Cache(cache_path)
    results = import_files(cache, [rrweb_fixtures / "PostHog__posthog" /
                                   "recording_snapshots.jsonl", typed])
    assert all(r.status == "imported" for r in results)
    raw_bytes = cache_bytes(cache_path)
    cache.close()
    # Chunks are compressed, so look inside them too, not only at the file's bytes.
    with sqlite3.connect(cache_path) as connection:
        import zstandard

        blobs = [zstandard.ZstdDecompressor().decompress(row[0]) for row in
                 connection.execute("SELECT data FROM recording_chunk")]
    connection.close()
    for haystack in [raw_bytes, cache_bytes(cache_path), *blobs]:
        assert SECRET_EMAIL.encode() not in haystack
        assert b"test input" not in haystack  # the fixture's own plaintext input value


def test_long_recordings_are_stored_in_bounded_chunks(cache: Cache, tmp_path: Path) -> None:
    events = [{"type": 4, "data": {"href": "https://x.test/", "width": 800, "height": 600},
               "timestamp": 0},
              {"type": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1},
                                   "initialOffset": {"left": 0, "top": 0}}, "timestamp": 1}]
    events += [{"type": 3, "data": {"source": 1, "positions": [
        {"x": i % 800, "y": i % 600, "id": 1, "timeOffset": 0}]}, "timestamp": 2 + i}
        for i in range(3 * MAX_CHUNK_EVENTS)]
    path = tmp_path / "long.json"
    path.write_text(json.dumps(events))
    result = import_file(cache, path)
    with cache.read_session() as session:
        sizes = session.scalars(select(RecordingChunk.event_count).where(
            RecordingChunk.session_id == result.session_id).order_by(RecordingChunk.seq)).all()
        assert sum(sizes) == len(events) and max(sizes) <= MAX_CHUNK_EVENTS and len(sizes) >= 3
        assert [e for e, _ in iter_session_events(session, result.session_id)] == events


def test_metadata_and_events_index(cache: Cache, rrweb_fixtures: Path) -> None:
    result = import_file(cache, rrweb_fixtures / "PostHog__posthog" / "recording_snapshots.jsonl")
    with cache.read_session() as session:
        info = list_sessions(session)[0]
        kinds = dict(session.execute(select(Event.kind, func.count()).where(
            Event.session_id == result.session_id).group_by(Event.kind)).all())
    assert (info.event_count, info.duration_ms) == (49, 11868)
    assert info.viewport_width == 2560 and info.device_type == "desktop"
    assert info.landing_page == "http://localhost:3000/" and info.window_count == 2
    assert info.click_count == kinds["click"] == 8
    assert kinds["pageview"] == 2  # one Meta per window
    assert 0 < info.active_ms <= info.duration_ms


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_export_then_import_gives_the_same_events(cache: Cache, rrweb_fixtures: Path,
                                                  tmp_path: Path, suffix: str) -> None:
    for path in all_fixture_files(rrweb_fixtures):
        first = import_file(cache, path)
        if not first.ok:
            continue
        out = tmp_path / f"{path.stem}{suffix}"
        export_session(cache, first.session_id, out)
        exported = json.loads(out.read_bytes()) if suffix == ".json" else None
        assert exported is None or isinstance(exported, list)
        other = Cache(tmp_path / f"other-{path.stem}.sqlite3")
        second = import_file(other, out)
        with cache.read_session() as a, other.read_session() as b:
            assert [e for e, _ in iter_session_events(a, first.session_id)] == \
                [e for e, _ in iter_session_events(b, second.session_id)], path.name
        other.close()


def test_export_of_an_unknown_session_says_so(cache: Cache, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no session with id 'nope'"):
        export_session(cache, "nope", tmp_path / "x.json")
    assert not list(tmp_path.glob("*.json"))
