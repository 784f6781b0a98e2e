"""Heatmap points from rrweb streams built in code (page coordinates through scrolls, resizes
and navigations, move batches, targets) and from generated visits (every click lands in
its target's box)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from app.core.analytics.extract import extract_events
from app.core.heatmaps.extract import (
    NO_TARGET,
    PageVisit,
    extract_visits,
    targets_of,
)
from app.core.recording.rrweb import EventType, MouseInteraction, Source
from app.core.recording.synthetic import generate_recording
from tests.unit.core.event_streams import BUY, NOTE, T0, URL, click, custom, incremental, page


def meta_page(ts: int = T0, url: str = URL, width: int = 1280, height: int = 800,
              top: float = 0) -> list[dict[str, Any]]:
    events = page(ts, url)
    events[0]["data"] |= {"width": width, "height": height}
    events[1]["data"]["initialOffset"] = {"left": 0, "top": top}
    return events


def scrolled(ts: int, y: float, node_id: int = 1, x: float = 0) -> dict[str, Any]:
    return incremental(ts, Source.SCROLL, id=node_id, x=x, y=y)


def resized(ts: int, width: int, height: int) -> dict[str, Any]:
    return incremental(ts, Source.VIEWPORT_RESIZE, width=width, height=height)


def moves(ts: int, *positions: tuple[float, float, int]) -> dict[str, Any]:
    """A batch sent at `ts` of (x, y, timeOffset) positions."""
    return incremental(ts, Source.MOUSE_MOVE, positions=[
        {"x": x, "y": y, "id": 4, "timeOffset": offset} for x, y, offset in positions])


def only(visits: list[PageVisit]) -> PageVisit:
    [visit] = visits
    return visit


def points(visit: PageVisit) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in zip(visit.clicks["x"], visit.clicks["y"],
                                                 strict=True)]


def test_a_click_after_scrolling_lands_on_the_page_below_the_viewport_point() -> None:
    visit = only(extract_visits([*meta_page(), scrolled(T0 + 500, 800),
                                 click(T0 + 1000, NOTE, x=100, y=50)]))
    assert points(visit) == [(100.0, 850.0)]
    assert visit.clicks["ts"].tolist() == [T0 + 1000]
    assert (visit.url, visit.viewport_width, visit.viewport_height) == (URL, 1280, 800)


def test_horizontal_scroll_and_the_snapshots_initial_offset_count_too() -> None:
    visit = only(extract_visits([*meta_page(top=300), click(T0 + 100, NOTE, x=10, y=20),
                                 scrolled(T0 + 200, 300, x=40), click(T0 + 300, NOTE, x=10,
                                                                      y=20)]))
    assert points(visit) == [(10.0, 320.0), (50.0, 320.0)]


def test_only_the_pages_own_scroll_moves_points() -> None:
    """A scrolling list inside the page (node 20) leaves page coordinates alone; the <html>
    and <body> elements (ids 2 and 4) scroll the page where they are the scroll container."""
    visit = only(extract_visits([
        *meta_page(), scrolled(T0 + 100, 500, node_id=20), click(T0 + 200, NOTE, x=1, y=1),
        scrolled(T0 + 300, 200, node_id=4), click(T0 + 400, NOTE, x=1, y=1),
        scrolled(T0 + 500, 700, node_id=2), click(T0 + 600, NOTE, x=1, y=1)]))
    assert points(visit) == [(1.0, 1.0), (1.0, 201.0), (1.0, 701.0)]


def test_each_move_position_takes_the_scroll_of_its_own_moment() -> None:
    """The batch is sent at +1000 after the page scrolled at +800: positions sampled
    before that scroll stay where they were on the page."""
    visit = only(extract_visits([
        *meta_page(), scrolled(T0 + 800, 400),
        moves(T0 + 1000, (10, 10, -500), (20, 20, -250), (30, 30, -100), (40, 40, 0))]))
    assert visit.moves["x"].tolist() == [10, 20, 30, 40]
    assert visit.moves["y"].tolist() == [10, 20, 430, 440]


def test_a_page_load_starts_at_the_top_and_each_url_is_its_own_visit() -> None:
    visits = extract_visits([
        *meta_page(), scrolled(T0 + 100, 1500), click(T0 + 200, NOTE, x=5, y=5),
        *meta_page(T0 + 1000, "https://shop.test/cart"), click(T0 + 1200, NOTE, x=5, y=5),
        *meta_page(T0 + 2000), click(T0 + 2100, NOTE, x=6, y=6)])
    home, cart = visits
    assert (home.url, cart.url) == (URL, "https://shop.test/cart")
    assert points(home) == [(5.0, 1505.0), (6.0, 6.0)]  # shown again: the same visit
    assert points(cart) == [(5.0, 5.0)]
    assert (home.ts_ms, cart.ts_ms) == (T0, T0 + 1000)


def test_an_spa_navigation_is_another_page() -> None:
    visits = extract_visits([
        *meta_page(), click(T0 + 100, NOTE, x=5, y=5),
        custom(T0 + 200, "$pageview", {"href": "https://shop.test/shop"}),
        click(T0 + 300, NOTE, x=7, y=7)])
    assert [(v.url, points(v)) for v in visits] == [
        (URL, [(5.0, 5.0)]), ("https://shop.test/shop", [(7.0, 7.0)])]


def test_a_resize_to_another_width_starts_a_visit_and_keeps_the_scroll() -> None:
    visits = extract_visits([
        *meta_page(width=1440, height=900), scrolled(T0 + 100, 100),
        click(T0 + 200, NOTE, x=5, y=5), resized(T0 + 300, 390, 844),
        click(T0 + 400, NOTE, x=5, y=5), resized(T0 + 500, 390, 600)])
    wide, narrow = visits
    assert (wide.viewport_width, narrow.viewport_width) == (1440, 390)
    assert points(wide) == points(narrow) == [(5.0, 105.0)]
    # A shorter viewport at the same width is the same visit.
    assert narrow.viewport_height == 844 and len(visits) == 2


def test_scroll_depth_is_the_deepest_bottom_edge_shown() -> None:
    bounced = only(extract_visits(meta_page(height=800)))
    assert bounced.scroll_depth == 800  # one screen, never scrolled
    visit = only(extract_visits([
        *meta_page(height=800), scrolled(T0 + 100, 1200), scrolled(T0 + 200, 300),
        resized(T0 + 300, 1280, 1000)]))
    assert visit.scroll_depth == 2000
    assert only(extract_visits([*meta_page(height=800), scrolled(T0 + 100, 300),
                                resized(T0 + 200, 1280, 1100)])).scroll_depth == 1400


def test_clicks_keep_their_targets_selector_from_the_events_index() -> None:
    events = [*meta_page(), click(T0 + 100, BUY, x=50, y=60), click(T0 + 200, NOTE, x=1, y=2),
              click(T0 + 300, BUY, x=52, y=61), click(T0 + 400, 999, x=3, y=4)]
    visit = only(extract_visits(events, None, targets_of(extract_events(events))))
    assert visit.selectors == ["body > main > div:nth-of-type(1) > button", "body > main > p"]
    assert visit.clicks["target"].tolist() == [0, 1, 0, NO_TARGET]  # 999 is in no page


def test_what_is_no_click_on_a_page_gives_no_point() -> None:
    visits = extract_visits([
        click(T0, NOTE, x=1, y=1),  # before any page
        *meta_page(T0 + 10),
        click(T0 + 100, NOTE, x=None),  # no position
        click(T0 + 200, NOTE, interaction=MouseInteraction.DBL_CLICK),
        click(T0 + 300, NOTE, interaction=MouseInteraction.MOUSE_DOWN),
        incremental(T0 + 400, Source.MOUSE_INTERACTION, type=2, id=NOTE, x="7", y=[1]),
        incremental(T0 + 500, Source.MOUSE_INTERACTION, type=2, id=NOTE, x=1e300, y=1),
        incremental(T0 + 600, Source.MOUSE_INTERACTION, type=2, id=[NOTE], x=1, y=2)])
    assert points(only(visits)) == [(1.0, 2.0)]


def test_broken_values_are_skipped_not_fatal() -> None:
    visit = only(extract_visits([
        *meta_page(), scrolled(T0 + 50, "far"), scrolled(T0 + 60, 10, node_id=[1]),
        incremental(T0 + 70, Source.SCROLL, id=1),
        incremental(T0 + 80, Source.VIEWPORT_RESIZE, width=True, height=-5),
        incremental(T0 + 90, Source.MOUSE_MOVE, positions="nowhere"),
        incremental(T0 + 100, Source.MOUSE_MOVE, positions=[
            {"x": 1, "y": 2, "timeOffset": 0}, {"x": "a", "y": 2}, {"x": None, "y": 3},
            {"x": 3, "y": 4, "timeOffset": "soon"}, 7, {"x": 5, "y": float("inf")}]),
        {"type": EventType.INCREMENTAL_SNAPSHOT, "timestamp": T0 + 110, "data": None}]))
    assert (visit.viewport_width, visit.viewport_height) == (1280, 800)
    assert visit.moves["x"].tolist() == [1, 3] and visit.moves["y"].tolist() == [2, 4]


def test_windows_keep_their_own_page_and_scroll() -> None:
    first, second = meta_page(), meta_page(T0 + 5, "https://shop.test/other", width=800)
    events = [first[0], second[0], first[1], second[1], scrolled(T0 + 100, 600),
              click(T0 + 200, NOTE, x=1, y=1), click(T0 + 300, NOTE, x=2, y=2)]
    windows = [0, 1, 0, 1, 0, 1, 0]
    visits = extract_visits(events, windows)
    assert [(v.window, v.url, v.viewport_width, points(v)) for v in visits] == [
        (0, URL, 1280, [(2.0, 602.0)]), (1, "https://shop.test/other", 800, [(1.0, 1.0)])]


# -- generated visits ------------------------------------------------------------------------

BOX = re.compile(r"position:absolute;left:(-?\d+)px;top:(-?\d+)px;width:(\d+)px;height:(\d+)px")


def click_boxes(events: list[dict[str, Any]]) -> dict[int, tuple[float, float, float, float]]:
    """Each click's target's box in page px, by the click's time, read from the generator's
    inline layout (clicks in element scrollers, which shift their content, left out)."""
    boxes: dict[int, tuple[float, float, float, float] | None] = {}

    def add(node: dict[str, Any], origin: tuple[float, float] | None) -> None:
        style = (node.get("attributes") or {}).get("style", "")
        box = None
        if origin is not None and (match := BOX.search(style)):
            left, top, width, height = map(float, match.groups())
            box = (origin[0] + left, origin[1] + top, width, height)
        boxes[node["id"]] = box
        inner = None if "overflow-x:auto" in style else (box[:2] if box else origin)
        for child in node.get("childNodes") or ():
            add(child, inner)

    found = {}
    for event in events:
        data = event["data"]
        if event["type"] == EventType.FULL_SNAPSHOT:
            boxes.clear()
            add(data["node"], (0.0, 0.0))
        elif event["type"] == EventType.INCREMENTAL_SNAPSHOT and data["source"] == Source.MUTATION:
            for added in data["adds"]:
                parent = boxes.get(added["parentId"])
                add(added["node"], parent[:2] if parent else None)
        elif event["type"] == EventType.INCREMENTAL_SNAPSHOT \
                and data["source"] == Source.MOUSE_INTERACTION \
                and data["type"] == MouseInteraction.CLICK and boxes.get(data["id"]):
            found[event["timestamp"]] = boxes[data["id"]]
    return found


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_generated_clicks_land_in_their_targets_boxes_on_the_page(width: int,
                                                                  height: int) -> None:
    events = generate_recording(900, 6_000, seed=11, width=width, height=height)
    visits = extract_visits(events, None, targets_of(extract_events(events)))
    boxes = click_boxes(events)
    clicks = np.concatenate([v.clicks for v in visits])
    scrolled_clicks = 0
    for x, y, ts, _ in clicks.tolist():
        if ts in boxes:
            left, top, box_width, box_height = boxes[ts]
            assert left <= x < left + box_width and top <= y < top + box_height, (x, y, ts)
            scrolled_clicks += top >= height  # below the first screen: only scrolling got it
    assert len(boxes) > 40 and scrolled_clicks > 10
    assert len(clicks) == sum(1 for e in events if e["type"] == EventType.INCREMENTAL_SNAPSHOT
                              and e["data"]["source"] == Source.MOUSE_INTERACTION
                              and e["data"]["type"] == MouseInteraction.CLICK)
    assert (clicks["target"] >= 0).all()
    assert max(v.scroll_depth for v in visits) > 2 * height


def test_generated_mouse_moves_stay_on_the_page() -> None:
    events = generate_recording(600, 4_000, seed=5)
    visits = [visit for visit in extract_visits(events) if len(visit.moves)]
    for visit in visits:
        x, y = visit.moves["x"], visit.moves["y"]
        assert visit.viewport_width is not None
        assert (x >= 0).all() and (x < visit.viewport_width).all()
        assert (y >= 0).all() and (y < visit.scroll_depth).all()
    assert sum(len(visit.moves) for visit in visits) > 1_000
    assert sum(int((visit.moves["y"] >= 900).sum()) for visit in visits) > 100  # scrolled


def test_document_ids_come_from_each_snapshot() -> None:
    """Node ids restart with each page: the page's scroll is recorded against its own
    document id, whatever it is."""
    events = meta_page()
    events[1]["data"]["node"]["id"] = 77
    visit = only(extract_visits([*events, scrolled(T0 + 10, 500), scrolled(T0 + 20, 100,
                                                                              node_id=77),
                                 click(T0 + 30, NOTE, x=0, y=0)]))
    assert points(visit) == [(0.0, 100.0)]
