"""Make `tapeview://` links open Tapeview when clicked in a browser, a chat or a ticket.

On Linux desktops (freedesktop.org) an application says which URL schemes it handles in a
`.desktop` file, and `xdg-mime` makes it the default handler. The entry runs this very
interpreter with `-m app open`, so it works from a virtual environment as well.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs

ENTRY_NAME = "tapeview-link.desktop"
MIME_TYPE = "x-scheme-handler/tapeview"
RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")


def desktop_entry(cache: str | None) -> str:
    command = [sys.executable, "-m", "app"]
    if cache:
        command += ["--cache", cache]
    exec_line = " ".join(_exec_argument(part) for part in command)
    return ("[Desktop Entry]\nType=Application\nName=Tapeview\n"
            "Comment=Open a moment of a recorded session\n"
            f"Exec={exec_line} open %u\nTerminal=false\nNoDisplay=true\n"
            f"MimeType={MIME_TYPE};\n")


def _exec_argument(argument: str) -> str:
    """Quoted as the Desktop Entry spec says: double quotes, with `"`, backtick, `$` and
    backslash escaped; a literal `%` doubled (field codes like %u start with one)."""
    argument = argument.replace("%", "%%")
    if not any(character in argument for character in RESERVED):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def register(cache: str | None = None) -> str:
    """Write the entry and make it the default for the scheme; what was done, for people."""
    folder = Path(platformdirs.user_data_dir("applications", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    entry = folder / ENTRY_NAME
    entry.write_text(desktop_entry(cache))
    done = f"wrote {entry}"
    xdg_mime = shutil.which("xdg-mime")
    if xdg_mime is None:
        return (f"{done}; xdg-mime is not installed (Debian package xdg-utils), so make it "
                f"the handler of {MIME_TYPE} in your desktop's settings")
    result = subprocess.run([xdg_mime, "default", ENTRY_NAME, MIME_TYPE], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        return f"{done}; xdg-mime failed: {(result.stderr or result.stdout).strip()}"
    return f"{done} and made it the handler of tapeview:// links"
