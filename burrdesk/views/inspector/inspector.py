"""The inspector: edit the selected node, the selected edge, or (with nothing selected) the flow.

Every change becomes an undo command when the field is committed (Enter or leaving it), so
typing is free and undo steps are whole edits. Fields refresh from the model after undo/redo.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.flow_validation import Problem, node_id_problem, node_reads, node_writes
from burrdesk.model.json_text import JsonTextError, parse_json_text
from burrdesk.model.restricted_expression import ExpressionError, compile_expression
from burrdesk.views.canvas.flow_editor_model import FlowEditorModel
from burrdesk.views.canvas.undo_commands import (
    EditEdgeCommand,
    EditFlowCommand,
    EditNodeCommand,
    RenameNodeCommand,
    ReorderEdgeCommand,
)
from burrdesk.views.inspector.code_editor import CodeEditor

INPUT_TYPES = ["str", "int", "float", "bool", "json"]


def _tokens(text: str) -> list[str]:
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


class _CommitLineEdit(QLineEdit):
    """A line edit whose committed value is reported once per edit (Enter or focus-out)."""

    def __init__(self, on_commit: Any, placeholder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self._on_commit = on_commit
        self._shown = ""
        self.editingFinished.connect(self._commit)

    def show_value(self, text: str) -> None:
        if not self.hasFocus() or self.text() == self._shown:
            self.setText(text)
        self._shown = text

    def _commit(self) -> None:
        if self.text() != self._shown:
            self._shown = self.text()
            self._on_commit(self.text())


class _CommitTextEdit(QPlainTextEdit):
    """A multi-line text field committed on focus-out."""

    def __init__(self, on_commit: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self._on_commit = on_commit
        self._shown = ""
        self.setTabChangesFocus(True)
        self.setMaximumHeight(90)

    def show_value(self, text: str) -> None:
        if not self.hasFocus():
            self.setPlainText(text)
        self._shown = text

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if self.toPlainText() != self._shown:
            self._shown = self.toPlainText()
            self._on_commit(self.toPlainText())


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionHeading")
    return label


class FlowPage(QWidget):
    """Nothing selected: the flow's name, entrypoint and initial state."""

    def __init__(self, inspector: Inspector):
        super().__init__()
        self.inspector = inspector
        layout = QVBoxLayout(self)
        hint = QLabel(
            "Select a node or an edge to edit it. With nothing selected, you edit the flow."
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        layout.addWidget(hint)
        layout.addWidget(_heading("Flow"))
        form = QFormLayout()
        self.name = _CommitLineEdit(
            lambda text: inspector.edit_flow(name=text.strip() or "untitled")
        )
        form.addRow("Name", self.name)
        self.entrypoint = QComboBox()
        self.entrypoint.activated.connect(
            lambda _i: inspector.edit_flow(entrypoint=self.entrypoint.currentText() or None)
        )
        form.addRow("Entrypoint", self.entrypoint)
        layout.addLayout(form)
        layout.addWidget(_heading("Initial state (JSON)"))
        self.state = CodeEditor(language="json")
        self.state.setObjectName("stateEditor")
        self.state.editingFinished.connect(self._commit_state)
        self.state_error = QLabel()
        self.state_error.setObjectName("errorText")
        self.state_error.setWordWrap(True)
        self.state.problemChanged.connect(self.state_error.setText)
        layout.addWidget(self.state, 1)
        layout.addWidget(self.state_error)

    def refresh(self) -> None:
        document = self.inspector.model.document
        self.name.show_value(document.name)
        self.entrypoint.blockSignals(True)
        self.entrypoint.clear()
        self.entrypoint.addItems([n.id for n in document.nodes])
        self.entrypoint.setCurrentText(document.entrypoint or "")
        self.entrypoint.blockSignals(False)
        if not self.state.hasFocus():
            self.state.set_text(json.dumps(document.state, indent=2, ensure_ascii=False))

    def _commit_state(self) -> None:
        try:
            value = parse_json_text(self.state.text() or "{}")
        except JsonTextError as exc:
            self.state_error.setText(f"Not saved: {exc}.")
            return
        if not isinstance(value, dict):
            self.state_error.setText("Not saved: the initial state must be a JSON object {...}.")
            return
        self.state_error.clear()
        if value != self.inspector.model.document.state:
            self.inspector.edit_flow(state=value)


class NodePage(QWidget):
    """A node: identity, keys, and the fields of its kind."""

    def __init__(self, inspector: Inspector):
        super().__init__()
        self.inspector = inspector
        self.node_id: str | None = None
        layout = QVBoxLayout(self)
        self.title = _heading("Node")
        layout.addWidget(self.title)
        self.problems = QLabel()
        self.problems.setObjectName("errorText")
        self.problems.setWordWrap(True)
        # Its line is kept when empty: a problem appearing while one types must not push the
        # fields down under the pointer (the next click would land in another field).
        self.problems.setMinimumHeight(self.problems.fontMetrics().lineSpacing())
        layout.addWidget(self.problems)
        form = QFormLayout()
        self.id_edit = _CommitLineEdit(self._rename, "the action name (any text)")
        form.addRow("Id", self.id_edit)
        self.label = _CommitLineEdit(lambda text: self._edit(label=text), "shown on the card")
        form.addRow("Label", self.label)
        self.kind = QLabel()
        form.addRow("Kind", self.kind)
        self.reads = _CommitLineEdit(lambda text: self._edit(reads=_tokens(text)), "key, key, ...")
        form.addRow("Reads", self.reads)
        self.writes = _CommitLineEdit(
            lambda text: self._edit(writes=_tokens(text)), "key, key, ..."
        )
        form.addRow("Writes", self.writes)
        self.breakpoint = QCheckBox("Pause before this node runs")
        self.breakpoint.toggled.connect(
            lambda on: self._edit(breakpoint=on) if self._is_new(breakpoint=on) else None
        )
        form.addRow("Breakpoint", self.breakpoint)
        layout.addLayout(form)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.python_page = self._python_page()
        self.llm_page = self._llm_page()
        self.input_page = self._input_page()
        self.end_page = QLabel("An end node finishes the run. It has nothing to configure.")
        self.end_page.setWordWrap(True)
        self.end_page.setAlignment(Qt.AlignmentFlag.AlignTop)
        for page in (self.python_page, self.llm_page, self.input_page, self.end_page):
            self.stack.addWidget(page)

    def _python_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading("Code"))
        self.code = CodeEditor(language="python")
        self.code.setObjectName("nodeCodeEditor")
        self._code_shown = ""
        self.code.editingFinished.connect(self._commit_code)
        self.code_error = QLabel()
        self.code_error.setObjectName("errorText")
        self.code_error.setWordWrap(True)
        self.code.problemChanged.connect(self.code_error.setText)
        layout.addWidget(self.code, 1)
        layout.addWidget(self.code_error)
        return page

    def _llm_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.llm_model = _CommitLineEdit(lambda t: self._edit_param(model=t), "gpt-4o-mini")
        form.addRow("Model", self.llm_model)
        self.llm_system = _CommitTextEdit(lambda t: self._edit_param(system_prompt=t))
        form.addRow("System prompt", self.llm_system)
        self.llm_template = _CommitTextEdit(lambda t: self._edit_param(prompt_template=t))
        self.llm_template.setToolTip("Use {key} for state keys, e.g. Answer {question}")
        form.addRow("Prompt template", self.llm_template)
        self.llm_output = _CommitLineEdit(
            lambda t: self._edit_param(output_key=t or "response"), "response"
        )
        form.addRow("Output key", self.llm_output)
        self.llm_history = _CommitLineEdit(
            lambda t: self._edit_param(history_key=t or None), "optional"
        )
        form.addRow("History key", self.llm_history)
        self.llm_temperature = QDoubleSpinBox()
        self.llm_temperature.setRange(0.0, 2.0)
        self.llm_temperature.setSingleStep(0.1)
        self.llm_temperature.editingFinished.connect(
            lambda: self._edit_param(temperature=round(self.llm_temperature.value(), 2))
        )
        form.addRow("Temperature", self.llm_temperature)
        self.llm_max_tokens = QSpinBox()
        self.llm_max_tokens.setRange(0, 200_000)
        self.llm_max_tokens.setSpecialValueText("no limit")
        self.llm_max_tokens.editingFinished.connect(
            lambda: self._edit_param(max_tokens=self.llm_max_tokens.value() or None)
        )
        form.addRow("Max tokens", self.llm_max_tokens)
        self.llm_retries = QSpinBox()
        self.llm_retries.setRange(0, 10)
        self.llm_retries.setSpecialValueText("none")
        self.llm_retries.setToolTip(
            "How often to retry when the endpoint is rate limiting (429), busy (5xx), times out "
            "or cannot be reached, waiting longer each time"
        )
        self.llm_retries.editingFinished.connect(
            lambda: self._edit_param(retries=self.llm_retries.value())
        )
        form.addRow("Retries", self.llm_retries)
        self.llm_mode = QLabel()
        self.llm_mode.setObjectName("hint")
        self.llm_mode.setWordWrap(True)
        form.addRow("", self.llm_mode)
        return page

    def set_llm_endpoint(self, description: str, models: list[str]) -> None:
        """What LLM nodes will call (from Settings), and the models it offered, as completions."""
        self.llm_mode.setText(description)
        completer = QCompleter(models, self.llm_model)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.llm_model.setCompleter(completer)

    def _input_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading("Inputs asked of the person"))
        self.inputs = QTableWidget(0, 4)
        self.inputs.setHorizontalHeaderLabels(["Name", "Type", "Prompt", "Default"])
        self.inputs.horizontalHeader().setStretchLastSection(True)
        self.inputs.itemChanged.connect(lambda _item: self._commit_inputs())
        layout.addWidget(self.inputs, 1)
        buttons = QHBoxLayout()
        add = QPushButton("Add input")
        add.clicked.connect(self._add_input)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_input)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch()
        layout.addLayout(buttons)
        return page

    def _is_new(self, **changes: Any) -> bool:
        if self.node_id is None:
            return False
        node = self.inspector.model.node(self.node_id)
        return any(getattr(node, k) != v for k, v in changes.items())

    def _edit(self, **changes: Any) -> None:
        if self._is_new(**changes):
            self.inspector.push(EditNodeCommand(self.inspector.model, self.node_id, changes))

    def _commit_code(self) -> None:
        self._code_shown = self.code.text()
        self._edit(code=self._code_shown)

    def _edit_param(self, **changes: Any) -> None:
        if self.node_id is None:
            return
        params = dict(self.inspector.model.node(self.node_id).params)
        if all(params.get(k) == v for k, v in changes.items()):
            return
        params.update(changes)
        self.inspector.push(
            EditNodeCommand(
                self.inspector.model,
                self.node_id,
                {"params": params},
                f"Edit {', '.join(changes)} of '{self.node_id}'",
            )
        )

    def _rename(self, text: str) -> None:
        new_id = text.strip()
        model = self.inspector.model
        if self.node_id is None or new_id == self.node_id:
            return
        reason = node_id_problem(new_id)
        if reason is None and new_id in model.node_ids():
            reason = f"'{new_id}' is the name of another node; names are unique."
        if reason is not None:
            self.problems.setText(reason[:1].upper() + reason[1:])
            self.id_edit.setText(self.node_id)
            return
        old = self.node_id
        self.node_id = new_id
        self.inspector.push(RenameNodeCommand(model, old, new_id))

    def _input_rows(self) -> list[dict[str, Any]]:
        rows = []
        for row in range(self.inputs.rowCount()):
            cells = [self.inputs.item(row, c) for c in range(4)]
            name = cells[0].text().strip() if cells[0] else ""
            kind = self.inputs.cellWidget(row, 1)
            field: dict[str, Any] = {
                "name": name,
                "type": kind.currentText() if isinstance(kind, QComboBox) else "str",
                "prompt": cells[2].text() if cells[2] else "",
            }
            default = cells[3].text() if cells[3] else ""
            if default:
                field["default"] = default
            rows.append(field)
        return rows

    def _commit_inputs(self) -> None:
        if getattr(self, "_filling", False):
            return
        self._edit_param(inputs=self._input_rows())

    def _add_input(self) -> None:
        rows = self._input_rows()
        names = {r["name"] for r in rows}
        number = len(rows) + 1
        while f"value_{number}" in names:
            number += 1
        rows.append({"name": f"value_{number}", "type": "str", "prompt": ""})
        self._edit_param(inputs=rows)

    def _remove_input(self) -> None:
        row = self.inputs.currentRow()
        rows = self._input_rows()
        if 0 <= row < len(rows):
            rows.pop(row)
            self._edit_param(inputs=rows)

    def show_node(self, node_id: str, problems: list[Problem]) -> None:
        self.node_id = node_id
        node = self.inspector.model.node(node_id)
        self.title.setText(
            f"{node.kind.upper() if node.kind == 'llm' else node.kind.capitalize()} node"
        )
        self.problems.setText("\n".join(p.message for p in problems))
        self.id_edit.show_value(node.id)
        self.label.show_value(node.label)
        self.kind.setText(node.kind)
        self.reads.show_value(", ".join(node.reads))
        self.writes.show_value(", ".join(node.writes))
        # An LLM or input node's settings imply keys its card lists: say so in the empty field.
        for field, declared, implied in (
            (self.reads, node.reads, node_reads(node)),
            (self.writes, node.writes, node_writes(node)),
        ):
            extra = [key for key in implied if key not in declared]
            field.setPlaceholderText(
                f"{', '.join(extra)} (from its settings)" if extra else "key, key, ..."
            )
        self.breakpoint.blockSignals(True)
        self.breakpoint.setChecked(node.breakpoint)
        self.breakpoint.blockSignals(False)
        pages = {"python": self.python_page, "llm": self.llm_page, "input": self.input_page}
        self.stack.setCurrentWidget(pages.get(node.kind, self.end_page))
        typing = self.code.hasFocus() and self.code.text() != self._code_shown
        if node.kind == "python" and not typing:
            self.code.set_text(node.code)
            self._code_shown = node.code
            code_problem = next((p for p in problems if p.field == "code"), None)
            if code_problem is not None and code_problem.line is not None:
                self.code.set_problem(code_problem.line, code_problem.column, code_problem.message)
        elif node.kind == "llm":
            params = node.llm_params()
            self.llm_model.show_value(params.model)
            self.llm_system.show_value(params.system_prompt)
            self.llm_template.show_value(params.prompt_template)
            self.llm_output.show_value(params.output_key)
            self.llm_history.show_value(params.history_key or "")
            self.llm_temperature.setValue(params.temperature)
            self.llm_max_tokens.setValue(params.max_tokens or 0)
            self.llm_retries.setValue(params.retries)
        elif node.kind == "input":
            self._filling = True
            fields = node.params.get("inputs", [])
            self.inputs.setRowCount(len(fields))
            for row, field in enumerate(fields):
                self.inputs.setItem(row, 0, QTableWidgetItem(str(field.get("name", ""))))
                combo = QComboBox()
                combo.addItems(INPUT_TYPES)
                combo.setCurrentText(str(field.get("type", "str")))
                combo.currentTextChanged.connect(lambda _t: self._commit_inputs())
                self.inputs.setCellWidget(row, 1, combo)
                self.inputs.setItem(row, 2, QTableWidgetItem(str(field.get("prompt", ""))))
                default = field.get("default")
                self.inputs.setItem(
                    row, 3, QTableWidgetItem("" if default is None else str(default))
                )
            self._filling = False


