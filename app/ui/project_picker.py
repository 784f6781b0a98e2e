"""The project picker: all projects, or one, grouped by the organization it belongs to.

A user can belong to several organizations (Smartlook's model), so projects are listed as
"Organization / Project (sessions)" in organization order, each organization set apart by a
separator, after an "All projects" entry.
"""

from __future__ import annotations

from itertools import groupby

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from app.core.cache.queries import ProjectInfo
from app.ui import formatting

ALL_PROJECTS = "All projects"


class ProjectPicker(QComboBox):
    # The chosen project's id, or None for all projects.
    projectChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setToolTip("Show the sessions of one project, or of all of them")
        self.addItem(ALL_PROJECTS, None)
        self.currentIndexChanged.connect(
            lambda _index: self.projectChanged.emit(self.current_project_id()))

    def current_project_id(self) -> int | None:
        return self.currentData()

    def set_projects(self, projects: list[ProjectInfo]) -> None:
        """Refill after the cache changed, keeping the chosen project if it still exists."""
        chosen = self.current_project_id()
        self.blockSignals(True)
        self.clear()
        total = sum(project.session_count for project in projects)
        self.addItem(f"{ALL_PROJECTS} ({formatting.count(total)})", None)
        for _organization, members in groupby(projects, key=lambda p: p.organization):
            self.insertSeparator(self.count())
            for project in members:
                self.addItem(f"{project.organization} / {project.name} "
                             f"({formatting.count(project.session_count)})", project.id)
                self.setItemData(self.count() - 1, f"{project.kind} project",
                                 Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(self._index_of(chosen))
        self.blockSignals(False)
        if self.current_project_id() != chosen:
            self.projectChanged.emit(self.current_project_id())

    def _index_of(self, project_id: int | None) -> int:
        """The item of a project; "All projects" when it is None or gone."""
        return 0 if project_id is None else max(self.findData(project_id), 0)
