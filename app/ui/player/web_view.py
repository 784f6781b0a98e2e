"""The web view the replay is drawn in, and the few calls the application makes into it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from PySide6.QtCore import Qt, Signal
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from app.ui.player.sandbox import PLAYER_URL, AssetFetcher, PlayerPage, player_profile

Event = dict[str, Any]


class ReplayWebView(QWebEngineView):
    """Hosts player.html; `reset`/`apply` hand events to its replay engine.

    Calls made before the page has loaded are queued and run once it is ready, in order.
    """

    ready = Signal()
    stateChanged = Signal(dict)  # {href, width, height, errors} after each call

    def __init__(self, fetch_asset: AssetFetcher | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = player_profile()
        self.setPage(PlayerPage(self.profile, self))
        self._asset_host = self.profile.asset_handler.register(fetch_asset)
        self._blocked_from = self.profile.interceptor.count()
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAcceptDrops(False)
        self.is_ready = False
        self._closing = False
        self._queued: list[tuple[str, Callable[[Any], None] | None]] = []
        self.loadFinished.connect(self._loaded)
        self._call("tapeview.configure(" + orjson.dumps({"assetHost": self._asset_host})
                   .decode() + ")", None)
        self.load(PLAYER_URL)

    def reset(self, events: list[Event], done: Callable[[Any], None] | None = None) -> None:
        """Rebuild the page from these events (a checkpoint plus what follows), instantly."""
        self._call("tapeview.reset(" + _as_json_text(events) + ")", done)

    def apply(self, events: list[Event], done: Callable[[Any], None] | None = None) -> None:
        """Play these events forward (pointer moves, ripples and all)."""
        if events:
            self._call("tapeview.apply(" + _as_json_text(events) + ")", done)

    def fit(self, done: Callable[[Any], None] | None = None) -> None:
        """Scale the recorded viewport to the view's current size now (not on the next
        resize event)."""
        self._call("tapeview.fit()", done)

    def when_settled(self, done: Callable[[bool], None]) -> None:
        """Ask whether every image and font of the replayed page has loaded."""
        self._call("tapeview.settled()", done)

    def evaluate(self, script: str, done: Callable[[Any], None] | None = None) -> None:
        """Run a script of the player page (not of the replayed page, which runs none)."""
        self._call(script, done)

    def blocked_requests(self) -> list[str]:
        """Requests the engine blocked since this view was made."""
        return self.profile.interceptor.blocked(self._blocked_from)

    def _call(self, script: str, done: Callable[[Any], None] | None) -> None:
        if self._closing:
            return
        if not self.is_ready:
            self._queued.append((script, done))
            return
        self.page().runJavaScript(script, 0, lambda result: self._returned(result, done))

    def _returned(self, result: Any, done: Callable[[Any], None] | None) -> None:
        if self._closing:
            return  # answers that arrive while the page is torn down go nowhere
        if isinstance(result, str) and result.startswith("{"):
            result = orjson.loads(result)
            self.stateChanged.emit(result)
        if done is not None:
            done(result)

    def _loaded(self, ok: bool) -> None:
        if not ok or self.is_ready:
            return
        self.is_ready = True
        queued, self._queued = self._queued, []
        for script, done in queued:
            self._call(script, done)
        self.ready.emit()

    def shutdown(self) -> None:
        """Forget queued calls and ignore late answers; the page (and then its profile) go
        with the view."""
        self._closing = True
        self._queued.clear()
        self.profile.asset_handler.unregister(self._asset_host)
        self.page().triggerAction(QWebEnginePage.WebAction.Stop)


def _as_json_text(events: list[Event]) -> str:
    """`JSON.parse("…")`: the engine parses JSON text about twice as fast as the same data
    written as a JavaScript literal."""
    return "JSON.parse(" + orjson.dumps(orjson.dumps(events).decode()).decode() + ")"
