"""`tapeview heatmap` on pages recorded by the real rrweb recorder in Debian's Chromium: clicks
scripted on known elements are hot in the exported PNG exactly there, on the page as first
snapshotted, when the page was scrolled, and when the visitor's viewport laid it out otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.cli import main
from app.ui.player.headless import image_to_rgb
from tests.support.browser import RecordedPage, recorded_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

DESKTOP = (1024, 700)
MOBILE = (480, 700)
# Taller than the 2048 px the engine draws at once (the background is scaled), with #deep far
# below the first screen; narrower than 700 px the spacer is taller and #deep moves right.
PAGE = """<!doctype html>
<html><head><title>Long page</title><style>
  body { margin: 0; font: 16px sans-serif; background: #fff; }
  button { display: block; border: 0; background: #ccc; }
  #top { width: 240px; height: 60px; margin: 40px 0 0 60px; }
  .spacer { height: 1400px; }
  #deep { width: 200px; height: 80px; margin-left: 100px; }
  footer { height: 900px; }
  @media (max-width: 700px) {
    .spacer { height: 1800px; }
    #deep { width: 150px; margin: 0 20px 0 auto; }
  }
</style></head><body>
<button id="top">Top</button>
<div class="spacer"></div>
<button id="deep">Deep</button>
<footer></footer>
</body></html>
"""


def centre(recording: RecordedPage, selector: str) -> tuple[float, float]:
    """The element's centre in page px, as this browser lays the page out."""
    x, y = recording.page.evaluate(
        """selector => { const r = document.querySelector(selector).getBoundingClientRect();
                         return [r.left + r.width / 2 + scrollX,
                                 r.top + r.height / 2 + scrollY]; }""", selector)
    return float(x), float(y)


def click(recording: RecordedPage, selector: str, times: int) -> None:
    """Scroll the element into view (it may be far down) and click its centre."""
    recording.page.locator(selector).scroll_into_view_if_needed()
    recording.settle(quiet_ms=200)
    for _ in range(times):
        recording.page.click(selector)
    recording.settle(quiet_ms=200)


def record(browser: Browser, out: Path, viewport: tuple[int, int],
           clicks: list[tuple[str, int]]) -> dict[str, tuple[float, float]]:
    """Record one session of clicks; the clicked elements' centres in it."""
    with recorded_page(browser, PAGE, viewport=viewport) as recording:
        centres = {selector: centre(recording, selector) for selector, _ in clicks}
        for selector, times in clicks:
            click(recording, selector, times)
        recording.save(out)
    return centres


def is_hot(pixel: np.ndarray) -> bool:
    """Yellow to red: where the most clicks are (the page itself is white and grey)."""
    red, _green, blue = (int(value) for value in pixel)
    return red >= 200 and blue <= 110


@pytest.fixture
def recordings(browser: Browser, tmp_path: Path) -> dict[str, object]:
    """(a) clicks on #top, unscrolled; (b) on #deep after scrolling; (c) on #deep at a
    mobile width, where it sits elsewhere on a longer page."""
    plain = record(browser, tmp_path / "a.json", DESKTOP, [("#top", 6)])
    scrolled = record(browser, tmp_path / "b.json", DESKTOP, [("#deep", 3)])
    mobile = record(browser, tmp_path / "c.json", MOBILE, [("#deep", 3)])
    return {"files": [tmp_path / name for name in ("a.json", "b.json", "c.json")],
            "top": plain["#top"], "deep": scrolled["#deep"], "mobile_deep": mobile["#deep"]}


@pytest.fixture
def imported(recordings: dict[str, object], cache_path: Path,
             capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The three sessions in the cache; their ids, in recording order."""
    assert main(["--cache", str(cache_path), "import", "--json",
                 *map(str, recordings["files"])]) == 0  # type: ignore[call-overload]
    return [result["session_id"] for result in orjson.loads(capsys.readouterr().out)]


def heatmap(cache_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["--cache", str(cache_path), "heatmap", *args])
    output = capsys.readouterr()
    assert code == 0, output.err
    return output.out


def test_clicks_are_hot_on_their_elements(qtbot: QtBot, recordings: dict[str, object],
                                          imported: list[str], cache_path: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out, csv = tmp_path / "clicks.png", tmp_path / "clicks.csv"
    printed = heatmap(cache_path, capsys, "--url", "/", "--out", str(out), "--csv", str(csv))
    assert f"page from session {imported[0]}" in printed
    assert "3 session(s), 12 of 12 clicks" in printed
    assert "12 placed on their elements" in printed

    image = QImage(str(out))
    width, height = DESKTOP[0], 40 + 60 + 1400 + 80 + 900
    assert (image.width(), image.height()) == (width, height)  # the whole page, in page px
    pixels = image_to_rgb(image)
    assert pixels[[0, -1]].min() == 255  # the white page edge to edge, none of the player
    for name in ("top", "deep"):
        x, y = recordings[name]  # type: ignore[misc]
        assert is_hot(pixels[round(y), round(x)]), (name, pixels[round(y), round(x)])
    assert not is_hot(pixels[700, 700])  # the empty middle of the page
    # The mobile clicks landed on #deep as the background lays it out, not where the
    # mobile layout had it (further down, on the right).
    x, y = recordings["mobile_deep"]  # type: ignore[misc]
    assert not is_hot(pixels[min(round(y), height - 1), round(x)])
    rows = csv.read_text().splitlines()
    assert rows[0] == "x,y,count"
    assert sum(int(row.rsplit(",", 1)[1]) for row in rows[1:]) == 12


def test_another_sessions_page_as_background(qtbot: QtBot, recordings: dict[str, object],
                                              imported: list[str], cache_path: Path,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """--session draws the mobile visitor's page: the desktop clicks land on #deep there."""
    out = tmp_path / "mobile.png"
    printed = heatmap(cache_path, capsys, "--url", "/", "--session", imported[2][:8],
                      "--out", str(out))
    assert f"page from session {imported[2]}" in printed
    image = QImage(str(out))
    assert (image.width(), image.height()) == (MOBILE[0], 40 + 60 + 1800 + 80 + 900)
    pixels = image_to_rgb(image)
    x, y = recordings["mobile_deep"]  # type: ignore[misc]
    assert is_hot(pixels[round(y), round(x)])
    x, y = recordings["deep"]  # type: ignore[misc]
    assert not is_hot(pixels[round(y), round(x)])  # where the desktop layout had it


def test_scroll_map_and_messages(qtbot: QtBot, imported: list[str], cache_path: Path,
                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scroll.png"
    printed = heatmap(cache_path, capsys, "--url", "/", "--kind", "scroll", "--out", str(out))
    assert "3 session(s)" in printed
    pixels = image_to_rgb(QImage(str(out)))
    # Everyone saw the top; nobody scrolled to the very end of the desktop page.
    assert pixels[5, 900].min() == 255
    assert pixels[-5, 900].max() < 200

    csv = tmp_path / "moves.csv"
    printed = heatmap(cache_path, capsys, "--url", "/", "--kind", "move", "--out",
                      str(tmp_path / "moves.png"), "--csv", str(csv))
    assert "moves on the page" in printed
    assert len(csv.read_text().splitlines()) > 1  # the pointer moved to what it clicked

    code = main(["--cache", str(cache_path), "heatmap", "--url", "/nowhere", "--out",
                 str(tmp_path / "none.png")])
    assert code == 1
    assert "no cached session showed a page matching '/nowhere'" in capsys.readouterr().err
    code = main(["--cache", str(cache_path), "heatmap", "--url", "/", "--kind", "scroll",
                 "--out", str(out), "--csv", str(csv)])
    assert code == 1
    assert "a scroll map has none" in capsys.readouterr().err


def test_a_page_wider_than_the_engine_draws_is_scaled_back_to_page_size(
        qtbot: QtBot, browser: Browser, cache_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Over 2048 px wide the page is drawn in one scaled-down grab, not in tiles."""
    centres = record(browser, tmp_path / "wide.json", (2200, 700), [("#top", 3)])
    assert main(["--cache", str(cache_path), "import", str(tmp_path / "wide.json")]) == 0
    capsys.readouterr()
    out = tmp_path / "wide.png"
    heatmap(cache_path, capsys, "--url", "/", "--out", str(out))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (2200, 40 + 60 + 1400 + 80 + 900)
    pixels = image_to_rgb(image)
    x, y = centres["#top"]
    assert is_hot(pixels[round(y), round(x)])
    assert pixels[[0, -1]].min() == 255
