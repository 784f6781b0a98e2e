"""A `SessionFilter` as JSON, the form a segment keeps it in.

One object per condition, named by ``type``; a ``version`` lets a later Tapeview read what
an earlier one saved. Reading checks every field's type, so a damaged saved filter is
refused with what is wrong rather than failing later inside a query.
"""

from __future__ import annotations

from typing import Any

from app.core.search.conditions import (
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

VERSION = 1
# type name: (condition class, its integer fields, its text fields, its text-list fields)
TYPES: dict[str, tuple[type, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "started": (StartedBetween, ("after_ms", "before_ms"), (), ()),
    "duration": (DurationBetween, ("min_ms", "max_ms"), (), ()),
    "url": (VisitedUrl, (), ("rule", "url"), ()),
    "attribute": (AttributeIs, (), ("attribute",), ("values",)),
    "visitor": (VisitorMatches, (), ("text",), ()),
    "event": (EventRule, (), ("kind", "name"), ()),
    "defined_event": (DefinedEvent, (), ("name",), ()),
}
TYPE_NAMES = {StartedBetween: "started", DurationBetween: "duration", VisitedUrl: "url",
              AttributeIs: "attribute", VisitorMatches: "visitor", EventRule: "event",
              DefinedEvent: "defined_event"}


def filter_to_json(search: SessionFilter) -> dict[str, Any]:
    return {"version": VERSION, "conditions": [_encode(c) for c in search.conditions]}


def _encode(condition: Condition) -> dict[str, Any]:
    value: Any = condition.event if isinstance(condition, PerformedEvent) else condition
    encoded: dict[str, Any] = {"type": TYPE_NAMES[type(value)]}
    for name, field in vars(value).items():
        if field is not None:
            encoded[name] = list(field) if isinstance(field, tuple) else field
    return encoded


def filter_from_json(data: Any) -> SessionFilter:
    """The filter `filter_to_json` wrote; FilterError if `data` is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("conditions"), list):
        raise FilterError("not a saved filter: expected an object with a list of conditions")
    if data.get("version") != VERSION:
        raise FilterError(f"saved filter of version {data.get('version')!r}; this Tapeview "
                          f"reads version {VERSION}")
    return SessionFilter(tuple(_decode(item) for item in data["conditions"]))


def _decode(item: Any) -> Condition:
    if not isinstance(item, dict) or item.get("type") not in TYPES:
        raise FilterError(f"saved filter: {item!r} is not a condition; conditions have a "
                          f"type among {', '.join(TYPES)}")
    cls, integers, texts, text_lists = TYPES[item["type"]]
    fields = {name: value for name, value in item.items() if name != "type"}
    for name, value in fields.items():
        if name in integers:
            fine = isinstance(value, int) and not isinstance(value, bool)
        elif name in texts:
            fine = isinstance(value, str)
        elif name in text_lists:
            fine = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            raise FilterError(f"saved filter: a {item['type']} condition has no {name!r}")
        if not fine:
            raise FilterError(f"saved filter: {item['type']} condition's {name} is {value!r}")
    try:
        value = cls(**{name: tuple(v) if name in text_lists else v
                       for name, v in fields.items()})
    except TypeError:
        raise FilterError(f"saved filter: {item!r} lacks a field its type needs") from None
    return PerformedEvent(value) if isinstance(value, EventRule | DefinedEvent) else value
