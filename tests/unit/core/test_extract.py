"""Event extraction on streams built in code: each kind of event, found at the right time on
the right element, and what must not be found."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.analytics.events import IndexedEvent
from app.core.analytics.extract import extract_events
from app.core.importing import prepare
from app.core.recording.formats import RawRecording, Window
from tests.unit.core.event_streams import (
    BUY,
    BUY_LABEL,
    BUY_LATER,
    DUPLICATE,
    EMAIL,
    FORM,
    LOGO,
    NAV_SHOP,
    NEWSLETTER,
    NOTE,
    PASSWORD,
    PLAN_A,
    PLAN_B,
    SHOP_TEXT,
    SIGN_UP,
    T0,
    TYPE_BUTTON,
    URL,
    click,
    console,
    custom,
    incremental,
    move,
    mutation,
    page,
    plugin,
    restyle,
    scroll,
    text_change,
    typing,
)


def kinds(events: list[IndexedEvent], *wanted: str) -> list[IndexedEvent]:
    return [e for e in events if e.kind in wanted]


def one(events: list[IndexedEvent], kind: str) -> IndexedEvent:
    [found] = kinds(events, kind)
    return found


# -- pages -------------------------------------------------------------------------------------

def test_page_loads_and_spa_url_changes_are_pageviews() -> None:
    events = extract_events([
        *page(T0),
        custom(T0 + 10, "$pageview", {"href": URL}),  # PostHog, for the page just loaded
        custom(T0 + 1000, "$url_changed", {"href": "https://shop.test/cart"}),
        custom(T0 + 2000, "breadcrumb", {"category": "navigation",
                                         "data": {"from": "/cart", "to": "/checkout?step=2"}}),
        custom(T0 + 3000, "performanceSpan", {"op": "navigation.push",
                                              "description": "https://shop.test/thanks"}),
        click(T0 + 3500, BUY),
        *page(T0 + 4000, "https://shop.test/account"),
    ])
    pageviews = kinds(events, "pageview")
    assert [(p.ts_ms - T0, p.url, p.properties) for p in pageviews] == [
        (0, URL, None),
        (1000, "https://shop.test/cart", {"spa": "$url_changed"}),
        (2000, "https://shop.test/checkout?step=2", {"spa": "breadcrumb"}),
        (3000, "https://shop.test/thanks", {"spa": "performanceSpan"}),
        (4000, "https://shop.test/account", None)]
    assert all(p.name == p.url for p in pageviews)
    assert one(events, "click").url == "https://shop.test/thanks"
    assert not kinds(events, "custom", "network")  # recorders' bookkeeping, not site events


# -- clicks and what they landed on -------------------------------------------------------------

def test_a_click_names_the_element_it_meant() -> None:
    events = extract_events([*page(), click(T0 + 500, BUY_LABEL, 120, 45)])
    found = one(events, "click")
    # rrweb names the <span> inside the button; the button is what was meant.
    assert (found.ts_ms, found.node_id, found.x, found.y) == (T0 + 500, BUY_LABEL, 120.0, 45.0)
    assert (found.selector, found.text) == ("body > main > div:nth-of-type(1) > button",
                                            "Buy now")
    assert found.url == URL


@pytest.mark.parametrize(("node_id", "selector", "text"), [
    (NAV_SHOP, "#top > nav > a.active", "Shop"),  # the class no sibling link has
    (SHOP_TEXT, "#top > nav > a.active", "Shop"),  # a text node: its element
    (BUY_LATER, "body > main > div:nth-of-type(2) > button", "Buy later"),
    (NOTE, "body > main > p", "Just text"),
    (SIGN_UP, "#signup > button:nth-of-type(1)", "Sign up"),
    (LOGO, "body > main > img", "Shop logo"),  # no text inside: its alt
    (DUPLICATE, "body > main > div:nth-of-type(3)", "one"),  # its id is not unique
    (4, "body", None),  # the page itself: its text says nothing about the click
    (999, None, None),  # not in the page
])
def test_selectors_and_texts(node_id: int, selector: str | None, text: str | None) -> None:
    found = one(extract_events([*page(), click(T0 + 500, node_id)]), "click")
    assert (found.selector, found.text) == (selector, text)


def test_text_is_what_the_masked_recording_shows_and_follows_the_page() -> None:
    events = [*page(), text_change(T0 + 100, 24, "*** ***"), click(T0 + 200, BUY),
              mutation(T0 + 300, attributes=[{"id": NOTE, "attributes": {"id": "hint"}}]),
              click(T0 + 2000, NOTE)]
    clicks = kinds(extract_events(events), "click")
    assert clicks[0].text == "*** ***"
    assert clicks[1].selector == "#hint"


def test_three_quick_clicks_on_one_spot_are_one_rage_click_at_the_first() -> None:
    clicks = [click(T0 + 1000 + i * 150, BUY, 100 + i * 5, 200) for i in range(5)]
    events = extract_events([*page(), *clicks, text_change(T0 + 1700)])
    rage = one(events, "rage_click")
    assert (rage.ts_ms, rage.properties, rage.selector) == (
        T0 + 1000, {"count": 5}, "body > main > div:nth-of-type(1) > button")
    assert len(kinds(events, "click")) == 5  # the clicks stay, the rage click is added


@pytest.mark.parametrize("clicks", [
    [click(T0 + 1000, BUY), click(T0 + 1500, BUY)],  # two
    [click(T0 + 1000 + i * 1100, BUY) for i in range(4)],  # more than 1 s apart
    [click(T0 + 1000 + i * 100, BUY, 100 + i * 40, 200) for i in range(3)],  # wandering off
    [click(T0 + 1000, BUY), click(T0 + 1100, BUY, interaction=4),  # a double click ...
     click(T0 + 1200, BUY, interaction=3)],  # ... and a context menu are not clicks
])
def test_no_rage_click(clicks: list[dict]) -> None:
    events = extract_events([*page(), *clicks, text_change(T0 + 9000)])
    assert not kinds(events, "rage_click")


def test_rage_without_coordinates_counts_clicks_on_one_element() -> None:
    same = [click(T0 + 1000 + i * 100, BUY, None) for i in range(3)]
    other = [click(T0 + 5000 + i * 100, node, None) for i, node in enumerate((BUY, NOTE, BUY))]
    events = extract_events([*page(), *same, *other, move(T0 + 9000)])
    assert [r.ts_ms for r in kinds(events, "rage_click")] == [T0 + 1000]


def test_a_click_nothing_answers_within_a_second_is_dead() -> None:
    events = extract_events([*page(), click(T0 + 1000, NOTE), move(T0 + 1500),
                             text_change(T0 + 2100), move(T0 + 9000)])
    dead = one(events, "dead_click")
    assert (dead.ts_ms, dead.selector, dead.text) == (T0 + 1000, "body > main > p", "Just text")


@pytest.mark.parametrize("answer", [
    text_change(T0 + 1900),
    restyle(T0 + 1999),  # any mutation, as PostHog and Sentry count it
    scroll(T0 + 1500),
    incremental(T0 + 1500, 14, ranges=[]),  # a selection
    *page(T0 + 4500, "https://shop.test/next"),  # a page that took 3.5 s to come
    custom(T0 + 1200, "$url_changed", {"href": "https://shop.test/spa"}),
])
def test_what_answers_a_click(answer: dict) -> None:
    events = extract_events([*page(), click(T0 + 1000, NOTE), answer, move(T0 + 9000)])
    assert not kinds(events, "dead_click")


def test_clicks_that_are_not_judged_dead() -> None:
    events = extract_events([
        *page(),
        click(T0 + 1000, EMAIL),  # a field: its answer is focus
        click(T0 + 3000, NOTE), click(T0 + 3100, NOTE), click(T0 + 3200, NOTE),  # one burst
        move(T0 + 9000),
        click(T0 + 9500, NOTE), move(T0 + 10_000),  # the recording ends before 1 s passed
    ])
    assert [d.ts_ms for d in kinds(events, "dead_click")] == [T0 + 3000]


# -- inputs and submits -------------------------------------------------------------------------

def test_typing_is_one_input_per_field_with_the_masked_value() -> None:
    typed = ["j", "ja", "jane@example.org"]
    raw = [*page(), *(typing(T0 + 1000 + i * 100, EMAIL, value) for i, value in enumerate(typed)),
           typing(T0 + 2000, PASSWORD, "hunter2"), typing(T0 + 3000, EMAIL, "jane@x.org")]
    recording = prepare(RawRecording("typed.json", [Window(None, raw)]))
    events = extract_events(recording.events, recording.windows)
    inputs = kinds(events, "input")
    assert [(i.ts_ms - T0, i.name, i.selector, i.text) for i in inputs] == [
        (1000, "email", "#signup > input:nth-of-type(1)", "****************"),
        (2000, "password", "#signup > input:nth-of-type(2)", "*******"),
        (3000, "email", "#signup > input:nth-of-type(1)", "**********")]
    assert "jane" not in repr(events) and "hunter2" not in repr(events)


def test_checkboxes_and_radio_buttons() -> None:
    events = extract_events([
        *page(), typing(T0 + 1000, NEWSLETTER, "on", True),
        click(T0 + 1500, NOTE), typing(T0 + 2000, NEWSLETTER, "on", False),
        typing(T0 + 3000, PLAN_B, "b", True), typing(T0 + 3000, PLAN_A, "a", False)])
    assert [(i.node_id, i.text) for i in kinds(events, "input")] == [
        (NEWSLETTER, "checked"), (NEWSLETTER, "unchecked"), (PLAN_B, "checked")]


def test_a_submit_click_that_changes_the_form_is_a_submit() -> None:
    events = extract_events([
        *page(), typing(T0 + 500, EMAIL, "*****"), click(T0 + 1000, SIGN_UP),
        restyle(T0 + 1100),  # elsewhere: not the form
        mutation(T0 + 1200, attributes=[{"id": SIGN_UP, "attributes": {"disabled": ""}}]),
        move(T0 + 9000)])
    submit = one(events, "submit")
    assert (submit.ts_ms, submit.node_id, submit.name, submit.selector, submit.text) == (
        T0 + 1000, FORM, "signup", "#signup", "Sign up")
    assert submit.properties == {"via": "click", "confirmed_by": "form change"}


def test_a_submit_click_followed_by_a_new_page_is_a_submit() -> None:
    events = extract_events([*page(), click(T0 + 1000, SIGN_UP),
                             *page(T0 + 3000, "https://shop.test/welcome")])
    submit = one(events, "submit")
    assert (submit.ts_ms, submit.url, submit.properties["confirmed_by"]) == (
        T0 + 1000, URL, "navigation")
    assert not kinds(events, "dead_click")


def test_enter_in_a_field_then_a_new_page_is_a_submit() -> None:
    events = extract_events([*page(), typing(T0 + 1000, EMAIL, "*"),
                             typing(T0 + 1200, EMAIL, "**"),
                             *page(T0 + 2500, "https://shop.test/welcome")])
    submit = one(events, "submit")
    assert (submit.ts_ms, submit.selector, submit.text, submit.properties) == (
        T0 + 1200, "#signup", None, {"via": "enter", "confirmed_by": "navigation"})


@pytest.mark.parametrize("stream", [
    # a button of type "button" submits nothing
    [click(T0 + 1000, TYPE_BUTTON), text_change(T0 + 1100), *page(T0 + 2000, URL + "x")],
    # nothing changed in the form, and no new page came within 5 s
    [click(T0 + 1000, SIGN_UP), text_change(T0 + 1100), *page(T0 + 7000, URL + "x")],
    # the form changed too late to be the submit's answer
    [click(T0 + 1000, SIGN_UP),
     mutation(T0 + 2500, attributes=[{"id": SIGN_UP, "attributes": {"disabled": ""}}])],
    # typed, then clicked a link: the new page is the link's
    [typing(T0 + 1000, EMAIL, "*"), click(T0 + 1500, NAV_SHOP),
     *page(T0 + 2000, URL + "shop")],
    # typed, and the page changed later than Enter would explain
    [typing(T0 + 1000, EMAIL, "*"), *page(T0 + 7000, URL + "x")],
])
def test_no_submit(stream: list[dict]) -> None:
    assert not kinds(extract_events([*page(), *stream, move(T0 + 20_000)]), "submit")


# -- errors, custom events, identify, network ---------------------------------------------------

def test_console_errors_and_uncaught_errors() -> None:
    events = extract_events([
        *page(),
        console(T0 + 100, "error", '"Payment failed"', '{"code":42}', trace=["pay (a.js:1:2)"]),
        console(T0 + 200, "assert", '"Assertion failed: cart"'),
        console(T0 + 300, "warn", '"just a warning"'),
        console(T0 + 400, "log", '"hello"'),
        console(T0 + 500, "error", '"Uncaught Error: boom"'),
        incremental(T0 + 600, 11, level="error", payload=['"rrweb 1 log"'], trace=[]),
        custom(T0 + 700, "breadcrumb", {"category": "console", "level": "error",
                                        "message": "Sentry saw this"}),
        custom(T0 + 800, "breadcrumb", {"category": "console", "level": "log",
                                        "message": "and not this"}),
    ])
    errors = kinds(events, "error")
    assert [(e.ts_ms - T0, e.name, e.properties["level"], e.properties["uncaught"])
            for e in errors if e.properties] == [
        (100, 'Payment failed {"code":42}', "error", False),
        (200, "Assertion failed: cart", "assert", False),
        (500, "Uncaught Error: boom", "error", True),
        (600, "rrweb 1 log", "error", False),
        (700, "Sentry saw this", "error", False)]
    assert errors[0].properties["trace"] == ["pay (a.js:1:2)"] and errors[0].url == URL


def test_custom_events_identify_and_recorder_bookkeeping() -> None:
    events = extract_events([
        *page(),
        custom(T0 + 100, "identify", {"uid": "user-42", "name": "Ada"}),
        custom(T0 + 200, "Plan chosen", {"plan": "pro"}),
        custom(T0 + 300, "checkout", "not a dict"),
        custom(T0 + 400, "$session_options", {"x": 1}),  # PostHog's own
        custom(T0 + 500, "options", {"sessionSampleRate": 1}),  # Sentry's own
        custom(T0 + 600, None, {"x": 1}),
    ])
    identify = one(events, "identify")
    assert (identify.name, identify.properties) == ("user-42", {"uid": "user-42", "name": "Ada"})
    assert [(c.name, c.properties) for c in kinds(events, "custom")] == [
        ("Plan chosen", {"plan": "pro"}), ("checkout", None)]


def test_network_entries_from_sentry_spans_and_the_network_plugin() -> None:
    start = (T0 + 1000) / 1000
    events = extract_events([
        *page(),
        custom(T0 + 2500, "performanceSpan", {
            "op": "resource.fetch", "description": "https://api.test/cart",
            "startTimestamp": start, "endTimestamp": start + 0.25,
            "data": {"method": "post", "statusCode": 201}}),
        custom(T0 + 2600, "performanceSpan", {
            "op": "navigation.navigate", "description": URL, "startTimestamp": (T0 - 300) / 1000,
            "endTimestamp": (T0 - 100) / 1000, "data": {"size": 1334}}),
        custom(T0 + 2700, "performanceSpan", {"op": "largest-contentful-paint",
                                              "description": "lcp", "startTimestamp": start}),
        # rrweb's plugin: times from the page's time origin; emitted when the last one ended
        plugin(T0 + 5000, "rrweb/network@1", {"requests": [
            {"name": "https://api.test/a", "initiatorType": "fetch", "status": 200,
             "startTime": 4000, "endTime": 4500, "duration": 500},
            {"name": "https://cdn.test/b.js", "initiatorType": "script", "startTime": 4800,
             "endTime": 4900}]}),
        # PostHog's flavour: absolute timestamps
        plugin(T0 + 6000, "rrweb/network@1", {"requests": [
            {"name": "https://api.test/c", "method": "GET", "responseStatus": 404,
             "timestamp": T0 + 5500, "duration": 12.6}]}),
    ])
    assert [(n.ts_ms - T0, n.name, n.properties) for n in kinds(events, "network")] == [
        (-300, URL, {"method": None, "status": None, "duration_ms": 200,
                     "initiator": "navigation"}),
        (1000, "https://api.test/cart", {"method": "POST", "status": 201, "duration_ms": 250,
                                         "initiator": "fetch"}),
        (4100, "https://api.test/a", {"method": None, "status": 200, "duration_ms": 500,
                                      "initiator": "fetch"}),
        (4900, "https://cdn.test/b.js", {"method": None, "status": None, "duration_ms": 100,
                                         "initiator": "script"}),
        (5500, "https://api.test/c", {"method": "GET", "status": 404, "duration_ms": 13,
                                      "initiator": None})]
    assert {n.url for n in kinds(events, "network")} == {URL}


# -- windows, order, odd input ------------------------------------------------------------------

def test_windows_are_watched_apart() -> None:
    stream = [*page(), *page(T0 + 5, "https://shop.test/other"),
              click(T0 + 1000, BUY), click(T0 + 1100, BUY), click(T0 + 1200, BUY),
              text_change(T0 + 1300), move(T0 + 9000), move(T0 + 9000)]
    windows = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1]
    events = extract_events(stream, windows)
    # Two clicks in one window and one in the other are no burst; the change in window 1
    # answers the click there only.
    assert not kinds(events, "rage_click")
    assert [(d.window, d.url) for d in kinds(events, "dead_click")] == [(0, URL)]
    assert [(c.window, c.url) for c in kinds(events, "click")] == [
        (0, URL), (1, "https://shop.test/other"), (0, URL)]


def test_events_come_out_in_time_order() -> None:
    events = extract_events([*page(), click(T0 + 1000, NOTE), click(T0 + 1100, NOTE),
                             click(T0 + 1200, NOTE), console(T0 + 1300, "error", '"x"'),
                             move(T0 + 5000)])
    assert [e.ts_ms for e in events] == sorted(e.ts_ms for e in events)
    assert [e.kind for e in events if e.ts_ms == T0 + 1000] == ["click", "rage_click",
                                                                "dead_click"]


@pytest.mark.parametrize("data", [
    {"source": [2]}, {"source": 2, "type": [2]},
    {"source": 5, "id": None, "text": 3}, {"source": 0, "adds": [1], "attributes": ["x"]},
    {"source": 0, "attributes": [{"id": 3, "attributes": "style"}]},
])
def test_odd_events_are_skipped_not_fatal(data: dict[str, Any]) -> None:
    stream = [*page(), {"type": 3, "timestamp": T0 + 10, "data": data},
              {"type": 5, "timestamp": T0 + 20, "data": {"tag": ["x"], "payload": []}},
              {"type": 6, "timestamp": T0 + 30, "data": {"plugin": "rrweb/network@1",
                                                         "payload": {"requests": [1, {}]}}},
              {"type": 4, "timestamp": T0 + 40, "data": "not a dict"}]
    assert [e.kind for e in extract_events(stream)] == ["pageview"]


def test_clicks_keep_their_element_path_up_to_an_id_without_private_values() -> None:
    from app.core.analytics.extract import extract_events
    from app.core.recording.synthetic import generate_recording

    clicks = [e for e in extract_events(generate_recording(120, target_events=3000, seed=5))
              if e.kind == "click" and e.properties]
    assert clicks
    for found in clicks:
        path = found.properties["path"]
        assert 1 <= len(path) <= 16
        assert all(isinstance(tag, str) and isinstance(attributes, dict)
                   for tag, attributes in path)
        assert all("value" not in attributes for _, attributes in path)
        assert all("?" not in attributes.get("href", "") for _, attributes in path)
        # Up to the first ancestor with an id, or the top of the page.
        assert path[-1][0] == "html" or "id" in path[-1][1]


def test_the_errors_column_counts_what_the_events_index_found(cache: object) -> None:
    """Older recorders' logs and Sentry's breadcrumbs are errors too: the list's Errors
    column must agree with the "has errors" filter, also after a reindex."""
    from pathlib import Path

    import orjson
    from sqlalchemy import update

    from app.core.cache.models import RecordedSession
    from app.core.cache.reindex import reindex
    from app.core.importing import import_raw
    from app.core.recording.formats import RawRecording, Window

    events = [*page(), click(T0 + 50, BUY),
              incremental(T0 + 600, 11, level="error", payload=['"rrweb 1 log"'], trace=[]),
              custom(T0 + 700, "breadcrumb", {"category": "console", "level": "error",
                                              "message": "Sentry saw this"})]
    result = import_raw(cache, RawRecording("errors.json", [Window(None, events)]),
                        len(orjson.dumps(events)), Path("errors.json"), "Shop", "Acme")
    with cache.session() as session:
        row = session.get_one(RecordedSession, result.session_id)
        assert row.error_count == 2
        session.execute(update(RecordedSession).values(error_count=0, events_version=0))
    reindex(cache)
    with cache.read_session() as session:
        assert session.get_one(RecordedSession, result.session_id).error_count == 2
