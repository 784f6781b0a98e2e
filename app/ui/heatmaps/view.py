"""The window's heatmap tab: choose a page, see where visitors clicked, moved or scrolled on it,
and open the sessions behind a hot spot.

Every step runs off the GUI thread: the points are collected on the cache worker (after
finding those of sessions cached before heatmaps, with progress), the page is drawn by a
child process (`background_process`), and binning, placing clicks, listing a spot's
sessions and exporting run on the compute thread. Changing the map's kind or opacity reuses
the points and the page; a new page or filter collects again, and the page is drawn again
only when the URL, the background session or the clicks' targets changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.cache.queries import SessionQuery
from app.core.display import offset
from app.core.heatmaps.collect import KINDS, HeatmapPoints, HeatmapQuery, Kind, collect_points
from app.core.heatmaps.grid import write_bins_csv
from app.core.heatmaps.layers import Heatmap, build_heatmap
from app.core.heatmaps.pages import PageChoice, pages_shown
from app.core.heatmaps.placement import layouts_needed
from app.core.heatmaps.spots import SpotSession, sessions_clicked_near
from app.core.heatmaps.store import update_points
from app.core.search.conditions import DEVICE_TYPES, UrlRule
from app.core.search.errors import FilterError
from app.ui.choice_box import choice_box
from app.ui.date_range import DateRange
from app.ui.export_file import export_file
from app.ui.heatmaps import png
from app.ui.heatmaps.background_process import (
    Background,
    BackgroundRenderer,
    BackgroundRequest,
)
from app.ui.heatmaps.plot import DEFAULT_OPACITY, HeatmapPlot
from app.ui.list_scope import ListScope
from app.ui.replay_list import ReplayList, ReplayRow
from app.ui.task_progress import TaskProgress
from app.ui.tasks import Task, TaskContext, TaskManager, describe_error

SPOT_RADIUS_PX = 16.0
KIND_TITLES: dict[Kind, str] = {"click": "Clicks", "move": "Mouse moves",
                                "scroll": "Scroll depth"}
RULE_TITLES: dict[UrlRule, str] = {"simple": "Simple (ignore query string)",
                                   "exact": "Exact URL", "substring": "URL contains"}
SPOT_HINT = "Click a hot spot of a click map to list the sessions that clicked there."


@dataclass(frozen=True)
class Collected:
    """What the cache worker found for a query: the points and the targets to measure."""

    query: HeatmapQuery
    points: HeatmapPoints
    layouts: dict[int, list[str]]


class HeatmapView(QWidget):
    """A heatmap of one page over all cached sessions (or those the list's filter keeps)."""

    replayRequested = Signal(str, int)  # a session id, the offset (ms) to start it at
    messageShown = Signal(str)  # for the window's status line (what was exported)
    drawn = Signal()  # a map is shown (the page and the points it was asked for)

    def __init__(self, tasks: TaskManager, cache_url: str,
                 list_query: Callable[[], SessionQuery], page: str | None = None,
                 prefer: str | None = None, parent: QWidget | None = None) -> None:
        """`page` (a URL) is shown at once, drawn from session `prefer` where it can be."""
        super().__init__(parent)
        self._tasks = tasks
        self._cache_url = cache_url
        self._task: Task | None = None
        self._collected: Collected | None = None
        self._background: Background | None = None
        # What the page shown was drawn for (URL, rule, chosen session, targets measured).
        self._background_key: tuple[object, ...] | None = None
        self._drawing_key: tuple[object, ...] | None = None
        self._heatmap: Heatmap | None = None
        self._spots: list[SpotSession] = []
        self._prefer = prefer
        self._generation = 0
        self.renderer = BackgroundRenderer(tasks, self)
        self.renderer.finished.connect(self._page_drawn)
        self.renderer.failed.connect(self._page_failed)
        self.list_filter = ListScope(list_query)
        self._build()
        self._tasks.run("List the pages", lambda context: _pages(context),
                        self._pages_listed)
        if page:
            self.page_edit.setEditText(page)
            self.show_heatmap()

    @property
    def heatmap(self) -> Heatmap | None:
        return self._heatmap

    @property
    def background(self) -> Background | None:
        return self._background

    @property
    def spot_sessions(self) -> list[SpotSession]:
        return self._spots

    # Asking ------------------------------------------------------------------------------

    def query(self) -> HeatmapQuery:
        """The heatmap the inputs ask for; FilterError says what is wrong with them."""
        url = self.page_edit.currentText().strip()
        if not url:
            raise FilterError("Choose a page: a URL, a path, or text in the URL.")
        project_id, search = self.list_filter.scope()
        return HeatmapQuery(url, rule=self.rule_box.currentData(),
                            device=self.device_box.currentData(),
                            after_ms=self.dates.after_ms(), before_ms=self.dates.before_ms(),
                            filter=search, project_id=project_id)

    def show_heatmap(self) -> None:
        """Collect the points of the page the inputs name, then draw them over the page."""
        try:
            query = self.query()
        except FilterError as exc:
            self._say(str(exc), problem=True)
            return
        self._stop()
        generation = self._generation
        self.progress.start()
        self.progress.update_progress(0, 0, "Finding the page's points…")
        self._say("")
        self._task = self._tasks.run(
            "Collect the heatmap's points", lambda context: _collect(context, query),
            lambda collected: self._collected_points(generation, collected),
            lambda error: self._failed(generation, describe_error(error)),
            self.progress.update_progress)

    def other_background(self) -> None:
        """Draw the page from the next matching session that has a snapshot of it."""
        if self._collected is None or self._background is None:
            return
        ids = self._backgrounds()
        current = ids.index(self._background.session_id) \
            if self._background.session_id in ids else -1
        self._draw_page(ids[current + 1:] + ids[:current + 1], force=True)

    def export_png(self, path: Path | None = None) -> QFileDialog | None:
        """Write the map over the page as the shell's `tapeview heatmap` does."""
        heatmap, page = self._heatmap, self._background
        if heatmap is None or page is None:
            return None

        def write(chosen: Path) -> str:
            if not png.draw(page.rgb, heatmap).save(str(chosen)):
                raise OSError(f"cannot write {chosen}")
            return f"Wrote {chosen}"

        return self._export(path, "Export Heatmap as PNG", "PNG images (*.png)",
                            f"heatmap-{heatmap.kind}.png", write)

    def export_csv(self, path: Path | None = None) -> QFileDialog | None:
        """Write the bins holding points as x,y,count (a click or move map)."""
        heatmap = self._heatmap
        grid = heatmap.grid if heatmap is not None else None
        if heatmap is None or grid is None:
            return None

        def write(chosen: Path) -> str:
            with chosen.open("w", encoding="utf-8", newline="") as out:
                rows = write_bins_csv(grid, out)
            return f"Wrote {rows:,} bins to {chosen}"

        return self._export(path, "Export Heatmap Bins as CSV", "CSV files (*.csv)",
                            f"heatmap-{heatmap.kind}.csv", write)

    def shutdown(self) -> None:
        self._stop()

    # Steps -------------------------------------------------------------------------------

    def _collected_points(self, generation: int, collected: Collected) -> None:
        if generation != self._generation:
            return
        self._task = None
        points = collected.points
        if not points.session_count:
            self._finish()
            self.plot.clear_map()
            device = f" at {collected.query.device} size" if collected.query.device else ""
            self._say(f"No cached session showed a page matching {collected.query.url!r} "
                      f"({collected.query.rule}){device} with these filters.", problem=True)
            return
        self._collected = collected
        self._draw_page(self._backgrounds())

    def _draw_page(self, candidates: tuple[str, ...], force: bool = False) -> None:
        assert self._collected is not None
        query = self._collected.query
        key = (query.url, query.rule, candidates[0] if force else None,
               tuple(sorted((width, tuple(s)) for width, s in self._collected.layouts.items())))
        if self._background is not None and key == self._background_key:
            self._redraw()
            return
        self._drawing_key = key  # becomes the background's when it arrives
        self.progress.start()
        self.progress.update_progress(0, 0, "Drawing the page…")
        self.renderer.start(BackgroundRequest(self._cache_url, candidates, query.url,
                                              query.rule, self._collected.layouts))

    def _page_drawn(self, background: Background) -> None:
        self._background, self._background_key = background, self._drawing_key
        self.plot.show_page(background.rgb)
        self._redraw()

    def _page_failed(self, message: str) -> None:
        self._finish()
        self._say(f"The page could not be drawn: {message}", problem=True)

    def _redraw(self) -> None:
        """The chosen kind of map over the page drawn, from the points collected."""
        if self._collected is None or self._background is None:
            return
        self._stop_task()
        generation = self._generation
        points, page, kind = self._collected.points, self._background, self._kind()
        self.progress.start()
        self.progress.update_progress(0, 0, "Drawing the map…")
        self._task = self._tasks.compute(
            "Draw the heatmap", lambda _cancel, _progress: build_heatmap(
                points, kind, page.width, page.height, page.measured, page.boxes),
            lambda heatmap: self._show(generation, heatmap),
            lambda error: self._failed(generation, describe_error(error)))

    def _show(self, generation: int, heatmap: Heatmap) -> None:
        if generation != self._generation:
            return
        self._task = None
        self._finish()
        self._heatmap = heatmap
        if heatmap.scroll is not None:
            self.plot.show_scroll(heatmap.scroll, heatmap.width, heatmap.height,
                                  png.DEFAULT_BIN_PX)
        elif heatmap.grid is not None:
            # Read as points within a spot, what hovering says: bins in a spot's circle.
            self.plot.show_density(heatmap.grid, f"{heatmap.kind}s within {SPOT_RADIUS_PX:g} px"
                                   " (smoothed)", math.pi * (SPOT_RADIUS_PX
                                                           / heatmap.grid.bin_px) ** 2)
        self._show_spot_sessions([], "")
        assert self._background is not None
        self.counts_label.setText(heatmap.summary())
        self.background_label.setText(
            f"The page as session {self._background.session_id[:8]} showed it at "
            f"{offset(self._background.offset_ms)}, {heatmap.width} x {heatmap.height} px.")
        self.export_csv_button.setEnabled(heatmap.grid is not None)
        self.export_png_button.setEnabled(True)
        self.other_button.setEnabled(heatmap.points.session_count > 1)
        self.drawn.emit()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._task = None
            self._finish()
            self._say(message, problem=True)

    # The pointer -------------------------------------------------------------------------

    def _hovered(self, x: float, y: float) -> None:
        heatmap = self._heatmap
        if heatmap is None:
            return
        if heatmap.scroll is not None:
            scroll = heatmap.scroll
            share = scroll.share_at(y)
            reached = round(float(share) * scroll.sessions)
            text = f"{share:.0%} of sessions saw this ({reached:,} of {scroll.sessions:,})"
        elif heatmap.grid is not None:
            count = heatmap.grid.count_near(x, y, SPOT_RADIUS_PX)
            text = f"{count:,} {heatmap.kind}{'' if count == 1 else 's'} here" if count else ""
        else:
            text = ""
        self.plot.show_tip(x, y, text)

    def _spot_clicked(self, x: float, y: float) -> None:
        heatmap = self._heatmap
        if heatmap is None or heatmap.kind != "click":
            return
        self.plot.mark_spot(x, y, SPOT_RADIUS_PX)
        points = heatmap.points
        self._tasks.compute("List the spot's sessions", lambda _cancel, _progress:
                            sessions_clicked_near(points, x, y, SPOT_RADIUS_PX),
                            lambda spots: self._show_spot_sessions(
                                spots, f"at {x:.0f}, {y:.0f} px" if heatmap is self._heatmap
                                else ""))

    def _show_spot_sessions(self, spots: list[SpotSession], where: str) -> None:
        self._spots = spots
        rows = [ReplayRow((spot.session_id[:12], f"{spot.clicks:,}", offset(spot.offset_ms)),
                          spot.session_id, spot.offset_ms,
                          f"Session {spot.session_id}: {spot.clicks} click(s) here, the first "
                          f"at {offset(spot.offset_ms)}. Double-click to replay it from there.")
                for spot in spots]
        clicks = sum(spot.clicks for spot in spots)
        self.spot_list.show_rows(
            f"{len(spots):,} session(s), {clicks:,} click(s) within {SPOT_RADIUS_PX:g} px "
            f"{where}" if spots else "Sessions clicked here", rows,
            f"No clicks within {SPOT_RADIUS_PX:g} px {where}." if where else SPOT_HINT)

    def _export(self, path: Path | None, title: str, name_filter: str, suggested: str,
                write: Callable[[Path], str]) -> QFileDialog | None:
        return export_file(self, self._tasks, path, title, name_filter, suggested, write,
                           self.messageShown.emit, lambda why: self._say(why, problem=True))

    # Small things ------------------------------------------------------------------------

    def _backgrounds(self) -> tuple[str, ...]:
        """Sessions to draw the page from, in order: the one the tab was opened from first
        (what the reviewer was looking at), then by the most common viewport width."""
        assert self._collected is not None
        ids = self._collected.points.backgrounds()
        if self._prefer in ids:
            ids = (self._prefer, *(other for other in ids if other != self._prefer))
        return ids

    def _kind(self) -> Kind:
        return self.kind_box.currentData()

    def _pages_listed(self, pages: list[PageChoice]) -> None:
        typed = self.page_edit.currentText()
        self.page_edit.clear()
        for choice in pages:
            self.page_edit.addItem(choice.page)
            self.page_edit.setItemData(self.page_edit.count() - 1,
                                       f"{choice.visits:,} visit(s)", Qt.ItemDataRole.ToolTipRole)
        if typed:
            self.page_edit.setEditText(typed)
        elif pages:
            self.page_edit.setCurrentIndex(0)
            self.show_heatmap()  # the most visited page, at once
        else:
            self._say("No page visits are cached yet: import or sync sessions first.",
                      problem=True)

    def _stop(self) -> None:
        """Forget work under way: a new query replaces it."""
        self._generation += 1
        self._stop_task()
        self.renderer.cancel()
        self._finish()

    def _stop_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _cancel(self) -> None:
        self._stop()
        self._say("Stopped.")

    def _finish(self) -> None:
        self.progress.hide()

    def _say(self, text: str, problem: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet("color: #b00020;" if problem else "")

    # Building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.page_edit = QComboBox()
        self.page_edit.setEditable(True)
        self.page_edit.setMinimumWidth(280)
        self.page_edit.lineEdit().setPlaceholderText("Page: URL, /path or text in the URL")
        self.page_edit.lineEdit().returnPressed.connect(self.show_heatmap)
        self.rule_box = choice_box(RULE_TITLES.items())
        self.device_box = choice_box([(None, "Any device"), *((device, device.capitalize())
                                                             for device in DEVICE_TYPES)])
        self.kind_box = choice_box((kind, KIND_TITLES[kind]) for kind in KINDS)
        self.kind_box.currentIndexChanged.connect(self._redraw)
        self.dates = DateRange()
        self.show_button = QPushButton("Show")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.show_heatmap)

        first = QHBoxLayout()
        first.addWidget(self.page_edit, stretch=1)
        first.addWidget(self.rule_box)
        first.addWidget(self.device_box)
        first.addWidget(self.kind_box)
        first.addWidget(self.show_button)
        second = QHBoxLayout()
        second.addLayout(self.dates.layout)
        second.addWidget(self.list_filter)
        second.addStretch(1)
        second.addWidget(QLabel("Opacity"))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(DEFAULT_OPACITY * 100))
        self.opacity.setMaximumWidth(140)
        self.opacity.valueChanged.connect(lambda value: self.plot.set_opacity(value / 100))
        second.addWidget(self.opacity)

        self.plot = HeatmapPlot()
        self.plot.hovered.connect(self._hovered)
        self.plot.spotClicked.connect(self._spot_clicked)

        self.counts_label = QLabel()
        self.background_label = QLabel()
        self.background_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.progress = TaskProgress("Working…", "Stop collecting points or drawing the page",
                                     "Stopping…")
        self.progress.cancelRequested.connect(self._cancel)
        self.other_button = QPushButton("Other Background")
        self.other_button.setToolTip("Draw the page from the next matching session's snapshot")
        self.other_button.clicked.connect(self.other_background)
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.clicked.connect(lambda: self.export_png())
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setToolTip("The bins holding points as x,y,count (bin centre "
                                          "in page px)")
        self.export_csv_button.clicked.connect(lambda: self.export_csv())
        for button in (self.other_button, self.export_png_button, self.export_csv_button):
            button.setEnabled(False)
        footer = QHBoxLayout()
        footer.addWidget(self.counts_label)
        footer.addWidget(self.message_label, stretch=1)
        footer.addWidget(self.progress)
        footer.addWidget(self.other_button)
        footer.addWidget(self.export_png_button)
        footer.addWidget(self.export_csv_button)

        self.spot_list = ReplayList("Sessions clicked here", ("Session", "Clicks", "First at"),
                                    SPOT_HINT, "Replay at the Click")
        self.spot_list.replayRequested.connect(self.replayRequested.emit)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 0, 0, 0)
        side_layout.addWidget(self.spot_list, stretch=1)
        side_layout.addWidget(self.background_label)

        splitter = QSplitter()
        splitter.addWidget(self.plot)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([960, 280])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(splitter, stretch=1)
        layout.addLayout(footer)


def _collect(context: TaskContext, query: HeatmapQuery) -> Collected:
    """On the cache worker: the points of sessions cached before heatmaps first."""
    update_points(context.cache, context.progress, context.cancel)
    context.progress(0, 0, "Collecting the page's points…")
    with context.cache.read_session() as session:
        points = collect_points(session, query)
    return Collected(query, points, layouts_needed(points.clicks))


def _pages(context: TaskContext) -> list[PageChoice]:
    with context.cache.read_session() as session:
        return pages_shown(session)
