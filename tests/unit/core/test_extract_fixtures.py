"""Event extraction on the real-world recordings in ../shared/fixtures/rrweb (SOURCES.md): the
events each holds, at the times recorded, and selectors that pick out exactly the element
each click meant, in the page as it was at that moment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.analytics.extract import extract_events
from app.core.analytics.targets import describe_target
from app.core.importing import prepare
from app.core.recording.formats import read_recording_file
from app.core.recording.mirror import DomMirror, Node
from app.core.recording.normalize import Recording
from app.core.recording.rrweb import EventType, MouseInteraction, NodeType, Source

POSTHOG = "PostHog__posthog/recording_snapshots.jsonl"
RRWEB_DEMO = "rrweb-io__rrweb/events.json"
STEP = re.compile(r"#(?P<id>[^\s>\[.:]+)|\[id=\"(?P<quoted>[^\"]*)\"\]"
                  r"|(?P<tag>[a-z][a-z0-9-]*)(?P<classes>(?:\.[^\s.:>]+)*)"
                  r"(?::nth-of-type\((?P<nth>\d+)\))?")


def recording_of(fixtures: Path, name: str) -> Recording:
    return prepare(read_recording_file(fixtures / name))


def every_recording(fixtures: Path) -> list[Recording]:
    files = sorted(p for p in fixtures.rglob("*.json*") if p.name != "privacy.json")
    return [prepare(read_recording_file(path)) for path in files]


# A reader of the selectors targets.py writes, to check them against a mirror without a browser.
def select(mirror: DomMirror, selector: str) -> list[int]:
    steps = [STEP.fullmatch(step) for step in selector.split(" > ")]
    assert all(steps), selector
    return [node_id for node_id, node in mirror.nodes.items()
            if _matches_from(mirror, node, steps, len(steps) - 1)]


def _matches_from(mirror: DomMirror, node: Node | None, steps: list, index: int) -> bool:
    if node is None or node.get("type") != NodeType.ELEMENT \
            or not _matches_step(mirror, node, steps[index]):
        return False
    return index == 0 or _matches_from(mirror, mirror.nodes.get(mirror.parents.get(node["id"])),
                                       steps, index - 1)


def _matches_step(mirror: DomMirror, node: Node, step: re.Match) -> bool:
    attributes = node.get("attributes") or {}
    if step["id"] or step["quoted"] is not None:
        return attributes.get("id") == (step["id"] or step["quoted"])
    tag = str(node.get("tagName", "")).lower()
    classes = set(str(attributes.get("class", "")).split())
    if tag != step["tag"] or not set(filter(None, step["classes"].split("."))) <= classes:
        return False
    if step["nth"] is None:
        return True
    parent = mirror.nodes[mirror.parents[node["id"]]]
    same = [c for c in parent["childNodes"] if c.get("type") == NodeType.ELEMENT
            and str(c.get("tagName", "")).lower() == tag
            and bool(c.get("isShadow")) == bool(node.get("isShadow"))]
    return same.index(node) + 1 == int(step["nth"])


def test_every_click_selector_picks_out_its_element(rrweb_fixtures: Path) -> None:
    checked = 0
    for recording in every_recording(rrweb_fixtures):
        extracted = iter(e for e in extract_events(recording.events, recording.windows)
                         if e.kind in ("click", "dblclick", "contextmenu"))
        mirrors: dict[int, DomMirror] = {}
        for event, window in zip(recording.events, recording.windows, strict=True):
            mirror = mirrors.setdefault(window, DomMirror())
            data = event["data"]
            if event["type"] == EventType.INCREMENTAL_SNAPSHOT \
                    and data.get("source") == Source.MOUSE_INTERACTION \
                    and data.get("type") in (MouseInteraction.CLICK, MouseInteraction.DBL_CLICK,
                                             MouseInteraction.CONTEXT_MENU):
                found = next(extracted)
                target = describe_target(mirror, data["id"])
                assert target is not None and found.ts_ms == event["timestamp"]
                assert found.selector is not None
                assert select(mirror, found.selector) == [target.node_id], found.selector
                checked += 1
            mirror.apply(event)
    assert checked == 10 + 3  # PostHog: 8 clicks and 2 double clicks; the rrweb demo: 3


def test_posthog_rage_clicks_in_each_window(rrweb_fixtures: Path) -> None:
    recording = recording_of(rrweb_fixtures, POSTHOG)
    events = extract_events(recording.events, recording.windows)
    assert len([e for e in events if e.kind == "click"]) == 8
    assert [e.kind for e in events].count("pageview") == 2  # one Meta per window
    rage = [(e.ts_ms - recording.start_ms, e.window, e.properties, e.selector, e.text)
            for e in events if e.kind == "rage_click"]
    assert rage == [
        (3436, 0, {"count": 4}, "#__next > main > div > button:nth-of-type(1)",
         "Capture event"),
        (8921, 1, {"count": 3}, "#__next > main > div > button:nth-of-type(2)",
         "Autocapture buttons")]
    # A click on the page background names the page, with no text to show.
    first = next(e for e in events if e.kind == "click")
    assert (first.ts_ms - recording.start_ms, first.selector, first.text) == (2387, "html", None)


def test_rrweb_demo_clicks(rrweb_fixtures: Path) -> None:
    recording = recording_of(rrweb_fixtures, RRWEB_DEMO)
    clicks = [(e.ts_ms - recording.start_ms, e.text, e.selector.rsplit(" > ", 1)[-1])
              for e in extract_events(recording.events) if e.kind == "click" and e.selector]
    assert clicks == [(1725, "render () {", "pre:nth-of-type(18)"),
                      (46924, "}", "pre:nth-of-type(27)"),
                      (70966, "ReactHooks.js", "a.active")]


def test_inputs_of_the_rrweb_fixture_come_out_masked(rrweb_fixtures: Path) -> None:
    recording = recording_of(rrweb_fixtures, "rrweb-io__rrweb/input.json")
    inputs = [(e.ts_ms - recording.start_ms, e.selector, e.text)
              for e in extract_events(recording.events) if e.kind == "input"]
    # The select changed twice in a row (one input, its last value), then the text field.
    assert inputs == [(1500, "body > select", "******"), (3000, "body > input", "**** *****")]


@pytest.mark.parametrize("name", ["rrweb-io__rrweb/shadow-dom.json", "rrweb-io__rrweb/iframe.json",
                                  "highlight__highlight/dom-with-scripts.json",
                                  "rrweb-io__rrweb/video-playback.json"])
def test_recordings_without_actions_have_pageviews_at_most(rrweb_fixtures: Path,
                                                          name: str) -> None:
    recording = recording_of(rrweb_fixtures, name)
    events = extract_events(recording.events)
    assert {e.kind for e in events} <= {"pageview", "click"}
    assert all(recording.start_ms <= e.ts_ms <= recording.end_ms for e in events)
