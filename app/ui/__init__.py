"""The PySide6 desktop GUI. It depends on `app.core`; the core never imports Qt."""

from app.ui.player.sandbox import register_schemes

# Qt accepts custom URL schemes only before the application object exists; every entry into
# the GUI imports this package first.
register_schemes()
