"""Session filters in SQL: every condition, alone and combined, on a real cache (and once on
PostgreSQL), through the session list's own queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.cache.database import Cache
from app.core.cache.models import Event, RecordedSession
from app.core.cache.queries import SessionQuery, count_sessions, list_sessions
from app.core.cache.writing import get_or_create_project, get_or_create_visitor
from app.core.importing import import_file
from app.core.search import clauses
from app.core.search.choices import attribute_values, custom_event_names
from app.core.search.conditions import (
    HAS_ERRORS,
    HAS_RAGE_CLICKS,
    AttributeIs,
    Condition,
    DefinedEvent,
    DurationBetween,
    EventRule,
    PerformedEvent,
    SessionFilter,
    StartedBetween,
    VisitedUrl,
    VisitorMatches,
)
from app.core.search.errors import FilterError
from app.core.search.grammar import parse_filters
from app.core.search.urls import page_keys


def ms(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000)


@dataclass
class Made:
    """A session to put in the cache; `label` becomes its source, to name it in results."""

    label: str
    start: str
    duration_s: float
    pages: list[str]
    device: str | None = None
    os: str | None = None
    browser: str | None = None
    country: str | None = None
    visitor: tuple[str, str | None, str | None] | None = None
    # (kind, name, selector, text)
    events: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)
    project: str = "Shop"


SESSIONS = [
    Made("anna", "2025-03-01T10:00", 30, ["https://shop.example/",
                                          "https://shop.example/checkout?step=1"],
         "desktop", "Windows", "Chrome", "CZ", ("u-anna", "Anna Nováková", "anna@example.com"),
         [("pageview", None, None, None), ("click", None, "a.buy", "Buy"),
          ("custom", "signup", None, None)]),
    Made("bob", "2025-03-05T08:00", 120, ["https://www.shop.example/checkout/#pay",
                                          "https://shop.example/thanks"],
         "mobile", "iOS", "Mobile Safari", "US", ("u-bob", "Bob", "bob@corp.example"),
         [("error", "TypeError: x is undefined", None, None),
          ("rage_click", None, "button.pay", "Pay now")]),
    Made("maria", "2025-03-10T12:00", 600, ["https://blog.example/checkout-tips"],
         "tablet", "Android", "Chrome", "DE", ("maria-77", None, None),
         [("click", None, "a.more", "Read more"), ("dead_click", None, "a.more", "Read more")]),
    Made("nobody", "2025-02-20T23:00", 5, ["http://shop.example:8080/Checkout?x=1"],
         "desktop", "macOS", "Safari"),
    Made("zoe", "2025-03-20T18:00", 3600, ["https://shop.example/pricing?plan=pro_yearly"],
         "mobile", "Android", "Chrome Mobile", "CZ", ("u-zoe", "Zoë", None),
         [("error", "Uncaught", None, None), ("custom", "add_to_cart", None, None),
          ("rage_click", None, "div.card", None)], project="Blog"),
]
EVERYONE = {made.label for made in SESSIONS}


def add_sessions(session: Session, sessions: list[Made]) -> None:
    for number, made in enumerate(sessions):
        project = get_or_create_project(session, "Acme", made.project)
        visitor = get_or_create_visitor(session, project.id, *made.visitor) \
            if made.visitor else None
        start = ms(made.start)
        duration = int(made.duration_s * 1000)
        session.add(RecordedSession(
            id=f"{number:032x}", project_id=project.id,
            visitor_id=visitor.id if visitor else None, start_ms=start, end_ms=start + duration,
            duration_ms=duration, active_ms=duration, pages=made.pages,
            page_keys=page_keys(made.pages), page_count=len(made.pages),
            landing_page=made.pages[0], exit_page=made.pages[-1], referrer=None,
            device_type=made.device, os=made.os, browser=made.browser, viewport_width=None,
            viewport_height=None, country=made.country, event_count=len(made.events),
            click_count=0, input_count=0, error_count=0, source=made.label, window_ids=[],
            raw_size=0, stored_size=0, added_ms=0))
        session.flush()
        session.add_all(Event(session_id=f"{number:032x}", ts_ms=start + offset, kind=kind,
                              name=name, selector=selector, text=text)
                        for offset, (kind, name, selector, text) in enumerate(made.events))


@pytest.fixture
def shop(cache: Cache) -> Cache:
    with cache.session() as session:
        add_sessions(session, SESSIONS)
    return cache


@pytest.fixture(params=["in", "exists"])
def event_lookup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run an event test both ways the SQL can look events up (see search/clauses.py)."""
    limit = 10**9 if request.param == "in" else -1
    monkeypatch.setattr(clauses, "COUNT_IN_LIMIT", limit)
    monkeypatch.setattr(clauses, "PAGE_IN_LIMIT", limit)
    return request.param


