"""Opening caches: new, old (upgraded), newer (refused untouched), not a cache (refused)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, text

from app.core.cache.database import (
    Cache,
    CacheError,
    _alembic_config,
    head_revision,
    resolve_cache_url,
)
from app.core.cache.models import Base


def test_new_cache_is_sqlite_in_wal_mode_at_head(cache_path: Path) -> None:
    cache = Cache(cache_path)
    try:
        assert cache.schema_revision() == head_revision()
        with cache.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        cache.close()


def test_migrations_build_exactly_the_models(cache: Cache) -> None:
    with cache.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


@contextmanager
def old_cache(cache_path: Path, revision: str) -> Iterator[Connection]:
    """A cache made by an older Tapeview (schema `revision`), to fill in one transaction."""
    engine = create_engine(f"sqlite:///{cache_path}")
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            yield connection
    finally:
        engine.dispose()


def test_old_cache_is_upgraded_and_keeps_its_data(cache_path: Path) -> None:
    with old_cache(cache_path, "0001") as connection:
        connection.execute(text("INSERT INTO organization (name, created_ms) VALUES ('Old', 1)"))

    cache = Cache(cache_path)
    try:
        assert cache.schema_revision() == head_revision()
        with cache.engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM organization")).scalar() == "Old"
            assert connection.execute(text("SELECT count(*) FROM event")).scalar() == 0
    finally:
        cache.close()


KNOWN_AND_ANONYMOUS = (("known", 7), ("anonymous", None))  # sessions and their visitors


def add_old_sessions(connection: Connection) -> None:
    """A project with a session of visitor 7 and a session without a visitor, as an older
    schema holds them."""
    connection.execute(text("INSERT INTO organization (id, name, created_ms) VALUES (1, 'Old', 1)"))
    connection.execute(text("INSERT INTO project (id, organization_id, name, kind, key, "
                            "created_ms) VALUES (1, 1, 'Shop', 'web', 'k', 1)"))
    connection.execute(text("INSERT INTO visitor (id, project_id, uid, properties) "
                            "VALUES (7, 1, 'ann', '{}')"))
    for session_id, visitor in KNOWN_AND_ANONYMOUS:
        connection.execute(text(
            "INSERT INTO session (id, project_id, visitor_id, start_ms, end_ms, "
            "duration_ms, active_ms, pages, page_count, event_count, click_count, "
            "input_count, error_count, source, window_ids, raw_size, stored_size, "
            "added_ms) VALUES (:id, 1, :visitor, 0, 1, 1, 0, '[]', 0, 1, 0, 0, 0, 'f', "
            "'[]', 1, 1, 1)"), {"id": session_id, "visitor": visitor})


def visitors_after_upgrade(cache_path: Path, table: str) -> dict[str, int | None]:
    """Each session's visitor as `table`'s rows carry it once the cache is opened."""
    cache = Cache(cache_path)
    try:
        with cache.engine.connect() as connection:
            return dict(connection.execute(text(
                f"SELECT session_id, visitor_id FROM {table}")).all())
    finally:
        cache.close()


def test_upgraded_events_carry_their_sessions_visitor(cache_path: Path) -> None:
    """Migration 0011 copies each session's visitor onto its events, for funnels."""
    with old_cache(cache_path, "0010") as connection:
        add_old_sessions(connection)
        for session_id, _visitor in KNOWN_AND_ANONYMOUS:
            connection.execute(text("INSERT INTO event (session_id, ts_ms, kind, name) "
                                    "VALUES (:id, 1, 'custom', 'signup')"), {"id": session_id})
    assert visitors_after_upgrade(cache_path, "event") == dict(KNOWN_AND_ANONYMOUS)


def test_upgraded_defined_event_hits_carry_their_events_visitor(cache_path: Path) -> None:
    """Migration 0012 copies each hit's event's visitor onto it, for funnels."""
    with old_cache(cache_path, "0011") as connection:
        add_old_sessions(connection)
        connection.execute(text("INSERT INTO defined_event (id, name, rule, created_ms) "
                                "VALUES (1, 'Signed up', '{}', 1)"))
        for event_id, (session_id, visitor) in enumerate(KNOWN_AND_ANONYMOUS):
            connection.execute(text(
                "INSERT INTO event (id, session_id, ts_ms, kind, name, visitor_id) "
                "VALUES (:event, :id, 1, 'custom', 'signup', :visitor)"),
                {"event": event_id, "id": session_id, "visitor": visitor})
            connection.execute(text(
                "INSERT INTO defined_event_hit (defined_event_id, event_id, session_id, ts_ms) "
                "VALUES (1, :event, :id, 1)"), {"event": event_id, "id": session_id})
    assert visitors_after_upgrade(cache_path, "defined_event_hit") == dict(KNOWN_AND_ANONYMOUS)


def test_an_upgrade_that_fails_leaves_the_cache_as_it_was(cache_path: Path) -> None:
    """SQLite runs DDL outside transactions unless told: a migration failing half-way (here
    0011, on a cache whose index it replaces is missing) must not leave its first steps."""
    with old_cache(cache_path, "0010") as connection:
        connection.execute(text("DROP INDEX ix_event_click_text"))
    with pytest.raises(CacheError, match=r"could not be upgraded.*left as it was"):
        Cache(cache_path)
    with sqlite3.connect(cache_path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(event)")]
        assert "visitor_id" not in columns
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0010",)


def test_cache_from_a_newer_version_is_refused_untouched(cache_path: Path) -> None:
    Cache(cache_path).close()
    with sqlite3.connect(cache_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.close()
    before = cache_path.read_bytes()
    with pytest.raises(CacheError, match=r"written by a newer Tapeview.*9999_from_the_future"):
        Cache(cache_path)
    assert cache_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_untouched(cache_path: Path) -> None:
    cache_path.write_bytes(b"this is my shopping list, not a database" * 100)
    before = cache_path.read_bytes()
    with pytest.raises(CacheError, match="not a usable Tapeview cache"):
        Cache(cache_path)
    assert cache_path.read_bytes() == before


def test_another_programs_database_is_refused(cache_path: Path) -> None:
    with sqlite3.connect(cache_path) as connection:
        connection.execute("CREATE TABLE contacts (name TEXT)")
    connection.close()
    with pytest.raises(CacheError, match=r"holds other data .*contacts"):
        Cache(cache_path)


def test_location_comes_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("TAPEVIEW_CACHE", str(tmp_path / "env.sqlite3"))
    assert resolve_cache_url() == f"sqlite:///{tmp_path / 'env.sqlite3'}"
    assert resolve_cache_url(tmp_path / "arg.sqlite3") == f"sqlite:///{tmp_path / 'arg.sqlite3'}"
    assert resolve_cache_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("TAPEVIEW_CACHE")
    assert resolve_cache_url().endswith("cache.sqlite3")
