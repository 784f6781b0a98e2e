"""Sync sessions from a Tapeview server into the local cache (see `app/server/API.md`).

`sync()` is the entry point; `SyncClient` talks to the server's read API.
"""

from app.core.sync.client import SyncClient, normalize_server_url
from app.core.sync.engine import sync
from app.core.sync.errors import (
    AuthError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    SyncError,
)
from app.core.sync.report import ProjectReport, SyncReport

__all__ = ["AuthError", "ForbiddenError", "NetworkError", "NotFoundError", "ProjectReport",
           "ProtocolError", "SyncClient", "SyncError", "SyncReport", "normalize_server_url",
           "sync"]
