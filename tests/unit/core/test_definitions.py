"""Defined events: rules, matching, retroactive definition over the cache, later sessions."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.core.cache.database import Cache
from app.core.cache.models import DefinedEventHit, Event, RecordedSession
from app.core.cache.reindex import reindex
from app.core.definitions.rules import CLICK_KINDS, DefinitionError, DefinitionRule, RuleMatcher
from app.core.definitions.store import (
    define_event,
    delete_definition,
    list_definitions,
    rename_definition,
)
from app.core.demo import load_demo_sessions
from app.core.tasks import CancelToken

PATH = [["i", {"class": "icon"}], ["button", {"class": "btn add-to-cart", "type": "button"}],
        ["li", {"class": "card", "data-sku": "sku-1"}], ["section", {"id": "products"}]]


@pytest.mark.parametrize("rule, says", [
    ({}, "needs a CSS selector, a text or a URL"),
    ({"selector": "button:hover"}, "cannot be used"),
    ({"selector": "  "}, "cannot be empty"),
    ({"text": "Buy", "text_match": "regex"}, "unknown text match"),
    ({"url": "/cart", "url_match": "fuzzy"}, "unknown URL rule"),
])
def test_rules_that_cannot_work_are_refused(rule: dict, says: str) -> None:
    with pytest.raises(DefinitionError, match=says):
        DefinitionRule(**rule)


def test_a_selector_matches_the_clicked_element_or_an_ancestor() -> None:
    def hit(selector: str) -> bool:
        return RuleMatcher(DefinitionRule(selector=selector)).matches(None, None,
                                                                      {"path": PATH})

    assert hit(".add-to-cart")  # the icon inside the button was what was hit
    assert hit("#products button.btn")
    assert hit("li[data-sku^=sku] > button")
    assert hit("i.icon, a.nothing")
    assert not hit(".checkout")
    assert not hit("#products > button")  # not a child of the section
    assert not RuleMatcher(DefinitionRule(selector=".btn")).matches(None, None, None)


def test_text_and_url_parts_must_hold_too() -> None:
    exact = RuleMatcher(DefinitionRule(text="add to  CART", url="shop.example.com/p/boot"))
    assert exact.matches("https://www.shop.example.com/p/boot?ref=x", " Add to cart ", None)
    assert not exact.matches("https://shop.example.com/p/other", "Add to cart", None)
    assert not exact.matches("https://shop.example.com/p/boot", "Add to cart now", None)
    contains = RuleMatcher(DefinitionRule(text="cart", text_match="contains"))
    assert contains.matches(None, "Add to cart now", None)
    assert not contains.matches(None, None, None)
    assert DefinitionRule(url="/cart").event_kinds == ("pageview",)
    assert DefinitionRule(text="x").event_kinds[0] == "click"


@pytest.fixture
def demo_cache(cache: Cache) -> Cache:
    load_demo_sessions(cache, 6)
    return cache


def hits_by_session(cache: Cache, name: str) -> Counter[str]:
    return Counter(session_id for session_id, _text in hit_rows(cache, name))


def hit_rows(cache: Cache, name: str) -> list[tuple[str, str | None]]:
    """(session id, the clicked element's text) of each hit."""
    with cache.read_session() as session:
        info = next(d for d in list_definitions(session) if d.name == name)
        return [(row.session_id, row.text) for row in session.execute(
            select(Event.session_id, Event.text)
            .join(DefinedEventHit, DefinedEventHit.event_id == Event.id)
            .where(DefinedEventHit.defined_event_id == info.id))]


def test_defining_finds_the_event_in_every_cached_session(demo_cache: Cache) -> None:
    by_selector = define_event(demo_cache, "Add to cart", DefinitionRule(selector=".add-to-cart"))
    by_text = define_event(demo_cache, "Add to cart (text)", DefinitionRule(text="Add to cart"))
    assert by_selector.hits > by_text.hits > 0 and by_selector.sessions > 1
    # Two ways of naming the same buttons: the selector also finds the clicks on a button
    # whose text had changed to "Added ✓" by then; the text rule finds nothing else.
    selector_hits = Counter(hit_rows(demo_cache, "Add to cart"))
    text_hits = Counter(hit_rows(demo_cache, "Add to cart (text)"))
    assert not text_hits - selector_hits
    assert {text for _session, text in selector_hits - text_hits} == {"Added ✓"}

    cart = define_event(demo_cache, "Saw the cart", DefinitionRule(url="/cart"))
    with demo_cache.read_session() as session:
        expected = {row.id for row in session.execute(select(RecordedSession.id,
                                                             RecordedSession.pages))
                    if any(page.split("?")[0].rstrip("/").endswith("/cart")
                           for page in row.pages)}
    assert set(hits_by_session(demo_cache, "Saw the cart")) == expected
    assert cart.sessions == len(expected) > 0


def test_sessions_written_later_and_reindexed_are_matched(cache: Cache) -> None:
    load_demo_sessions(cache, 2)
    define_event(cache, "Add to cart", DefinitionRule(selector=".add-to-cart"))
    before = hits_by_session(cache, "Add to cart")
    load_demo_sessions(cache, 5)  # three more sessions arrive after the definition
    after = hits_by_session(cache, "Add to cart")
    assert len(after) > len(before) and all(after[s] == n for s, n in before.items())
    with cache.session() as session:
        session.execute(RecordedSession.__table__.update().values(events_version=0))
    assert reindex(cache).sessions == 5
    assert hits_by_session(cache, "Add to cart") == after
    with cache.read_session() as session:  # every hit points at a live click of its session
        rows = session.execute(select(DefinedEventHit.session_id, Event.session_id, Event.kind)
                               .join(Event, Event.id == DefinedEventHit.event_id)).all()
    assert len(rows) == sum(after.values())
    assert all(hit == owner and kind == "click" for hit, owner, kind in rows)


def test_a_cancelled_definition_leaves_nothing(demo_cache: Cache) -> None:
    cancel = CancelToken()
    cancel.cancel()
    from app.core.tasks import Cancelled

    with pytest.raises(Cancelled):
        define_event(demo_cache, "Never", DefinitionRule(text="Add to cart"), cancel=cancel)
    with demo_cache.read_session() as session:
        assert list_definitions(session) == []
        assert session.scalar(select(DefinedEventHit.event_id)) is None


def test_names_are_unique_and_can_change(demo_cache: Cache) -> None:
    define_event(demo_cache, "  Add   to cart ", DefinitionRule(text="Add to cart"))
    with pytest.raises(DefinitionError, match="already defined"):
        define_event(demo_cache, "Add to cart", DefinitionRule(text="x"))
    define_event(demo_cache, "Other", DefinitionRule(text="x"))
    with pytest.raises(DefinitionError, match="already defined"):
        rename_definition(demo_cache, "Other", "Add to cart")
    rename_definition(demo_cache, "Add to cart", "Added to cart")
    delete_definition(demo_cache, "Other")
    with pytest.raises(DefinitionError, match="no event is defined as 'Other'"):
        delete_definition(demo_cache, "Other")
    with demo_cache.read_session() as session:
        assert [d.name for d in list_definitions(session)] == ["Added to cart"]


def test_a_defined_event_filters_the_session_list(demo_cache: Cache) -> None:
    from app.core.cache.queries import SessionQuery, count_sessions, list_sessions
    from app.core.search.grammar import parse_filters

    define_event(demo_cache, "Saw the cart", DefinitionRule(url="/cart"))
    expected = set(hits_by_session(demo_cache, "Saw the cart"))
    search = parse_filters(["event=defined:Saw the cart"])
    with demo_cache.read_session() as session:
        query = SessionQuery(filter=search)
        assert {info.id for info in list_sessions(session, query)} == expected
        assert count_sessions(session, query) == len(expected)


@pytest.mark.parametrize("selector", ["li[data-sku^=sku] > button", "[data-sku] button.btn",
                                      ".add-to-cart", "section.products .add-to-cart, #nope"])
def test_the_sql_prefilter_never_loses_a_match(demo_cache: Cache, selector: str) -> None:
    """Whatever the selector's subject names (a tag, a class, only attributes), the first
    cheap test in SQL keeps every click the full match finds."""
    info = define_event(demo_cache, "By selector", DefinitionRule(selector=selector))
    matcher = RuleMatcher(DefinitionRule(selector=selector))
    with demo_cache.read_session() as session:
        expected = sum(1 for row in session.execute(
            select(Event.url, Event.text, Event.properties).where(Event.kind.in_(CLICK_KINDS)))
            if matcher.matches(row.url, row.text, row.properties))
    assert info.hits == expected > 0


def test_rare_and_common_defined_events_find_the_same_sessions(demo_cache: Cache) -> None:
    """IN over the hits for a rare event, EXISTS per session for a common one: the same."""
    from app.core.search.defined import defined_event_clause

    define_event(demo_cache, "Add to cart", DefinitionRule(selector=".add-to-cart"))
    with demo_cache.read_session() as session:
        found = [set(session.scalars(select(RecordedSession.id).where(
            defined_event_clause(session, "Add to cart", limit)))) for limit in (10**6, 0)]
    assert found[0] == found[1] == set(hits_by_session(demo_cache, "Add to cart"))
