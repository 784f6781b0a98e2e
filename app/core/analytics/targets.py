"""What a click landed on, named the way people and rules name it: a CSS selector and its text.

Everything is read from a `DomMirror` of the masked recording at the moment of the click, so
masked text stays masked. Selectors follow browsers' "Copy selector": `#id` where the id is
unique in the page, else the tag, with classes or `:nth-of-type(n)` only where a sibling would
otherwise match too, joined by `>` up to the nearest unique id, `<body>`, or the top of a
shadow tree or frame. Classes and ids that are not plain CSS identifiers are spelt as
`[id="..."]` or left out, so `app.core.selectors` can read every selector made here (apart
from `:nth-of-type`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.core.recording.mirror import DomMirror, Node
from app.core.recording.rrweb import NodeType
from app.core.selectors import MAX_SELECTOR_LENGTH

TEXT_LIMIT = 200
# A click on the icon inside a button is a click on the button: these name what was meant.
ACTIONABLE_TAGS = frozenset({"a", "button", "input", "select", "textarea", "label", "summary",
                             "option"})
ACTIONABLE_ROLES = frozenset({"button", "link", "menuitem", "tab", "checkbox", "radio",
                              "switch", "option"})
# Text a person reads on an element that has no text inside it.
LABEL_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})
# What an element path keeps (see `element_path`): what selectors are written with.
PATH_ATTRIBUTES = frozenset({"id", "class", "name", "type", "role", "href", "for", "title",
                             "aria-label", "alt"})
PATH_VALUE_LIMIT = 120
PATH_DEPTH = 16
_PLAIN_IDENT = re.compile(r"-?(?:[_a-zA-Z]|[^\x00-\x7f])(?:[_a-zA-Z0-9-]|[^\x00-\x7f])*\Z")


@dataclass(frozen=True, slots=True)
class Target:
    """The element a click meant: its id, tag and attributes, selector and visible text."""

    node_id: int
    tag: str
    attributes: dict[str, Any]
    selector: str | None
    text: str | None


def describe_target(mirror: DomMirror, node_id: int | None) -> Target | None:
    """The clicked element (or its nearest actionable ancestor), or None if not in the page."""
    if node_id is None:
        return None
    element_id = actionable_element(mirror, node_id)
    if element_id is None:
        return None
    node = mirror.nodes[element_id]
    return Target(element_id, _tag(node), _attributes(node), css_selector(mirror, element_id),
                  visible_text(mirror, element_id))


def element_path(mirror: DomMirror, node_id: int | None) -> list[list[Any]] | None:
    """The clicked element and its ancestors up to the nearest one with an id (else <html>),
    as `[tag, {attributes}]` pairs with only what CSS selectors of defined events look at
    (PATH_ATTRIBUTES, bounded).

    Kept with each click so an event defined later by a CSS selector is found in every cached
    session without the page (app/core/definitions). Values that may be private are left out:
    no `value`, and links lose their query string and fragment."""
    if node_id is None:
        return None
    path: list[list[Any]] = []
    for node in mirror.ancestors(node_id):
        if node.get("type") != NodeType.ELEMENT:
            if node.get("type") == NodeType.TEXT and not path:
                continue
            break
        kept = {}
        for name, value in _attributes(node).items():
            if isinstance(value, str) and (name in PATH_ATTRIBUTES or name.startswith("data-")):
                if name == "href":
                    value = value.split("?", 1)[0].split("#", 1)[0]
                kept[name] = value[:PATH_VALUE_LIMIT]
        path.append([_tag(node), kept])
        if len(path) == PATH_DEPTH or (len(path) > 1 and "id" in kept):
            break  # selectors anchor on an id: what lies above it rarely matters
    return path or None


def actionable_element(mirror: DomMirror, node_id: int) -> int | None:
    """The nearest link, button, form control or ARIA widget holding the node; else the node
    itself (its parent element, if it is text)."""
    first: int | None = None
    for node in mirror.ancestors(node_id):
        if node.get("type") != NodeType.ELEMENT:
            if first is None and node.get("type") == NodeType.TEXT:
                continue
            break  # a document: the top of this page or frame
        current = node["id"]
        first = current if first is None else first
        tag = _tag(node)
        if tag in ("body", "html"):
            break
        if tag in ACTIONABLE_TAGS or _attributes(node).get("role") in ACTIONABLE_ROLES:
            return current
        if node.get("isShadow"):
            break
    return first


def css_selector(mirror: DomMirror, node_id: int) -> str | None:
    steps: list[str] = []
    current: int | None = node_id
    while current is not None:
        node = mirror.nodes.get(current)
        if node is None or node.get("type") != NodeType.ELEMENT:
            break
        tag = _tag(node)
        if tag == "html" and steps:
            break
        unique_id = _unique_id_step(mirror, node)
        if unique_id:
            steps.append(unique_id)
            break
        steps.append(tag + _sibling_step(mirror, node, tag))
        if tag == "body" or node.get("isShadow"):
            break
        current = mirror.parents.get(current)
    if not steps:
        return None
    selector = " > ".join(reversed(steps))
    while len(selector) > MAX_SELECTOR_LENGTH and len(steps) > 1:
        steps.pop()  # the outermost step: the rest still names the element, less strictly
        selector = " > ".join(reversed(steps))
    return selector if len(selector) <= MAX_SELECTOR_LENGTH else None


def visible_text(mirror: DomMirror, node_id: int) -> str | None:
    """The element's text as shown (whitespace folded, bounded); for an element without
    text, what labels it (a button input's value, aria-label, alt, title, placeholder). None
    for the page itself (<html>, <body>): all its text says nothing about the click."""
    node = mirror.nodes[node_id]
    if _tag(node) in ("html", "body"):
        return None
    text = mirror.text_of(node_id, TEXT_LIMIT)
    if text:
        return text
    attributes = _attributes(node)
    names: tuple[str, ...] = LABEL_ATTRIBUTES
    if _tag(node) == "input" and str(attributes.get("type", "")).lower() in BUTTON_INPUTS:
        names = ("value", *LABEL_ATTRIBUTES)
    for name in names:
        value = attributes.get(name)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:TEXT_LIMIT]
    return None


def _unique_id_step(mirror: DomMirror, node: Node) -> str | None:
    value = _attributes(node).get("id")
    if not isinstance(value, str) or not value.strip():
        return None
    if _PLAIN_IDENT.match(value):
        step = "#" + value
    elif '"' not in value and "\\" not in value:
        step = f'[id="{value}"]'
    else:
        return None
    holders = 0
    for other in mirror.nodes.values():
        attributes = other.get("attributes")
        if attributes and attributes.get("id") == value:
            holders += 1
            if holders > 1:
                return None
    return step


def _sibling_step(mirror: DomMirror, node: Node, tag: str) -> str:
    """Classes, else `:nth-of-type(n)`, when other children of the parent share the tag."""
    parent = mirror.nodes.get(mirror.parents.get(node["id"]))  # type: ignore[arg-type]
    if parent is None:
        return ""
    shadow = bool(node.get("isShadow"))
    same_tag = [child for child in parent.get("childNodes", ())
                if isinstance(child, dict) and child.get("type") == NodeType.ELEMENT
                and _tag(child) == tag and bool(child.get("isShadow")) == shadow]
    others = [set(_classes(child)) for child in same_tag if child is not node]
    if not others:
        return ""
    chosen: list[str] = []
    for name in _classes(node):  # in the page's order, so the same page gives the same text
        if not others:
            break
        if any(name not in classes for classes in others):
            chosen.append(name)
            others = [classes for classes in others if name in classes]
    if chosen and not others:
        return "".join("." + name for name in chosen)
    return f":nth-of-type({next(i for i, c in enumerate(same_tag, 1) if c is node)})"


def _classes(node: Node) -> list[str]:
    value = _attributes(node).get("class")
    if not isinstance(value, str):
        return []
    return list(dict.fromkeys(name for name in value.split() if _PLAIN_IDENT.match(name)))


def _tag(node: Node) -> str:
    return str(node.get("tagName", "")).lower()


def _attributes(node: Node) -> dict[str, Any]:
    attributes = node.get("attributes")
    return attributes if isinstance(attributes, dict) else {}
