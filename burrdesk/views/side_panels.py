"""The palette (node kinds and examples), the problems list, and the add-node popup."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QDrag, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model import resource_location
from burrdesk.model.flow_document import NODE_KINDS
from burrdesk.model.flow_validation import Problem
from burrdesk.model.node_templates import KIND_DESCRIPTIONS
from burrdesk.views import theme
from burrdesk.views.flow_canvas import NODE_KIND_MIME

EXAMPLES_DIR = resource_location.examples_dir()


class KindList(QListWidget):
    """Node kinds that drag onto the canvas with the node-kind MIME type."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)
        self.setObjectName("kindList")
        for kind in NODE_KINDS:
            item = QListWidgetItem(
                theme.icon(f"node-{kind}"), kind.capitalize() if kind != "llm" else "LLM"
            )
            item.setData(Qt.ItemDataRole.UserRole, kind)
            item.setToolTip(KIND_DESCRIPTIONS[kind] + "\nDrag onto the canvas, or double-click.")
            self.addItem(item)

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # noqa: N802 - Qt override
        mime = QMimeData()
        if items:
            mime.setData(NODE_KIND_MIME, str(items[0].data(Qt.ItemDataRole.UserRole)).encode())
        return mime

    def startDrag(self, actions: Qt.DropAction) -> None:  # noqa: N802
        item = self.currentItem()
        if item is None:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.setPixmap(item.icon().pixmap(32, 32))
        drag.exec(Qt.DropAction.CopyAction)


class Palette(QWidget):
    """Left panel: what can be added, and the example flows."""

    addKindRequested = Signal(str)
    exampleRequested = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        heading = QLabel("Nodes")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        hint = QLabel("Drag onto the canvas, or double-click to add at the centre.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        layout.addWidget(hint)
        self.kinds = KindList(self)
        self.kinds.itemDoubleClicked.connect(
            lambda item: self.addKindRequested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        layout.addWidget(self.kinds, 2)
        examples_heading = QLabel("Examples")
        examples_heading.setObjectName("sectionHeading")
        layout.addWidget(examples_heading)
        self.examples = QListWidget(self)
        self.examples.setObjectName("exampleList")
        for path in resource_location.example_flows():
            item = QListWidgetItem(theme.icon("open"), path.stem.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(f"Open {path.name}")
            self.examples.addItem(item)
        self.examples.itemActivated.connect(
            lambda item: self.exampleRequested.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
        )
        layout.addWidget(self.examples, 3)


class ProblemsPanel(QTreeWidget):
    """Validation results, live; double-click selects the node or edge at fault."""

    problemActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setHeaderLabels(["", "Where", "Problem"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setColumnWidth(0, 28)
        self.setColumnWidth(1, 180)
        self.itemActivated.connect(
            lambda item, _col: self.problemActivated.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.set_problems([])

    def set_problems(self, problems: list[Problem]) -> None:
        self.clear()
        if not problems:
            item = QTreeWidgetItem(["", "", "No problems: the flow can run."])
            item.setFlags(Qt.ItemFlag.NoItemFlags | Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(item)
            return
        for problem in problems:
            where = []
            if problem.node_id is not None:
                where.append(f"node {problem.node_id}")
            if problem.edge_index is not None:
                where.append(f"edge #{problem.edge_index + 1}")
            if problem.field:
                where.append(problem.field)
            if problem.line is not None:
                where.append(f"line {problem.line}")
            item = QTreeWidgetItem(["", " · ".join(where) or "flow", problem.message])
            item.setIcon(0, theme.icon("error" if problem.severity == "error" else "warning"))
            item.setToolTip(2, str(problem))
            item.setData(0, Qt.ItemDataRole.UserRole, problem)
            self.addTopLevelItem(item)

    def problem_count(self) -> tuple[int, int]:
        errors = warnings = 0
        for i in range(self.topLevelItemCount()):
            problem = self.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
            if isinstance(problem, Problem):
                errors += problem.severity == "error"
                warnings += problem.severity == "warning"
        return errors, warnings


class AddNodePopup(QFrame):
    """A searchable list of node kinds that pops up where the person wants a node."""

    kindChosen = Signal(str, QPointF)

    def __init__(self, parent: QWidget):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("addNodePopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add node… (type to filter, Enter to add)")
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.list = QListWidget(self)
        for kind in NODE_KINDS:
            item = QListWidgetItem(
                theme.icon(f"node-{kind}"), f"{kind}  —  {KIND_DESCRIPTIONS[kind]}"
            )
            item.setData(Qt.ItemDataRole.UserRole, kind)
            self.list.addItem(item)
        layout.addWidget(self.list)
        self.resize(380, 200)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._choose_current)
        self.list.itemActivated.connect(lambda _item: self._choose_current())
        self.scene_pos = QPointF()
        self.search.installEventFilter(self)

    def open_at(self, global_pos: QPoint, scene_pos: QPointF) -> None:
        self.scene_pos = scene_pos
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            hidden = text.lower() not in item.text().lower()
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        self.list.setCurrentItem(first)

    def _choose_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self.hide()
            self.kindChosen.emit(item.data(Qt.ItemDataRole.UserRole), self.scene_pos)

    def eventFilter(self, watched: object, event: object) -> bool:  # noqa: N802
        """Up/Down in the search field move through the visible kinds."""
        is_key = isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress
        if not is_key or event.key() not in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            return super().eventFilter(watched, event)  # type: ignore[arg-type]
        visible = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        if visible:
            current = self.list.currentRow()
            if event.key() == Qt.Key.Key_Down:
                following = [r for r in visible if r > current]
                self.list.setCurrentRow(following[0] if following else visible[-1])
            else:
                preceding = [r for r in visible if r < current]
                self.list.setCurrentRow(preceding[-1] if preceding else visible[0])
        return True
