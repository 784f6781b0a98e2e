"""The web engine set-up that keeps replayed pages harmless.

Layers, each enough on its own for most attacks: the recorded page lives in an iframe
sandboxed without scripts (player.html), under a Content-Security-Policy that allows no
connections; the replay engine drops script, handlers and script URLs while rebuilding; and
here, every request the engine makes is intercepted — only the player's own files and the
local asset store are served, everything else is blocked before it leaves the process.
Navigation away from the player page, new windows, dialogs and permissions are refused too.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from importlib.resources import files

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject, QUrl
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from app.core.cache.assets import Asset

log = logging.getLogger(__name__)
PLAYER_SCHEME = b"tvplayer"
ASSET_SCHEME = b"tvasset"
PLAYER_URL = QUrl("tvplayer://player/player.html")
ALLOWED_SCHEMES = frozenset({"tvplayer", "tvasset", "data", "blob", "about"})
PLAYER_FILES = ("player.html", "player.css", "player.js", "replayer.js")
MIME_TYPES = {"html": b"text/html", "css": b"text/css", "js": b"text/javascript"}
# A neutral stand-in for an image the asset store does not have: never fetched live.
PLACEHOLDER_SVG = (b"<svg xmlns='http://www.w3.org/2000/svg' width='64' height='48' "
                   b"viewBox='0 0 64 48'><rect width='64' height='48' fill='#e4e6e9'/>"
                   b"<path d='M14 36l12-14 9 10 6-6 9 10z' fill='#c3c7cd'/>"
                   b"<circle cx='44' cy='16' r='5' fill='#c3c7cd'/></svg>")


def register_schemes() -> None:
    """Declare the player's URL schemes; Qt requires this before the application exists."""
    for name in (PLAYER_SCHEME, ASSET_SCHEME):
        if QWebEngineUrlScheme.schemeByName(QByteArray(name)).name():
            continue
        scheme = QWebEngineUrlScheme(name)
        scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
        # CORS-enabled: fonts from the asset store are fetched cross-origin by the page.
        scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme
                        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
                        | QWebEngineUrlScheme.Flag.CorsEnabled)
        QWebEngineUrlScheme.registerScheme(scheme)


class BlockingInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not for the player or the local asset store.

    Called on the engine's IO thread, hence the lock around the record of what was blocked.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if url.scheme() not in ALLOWED_SCHEMES:
            info.block(True)
            with self._lock:
                self._blocked.append(url.toString()[:300])

    def blocked(self, since: int = 0) -> list[str]:
        """What was blocked, from entry `since` on (a view asks for what came after it)."""
        with self._lock:
            return self._blocked[since:]

    def count(self) -> int:
        with self._lock:
            return len(self._blocked)


