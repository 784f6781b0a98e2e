"""What a session search asks for: a `SessionFilter` of conditions that must all hold.

The conditions are plain frozen values, so a filter can be compared, hashed (the session
list skips a query that did not change), sent to a worker thread and saved as JSON. Each one
checks itself when built: a bad filter fails where it is made, with a message naming the
part that is wrong, whether it came from the shell, a saved segment or the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from app.core.analytics.events import KINDS
from app.core.search.errors import FilterError

UrlRule = Literal["simple", "exact", "substring"]
Attribute = Literal["device", "os", "browser", "country"]
DEVICE_TYPES = ("desktop", "mobile", "tablet")


@dataclass(frozen=True)
class StartedBetween:
    """The session started at or after `after_ms` and before `before_ms` (either open)."""

    after_ms: int | None = None
    before_ms: int | None = None

    def __post_init__(self) -> None:
        if self.after_ms is None and self.before_ms is None:
            raise FilterError("a date range needs a start, an end or both")
        if self.after_ms is not None and self.before_ms is not None \
                and self.after_ms >= self.before_ms:
            raise FilterError("a date range must end after it starts")


@dataclass(frozen=True)
class DurationBetween:
    """The session lasted at least `min_ms` and at most `max_ms` (either open)."""

    min_ms: int | None = None
    max_ms: int | None = None

    def __post_init__(self) -> None:
        if self.min_ms is None and self.max_ms is None:
            raise FilterError("a duration range needs a minimum, a maximum or both")
        if any(bound is not None and bound < 0 for bound in (self.min_ms, self.max_ms)):
            raise FilterError("a duration cannot be negative")
        if self.min_ms is not None and self.max_ms is not None and self.min_ms > self.max_ms:
            raise FilterError("a duration range's minimum is above its maximum")


@dataclass(frozen=True)
class VisitedUrl:
    """Some page of the session matches `url` by `rule` (see search/urls.py), ignoring case."""

    rule: UrlRule
    url: str

    def __post_init__(self) -> None:
        if self.rule not in get_args(UrlRule):
            raise FilterError(f"unknown URL rule {self.rule!r}; "
                              f"rules are {', '.join(get_args(UrlRule))}")
        if not self.url.strip():
            raise FilterError("a URL filter needs a URL or some text")
        _single_line("a URL filter", self.url)


@dataclass(frozen=True)
class EventRule:
    """Rows of the events index: a built-in kind, or a custom event by its exact name (or
    any custom event, without one)."""

    kind: str
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FilterError(f"unknown event kind {self.kind!r}; kinds are {', '.join(KINDS)}")
        if self.name is not None and self.kind != "custom":
            raise FilterError("only a custom event is chosen by its name")
        if self.name is not None and not self.name.strip():
            raise FilterError("a custom event's name, when given, cannot be empty")


@dataclass(frozen=True)
class DefinedEvent:
    """An event defined by name (a name plus a rule, issue #5 part 2): the sessions holding
    it are asked of the definitions when the filter runs, so a segment follows later edits
    of the definition (see search/defined.py)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise FilterError("a defined event needs its name")


@dataclass(frozen=True)
class PerformedEvent:
    """The session holds at least one event matching `event`."""

    event: EventRule | DefinedEvent


@dataclass(frozen=True)
class AttributeIs:
    """The session's device type, OS, browser or country is one of `values` (any case)."""

    attribute: Attribute
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.attribute not in get_args(Attribute):
            raise FilterError(f"unknown session attribute {self.attribute!r}; "
                              f"attributes are {', '.join(get_args(Attribute))}")
        if not self.values or any(not value.strip() for value in self.values):
            raise FilterError(f"a {self.attribute} filter needs at least one value, "
                              "none of them empty")
        if self.attribute == "device":
            unknown = [v for v in self.values if v.lower() not in DEVICE_TYPES]
            if unknown:
                raise FilterError(f"unknown device type {unknown[0]!r}; device types are "
                                  f"{', '.join(DEVICE_TYPES)}")
        if self.attribute == "country":
            odd = [v for v in self.values if len(v) != 2 or not v.isalpha()]
            if odd:
                raise FilterError(f"{odd[0]!r} is not a country: use its two-letter code "
                                  "(ISO 3166-1 alpha-2), such as CZ or US")


@dataclass(frozen=True)
class VisitorMatches:
    """The visitor's id, name or e-mail address contains `text`, ignoring case."""

    text: str

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise FilterError("a visitor filter needs some text to look for")


Condition = (StartedBetween | DurationBetween | VisitedUrl | PerformedEvent | AttributeIs
             | VisitorMatches)

HAS_ERRORS = PerformedEvent(EventRule("error"))
HAS_RAGE_CLICKS = PerformedEvent(EventRule("rage_click"))


@dataclass(frozen=True)
class SessionFilter:
    """Conditions that must all hold (AND); no conditions match every session."""

    conditions: tuple[Condition, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.conditions)

    def adding(self, condition: Condition) -> SessionFilter:
        return SessionFilter((*self.conditions, condition))

    def removing(self, condition: Condition) -> SessionFilter:
        return SessionFilter(tuple(c for c in self.conditions if c != condition))

    def joining(self, other: SessionFilter) -> SessionFilter:
        """Both filters' conditions (a saved segment's or funnel's, then those given)."""
        return SessionFilter((*self.conditions, *other.conditions))


def _single_line(label: str, text: str) -> None:
    if any(character in text for character in "\t\r\n"):
        raise FilterError(f"{label} cannot hold tabs or line breaks")
