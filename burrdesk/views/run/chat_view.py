"""The Run panel's conversation: chat bubbles above, the input an input node asks for below.

`ChatView` shows what the person sent to input nodes (right, tinted) and what LLM nodes answered
(left, with the node's name), wrapping long text, selectable, a streamed reply growing in place.
`InputBar` sits under it, like the box of any chat app: one text box for an input node with a
single text field (Enter sends, Shift+Enter starts a new line), a compact form for several fields
or typed ones (placeholders say what is expected: "a number", "yes or no", "JSON").
Colours come from the current theme and follow a theme switch.
"""

from __future__ import annotations

import json
import math
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from burrdesk.views import theme

CURSOR = "▍"
TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "yes or no",
    "json": "JSON",
}
"""What a field of each type expects, in words (placeholders and error messages)."""

BUBBLE_SHARE = 0.72  # a bubble is at most this share of the conversation's width


def _style_sheet(t: theme.Theme) -> str:
    return f"""
QScrollArea#chatView {{
    background: {t.base};
    border: 1px solid {t.border};
    border-radius: 6px;
}}
QWidget#chatContents {{
    background: {t.base};
}}
QFrame#bubble[role="user"] {{
    background: {t.selection};
    border: 1px solid {t.selection};
    border-radius: 12px;
}}
QFrame#bubble[role="assistant"] {{
    background: {t.alternate_base};
    border: 1px solid {t.border};
    border-radius: 12px;
}}
QFrame#bubble QLabel,
QFrame#bubble QTextEdit {{
    background: transparent;
    border: none;
    padding: 0;
    color: {t.text};
    selection-background-color: {t.selection};
    selection-color: {t.text};
}}
QFrame#bubble QLabel#speaker {{
    color: {t.node_llm};
    font-weight: 600;
}}
QFrame#bubble[role="user"] QTextEdit#messageText {{
    selection-background-color: {t.accent};
    selection-color: {t.accent_text};
}}
QLabel#notice {{
    background: transparent;
    color: {t.muted_text};
}}
QLabel#notice[kind="error"] {{
    color: {t.error};
}}
QLabel#emptyHint {{
    background: transparent;
    color: {t.muted_text};
}}
"""


def _default_text(spec: dict) -> str:
    """A field's default as it is typed ("" without one; JSON for a json field)."""
    default = spec.get("default")
    if default is None:
        return ""
    if spec.get("type") == "json" and not isinstance(default, str):
        return json.dumps(default)
    return str(default)


def _smaller(widget: QWidget, factor: float = 0.9) -> None:
    font = widget.font()
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    widget.setFont(font)


