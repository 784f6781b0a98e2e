"""The shell form of filters: what each filter reads as, what is refused and how it is
explained, and writing a filter back as the shell form."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.core.search.conditions import (
    HAS_ERRORS,
    HAS_RAGE_CLICKS,
    AttributeIs,
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
from app.core.search.grammar import FILTER_GRAMMAR, parse_filter, parse_filters, shell_filters

MARCH_1_UTC = 1_740_787_200_000


@pytest.mark.parametrize(("text", "condition"), [
    ("after=2025-03-01T00:00Z", StartedBetween(after_ms=MARCH_1_UTC)),
    ("before=2025-03-01T01:00+01:00", StartedBetween(before_ms=MARCH_1_UTC)),
    ("after=2025-03-01 00:00:00.250Z", StartedBetween(after_ms=MARCH_1_UTC + 250)),
    ("duration>=60", DurationBetween(min_ms=60_000)),
    ("duration>60", DurationBetween(min_ms=60_001)),
    ("duration<=1.5h", DurationBetween(max_ms=5_400_000)),
    ("duration<90s", DurationBetween(max_ms=89_999)),
    ("duration >= 5m", DurationBetween(min_ms=300_000)),
    ("duration>=1500ms", DurationBetween(min_ms=1_500)),
    ("url=/checkout", VisitedUrl("simple", "/checkout")),
    ("url==https://shop.example/a?b=c", VisitedUrl("exact", "https://shop.example/a?b=c")),
    ("url~/checkout", VisitedUrl("substring", "/checkout")),
    ("URL~a=b", VisitedUrl("substring", "a=b")),
    ("event=rage_click", HAS_RAGE_CLICKS),
    ("event=Error", HAS_ERRORS),
    ("event=custom:add_to_cart", PerformedEvent(EventRule("custom", name="add_to_cart"))),
    ("event=custom", PerformedEvent(EventRule("custom"))),
    ("event=defined:Clicked buy", PerformedEvent(DefinedEvent("Clicked buy"))),
    ("has=errors", HAS_ERRORS),
    ("has=rage_clicks", HAS_RAGE_CLICKS),
    ("has=Rage-Clicks", HAS_RAGE_CLICKS),
    ("device=Mobile", AttributeIs("device", ("mobile",))),
    ("device=mobile, tablet", AttributeIs("device", ("mobile", "tablet"))),
    ("os=Mac OS X", AttributeIs("os", ("Mac OS X",))),
    ("browser=Chrome,Firefox", AttributeIs("browser", ("Chrome", "Firefox"))),
    ("country=cz", AttributeIs("country", ("CZ",))),
    ("visitor~maria", VisitorMatches("maria")),
    ("visitor~maria@example.com", VisitorMatches("maria@example.com")),
])
def test_each_filter_reads_as_its_condition(text: str, condition: object) -> None:
    assert parse_filter(text) == condition


def test_a_date_without_a_zone_is_local_time() -> None:
    expected = round(datetime(2025, 3, 1).timestamp() * 1000)
    assert parse_filter("after=2025-03-01") == StartedBetween(after_ms=expected)


def test_filters_are_anded_in_the_order_given() -> None:
    search = parse_filters(["url~/checkout", "device=mobile", "duration>=60",
                            "event=rage_click", "after=2025-03-01T00:00Z", "has=errors",
                            "visitor~maria"])
    assert search == SessionFilter((
        VisitedUrl("substring", "/checkout"), AttributeIs("device", ("mobile",)),
        DurationBetween(min_ms=60_000), HAS_RAGE_CLICKS, StartedBetween(after_ms=MARCH_1_UTC),
        HAS_ERRORS, VisitorMatches("maria")))
    assert parse_filters([]) == SessionFilter()


@pytest.mark.parametrize(("text", "message"), [
    ("mobile", r'bad filter "mobile": expected KEY OP VALUE, such as device=mobile'),
    ("", r'bad filter "": expected KEY OP VALUE'),
    ("colour=red", r'unknown filter "colour"; filters are after, before, duration, url'),
    ("device=", r'"device=": device needs a value after ='),
    ("after=yesterday", r"'yesterday' is not a date or time; write 2025-03-01"),
    ("after>2025-03-01", r"after does not take >; write after="),
    ("duration=60", r"duration does not take =; write duration>= or duration> or"),
    ("duration>=a minute", r"'a minute' is not a length; write seconds \(90\)"),
    ("duration>=5d", r"'5d' is not a length"),
    ("duration<0", r"a duration cannot be negative"),
    ("url>x", r"url does not take >; write url= or url== or url~"),
    ("event=rageclick", r"unknown event kind 'rageclick'; kinds are pageview, click, .*"
                        r"\(a custom event is event=custom:rageclick\)"),
    ("event=custom:", r"a custom event's name, when given, cannot be empty"),
    ("event=defined: ", r'"event=defined: ": a defined event needs its name'),
    ("has=bugs", r"has takes errors or rage_clicks, not 'bugs'"),
    ("device=phone", r"unknown device type 'phone'; device types are desktop, mobile, tablet"),
    ("device=mobile,", r"a device filter needs at least one value, none of them empty"),
    ("country=Czechia", r"'CZECHIA' is not a country: use its two-letter code"),
    ("visitor=maria", r"visitor does not take =; write visitor~"),
])
def test_bad_filters_are_refused_naming_the_filter_and_why(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message) as raised:
        parse_filter(text)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value).startswith(f'bad filter "{text}"')


def test_the_first_bad_filter_of_many_is_named() -> None:
    with pytest.raises(FilterError, match=r'^bad filter "os~mac"'):
        parse_filters(["device=mobile", "os~mac", "colour=red"])


def test_the_shell_form_reads_back_as_the_same_filter() -> None:
    search = parse_filters([
        "after=2025-03-01T00:00Z", "before=2025-03-08T12:30:00.500+01:00", "duration>=90s",
        "duration<=2h", "duration>1m", "url=/checkout", "url==https://a.example/?q=1",
        "url~pay", "event=click", "event=custom:signup", "event=defined:Bought",
        "has=errors", "device=mobile,tablet", "os=iOS", "browser=Chrome",
        "country=CZ,SK", "visitor~maria"])
    assert parse_filters(shell_filters(search)) == search
    assert shell_filters(parse_filters(["duration>=60", "duration>1m"])) \
        == ["duration>=1m", "duration>=60001ms"]


def test_a_range_with_both_ends_is_written_as_two_filters() -> None:
    both = SessionFilter((StartedBetween(MARCH_1_UTC, MARCH_1_UTC + 86_400_000),
                          DurationBetween(1_000, 60_000)))
    texts = shell_filters(both)
    assert [text.split("=")[0] for text in texts] == ["after", "before", "duration>", "duration<"]
    assert parse_filters(texts) == SessionFilter((
        StartedBetween(after_ms=MARCH_1_UTC), StartedBetween(before_ms=MARCH_1_UTC + 86_400_000),
        DurationBetween(min_ms=1_000), DurationBetween(max_ms=60_000)))


def test_the_grammar_help_names_every_filter_and_every_event_kind() -> None:
    for key in ("after=", "before=", "duration>=", "url=", "url==", "url~", "event=",
                "event=custom:", "event=defined:", "has=errors", "has=rage_clicks", "device=",
                "os=", "browser=", "country=", "visitor~"):
        assert f"  {key}" in FILTER_GRAMMAR, key
    for kind in ("pageview", "rage_click", "dead_click", "network"):
        assert kind in FILTER_GRAMMAR
    assert max(len(line) for line in FILTER_GRAMMAR.splitlines()) <= 100
