"""Generate realistic rrweb recordings of a visit to a web shop, deterministically.

Written from rrweb's documented event format (the numbers are in `rrweb.py`); nothing here is
copied from a recorder. The output is what rrweb 2 would send for a visitor who browses a shop:

* ``Meta`` + ``FullSnapshot`` on every page load (node ids restart at 1 with each page, as they
  do in a fresh recorder), with a head (meta, title, an inlined stylesheet ``<link _cssText>``, a
  ``<style>``, scripts with their text replaced by ``SCRIPT_PLACEHOLDER``), a header with nav
  links, a search field and a cart badge, a promo bar, a hero carousel, a product grid, a
  horizontally scrolling strip, a checkout form (text, e-mail, password, card number, select,
  textarea, checkbox, submit), reviews and a footer: several hundred nodes per page;
* incremental events: batched mouse moves with negative ``timeOffset``s, clicks (MouseDown,
  MouseUp, Click; touch events on phones), focus/blur, document and element scrolls, typing
  character by character, mutations (cart counter text, class changes, toasts added then
  removed, lazy images, a carousel that replaces its slide), viewport resizes;
* ``Custom`` events (``{tag, payload}``) and ``rrweb/console@1`` plugin events, errors included;
* idle gaps of minutes (the tab was in the background) for inactivity skipping to skip.

Layout model: every laid-out element carries an inline ``position:absolute`` style with its box
relative to its nearest positioned ancestor, so a replay places each element exactly where the
generated pointer clicks it (heatmaps line up) and tests can recompute every box from the
recording alone. Pointer coordinates are client (viewport) coordinates, as rrweb records them.

The visitor types plaintext values that look like secrets (`TypedValues`): the recorder is
assumed to run with its own input masking off, which is exactly what Tapeview's masking on
import has to cope with.
"""

from __future__ import annotations

import gc
import gzip
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from app.core.recording.rrweb import (
    CONSOLE_PLUGIN,
    EventType,
    MouseInteraction,
    NodeType,
    Source,
)

Event = dict[str, Any]
Node = dict[str, Any]

DEFAULT_START_MS = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, the fixtures' clock
SHOP = "https://shop.example.com"
DEFAULT_PAGES: tuple[str, ...] = (
    f"{SHOP}/",
    f"{SHOP}/c/running-shoes",
    f"{SHOP}/p/trail-runner-2",
    f"{SHOP}/cart",
    f"{SHOP}/checkout",
    f"{SHOP}/account",
    f"{SHOP}/c/rain-jackets",
    f"{SHOP}/help/returns",
)
DOCUMENT_ID = 1  # a snapshot's document node; document scrolls are recorded against it

MOUSE_SAMPLE_MS = 50  # rrweb's mousemove sampling
MOUSE_FLUSH_MS = 500  # ... and how often it sends a batch of positions
SCROLL_SAMPLE_MS = 100  # rrweb throttles scroll events to one per 100 ms
CAROUSEL_MS = 7_000
END_GUARD_MS = 20_000  # near the end only short actions start, so the span is ~duration_s


@dataclass(frozen=True)
class TypedValues:
    """What the visitor types. The defaults look like personal data a recording must not leak."""

    name: str = "Jane Doe"
    email: str = "jane.doe@example.com"
    password: str = "Tr0ub4dor&3-hunter2"
    card_number: str = "4111 1111 1111 1111"
    country: str = "DE"
    notes: str = "Please leave the parcel with the neighbours in flat B"
    search: str = "waterproof trail shoes"


DEFAULT_TYPED = TypedValues()


@dataclass(frozen=True)
class Box:
    """A rectangle in CSS pixels."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom


# -- page content ------------------------------------------------------------------------------

_ADJECTIVES = ("Trail", "Alpine", "Urban", "Summit", "Coastal", "Storm", "Canyon", "Nordic",
               "Harbor", "Ridge", "Meadow", "Glacier")
_NOUNS = ("Runner", "Shell Jacket", "Daypack", "Fleece", "Hiker", "Cap", "Rain Pants",
          "Trail Sock", "Bottle", "Windbreaker", "Sandal", "Beanie")
_COLORS = ("2d6a4f", "e76f51", "264653", "e9c46a", "8ab17d", "6d597a", "b56576", "457b9d",
           "f4a261", "1d3557", "a8dadc", "9c6644")
_REVIEWERS = ("Anna K.", "Tomás R.", "Mei L.", "Oskar W.", "Priya S.", "Lucas M.", "Sofia B.",
              "Jonas H.", "Amara O.", "Elif Y.")
_REVIEW_TEXT = (
    "Fits true to size and kept my feet dry on a very wet weekend.",
    "Good value for the price, arrived quickly and well packed.",
    "The colour is a little darker than in the pictures but I like it.",
    "Second pair I have bought, they last for ages.",
    "Comfortable from the first day, no breaking in needed.",
    "Returned for a bigger size, the exchange was painless.",
)
_COUNTRIES = (("", "Choose a country"), ("AT", "Austria"), ("BE", "Belgium"), ("CZ", "Czechia"),
              ("DE", "Germany"), ("DK", "Denmark"), ("ES", "Spain"), ("FR", "France"),
              ("GB", "United Kingdom"), ("IT", "Italy"), ("NL", "Netherlands"), ("PL", "Poland"),
              ("SE", "Sweden"), ("US", "United States"))

_CSS = """
:root{--brand:#2d6a4f;--ink:#1b1b1f;--muted:#6b7280;--line:#e5e7eb;--bg:#fafaf7}
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;
  color:var(--ink);background:var(--bg)}
