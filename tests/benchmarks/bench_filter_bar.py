"""The filter bar on a large cache: what a user waits for, and whether the window stalls.

    .venv/bin/python tests/benchmarks/bench_filter_bar.py [--sessions N] [--events N]
                                                          [--repeat N] [--cache FILE]

Fills a cache as bench_filters.py does (100,000 sessions, 5,000,000 events by default;
``--cache`` keeps and reuses the file), opens the main window on it (offscreen) and reports
medians of ``--repeat`` runs, in milliseconds:

* ``filter_ms``: from a condition added to the bar (as its editor's Apply does) to the list's
  count and first page shown, through the worker thread, for each kind of condition and a
  combination; ``gui_stall_ms`` is the longest the GUI thread went without running a 5 ms
  timer meanwhile, i.e. how long the window could not repaint or take a click;
* ``choices_ms``: from opening an editor to its choices (browsers, events) being listed;
* ``repaint_ms``: one full repaint of the window (``grab``), the yardstick for the stalls:
  the queries run on the worker, and what holds the GUI thread is painting the list and the
  bar again, as much on a cache of 1,000 sessions (try ``--sessions 1000 --events 50000``).

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.credentials import TokenStore  # noqa: E402
from app.core.search.conditions import SessionFilter  # noqa: E402
from app.core.search.grammar import parse_filter, parse_filters  # noqa: E402
from app.ui.filters.editor import KIND_BY_KEY  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from tests.benchmarks.bench_filters import contents, fill  # noqa: E402

CONDITIONS = ("device=mobile", "has=errors", "has=rage_clicks", "event=custom:add_to_cart",
              "event=custom:refund_requested", "url=/checkout", "visitor~maria",
              "duration>=10m", "browser=Firefox")
COMBINATION = ("device=mobile", "duration>=60", "has=errors")
TICK_MS = 5
TIMEOUT_S = 120


class Watch:
    """Runs the event loop until a condition holds, noting the longest gap between ticks."""

    def __init__(self) -> None:
        self.stall = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=TICK_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.stall = max(self.stall, now - self._last)
        self._last = now

    def until(self, done: Callable[[], bool]) -> None:
        self.stall, self._last = 0.0, time.perf_counter()
        self._timer.start()
        started = time.perf_counter()
        loop = QEventLoop()
        while not done():
            if time.perf_counter() - started > TIMEOUT_S:
                raise TimeoutError("the window did not answer in time")
            loop.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, TICK_MS)
        self._timer.stop()


def measure(window: MainWindow, watch: Watch, repeat: int) -> dict[str, Any]:
    bar = window.filter_bar

    def settled() -> bool:
        return not window.tasks.busy and not window.sessions.loading

    def timed(search: SessionFilter) -> tuple[float, float]:
        bar.set_filter(SessionFilter())
        watch.until(settled)
        start = time.perf_counter()
        bar.set_filter(search)
        watch.until(settled)
        return time.perf_counter() - start, watch.stall

    report: dict[str, Any] = {}
    cases = {text: SessionFilter((parse_filter(text),)) for text in CONDITIONS}
    cases[" ".join(COMBINATION)] = parse_filters(COMBINATION)
    for label, search in cases.items():
        runs = [timed(search) for _ in range(repeat)]
        report[label] = {"filter_ms": round(statistics.median(r[0] for r in runs) * 1000, 1),
                         "gui_stall_ms": round(max(r[1] for r in runs) * 1000, 1),
                         "matches": window.sessions.total}
    bar.set_filter(SessionFilter())
    watch.until(settled)
    choices = {}
    for key in ("browser", "country", "event"):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            editor = bar.add_kind(KIND_BY_KEY[key])
            assert editor is not None
            watch.until(lambda: not window.tasks.busy)
            times.append(time.perf_counter() - start)
            editor.close()
        choices[key] = round(statistics.median(times) * 1000, 1)
    repaints = []
    for _ in range(repeat):
        start = time.perf_counter()
        window.grab()
        repaints.append(time.perf_counter() - start)
    return {"conditions": report, "choices_ms": choices,
            "repaint_ms": round(statistics.median(repaints) * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="keep the cache in this file and reuse it")
    args = parser.parse_args()
    application = QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        cache_file = args.cache or Path(folder) / "bench.sqlite3"
        cache = Cache(cache_file)
        report: dict[str, Any] = {}
        try:
            if not contents(cache)["session"]:
                report.update(fill(cache, args.sessions, args.events))
            report.update(contents(cache))
        finally:
            cache.close()
        window = MainWindow(str(cache_file), tokens=TokenStore(Path(folder) / "tokens.json"),
                            demo_folder=Path(folder) / "demo")
        window.show()
        watch = Watch()
        window.start()
        watch.until(lambda: window.browsing and not window.tasks.busy
                    and not window.sessions.loading)
        report.update(measure(window, watch, args.repeat))
        window.close()
    application.quit()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
