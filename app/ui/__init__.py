"""The PySide6 desktop GUI. It depends on `app.core`; the core never imports Qt."""
