"""Small recordings for the inspector's tests: a page with a button, console calls at every
level in the shape rrweb's console plugin writes them, and network entries as rrweb's network
plugin (PostHog's flavour) and Sentry write them. None of the shared fixtures has console or
network data (see ../shared/fixtures/rrweb/SOURCES.md)."""

from __future__ import annotations

import json
from typing import Any

from app.core.recording.rrweb import CONSOLE_PLUGIN

Event = dict[str, Any]
START_MS = 1_700_000_000_000
URL = "https://app.example.com/orders"
BUTTON_ID = 5
APP_JS = "https://app.example.com/static/app.js"
# (offset ms, console method, message): what the page logs, at every level the plugin knows.
CONSOLE_CALLS = (
    (1_000, "log", "App started"),
    (1_500, "info", "Feature flags loaded"),
    (2_000, "debug", "render <OrderList> took 12 ms"),
    (2_500, "warn", "Deprecated API: use fetchOrders()"),
    (3_000, "table", '[{"id":1,"total":12}]'),
    (4_000, "error", "TypeError: Cannot read properties of undefined (reading 'total')"),
    (4_500, "assert", "Assertion failed: cart is not empty"),
    (5_000, "log", "Order list rendered"),
)


def page(ts: int = START_MS, url: str = URL) -> list[Event]:
    """Meta and a full snapshot of a page with one button."""
    button = {"type": 2, "tagName": "button", "attributes": {"id": "pay"}, "id": BUTTON_ID,
              "childNodes": [{"type": 3, "textContent": "Pay now", "id": 6}]}
    body = {"type": 2, "tagName": "body", "attributes": {}, "id": 4, "childNodes": [button]}
    html = {"type": 2, "tagName": "html", "attributes": {}, "id": 2, "childNodes": [
        {"type": 2, "tagName": "head", "attributes": {}, "id": 3, "childNodes": []}, body]}
    return [{"type": 4, "data": {"href": url, "width": 1280, "height": 720}, "timestamp": ts},
            {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [html]},
                                 "initialOffset": {"left": 0, "top": 0}},
             "timestamp": ts + 10}]


def click(ts: int, node_id: int = BUTTON_ID) -> list[Event]:
    return [{"type": 3, "data": {"source": 2, "type": kind, "id": node_id, "x": 40, "y": 20},
             "timestamp": ts + step} for step, kind in enumerate((1, 0, 2))]


def console(ts: int, level: str, message: str) -> Event:
    return {"type": 6, "timestamp": ts, "data": {"plugin": CONSOLE_PLUGIN, "payload": {
        "level": level, "payload": [json.dumps(message)],
        "trace": [f"OrderList.render ({APP_JS}:10:5)", f"commitRoot ({APP_JS}:99:1)"]}}}


def network(ts: int) -> list[Event]:
    """Two requests from the network plugin (one failed) and a Sentry resource span."""
    return [
        {"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/network@1", "payload": {
            "requests": [
                {"name": "https://api.example.com/orders?page=1", "method": "GET",
                 "status": 200, "initiatorType": "fetch", "timestamp": ts - 300,
                 "duration": 120},
                {"name": "https://api.example.com/pay", "method": "POST", "status": 502,
                 "initiatorType": "xmlhttprequest", "timestamp": ts - 100, "duration": 80},
            ]}}},
        {"type": 5, "timestamp": ts + 50, "data": {"tag": "performanceSpan", "payload": {
            "op": "resource.script", "description": APP_JS,
            "startTimestamp": (ts - 900) / 1000, "endTimestamp": (ts - 850) / 1000,
            "data": {"statusCode": 200}}}},
    ]


def console_recording(with_network: bool = True) -> list[Event]:
    """A 6-second visit: the page, console calls at every level, a click, requests."""
    events = page()
    events += [console(START_MS + offset, level, message)
               for offset, level, message in CONSOLE_CALLS]
    events += click(START_MS + 3_500)
    if with_network:
        events += network(START_MS + 2_200)
    events.append({"type": 3, "timestamp": START_MS + 6_000,
                   "data": {"source": 1, "positions": [{"x": 1, "y": 1, "id": 4,
                                                        "timeOffset": 0}]}})
    return sorted(events, key=lambda event: event["timestamp"])
