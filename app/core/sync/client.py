"""HTTP client for the server's read API (`app/server/API.md`): token auth, timeouts, retries.

Every request the sync makes is a GET, so any of them may be repeated: connection failures,
timeouts, 5xx answers and 429 are retried with exponential backoff and jitter (a 429's or
503's `Retry-After` is honoured). Refusals are not retried; they become errors that name the
server and what it refused. The client is shared by the sync's download threads; at most
`max_in_flight` requests run at once.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from app import __version__
from app.core.sync.errors import (
    AuthError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    SyncError,
)
from app.core.tasks import CancelToken

API_PREFIX = "/api/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Longest wait a server's Retry-After may impose before the next attempt.
MAX_RETRY_AFTER_S = 60.0
CANCEL_POLL_S = 0.05

# A check on a successful answer: None when fine, else what is wrong with it (retried).
ResponseCheck = Callable[[httpx.Response], str | None]


def normalize_server_url(url: str) -> str:
    """`scheme://host[:port][/path]` without a trailing slash or `/api/v1`: the form stored in
    the cache, so one server is one mirror however its URL was typed."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise SyncError(f"{url!r} is not a server URL: give it as http://host:port or "
                        "https://host")
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = f":{parsed.port}" if parsed.port else ""
    path = parsed.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return f"{parsed.scheme}://{host.lower()}{port}{path}"


