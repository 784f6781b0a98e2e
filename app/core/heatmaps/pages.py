"""The pages a heatmap can be drawn for: what the window offers, most visited first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache.models import PagePoints, RecordedSession


@dataclass(frozen=True)
class PageChoice:
    page: str  # host and path: a value for the "simple" URL rule
    visits: int


def pages_shown(session: Session, project_id: int | None = None,
                limit: int = 200) -> list[PageChoice]:
    """Pages with recorded visits, by host and path (query strings and fragments joined, as
    the simple rule joins them), most visited first."""
    statement = select(PagePoints.page_key, func.count()).group_by(PagePoints.page_key)
    if project_id is not None:
        statement = statement.join(RecordedSession,
                                   RecordedSession.id == PagePoints.session_id).where(
            RecordedSession.project_id == project_id)
    visits: Counter[str] = Counter()
    for key, count in session.execute(statement):
        # A page key is "\n<url>\t<host>\t<path>\n" (search/urls.py).
        _url, host, path = key.strip("\n").split("\t")
        if host:
            visits[f"{host}{path or '/'}"] += count
    return [PageChoice(page, count) for page, count in visits.most_common(limit)]
