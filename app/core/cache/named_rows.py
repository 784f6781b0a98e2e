"""Rows kept under a name that is unique ignoring case (segments, saved funnels), made,
changed, renamed and deleted one way: "Checkout" and "checkout" cannot both exist and
confuse a chooser, and the shell finds one by its name in any case, or by its id."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache.models import Base
from app.core.cache.writing import now_ms

NAME_LIMIT = 200
Row = TypeVar("Row", bound=Base)


class NamedRows(Generic[Row]):
    """The rows of `model` (with `id` and `name`); problems raise `error` naming the
    `noun` ("segment", "funnel")."""

    def __init__(self, model: type[Row], noun: str, error: type[Exception]) -> None:
        self.model: Any = model  # a mapped class with `id` and `name`
        self.noun, self.error = noun, error

    def add(self, session: Session, name: str, **values: Any) -> Row:
        now = now_ms()
        row = self.model(name=self.checked_name(session, name), created_ms=now,
                         updated_ms=now, **values)
        session.add(row)
        session.flush()
        return row  # type: ignore[no-any-return]

    def change(self, session: Session, name_or_id: str | int, **values: Any) -> Row:
        """Set columns of an existing row; it was updated now."""
        row: Any = self.existing(session, name_or_id)
        for column, value in values.items():
            setattr(row, column, value)
        row.updated_ms = now_ms()
        return row  # type: ignore[no-any-return]

    def rename(self, session: Session, name_or_id: str | int, new_name: str) -> Row:
        row: Any = self.existing(session, name_or_id)
        return self.change(session, row.id,
                           name=self.checked_name(session, new_name, keeping=row.id))

    def delete(self, session: Session, name_or_id: str | int) -> None:
        session.delete(self.existing(session, name_or_id))

    def all(self, session: Session) -> list[Row]:
        """Every row, by name."""
        return list(session.scalars(select(self.model).order_by(func.lower(self.model.name),
                                                                self.model.id)))

    def find(self, session: Session, name_or_id: str | int) -> Row | None:
        if isinstance(name_or_id, int):
            return session.get(self.model, name_or_id)
        return session.scalar(select(self.model).where(
            func.lower(self.model.name) == func.lower(name_or_id.strip())))

    def existing(self, session: Session, name_or_id: str | int) -> Row:
        row = self.find(session, name_or_id)
        if row is None:
            raise self.error(f"no {self.noun} {name_or_id!r}")
        return row

    def checked_name(self, session: Session, name: str, keeping: int | None = None) -> str:
        """`name` with its spacing folded, if it can be given (to row `keeping`)."""
        name = " ".join(name.split())
        if not name:
            raise self.error(f"a {self.noun} needs a name")
        if len(name) > NAME_LIMIT:
            raise self.error(f"a {self.noun}'s name is at most {NAME_LIMIT} characters")
        taken: Any = self.find(session, name)
        if taken is not None and taken.id != keeping:
            raise self.error(f"there is already a {self.noun} named {taken.name!r}")
        return name
