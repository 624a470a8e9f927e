"""Help → Documentation: the README's user guide, rendered as Markdown inside the app."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from burrdesk.model import resource_location


def readme_path() -> Path | None:
    """README.md beside the resources (a checkout, or a bundle that ships it), if present."""
    try:
        candidate = resource_location.resources_dir().parent / "README.md"
    except FileNotFoundError:
        return None
    return candidate if candidate.is_file() else None


class DocumentationDialog(QDialog):
    """The user guide; links to sections scroll, links to the web open in the browser."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("burrdesk documentation")
        self.resize(900, 760)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        path = readme_path()
        if path is None:
            self.browser.setMarkdown(
                "# burrdesk\n\nThe user guide (README.md) is not installed with this copy of "
                "burrdesk."
            )
        else:
            self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
            self.browser.setSearchPaths([str(path.parent)])
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.browser.toPlainText()
