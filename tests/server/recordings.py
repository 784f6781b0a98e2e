"""Small rrweb recordings built in code, with personal data planted where masking must act."""

from __future__ import annotations

import base64
from typing import Any

T0 = 1_700_000_000_000
MINUTE = 60_000
URL = "https://shop.test/checkout"

SECRET_EMAIL = "jane.doe@example.com"
SECRET_PASSWORD = "hunter2-Secret!"
SECRET_CARD = "4111 1111 1111 1111"
TYPED_EMAIL = "typed.person@example.org"
TYPED_PASSWORD = "TypedPassw0rd!"
TYPED_CARD = "5500 0000 0000 0004"
IDENTIFIED_EMAIL = "jane@crm.example"
AD_TEXT = "Exclusive offer for Jane"
PUBLIC_TEXT = "Order 12345 shipped"
LOGO_URL = "https://shop.test/logo.png"
LOGO_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
ALL_SECRETS = (SECRET_EMAIL, SECRET_PASSWORD, SECRET_CARD, TYPED_EMAIL, TYPED_PASSWORD,
               TYPED_CARD)

# Node ids of the checkout page.
EMAIL_ID, PASSWORD_ID, CARD_ID, ADS_ID, ADS_TEXT_ID, PUBLIC_ID, BUTTON_ID = (
    20, 21, 22, 30, 32, 40, 50)


def element(node_id: int, tag: str, children: list | None = None, **attributes: Any) -> dict:
    return {"type": 2, "tagName": tag, "attributes": attributes, "childNodes": children or [],
            "id": node_id}


def text(node_id: int, value: str) -> dict:
    return {"type": 3, "textContent": value, "id": node_id}


def page(ts: int, body: list[dict], url: str = URL, width: int = 1280,
         height: int = 800) -> list[dict]:
    """A Meta and a FullSnapshot event of a page whose body holds `body`."""
    html = element(2, "html", [element(3, "head"), element(4, "body", body)])
    return [{"type": 4, "timestamp": ts, "data": {"href": url, "width": width,
                                                   "height": height}},
            {"type": 2, "timestamp": ts + 1, "data": {
                "node": {"type": 0, "childNodes": [html], "id": 1},
                "initialOffset": {"left": 0, "top": 0}}}]


def checkout_page(ts: int, url: str = URL) -> list[dict]:
    data_url = "data:image/png;base64," + base64.b64encode(LOGO_BYTES).decode()
    return page(ts, [
        element(10, "img", src="/logo.png", rr_dataURL=data_url),
        element(11, "p", [text(12, f"Signed in as {SECRET_EMAIL}")]),
        element(EMAIL_ID, "input", type="email", value=SECRET_EMAIL),
        element(PASSWORD_ID, "input", type="password", value=SECRET_PASSWORD),
        element(CARD_ID, "input", type="text", value=SECRET_CARD, **{"class": "card"}),
        element(ADS_ID, "div", [element(31, "span", [text(ADS_TEXT_ID, AD_TEXT)])],
                id="ads", style="width: 300px; height: 250px", **{"data-campaign": "jane"}),
        element(PUBLIC_ID, "div", [text(41, PUBLIC_TEXT)], **{"class": "public"}),
        element(BUTTON_ID, "button", [text(51, "Pay")]),
    ], url)


def typing(ts: int, node_id: int, value: str) -> dict:
    return {"type": 3, "timestamp": ts, "data": {"source": 5, "id": node_id, "text": value,
                                                  "isChecked": False}}


def click(ts: int, node_id: int, x: float = 10, y: float = 20) -> dict:
    return {"type": 3, "timestamp": ts, "data": {"source": 2, "type": 2, "id": node_id,
                                                  "x": x, "y": y}}


def move(ts: int, x: float = 5, y: float = 5) -> dict:
    return {"type": 3, "timestamp": ts, "data": {"source": 1, "positions": [
        {"x": x, "y": y, "id": 4, "timeOffset": 0}]}}


def text_change(ts: int, node_id: int, value: str) -> dict:
    return {"type": 3, "timestamp": ts, "data": {"source": 0, "texts": [
        {"id": node_id, "value": value}], "attributes": [], "removes": [], "adds": []}}


def custom(ts: int, tag: str, payload: dict) -> dict:
    return {"type": 5, "timestamp": ts, "data": {"tag": tag, "payload": payload}}


def console_error(ts: int, message: str) -> dict:
    return {"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/console@1", "payload": {
        "level": "error", "payload": [message], "trace": []}}}


def checkout_visit(ts: int = T0) -> list[dict]:
    """A checkout: the page, typing into every field, a click, an error, identify, track."""
    return [*checkout_page(ts),
            move(ts + 500),
            typing(ts + 1000, EMAIL_ID, TYPED_EMAIL),
            typing(ts + 2000, PASSWORD_ID, TYPED_PASSWORD),
            typing(ts + 3000, CARD_ID, TYPED_CARD),
            typing(ts + 3500, ADS_ID, "typed into the ad"),
            text_change(ts + 3600, ADS_TEXT_ID, f"{AD_TEXT} again"),
            click(ts + 4000, BUTTON_ID),
            console_error(ts + 4500, "TypeError: cart is undefined"),
            # The identity a site shares on purpose is kept (see the README's Privacy).
            custom(ts + 5000, "identify", {"uid": "user-42", "name": "Jane Doe",
                                           "email": IDENTIFIED_EMAIL, "plan": "gold"}),
            custom(ts + 5500, "purchase", {"total": 99})]


def batch(visitor: str, events: list[dict], **extra: Any) -> dict:
    return {"visitor_id": visitor, "events": events, **extra}
