"""A crafted recording that would show itself if anything in it ran or fetched anything."""

from __future__ import annotations

from typing import Any

PWNED = "PWNED-BY-RECORDING"


def hostile_recording(server: str) -> list[dict[str, Any]]:
    """Every trick we know, aimed at `server` (which must see no request) and at the page
    (which would turn red or show PWNED if script ran)."""
    paint = f"document.body.style.background='red';document.title='{PWNED}'"
    nodes: list[dict[str, Any]] = []
    next_id = [10]

    def element(tag: str, attributes: dict[str, Any], children: list | None = None,
                **extra: Any) -> dict[str, Any]:
        next_id[0] += 1
        return {"type": 2, "tagName": tag, "attributes": attributes,
                "childNodes": children or [], "id": next_id[0], **extra}

    def text(value: str, **extra: Any) -> dict[str, Any]:
        next_id[0] += 1
        return {"type": 3, "textContent": value, "id": next_id[0], **extra}

    nodes += [
        element("script", {}, [text(paint)]),
        element("script", {"src": f"{server}/script.js"}),
        element("img", {"src": f"{server}/img.png", "onerror": paint, "onload": paint}),
        element("img", {"srcset": f"{server}/a.png 1x, {server}/b.png 2x"}),
        element("a", {"href": f"javascript:{paint}", "id": "js-link"}, [text("link")]),
        element("a", {"href": f"{server}/page", "ping": f"{server}/ping"}, [text("ping")]),
        element("iframe", {"srcdoc": f"<script>parent.{paint}</script>"}),
        element("iframe", {"src": f"{server}/frame.html"}),
        element("object", {"data": f"{server}/object.swf"}),
        element("embed", {"src": f"{server}/embed.swf"}),
        element("video", {"src": f"{server}/video.mp4", "poster": f"{server}/poster.png",
                          "autoplay": ""}),
        element("audio", {"src": f"{server}/audio.mp3", "autoplay": ""}),
        element("link", {"rel": "stylesheet", "href": f"{server}/style.css"}),
        element("link", {"rel": "prefetch", "href": f"{server}/prefetch"}),
        element("link", {"rel": "preload", "href": f"{server}/preload", "as": "image"}),
        element("style", {}, [text(f"@import '{server}/import.css'; body {{ background-image: "
                                   f"url({server}/bg.png) }} @font-face {{ font-family: X; src: "
                                   f"url({server}/font.woff2) }}", isStyle=True)]),
        element("div", {"style": f"background: url('{server}/inline.png'); width: 10px; "
                                 "height: 10px"}),
        element("form", {"action": f"{server}/submit", "method": "post", "id": "f"},
                [element("input", {"name": "q", "value": "x", "autofocus": "",
                                   "onfocus": paint})]),
        element("meta", {"http-equiv": "refresh", "content": f"0; url={server}/refresh"}),
        element("base", {"href": f"{server}/base/"}),
        element("svg", {"onload": paint}, [
            element("script", {}, [text(paint)], isSVG=True),
            element("image", {"href": f"{server}/svg.png", "xlink:href": f"{server}/x.png"},
                    isSVG=True),
        ], isSVG=True),
        element("div", {"id": "marker"}, [text("safe content")]),
    ]
    html = {"type": 2, "tagName": "html", "attributes": {}, "id": 3, "childNodes": [
        {"type": 2, "tagName": "head", "attributes": {}, "id": 4, "childNodes": []},
        {"type": 2, "tagName": "body", "attributes": {"onload": paint}, "id": 5,
         "childNodes": nodes}]}
    later = element("img", {"src": f"{server}/added.png", "onerror": paint})
    return [
        {"type": 4, "data": {"href": f"{server}/", "width": 800, "height": 600},
         "timestamp": 1000},
        {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2}, html]},
            "initialOffset": {"left": 0, "top": 0}}, "timestamp": 1001},
        {"type": 3, "data": {"source": 0, "texts": [], "removes": [], "adds": [
            {"parentId": 5, "nextId": None, "node": later},
            {"parentId": 5, "nextId": None, "node": element("script", {}, [text(paint)])}],
            "attributes": [{"id": 5, "attributes": {"onclick": paint,
                                                    "style": f"background: url({server}/m.png)"}},
                           {"id": later["id"], "attributes": {"src": f"javascript:{paint}"}}]},
         "timestamp": 1500},
        {"type": 3, "data": {"source": 8, "id": nodes[15]["id"], "adds": [
            {"rule": f"body {{ background: url({server}/rule.png) }}", "index": 0}]},
         "timestamp": 1600},
        {"type": 3, "data": {"source": 2, "type": 2, "id": nodes[4]["id"], "x": 5, "y": 5},
         "timestamp": 1700},
    ]
