"""Sync chosen projects of a server into the cache: incremental, resumable, cancellable.

How it stays correct when killed at any moment: each project keeps a cursor (the server's
change number of the last session written). Sessions are fetched concurrently but written
strictly in the order the server listed their changes, each in one transaction that also
moves the cursor past it. So the cursor never passes a session that is not written, and a
session written twice (a retry after a crash) replaces itself. Listing, downloading and
preparing happen outside any transaction; a failure there changes nothing.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from app.core.cache.database import Cache
from app.core.cache.writing import now_ms
from app.core.privacy import DEFAULT_POLICY, PrivacyPolicy
from app.core.sync.choice import mark_synced
from app.core.sync.client import SyncClient
from app.core.sync.errors import NetworkError, NotFoundError, ProtocolError, SyncError
from app.core.sync.fetching import (
    FetchContext,
    Listed,
    PreparedSession,
    Skipped,
    fetch_session,
)
from app.core.sync.mirror import MirroredProject, mirror_project
from app.core.sync.policy import at_least, policy_from_server
from app.core.sync.report import MB, ProjectReport, SyncReport
from app.core.sync.storing import StaleBasis, store_cursor, store_session, store_tombstone
from app.core.tasks import (
    Cancelled,
    CancelToken,
    ProgressCallback,
    collector_paused,
    no_progress,
)

DEFAULT_CONCURRENCY = 4
PAGE_SIZE = 500
# Sessions fetched ahead of the one being written, per download slot: enough to keep the
# network busy while the cache writes. A prepared session is held in memory as Python
# objects (many times its compressed size), so what is fetched ahead is also bounded by the
# compressed bytes the server lists (at least one session is always fetched ahead).
PREFETCH_PER_SLOT = 2
PREFETCH_BYTES = 8_000_000
STALE_RETRIES = 2
# Sessions between two collections of cyclic garbage while the collector is paused.
GC_EVERY = 200


class _Listing:
    """The listed sessions still to fetch, in order."""

    def __init__(self, entries: list[Listed]) -> None:
        self._entries, self._next = entries, 0

    def peek(self) -> Listed | None:
        return self._entries[self._next] if self._next < len(self._entries) else None

    def take(self) -> None:
        self._next += 1


class _StopToken(CancelToken):
    """Stops the sync's workers: set by the engine on a failure, and reads as set as soon
    as the caller's token is."""

    def __init__(self, user: CancelToken | None) -> None:
        super().__init__()
        self._user = user

    @property
    def cancelled(self) -> bool:
        return super().cancelled or (self._user is not None and self._user.cancelled)

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled


def sync(cache: Cache, server_url: str, token: str,
         project_ids: Sequence[int | str] | None = None,
         progress: ProgressCallback = no_progress, cancel: CancelToken | None = None, *,
         concurrency: int = DEFAULT_CONCURRENCY, floor: PrivacyPolicy = DEFAULT_POLICY,
         retries: int = 4, backoff_s: float = 0.5, timeout_s: float = 30.0,
         transport: httpx.BaseTransport | None = None) -> SyncReport:
    """Bring the cache up to date with the server's projects (all the token sees, or those
    named by id or name in `project_ids`).

    `progress(done, total, message)` is called from this thread after each session (total 0
    while changes are being listed). Setting `cancel` stops between sessions and between
    downloads; the report then says `cancelled`. Errors that stop the sync raise `SyncError`
    (with `.report` of what was done); everything written before stays.
    """
    concurrency = max(1, concurrency)
    stop = _StopToken(cancel)
    client = SyncClient(server_url, token, timeout_s=timeout_s, retries=retries,
                        backoff_s=backoff_s, max_in_flight=concurrency, cancel=stop,
                        transport=transport)
    report = SyncReport(client.server_url)
    started = time.monotonic()
    fetchers = ThreadPoolExecutor(concurrency, "tapeview-sync")
    downloads = ThreadPoolExecutor(concurrency, "tapeview-download")
    run = _SyncRun(cache, client, report, progress, stop, fetchers, downloads, floor,
                   concurrency)
    try:
        # Recordings are acyclic trees of dicts: the cycle collector would only slow the
        # pipeline down; it runs every GC_EVERY sessions instead (see `_sync_project`).
        # Left in reverse order: fetchers stop before the downloads they wait for.
        with collector_paused(), client, downloads, fetchers:
            try:
                run.run(project_ids)
            except BaseException:
                stop.cancel()  # workers still running give up before their next request
                raise
    except Cancelled:
        report.cancelled = True
    except NetworkError as exc:
        error = NetworkError(f"{exc}; what was synced so far is kept, and the next sync goes "
                             "on from there")
        error.report = report
        raise error from exc
    except SyncError as exc:
        exc.report = report
        raise
    except SQLAlchemyError as exc:
        error = SyncError(f"could not write to the cache {cache.description} "
                          f"({getattr(exc, 'orig', None) or exc}); what was synced before is "
                          "kept")
        error.report = report
        raise error from exc
    finally:
        report.bytes_received = client.bytes_received
        report.seconds = time.monotonic() - started
    progress(run.done, run.total, report.summary())
    return report