class PlayerFilesHandler(QWebEngineUrlSchemeHandler):
    """Serves the player page and scripts, read once at start-up (never from disk later)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        folder = files("app.resources").joinpath("player")
        self._files = {name: folder.joinpath(name).read_bytes() for name in PLAYER_FILES}

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        name = job.requestUrl().path().lstrip("/")
        body = self._files.get(name)
        if body is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        reply(job, MIME_TYPES[name.rsplit(".", 1)[-1]], body)


# fetch(url, deliver): look the URL up in the asset store off the GUI thread, then call
# deliver(asset or None) on the GUI thread.
AssetFetcher = Callable[[str, Callable[[Asset | None], None]], None]


class AssetHandler(QWebEngineUrlSchemeHandler):
    """Serves page resources from the cache's asset store, a neutral placeholder otherwise.

    Lookups run off the GUI thread; a job is answered when its asset arrives, unless the
    page went away meanwhile.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Each view asks with its own host name (tvasset://<view>/?u=...), so the profile
        # can be shared while every view reads the store its own way.
        self._fetchers: dict[str, AssetFetcher] = {}
        self._jobs: dict[int, QWebEngineUrlRequestJob] = {}
        self._next = itertools.count()

    def register(self, fetch: AssetFetcher | None) -> str:
        """A host name for a view's asset URLs, served by `fetch`."""
        host = f"view{next(self._next)}"
        if fetch is not None:
            self._fetchers[host] = fetch
        return host

    def unregister(self, host: str) -> None:
        self._fetchers.pop(host, None)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        request = job.requestUrl()
        url = request.query(QUrl.ComponentFormattingOption.FullyDecoded)
        if url.startswith("u="):
            url = url[2:]
        fetch = self._fetchers.get(request.host())
        if fetch is None:
            answer_missing(job, url)
            return
        key = next(self._next)
        self._jobs[key] = job
        job.destroyed.connect(lambda: self._jobs.pop(key, None))
        fetch(url, lambda asset: self._answer(key, url, asset))

    def _answer(self, key: int, url: str, asset: Asset | None) -> None:
        job = self._jobs.pop(key, None)
        if job is None:
            return
        if asset is None:
            answer_missing(job, url)
        else:
            reply(job, asset.mime.encode(), asset.data)


def answer_missing(job: QWebEngineUrlRequestJob, url: str) -> None:
    """What a resource the store lacks becomes: empty CSS, no font, a grey image."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    if path.endswith(".css"):
        reply(job, b"text/css", b"")
    elif path.endswith((".woff", ".woff2", ".ttf", ".otf", ".eot", ".js", ".mjs")):
        job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
    else:
        reply(job, b"image/svg+xml", PLACEHOLDER_SVG)


def reply(job: QWebEngineUrlRequestJob, mime: bytes, body: bytes) -> None:
    buffer = QBuffer(job)
    buffer.setData(QByteArray(body))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    job.reply(QByteArray(mime), buffer)


class PlayerProfile(QWebEngineProfile):
    """An off-the-record profile: nothing from a replay is written to disk or shared.

    One for the whole application (`player_profile()`): the engine expects profiles to
    outlive their pages, and a profile deleted before the application quits crashes it then.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)  # no storage name: off the record
        self.interceptor = BlockingInterceptor(self)
        self.setUrlRequestInterceptor(self.interceptor)
        self.files_handler = PlayerFilesHandler(self)
        self.asset_handler = AssetHandler(self)
        self.installUrlSchemeHandler(PLAYER_SCHEME, self.files_handler)
        self.installUrlSchemeHandler(ASSET_SCHEME, self.asset_handler)
        self.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
        settings = self.settings()
        for attribute, on in (
            (QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanPaste, False),
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False),
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False),
            (QWebEngineSettings.WebAttribute.PluginsEnabled, False),
            (QWebEngineSettings.WebAttribute.PdfViewerEnabled, False),
            (QWebEngineSettings.WebAttribute.AutoLoadIconsForPage, False),
            (QWebEngineSettings.WebAttribute.DnsPrefetchEnabled, False),
            (QWebEngineSettings.WebAttribute.NavigateOnDropEnabled, False),
            (QWebEngineSettings.WebAttribute.WebRTCPublicInterfacesOnly, True),
            (QWebEngineSettings.WebAttribute.FocusOnNavigationEnabled, False),
            (QWebEngineSettings.WebAttribute.ShowScrollBars, False),
        ):
            settings.setAttribute(attribute, on)


_profile: PlayerProfile | None = None


def player_profile() -> PlayerProfile:
    """The application's player profile, made on first use and kept until it quits."""
    global _profile
    if _profile is None:
        _profile = PlayerProfile(QCoreApplication.instance())
    return _profile


class PlayerPage(QWebEnginePage):
    """Stays on the player page: no navigation, no windows, no dialogs, no permissions."""

    def acceptNavigationRequest(self, url: QUrl | str,
                                _navigation_type: QWebEnginePage.NavigationType,
                                is_main_frame: bool) -> bool:
        url = QUrl(url)
        if is_main_frame:
            return url == PLAYER_URL
        # The sandboxed frames are only ever created empty (about:blank) by the replayer.
        return url.scheme() == "about"

    def javaScriptConsoleMessage(self, level: QWebEnginePage.JavaScriptConsoleMessageLevel,
                                 message: str, line: int, source: str) -> None:
        # Only the player's own script can log (the replayed page runs none): keep it out of
        # the user's terminal, available to developers.
        log.debug("player console (%s) %s:%s: %s", level.name, source, line, message)

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:
        return None

    def javaScriptAlert(self, _origin: QUrl, _message: str) -> None:
        return None

    def javaScriptConfirm(self, _origin: QUrl, _message: str) -> bool:
        return False

    def javaScriptPrompt(self, _origin: QUrl, _message: str, _default: str,
                         ) -> tuple[bool, str]:
        return False, ""
