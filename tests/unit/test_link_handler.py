"""`tapeview register-links`: the desktop entry that makes tapeview:// links open the app."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.link_handler import ENTRY_NAME, MIME_TYPE


def test_register_writes_an_entry_that_opens_links_in_this_app(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    # A stand-in xdg-mime that records how it was called (the real one needs a desktop).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "xdg-mime"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'xdg-mime.args'}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    cache = str(tmp_path / "my cache.sqlite3")
    assert main(["--cache", cache, "register-links"]) == 0
    assert "made it the handler of tapeview:// links" in capsys.readouterr().out
    entry = (tmp_path / "data" / "applications" / ENTRY_NAME).read_text()
    assert f"MimeType={MIME_TYPE};" in entry
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    command = shlex.split(exec_line.removeprefix("Exec="))
    assert command[:3] == [sys.executable, "-m", "app"]
    assert command[3:] == ["--cache", cache, "open", "%u"]
    assert (tmp_path / "xdg-mime.args").read_text().split() == ["default", ENTRY_NAME,
                                                                MIME_TYPE]
    # What the desktop runs, with the link in place of %u, is understood by the parser.
    from app.cli import _links_open_the_window, build_parser

    argv = _links_open_the_window([*command[3:-1], "tapeview://session/abcd?t=3"])
    args = build_parser().parse_args(argv)
    assert (args.command, args.links, args.cache) == ("open", ["tapeview://session/abcd?t=3"],
                                                      cache)


def test_without_xdg_mime_it_says_what_to_do(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to find here
    assert main(["register-links"]) == 0
    assert "xdg-mime is not installed" in capsys.readouterr().out
    assert (tmp_path / "data" / "applications" / ENTRY_NAME).exists()


def test_a_bare_link_means_open() -> None:
    result = subprocess.run([sys.executable, "-m", "app", "open", "--help"],
                            capture_output=True, text=True, check=True)
    assert "tapeview://session/SESSION_ID?t=SECONDS" in result.stdout
