"""Frames and clips without a window: the player's own page and engine, drawn offscreen.

`tapeview render` and `tapeview clip` use exactly the seek plans and replay engine the player
uses, so a rendered frame is the frame the player shows at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtGui import QImage

from app.core.replay.playback import PlaybackCursor
from app.core.replay.session import ReplaySession
from app.ui.player.sandbox import AssetFetcher
from app.ui.player.web_view import ReplayWebView

SETTLE_TIMEOUT_MS = 20_000
FRAME_SETTLE_MS = 80  # time for the compositor to draw what a call changed
RESIZE_SETTLE_MS = 250
# The engine's software compositor draws nothing beyond 2048 pixels a side: larger pages are
# scaled down to fit, as the player does in a smaller window.
MAX_SIDE = 2048


def clamp_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / width, MAX_SIDE / height)
    return max(1, int(width * scale)), max(1, int(height * scale))


class RenderError(RuntimeError):
    pass


class HeadlessReplay:
    """Drives a `ReplayWebView` synchronously (a local event loop per step)."""

    def __init__(self, replay: ReplaySession, width: int | None = None,
                 height: int | None = None, fetch_asset: AssetFetcher | None = None) -> None:
        self.replay = replay
        self.view = ReplayWebView(fetch_asset)
        self.state: dict[str, Any] = {}
        self.view.stateChanged.connect(self.state.update)
        self._size = (width, height)
        self.view.resize(*clamp_size(width or 1280, height or 800))
        self.view.show()
        self._wait(lambda done: self.view.ready.connect(done) if not self.view.is_ready
                   else done(), "the player page did not load")

    def close(self) -> None:
        self.view.shutdown()
        self.view.close()
        # Deleted before returning, by the engine's own rules (deleteLater, then a turn of the
        # event loop): a command exits without another turn, and the page must be gone before
        # the engine shuts down. Late answers are ignored (see shutdown).
        self.view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self._pause(0)
        if shiboken6.isValid(self.view):
            raise RenderError("the player view could not be released")

    def seek(self, offset_ms: int) -> PlaybackCursor:
        """Rebuild the page at `offset_ms`; return a cursor to play on from there."""
        target = self.replay.start_ms + offset_ms
        plan = self.replay.plan_seek(target)
        events = plan.restore + plan.forward
        self._size_for(events)
        self._wait(lambda done: self.view.reset(events, lambda _state: done()),
                   "the replay engine did not answer")
        self._wait(self._fit_when_sized, "the page did not take the new size")
        return PlaybackCursor(self.replay, plan.next_index, target)

    def apply(self, events: list[dict[str, Any]]) -> None:
        if events:
            self._wait(lambda done: self.view.apply(events, lambda _state: done()),
                       "the replay engine did not answer")

    def grab(self) -> QImage:
        """The frame as drawn, once every image and font of the page has loaded."""
        def poll(done: Callable[[], None]) -> None:
            self.view.when_settled(lambda ok: done() if ok else QTimer.singleShot(
                25, lambda: poll(done)))

        self._wait(poll, "images or fonts of the page did not finish loading")
        # What a call changed is drawn on the compositor's next frames, not at once: without
        # this wait a grab right after a seek is often the frame before it. Two animation
        # frames of the player page mean the current DOM has been painted.
        self._wait(self._painted, "the page drew no frame")
        self._pause(FRAME_SETTLE_MS)
        return self.view.grab().toImage()

    def _painted(self, done: Callable[[], None]) -> None:
        def check(painted: Any) -> None:
            if painted is True:
                done()
            else:
                QTimer.singleShot(10, lambda: self.view.evaluate("window.__tvPainted === true",
                                                                 check))

        self.view.evaluate("window.__tvPainted = false; requestAnimationFrame(() =>"
                           " requestAnimationFrame(() => { window.__tvPainted = true; }));"
                           " false", check)

    def frames(self, start_ms: int, end_ms: int, fps: float) -> Iterator[QImage]:
        """Frames from `start_ms` to `end_ms` (offsets), played forward as the player does."""
        cursor = self.seek(start_ms)
        step = 1000 / fps
        moment = float(start_ms)
        while moment <= end_ms:
            self.apply(cursor.advance(self.replay.start_ms + int(moment)))
            yield self.grab()
            moment += step

    def _size_for(self, events: list[dict[str, Any]]) -> None:
        """Without an asked-for size, draw the page at its recorded size, pixel for pixel.

        The view is sized before the page is rebuilt: a resize reaches the engine's
        compositor late, and a frame grabbed in between would be stale.
        """
        if self._size != (None, None):
            return
        size = None
        for event in events:
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            if (event.get("type") == 4 or data.get("source") == 4) \
                    and data.get("width") and data.get("height"):
                size = (int(data["width"]), int(data["height"]))
        if size is not None:
            self.resize(*size)

    def resize(self, width: int, height: int) -> None:
        """Size the view for a page of `width` x `height` (scaled down to `MAX_SIDE`) and
        wait until the page has taken the size."""
        size = clamp_size(width, height)
        if size != (self.view.width(), self.view.height()):
            self.view.resize(*size)
            self._wait(self._fit_when_sized, "the page did not take the new size")
            self._pause(RESIZE_SETTLE_MS)

    def _fit_when_sized(self, done: Callable[[], None]) -> None:
        """Fit once the page has seen the view's size (a resize reaches it asynchronously)."""
        def check(state: Any) -> None:
            size = (state or {}).get("stageWidth"), (state or {}).get("stageHeight")
            if size == (self.view.width(), self.view.height()):
                done()
            else:
                QTimer.singleShot(25, lambda: self.view.fit(check))

        self.view.fit(check)

    def _wait(self, start: Callable[[Callable[..., None]], Any], problem: str) -> Any:
        return wait_for(start, problem)

    def _pause(self, ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()


def wait_for(start: Callable[[Callable[..., None]], Any], problem: str,
             timeout_ms: int = SETTLE_TIMEOUT_MS) -> Any:
    """Run `start(done)` and turn a local event loop until `done(value)` is called.

    The page answers asynchronously (runJavaScript callbacks); a command has no other work
    for the loop, so it simply waits, with a limit so a stuck engine becomes an error.
    """
    loop = QEventLoop()
    results: list[Any] = []

    def done(value: Any = None) -> None:
        results.append(value)
        loop.quit()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(timeout_ms)
    start(done)
    if not results:
        loop.exec()
    timer.stop()
    if not results:
        raise RenderError(f"{problem} within {timeout_ms // 1000} s")
    return results[0]


def image_to_rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def write_clip(frames: Iterator[QImage], out: Path, fps: float,
               progress: Callable[[int], None] | None = None) -> int:
    """Encode frames as MP4 (H.264) or GIF, by the file's suffix; return the frame count."""
    suffix = out.suffix.lower()
    if suffix not in (".mp4", ".gif"):
        raise RenderError(f"{out.name}: a clip is written as .mp4 or .gif")
    count = 0
    with av.open(str(out), mode="w") as container:
        stream = None
        for image in frames:
            rgb = image_to_rgb(image)
            if suffix == ".mp4":  # H.264 wants even dimensions
                rgb = rgb[: rgb.shape[0] // 2 * 2, : rgb.shape[1] // 2 * 2]
            if stream is None:
                stream = _open_stream(container, suffix, rgb.shape[1], rgb.shape[0], fps)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            container.mux(stream.encode(frame))
            count += 1
            if progress is not None:
                progress(count)
        if stream is not None:
            container.mux(stream.encode(None))
    return count


def _open_stream(container: Any, suffix: str, width: int, height: int, fps: float) -> Any:
    rate = Fraction(fps).limit_denominator(1000)
    if suffix == ".mp4":
        stream = container.add_stream("libx264", rate=rate)
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
    else:
        stream = container.add_stream("gif", rate=rate)
        stream.pix_fmt = "rgb8"
    stream.width, stream.height = width, height
    return stream
