"""What a defined event is: a name and a rule, matched against the events index.

Like Smartlook's defined events and PostHog's actions, a rule names clicks or pages after
the fact. A rule with a CSS selector or a text is about clicks: the clicked element or one
of its ancestors matches the selector (a click on the icon inside `.buy` is a click on
`.buy`), and the element's visible text equals or contains the text (ignoring case and
spacing); a URL, if given too, is the page the click happened on. A rule with only a URL
is about pageviews. Every part given must hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from app.core.search.conditions import UrlRule
from app.core.search.urls import url_matches
from app.core.selectors import Selector, SelectorError, parse_selector

TextMatch = Literal["exact", "contains"]
CLICK_KINDS = ("click", "dblclick", "contextmenu")
NAME_LENGTH = 200


class DefinitionError(ValueError):
    """A definition that cannot work; the message names the part that is wrong."""


@dataclass(frozen=True)
class DefinitionRule:
    selector: str | None = None
    text: str | None = None
    text_match: TextMatch = "exact"
    url: str | None = None
    url_match: UrlRule = "simple"

    def __post_init__(self) -> None:
        if not any((self.selector, self.text, self.url)):
            raise DefinitionError("a defined event needs a CSS selector, a text or a URL")
        if self.text_match not in get_args(TextMatch):
            raise DefinitionError(f"unknown text match {self.text_match!r}; use "
                                  f"{' or '.join(get_args(TextMatch))}")
        if self.url_match not in get_args(UrlRule):
            raise DefinitionError(f"unknown URL rule {self.url_match!r}; rules are "
                                  f"{', '.join(get_args(UrlRule))}")
        for label, value in (("selector", self.selector), ("text", self.text),
                             ("URL", self.url)):
            if value is not None and not value.strip():
                raise DefinitionError(f"the {label}, when given, cannot be empty")
        if self.selector is not None:
            try:
                parse_selector(self.selector)
            except SelectorError as exc:
                raise DefinitionError(f"the CSS selector cannot be used: {exc}") from None

    @property
    def about_clicks(self) -> bool:
        return self.selector is not None or self.text is not None

    @property
    def event_kinds(self) -> tuple[str, ...]:
        return CLICK_KINDS if self.about_clicks else ("pageview",)

    def describe(self) -> str:
        parts = []
        if self.selector:
            parts.append(f"click on {self.selector}")
        if self.text:
            verb = "with text" if self.text_match == "exact" else "with text containing"
            parts.append(f"{'' if self.selector else 'click '}{verb} “{self.text}”")
        if self.url:
            where = "on" if self.about_clicks else "pageview of"
            parts.append(f"{where} {self.url} ({self.url_match})")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DefinitionRule:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


class RuleMatcher:
    """A rule compiled once, then tried on many rows of the events index."""

    def __init__(self, rule: DefinitionRule) -> None:
        self.rule = rule
        self._selector: Selector | None = parse_selector(rule.selector) \
            if rule.selector else None
        self._text = _fold(rule.text) if rule.text else None

    def matches(self, url: str | None, text: str | None,
                properties: Mapping[str, Any] | None) -> bool:
        rule = self.rule
        if rule.url is not None and not (url and url_matches(rule.url_match, rule.url, url)):
            return False
        if self._text is not None:
            folded = _fold(text or "")
            found = folded == self._text if rule.text_match == "exact" \
                else self._text in folded
            if not found:
                return False
        if self._selector is not None:
            element = _PathElement.chain((properties or {}).get("path"))
            while element is not None:
                if self._selector.matches(element):
                    return True
                element = element.parent()
            return False
        return True


class _PathElement:
    """One element of a click's stored path (see `element_path` in analytics/targets.py),
    as selector matching sees it."""

    __slots__ = ("_parent", "attributes", "tag")

    def __init__(self, tag: str, attributes: Mapping[str, str],
                 parent: _PathElement | None) -> None:
        self.tag, self.attributes, self._parent = tag, attributes, parent

    def parent(self) -> _PathElement | None:
        return self._parent

    @classmethod
    def chain(cls, path: Any) -> _PathElement | None:
        """The clicked element, linked up through its stored ancestors."""
        if not isinstance(path, list):
            return None
        element: _PathElement | None = None
        for entry in reversed(path):
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict):
                element = cls(str(entry[0]), entry[1], element)
        return element


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
