"""Seeking through checkpoints lands on exactly the page that playing from the start gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.cache.database import Cache
from app.core.cache.queries import load_replay_chunks
from app.core.importing import import_file
from app.core.recording.synthetic import generate_recording, write_recording
from app.core.replay.session import ReplaySession
from app.core.replay.state import ReplayState


def open_replay(cache: Cache, path: Path, window: int = 0) -> ReplaySession:
    result = import_file(cache, path)
    assert result.ok, result.message
    with cache.read_session() as session:
        chunks, windows = load_replay_chunks(session, result.session_id)
    return ReplaySession(result.session_id, chunks, windows, window)


def state_by_playing(replay: ReplaySession, ts: int) -> ReplayState:
    """Every event up to `ts` — and, as the player shows at 0:00, the first page at least."""
    state = ReplayState()
    for _, event in replay.events():
        if event["timestamp"] > ts and state.has_snapshot:
            break
        state.apply(event)
    return state


def state_by_seeking(replay: ReplaySession, ts: int) -> ReplayState:
    plan = replay.plan_seek(ts)
    state = ReplayState()
    for event in [*plan.restore, *plan.forward]:
        state.apply(event)
    return state


def assert_same_page(a: ReplayState, b: ReplayState) -> None:
    assert a.mirror.serialize() == b.mirror.serialize()
    assert (a.href, a.width, a.height) == (b.href, b.width, b.height)
    assert a.mirror.scroll == b.mirror.scroll


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "long.json"
    write_recording(path, generate_recording(duration_s=600, target_events=12_000, seed=3))
    return path


def test_seeks_match_playing_from_the_start(cache: Cache, long_recording: Path) -> None:
    replay = open_replay(cache, long_recording)
    replay.build_checkpoints()
    assert replay.checkpoints_done and len(replay.checkpoints) > 10
    for fraction in (0.0, 0.13, 0.5, 0.77, 0.999, 1.0):
        ts = replay.start_ms + int(replay.duration_ms * fraction)
        assert_same_page(state_by_seeking(replay, ts), state_by_playing(replay, ts))


def test_a_seek_replays_a_bounded_number_of_events(cache: Cache, long_recording: Path) -> None:
    replay = open_replay(cache, long_recording)
    replay.build_checkpoints(every=500)
    for fraction in (0.2, 0.6, 0.95):
        plan = replay.plan_seek(replay.start_ms + int(replay.duration_ms * fraction))
        assert len(plan.forward) <= 500
        assert plan.restore[0]["type"] == 4 and plan.restore[1]["type"] == 2


def test_seeking_before_checkpoints_exist_is_slow_but_exact(cache: Cache,
                                                            long_recording: Path) -> None:
    replay = open_replay(cache, long_recording)
    ts = replay.start_ms + replay.duration_ms // 2
    assert_same_page(state_by_seeking(replay, ts), state_by_playing(replay, ts))


@pytest.mark.parametrize("name", ["rrweb-io__rrweb/iframe.json", "rrweb-io__rrweb/shadow-dom.json",
                                  "rrweb-io__rrweb/style-sheet-rule-events.json",
                                  "rrweb-io__rrweb/events.json", "rrweb-io__rrweb/scroll.json"])
def test_fixture_seeks_match(cache: Cache, rrweb_fixtures: Path, name: str) -> None:
    replay = open_replay(cache, rrweb_fixtures / name)
    replay.build_checkpoints(every=3)
    stamps = sorted({e["timestamp"] for _, e in replay.events()})
    for ts in stamps:
        assert_same_page(state_by_seeking(replay, ts), state_by_playing(replay, ts))


def test_stylesheet_rules_survive_a_checkpoint_until_the_style_is_rewritten(
        cache: Cache, rrweb_fixtures: Path) -> None:
    replay = open_replay(cache, rrweb_fixtures / "rrweb-io__rrweb" /
                         "style-sheet-rule-events.json")
    replay.build_checkpoints(every=1)
    rules = [e for e in replay.plan_seek(1700000002000).restore if e["data"].get("source") == 8]
    assert {e["data"]["id"] for e in rules} == {101, 105}
    later = replay.plan_seek(1700000003050).restore
    assert not [e for e in later if e["data"].get("source") == 8 and e["data"]["id"] == 101]


def test_each_window_replays_on_its_own(cache: Cache, rrweb_fixtures: Path) -> None:
    path = rrweb_fixtures / "PostHog__posthog" / "recording_snapshots.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for window in (0, 1):
        replay = open_replay(cache, path, window)
        assert sum(1 for _ in replay.events()) == len(lines[window]["data"])
        assert replay.first_frame().forward[-1]["type"] == 2


def test_timeline_marks_clicks_pages_and_idle_stretches(cache: Cache,
                                                        long_recording: Path) -> None:
    timeline = open_replay(cache, long_recording).timeline()
    kinds = {m.kind for m in timeline.markers}
    assert {"click", "page", "error"} <= kinds
    assert timeline.idle and all(s.end_ms - s.start_ms > 5_000 for s in timeline.idle)
    assert sum(timeline.activity) > 0 and timeline.active_ms < timeline.duration_ms
