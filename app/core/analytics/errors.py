"""Errors: console.error / console.assert calls and uncaught errors, as recorders write them.

rrweb's console plugin (`rrweb/console@1`; rrweb 1 wrote the same payload as the `Log`
incremental source) records each console call with its level, its arguments (each as JSON
text) and a stack trace; with level "error" it also records `window.onerror` ("Uncaught
Error: ...") and unhandled rejections ("Uncaught (in promise) ..."). Tapeview's tracker
(resources/tracker/tapeview.js) sends its uncaught errors, and console errors when asked, in
that same shape rather than as custom events. Sentry Replay keeps console calls as `breadcrumb`
custom events of category `console`.
"""

from __future__ import annotations

from typing import Any

import orjson

from app.core.recording.summary import ERROR_LEVELS

MESSAGE_LIMIT = 500
TRACE_FRAMES = 10
FRAME_LIMIT = 300


def console_error(payload: Any) -> tuple[str | None, dict[str, Any]] | None:
    """(message, properties) of a console plugin payload at an error level, else None.

    `uncaught` is Chromium's wording ("Uncaught ..."); other browsers word uncaught errors as
    plain console errors.
    """
    if not isinstance(payload, dict) or payload.get("level") not in ERROR_LEVELS:
        return None
    parts = payload.get("payload")
    message = " ".join(console_text(part) for part in parts) if isinstance(parts, list) else ""
    trace = payload.get("trace")
    frames = [frame[:FRAME_LIMIT] for frame in trace[:TRACE_FRAMES]
              if isinstance(frame, str)] if isinstance(trace, list) else []
    return message[:MESSAGE_LIMIT] or None, {"level": payload["level"],
                                            "uncaught": message.startswith("Uncaught"),
                                            "trace": frames}


def breadcrumb_error(payload: Any) -> tuple[str | None, dict[str, Any]] | None:
    """The same for a Sentry console breadcrumb."""
    if not isinstance(payload, dict) or payload.get("category") != "console" \
            or payload.get("level") not in ERROR_LEVELS:
        return None
    message = payload.get("message")
    message = message[:MESSAGE_LIMIT] if isinstance(message, str) and message else None
    return message, {"level": payload["level"], "uncaught": False, "trace": []}


def console_text(part: Any) -> str:
    """rrweb's console plugin sends each argument as JSON text (`'"Uncaught Error: x"'`):
    show the value, not its quotes."""
    if isinstance(part, str):
        try:
            value = orjson.loads(part)
        except orjson.JSONDecodeError:
            return part
        return value if isinstance(value, str) else part
    return str(part)