def found(cache: Cache, *conditions: Condition, **query: object) -> set[str]:
    """The labels of the sessions matching; checks the count agrees with the list."""
    search = SessionQuery(filter=SessionFilter(conditions), **query)  # type: ignore[arg-type]
    with cache.read_session() as session:
        rows = list_sessions(session, search)
        assert count_sessions(session, search) == len(rows)
    return {row.source for row in rows}


def test_no_conditions_match_every_session(shop: Cache) -> None:
    assert found(shop) == EVERYONE


@pytest.mark.parametrize(("after", "before", "expected"), [
    ("2025-03-05T08:00", None, {"bob", "maria", "zoe"}),
    (None, "2025-03-05T08:00", {"anna", "nobody"}),
    ("2025-03-01", "2025-03-10T12:00", {"anna", "bob"}),
])
def test_started_between(shop: Cache, after: str | None, before: str | None,
                         expected: set[str]) -> None:
    condition = StartedBetween(ms(after) if after else None, ms(before) if before else None)
    assert found(shop, condition) == expected


@pytest.mark.parametrize(("low", "high", "expected"), [
    (60, None, {"bob", "maria", "zoe"}),
    (None, 30, {"anna", "nobody"}),
    (30, 600, {"anna", "bob", "maria"}),
])
def test_duration_between_includes_its_bounds(shop: Cache, low: int | None, high: int | None,
                                              expected: set[str]) -> None:
    condition = DurationBetween(low * 1000 if low is not None else None,
                                high * 1000 if high is not None else None)
    assert found(shop, condition) == expected


@pytest.mark.parametrize(("rule", "url", "expected"), [
    # simple: query, fragment, scheme, www. and a trailing slash do not count
    ("simple", "https://shop.example/checkout", {"anna", "bob"}),
    ("simple", "shop.example/checkout/", {"anna", "bob"}),
    ("simple", "http://www.SHOP.example/checkout?step=9#x", {"anna", "bob"}),
    ("simple", "shop.example:8080/checkout", {"nobody"}),
    ("simple", "/checkout", {"anna", "bob", "nobody"}),
    ("simple", "/", {"anna"}),
    ("simple", "shop.example", {"anna"}),
    ("simple", "shop.example/check", set()),
    # exact: the whole URL, but not its case
    ("exact", "https://shop.example/checkout?step=1", {"anna"}),
    ("exact", "HTTPS://shop.example/CHECKOUT?step=1", {"anna"}),
    ("exact", "https://shop.example/checkout", set()),
    ("exact", "https://shop.example/checkout?step=", set()),
    # substring
    ("substring", "checkout", {"anna", "bob", "maria", "nobody"}),
    ("substring", "STEP=1", {"anna"}),
    ("substring", "_", {"zoe"}),
    ("substring", "%", set()),
    ("substring", "thanks", {"bob"}),
])
def test_visited_url(shop: Cache, rule: str, url: str, expected: set[str]) -> None:
    assert found(shop, VisitedUrl(rule, url)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("rule", "expected"), [
    (EventRule("rage_click"), {"bob", "zoe"}),
    (EventRule("error"), {"bob", "zoe"}),
    (EventRule("dead_click"), {"maria"}),
    (EventRule("pageview"), {"anna"}),
    (EventRule("network"), set()),
    (EventRule("custom"), {"anna", "zoe"}),
    (EventRule("custom", name="signup"), {"anna"}),
    (EventRule("custom", name="Signup"), set()),
    (EventRule("custom", name="add_to_cart"), {"zoe"}),
])
def test_performed_event(shop: Cache, event_lookup: str, rule: EventRule,
                         expected: set[str]) -> None:
    assert found(shop, PerformedEvent(rule)) == expected


