"""Form submits, inferred from what followed: rrweb records no submit event.

A submit is counted when
* a submit control (a `<button>` of type submit or none, `<input type=submit|image>`) of a
  form is clicked, and within 1 s the form changes (a mutation inside it, or its removal: a
  spinner, a disabled button, errors shown, the form replaced) or within 5 s the page
  navigates (a new page, or an SPA URL change); or
* a text field of a form was typed into and, with no click since, the page navigates within
  5 s of the last change: Enter in the field, the only trace Enter leaves in a recording.
  A form that merely changes after typing is not taken for a submit: live validation and
  suggestions do that too.

The submit is placed at the click (or the last change typed) and names the form by selector,
`name` or `id`, and the button's text. A form whose submit is stopped before anything changes
(the browser's own validation, say) was not submitted and is not counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.core.analytics.clicks import ANSWER_MS, NAVIGATION_MS
from app.core.analytics.events import IndexedEvent
from app.core.analytics.targets import Target, css_selector
from app.core.recording.mirror import DomMirror
from app.core.recording.rrweb import NodeType

# Inputs Enter does not submit from (or that are not typed into at all).
NOT_TEXT_INPUTS = frozenset({"checkbox", "radio", "submit", "button", "reset", "image", "file",
                             "range", "color", "hidden"})


@dataclass
class _Candidate:
    submit: IndexedEvent
    form_id: int


class Submits:
    """Submit candidates of one window, confirmed or dropped as the recording goes on."""

    def __init__(self) -> None:
        self.found: list[IndexedEvent] = []
        self.clicked_forms: list[_Candidate] = []  # submit controls clicked, not confirmed
        self._typed: _Candidate | None = None
        self.due = math.inf  # when a candidate runs out (checked on every event)

    def clicked(self, mirror: DomMirror, click: IndexedEvent, target: Target | None) -> None:
        self._typed = None
        if target is None or not _is_submit_control(target):
            return
        form_id = form_of(mirror, target.node_id)
        if form_id is None or any(c.form_id == form_id for c in self.clicked_forms):
            return
        self.clicked_forms.append(_Candidate(
            _submit(mirror, form_id, click.ts_ms, click.url, click.window, "click",
                    target.text), form_id))
        self.due = min(self.due, click.ts_ms + NAVIGATION_MS)

    def typed(self, mirror: DomMirror, node_id: int, ts: int, url: str | None,
              window: int) -> None:
        node = mirror.nodes.get(node_id)
        if node is None or node.get("type") != NodeType.ELEMENT \
                or str(node.get("tagName", "")).lower() != "input" \
                or str((node.get("attributes") or {}).get("type", "")).lower() in NOT_TEXT_INPUTS:
            return
        form_id = form_of(mirror, node_id)
        if form_id is None:
            self._typed = None
        elif self._typed is not None and self._typed.form_id == form_id:
            self._typed.submit.ts_ms = ts
        else:
            self._typed = _Candidate(_submit(mirror, form_id, ts, url, window, "enter", None),
                                     form_id)
        if self._typed is not None:
            self.due = min(self.due, ts + NAVIGATION_MS)

    def mutated(self, mirror: DomMirror, data: dict[str, Any], ts: int) -> None:
        """A mutation (not yet applied to `mirror`): does it change a clicked form?"""
        waiting = []
        for candidate in self.clicked_forms:
            if ts - candidate.submit.ts_ms <= ANSWER_MS \
                    and _touches(mirror, data, candidate.form_id):
                self._confirm(candidate, "form change")
            else:
                waiting.append(candidate)
        self.clicked_forms = waiting

    def navigated(self, ts: int) -> None:
        self.expire(ts)
        for candidate in [*self.clicked_forms, *([self._typed] if self._typed else [])]:
            self._confirm(candidate, "navigation")
        self.clicked_forms.clear()
        self._typed = None
        self.due = math.inf

    def expire(self, ts: int) -> None:
        self.clicked_forms = [c for c in self.clicked_forms if ts - c.submit.ts_ms <= NAVIGATION_MS]
        if self._typed is not None and ts - self._typed.submit.ts_ms > NAVIGATION_MS:
            self._typed = None
        starts = [c.submit.ts_ms for c in self.clicked_forms]
        if self._typed is not None:
            starts.append(self._typed.submit.ts_ms)
        self.due = min(starts) + NAVIGATION_MS if starts else math.inf

    def _confirm(self, candidate: _Candidate, by: str) -> None:
        assert candidate.submit.properties is not None
        candidate.submit.properties["confirmed_by"] = by
        self.found.append(candidate.submit)


def form_of(mirror: DomMirror, node_id: int) -> int | None:
    """The form a control belongs to: the one its `form` attribute names, else its
    nearest form ancestor."""
    node = mirror.nodes.get(node_id)
    owner = (node.get("attributes") or {}).get("form") if node else None
    if isinstance(owner, str) and owner:
        for candidate in mirror.nodes.values():
            attributes = candidate.get("attributes")
            if attributes and attributes.get("id") == owner \
                    and str(candidate.get("tagName", "")).lower() == "form":
                return int(candidate["id"])
    for ancestor in mirror.ancestors(node_id):
        if ancestor.get("type") == NodeType.ELEMENT \
                and str(ancestor.get("tagName", "")).lower() == "form":
            return int(ancestor["id"])
    return None


def _is_submit_control(target: Target) -> bool:
    kind = str(target.attributes.get("type", "")).lower()
    if target.tag == "button":
        return kind in ("", "submit")
    return target.tag == "input" and kind in ("submit", "image")


def _submit(mirror: DomMirror, form_id: int, ts: int, url: str | None, window: int, via: str,
            text: str | None) -> IndexedEvent:
    attributes = mirror.nodes[form_id].get("attributes") or {}
    name = next((value for value in (attributes.get("name"), attributes.get("id"))
                 if isinstance(value, str) and value), None)
    return IndexedEvent(ts, "submit", name, url, form_id,
                        properties={"via": via}, selector=css_selector(mirror, form_id),
                        text=text, window=window)


def _touches(mirror: DomMirror, data: dict[str, Any], form_id: int) -> bool:
    return any(_inside(mirror, node_id, form_id) for node_id in _changed_ids(data))


def _changed_ids(data: dict[str, Any]) -> Iterable[Any]:
    for key in ("texts", "attributes"):
        for change in data.get(key) or ():
            if isinstance(change, dict):
                yield change.get("id")
    for add in data.get("adds") or ():
        if isinstance(add, dict):
            yield add.get("parentId")
    for remove in data.get("removes") or ():
        if isinstance(remove, dict):
            yield remove.get("id")
            yield remove.get("parentId")


def _inside(mirror: DomMirror, node_id: Any, form_id: int) -> bool:
    if not isinstance(node_id, int):
        return False
    return any(node.get("id") == form_id for node in mirror.ancestors(node_id))
