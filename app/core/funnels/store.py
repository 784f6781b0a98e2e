"""Saved funnels: a funnel and the session filter it was made with, under a name.

As segments (search/segments.py): the functions take an ORM session and leave the
transaction to the caller, hand back plain `SavedFunnel` values, and names are unique
ignoring case. A saved funnel is a definition only: it is counted anew over everything
cached whenever it is shown, so sessions cached later count too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache.models import Funnel as FunnelRow
from app.core.cache.writing import now_ms
from app.core.funnels.steps import Funnel, FunnelError
from app.core.search.conditions import SessionFilter
from app.core.search.filter_json import filter_from_json, filter_to_json

NAME_LIMIT = 200
NO_FILTER = SessionFilter()


@dataclass(frozen=True)
class SavedFunnel:
    id: int
    name: str
    funnel: Funnel
    filter: SessionFilter = field(default_factory=SessionFilter)
    created_ms: int = 0
    updated_ms: int = 0


def save_funnel(session: Session, name: str, funnel: Funnel,
                search: SessionFilter = NO_FILTER) -> SavedFunnel:
    """Save a new funnel; FunnelError if the name is taken or unusable."""
    name = _checked_name(session, name)
    now = now_ms()
    row = FunnelRow(name=name, definition=_definition(funnel, search), created_ms=now,
                    updated_ms=now)
    session.add(row)
    session.flush()
    return _saved(row)


def update_funnel(session: Session, name_or_id: str | int, funnel: Funnel,
                  search: SessionFilter = NO_FILTER) -> SavedFunnel:
    """Save a changed funnel under its name."""
    row = _existing(session, name_or_id)
    row.definition = _definition(funnel, search)
    row.updated_ms = now_ms()
    return _saved(row)


def list_funnels(session: Session) -> list[SavedFunnel]:
    """Every saved funnel, by name."""
    rows = session.scalars(select(FunnelRow).order_by(func.lower(FunnelRow.name), FunnelRow.id))
    return [_saved(row) for row in rows]


def find_funnel(session: Session, name_or_id: str | int) -> SavedFunnel | None:
    """A saved funnel by id, or by name ignoring case (as ``--funnel NAME`` gives it)."""
    row = _row(session, name_or_id)
    return _saved(row) if row is not None else None


def rename_funnel(session: Session, name_or_id: str | int, new_name: str) -> SavedFunnel:
    row = _existing(session, name_or_id)
    row.name = _checked_name(session, new_name, keeping=row.id)
    row.updated_ms = now_ms()
    return _saved(row)


def delete_funnel(session: Session, name_or_id: str | int) -> None:
    session.delete(_existing(session, name_or_id))


def _definition(funnel: Funnel, search: SessionFilter) -> dict[str, Any]:
    return {**funnel.to_json(), "filter": filter_to_json(search)}


def _row(session: Session, name_or_id: str | int) -> FunnelRow | None:
    if isinstance(name_or_id, int):
        return session.get(FunnelRow, name_or_id)
    return session.scalar(select(FunnelRow).where(
        func.lower(FunnelRow.name) == func.lower(name_or_id.strip())))


def _existing(session: Session, name_or_id: str | int) -> FunnelRow:
    row = _row(session, name_or_id)
    if row is None:
        raise FunnelError(f"no funnel is saved as {name_or_id!r}")
    return row


def _checked_name(session: Session, name: str, keeping: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise FunnelError("a saved funnel needs a name")
    if len(name) > NAME_LIMIT:
        raise FunnelError(f"a funnel's name is at most {NAME_LIMIT} characters")
    taken = _row(session, name)
    if taken is not None and taken.id != keeping:
        raise FunnelError(f"there is already a funnel named {taken.name!r}")
    return name


def _saved(row: FunnelRow) -> SavedFunnel:
    saved_filter = row.definition.get("filter")
    return SavedFunnel(row.id, row.name, Funnel.from_json(row.definition),
                       filter_from_json(saved_filter) if saved_filter else SessionFilter(),
                       row.created_ms, row.updated_ms)
