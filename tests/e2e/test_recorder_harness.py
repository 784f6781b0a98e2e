"""The recording harness works: real rrweb in real Chromium yields the events tests rely on."""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zstandard

from app.core.cache.database import Cache
from app.core.cache.queries import iter_session_events
from app.core.importing import import_file
from app.core.recording.rrweb import EventType, MouseInteraction, Source
from tests.support.browser import recorded_page, rrweb_version, snapshot_node_id

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SHOP_ASSETS = {"/", "/shop.css", "/shop.js", "/product.png", "/fonts/shop-sans.ttf"}


def incremental(events: list[dict[str, Any]], source: Source) -> list[dict[str, Any]]:
    return [e for e in events
            if e["type"] == EventType.INCREMENTAL_SNAPSHOT and e["data"]["source"] == source]


def is_incremental(source: Source, **data: Any) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `wait_for_event`: an incremental event of `source` with these fields."""
    def matches(event: dict[str, Any]) -> bool:
        return (event["type"] == EventType.INCREMENTAL_SNAPSHOT
                and event["data"]["source"] == source
                and all(event["data"].get(key) == value for key, value in data.items()))
    return matches


def test_recording_starts_like_a_tracker_in_head(browser: Browser,
                                                 shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site, viewport=(1024, 700)) as recording:
        events = recording.events()
        page_url = recording.url("/")
        assert not recording.page_errors and not recording.console_errors
    assert rrweb_version().startswith("2.")
    # DOMContentLoaded and load, then rrweb's Meta and FullSnapshot (its default recordAfter).
    assert [e["type"] for e in events] == [EventType.DOM_CONTENT_LOADED, EventType.LOAD,
                                           EventType.META, EventType.FULL_SNAPSHOT]
    meta, snapshot = events[2], events[3]
    assert meta["data"] == {"href": page_url, "width": 1024, "height": 700}
    assert snapshot["data"]["initialOffset"] == {"left": 0, "top": 0}
    assert snapshot_node_id(events, "id", "checkout") > 0
    assert snapshot_node_id(events, "id", "item-120") > 0  # script-built content is in it
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps)


def test_click_is_recorded_on_the_clicked_button(browser: Browser,
                                                 shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site) as recording:
        box = recording.page.locator("#add-1").bounding_box()
        assert box is not None
        recording.page.click("#add-1")
        click = recording.wait_for_event(
            is_incremental(Source.MOUSE_INTERACTION, type=MouseInteraction.CLICK))
        events = recording.events()
        button_id = recording.node_id("#add-1")

    assert click["data"]["id"] == button_id == snapshot_node_id(events, "id", "add-1")
    assert box["x"] <= click["data"]["x"] <= box["x"] + box["width"]
    assert box["y"] <= click["data"]["y"] <= box["y"] + box["height"]
    # The page's click handler replaced the button's and the basket's text: one mutation.
    added = [(add["parentId"], add["node"]["textContent"])
             for e in incremental(events, Source.MUTATION) if e["timestamp"] >= click["timestamp"]
             for add in e["data"]["adds"]]
    assert (button_id, "Added (1)") in added
    assert (snapshot_node_id(events, "id", "basket-count"), "1") in added

def test_typing_is_recorded_as_input_events(browser: Browser,
                                            shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site) as recording:
        recording.page.locator("#name").press_sequentially("Jane Doe")
        recording.page.locator("#password").press_sequentially("hunter2")
        recording.page.select_option("#delivery", "courier")
        events = recording.events()
        ids = {name: recording.node_id(f"#{name}") for name in ("name", "password", "delivery")}

    inputs = incremental(events, Source.INPUT)
    last = {e["data"]["id"]: e["data"]["text"] for e in inputs}
    assert last[ids["name"]] == "Jane Doe"
    assert last[ids["delivery"]] == "courier"
    # rrweb's defaults mask passwords only; everything else arrives as typed.
    assert last[ids["password"]] == "*******"
    assert len([e for e in inputs if e["data"]["id"] == ids["name"]]) == len("Jane Doe")


def test_record_options_reach_rrweb(browser: Browser, shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site, record_options={"maskAllInputs": True}) as recording:
        recording.page.locator("#name").press_sequentially("Jane")
        name_id = recording.node_id("#name")
        events = recording.events()
    assert [e["data"]["text"] for e in incremental(events, Source.INPUT)
            if e["data"]["id"] == name_id][-1] == "****"


def test_scrolling_the_page_and_a_box_is_recorded(browser: Browser,
                                                  shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site) as recording:
        page = recording.page
        page.mouse.wheel(0, 1500)
        page.wait_for_function("() => window.scrollY >= 1500")
        recording.settle()  # rrweb throttles scroll events; the last one comes 100 ms later
        document_scroll = incremental(recording.events(), Source.SCROLL)[-1]
        box_id = recording.node_id("#review-box")
        page.locator("#review-box").scroll_into_view_if_needed()
        page.locator("#review-box").hover()
        page.mouse.wheel(0, 200)
        box_scroll = recording.wait_for_event(
            lambda e: is_incremental(Source.SCROLL, id=box_id)(e) and e["data"]["y"] > 0)
        events = recording.events()

    document_id = events[3]["data"]["node"]["id"]
    assert document_scroll["data"] == {"source": Source.SCROLL, "id": document_id,
                                       "x": 0, "y": 1500}
    assert box_scroll["data"]["x"] == 0


def test_viewport_resize_is_recorded(browser: Browser, shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site) as recording:
        recording.page.set_viewport_size({"width": 800, "height": 600})
        resize = recording.wait_for_event(is_incremental(Source.VIEWPORT_RESIZE))
    assert (resize["data"]["width"], resize["data"]["height"]) == (800, 600)


def test_navigation_continues_the_same_recording(browser: Browser,
                                                 shop_site: dict[str, bytes]) -> None:
    with recorded_page(browser, shop_site) as recording:
        with recording.page.expect_navigation():
            recording.page.click("#orders-link")
        recording.wait_for_snapshot()
        events = recording.events()
        urls = (recording.url("/"), recording.url("/orders.html"))
        requests = list(recording.server_requests)

    assert [e["data"]["href"] for e in events if e["type"] == EventType.META] == list(urls)
    assert snapshot_node_id(events, "id", "no-orders", snapshot=1) > 0
    assert "/orders.html" in requests


def test_the_recorder_fetches_nothing(browser: Browser, shop_site: dict[str, bytes]) -> None:
    """rrweb is injected, not served: the server sees only the page's own files."""
    with recorded_page(browser, shop_site) as recording:
        recording.page.click("#add-2")
        recording.events()
        requests = list(recording.server_requests)
    assert sorted(requests) == sorted(SHOP_ASSETS)


