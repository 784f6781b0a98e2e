"""rrweb event streams built in code, around one small page, for the extraction tests."""

from __future__ import annotations

from typing import Any

T0 = 1_700_000_000_000
URL = "https://shop.test/"

# Node ids of PAGE's elements.
NAV_HOME, NAV_SHOP, SHOP_TEXT = 12, 14, 15
BUY, BUY_LABEL, BUY_LATER = 22, 23, 26
NOTE, NOTE_TEXT, COUNT_TEXT = 28, 29, 41
FORM, EMAIL, PASSWORD, SIGN_UP, NEWSLETTER = 30, 31, 32, 33, 36
LOGO, DUPLICATE, TYPE_BUTTON, PLAN_A, PLAN_B = 35, 37, 50, 52, 53


def element(node_id: int, tag: str, children: list[dict] | None = None,
            **attributes: Any) -> dict:
    return {"type": 2, "tagName": tag, "attributes": attributes, "childNodes": children or [],
            "id": node_id}


def text(node_id: int, value: str) -> dict:
    return {"type": 3, "textContent": value, "id": node_id}


def body() -> list[dict]:
    return [
        element(10, "header", [element(11, "nav", [
            element(NAV_HOME, "a", [text(13, "Home")], href="/", **{"class": "nav-link"}),
            element(NAV_SHOP, "a", [text(SHOP_TEXT, "Shop")], href="/shop",
                    **{"class": "nav-link active"})])], id="top"),
        element(20, "main", [
            element(21, "div", [element(BUY, "button", [
                element(BUY_LABEL, "span", [text(24, "Buy   now")])],
                **{"class": "btn buy"})], **{"class": "card"}),
            element(25, "div", [element(BUY_LATER, "button", [text(27, "Buy later")],
                                        **{"class": "btn buy"})], **{"class": "card"}),
            element(NOTE, "p", [text(NOTE_TEXT, "Just text")]),
            element(FORM, "form", [
                element(EMAIL, "input", type="email", name="email"),
                element(PASSWORD, "input", type="password", name="password"),
                element(SIGN_UP, "button", [text(34, "Sign up")]),
                element(NEWSLETTER, "input", type="checkbox", name="news"),
                element(PLAN_A, "input", type="radio", name="plan", value="a"),
                element(PLAN_B, "input", type="radio", name="plan", value="b"),
                element(TYPE_BUTTON, "button", [text(51, "Show password")], type="button"),
            ], id="signup", name="signup"),
            element(LOGO, "img", alt="Shop logo", src="/logo.png"),
            element(DUPLICATE, "div", [text(38, "one")], id="twice"),
            element(39, "div", [text(40, "two")], id="twice"),
            element(42, "span", [text(COUNT_TEXT, "0")], id="count"),
        ]),
    ]


def page(ts: int = T0, url: str = URL, children: list[dict] | None = None) -> list[dict]:
    """A Meta and a FullSnapshot of a page whose body holds `children` (default: `body()`)."""
    html = element(2, "html", [element(3, "head", [element(5, "title", [text(6, "Shop")])]),
                               element(4, "body", body() if children is None else children)])
    return [{"type": 4, "timestamp": ts, "data": {"href": url, "width": 1280, "height": 800}},
            {"type": 2, "timestamp": ts + 1, "data": {
                "node": {"type": 0, "childNodes": [html], "id": 1},
                "initialOffset": {"left": 0, "top": 0}}}]


def incremental(ts: int, source: int, **data: Any) -> dict:
    return {"type": 3, "timestamp": ts, "data": {"source": source, **data}}


def click(ts: int, node_id: int, x: float | None = 100, y: float | None = 200,
          interaction: int = 2) -> dict:
    data: dict[str, Any] = {"type": interaction, "id": node_id}
    if x is not None:
        data |= {"x": x, "y": y}
    return incremental(ts, 2, **data)


def typing(ts: int, node_id: int, value: str, checked: bool = False) -> dict:
    return incremental(ts, 5, id=node_id, text=value, isChecked=checked)


def move(ts: int) -> dict:
    return incremental(ts, 1, positions=[{"x": 1, "y": 2, "id": 4, "timeOffset": 0}])


def mutation(ts: int, texts: list[dict] | None = None, attributes: list[dict] | None = None,
             adds: list[dict] | None = None, removes: list[dict] | None = None) -> dict:
    return incremental(ts, 0, texts=texts or [], attributes=attributes or [],
                       adds=adds or [], removes=removes or [])


def text_change(ts: int, node_id: int = COUNT_TEXT, value: str = "1") -> dict:
    return mutation(ts, texts=[{"id": node_id, "value": value}])


def restyle(ts: int, node_id: int = 10) -> dict:
    return mutation(ts, attributes=[{"id": node_id, "attributes": {"style": "width: 5px"}}])


def scroll(ts: int) -> dict:
    return incremental(ts, 3, id=1, x=0, y=300)


def custom(ts: int, tag: Any, payload: Any) -> dict:
    return {"type": 5, "timestamp": ts, "data": {"tag": tag, "payload": payload}}


def plugin(ts: int, name: str, payload: Any) -> dict:
    return {"type": 6, "timestamp": ts, "data": {"plugin": name, "payload": payload}}


def console(ts: int, level: str, *values: str, trace: list[str] | None = None) -> dict:
    return plugin(ts, "rrweb/console@1", {"level": level, "payload": list(values),
                                          "trace": trace or []})
