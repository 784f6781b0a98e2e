"""What the player's inspector lists: the feed in time order, console lines of every level and
recorder, requests, errors with their stack traces, and who identify() said the visitor is."""

from __future__ import annotations

import json

import pytest

from app.core.analytics.events import IndexedEvent
from app.core.analytics.extract import extract_events
from app.core.recording.synthetic import generate_recording
from app.core.replay.inspection import CONSOLE_GROUPS, describe, inspect_events
from app.core.tasks import Cancelled, CancelToken
from tests.support.inspector_recordings import CONSOLE_CALLS, START_MS, console_recording, page


def test_feed_is_the_extracted_events_in_time_order_without_requests() -> None:
    events = generate_recording(240, 3_000, seed=7, identity={"uid": "u-7", "plan": "pro"},
                                errors=2)
    inspection = inspect_events(events, events[0]["timestamp"])

    offsets = [entry.offset_ms for entry in inspection.feed]
    assert offsets == sorted(offsets)
    extracted = [e for e in extract_events(events) if e.kind != "network"]
    assert [entry.event.kind for entry in inspection.feed] == [e.kind for e in extracted]
    assert offsets[0] == 0 and inspection.feed[0].title == "Page view"
    assert len(inspection.errors) == sum(e.kind == "error" for e in extracted) >= 2
    assert inspection.identity == {"uid": "u-7", "plan": "pro"}


def test_console_lines_keep_every_level_and_group_them_like_devtools() -> None:
    inspection = inspect_events(console_recording(), START_MS)

    assert [(line.offset_ms, line.level, line.message) for line in inspection.console] \
        == list(CONSOLE_CALLS)
    groups = {line.level: line.group for line in inspection.console}
    assert groups == {"log": "log", "info": "info", "debug": "debug", "warn": "warn",
                      "table": "log", "error": "error", "assert": "error"}
    assert set(groups.values()) == set(CONSOLE_GROUPS)
    assert inspection.console[0].trace[0].startswith("OrderList.render")
    assert inspection.console[0].url == "https://app.example.com/orders"


def test_errors_carry_message_kind_and_stack_trace() -> None:
    inspection = inspect_events(console_recording(), START_MS)

    error, failed_assert = inspection.errors
    assert error.offset_ms == 4_000 and error.message.startswith("TypeError")
    assert error.kind == "console.error" and len(error.trace) == 2
    assert failed_assert.kind == "console.assert"
    assert "typeerror" in error.search and "orderlist.render" in error.search


def test_rrweb_1_log_events_and_sentry_breadcrumbs_are_console_lines() -> None:
    events = [*page(), {"type": 3, "timestamp": START_MS + 100, "data": {
        "source": 11, "level": "warn", "payload": ['"old rrweb"'], "trace": []}},
        {"type": 5, "timestamp": START_MS + 200, "data": {"tag": "breadcrumb", "payload": {
            "category": "console", "level": "warning", "message": "from Sentry"}}}]

    lines = inspect_events(events, START_MS).console

    assert [(line.message, line.group) for line in lines] == [("old rrweb", "warn"),
                                                              ("from Sentry", "warn")]


def test_requests_come_from_the_network_plugin_and_sentry_spans_in_start_order() -> None:
    network = inspect_events(console_recording(), START_MS).network

    assert [(entry.offset_ms, entry.method, entry.status, entry.initiator)
            for entry in network] == [(1_300, None, 200, "script"), (1_900, "GET", 200, "fetch"),
                                      (2_100, "POST", 502, "xmlhttprequest")]
    assert [entry.failed for entry in network] == [False, False, True]
    assert not inspect_events(console_recording(with_network=False), START_MS).network


def test_cancelling_stops_the_pass() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        inspect_events(console_recording(), START_MS, token)


@pytest.mark.parametrize(("event", "expected"), [
    (IndexedEvent(0, "click", text="Pay now", selector="#pay"), "\u201cPay now\u201d"),
    (IndexedEvent(0, "click", selector="div.card > img"), "div.card > img"),
    (IndexedEvent(0, "rage_click", text="Pay", properties={"count": 5}),
     "\u201cPay\u201d \N{MULTIPLICATION SIGN}5"),
    (IndexedEvent(0, "input", name="email", text="*****"), "email: *****"),
    (IndexedEvent(0, "identify", name="u-1", properties={"uid": "u-1", "name": "Ann"}),
     "u-1 (Ann)"),
    (IndexedEvent(0, "pageview", name="https://x.test/"), "https://x.test/"),
    (IndexedEvent(0, "custom", name="signup", properties={"plan": "pro"}), "signup"),
])
def test_describe_says_what_an_event_was_about(event: IndexedEvent, expected: str) -> None:
    assert describe(event) == expected


def test_an_untrusted_recording_cannot_make_huge_rows() -> None:
    events = [*page(), {"type": 6, "timestamp": START_MS + 5, "data": {
        "plugin": "rrweb/console@1",
        "payload": {"level": 7, "payload": [json.dumps("x" * 100_000)], "trace": [1, None]}}}]

    line, = inspect_events(events, START_MS).console

    assert line.level == "log" and len(line.message) == 10_000 and line.trace == ()
