"""Connect to a server: its URL and an API token, then the projects to sync.

Two pages in one dialog, as a sign-in usually goes: the first checks the token with the
server (on a worker; the dialog stays responsive and says what went wrong), the second lists
the projects the token may see, grouped by organization, ticked as this cache chose before.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.sync import SyncError
from app.core.sync.choice import RemoteProject
from app.ui import formatting
from app.ui.sync_controller import Listing, SyncController, SyncRequest
from app.ui.tasks import describe_error

URL_PLACEHOLDER = "http://127.0.0.1:8470"
TOKEN_PLACEHOLDER = "tvt_…  (leave empty to use the token saved for this server)"
TOKEN_NOTE = ("An API token comes from your organization: an Admin issues it (`tapeview server "
              "token`, or the server's API). It is kept in the system keyring; where there is "
              "none, in a file only you can read, and this dialog says which.")
DEMO_NOTE = ("No server yet? Start one on this computer with a demo organization: demo visits "
             "go through its ingest endpoint, the way a website's tracking code sends them, "
             "and are synced here.")
PROJECTS_NOTE = ("Ticked projects are synced now and by File → Sync Now. An unticked project "
                 "keeps what is already cached.")
PROJECT_COLUMNS = ("Project", "Kind", "Your role", "Cached")


class ConnectDialog(QDialog):
    """Emits `syncRequested` with the chosen projects, or `demoRequested`; the window syncs."""

    syncRequested = Signal(object)  # SyncRequest
    demoRequested = Signal()

    def __init__(self, controller: SyncController, server_url: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a server")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(640, 440)
        self._controller = controller
        self._listing: Listing | None = None
        self._pages = QStackedWidget()
        self._pages.addWidget(self._build_sign_in(server_url))
        self._pages.addWidget(self._build_projects())
        layout = QVBoxLayout(self)
        layout.addWidget(self._pages)

    # Signing in -------------------------------------------------------------------------------

    def connect_to_server(self) -> None:
        url = self.url_edit.text().strip()
        if not url:
            self._show_problem("Enter the server's address, e.g. " + URL_PLACEHOLDER)
            return
        self._set_signing_in(True)
        self._controller.list_projects(url, self.token_edit.text(), self._listed,
                                       self._not_listed)

    def _listed(self, listing: Listing) -> None:
        self._set_signing_in(False)
        self._listing = listing
        self.token_edit.clear()  # the token is kept where `listing.saved` says, not here
        self._fill_projects(listing)
        self._pages.setCurrentIndex(1)
        self.sync_button.setFocus()

    def _not_listed(self, error: Exception) -> None:
        self._set_signing_in(False)
        self._show_problem(str(error) if isinstance(error, SyncError)
                           else describe_error(error))

    def _set_signing_in(self, busy: bool) -> None:
        for widget in (self.url_edit, self.token_edit, self.connect_button, self.demo_button):
            widget.setEnabled(not busy)
        self.problem_label.setText("Connecting…" if busy else "")
        self.problem_label.setForegroundRole(QPalette.ColorRole.WindowText)

    def _show_problem(self, message: str) -> None:
        self.problem_label.setText(message)
        palette = self.problem_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.darkRed)
        self.problem_label.setPalette(palette)

    def _start_demo(self) -> None:
        self.demoRequested.emit()
        self.accept()

    # Choosing projects ------------------------------------------------------------------------

    def chosen_project_ids(self) -> list[str]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self._project_items()
                if item.checkState(0) == Qt.CheckState.Checked]

    def _fill_projects(self, listing: Listing) -> None:
        self.projects_heading.setText(f"Projects on {listing.server_url}")
        if listing.saved is not None:
            self.token_note.setText(f"Your token is kept in {listing.saved.where}.")
        else:
            self.token_note.setText("Using the token saved for this server.")
        self.projects.clear()
        organizations: dict[str, QTreeWidgetItem] = {}
        for project in listing.projects:
            parent = organizations.get(project.organization)
            if parent is None:
                parent = QTreeWidgetItem([project.organization])
                parent.setFlags(parent.flags() | Qt.ItemFlag.ItemIsAutoTristate
                                | Qt.ItemFlag.ItemIsUserCheckable)
                self.projects.addTopLevelItem(parent)
                organizations[project.organization] = parent
            parent.addChild(_project_item(project))
        self.projects.expandAll()
        if not listing.projects:
            self.token_note.setText(self.token_note.text() + " This token sees no projects: "
                                    "ask a Manager of a project to give you a role in it.")
        self._update_sync_button()

    def _project_items(self) -> list[QTreeWidgetItem]:
        return [self.projects.topLevelItem(i).child(j)
                for i in range(self.projects.topLevelItemCount())
                for j in range(self.projects.topLevelItem(i).childCount())]

    def _update_sync_button(self) -> None:
        chosen = len(self.chosen_project_ids())
        self.sync_button.setEnabled(chosen > 0)
        self.sync_button.setText(f"Sync {chosen} project{'' if chosen == 1 else 's'}")

    def _sync(self) -> None:
        if self._listing is None:
            return
        self.syncRequested.emit(SyncRequest(self._listing.server_url,
                                            tuple(self.chosen_project_ids())))
        self.accept()

    # Building ---------------------------------------------------------------------------------

    def _build_sign_in(self, server_url: str) -> QWidget:
        self.url_edit = QLineEdit(server_url)
        self.url_edit.setPlaceholderText(URL_PLACEHOLDER)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(TOKEN_PLACEHOLDER)
        self.token_edit.returnPressed.connect(self.connect_to_server)
        form = QFormLayout()
        form.addRow("Server:", self.url_edit)
        form.addRow("API token:", self.token_edit)
        note = _note(TOKEN_NOTE)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.demo_button = QPushButton("Start a demo server")
        self.demo_button.clicked.connect(self._start_demo)
        demo = QHBoxLayout()
        demo.addWidget(_note(DEMO_NOTE), stretch=1)
        demo.addWidget(self.demo_button, alignment=Qt.AlignmentFlag.AlignTop)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = buttons.addButton("Connect",
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setDefault(True)
        buttons.accepted.connect(self.connect_to_server)
        buttons.rejected.connect(self.reject)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)
        layout.addLayout(demo)
        layout.addWidget(buttons)
        return page

    def _build_projects(self) -> QWidget:
        self.projects_heading = QLabel()
        font = self.projects_heading.font()
        font.setBold(True)
        self.projects_heading.setFont(font)
        self.token_note = _note("")
        self.projects = QTreeWidget()
        self.projects.setHeaderLabels(list(PROJECT_COLUMNS))
        self.projects.itemChanged.connect(lambda *_: self._update_sync_button())
        header = self.projects.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(PROJECT_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        back = buttons.addButton("Back", QDialogButtonBox.ButtonRole.ResetRole)
        back.clicked.connect(lambda: self._pages.setCurrentIndex(0))
        self.sync_button = buttons.addButton("Sync", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sync_button.setDefault(True)
        buttons.accepted.connect(self._sync)
        buttons.rejected.connect(self.reject)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.projects_heading)
        layout.addWidget(self.token_note)
        layout.addWidget(self.projects, stretch=1)
        layout.addWidget(_note(PROJECTS_NOTE))
        layout.addWidget(buttons)
        return page


def _project_item(project: RemoteProject) -> QTreeWidgetItem:
    cached = formatting.sessions_count(project.cached_sessions) if project.cached_sessions \
        else "—"
    item = QTreeWidgetItem([project.name, project.kind, project.role.replace("_", " "),
                            cached])
    item.setData(0, Qt.ItemDataRole.UserRole, project.id)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(0, Qt.CheckState.Checked if project.chosen else Qt.CheckState.Unchecked)
    item.setToolTip(0, f"{project.label} (id {project.id} on the server)")
    return item


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label