class _SyncRun:
    """One sync: the projects' change listings, then their sessions, in order."""

    def __init__(self, cache: Cache, client: SyncClient, report: SyncReport,
                 progress: ProgressCallback, stop: _StopToken, fetchers: ThreadPoolExecutor,
                 downloads: ThreadPoolExecutor, floor: PrivacyPolicy,
                 concurrency: int) -> None:
        self.cache, self.client, self.report, self.progress = cache, client, report, progress
        self.stop, self.fetchers, self.downloads, self.floor = stop, fetchers, downloads, floor
        self.window = max(1, concurrency) * PREFETCH_PER_SLOT
        self.done = self.total = 0

    def run(self, project_ids: Sequence[int | str] | None) -> None:
        plans = []
        for organization, project in self._projects(project_ids):
            self.stop.raise_if_cancelled()
            with self.cache.session() as session:
                mirrored = mirror_project(session, self.client.server_url, organization,
                                          project)
            self.progress(0, 0, f"Looking for changes in {mirrored.label}")
            policy = at_least(policy_from_server(self.client.privacy(mirrored.remote_id),
                                                 mirrored.label), self.floor)
            listed = self._changes(mirrored)
            project_report = ProjectReport(mirrored.remote_id, mirrored.local_id,
                                           mirrored.label, listed=len(listed),
                                           cursor=mirrored.cursor)
            self.report.projects.append(project_report)
            plans.append((mirrored, policy, listed, project_report))
        self.total = sum(len(listed) for _, _, listed, _ in plans)
        for plan in plans:
            self._sync_project(*plan)

    # -- what to sync ------------------------------------------------------------------------

    def _projects(self, wanted: Sequence[int | str] | None
                  ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        visible = [(organization, project)
                   for organization in self.client.organizations()
                   for project in self.client.projects(organization["id"])]
        if wanted is None:
            return visible
        chosen: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for name in wanted:
            matches = [pair for pair in visible if str(pair[1]["id"]) == str(name)] or \
                [pair for pair in visible if pair[1]["name"] == str(name)]
            if not matches:
                seen = ", ".join(f"{p['name']} (id {p['id']})" for _, p in visible) or "none"
                raise NotFoundError(f"{self.client.server_url} has no project '{name}' that "
                                    f"this token may see (it sees: {seen})")
            chosen += [pair for pair in matches[:1] if pair not in chosen]
        return chosen

    def _changes(self, project: MirroredProject) -> list[Listed]:
        """Every session changed since the project's cursor, in change order, each once (at
        its place of latest change: a session that changed again while being listed)."""
        entries: list[Listed] = []
        cursor = project.cursor
        while True:
            self.stop.raise_if_cancelled()
            page = self.client.sessions(project.remote_id, cursor, PAGE_SIZE)
            rows = page.get("sessions")
            if not isinstance(rows, list):
                raise ProtocolError(f"{self.client.server_url} listed the sessions of "
                                    f"{project.label} without a 'sessions' array")
            entries += [Listed(str(row["id"]), int(row["change_seq"]), bool(row.get("deleted")),
                               int(row.get("stored_size") or 0)) for row in rows]
            cursor = page.get("next_cursor") or cursor
            if not page.get("has_more") or not rows:
                break
        last = {entry.session_id: index for index, entry in enumerate(entries)}
        return [entry for index, entry in enumerate(entries) if last[entry.session_id] == index]

    # -- fetching ahead, writing in order ------------------------------------------------------

    def _sync_project(self, project: MirroredProject, policy: PrivacyPolicy,
                      listed: list[Listed], project_report: ProjectReport) -> None:
        context = FetchContext(self.client, self.cache, self.downloads, project.local_id,
                               project.remote_id, policy, self.client.server_url)
        upcoming = _Listing(listed)
        pending: deque[tuple[Listed, Future[PreparedSession | Skipped] | None]] = deque()
        # A cursor past sessions that needed no write, saved with the next write or at the end.
        unsaved_cursor: str | None = None
        completed = False
        try:
            self._fetch_ahead(context, upcoming, pending)
            while pending:
                self.stop.raise_if_cancelled()
                entry, future = pending.popleft()
                outcome = future.result() if future is not None else None
                self._fetch_ahead(context, upcoming, pending)
                self.stop.raise_if_cancelled()
                if self._apply(context, entry, outcome, project_report):
                    unsaved_cursor = None
                else:
                    unsaved_cursor = entry.cursor
                project_report.cursor = entry.cursor
                self.done += 1
                if self.done % GC_EVERY == 0:
                    gc.collect()
                self.progress(self.done, self.total,
                              f"{project.label}: {self.done} of {self.total} session(s), "
                              f"{self.client.bytes_received / MB:.1f} MB")
            completed = True
        finally:
            for _, future in pending:
                if future is not None:
                    future.cancel()
            # Safe whatever stopped the loop: it only passes sessions already dealt with.
            if unsaved_cursor is not None:
                try:
                    store_cursor(self.cache, project.local_id, unsaved_cursor)
                except Exception:
                    if completed:
                        raise
        with self.cache.session() as session:
            mark_synced(session, project.local_id, now_ms())

    def _fetch_ahead(self, context: FetchContext, upcoming: _Listing,
                     pending: deque[tuple[Listed, Future[PreparedSession | Skipped] | None]]
                     ) -> None:
        ahead = sum(entry.stored_size for entry, _ in pending)
        while len(pending) < self.window and (entry := upcoming.peek()) is not None:
            if pending and ahead + entry.stored_size > PREFETCH_BYTES:
                return
            upcoming.take()
            ahead += entry.stored_size
            future = None if entry.deleted else self.fetchers.submit(fetch_session, context,
                                                                      entry)
            pending.append((entry, future))

    def _apply(self, context: FetchContext, entry: Listed,
               outcome: PreparedSession | Skipped | None, project_report: ProjectReport) -> bool:
        """Write what a listed session calls for; False if nothing was written."""
        if entry.deleted:
            if store_tombstone(self.cache, context.project_local_id, entry.session_id,
                               entry.cursor):
                project_report.deleted += 1
            else:
                project_report.unchanged += 1
            return True
        if isinstance(outcome, PreparedSession):
            outcome = self._store(context, entry, outcome, project_report)
            if outcome is None:
                return True
        assert isinstance(outcome, Skipped)
        if outcome.reason == "unchanged":
            project_report.unchanged += 1
        else:
            project_report.skipped += 1
            if outcome.message:
                self.report.problems.append(outcome.message)
        return False

    def _store(self, context: FetchContext, entry: Listed, prepared: PreparedSession,
               project_report: ProjectReport) -> Skipped | None:
        """Write a prepared session, preparing it again if the cache changed under it."""
        for _ in range(STALE_RETRIES + 1):
            try:
                added = store_session(self.cache, context.project_local_id, prepared,
                                      context.policy)
            except StaleBasis:
                outcome = fetch_session(context, entry)
                if isinstance(outcome, Skipped):
                    return outcome
                prepared = outcome
                continue
            self._count(prepared, added, project_report)
            return None
        raise SyncError(f"session {entry.session_id} kept changing in the cache while it was "
                        "synced; is another sync of this cache running?")

    def _count(self, prepared: PreparedSession, added: bool,
               project_report: ProjectReport) -> None:
        if added:
            project_report.added += 1
        else:
            project_report.updated += 1
        self.report.chunks_downloaded += prepared.chunks_downloaded
        self.report.chunk_bytes += prepared.chunk_bytes
        self.report.assets_downloaded += sum(1 for a in prepared.assets if a.data is not None)
        self.report.asset_bytes += prepared.asset_bytes
