"""Privacy-first masking of rrweb events, applied wherever data enters the cache.

Defaults follow Smartlook: what people type into form fields, e-mail addresses and digits in
page text become `*` runs of the same length (whitespace kept, so layouts do not shift), and
passwords are masked whatever the policy says. Style and script text is never touched: masking
digits in CSS would break the page without hiding anything personal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.core.recording.rrweb import EventType, NodeType, Source

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
DIGIT_RE = re.compile(r"\d")
NON_SPACE_RE = re.compile(r"\S")

FORM_TAGS = frozenset({"input", "textarea", "select"})
# Input types whose `value` is the page's own label or token, not something a person typed.
UNTYPED_INPUTS = frozenset({"submit", "button", "reset", "image", "checkbox", "radio"})
CODE_TAGS = frozenset({"style", "script", "noscript"})


@dataclass(frozen=True)
class PrivacyPolicy:
    """What to mask. Passwords are masked regardless."""

    mask_forms: bool = True
    mask_numbers: bool = True
    mask_emails: bool = True


DEFAULT_POLICY = PrivacyPolicy()


def stars(text: str) -> str:
    """Mask every visible character, keeping length and whitespace."""
    return NON_SPACE_RE.sub("*", text)


@dataclass
class _Node:
    tag: str  # element tag, or for a text node the tag of its parent element
    password: bool = False
    is_text: bool = False


class Masker:
    """Masks one recording's events in stream order.

    It keeps a small mirror of node ids (per window) so that a later input or text change can
    be judged by the element it belongs to.
    """

    def __init__(self, policy: PrivacyPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._nodes: dict[int, dict[int, _Node]] = {}

    def mask_events(self, events: Iterable[dict[str, Any]], windows: Iterable[int]) -> None:
        """Mask `events` in place; `windows` gives each event's window index."""
        for event, window in zip(events, windows, strict=True):
            self.mask_event(event, window)

    def mask_event(self, event: dict[str, Any], window: int = 0) -> None:
        kind, data = event.get("type"), event.get("data")
        if not isinstance(data, dict):
            return
        nodes = self._nodes.setdefault(window, {})
        if kind == EventType.FULL_SNAPSHOT:
            nodes.clear()
            if isinstance(data.get("node"), dict):
                self._mask_tree(data["node"], "", nodes)
        elif kind == EventType.INCREMENTAL_SNAPSHOT:
            self._mask_incremental(data, nodes)
        elif kind == EventType.META:
            if isinstance(data.get("href"), str):
                data["href"] = self._mask_emails(data["href"])
        elif kind == EventType.CUSTOM and data.get("tag") == "identify":
            # identify(uid, {name, email}) is identity the site chose to share, kept so a
            # support agent can find a customer's sessions; it is not page content.
            return
        elif kind in (EventType.CUSTOM, EventType.PLUGIN):
            event["data"] = self._mask_free_text(data)

    # -- snapshots and mutations -------------------------------------------------------------

    def _mask_tree(self, root: dict[str, Any], parent_tag: str, nodes: dict[int, _Node]) -> None:
        stack: list[tuple[dict[str, Any], str]] = [(root, parent_tag)]
        while stack:
            node, parent = stack.pop()
            tag = self._mask_node(node, parent, nodes)
            children = node.get("childNodes")
            if isinstance(children, list):
                stack.extend((child, tag) for child in children if isinstance(child, dict))

    def _mask_node(self, node: dict[str, Any], parent_tag: str, nodes: dict[int, _Node]) -> str:
        """Mask one serialized node; return the tag its children live under."""
        node_id = node.get("id")
        node_type = node.get("type")
        if node_type == NodeType.ELEMENT:
            tag = str(node.get("tagName", "")).lower()
            attributes = node.get("attributes")
            attributes = attributes if isinstance(attributes, dict) else {}
            password = tag == "input" and str(attributes.get("type", "")).lower() == "password"
            info = _Node(tag, password)
            if isinstance(node_id, int):
                nodes[node_id] = info
            self._mask_attributes(attributes, info)
            return tag
        if node_type in (NodeType.TEXT, NodeType.CDATA, NodeType.COMMENT):
            if isinstance(node_id, int):
                nodes[node_id] = _Node(parent_tag, is_text=True)
            text = node.get("textContent")
            if isinstance(text, str):
                node["textContent"] = self._mask_text_content(text, parent_tag,
                                                              bool(node.get("isStyle")))
        return parent_tag

    def _mask_attributes(self, attributes: dict[str, Any], info: _Node) -> None:
        for name, value in attributes.items():
            if not isinstance(value, str) or name == "_cssText":
                continue
            if name == "value" and self._is_typed_field(info, attributes):
                attributes[name] = stars(value)
            else:
                attributes[name] = self._mask_emails(value)

    def _is_typed_field(self, info: _Node, attributes: dict[str, Any] | None = None) -> bool:
        if info.password:
            return True
        if not self.policy.mask_forms or info.tag not in FORM_TAGS:
            return False
        input_type = str((attributes or {}).get("type", "")).lower()
        return info.tag != "input" or input_type not in UNTYPED_INPUTS

    def _mask_text_content(self, text: str, parent_tag: str, is_style: bool = False) -> str:
        if is_style or parent_tag in CODE_TAGS:
            return text
        if parent_tag == "textarea" and self.policy.mask_forms:
            return stars(text)
        return self._mask_free_text(text, numbers=self.policy.mask_numbers)

    def _mask_incremental(self, data: dict[str, Any], nodes: dict[int, _Node]) -> None:
        source = data.get("source")
        if source == Source.MUTATION:
            self._mask_mutation(data, nodes)
        elif source == Source.INPUT and isinstance(data.get("text"), str):
            info = nodes.get(data.get("id"))  # type: ignore[arg-type]
            # An input whose element is unknown is masked: safer to hide than to guess.
            if info is None or info.password or (self.policy.mask_forms and not info.is_text):
                data["text"] = stars(data["text"])
            else:
                data["text"] = self._mask_free_text(data["text"],
                                                    numbers=self.policy.mask_numbers)
        elif source == Source.LOG:
            data["payload"] = self._mask_free_text(data.get("payload"))

    def _mask_mutation(self, data: dict[str, Any], nodes: dict[int, _Node]) -> None:
        for add in data.get("adds") or ():
            if isinstance(add, dict) and isinstance(add.get("node"), dict):
                parent = nodes.get(add.get("parentId"))  # type: ignore[arg-type]
                self._mask_tree(add["node"], parent.tag if parent else "", nodes)
        for change in data.get("texts") or ():
            if isinstance(change, dict) and isinstance(change.get("value"), str):
                info = nodes.get(change.get("id"))  # type: ignore[arg-type]
                change["value"] = self._mask_text_content(change["value"],
                                                          info.tag if info else "")
        for change in data.get("attributes") or ():
            if not isinstance(change, dict) or not isinstance(change.get("attributes"), dict):
                continue
            info = nodes.get(change.get("id"))  # type: ignore[arg-type]
            attributes = change["attributes"]
            if info is not None and isinstance(attributes.get("type"), str):
                info.password = info.password or attributes["type"].lower() == "password"
            # An element we never saw is treated as a form field: hide rather than guess.
            self._mask_attributes(attributes, info or _Node("input"))

    # -- free text -----------------------------------------------------------------------------

    def _mask_emails(self, text: str) -> str:
        if self.policy.mask_emails and "@" in text:
            return EMAIL_RE.sub(lambda m: stars(m.group()), text)
        return text

    def _mask_free_text(self, value: Any, numbers: bool = False) -> Any:
        """Mask e-mails (and digits, if asked) in every string inside `value`."""
        if isinstance(value, str):
            value = self._mask_emails(value)
            return DIGIT_RE.sub("*", value) if numbers else value
        if isinstance(value, dict):
            return {k: self._mask_free_text(v, numbers) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask_free_text(v, numbers) for v in value]
        return value


def mask_recording_events(events: list[dict[str, Any]], windows: list[int],
                          policy: PrivacyPolicy = DEFAULT_POLICY) -> None:
    """Mask a whole normalised event stream in place."""
    Masker(policy).mask_events(events, windows)
