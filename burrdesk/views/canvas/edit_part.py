"""Editing the flow on the canvas: undo and redo, the clipboard, adding nodes, a node's menu.

Every edit is a `QUndoCommand` on the window's one undo stack. Other parts put their entries
at the top of a node's context menu with `add_node_menu_entries` (the run part's "Run to
here", for one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu

from burrdesk.model.flow_document import FlowEdge, FlowNode
from burrdesk.model.json_text import JsonTextError, parse_json_text
from burrdesk.model.node_templates import new_node
from burrdesk.views import theme
from burrdesk.views.canvas.add_node_popup import AddNodePopup
from burrdesk.views.canvas.flow_editor_model import NEW_CONDITION
from burrdesk.views.canvas.undo_commands import AddNodesCommand, EditFlowCommand, RemoveItemsCommand
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow

FRAGMENT_KEY = "burrdesk.flow-fragment"

NodeMenuEntries = Callable[[QMenu, str], None]
"""Adds entries for the node with this id to its context menu."""


class EditPart(WindowPart):
    """The Edit menu's commands on the canvas, the add-node popup and a node's context menu."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        key = QKeySequence.StandardKey
        stack = window.undo_stack
        self.undo_action = stack.createUndoAction(window, "&Undo")
        self.undo_action.setShortcut(key.Undo)
        self.undo_action.setIcon(theme.icon("undo"))
        self.undo_action.setData("undo")
        self.redo_action = stack.createRedoAction(window, "&Redo")
        self.redo_action.setShortcut(key.Redo)
        self.redo_action.setIcon(theme.icon("redo"))
        self.redo_action.setData("redo")
        self.cut_action = self.action("Cu&t", self.cut, key.Cut, "cut")
        self.copy_action = self.action("&Copy", self.copy, key.Copy, "copy")
        self.paste_action = self.action("&Paste", self.paste, key.Paste, "paste")
        self.duplicate_action = self.action("&Duplicate", self.duplicate, "Ctrl+D", "duplicate")
        self.delete_action = self.action(
            "De&lete", window.scene.delete_selection, key.Delete, "delete"
        )
        self.select_all_action = self.action("Select &All", self.select_all, key.SelectAll)
        for action in (self.delete_action, self.duplicate_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            window.view.addAction(action)
        outline = window.outline
        outline.add_to_menu("&Edit", "history", self.undo_action, self.redo_action)
        outline.add_to_menu(
            "&Edit",
            "clipboard",
            self.cut_action,
            self.copy_action,
            self.paste_action,
            self.duplicate_action,
            self.delete_action,
        )
        outline.add_to_menu("&Edit", "select", self.select_all_action)
        outline.add_to_toolbar("history", self.undo_action, self.redo_action)

        self.add_node_popup = AddNodePopup(window)
        self.add_node_popup.kindChosen.connect(self.add_node)
        self._connect_from: str | None = None
        self._node_menu_entries: list[NodeMenuEntries] = []
        window.scene.connectionDroppedOnCanvas.connect(self._connection_dropped)
        window.scene.nodeContextMenuRequested.connect(self._node_context_menu)
        window.view.nodeKindDropped.connect(self.add_node)
        window.view.addNodeRequested.connect(self._popup_add_node)

    def connect_parts(self) -> None:
        self.window.canvas.editingEnabledChanged.connect(self._set_editing_enabled)

    def _set_editing_enabled(self, enabled: bool) -> None:
        for action in (
            self.cut_action,
            self.paste_action,
            self.delete_action,
            self.duplicate_action,
            self.select_all_action,
        ):
            action.setEnabled(enabled)
        self.undo_action.setEnabled(enabled and self.window.undo_stack.canUndo())
        self.redo_action.setEnabled(enabled and self.window.undo_stack.canRedo())

    # --- adding nodes ------------------------------------------------------------------------

    def add_node(self, kind: str, scene_pos: QPointF) -> None:
        """Adds a node of `kind` at `scene_pos`, connected from the node a drag started at."""
        self.window.canvas.show_editor()
        model = self.window.model
        node_id = model.unique_id(kind if kind != "input" else "ask")
        position = (round((scene_pos.x() - 110) / 20) * 20, round((scene_pos.y() - 40) / 20) * 20)
        node = new_node(kind, node_id, position)
        edges = []
        if self._connect_from is not None:
            source = self._connect_from
            has_default = any(
                e.condition_kind == "default" for e in model.document.outgoing(source)
            )
            edges.append(
                FlowEdge(
                    source=source,
                    target=node_id,
                    condition=NEW_CONDITION if has_default else "default",
                )
            )
            self._connect_from = None
        text = f"Add {kind} node '{node_id}'" + (f" after '{edges[0].source}'" if edges else "")
        self.window.undo_stack.push(AddNodesCommand(model, [node], edges, text=text))
        self.window.scene.select_only(node_id)

    def _popup_add_node(self, scene_pos: QPointF) -> None:
        view = self.window.view
        global_pos = view.mapToGlobal(view.mapFromScene(scene_pos))
        self.add_node_popup.open_at(global_pos, scene_pos)

    def _connection_dropped(self, source: str, scene_pos: QPointF) -> None:
        self._connect_from = source
        self._popup_add_node(scene_pos)

    def set_entrypoint(self, node_id: str) -> None:
        if self.window.model.document.entrypoint != node_id:
            self.window.undo_stack.push(EditFlowCommand(self.window.model, {"entrypoint": node_id}))

    # --- a node's context menu ---------------------------------------------------------------

    def add_node_menu_entries(self, entries: NodeMenuEntries) -> None:
        """Another part's entries, put above the menu's own (in the order parts add them)."""
        self._node_menu_entries.append(entries)

    def _node_context_menu(self, node_id: str, screen_pos: QPoint) -> None:
        menu = QMenu(self.window)
        for entries in self._node_menu_entries:
            entries(menu, node_id)
        entry = menu.addAction(
            theme.icon("entrypoint"), "Set as entrypoint", lambda: self.set_entrypoint(node_id)
        )
        entry.setEnabled(self.window.model.document.entrypoint != node_id)
        menu.addSeparator()
        menu.addAction(theme.icon("duplicate"), "Duplicate", self.duplicate)
        menu.addAction(theme.icon("delete"), "Delete", self.window.scene.delete_selection)
        self.context_menu = menu
        menu.popup(screen_pos)

    # --- the clipboard -----------------------------------------------------------------------

    def select_all(self) -> None:
        for item in self.window.scene.items():
            if item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
                item.setSelected(True)

    def _fragment(self) -> dict[str, Any] | None:
        self.window.inspector.panel.commit_pending_edits()
        ids = set(self.window.scene.selected_node_ids())
        if not ids:
            return None
        document = self.window.model.document
        nodes = [n.model_dump(mode="json") for n in document.nodes if n.id in ids]
        edges = [
            e.model_dump(mode="json") for e in document.edges if e.source in ids and e.target in ids
        ]
        return {"nodes": nodes, "edges": edges}

    def copy(self) -> None:
        """Copies the selected nodes (and the edges between them) as JSON text.

        Plain text rather than a custom QMimeData: the clipboard would own a Python-created
        QMimeData and both would free it at exit. Text also pastes between windows.
        """
        fragment = self._fragment()
        if fragment is None:
            return
        QGuiApplication.clipboard().setText(json.dumps({FRAGMENT_KEY: fragment}))

    def cut(self) -> None:
        ids = self.window.scene.selected_node_ids()
        if not ids:
            return
        self.copy()
        command = RemoveItemsCommand(self.window.model, ids, [])
        command.setText(f"Cut {len(ids)} node{'s' if len(ids) > 1 else ''}")
        self.window.undo_stack.push(command)

    def paste(self, fragment: dict[str, Any] | None = None, offset: float = 40.0) -> None:
        """Pastes nodes copied as a fragment, renaming ids that are taken (one undo step)."""
        if fragment is None:
            try:
                data = parse_json_text(QGuiApplication.clipboard().text() or "null")
            except JsonTextError:
                return
            if not isinstance(data, dict) or not isinstance(data.get(FRAGMENT_KEY), dict):
                return
            fragment = data[FRAGMENT_KEY]
        model = self.window.model
        renames: dict[str, str] = {}
        nodes = []
        taken = set(model.node_ids())
        try:
            raw_nodes = [FlowNode.model_validate(raw) for raw in fragment.get("nodes", [])]
            raw_edges = [FlowEdge.model_validate(raw) for raw in fragment.get("edges", [])]
        except (ValidationError, TypeError, AttributeError):
            self.status_message("The clipboard holds no burrdesk nodes to paste.")
            return
        for node in raw_nodes:
            new_id = node.id
            if new_id in taken:
                stem = new_id.rstrip("0123456789_") or "node"
                number = 2
                while f"{stem}_{number}" in taken:
                    number += 1
                new_id = f"{stem}_{number}"
            taken.add(new_id)
            renames[node.id] = new_id
            code = (
                node.code.replace(f"def {node.id}(", f"def {new_id}(", 1)
                if new_id != node.id
                else node.code
            )
            nodes.append(
                node.model_copy(
                    update={
                        "id": new_id,
                        "code": code,
                        "position": (node.position[0] + offset, node.position[1] + offset),
                    }
                )
            )
        edges = [
            edge.model_copy(update={"source": renames[edge.source], "target": renames[edge.target]})
            for edge in raw_edges
            if edge.source in renames and edge.target in renames
        ]
        if not nodes:
            return
        verb = "Paste" if offset == 40.0 else "Duplicate"
        self.window.undo_stack.push(
            AddNodesCommand(
                model,
                nodes,
                edges,
                text=f"{verb} {len(nodes)} node{'s' if len(nodes) > 1 else ''}",
            )
        )
        scene = self.window.scene
        scene.clearSelection()
        for node in nodes:
            scene.nodes[node.id].setSelected(True)

    def duplicate(self) -> None:
        fragment = self._fragment()
        if fragment is not None:
            self.paste(fragment, offset=41.0)
