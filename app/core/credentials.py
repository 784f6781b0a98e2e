"""Where server tokens are kept: the system keyring, or a private file where there is none.

A token reads every recording the member may see, so it never goes into the cache or a
command's history. The keyring (Secret Service, macOS Keychain, Windows Credential Locker) is
the place; a machine without one — a server, a container — gets a file readable only by its
owner, and the caller is told which of the two holds it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import keyring
import platformdirs
from keyring.errors import KeyringError

from app.core.private_files import write_private_json
from app.core.sync.client import normalize_server_url

SERVICE = "tapeview"
KEYRING = "the system keyring"


@dataclass(frozen=True)
class Saved:
    where: str  # "the system keyring", or the fallback file's path
    in_keyring: bool


class TokenStore:
    def __init__(self, fallback_file: Path | None = None) -> None:
        self.fallback_file = fallback_file or Path(
            platformdirs.user_config_dir("tapeview", appauthor=False)) / "tokens.json"

    def save(self, server_url: str, token: str) -> Saved:
        server_url = normalize_server_url(server_url)
        try:
            keyring.set_password(SERVICE, server_url, token)
        except KeyringError:
            self._write({**self._read(), server_url: token})
            return Saved(f"{self.fallback_file} (readable only by you: no system keyring "
                         "was found)", in_keyring=False)
        self._forget_in_file(server_url)
        return Saved(KEYRING, in_keyring=True)

    def load(self, server_url: str) -> str | None:
        server_url = normalize_server_url(server_url)
        try:
            token = keyring.get_password(SERVICE, server_url)
        except KeyringError:
            token = None
        return token or self._read().get(server_url)

    def forget(self, server_url: str) -> None:
        server_url = normalize_server_url(server_url)
        with contextlib.suppress(KeyringError):
            keyring.delete_password(SERVICE, server_url)
        self._forget_in_file(server_url)

    def _forget_in_file(self, server_url: str) -> None:
        tokens = self._read()
        if tokens.pop(server_url, None) is not None:
            self._write(tokens)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.fallback_file.read_text())
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)} \
            if isinstance(data, dict) else {}

    def _write(self, tokens: dict[str, str]) -> None:
        write_private_json(self.fallback_file, tokens)
