"""How a node card is sized and coloured: one definition the items, the scene and exported images share.

Sizes come from the model's layout (`node_size`), so the canvas draws what auto-layout plans;
colours come from the current theme.
"""

from __future__ import annotations

from PySide6.QtGui import (
    QColor,
)

from burrdesk.model.flow_document import FlowNode
from burrdesk.model.flow_layout import node_size
from burrdesk.views import theme

HEADER_HEIGHT = 32.0


ROW_HEIGHT = 18.0


GRID = 20.0


PORT_RADIUS = 6.0


OUTLINE_DETAIL = 0.35
"""Below this scale cards and edges are drawn without text (see NodeItem._paint_outline)."""


def node_height(node: FlowNode) -> float:
    return node_size(node)[1]


def canvas_color(name: str, fallback: str) -> QColor:
    """A colour from the current theme (the theme module owns the palette)."""
    value = getattr(theme.current_theme(), name, None)
    if isinstance(value, QColor):
        return value
    return QColor(value or fallback)


KIND_COLORS = {
    "python": ("node_python", "#3b82f6"),
    "llm": ("node_llm", "#8b5cf6"),
    "input": ("node_input", "#10b981"),
    "end": ("node_end", "#64748b"),
}
