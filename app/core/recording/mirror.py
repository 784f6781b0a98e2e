"""A DOM mirror: the recorded page's serialized node tree, kept current event by event.

The mirror applies rrweb's incremental changes (mutations, inputs, scrolls, ...) to the node
tree of the last full snapshot without a browser. It answers what the page held at a moment —
which element was clicked, its selector and text — and can write its state back out as a full
snapshot, which is how replay checkpoints are made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from app.core.recording.rrweb import EventType, NodeType, Source

Node = dict[str, Any]


def _copy(value: Any) -> Any:
    # orjson round trips are several times faster than copy.deepcopy for JSON-shaped data.
    return orjson.loads(orjson.dumps(value))


class DomMirror:
    """The node tree of one window (iframes and shadow roots included, as rrweb nests them)."""

    def __init__(self) -> None:
        self.root: Node | None = None
        self.nodes: dict[int, Node] = {}
        self.parents: dict[int, int] = {}
        self.scroll: dict[int, tuple[float, float]] = {}

    # -- loading and applying -----------------------------------------------------------------

    def load_snapshot(self, data: dict[str, Any]) -> None:
        """Start over from a FullSnapshot event's `data` (copied: events stay untouched)."""
        node = data.get("node")
        self.root = _copy(node) if isinstance(node, dict) else None
        self.nodes.clear()
        self.parents.clear()
        self.scroll.clear()
        if self.root is not None:
            self._register(self.root, None)
        offset = data.get("initialOffset")
        if isinstance(offset, dict) and self.root is not None and "id" in self.root:
            self.scroll[self.root["id"]] = (offset.get("left", 0), offset.get("top", 0))

    def apply(self, event: dict[str, Any]) -> None:
        """Apply any event; those that do not change the page are ignored."""
        kind, data = event.get("type"), event.get("data")
        if not isinstance(data, dict):
            return
        if kind == EventType.FULL_SNAPSHOT:
            self.load_snapshot(data)
        elif kind == EventType.INCREMENTAL_SNAPSHOT:
            source = data.get("source")
            if source == Source.MUTATION:
                self.apply_mutation(data)
            elif source == Source.INPUT:
                self._apply_input(data)
            elif source == Source.SCROLL and isinstance(data.get("id"), int):
                self.scroll[data["id"]] = (data.get("x", 0), data.get("y", 0))

    def apply_mutation(self, data: dict[str, Any]) -> None:
        # rrweb's order: removes, then adds, then texts and attributes.
        for remove in data.get("removes") or ():
            if isinstance(remove, dict) and isinstance(remove.get("id"), int):
                self._remove(remove["id"])
        self._apply_adds([a for a in data.get("adds") or () if isinstance(a, dict)
                          and isinstance(a.get("node"), dict)])
        for change in data.get("texts") or ():
            node = self.nodes.get(change.get("id")) if isinstance(change, dict) else None
            if node is not None and isinstance(change.get("value"), str | type(None)):
                node["textContent"] = change["value"] or ""
        for change in data.get("attributes") or ():
            node = self.nodes.get(change.get("id")) if isinstance(change, dict) else None
            if node is not None and isinstance(change.get("attributes"), dict):
                self._apply_attributes(node, change["attributes"])

    def _apply_adds(self, adds: list[dict[str, Any]]) -> None:
        """Insert added nodes; ones whose parent or next sibling comes later wait for it."""
        pending = adds
        while pending:
            waiting = []
            for add in pending:
                parent = self.nodes.get(add.get("parentId"))  # type: ignore[arg-type]
                next_id = add.get("nextId")
                if parent is None or (next_id is not None and next_id not in self.nodes
                                      and any(a["node"].get("id") == next_id for a in pending)):
                    waiting.append(add)
                    continue
                self._insert(parent, _copy(add["node"]), next_id, add.get("previousId"))
            if len(waiting) == len(pending):
                break  # the rest refer to nodes that never arrive: rrweb drops them too
            pending = waiting

    def _insert(self, parent: Node, node: Node, next_id: Any, previous_id: Any) -> None:
        node_id = node.get("id")
        if isinstance(node_id, int) and node_id in self.nodes:
            self._remove(node_id)  # a node added again has moved
        children = parent.setdefault("childNodes", [])
        index = len(children)
        if next_id is not None:
            index = next((i for i, c in enumerate(children) if c.get("id") == next_id), index)
        elif previous_id is not None:
            index = next((i + 1 for i, c in enumerate(children) if c.get("id") == previous_id),
                         index)
        children.insert(index, node)
        self._register(node, parent.get("id"))

    def _remove(self, node_id: int) -> None:
        node = self.nodes.get(node_id)
        parent = self.nodes.get(self.parents.get(node_id))  # type: ignore[arg-type]
        if node is None:
            return
        if parent is not None:
            parent["childNodes"] = [c for c in parent.get("childNodes", []) if c is not node]
        for descendant in _walk(node):
            descendant_id = descendant.get("id")
            self.nodes.pop(descendant_id, None)  # type: ignore[arg-type]
            self.parents.pop(descendant_id, None)  # type: ignore[arg-type]
            self.scroll.pop(descendant_id, None)  # type: ignore[arg-type]

    def _register(self, node: Node, parent_id: int | None) -> None:
        stack: list[tuple[Node, int | None]] = [(node, parent_id)]
        while stack:
            current, parent = stack.pop()
            current_id = current.get("id")
            if isinstance(current_id, int):
                self.nodes[current_id] = current
                if parent is not None:
                    self.parents[current_id] = parent
            children = current.get("childNodes")
            if isinstance(children, list):
                stack.extend((c, current_id) for c in children if isinstance(c, dict))

    def _apply_attributes(self, node: Node, changes: dict[str, Any]) -> None:
        attributes = node.setdefault("attributes", {})
        for name, value in changes.items():
            if value is None:
                attributes.pop(name, None)
            elif name == "style" and isinstance(value, dict):
                attributes["style"] = merge_style(str(attributes.get("style", "")), value)
            else:
                attributes[name] = value

    def _apply_input(self, data: dict[str, Any]) -> None:
        node = self.nodes.get(data.get("id"))  # type: ignore[arg-type]
        if node is None:
            return
        attributes = node.setdefault("attributes", {})
        if isinstance(data.get("text"), str):
            attributes["value"] = data["text"]
        if isinstance(data.get("isChecked"), bool) and \
                str(attributes.get("type", "")).lower() in ("checkbox", "radio"):
            if data["isChecked"]:
                attributes["checked"] = True
            else:
                attributes.pop("checked", None)

    # -- reading ------------------------------------------------------------------------------

    def serialize(self) -> Node | None:
        """The current tree as a full snapshot's `node` (a copy)."""
        return _copy(self.root) if self.root is not None else None

    def tag_of(self, node_id: int) -> str | None:
        node = self.nodes.get(node_id)
        return str(node.get("tagName", "")).lower() if node and node.get("type") == \
            NodeType.ELEMENT else None

    def ancestors(self, node_id: int) -> Iterator[Node]:
        """The node itself, then its parents up to the document."""
        current: int | None = node_id
        while current is not None and current in self.nodes:
            yield self.nodes[current]
            current = self.parents.get(current)

    def text_of(self, node_id: int, limit: int = 200) -> str:
        """Visible text inside a node (style and script text left out), whitespace folded."""
        node = self.nodes.get(node_id)
        if node is None:
            return ""
        parts: list[str] = []
        for item in _walk(node):
            if item.get("type") == NodeType.TEXT and not item.get("isStyle"):
                parent = self.nodes.get(self.parents.get(item.get("id")))  # type: ignore[arg-type]
                if parent is None or str(parent.get("tagName", "")).lower() not in (
                        "script", "style", "noscript"):
                    parts.append(str(item.get("textContent", "")))
            if sum(map(len, parts)) > limit * 4:
                break
        return " ".join(" ".join(parts).split())[:limit]


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = current.get("childNodes")
        if isinstance(children, list):
            stack.extend(reversed([c for c in children if isinstance(c, dict)]))


def merge_style(style: str, changes: dict[str, Any]) -> str:
    """Apply rrweb's style-object diff ({prop: value | [value, priority] | false}) to a
    style attribute string."""
    declarations: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            declarations[name.strip()] = value.strip()
    for name, value in changes.items():
        if value is False or value is None:
            declarations.pop(name, None)
        elif isinstance(value, list) and value:
            priority = f" !{value[1]}" if len(value) > 1 and value[1] else ""
            declarations[name] = f"{value[0]}{priority}"
        else:
            declarations[name] = str(value)
    return "".join(f"{name}: {value}; " for name, value in declarations.items()).strip()
