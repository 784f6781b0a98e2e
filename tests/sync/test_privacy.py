"""A misconfigured server that sends plaintext: the cache file still holds none of it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.core.cache.database import Cache
from app.core.cache.models import RecordedSession, RecordingChunk
from app.core.privacy import stars
from app.core.recording.chunks import decode_chunk
from app.core.sync import sync
from tests.server.recordings import (
    ALL_SECRETS,
    EMAIL_ID,
    IDENTIFIED_EMAIL,
    SECRET_EMAIL,
    TYPED_CARD,
    TYPED_EMAIL,
    checkout_visit,
)
from tests.sync.conftest import Server, cache_events

REFERRER = f"https://mail.test/inbox?from={SECRET_EMAIL}"
MASK_NOTHING = {"mask_forms": False, "mask_numbers": False, "mask_emails": False,
                "rules": [{"action": "unmask", "selector": "body"}]}


def cache_file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_plaintext_from_a_server_that_masks_nothing_never_reaches_the_cache(
        server: Server, cache: Cache, cache_path: Path) -> None:
    with server.api() as api:
        response = api.put(f"/api/v1/projects/{server.tenant.project_id}/privacy",
                           json=MASK_NOTHING)
        assert response.status_code == 200, response.text
    session_id = server.ingest("visitor-1", checkout_visit(), referrer=REFERRER)
    sent = repr(server.events(session_id))
    assert TYPED_EMAIL in sent and TYPED_CARD in sent and SECRET_EMAIL in sent  # the fault

    sync(cache, server.url, server.token)

    with cache.read_session() as session:
        chunks = session.scalars(select(RecordingChunk.data)).all()
        referrer = session.scalar(select(RecordedSession.referrer))
    plaintext = repr([decode_chunk(data) for data in chunks])
    stored = cache_file_bytes(cache_path)
    for secret in ALL_SECRETS:
        assert secret not in plaintext, secret
        assert secret.encode() not in stored, secret
    assert referrer == f"https://mail.test/inbox?from={stars(SECRET_EMAIL)}"
    # Masked, not dropped: the typing is there as asterisks of the same length.
    typed = [e["data"]["text"] for e in cache_events(cache, session_id)
             if e["type"] == 3 and e["data"].get("id") == EMAIL_ID and "text" in e["data"]]
    assert typed == [stars(TYPED_EMAIL)]
    # The identity the site shared with identify() is kept on purpose (see the README).
    assert IDENTIFIED_EMAIL.encode() in stored


def test_the_projects_mask_and_exclude_rules_still_apply(server: Server, cache: Cache) -> None:
    with server.api() as api:
        api.put(f"/api/v1/projects/{server.tenant.project_id}/privacy",
                json={"rules": [{"action": "exclude", "selector": "#ads"},
                                {"action": "unmask", "selector": ".public"}]})
    session_id = server.ingest("visitor-1", checkout_visit())
    sync(cache, server.url, server.token)

    text = repr(cache_events(cache, session_id))
    assert "Exclusive offer" not in text and "data-tv-blocked" in text
    # The floor keeps numbers masked even where the project unmasked them.
    assert "Order 12345 shipped" not in text and "Order ***** shipped" in text
