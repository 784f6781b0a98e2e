"""Play, pause, seek and skip: drives a replay session into the web view on a timer.

The clock lives here (a QElapsedTimer read by a 60 Hz QTimer); what to apply when comes from
`app.core.replay`. Seeks are coalesced: while the page rebuilds, only the latest requested
position is kept, so dragging the playhead never queues up stale work.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal

from app.core.replay.playback import PlaybackCursor
from app.core.replay.session import ReplaySession
from app.core.replay.timeline import Timeline
from app.ui.player.web_view import ReplayWebView

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
# A seek that would replay more than this many events waits for the checkpoints being built
# (a second or two) rather than push the whole recording through the page.
MAX_UNPREPARED_EVENTS = 5_000
TICK_MS = 16
JUMP_MS = 5_000


class PlaybackController(QObject):
    positionChanged = Signal(int)  # offset from the first event, ms
    playingChanged = Signal(bool)
    seekingChanged = Signal(bool)

    def __init__(self, view: ReplayWebView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.replay: ReplaySession | None = None
        self.timeline: Timeline | None = None
        self.cursor: PlaybackCursor | None = None
        self.speed = 1.0
        self.skip_idle = True
        self.playing = False
        self.offset_ms = 0
        self._clock = QElapsedTimer()
        self._clock_origin_ms = 0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._seeking = False
        self._pending_seek: int | None = None
        self._awaiting_checkpoints: int | None = None

    @property
    def duration_ms(self) -> int:
        return self.replay.duration_ms if self.replay else 0

    def open(self, replay: ReplaySession) -> None:
        """Show the first frame at once; seeking gets fast as checkpoints arrive."""
        self.replay = replay
        self._pending_seek = self._awaiting_checkpoints = None
        plan = replay.first_frame()
        self.cursor = PlaybackCursor(replay, plan.next_index, replay.start_ms)
        self.offset_ms = 0
        self._seeking = True
        self.view.reset(plan.forward, lambda _state: self._seek_done())
        self.positionChanged.emit(0)

    def set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline

    # -- transport ------------------------------------------------------------------------------

    def play(self) -> None:
        if self.replay is None or self.playing:
            return
        if self.offset_ms >= self.duration_ms:
            self.seek(0)
        self.playing = True
        self._restart_clock()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self.playing = False
        self._timer.stop()
        self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        self._restart_clock()

    def set_skip_idle(self, skip: bool) -> None:
        self.skip_idle = skip

    def jump(self, delta_ms: int) -> None:
        self.seek(self.offset_ms + delta_ms)

    def step(self, direction: int) -> None:
        """To the previous or next moment anything happened (one frame of the recording)."""
        if self.replay is None:
            return
        self.pause()
        now = self.replay.start_ms + self.offset_ms
        if direction > 0:
            index = self.replay.index_after(now)
            target = next((e["timestamp"] for _, e in self.replay.events(index)), None)
        else:
            index = self.replay.index_after(now - 1)
            target = None
            for _, event in self.replay.events(max(0, index - 50), index):
                if event["timestamp"] < now:
                    target = event["timestamp"]
        if target is not None:
            self.seek(int(target) - self.replay.start_ms)

    def seek(self, offset_ms: int) -> None:
        if self.replay is None:
            return
        offset_ms = max(0, min(self.duration_ms, offset_ms))
        self.offset_ms = offset_ms
        self.positionChanged.emit(offset_ms)
        if self._seeking:
            self._pending_seek = offset_ms  # the page is rebuilding: keep only the latest
            return
        self._start_seek(offset_ms)

    def checkpoints_ready(self) -> None:
        """Run the seek that was waiting for checkpoints, if any."""
        if self._awaiting_checkpoints is not None:
            offset, self._awaiting_checkpoints = self._awaiting_checkpoints, None
            self._seeking = False
            self._start_seek(self._pending_seek if self._pending_seek is not None else offset)
            self._pending_seek = None

    def _start_seek(self, offset_ms: int) -> None:
        assert self.replay is not None
        target = self.replay.start_ms + offset_ms
        plan = self.replay.plan_seek(target)
        if len(plan.forward) > MAX_UNPREPARED_EVENTS and not self.replay.checkpoints_done:
            self._awaiting_checkpoints = offset_ms
            self._seeking = True
            self.seekingChanged.emit(True)
            return
        self.cursor = PlaybackCursor(self.replay, plan.next_index, target)
        self._seeking = True
        self.seekingChanged.emit(True)
        self.view.reset(plan.restore + plan.forward, lambda _state: self._seek_done())
        self._restart_clock()

    def _seek_done(self) -> None:
        self._seeking = False
        pending, self._pending_seek = self._pending_seek, None
        if pending is not None:
            self._start_seek(pending)
            return
        self.seekingChanged.emit(False)
        self._restart_clock()

    # -- the clock ------------------------------------------------------------------------------

    def _restart_clock(self) -> None:
        self._clock.start()
        self._clock_origin_ms = self.offset_ms

    def _tick(self) -> None:
        if self.replay is None or self.cursor is None or self._seeking:
            return
        offset = self._clock_origin_ms + int(self._clock.elapsed() * self.speed)
        if self.skip_idle and self.timeline is not None:
            span = self.timeline.idle_span_at(offset)
            if span is not None:
                self.seek(span.end_ms)  # jump the whole stretch, however long
                return
        offset = min(offset, self.duration_ms)
        self.offset_ms = offset
        self.view.apply(self.cursor.advance(self.replay.start_ms + offset))
        self.positionChanged.emit(offset)
        if offset >= self.duration_ms:
            self.pause()
