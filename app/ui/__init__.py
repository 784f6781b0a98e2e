"""The PySide6 desktop GUI. It depends on `app.core`; the core never imports Qt."""

import os

# Chromium refuses to start its sandbox as root (containers, CI); Qt WebEngine then needs to be
# told. Replayed pages are isolated by the player's own layers (see app.ui.player.sandbox).
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

from app.ui.player.sandbox import register_schemes

# Qt accepts custom URL schemes only before the application object exists; every entry into
# the GUI imports this package first.
register_schemes()
