"""Segments: session filters saved in the cache under a name, for every project.

The functions take an ORM session and leave the transaction to the caller (as queries.py
does); they hand back plain `SegmentInfo` values, never rows. Names are unique ignoring
case, so "Checkout" and "checkout" cannot both exist and confuse a chooser.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.cache.models import Segment
from app.core.cache.named_rows import NamedRows
from app.core.search.conditions import SessionFilter
from app.core.search.filter_json import filter_from_json, filter_to_json


class SegmentError(ValueError):
    """A segment cannot be saved, renamed or found; the message says why."""


SEGMENTS = NamedRows(Segment, "segment", SegmentError)


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    name: str
    filter: SessionFilter
    created_ms: int
    updated_ms: int


def create_segment(session: Session, name: str, search: SessionFilter) -> SegmentInfo:
    return _info(SEGMENTS.add(session, name, filter=filter_to_json(search)))


def list_segments(session: Session) -> list[SegmentInfo]:
    """Every segment, by name."""
    return [_info(row) for row in SEGMENTS.all(session)]


def find_segment(session: Session, name_or_id: str | int) -> SegmentInfo | None:
    """A segment by id, or by name ignoring case (as ``--segment NAME`` gives it)."""
    row = SEGMENTS.find(session, name_or_id)
    return _info(row) if row is not None else None


def rename_segment(session: Session, name_or_id: str | int, new_name: str) -> SegmentInfo:
    return _info(SEGMENTS.rename(session, name_or_id, new_name))


def update_segment(session: Session, name_or_id: str | int,
                   search: SessionFilter) -> SegmentInfo:
    """Save a changed filter under the segment's name."""
    return _info(SEGMENTS.change(session, name_or_id, filter=filter_to_json(search)))


def delete_segment(session: Session, name_or_id: str | int) -> None:
    SEGMENTS.delete(session, name_or_id)


def _info(row: Segment) -> SegmentInfo:
    return SegmentInfo(row.id, row.name, filter_from_json(row.filter), row.created_ms,
                       row.updated_ms)
