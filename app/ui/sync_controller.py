"""Syncing from the window: connect, choose projects, sync now, the demo server.

Everything that touches the network, the keyring or the embedded server runs on the task
manager's online threads; the window hears back by signal. One sync runs at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from PySide6.QtCore import QObject, Signal

from app.core.credentials import Saved, TokenStore
from app.core.sync import SyncError, SyncReport, normalize_server_url, sync
from app.core.sync.choice import (
    RemoteProject,
    SyncedServer,
    choose_projects,
    remote_projects,
    synced_servers,
)
from app.core.tasks import Cancelled
from app.ui.tasks import Task, TaskContext, TaskManager

if TYPE_CHECKING:
    from app.server.embedded import EmbeddedServer

NO_SERVER_EXTRA = ("The demo server needs Tapeview's server extra, which is not installed: "
                   "pip install 'tapeview[server]'")


def default_demo_folder() -> Path:
    """Where the demo server keeps its database and admin token, beside the user's data."""
    return Path(platformdirs.user_data_dir("tapeview", appauthor=False)) / "demo-server"


@dataclass(frozen=True)
class Listing:
    """What the connect dialog shows after a successful sign-in."""

    server_url: str
    projects: list[RemoteProject]
    saved: Saved | None  # where the token typed in was kept; None: a saved one was used


@dataclass(frozen=True)
class SyncOutcome:
    reports: list[SyncReport]  # one per server synced, the last possibly cancelled
    cancelled: bool

    def summary(self) -> str:
        if not self.reports:
            return "Sync cancelled." if self.cancelled else "Nothing to sync."
        return " ".join(report.summary() + "." for report in self.reports)


@dataclass(frozen=True)
class SyncRequest:
    server_url: str
    project_ids: tuple[str, ...] | None  # None: the projects chosen before


class SyncController(QObject):
    started = Signal()
    progressed = Signal(int, int, str)
    finished = Signal(object)  # SyncOutcome
    failed = Signal(str)  # why the sync stopped, for people; what came before stays
    stopped = Signal()  # after finished, failed or cancelled: the cache may have changed

    def __init__(self, tasks: TaskManager, tokens: TokenStore, demo_folder: Path | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks, self._tokens, self._demo_folder = tasks, tokens, demo_folder
        self._embedded: EmbeddedServer | None = None
        self._task: Task | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None

    def list_projects(self, server_url: str, token: str,
                      on_done: Callable[[Listing], None],
                      on_error: Callable[[Exception], None]) -> Task:
        """Sign in and list the projects the token may see; an empty `token` uses the one
        saved for the server. A typed token is saved once the server has accepted it."""

        def work(context: TaskContext) -> Listing:
            url = normalize_server_url(server_url)
            use = token.strip() or self._saved_token(url)
            projects = remote_projects(context.cache, url, use)
            saved = self._tokens.save(url, use) if token.strip() else None
            return Listing(url, projects, saved)

        return self._tasks.run_online("Connect to the server", work, on_done, on_error)

    def servers(self, on_done: Callable[[list[SyncedServer]], None]) -> Task:
        """The servers this cache syncs from, for the status line and "Sync now"."""

        def work(context: TaskContext) -> list[SyncedServer]:
            with context.cache.read_session() as session:
                return synced_servers(session)

        return self._tasks.run("Read the synced servers", work, on_done)

    def start(self, requests: Sequence[SyncRequest]) -> bool:
        """Sync servers one after another; False if a sync is running already."""
        if self.busy:
            return False

        def work(context: TaskContext) -> SyncOutcome:
            reports: list[SyncReport] = []
            try:
                for request in requests:
                    context.cancel.raise_if_cancelled()
                    if (report := self._sync_one(context, request)) is not None:
                        reports.append(report)
            except Cancelled:
                return SyncOutcome(reports, cancelled=True)
            return SyncOutcome(reports, cancelled=any(r.cancelled for r in reports))

        return self._run("Sync", work)

    def sync_now(self) -> bool:
        """Sync every server the cache syncs from, with the projects chosen for it."""
        if self.busy:
            return False
        self.servers(lambda servers: self.start(
            [SyncRequest(server.server_url, None) for server in servers]) if servers
            else self.failed.emit("No server to sync from yet: connect to one first "
                                  "(File → Connect to Server…)."))
        return True

    def start_demo(self) -> bool:
        """Start the demo server on loopback (creating it on first use) and sync it."""
        if self.busy:
            return False

        def work(context: TaskContext) -> SyncOutcome:
            try:
                state = self._embedded_server().start(context.progress, context.cancel)
            except Cancelled:
                return SyncOutcome([], cancelled=True)
            report = sync(context.cache, state.url, state.token, None, context.progress,
                          context.cancel)
            return SyncOutcome([report], report.cancelled)

        return self._run("Start the demo server", work)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def demo_server_url(self) -> str | None:
        """The running demo server's address, if it runs."""
        embedded = self._embedded
        return embedded.state.url if embedded is not None and embedded.running \
            and embedded.state is not None else None

    def shutdown(self) -> None:
        """Stop the demo server (after the task manager has joined its threads)."""
        if self._embedded is not None:
            self._embedded.stop()

    def _run(self, title: str, work: Callable[[TaskContext], SyncOutcome]) -> bool:
        self._task = self._tasks.run_online(title, work, self._finished, self._failed,
                                            self.progressed.emit)
        self.started.emit()
        return True

    # -- on the online threads -----------------------------------------------------------------

    def _sync_one(self, context: TaskContext, request: SyncRequest) -> SyncReport | None:
        url = normalize_server_url(request.server_url)
        token = self._token_for(url, context)
        if request.project_ids is not None:
            choose_projects(context.cache, url, request.project_ids)
            chosen: Sequence[str] = request.project_ids
        else:
            with context.cache.read_session() as session:
                chosen = next((s.chosen_project_ids for s in synced_servers(session)
                               if s.server_url == url), ())
        if not chosen:
            return None
        return sync(context.cache, url, token, list(chosen), context.progress, context.cancel)

    def _token_for(self, url: str, context: TaskContext) -> str:
        if self._demo_folder is not None and self._is_demo(url):
            return self._embedded_server().start(context.progress, context.cancel).token
        return self._saved_token(url)

    def _saved_token(self, url: str) -> str:
        token = self._tokens.load(url)
        if not token:
            raise SyncError(f"no API token is saved for {url}: connect to it again "
                            "(File → Connect to Server…) and paste one")
        return token

    def _is_demo(self, url: str) -> bool:
        try:
            return self._embedded_server().is_this(url)
        except SyncError:
            return False  # no server extra: it cannot be the demo server

    def _embedded_server(self) -> EmbeddedServer:
        if self._embedded is None:
            if self._demo_folder is None:
                raise SyncError("the demo server is switched off in this window")
            try:
                from app.server.embedded import EmbeddedServer
            except ImportError as exc:
                raise SyncError(NO_SERVER_EXTRA) from exc
            self._embedded = EmbeddedServer(self._demo_folder)
        return self._embedded

    # -- back on the GUI thread ----------------------------------------------------------------

    def _finished(self, outcome: SyncOutcome) -> None:
        self._task = None
        self.finished.emit(outcome)
        self.stopped.emit()

    def _failed(self, error: Exception) -> None:
        self._task = None
        self.failed.emit(str(error) if isinstance(error, SyncError | RuntimeError)
                         else f"{type(error).__name__}: {error}")
        self.stopped.emit()
