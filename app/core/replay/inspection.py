"""What the player's inspector lists beside the replay: events, console, network and errors.

One pass over a replay window's events, made on a worker (a 100,000-event hour takes about a
second). The feed, network and errors come from the same extraction the cache and the
timeline use (`extract_events`), so a row and its timeline marker agree; console lines are
read here, because extraction keeps only the errors among them. Every entry is timed as an
offset from the replay's first event, as the timeline is: a row's offset is where clicking it
seeks to. Each entry carries the lower-cased text a search box matches, so filtering 100,000
rows is one substring test each, with nothing to format.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.core.analytics.errors import console_text
from app.core.analytics.events import IndexedEvent
from app.core.analytics.extract import extract_events
from app.core.definitions.store import SessionHit
from app.core.recording.rrweb import CONSOLE_PLUGIN, EventType, Source
from app.core.tasks import CancelToken, collector_paused

Event = dict[str, Any]

MESSAGE_LIMIT = 10_000  # a console line longer than this is cut: rows stay cheap to draw
TRACE_FRAMES = 50
CANCEL_CHECK_EVERY = 4_096

# The console's filter groups, as Chrome DevTools groups levels: assert is an error, and the
# many other console methods (table, dir, count, time, group, trace…) log.
CONSOLE_GROUPS = ("log", "info", "warn", "error", "debug")
_GROUP_OF_LEVEL = {"error": "error", "assert": "error", "warn": "warn", "warning": "warn",
                   "info": "info", "debug": "debug", "verbose": "debug"}
_IDENTITY_KEYS = ("uid", "id", "name", "email")

FEED_TITLES = {"pageview": "Page view", "click": "Click", "dblclick": "Double click",
               "contextmenu": "Right click", "rage_click": "Rage click",
               "dead_click": "Dead click", "input": "Input", "submit": "Form submit",
               "error": "Error", "custom": "Event", "identify": "Identify",
               "defined": "Defined"}

_INCREMENTAL, _CUSTOM, _PLUGIN = (int(EventType.INCREMENTAL_SNAPSHOT), int(EventType.CUSTOM),
                                  int(EventType.PLUGIN))
_LOG = int(Source.LOG)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One thing that happened, as the event feed shows it."""

    offset_ms: int
    title: str  # what happened: "Click", "Page view"
    detail: str  # on what, or where: one line
    event: IndexedEvent
    search: str


@dataclass(frozen=True, slots=True)
class ConsoleLine:
    offset_ms: int
    level: str  # the console method called: log, warn, assert, table…
    group: str  # its filter group, one of CONSOLE_GROUPS
    message: str
    trace: tuple[str, ...]
    url: str | None
    search: str


@dataclass(frozen=True, slots=True)
class NetworkEntry:
    offset_ms: int
    url: str
    method: str | None
    status: int | None
    duration_ms: int | None
    initiator: str | None  # fetch, xmlhttprequest, script, img, navigation…
    search: str

    @property
    def failed(self) -> bool:
        """Refused (0: blocked, offline, CORS) or answered with an error; unknown is not."""
        return self.status is not None and (self.status == 0 or self.status >= 400)


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    offset_ms: int
    message: str
    level: str  # error or assert
    uncaught: bool
    trace: tuple[str, ...]
    url: str | None
    search: str

    @property
    def kind(self) -> str:
        return "Uncaught" if self.uncaught else f"console.{self.level}"


@dataclass
class Inspection:
    """Everything the inspector lists for one window of a recording, in time order."""

    feed: list[FeedEntry] = field(default_factory=list)
    console: list[ConsoleLine] = field(default_factory=list)
    network: list[NetworkEntry] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)  # what identify() said, merged


def inspect_events(events: Iterable[Event], start_ms: int,
                   cancel: CancelToken | None = None,
                   found: list[IndexedEvent] | None = None) -> Inspection:
    """The inspection of one window's time-ordered events; `start_ms` is offset 0.
    `found`: their extraction, when the caller has it already."""
    recording: list[Event] = []
    inspection = Inspection()
    with collector_paused():  # decoding and extracting make ~10^6 acyclic objects
        for position, event in enumerate(events):
            if cancel is not None and position % CANCEL_CHECK_EVERY == 0:
                cancel.raise_if_cancelled()
            recording.append(event)
        if found is None:
            found = extract_events(recording)
    if cancel is not None:
        cancel.raise_if_cancelled()
    url: str | None = None
    for event in recording:
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        if event.get("type") == EventType.META and isinstance(data.get("href"), str):
            url = data["href"]
            continue
        line = _console_line(event["type"], data, int(event["timestamp"]) - start_ms, url)
        if line is not None:
            inspection.console.append(line)
    for indexed in found:
        offset = indexed.ts_ms - start_ms
        if indexed.kind == "network":
            inspection.network.append(_network_entry(indexed, offset))
            continue
        if indexed.kind == "error":
            inspection.errors.append(_error_entry(indexed, offset))
        elif indexed.kind == "identify" and indexed.properties:
            inspection.identity.update(indexed.properties)
        inspection.feed.append(feed_entry(indexed, offset))
    inspection.network.sort(key=lambda entry: entry.offset_ms)  # requests start before they end
    return inspection


# -- the feed ------------------------------------------------------------------------------------

