"""Session filter latency on a large cache, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_filters.py [--sessions N] [--events N]
                                                       [--repeat N] [--cache FILE]

Fills a temporary SQLite cache with ``--sessions`` generated sessions (100,000 by default)
holding ``--events`` indexed events between them (5,000,000 by default), with the mix a shop
sees: a few pages each, clicks and inputs in most sessions, network entries in some, errors
in ~9 %, rage clicks in ~4 %, custom events in ~30 % (one of them in 1 %). ``--cache`` keeps
and reuses the file, which skips the fill (a few minutes) on later runs.

Reports medians of ``--repeat`` runs, in milliseconds, of what the session list waits for
on its worker: the count of matching sessions plus the first page of 200 (as
`app.ui.session_model.load_first_page` runs them), for every kind of filter and for
combinations of three. ``alternatives`` times what search/clauses.py and search/urls.py
chose between: counts and first pages of event filters written as IN and as EXISTS, "has
errors" read off `session.error_count`, and a URL rule through ``json_each`` instead of
`session.page_keys`.

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.cache.models import Event, RecordedSession, Visitor  # noqa: E402
from app.core.cache.queries import SessionQuery, count_sessions, list_sessions  # noqa: E402
from app.core.cache.writing import get_or_create_project, now_ms  # noqa: E402
from app.core.search import clauses  # noqa: E402
from app.core.search.grammar import parse_filters  # noqa: E402
from app.core.search.urls import page_keys  # noqa: E402
from tests.benchmarks.timing import median_ms  # noqa: E402

PAGE_SIZE = 200
FIRST_START_MS = 1_735_689_600_000  # 2025-01-01, then one session a minute
HOST = "https://shop.example"
PAGES = ("/", "/pricing", "/cart", "/checkout", "/checkout/payment", "/search", "/help/faq",
         "/blog/how-we-replay-sessions", "/account/settings", "/product/{}")
DEVICES = (("desktop", ("Windows", "Mac OS X", "Linux"), ("Chrome", "Firefox", "Edge", "Safari")),
           ("mobile", ("iOS", "Android"), ("Mobile Safari", "Chrome Mobile",
                                           "Samsung Internet")),
           ("tablet", ("iOS", "Android"), ("Mobile Safari", "Chrome")))
COUNTRIES = ("US", "US", "US", "DE", "DE", "GB", "FR", "CZ", "IN", "BR", "JP", "CA", "ES", "PL")
FIRST_NAMES = ("Anna", "Maria", "John", "Wei", "Fatima", "Lukas", "Sofia", "Noah", "Yuki",
               "Olga", "Pedro", "Emma")
CUSTOM_EVENTS = ("add_to_cart", "add_to_cart", "add_to_cart", "search", "search",
                 "video_played", "checkout_started", "signup")
RARE_CUSTOM_EVENT = "refund_requested"  # sent in 1 % of sessions
SESSIONS_PER_VISITOR = 4


def fill(cache: Cache, sessions: int, events: int) -> dict[str, Any]:
    """Add generated sessions and events, straight through the DBAPI (the ORM would take
    many minutes for five million rows)."""
    started = time.perf_counter()
    with cache.session() as session:
        project_id = get_or_create_project(session, "Acme", "Shop").id
    rng = random.Random(5)
    added = now_ms()
    base, spread = events // sessions, 40
    connection = cache.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.executemany(
            "INSERT INTO visitor (id, project_id, uid, name, email, properties) "
            "VALUES (?, ?, ?, ?, ?, '{}')", _visitors(rng, project_id, sessions))
        written = 0
        for first in range(0, sessions, 5_000):
            rows, event_rows = [], []
            for n in range(first, min(first + 5_000, sessions)):
                count = max(5, base + (n * 7_919) % (2 * spread + 1) - spread)
                if n == sessions - 1:
                    count = max(1, events - written)
                session_row, session_events = _session(rng, n, project_id, added, count)
                rows.append(session_row)
                event_rows.extend(session_events)
                written += len(session_events)
            cursor.executemany(f"INSERT INTO session ({', '.join(SESSION_COLUMNS)}) VALUES "
                               f"({', '.join('?' * len(SESSION_COLUMNS))})", rows)
            cursor.executemany(f"INSERT INTO event ({', '.join(EVENT_COLUMNS)}) VALUES "
                               f"({', '.join('?' * len(EVENT_COLUMNS))})", event_rows)
        connection.commit()
    finally:
        connection.close()
    return {"fill_s": round(time.perf_counter() - started, 1)}


SESSION_COLUMNS = ("id", "project_id", "visitor_id", "start_ms", "end_ms", "duration_ms",
                   "active_ms", "pages", "page_keys", "page_count", "landing_page", "exit_page",
                   "device_type", "os", "browser", "viewport_width", "viewport_height",
                   "country", "event_count", "click_count", "input_count", "error_count",
                   "source", "window_ids", "raw_size", "stored_size", "added_ms",
                   "events_version")
EVENT_COLUMNS = ("session_id", "ts_ms", "kind", "name", "url", "selector", "text")


def _visitors(rng: random.Random, project_id: int,
              sessions: int) -> Iterator[tuple[Any, ...]]:
    for v in range(sessions // SESSIONS_PER_VISITOR + 1):
        if v % 3:  # two in three stay anonymous
            yield v + 1, project_id, f"anon-{v:07}", None, None
        else:
            first = rng.choice(FIRST_NAMES)
            yield (v + 1, project_id, f"user-{v:07}", f"{first} Tester{v}",
                   f"{first.lower()}.{v}@mail.example")


def _session(rng: random.Random, n: int, project_id: int, added_ms: int,
             count: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    session_id = f"{n:032x}"
    pages = []
    for _ in range(1 + rng.randrange(5)):
        page = HOST + rng.choice(PAGES).format(rng.randrange(1_000))
        if rng.random() < 0.2:
            page += f"?utm_source=ad{rng.randrange(10)}"
        pages.append(page)
    start = FIRST_START_MS + n * 60_000
    duration = 1_000 + (n * 7_919) % 3_600_000
    device, systems, browsers = DEVICES[n % len(DEVICES)]
    kinds = ["pageview"] * len(pages)
    kinds += ["error"] * (rng.randrange(1, 4) if rng.random() < 0.09 else 0)
    kinds += ["rage_click"] * (rng.random() < 0.04) + ["dead_click"] * (rng.random() < 0.1)
    kinds += ["custom"] * (rng.randrange(1, 4) if rng.random() < 0.3 else 0)
    kinds += [f"custom:{RARE_CUSTOM_EVENT}"] * (rng.random() < 0.01)
    kinds += ["identify"] * (rng.random() < 0.2)
    networked = rng.random() < 0.4
    while len(kinds) < count:
        roll = rng.random()
        kinds.append("network" if networked and roll < 0.3 else "click" if roll < 0.7
                     else "input" if roll < 0.92 else "submit" if roll < 0.97 else "dblclick")
    events = []
    for position, named_kind in enumerate(kinds[:count]):
        kind, _, name = named_kind.partition(":")
        clicked = kind in ("click", "dblclick", "rage_click", "dead_click")
        if not name:
            name = rng.choice(CUSTOM_EVENTS) if kind == "custom" \
                else "TypeError: cart is undefined" if kind == "error" else None
        target = rng.randrange(40)
        events.append((session_id, start + duration * position // count, kind, name,
                       pages[position * len(pages) // count],
                       f"button.cta-{target}" if clicked else None,
                       f"Buy {target}" if clicked else None))
    row = (session_id, project_id, n // SESSIONS_PER_VISITOR + 1, start, start + duration,
           duration, duration // 2, json.dumps(pages), page_keys(pages), len(pages), pages[0],
           pages[-1], device, rng.choice(systems), rng.choice(browsers), 1440, 900,
           rng.choice(COUNTRIES), len(events), kinds.count("click"), kinds.count("input"),
           kinds.count("error"), f"generated-{n}.json", "[]", 50_000, 5_000, added_ms, 1)
    return row, events


def first_page(cache: Cache, query: SessionQuery) -> tuple[int, int]:
    """Count and first page, as the session list's worker loads them."""
    with cache.read_session() as session:
        return count_sessions(session, query), len(list_sessions(session, query, 0, PAGE_SIZE))


