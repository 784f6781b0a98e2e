"""One entry of a session's events index, as extraction finds it and the cache stores it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What an entry can be. Straight from the recording: pageview (a page load or an SPA URL
# change), click, dblclick, contextmenu, input, error, custom, identify, network. Inferred
# from what followed: rage_click, dead_click, submit.
KINDS = ("pageview", "click", "dblclick", "contextmenu", "rage_click", "dead_click", "input",
         "submit", "error", "custom", "identify", "network")


@dataclass(slots=True)
class IndexedEvent:
    ts_ms: int
    kind: str
    name: str | None = None
    url: str | None = None  # the page it happened on
    node_id: int | None = None  # rrweb's id of the element acted on (the form, for a submit)
    x: float | None = None
    y: float | None = None
    properties: dict[str, Any] | None = None
    selector: str | None = None  # CSS selector of the element meant (see targets.py)
    text: str | None = None  # its visible text; for an input, the value typed (as masked)
    window: int = 0  # index into the recording's window ids
