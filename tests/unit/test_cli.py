"""The shell commands, run as a user would: real cache file, real fixture files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run

SPANS = {  # event count and duration (ms) per fixture, as SOURCES.md lists them
    "recording_snapshots.jsonl": (49, 1682952392745 - 1682952380877),
    "events.json": (272, 1544756847830 - 1544756766750),
    "video-playback.json": (43, 1900039448 - 1900000001),
    "iframe.json": (13, None), "canvas-in-iframe.json": (6, None), "shadow-dom.json": (8, None),
    "input.json": (11, None), "scroll.json": (8, None), "selection.json": (7, None),
    "style-sheet-rule-events.json": (10, None), "dom-with-scripts.json": (3, None),
    "capacitor.json": (1, 0),
}


def test_import_then_sessions_json_match_the_sources(capsys: pytest.CaptureFixture[str],
                                                     cache_path: Path,
                                                     rrweb_fixtures: Path) -> None:
    files = sorted(str(p) for p in rrweb_fixtures.rglob("*.json*"))
    code, out, err = run(capsys, "--cache", str(cache_path), "import", *files)
    assert code == 1  # privacy.json is refused ...
    assert err.count("error: ") == 1 and "privacy.json: not valid JSON" in err
    assert out.count("imported session") == len(files) - 1  # ... the rest imported

    code, out, _ = run(capsys, "--cache", str(cache_path), "sessions", "--json")
    assert code == 0
    rows = {row["source"]: row for row in json.loads(out)}
    assert set(rows) == set(SPANS)
    for name, (count, duration) in SPANS.items():
        assert rows[name]["event_count"] == count, name
        if duration is not None:
            assert rows[name]["duration_ms"] == duration, name


def test_info_and_export_by_id_prefix(capsys: pytest.CaptureFixture[str], cache_path: Path,
                                      rrweb_fixtures: Path, tmp_path: Path) -> None:
    run(capsys, "--cache", str(cache_path), "import", "--json",
        str(rrweb_fixtures / "rrweb-io__rrweb" / "events.json"))
    code, out, _ = run(capsys, "--cache", str(cache_path), "sessions")
    assert code == 0 and "1 session(s)" in out
    prefix = out.splitlines()[1].split()[0]
    code, out, _ = run(capsys, "--cache", str(cache_path), "info", prefix[:8])
    assert code == 0 and "Duration:     1:21" in out and "272 (3 clicks" in out
    code, out, _ = run(capsys, "--cache", str(cache_path), "export", prefix,
                       "--out", str(tmp_path / "out.json"))
    assert code == 0 and len(json.loads((tmp_path / "out.json").read_text())) == 272


def test_unknown_session_and_unusable_cache_fail_clearly(capsys: pytest.CaptureFixture[str],
                                                         cache_path: Path,
                                                         tmp_path: Path) -> None:
    code, _, err = run(capsys, "--cache", str(cache_path), "info", "nothing")
    assert code == 1 and "no session with id 'nothing'" in err
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("not a database " * 100)
    code, _, err = run(capsys, "--cache", str(bogus), "sessions")
    assert code == 2 and "is not a usable Tapeview cache" in err


def test_cache_location_from_environment(capsys: pytest.CaptureFixture[str], cache_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEVIEW_CACHE", str(cache_path))
    code, out, _ = run(capsys, "sessions", "--json")
    assert (code, json.loads(out)) == (0, []) and cache_path.exists()


def test_console_script_help_lists_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True,
                            text=True, check=True)
    for command in ("import", "export", "sessions", "info", "events", "reindex", "gui",
                    "--cache"):
        assert command in result.stdout


def test_events_of_a_session_by_prefix_as_a_table_and_as_json(
        capsys: pytest.CaptureFixture[str], cache_path: Path, tmp_path: Path) -> None:
    from tests.unit.core.event_streams import BUY, NOTE, T0, URL, click, move, page, text_change

    recording = [*page(), click(T0 + 1500, BUY, 120, 40), text_change(T0 + 1600),
                 *(click(T0 + 3000 + i * 200, NOTE) for i in range(3)), move(T0 + 9000)]
    (tmp_path / "visit.json").write_text(json.dumps(recording))
    run(capsys, "--cache", str(cache_path), "import", str(tmp_path / "visit.json"))
    _, out, _ = run(capsys, "--cache", str(cache_path), "sessions", "--json")
    session_id = json.loads(out)[0]["id"]

    code, out, _ = run(capsys, "--cache", str(cache_path), "events", session_id[:6])
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["TIME", "KIND", "NAME", "SELECTOR", "TEXT", "URL"]
    assert lines[2].split()[:2] == ["0:01.5", "click"] and lines[2].endswith(URL)
    assert "… main > div:nth-of-type(1) > button  Buy now" in lines[2]
    assert lines[4].split()[:2] == ["0:03.0", "rage_click"] and "3 clicks: Just text" in lines[4]
    assert lines[-1] == "7 event(s)"

    code, out, _ = run(capsys, "--cache", str(cache_path), "events", session_id, "--json")
    rows = json.loads(out)
    assert code == 0 and [row["kind"] for row in rows] == [
        "pageview", "click", "click", "rage_click", "dead_click", "click", "click"]
    assert rows[1] == {"offset_ms": 1500, "ts_ms": T0 + 1500, "kind": "click", "name": None,
                       "selector": "body > main > div:nth-of-type(1) > button",
                       "text": "Buy now", "url": URL, "node_id": BUY, "x": 120.0, "y": 40.0,
                       "window": 0, "properties": {"path": [  # for events defined later
                           ["button", {"class": "btn buy"}], ["div", {"class": "card"}],
                           ["main", {}], ["body", {}], ["html", {}]]}}

    code, _, err = run(capsys, "--cache", str(cache_path), "events", "nothing")
    assert code == 1 and "no session with id 'nothing'" in err
    code, out, _ = run(capsys, "--cache", str(cache_path), "reindex", "--all", "--json")
    assert code == 0 and json.loads(out)["sessions"] == 1
