"""What can stop a sync, each with a message a person can act on (shown as-is by CLI and GUI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.sync.report import SyncReport


class SyncError(RuntimeError):
    """A sync could not go on. What was synced before it stays in the cache.

    `report` (set by the engine) says what the sync had done when it stopped.
    """

    report: SyncReport | None = None


class AuthError(SyncError):
    """The server refused the token (401)."""


class ForbiddenError(SyncError):
    """The token's role does not allow what was asked (403)."""


class NotFoundError(SyncError):
    """The server has no such thing, or does not let this token see it (404)."""


class NetworkError(SyncError):
    """The server could not be reached, or kept failing, after every retry."""


class ProtocolError(SyncError):
    """The server answered something this client cannot use (bad JSON, a damaged chunk)."""
