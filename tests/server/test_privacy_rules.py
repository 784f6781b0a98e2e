"""Selector rules in the core masker: Mask, Unmask, Exclude, order, passwords, state."""

from __future__ import annotations

import copy

import orjson
import pytest

from app.core.privacy import Masker, PrivacyPolicy, SelectorRule
from tests.server.recordings import element, text


def snapshot(*body: dict) -> dict:
    html = element(2, "html", [element(3, "body", list(body))])
    return {"type": 2, "timestamp": 1, "data": {"node": {"type": 0, "childNodes": [html],
                                                         "id": 1},
                                                "initialOffset": {"left": 0, "top": 0}}}


def mutation(**data: object) -> dict:
    return {"type": 3, "timestamp": 2, "data": {"source": 0, "adds": [], "removes": [],
                                                "texts": [], "attributes": [], **data}}


def typed(node_id: int, value: str) -> dict:
    return {"type": 3, "timestamp": 3, "data": {"source": 5, "id": node_id, "text": value}}


def policy(*rules: tuple[str, str], **flags: bool) -> PrivacyPolicy:
    return PrivacyPolicy(rules=tuple(SelectorRule(a, s) for a, s in rules), **flags)


def run(events: list[dict], rules: PrivacyPolicy) -> list[dict]:
    events = copy.deepcopy(events)
    masker = Masker(rules)
    for event in events:
        masker.mask_event(event)
    return events


def body(event: dict) -> list[dict]:
    return event["data"]["node"]["childNodes"][0]["childNodes"][0]["childNodes"]


def test_exclude_keeps_a_same_size_placeholder() -> None:
    snap = snapshot(element(10, "section", [text(11, "secret 42")], id="x", width="300",
                            height="40", title="jane", **{"class": "box"}),
                    element(12, "div", [], rr_width="10px", rr_height="20px",
                            **{"data-private": "1"}))
    out = body(run([snap], policy(("exclude", "#x, [data-private]")))[0])
    assert out[0] == {"type": 2, "tagName": "section", "childNodes": [], "id": 10,
                      "attributes": {"class": "box", "rr_width": "300px", "rr_height": "40px",
                                     "data-tv-blocked": ""}}
    assert out[1]["attributes"] == {"rr_width": "10px", "rr_height": "20px",
                                    "data-tv-blocked": ""}


def test_changes_inside_an_excluded_element_are_dropped() -> None:
    events = [snapshot(element(10, "div", [element(11, "span", [text(12, "a")])], id="x"),
                       element(20, "p", [text(21, "keep")])),
              mutation(adds=[{"parentId": 11, "nextId": None, "node": text(13, "added")},
                             {"parentId": 20, "nextId": None, "node": text(22, "fine")}],
                       texts=[{"id": 12, "value": "changed"}, {"id": 21, "value": "ok"}],
                       attributes=[{"id": 10, "attributes": {"title": "t"}},
                                   {"id": 11, "attributes": {"title": "t"}}],
                       removes=[{"parentId": 11, "id": 12}]),
              mutation(texts=[{"id": 13, "value": "still hidden"}]),
              typed(10, "typed")]
    out = run(events, policy(("exclude", "#x")))
    data = out[1]["data"]
    assert [a["node"]["id"] for a in data["adds"]] == [22]
    assert data["texts"] == [{"id": 21, "value": "ok"}]
    assert data["attributes"] == [] and data["removes"] == []
    assert out[2]["data"]["texts"] == []
    assert out[3]["data"]["text"] == ""


def test_an_element_added_later_is_matched_with_its_ancestors() -> None:
    events = [snapshot(element(10, "div", [], **{"class": "profile"})),
              mutation(adds=[{"parentId": 10, "nextId": None,
                              "node": element(11, "span", [text(12, "Jane 42")],
                                              **{"class": "name"})}])]
    out = run(events, policy(("exclude", ".profile .name")))
    added = out[1]["data"]["adds"][0]["node"]
    assert added["childNodes"] == [] and "data-tv-blocked" in added["attributes"]


def test_the_later_rule_wins_and_rules_cover_descendants() -> None:
    snap = snapshot(element(10, "div", [element(11, "p", [text(12, "Order 12345")])],
                            **{"class": "order"}))
    unmasked = run([snap], policy(("mask", ".order"), ("unmask", "p")))
    assert body(unmasked[0])[0]["childNodes"][0]["childNodes"][0]["textContent"] == \
        "Order 12345"
    masked = run([snap], policy(("unmask", "p"), ("mask", ".order")))
    assert body(masked[0])[0]["childNodes"][0]["childNodes"][0]["textContent"] == \
        "***** *****"


def test_mask_hides_readable_attributes_and_typing_but_not_style() -> None:
    events = [snapshot(element(10, "form", [
        element(11, "input", type="search", placeholder="Your name", value="Jo"),
        element(12, "style", [{"type": 3, "textContent": "a{width:10px}", "id": 13,
                               "isStyle": True}]),
        element(14, "button", [text(15, "Send")], title="Send it")], id="f")),
        typed(11, "Jo Smith")]
    out = run(events, policy(("mask", "#f"), mask_forms=False))
    form = body(out[0])[0]["childNodes"]
    assert form[0]["attributes"] == {"type": "search", "placeholder": "**** ****",
                                     "value": "**"}
    assert form[1]["childNodes"][0]["textContent"] == "a{width:10px}"
    assert form[2]["childNodes"][0]["textContent"] == "****"
    assert form[2]["attributes"]["title"] == "**** **"
    assert out[1]["data"]["text"] == "** *****"


def test_nothing_unmasks_a_password() -> None:
    events = [snapshot(element(10, "input", type="password", value="hunter2"),
                       element(11, "input", type="text", value="x")),
              mutation(attributes=[{"id": 11, "attributes": {"type": "password"}}]),
              typed(10, "hunter3"), typed(11, "s3cret")]
    out = run(events, policy(("unmask", "input"), ("unmask", "*")))
    assert body(out[0])[0]["attributes"]["value"] == "*******"
    assert (out[2]["data"]["text"], out[3]["data"]["text"]) == ("*******", "******")


def test_the_masker_resumes_from_exported_state() -> None:
    rules = policy(("exclude", "#x"), ("unmask", ".open"))
    first = Masker(rules)
    first.mask_event(snapshot(element(10, "div", [element(11, "span")], id="x"),
                              element(20, "div", [], **{"class": "open"})))
    state = orjson.loads(orjson.dumps(first.export_state()))
    second = Masker.from_state(rules, state)
    later = [mutation(adds=[{"parentId": 11, "nextId": None, "node": text(12, "hidden")},
                            {"parentId": 20, "nextId": None,
                             "node": element(21, "b", [text(22, "Call 555")])}]),
             typed(10, "abc")]
    for event in later:
        second.mask_event(event)
    assert [a["node"]["id"] for a in later[0]["data"]["adds"]] == [21]
    assert later[0]["data"]["adds"][0]["node"]["childNodes"][0]["textContent"] == "Call 555"
    assert later[1]["data"]["text"] == ""


def test_a_policy_holds_at_most_twenty_rules() -> None:
    PrivacyPolicy(rules=tuple(SelectorRule("mask", f".c{i}") for i in range(20)))
    with pytest.raises(ValueError, match="at most 20"):
        PrivacyPolicy(rules=tuple(SelectorRule("mask", f".c{i}") for i in range(21)))
    with pytest.raises(ValueError, match="mask, unmask or exclude"):
        SelectorRule("blur", "p")  # type: ignore[arg-type]