FILTERS: dict[str, list[str]] = {
    "none": [],
    "after": ["after=2025-02-28T00:00Z"],
    "after+before (one week)": ["after=2025-02-01T00:00Z", "before=2025-02-08T00:00Z"],
    "duration>=60": ["duration>=60"],
    "duration>=55m": ["duration>=55m"],
    "url=/checkout (simple)": ["url=/checkout"],
    "url=shop.example/cart (simple)": ["url=shop.example/cart"],
    "url==https://shop.example/pricing?utm_source=ad3": [
        "url==https://shop.example/pricing?utm_source=ad3"],
    "url~utm_source=ad3": ["url~utm_source=ad3"],
    "event=click": ["event=click"],
    "event=dead_click": ["event=dead_click"],
    "event=identify": ["event=identify"],
    "event=custom:add_to_cart": ["event=custom:add_to_cart"],
    "event=custom:signup": ["event=custom:signup"],
    "event=custom:refund_requested": ["event=custom:refund_requested"],
    "has=errors": ["has=errors"],
    "has=rage_clicks": ["has=rage_clicks"],
    "device=mobile": ["device=mobile"],
    "os=iOS": ["os=iOS"],
    "browser=Firefox,Edge": ["browser=Firefox,Edge"],
    "country=CZ": ["country=CZ"],
    "visitor~maria": ["visitor~maria"],
    "visitor~user-0012345": ["visitor~user-0012345"],
    "url~/checkout device=mobile event=rage_click": [
        "url~/checkout", "device=mobile", "event=rage_click"],
    "device=mobile duration>=60 has=errors": ["device=mobile", "duration>=60", "has=errors"],
    "country=CZ browser=Firefox visitor~maria": ["country=CZ", "browser=Firefox",
                                                 "visitor~maria"],
    "after duration>=10m event=custom:signup": ["after=2025-02-28T00:00Z", "duration>=10m",
                                                "event=custom:signup"],
}


