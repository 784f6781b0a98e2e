"""What the user made in the cache stays when a sync replaces a session with a longer one:
notes at moments of it, and the defined events found in it (found again in the new part)."""

from __future__ import annotations

from sqlalchemy import select

from app.core.cache.database import Cache
from app.core.cache.models import DefinedEventHit
from app.core.definitions.rules import DefinitionRule
from app.core.definitions.store import define_event
from app.core.notes import add_note, list_notes
from app.core.sync import sync
from tests.server.recordings import BUTTON_ID, T0, checkout_visit, click
from tests.sync.conftest import Server


def test_notes_and_defined_events_survive_a_growing_session(server: Server,
                                                            cache: Cache) -> None:
    visit = checkout_visit()
    session_id = server.ingest("live", visit[:6])
    sync(cache, server.url, server.token)
    with cache.session() as session:
        note = add_note(session, session_id, 1_500, "Card field looks broken here")
    define_event(cache, "Paid", DefinitionRule(selector="button", text="Pay"))

    assert server.ingest("live", [*visit[6:], click(T0 + 9000, BUTTON_ID)]) == session_id
    report = sync(cache, server.url, server.token)
    assert report.sessions_updated == 1

    with cache.read_session() as session:
        assert list_notes(session, session_id) == [note]
        hits = session.scalars(select(DefinedEventHit.ts_ms)
                               .where(DefinedEventHit.session_id == session_id)).all()
    assert T0 + 9000 in hits  # the click that arrived with the update was found too
