"""Batches that arrive out of order: they join their tracker session, stored once, in order."""

from __future__ import annotations

import httpx
import pytest

from app.core.cache.database import Cache
from app.core.cache.queries import iter_session_events
from app.core.sync import sync
from app.server.database import ServerDatabase
from tests.server.conftest import Tenant, make_tenant
from tests.server.recordings import BUTTON_ID, MINUTE, T0, URL, batch, checkout_page, click, move
from tests.server.test_ingest import auth, chunk_events, post, sessions

THANKS = "https://shop.test/thanks"


@pytest.fixture
def tenant(db: ServerDatabase) -> Tenant:
    return make_tenant(db, "Acme")


def chunks(client: httpx.Client, tenant: Tenant, session_id: str) -> list[dict]:
    return client.get(f"/api/v1/projects/{tenant.project_id}/sessions/{session_id}/chunks",
                      headers=auth(tenant)).json()


def send(client: httpx.Client, tenant: Tenant, events: list[dict], tab: str) -> dict:
    response = post(client, tenant, batch("v", events, session_id=tab, window_id="w"))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_late_first_batch_joins_its_session_and_syncs_in_time_order(
        client: httpx.Client, tenant: Tenant, cache: Cache) -> None:
    first = [*checkout_page(T0), click(T0 + 2000, BUTTON_ID)]
    second = [*checkout_page(T0 + 5000, THANKS), move(T0 + 6000)]
    [session_id] = send(client, tenant, second, "tab-1")["sessions"]
    before = chunks(client, tenant, session_id)
    assert send(client, tenant, first, "tab-1")["sessions"] == [session_id]

    [session] = sessions(client, tenant)["sessions"]
    assert (session["start_ms"], session["end_ms"], session["duration_ms"]) == \
        (T0, T0 + 6000, 6000)
    assert (session["pages"], session["landing_page"], session["exit_page"]) == \
        ([URL, THANKS], URL, THANKS)
    assert (session["event_count"], session["click_count"]) == (6, 1)
    # Chunks never change: the late events are a new chunk that starts before the last ends.
    after = chunks(client, tenant, session_id)
    assert after[:len(before)] == before and [c["seq"] for c in after] == list(range(4))
    assert after[len(before)]["start_ms"] == T0 < before[-1]["end_ms"]

    for retry in (first, second):  # retries of either, in any order, are stored once
        assert send(client, tenant, retry, "tab-1")["duplicate"]
    assert chunks(client, tenant, session_id) == after

    # The desktop's sync merges the chunks by time.
    sync(cache, str(client.base_url), tenant.admin_token)
    with cache.read_session() as db_session:
        synced = [event for event, _ in iter_session_events(db_session, session_id)]
    assert [e["timestamp"] for e in synced] == sorted(e["timestamp"] for e in first + second)
    assert [e["type"] for e in synced] == [4, 2, 3, 4, 2, 3]

    # Cut after 15 idle minutes, the tab's next session rebuilds the page it was on last in
    # time (the thanks page), not the one stored last.
    [cut] = send(client, tenant, [click(T0 + 22 * MINUTE, BUTTON_ID)], "tab-1")["sessions"]
    assert cut != session_id
    assert chunk_events(client, tenant, cut)[0]["data"]["href"] == THANKS


def test_a_late_batch_across_a_cut_goes_to_both_sessions_it_fits(client: httpx.Client,
                                                                  tenant: Tenant) -> None:
    [one] = send(client, tenant, checkout_page(T0) + [move(T0 + m * MINUTE)
                                                      for m in range(5, 60, 5)],
                 "tab-1")["sessions"]
    [two] = send(client, tenant, [move(T0 + m * MINUTE) for m in (60, 65, 70)],
                 "tab-1")["sessions"]
    assert one != two  # 60 minutes in all
    late = [move(T0 + m * MINUTE) for m in (57, 58, 61, 62)]
    assert send(client, tenant, late, "tab-1")["sessions"] == [one, two]
    listed = {s["id"]: s for s in sessions(client, tenant)["sessions"]}
    assert listed.keys() == {one, two}
    assert (listed[one]["start_ms"], listed[one]["end_ms"]) == (T0, T0 + 58 * MINUTE)
    assert (listed[two]["start_ms"], listed[two]["end_ms"]) == (T0 + 60 * MINUTE,
                                                                T0 + 70 * MINUTE)
    events = sorted(chunk_events(client, tenant, two), key=lambda e: e["timestamp"])
    assert [e["type"] for e in events][:2] == [4, 2]  # still replays from its first moment


def test_late_batches_still_obey_the_cutting_rules(client: httpx.Client,
                                                   tenant: Tenant) -> None:
    [idle] = send(client, tenant, checkout_page(T0 + 20 * MINUTE), "tab-1")["sessions"]
    assert send(client, tenant, [move(T0 + 6 * MINUTE)], "tab-1")["sessions"] == [idle]
    # Sixteen minutes before the session's first event: a session of its own.
    [alone] = send(client, tenant, checkout_page(T0 - 10 * MINUTE), "tab-1")["sessions"]
    assert alone != idle

    [long] = send(client, tenant, checkout_page(T0 + 100 * MINUTE) + [
        move(T0 + m * MINUTE) for m in range(105, 160, 10)], "tab-2")["sessions"]
    # Eight minutes before it, but the session would last more than 60 minutes.
    [early] = send(client, tenant, [move(T0 + 92 * MINUTE)], "tab-2")["sessions"]
    assert early != long
    assert len(sessions(client, tenant)["sessions"]) == 4


def test_a_late_batch_is_indexed_on_the_page_it_happened_on(client: httpx.Client,
                                                            tenant: Tenant) -> None:
    [session_id] = send(client, tenant, checkout_page(T0), "tab-1")["sessions"]
    send(client, tenant, checkout_page(T0 + MINUTE, THANKS), "tab-1")
    send(client, tenant, [click(T0 + 30_000, BUTTON_ID)], "tab-1")  # overtaken on the way
    found = client.get(f"/api/v1/projects/{tenant.project_id}/sessions/{session_id}/events",
                       headers=auth(tenant)).json()
    assert [(e["kind"], e["url"]) for e in sorted(found, key=lambda e: e["ts_ms"])] == \
        [("pageview", URL), ("click", URL), ("pageview", THANKS)]
