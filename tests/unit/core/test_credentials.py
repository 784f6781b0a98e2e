"""Tokens go to the keyring when there is one, else to a private file; never both."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring

from app.core.credentials import KEYRING, TokenStore


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in memory (no desktop here)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    chosen = request.param()
    keyring.set_keyring(chosen)
    yield chosen
    keyring.set_keyring(previous)


@pytest.mark.parametrize("backend", [MemoryKeyring], indirect=True)
def test_keyring_holds_the_token_when_there_is_one(backend: MemoryKeyring,
                                                   tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    saved = store.save("http://127.0.0.1:8470/", "tvt_secret")
    assert saved.where == KEYRING and saved.in_keyring
    assert store.load("http://127.0.0.1:8470") == "tvt_secret"
    assert not (tmp_path / "tokens.json").exists()
    store.forget("http://127.0.0.1:8470")
    assert store.load("http://127.0.0.1:8470") is None


@pytest.mark.parametrize("backend", [NoKeyring], indirect=True)
def test_without_a_keyring_a_private_file_holds_it_and_says_so(backend: NoKeyring,
                                                               tmp_path: Path) -> None:
    file = tmp_path / "config" / "tokens.json"
    store = TokenStore(file)
    saved = store.save("https://replays.acme.test", "tvt_secret")
    assert not saved.in_keyring and str(file) in saved.where and "no system keyring" in saved.where
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert TokenStore(file).load("https://replays.acme.test/") == "tvt_secret"
    store.forget("https://replays.acme.test")
    assert store.load("https://replays.acme.test") is None
