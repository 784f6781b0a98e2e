"""Replay fidelity: a page recorded with real rrweb in Chromium, replayed by Tapeview at the
moment of a screenshot of the live page, looks like that screenshot.

The page is recorded with the real rrweb recorder (npm) in Debian's Chromium while a person
clicks a button that rewrites part of the page, scrolls the page and scrolls a box inside it.
A screenshot of the live page is taken at wall-clock moment T; the recording is imported into
a cache exactly as a user's file would be (privacy masking included), replayed by the player's
own page and engine offscreen at T, and the two frames are compared pixel by pixel.

Agreement is the share of pixels whose channels all differ by at most TOLERANCE (16 of 255),
with the share of identical pixels and the mean absolute error beside it.

Masking is the one difference that is wanted: our import turns digits, e-mail addresses and
typed values into `*` runs, so the replay of "€4.99" is "€*.**". Hence two recordings:

* `test_replay_matches_a_live_page_pixel_for_pixel` records tests/support/pages/fidelity, a
  page whose text has no digits, no e-mails and no typed values, in system fonts only: the
  whole frame is compared, nothing is excluded. This is the acceptance measure.
* `test_replay_of_the_shop_matches_outside_masked_text` records the shop site as it is
  (prices, a counter, a typed name, numbered reviews, a web font). Agreement is reported over
  the whole frame and over the frame minus the boxes whose text the import masked (found in
  both the live and the replayed DOM); the threshold applies to the latter.

Run with `-s` to see the figures and where the live, replay and difference images are; they
are also attached to the JUnit report (`record_property`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.core.cache.assets import load_asset
from app.core.cache.database import Cache
from app.core.cache.queries import load_replay_chunks
from app.core.importing import import_file
from app.core.replay.session import ReplaySession
from app.ui.player.headless import HeadlessReplay, image_to_rgb
from tests.support.browser import RecordedPage, load_site, recorded_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

VIEWPORT = (1024, 768)
SHOP_VIEWPORT = (1024, 1240)
TOLERANCE = 16  # largest per-channel difference (of 255) still counted as the same pixel
MASK_PADDING = 2  # px around a masked box: anti-aliasing bleeds past an element's edge

# The pointer overlay is the player's own drawing, which a screenshot of the page has not.
# Setting `hidden` is not enough: the engine shows the cursor with an inline `display: block`.
HIDE_OVERLAYS = """(() => {
  for (const id of ['cursor', 'trail', 'ripples'])
    document.getElementById(id).style.visibility = 'hidden';
  return true;
})()"""

# Boxes (viewport px: left, top, right, bottom) whose content the import masks, in `doc`:
# for each text node matching `pattern`, the nearest ancestor that is not inline (a masked
# run has other glyph widths, so its whole line box may shift), and every typed form field
# with a value; each clipped by the scrolling boxes around it.
MASKED_BOXES = """(doc, pattern) => {
  const view = doc.defaultView;
  const masked = new RegExp(pattern);
  const boxes = [];
  const add = (element) => {
    let {left, top, right, bottom} = element.getBoundingClientRect();
    for (let a = element.parentElement; a && a !== doc.body && a !== doc.documentElement;
         a = a.parentElement) {
      const style = view.getComputedStyle(a);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const clip = a.getBoundingClientRect();
      left = Math.max(left, clip.left); top = Math.max(top, clip.top);
      right = Math.min(right, clip.right); bottom = Math.min(bottom, clip.bottom);
    }
    if (right > left && bottom > top) boxes.push([left, top, right, bottom]);
  };
  const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let element = node.parentElement;
    if (!element || !masked.test(node.data)
        || /^(STYLE|SCRIPT|TEMPLATE|NOSCRIPT|TEXTAREA)$/.test(element.tagName)) continue;
    while (element.parentElement && view.getComputedStyle(element).display === 'inline')
      element = element.parentElement;
    add(element);
  }
  const untyped = /^(submit|button|reset|image|checkbox|radio|hidden)$/i;
  for (const field of doc.querySelectorAll('input, textarea, select'))
    if (field.value && !untyped.test(field.type)) add(field);
  return JSON.stringify(boxes);
}"""
# Live pages show digits and e-mails (and the typed values); the replay shows `*` runs.
MASKED_TEXT = r"[\d*@]"


@dataclass(frozen=True)
class Agreement:
    """How alike two RGB frames are over a set of pixels."""

    pixels: int
    within_tolerance: float  # share of pixels whose channels all differ by <= TOLERANCE
    exact: float  # share of identical pixels
    mean_abs_error: float  # mean absolute difference per channel, 0..255

    def __str__(self) -> str:
        return (f"{self.within_tolerance:.4f} within {TOLERANCE}, {self.exact:.4f} exact, "
                f"MAE {self.mean_abs_error:.3f} over {self.pixels} px")


def agreement(live: np.ndarray, replay: np.ndarray, region: np.ndarray) -> Agreement:
    difference = np.abs(live.astype(np.int16) - replay.astype(np.int16))
    worst = difference.max(axis=2)[region]
    return Agreement(pixels=int(region.sum()),
                     within_tolerance=float((worst <= TOLERANCE).mean()),
                     exact=float((worst == 0).mean()),
                     mean_abs_error=float(difference[region].mean()))


def region_without(boxes: list[list[float]], shape: tuple[int, ...]) -> np.ndarray:
    """True where no (padded) box covers the pixel."""
    region = np.ones(shape[:2], dtype=bool)
    for left, top, right, bottom in boxes:
        region[max(0, int(top) - MASK_PADDING):max(0, int(np.ceil(bottom)) + MASK_PADDING),
               max(0, int(left) - MASK_PADDING):max(0, int(np.ceil(right)) + MASK_PADDING)] = False
    return region


def heatmap(live: np.ndarray, replay: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The live frame faded to grey; pixels differing within TOLERANCE in yellow, beyond it in
    red; excluded (masked) boxes tinted blue."""
    worst = np.abs(live.astype(np.int16) - replay.astype(np.int16)).max(axis=2)
    out = np.repeat(live.mean(axis=2, keepdims=True) * 0.35 + 150, 3, axis=2)
    out[~region] = out[~region] * 0.6 + [0, 30, 90]
    out[(worst > 0) & (worst <= TOLERANCE)] = [255, 200, 0]
    out[worst > TOLERANCE] = [230, 0, 40]
    return out.astype(np.uint8)


