"""A combo box of (value, title) choices: the title is shown, `currentData()` is the value."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox


def choice_box(choices: Iterable[tuple[object, str]]) -> QComboBox:
    box = QComboBox()
    for value, title in choices:
        box.addItem(title, value)
    return box
