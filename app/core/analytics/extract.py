"""Pull a session's events index out of its rrweb events: what happened, when, on what.

One pass in time order. Each window keeps a DOM mirror, so a click is named by the element
it meant (targets.py), and detectors that decide later: rage and dead clicks (clicks.py) and
form submits (forms.py). Errors, network entries and SPA navigations are read from what
recorders put in plugin and custom events (errors.py, network.py, custom_tags.py).

It runs wherever a recording enters the cache (import and sync both go through
`write_session`), in `tapeview reindex`, for the player's timeline, and at the server's ingest.
Give it masked events: input values and texts are taken as the recording holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.analytics.clicks import DeadClicks, RageClicks
from app.core.analytics.custom_tags import is_site_event, navigation_href
from app.core.analytics.errors import breadcrumb_error, console_error
from app.core.analytics.events import IndexedEvent
from app.core.analytics.forms import Submits
from app.core.analytics.network import (
    NETWORK_PLUGIN,
    Request,
    from_network_plugin,
    from_performance_span,
)
from app.core.analytics.targets import (
    BUTTON_INPUTS,
    Target,
    css_selector,
    describe_target,
    element_path,
)
from app.core.recording.mirror import DomMirror
from app.core.recording.rrweb import CONSOLE_PLUGIN, EventType, MouseInteraction, Source

# Bump when extraction finds more or different events: sessions indexed by an older version
# are extracted again (`tapeview reindex`, or when their events are listed).
# 2: clicks keep their element path (for events defined later by a CSS selector).
EXTRACTION_VERSION = 2

CLICK_KINDS = {MouseInteraction.CLICK: "click", MouseInteraction.DBL_CLICK: "dblclick",
               MouseInteraction.CONTEXT_MENU: "contextmenu"}
# rrweb's numbers as plain ints for the loop that runs once per event: reading an enum member
# off its class costs ten times as much as comparing two ints.
_INCREMENTAL, _META, _FULL_SNAPSHOT, _CUSTOM, _PLUGIN = map(int, (
    EventType.INCREMENTAL_SNAPSHOT, EventType.META, EventType.FULL_SNAPSHOT, EventType.CUSTOM,
    EventType.PLUGIN))
_MUTATION, _MOUSE_INTERACTION, _INPUT, _LOG = map(int, (
    Source.MUTATION, Source.MOUSE_INTERACTION, Source.INPUT, Source.LOG))
_CLICK = int(MouseInteraction.CLICK)
# What the pointer does is not the page answering a click; every other incremental change is.
POINTER_SOURCES = frozenset(map(int, (Source.MOUSE_MOVE, Source.MOUSE_INTERACTION,
                                     Source.TOUCH_MOVE, Source.DRAG)))
# Clicking these focuses them: an answer rrweb does not record, so they are never dead clicks.
FORM_FIELD_TAGS = frozenset({"input", "textarea", "select", "option", "label"})
VALUE_LIMIT = 200


class _Window:
    """What extraction keeps for one window of the recording."""

    __slots__ = ("dead", "index", "mirror", "rage", "submits", "typing", "url")

    def __init__(self, index: int) -> None:
        self.index = index
        self.mirror = DomMirror()
        self.url: str | None = None
        self.rage = RageClicks()
        self.dead = DeadClicks()
        self.submits = Submits()
        self.typing: IndexedEvent | None = None  # the input a person is typing into


def extract_events(events: Sequence[dict[str, Any]],
                   windows: Sequence[int] | None = None) -> list[IndexedEvent]:
    """The events index of a time-ordered stream; `windows` gives each event's window."""
    found: list[IndexedEvent] = []
    states: dict[int, _Window] = {}
    for position, event in enumerate(events):
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        window = windows[position] if windows is not None else 0
        state = states.get(window)
        if state is None:
            state = states[window] = _Window(window)
        ts = int(event["timestamp"])
        if ts > state.dead.due:
            state.dead.tick(ts)
        if ts > state.submits.due:
            state.submits.expire(ts)
        kind = event["type"]
        if kind == _INCREMENTAL:
            source = data.get("source")
            if source == _MUTATION:
                _mutation(state, data, ts)
            elif source == _MOUSE_INTERACTION:
                _mouse(state, data, ts, found)
            elif source == _INPUT:
                state.dead.answered()
                _input(state, data, ts, found)
            elif isinstance(source, int) and source not in POINTER_SOURCES:
                state.dead.answered()
                if source == _LOG:
                    _error(state, console_error(data), ts, found)
        elif kind == _META:
            if isinstance(data.get("href"), str):
                _page(state, data["href"], ts, found, None)
        elif kind == _FULL_SNAPSHOT:
            state.mirror.load_snapshot(data)
            _navigated(state, ts)
        elif kind == _CUSTOM:
            _custom(state, data, ts, found)
        elif kind == _PLUGIN:
            _plugin(state, data, ts, found)
    for state in states.values():
        state.dead.finish()
        found.extend(state.rage.found)
        found.extend(state.dead.found)
        found.extend(state.submits.found)
    found.sort(key=lambda e: e.ts_ms)  # stable: what was inferred follows what it came from
    return found


def _mutation(state: _Window, data: dict[str, Any], ts: int) -> None:
    state.dead.answered()
    if state.submits.clicked_forms:
        state.submits.mutated(state.mirror, data, ts)
    if data.get("adds") or data.get("removes") or data.get("texts") \
            or not _only_restyles(data.get("attributes")):
        state.mirror.apply_mutation(data)


