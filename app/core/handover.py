"""Handing a session to someone else: a link to a moment in it, and steps to reproduce.

The link, `tapeview://session/ID?t=SECONDS`, opens the app on that session at that moment
(the id may be any unambiguous prefix, as in the shell). The steps are a numbered Markdown
list built from the events index up to a moment: pages, clicks with what was clicked,
inputs (as masked: the cache never holds what was typed), submits, errors and failed
requests, the way a QA engineer would write them into a bug ticket, with the reviewers'
notes up to that moment among them (what they saw there is what the ticket is about).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from app.core.cache.queries import EventInfo
from app.core.display import duration
from app.core.notes import NoteInfo

SCHEME = "tapeview"
MAX_STEPS = 60
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{4,64}\Z")
CLICK_VERBS = {"click": "Click", "dblclick": "Double-click", "contextmenu": "Right-click"}


class LinkError(ValueError):
    """Not a session link; the message says what was expected."""


@dataclass(frozen=True)
class SessionLink:
    session_id: str  # or an unambiguous prefix of one
    offset_ms: int

    def __str__(self) -> str:
        seconds = f"{self.offset_ms / 1000:.1f}".removesuffix(".0")
        return f"{SCHEME}://session/{quote(self.session_id)}?t={seconds}"


def parse_session_link(text: str) -> SessionLink:
    """Read `tapeview://session/ID?t=SECONDS` (t optional, seconds may have decimals)."""
    parts = urlsplit(text.strip())
    path = parts.path.strip("/")
    if parts.scheme != SCHEME or parts.netloc != "session" or not _SESSION_ID.match(path):
        raise LinkError(f"{text!r} is not a session link: expected "
                        f"{SCHEME}://session/SESSION_ID?t=SECONDS")
    values = parse_qs(parts.query).get("t", ["0"])
    try:
        seconds = float(values[-1])
    except ValueError:
        raise LinkError(f"{text!r}: t must be a number of seconds, not {values[-1]!r}") from None
    if not 0 <= seconds < 10 ** 7:
        raise LinkError(f"{text!r}: t must be a number of seconds from the session's start")
    return SessionLink(path, round(seconds * 1000))


def steps_to_reproduce(session_id: str, events: Sequence[EventInfo], until_ms: int,
                       heading: str, notes: Sequence[NoteInfo] = ()) -> str:
    """Markdown: a heading, the numbered steps (and notes) up to `until_ms`, and a link to
    that moment."""
    steps: list[tuple[int, str]] = []
    page: str | None = None
    for event in events:
        if event.offset_ms > until_ms:
            break
        if event.kind == "pageview":
            if event.url and event.url != page:
                verb = "Open" if page is None else "Go to"
                steps.append((event.offset_ms, f"{verb} {event.url}"))
                page = event.url
        elif (step := _step(event)) is not None:
            if steps and steps[-1][1] == step:
                continue  # the same click twice in a row: one step
            steps.append((event.offset_ms, step))
    steps += [(note.offset_ms, f"Note: {_one_line(note.text, 400)}") for note in notes
              if note.offset_ms <= until_ms]
    steps.sort(key=lambda step: step[0])  # stable: a note comes after what happened then
    lines = [heading, ""]
    if len(steps) > MAX_STEPS:
        lines.append(f"(the first {len(steps) - MAX_STEPS} steps are left out)")
        steps = steps[-MAX_STEPS:]
    lines += [f"{number}. {text} ({duration(offset)})"
              for number, (offset, text) in enumerate(steps, start=1)]
    if not steps:
        lines.append("Nothing happened in the session before this moment.")
    lines += ["", f"Replay at this moment: {SessionLink(session_id, until_ms)}"]
    return "\n".join(lines) + "\n"


def _step(event: EventInfo) -> str | None:
    properties = event.properties or {}
    if event.kind in CLICK_VERBS:
        return f"{CLICK_VERBS[event.kind]} {_target(event)}"
    if event.kind == "rage_click":
        return f"Click {_target(event)} repeatedly ({properties.get('count', 'several')} " \
               "times: a rage click)"
    if event.kind == "dead_click":
        return f"Nothing happens after the click on {_target(event)} (a dead click)"
    if event.kind == "input":
        into = f"`{event.selector}`" if event.selector else "a field"
        return f"Type {_quoted(event.text or '')} into {into}"
    if event.kind == "submit":
        form = f" `{event.selector}`" if event.selector else ""
        return f"Submit the form{form}"
    if event.kind == "error":
        return f"Error: {_one_line(event.name or 'unknown error')}"
    if event.kind == "custom":
        return f"Event “{_one_line(event.name or '')}”"
    if event.kind == "network":
        status = properties.get("status")
        if isinstance(status, int) and status >= 400:
            method = properties.get("method") or "GET"
            return f"Request failed: {method} {event.name} → {status}"
    return None


def _target(event: EventInfo) -> str:
    text = _quoted(event.text) if event.text else ""
    selector = f"`{event.selector}`" if event.selector else ""
    return " ".join(part for part in (text, f"({selector})" if text and selector else selector)
                    if part) or "the page"


def _quoted(text: str) -> str:
    return f"“{_one_line(text)}”"


def _one_line(text: str, limit: int = 160) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[:limit - 1] + "…"