class EdgePage(QWidget):
    """An edge: where it goes and when it is taken."""

    KINDS = ["default", "expr", "when"]

    def __init__(self, inspector: Inspector):
        super().__init__()
        self.inspector = inspector
        self.index: int | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(_heading("Transition"))
        self.route = QLabel()
        self.route.setObjectName("routeLabel")
        layout.addWidget(self.route)
        self.order = QLabel()
        self.order.setObjectName("hint")
        self.order.setWordWrap(True)
        layout.addWidget(self.order)
        order_row = QHBoxLayout()
        self.earlier_button = QPushButton("Try Earlier")
        self.earlier_button.setToolTip("Try this transition before the one tried before it")
        self.earlier_button.clicked.connect(lambda: self._reorder(-1))
        self.later_button = QPushButton("Try Later")
        self.later_button.setToolTip("Try this transition after the one tried after it")
        self.later_button.clicked.connect(lambda: self._reorder(1))
        order_row.addWidget(self.earlier_button)
        order_row.addWidget(self.later_button)
        order_row.addStretch(1)
        layout.addLayout(order_row)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.addItems(["default (always)", "expr (expression)", "when (key = value)"])
        self.kind.activated.connect(self._kind_changed)
        form.addRow("Condition", self.kind)
        self.expression = QLineEdit()
        self.expression.setObjectName("conditionEditor")
        self.expression.setPlaceholderText("e.g. count < 10 and len(history) > 2")
        self.expression.textChanged.connect(self._check)
        self.expression.editingFinished.connect(self._commit)
        self._shown = ""
        form.addRow("Expression", self.expression)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        help_text = QLabel(
            "expr: comparisons, and/or/not, arithmetic, subscripts, literals, state keys and "
            "len, min, max, sum, abs, all, any, str, int, float, bool, round, sorted.\n"
            'when: a JSON object such as {"category": "spam", "count__gte": 3}.'
        )
        help_text.setWordWrap(True)
        help_text.setObjectName("hint")
        layout.addWidget(help_text)
        layout.addStretch()

    def _current_kind(self) -> str:
        return self.KINDS[self.kind.currentIndex()]

    def _kind_changed(self, _index: int) -> None:
        kind = self._current_kind()
        self.expression.setEnabled(kind != "default")
        if kind == "default":
            self._push("default")
        else:
            self.expression.setFocus()
            self._check(self.expression.text())

    def _parse(self, text: str) -> tuple[str | dict | None, str]:
        kind = self._current_kind()
        if kind == "default":
            return "default", ""
        if kind == "expr":
            try:
                compile_expression(text)
            except ExpressionError as exc:
                return None, str(exc)
            return f"expr: {text.strip()}", ""
        try:
            value = parse_json_text(text or "{}")
        except JsonTextError as exc:
            return None, f"Not a JSON object: {exc}."
        if not isinstance(value, dict) or not value:
            return None, 'A when condition is a non-empty JSON object, e.g. {"mode": "chat"}.'
        return {"when": value}, ""

    def _check(self, text: str) -> None:
        _value, error = self._parse(text)
        self.error.setText(error)
        self.expression.setProperty("invalid", bool(error))
        self.expression.style().unpolish(self.expression)
        self.expression.style().polish(self.expression)

    def _commit(self) -> None:
        if self.expression.text() == self._shown:
            return
        value, error = self._parse(self.expression.text())
        if value is not None and not error:
            self._shown = self.expression.text()
            self._push(value)

    def _push(self, condition: str | dict) -> None:
        if self.index is None:
            return
        if self.inspector.model.document.edges[self.index].condition == condition:
            return
        self.inspector.push(
            EditEdgeCommand(self.inspector.model, self.index, {"condition": condition})
        )

    def _siblings(self) -> list[int]:
        """The indexes of the edges leaving the same node, in the order they are tried."""
        document = self.inspector.model.document
        source = document.edges[self.index].source  # type: ignore[index]
        return [i for i, e in enumerate(document.edges) if e.source == source]

    def _reorder(self, step: int) -> None:
        if self.index is None:
            return
        siblings = self._siblings()
        position = siblings.index(self.index) + step
        if not 0 <= position < len(siblings):
            return
        other = siblings[position]
        self.inspector.push(ReorderEdgeCommand(self.inspector.model, self.index, other))
        self.inspector.edgeSelectionRequested.emit(other)

    def show_edge(self, index: int, problems: list[Problem]) -> None:
        self.index = index
        document = self.inspector.model.document
        edge = document.edges[index]
        self.route.setText(f"{edge.source}  →  {edge.target}")
        siblings = self._siblings()
        position = siblings.index(index)
        self.order.setText(
            f"Tried {position + 1} of {len(siblings)} from {edge.source}: the first "
            "transition whose condition holds is taken."
        )
        self.earlier_button.setEnabled(position > 0)
        self.later_button.setEnabled(position < len(siblings) - 1)
        kind = edge.condition_kind if edge.condition_kind in self.KINDS else "expr"
        self.kind.setCurrentIndex(self.KINDS.index(kind))
        self.expression.setEnabled(kind != "default")
        if not self.expression.hasFocus() or self.expression.text() == self._shown:
            if kind == "expr":
                self._shown = edge.expression or ""
            elif kind == "when":
                self._shown = json.dumps(edge.when)
            else:
                self._shown = ""
            self.expression.setText(self._shown)
        messages = [p.message for p in problems]
        self.error.setText("\n".join(messages))