class SyncClient:
    """The read API of one server, as one member (their API token) sees it."""

    def __init__(self, server_url: str, token: str, *, timeout_s: float = 30.0,
                 retries: int = 4, backoff_s: float = 0.5, max_backoff_s: float = 10.0,
                 max_in_flight: int = 4, cancel: CancelToken | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.server_url = normalize_server_url(server_url)
        if not token.strip():
            raise AuthError(f"no API token given for {self.server_url}")
        self.retries, self.backoff_s, self.max_backoff_s = retries, backoff_s, max_backoff_s
        self.cancel = cancel
        self.bytes_received = 0
        self._count_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, max_in_flight))
        self._http = httpx.Client(
            base_url=self.server_url + API_PREFIX,
            headers={"Authorization": f"Bearer {token.strip()}",
                     "User-Agent": f"tapeview/{__version__} (sync)"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            limits=httpx.Limits(max_connections=max(1, max_in_flight),
                                max_keepalive_connections=max(1, max_in_flight)),
            transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the API ---------------------------------------------------------------------------------

    def organizations(self) -> list[dict[str, Any]]:
        return self._json("/organizations", "the organizations of this token")

    def projects(self, org_id: int | str) -> list[dict[str, Any]]:
        return self._json(f"/organizations/{_part(org_id)}/projects",
                          f"the projects of organization {org_id}")

    def privacy(self, project_id: int | str) -> dict[str, Any]:
        return self._json(f"/projects/{_part(project_id)}/privacy",
                          f"the privacy policy of project {project_id}")

    def sessions(self, project_id: int | str, after: str | None,
                 limit: int = 500) -> dict[str, Any]:
        """One page of the sessions changed after the cursor, tombstones included."""
        params: dict[str, Any] = {"limit": limit, "include_deleted": "true"}
        if after is not None:
            params["after"] = after
        return self._json(f"/projects/{_part(project_id)}/sessions",
                          f"the sessions of project {project_id}", params)

    def session(self, project_id: int | str, session_id: str) -> dict[str, Any]:
        return self._json(f"/projects/{_part(project_id)}/sessions/{_part(session_id)}",
                          f"session {session_id} of project {project_id}")

    def chunk(self, project_id: int | str, session_id: str, seq: int, sha256: str) -> bytes:
        """A chunk's bytes, checked against the SHA-256 its chunk list gave."""

        def check(response: httpx.Response) -> str | None:
            if hashlib.sha256(response.content).hexdigest() != sha256:
                return "the bytes do not match the chunk's SHA-256"
            return None

        return self._get(f"/projects/{_part(project_id)}/sessions/{_part(session_id)}/chunks/"
                         f"{seq}", f"chunk {seq} of session {session_id}", check=check).content

    def session_assets(self, project_id: int | str, session_id: str) -> list[dict[str, Any]]:
        return self._json(f"/projects/{_part(project_id)}/sessions/{_part(session_id)}/assets",
                          f"the assets of session {session_id}")

    def asset(self, project_id: int | str, url: str, sha256: str) -> tuple[bytes, str]:
        """(bytes, MIME type) of an asset, checked against its listed SHA-256."""

        def check(response: httpx.Response) -> str | None:
            if hashlib.sha256(response.content).hexdigest() != sha256:
                return "the bytes do not match the asset's SHA-256"
            return None

        response = self._get(f"/projects/{_part(project_id)}/assets", f"the asset {url}",
                             {"url": url}, check=check)
        mime = response.headers.get("content-type", "application/octet-stream")
        return response.content, mime.split(";")[0].strip()

    # -- requests, retries, refusals -----------------------------------------------------------

    def _json(self, path: str, what: str, params: dict[str, Any] | None = None) -> Any:
        response = self._get(path, what, params)
        try:
            return response.json()
        except ValueError:
            raise ProtocolError(f"{self.server_url} answered {what} with something that is not "
                                "JSON; is it a Tapeview server?") from None

    def _get(self, path: str, what: str, params: dict[str, Any] | None = None,
             check: ResponseCheck | None = None) -> httpx.Response:
        failure, damaged = "", False
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self._delay(attempt - 1, retry_after))
                retry_after = None
            self._check_cancel()
            try:
                with self._slots:
                    response = self._http.get(path, params=params)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise SyncError(f"cannot ask {self.server_url} for {what}: {exc}") from exc
            except httpx.TransportError as exc:
                failure, damaged = _describe_transport_error(exc), False
                continue
            with self._count_lock:
                self.bytes_received += len(response.content)
            if response.status_code in RETRY_STATUSES:
                failure, damaged = f"HTTP {response.status_code}", False
                retry_after = _retry_after_s(response)
                continue
            if response.status_code != 200:
                raise self._refusal(response, what)
            problem = check(response) if check else None
            if problem is None:
                return response
            failure, damaged = problem, True
        attempts = self.retries + 1
        if damaged:
            raise ProtocolError(f"{self.server_url} sent {what} damaged ({failure}), "
                                f"{attempts} time(s)")
        raise NetworkError(f"could not get {what} from {self.server_url}: {failure} "
                           f"(gave up after {attempts} attempt(s))")

    def _refusal(self, response: httpx.Response, what: str) -> SyncError:
        detail = _detail(response)
        code = response.status_code
        if code == 401:
            return AuthError(f"{self.server_url} refused the API token (401: {detail}); give a "
                             "member's API token (tvt_...) for this server, not a project key")
        if code == 403:
            return ForbiddenError(f"{self.server_url} does not let this token read {what} "
                                  f"(403: {detail}); a project Viewer role or more is needed")
        if code == 404:
            return NotFoundError(f"{self.server_url} does not have {what}, or does not let "
                                 f"this token see it (404: {detail})")
        return ProtocolError(f"{self.server_url} refused the request for {what} "
                             f"({code}: {detail})")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, so clients that failed together do not retry in
        step; never sooner than the server's Retry-After."""
        delay = min(self.max_backoff_s, self.backoff_s * (2 ** attempt))
        delay *= random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
        return delay

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._check_cancel()
            time.sleep(min(left, CANCEL_POLL_S))

    def _check_cancel(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()


def _part(value: int | str) -> str:
    return quote(str(value), safe="")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no details"
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else response.reason_phrase or "no details"


def _retry_after_s(response: httpx.Response) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc or 'connection refused'})"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"the connection failed ({type(exc).__name__}: {exc or 'no details'})"
