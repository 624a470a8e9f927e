"""The Code tab: the source of the selected step's action, as the run recorded it.

The source comes from the graph stored with the run (burrdesk's tracker, the tracker for Burr
programs, and Burr's own `graph.json` all keep it), not from the file on disk today, so an
old step shows the code that produced it even after the program changed.
"""

from __future__ import annotations

import textwrap
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from burrdesk.views.inspector.code_editor import CodeEditor


class ActionSourceView(QWidget):
    """A read-only, highlighted view of one action's recorded source."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.caption = QLabel(self)
        self.caption.setObjectName("actionSourceCaption")
        self.caption.setWordWrap(True)
        self.editor = CodeEditor("python", self)
        self.editor.setObjectName("actionSource")
        self.editor.setReadOnly(True)
        layout.addWidget(self.caption)
        layout.addWidget(self.editor, 1)
        self.show_message("Select a step")

    def show_message(self, text: str) -> None:
        self.caption.setText(text)
        self.editor.set_text("")
        self.editor.setPlaceholderText(text)

    def show_action(self, action: str, graph: dict[str, Any] | None) -> bool:
        """Shows `action`'s source from `graph`; False (with a sentence saying why) without it."""
        entry = next((a for a in (graph or {}).get("actions", ()) if a.get("name") == action), None)
        source = entry.get("source") if entry else None
        if not source:
            where = "the run's graph" if graph else "this run (it has no recorded graph)"
            self.show_message(f"No source code for action '{action}' was recorded in {where}.")
            return False
        origin = entry.get("module") or entry.get("qualname")
        caption = f"Action '{action}' as recorded with the run"
        if origin:
            caption += f" · {origin}"
        self.caption.setText(caption)
        self.editor.set_text(textwrap.dedent(source).rstrip() + "\n")
        return True

    def source_text(self) -> str:
        return self.editor.text()
