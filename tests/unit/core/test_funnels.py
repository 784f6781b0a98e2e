"""Funnels counted over a constructed event set, against counts worked out by hand:
out-of-order and repeated steps, a window exceeded, a visitor crossing sessions, a session
without a visitor; breakdowns, the actors behind a bar, saved funnels and the CSV. Counts
are checked both ways SQLite counts them: by the compiled aggregate, and by the SQL levels
(PostgreSQL's way, and SQLite's where the aggregate was not built)."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.core.cache.database import Cache
from app.core.cache.models import Event, RecordedSession
from app.core.cache.writing import get_or_create_project, get_or_create_visitor
from app.core.definitions.rules import DefinitionRule
from app.core.definitions.store import define_event
from app.core.funnels import window_funnel
from app.core.funnels.compute import compute_funnel, funnel_actors
from app.core.funnels.export import write_funnel_csv
from app.core.funnels.results import FunnelQuery
from app.core.funnels.steps import (
    ClickStep,
    CustomEventStep,
    Funnel,
    FunnelError,
    PageviewStep,
    parse_step,
    parse_window,
    step_text,
)
from app.core.funnels.store import (
    delete_funnel,
    find_funnel,
    list_funnels,
    rename_funnel,
    save_funnel,
)
from app.core.search.conditions import AttributeIs, SessionFilter
from app.core.search.urls import page_keys

T0 = 1_740_000_000_000
S = 1_000
PAGE_A = "https://shop.example/a?ref=x"
GO_PATH = {"path": [["button", {"class": "go"}], ["form", {"id": "pay"}]]}


@dataclass
class Made:
    """A session: its id, visitor (None: anonymous), start, device, and events as
    (seconds after T0, kind, name, text, properties)."""

    id: str
    visitor: str | None
    start_s: float
    device: str
    events: list[tuple[float, str, str | None, str | None, dict[str, Any] | None]] = \
        field(default_factory=list)


def a(at: float) -> tuple[float, str, str | None, str | None, dict[str, Any] | None]:
    return at, "pageview", PAGE_A, None, None


def b(at: float, plan: str = "basic") -> tuple[float, str, str | None, str | None,
                                               dict[str, Any] | None]:
    return at, "custom", "b", None, {"plan": plan, "total": 49}


def c(at: float) -> tuple[float, str, str | None, str | None, dict[str, Any] | None]:
    return at, "click", None, "  Go ", GO_PATH


def noise(at: float) -> tuple[float, str, str | None, str | None, dict[str, Any] | None]:
    return at, "click", None, "Other", None


# Funnel A -> B -> C (pageview /a, custom b, click "go"), one minute window. By visitor:
SESSIONS = [
    Made("s1", "V1", 0, "desktop", [a(0), noise(5), b(10, "pro"), c(20)]),  # all three
    Made("s2", "V2", 1000, "mobile", [b(1000), a(1010), c(1020)]),  # B before A: 1
    Made("s3", "V3", 2000, "desktop", [a(2000), a(2100), b(2150)]),  # 2nd A starts: 2
    Made("s4", "V4", 3000, "mobile", [a(3000), b(3120), c(3130)]),  # B too late: 1
    Made("s5a", "V5", 4000, "desktop", [a(4000)]),  # ... and on in the next session:
    Made("s5b", "V5", 4030, "mobile", [b(4040), c(4050)]),  # 3 by visitor
    Made("s6", "V6", 5000, "tablet", [a(5000), b(5010)]),  # 2
    Made("s7", "V7", 6000, "desktop", [a(6000), b(6010), a(6020)]),  # 2
    Made("s8", None, 7000, "mobile", [a(7000), b(7005), c(7010)]),  # anonymous: 3
]
A, B, C = PageviewStep("/a"), CustomEventStep("b"), ClickStep(text="go")
FUNNEL = Funnel((A, B, C), window_ms=60 * S)


def add_sessions(session: Session, sessions: list[Made]) -> None:
    project = get_or_create_project(session, "Acme", "Shop")
    for made in sessions:
        visitor = get_or_create_visitor(session, project.id, made.visitor) \
            if made.visitor else None
        start = T0 + int(made.start_s * S)
        pages = [name for _at, kind, name, _text, _p in made.events if kind == "pageview"]
        session.add(RecordedSession(
            id=made.id, project_id=project.id, visitor_id=visitor.id if visitor else None,
            start_ms=start, end_ms=start + 600 * S, duration_ms=600 * S, active_ms=0,
            pages=pages, page_keys=page_keys(pages), page_count=len(pages),
            landing_page=None, exit_page=None, referrer=None, device_type=made.device,
            os="Linux", browser="Firefox" if made.device == "desktop" else "Chrome",
            viewport_width=None, viewport_height=None, country="CZ",
            event_count=len(made.events), click_count=0, input_count=0, error_count=0,
            source=made.id, window_ids=[], raw_size=0, stored_size=0, added_ms=0))
        session.flush()
        session.add_all(Event(session_id=made.id, visitor_id=visitor.id if visitor else None,
                              ts_ms=T0 + int(at * S), kind=kind,
                              name=name, url=name, text=text, properties=properties,
                              selector="button.go" if text == "  Go " else None)
                        for at, kind, name, text, properties in made.events)


def needs_the_aggregate() -> None:
    if window_funnel.compiled_library() is None:
        pytest.skip("window_funnel.c was not built (setup.py: a C compiler and SQLite's "
                    "headers, Debian's libsqlite3-dev)")


@pytest.fixture(params=["aggregate", "levels"])
def counting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which way SQLite counts: the compiled aggregate, or the SQL levels."""
    if request.param == "levels":
        monkeypatch.setattr(window_funnel, "loaded", lambda _connection: False)
    else:
        needs_the_aggregate()
    return str(request.param)


