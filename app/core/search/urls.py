"""URL rules against a session's pages, through one text column the database can scan fast.

The rules (as Smartlook's heatmaps and filters name them), all ignoring case:

* **simple**: the same page whatever its query string and fragment, its scheme, a leading
  ``www.`` and a trailing ``/``: ``shop.example/checkout`` matches
  ``https://www.shop.example/checkout/?step=2#top``. A value starting with ``/`` is a path,
  compared on any host: ``/checkout``.
* **exact**: the whole URL, query and fragment included.
* **substring**: the text appears anywhere in the URL.

`session.pages` is a JSON list, and walking it in SQL (``json_each``) takes ~350 ms to count
100,000 sessions against ~80 ms for one LIKE over a text column (bench_filters.py).
So each session also keeps `page_keys`: per page one line, ``\\n<url>\\t<host>\\t<path>\\n``,
lower-cased, host without ``www.``, path without a trailing ``/``. The tabs and line breaks
fence each part, so a LIKE pattern can anchor on them: every rule is one LIKE.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from app.core.search.conditions import UrlRule

LIKE_ESCAPE = "\\"
FENCES_AS_SPACES = str.maketrans("\t\r\n", "   ")


def page_keys(pages: Collection[str]) -> str:
    """The `session.page_keys` text of a session's pages."""
    return "".join("\n" + "\t".join(_key(page)) for page in pages) + "\n" if pages else ""


def like_pattern(rule: UrlRule, url: str) -> str:
    """A LIKE pattern (escaped with `LIKE_ESCAPE`) matching the page keys of the sessions
    with a page that matches `url` by `rule`."""
    value = url.strip()
    if rule == "substring":
        return f"%{_escape(value.lower())}%"
    if rule == "exact":
        return f"%\n{_escape(value.lower())}\t%"
    if value.startswith("/"):
        return f"%\t{_escape(_path(value))}\n%"
    host, path = _simple(value)
    return f"%\t{_escape(host)}\t{_escape(path)}\n%"


def url_matches(rule: UrlRule, url: str, page: str) -> bool:
    """Whether one page matches `url` by `rule`: what `like_pattern` asks of the database,
    for a URL already at hand (the page an event happened on, say)."""
    value = url.strip()
    full, host, path = _key(page)
    if rule == "substring":
        return value.lower() in full
    if rule == "exact":
        return value.lower() == full
    if value.startswith("/"):
        return path == _path(value)
    return (host, path) == _simple(value)


def _key(page: str) -> tuple[str, str, str]:
    """A page's URL (lower-cased, unable to break a fence), host and path as keys hold them."""
    url = page.strip().translate(FENCES_AS_SPACES)
    return (url.lower(), *_host_and_path(url))


def _simple(value: str) -> tuple[str, str]:
    """Host and path of a simple rule's value, which may leave the scheme out."""
    return _host_and_path(value if "://" in value else f"//{value}")


def _host_and_path(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # recorded pages are untrusted: a broken URL has no host to match
        return "", ""
    host = host.removeprefix("www.")
    return (f"{host}:{port}" if port else host), _path(parts.path)


def _path(path: str) -> str:
    return path.split("?", 1)[0].split("#", 1)[0].rstrip("/").lower()


def _escape(text: str) -> str:
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", f"{LIKE_ESCAPE}%")
            .replace("_", f"{LIKE_ESCAPE}_"))