def latency(cache: Cache, repeat: int) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for label, texts in FILTERS.items():
        query = SessionQuery(filter=parse_filters(texts))
        matches = first_page(cache, query)[0]
        report[label] = {"ms": median_ms(lambda query=query: first_page(cache, query), repeat),
                         "matches": matches}
    return report


def alternatives(cache: Cache, repeat: int) -> dict[str, Any]:
    report: dict[str, Any] = {}
    chosen = clauses.COUNT_IN_LIMIT, clauses.PAGE_IN_LIMIT
    for texts in (["event=click"], ["event=submit"], ["event=custom:add_to_cart"],
                  ["has=errors"], ["has=rage_clicks"], ["event=custom:refund_requested"]):
        query = SessionQuery(filter=parse_filters(texts))
        timings = {}
        for way, limit in (("in", 10**12), ("exists", -1)):
            clauses.COUNT_IN_LIMIT = clauses.PAGE_IN_LIMIT = limit
            with cache.read_session() as session:
                timings[f"count {way}"] = median_ms(
                    lambda query=query: count_sessions(session, query), repeat)
                timings[f"page {way}"] = median_ms(
                    lambda query=query: list_sessions(session, query, 0, PAGE_SIZE), repeat)
        clauses.COUNT_IN_LIMIT, clauses.PAGE_IN_LIMIT = chosen
        report[texts[0]] = timings
    with cache.read_session() as session:
        report["error_count > 0 (count only)"] = median_ms(lambda: session.scalar(
            select(func.count()).where(RecordedSession.error_count > 0)), repeat)
        report["json_each page path = /checkout (count only)"] = median_ms(
            lambda: session.scalar(text(
                "SELECT count(*) FROM session WHERE EXISTS (SELECT 1 FROM json_each(pages) "
                "WHERE value LIKE '%://%/checkout' OR value LIKE '%://%/checkout?%')")), repeat)
    return report


def contents(cache: Cache) -> dict[str, int]:
    with cache.read_session() as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                or 0 for table in (RecordedSession, Event, Visitor)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="keep the cache in this file and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache_file = args.cache or Path(folder) / "bench.sqlite3"
        cache = Cache(cache_file)
        try:
            report: dict[str, Any] = {}
            if not contents(cache)["session"]:
                report.update(fill(cache, args.sessions, args.events))
            report.update(contents(cache))
            report["cache_mb"] = round(cache_file.stat().st_size / 1e6)
            report["first_page_ms"] = latency(cache, args.repeat)
            report["alternatives"] = alternatives(cache, args.repeat)
        finally:
            cache.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
