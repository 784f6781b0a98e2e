"""A defined event proposed from one click, as the player's "Define event from this click"
fills its dialog: a name people read, the clicked element's selector made general enough to
match the same element on other pages and in other sessions, and its visible text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from app.core.analytics.events import IndexedEvent
from app.core.definitions.rules import NAME_LENGTH

# Clicks a defined event can be made from: the rage or dead click names the element too.
DEFINABLE_KINDS = frozenset({"click", "dblclick", "contextmenu", "rage_click", "dead_click"})
# Longer visible text is a whole list or card (a <select>'s options), not a label to match.
TEXT_LIMIT = 80
NAME_TEXT_LIMIT = 60
# Extraction writes `:nth-of-type(n)` where siblings share a tag (targets.py); the selectors
# rules use cannot read positions, and "the third card's button" rarely means anything in
# another session, where the list holds other items.
_POSITION = re.compile(r":nth-(?:last-)?(?:of-type|child)\([^)]*\)")
_MASKED = re.compile(r"[\s*]*\Z")


@dataclass(frozen=True)
class ClickSuggestion:
    name: str
    selector: str | None  # without positions
    text: str | None  # None when masked, missing or too long to be a label
    url: str | None  # the page, without query or fragment (a simple URL rule ignores them)


def can_define_from(event: IndexedEvent) -> bool:
    return event.kind in DEFINABLE_KINDS and bool(event.selector or usable_text(event.text))


def suggest_from_click(event: IndexedEvent) -> ClickSuggestion:
    selector = without_positions(event.selector) if event.selector else None
    text = usable_text(event.text)
    label = _cut(text, NAME_TEXT_LIMIT) if text else selector or "an element"
    return ClickSuggestion(_cut(f"Click: {label}", NAME_LENGTH), selector or None, text,
                           page_without_query(event.url) if event.url else None)


def without_positions(selector: str) -> str:
    """`ul > li:nth-of-type(3) > button` → `ul > li > button`."""
    return " ".join(_POSITION.sub("", selector).split())


def usable_text(text: str | None) -> str | None:
    """The text folded to one line, unless it is masked (all asterisks) or too long."""
    folded = " ".join((text or "").split())
    if not folded or _MASKED.match(folded) or len(folded) > TEXT_LIMIT:
        return None
    return folded


def page_without_query(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # recorded URLs are untrusted
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
