"""What a funnel is: 2-10 ordered steps, a conversion window, and whom it follows.

A step is a pageview (a URL by rule, as filters and heatmaps read one: search/urls.py), a
click (on an element matching a CSS selector, itself or an ancestor, or with a text), a
custom event (by name, with optional property values) or an event defined after the fact
(by name). Steps are plain frozen values that check themselves when built, so a bad step
fails where it is made, with a message naming it, whether it came from the shell, a saved
funnel or the window. `parse_step` and `step_text` are the shell form, both ways.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from app.core.definitions.rules import DefinitionError, DefinitionRule
from app.core.search.conditions import UrlRule, VisitedUrl
from app.core.search.errors import FilterError

By = Literal["visitor", "session"]
TextMatch = Literal["exact", "contains"]
MIN_STEPS, MAX_STEPS = 2, 10
DEFAULT_WINDOW_MS = 86_400_000
MAX_WINDOW_MS = 366 * DEFAULT_WINDOW_MS
STEP_GRAMMAR = """\
Steps (--step, 2 to 10 of them, in order):
  pageview:URL         a page is URL, whatever its query, fragment, scheme, www. and trailing
                       /; a URL starting with / is a path on any host: pageview:/cart
  pageview=:URL        a page is exactly URL, query and fragment included
  pageview~:TEXT       a page's URL contains TEXT
  click:SELECTOR       a click on an element matching the CSS selector, or inside one:
                       click:#checkout, click:"form.pay button"
  click-text:TEXT      a click on an element whose visible text is TEXT
  click-text~:TEXT     a click on an element whose visible text contains TEXT
  event:NAME           the custom event NAME (the tracker's track(NAME), exact name)
  event:NAME[K=V,...]  ... whose properties K have the values V: event:signup[plan=pro]
  defined:NAME         an event defined as NAME (tapeview define-event)
URLs and texts are matched ignoring case; event names and property values exactly."""

STEP_SHAPE = re.compile(r"\s*(pageview|click-text|click|event|defined)\s*(=|~)?:(.*)",
                        re.IGNORECASE | re.DOTALL)
PROPERTIES_SHAPE = re.compile(r"(.*?)\[(.*)\]\s*", re.DOTALL)
WINDOW_SHAPE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*", re.IGNORECASE)
UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
           "w": 604_800_000}
PAGEVIEW_RULES: dict[str | None, UrlRule] = {None: "simple", "=": "exact", "~": "substring"}


class FunnelError(FilterError):
    """A funnel that cannot be built or counted; the message names the bad part and says
    why. A FilterError, so a caller showing a filter's errors shows a funnel's too."""


@dataclass(frozen=True)
class PageviewStep:
    """A page view of a URL by rule (search/urls.py), ignoring case."""

    url: str
    rule: UrlRule = "simple"

    def __post_init__(self) -> None:
        try:
            VisitedUrl(self.rule, self.url)
        except FilterError as exc:
            raise FunnelError(f"pageview step: {exc}") from None

    def label(self) -> str:
        how = {"simple": "", "exact": " (exactly)", "substring": " (URL contains)"}[self.rule]
        return f"Pageview {self.url.strip()}{how}"


@dataclass(frozen=True)
class ClickStep:
    """A click on an element matching `selector` (it or an ancestor, as defined events
    match: definitions/rules.py), and/or whose visible text is (or contains) `text`,
    ignoring case and spacing."""

    selector: str | None = None
    text: str | None = None
    text_match: TextMatch = "exact"

    def __post_init__(self) -> None:
        try:
            self.rule()
        except DefinitionError as exc:
            raise FunnelError(f"click step: {exc}") from None

    def rule(self) -> DefinitionRule:
        """The same rule as a defined event's, so a step finds what a definition would."""
        if self.selector is None and self.text is None:
            raise DefinitionError("a click step needs a CSS selector or a text")
        return DefinitionRule(selector=self.selector, text=self.text,
                              text_match=self.text_match)

    def label(self) -> str:
        parts = [f"Click {self.selector.strip()}" if self.selector else "Click"]
        if self.text:
            verb = "“{}”" if self.text_match == "exact" else "containing “{}”"
            parts.append(verb.format(" ".join(self.text.split())))
        return " ".join(parts)


@dataclass(frozen=True)
class CustomEventStep:
    """The custom event `name` (exact), whose `properties` have these values (as text)."""

    name: str
    properties: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise FunnelError("an event step needs the custom event's name")
        for key, _value in self.properties:
            if not key.strip():
                raise FunnelError(f"event step {self.name!r}: a property filter needs a "
                                  "property name before =")

    def label(self) -> str:
        filters = ", ".join(f"{key} = {value}" for key, value in self.properties)
        return f"Event {self.name}" + (f" ({filters})" if filters else "")


@dataclass(frozen=True)
class DefinedEventStep:
    """An event defined after the fact (definitions/), found through its stored hits."""

    name: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise FunnelError("a defined event step needs the event's name")

    def label(self) -> str:
        return f"Defined: {self.name.strip()}"


Step = PageviewStep | ClickStep | CustomEventStep | DefinedEventStep


@dataclass(frozen=True)
class Funnel:
    """Ordered steps an actor (a visitor, or a session) must take, each after the one before,
    all within `window_ms` of the first."""

    steps: tuple[Step, ...]
    window_ms: int = DEFAULT_WINDOW_MS
    by: By = "visitor"

    def __post_init__(self) -> None:
        if not MIN_STEPS <= len(self.steps) <= MAX_STEPS:
            raise FunnelError(f"a funnel has {MIN_STEPS} to {MAX_STEPS} steps, not "
                              f"{len(self.steps)}")
        if not 0 < self.window_ms <= MAX_WINDOW_MS:
            raise FunnelError("the conversion window must be longer than 0 and at most "
                              f"{MAX_WINDOW_MS // DEFAULT_WINDOW_MS} days")
        if self.by not in get_args(By):
            raise FunnelError(f"a funnel counts by visitor or by session, not {self.by!r}")

    def to_json(self) -> dict[str, Any]:
        return {"steps": [step_to_json(step) for step in self.steps],
                "window_ms": self.window_ms, "by": self.by}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Funnel:
        try:
            return cls(tuple(step_from_json(step) for step in data["steps"]),
                       int(data.get("window_ms", DEFAULT_WINDOW_MS)), data.get("by", "visitor"))
        except FunnelError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FunnelError(f"not a funnel definition: {exc!r}") from None


def parse_step(text: str) -> Step:
    """A step in its shell form (see `STEP_GRAMMAR`); FunnelError says what is wrong."""
    shape = STEP_SHAPE.fullmatch(text)
    if shape is None:
        raise FunnelError(f'bad step "{text}": expected KIND:VALUE, such as pageview:/cart; '
                          "kinds are pageview, click, click-text, event, defined")
    kind, how, value = shape[1].lower(), shape[2], shape[3].strip()
    if how is not None and kind not in ("pageview", "click-text"):
        raise FunnelError(f'bad step "{text}": only pageview and click-text take {how}')
    if not value:
        raise FunnelError(f'bad step "{text}": {kind} needs a value after the colon')
    try:
        if kind == "pageview":
            return PageviewStep(value, PAGEVIEW_RULES[how])
        if kind == "click":
            return ClickStep(selector=value)
        if kind == "click-text":
            return ClickStep(text=value, text_match="contains" if how == "~" else "exact")
        if kind == "defined":
            return DefinedEventStep(value)
        return _custom_event(value)
    except FunnelError as exc:
        raise FunnelError(f'bad step "{text}": {exc}') from None


def _custom_event(value: str) -> CustomEventStep:
    bracketed = PROPERTIES_SHAPE.fullmatch(value)
    if bracketed is None:
        return CustomEventStep(value)
    properties = []
    for part in bracketed[2].split(","):
        key, equals, wanted = part.partition("=")
        if not equals:
            raise FunnelError(f"property filter {part.strip()!r} needs the form KEY=VALUE")
        properties.append((key.strip(), wanted.strip()))
    return CustomEventStep(bracketed[1].strip(), tuple(properties))


def step_text(step: Step) -> str:
    """The shell form of a step: `parse_step` reads it back."""
    match step:
        case PageviewStep(url, rule):
            how = next(how for how, name in PAGEVIEW_RULES.items() if name == rule) or ""
            return f"pageview{how}:{url}"
        case ClickStep(selector, None, _) if selector is not None:
            return f"click:{selector}"
        case ClickStep(None, text, text_match) if text is not None:
            return f"click-text{'~' if text_match == 'contains' else ''}:{text}"
        case CustomEventStep(name, properties):
            filters = ",".join(f"{key}={value}" for key, value in properties)
            return f"event:{name}" + (f"[{filters}]" if filters else "")
        case DefinedEventStep(name):
            return f"defined:{name}"
    raise FunnelError(f"{step.label()} has no shell form (a selector and a text together)")


def step_to_json(step: Step) -> dict[str, Any]:
    match step:
        case PageviewStep(url, rule):
            return {"type": "pageview", "url": url, "match": rule}
        case ClickStep(selector, text, text_match):
            return {"type": "click", "selector": selector, "text": text,
                    "text_match": text_match}
        case CustomEventStep(name, properties):
            return {"type": "event", "name": name, "properties": dict(properties)}
        case DefinedEventStep(name):
            return {"type": "defined", "name": name}
    raise TypeError(f"not a funnel step: {step!r}")


def step_from_json(data: Mapping[str, Any]) -> Step:
    kind = data.get("type")
    if kind == "pageview":
        return PageviewStep(data["url"], data.get("match", "simple"))
    if kind == "click":
        return ClickStep(data.get("selector"), data.get("text"),
                         data.get("text_match", "exact"))
    if kind == "event":
        return CustomEventStep(data["name"], tuple(
            (str(key), str(value)) for key, value in (data.get("properties") or {}).items()))
    if kind == "defined":
        return DefinedEventStep(data["name"])
    raise FunnelError(f"unknown step type {kind!r}")


def parse_window(text: str) -> int:
    """A conversion window such as 90s, 30m, 1h, 1d, 7d or 2w (bare numbers are seconds),
    in milliseconds."""
    shape = WINDOW_SHAPE.fullmatch(text)
    if shape is None:
        raise FunnelError(f"bad window {text!r}: write a number with a unit, such as 90s, "
                          "30m, 1h, 1d or 7d")
    ms = round(float(shape[1]) * UNIT_MS[(shape[2] or "s").lower()])
    if not 0 < ms <= MAX_WINDOW_MS:
        raise FunnelError(f"bad window {text!r}: it must be longer than 0 and at most "
                          f"{MAX_WINDOW_MS // DEFAULT_WINDOW_MS} days")
    return ms


def window_text(ms: int) -> str:
    """The shortest `parse_window` form of a window."""
    for unit in ("w", "d", "h", "m", "s"):
        if ms % UNIT_MS[unit] == 0:
            return f"{ms // UNIT_MS[unit]}{unit}"
    return f"{ms}ms"