def test_has_errors_and_has_rage_clicks(shop: Cache, event_lookup: str) -> None:
    assert found(shop, HAS_ERRORS) == {"bob", "zoe"}
    assert found(shop, HAS_RAGE_CLICKS) == {"bob", "zoe"}
    assert found(shop, HAS_ERRORS, HAS_RAGE_CLICKS,
                 PerformedEvent(EventRule("custom", name="add_to_cart"))) == {"zoe"}


def test_a_defined_event_is_the_sessions_its_definition_gives(shop: Cache) -> None:
    holding = {"Paid": select(Event.session_id).where(Event.selector == "button.pay")}
    search = SessionFilter((PerformedEvent(DefinedEvent("Paid")), AttributeIs("os", ("iOS",))))
    with shop.read_session() as session:
        for counting in (False, True):
            where = clauses.filter_clauses(session, search, counting,
                                           defined=lambda _session, name, _limit:
                                           RecordedSession.id.in_(holding[name]))
            sources = session.scalars(select(RecordedSession.source).where(*where)).all()
            assert sources == ["bob"]


def test_an_undefined_event_is_refused_by_name(shop: Cache) -> None:
    with shop.read_session() as session, pytest.raises(FilterError, match="'Paid'"):
        list_sessions(session, SessionQuery(filter=SessionFilter(
            (PerformedEvent(DefinedEvent("Paid")),))))


@pytest.mark.parametrize(("attribute", "values", "expected"), [
    ("device", ("mobile",), {"bob", "zoe"}),
    ("device", ("MOBILE", "tablet"), {"bob", "maria", "zoe"}),
    ("os", ("android",), {"maria", "zoe"}),
    ("os", ("iOS", "macOS"), {"bob", "nobody"}),
    ("browser", ("chrome",), {"anna", "maria"}),
    ("browser", ("Chrome Mobile", "Mobile Safari"), {"bob", "zoe"}),
    ("country", ("cz",), {"anna", "zoe"}),
    ("country", ("DE", "US"), {"bob", "maria"}),
])
def test_attribute_is_one_of(shop: Cache, attribute: str, values: tuple[str, ...],
                             expected: set[str]) -> None:
    assert found(shop, AttributeIs(attribute, values)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("ANNA", {"anna"}),  # name, e-mail and id alike
    ("nováková", {"anna"}),
    ("corp.example", {"bob"}),
    ("maria-7", {"maria"}),
    ("u-", {"anna", "bob", "zoe"}),
    ("%", set()),
])
def test_visitor_matches_id_name_or_email(shop: Cache, text: str, expected: set[str]) -> None:
    assert found(shop, VisitorMatches(text)) == expected


def test_conditions_combine_with_and(shop: Cache, event_lookup: str) -> None:
    mobile, long = AttributeIs("device", ("mobile",)), DurationBetween(min_ms=60_000)
    assert found(shop, mobile, HAS_ERRORS, long) == {"bob", "zoe"}
    assert found(shop, mobile, HAS_ERRORS, long, AttributeIs("country", ("CZ",))) == {"zoe"}
    assert found(shop, VisitedUrl("simple", "/checkout"), HAS_ERRORS) == {"bob"}
    assert found(shop, VisitedUrl("substring", "checkout"), VisitorMatches("a"),
                 StartedBetween(after_ms=ms("2025-03-02"))) == {"bob", "maria"}
    assert found(shop, mobile, AttributeIs("device", ("desktop",))) == set()


