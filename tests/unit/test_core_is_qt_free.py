"""app/core must run without Qt: import every module with Qt made unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import app.core

CORE = Path(app.core.__file__).parent

BLOCK_QT_AND_IMPORT_ALL = r"""
import importlib, pkgutil, sys
import app.core

class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"}:
            raise ImportError(f"app/core imported {name}")
        return None

sys.meta_path.insert(0, BlockQt())
for module in pkgutil.walk_packages(app.core.__path__, "app.core."):
    if ".migrations" not in module.name:
        importlib.import_module(module.name)
print("imported", len(sys.modules))
"""


def test_every_core_module_imports_with_qt_blocked() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCK_QT_AND_IMPORT_ALL],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_no_core_source_mentions_a_qt_import() -> None:
    offenders = [str(path.relative_to(CORE)) for path in CORE.rglob("*.py")
                 if any(line.lstrip().startswith(("import PySide6", "from PySide6",
                                                   "import pyqtgraph", "from pyqtgraph"))
                        for line in path.read_text().splitlines())]
    assert offenders == []
