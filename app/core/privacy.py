"""Privacy-first masking of rrweb events, applied wherever data enters the cache.

Defaults follow Smartlook: what people type into form fields, e-mail addresses and digits in
page text become `*` runs of the same length (whitespace kept, so layouts do not shift), and
passwords are masked whatever the policy says. Style and script text is never touched: masking
digits in CSS would break the page without hiding anything personal.

A policy may add ordered selector rules on top of the defaults: Mask (hide every value and
text inside the element), Unmask (show them) and Exclude (drop the element's content: it is
kept as an empty, same-size placeholder the players draw as a hatched box). A rule covers the
element it names and everything inside it; where several rules apply, the later one wins, as
in CSS. Nothing unmasks a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.recording.rrweb import EventType, NodeType, Source
from app.core.selectors import Selector, parse_selector

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
DIGIT_RE = re.compile(r"\d")
NON_SPACE_RE = re.compile(r"\S")

FORM_TAGS = frozenset({"input", "textarea", "select"})
# Input types whose `value` is the page's own label or token, not something a person typed.
UNTYPED_INPUTS = frozenset({"submit", "button", "reset", "image", "checkbox", "radio"})
CODE_TAGS = frozenset({"style", "script", "noscript"})
# Attributes that carry words a person reads; a Mask rule hides them with the text.
READABLE_ATTRIBUTES = frozenset({"value", "placeholder", "title", "alt", "aria-label"})
# What an excluded element keeps: enough for the page's CSS to give its box the same size.
LAYOUT_ATTRIBUTES = frozenset({"class", "style"})
SIZE_ATTRIBUTES = ("rr_width", "rr_height")
# Our player hatches elements carrying this; rrweb players draw rr_width/rr_height boxes.
PLACEHOLDER_ATTRIBUTE = "data-tv-blocked"
STYLE_SIZE_RE = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*([^;!]+)", re.IGNORECASE)
MAX_SELECTOR_RULES = 20
DOCUMENT_TAG = "#document"


class RuleAction(StrEnum):
    MASK = "mask"
    UNMASK = "unmask"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class SelectorRule:
    """Mask, unmask or exclude the elements a CSS selector names, and all inside them."""

    action: RuleAction
    selector: str
    parsed: Selector = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "action", RuleAction(self.action))
        except ValueError:
            raise ValueError(f"a rule's action must be mask, unmask or exclude, "
                             f"not {self.action!r}") from None
        # Raises SelectorError (a ValueError) naming what is wrong with the selector.
        object.__setattr__(self, "parsed", parse_selector(self.selector))


@dataclass(frozen=True)
class PrivacyPolicy:
    """What to mask. Passwords are masked regardless; `rules` apply in order, later wins."""

    mask_forms: bool = True
    mask_numbers: bool = True
    mask_emails: bool = True
    rules: tuple[SelectorRule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        if len(self.rules) > MAX_SELECTOR_RULES:
            raise ValueError(f"a privacy policy holds at most {MAX_SELECTOR_RULES} selector "
                             f"rules, not {len(self.rules)}")


DEFAULT_POLICY = PrivacyPolicy()


def stars(text: str) -> str:
    """Mask every visible character, keeping length and whitespace."""
    return NON_SPACE_RE.sub("*", text)


@dataclass(slots=True)
class _Node:
    tag: str  # element tag, or for a text node the tag of its parent element
    password: bool = False
    is_text: bool = False
    parent: int | None = None
    rule: int = -1  # index of the selector rule in force (its own or inherited); -1: none
    hidden: bool = False  # inside an excluded element: left out of the recording
    excluded: bool = False  # an excluded element, recorded as an empty placeholder
    # The attributes the rules' selectors test (as stored, i.e. masked), for descendants
    # added later whose selectors look at their ancestors.
    attributes: dict[str, str] | None = None


_FLAG_BITS = (("password", 1), ("is_text", 2), ("hidden", 4), ("excluded", 8))


class _ElementView:
    """An element as `app.core.selectors` sees it: tag, attributes, parent element."""

    __slots__ = ("_nodes", "_parent_id", "attributes", "tag")

    def __init__(self, tag: str, attributes: Mapping[str, str], parent_id: int | None,
                 nodes: dict[int, _Node]) -> None:
        self.tag, self.attributes = tag, attributes
        self._parent_id, self._nodes = parent_id, nodes

    def parent(self) -> _ElementView | None:
        node = self._nodes.get(self._parent_id)  # type: ignore[arg-type]
        # Selectors stop at a document, as CSS does at an iframe's boundary.
        if node is None or node.is_text or node.tag == DOCUMENT_TAG:
            return None
        return _ElementView(node.tag, node.attributes or {}, node.parent, self._nodes)


class Masker:
    """Masks one recording's events in stream order.

    It keeps a small mirror of node ids (per window) so that a later input or text change can
    be judged by the element it belongs to. `export_state` / `from_state` carry that mirror
    across batches of one stream, as the server receives them.
    """

    def __init__(self, policy: PrivacyPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._nodes: dict[int, dict[int, _Node]] = {}
        self._rule_attributes = frozenset().union(
            *(rule.parsed.attribute_names for rule in policy.rules))
        self._excluding = any(rule.action is RuleAction.EXCLUDE for rule in policy.rules)

    def export_state(self) -> dict[str, list[list[Any]]]:
        """The node mirror as JSON-ready data (no text: only tags, flags and rule matches)."""
        return {str(window): [[node_id, node.tag, _flags(node), node.parent, node.rule,
                               node.attributes] for node_id, node in nodes.items()]
                for window, nodes in self._nodes.items()}

    @classmethod
    def from_state(cls, policy: PrivacyPolicy, state: Mapping[str, list[list[Any]]]) -> Masker:
        """A masker that goes on where the one that exported `state` stopped."""
        masker = cls(policy)
        for window, rows in state.items():
            masker._nodes[int(window)] = {
                node_id: _Node(tag, parent=parent, rule=rule, attributes=attributes,
                               **{name: bool(flags & bit) for name, bit in _FLAG_BITS})
                for node_id, tag, flags, parent, rule, attributes in rows}
        return masker

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
                self._mask_tree(data["node"], None, None, nodes)
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

    def _mask_tree(self, root: dict[str, Any], parent: _Node | None, parent_id: int | None,
                   nodes: dict[int, _Node]) -> None:
        stack: list[tuple[dict[str, Any], _Node | None, int | None]] = [(root, parent, parent_id)]
        while stack:
            node, parent, parent_id = stack.pop()
            info = self._mask_node(node, parent, parent_id, nodes)
            children = node.get("childNodes")
            if isinstance(children, list) and info is not None and not info.is_text:
                own_id = node.get("id") if isinstance(node.get("id"), int) else parent_id
                stack.extend((child, info, own_id) for child in children
                             if isinstance(child, dict))

    def _mask_node(self, node: dict[str, Any], parent: _Node | None, parent_id: int | None,
                   nodes: dict[int, _Node]) -> _Node | None:
        """Mask one serialized node; return what its children inherit (None: no node)."""
        node_id = node.get("id")
        node_type = node.get("type")
        parent_tag = parent.tag if parent else ""
        inherited = parent.rule if parent else -1
        if node_type == NodeType.ELEMENT:
            tag = str(node.get("tagName", "")).lower()
            attributes = node.get("attributes")
            attributes = attributes if isinstance(attributes, dict) else {}
            password = tag == "input" and str(attributes.get("type", "")).lower() == "password"
            info = _Node(tag, password, parent=parent_id,
                         rule=self._rule_for(tag, attributes, parent_id, inherited, nodes))
            if isinstance(node_id, int):
                nodes[node_id] = info
            if self._mode(info) is RuleAction.EXCLUDE:
                self._make_placeholder(node, info, nodes)
            else:
                self._mask_attributes(attributes, info)
                if self._rule_attributes:
                    self._remember_attributes(info, attributes)
            return info
        if node_type in (NodeType.TEXT, NodeType.CDATA, NodeType.COMMENT):
            info = _Node(parent_tag, is_text=True, parent=parent_id, rule=inherited)
            if isinstance(node_id, int):
                nodes[node_id] = info
            text = node.get("textContent")
            if isinstance(text, str):
                node["textContent"] = self._mask_text_content(text, parent_tag,
                                                              bool(node.get("isStyle")), info)
            return info
        if node_type == NodeType.DOCUMENT:
            # Registered so content added to an (excluded, masked) iframe's document later
            # inherits what applies to the iframe.
            info = _Node(DOCUMENT_TAG, parent=parent_id, rule=inherited)
            if isinstance(node_id, int):
                nodes[node_id] = info
            return info
        return parent

    def _rule_for(self, tag: str, attributes: dict[str, Any], parent_id: int | None,
                  inherited: int, nodes: dict[int, _Node]) -> int:
        """Index of the last rule naming this element or an element around it (-1: none)."""
        rules = self.policy.rules
        if not rules:
            return -1
        view = _ElementView(tag, {k: v for k, v in attributes.items() if isinstance(v, str)},
                            parent_id, nodes)
        for index in range(len(rules) - 1, inherited, -1):
            if rules[index].parsed.matches(view):
                return index
        return inherited

    def _mode(self, info: _Node) -> RuleAction | None:
        if info.hidden or info.excluded:
            return RuleAction.EXCLUDE
        if info.rule < 0:
            return None
        rules = self.policy.rules
        return rules[info.rule].action if 0 <= info.rule < len(rules) else None

    def _make_placeholder(self, node: dict[str, Any], info: _Node,
                          nodes: dict[int, _Node]) -> None:
        """Empty an excluded element, keeping only what sizes its box."""
        info.excluded = True
        for child in node.get("childNodes") or ():
            if isinstance(child, dict):
                _hide_tree(child, nodes)
        node["childNodes"] = []
        attributes = node.get("attributes")
        node["attributes"] = _placeholder_attributes(
            attributes if isinstance(attributes, dict) else {})

    def _remember_attributes(self, info: _Node, attributes: dict[str, Any]) -> None:
        kept = {name: value for name, value in attributes.items()
                if name in self._rule_attributes and isinstance(value, str)}
        info.attributes = {**(info.attributes or {}), **kept} or None

    def _mask_attributes(self, attributes: dict[str, Any], info: _Node) -> None:
        mode = self._mode(info)
        for name, value in attributes.items():
            if not isinstance(value, str) or name == "_cssText":
                continue
            typed = name == "value" and self._is_typed_field(info, attributes)
            if typed or (mode is RuleAction.MASK and name in READABLE_ATTRIBUTES):
                attributes[name] = stars(value)
            elif mode is not RuleAction.UNMASK:
                attributes[name] = self._mask_emails(value)

    def _is_typed_field(self, info: _Node, attributes: dict[str, Any] | None = None) -> bool:
        if info.password:
            return True
        mode = self._mode(info)
        if mode is RuleAction.UNMASK:
            return False
        if info.tag not in FORM_TAGS or (not self.policy.mask_forms and mode is None):
            return False
        input_type = str((attributes or {}).get("type", "")).lower()
        return info.tag != "input" or input_type not in UNTYPED_INPUTS

    def _mask_text_content(self, text: str, parent_tag: str, is_style: bool = False,
                           info: _Node | None = None) -> str:
        if is_style or parent_tag in CODE_TAGS:
            return text
        mode = self._mode(info) if info is not None else None
        if mode is RuleAction.MASK:
            return stars(text)
        if mode is RuleAction.UNMASK:
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
            mode = self._mode(info) if info is not None else None
            if mode is RuleAction.EXCLUDE:
                data["text"] = ""
            # An input whose element is unknown is masked: safer to hide than to guess.
            elif info is None or info.password or mode is RuleAction.MASK \
                    or (mode is None and self.policy.mask_forms and not info.is_text):
                data["text"] = stars(data["text"])
            elif mode is None:
                data["text"] = self._mask_free_text(data["text"],
                                                    numbers=self.policy.mask_numbers)
        elif source == Source.LOG:
            data["payload"] = self._mask_free_text(data.get("payload"))
        elif source == Source.CANVAS_MUTATION:
            info = nodes.get(data.get("id"))  # type: ignore[arg-type]
            if info is not None and self._mode(info) is RuleAction.EXCLUDE:
                for key in ("commands", "args", "property"):
                    data.pop(key, None)
                data["commands"] = []

    def _mask_mutation(self, data: dict[str, Any], nodes: dict[int, _Node]) -> None:
        # id() of the changes to leave out: they touch nodes inside excluded elements.
        dropped = {id(remove) for remove in data.get("removes") or ()
                   if _known_hidden(nodes, remove)} if self._excluding else set()
        for add in data.get("adds") or ():
            if isinstance(add, dict) and isinstance(add.get("node"), dict):
                parent_id = add.get("parentId")
                parent = nodes.get(parent_id)  # type: ignore[arg-type]
                if parent is not None and (parent.hidden or parent.excluded):
                    _hide_tree(add["node"], nodes)
                    dropped.add(id(add))
                    continue
                self._mask_tree(add["node"], parent,
                                parent_id if isinstance(parent_id, int) else None, nodes)
        for change in data.get("texts") or ():
            if isinstance(change, dict) and isinstance(change.get("value"), str):
                info = nodes.get(change.get("id"))  # type: ignore[arg-type]
                if info is not None and info.hidden:
                    dropped.add(id(change))
                    continue
                change["value"] = self._mask_text_content(change["value"],
                                                          info.tag if info else "", info=info)
        for change in data.get("attributes") or ():
            if not isinstance(change, dict) or not isinstance(change.get("attributes"), dict):
                continue
            info = nodes.get(change.get("id"))  # type: ignore[arg-type]
            if info is not None and (info.hidden or info.excluded):
                dropped.add(id(change))
                continue
            attributes = change["attributes"]
            if info is not None and isinstance(attributes.get("type"), str):
                info.password = info.password or attributes["type"].lower() == "password"
            # An element we never saw is treated as a form field: hide rather than guess.
            self._mask_attributes(attributes, info or _Node("input"))
            if info is not None and self._rule_attributes:
                self._remember_attributes(info, attributes)
        if dropped:
            for key in ("removes", "adds", "texts", "attributes"):
                if isinstance(data.get(key), list):
                    data[key] = [item for item in data[key] if id(item) not in dropped]

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


def _flags(node: _Node) -> int:
    return sum(bit for name, bit in _FLAG_BITS if getattr(node, name))


def _hide_tree(root: dict[str, Any], nodes: dict[int, _Node]) -> None:
    """Remember the ids inside an excluded element, so later changes to them are dropped."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node.get("id"), int):
            nodes[node["id"]] = _Node("", is_text=node.get("type") != NodeType.ELEMENT,
                                      hidden=True)
        children = node.get("childNodes")
        if isinstance(children, list):
            stack.extend(child for child in children if isinstance(child, dict))