def _only_restyles(changes: Any) -> bool:
    """Most of a recording's mutations animate styles, which never change a selector or a
    text: the mirror can skip them."""
    for change in changes or ():
        try:
            attributes = change["attributes"]
            if len(attributes) != 1 or "style" not in attributes:
                return False
        except (TypeError, KeyError):  # not the shape rrweb writes: let the mirror judge
            return False
    return True


def _mouse(state: _Window, data: dict[str, Any], ts: int, found: list[IndexedEvent]) -> None:
    interaction = data.get("type")
    kind = CLICK_KINDS.get(interaction) if isinstance(interaction, int) else None
    if kind is None:
        return
    node_id = _int(data.get("id"))
    target = describe_target(state.mirror, node_id)
    path = element_path(state.mirror, node_id)
    click = IndexedEvent(ts, kind, None, state.url, node_id, _num(data.get("x")),
                         _num(data.get("y")), {"path": path} if path else None,
                         target.selector if target else None, target.text if target else None,
                         state.index)
    found.append(click)
    if interaction != _CLICK:
        return
    state.typing = None
    if state.rage.add(click) and not _is_form_field(target):
        state.dead.watch(click)
    state.submits.clicked(state.mirror, click, target)


def _is_form_field(target: Target | None) -> bool:
    if target is None:
        return False
    if "contenteditable" in target.attributes:
        return True
    if target.tag == "input":
        return str(target.attributes.get("type", "")).lower() not in (*BUTTON_INPUTS, "image")
    return target.tag in FORM_FIELD_TAGS


def _input(state: _Window, data: dict[str, Any], ts: int, found: list[IndexedEvent]) -> None:
    """One input event per field typed into in a row, holding the (masked) value it ended
    with; a checkbox as checked/unchecked, a radio button when it is chosen."""
    node_id = _int(data.get("id"))
    node = state.mirror.nodes.get(node_id) if node_id is not None else None
    attributes = (node.get("attributes") or {}) if node else {}
    field_type = str(attributes.get("type", "")).lower()
    checked = data.get("isChecked")
    if field_type in ("checkbox", "radio") and isinstance(checked, bool):
        if field_type == "radio" and not checked:
            return  # rrweb reports the group's other buttons going off: not an action
        value = "checked" if checked else "unchecked"
    elif isinstance(data.get("text"), str):
        value = data["text"][:VALUE_LIMIT]
    else:
        return
    typing = state.typing
    if typing is not None and typing.node_id == node_id:
        typing.text = value
    else:
        name = attributes.get("name")
        state.typing = IndexedEvent(
            ts, "input", name[:200] if isinstance(name, str) and name else None, state.url,
            node_id, selector=css_selector(state.mirror, node_id) if node else None,
            text=value, window=state.index)
        found.append(state.typing)
    if node_id is not None:
        state.submits.typed(state.mirror, node_id, ts, state.url, state.index)


def _page(state: _Window, href: str, ts: int, found: list[IndexedEvent],
          spa: str | None) -> None:
    _navigated(state, ts)
    state.url = href
    found.append(IndexedEvent(ts, "pageview", href, href,
                              properties={"spa": spa} if spa else None, window=state.index))


def _navigated(state: _Window, ts: int) -> None:
    state.dead.navigated(ts)
    state.submits.navigated(ts)
    state.typing = None


def _custom(state: _Window, data: dict[str, Any], ts: int, found: list[IndexedEvent]) -> None:
    tag, payload = data.get("tag"), data.get("payload")
    if tag == "identify":
        identity = payload if isinstance(payload, dict) else None
        uid = identity.get("uid", identity.get("id")) if identity else None
        found.append(IndexedEvent(ts, "identify", str(uid) if uid not in (None, "") else None,
                                  state.url, properties=identity, window=state.index))
    elif (href := navigation_href(tag, payload, state.url)) is not None:
        if href != state.url:
            _page(state, href, ts, found, str(tag))
    elif tag == "performanceSpan":
        request = from_performance_span(payload, ts)
        if request is not None:
            found.append(_network(state, request))
    elif tag == "breadcrumb":
        _error(state, breadcrumb_error(payload), ts, found)
    elif is_site_event(tag):
        found.append(IndexedEvent(ts, "custom", str(tag), state.url,
                                  properties=payload if isinstance(payload, dict) else None,
                                  window=state.index))


def _plugin(state: _Window, data: dict[str, Any], ts: int, found: list[IndexedEvent]) -> None:
    plugin = data.get("plugin")
    if plugin == CONSOLE_PLUGIN:
        _error(state, console_error(data.get("payload")), ts, found)
    elif plugin == NETWORK_PLUGIN:
        found.extend(_network(state, request)
                     for request in from_network_plugin(data.get("payload"), ts))


def _error(state: _Window, error: tuple[str | None, dict[str, Any]] | None, ts: int,
           found: list[IndexedEvent]) -> None:
    if error is not None:
        found.append(IndexedEvent(ts, "error", error[0], state.url, properties=error[1],
                                  window=state.index))


def _network(state: _Window, request: Request) -> IndexedEvent:
    return IndexedEvent(request.ts_ms, "network", request.url, state.url,
                        properties=request.properties(), window=state.index)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
