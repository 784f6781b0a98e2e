"""The FastAPI application: routers, error answers and the ingest endpoint's CORS."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from app import __version__
from app.server.database import ServerDatabase
from app.server.errors import RateLimited, ServerError
from app.server.ratelimit import RateLimiter
from app.server.routes_admin import router as admin_router
from app.server.routes_ingest import IngestCors
from app.server.routes_ingest import router as ingest_router
from app.server.routes_read import router as read_router
from app.server.settings import ServerSettings

logger = logging.getLogger(__name__)

DESCRIPTION = """\
The reference server of Tapeview, a session-replay viewer: tracking code sends
rrweb recordings to **ingest**; the desktop app reads organizations, projects and sessions
through the **read API** and syncs them into its local cache.

**Credentials.** Two kinds, never interchangeable:
- *API tokens* (`Authorization: Bearer tvt_...`) belong to a member of one organization and
  can do what the member's roles allow (organization: Admin, Member, Accountant, Guest;
  project: Manager, Editor, Viewer, No access). Anything outside the token's organization, or
  in a project the member has No access to, answers 404.
- *Project keys* (`X-Project-Key: tvk_...`) only permit ingest into their project. They read
  nothing.

**Sync.** List a project's sessions with `after=<cursor>`: every change to a session gives it
the project's next `change_seq`, and `next_cursor` is the last one returned, so asking again
with it returns exactly the sessions changed since. Chunks never change once listed; a live
session only gains chunks at the end. See `app/server/API.md`.

Errors are JSON: `{"detail": "what was wrong", "code": "not_found"}`.
"""


def create_app(db: ServerDatabase, settings: ServerSettings | None = None) -> FastAPI:
    """An application serving `db` (the caller opens and closes it)."""
    settings = settings or ServerSettings()
    app = FastAPI(title="Tapeview server", version=__version__, description=DESCRIPTION)
    app.state.db = db
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.rate_per_second, settings.rate_burst)
    app.state.visitor_limiter = RateLimiter(settings.visitor_rate_per_second,
                                            settings.visitor_rate_burst)
    app.include_router(ingest_router)
    app.include_router(admin_router)
    app.include_router(read_router)
    app.add_middleware(IngestCors)

    @app.exception_handler(ServerError)
    async def _server_error(_request: Request, error: ServerError) -> JSONResponse:
        headers = {}
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(max(1, round(error.retry_after + 0.5)))
        return JSONResponse({"detail": str(error), "code": error.code},
                            status_code=error.status, headers=headers)

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _error: ClientDisconnect) -> Response:
        # A tab closed mid-upload: routine on the web, not a server fault. The body never
        # arrived whole, so nothing was stored; the answer goes nowhere. No address logged.
        logger.info("%s %s: the client went away before its request body arrived; nothing "
                    "was stored", request.method, request.url.path)
        return Response(status_code=400)

    return app
