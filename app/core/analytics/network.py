"""Network entries: the requests a page made, from what recorders put in a recording.

* Sentry Replay: custom events tagged `performanceSpan` whose op is `resource.*` (fetch and
  XHR calls, scripts, images, styles...) or a document load (`navigation.navigate`,
  `.reload`, `.back_forward`), timed in seconds, with `data.method` and `data.statusCode`.
* rrweb's network plugin (`rrweb/network@1`, PostHog's flavour too): `payload.requests[]`
  with `name` (the URL), `method`, `status` (PostHog: `responseStatus`), `initiatorType`, and
  times relative to the page's `performance.timeOrigin`. PostHog adds each request's absolute
  `timestamp`; rrweb's own entries are placed back from the plugin event's time, which is when
  the last request it lists had ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NETWORK_PLUGIN = "rrweb/network@1"
DOCUMENT_LOADS = frozenset({"navigation.navigate", "navigation.reload",
                            "navigation.back_forward"})
URL_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Request:
    ts_ms: int
    url: str
    method: str | None
    status: int | None
    duration_ms: int | None
    initiator: str | None

    def properties(self) -> dict[str, Any]:
        return {"method": self.method, "status": self.status, "duration_ms": self.duration_ms,
                "initiator": self.initiator}


def from_performance_span(payload: Any, event_ts: int) -> Request | None:
    if not isinstance(payload, dict):
        return None
    op, url = payload.get("op"), payload.get("description")
    if not isinstance(op, str) or not (op.startswith("resource.") or op in DOCUMENT_LOADS) \
            or not isinstance(url, str) or not url:
        return None
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    start, end = _number(payload.get("startTimestamp")), _number(payload.get("endTimestamp"))
    return Request(
        ts_ms=round(start * 1000) if start is not None else event_ts,
        url=url[:URL_LIMIT], method=_method(data.get("method")),
        status=_status(data.get("statusCode", data.get("responseStatus"))),
        duration_ms=round((end - start) * 1000) if start is not None and end is not None
        and end >= start else None,
        initiator=op.partition(".")[2] if op.startswith("resource.") else "navigation")


def from_network_plugin(payload: Any, event_ts: int) -> list[Request]:
    requests = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(requests, list):
        return []
    entries = [r for r in requests if isinstance(r, dict) and isinstance(r.get("name"), str)
               and r["name"]]
    ends = [end for r in entries if (end := _end(r)) is not None]
    last_end = max(ends) if ends else None
    found = []
    for request in entries:
        start, duration = _number(request.get("startTime")), _duration(request)
        found.append(Request(
            ts_ms=_start_ms(request, start, last_end, event_ts), url=request["name"][:URL_LIMIT],
            method=_method(request.get("method")),
            status=_status(request.get("status", request.get("responseStatus"))),
            duration_ms=round(duration) if duration is not None else None,
            initiator=request["initiatorType"][:32]
            if isinstance(request.get("initiatorType"), str) else None))
    return found


def _start_ms(request: dict[str, Any], start: float | None, last_end: float | None,
              event_ts: int) -> int:
    absolute = _number(request.get("timestamp"))
    if absolute is not None:
        return round(absolute)
    origin = _number(request.get("timeOrigin"))
    if origin is not None and start is not None:
        return round(origin + start)
    if start is not None and last_end is not None:
        return round(event_ts - (last_end - start))
    return event_ts


def _end(request: dict[str, Any]) -> float | None:
    end = _number(request.get("endTime"))
    if end is not None:
        return end
    start, duration = _number(request.get("startTime")), _number(request.get("duration"))
    return start + duration if start is not None and duration is not None else None


def _duration(request: dict[str, Any]) -> float | None:
    duration = _number(request.get("duration"))
    if duration is not None:
        return duration if duration >= 0 else None
    start, end = _number(request.get("startTime")), _number(request.get("endTime"))
    return end - start if start is not None and end is not None and end >= start else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value \
            and abs(value) < 1e15:
        return float(value)
    return None


def _method(value: Any) -> str | None:
    return value.upper()[:16] if isinstance(value, str) and value else None


def _status(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) \
        and 0 <= value < 1000 else None
