"""The cache's mirror of a server's organizations, projects and visitors.

Rows are found again by the server's ids (an organization's `server_url`/`remote_id`, a
project's `SyncState`), never by name: names change on the server and may clash with local
ones. A clash is resolved by naming the mirror after its server, e.g. "Acme (tv.example)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.cache.models import Organization, Project, SyncState, Visitor
from app.core.cache.writing import PROJECT_KINDS, new_project_key, now_ms

NAME_LENGTH = 200
UID_LENGTH = 200


@dataclass(frozen=True)
class MirroredProject:
    """A server project and the local project that mirrors it."""

    local_id: int
    remote_id: str
    organization: str
    name: str
    cursor: str | None

    @property
    def label(self) -> str:
        return f"{self.organization} / {self.name}"


def mirror_project(session: Session, server_url: str, organization: dict[str, Any],
                   project: dict[str, Any]) -> MirroredProject:
    """Create or update the local organization and project for a server's project."""
    org_row = _mirror_organization(session, server_url, organization)
    remote_id = str(project["id"])
    state = session.scalar(select(SyncState).where(SyncState.server_url == server_url,
                                                   SyncState.remote_project_id == remote_id))
    kind = project.get("kind") if project.get("kind") in PROJECT_KINDS else "web"
    if state is None:
        row = Project(organization_id=org_row.id, name=_project_name(
                          session, org_row.id, project["name"], server_url, None),
                      kind=kind, key=new_project_key(),
                      created_ms=int(project.get("created_ms") or now_ms()))
        session.add(row)
        session.flush()
        state = SyncState(project_id=row.id, server_url=server_url,
                          remote_project_id=remote_id, cursor=None, last_sync_ms=None)
        session.add(state)
        session.flush()
    else:
        row = session.get_one(Project, state.project_id)
        row.organization_id = org_row.id
        row.name = _project_name(session, org_row.id, project["name"], server_url, row.id)
        row.kind = kind
    return MirroredProject(row.id, remote_id, org_row.name, row.name, state.cursor)


def mirror_visitor(session: Session, project_id: int,
                   visitor: dict[str, Any] | None) -> Visitor | None:
    """The local visitor for a server's visitor: its identify() uid once it has one, else
    the tracker's anonymous id. A visitor identified since the last sync keeps its row."""
    if not visitor or not visitor.get("anonymous_id"):
        return None
    anonymous = str(visitor["anonymous_id"])[:UID_LENGTH]
    uid = str(visitor.get("uid") or anonymous)[:UID_LENGTH]
    row = session.scalar(select(Visitor).where(Visitor.project_id == project_id,
                                               Visitor.uid == uid))
    if row is None and uid != anonymous:
        row = session.scalar(select(Visitor).where(Visitor.project_id == project_id,
                                                   Visitor.uid == anonymous))
        if row is not None:
            row.uid = uid
    if row is None:
        row = Visitor(project_id=project_id, uid=uid, properties={})
        session.add(row)
    row.name = _text(visitor.get("name"), NAME_LENGTH) or row.name
    row.email = _text(visitor.get("email"), 320) or row.email
    properties = visitor.get("properties")
    if isinstance(properties, dict) and properties:
        row.properties = {**(row.properties or {}), **properties}
    session.flush()
    return row


def _mirror_organization(session: Session, server_url: str,
                         organization: dict[str, Any]) -> Organization:
    remote_id = str(organization["id"])
    row = session.scalar(select(Organization).where(Organization.server_url == server_url,
                                                    Organization.remote_id == remote_id))
    own_id = row.id if row is not None else None

    def taken(name: str) -> bool:
        found = session.scalar(select(Organization.id).where(Organization.name == name))
        return found is not None and found != own_id

    name = _free_name(str(organization["name"]), server_url, taken)
    if row is None:
        row = Organization(name=name, created_ms=now_ms(), server_url=server_url,
                           remote_id=remote_id)
        session.add(row)
        session.flush()
    else:
        row.name = name
    return row


def _project_name(session: Session, organization_id: int, name: str, server_url: str,
                  own_id: int | None) -> str:
    def taken(candidate: str) -> bool:
        found = session.scalar(select(Project.id).where(
            Project.organization_id == organization_id, Project.name == candidate))
        return found is not None and found != own_id

    return _free_name(name, server_url, taken)


def _free_name(name: str, server_url: str, taken: Callable[[str], bool]) -> str:
    """`name`, or where a local row already has it, the name with the server's host."""
    host = urlsplit(server_url).netloc
    candidates = [name, f"{name} ({host})"]
    candidates += [f"{name} ({host}) {number}" for number in range(2, 100)]
    for candidate in candidates:
        trimmed = candidate[:NAME_LENGTH]
        if not taken(trimmed):
            return trimmed
    raise ValueError(f"no free local name for {name!r}")


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str | int) and value != "" else None
