"""Fill a cache with many plausible sessions quickly, for list and paging tests.

Rows go straight into the session table (no recordings, no chunks): importing 100,000 real
files would take minutes, and the session list only reads session metadata.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from app.core.cache.database import Cache
from app.core.cache.models import RecordedSession, Visitor
from app.core.cache.writing import get_or_create_project, now_ms

PAGES = ("/", "/pricing", "/checkout", "/blog/how-we-replay-sessions", "/account/settings")
DEVICES = (("desktop", 1440, 900), ("mobile", 390, 844), ("tablet", 820, 1180))
FIRST_START_MS = 1_700_000_000_000
SESSIONS_PER_VISITOR = 4


def add_sessions(cache: Cache, count: int, organization: str = "Acme",
                 project: str = "Shop") -> list[str]:
    """Add `count` sessions to one project; returns their ids, oldest first.

    Durations and counts vary with the row number so every sort order differs from the
    insertion order, and the first session has the shortest duration.
    """
    added = now_ms()
    with cache.session() as session:
        project_id = get_or_create_project(session, organization, project).id
        first_visitor = (session.scalar(select(func.max(Visitor.id))) or 0) + 1
        visitors = [{"id": first_visitor + n, "project_id": project_id,
                     "uid": f"{project}-visitor-{n:06}", "name": None, "email": None,
                     "properties": {}}
                    for n in range(count // SESSIONS_PER_VISITOR + 1)]
        session.execute(insert(Visitor), visitors)
        prefix = f"{project_id:04x}"
        rows = [_session_row(prefix, n, project_id, first_visitor, added) for n in range(count)]
        session.execute(insert(RecordedSession), rows)
    return [row["id"] for row in rows]


def _session_row(prefix: str, n: int, project_id: int, first_visitor: int,
                 added_ms: int) -> dict[str, object]:
    host = "https://shop.example"
    landing = host + PAGES[n % len(PAGES)]
    exit_page = host + PAGES[(n * 3 + 1) % len(PAGES)]
    device, width, height = DEVICES[n % len(DEVICES)]
    duration = 1_000 + (n * 7_919) % 3_600_000
    start = FIRST_START_MS + n * 60_000
    return {
        "id": f"{prefix}{n:028x}", "project_id": project_id,
        "visitor_id": first_visitor + n // SESSIONS_PER_VISITOR,
        "start_ms": start, "end_ms": start + duration, "duration_ms": duration,
        "active_ms": duration // 2, "pages": [landing, exit_page], "page_count": 2,
        "landing_page": landing, "exit_page": exit_page, "referrer": None,
        "device_type": device, "os": None, "browser": None,
        "viewport_width": width, "viewport_height": height, "country": None,
        "event_count": 20 + n % 500, "click_count": n % 40, "input_count": n % 9,
        "error_count": int(n % 11 == 0), "source": f"synthetic-{n}.json", "window_ids": [],
        "raw_size": 50_000 + n % 10_000, "stored_size": 5_000 + n % 1_000, "added_ms": added_ms,
    }
