"""What a card asks of the scene it sits in.

A card's handle starts, drags and ends a connection; a card selects itself, opens its context
menu, snaps to the grid while the scene drags it, and says "echo" when LLM nodes would run
offline. `FlowScene` implements this; the cards import only this class, so the cards and the
scene that creates them do not import each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsScene

if TYPE_CHECKING:
    from burrdesk.views.canvas.edge_item import EdgeItem
    from burrdesk.views.canvas.node_item import NodeItem


class CanvasScene(QGraphicsScene):
    """The scene a card lives in (see the module docstring)."""

    nodeContextMenuRequested = Signal(str, QPoint)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.llm_echo = False
        """LLM nodes would run in echo mode (no endpoint): their cards say so."""
        self.snap_to_grid = True
        self.is_dragging = False
        """A drag of cards is under way: positions snap to the grid."""
        self.moves_pending = 0
        """Cards moved whose arrows have not been re-routed yet: while many move at once
        (auto-layout, undo), arrows are routed once, when the moves are done."""

    def begin_connection(self, source: NodeItem, at: QPointF) -> None:
        raise NotImplementedError

    def drag_connection(self, at: QPointF) -> None:
        raise NotImplementedError

    def end_connection(self, at: QPointF) -> None:
        raise NotImplementedError

    def card_moved(self, card: NodeItem) -> None:
        """A card moved or changed size: arrows passing where it was or is may go another way."""
        raise NotImplementedError

    def cards_touching(self, area: QRectF) -> list[NodeItem]:
        """The cards whose body overlaps `area`."""
        raise NotImplementedError

    def label_placed(self, edge: EdgeItem, rect: QRectF) -> None:
        """An arrow's label is now at `rect` (a null rect: it has none)."""
        raise NotImplementedError

    def labels_touching(self, area: QRectF) -> list[EdgeItem]:
        """The arrows whose label overlaps `area`."""
        raise NotImplementedError

    def select_only(self, node_id: str | None = None, edge_index: int | None = None) -> None:
        raise NotImplementedError
