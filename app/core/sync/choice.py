"""Which of a server's projects this cache syncs: what the project chooser shows and saves.

The choice lives in the cache (`SyncState.enabled`), beside the cursors it steers, so a
cache moved to another machine or opened with `--cache` syncs what it synced before. A
project unticked keeps its sessions and cursor: ticking it again resumes, it never starts
over or duplicates anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.cache.database import Cache
from app.core.cache.models import RecordedSession, SyncState
from app.core.sync.client import SyncClient, normalize_server_url


@dataclass(frozen=True)
class RemoteProject:
    """A project on the server that the token may see, and what the cache holds of it."""

    organization: str
    id: str
    name: str
    kind: str
    role: str
    chosen: bool  # ticked: synced by "Sync now"
    cached_sessions: int  # 0 for a project never synced

    @property
    def label(self) -> str:
        return f"{self.organization} / {self.name}"


@dataclass(frozen=True)
class SyncedServer:
    """A server this cache has synced from: where "Sync now" goes without asking again."""

    server_url: str
    chosen_project_ids: tuple[str, ...]
    last_sync_ms: int | None


def remote_projects(cache: Cache, server_url: str, token: str, *, timeout_s: float = 15.0,
                    transport: httpx.BaseTransport | None = None) -> list[RemoteProject]:
    """The projects the token may see, ticked as the cache last chose (all of them when it
    never synced from this server). Raises `SyncError` with a message for people."""
    with SyncClient(server_url, token, timeout_s=timeout_s, retries=1,
                    transport=transport) as client:
        listed = [(organization, project)
                  for organization in client.organizations()
                  for project in client.projects(organization["id"])]
        url = client.server_url
    with cache.read_session() as session:
        states = {state.remote_project_id: state for state in session.scalars(
            select(SyncState).where(SyncState.server_url == url))}
        counts = {project_id: count for project_id, count in session.execute(
            select(RecordedSession.project_id, func.count())
            .where(RecordedSession.project_id.in_([s.project_id for s in states.values()]))
            .group_by(RecordedSession.project_id))}
    first_time = not states
    projects = []
    for organization, project in listed:
        remote_id = str(project["id"])
        state = states.get(remote_id)
        projects.append(RemoteProject(
            organization=str(organization.get("name") or organization["id"]), id=remote_id,
            name=str(project.get("name") or remote_id), kind=str(project.get("kind") or "web"),
            role=str(project.get("role") or ""),
            chosen=first_time or (state is not None and state.enabled),
            cached_sessions=counts.get(state.project_id, 0) if state is not None else 0))
    return projects


def choose_projects(cache: Cache, server_url: str, chosen: Collection[str]) -> None:
    """Save which of the server's already-mirrored projects stay synced; projects synced for
    the first time are mirrored (and enabled) by the sync itself."""
    url = normalize_server_url(server_url)
    wanted = {str(remote_id) for remote_id in chosen}
    with cache.session() as session:
        for state in session.scalars(select(SyncState).where(SyncState.server_url == url)):
            state.enabled = state.remote_project_id in wanted


def synced_servers(session: Session) -> list[SyncedServer]:
    """Every server the cache mirrors, with its chosen projects, most recently synced first."""
    by_url: dict[str, list[SyncState]] = {}
    for state in session.scalars(select(SyncState).order_by(SyncState.remote_project_id)):
        by_url.setdefault(state.server_url, []).append(state)
    servers = [SyncedServer(url, tuple(s.remote_project_id for s in states if s.enabled),
                            max((s.last_sync_ms for s in states if s.last_sync_ms), default=None))
               for url, states in by_url.items()]
    return sorted(servers, key=lambda server: -(server.last_sync_ms or 0))


def mark_synced(session: Session, project_id: int, when_ms: int) -> None:
    """A sync of the project finished: it is up to date as of `when_ms`, and stays chosen."""
    session.execute(update(SyncState).where(SyncState.project_id == project_id)
                    .values(last_sync_ms=when_ms, enabled=True))

