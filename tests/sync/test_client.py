"""The HTTP client on its own (httpx's mock transport): retries, backoff, refusals, checks;
and the masking floor a sync applies."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from app.core.privacy import DEFAULT_POLICY, PrivacyPolicy, RuleAction, SelectorRule
from app.core.sync import (
    ForbiddenError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    SyncClient,
    SyncError,
    normalize_server_url,
)
from app.core.sync.policy import at_least
from app.core.tasks import Cancelled, CancelToken

URL = "http://tv.test"
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, **options: object) -> SyncClient:
    settings: dict = {"retries": 3, "backoff_s": 0.01, **options}
    return SyncClient(URL, "tvt_token", transport=httpx.MockTransport(handler), **settings)


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving these answers in turn (an exception is raised instead)."""
    queue, seen = list(responses), []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


def test_requests_carry_the_token_and_go_to_the_api() -> None:
    handler, seen = answers(httpx.Response(200, json=[{"id": 1}]))
    with client_for(handler) as client:
        assert client.organizations() == [{"id": 1}]
    assert seen[0].url == f"{URL}/api/v1/organizations"
    assert seen[0].headers["authorization"] == "Bearer tvt_token"


def test_connection_errors_and_server_errors_are_retried() -> None:
    handler, seen = answers(httpx.ConnectError("refused"), httpx.Response(503),
                            httpx.ReadError("reset"), httpx.Response(200, json=[]))
    with client_for(handler) as client:
        assert client.organizations() == []
    assert len(seen) == 4


def test_retries_give_up_with_a_message_naming_server_and_request() -> None:
    handler, seen = answers(*[httpx.Response(500)] * 3)
    with client_for(handler, retries=2) as client, pytest.raises(
            NetworkError, match=r"could not get the projects of organization 7 from "
                                r"http://tv.test: HTTP 500 \(gave up after 3 attempt"):
        client.projects(7)
    assert len(seen) == 3


def test_429_waits_at_least_as_long_as_retry_after() -> None:
    handler, seen = answers(httpx.Response(429, headers={"Retry-After": "1"}),
                            httpx.Response(200, json=[]))
    started = time.monotonic()
    with client_for(handler) as client:
        client.organizations()
    assert time.monotonic() - started >= 1.0 and len(seen) == 2


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    with client_for(answers()[0], backoff_s=0.5, max_backoff_s=4.0) as client:
        for attempt, ceiling in enumerate((0.5, 1.0, 2.0, 4.0, 4.0)):
            delays = {client._delay(attempt, None) for _ in range(50)}
            assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1
        assert client._delay(0, 30.0) == 30.0
        assert client._delay(0, 3600.0) == 60.0  # a server cannot stall a sync for an hour


@pytest.mark.parametrize(("status", "error", "message"), [
    (403, ForbiddenError, r"does not let this token read the sessions of project 3 \(403: "
                          r"role too low\)"),
    (404, NotFoundError, r"does not have the sessions of project 3, or does not let this "
                         r"token see it \(404: "),
    (422, ProtocolError, r"refused the request for the sessions of project 3 \(422: "),
])
def test_refusals_are_not_retried_and_say_what_was_refused(status: int, error: type,
                                                           message: str) -> None:
    handler, seen = answers(httpx.Response(status, json={"detail": "role too low"}))
    with client_for(handler) as client, pytest.raises(error, match=message):
        client.sessions(3, None)
    assert len(seen) == 1


def test_a_damaged_chunk_is_fetched_again_then_refused() -> None:
    good = b"chunk bytes"
    digest = hashlib.sha256(good).hexdigest()
    handler, seen = answers(httpx.Response(200, content=b"chunk bytez"),
                            httpx.Response(200, content=good))
    with client_for(handler) as client:
        assert client.chunk(1, "s1", 0, digest) == good
    assert len(seen) == 2

    handler, _ = answers(*[httpx.Response(200, content=b"bad")] * 4)
    with client_for(handler) as client, pytest.raises(
            ProtocolError, match="sent chunk 0 of session s1 damaged"):
        client.chunk(1, "s1", 0, digest)


def test_an_answer_that_is_not_json_is_a_clear_error() -> None:
    handler, _ = answers(httpx.Response(200, text="<html>login</html>"))
    with client_for(handler) as client, pytest.raises(ProtocolError,
                                                      match="not JSON; is it a Tapeview"):
        client.organizations()


def test_cancelling_interrupts_the_wait_between_retries() -> None:
    token = CancelToken()
    handler, _ = answers(*[httpx.ConnectError("refused")] * 5)
    threading.Timer(0.2, token.cancel).start()
    started = time.monotonic()
    with client_for(handler, backoff_s=30.0, cancel=token) as client, \
            pytest.raises(Cancelled):
        client.organizations()
    assert time.monotonic() - started < 5


def test_server_urls_are_kept_in_one_form() -> None:
    assert normalize_server_url("HTTP://Tv.Test:8470/") == "http://tv.test:8470"
    assert normalize_server_url("https://tv.test/tapeview/api/v1/") == \
        "https://tv.test/tapeview"
    assert normalize_server_url("http://[::1]:8470") == "http://[::1]:8470"
    for bad in ("tv.test:8470", "ftp://tv.test", ""):
        with pytest.raises(SyncError, match="is not a server URL"):
            normalize_server_url(bad)


def test_the_floor_keeps_default_masking_and_the_projects_stricter_rules() -> None:
    relaxed = PrivacyPolicy(mask_forms=False, mask_numbers=False, mask_emails=False, rules=(
        SelectorRule(RuleAction.EXCLUDE, "#ads"), SelectorRule(RuleAction.UNMASK, ".public"),
        SelectorRule(RuleAction.MASK, ".secret")))
    policy = at_least(relaxed)
    assert (policy.mask_forms, policy.mask_numbers, policy.mask_emails) == (True, True, True)
    assert [(r.action, r.selector) for r in policy.rules] == [
        (RuleAction.EXCLUDE, "#ads"), (RuleAction.MASK, ".secret")]
    assert at_least(DEFAULT_POLICY) == DEFAULT_POLICY
    # A caller may choose a lower floor (here: numbers may show where the project allows).
    numbers_ok = PrivacyPolicy(mask_numbers=False)
    assert not at_least(PrivacyPolicy(mask_numbers=False), numbers_ok).mask_numbers
