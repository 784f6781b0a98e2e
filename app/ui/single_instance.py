"""One window per cache: a second start hands its links and files to the running app.

A `tapeview://session/...` link clicked in a chat or a ticket starts `tapeview LINK`; when
the app already runs on that cache, the link should open there, not in a second window over
the same file. The running app listens on a local socket named after the user and the cache;
a second start sends its arguments there and ends.
"""

from __future__ import annotations

import getpass
import hashlib
import json

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.core.cache.database import resolve_cache_url

CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
MAX_MESSAGE_BYTES = 64 * 1024


def instance_name(cache_location: str | None) -> str:
    """The socket name of the app running on this cache for this user."""
    key = f"{getpass.getuser()}\n{resolve_cache_url(cache_location)}"
    return "tapeview-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def hand_over(name: str, arguments: list[str]) -> bool:
    """Send `arguments` to the app listening as `name`; False if none is running."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(json.dumps(arguments).encode() + b"\n")  # one line: the whole message
    sent = socket.waitForBytesWritten(WRITE_TIMEOUT_MS)
    socket.disconnectFromServer()
    return sent


class InstanceServer(QObject):
    """Listens for later starts; `received` carries their arguments (maybe none)."""

    received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening; a socket left by a crashed app is removed first."""
        if self._server.listen(self._name):
            return True
        QLocalServer.removeServer(self._name)
        return self._server.listen(self._name)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            buffer = bytearray()

            def read(socket: QLocalSocket = socket, buffer: bytearray = buffer) -> None:
                buffer.extend(socket.readAll().data())
                if b"\n" not in buffer and len(buffer) <= MAX_MESSAGE_BYTES:
                    return  # more to come
                socket.readyRead.disconnect()
                socket.abort()
                socket.deleteLater()
                self._deliver(bytes(buffer).split(b"\n", 1)[0])

            socket.readyRead.connect(read)

    def _deliver(self, message: bytes) -> None:
        try:
            arguments = json.loads(message or b"[]")
        except ValueError:
            return
        if isinstance(arguments, list) and all(isinstance(a, str) for a in arguments):
            self.received.emit(arguments)