class MessageText(QTextEdit):
    """A message's text: selectable, wrapping between words or, for a long URL, anywhere;
    exactly as tall as its text at the width it is given (it never scrolls itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("messageText")
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab does not walk every message
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(0)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)

    def text(self) -> str:
        return self.toPlainText()

    def natural_width(self) -> float:
        """The width of its longest line, unwrapped."""
        document = self.document()
        document.setTextWidth(-1)
        return document.idealWidth()

    def fit_width(self, width: int) -> None:
        document = self.document()
        document.setTextWidth(width)
        self.setFixedSize(width, math.ceil(document.size().height()))

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        event.ignore()  # the conversation scrolls, not the message

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            bubble = self.parentWidget()
            if isinstance(bubble, ChatMessage):
                bubble.fit()


class ChatMessage(QFrame):
    """One message: a bubble with selectable, wrapping text (and the speaker, for replies)."""

    def __init__(self, role: str, speaker: str, text: str, live: bool = False) -> None:
        super().__init__()
        self.role = role  # "user" or "assistant"
        self.speaker = speaker
        self._text = ""
        self.live = False
        self.setObjectName("bubble")
        self.setProperty("role", role)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Minimum)
        self._widest = 480
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 7, 12, 8)
        layout.setSpacing(2)
        self.speaker_label = QLabel(speaker)
        self.speaker_label.setObjectName("speaker")
        _smaller(self.speaker_label)
        layout.addWidget(self.speaker_label)
        self.speaker_label.setVisible(role == "assistant")  # once it has a parent
        self.label = MessageText()
        layout.addWidget(self.label)
        self.set_text(text, live)

    def text(self) -> str:
        """The message as said (without the cursor a streaming reply shows)."""
        return self._text

    def set_text(self, text: str, live: bool = False) -> None:
        self._text, self.live = text, live
        self.label.setPlainText(text + CURSOR if live else text)
        self.fit()

    def shown(self) -> str:
        """The text on screen (a streaming reply ends with the cursor mark)."""
        return self.label.toPlainText()

    def fit(self, widest: int | None = None) -> None:
        """Sizes the bubble to its text, wrapping at `widest` pixels (kept from the last call)."""
        if widest is not None:
            self._widest = widest
        margins = self.layout().contentsMargins()
        room = max(80, self._widest - margins.left() - margins.right())
        natural = math.ceil(self.label.natural_width()) + 2
        if self.role == "assistant":
            natural = max(natural, self.speaker_label.fontMetrics().horizontalAdvance(self.speaker))
        # Text of a fixed width knows its height: no clipped or over-tall bubbles.
        self.label.fit_width(min(room, natural))


class ChatView(QScrollArea):
    """The conversation of one run, oldest at the top, sticking to the newest message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # keys scroll the conversation
        contents = QWidget()
        contents.setObjectName("chatContents")
        self.rows = QVBoxLayout(contents)
        self.rows.setContentsMargins(12, 10, 12, 10)
        self.rows.setSpacing(8)
        self.rows.addStretch(1)  # messages gather at the bottom, next to the input
        self.empty_hint = QLabel(
            "The conversation appears here: what you send to input nodes, and what LLM nodes "
            "answer. The run's steps are in the log."
        )
        self.empty_hint.setObjectName("emptyHint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.rows.addWidget(self.empty_hint, 1)
        self.setWidget(contents)
        self._set_empty(True)
        self._messages: list[ChatMessage] = []
        self._notices: list[QLabel] = []
        self._live: ChatMessage | None = None
        self._stick = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._remember_stick)
        bar.rangeChanged.connect(self._follow)
        theme.theme_signals.changed.connect(self._restyle)
        self._restyle(theme.current_theme())

    # --- what is said ------------------------------------------------------------------------

    def messages(self) -> list[ChatMessage]:
        """The conversation: the person's messages and the replies, in order (no notices)."""
        return list(self._messages)

    def add_message(self, role: str, speaker: str, text: str, live: bool = False) -> ChatMessage:
        message = ChatMessage(role, speaker, text, live)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if role == "user":
            row.addStretch(1)
        row.addWidget(message)
        if role != "user":
            row.addStretch(1)
        self._insert(row)
        self._messages.append(message)
        self._fit_bubble(message)
        self._set_empty(False)
        self._stick = True  # a new message is read where it appears
        return message

    def stream(self, speaker: str, text: str) -> ChatMessage:
        """A reply arriving piece by piece: one bubble that grows, with a cursor mark."""
        if self._live is None or self._live.speaker != speaker:
            self._live = self.add_message("assistant", speaker, text, live=True)
        else:
            self._live.set_text(text, live=True)
        return self._live

    def finish(self, speaker: str, text: str) -> ChatMessage:
        """The whole reply: the streamed bubble gets it, or a new bubble shows it."""
        live, self._live = self._live, None
        if live is not None and live.speaker == speaker:
            live.set_text(text)
            return live
        return self.add_message("assistant", speaker, text)

    def add_notice(self, text: str, kind: str = "info") -> QLabel:
        """A line about the run (it ended, it failed), centred and small, not a message."""
        notice = QLabel(text)
        notice.setObjectName("notice")
        notice.setProperty("kind", kind)
        notice.setWordWrap(True)
        notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        _smaller(notice)
        self._insert(notice)
        self._notices.append(notice)
        self._set_empty(False)
        return notice

    def notices(self) -> list[QLabel]:
        """The lines about the run, in order."""
        return list(self._notices)

    def clear(self) -> None:
        while self.rows.count() > 2:  # the stretch and the hint stay
            item = self.rows.takeAt(2)
            layout = item.layout()
            widget = item.widget()
            if layout is not None:
                while layout.count():
                    child = layout.takeAt(0).widget()
                    if child is not None:
                        child.deleteLater()
                layout.deleteLater()
            elif widget is not None:
                widget.deleteLater()
        self._messages, self._notices, self._live = [], [], None
        self._set_empty(True)
        self._stick = True

    def _set_empty(self, empty: bool) -> None:
        """The hint fills an empty conversation, centred; messages gather at the bottom."""
        self.empty_hint.setVisible(empty)
        self.rows.setStretch(0, 0 if empty else 1)

    # --- layout ------------------------------------------------------------------------------

    def _insert(self, row: Any) -> None:
        if isinstance(row, QWidget):
            self.rows.addWidget(row)
        else:
            self.rows.addLayout(row)

    def _fit_bubble(self, message: ChatMessage) -> None:
        margins = self.rows.contentsMargins()
        width = self.viewport().width() - margins.left() - margins.right()
        message.fit(max(160, int(width * BUBBLE_SHARE)))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        for message in self._messages:
            self._fit_bubble(message)

    def _remember_stick(self, value: int) -> None:
        self._stick = value >= self.verticalScrollBar().maximum() - 4

    def _follow(self, _minimum: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)

    def scroll_to_newest(self) -> None:
        self._stick = True
        QTimer.singleShot(0, self._scroll_to_end)  # once the newest rows are laid out

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _restyle(self, current: theme.Theme) -> None:
        self.setStyleSheet(_style_sheet(current))


