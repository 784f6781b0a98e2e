"""What the player proposes for an event defined from a click, and how a session's defined
events reach its timeline and feed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.analytics.events import IndexedEvent
from app.core.cache.database import Cache
from app.core.cache.models import DefinedEventHit, Event
from app.core.definitions.rules import DefinitionRule, RuleMatcher
from app.core.definitions.store import define_event, session_hits
from app.core.definitions.suggest import (
    can_define_from,
    suggest_from_click,
    usable_text,
    without_positions,
)
from app.core.demo import load_demo_sessions
from app.core.replay.inspection import defined_entries, feed_entry, merge_feed
from app.core.selectors import parse_selector

PATH = [["button", {"class": "btn add-to-cart"}], ["li", {"class": "card"}],
        ["ul", {"class": "grid"}], ["section", {"class": "products"}], ["body", {}]]


def click(selector: str | None, text: str | None, kind: str = "click",
          url: str | None = "https://shop.example.com/c/shoes?utm_source=mail#top"
          ) -> IndexedEvent:
    return IndexedEvent(1_000, kind, url=url, selector=selector, text=text,
                        properties={"path": PATH})


@pytest.mark.parametrize("selector, general", [
    ("body > section.products > ul > li:nth-of-type(3) > button",
     "body > section.products > ul > li > button"),
    ("#checkout > div:nth-of-type(12) > input", "#checkout > div > input"),
    ("footer li:nth-child(2) a:nth-last-of-type( 1 )", "footer li a"),
    ("#checkout-email", "#checkout-email"),
])
def test_positions_are_taken_out_of_selectors(selector: str, general: str) -> None:
    assert without_positions(selector) == general
    parse_selector(general)  # what rules can read


def test_a_click_proposes_its_text_as_the_name_and_its_element_and_page_as_the_rule() -> None:
    suggestion = suggest_from_click(click(
        "body > section.products > ul > li:nth-of-type(3) > button", "  Add to\ncart "))
    assert suggestion.name == "Click: Add to cart"
    assert suggestion.selector == "body > section.products > ul > li > button"
    assert suggestion.text == "Add to cart"
    assert suggestion.url == "https://shop.example.com/c/shoes"
    rule = DefinitionRule(selector=suggestion.selector, text=suggestion.text)
    assert RuleMatcher(rule).matches(None, "Add to cart", {"path": PATH})


@pytest.mark.parametrize("text", [None, "", "  ", "***************", "** ****",
                                  "Choose a country " + "Austria Belgium " * 10])
def test_masked_missing_or_overlong_text_is_not_proposed(text: str | None) -> None:
    assert usable_text(text) is None
    suggestion = suggest_from_click(click("#checkout-email", text))
    assert suggestion.text is None and suggestion.name == "Click: #checkout-email"


def test_only_clicks_with_a_target_can_define_an_event() -> None:
    assert can_define_from(click("#buy", None))
    assert can_define_from(click(None, "Buy", kind="rage_click"))
    assert not can_define_from(click(None, "*****"))
    assert not can_define_from(IndexedEvent(0, "pageview", url="https://shop.example.com/"))
    assert not can_define_from(IndexedEvent(0, "input", selector="#q", text="shoes"))


def test_a_long_text_is_cut_in_the_name() -> None:
    name = suggest_from_click(click("#x", "Add " * 19 + "now")).name
    assert len(name) == len("Click: ") + 60 and name.endswith("…")


def test_a_sessions_hits_come_in_time_order_with_their_rule_and_join_its_feed(
        cache: Cache) -> None:
    session_id = load_demo_sessions(cache, 2)[0].session_id
    define_event(cache, "Add to cart", DefinitionRule(text="Add to cart"))
    define_event(cache, "Cart page", DefinitionRule(url="/cart"))
    with cache.read_session() as session:
        hits = session_hits(session, session_id)
        expected = session.execute(
            select(DefinedEventHit.ts_ms).where(DefinedEventHit.session_id == session_id)
            .order_by(DefinedEventHit.ts_ms)).scalars().all()
        assert session_hits(session, session_id, window=1) == []
        clicks = session.execute(select(Event.ts_ms, Event.kind, Event.text).where(
            Event.session_id == session_id, Event.kind == "click")).all()
    assert [hit.ts_ms for hit in hits] == expected
    assert {hit.name for hit in hits} == {"Add to cart", "Cart page"}
    assert {hit.description for hit in hits if hit.name == "Cart page"} \
        == {"pageview of /cart (simple)"}

    start = min(ts for ts, _kind, _text in clicks) - 5_000
    recorded = [feed_entry(IndexedEvent(ts, kind, text=text), ts - start)
                for ts, kind, text in sorted(clicks)]
    merged = merge_feed(recorded, defined_entries(hits, start))
    assert [entry.offset_ms for entry in merged] == sorted(entry.offset_ms for entry in merged)
    for number, entry in enumerate(merged):
        if entry.title == "Defined" and entry.detail == "Add to cart":
            assert merged[number - 1].event.text == "Add to cart"  # the click comes first
            assert "add to cart" in entry.search
