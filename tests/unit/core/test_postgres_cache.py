"""The cache on a real PostgreSQL server: same schema, same import, same queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.core.cache.database import Cache, head_revision
from app.core.cache.models import Base
from app.core.cache.queries import SessionQuery, count_sessions, find_session, list_sessions
from app.core.exporting import export_session
from app.core.importing import import_files

pytestmark = pytest.mark.postgres


def test_schema_on_postgres_matches_the_models(postgres_cache: Cache) -> None:
    cache = postgres_cache
    assert cache.schema_revision() == head_revision()
    with cache.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_import_query_and_export_on_postgres(postgres_cache: Cache, rrweb_fixtures: Path,
                                             tmp_path: Path) -> None:
    cache = postgres_cache
    files = sorted(rrweb_fixtures.rglob("*.json*"))
    results = import_files(cache, files)
    assert [r.path.name for r in results if not r.ok] == ["privacy.json"]
    with cache.read_session() as session:
        assert count_sessions(session) == len(files) - 1
        longest = list_sessions(session, SessionQuery(sort="duration"), limit=1)[0]
        assert (longest.source, longest.duration_ms) == ("events.json", 81080)
        assert find_session(session, longest.id[:10]) == longest
        assert count_sessions(session, SessionQuery(text="localhost:3000")) == 1
    assert export_session(cache, longest.id, tmp_path / "out.json") == 272
    again = import_files(cache, [tmp_path / "out.json"])
    assert again[0].status == "duplicate"