def feed_entry(event: IndexedEvent, offset_ms: int) -> FeedEntry:
    title = FEED_TITLES.get(event.kind, event.kind)
    detail = describe(event)
    return FeedEntry(offset_ms, title, detail, event,
                     _search(title, detail, event.selector, event.text, event.url))


def defined_entries(hits: Iterable[SessionHit], start_ms: int) -> list[FeedEntry]:
    """Rows for the defined events found in the session (kept in the cache, not read off
    the recording), each just after the click or page view it was found in."""
    entries = []
    for hit in hits:
        event = IndexedEvent(hit.ts_ms, "defined", name=hit.name,
                             properties={"rule": hit.description})
        entries.append(FeedEntry(hit.ts_ms - start_ms, FEED_TITLES["defined"], hit.name, event,
                                 _search(FEED_TITLES["defined"], hit.name, hit.description)))
    return entries


def merge_feed(feed: list[FeedEntry], defined: list[FeedEntry]) -> list[FeedEntry]:
    """Both in time order; at the same moment the recorded event comes first."""
    return list(heapq.merge(feed, defined, key=lambda entry: entry.offset_ms)) if defined \
        else feed


def describe(event: IndexedEvent) -> str:
    """What an event was about, in one line: a page's URL, a click's target, a typed value."""
    kind, properties = event.kind, event.properties or {}
    if kind in ("click", "dblclick", "contextmenu", "rage_click", "dead_click"):
        target = f"\N{LEFT DOUBLE QUOTATION MARK}{event.text}\N{RIGHT DOUBLE QUOTATION MARK}" \
            if event.text else event.selector or "an element"
        count = properties.get("count")
        return f"{target} \N{MULTIPLICATION SIGN}{count}" if kind == "rage_click" \
            and isinstance(count, int) else target
    if kind == "input":
        field_name = event.name or event.selector or "a field"
        return f"{field_name}: {event.text}" if event.text is not None else field_name
    if kind == "submit":
        return event.name or event.selector or event.text or "a form"
    if kind == "identify":
        who = [str(properties[key]) for key in ("name", "email")
               if isinstance(properties.get(key), str) and properties[key]]
        uid = event.name or "?"
        return f"{uid} ({', '.join(who)})" if who else uid
    return event.name or event.url or ""


# -- console ---------------------------------------------------------------------------------------

def _console_line(kind: Any, data: dict[str, Any], offset_ms: int,
                  url: str | None) -> ConsoleLine | None:
    """A console call: rrweb's console plugin, rrweb 1's Log source (the same payload), or a
    Sentry console breadcrumb."""
    if kind == _PLUGIN and data.get("plugin") == CONSOLE_PLUGIN:
        return _plugin_line(data.get("payload"), offset_ms, url)
    if kind == _INCREMENTAL and data.get("source") == _LOG:
        return _plugin_line(data, offset_ms, url)
    if kind == _CUSTOM and data.get("tag") == "breadcrumb":
        payload = data.get("payload")
        if isinstance(payload, dict) and payload.get("category") == "console":
            message = payload.get("message")
            return _line(payload.get("level"), message if isinstance(message, str) else "",
                         (), offset_ms, url)
    return None


def _plugin_line(payload: Any, offset_ms: int, url: str | None) -> ConsoleLine | None:
    if not isinstance(payload, dict):
        return None
    parts = payload.get("payload")
    message = " ".join(console_text(part) for part in parts) if isinstance(parts, list) else ""
    trace = payload.get("trace")
    frames = tuple(frame for frame in trace[:TRACE_FRAMES] if isinstance(frame, str)) \
        if isinstance(trace, list) else ()
    return _line(payload.get("level"), message, frames, offset_ms, url)


def _line(level: Any, message: str, trace: tuple[str, ...], offset_ms: int,
          url: str | None) -> ConsoleLine:
    level = level if isinstance(level, str) and level else "log"
    group = console_group(level)
    message = message[:MESSAGE_LIMIT]
    return ConsoleLine(offset_ms, level, group, message, trace, url,
                       _search(level, message, *trace))


def console_group(level: str) -> str:
    return _GROUP_OF_LEVEL.get(level, "log")


# -- network and errors ------------------------------------------------------------------------

def _network_entry(event: IndexedEvent, offset_ms: int) -> NetworkEntry:
    properties = event.properties or {}
    url = event.name or ""
    method, status = properties.get("method"), properties.get("status")
    initiator = properties.get("initiator")
    return NetworkEntry(offset_ms, url, method, status, properties.get("duration_ms"),
                        initiator, _search(url, method, str(status or ""), initiator))


def _error_entry(event: IndexedEvent, offset_ms: int) -> ErrorEntry:
    properties = event.properties or {}
    trace = properties.get("trace")
    frames = tuple(frame for frame in trace if isinstance(frame, str)) \
        if isinstance(trace, list) else ()
    message = event.name or "(no message)"
    level = str(properties.get("level") or "error")
    return ErrorEntry(offset_ms, message, level, bool(properties.get("uncaught")), frames,
                      event.url, _search(message, *frames))


def identity_properties(identity: dict[str, Any]) -> dict[str, Any]:
    """What identify() said beyond who the visitor is (plan, company, sign-up date…)."""
    return {key: value for key, value in identity.items() if key not in _IDENTITY_KEYS}


def _search(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part).lower()

