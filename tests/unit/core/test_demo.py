"""Demo sessions: a first run gets a dozen varied sessions, imported like real files."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from app.core.cache.database import Cache
from app.core.cache.models import Event, RecordedSession
from app.core.cache.queries import (
    SessionQuery,
    count_sessions,
    iter_session_events,
    list_projects,
    list_sessions,
)
from app.core.demo import (
    DEMO_ORGANIZATION,
    DEMO_PROJECT,
    demo_sessions,
    load_demo_sessions,
)
from app.core.recording.rrweb import EventType, Source
from app.core.tasks import CancelToken


def test_loads_count_sessions_into_the_demo_project(cache: Cache):
    results = load_demo_sessions(cache, count=12)
    assert [r.status for r in results] == ["imported"] * 12, [r.message for r in results]
    assert len({r.session_id for r in results}) == 12
    with cache.read_session() as session:
        projects = list_projects(session)
        assert [(p.organization, p.name, p.kind, p.session_count) for p in projects] == [
            (DEMO_ORGANIZATION, DEMO_PROJECT, "web", 12)]
        sessions = list_sessions(session, SessionQuery(project_id=projects[0].id))
    assert len(sessions) == 12
    assert all(s.project == DEMO_PROJECT and s.organization == DEMO_ORGANIZATION
               for s in sessions)


def test_written_events_carry_their_sessions_visitor(cache: Cache):
    """Funnels follow visitors through the events index (funnels/compute.py)."""
    load_demo_sessions(cache, count=6)
    with cache.read_session() as session:
        pairs = set(session.execute(
            select(Event.visitor_id, RecordedSession.visitor_id)
            .join(RecordedSession, RecordedSession.id == Event.session_id)).all())
    assert pairs and all(event == owner for event, owner in pairs)
    assert any(owner is not None for _event, owner in pairs)


def test_second_load_reports_duplicates_and_adds_nothing(cache: Cache):
    first = load_demo_sessions(cache, count=4)
    second = load_demo_sessions(cache, count=4)
    assert [r.status for r in second] == ["duplicate"] * 4
    assert [r.session_id for r in second] == [r.session_id for r in first]
    with cache.read_session() as session:
        assert count_sessions(session) == 4


def test_sessions_are_varied(cache: Cache):
    load_demo_sessions(cache, count=12)
    with cache.read_session() as session:
        sessions = list_sessions(session)
    durations = sorted(s.duration_ms for s in sessions)
    assert durations[0] >= 55_000 and durations[-1] <= 610_000
    assert len(set(durations)) >= 10
    assert {s.device_type for s in sessions} == {"desktop", "tablet", "mobile"}
    assert len({s.landing_page for s in sessions}) >= 5
    identified = [s for s in sessions if not (s.visitor or "").startswith("anon-")]
    assert 2 <= len(identified) < 12
    assert all(s.visitor_name and s.visitor_email for s in identified)
    # identified visitors come back for a second visit
    assert len({s.visitor for s in identified}) < len(identified)
    with_errors = [s for s in sessions if s.error_count]
    assert 2 <= len(with_errors) < 12
    assert all(s.click_count > 0 and s.page_count >= 1 for s in sessions)


def test_demo_is_deterministic():
    first = [orjson.dumps(recipe.events()) for recipe in demo_sessions(3)]
    second = [orjson.dumps(recipe.events()) for recipe in demo_sessions(3)]
    assert first == second
    assert len(set(first)) == 3


def test_demo_sessions_are_masked_like_real_imports(cache: Cache):
    results = load_demo_sessions(cache, count=6)
    typed = [recipe.typed() for recipe in demo_sessions(6)]
    secrets = {value for t in typed for value in (t.password, t.card_number)}
    inputs = 0
    with cache.read_session() as session:
        for result in results:
            for event, _ in iter_session_events(session, result.session_id):
                data = event["data"]
                if event["type"] == EventType.INCREMENTAL_SNAPSHOT \
                        and data.get("source") == Source.INPUT:
                    inputs += 1
                    assert set(data["text"]) <= {"*", " "}, data
                blob = orjson.dumps(event).decode()
                assert not [secret for secret in secrets if secret in blob]
    assert inputs > 50


def test_progress_and_cancel(cache: Cache):
    calls: list[tuple[int, int, str]] = []
    token = CancelToken()

    def progress(done: int, total: int, message: str) -> None:
        calls.append((done, total, message))
        if done == 2:
            token.cancel()

    results = load_demo_sessions(cache, count=5, progress=progress, cancel=token)
    assert len(results) == 3  # the third was under way when cancel came
    assert calls[0][:2] == (0, 5) and calls[-1][:2] == (3, 5)
    with cache.read_session() as session:
        assert count_sessions(session) == 3


def test_loading_twelve_is_fast(tmp_path: Path):
    cache = Cache(tmp_path / "fast.sqlite3")
    try:
        started = time.perf_counter()
        load_demo_sessions(cache, count=12)
        elapsed = time.perf_counter() - started
    finally:
        cache.close()
    # ~1.5 s on a development machine; the bound leaves room for a busy CI runner
    assert elapsed < 5, f"loading 12 demo sessions took {elapsed:.2f} s"


@pytest.mark.parametrize("count", [0, 1])
def test_small_counts(cache: Cache, count: int):
    assert len(load_demo_sessions(cache, count=count)) == count
