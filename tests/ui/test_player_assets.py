"""Offline assets: served from the cache's store when present, a placeholder when not."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.core.cache.assets import load_asset
from app.core.cache.database import Cache
from app.core.cache.queries import load_replay_chunks
from app.core.importing import import_file
from app.core.replay.session import ReplaySession
from app.ui.player.headless import HeadlessReplay, image_to_rgb
from tests.support.loopback import counting_server

GREEN = (20, 200, 60)


def png(colour: tuple[int, int, int]) -> bytes:
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor(*colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def page_with_image(src: str, inline: bytes | None, stamp: int) -> list[dict]:
    attributes = {"src": src, "style": "position:absolute;left:0;top:0;width:200px;"
                                       "height:200px"}
    if inline is not None:
        attributes["rr_dataURL"] = "data:image/png;base64," + base64.b64encode(inline).decode()
    body = {"type": 2, "tagName": "body", "attributes": {"style": "margin:0"}, "id": 4,
            "childNodes": [{"type": 2, "tagName": "img", "attributes": attributes,
                            "childNodes": [], "id": 5}]}
    html = {"type": 2, "tagName": "html", "attributes": {}, "id": 2, "childNodes": [
        {"type": 2, "tagName": "head", "attributes": {}, "childNodes": [], "id": 3}, body]}
    return [{"type": 4, "data": {"href": "https://shop.test/", "width": 400, "height": 300},
             "timestamp": stamp},
            {"type": 2, "data": {"node": {"type": 0, "childNodes": [html], "id": 1},
                                 "initialOffset": {"left": 0, "top": 0}},
             "timestamp": stamp + 1}]


def frame_of(cache: Cache, path: Path) -> np.ndarray:
    result = import_file(cache, path)
    assert result.ok, result.message
    with cache.read_session() as session:
        chunks, windows = load_replay_chunks(session, result.session_id)
    renderer = HeadlessReplay(ReplaySession(result.session_id, chunks, windows), 400, 300,
                              lambda url, deliver: deliver(load_asset(cache, url)))
    try:
        renderer.seek(0)
        return image_to_rgb(renderer.grab())
    finally:
        renderer.close()


def test_inlined_image_is_stored_and_served_to_other_sessions(qtbot: QtBot, cache: Cache,
                                                              tmp_path: Path) -> None:
    with counting_server() as (server, requests):
        logo = f"{server}/logo.png"  # if anything fetched it live, this server would know
        first = tmp_path / "inline.json"
        first.write_text(json.dumps(page_with_image(logo, png(GREEN), 1_000)))
        second = tmp_path / "plain.json"
        second.write_text(json.dumps(page_with_image(logo, None, 5_000)))
        import_file(cache, first)
        assert load_asset(cache, logo) is not None

        pixel = frame_of(cache, second)[100, 100]
        assert requests == []
    assert np.abs(pixel.astype(int) - GREEN).max() < 8


def test_missing_image_is_a_neutral_placeholder(qtbot: QtBot, cache: Cache,
                                                tmp_path: Path) -> None:
    with counting_server() as (server, requests):
        path = tmp_path / "missing.json"
        path.write_text(json.dumps(page_with_image(f"{server}/nowhere.png", None, 1_000)))
        frame = frame_of(cache, path)
        assert requests == []
    pixel = frame[100, 100]
    assert abs(int(pixel[0]) - 0xE4) < 12 and abs(int(pixel[2]) - 0xE9) < 12
