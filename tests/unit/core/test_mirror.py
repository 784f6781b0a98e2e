"""The DOM mirror follows rrweb's mutation semantics on real fixtures."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.recording.mirror import DomMirror, merge_style


def replay(path: Path, until: int | None = None) -> DomMirror:
    mirror = DomMirror()
    for event in json.loads(path.read_text()):
        if until is None or event["timestamp"] <= until:
            mirror.apply(event)
    return mirror


def tags(node: dict) -> list[str]:
    return [c.get("tagName", f"#{c['type']}") for c in node.get("childNodes", [])]


def test_iframes_get_their_documents_and_lose_a_removed_html(rrweb_fixtures: Path) -> None:
    mirror = replay(rrweb_fixtures / "rrweb-io__rrweb" / "iframe.json")
    iframes = [n for n in mirror.nodes.values() if n.get("tagName") == "iframe"]
    # Five were added; the fifth lived inside the fourth's <html>, removed at the end.
    assert sorted(i["attributes"]["id"] for i in iframes) == ["four", "one", "three", "two"]
    assert 64 not in mirror.nodes and 80 not in mirror.nodes
    documents = [i["childNodes"][0] for i in iframes if i.get("childNodes")]
    assert all(d["type"] == 0 for d in documents) and len(documents) == 4
    assert "iframe 1" in mirror.text_of(6)


def test_nested_shadow_roots(rrweb_fixtures: Path) -> None:
    mirror = replay(rrweb_fixtures / "rrweb-io__rrweb" / "shadow-dom.json")
    assert mirror.text_of(6) == "shadow dom one shadow dom two"
    assert mirror.nodes[9]["isShadowHost"] and mirror.parents[10] == 9


def test_scroll_positions_and_their_removal(rrweb_fixtures: Path) -> None:
    path = rrweb_fixtures / "rrweb-io__rrweb" / "scroll.json"
    events = json.loads(path.read_text())
    mirror = replay(path, until=events[-2]["timestamp"])
    assert mirror.scroll[6] == (0, 2500) and mirror.scroll[1] == (0, 250)
    mirror.apply(events[-1])
    assert 6 not in mirror.scroll and 6 not in mirror.nodes


def test_inputs_become_values(rrweb_fixtures: Path) -> None:
    path = rrweb_fixtures / "rrweb-io__rrweb" / "input.json"
    events = json.loads(path.read_text())
    typed = next(e for e in events if e["data"].get("source") == 5 and e["data"]["id"] == 33)
    mirror = replay(path, until=typed["timestamp"])
    assert mirror.nodes[33]["attributes"]["value"] == "test input"


def test_adds_wait_for_a_next_sibling_added_later_in_the_batch() -> None:
    mirror = DomMirror()
    mirror.load_snapshot({"node": {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "tagName": "body", "attributes": {}, "childNodes": [], "id": 2}]}})
    mirror.apply_mutation({"adds": [
        {"parentId": 2, "nextId": 4, "node": {"type": 2, "tagName": "a", "attributes": {},
                                              "childNodes": [], "id": 3}},
        {"parentId": 2, "nextId": None, "node": {"type": 2, "tagName": "b", "attributes": {},
                                                 "childNodes": [], "id": 4}}]})
    assert tags(mirror.nodes[2]) == ["a", "b"]


def test_events_are_not_modified_by_the_mirror(rrweb_fixtures: Path) -> None:
    path = rrweb_fixtures / "rrweb-io__rrweb" / "iframe.json"
    events = json.loads(path.read_text())
    mirror = DomMirror()
    for event in events:
        mirror.apply(event)
    assert events == json.loads(path.read_text())


def test_style_object_diffs() -> None:
    assert merge_style("color: red; width: 10px", {"width": False, "top": ["1px", "important"],
                                                   "color": "blue"}) == \
        "color: blue; top: 1px !important;"
