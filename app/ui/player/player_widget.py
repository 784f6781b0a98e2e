"""One session's replay: the page, its timeline and the transport controls, with the
inspector (events, console, network, errors, visitor, notes) beside them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.cache.assets import Asset, load_asset
from app.core.cache.queries import SessionInfo, load_replay_chunks
from app.core.cache.visitors import VisitorSessions, visitor_sessions
from app.core.replay.inspection import Inspection
from app.core.replay.session import ReplaySession
from app.core.replay.timeline import Timeline
from app.ui import formatting
from app.ui.player.annotations import Annotations
from app.ui.player.controller import JUMP_MS, SPEEDS, PlaybackController
from app.ui.player.inspector import Inspector
from app.ui.player.notes_panel import NoteDialog
from app.ui.player.share_button import ShareButton
from app.ui.player.timeline_bar import TimelineBar
from app.ui.player.web_view import ReplayWebView
from app.ui.tasks import Task, TaskContext, TaskManager


class PlayerWidget(QWidget):
    """Loads a session off the GUI thread, shows its first frame, then gets seek-ready."""

    ready = Signal()  # the first frame is shown
    seekReady = Signal()  # checkpoints are built: every seek is fast
    sessionRequested = Signal(object)  # the inspector asks to replay another SessionInfo
    messageShown = Signal(str)  # for the window's status line (e.g. what was copied)
    heatmapRequested = Signal(str)  # the heatmap of the page shown (its URL)

    def __init__(self, tasks: TaskManager, info: SessionInfo,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.info = info
        self.replay: ReplaySession | None = None
        self._chunks: tuple[list[Any], list[str]] | None = None
        self._tasks: list[Task] = []
        self._closed = False  # answers that arrive after `shutdown` find no widgets to fill
        self.view = ReplayWebView(self._fetch_asset, self)
        self.controller = PlaybackController(self.view, self)
        self.timeline_bar = TimelineBar(self)
        self.inspector = Inspector(info)
        self.annotations = Annotations(tasks, info, self.timeline_bar, self.inspector,
                                       self.session_offset_ms, self)
        self._build()
        self._connect()
        self._load()

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.url_label = QLabel("Loading…")
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.viewport_label = QLabel()
        self.clock_label = QLabel()
        info_row = QHBoxLayout()
        info_row.addWidget(self.url_label, stretch=1)
        info_row.addWidget(self.viewport_label)
        info_row.addWidget(self.clock_label)

        self.play_button = self._button(QStyle.StandardPixmap.SP_MediaPlay,
                                        "Play or pause (Space)", self.controller.toggle)
        self.back_button = self._button(QStyle.StandardPixmap.SP_MediaSeekBackward,
                                        "One step back (,)", lambda: self.controller.step(-1))
        self.forward_button = self._button(QStyle.StandardPixmap.SP_MediaSeekForward,
                                           "One step forward (.)",
                                           lambda: self.controller.step(1))
        self.time_label = QLabel("0:00 / 0:00")
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}\N{MULTIPLICATION SIGN}", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed")
        self.skip_box = QCheckBox("Skip inactivity")
        self.skip_box.setChecked(True)
        self.window_box = QComboBox()
        self.window_box.setToolTip("Browser window (tab) to replay")
        self.window_box.hide()
        self.status_label = QLabel()
        self.status_label.setForegroundRole(self.status_label.foregroundRole())
        self.inspector_button = QToolButton()
        self.inspector_button.setText("Inspector")
        self.inspector_button.setCheckable(True)
        self.inspector_button.setChecked(True)
        self.inspector_button.setToolTip("Show or hide the events, console, network, errors, "
                                         "visitor and notes beside the replay")
        self.share_button = ShareButton(self.tasks, self.info, self.session_offset_ms)
        self.note_button = QToolButton()
        self.note_button.setText("Add Note")
        self.note_button.setToolTip("Add a note at this moment (N)")
        self.heatmap_button = QToolButton()
        self.heatmap_button.setText("Heatmap")
        self.heatmap_button.setToolTip("Where every cached session clicked on the page shown")
        self.heatmap_button.clicked.connect(self._request_heatmap)
        controls = QHBoxLayout()
        for widget in (self.back_button, self.play_button, self.forward_button, self.time_label):
            controls.addWidget(widget)
        controls.addStretch(1)
        for widget in (self.status_label, self.window_box, self.skip_box, self.speed_box,
                       self.note_button, self.share_button, self.heatmap_button,
                       self.inspector_button):
            controls.addWidget(widget)

        replay = QWidget()
        layout = QVBoxLayout(replay)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(info_row)
        layout.addWidget(self.view, stretch=1)
        layout.addWidget(self.timeline_bar)
        layout.addLayout(controls)
        self.splitter = QSplitter()
        self.splitter.addWidget(replay)
        self.splitter.addWidget(self.inspector)
        self.splitter.setCollapsible(0, False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([900, 400])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self.splitter)

        for key, action in ((Qt.Key.Key_Space, self.controller.toggle),
                            (Qt.Key.Key_Left, lambda: self.controller.jump(-JUMP_MS)),
                            (Qt.Key.Key_Right, lambda: self.controller.jump(JUMP_MS)),
                            (Qt.Key.Key_Comma, lambda: self.controller.step(-1)),
                            (Qt.Key.Key_Period, lambda: self.controller.step(1)),
                            (Qt.Key.Key_N, self.add_note)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

    def _button(self, icon: QStyle.StandardPixmap, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(self.style().standardIcon(icon))
        button.setToolTip(tip)
        button.setMinimumWidth(34)
        button.clicked.connect(slot)
        return button

    def _connect(self) -> None:
        self.timeline_bar.seekRequested.connect(self.controller.seek)
        self.controller.positionChanged.connect(self._show_position)
        self.controller.playingChanged.connect(self._show_playing)
        self.speed_box.currentIndexChanged.connect(
            lambda _i: self.controller.set_speed(self.speed_box.currentData()))
        self.skip_box.toggled.connect(self.controller.set_skip_idle)
        self.window_box.currentIndexChanged.connect(self._switch_window)
        self.view.stateChanged.connect(self._show_page)
        self.controller.positionChanged.connect(self.inspector.set_position)
        self.inspector.seekRequested.connect(self.controller.seek)
        self.inspector.sessionRequested.connect(self.sessionRequested)
        self.inspector_button.toggled.connect(self._show_inspector)
        self.share_button.copied.connect(self.messageShown)
        self.note_button.clicked.connect(self.add_note)
        self.inspector.notes.addRequested.connect(self.add_note)
        self.inspector.notes.editRequested.connect(self.annotations.edit_note)
        self.inspector.notes.deleteRequested.connect(self.annotations.delete_note)
        self.inspector.feed.defineRequested.connect(self.annotations.define_from)
        self.annotations.messageShown.connect(self.messageShown)
        self.splitter.splitterMoved.connect(
            lambda _pos, _index: self.inspector_button.setChecked(self.splitter.sizes()[1] > 0))

    # -- loading -------------------------------------------------------------------------------

    def _fetch_asset(self, url: str, deliver: Callable[[Asset | None], None]) -> None:
        """Page resources come from the cache's asset store, read on the cache worker."""
        self.tasks.run("Load a page resource",
                       lambda context: load_asset(context.cache, url), deliver,
                       lambda _error: deliver(None))

    def _load(self) -> None:
        session_id = self.info.id

        def read(context: TaskContext) -> tuple[list[Any], list[str]]:
            with context.cache.read_session() as session:
                return load_replay_chunks(session, session_id)

        self._tasks.append(self.tasks.run("Open the replay", read, self._loaded,
                                          self._failed))
        self._tasks.append(self.tasks.run(
            "Find the visitor's sessions",
            lambda context: _visitor_sessions(context, session_id), self._visitor_found))

    def _loaded(self, chunks: tuple[list[Any], list[str]]) -> None:
        self._chunks = chunks
        windows = chunks[1]
        if len(windows) > 1:
            self.window_box.blockSignals(True)
            for number in range(len(windows)):
                self.window_box.addItem(f"Window {number + 1}")
            self.window_box.blockSignals(False)
            self.window_box.show()
        self._open_window(0)

    def _open_window(self, window: int) -> None:
        assert self._chunks is not None
        chunks, windows = self._chunks
        try:
            replay = ReplaySession(self.info.id, chunks, windows, window)
        except ValueError as exc:
            self._failed(exc)
            return
        self.replay = replay
        self.controller.open(replay)
        self.annotations.open_window(replay.start_ms, window)
        self.ready.emit()
        self.status_label.setText("Preparing the timeline…")
        self._tasks.append(self.tasks.compute(
            "Read the events and console",
            lambda cancel, _progress: replay.overview(cancel),
            lambda overview: self._overview_ready(replay, *overview), self._failed))
        self._tasks.append(self.tasks.compute(
            "Prepare fast seeking",
            lambda cancel, progress: replay.build_checkpoints(progress, cancel),
            lambda _result: self._seek_ready(replay), self._failed, self._checkpoint_progress))

    def _switch_window(self, window: int) -> None:
        if self._chunks is not None and window >= 0:
            self.controller.pause()
            self._open_window(window)

    def _overview_ready(self, replay: ReplaySession, timeline: Timeline,
                        inspection: Inspection) -> None:
        if replay is not self.replay or self._closed:  # another window shown, or tab closed
            return
        self.timeline_bar.set_timeline(timeline)
        self.controller.set_timeline(timeline)
        self.inspector.show_inspection(inspection)

    def _visitor_found(self, result: VisitorSessions) -> None:
        if not self._closed:
            self.inspector.show_visitor(result)

    def _show_inspector(self, shown: bool) -> None:
        self.inspector.setVisible(shown)
        if shown and self.splitter.sizes()[1] == 0:  # it was dragged shut: open it again
            width = max(self.inspector.minimumWidth(), self.width() // 3)
            self.splitter.setSizes([self.width() - width, width])

    def _checkpoint_progress(self, done: int, total: int, _message: str) -> None:
        if total:
            self.status_label.setText(f"Preparing fast seeking… {100 * done // total}%")

    def _seek_ready(self, replay: ReplaySession) -> None:
        if replay is self.replay:
            self.status_label.setText("")
            self.controller.checkpoints_ready()
            self.seekReady.emit()

    def _failed(self, error: Exception) -> None:
        self.status_label.setText("")
        self.url_label.setText(f"Cannot replay this session: {error}")
        self.tasks.report_error("Replay", error)

    # -- showing -------------------------------------------------------------------------------

    def _show_position(self, offset_ms: int) -> None:
        self.timeline_bar.set_position(offset_ms)
        self.time_label.setText(f"{formatting.duration(offset_ms)} / "
                                f"{formatting.duration(self.controller.duration_ms)}")
        if self.replay is not None:
            self.clock_label.setText(formatting.local_time(self.replay.start_ms + offset_ms))

    def _show_playing(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing \
            else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _show_page(self, state: dict[str, Any]) -> None:
        href = str(state.get("href", ""))
        self.url_label.setText(href)
        self.url_label.setToolTip(href)
        width, height = state.get("width"), state.get("height")
        if width and height:
            self.viewport_label.setText(f"{int(width)} \N{MULTIPLICATION SIGN} {int(height)}")

    def _request_heatmap(self) -> None:
        href = self.url_label.toolTip()
        if href.startswith(("http://", "https://")):
            self.heatmapRequested.emit(href)
        else:
            self.messageShown.emit("No web page is shown yet to draw a heatmap of.")

    def add_note(self) -> NoteDialog:
        """Pause, and ask for a note at the moment shown."""
        self.controller.pause()
        return self.annotations.add_note_here()

    def session_offset_ms(self) -> int:
        """Where playback is, from the session's start (what links and steps count from)."""
        start = self.replay.start_ms if self.replay is not None else self.info.start_ms
        return max(0, start + self.controller.offset_ms - self.info.start_ms)

    def seek_to_session_offset(self, offset_ms: int) -> None:
        """Show the moment `offset_ms` after the session's start (a link's `t`), once the
        first frame is up."""
        def seek() -> None:
            assert self.replay is not None
            self.controller.seek(min(self.controller.duration_ms, max(
                0, self.info.start_ms + offset_ms - self.replay.start_ms)))

        if self.replay is not None:
            seek()
        else:
            self.ready.connect(seek, Qt.ConnectionType.SingleShotConnection)

    def shutdown(self) -> None:
        """Stop playback and background work; release the web page."""
        self._closed = True
        self.annotations.shutdown()
        self.controller.pause()
        for task in self._tasks:
            task.cancel()
        self.view.shutdown()


def _visitor_sessions(context: TaskContext, session_id: str) -> VisitorSessions:
    with context.cache.read_session() as session:
        return visitor_sessions(session, session_id)
