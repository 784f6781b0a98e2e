"""Files that hold secrets (API tokens): readable by their owner only, from the first byte."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_private_json(path: Path, data: Any) -> None:
    """Replace `path` atomically with `data` as JSON, created with mode 0600 (never briefly
    readable by others, as a chmod after writing would be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(data, handle, indent=1)
    os.replace(temporary, path)
