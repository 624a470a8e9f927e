"""The searchable "add node" popup that Tab, a double-click or a connection dropped on empty
canvas opens at the cursor.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.flow_document import NODE_KINDS
from burrdesk.model.node_templates import KIND_DESCRIPTIONS
from burrdesk.views import theme


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
