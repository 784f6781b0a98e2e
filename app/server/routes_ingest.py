"""`POST /api/v1/ingest`: where tracking code sends batches of rrweb events.

Checked in this order, each with its own clear 4xx: the project key (401), the key's rate
(429), the body's size (413), its encoding (415), JSON (400), the batch's shape (422), the
visitor's rate (429: the visitor id is only known once the body is parsed). Only a batch that
passes all of them reaches the database.
"""

from __future__ import annotations

import zlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.server.database import ServerDatabase
from app.server.errors import (
    Invalid,
    RateLimited,
    ServerError,
    TooLarge,
    Unauthorized,
    UnsupportedEncoding,
)
from app.server.ingest import Batch, ClientInfo, ingest
from app.server.models import Project
from app.server.schemas import ErrorOut, IngestIn, IngestOut
from app.server.settings import ServerSettings
from app.server.useragent import parse_user_agent

INGEST_PATH = "/api/v1/ingest"
# Set by CDNs and proxies in front of the server; the IP address itself is never looked at.
COUNTRY_HEADERS = ("CF-IPCountry", "X-Country", "CloudFront-Viewer-Country")
NOT_COUNTRIES = frozenset({"XX", "T1", "ZZ"})
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Content-Encoding, X-Project-Key",
    "Access-Control-Expose-Headers": "Retry-After",
    "Access-Control-Max-Age": "86400",
}

router = APIRouter(tags=["ingest"])

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": IngestIn.model_json_schema(
            ref_template="#/components/schemas/{model}")},
    },
    "description": "JSON, optionally gzip-compressed (`Content-Encoding: gzip`).",
}


@router.post(
    INGEST_PATH, response_model=IngestOut, summary="Send a batch of rrweb events",
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={code: {"model": ErrorOut, "description": text} for code, text in (
        (400, "The body is not JSON (or damaged gzip)."),
        (401, "No project key, or an unknown one."),
        (413, "The body is larger than the server accepts (before or after gzip)."),
        (415, "A Content-Encoding other than gzip."),
        (422, "The JSON is not a batch: the message names the first problem."),
        (429, "Too many requests for this project key, or from this visitor; see "
              "Retry-After."))},
)
async def post_ingest(
        request: Request,
        x_project_key: Annotated[str | None, Header(
            description="The project key (`tvk_...`). It only permits sending to its "
                        "project; it reads nothing.")] = None,
        key: Annotated[str | None, Query(
            description="The project key again, for `navigator.sendBeacon`, which cannot "
                        "set headers.")] = None,
) -> IngestOut:
    """The endpoint tracking code posts batches to, every few seconds while a page is open.

    The body is `{"visitor_id": ..., "session_id": ... (optional), "window_id": ...
    (optional), "referrer": ... (optional), "events": [rrweb events]}`. Sessions are cut
    by the server: a session ends after 15 minutes without events or 60 minutes in all.
    The project's privacy policy is applied before anything is stored. Browsers may call it
    from any origin (CORS, preflight included). A batch sent twice (a retry) is stored once.
    """
    settings: ServerSettings = request.app.state.settings
    db: ServerDatabase = request.app.state.db
    project_key = x_project_key or key
    if not project_key:
        raise Unauthorized("send the project key in the X-Project-Key header")
    project_id = await run_in_threadpool(_project_for_key, db, project_key)
    if project_id is None:
        raise Unauthorized("unknown project key")
    retry_after = request.app.state.limiter.acquire(project_key)
    if retry_after is not None:
        raise RateLimited(f"more than {settings.rate_per_second:g} requests a second for this "
                          "project key; send larger batches less often", retry_after)
    body = await _read_body(request, settings.max_body_bytes)
    body = _decode(body, request.headers.get("content-encoding"),
                   settings.max_decompressed_bytes)
    batch = _parse_batch(body)
    retry_after = request.app.state.visitor_limiter.acquire(f"{project_id}:{batch.visitor_id}")
    if retry_after is not None:
        raise RateLimited(f"more than {settings.visitor_rate_per_second:g} requests a second "
                          "from this visitor; send larger batches less often", retry_after)
    result = await run_in_threadpool(ingest, db, project_id, batch, _client_info(request))
    return IngestOut(sessions=result.session_ids, events=result.event_count,
                     duplicate=result.duplicate)


class IngestCors:
    """CORS for the ingest endpoint only: tracking code runs on any site, while the read
    API is for the desktop app and allows no cross-origin use at all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != INGEST_PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(k.lower().encode(), v.encode())
                                    for k, v in CORS_HEADERS.items()]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = "Retry-After"
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _project_for_key(db: ServerDatabase, key: str) -> int | None:
    with db.read() as session:
        return session.scalar(select(Project.id).where(Project.key == key[:64]))


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(_too_large(limit))
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise TooLarge(_too_large(limit))
        parts.append(part)
    return b"".join(parts)


def _decode(body: bytes, encoding: str | None, limit: int) -> bytes:
    encoding = (encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported; send "
                                  "gzip or plain JSON")
    # sendBeacon cannot set Content-Encoding: gzip data is recognised by its magic bytes.
    if encoding == "identity" and body[:2] != b"\x1f\x8b":
        return body
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ServerError(f"damaged gzip data ({exc})") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"the batch is larger than {_size(limit)} once decompressed; send "
                       "smaller batches")
    if not inflater.eof:
        raise ServerError("the gzip data ends too early (truncated)")
    return data


def _parse_batch(body: bytes) -> Batch:
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ServerError(f"the body is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise Invalid("the body must be a JSON object: {\"visitor_id\": ..., \"events\": [...]}")
    try:
        parsed = IngestIn.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise Invalid(f"{where}: {first['msg']}") from None
    return Batch(visitor_id=parsed.visitor_id, events=parsed.events,
                 session_id=parsed.session_id, window_id=parsed.window_id,
                 referrer=parsed.referrer, raw_size=len(body))


def _client_info(request: Request) -> ClientInfo:
    agent = parse_user_agent(request.headers.get("user-agent"))
    country = next((value.strip().upper() for name in COUNTRY_HEADERS
                    if (value := request.headers.get(name))), None)
    if country is not None and (len(country) != 2 or not country.isalpha()
                                or country in NOT_COUNTRIES):
        country = None
    return ClientInfo(browser=agent.browser, os=agent.os, device_type=agent.device_type,
                      country=country)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {_size(limit)}; send smaller batches, gzipped"


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"
