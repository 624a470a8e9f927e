"""The main window: it holds the flow being edited and assembles the parts around it.

The window owns the document (a `FlowEditorModel` and its one `QUndoStack`) and the canvas that
shows it. Everything else is a window part (`window_part.py`): each builds its own dock,
actions and menu entries, and the outline (`window_outline.py`) puts the menus in order. A new
dock is a new part and one line here.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar

from burrdesk.model.flow_document import FlowDocument
from burrdesk.views.appearance_part import AppearancePart
from burrdesk.views.canvas.canvas_part import CanvasPart
from burrdesk.views.canvas.edit_part import EditPart
from burrdesk.views.canvas.flow_editor_model import FlowEditorModel
from burrdesk.views.canvas.flow_scene import FlowScene
from burrdesk.views.canvas.flow_view import FlowView
from burrdesk.views.canvas.palette_part import PalettePart
from burrdesk.views.dialogs.help_part import HelpPart
from burrdesk.views.dialogs.llm_settings_part import LlmSettingsPart
from burrdesk.views.files.files_part import FilesPart
from burrdesk.views.insights.insights_part import InsightsPart
from burrdesk.views.inspector.inspector_part import InspectorPart
from burrdesk.views.problems.problems_part import ProblemsPart
from burrdesk.views.run.run_part import RunPart
from burrdesk.views.timeline.reproduce_part import ReproducePart
from burrdesk.views.timeline.timeline_part import TimelinePart
from burrdesk.views.window_outline import WindowOutline
from burrdesk.views.window_part import WindowPart

PALETTE_WIDTH = 200
"""The palette's first width: its hint's two lines, and the node kinds two to a row."""
BOTTOM_SHARE = 0.5
"""At most this much of the window's height goes to the docks below the canvas."""
INSPECTOR_WIDTH = 340
"""The inspector's first width: a node's fields and a line of its code without scrolling."""


class MainWindow(QMainWindow):
    """One flow document at a time, edited through one undo stack, with the parts around it."""

    def __init__(self, *, interactive: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.interactive = interactive
        """False when no one can answer a dialog (`--screenshot`): errors are only kept."""
        self.last_error: str | None = None
        self.part_holder = QObject(self)
        """The parts' parent, created first so that it is deleted first: a part never hears a
        signal of the scene or model while they are being destroyed."""
        self.undo_stack = QUndoStack(self)
        self.model = FlowEditorModel(FlowDocument(name="untitled"), self)
        self.scene = FlowScene(self.model, self.undo_stack, self)
        self.view = FlowView(self.scene, self)
        self.outline = WindowOutline(self)
        self.parts: list[WindowPart] = []
        self.docks: list[QDockWidget] = []

        # Each part may use the parts created before it (see window_part.py).
        self.canvas = CanvasPart(self)
        self.files = FilesPart(self)
        self.editing = EditPart(self)
        self.node_palette = PalettePart(self)
        self.inspector = InspectorPart(self)
        self.problems = ProblemsPart(self)
        self.run = RunPart(self)
        self.timeline = TimelinePart(self)
        self.insights = InsightsPart(self)
        self.reproduce = ReproducePart(self)
        self.llm = LlmSettingsPart(self)
        self.appearance = AppearancePart(self)
        self.help = HelpPart(self)

        for part in self.parts:
            part.connect_parts()
        self.outline.build()
        self.resize(1400, 900)
        self._arrange_docks()
        for part in self.parts:
            part.window_assembled()

    def _arrange_docks(self) -> None:
        """The layout of a first launch, which View → Reset Window Layout restores too (the
        appearance part saves it right after this): the palette and the inspector beside the
        canvas, and below it the Timeline in front of Run, Insights and Problems, tall enough
        for the rows its lists ask room for. Problems is the last tab rather than a dock of its
        own: the status bar and the cards' badges already say whether there are any.

        The sizes come from the panels' size hints once polished (so the stylesheet's padding
        counts), not from pixels guessed for one font; the canvas gets the rest, and any
        resize of the window after this."""
        self.tabifyDockWidget(self.insights.dock, self.problems.dock)
        self.ensurePolished()
        self.resizeDocks(
            [self.node_palette.dock, self.inspector.dock],
            [PALETTE_WIDTH, INSPECTOR_WIDTH],
            Qt.Orientation.Horizontal,
        )
        # A tabbed dock is sized through its area, and the area holds the tab bar too.
        bars = self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
        tab_bar = max((bar.sizeHint().height() for bar in bars if bar.count()), default=0)
        timeline = self.timeline.dock
        height = timeline.sizeHint().height() + tab_bar
        # The canvas is what one designs on: the timeline takes at most this share of the height.
        height = min(height, round(self.height() * BOTTOM_SHARE))
        self.resizeDocks([timeline], [height], Qt.Orientation.Vertical)
        timeline.raise_()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if all(part.can_close() for part in self.parts):
            for part in self.parts:
                part.closing()
            event.accept()
        else:
            event.ignore()
