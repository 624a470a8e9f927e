"""File → Connect to Server…: the runs a team records into one PostgreSQL database.

The dialog asks for host, port, database and user (or one of the servers connected to
before) and connects in the background, so a server that does not answer never freezes the
window. A password is never asked for up front nor remembered: libpq reads `PGPASSWORD` and
`~/.pgpass`, and only when the server still wants one does the dialog show a password field,
whose value lives in memory for this session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.postgres_schema import shown_url
from burrdesk.model.run_database import RunDatabase
from burrdesk.views import theme as themes
from burrdesk.views.app_settings import remembered_servers
from burrdesk.views.timeline.server_connector import (
    ServerConnector,
    server_url,
    url_parts,
    with_password,
)


class ServerConnectDialog(QDialog):
    """Asks where the server is and connects; `database` and `url` hold the result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to Server")
        self.setObjectName("serverConnectDialog")
        self.database: RunDatabase | None = None
        self.url: str | None = None
        self.connector = ServerConnector(self)
        self.connector.connected.connect(self._connected)
        self.connector.failed.connect(self.show_failure)

        intro = QLabel(
            "Open the run database a team shares on a PostgreSQL server. Programs record "
            'into it with <code>with_tracker("postgresql", params={"db_url": …})</code>.'
        )
        intro.setWordWrap(True)
        self.recent = QComboBox()
        self.recent.setObjectName("recentServers")
        self.host = QLineEdit()
        self.host.setPlaceholderText("localhost")
        self.port = QLineEdit("5432")
        self.port.setMaximumWidth(90)
        self.database_name = QLineEdit()
        self.database_name.setPlaceholderText("postgres")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("used for this session only, never saved")
        self.shown_url = QLabel()
        self.shown_url.setObjectName("serverUrl")
        self.shown_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("serverStatus")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Recent:", self.recent)
        form.addRow("Host:", self.host)
        form.addRow("Port:", self.port)
        form.addRow("Database:", self.database_name)
        form.addRow("User:", self.user)
        form.addRow("Password:", self.password)
        form.addRow("URL:", self.shown_url)
        self._form = form
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.connect_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText("Connect")
        self.buttons.accepted.connect(self.connect_to_server)
        self.buttons.rejected.connect(self.reject)
        note = QLabel(
            "The password comes from PGPASSWORD or ~/.pgpass; burrdesk asks only when the "
            "server wants one and never stores it."
        )
        note.setWordWrap(True)
        note.setObjectName("passwordNote")

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(480, self.sizeHint().height())

        servers = remembered_servers()
        self.recent.addItems(servers)
        form.setRowVisible(self.recent, bool(servers))
        form.setRowVisible(self.password, False)
        self.recent.activated.connect(lambda row: self.fill(self.recent.itemText(row)))
        for field in (self.host, self.port, self.database_name, self.user):
            field.textChanged.connect(self._show_url)
        if servers:
            self.fill(servers[0])
        self._show_url()

    def fill(self, url: str) -> None:
        """Puts a remembered server's parts into the fields."""
        parts = url_parts(url)
        self.host.setText(parts["host"])
        self.port.setText(parts["port"])
        self.database_name.setText(parts["database"])
        self.user.setText(parts["user"])

    def typed_url(self) -> str:
        return server_url(
            self.host.text(), self.port.text(), self.database_name.text(), self.user.text()
        )

    def _show_url(self) -> None:
        self.shown_url.setText(self.typed_url())

    def connect_to_server(self) -> None:
        """Connects with what is typed (and the password, once one was asked for)."""
        if self.connector.busy:
            return
        port = self.port.text().strip()
        if port and not port.isdigit():
            self._say(f"The port must be a number, not {port!r}.", error=True)
            return
        url = self.typed_url()
        if self._form.isRowVisible(self.password) and self.password.text():
            url = with_password(url, self.password.text())
        self.connect_button.setEnabled(False)
        self._say(f"Connecting to {shown_url(url)}…")
        self.connector.connect_to(url)

    def _connected(self, url: str, database: RunDatabase) -> None:
        self.connect_button.setEnabled(True)
        if self.result() == QDialog.DialogCode.Rejected and not self.isVisible():
            database.close()  # cancelled while connecting
            return
        self.database, self.url = database, url
        self.accept()

    def show_failure(self, url: str, message: str, password_wanted: bool) -> None:
        """Says why connecting failed; when a password is what is missing, asks for it."""
        self.connect_button.setEnabled(True)
        if password_wanted:
            self._form.setRowVisible(self.password, True)
            self.password.setFocus()
            if self.password.text():
                message = f"The server refused that password for {shown_url(url)}."
            else:
                message = f"{shown_url(url)} wants a password: type it and press Connect."
        self._say(message, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        color = themes.current_theme().color("error").name()
        self.status.setStyleSheet(f"color: {color};" if error else "")
