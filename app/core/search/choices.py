"""What a filter can choose from, as the cache holds it: for the window's pickers and the
shell's completions, so nobody has to guess how a browser or a custom event is spelled."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.cache.models import Event
from app.core.search.clauses import ATTRIBUTE_COLUMNS
from app.core.search.conditions import Attribute


def attribute_values(session: Session, attribute: Attribute) -> list[str]:
    """The device types, OSes, browsers or countries of the cached sessions, sorted."""
    column = ATTRIBUTE_COLUMNS[attribute]
    values = session.scalars(select(column).where(column.is_not(None)).distinct())
    return sorted(values, key=str.lower)


def custom_event_names(session: Session) -> list[str]:
    """The names of the custom events in the cache, sorted (read off the (kind, name) index)."""
    names = session.scalars(select(Event.name).where(
        Event.kind == "custom", Event.name.is_not(None)).distinct())
    return sorted(names, key=str.lower)