def test_pages_cannot_reach_beyond_loopback(browser: Browser) -> None:
    """A page's off-machine asset fails at once (no hang, no traffic) and is still recorded."""
    html = ("<!doctype html><title>t</title><p id='hello'>Hello</p>"
            "<img id='remote' src='http://assets.tapeview.invalid/logo.png'>")
    with recorded_page(browser, html) as recording:
        failures = list(recording.failed_requests)
        events = recording.events()
        requests = list(recording.server_requests)
    assert failures == ["http://assets.tapeview.invalid/logo.png net::ERR_PROXY_CONNECTION_FAILED"]
    assert snapshot_node_id(events, "id", "remote") > 0
    assert set(requests) <= {"/", "/favicon.ico"} and "/" in requests


def test_screenshot_is_taken_after_the_recorded_events(browser: Browser,
                                                      shop_site: dict[str, bytes],
                                                      tmp_path: Path) -> None:
    with recorded_page(browser, shop_site, viewport=(900, 640)) as recording:
        recording.page.click("#add-1")
        before = recording.events()
        png, taken_at = recording.screenshot(tmp_path / "shop.png")
        after = recording.events()
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (900, 640)
    assert before[-1]["timestamp"] <= taken_at
    assert after == before  # nothing was pending that a replay up to `taken_at` would miss


def cache_bytes(path: Path) -> bytes:
    """The main file and its WAL: everything SQLite has written."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_recorded_secrets_never_reach_the_cache(browser: Browser, shop_site: dict[str, bytes],
                                               cache: Cache, cache_path: Path,
                                               tmp_path: Path) -> None:
    secrets = {"#email": "jane.doe.secret@example.com", "#password": "Tr0ub4dor&3",
               "#card": "4111 1111 1111 1111"}
    # The worst case a tracker can send: rrweb told to mask nothing, not even passwords.
    options = {"maskInputOptions": {"password": False}}
    with recorded_page(browser, shop_site, record_options=options) as recording:
        for selector, secret in secrets.items():
            recording.page.locator(selector).press_sequentially(secret)
        recording.page.click("#place-order")
        recording.page.wait_for_selector("#status:has-text('Thank you')")
        ids = {selector: recording.node_id(selector) for selector in secrets}
        recorded = recording.save(tmp_path / "shop-session.json")
        event_count = len(recording.events())

    raw = recorded.read_bytes()
    for secret in secrets.values():
        assert json.dumps(secret).encode() in raw  # rrweb really sent them in plain text

    result = import_file(cache, recorded)
    assert result.status == "imported", result.message
    assert result.event_count == event_count

    with sqlite3.connect(cache_path) as connection:
        chunks = [zstandard.ZstdDecompressor().decompress(row[0])
                  for row in connection.execute("SELECT data FROM recording_chunk")]
    connection.close()
    assert chunks
    for haystack in [cache_bytes(cache_path), *chunks]:
        for secret in secrets.values():
            assert secret.encode() not in haystack
            assert json.dumps(secret).encode() not in haystack

    with cache.read_session() as session:
        assert result.session_id is not None
        stored = [event for event, _ in iter_session_events(session, result.session_id)]
    typed = {e["data"]["id"]: e["data"]["text"] for e in incremental(stored, Source.INPUT)}
    for selector, secret in secrets.items():
        assert set(typed[ids[selector]].replace(" ", "")) == {"*"}
        assert len(typed[ids[selector]]) == len(secret)
