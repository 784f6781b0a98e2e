"""Defining an event over a large cache, and filtering the session list by it.

    .venv/bin/python tests/benchmarks/bench_defined_events.py [--sessions N] [--events N]
                                                              [--cache FILE]

Fills a cache as bench_filters.py does (100,000 sessions, 5,000,000 indexed events by
default; ``--cache`` keeps and reuses it), gives every click an element path like the one
extraction stores (so selector rules have something to match), then times `define_event`
for a URL rule (pageviews), a text rule and a CSS selector rule (clicks): the one
transaction that finds the event in all cached history. Then the session list's first page
(count + 200 rows) filtered by each defined event. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.cache.queries import SessionQuery  # noqa: E402
from app.core.definitions.rules import DefinitionRule  # noqa: E402
from app.core.definitions.store import define_event, delete_definition  # noqa: E402
from app.core.search.grammar import parse_filters  # noqa: E402
from tests.benchmarks.bench_filters import contents, fill, first_page  # noqa: E402
from tests.benchmarks.timing import median_ms  # noqa: E402

RULES = {
    "url /checkout (pageviews)": DefinitionRule(url="/checkout"),
    "text 'Buy 7' (clicks)": DefinitionRule(text="Buy 7"),
    "selector '#main .cta-7' (clicks)": DefinitionRule(selector="#main .cta-7"),
}
# What extraction keeps for a click (targets.element_path), made from the generated selector.
PATH_SQL = """
UPDATE event SET properties = json_object('path', json_array(
    json_array('button', json_object('class', 'btn ' || substr(selector, 8))),
    json_array('section', json_object('id', 'main'))))
WHERE kind IN ('click', 'dblclick') AND selector IS NOT NULL AND properties IS NULL
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--cache", type=Path, help="keep the cache in this file and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache = Cache(args.cache or Path(folder) / "bench.sqlite3")
        try:
            report: dict[str, Any] = {}
            if not contents(cache)["session"]:
                report.update(fill(cache, args.sessions, args.events))
            with cache.session() as session:
                session.execute(text(PATH_SQL))
            report.update(contents(cache))
            report["define"] = {}
            report["filter_first_page_ms"] = {}
            for number, (label, rule) in enumerate(RULES.items()):
                name = f"bench {number}"
                started = time.perf_counter()
                info = define_event(cache, name, rule)
                report["define"][label] = {
                    "seconds": round(time.perf_counter() - started, 2), "hits": info.hits,
                    "sessions": info.sessions}
                query = SessionQuery(filter=parse_filters([f"event=defined:{name}"]))
                report["filter_first_page_ms"][label] = median_ms(
                    lambda query=query: first_page(cache, query), 5)
                delete_definition(cache, name)
        finally:
            cache.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