def save_rgb(rgb: np.ndarray, path: Path) -> Path:
    height, width = rgb.shape[:2]
    data = np.ascontiguousarray(rgb, dtype=np.uint8)
    assert QImage(data.data, width, height, 3 * width,
                  QImage.Format.Format_RGB888).save(str(path)), f"cannot write {path}"
    return path


def run_js(qtbot: QtBot, renderer: HeadlessReplay, script: str) -> Any:
    with qtbot.waitCallback(timeout=10_000) as callback:
        renderer.view.page().runJavaScript(script, 0, callback)
    return callback.args[0]


def painted_frame(qtbot: QtBot, renderer: HeadlessReplay) -> tuple[np.ndarray, int]:
    """The frame once the player page has drawn its current DOM, and how many re-grabs that
    took.

    `HeadlessReplay.grab()` alone often returns the frame from before the last change (a
    blank page, or the page without its image and with the pointer still shown): the
    compositor draws a change on its next frames, and a fixed pause is not always enough.
    Two animation frames of the player page mean the current DOM has been painted; a second
    grab that agrees with the first confirms the frame is steady.
    """
    run_js(qtbot, renderer, "window.__fidelityPainted = false; requestAnimationFrame(() =>"
                            " requestAnimationFrame(() => { window.__fidelityPainted = true; }));"
                            " true")
    for _ in range(500):
        if run_js(qtbot, renderer, "window.__fidelityPainted === true"):
            break
        qtbot.wait(10)
    else:
        raise AssertionError("the player page drew no frame within 5 s")
    frame = image_to_rgb(renderer.grab())
    for regrabs in range(20):
        qtbot.wait(150)
        again = image_to_rgb(renderer.view.grab().toImage())
        if np.array_equal(again, frame):
            return frame, regrabs
        frame = again
    raise AssertionError("the replayed frame never became steady")


