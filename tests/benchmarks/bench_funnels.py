"""A five-step funnel over 1,000,000 sessions (10,000,000 events): in the database, both ways
SQLite counts it, and as a naive loop.

    .venv/bin/python tests/benchmarks/bench_funnels.py [--sessions N] [--repeat N]
                                                       [--cache FILE]

Builds (once; a few minutes) a cache of generated sessions, ~10 events each, where a shop's
funnel happens with falling odds: a pricing page, a custom ``add_to_cart``, the cart page
(through an event defined by its URL), a click on a "Checkout" button, a custom
``purchase``. Half of the visitors come back an hour later, so some funnels cross sessions;
one session in ten has no visitor; some sessions add to the cart before they see the prices
(out of order), some see the prices twice (repeated steps). Noise around them: other pages,
clicks on other buttons, inputs, network requests, other custom events. The file is kept
under the system's temporary folder, named by `BUILD_VERSION` and the size (or --cache).

Then times `compute_funnel` (per visitor, one day window; the median of --repeat runs) with
the compiled aggregate, and with the SQL levels alone (PostgreSQL's way, and SQLite's where
the aggregate was not built); the first actors behind a bar's drop-off, and the counts by
device type, both ways; and a naive per-visitor Python loop over every event of the same
funnel (read from the database in visitor order, matched and walked in Python). Asserts all
of them agree, and prints one JSON object with the figures and their ratios.

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.cache.models import DefinedEventHit, Event, RecordedSession  # noqa: E402
from app.core.cache.writing import get_or_create_project, now_ms  # noqa: E402
from app.core.definitions.rules import DefinitionRule  # noqa: E402
from app.core.definitions.store import define_event, find_definition  # noqa: E402
from app.core.funnels import window_funnel  # noqa: E402
from app.core.funnels.compute import compute_funnel, funnel_actors  # noqa: E402
from app.core.funnels.results import Breakdown, FunnelQuery  # noqa: E402
from app.core.funnels.steps import (  # noqa: E402
    ClickStep,
    CustomEventStep,
    DefinedEventStep,
    Funnel,
    PageviewStep,
    Step,
    parse_step,
)
from app.core.search.urls import url_matches  # noqa: E402

ACTORS_SHOWN = 500  # listed behind a bar in the window (app/ui/funnels/view.py)
BUILD_VERSION = 2  # bump when the generated data changes (2: browser and OS were swapped)
FIRST_START_MS = 1_735_689_600_000  # 2025-01-01
HOST = "https://shop.example"
NOISE_PAGES = ("/", "/search", "/help/faq", "/blog/how-we-replay-sessions", "/account",
               "/product/{}")
NOISE_EVENTS = ("search", "video_played", "newsletter_opened")
DEVICES = (("desktop", ("Chrome", "Firefox", "Edge", "Safari")),
           ("mobile", ("Mobile Safari", "Chrome Mobile")),
           ("tablet", ("Mobile Safari", "Chrome")))
DEFINED = "Opened cart"
CART = HOST + "/cart"
SESSION_COLUMNS = ("id", "project_id", "visitor_id", "start_ms", "end_ms", "duration_ms",
                   "active_ms", "pages", "page_keys", "page_count", "landing_page", "exit_page",
                   "device_type", "os", "browser", "country", "event_count", "click_count",
                   "input_count", "error_count", "source", "window_ids", "raw_size",
                   "stored_size", "added_ms", "events_version", "points_version")
EVENT_COLUMNS = ("session_id", "ts_ms", "kind", "name", "url", "properties", "selector", "text",
                 "visitor_id")


def build(cache: Cache, sessions: int) -> dict[str, Any]:
    """Fill an empty cache straight through the DBAPI (the ORM would take an hour)."""
    started = time.perf_counter()
    with cache.session() as session:
        project_id = get_or_create_project(session, "Acme", "Shop").id
    rng = random.Random(7)
    added = now_ms()
    connection = cache.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.executemany("INSERT INTO visitor (id, project_id, uid, properties) "
                           "VALUES (?, ?, ?, '{}')",
                           ((v, project_id, f"anon-{v:07}") for v in range(1, sessions // 2 + 2)))
        for first in range(0, sessions, 10_000):
            rows, events = [], []
            for n in range(first, min(first + 10_000, sessions)):
                row, made = _session(rng, n, project_id, added)
                rows.append(row)
                events.extend(made)
            cursor.executemany(f"INSERT INTO session ({', '.join(SESSION_COLUMNS)}) VALUES "
                               f"({', '.join('?' * len(SESSION_COLUMNS))})", rows)
            cursor.executemany(f"INSERT INTO event ({', '.join(EVENT_COLUMNS)}) VALUES "
                               f"({', '.join('?' * len(EVENT_COLUMNS))})", events)
        connection.commit()
    finally:
        connection.close()
    filled = time.perf_counter()
    define_event(cache, DEFINED, DefinitionRule(url="/cart"))
    return {"fill_s": round(filled - started, 1),
            "define_s": round(time.perf_counter() - filled, 1)}


def _session(rng: random.Random, n: int, project_id: int,
             added_ms: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    session_id = f"{n:032x}"
    # Sessions 2k and 2k+1 are one visitor's, an hour apart; one session in ten is anonymous.
    visitor = None if n % 10 == 9 else n // 2 + 1
    start = FIRST_START_MS + (n // 2) * 60_000 + (n % 2) * 3_600_000
    duration = rng.randrange(60_000, 1_200_000)
    steps: list[tuple[str, str | None, str | None, str | None, str | None]] = []
    if rng.random() < 0.05:  # out of order: into the cart before seeing the prices
        steps.append(("custom", "add_to_cart", None, '{"plan": "basic"}', None))
    # Each step with some chance after the one before, and now and then on its own.
    went_on = rng.random() < 0.4
    if went_on:
        pricing = HOST + "/pricing" + (f"?utm_source=ad{rng.randrange(5)}"
                                       if rng.random() < 0.3 else "")
        steps.append(("pageview", pricing, pricing, None, None))
        if rng.random() < 0.2:  # a second look at the prices
            steps.append(("pageview", pricing, pricing, None, None))
    for odds, alone, step in ((0.6, 0.02, ("custom", "add_to_cart", None, None, None)),
                              (0.6, 0.03, ("pageview", CART, CART, None, None)),
                              (0.6, 0.01, ("click", None, None, None, "Checkout")),
                              (0.5, 0.002, ("custom", "purchase", None, '{"total": 49}', None))):
        went_on = rng.random() < (odds if went_on else alone)
        if went_on:
            if step[1] == "add_to_cart":
                plan = "pro" if rng.random() < 0.3 else "basic"
                step = (*step[:3], f'{{"plan": "{plan}"}}', None)
            steps.append(step)
    count = max(len(steps) + 2, rng.randrange(5, 16))
    offsets = sorted(rng.randrange(duration) for _ in range(count))
    landing = HOST + rng.choice(NOISE_PAGES).format(rng.randrange(500))
    at_step = set(rng.sample(range(1, count), len(steps)))
    pages, events, step = [landing], [], 0
    url = landing
    for position, offset in enumerate(offsets):
        if position == 0:
            kind, name, page, properties, text = "pageview", landing, landing, None, None
        elif position in at_step:
            kind, name, page, properties, text = steps[step]
            step += 1
        else:
            roll = rng.random()
            if roll < 0.15:
                page = HOST + rng.choice(NOISE_PAGES).format(rng.randrange(500))
                kind, name, properties, text = "pageview", page, None, None
            elif roll < 0.55:
                kind, name, page, properties = "click", None, None, None
                text = f"Buy {rng.randrange(40)}"
            elif roll < 0.7:
                kind, name, page, properties, text = "input", "email", None, None, "****"
            elif roll < 0.9:
                kind, name, page, properties, text = "network", None, None, None, None
            else:
                kind, name, page = "custom", rng.choice(NOISE_EVENTS), None
                properties, text = None, None
        if kind == "pageview":
            url = page
            pages.append(page)
        events.append((session_id, start + offset, kind, name, url, properties,
                       "button.checkout" if text == "Checkout" else
                       "button.buy" if kind == "click" else None, text, visitor))
    device, browsers = DEVICES[n % len(DEVICES)]
    row = (session_id, project_id, visitor, start, start + duration, duration, duration // 2,
           json.dumps(pages), "", len(pages), pages[0], pages[-1], device, "Linux",
           rng.choice(browsers), "US", len(events), 0, 0, 0, f"generated-{n}",
           "[]", 10_000, 1_000, added_ms, 1_000_000, 1_000_000)
    return row, events


def open_bench_cache(path: Path | None, sessions: int) -> tuple[Cache, dict[str, Any]]:
    """The generated cache, built first if the file does not hold it yet."""
    if path is None:
        folder = Path(tempfile.gettempdir()) / "tapeview-bench"
        path = folder / f"funnels-v{BUILD_VERSION}-{sessions}.sqlite3"
    cache = Cache(path)
    with cache.read_session() as session:
        built = find_definition(session, DEFINED) is not None
    report: dict[str, Any] = {"cache": str(path)}
    if not built:
        if _count(cache, RecordedSession):
            raise SystemExit(f"{path} holds a half-built cache: delete it and run again")
        report["build"] = build(cache, sessions)
    report["sessions"] = _count(cache, RecordedSession)
    report["events"] = _count(cache, Event)
    return cache, report


def _count(cache: Cache, table: type[Any]) -> int:
    with cache.read_session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


FUNNEL = Funnel(tuple(parse_step(text) for text in (
    "pageview:/pricing", "event:add_to_cart", f"defined:{DEFINED}", "click-text:checkout",
    "event:purchase")), window_ms=86_400_000, by="visitor")


def in_database(cache: Cache, *, aggregate: bool, dropped_at: int | None = None,
                breakdown: Breakdown | None = None) -> Any:
    """The funnel's counts by `compute_funnel`, with the compiled aggregate or without (and
    with `breakdown`, the groups'); with `dropped_at`, the first actors listed behind that
    step's drop-off instead (a click on the bar's pale part in the window)."""
    with cache.read_session() as session:
        if not window_funnel.loaded(session.connection()):
            raise SystemExit("window_funnel.c was not built: reinstall with gcc and "
                             "libsqlite3-dev")
        info = session.connection().connection.info
        info[window_funnel.INFO_KEY] = aggregate  # loaded, and used or not
        try:
            if dropped_at is not None:
                return [(actor.session_id, actor.ts_ms) for actor in funnel_actors(
                    session, FunnelQuery(FUNNEL), dropped_at, dropped=True, limit=ACTORS_SHOWN)]
            result = compute_funnel(session, FunnelQuery(FUNNEL), breakdown)
            if breakdown is not None:
                return [(group.value, group.actors) for group in result.groups]
            return [step.actors for step in result.steps]
        finally:
            info[window_funnel.INFO_KEY] = True


def naive_counts(cache: Cache, funnel: Funnel) -> list[int]:
    """The same funnel as a plain loop: every event read in (session, time) order, matched
    against the steps in Python, gathered per visitor, and each visitor's chain walked from
    every start."""
    steps = funnel.steps
    with cache.read_session() as session:
        actor_of = {sid: f"v{visitor}" if visitor is not None else f"s{sid}"
                    for sid, visitor in session.execute(
                        select(RecordedSession.id, RecordedSession.visitor_id))}
        defined_hits = {step.name: set(session.scalars(
            select(DefinedEventHit.event_id).where(
                DefinedEventHit.defined_event_id == find_definition(session, step.name).id)))
            for step in steps if isinstance(step, DefinedEventStep)}
    per_actor: dict[str, list[tuple[int, int, tuple[int, ...]]]] = {}
    connection = cache.engine.raw_connection()
    try:
        rows = connection.cursor().execute(
            "SELECT id, session_id, ts_ms, kind, name, text, properties FROM event "
            "ORDER BY session_id, ts_ms")
        for event_id, sid, ts, kind, name, text, properties in rows:
            matched = tuple(n for n, step in enumerate(steps) if _matches(
                step, event_id, kind, name, text, properties, defined_hits))
            if matched:
                per_actor.setdefault(actor_of[sid], []).append((ts, event_id, matched))
    finally:
        connection.close()
    reached = [0] * len(steps)
    for events in per_actor.values():
        events.sort()
        best = 0
        for first, (start_ts, _id, matched) in enumerate(events):
            if 0 not in matched:
                continue
            got = 1
            for ts, _id, later in events[first + 1:]:
                if ts - start_ts > funnel.window_ms or got == len(steps):
                    break
                if got in later:
                    got += 1
            best = max(best, got)
        for step in range(best):
            reached[step] += 1
    return reached


def _matches(step: Step, event_id: int, kind: str, name: str | None, text: str | None,
             properties: str | None, defined_hits: dict[str, set[int]]) -> bool:
    match step:
        case PageviewStep(url, rule):
            return kind == "pageview" and name is not None and url_matches(rule, url, name)
        case ClickStep(None, wanted, "exact") if wanted is not None:
            return kind == "click" and text is not None \
                and " ".join(text.split()).casefold() == wanted.casefold()
        case CustomEventStep(wanted, wanted_properties):
            if kind != "custom" or name != wanted:
                return False
            values = json.loads(properties) if properties else {}
            return all(str(values.get(key)) == value for key, value in wanted_properties)
        case DefinedEventStep(defined):
            return event_id in defined_hits[defined]
    raise NotImplementedError(f"the naive loop does not match {step.label()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="build and reuse the cache in this file")
    args = parser.parse_args()
    cache, report = open_bench_cache(args.cache, args.sessions)
    try:
        report["funnel"] = [step.label() for step in FUNNEL.steps]
        medians = {}
        for way, aggregate in (("aggregate", True), ("sql_levels", False)):
            times, counts = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                counts = in_database(cache, aggregate=aggregate)
                times.append(time.perf_counter() - started)
            medians[way] = statistics.median(times)
            report[way] = {"counts": counts, "median_s": round(medians[way], 3),
                           "runs_s": [round(t, 3) for t in times]}
        assert report["aggregate"]["counts"] == report["sql_levels"]["counts"], report
        listed = {}
        for way, aggregate in (("aggregate", True), ("sql_levels", False)):
            started = time.perf_counter()
            listed[way] = in_database(cache, aggregate=aggregate, dropped_at=1)
            report[way]["dropped_at_step_2_s"] = round(time.perf_counter() - started, 3)
        assert listed["aggregate"] == listed["sql_levels"]
        for way, aggregate in (("aggregate", True), ("sql_levels", False)):
            started = time.perf_counter()
            listed[way] = in_database(cache, aggregate=aggregate, breakdown="device")
            report[way]["breakdown_by_device_s"] = round(time.perf_counter() - started, 3)
        assert listed["aggregate"] == listed["sql_levels"]
        started = time.perf_counter()
        naive = naive_counts(cache, FUNNEL)
        naive_s = time.perf_counter() - started
        report["naive_loop"] = {"counts": naive, "s": round(naive_s, 2)}
        assert naive == report["aggregate"]["counts"], (naive, report)
        report["naive_over_aggregate"] = round(naive_s / medians["aggregate"], 1)
        report["sql_levels_over_aggregate"] = round(
            medians["sql_levels"] / medians["aggregate"], 1)
        report["target_s"] = 1.0
    finally:
        cache.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
