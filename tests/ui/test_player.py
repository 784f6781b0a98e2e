"""The replay player in the real web engine: fixtures replay, hostile pages stay harmless,
and the transport controls do what they say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.cache.queries import load_replay_chunks
from app.core.importing import import_file
from app.core.replay.session import ReplaySession
from app.ui.player.headless import HeadlessReplay, image_to_rgb
from tests.support.loopback import counting_server
from tests.ui.conftest import MainWindowFactory
from tests.ui.hostile import PWNED, hostile_recording

FIXTURES = ["PostHog__posthog/recording_snapshots.jsonl", "rrweb-io__rrweb/events.json",
            "rrweb-io__rrweb/iframe.json", "rrweb-io__rrweb/canvas-in-iframe.json",
            "rrweb-io__rrweb/shadow-dom.json", "rrweb-io__rrweb/input.json",
            "rrweb-io__rrweb/scroll.json", "rrweb-io__rrweb/selection.json",
            "rrweb-io__rrweb/style-sheet-rule-events.json",
            "rrweb-io__rrweb/video-playback.json", "highlight__highlight/dom-with-scripts.json",
            "highlight__highlight/capacitor.json"]


def open_replay(cache: Cache, path: Path) -> ReplaySession:
    result = import_file(cache, path)
    assert result.ok, result.message
    with cache.read_session() as session:
        chunks, windows = load_replay_chunks(session, result.session_id)
    replay = ReplaySession(result.session_id, chunks, windows)
    replay.build_checkpoints(every=5)
    return replay


def evaluate(qtbot: QtBot, renderer: HeadlessReplay, script: str) -> Any:
    with qtbot.waitCallback(timeout=10_000) as callback:
        renderer.view.page().runJavaScript(script, 0, callback)
    return callback.args[0]


FRAME_REPORT = """(() => {
  const doc = document.getElementById('frame').contentDocument;
  return JSON.stringify({
    title: doc.title, text: doc.body ? doc.body.innerText : '',
    background: doc.body ? getComputedStyle(doc.body).backgroundColor : '',
    player: location.href, topTitle: document.title,
    scripts: doc.querySelectorAll('script').length,
    handlers: [...doc.querySelectorAll('*')].filter(
      (e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
  });
})()"""


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_replays_without_errors(qtbot: QtBot, cache: Cache, rrweb_fixtures: Path,
                                        name: str) -> None:
    replay = open_replay(cache, rrweb_fixtures / name)
    renderer = HeadlessReplay(replay, 640, 400)
    try:
        for fraction in (0.0, 0.5, 1.0):
            renderer.seek(int(replay.duration_ms * fraction))
            frame = image_to_rgb(renderer.grab())
            assert renderer.state["errors"] == 0, name
            # Something of the page is drawn: more than the player's backdrop and one colour.
            assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 2, name
        assert renderer.view.blocked_requests() == [], name
    finally:
        renderer.close()


def test_hostile_recording_runs_nothing_and_fetches_nothing(qtbot: QtBot, cache: Cache,
                                                            tmp_path: Path) -> None:
    with counting_server() as (server, requests):
        path = tmp_path / "hostile.json"
        path.write_text(json.dumps(hostile_recording(server)))
        replay = open_replay(cache, path)
        renderer = HeadlessReplay(replay, 800, 600)
        try:
            renderer.seek(replay.duration_ms)
            frame = image_to_rgb(renderer.grab())
            qtbot.wait(1_000)  # give any stray timer, refresh or lazy load its chance
            report = json.loads(evaluate(qtbot, renderer, FRAME_REPORT))
        finally:
            renderer.close()
        assert requests == []  # nothing reached even loopback
    assert "safe content" in report["text"]
    assert PWNED not in report["title"] and PWNED not in report["topTitle"]
    assert report["background"] != "rgb(255, 0, 0)"
    assert report["player"] == "tvplayer://player/player.html"
    assert report["scripts"] == 0 and report["handlers"] == 0
    red = (frame[:, :, 0] > 200) & (frame[:, :, 1] < 60) & (frame[:, :, 2] < 60)
    assert red.mean() < 0.01


def test_highlight_script_attack_fixture_stays_inert(qtbot: QtBot, cache: Cache,
                                                     rrweb_fixtures: Path) -> None:
    replay = open_replay(cache, rrweb_fixtures / "highlight__highlight" / "dom-with-scripts.json")
    renderer = HeadlessReplay(replay, 800, 600)
    try:
        renderer.seek(replay.duration_ms)
        report = json.loads(evaluate(qtbot, renderer, FRAME_REPORT))
    finally:
        renderer.close()
    assert report["scripts"] == 0 and report["handlers"] == 0


def test_masked_input_shows_asterisks_of_the_same_length(qtbot: QtBot, cache: Cache,
                                                         rrweb_fixtures: Path) -> None:
    replay = open_replay(cache, rrweb_fixtures / "rrweb-io__rrweb" / "input.json")
    renderer = HeadlessReplay(replay, 800, 600)
    try:
        renderer.seek(3_000)  # after "test input" was typed, before the input is removed
        values = evaluate(qtbot, renderer, """JSON.stringify([...document.getElementById('frame')
            .contentDocument.querySelectorAll('input')].map((i) => i.value))""")
    finally:
        renderer.close()
    assert "**** *****" in json.loads(values)


def test_player_tab_plays_seeks_and_steps(qtbot: QtBot, main_window: MainWindowFactory,
                                          rrweb_fixtures: Path) -> None:
    window = main_window(files=[rrweb_fixtures / "rrweb-io__rrweb" / "events.json"])
    qtbot.waitUntil(lambda: window.sessions.rowCount() == 1, timeout=20_000)
    player = window.open_replay(window.sessions.session_at(0))
    assert player is not None and window.tabs.currentWidget() is player
    with qtbot.waitSignal(player.seekReady, timeout=20_000):
        pass
    controller = player.controller
    assert player.timeline_bar.timeline is not None
    assert player.timeline_bar.timeline.idle, "the demo recording has idle stretches"

    player.speed_box.setCurrentIndex(player.speed_box.findData(16.0))
    qtbot.keyClick(player.view.focusProxy() or player.view, " ")
    qtbot.waitUntil(lambda: controller.playing, timeout=5_000)
    qtbot.waitUntil(lambda: controller.offset_ms > 3_000, timeout=10_000)
    controller.pause()

    controller.seek(40_000)
    qtbot.waitUntil(lambda: not controller._seeking, timeout=10_000)
    assert controller.offset_ms == 40_000
    controller.jump(5_000)
    assert controller.offset_ms == 45_000
    controller.step(1)
    assert controller.offset_ms > 45_000
    qtbot.waitUntil(lambda: "demoit" in player.url_label.text(), timeout=10_000)
    assert player.time_label.text().startswith("0:4")
    window.close_tab(window.tabs.indexOf(player))
    assert window.tabs.count() == 1


def test_a_day_long_gap_is_skipped_at_once(qtbot: QtBot, main_window: MainWindowFactory,
                                          tmp_path: Path) -> None:
    day = 24 * 3600 * 1000
    body = {"type": 2, "tagName": "body", "attributes": {}, "id": 3, "childNodes": [
        {"type": 3, "textContent": "before", "id": 4}]}
    events = [{"type": 4, "data": {"href": "https://x.test/", "width": 800, "height": 600},
               "timestamp": 1_000},
              {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [
                  {"type": 2, "tagName": "html", "attributes": {}, "id": 2,
                   "childNodes": [body]}]}, "initialOffset": {"left": 0, "top": 0}},
               "timestamp": 1_001}]
    events += [{"type": 3, "data": {"source": 1, "positions": [
        {"x": i, "y": i, "id": 3, "timeOffset": 0}]}, "timestamp": 1_100 + i * 100}
        for i in range(20)]
    events += [{"type": 3, "data": {"source": 0, "adds": [], "removes": [], "attributes": [],
                                    "texts": [{"id": 4, "value": "after a day"}]},
                "timestamp": day + 5_000}]
    events += [{"type": 3, "data": {"source": 1, "positions": [
        {"x": i, "y": i, "id": 3, "timeOffset": 0}]}, "timestamp": day + 5_100 + i * 100}
        for i in range(20)]
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(events))
    window = main_window(files=[path])
    qtbot.waitUntil(lambda: window.sessions.rowCount() == 1, timeout=20_000)
    player = window.open_replay(window.sessions.session_at(0))
    assert player is not None
    with qtbot.waitSignal(player.seekReady, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: player.controller.timeline is not None, timeout=10_000)
    player.controller.play()
    # At 1x, without skipping, this would take a day; skipping takes a moment.
    qtbot.waitUntil(lambda: player.controller.offset_ms > day, timeout=10_000)
    player.controller.pause()
