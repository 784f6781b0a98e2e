"""Masking where data enters: forms, e-mails, digits; passwords whatever the policy."""

from __future__ import annotations

import copy
from typing import Any

from app.core.privacy import DEFAULT_POLICY, Masker, PrivacyPolicy, stars


def element(node_id: int, tag: str, children: list | None = None, **attributes: Any) -> dict:
    return {"type": 2, "tagName": tag, "attributes": attributes, "childNodes": children or [],
            "id": node_id}


def text(node_id: int, value: str, **extra: Any) -> dict:
    return {"type": 3, "textContent": value, "id": node_id, **extra}


def snapshot(*body: dict) -> dict:
    html = element(2, "html", [element(3, "body", list(body))])
    return {"type": 2, "data": {"node": {"type": 0, "childNodes": [html], "id": 1},
                                "initialOffset": {"left": 0, "top": 0}}, "timestamp": 1}


def incremental(**data: Any) -> dict:
    return {"type": 3, "data": data, "timestamp": 2}


def masked(events: list[dict], policy: PrivacyPolicy = DEFAULT_POLICY) -> list[dict]:
    events = copy.deepcopy(events)
    masker = Masker(policy)
    for event in events:
        masker.mask_event(event)
    return events


def body_of(event: dict) -> list[dict]:
    return event["data"]["node"]["childNodes"][0]["childNodes"][0]["childNodes"]


def test_stars_keep_length_and_spaces() -> None:
    assert stars("4111 1111 x") == "**** **** *"


def test_form_values_in_snapshot_are_masked_buttons_are_not() -> None:
    snap = snapshot(element(10, "input", value="Jane Doe", type="text"),
                    element(11, "input", value="Send", type="submit"),
                    element(12, "select", value="Premium"),
                    element(13, "textarea", [text(14, "my address")], value="my address"))
    out = body_of(masked([snap])[0])
    assert out[0]["attributes"]["value"] == "**** ***"
    assert out[1]["attributes"]["value"] == "Send"
    assert out[2]["attributes"]["value"] == "*******"
    assert out[3]["attributes"]["value"] == "** *******"
    assert out[3]["childNodes"][0]["textContent"] == "** *******"


def test_emails_and_digits_in_text_but_not_in_style() -> None:
    css = "body { width: 100px }"
    snap = snapshot(element(10, "p", [text(11, "Call 555-0100 or mail jane@example.com")]),
                    element(12, "style", [text(13, css, isStyle=True)]),
                    element(14, "a", [], href="mailto:jane@example.com", style="top: 10px"))
    out = body_of(masked([snap])[0])
    assert out[0]["childNodes"][0]["textContent"] == "Call ***-**** or mail ****************"
    assert out[1]["childNodes"][0]["textContent"] == css
    assert out[2]["attributes"] == {"href": "mailto:****************", "style": "top: 10px"}


def test_input_events_masked_by_default() -> None:
    events = [snapshot(element(10, "input", type="email")),
              incremental(source=5, id=10, text="jane@example.com", isChecked=False)]
    assert masked(events)[1]["data"]["text"] == "****************"


def test_relaxed_forms_still_hide_passwords_and_emails() -> None:
    policy = PrivacyPolicy(mask_forms=False)
    events = [snapshot(element(10, "input", type="password", value="hunter2"),
                       element(11, "input", type="text")),
              incremental(source=5, id=10, text="hunter2", isChecked=False),
              incremental(source=5, id=11, text="hi jane@example.com", isChecked=False)]
    out = masked(events, policy)
    assert body_of(out[0])[0]["attributes"]["value"] == "*******"
    assert out[1]["data"]["text"] == "*******"
    assert out[2]["data"]["text"] == "hi ****************"


def test_field_turned_into_password_later_is_masked() -> None:
    events = [snapshot(element(10, "input", type="text")),
              incremental(source=0, adds=[], removes=[], texts=[],
                          attributes=[{"id": 10, "attributes": {"type": "password"}}]),
              incremental(source=5, id=10, text="secret", isChecked=False)]
    assert masked(events, PrivacyPolicy(mask_forms=False))[2]["data"]["text"] == "******"


def test_input_on_unknown_element_is_masked() -> None:
    out = masked([incremental(source=5, id=999, text="who knows", isChecked=False)],
                 PrivacyPolicy(mask_forms=False))
    assert out[0]["data"]["text"] == "*** *****"


def test_mutations_mask_added_nodes_texts_and_values() -> None:
    events = [snapshot(element(10, "div"), element(20, "input")),
              incremental(source=0, removes=[], attributes=[
                  {"id": 20, "attributes": {"value": "typed"}}],
                  adds=[{"parentId": 10, "nextId": None,
                         "node": element(30, "span", [text(31, "Order 12345")])},
                        {"parentId": 10, "nextId": None, "node": text(32, "tel 0800")}],
                  texts=[{"id": 31, "value": "Order 99"}])]
    data = masked(events)[1]["data"]
    assert data["adds"][0]["node"]["childNodes"][0]["textContent"] == "Order *****"
    assert data["adds"][1]["node"]["textContent"] == "tel ****"
    assert data["texts"][0]["value"] == "Order **"
    assert data["attributes"][0]["attributes"]["value"] == "*****"


def test_meta_console_and_custom_payloads_lose_emails() -> None:
    events = [{"type": 4, "data": {"href": "https://x.test/?u=jane@example.com"}, "timestamp": 1},
              {"type": 6, "data": {"plugin": "rrweb/console@1", "payload": {
                  "level": "error", "payload": ["bad jane@example.com at line 42"]}},
               "timestamp": 2},
              {"type": 5, "data": {"tag": "signup", "payload": {"email": "jane@example.com"}},
               "timestamp": 3}]
    out = masked(events)
    assert out[0]["data"]["href"] == "https://x.test/?u=****************"
    assert out[1]["data"]["payload"]["payload"] == ["bad **************** at line 42"]
    assert out[2]["data"]["payload"]["email"] == "****************"


def test_identify_keeps_the_identity_the_site_shared() -> None:
    identify = {"type": 5, "data": {"tag": "identify", "payload": {
        "uid": "u1", "email": "jane@example.com"}}, "timestamp": 1}
    assert masked([identify]) == [identify]


def test_nothing_to_mask_when_policy_relaxes_everything() -> None:
    policy = PrivacyPolicy(mask_forms=False, mask_numbers=False, mask_emails=False)
    snap = snapshot(element(10, "p", [text(11, "jane@example.com 42")]),
                    element(12, "input", type="text", value="ok"))
    assert masked([snap], policy) == [snap]
