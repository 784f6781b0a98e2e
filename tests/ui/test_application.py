"""`run_gui`, the entry point `tapeview` calls: exit codes, files to import, clean exit.

Each scenario runs in a process of its own (see gui_driver): run_gui quits the application,
and with it the web engine, which must stay up for the rest of the test run.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.ui.application import EXIT_CACHE_ERROR

ROOT = Path(__file__).resolve().parents[2]


def drive(scenario: str, cache: Path, *files: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "tests.ui.gui_driver", scenario, str(cache),
                             *map(str, files)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_unusable_cache_shows_an_error_and_exits_2(tmp_path: Path) -> None:
    not_a_cache = tmp_path / "notes.sqlite3"
    connection = sqlite3.connect(not_a_cache)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    seen = drive("cache-error", not_a_cache)
    assert seen["code"] == EXIT_CACHE_ERROR
    assert "not a Tapeview cache" in seen["message"]
    assert seen["workers"] == []


def test_files_given_on_the_command_line_are_imported(cache_path: Path,
                                                      rrweb_fixtures: Path) -> None:
    files = [rrweb_fixtures / "rrweb-io__rrweb" / "scroll.json",
             rrweb_fixtures / "rrweb-io__rrweb" / "input.json"]
    seen = drive("import", cache_path, *files)
    assert seen == {"rows": 2, "code": 0, "application": "Tapeview", "workers": []}


def test_a_link_opened_while_the_app_runs_opens_in_it(cache_path: Path) -> None:
    """`tapeview LINK` while the app runs on the cache: the running window opens the session
    at the link's moment, and the second start ends at once."""
    from app.core.cache.database import Cache
    from app.core.demo import load_demo_sessions

    cache = Cache(cache_path)
    session_id = load_demo_sessions(cache, 1)[0].session_id
    cache.close()
    first = subprocess.Popen([sys.executable, "-m", "tests.ui.gui_driver", "second-start",
                              str(cache_path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "listening"
        second = subprocess.run([sys.executable, "-m", "app", "--cache", str(cache_path),
                                 f"tapeview://session/{session_id[:10]}?t=2.5"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 0, second.stderr[-2000:]
        assert "already running" in second.stderr
        out, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, err[-2000:]
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["player"]["session"] == session_id
    assert abs(seen["player"]["offset_ms"] - 2_500) < 200
    assert seen["code"] == 0 and seen["workers"] == []