def _known_hidden(nodes: dict[int, _Node], remove: Any) -> bool:
    info = nodes.get(remove.get("id")) if isinstance(remove, dict) else None
    return info is not None and info.hidden


def _placeholder_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Layout attributes and the box's size (rrweb's rr_width/rr_height) where it is known."""
    kept: dict[str, Any] = {name: attributes[name] for name in LAYOUT_ATTRIBUTES
                            if isinstance(attributes.get(name), str)}
    sizes = {name: attributes[name] for name in SIZE_ATTRIBUTES
             if isinstance(attributes.get(name), str)}
    for name, value in STYLE_SIZE_RE.findall(str(attributes.get("style", ""))):
        sizes.setdefault(f"rr_{name.lower()}", value.strip())
    for name in ("width", "height"):
        value = attributes.get(name)
        if isinstance(value, int | float | str) and str(value).strip().isdigit():
            sizes.setdefault(f"rr_{name}", f"{str(value).strip()}px")
    kept.update(sizes)
    kept[PLACEHOLDER_ATTRIBUTE] = ""
    return kept


def mask_recording_events(events: list[dict[str, Any]], windows: list[int],
                          policy: PrivacyPolicy = DEFAULT_POLICY) -> None:
    """Mask a whole normalised event stream in place."""
    Masker(policy).mask_events(events, windows)