class Inspector(QScrollArea):
    """Right panel: whatever is selected, editable."""

    edgeSelectionRequested = Signal(int)  # an edit moved the selected edge to this index

    def __init__(
        self, model: FlowEditorModel, undo_stack: QUndoStack, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.model = model
        self.undo_stack = undo_stack
        self.problems: list[Problem] = []
        self.setWidgetResizable(True)
        self.pages = QStackedWidget()
        self.flow_page = FlowPage(self)
        self.node_page = NodePage(self)
        self.edge_page = EdgePage(self)
        self.message_page = QLabel()
        self.message_page.setObjectName("hint")
        self.message_page.setWordWrap(True)
        self.message_page.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message_page.setMargin(12)
        for page in (self.flow_page, self.node_page, self.edge_page, self.message_page):
            self.pages.addWidget(page)
        self.setWidget(self.pages)
        # It scrolls down, never sideways: a field cut at the right edge reads as broken.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._selection: tuple[str, Any] = ("flow", None)
        model.changed.connect(self.refresh)
        self.refresh()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as the pages can be (and the scroll bar beside them), so the dock cannot
        be dragged narrower than its fields."""
        hint = super().minimumSizeHint()
        width = self.pages.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(width + 2 * self.frameWidth(), hint.height())

    def push(self, command: Any) -> None:
        self.undo_stack.push(command)

    def edit_flow(self, **changes: Any) -> None:
        document = self.model.document
        if any(getattr(document, k) != v for k, v in changes.items()):
            self.push(EditFlowCommand(self.model, changes))

    def commit_pending_edits(self) -> None:
        """Commits what is being typed here. An editor commits when it loses focus (or on
        Enter), so Save, Run and every command that reads the document call this first: a
        shortcut pressed while typing then uses what was typed. Focus stays where it was."""
        focus = QApplication.focusWidget()
        if focus is None or not self.isAncestorOf(focus):
            return
        focus.clearFocus()  # sends the focus-out, and with it the commit, now
        focus.setFocus()

    def show_message(self, text: str | None) -> None:
        """Shows `text` instead of the selection (None: back to the selection)."""
        if text is None:
            self.refresh()
            return
        self.message_page.setText(text)
        self.pages.setCurrentWidget(self.message_page)

    def set_llm_endpoint(self, description: str, models: list[str]) -> None:
        self.node_page.set_llm_endpoint(description, models)

    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.refresh()

    def show_selection(self, node_ids: list[str], edge_indexes: list[int]) -> None:
        if len(node_ids) == 1 and not edge_indexes:
            self._selection = ("node", node_ids[0])
        elif len(edge_indexes) == 1 and not node_ids:
            self._selection = ("edge", edge_indexes[0])
        else:
            self._selection = ("flow", None)
        self.refresh()

    def refresh(self) -> None:
        kind, key = self._selection
        document = self.model.document
        if kind == "node" and document.node(key) is None:
            renamed = self.node_page.node_id
            kind, key = ("node", renamed) if renamed and document.node(renamed) else ("flow", None)
        if kind == "edge" and not (0 <= key < len(document.edges)):
            kind, key = "flow", None
        self._selection = (kind, key)
        if kind == "node":
            self.node_page.show_node(key, [p for p in self.problems if p.node_id == key])
            self.pages.setCurrentWidget(self.node_page)
        elif kind == "edge":
            self.edge_page.show_edge(key, [p for p in self.problems if p.edge_index == key])
            self.pages.setCurrentWidget(self.edge_page)
        else:
            self.flow_page.refresh()
            self.pages.setCurrentWidget(self.flow_page)
