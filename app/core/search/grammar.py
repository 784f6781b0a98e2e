"""The shell form of a filter: ``tapeview sessions --filter KEY OP VALUE`` (once per condition).

`FILTER_GRAMMAR` is the reference shown by ``--help``; `parse_filters` reads the shell form
and `shell_filters` writes it back (a saved segment shown in the shell, say).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from datetime import datetime
from typing import get_args

from app.core.analytics.events import KINDS
from app.core.search.conditions import (
    HAS_ERRORS,
    HAS_RAGE_CLICKS,
    Attribute,
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

FILTER_GRAMMAR = """\
Filters (--filter KEY OP VALUE, repeatable; a session must match all of them):
  after=WHEN          started at or after WHEN
  before=WHEN         started before WHEN
                      WHEN: 2025-03-01, 2025-03-01T14:30 or "2025-03-01 14:30:05", in
                      local time unless it ends in Z or an offset such as +01:00
  duration>=LENGTH    lasted at least LENGTH; also duration>, duration<=, duration<
                      LENGTH: seconds (90) or with a unit: 1500ms, 90s, 5m, 1.5h
  url=URL             a page is URL, whatever its query, fragment, scheme, www. and
                      trailing /; a URL starting with / is a path on any host: url=/checkout
  url==URL            a page is exactly URL, query and fragment included
  url~TEXT            a page's URL contains TEXT
  event=KIND          has an event of a built-in KIND:
{kinds}
  event=custom:NAME   has the custom event NAME (the tracker's track(NAME), exact name)
  event=defined:NAME  has an event defined as NAME
  has=errors          has an error (the same as event=error)
  has=rage_clicks     has a rage click (the same as event=rage_click)
  device=TYPE         desktop, mobile or tablet
  os=NAME             operating system, such as iOS or Windows
  browser=NAME        browser, such as Chrome or Firefox
  country=CODE        two-letter country code, such as CZ
                      device, os, browser and country take alternatives: device=mobile,tablet
  visitor~TEXT        the visitor's id, name or e-mail address contains TEXT
Text is matched ignoring case, except event and custom event names.""".format(
    kinds=textwrap.fill(", ".join(KINDS), width=90, initial_indent=" " * 22,
                        subsequent_indent=" " * 22))

SHAPE = re.compile(r"\s*([A-Za-z_]+)\s*(==|>=|<=|=|~|>|<)\s*(.*?)\s*", re.DOTALL)
LENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?", re.IGNORECASE)
UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000}
URL_OPERATORS = {"=": "simple", "==": "exact", "~": "substring"}
HAS = {"errors": HAS_ERRORS, "rage_clicks": HAS_RAGE_CLICKS, "rage-clicks": HAS_RAGE_CLICKS}
KEYS = ("after", "before", "duration", "url", "event", "has", *get_args(Attribute), "visitor")


def parse_filters(texts: Iterable[str]) -> SessionFilter:
    """The filter of the given ``--filter`` values; FilterError names the first bad one."""
    return SessionFilter(tuple(parse_filter(text) for text in texts))


def parse_filter(text: str) -> Condition:
    shape = SHAPE.fullmatch(text)
    if shape is None:
        raise FilterError(f'bad filter "{text}": expected KEY OP VALUE, such as device=mobile '
                          "(see --help for every filter)")
    key, operator, value = shape[1].lower(), shape[2], shape[3]
    if key not in KEYS:
        raise FilterError(f'bad filter "{text}": unknown filter "{key}"; filters are '
                          f"{', '.join(KEYS)}")
    if not value:
        raise FilterError(f'bad filter "{text}": {key} needs a value after {operator}')
    try:
        return _condition(key, operator, value)
    except FilterError as exc:
        raise FilterError(f'bad filter "{text}": {exc}') from None


def _condition(key: str, operator: str, value: str) -> Condition:
    if key in ("after", "before"):
        _expect(key, operator, "=")
        moment = _moment(value)
        return StartedBetween(after_ms=moment) if key == "after" \
            else StartedBetween(before_ms=moment)
    if key == "duration":
        return _duration(operator, value)
    if key == "url":
        _expect(key, operator, *URL_OPERATORS)
        return VisitedUrl(URL_OPERATORS[operator], value)  # type: ignore[arg-type]
    if key == "event":
        _expect(key, operator, "=")
        return PerformedEvent(_event(value))
    if key == "has":
        _expect(key, operator, "=")
        if value.lower() not in HAS:
            raise FilterError(f"has takes errors or rage_clicks, not {value!r}")
        return HAS[value.lower()]
    if key == "visitor":
        _expect(key, operator, "~")
        return VisitorMatches(value)
    _expect(key, operator, "=")
    values = tuple(part.strip() for part in value.split(","))
    if key == "device":
        values = tuple(part.lower() for part in values)
    elif key == "country":
        values = tuple(part.upper() for part in values)
    return AttributeIs(key, values)  # type: ignore[arg-type]


def _expect(key: str, operator: str, *allowed: str) -> None:
    if operator not in allowed:
        forms = " or ".join(f"{key}{option}" for option in allowed)
        raise FilterError(f"{key} does not take {operator}; write {forms}")


def _moment(value: str) -> int:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{value!r} is not a date or time; write 2025-03-01 or "
                          "2025-03-01T14:30") from None
    return round(moment.timestamp() * 1000)  # a time without a zone is local time


def _duration(operator: str, value: str) -> DurationBetween:
    _expect("duration", operator, ">=", ">", "<=", "<")
    length = LENGTH.fullmatch(value)
    if length is None:
        raise FilterError(f"{value!r} is not a length; write seconds (90) or a number with a "
                          "unit: 1500ms, 90s, 5m, 1.5h")
    ms = round(float(length[1]) * UNIT_MS[(length[2] or "s").lower()])
    if operator in (">=", ">"):
        return DurationBetween(min_ms=ms + (operator == ">"))
    return DurationBetween(max_ms=ms - (operator == "<"))


def _event(value: str) -> EventRule | DefinedEvent:
    source, colon, name = value.partition(":")
    if colon and source.lower() == "custom":
        return EventRule("custom", name=name.strip())
    if colon and source.lower() == "defined":
        return DefinedEvent(name.strip())
    try:
        return EventRule(value.lower())
    except FilterError as exc:
        raise FilterError(f"{exc} (a custom event is event=custom:{value})") from None


def shell_filters(search: SessionFilter) -> list[str]:
    """The ``--filter`` values that parse back to `search` (one per bound of a range)."""
    return [text for condition in search.conditions for text in _shell(condition)]


def _shell(condition: Condition) -> list[str]:
    match condition:
        case StartedBetween(after_ms, before_ms):
            return [f"{key}={_iso(ms)}" for key, ms in (("after", after_ms),
                                                       ("before", before_ms))
                    if ms is not None]
        case DurationBetween(min_ms, max_ms):
            return [f"duration{operator}{_length(ms)}" for operator, ms in ((">=", min_ms),
                                                                           ("<=", max_ms))
                    if ms is not None]
        case VisitedUrl(rule, url):
            operator = next(op for op, name in URL_OPERATORS.items() if name == rule)
            return [f"url{operator}{url}"]
        case PerformedEvent(DefinedEvent(name)):
            return [f"event=defined:{name}"]
        case PerformedEvent(EventRule(kind, None)):
            return [f"event={kind}"]
        case PerformedEvent(EventRule(_, name)):
            return [f"event=custom:{name}"]
        case AttributeIs(attribute, values):
            return [f"{attribute}={','.join(values)}"]
        case VisitorMatches(text):
            return [f"visitor~{text}"]
    raise TypeError(f"not a filter condition: {condition!r}")


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000).astimezone()
    return moment.isoformat(timespec="seconds" if ms % 1000 == 0 else "milliseconds")


def _length(ms: int) -> str:
    for unit in ("h", "m", "s"):
        if ms and ms % UNIT_MS[unit] == 0:
            return f"{ms // UNIT_MS[unit]}{unit}"
    return f"{ms}ms"