class ChatInput(QPlainTextEdit):
    """The chat box: Enter sends, Shift+Enter starts a new line; grows to a few lines.

    It answers the QLineEdit calls the panel and its tests use (`text`, `setText`,
    `returnPressed`), so a single-field input reads like the form's line edits."""

    returnPressed = Signal()
    MAX_LINES = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatInput")
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:  # noqa: N802 - the QLineEdit name
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.End)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.returnPressed.emit()
            return
        if enter:  # Shift+Enter: a new line, not a paragraph separator
            self.insertPlainText("\n")
            return
        super().keyPressEvent(event)

    def _fit(self, *_args: Any) -> None:
        lines = int(self.document().documentLayout().documentSize().height())
        lines = max(1, min(self.MAX_LINES, lines))
        margins = self.contentsMargins()
        height = (
            lines * self.fontMetrics().lineSpacing()
            + 2 * self.document().documentMargin()
            + margins.top()
            + margins.bottom()
            + 2 * self.frameWidth()
        )
        self.setFixedHeight(max(32, math.ceil(height)))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()


class _EnterMovesOn(QObject):
    """Enter in a form field that is not the last moves to the next field."""

    def __init__(self, edit: QLineEdit, following: QWidget) -> None:
        super().__init__(edit)
        self.following = following
        edit.returnPressed.connect(lambda: following.setFocus(Qt.FocusReason.TabFocusReason))


