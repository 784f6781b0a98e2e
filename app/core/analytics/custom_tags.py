"""Which rrweb Custom events are a site's own events, and which are a recorder's bookkeeping.

Tapeview's tracker sends `identify` and `track(name, props)` as tags of their own; so do
rrweb's `record.addCustomEvent` callers. PostHog records SPA URL changes as `$pageview` and
`$url_changed` (`payload.href`) and keeps its other bookkeeping under `$` tags; Sentry records
SPA navigations as a `breadcrumb` of category `navigation` (`data.to`) and a
`performanceSpan` of op `navigation.push` (`description`), besides its `options` event, other
breadcrumbs and spans (network.py and errors.py read those).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

SENTRY_TAGS = frozenset({"options", "breadcrumb", "performanceSpan"})
POSTHOG_NAVIGATIONS = frozenset({"$pageview", "$url_changed"})


def is_site_event(tag: Any) -> bool:
    return isinstance(tag, str) and bool(tag) and not tag.startswith("$") \
        and tag not in SENTRY_TAGS


def navigation_href(tag: Any, payload: Any, current_url: str | None) -> str | None:
    """The URL an SPA navigation went to, resolved against the page's URL; else None."""
    if not isinstance(tag, str) or not isinstance(payload, dict):
        return None
    target = None
    if tag in POSTHOG_NAVIGATIONS:
        target = payload.get("href")
    elif tag == "breadcrumb" and payload.get("category") == "navigation":
        data = payload.get("data")
        target = data.get("to") if isinstance(data, dict) else None
    elif tag == "performanceSpan" and payload.get("op") == "navigation.push":
        target = payload.get("description")
    if not isinstance(target, str) or not target:
        return None
    try:
        return urljoin(current_url, target) if current_url else target
    except ValueError:  # a page URL too broken to resolve against (recordings are untrusted)
        return target