both_ways = pytest.mark.usefixtures("counting")


def test_the_built_aggregate_is_loaded_into_sqlite_connections(cache: Cache) -> None:
    needs_the_aggregate()
    with cache.read_session() as session:
        assert window_funnel.loaded(session.connection())
        # ... and only for the aggregate: extensions are off again.
        with pytest.raises(OperationalError, match="not authorized"):
            session.connection().exec_driver_sql("SELECT load_extension('x')")


@pytest.fixture
def raw(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a new file, to call the aggregate by hand."""
    needs_the_aggregate()
    connection = sqlite3.connect(tmp_path / "raw.sqlite3")
    yield connection
    connection.close()


def counted_by_hand(raw: sqlite3.Connection) -> dict[str, Any]:
    return json.loads(raw.execute("SELECT window_funnel_result()").fetchone()[0])


def test_a_library_from_an_older_build_is_not_used(raw: sqlite3.Connection,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window_funnel, "API_VERSION", window_funnel.API_VERSION + 1)
    assert not window_funnel.load(raw)


@pytest.fixture
def shop(cache: Cache) -> Cache:
    with cache.session() as session:
        add_sessions(session, SESSIONS)
    return cache


def counts(cache: Cache, funnel: Funnel = FUNNEL, **query: Any) -> list[int]:
    with cache.read_session() as session:
        result = compute_funnel(session, FunnelQuery(funnel, **query))
    return [step.actors for step in result.steps]


@both_ways
def test_counts_per_visitor_by_hand(shop: Cache) -> None:
    with shop.read_session() as session:
        result = compute_funnel(session, FunnelQuery(FUNNEL))
    assert [step.actors for step in result.steps] == [8, 6, 3]
    assert [step.dropped for step in result.steps] == [2, 3, 0]
    assert [step.of_previous for step in result.steps] == [None, 6 / 8, 3 / 6]
    assert result.conversion == 3 / 8
    # From A to B: 10, 50 (V3's second A), 40 (across V5's sessions), 10, 10, 5 s.
    assert [step.median_from_previous_ms for step in result.steps] == [None, 10 * S, 10 * S]
    assert result.median_to_convert_ms == 20 * S  # 20, 50, 10 s
    assert result.to_json()["steps"][1]["label"] == "Event b"


@both_ways
def test_counts_per_session_by_hand(shop: Cache) -> None:
    # s5a takes A alone and s5b never does: V5's chain does not cross sessions here.
    assert counts(shop, Funnel((A, B, C), 60 * S, by="session")) == [8, 5, 2]


@both_ways
def test_a_repeated_step_needs_an_event_of_its_own(shop: Cache) -> None:
    assert counts(shop, Funnel((A, B, A), 60 * S)) == [8, 6, 1]  # only V7 sees A again
    # Two pageviews of /a within an hour: V3 (0 and 100 s) and V7 (0 and 20 s); the same
    # event cannot be both, even when two steps' rules match it.
    assert counts(shop, Funnel((A, PageviewStep("/A", "substring")), 3_600 * S)) == [8, 2]


@both_ways
def test_events_of_one_moment_follow_in_the_order_they_were_recorded(cache: Cache) -> None:
    """A click and the event it fires share a millisecond: the one recorded first (the
    lower id) comes first."""
    with cache.session() as session:
        add_sessions(session, [
            Made("t1", "W1", 0, "desktop", [a(0), b(10), c(10)]),  # b, then c: 3
            Made("t2", "W2", 100, "desktop", [a(100), c(110), b(110)]),  # c, then b: 2
        ])
    assert counts(cache) == [2, 2, 1]
    assert counts(cache, Funnel((A, C, B), 60 * S)) == [2, 2, 1]


def walked_by_hand(cache: Cache, funnel: Funnel) -> dict[str, list[int]]:
    """Per actor, the times of the steps of its best chain, by the definition: every start
    tried, the earliest next match each time; the chain reaching furthest, finishing first,
    started last. For funnels of A, B and C only."""
    kinds = {A: "pageview", B: "custom", C: "click"}
    with cache.read_session() as session:
        rows = session.execute(select(Event.id, Event.ts_ms, Event.kind, Event.session_id,
                                      RecordedSession.visitor_id)
                               .join(RecordedSession)).all()
    events: dict[str, list[tuple[int, int, str]]] = {}
    for event_id, ts, kind, session_id, visitor in rows:
        actor = session_id if visitor is None or funnel.by == "session" else f"v{visitor}"
        events.setdefault(actor, []).append((ts, event_id, kind))
    best: dict[str, list[int]] = {}
    for actor, taken in events.items():
        taken.sort()
        chains = []
        for first, (start, _id, kind) in enumerate(taken):
            if kind != kinds[funnel.steps[0]]:
                continue
            chain = [first]
            for later in range(first + 1, len(taken)):
                if len(chain) == len(funnel.steps) or taken[later][0] > start + funnel.window_ms:
                    break
                if taken[later][2] == kinds[funnel.steps[len(chain)]]:
                    chain.append(later)
            chains.append(chain)
        if chains:
            chain = min(chains, key=lambda chain: (-len(chain), chain[-1], -chain[0]))
            best[actor] = [taken[at][0] for at in chain]
    return best


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


@both_ways
@pytest.mark.parametrize("seed", range(6))
def test_counts_and_chains_agree_with_the_definition(cache: Cache, seed: int) -> None:
    """Random sessions full of ties, repeats, steps out of order and windows missed."""
    rng = random.Random(seed)
    step = (a, b, c)
    made = []
    for n in range(40):
        visitor = None if n % 7 == 0 else f"R{rng.randrange(12)}"
        start = rng.randrange(0, 400)
        made.append(Made(f"r{n}", visitor, start, rng.choice(("desktop", "mobile")), [
            step[rng.randrange(3)](start + rng.randrange(0, 60) * 2)
            for _ in range(rng.randrange(1, 9))]))
    with cache.session() as session:
        add_sessions(session, made)
    for funnel in (Funnel((A, B, C), 30 * S), Funnel((A, B, A, C), 90 * S),
                   Funnel((A, A, B), 40 * S, by="session"), Funnel((C, B, A, B), 200 * S)):
        expected = walked_by_hand(cache, funnel)
        with cache.read_session() as session:
            result = compute_funnel(session, FunnelQuery(funnel))
        chains = [chain for chain in expected.values() if chain]
        assert [step.actors for step in result.steps] == [
            sum(len(chain) > index for chain in chains) for index in range(len(funnel.steps))]
        assert [step.median_from_previous_ms for step in result.steps] == [None, *(
            median([chain[index] - chain[index - 1] for chain in chains if len(chain) > index])
            for index in range(1, len(funnel.steps)))]
        assert result.median_to_convert_ms == median(
            [chain[-1] - chain[0] for chain in chains if len(chain) == len(funnel.steps)])
        with cache.read_session() as session:
            for index in range(len(funnel.steps)):
                listed = funnel_actors(session, FunnelQuery(funnel), index)
                assert sorted(actor.ts_ms for actor in listed) == sorted(
                    chain[index] for chain in expected.values() if len(chain) > index)


@both_ways
def test_the_window_counts_from_the_first_step(shop: Cache) -> None:
    assert counts(shop, Funnel((A, B, C), 30 * S)) == [8, 4, 2]  # V3 (50 s), V5 (40 s) drop
    assert counts(shop, Funnel((A, B, C), 150 * S)) == [8, 7, 4]  # V4 (120, 130 s) gets in


@both_ways
def test_breakdown_by_the_first_steps_device(shop: Cache) -> None:
    with shop.read_session() as session:
        result = compute_funnel(session, FunnelQuery(FUNNEL), breakdown="device")
    assert {group.value: group.actors for group in result.groups} == {
        "desktop": (4, 4, 2), "mobile": (3, 1, 1), "tablet": (1, 1, 0)}


@both_ways
def test_date_range_and_session_filter(shop: Cache) -> None:
    assert counts(shop, after_ms=T0 + 3000 * S, before_ms=T0 + 6000 * S) == [3, 2, 1]
    # Only desktop sessions' events: V5 keeps A alone.
    desktop = SessionFilter((AttributeIs("device", ("desktop",)),))
    assert counts(shop, filter=desktop) == [4, 3, 1]


@both_ways
def test_steps_by_property_selector_and_defined_event(shop: Cache) -> None:
    pro = CustomEventStep("b", (("plan", "pro"),))
    assert counts(shop, Funnel((A, pro), 60 * S)) == [8, 1]
    assert counts(shop, Funnel((A, CustomEventStep("b", (("total", "49"),))), 60 * S)) \
        == [8, 6]
    assert counts(shop, Funnel((A, B, ClickStep(selector="#pay .go")), 60 * S)) == [8, 6, 3]
    assert counts(shop, Funnel((A, B, ClickStep(text="G", text_match="contains")),
                               60 * S)) == [8, 6, 3]
    define_event(shop, "Clicked go", DefinitionRule(selector="form .go"))
    assert counts(shop, Funnel((A, B, parse_step("defined:Clicked go")), 60 * S)) == [8, 6, 3]


@both_ways
def test_actors_behind_a_bar(shop: Cache) -> None:
    with shop.read_session() as session:
        dropped = funnel_actors(session, FunnelQuery(FUNNEL), 1, dropped=True)
        converted = funnel_actors(session, FunnelQuery(FUNNEL), 2)
        mobile = funnel_actors(session, FunnelQuery(FUNNEL), 0, breakdown="device",
                               group="mobile")
    assert [(actor.visitor, actor.session_id, actor.offset_ms, actor.furthest_step)
            for actor in dropped] == [("V3", "s3", 150 * S, 1), ("V6", "s6", 10 * S, 1),
                                      ("V7", "s7", 10 * S, 1)]
    assert dropped[0].ts_ms == T0 + 2150 * S
    assert [(actor.visitor, actor.session_id, actor.offset_ms) for actor in converted] == [
        ("V1", "s1", 20 * S), ("V5", "s5b", 20 * S), (None, "s8", 10 * S)]
    assert converted[2].visitor_id is None
    assert {actor.session_id for actor in mobile} == {"s2", "s4", "s8"}


@both_ways
def test_nothing_matches(shop: Cache) -> None:
    with shop.read_session() as session:
        result = compute_funnel(session, FunnelQuery(Funnel((PageviewStep("/nowhere"), B))))
    assert [step.actors for step in result.steps] == [0, 0]
    assert result.conversion is None and result.median_to_convert_ms is None


def test_an_unknown_defined_event_is_named(shop: Cache) -> None:
    with shop.read_session() as session, pytest.raises(FunnelError, match="'Nope'"):
        compute_funnel(session, FunnelQuery(Funnel((A, parse_step("defined:Nope")))))


@pytest.mark.parametrize(("text", "expected"), [
    ("pageview:/cart", PageviewStep("/cart")),
    ("pageview=:https://x.example/?a=1", PageviewStep("https://x.example/?a=1", "exact")),
    ("pageview~:cart", PageviewStep("cart", "substring")),
    ("click:#checkout", ClickStep(selector="#checkout")),
    ("click-text:Buy now", ClickStep(text="Buy now")),
    ("click-text~:Buy", ClickStep(text="Buy", text_match="contains")),
    ("event:signup", CustomEventStep("signup")),
    ("event:signup[plan=pro, seats=5]", CustomEventStep("signup", (("plan", "pro"),
                                                                   ("seats", "5")))),
])
def test_step_shell_form(text: str, expected: object) -> None:
    assert parse_step(text) == expected
    assert parse_step(step_text(expected)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "message"), [
    ("scroll:/x", "kinds are"), ("pageview:", "needs a value"),
    ("event~:x", "only pageview and click-text"), ("click:##", "CSS selector"),
    ("event:x[plan]", "KEY=VALUE"),
])
def test_bad_steps_are_named(text: str, message: str) -> None:
    with pytest.raises(FunnelError, match=message):
        parse_step(text)


def test_windows_and_step_counts() -> None:
    assert [parse_window(text) for text in ("90s", "30m", "1h", "1d", "7d", "2w", "45")] == [
        90 * S, 1_800 * S, 3_600 * S, 86_400 * S, 604_800 * S, 1_209_600 * S, 45 * S]
    for bad in ("0m", "soon", "1y", "400d"):
        with pytest.raises(FunnelError, match="window"):
            parse_window(bad)
    with pytest.raises(FunnelError, match="2 to 10 steps, not 1"):
        Funnel((A,))
    with pytest.raises(FunnelError, match="not 11"):
        Funnel((A,) * 11)


def test_saved_funnels(cache: Cache) -> None:
    desktop = SessionFilter((AttributeIs("device", ("desktop",)),))
    with cache.session() as session:
        save_funnel(session, "Checkout", FUNNEL, desktop)
        with pytest.raises(FunnelError, match="already a funnel"):
            save_funnel(session, " checkout ", FUNNEL)
    with cache.session() as session:
        saved = find_funnel(session, "CHECKOUT")
        assert saved is not None and saved.funnel == FUNNEL and saved.filter == desktop
        rename_funnel(session, "Checkout", "Buying")
        assert [f.name for f in list_funnels(session)] == ["Buying"]
        delete_funnel(session, "buying")
        assert list_funnels(session) == []


def test_csv_export(shop: Cache) -> None:
    with shop.read_session() as session:
        result = compute_funnel(session, FunnelQuery(FUNNEL), breakdown="browser")
    out = io.StringIO()
    write_funnel_csv(result, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:4] == ["step", "label", "actors", "of_first"]
    assert rows[1][:3] == ["1", "Pageview /a", "8"] and rows[3][2] == "3"
    assert rows[0][-2:] == ["browser=Chrome", "browser=Firefox"]
    assert rows[1][-2:] == ["4", "4"]


@pytest.fixture
def postgres_shop(postgres_cache: Cache) -> Cache:
    with postgres_cache.session() as session:
        add_sessions(session, SESSIONS)
    return postgres_cache


@pytest.mark.postgres
def test_counts_on_postgres(postgres_shop: Cache) -> None:
    test_counts_per_visitor_by_hand(postgres_shop)
    assert counts(postgres_shop, Funnel((A, B, A), 60 * S)) == [8, 6, 1]
    test_steps_by_property_selector_and_defined_event(postgres_shop)
    test_actors_behind_a_bar(postgres_shop)


def test_the_aggregate_refuses_misuse_and_views(raw: sqlite3.Connection) -> None:
    """Called out of turn it says so, and a cache file cannot call it from a view."""
    assert window_funnel.load(raw)
    with pytest.raises(sqlite3.OperationalError, match="no window_funnel_start"):
        raw.execute("SELECT window_funnel_result()")
    raw.execute("SELECT window_funnel_start(2, 1000, 0, 0)")
    with pytest.raises(sqlite3.OperationalError, match="step out of range"):
        raw.execute("SELECT window_funnel_add(2, 1, 's', 0, 1)")
    raw.execute("SELECT window_funnel_start(2, 1000, 0, 0)")
    with pytest.raises(sqlite3.OperationalError, match="without with_attribute"):
        raw.execute("SELECT window_funnel_value('s', 'mobile')")
    raw.execute("SELECT window_funnel_start(2, 1000, 0, 0)")
    raw.execute("SELECT window_funnel_add(0, NULL, 's', 0, 1)")
    raw.execute("SELECT window_funnel_add(1, NULL, 's', 999, 2)")
    raw.execute("SELECT window_funnel_add(1, NULL, 't', 999, 3)")
    assert counted_by_hand(raw) == {"reached": [1, 1], "medians": [None, 999.0],
                                    "to_convert": 999.0}
    raw.execute("CREATE VIEW sneaky AS SELECT window_funnel_result()")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use"):
        raw.execute("SELECT * FROM sneaky")


def test_the_aggregate_keeps_far_apart_visitors_and_their_sessions_apart(
        raw: sqlite3.Connection) -> None:
    """Visitor numbers too far apart to pack with the sessions into one sort key are
    grouped by comparing them: each visitor, and each anonymous session, its own actor."""
    assert window_funnel.load(raw)
    raw.execute("SELECT window_funnel_start(2, 1000, 0, 0)")
    for visitor, session, at in ((1, "a", 0), (2**62, "b", 10), (None, "c", 20),
                                 (None, "d", 30)):
        raw.execute("SELECT window_funnel_add(0, ?, ?, ?, ?)", (visitor, session, at, at))
    raw.execute("SELECT window_funnel_add(1, ?, 'b', 15, 15)", (2**62,))  # V 2^62 converts
    raw.execute("SELECT window_funnel_add(1, NULL, 'd', 31, 31)")  # so does session d
    raw.execute("SELECT window_funnel_add(1, NULL, 'e', 32, 32)")  # not c: another session
    assert counted_by_hand(raw)["reached"] == [4, 2]


def test_the_aggregates_medians_of_many_ties(raw: sqlite3.Connection) -> None:
    """Medians are selected, not sorted, in C: odd and even counts, runs of equal times."""
    rng = random.Random(7)
    assert window_funnel.load(raw)
    for _ in range(200):
        spread = rng.choice((2, 3, 50, 10**6))
        took = [rng.randrange(spread) for _ in range(rng.randrange(1, 60))]
        raw.execute("SELECT window_funnel_start(2, ?, 0, 0)", (10**12,))
        for visitor, ms in enumerate(took, 1):
            raw.execute("SELECT window_funnel_add(0, ?, '', 0, ?)", (visitor, 2 * visitor))
            raw.execute("SELECT window_funnel_add(1, ?, '', ?, ?)",
                        (visitor, ms, 2 * visitor + 1))
        assert counted_by_hand(raw)["medians"][1] == median(took), took