@dataclass
class Live:
    viewport: tuple[int, int]
    png: Path
    taken_at: int  # the page's Date.now() right after the screenshot
    recording: Path
    masked_boxes: list[list[float]]
    scroll: dict[str, float]


def capture(recording: RecordedPage, tmp_path: Path, scroller: str) -> Live:
    """After the interaction: the screenshot, its moment, and the recording up to it."""
    page = recording.page
    size = page.viewport_size
    assert size is not None
    viewport = (size["width"], size["height"])
    # The pointer rests on plain background with nothing focused: no :hover style, no caret
    # and no focus ring, none of which a replay draws.
    page.mouse.click(viewport[0] - 4, viewport[1] - 4)
    recording.settle()  # rrweb throttles scroll and mouse events: let the last ones out
    boxes = json.loads(page.evaluate(f"pattern => ({MASKED_BOXES})(document, pattern)",
                                     MASKED_TEXT))
    scroll = page.evaluate("s => ({page: scrollY, box: document.querySelector(s).scrollTop})",
                           scroller)
    png, taken_at = recording.screenshot(tmp_path / "live.png")
    saved = recording.save(tmp_path / "recording.json")
    assert not recording.page_errors and not recording.console_errors
    return Live(viewport, png, taken_at, saved, boxes, scroll)


@dataclass
class Replayed:
    frame: np.ndarray
    masked_boxes: list[list[float]]
    scroll: dict[str, float]
    errors: int
    blocked: list[str]
    regrabs: int  # grabs after the first until the frame was steady
    pointer: str  # where the player's pointer overlay was drawn (a CSS transform)
    variants: dict[str, np.ndarray]  # frames of deliberately broken replays, by name


def replay_at(qtbot: QtBot, cache: Cache, live: Live, scroller: str,
              breakages: dict[str, str] | None = None) -> Replayed:
    """Import the recording and draw the replay as the player shows it at `live.taken_at`.

    `breakages` (name: script run in the replayed document `doc` after the seek) give frames
    of a deliberately broken replay, to show what the measure makes of a real defect.
    """
    result = import_file(cache, live.recording)
    assert result.ok, result.message
    with cache.read_session() as session:
        chunks, windows = load_replay_chunks(session, result.session_id)
    replay = ReplaySession(result.session_id, chunks, windows)
    replay.build_checkpoints()
    assert replay.start_ms <= live.taken_at
    # Assets come from the cache only, as in the player (rrweb's inlined images are there).
    renderer = HeadlessReplay(replay, *live.viewport,
                              lambda url, deliver: deliver(load_asset(cache, url)))
    try:
        renderer.seek(live.taken_at - replay.start_ms)
        assert run_js(qtbot, renderer, HIDE_OVERLAYS) is True
        frame, regrabs = painted_frame(qtbot, renderer)
        inside = "document.getElementById('frame')"
        boxes = json.loads(run_js(qtbot, renderer, f"({MASKED_BOXES})({inside}.contentDocument,"
                                                   f" {json.dumps(MASKED_TEXT)})"))
        scroll = json.loads(run_js(qtbot, renderer, f"""JSON.stringify({{
            page: {inside}.contentWindow.scrollY,
            box: {inside}.contentDocument.querySelector({json.dumps(scroller)}).scrollTop}})"""))
        pointer = run_js(qtbot, renderer, "document.getElementById('cursor').style.transform")
        variants = {}
        for name, script in (breakages or {}).items():
            renderer.seek(live.taken_at - replay.start_ms)
            assert run_js(qtbot, renderer, HIDE_OVERLAYS) is True
            assert run_js(qtbot, renderer, f"(doc => {{ {script}; return true; }})"
                                           f"({inside}.contentDocument)") is True
            variants[name] = painted_frame(qtbot, renderer)[0]
        return Replayed(frame, boxes, scroll, renderer.state["errors"],
                        renderer.view.blocked_requests(), regrabs, pointer, variants)
    finally:
        renderer.close()