def test_filters_combine_with_the_lists_project_text_and_order(shop: Cache) -> None:
    with shop.read_session() as session:
        blog = next(row for row in list_sessions(session) if row.source == "zoe")
        project_id = session.get_one(RecordedSession, blog.id).project_id
    assert found(shop, HAS_ERRORS, project_id=project_id) == {"zoe"}
    assert found(shop, HAS_ERRORS, text="u-bob") == {"bob"}
    query = SessionQuery(filter=SessionFilter((VisitedUrl("substring", "checkout"),)),
                         sort="duration", descending=False)
    with shop.read_session() as session:
        assert [row.source for row in list_sessions(session, query, offset=1, limit=2)] \
            == ["anna", "bob"]


def test_the_shell_form_runs_the_same(shop: Cache, event_lookup: str) -> None:
    search = parse_filters(["url~/checkout", "device=mobile,desktop", "duration>=1m",
                            "after=2025-03-01T00:00Z", "has=errors", "visitor~bob"])
    with shop.read_session() as session:
        assert [row.source for row in list_sessions(session, SessionQuery(filter=search))] \
            == ["bob"]


def test_choices_list_what_the_cache_holds(shop: Cache) -> None:
    with shop.read_session() as session:
        assert attribute_values(session, "browser") == ["Chrome", "Chrome Mobile",
                                                        "Mobile Safari", "Safari"]
        assert attribute_values(session, "country") == ["CZ", "DE", "US"]
        assert custom_event_names(session) == ["add_to_cart", "signup"]


def test_imported_sessions_are_found_by_their_pages(cache: Cache, rrweb_fixtures: Path) -> None:
    result = import_file(cache, rrweb_fixtures / "rrweb-io__rrweb" / "events.json")
    with cache.read_session() as session:
        page = list_sessions(session)[0].pages[0]
    assert found(cache, VisitedUrl("exact", page)) == {result.path.name}
    assert found(cache, VisitedUrl("simple", page.split("?")[0] + "?other=1")) \
        == {result.path.name}


@pytest.fixture
def postgres_shop(postgres_cache: Cache) -> Cache:
    with postgres_cache.session() as session:
        add_sessions(session, SESSIONS)
    return postgres_cache


@pytest.mark.postgres
def test_every_kind_of_condition_on_postgres(postgres_shop: Cache, event_lookup: str) -> None:
    assert found(postgres_shop, StartedBetween(after_ms=ms("2025-03-05T08:00"))) \
        == {"bob", "maria", "zoe"}
    assert found(postgres_shop, DurationBetween(30_000, 600_000)) == {"anna", "bob", "maria"}
    assert found(postgres_shop, VisitedUrl("simple", "/checkout")) == {"anna", "bob", "nobody"}
    assert found(postgres_shop, VisitedUrl("exact", "HTTPS://shop.example/CHECKOUT?step=1")) \
        == {"anna"}
    assert found(postgres_shop, VisitedUrl("substring", "_")) == {"zoe"}
    assert found(postgres_shop, PerformedEvent(EventRule("custom", name="signup"))) == {"anna"}
    assert found(postgres_shop, PerformedEvent(EventRule("dead_click"))) == {"maria"}
    assert found(postgres_shop, AttributeIs("os", ("ANDROID",))) == {"maria", "zoe"}
    assert found(postgres_shop, VisitorMatches("ANNA NOV")) == {"anna"}
    assert found(postgres_shop, AttributeIs("device", ("mobile",)), HAS_ERRORS,
                 DurationBetween(min_ms=60_000), HAS_RAGE_CLICKS) == {"bob", "zoe"}