a{color:inherit;text-decoration:none}
a:hover{text-decoration:underline}
.site-header{background:#fff;border-bottom:1px solid var(--line)}
.site-header nav a{display:block;padding:4px 8px;font-weight:600;white-space:nowrap;overflow:hidden}
.search input{border:1px solid var(--line);border-radius:18px;padding:0 14px;font:inherit}
.search button,.btn{border:0;border-radius:6px;background:var(--brand);color:#fff;font:inherit;
  cursor:pointer}
.btn--primary{font-weight:700;font-size:16px}
.btn.is-added{background:#40916c}
.btn.is-loading{opacity:.6;cursor:progress}
.badge{border-radius:10px;background:#e63946;color:#fff;font-size:12px;text-align:center;line-height:20px}
.badge--bump{transform:scale(1.3);transition:transform .2s}
.promo{background:var(--ink);color:#fff;text-align:center;line-height:32px;overflow:hidden}
.promo__progress{background:#e9c46a}
.hero{overflow:hidden;border-radius:10px;background:#e9f5ef}
.hero h1{font-size:32px;margin:0}
.slide img{border-radius:8px;object-fit:cover}
.grid{list-style:none;margin:0;padding:0}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;overflow:hidden}
.card.is-hover{box-shadow:0 6px 20px rgba(0,0,0,.12)}
.card img{object-fit:cover;background:#eee}
.card img.lazy{filter:blur(8px)}
.card h3{font-size:16px;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card__desc{color:var(--muted);font-size:13px;margin:0;overflow:hidden}
.price{font-weight:700}
.strip{overflow-x:auto;overflow-y:hidden;scroll-snap-type:x mandatory}
.mini{scroll-snap-align:start;background:#fff;border-radius:8px}
.checkout{background:#fff;border:1px solid var(--line);border-radius:10px}
.checkout label{font-size:13px;font-weight:600;color:var(--muted)}
.checkout input,.checkout select,.checkout textarea{border:1px solid var(--line);
  border-radius:6px;padding:8px 10px;font:inherit;width:100%}
.checkout input:focus,.checkout select:focus,.checkout textarea:focus{
  outline:2px solid var(--brand)}
.form__error{color:#c1121f;font-weight:600;margin:0}
.review{border-top:1px solid var(--line)}
.stars{color:#e9c46a;letter-spacing:2px}
.toast{position:fixed;right:24px;bottom:24px;background:var(--ink);color:#fff;padding:12px 18px;
  border-radius:8px;z-index:10}
.site-footer{color:var(--muted);font-size:13px;border-top:1px solid var(--line)}
.site-footer h4{color:var(--ink);margin:0}
@media (max-width:767px){.hero h1{font-size:24px}.card h3{font-size:15px}}
""".strip()

_LINKED_CSS = (
    "@font-face{font-family:Inter;font-display:swap;src:local('Inter')}"
    ".visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0)}.icon{width:20px;height:20px;fill:currentColor}"
)

_LAZY_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def _svg_image(color: str, width: int, height: int, label: str = "") -> str:
    """A small inline SVG picture: replays show it without fetching anything."""
    text = (f"%3Ctext x='50%25' y='55%25' font-family='sans-serif' font-size='14' "
            f"text-anchor='middle' fill='white'%3E{label.replace(' ', '%20')}%3C/text%3E"
            if label else "")
    return (f"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='{width}' "
            f"height='{height}'%3E%3Crect width='100%25' height='100%25' fill='%23{color}'/%3E"
            f"{text}%3C/svg%3E")


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def _page_title(url: str) -> str:
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0].strip("/")
    if not path:
        return "Summer collection"
    last = path.split("/")[-1]
    return " ".join(word.capitalize() for word in last.replace("-", " ").split()) or "Shop"


def _nav_label(url: str) -> str:
    return "Home" if _page_title(url) == "Summer collection" else _page_title(url)


# -- one loaded page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Card:
    """A product card's node ids and what it shows."""

    card: int
    heading: int
    button: int
    button_text: int
    name: str
    price: float
    sku: str


class _Page:
    """One loaded page: its serialized DOM plus the layout and state the visitor acts on."""

    GRID_CELL = 128

    def __init__(self, url: str, width: int, height: int, pages: Sequence[str],
                 rng: random.Random, now_ms: int) -> None:
        self.url = url
        self.rng = rng
        self.mobile = width < 768
        self._next_id = 0
        self.parent: dict[int, int] = {}
        self.depth: dict[int, int] = {}
        self.boxes: dict[int, Box] = {}  # absolute document coordinates
        self._origin: dict[int, tuple[float, float]] = {}
        self.in_strip: set[int] = set()
        self.no_hit: set[int] = set()  # dynamic nodes the pointer never reports
        self.doc_scroll_y = 0.0
        self.strip_scroll_x = 0.0
        self.lazy: dict[int, str] = {}  # img id -> real src, for images not loaded yet
        self.cards: list[_Card] = []
        self.links: dict[str, list[int]] = {}  # href -> link ids
        self.fields: dict[str, int] = {}
        self.hover_card: int | None = None
        self.loaded_ms = now_ms
        self.pad = 16 if self.mobile else 24
        self.content_width = min(width - 2 * self.pad, 1200)
        self.left = (width - self.content_width) // 2
        self.document = self._build(pages, width, height)
        self._grid: dict[tuple[int, int], list[int]] | None = None  # built on first hit test

    # node construction

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def new_id(self) -> int:
        return self._new_id()

    def _attach(self, parent: Node | None, node: Node) -> Node:
        if parent is not None:
            parent["childNodes"].append(node)
            self.parent[node["id"]] = parent["id"]
            self.depth[node["id"]] = self.depth.get(parent["id"], 0) + 1
        return node

    def el(self, parent: Node | None, tag: str, attrs: dict[str, Any] | None = None,
           box: tuple[float, float, float, float] | None = None, style: str = "") -> Node:
        node_id = self._new_id()
        attributes = dict(attrs or {})
        ox, oy = self._origin[parent["id"]] if parent is not None else (0.0, 0.0)
        if box is not None:
            left, top, width, height = (int(v) for v in box)
            css = f"position:absolute;left:{left}px;top:{top}px;width:{width}px;height:{height}px"
            attributes["style"] = css + (";" + style if style else "")
            absolute = Box(ox + left, oy + top, width, height)
            self.boxes[node_id] = absolute
            self._origin[node_id] = (absolute.left, absolute.top)
        else:
            if style:
                attributes["style"] = style
            self._origin[node_id] = (ox, oy)
        node = {"type": int(NodeType.ELEMENT), "tagName": tag, "attributes": attributes,
                "childNodes": [], "id": node_id}
        return self._attach(parent, node)

    def text(self, parent: Node, content: str, is_style: bool = False) -> Node:
        node: Node = {"type": int(NodeType.TEXT), "textContent": content, "id": self._new_id()}
        if is_style:
            node["isStyle"] = True
        return self._attach(parent, node)

    def ws(self, parent: Node, indent: int = 2) -> None:
        self.text(parent, "\n" + " " * indent)

    def link(self, parent: Node, href: str, label: str, box: tuple[float, float, float, float],
             attrs: dict[str, Any] | None = None) -> Node:
        node = self.el(parent, "a", {"href": href, **(attrs or {})}, box)
        self.text(node, label)
        self.links.setdefault(href, []).append(node["id"])
        return node

    # the page

    def _build(self, pages: Sequence[str], width: int, height: int) -> Node:
        rng = self.rng
        document: Node = {"type": int(NodeType.DOCUMENT), "childNodes": [],
                          "compatMode": "CSS1Compat", "id": self._new_id()}
        self._origin[document["id"]] = (0.0, 0.0)
        self.depth[document["id"]] = 0
        self._attach(document, {"type": int(NodeType.DOCUMENT_TYPE), "name": "html",
                                "publicId": "", "systemId": "", "id": self._new_id()})
        html = self.el(document, "html", {"lang": "en"})
        self.html_id = html["id"]
        head = self.el(html, "head")
        title = _page_title(self.url)
        self.ws(head, 4)
        self.el(head, "meta", {"charset": "utf-8"})
        self.ws(head, 4)
        self.el(head, "meta", {"name": "viewport",
                               "content": "width=device-width, initial-scale=1"})
        self.ws(head, 4)
        self.text(self.el(head, "title"), f"{title} | Example Outdoor Shop")
        self.ws(head, 4)
        self.el(head, "link", {"rel": "preconnect", "href": "https://cdn.shop.example.com"})
        self.el(head, "link", {"rel": "stylesheet", "href": f"{SHOP}/static/app.3f9a1c.css",
                               "_cssText": _LINKED_CSS})
        self.text(self.el(head, "style", {"data-emotion": "css"}), _CSS, is_style=True)
        self.el(head, "script", {"src": f"{SHOP}/static/app.3f9a1c.js", "defer": ""})
        self.text(self.el(head, "script"), "SCRIPT_PLACEHOLDER")
        self.ws(head, 2)
        self.ws(html, 2)

        body = self.el(html, "body", {"class": "page"})
        self.body = body
        self.body_id = body["id"]
        cw, left = self.content_width, self.left
        y = 0

        # header: logo, search, account, cart; nav links on a second row
        header = self.el(body, "header", {"class": "site-header"}, (left, y, cw, 104))
        self.header_id = header["id"]
        logo = self.el(header, "a", {"href": f"{SHOP}/", "class": "logo",
                                     "aria-label": "Example Outdoor Shop"}, (0, 10, 110, 40))
        self.el(logo, "img", {"src": _svg_image("2d6a4f", 110, 40, "OUTDOOR"), "alt": "",
                              "width": "110", "height": "40"}, (0, 0, 110, 40))
        account_w, cart_w = (72, 52) if self.mobile else (128, 60)
        search_w = max(90, cw - 110 - account_w - cart_w - 40)
        search = self.el(header, "form", {"class": "search", "role": "search",
                                          "action": f"{SHOP}/search"}, (122, 12, search_w, 36))
        self.fields["search"] = self.el(
            search, "input", {"type": "search", "name": "q", "placeholder": "Search products",
                              "aria-label": "Search", "autocomplete": "off"},
            (0, 0, search_w - 44, 36))["id"]
        self.text(self.el(search, "button", {"type": "submit", "aria-label": "Search"},
                          (search_w - 40, 0, 40, 36)), "Go")
        account = self.el(header, "a", {"href": f"{SHOP}/account", "class": "account"},
                          (cw - account_w - cart_w - 8, 18, account_w, 24))
        self.account_text = self.text(account, "Sign in")["id"]
        self.links.setdefault(f"{SHOP}/account", []).append(account["id"])
        cart = self.el(header, "a", {"href": f"{SHOP}/cart", "class": "cart",
                                     "aria-label": "Cart"}, (cw - cart_w, 12, cart_w, 36))
        self.links.setdefault(f"{SHOP}/cart", []).append(cart["id"])
        self.text(cart, "Cart")
        badge = self.el(cart, "span", {"class": "badge"}, (cart_w - 20, -6, 22, 20))
        self.badge_id = badge["id"]
        self.badge_text = self.text(badge, "0")["id"]
        nav = self.el(header, "nav", {"aria-label": "Main"}, (0, 60, cw, 40))
        ul = self.el(nav, "ul", {"class": "nav"})
        nav_pages = list(pages[:8])
        slot = cw / max(1, len(nav_pages))
        for index, href in enumerate(nav_pages):
            self.ws(ul, 8)
            li = self.el(ul, "li")
            self.link(li, href, _nav_label(href), (index * slot, 6, slot - 6, 28),
                      {"class": "nav__link"})
        y += 104

        # promo bar with a ticking countdown and an animated progress bar
        promo = self.el(body, "div", {"class": "promo", "role": "status"}, (left, y, cw, 36))
        label = self.el(promo, "span", None, (0, 0, cw, 32))
        self.text(label, "Summer sale ends in ")
        strong = self.el(label, "strong")
        self.sale_end_ms = self.loaded_ms + rng.randint(2, 9) * 3_600_000
        self.countdown_text = self.text(strong, self.countdown(self.loaded_ms))["id"]
        self.progress = self.el(promo, "div", {"class": "promo__progress"}, (0, 32, 0, 4))
        self.progress_id = self.progress["id"]
        self.no_hit.add(self.progress_id)
        y += 36 + 16

        # hero: a heading and a carousel whose slide is replaced every few seconds
        hero_h = 200 if self.mobile else 260
        hero = self.el(body, "section", {"class": "hero"}, (left, y, cw, hero_h))
        self.hero = hero
        self.hero_id = hero["id"]
        self.text(self.el(hero, "h1", None, (24, 16, cw - 48, 40)), title)
        self.slide_index = rng.randrange(len(_COLORS))
        self.slide_id = 0
        self.add_slide(hero, self.slide_index)
        y += hero_h + 24

        # products
        products = self.el(body, "section", {"class": "products", "aria-label": "Products"})
        self.text(self.el(products, "h2", None, (left, y, cw, 32)),
                  "You may also like" if "/p/" in self.url else "Popular right now")
        y += 40
        count = self._product_count()
        columns = max(1, min(4, int(cw // 260)))
        gap = 16
        card_w = (cw - gap * (columns - 1)) / columns
        card_h = 340
        rows = math.ceil(count / columns)
        grid_h = rows * card_h + (rows - 1) * gap
        grid = self.el(products, "ul", {"class": "grid"}, (left, y, cw, grid_h))
        first = rng.randrange(len(_ADJECTIVES) * len(_NOUNS))
        for index in range(count):
            number = first + index * 7
            name = (f"{_ADJECTIVES[number % len(_ADJECTIVES)]} "
                    f"{_NOUNS[(number // len(_ADJECTIVES)) % len(_NOUNS)]}")
            if number % 3 == 0:
                name += f" {2 + number % 3}"
            sku = f"sku-{1000 + number % 900}"
            price = 19.0 + (number * 37) % 230 + (0.95 if number % 2 else 0.0)
            color = _COLORS[number % len(_COLORS)]
            column, row = index % columns, index // columns
            self.ws(grid, 6)
            card = self.el(grid, "li", {"class": "card", "data-sku": sku},
                           (column * (card_w + gap), row * (card_h + gap), card_w, card_h))
            href = f"{SHOP}/p/{_slug(name)}"
            anchor = self.el(card, "a", {"href": href, "class": "card__link"},
                             (0, 0, card_w, 248))
            real_src = _svg_image(color, 320, 200, name)
            image_top = self.boxes[card["id"]].top
            lazy = image_top > height
            image = self.el(anchor, "img", {"src": _LAZY_GIF if lazy else real_src,
                                            "alt": name, "loading": "lazy",
                                            "class": "lazy" if lazy else "loaded"},
                            (0, 0, card_w, 200))
            if lazy:
                self.lazy[image["id"]] = real_src
            heading = self.el(anchor, "h3", None, (10, 208, card_w - 20, 32))
            self.text(heading, name)
            self.ws(card, 8)
            self.text(self.el(card, "p", {"class": "card__desc"}, (10, 250, card_w - 20, 36)),
                      f"Lightweight, recycled materials, free returns within "
                      f"{30 + number % 3 * 30} days.")
            self.text(self.el(card, "span", {"class": "price"}, (10, 298, 90, 24)),
                      f"€{price:.2f}")
            button = self.el(card, "button", {"type": "button", "class": "btn add-to-cart",
                                              "data-sku": sku},
                             (card_w - 128, 292, 118, 36))
            button_text = self.text(button, "Add to cart")["id"]
            self.cards.append(_Card(card["id"], heading["id"], button["id"], button_text, name,
                                    price, sku))
        y += grid_h + 32

        # recently viewed: a horizontally scrolling strip
        recent = self.el(body, "section", {"class": "recent"})
        self.text(self.el(recent, "h2", None, (left, y, cw, 32)), "Recently viewed")
        y += 40
        strip = self.el(recent, "div", {"class": "strip", "tabindex": "0"}, (left, y, cw, 212),
                        "overflow-x:auto;overflow-y:hidden")
        self.strip_id = strip["id"]
        items = 10 + rng.randrange(6)
        track = self.el(strip, "div", {"class": "strip__track"}, (0, 0, items * 176, 200))
        self.strip_track_width = items * 176
        for index in range(items):
            number = first + 3 + index * 5
            name = (f"{_ADJECTIVES[number % len(_ADJECTIVES)]} "
                    f"{_NOUNS[(number // 3) % len(_NOUNS)]}")
            item = self.el(track, "a", {"href": f"{SHOP}/p/{_slug(name)}", "class": "mini"},
                           (index * 176, 0, 160, 200))
            self.el(item, "img", {"src": _svg_image(_COLORS[number % len(_COLORS)], 160, 140),
                                  "alt": name}, (0, 0, 160, 140))
            self.text(self.el(item, "span", None, (8, 148, 144, 44)), name)
        self.in_strip = {node_id for node_id in self.boxes if self._inside(node_id, strip["id"])}
        self.in_strip.discard(strip["id"])
        y += 212 + 32

        # the checkout form
        form_w = min(cw, 560)
        rows_spec: list[tuple[str, str, str, dict[str, Any], int]] = [
            ("name", "Full name", "input", {"type": "text", "autocomplete": "name"}, 40),
            ("email", "E-mail", "input", {"type": "email", "autocomplete": "email",
                                          "placeholder": "you@example.com"}, 40),
            ("password", "Password", "input", {"type": "password",
                                               "autocomplete": "current-password"}, 40),
            ("card", "Card number", "input", {"type": "text", "inputmode": "numeric",
                                              "autocomplete": "cc-number",
                                              "placeholder": "1234 5678 9012 3456"}, 40),
            ("country", "Country", "select", {"autocomplete": "country"}, 40),
            ("notes", "Delivery notes", "textarea", {"rows": "3"}, 88),
        ]
        form_h = 48 + sum(22 + h + 14 for *_, h in rows_spec) + 36 + 28 + 56 + 16
        section = self.el(body, "section", {"class": "checkout"}, (left, y, form_w, form_h))
        self.text(self.el(section, "h2", None, (16, 8, form_w - 32, 32)), "Express checkout")
        form = self.el(section, "form", {"id": "checkout", "method": "post", "novalidate": "",
                                         "action": f"{SHOP}/checkout/submit"},
                       (16, 48, form_w - 32, form_h - 64))
        self.form_id = form["id"]
        self.el(form, "input", {"type": "hidden", "name": "csrf_token",
                                "value": f"{rng.getrandbits(64):016x}"})
        fy = 0
        for key, label_text, tag, attrs, field_h in rows_spec:
            field_id = f"checkout-{key}"
            self.ws(form, 8)
            self.text(self.el(form, "label", {"for": field_id}, (0, fy, form_w - 32, 20)),
                      label_text)
            control = self.el(form, tag, {"id": field_id, "name": key, **attrs},
                              (0, fy + 22, form_w - 32, field_h))
            if tag == "select":
                for value, option_text in _COUNTRIES:
                    option_attrs: dict[str, Any] = {"value": value}
                    if not value:
                        option_attrs["selected"] = True
                    self.text(self.el(control, "option", option_attrs), option_text)
            self.fields[key] = control["id"]
            fy += 22 + field_h + 14
        remember = self.el(form, "label", {"class": "check"}, (0, fy, 220, 24))
        self.fields["remember"] = self.el(remember, "input", {"type": "checkbox",
                                                              "name": "remember"},
                                          (0, 2, 20, 20))["id"]
        self.text(self.el(remember, "span", None, (28, 0, 190, 24)), "Remember me")
        fy += 36
        self.error_box = self.el(form, "p", {"class": "form__error", "role": "alert"},
                                 (0, fy, form_w - 32, 24))["id"]
        fy += 28
        submit = self.el(form, "button", {"type": "submit", "class": "btn btn--primary"},
                         (0, fy, min(240, form_w - 32), 44))
        self.fields["submit"] = submit["id"]
        self.submit_text = self.text(submit, "Place order")["id"]
        y += form_h + 32

        # reviews
        reviews = self.el(body, "section", {"class": "reviews"})
        self.text(self.el(reviews, "h2", None, (left, y, cw, 32)), "What customers say")
        y += 40
        count = 6 + rng.randrange(6)
        review_h = 96
        ol = self.el(reviews, "ol", {"class": "review-list"}, (left, y, cw, count * review_h))
        for index in range(count):
            stars = 3 + (index + self.slide_index) % 3
            li = self.el(ol, "li", {"class": "review"}, (0, index * review_h, cw, review_h - 8))
            self.text(self.el(li, "strong", None, (0, 8, 200, 20)),
                      _REVIEWERS[(index + first) % len(_REVIEWERS)])
            self.text(self.el(li, "span", {"class": "stars",
                                           "aria-label": f"{stars} out of 5"},
                              (210, 8, 100, 20)), "★" * stars + "☆" * (5 - stars))
            self.text(self.el(li, "p", None, (0, 34, cw, 48)),
                      _REVIEW_TEXT[(index * 5 + first) % len(_REVIEW_TEXT)])
        y += count * review_h + 32

        # footer: columns of links, every page reachable from here too
        columns_spec = [("Shop", list(pages)), ("Help", ["Shipping", "Returns", "Size guide",
                                                         "Contact", "Track order"]),
                        ("Company", ["About us", "Careers", "Press", "Sustainability"]),
                        ("Legal", ["Privacy", "Terms", "Cookies", "Imprint"])]
        per_row = 2 if self.mobile else 4
        col_w = cw / per_row
        col_h = 32 + 26 * max(len(links) for _, links in columns_spec)
        footer_rows = math.ceil(len(columns_spec) / per_row)
        footer_h = footer_rows * col_h + 56
        footer = self.el(body, "footer", {"class": "site-footer"}, (left, y, cw, footer_h))
        for index, (heading, entries) in enumerate(columns_spec):
            column = self.el(footer, "div", {"class": "col"},
                             ((index % per_row) * col_w, (index // per_row) * col_h,
                              col_w - 12, col_h))
            self.text(self.el(column, "h4", None, (0, 0, col_w - 12, 24)), heading)
            ul = self.el(column, "ul")
            for row, entry in enumerate(entries):
                href = entry if entry.startswith("http") else f"{SHOP}/help/{_slug(entry)}"
                label_text = _nav_label(entry) if entry.startswith("http") else entry
                li = self.el(ul, "li")
                self.link(li, href, label_text, (0, 30 + row * 26, col_w - 12, 22))
        self.text(self.el(footer, "p", None, (0, footer_h - 40, cw, 24)),
                  "© 2023 Example Outdoor GmbH. Prices include VAT.")
        y += footer_h + 24

        self.doc_height = y
        body["attributes"]["style"] = f"position:relative;margin:0;min-height:{y}px"
        self.boxes[self.body_id] = Box(0, 0, max(width, left + cw), y)
        return document

    def _product_count(self) -> int:
        if "/p/" in self.url or "/checkout" in self.url:
            count = 4 + self.rng.randrange(5)
        elif "/cart" in self.url or "/account" in self.url or "/help" in self.url:
            count = 4 + self.rng.randrange(4)
        else:
            count = 16 + self.rng.randrange(4) * 4
        return min(count, 10) if self.mobile else count

    def _inside(self, node_id: int, ancestor: int) -> bool:
        while node_id in self.parent:
            node_id = self.parent[node_id]
            if node_id == ancestor:
                return True
        return False

    def countdown(self, now_ms: int) -> str:
        left = max(0, (self.sale_end_ms - now_ms) // 1000)
        return f"{left // 3600:02d}:{left // 60 % 60:02d}:{left % 60:02d}"

    def add_slide(self, hero: Node, index: int) -> list[Node]:
        """Build (and attach to `hero`) a carousel slide; return its nodes parent-first."""
        cw = self.content_width
        hero_box = self.boxes[self.hero_id]
        color = _COLORS[index % len(_COLORS)]
        name = f"{_ADJECTIVES[index % len(_ADJECTIVES)]} {_NOUNS[index % len(_NOUNS)]}"
        slide = self.el(hero, "div", {"class": "slide", "data-index": str(index)},
                        (0, 64, cw, hero_box.height - 64))
        image_w = min(cw // 2, 480)
        image = self.el(slide, "img", {"src": _svg_image(color, image_w, 160, name), "alt": name},
                        (24, 0, image_w, hero_box.height - 88))
        caption = self.el(slide, "p", None, (image_w + 48, 8, max(60, cw - image_w - 72), 60))
        caption_text = self.text(caption, f"New in: {name}. Built for wet trails.")
        cta = self.el(slide, "a", {"href": f"{SHOP}/p/{_slug(name)}", "class": "btn"},
                      (image_w + 48, 80, 140, 36))
        cta_text = self.text(cta, "Shop now")
        nodes = [slide, image, caption, caption_text, cta, cta_text]
        self.no_hit.update(node["id"] for node in nodes)
        self.slide_id = slide["id"]
        return nodes

    # layout queries

    def _index_hits(self) -> dict[tuple[int, int], list[int]]:
        cell = self.GRID_CELL
        grid: dict[tuple[int, int], list[int]] = {}
        for node_id, box in self.boxes.items():
            if node_id in self.in_strip or node_id in self.no_hit or node_id == self.body_id:
                continue
            for gx in range(int(box.left) // cell, int(box.right) // cell + 1):
                for gy in range(int(box.top) // cell, int(box.bottom) // cell + 1):
                    grid.setdefault((gx, gy), []).append(node_id)
        self._strip_items = sorted(self.in_strip, key=lambda i: self.depth[i], reverse=True)
        return grid

    def client_box(self, node_id: int) -> Box:
        box = self.boxes[node_id]
        dx = self.strip_scroll_x if node_id in self.in_strip else 0.0
        return Box(box.left - dx, box.top - self.doc_scroll_y, box.width, box.height)

    def hit(self, x: float, y: float) -> int:
        """The deepest laid-out element under a client point (the body if none)."""
        if self._grid is None:
            self._grid = self._index_hits()
        doc_x, doc_y = x, y + self.doc_scroll_y
        best, best_depth = self.body_id, -1
        for node_id in self._grid.get((int(doc_x) // self.GRID_CELL,
                                       int(doc_y) // self.GRID_CELL), ()):
            if self.depth[node_id] > best_depth and self.boxes[node_id].contains(doc_x, doc_y):
                best, best_depth = node_id, self.depth[node_id]
        if best == self.strip_id:
            inner_x = doc_x + self.strip_scroll_x
            for node_id in self._strip_items:
                if self.boxes[node_id].contains(inner_x, doc_y):
                    return node_id
        return best

    def max_scroll(self, viewport_height: int) -> float:
        return max(0.0, float(self.doc_height - viewport_height))


# -- the visitor -------------------------------------------------------------------------------

@dataclass
class _Period:
    """Time a page was shown (for background animation); idle spans are cut out later."""

    page: _Page
    start: int
    end: int


class _Visit:
    def __init__(self, *, duration_s: float, seed: int, start_ms: int, width: int, height: int,
                 pages: Sequence[str], typed: TypedValues, identity: Mapping[str, Any] | None,
                 errors: int | None, idle_gaps: int | None) -> None:
        self.rng = random.Random(seed)
        self.start = start_ms
        self.end = start_ms + int(duration_s * 1000)
        self.width, self.height = width, height
        self.pages = list(pages) or list(DEFAULT_PAGES)
        self.typed = typed
        self.identity = dict(identity) if identity else None
        # phones and tablets are driven by touch: taps, swipes, no mouse moves
        self.touch = width < 1024
        self.pointer_type = 2 if self.touch else 0
        self.t = start_ms
        self.x, self.y = width * 0.5, height * 0.4
        self.focused: int | None = None
        self.cart = 0
        self.events: list[tuple[int, int, Event]] = []
        self.pending: list[tuple[int, Event]] = []
        self.periods: list[_Period] = []
        self.idle: list[tuple[int, int]] = []
        self.form_done = False
        self.signed_in = False
        self.page: _Page
        self._plan(errors, idle_gaps)

    # planning

    def _plan(self, errors: int | None, idle_gaps: int | None) -> None:
        rng = self.rng
        span = self.end - self.start
        minutes = span / 60_000
        if idle_gaps is None:
            idle_gaps = max(2, round(minutes / 20)) if minutes >= 20 else (
                1 if minutes >= 3 or rng.random() < 0.5 else 0)
        long_gaps = minutes >= 20
        gaps: list[tuple[int, int]] = []
        for _ in range(idle_gaps):
            length = (rng.randint(120_000, 300_000) if long_gaps
                      else rng.randint(12_000, min(90_000, max(12_001, span // 4))))
            gaps.append((self.start + rng.randint(20_000, max(20_001, span - length - 40_000)),
                         length))
        gaps.sort()
        self.gap_plan: list[tuple[int, int]] = []
        cursor = self.start
        budget = span * 0.35
        for at, length in gaps:
            at = max(at, cursor + 30_000)
            if at + length > self.end - 40_000 or length > budget:
                continue
            self.gap_plan.append((at, length))
            budget -= length
            cursor = at + length
        if minutes < 2:
            navigations = rng.randint(0, 2)
        else:
            navigations = rng.randint(max(1, int(minutes / 5)), max(2, int(minutes / 2)))
        navigations = min(navigations, 40)
        self.nav_plan = sorted(rng.randint(self.start + 15_000, max(self.start + 15_001,
                                                                    self.end - 25_000))
                               for _ in range(navigations))
        if errors is None:
            errors = max(1, round(minutes / 15))
        self.error_plan = sorted(rng.randint(self.start + 5_000, max(self.start + 5_001,
                                                                     self.end - 5_000))
                                 for _ in range(errors))
        self.resize_plan = sorted(rng.randint(self.start + 10_000, max(self.start + 10_001,
                                                                       self.end - 10_000))
                                  for _ in range(max(1 if minutes >= 3 else 0,
                                                     round(minutes / 12))))
        self.form_at = self.start + int(min(span, 600_000) * rng.uniform(0.1, 0.35))

    # emitting

    def emit(self, ts: int, kind: int, data: dict[str, Any]) -> None:
        self.events.append((ts, len(self.events), {"type": kind, "data": data,
                                                   "timestamp": ts}))

    def inc(self, ts: int, source: int, **data: Any) -> None:
        self.emit(ts, int(EventType.INCREMENTAL_SNAPSHOT), {"source": source, **data})

    def schedule(self, ts: int, source: int, **data: Any) -> None:
        """An event the page emits later on its own (it is dropped if the page unloads first)."""
        self.pending.append((ts, {"type": int(EventType.INCREMENTAL_SNAPSHOT),
                                  "data": {"source": source, **data}, "timestamp": ts}))

    def _flush_pending(self, before: int) -> None:
        for ts, event in self.pending:
            if ts < before:
                self.events.append((ts, len(self.events), event))
        self.pending = []

    def mutation(self, ts: int, *, texts: list[dict[str, Any]] | None = None,
                 attributes: list[dict[str, Any]] | None = None,
                 removes: list[dict[str, Any]] | None = None,
                 adds: list[dict[str, Any]] | None = None, later: bool = False) -> None:
        data = {"texts": texts or [], "attributes": attributes or [], "removes": removes or [],
                "adds": adds or []}
        if later:
            self.schedule(ts, int(Source.MUTATION), **data)
        else:
            self.inc(ts, int(Source.MUTATION), **data)

    def custom(self, tag: str, payload: dict[str, Any]) -> None:
        self.t += self.rng.randint(1, 15)
        self.emit(self.t, int(EventType.CUSTOM), {"tag": tag, "payload": payload})

    def console(self, level: str, message: str, trace: list[str]) -> None:
        self.t += self.rng.randint(1, 30)
        self.emit(self.t, int(EventType.PLUGIN), {
            "plugin": CONSOLE_PLUGIN,
            "payload": {"level": level, "trace": trace,
                        "payload": [orjson.dumps(message).decode()]},
        })

    # pages

    def load(self, url: str) -> None:
        rng = self.rng
        if self.periods:
            self.periods[-1].end = self.t
        self._flush_pending(self.t)
        self.emit(self.t, int(EventType.META), {"href": url, "width": self.width,
                                                "height": self.height})
        self.t += rng.randint(2, 25)
        self.page = _Page(url, self.width, self.height, self.pages, rng, self.t)
        self.emit(self.t, int(EventType.FULL_SNAPSHOT),
                  {"node": self.page.document, "initialOffset": {"left": 0, "top": 0}})
        self.periods.append(_Period(self.page, self.t, self.end))
        self.focused = None
        # the shop's script renders the cart count it keeps in local storage
        if self.cart:
            self.t += rng.randint(20, 120)
            self.mutation(self.t, texts=[{"id": self.page.badge_text, "value": str(self.cart)}])
        if self.signed_in:
            self.mutation(self.t + 1, texts=[{"id": self.page.account_text,
                                              "value": f"Signed in as {self.typed.email}"}])
            self.t += 1
        self.t += rng.randint(150, 900)

    def navigate(self, url: str | None = None) -> None:
        rng = self.rng
        page = self.page
        if url is None:
            others = [p for p in self.pages if p != page.url] or self.pages
            position = self.pages.index(page.url) if page.url in self.pages else -1
            following = self.pages[(position + 1) % len(self.pages)]
            url = following if rng.random() < 0.55 and following != page.url \
                else rng.choice(others)
        candidates = page.links.get(url)
        if candidates:
            target = min(candidates, key=lambda i: abs(page.client_box(i).top - self.height / 2))
            self.click(target)
        self.t += rng.randint(180, 900)
        self.load(url)

    # pointer

    def move_to(self, x: float, y: float) -> None:
        """Move the mouse: positions sampled every 50 ms, sent in batches (none on touch)."""
        x = min(max(x, 0.0), self.width - 1.0)
        y = min(max(y, 0.0), self.height - 1.0)
        if self.touch:
            self.x, self.y = x, y
            return
        rng = self.rng
        dx, dy = x - self.x, y - self.y
        distance = math.hypot(dx, dy)
        if distance < 2:
            return
        duration = min(1_800.0, max(120.0, (160 + distance * 0.8) * rng.uniform(0.7, 1.4)))
        steps = max(1, int(duration / MOUSE_SAMPLE_MS))
        bend = rng.uniform(-0.15, 0.15) * distance
        nx, ny = (-dy / distance, dx / distance)
        batch: list[dict[str, Any]] = []
        batch_start = self.t
        sample_t = self.t
        x0, y0 = self.x, self.y
        for step in range(1, steps + 1):
            sample_t += MOUSE_SAMPLE_MS + rng.randint(0, 12)
            f = step / steps
            eased = f * f * (3 - 2 * f)
            arc = math.sin(math.pi * f) * bend
            px = min(max(x0 + dx * eased + nx * arc, 0.0), self.width - 1.0)
            py = min(max(y0 + dy * eased + ny * arc, 0.0), self.height - 1.0)
            if step == steps:
                px, py = x, y
            if not batch:
                batch_start = sample_t
            batch.append({"x": int(px), "y": int(py), "id": self.page.hit(px, py),
                          "timeOffset": sample_t})
            if sample_t - batch_start >= MOUSE_FLUSH_MS - MOUSE_SAMPLE_MS or step == steps:
                flush = sample_t + rng.randint(1, 30)
                for position in batch:
                    position["timeOffset"] -= flush
                self.inc(flush, int(Source.MOUSE_MOVE), positions=batch)
                batch = []
                sample_t = flush
        self.t = sample_t
        self.x, self.y = x, y

    def _point_in(self, box: Box) -> tuple[float, float]:
        left, right = max(box.left, 0.0) + 2, min(box.right, self.width - 1.0) - 2
        top, bottom = max(box.top, 0.0) + 2, min(box.bottom, self.height - 1.0) - 2
        x = self.rng.uniform(left, max(left, right))
        y = self.rng.uniform(top, max(top, bottom))
        return round(x * 256) / 256, round(y * 256) / 256

    def click(self, node_id: int, focusable: bool = False, double: bool = False) -> None:
        rng = self.rng
        self.ensure_visible(node_id)
        x, y = self._point_in(self.page.client_box(node_id))
        if not self.touch:
            self.move_to(x, y)
            self.t += rng.randint(60, 450)
        self.x, self.y = x, y
        down = MouseInteraction.TOUCH_START if self.touch else MouseInteraction.MOUSE_DOWN
        up = MouseInteraction.TOUCH_END if self.touch else MouseInteraction.MOUSE_UP
        for repeat in range(2 if double else 1):
            self.inc(self.t, int(Source.MOUSE_INTERACTION), type=int(down), id=node_id,
                     x=x, y=y, pointerType=self.pointer_type)
            if repeat == 0 and self.focused is not None and self.focused != node_id:
                self.t += 1
                self.inc(self.t, int(Source.MOUSE_INTERACTION),
                         type=int(MouseInteraction.BLUR), id=self.focused)
                self.focused = None
            if repeat == 0 and focusable and self.focused != node_id:
                self.t += 1
                self.inc(self.t, int(Source.MOUSE_INTERACTION),
                         type=int(MouseInteraction.FOCUS), id=node_id)
                self.focused = node_id
            self.t += rng.randint(50, 160)
            self.inc(self.t, int(Source.MOUSE_INTERACTION), type=int(up), id=node_id,
                     x=x, y=y, pointerType=self.pointer_type)
            self.t += rng.randint(1, 4)
            self.inc(self.t, int(Source.MOUSE_INTERACTION), type=int(MouseInteraction.CLICK),
                     id=node_id, x=int(x), y=int(y), pointerType=self.pointer_type)
            self.t += rng.randint(90, 200)
        if double:
            self.inc(self.t, int(Source.MOUSE_INTERACTION), type=int(MouseInteraction.DBL_CLICK),
                     id=node_id, x=int(x), y=int(y), pointerType=self.pointer_type)
        self.t += rng.randint(1, 40)

    # scrolling

    def scroll_to(self, target: float) -> None:
        rng = self.rng
        page = self.page
        target = min(max(0.0, target), page.max_scroll(self.height))
        start = page.doc_scroll_y
        distance = target - start
        if abs(distance) < 1:
            return
        if self.touch:
            self._swipe(distance, vertical=True)
        else:
            speed = rng.uniform(1.2, 2.8)  # px per ms
            steps = max(1, int(abs(distance) / speed / SCROLL_SAMPLE_MS))
            for step in range(1, steps + 1):
                self.t += SCROLL_SAMPLE_MS + rng.randint(0, 20)
                f = step / steps
                page.doc_scroll_y = round(start + distance * (1 - (1 - f) ** 2))
                self.inc(self.t, int(Source.SCROLL), id=DOCUMENT_ID, x=0,
                         y=int(page.doc_scroll_y))
        page.doc_scroll_y = round(target)
        self._load_visible_images()
        self.t += rng.randint(100, 600)

    def scroll_strip_to(self, target: float) -> None:
        rng = self.rng
        page = self.page
        strip_box = page.boxes[page.strip_id]
        target = min(max(0.0, target), max(0.0, page.strip_track_width - strip_box.width))
        start = page.strip_scroll_x
        distance = target - start
        if abs(distance) < 1:
            return
        if self.touch:
            self._swipe(distance, vertical=False)
        else:
            steps = max(1, int(abs(distance) / rng.uniform(0.8, 1.6) / SCROLL_SAMPLE_MS))
            for step in range(1, steps + 1):
                self.t += SCROLL_SAMPLE_MS + rng.randint(0, 20)
                page.strip_scroll_x = round(start + distance * step / steps)
                self.inc(self.t, int(Source.SCROLL), id=page.strip_id,
                         x=int(page.strip_scroll_x), y=0)
        page.strip_scroll_x = round(target)
        self.t += rng.randint(100, 500)

    def _swipe(self, distance: float, vertical: bool) -> None:
        """Touch scrolling: a finger drags (TouchMove), the page scrolls, then glides on."""
        rng = self.rng
        page = self.page
        remaining = distance
        while abs(remaining) >= 1:
            part = math.copysign(min(abs(remaining), self.height * rng.uniform(0.5, 1.6)),
                                 remaining)
            remaining -= part
            if vertical:
                fx = rng.uniform(self.width * 0.2, self.width * 0.8)
                fy = rng.uniform(self.height * 0.55, self.height * 0.85) if part > 0 \
                    else rng.uniform(self.height * 0.15, self.height * 0.45)
            else:
                strip = page.client_box(page.strip_id)
                fx = rng.uniform(strip.left + strip.width * 0.55, strip.right - 10) if part > 0 \
                    else rng.uniform(strip.left + 10, strip.left + strip.width * 0.45)
                fy = rng.uniform(max(strip.top, 0) + 5, min(strip.bottom, self.height) - 5)
            target_id = page.hit(fx, fy)
            self.inc(self.t, int(Source.MOUSE_INTERACTION),
                     type=int(MouseInteraction.TOUCH_START), id=target_id,
                     x=round(fx, 2), y=round(fy, 2), pointerType=2)
            drag = min(abs(part) * 0.4, (self.height if vertical else self.width) * 0.35)
            samples = rng.randint(4, 9)
            positions = []
            first = self.t
            for index in range(1, samples + 1):
                offset = drag * index / samples
                px = fx if vertical else fx - math.copysign(offset, part)
                py = fy - math.copysign(offset, part) if vertical else fy
                positions.append({"x": int(px), "y": int(py), "id": target_id,
                                  "timeOffset": first + index * 32})
            flush = first + samples * 32 + rng.randint(1, 20)
            for position in positions:
                position["timeOffset"] -= flush
            self.inc(flush, int(Source.TOUCH_MOVE), positions=positions)
            self.t = flush + 1
            end_x, end_y = positions[-1]["x"], positions[-1]["y"]
            self.inc(self.t, int(Source.MOUSE_INTERACTION),
                     type=int(MouseInteraction.TOUCH_END), id=target_id,
                     x=float(end_x), y=float(end_y), pointerType=2)
            begin = page.doc_scroll_y if vertical else page.strip_scroll_x
            steps = max(2, int(abs(part) / 1.5 / SCROLL_SAMPLE_MS))
            for step in range(1, steps + 1):
                self.t += SCROLL_SAMPLE_MS + rng.randint(0, 15)
                value = round(begin + part * (1 - (1 - step / steps) ** 3))
                if vertical:
                    page.doc_scroll_y = value
                    self.inc(self.t, int(Source.SCROLL), id=DOCUMENT_ID, x=0, y=value)
                else:
                    page.strip_scroll_x = value
                    self.inc(self.t, int(Source.SCROLL), id=page.strip_id, x=value, y=0)
            self.x, self.y = float(end_x), float(end_y)
            self.t += rng.randint(120, 500)

    def _load_visible_images(self) -> None:
        page = self.page
        if not page.lazy:
            return
        bottom = page.doc_scroll_y + self.height + 200
        ready = [image for image in page.lazy if page.boxes[image].top < bottom]
        if ready:
            changes = [{"id": image, "attributes": {"src": page.lazy.pop(image),
                                                    "class": "loaded"}} for image in ready]
            self.t += self.rng.randint(20, 160)
            self.mutation(self.t, attributes=changes)

    def ensure_visible(self, node_id: int) -> None:
        page = self.page
        if node_id in page.in_strip:
            self.ensure_visible(page.strip_id)
            strip = page.boxes[page.strip_id]
            item = page.boxes[node_id]
            inner_left = item.left - page.strip_scroll_x
            if inner_left < strip.left or inner_left + item.width > strip.right:
                self.scroll_strip_to(item.left - strip.left
                                     - self.rng.uniform(0, max(0.0, strip.width - item.width)))
        box = page.client_box(node_id)
        if box.top < 4 or box.bottom > self.height - 4:
            room = max(0.0, self.height - box.height - 8)
            self.scroll_to(page.boxes[node_id].top - 4 - self.rng.uniform(0.15, 0.7) * room)

    # typing

    def type_into(self, node_id: int, text: str, current: str = "") -> str:
        rng = self.rng
        value = current
        for char in text:
            self.t += max(45, int(rng.gauss(165, 55)))
            if rng.random() < 0.04:
                self.t += rng.randint(500, 2_000)  # a pause to think
            if char.isalpha() and rng.random() < 0.03:  # a typo, then backspace
                typo = value + rng.choice("qwertyuiopasdfghjkl")
                self.inc(self.t, int(Source.INPUT), text=typo, isChecked=False,
                         userTriggered=True, id=node_id)
                self.t += rng.randint(180, 420)
                self.inc(self.t, int(Source.INPUT), text=value, isChecked=False,
                         userTriggered=True, id=node_id)
                self.t += max(45, int(rng.gauss(165, 55)))
            value += char
            self.inc(self.t, int(Source.INPUT), text=value, isChecked=False,
                     userTriggered=True, id=node_id)
        self.t += rng.randint(200, 900)
        return value

    # actions

    def act(self) -> None:
        """One thing the visitor does; long actions only while there is time left."""
        rng = self.rng
        left = self.end - self.t
        if left < END_GUARD_MS:
            if rng.random() < 0.6 or self.touch:
                self.scroll_to(self.page.doc_scroll_y + rng.uniform(-300, 300))
            else:
                self.browse(moves=1)
            return
        roll = rng.random()
        if roll < 0.30:
            self.browse()
        elif roll < 0.50:
            self.scroll_to(self.page.doc_scroll_y + rng.choice((1, 1, 1, -1))
                           * rng.uniform(200, 1400))
        elif roll < 0.62:
            self.add_to_cart()
        elif roll < 0.70:
            self.hover_card()
        elif roll < 0.76:
            self.browse_strip()
        elif roll < 0.81:
            self.search()
        elif roll < 0.85 and self.form_done:
            self.edit_notes()
        elif roll < 0.88:
            self.console("log" if rng.random() < 0.6 else "warn",
                         rng.choice(["[analytics] page_view sent",
                                     "Image lazy-loaded in 182 ms",
                                     "[deprecation] unload handlers are deprecated"]),
                         [f"{SHOP}/static/app.3f9a1c.js:1:{rng.randint(1000, 90000)}"])
        elif roll < 0.90 and self.page.cards:
            # a double-click on a product name (to select and copy it)
            self.click(rng.choice(self._visible_cards() or self.page.cards).heading, double=True)
        else:
            self.t += rng.randint(800, 4_500)  # reading

    def browse(self, moves: int | None = None) -> None:
        rng = self.rng
        if self.touch:
            self.scroll_to(self.page.doc_scroll_y + rng.uniform(-200, 600))
            return
        for _ in range(moves if moves is not None else rng.randint(2, 6)):
            self.move_to(rng.uniform(0, self.width), rng.uniform(0, self.height))
            self.t += rng.randint(50, 900)

    def _visible_cards(self) -> list[_Card]:
        page = self.page
        return [card for card in page.cards
                if page.client_box(card.button).top >= 0
                and page.client_box(card.button).bottom <= self.height]

    def add_to_cart(self) -> None:
        rng = self.rng
        page = self.page
        if not page.cards:
            return
        cards = self._visible_cards() or page.cards
        card = rng.choice(cards)
        button, button_text, name = card.button, card.button_text, card.name
        self.click(button)
        self.cart += 1
        self.t += rng.randint(80, 400)
        toast_id = page.new_id()
        toast_text_id = page.new_id()
        self.mutation(
            self.t,
            texts=[{"id": page.badge_text, "value": str(self.cart)},
                   {"id": button_text, "value": "Added ✓"}],
            attributes=[{"id": page.badge_id, "attributes": {"class": "badge badge--bump"}},
                        {"id": button, "attributes": {"class": "btn add-to-cart is-added"}}],
            adds=[{"parentId": page.body_id, "nextId": None,
                   "node": {"type": int(NodeType.ELEMENT), "tagName": "div",
                            "attributes": {"class": "toast", "role": "status"},
                            "childNodes": [], "id": toast_id}},
                  {"parentId": toast_id, "nextId": None,
                   "node": {"type": int(NodeType.TEXT),
                            "textContent": f"“{name}” was added to your cart",
                            "id": toast_text_id}}],
        )
        self.custom("add_to_cart", {"sku": card.sku, "name": name,
                                    "price": round(card.price, 2), "currency": "EUR",
                                    "quantity": 1})
        self.mutation(self.t + rng.randint(250, 400), later=True,
                      attributes=[{"id": page.badge_id, "attributes": {"class": "badge"}}])
        self.mutation(self.t + rng.randint(1_500, 2_000), later=True,
                      texts=[{"id": button_text, "value": "Add to cart"}],
                      attributes=[{"id": button, "attributes": {"class": "btn add-to-cart"}}])
        self.mutation(self.t + rng.randint(2_500, 4_000), later=True,
                      removes=[{"parentId": page.body_id, "id": toast_id}])
        self.t += rng.randint(300, 1_500)

    def hover_card(self) -> None:
        rng = self.rng
        page = self.page
        if self.touch or not page.cards:
            return
        card_id = rng.choice(self._visible_cards() or page.cards).card
        self.ensure_visible(card_id)
        x, y = self._point_in(page.client_box(card_id))
        self.move_to(x, y)
        self.t += rng.randint(10, 40)
        self.mutation(self.t, attributes=[{"id": card_id, "attributes": {"class":
                                                                        "card is-hover"}}])
        self.t += rng.randint(400, 3_000)
        self.move_to(rng.uniform(0, self.width), rng.uniform(0, self.height))
        self.t += rng.randint(10, 40)
        self.mutation(self.t, attributes=[{"id": card_id, "attributes": {"class": "card"}}])

    def browse_strip(self) -> None:
        rng = self.rng
        page = self.page
        self.ensure_visible(page.strip_id)
        strip = page.client_box(page.strip_id)
        if not self.touch:
            self.move_to(rng.uniform(strip.left + 20, strip.right - 20),
                         rng.uniform(max(strip.top, 0) + 10, min(strip.bottom, self.height) - 10))
        self.scroll_strip_to(page.strip_scroll_x + rng.choice((1, 1, -1))
                             * rng.uniform(150, 700))

    def search(self) -> None:
        rng = self.rng
        page = self.page
        field = page.fields["search"]
        self.click(field, focusable=True)
        query = self.typed.search if rng.random() < 0.5 else rng.choice(
            ["rain jacket", "socks", "size guide", "gift card"])
        self.type_into(field, query)
        self.custom("search", {"query_length": len(query), "results": rng.randint(0, 48)})

    def fill_form(self) -> None:
        """The full checkout form: every field, the country, the checkbox, then submit."""
        rng = self.rng
        page = self.page
        typed = self.typed
        for key, value in (("name", typed.name), ("email", typed.email),
                           ("password", typed.password), ("card", typed.card_number)):
            self.click(page.fields[key], focusable=True)
            self.type_into(page.fields[key], value)
        self.click(page.fields["country"], focusable=True)
        self.t += rng.randint(600, 2_000)  # the native drop-down is open (not recorded)
        self.inc(self.t, int(Source.INPUT), text=typed.country, isChecked=False,
                 userTriggered=True, id=page.fields["country"])
        self.t += rng.randint(200, 800)
        self.click(page.fields["notes"], focusable=True)
        self.type_into(page.fields["notes"], typed.notes)
        self.click(page.fields["remember"], focusable=True)
        self.inc(self.t, int(Source.INPUT), text="on", isChecked=True, userTriggered=True,
                 id=page.fields["remember"])
        self.t += rng.randint(300, 1_200)
        self.submit()
        self.form_done = True

    def submit(self) -> None:
        rng = self.rng
        page = self.page
        submit = page.fields["submit"]
        self.click(submit)
        self.t += rng.randint(5, 30)
        self.mutation(self.t, texts=[{"id": page.submit_text, "value": "Placing order…"}],
                      attributes=[{"id": submit, "attributes": {
                          "class": "btn btn--primary is-loading", "disabled": ""}}])
        self.custom("checkout_submitted", {"items": self.cart, "payment": "card"})
        self.t += rng.randint(700, 2_200)
        declined = rng.random() < 0.35
        attributes = [{"id": submit, "attributes": {"class": "btn btn--primary",
                                                    "disabled": None}}]
        if declined:
            error_text = page.new_id()
            self.mutation(self.t, texts=[{"id": page.submit_text, "value": "Place order"}],
                          attributes=attributes,
                          adds=[{"parentId": page.error_box, "nextId": None,
                                 "node": {"type": int(NodeType.TEXT), "id": error_text,
                                          "textContent": "Your card was declined. Please "
                                                         "check the card number."}}])
            self.console("error", "PaymentError: card_declined (issuer refused)",
                         [f"{SHOP}/static/checkout.81be2d.js:1:{rng.randint(1000, 9000)}",
                          f"{SHOP}/static/app.3f9a1c.js:1:{rng.randint(1000, 90000)}"])
            self.mutation(self.t + rng.randint(4_000, 8_000), later=True,
                          removes=[{"parentId": page.error_box, "id": error_text}])
        else:
            self.signed_in = True
            self.cart = 0
            self.mutation(self.t, texts=[{"id": page.submit_text, "value": "Order placed ✓"},
                                         {"id": page.account_text,
                                          "value": f"Signed in as {self.typed.email}"},
                                         {"id": page.badge_text, "value": "0"}],
                          attributes=attributes)
            self.custom("order_completed", {"order": f"ord_{rng.getrandbits(40):010x}",
                                            "currency": "EUR"})
        self.t += rng.randint(500, 2_000)

    def edit_notes(self) -> None:
        page = self.page
        self.click(page.fields["notes"], focusable=True)
        self.type_into(page.fields["notes"], " Ring twice.", self.typed.notes)

    def page_error(self) -> None:
        rng = self.rng
        message, source = rng.choice([
            ("TypeError: Cannot read properties of undefined (reading 'price')",
             "product-card.5c1e0a.js"),
            ("Uncaught (in promise) Error: Request failed with status code 503",
             "api.77d2f1.js"),
            ("ReferenceError: dataLayer is not defined", "tag-manager.js"),
        ])
        self.console("error", message,
                     [f"{SHOP}/static/{source}:1:{rng.randint(100, 40000)}",
                      f"{SHOP}/static/app.3f9a1c.js:1:{rng.randint(1000, 90000)}"])

    def resize(self) -> None:
        rng = self.rng
        page = self.page
        if self.touch:
            # the browser's address bar shows or hides
            delta = rng.choice((-56, 56, -80, 80))
            self.height = max(480, self.height + delta)
        else:
            self.height = max(500, self.height + rng.choice((-300, -180, 120, 200)))
            content_right = page.left + page.content_width + page.pad
            self.width = max(content_right, self.width + rng.choice((-120, 0, 160)))
        self.t += rng.randint(10, 100)
        self.inc(self.t, int(Source.VIEWPORT_RESIZE), width=self.width, height=self.height)
        page.doc_scroll_y = min(page.doc_scroll_y, page.max_scroll(self.height))
        self.x = min(self.x, self.width - 1.0)
        self.y = min(self.y, self.height - 1.0)
        self.t += rng.randint(200, 1_500)

    # the whole visit

    def run(self) -> None:
        rng = self.rng
        self.load(self.pages[0])
        if self.identity:
            self.custom("identify", self.identity)
        self.custom("experiment_viewed", {"experiment": "free-shipping-banner",
                                          "variant": rng.choice(["control", "banner"])})
        while self.t < self.end - 1_500:
            if self.gap_plan and self.t >= self.gap_plan[0][0]:
                _, length = self.gap_plan.pop(0)
                begin = self.t
                self.t += length  # the tab is in the background: nothing is recorded
                self.idle.append((begin, self.t))
                continue
            if self.error_plan and self.t >= self.error_plan[0]:
                self.error_plan.pop(0)
                self.page_error()
                continue
            if self.resize_plan and self.t >= self.resize_plan[0]:
                self.resize_plan.pop(0)
                self.resize()
                continue
            if not self.form_done and self.t >= self.form_at \
                    and self.end - self.t > 3 * END_GUARD_MS:
                self.fill_form()
                continue
            if self.nav_plan and self.t >= self.nav_plan[0] \
                    and self.end - self.t > END_GUARD_MS:
                self.nav_plan.pop(0)
                self.navigate()
                continue
            self.act()
        # the last thing recorded happens at the planned end
        final = max(self.t + 1, self.end)
        if self.touch:
            self.inc(final, int(Source.SCROLL), id=DOCUMENT_ID, x=0,
                     y=int(self.page.doc_scroll_y))
        else:
            self.inc(final, int(Source.MOUSE_MOVE),
                     positions=[{"x": int(self.x), "y": int(self.y),
                                 "id": self.page.hit(self.x, self.y), "timeOffset": 0}])
        self._flush_pending(final)
        self.periods[-1].end = final

    def _visible_spans(self) -> list[tuple[_Page, int, int]]:
        """(page, start, end) of the time each page was shown, idle gaps cut out."""
        spans: list[tuple[_Page, int, int]] = []
        for period in self.periods:
            cursor = period.start + 1
            for idle_start, idle_end in self.idle:
                if idle_end <= cursor or idle_start >= period.end:
                    continue
                if idle_start > cursor:
                    spans.append((period.page, cursor, idle_start))
                cursor = max(cursor, idle_end)
            if period.end - 1 > cursor:
                spans.append((period.page, cursor, period.end - 1))
        return spans

    def carousel(self) -> None:
        """The hero carousel replaces its slide every few seconds while the tab is visible."""
        for page, start, end in self._visible_spans():
            ts = page.loaded_ms + CAROUSEL_MS * ((start - page.loaded_ms) // CAROUSEL_MS + 1)
            while ts < end:
                old = page.slide_id
                page.slide_index += 1
                nodes = page.add_slide(page.hero, page.slide_index)
                page.hero["childNodes"].pop()  # the snapshot already went out: keep it as sent
                adds = [{"parentId": page.parent[node["id"]], "nextId": None,
                         "node": {**node, "childNodes": []} if "childNodes" in node else node}
                        for node in nodes]
                self.events.append((ts, len(self.events), {
                    "type": int(EventType.INCREMENTAL_SNAPSHOT),
                    "data": {"source": int(Source.MUTATION), "texts": [], "attributes": [],
                             "removes": [{"parentId": page.hero_id, "id": old}],
                             "adds": adds},
                    "timestamp": ts}))
                ts += CAROUSEL_MS

    def frames(self, count: int) -> None:
        """`count` animation frames of the promo bar (progress width, countdown text), spread
        evenly over the visible time."""
        rng = self.rng
        spans = self._visible_spans()
        total = sum(end - start for _, start, end in spans)
        if total <= 0 or count <= 0:
            return
        placed = 0.0
        for page, start, end in spans:
            share = count * (end - start) / total
            frames = int(placed + share + 1e-9) - int(placed + 1e-9)
            placed += share
            step = (end - start) / max(1, frames)
            shown = page.countdown(start)
            for index in range(frames):
                ts = start + int((index + rng.uniform(0.2, 0.8)) * step)
                fraction = ((ts - page.loaded_ms) % CAROUSEL_MS) / CAROUSEL_MS
                style = (f"position:absolute;left:0px;top:32px;"
                         f"width:{int(page.content_width * fraction)}px;height:4px")
                texts = []
                countdown = page.countdown(ts)
                if countdown != shown:  # the clock ticks with the next frame drawn
                    shown = countdown
                    texts.append({"id": page.countdown_text, "value": countdown})
                self.events.append((ts, len(self.events), {
                    "type": int(EventType.INCREMENTAL_SNAPSHOT),
                    "data": {"source": int(Source.MUTATION), "texts": texts,
                             "attributes": [{"id": page.progress_id,
                                             "attributes": {"style": style}}],
                             "removes": [], "adds": []},
                    "timestamp": ts}))

    def finish(self) -> list[Event]:
        self.events.sort(key=lambda item: (item[0], item[1]))
        ordered = [event for _, _, event in self.events]
        previous = None
        for event in ordered:  # strictly increasing timestamps
            if previous is not None and event["timestamp"] <= previous:
                event["timestamp"] = previous + 1
            previous = event["timestamp"]
        return ordered


def generate_recording(duration_s: float = 3600, target_events: int = 100_000, seed: int = 0,
                       start_ms: int = DEFAULT_START_MS, width: int = 1440, height: int = 900,
                       pages: Sequence[str] = DEFAULT_PAGES, *,
                       typed: TypedValues = DEFAULT_TYPED,
                       identity: Mapping[str, Any] | None = None,
                       errors: int | None = None,
                       idle_gaps: int | None = None) -> list[Event]:
    """A realistic rrweb event list for one visit; the same arguments give the same events.

    `pages` are the shop's URLs (the first is the landing page). `target_events` is reached by
    page animation when the visitor alone does less; `identity` adds an ``identify`` custom
    event; `errors` is the number of uncaught errors (default: about one per 15 minutes) and
    `idle_gaps` the number of background-tab pauses (default: 2-5 minute gaps in long visits,
    a shorter one in short visits).
    """
    if duration_s <= 0:
        raise ValueError("duration_s must be positive")
    # Only acyclic garbage is made here; pausing the cycle collector while ~10^5 dicts are
    # built nearly halves the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        visit = _Visit(duration_s=duration_s, seed=seed, start_ms=start_ms, width=width,
                       height=height, pages=pages, typed=typed, identity=identity,
                       errors=errors, idle_gaps=idle_gaps)
        visit.run()
        visit.carousel()
        visit.frames(target_events - len(visit.events))
        return visit.finish()
    finally:
        if collecting:
            gc.enable()


def write_recording(path: str | Path, events: list[Event]) -> int:
    """Write events as a JSON array (gzip-compressed if the name ends in .gz); return bytes."""
    path = Path(path)
    data = orjson.dumps(events)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)
    return len(data)