def compare(live: Live, replayed: Replayed, tmp_path: Path, name: str,
            record_property: Callable[[str, object], None]) -> tuple[Agreement, Agreement]:
    """Agreement over the whole frame and outside masked boxes; images saved, figures shown."""
    shot = image_to_rgb(QImage(str(live.png)))
    frame = replayed.frame
    assert shot.shape == frame.shape == (live.viewport[1], live.viewport[0], 3)
    unmasked = region_without(live.masked_boxes + replayed.masked_boxes, shot.shape)
    whole = agreement(shot, frame, np.ones(shot.shape[:2], dtype=bool))
    outside = agreement(shot, frame, unmasked)
    replay_png = save_rgb(frame, tmp_path / "replay.png")
    diff_png = save_rgb(heatmap(shot, frame, unmasked), tmp_path / "diff.png")
    print(f"\n[{name}] replay vs live screenshot at T={live.taken_at}\n"
          f"  whole frame:      {whole}\n"
          f"  outside masked:   {outside} ({1 - unmasked.mean():.1%} of the frame masked)\n"
          f"  scroll live {live.scroll}, replayed {replayed.scroll}; "
          f"frame steady after {replayed.regrabs} re-grab(s); "
          f"pointer overlay at {replayed.pointer}\n"
          f"  live   {live.png}\n  replay {replay_png}\n  diff   {diff_png}")
    for label, figures in (("whole", whole), ("unmasked", outside)):
        record_property(f"agreement_{label}", f"{figures.within_tolerance:.4f}")
        record_property(f"exact_{label}", f"{figures.exact:.4f}")
        record_property(f"mae_{label}", f"{figures.mean_abs_error:.3f}")
    record_property("images", f"{live.png} {replay_png} {diff_png}")
    return whole, outside


# Defects a replay could have, made on purpose after the seek, to show the measure sees them.
BREAKAGES = {
    "the log box were not scrolled": "doc.getElementById('log').scrollTop = 0",
    "the page were scrolled 4 px too far": "doc.defaultView.scrollBy(0, 4)",
    "the image were missing": "doc.getElementById('photo').style.visibility = 'hidden'",
    "the click's changes were missing": """
        doc.getElementById('details').classList.remove('open');
        doc.querySelector('#details .note').remove()""",
    "the linked stylesheet were missing": """
        [...doc.querySelectorAll('style')].find(s => s.textContent.includes('.hero')).remove()""",
}


