"""Session list latency on a large cache, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_session_list.py [--sessions N] [--repeat N]
                                                            [--cache FILE]

Fills a temporary SQLite cache with ``--sessions`` synthetic sessions (100,000 by default;
``--cache`` keeps and reuses a file, which skips the ~10 s fill on later runs), then reports
medians of ``--repeat`` runs, in milliseconds:

* ``query``: the worker's side — count plus first page for the default order, for every sort
  column and for a few filters, and a page from the middle of the list;
* ``model``: what a user waits for — from asking the Qt model for a new order or filter to
  the rows being there, through the worker thread and the signal back (a filter includes
  the model's 200 ms pause for typing);
* ``gui_page_ms``: GUI-thread time to format one page of rows (every cell's display text).

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.cache.queries import SORT_COLUMNS, SessionQuery, count_sessions  # noqa: E402
from app.ui.session_model import (  # noqa: E402
    COLUMN_OF_SORT,
    COLUMNS,
    SessionTableModel,
    load_first_page,
    load_page,
)
from app.ui.tasks import TaskManager  # noqa: E402
from tests.benchmarks.timing import median_ms  # noqa: E402
from tests.ui.synthetic_sessions import add_sessions  # noqa: E402

FILTERS = ("pricing", "visitor-000123", "synthetic-99999", "no-such-text")
MODEL_TIMEOUT_MS = 60_000


def ensure_sessions(cache: Cache, wanted: int) -> dict[str, Any]:
    with cache.read_session() as session:
        present = count_sessions(session)
    start = time.perf_counter()
    if present < wanted:
        add_sessions(cache, wanted - present, project=f"Bench{present}")
    return {"sessions": max(present, wanted), "fill_s": round(time.perf_counter() - start, 1)}


def query_latency(cache: Cache, total: int, repeat: int) -> dict[str, Any]:
    return {
        "first_page_ms": median_ms(lambda: load_first_page(cache, SessionQuery()), repeat),
        "sort_ms": {key: median_ms(lambda key=key: load_first_page(
                        cache, SessionQuery(sort=key, descending=False)), repeat)
                    for key in SORT_COLUMNS},
        "filter_ms": {text: median_ms(lambda text=text: load_first_page(
                          cache, SessionQuery(text=text)), repeat)
                      for text in FILTERS},
        "middle_page_ms": median_ms(lambda: load_page(cache, SessionQuery(), total // 2), repeat),
    }


def model_latency(cache_file: Path, repeat: int) -> dict[str, Any]:
    """Time from a model request to its rows, with the real worker thread in between."""
    QCoreApplication.instance() or QCoreApplication([])
    tasks = TaskManager()
    opened: list[object] = []
    tasks.open_cache(str(cache_file), opened.append, opened.append)
    model = SessionTableModel(tasks)

    def wait(condition: Callable[[], bool]) -> None:
        loop = QEventLoop()
        poll = QTimer(interval=1)
        poll.timeout.connect(lambda: condition() and loop.quit())
        poll.start()
        QTimer.singleShot(MODEL_TIMEOUT_MS, loop.quit)
        loop.exec()
        poll.stop()
        if not condition():
            raise TimeoutError("the model did not answer in time")

    def settled() -> bool:
        return not model.loading and not tasks.busy

    def timed(change: Callable[[], None], done: Callable[[], bool] = settled) -> float:
        start = time.perf_counter()
        change()
        wait(done)
        return time.perf_counter() - start

    wait(lambda: bool(opened))
    first = timed(model.refresh)
    orders = (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder)
    sorts = [timed(lambda order=order: model.sort(COLUMN_OF_SORT["duration"], order))
             for order in orders * repeat]
    render = median_ms(lambda: [column.text(model.session_at(row))
                                for row in range(model.rowCount()) for column in COLUMNS],
                       repeat)
    filters = [timed(lambda text=text: model.set_filter_text(text),
                     lambda text=text: model.query.text == text and settled())
               for text in FILTERS[:2] * repeat]
    tasks.shutdown()
    return {"first_rows_ms": round(first * 1000, 1),
            "sort_ms": round(statistics.median(sorts) * 1000, 1),
            "filter_ms": round(statistics.median(filters) * 1000, 1),
            "gui_page_ms": render}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="keep the cache in this file and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache_file = args.cache or Path(folder) / "bench.sqlite3"
        cache = Cache(cache_file)
        try:
            report = ensure_sessions(cache, args.sessions)
            report["query"] = query_latency(cache, report["sessions"], args.repeat)
        finally:
            cache.close()
        report["model"] = model_latency(cache_file, args.repeat)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
