"""What a filter chip says, and the shell form its tooltip gives."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.core.search.conditions import (
    HAS_ERRORS,
    HAS_RAGE_CLICKS,
    AttributeIs,
    Condition,
    DefinedEvent,
    DurationBetween,
    EventRule,
    PerformedEvent,
    StartedBetween,
    VisitedUrl,
    VisitorMatches,
)
from app.core.search.grammar import parse_filter
from app.ui.filters.summary import RANGE_DASH, shell_form, summary


def local_ms(moment: str) -> int:
    return int(datetime.fromisoformat(moment).timestamp() * 1000)


@pytest.mark.parametrize(("condition", "text"), [
    (StartedBetween(after_ms=local_ms("2025-03-04")), "Started after 2025-03-04"),
    (StartedBetween(before_ms=local_ms("2025-03-04T14:30")), "Started before 2025-03-04 14:30"),
    (StartedBetween(local_ms("2025-03-01"), local_ms("2025-04-01")),
     f"Started 2025-03-01 {RANGE_DASH} 2025-04-01"),
    (DurationBetween(min_ms=90_000), "Duration ≥ 1:30"),
    (DurationBetween(max_ms=3_600_000), "Duration ≤ 1:00:00"),
    (VisitedUrl("simple", "/checkout"), "Visited /checkout"),
    (VisitedUrl("exact", "https://shop.example/?a=1"), "Visited exactly https://shop.example/?a=1"),
    (VisitedUrl("substring", "utm_"), "Visited a URL containing utm_"),
    (HAS_ERRORS, "Has errors"),
    (HAS_RAGE_CLICKS, "Has rage clicks"),
    (PerformedEvent(EventRule("dead_click")), "Performed: Dead click"),
    (PerformedEvent(EventRule("custom")), "Performed: Any custom event"),
    (PerformedEvent(EventRule("custom", "Add to cart")), "Performed: Add to cart"),
    (PerformedEvent(DefinedEvent("Pricing viewed")), "Performed: Pricing viewed"),
    (AttributeIs("device", ("mobile", "tablet")), "Device: mobile, tablet"),
    (AttributeIs("os", ("iOS",)), "OS: iOS"),
    (AttributeIs("country", ("CZ", "US")), "Country: CZ, US"),
    (VisitorMatches("anna@"), "Visitor: anna@"),
])
def test_a_chip_says_what_sessions_must_have(condition: Condition, text: str) -> None:
    assert summary(condition) == text


@pytest.mark.parametrize("condition", [
    AttributeIs("device", ("mobile", "tablet")),
    VisitedUrl("substring", "a b"),
    PerformedEvent(DefinedEvent("Pricing viewed")),
    DurationBetween(min_ms=60_000),
])
def test_the_shell_form_reads_back_as_the_same_condition(condition: Condition) -> None:
    form = shell_form(condition)
    assert form.startswith("--filter ")
    text = form.removeprefix("--filter ").strip("'")
    assert parse_filter(text) == condition