def test_replay_matches_a_live_page_pixel_for_pixel(
        qtbot: QtBot, browser: Browser, cache: Cache, tmp_path: Path,
        record_property: Callable[[str, object], None]) -> None:
    site = load_site("fidelity")  # system fonts only, no digits, e-mails or form fields
    site["/photo.png"] = load_site("shop")["/product.png"]
    # inlineImages: rrweb keeps each image's pixels in the recording and the import puts them
    # in the asset store; without it the replay (which never fetches live) draws placeholders.
    with recorded_page(browser, site, viewport=VIEWPORT,
                       record_options={"inlineImages": True}) as recording:
        page = recording.page
        page.click("#toggle")  # rewrites text, adds nodes, switches classes
        page.wait_for_function(
            "() => document.getElementById('toggle').textContent === 'Details shown'")
        page.mouse.wheel(0, 60)  # the page: the header leaves, the image stays in view
        page.wait_for_function("() => scrollY >= 60")
        page.locator("#log").hover()
        page.mouse.wheel(0, 170)  # the log box
        page.wait_for_function("() => document.getElementById('log').scrollTop >= 170")
        live = capture(recording, tmp_path, "#log")

    replayed = replay_at(qtbot, cache, live, "#log", BREAKAGES)
    whole, outside = compare(live, replayed, tmp_path, "fidelity page", record_property)
    shot = image_to_rgb(QImage(str(live.png)))
    everywhere = np.ones(shot.shape[:2], dtype=bool)
    broken = {name: agreement(shot, frame, everywhere)
              for name, frame in replayed.variants.items()}
    for name, figures in broken.items():
        print(f"  if {name}: {figures}")
    print(f"  pointer: live at {live.viewport[0] - 4},{live.viewport[1] - 4}, "
          f"replay overlay {replayed.pointer}")

    assert replayed.errors == 0 and replayed.blocked == []
    assert replayed.scroll == live.scroll == {"page": 60, "box": 170}
    assert live.masked_boxes == [] and replayed.masked_boxes == []  # nothing to exclude
    assert whole == outside
    # Measured 0.9963 within 16 (0.970 exact, MAE 0.22) in every run: all that differs is
    # the anti-aliasing of glyph edges, drawn by Chromium 156 live and by QtWebEngine's
    # Chromium 140 in the replay. A real defect moves whole areas: the breakages above score
    # 0.44 (stylesheet missing) to 0.972 (the 160x120 image missing), so 0.98 catches each of
    # them and stays well clear of the rendering noise.
    assert whole.within_tolerance >= 0.98, whole
    assert whole.mean_abs_error <= 1.0, whole
    assert all(figures.within_tolerance < 0.98 for figures in broken.values()), broken


def test_replay_of_the_shop_matches_outside_masked_text(
        qtbot: QtBot, browser: Browser, cache: Cache, tmp_path: Path,
        record_property: Callable[[str, object], None]) -> None:
    # Tall enough to show the products, the form and the review box at once.
    with recorded_page(browser, load_site("shop"), viewport=SHOP_VIEWPORT,
                       record_options={"inlineImages": True}) as recording:
        page = recording.page
        page.click("#add-1")  # "Added (1)", basket "1": digits the import masks
        page.locator("#name").press_sequentially("Jane Doe")  # typed: masked as well
        page.mouse.wheel(0, 40)
        page.wait_for_function("() => scrollY >= 40")
        page.locator("#review-box").hover()  # in view already: the page does not move
        page.mouse.wheel(0, 120)
        page.wait_for_function("() => document.getElementById('review-box').scrollTop >= 120")
        live = capture(recording, tmp_path, "#review-box")

    replayed = replay_at(qtbot, cache, live, "#review-box")
    whole, outside = compare(live, replayed, tmp_path, "shop", record_property)

    assert replayed.errors == 0 and replayed.blocked == []
    assert replayed.scroll == live.scroll == {"page": 40, "box": 120}
    assert live.masked_boxes and replayed.masked_boxes  # the privacy masks did apply
    # Masked text must differ, so the whole frame agrees less than the rest (measured 0.971
    # against 0.983): it is reported, not held to a threshold.
    assert whole.within_tolerance < outside.within_tolerance
    # Outside the masks two known differences remain, both in every run: the shop's web font
    # is not in the asset store (rrweb records the @font-face URL, not the font, and the
    # replay never fetches live), so headings fall back to DejaVu Sans Bold where the live
    # page drew a synthesised bold of the web font; and "C**" is narrower than "C90", so the
    # product card that holds it shrinks and the card beside it moves left. 0.97 leaves room
    # for them and still fails on a missing stylesheet, image or scroll.
    assert outside.within_tolerance >= 0.97, outside
