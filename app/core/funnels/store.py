"""Saved funnels: a funnel and the session filter it was made with, under a name.

As segments (search/segments.py): the functions take an ORM session and leave the
transaction to the caller, hand back plain `SavedFunnel` values, and names are unique
ignoring case. A saved funnel is a definition only: it is counted anew over everything
cached whenever it is shown, so sessions cached later count too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.core.cache.models import Funnel as FunnelRow
from app.core.cache.named_rows import NamedRows
from app.core.funnels.steps import Funnel, FunnelError
from app.core.search.conditions import SessionFilter
from app.core.search.filter_json import filter_from_json, filter_to_json

NO_FILTER = SessionFilter()
FUNNELS = NamedRows(FunnelRow, "funnel", FunnelError)


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
    return _saved(FUNNELS.add(session, name, definition=_definition(funnel, search)))


def update_funnel(session: Session, name_or_id: str | int, funnel: Funnel,
                  search: SessionFilter = NO_FILTER) -> SavedFunnel:
    """Save a changed funnel under its name."""
    return _saved(FUNNELS.change(session, name_or_id, definition=_definition(funnel, search)))


def list_funnels(session: Session) -> list[SavedFunnel]:
    """Every saved funnel, by name."""
    return [_saved(row) for row in FUNNELS.all(session)]


def find_funnel(session: Session, name_or_id: str | int) -> SavedFunnel | None:
    """A saved funnel by id, or by name ignoring case (as ``--funnel NAME`` gives it)."""
    row = FUNNELS.find(session, name_or_id)
    return _saved(row) if row is not None else None


def rename_funnel(session: Session, name_or_id: str | int, new_name: str) -> SavedFunnel:
    return _saved(FUNNELS.rename(session, name_or_id, new_name))


def delete_funnel(session: Session, name_or_id: str | int) -> None:
    FUNNELS.delete(session, name_or_id)


def _definition(funnel: Funnel, search: SessionFilter) -> dict[str, Any]:
    return {**funnel.to_json(), "filter": filter_to_json(search)}


def _saved(row: FunnelRow) -> SavedFunnel:
    saved_filter = row.definition.get("filter")
    return SavedFunnel(row.id, row.name, Funnel.from_json(row.definition),
                       filter_from_json(saved_filter) if saved_filter else SessionFilter(),
                       row.created_ms, row.updated_ms)
