"""Segments: session filters saved in the cache under a name, for every project.

The functions take an ORM session and leave the transaction to the caller (as queries.py
does); they hand back plain `SegmentInfo` values, never rows. Names are unique ignoring
case, so "Checkout" and "checkout" cannot both exist and confuse a chooser.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache.models import Segment
from app.core.cache.writing import now_ms
from app.core.search.conditions import SessionFilter
from app.core.search.filter_json import filter_from_json, filter_to_json

NAME_LIMIT = 200


class SegmentError(ValueError):
    """A segment cannot be saved, renamed or found; the message says why."""


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    name: str
    filter: SessionFilter
    created_ms: int
    updated_ms: int


def create_segment(session: Session, name: str, search: SessionFilter) -> SegmentInfo:
    name = _checked_name(session, name)
    now = now_ms()
    row = Segment(name=name, filter=filter_to_json(search), created_ms=now, updated_ms=now)
    session.add(row)
    session.flush()
    return _info(row)


def list_segments(session: Session) -> list[SegmentInfo]:
    """Every segment, by name."""
    rows = session.scalars(select(Segment).order_by(func.lower(Segment.name), Segment.id))
    return [_info(row) for row in rows]


def find_segment(session: Session, name_or_id: str | int) -> SegmentInfo | None:
    """A segment by id, or by name ignoring case (as ``--segment NAME`` gives it)."""
    row = _row(session, name_or_id)
    return _info(row) if row is not None else None


def rename_segment(session: Session, name_or_id: str | int, new_name: str) -> SegmentInfo:
    row = _existing(session, name_or_id)
    row.name = _checked_name(session, new_name, keeping=row.id)
    row.updated_ms = now_ms()
    return _info(row)


def update_segment(session: Session, name_or_id: str | int,
                   search: SessionFilter) -> SegmentInfo:
    """Save a changed filter under the segment's name."""
    row = _existing(session, name_or_id)
    row.filter = filter_to_json(search)
    row.updated_ms = now_ms()
    return _info(row)


def delete_segment(session: Session, name_or_id: str | int) -> None:
    session.delete(_existing(session, name_or_id))


def _row(session: Session, name_or_id: str | int) -> Segment | None:
    if isinstance(name_or_id, int):
        return session.get(Segment, name_or_id)
    return session.scalar(select(Segment).where(
        func.lower(Segment.name) == func.lower(name_or_id.strip())))


def _existing(session: Session, name_or_id: str | int) -> Segment:
    row = _row(session, name_or_id)
    if row is None:
        raise SegmentError(f"no segment {name_or_id!r}")
    return row


def _checked_name(session: Session, name: str, keeping: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise SegmentError("a segment needs a name")
    if len(name) > NAME_LIMIT:
        raise SegmentError(f"a segment's name is at most {NAME_LIMIT} characters")
    taken = _row(session, name)
    if taken is not None and taken.id != keeping:
        raise SegmentError(f"there is already a segment named {taken.name!r}")
    return name


def _info(row: Segment) -> SegmentInfo:
    return SegmentInfo(row.id, row.name, filter_from_json(row.filter), row.created_ms,
                       row.updated_ms)
