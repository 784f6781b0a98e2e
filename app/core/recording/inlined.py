"""Resources a recording carries inline (rrweb's `inlineImages`): they go to the asset store,
so the image shows offline wherever its URL appears, in this session or another."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from app.core.recording.rrweb import EventType, NodeType, Source


def inlined_images(events: list[dict[str, Any]]) -> Iterator[tuple[str, str, bytes]]:
    """(absolute URL, MIME type, bytes) of every <img> with both a src and an rr_dataURL."""
    base = ""
    for event in events:
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        if event.get("type") == EventType.META and isinstance(data.get("href"), str):
            base = data["href"]
        elif event.get("type") == EventType.FULL_SNAPSHOT and isinstance(data.get("node"), dict):
            yield from _from_tree(data["node"], base)
        elif event.get("type") == EventType.INCREMENTAL_SNAPSHOT \
                and data.get("source") == Source.MUTATION:
            for add in data.get("adds") or ():
                if isinstance(add, dict) and isinstance(add.get("node"), dict):
                    yield from _from_tree(add["node"], base)


def _from_tree(root: dict[str, Any], base: str) -> Iterator[tuple[str, str, bytes]]:
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.get("childNodes")
        if isinstance(children, list):
            stack.extend(c for c in children if isinstance(c, dict))
        attributes = node.get("attributes")
        if node.get("type") != NodeType.ELEMENT or str(node.get("tagName")).lower() != "img" \
                or not isinstance(attributes, dict):
            continue
        src, inline = attributes.get("src"), attributes.get("rr_dataURL")
        if isinstance(src, str) and src and not src.startswith("data:") \
                and isinstance(inline, str):
            decoded = decode_data_url(inline)
            if decoded is not None:
                yield urljoin(base, src), *decoded


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """(MIME type, bytes) of a base64 image data: URL; None for anything else."""
    head, sep, payload = url.partition(",")
    if not sep or not head.startswith("data:image/") or not head.endswith(";base64"):
        return None
    try:
        return head[5:-7], base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
