"""Sync from the real server: full, incremental, live sessions, deletions, mirrors, assets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.core.cache.assets import load_asset
from app.core.cache.database import Cache
from app.core.cache.models import (
    Event,
    Organization,
    Project,
    RecordedSession,
    RecordingChunk,
    SyncState,
    Visitor,
)
from app.core.importing import prepare
from app.core.recording.formats import RawRecording, Window
from app.core.sync import NotFoundError, sync
from app.server.database import ServerDatabase
from app.server.models import Asset, AssetBlob, SessionAsset
from app.server.roles import OrgRole
from tests.server.recordings import (
    BUTTON_ID,
    IDENTIFIED_EMAIL,
    LOGO_BYTES,
    LOGO_URL,
    MINUTE,
    T0,
    checkout_visit,
    click,
    move,
)
from tests.sync.conftest import Server, cache_events, cache_session_ids

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def masked_locally(events: list[dict]) -> list[dict]:
    """What import would store for these events: normalised and masked by default."""
    return prepare(RawRecording("test", [Window(None, events)])).events


def test_full_sync_stores_every_session_as_ingested_after_masking(server: Server,
                                                                   cache: Cache) -> None:
    ids = server.ingest_visits(4)
    progress: list[tuple[int, int]] = []

    report = sync(cache, server.url, server.token,
                  progress=lambda done, total, _message: progress.append((done, total)))

    assert cache_session_ids(cache) == set(ids)  # the local id is the server's
    for number, session_id in enumerate(ids):
        stored = cache_events(cache, session_id)
        assert stored == server.events(session_id)
        assert stored == masked_locally(checkout_visit(T0 + number * 100 * MINUTE))
    assert (report.sessions_added, report.sessions_updated, report.cancelled) == (4, 0, False)
    assert report.chunks_downloaded == sum(len(server_chunks(server, i)) for i in ids)
    assert report.bytes_received > report.chunk_bytes > 0
    assert (1, 4) in progress and (4, 4) in progress


def server_chunks(server: Server, session_id: str) -> list[dict]:
    with server.api() as api:
        return api.get(f"/api/v1/projects/{server.tenant.project_id}/sessions/"
                       f"{session_id}/chunks").json()


def test_metadata_visitor_and_projects_mirror_the_server(server: Server, cache: Cache) -> None:
    session_id = server.ingest("visitor-1", checkout_visit(), referrer="https://search.test/",
                               headers={"User-Agent": FIREFOX, "CF-IPCountry": "de"})
    sync(cache, server.url, server.token)

    with cache.read_session() as session:
        row = session.get_one(RecordedSession, session_id)
        assert (row.browser, row.os, row.country) == ("Firefox 125", "Linux", "DE")
        assert row.referrer == "https://search.test/"
        assert (row.event_count, row.click_count, row.error_count) == (12, 1, 1)
        assert row.source == server.url
        visitor = session.get_one(Visitor, row.visitor_id)
        assert (visitor.uid, visitor.name, visitor.email) == ("user-42", "Jane Doe",
                                                              IDENTIFIED_EMAIL)
        organization = session.scalars(select(Organization)).one()
        assert (organization.name, organization.server_url, organization.remote_id) == (
            "Acme", server.url, str(server.tenant.org_id))
        project = session.get_one(Project, row.project_id)
        assert project.name == "Acme web" and project.organization_id == organization.id
        state = session.get_one(SyncState, project.id)
        assert (state.server_url, state.remote_project_id) == (server.url,
                                                               str(server.tenant.project_id))
        assert state.cursor is not None and state.last_sync_ms is not None
        # The events index is built from the (masked) events, as on import.
        kinds = session.scalars(select(Event.kind).where(Event.session_id == session_id))
        assert {"pageview", "click", "error", "identify"} <= set(kinds)


def test_second_sync_downloads_nothing_and_a_third_only_what_changed(server: Server,
                                                                      cache: Cache) -> None:
    ids = server.ingest_visits(3)
    sync(cache, server.url, server.token)

    again = sync(cache, server.url, server.token)
    assert (again.sessions_listed, again.sessions_written, again.chunks_downloaded) == (0, 0, 0)

    # One new session, and one of the first three gains events (the tracker's next batch).
    new_id = server.ingest("visitor-9", checkout_visit(T0 + 1000 * MINUTE))
    grown = server.ingest("visitor-1", [click(T0 + 100 * MINUTE + 9000, BUTTON_ID)])
    assert grown == ids[1]
    third = sync(cache, server.url, server.token)

    assert (third.sessions_added, third.sessions_updated, third.sessions_listed) == (1, 1, 2)
    assert third.chunks_downloaded == len(server_chunks(server, new_id)) + 1
    assert cache_session_ids(cache) == {*ids, new_id}
    assert cache_events(cache, grown) == server.events(grown)


def test_a_live_session_that_grows_between_syncs_ends_up_complete_once(server: Server,
                                                                        cache: Cache) -> None:
    visit = checkout_visit()
    session_id = server.ingest("live", visit[:6])
    sync(cache, server.url, server.token)
    assert len(cache_events(cache, session_id)) == 6

    for start in (6, 9):  # two more batches, each a sync apart
        assert server.ingest("live", visit[start:start + 3]) == session_id
        report = sync(cache, server.url, server.token)
        assert (report.sessions_updated, report.chunks_downloaded) == (1, 1)
    assert server.ingest("live", [move(T0 + 8000), click(T0 + 9000, BUTTON_ID)]) == session_id
    sync(cache, server.url, server.token)

    assert cache_session_ids(cache) == {session_id}
    events = cache_events(cache, session_id)
    assert events == server.events(session_id)
    assert len(events) == len(visit) + 2
    with cache.read_session() as session:
        row = session.get_one(RecordedSession, session_id)
        assert row.event_count == len(events) and row.click_count == 2
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "click")) == 2


def test_sessions_that_change_during_a_sync_are_complete_after_the_next(
        server: Server, cache: Cache) -> None:
    ids = server.ingest_visits(6)

    def grow_during_sync(done: int, _total: int, _message: str) -> None:
        if done == 1:  # one written already, the others listed (some being fetched)
            for number in (0, 5):
                server.ingest(f"visitor-{number}",
                              [click(T0 + number * 100 * MINUTE + 9000, BUTTON_ID)])

    sync(cache, server.url, server.token, progress=grow_during_sync)
    sync(cache, server.url, server.token)

    assert cache_session_ids(cache) == set(ids)
    for session_id in ids:
        assert cache_events(cache, session_id) == server.events(session_id)
    assert sync(cache, server.url, server.token).sessions_written == 0


def test_a_session_deleted_on_the_server_is_deleted_from_the_cache(server: Server,
                                                                    cache: Cache) -> None:
    ids = server.ingest_visits(3)
    sync(cache, server.url, server.token)
    with server.api() as api:
        response = api.delete(f"/api/v1/projects/{server.tenant.project_id}/sessions/{ids[0]}")
        assert response.status_code == 204

    report = sync(cache, server.url, server.token)

    assert report.sessions_deleted == 1
    assert cache_session_ids(cache) == set(ids[1:])
    with cache.read_session() as session:
        for model in (RecordingChunk, Event):
            assert session.scalar(select(func.count()).select_from(model).where(
                model.session_id == ids[0])) == 0


def test_only_the_chosen_projects_are_synced(server: Server, cache: Cache) -> None:
    with server.api() as api:
        created = api.post(f"/api/v1/organizations/{server.tenant.org_id}/projects",
                           json={"name": "App"}).json()
    server.ingest_visits(2)
    app_session = server.ingest("phone", checkout_visit(), key=created["key"])

    report = sync(cache, server.url, server.token, project_ids=["App"])
    assert cache_session_ids(cache) == {app_session}
    assert [p.name for p in report.projects] == ["Acme / App"]

    sync(cache, server.url, server.token, project_ids=[server.tenant.project_id])
    assert len(cache_session_ids(cache)) == 3
    with pytest.raises(NotFoundError, match=r"no project 'Nope'.*App \(id"):
        sync(cache, server.url, server.token, project_ids=["Nope"])


def test_renamed_projects_and_clashing_local_names_keep_one_mirror(server: Server,
                                                                    cache: Cache) -> None:
    with cache.session() as session:  # a local organization that happens to share the name
        session.add(Organization(name="Acme", created_ms=1))
    server.ingest_visits(1)
    sync(cache, server.url, server.token)
    with server.api() as api:
        api.patch(f"/api/v1/projects/{server.tenant.project_id}", json={"name": "Shop"})
    server.ingest_visits(1, start=1)
    sync(cache, server.url, server.token)

    with cache.read_session() as session:
        names = session.execute(select(Organization.name, Project.name).join(
            Project, Project.organization_id == Organization.id)).all()
    host = server.url.split("://")[1]
    assert names == [(f"Acme ({host})", "Shop")]
    assert len(cache_session_ids(cache)) == 2


def test_assets_of_synced_sessions_are_stored_for_offline_replay(server: Server,
                                                                  cache: Cache) -> None:
    session_id = server.ingest("visitor-1", checkout_visit())
    # An asset the server kept for the session that its events do not carry inline (a
    # stylesheet it captured itself, say): only the assets endpoint has it.
    css_url, css = "https://shop.test/site.css", b"body { color: #123456 }"
    digest = hashlib.sha256(css).hexdigest()
    db = ServerDatabase(server.db_path)
    with db.write() as session:
        session.add(AssetBlob(sha256=digest, mime="text/css", size=len(css), data=css))
        session.flush()
        session.add(Asset(project_id=server.tenant.project_id, url=css_url, blob_sha256=digest,
                          url_sha256=hashlib.sha256(css_url.encode()).hexdigest(),
                          added_ms=T0))
        session.add(SessionAsset(session_id=session_id,
                                 url_sha256=hashlib.sha256(css_url.encode()).hexdigest()))
    db.close()

    report = sync(cache, server.url, server.token)

    logo, stylesheet = load_asset(cache, LOGO_URL), load_asset(cache, css_url)
    assert logo is not None and (logo.mime, logo.data) == ("image/png", LOGO_BYTES)
    assert stylesheet is not None and (stylesheet.mime, stylesheet.data) == ("text/css", css)
    # The logo came inline with the events; only the stylesheet needed a download.
    assert (report.assets_downloaded, report.asset_bytes) == (1, len(css))


def test_cli_sync_prints_a_summary_or_json(server: Server, cache_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    server.ingest_visits(2)
    assert main(["--cache", str(cache_path), "sync", "--server", server.url,
                 "--token", server.token]) == 0
    assert f"Synced from {server.url}: 2 new" in capsys.readouterr().out

    server.ingest_visits(1, start=2)
    assert main(["--cache", str(cache_path), "sync", "--server", server.url + "/",
                 "--token", server.token, "--project", str(server.tenant.project_id),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["sessions_added"], report["sessions_unchanged"]) == (1, 0)
    assert report["server_url"] == server.url


def test_a_session_with_nothing_to_replay_is_skipped_until_it_has(server: Server,
                                                                   cache: Cache) -> None:
    # A tracker's first batch may hold only custom events; the server keeps them.
    only_custom = [{"type": 5, "timestamp": T0, "data": {"tag": "cart", "payload": {}}}]
    session_id = server.ingest("early", only_custom)

    report = sync(cache, server.url, server.token)
    assert report.sessions_skipped == 1 and cache_session_ids(cache) == set()
    assert report.problems == [f"session {session_id}: not a recording: no snapshot or page "
                               "events in it"]

    assert server.ingest("early", checkout_visit(T0 + 1000)) == session_id
    report = sync(cache, server.url, server.token)
    assert report.sessions_added == 1
    assert cache_events(cache, session_id) == server.events(session_id)


def test_a_guest_can_sync_and_a_project_without_access_is_not_offered(server: Server,
                                                                      cache: Cache) -> None:
    server.ingest_visits(2)
    db = ServerDatabase(server.db_path)
    try:
        _, guest = server.tenant.member(db, "guest@acme.test", OrgRole.GUEST)
        _, accountant = server.tenant.member(db, "books@acme.test", OrgRole.ACCOUNTANT)
    finally:
        db.close()

    assert sync(cache, server.url, guest).sessions_added == 2  # Viewer is enough
    with pytest.raises(NotFoundError, match=r"no project 'Acme web' that this token may see "
                                            r"\(it sees: none\)"):
        sync(cache, server.url, accountant, project_ids=["Acme web"])