class InputBar(QFrame):
    """What an input node asks for, at the bottom of the conversation (see the module doc)."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputBar")
        self.fields: dict[str, QLineEdit | ChatInput] = {}
        self.specs: list[dict] = []
        self.node_id = ""
        self._signature: tuple | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 0)
        outer.setSpacing(4)
        self.problem = QLabel()
        self.problem.setObjectName("errorText")
        self.problem.setWordWrap(True)
        self.problem.hide()
        outer.addWidget(self.problem)
        self.body = QWidget()
        outer.addWidget(self.body)
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(6)
        self.send_button = QPushButton("Send", self.body)  # one button for every input
        self.send_button.setDefault(True)  # drawn as the primary action
        self.send_button.setAutoDefault(False)
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.clicked.connect(self.submitted)
        self.send_button.hide()
        self.hide()

    @property
    def chat_mode(self) -> bool:
        """One text field: the chat box, not a form."""
        return len(self.specs) == 1 and self.specs[0].get("type", "str") == "str"

    # --- asking ------------------------------------------------------------------------------

    def ask(self, node_id: str, fields: list[dict], focus: bool = True) -> None:
        """Shows and enables the input for `fields`, reusing it for the same node (what is
        typed in it and not sent yet stays), and focuses its first field if `focus`."""
        signature = (node_id, tuple(tuple(sorted(f.items(), key=str)) for f in fields))
        fresh = signature != self._signature or not self.isEnabled()
        if signature != self._signature:
            self.clear()
            self._build(node_id, fields)
            self._signature = signature
        if fresh:
            for spec in self.specs:
                edit = self.fields[spec["name"]]
                edit.setText(_default_text(spec))
                self._mark(edit, False)
            self.problem.hide()
        if self.chat_mode:
            self.fields[self.specs[0]["name"]].setPlaceholderText(self._chat_placeholder())
        self.setEnabled(True)
        self.show()
        if focus and self.specs:
            self.fields[self.specs[0]["name"]].setFocus(Qt.FocusReason.OtherFocusReason)

    def _chat_placeholder(self) -> str:
        spec = self.specs[0]
        return spec.get("prompt") or f"Type the {spec['name']}"

    def _build(self, node_id: str, fields: list[dict]) -> None:
        self.node_id, self.specs = node_id, [dict(f) for f in fields]
        self.send_button.show()
        if self.chat_mode:
            spec = self.specs[0]
            box = ChatInput()
            box.setToolTip(f"{spec['name']} · Enter sends, Shift+Enter starts a new line")
            box.returnPressed.connect(self.submitted)
            self.fields[spec["name"]] = box
            self.grid.addWidget(box, 0, 0)
            self.grid.addWidget(self.send_button, 0, 1, Qt.AlignmentFlag.AlignBottom)
            self.grid.setColumnStretch(0, 1)
            return
        edits = []
        for row, spec in enumerate(self.specs):
            kind = spec.get("type", "str")
            label = QLabel(spec.get("prompt") or spec["name"])
            label.setToolTip(f"{spec['name']} ({TYPE_WORDS.get(kind, kind)})")
            edit = QLineEdit()
            edit.setObjectName(f"input_{spec['name']}")
            edit.setPlaceholderText(TYPE_WORDS.get(kind, kind))
            edit.setToolTip(f"{spec['name']}: {TYPE_WORDS.get(kind, kind)}")
            if kind == "json":
                edit.setFont(theme.monospace_font())
            edit.textEdited.connect(lambda _text, e=edit: self._mark(e, False))
            label.setBuddy(edit)
            self.fields[spec["name"]] = edit
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(edit, row, 1)
            edits.append(edit)
        for edit, following in zip(edits, edits[1:], strict=False):
            _EnterMovesOn(edit, following)
        if edits:
            edits[-1].returnPressed.connect(self.submitted)
        self.grid.addWidget(self.send_button, max(0, len(edits) - 1), 2)
        self.grid.setColumnStretch(1, 1)

    def clear(self) -> None:
        """Forgets the fields (another node, another run); hides the bar."""
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None and widget is not self.send_button:
                widget.hide()
                widget.deleteLater()
        self.send_button.hide()
        for column in range(3):
            self.grid.setColumnStretch(column, 0)
        self.fields, self.specs, self.node_id, self._signature = {}, [], "", None
        self.problem.hide()
        self.hide()

    # --- sending -----------------------------------------------------------------------------

    def values(self) -> dict[str, str] | None:
        """The typed values to send, or None when one is not what its field expects (the bar
        then says why and focuses it). An empty chat message is not sent."""
        from burrdesk.engine.flow_compiler import convert_input
        from burrdesk.model.flow_document import InputField

        values: dict[str, str] = {}
        for spec in self.specs:
            name, kind = spec["name"], spec.get("type", "str")
            edit = self.fields[name]
            text = edit.text()
            if not text.strip() and spec.get("default") is not None:
                continue  # left empty: the node uses its default
            if self.chat_mode and not text.strip():
                return None
            if kind != "str":
                words = TYPE_WORDS.get(kind, kind)
                shown = spec.get("prompt") or name
                if not text.strip():
                    return self._refuse(edit, f"{shown} needs {words}.")
                try:
                    convert_input(InputField(name=name, type=kind), text)
                except (ValueError, TypeError):
                    short = text if len(text) <= 40 else f"{text[:40]}…"
                    return self._refuse(edit, f"{shown} must be {words}; “{short}” is not.")
            values[name] = text
        return values

    def _refuse(self, edit: QWidget, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.show()
        self._mark(edit, True)
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return None

    @staticmethod
    def _mark(edit: QWidget, invalid: bool) -> None:
        if bool(edit.property("invalid")) != invalid:
            edit.setProperty("invalid", invalid)
            edit.style().unpolish(edit)
            edit.style().polish(edit)

    def said(self, values: dict[str, str]) -> dict[str, str]:
        """Every field's value as sent, a field left empty showing its default."""
        return {spec["name"]: values.get(spec["name"], _default_text(spec)) for spec in self.specs}

    def describe(self, values: dict[str, str]) -> str:
        """The person's message in the conversation for what was sent."""
        said = self.said(values)
        if self.chat_mode:
            return next(iter(said.values()), "")
        return "\n".join(f"{name}: {value}" for name, value in said.items())

    def sent(self) -> None:
        """Clears the input and disables it until the flow asks again."""
        for edit in self.fields.values():
            edit.setText("")
        if self.chat_mode:
            self.fields[self.specs[0]["name"]].setPlaceholderText("Waiting for the flow…")
        self.problem.hide()
        self.setEnabled(False)
