"""The welcome page: the examples, the recent files, and what to try first.

Modeless, so the window behind it (the chatbot example and the demo runs on a first launch)
stays usable while it is open; Help → Welcome brings it back, a checkbox turns it off.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.flow_document import FILE_SUFFIX, FlowFileError, load_flow
from burrdesk.views import theme

NEXT_STEPS = (
    (
        "run",
        "Run the chatbot",
        "Press F5 and type in the Run panel. Replies come from echo mode until you connect an "
        "endpoint (OpenAI, Ollama, LM Studio…) in Edit → Settings.",
    ),
    (
        "timeline",
        "Walk through a run",
        "Pick a run in the Timeline and move through its steps with ↑ and ↓: the state after "
        "each step, what it changed, its inputs and result.",
    ),
    (
        "step",
        "Rewind and fork",
        "The order pipeline run failed at its card charge. Right-click its first step, choose "
        "Rewind to Here, raise card_limit and run the fork: it shows up under the original.",
    ),
    (
        "node-python",
        "Build your own flow",
        "Drag nodes from the Palette onto the canvas and drag from a node's right-hand handle "
        "to connect it. Every edit can be undone.",
    ),
)


class WelcomeDialog(QDialog):
    """Examples, recent files and next steps; emits what the person picked."""

    exampleChosen = Signal(Path)
    recentChosen = Signal(Path)
    settingsRequested = Signal()
    documentationRequested = Signal()

    def __init__(
        self,
        examples: list[Path],
        recent: list[str],
        *,
        show_at_startup: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to burrdesk")
        self.setModal(False)
        self.resize(860, 560)

        title = QLabel("Welcome to burrdesk", self)
        title_font = QFont(title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.7)
        title_font.setBold(True)
        title.setFont(title_font)
        subtitle = QLabel(
            "Design a state-machine application, run it, and walk back through every step.",
            self,
        )
        subtitle.setObjectName("hint")

        self.examples = QListWidget(self)
        self.examples.setObjectName("welcomeExamples")
        self.examples.setIconSize(QSize(18, 18))
        self.examples.setWordWrap(True)
        self.examples.setSpacing(2)
        self.examples.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for path in examples:
            try:
                description = load_flow(path).description
            except FlowFileError:
                continue
            name = path.name.removesuffix(FILE_SUFFIX).replace("_", " ").capitalize()
            item = QListWidgetItem(theme.icon("open"), f"{name}\n{description}".strip())
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(description)
            self.examples.addItem(item)
        self.examples.itemActivated.connect(lambda item: self._choose(self.exampleChosen, item))
        self.examples.itemClicked.connect(lambda item: self._choose(self.exampleChosen, item))

        self.recent = QListWidget(self)
        self.recent.setObjectName("welcomeRecent")
        for name in recent:
            item = QListWidgetItem(theme.icon("open"), Path(name).name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.recent.addItem(item)
        if not recent:
            placeholder = QListWidgetItem("Files you open or save appear here.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(placeholder)
        self.recent.itemClicked.connect(lambda item: self._choose(self.recentChosen, item))
        self.recent.itemActivated.connect(lambda item: self._choose(self.recentChosen, item))

        left = QVBoxLayout()
        left.addWidget(_heading("Start from an example", self))
        left.addWidget(self.examples, 3)
        left.addWidget(_heading("Recent files", self))
        left.addWidget(self.recent, 1)

        right = QVBoxLayout()
        right.addWidget(_heading("What to do next", self))
        for icon, heading, text in NEXT_STEPS:
            right.addWidget(_next_step(icon, heading, text, self))
        right.addStretch(1)

        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(18)
        columns.addLayout(right, 1)

        self.show_at_startup = QCheckBox("Show this page when burrdesk starts", self)
        self.show_at_startup.setChecked(show_at_startup)
        settings_button = QPushButton(theme.icon("settings"), "LLM Settings…", self)
        settings_button.clicked.connect(self.settingsRequested)
        docs_button = QPushButton("Documentation", self)
        docs_button.clicked.connect(self.documentationRequested)
        self.close_button = QPushButton("Start", self)
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_at_startup)
        buttons.addStretch(1)
        buttons.addWidget(settings_button)
        buttons.addWidget(docs_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(10)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)

    def _choose(self, signal: Signal, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            signal.emit(Path(path))  # type: ignore[attr-defined]
            self.accept()


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionHeading")
    return label


def _next_step(icon: str, heading: str, text: str, parent: QWidget) -> QWidget:
    box = QFrame(parent)
    box.setObjectName("welcomeStep")
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 6, 0, 6)
    picture = theme.IconLabel(icon, 22, box)
    picture.setAlignment(Qt.AlignmentFlag.AlignTop)
    row.addWidget(picture)
    words = QLabel(f"<b>{heading}</b><br>{text}", box)
    words.setWordWrap(True)
    words.setTextFormat(Qt.TextFormat.RichText)
    row.addWidget(words, 1)
    return box
