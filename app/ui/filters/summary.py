"""How a filter condition reads on its chip ("Device: mobile, tablet", "Visited /checkout"),
and the shell form it matches, so a filter seen in the window can be typed in a terminal."""

from __future__ import annotations

import shlex
from datetime import datetime

from app.core.display import duration
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
from app.core.search.grammar import shell_filters

RANGE_DASH = "\N{EN DASH}"
EVENT_KIND_TITLES = {"pageview": "Page view", "click": "Click", "dblclick": "Double click",
                     "contextmenu": "Right click", "rage_click": "Rage click",
                     "dead_click": "Dead click", "input": "Input", "submit": "Form submit",
                     "error": "Error", "custom": "Any custom event", "identify": "Identify",
                     "network": "Network request"}
ATTRIBUTE_TITLES = {"device": "Device", "os": "OS", "browser": "Browser", "country": "Country"}
URL_RULE_TITLES = {"simple": "Visited", "exact": "Visited exactly",
                   "substring": "Visited a URL containing"}


def summary(condition: Condition) -> str:
    """The chip's text: what a session must have, in the words of a session list."""
    match condition:
        case StartedBetween(after_ms, None):
            return f"Started after {_moment(after_ms)}"
        case StartedBetween(None, before_ms):
            return f"Started before {_moment(before_ms)}"
        case StartedBetween(after_ms, before_ms):
            return f"Started {_moment(after_ms)} {RANGE_DASH} {_moment(before_ms)}"
        case DurationBetween(min_ms, None):
            return f"Duration ≥ {duration(min_ms)}"
        case DurationBetween(None, max_ms):
            return f"Duration ≤ {duration(max_ms)}"
        case DurationBetween(min_ms, max_ms):
            return f"Duration {duration(min_ms)} {RANGE_DASH} {duration(max_ms)}"
        case VisitedUrl(rule, url):
            return f"{URL_RULE_TITLES[rule]} {url}"
        case _ if condition == HAS_ERRORS:
            return "Has errors"
        case _ if condition == HAS_RAGE_CLICKS:
            return "Has rage clicks"
        case PerformedEvent(event):
            return f"Performed: {event_title(event)}"
        case AttributeIs(attribute, values):
            return f"{ATTRIBUTE_TITLES[attribute]}: {', '.join(values)}"
        case VisitorMatches(text):
            return f"Visitor: {text}"
    raise TypeError(f"not a filter condition: {condition!r}")


def event_title(event: EventRule | DefinedEvent) -> str:
    """A built-in kind by its title, a custom or defined event by its name."""
    if isinstance(event, DefinedEvent) or event.name is not None:
        return event.name or ""
    return EVENT_KIND_TITLES.get(event.kind, event.kind)


def shell_form(condition: Condition) -> str:
    """The `tapeview sessions` options that ask for `condition`."""
    return " ".join(f"--filter {shlex.quote(text)}"
                    for text in shell_filters(SessionFilter((condition,))))


def _moment(ms: int | None) -> str:
    """Local time; midnight reads as the day alone, as a date picker chose it."""
    moment = datetime.fromtimestamp((ms or 0) / 1000)
    return moment.strftime("%Y-%m-%d" if moment.time() == datetime.min.time()
                           else "%Y-%m-%d %H:%M")
