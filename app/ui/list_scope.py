"""Whether an analysis (a heatmap, a funnel) counts only the sessions the session list keeps:
its project and filter conditions, not its search box."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox

from app.core.cache.queries import SessionQuery
from app.core.search.conditions import SessionFilter


class ListScope(QCheckBox):
    def __init__(self, list_query: Callable[[], SessionQuery]) -> None:
        super().__init__("Only sessions the list's filters keep")
        self._list_query = list_query
        self.setChecked(True)
        self.setToolTip("Use the session list's project and filter conditions (not its search "
                        "box). Untick for every cached session.")

    def scope(self) -> tuple[int | None, SessionFilter]:
        """The project (None: every project) and the conditions to count within."""
        if not self.isChecked():
            return None, SessionFilter()
        listed = self._list_query()
        return listed.project_id, listed.filter
