"""The console beside the replay: what the page logged, filtered by level as in DevTools."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from PySide6.QtWidgets import QToolButton, QWidget

from app.core.replay.inspection import CONSOLE_GROUPS, ConsoleLine
from app.ui.player.inspector_models import ConsoleModel
from app.ui.player.timed_panel import TimedPanel

LEVEL_NAMES = {"log": "Log", "info": "Info", "warn": "Warnings", "error": "Errors",
               "debug": "Debug"}
LEVEL_TIPS = {"log": "console.log and the other console methods (table, dir, count, time…)",
              "info": "console.info", "warn": "console.warn",
              "error": "console.error, console.assert and uncaught errors",
              "debug": "console.debug"}


class ConsolePanel(TimedPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(ConsoleModel(), "No console messages were recorded in this session.",
                         "Search the console", parent)
        self.level_buttons: dict[str, QToolButton] = {}
        for group in CONSOLE_GROUPS:
            button = QToolButton()
            button.setCheckable(True)
            button.setChecked(True)
            button.setAutoRaise(True)
            button.setToolTip(f"Show {LEVEL_TIPS[group]}")
            button.toggled.connect(self.refilter)
            self.level_buttons[group] = button
            self.add_filter(button)
        self._filter_row.addStretch(1)
        self._count_levels([])

    def set_entries(self, entries: list[ConsoleLine]) -> None:
        self._count_levels(entries)
        super().set_entries(entries)

    def show_levels(self, *groups: str) -> None:
        """Show only these level groups (all of them when none are named)."""
        for group, button in self.level_buttons.items():
            button.blockSignals(True)
            button.setChecked(not groups or group in groups)
            button.blockSignals(False)
        self.refilter()

    def entry_filter(self) -> Callable[[ConsoleLine], bool] | None:
        shown = {group for group, button in self.level_buttons.items() if button.isChecked()}
        if len(shown) == len(self.level_buttons):
            return None
        return lambda line: line.group in shown

    def _count_levels(self, lines: list[ConsoleLine]) -> None:
        counts = Counter(line.group for line in lines)
        for group, button in self.level_buttons.items():
            button.setText(f"{LEVEL_NAMES[group]} {counts[group]:,}")
