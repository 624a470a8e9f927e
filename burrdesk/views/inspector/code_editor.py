"""A small code editor for python nodes and the flow's initial state (JSON).

A QPlainTextEdit with what makes code pleasant to edit in a panel: pygments highlighting in the
theme's colours, line numbers, 4-space indentation keys, and a live syntax check that underlines
the problem, so a broken node shows up while typing rather than when the flow runs.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pygments.lexer import Lexer
from pygments.lexers import JsonLexer, PythonLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    _TokenType,
)
from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QHelpEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from burrdesk.model.json_text import JsonTextError, parse_json_text
from burrdesk.views import theme as themes
from burrdesk.views.theme import Theme

Language = Literal["python", "json"]

INDENT = 4
CHECK_DELAY_MS = 300

# Pygments token types to the theme's syntax colours, most specific first.
_CATEGORIES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "comment"),
    (String, "string"),
    (Number, "number"),
    (Keyword, "keyword"),
    (Operator.Word, "keyword"),  # and, or, not, in, is
    (Name.Builtin, "builtin"),  # also Name.Builtin.Pseudo: self, cls
    (Name.Exception, "builtin"),
    (Name.Function, "function"),
    (Name.Class, "function"),
    (Name.Decorator, "function"),
    (Name.Tag, "function"),  # JSON object keys
    (Operator, "operator"),
    (Punctuation, "operator"),
    (Name, "name"),
)
_category_cache: dict[_TokenType, str | None] = {}

# Lines that end a block, so Enter after them steps one level out.
_DEDENT_AFTER = re.compile(r"^\s*(return|pass|break|continue|raise)\b")
_TOKEN = re.compile(r"(?P<word>\w+)|(?P<punctuation>[^\w\s])")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class EditorProblem:
    """The problem the editor shows: 1-based line and column (None when unknown)."""

    line: int | None
    column: int | None
    message: str

    def display(self) -> str:
        """One line for a status label: the message, prefixed by its line when known."""
        return f"Line {self.line}: {self.message}" if self.line else self.message


def _category(token_type: _TokenType) -> str | None:
    if token_type not in _category_cache:
        _category_cache[token_type] = next(
            (name for parent, name in _CATEGORIES if token_type in parent), None
        )
    return _category_cache[token_type]


def _utf16_length(text: str) -> int:
    """Qt counts positions in UTF-16 units; Python counts code points (they differ for emoji)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _syntax_formats(theme: Theme) -> dict[str, QTextCharFormat]:
    colors = {
        "keyword": theme.syntax_keyword,
        "string": theme.syntax_string,
        "number": theme.syntax_number,
        "comment": theme.syntax_comment,
        "name": theme.syntax_name,
        "function": theme.syntax_function,
        "builtin": theme.syntax_builtin,
        "operator": theme.syntax_operator,
    }
    formats = {}
    for category, color in colors.items():
        char_format = QTextCharFormat()
        char_format.setForeground(QColor(color))
        if category == "comment":
            char_format.setFontItalic(True)
        formats[category] = char_format
    return formats


class PygmentsHighlighter(QSyntaxHighlighter):
    """Colours code by lexing the whole document with pygments, so multi-line strings stay right.

    Qt highlights one block at a time, and a block lexed alone cannot know it sits inside a
    triple-quoted string. Node code is small, so each edit re-lexes the whole text once and every
    block reads its spans from that cache. A block's state is a hash of its spans and those of
    all blocks after it, so Qt keeps re-highlighting following blocks exactly as long as their
    colours changed.
    """

    def __init__(self, document: QTextDocument, language: Language, theme: Theme) -> None:
        super().__init__(None)
        self.setParent(document)
        self._lexer: Lexer = PythonLexer() if language == "python" else JsonLexer()
        self._formats = _syntax_formats(theme)
        self._text: str | None = None
        self._dirty = True
        self._spans: list[list[tuple[int, int, str]]] = []
        self._states: list[int] = []
        # Connected before setDocument() connects Qt's own reformatting slot, so the cache is
        # marked stale before Qt asks for the changed blocks.
        document.contentsChange.connect(self._mark_dirty)
        self.setDocument(document)

    def set_theme(self, theme: Theme) -> None:
        """Recolour every block in the new theme's syntax colours."""
        self._formats = _syntax_formats(theme)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        self._lex_if_changed()
        number = self.currentBlock().blockNumber()
        if number >= len(self._spans):
            return
        for start, length, category in self._spans[number]:
            self.setFormat(start, length, self._formats[category])
        self.setCurrentBlockState(self._states[number])

    def _mark_dirty(self, *_: int) -> None:
        self._dirty = True

    def _lex_if_changed(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        text = self.document().toPlainText()
        if text == self._text:  # a format-only change (Qt reports those too)
            return
        self._text = text
        lines = text.split("\n")
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        spans: list[list[tuple[int, int, str]]] = [[] for _ in lines]
        for index, token_type, value in self._lexer.get_tokens_unprocessed(text):
            category = _category(token_type)
            if category is None or not value:
                continue
            line = bisect_right(starts, index) - 1
            column = index - starts[line]
            for piece in value.split("\n"):
                if piece and line < len(lines):
                    spans[line].append((column, len(piece), category))
                line += 1
                column = 0
        for number, line_text in enumerate(lines):
            if not line_text.isascii() and spans[number]:
                spans[number] = [
                    (
                        _utf16_length(line_text[:start]),
                        _utf16_length(line_text[start : start + n]),
                        c,
                    )
                    for start, n, c in spans[number]
                ]
        states = [0] * len(lines)
        suffix = 0
        for number in range(len(lines) - 1, -1, -1):
            suffix = hash((tuple(spans[number]), suffix)) & 0x3FFFFFFF  # never -1 ("no state")
            states[number] = suffix
        self._spans, self._states = spans, states


class _LineNumberArea(QWidget):
    """The gutter beside the text; the editor paints it so both share one notion of geometry."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._editor.line_number_area_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._editor._paint_line_numbers(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self._editor._show_problem_tooltip(event, self)
            return True
        return super().event(event)


class CodeEditor(QPlainTextEdit):
    """Edits a python node's code or the flow's JSON state; see the module docstring.

    Signals:
        editingFinished(): focus left and the text differs from the last committed text
            (set_text, or the previous editingFinished). The inspector turns it into one
            undoable command, so an edit session is one undo step.
        problemChanged(str): the shown problem changed; "Line N: message", or "" when fine.
    """

    editingFinished = Signal()
    problemChanged = Signal(str)

    def __init__(
        self,
        language: Language = "python",
        parent: QWidget | None = None,
        *,
        check_delay_ms: int = CHECK_DELAY_MS,
    ) -> None:
        if language not in ("python", "json"):
            raise ValueError(f"language must be 'python' or 'json', not {language!r}")
        super().__init__(parent)
        self._language: Language = language
        self._theme = themes.current_theme()
        self._problem: EditorProblem | None = None
        self._extra_check: Callable[[str], EditorProblem | None] | None = None
        self._committed_text = ""

        self.setFont(themes.monospace_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(False)
        self.setCursorWidth(2)

        self._highlighter = PygmentsHighlighter(self.document(), language, self._theme)
        self._gutter = _LineNumberArea(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._on_cursor_moved)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(check_delay_ms)
        self._check_timer.timeout.connect(self.check)
        self.textChanged.connect(self._check_timer.start)

        themes.theme_signals.changed.connect(self._on_theme_changed)
        self._apply_theme(self._theme)
        self._update_gutter_width()

    # -- public API ------------------------------------------------------------------------

    @property
    def language(self) -> Language:
        return self._language

    @property
    def highlighter(self) -> PygmentsHighlighter:
        return self._highlighter

    def text(self) -> str:
        """The editor's text (plain, with "\\n" line ends)."""
        return self.toPlainText()

    def set_text(self, text: str) -> None:
        """Show new text from the model without emitting editingFinished, and check it now.

        Setting the text it already shows does nothing, so echoes of the editor's own commits
        leave the cursor and undo history alone.
        """
        if text != self.toPlainText():
            self.setPlainText(text)
        self._committed_text = text
        self.check()

    def finish_editing(self) -> bool:
        """Emit editingFinished now if the text changed since the last commit.

        Focus-out does this on its own; call it before acting on the model while the editor may
        still have focus (Save, Run, switching nodes from the keyboard).
        """
        text = self.toPlainText()
        if text == self._committed_text:
            return False
        self._committed_text = text
        self.editingFinished.emit()
        return True

    def problem(self) -> EditorProblem | None:
        """The problem currently shown, if any."""
        return self._problem

    def set_problem(self, line: int | None, column: int | None, message: str | None) -> None:
        """Show a problem: wavy underline from `column` to the end of that token, and a tooltip
        over the line. Line and column are 1-based, like SyntaxError and flow Problems; a None
        column marks the line's first token, a None line shows the message without a position.
        `set_problem(None, None, None)` clears it.
        """
        problem = EditorProblem(line, column, message) if message else None
        before = self._problem.display() if self._problem else ""
        self._problem = problem
        self._refresh_extra_selections()
        self._gutter.update()
        after = problem.display() if problem else ""
        if after != before:
            self.problemChanged.emit(after)

    def set_extra_check(self, check: Callable[[str], EditorProblem | None] | None) -> None:
        """Run `check(text)` after the syntax check passes (e.g. "the state must be an object"),
        so a live check does not clear a problem the caller still considers current.
        """
        self._extra_check = check

    def check(self) -> str:
        """Check the text now (python: compile it; json: parse it) and show the first problem.

        Runs by itself ~300 ms after the last edit. Returns the problem text, "" when fine.
        """
        self._check_timer.stop()
        text = self.toPlainText()
        problem = _syntax_problem(text, self._language)
        if problem is None and self._extra_check is not None:
            problem = self._extra_check(text)
        if problem is None:
            self.set_problem(None, None, None)
        else:
            self.set_problem(problem.line, problem.column, problem.message)
        return self._problem.display() if self._problem else ""

    def set_theme(self, theme: Theme) -> None:
        """Recolour the editor; it follows `theme_signals.changed` by itself."""
        self._apply_theme(theme)

    def line_number_area_width(self) -> int:
        """The gutter's width: room for the largest line number plus padding."""
        digits = max(2, len(str(max(1, self.blockCount()))))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits

    # -- Qt overrides ----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        modifiers = event.modifiers()
        command = modifiers & (
            Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.MetaModifier
        )
        if self.isReadOnly() or command:
            super().keyPressEvent(event)
            return
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_Backtab or (key == Qt.Key.Key_Tab and shift):
            self._dedent()
        elif key == Qt.Key.Key_Tab:
            self._indent()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._newline()  # also Shift+Enter: a U+2028 line separator would break the code
        elif key == Qt.Key.Key_Backspace and not shift and self._backspace_indent():
            pass
        else:
            super().keyPressEvent(event)
            return
        self.ensureCursorVisible()

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)
        # Returning from a context menu continues the same edit session.
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self._committed_text = self.toPlainText()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.finish_editing()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(
            QRect(rect.left(), rect.top(), self.line_number_area_width(), rect.height())
        )

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self._show_problem_tooltip(event, self.viewport())
            return True
        return super().viewportEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._update_tab_stop()
            self._update_gutter_width()

    # -- indentation -----------------------------------------------------------------------

    def _selected_blocks(self, cursor: QTextCursor) -> list[QTextBlock]:
        document = self.document()
        first = document.findBlock(cursor.selectionStart())
        last = document.findBlock(cursor.selectionEnd())
        if last.blockNumber() > first.blockNumber() and cursor.selectionEnd() == last.position():
            last = last.previous()  # a selection ending at column 0 does not include that line
        blocks = [first]
        while blocks[-1].blockNumber() < last.blockNumber():
            blocks.append(blocks[-1].next())
        return blocks

    def _select_lines(self, cursor: QTextCursor, blocks: list[QTextBlock]) -> None:
        cursor.setPosition(blocks[0].position())
        end = blocks[-1].position() + blocks[-1].length() - 1
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def _indent(self) -> None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            column = len(_text_before(cursor))
            cursor.insertText(" " * (INDENT - column % INDENT))
            return
        blocks = self._selected_blocks(cursor)
        cursor.beginEditBlock()
        for block in blocks:
            if block.text().strip() or len(blocks) == 1:
                edit = QTextCursor(block)
                edit.insertText(" " * INDENT)
        cursor.endEditBlock()
        self._select_lines(cursor, blocks)

    def _dedent(self) -> None:
        cursor = self.textCursor()
        blocks = self._selected_blocks(cursor)
        cursor.beginEditBlock()
        for block in blocks:
            text = block.text()
            if text.startswith("\t"):
                remove = 1
            else:
                spaces = len(text) - len(text.lstrip(" "))
                remove = min(spaces, spaces % INDENT or INDENT)
            if remove:
                edit = QTextCursor(block)
                edit.setPosition(block.position() + remove, QTextCursor.MoveMode.KeepAnchor)
                edit.removeSelectedText()
        cursor.endEditBlock()
        if cursor.hasSelection():
            self._select_lines(cursor, blocks)

    def _newline(self) -> None:
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.removeSelectedText()
        before = _text_before(cursor)
        line = cursor.block().text()
        indent = min(len(line) - len(line.lstrip(" \t")), len(before))
        code = _strip_comment(before).rstrip() if self._language == "python" else before.rstrip()
        opener = code[-1:] if code[-1:] in _CLOSERS else ""
        if (self._language == "python" and code.endswith(":")) or opener:
            new_indent = indent + INDENT
        elif self._language == "python" and _DEDENT_AFTER.match(code):
            new_indent = max(0, indent - INDENT)
        else:
            new_indent = indent
        if not before.strip():
            # Enter on a blank indented line: do not leave the indentation behind as trailing
            # whitespace.
            cursor.movePosition(
                QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            cursor.removeSelectedText()
        after = cursor.block().text()[cursor.positionInBlock() :]
        if opener and after.lstrip().startswith(_CLOSERS[opener]):
            # Between a pair of brackets: open an indented line and put the closer below it.
            cursor.insertText("\n" + " " * new_indent)
            keep = cursor.position()
            cursor.insertText("\n" + " " * indent)
            cursor.setPosition(keep)
        else:
            cursor.insertText("\n" + " " * new_indent)
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    def _backspace_indent(self) -> bool:
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        before = _text_before(cursor)
        if not before or before.strip(" "):
            return False
        remove = (len(before) - 1) % INDENT + 1
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, remove)
        cursor.removeSelectedText()
        return True

    # -- painting and selections ------------------------------------------------------------

    def _apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor(theme.base))
        palette.setColor(QPalette.ColorRole.Text, QColor(theme.text))
        palette.setColor(QPalette.ColorRole.Highlight, QColor(theme.selection))
        palette.setColor(QPalette.ColorRole.HighlightedText, QColor(theme.text))
        self.setPalette(palette)
        self._highlighter.set_theme(theme)
        self._update_tab_stop()
        self._refresh_extra_selections()
        self._gutter.update()

    def _on_theme_changed(self, theme: object) -> None:
        if isinstance(theme, Theme):
            self._apply_theme(theme)

    def _update_tab_stop(self) -> None:
        self.setTabStopDistance(INDENT * self.fontMetrics().horizontalAdvance(" "))

    def _update_gutter_width(self, *_: object) -> None:
        self.setViewportMargins(self.line_number_area_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_gutter_width()

    def _on_cursor_moved(self) -> None:
        self._refresh_extra_selections()
        self._gutter.update()

    def _refresh_extra_selections(self) -> None:
        current = QTextEdit.ExtraSelection()
        current.format.setBackground(QColor(self._theme.current_line))
        current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections = [current]
        underline = self._problem_selection()
        if underline is not None:
            selections.append(underline)
        self.setExtraSelections(selections)

    def _problem_selection(self) -> QTextEdit.ExtraSelection | None:
        problem = self._problem
        if problem is None or problem.line is None:
            return None
        block = self._problem_block()
        text = block.text()
        start, end = _token_span(text, (problem.column or 1) - 1)
        selection = QTextEdit.ExtraSelection()
        selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        selection.format.setUnderlineColor(QColor(self._theme.error))
        selection.format.setToolTip(problem.message)
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + _utf16_length(text[:start]))
        cursor.setPosition(
            block.position() + _utf16_length(text[:end]), QTextCursor.MoveMode.KeepAnchor
        )
        selection.cursor = cursor
        return selection

    def _problem_block(self) -> QTextBlock:
        """The block of the problem's line, clamped to the document (EOF errors point past it)."""
        line = self._problem.line if self._problem and self._problem.line else 1
        number = min(max(line, 1), self.blockCount()) - 1
        return self.document().findBlockByNumber(number)

    def _problem_block_number(self) -> int | None:
        if self._problem is None or self._problem.line is None:
            return None
        return self._problem_block().blockNumber()

    def _block_number_at(self, y: int) -> int | None:
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        while block.isValid() and top <= y:
            bottom = top + self.blockBoundingRect(block).height()
            if block.isVisible() and y < bottom:
                return block.blockNumber()
            block = block.next()
            top = bottom
        return None

    def _show_problem_tooltip(self, event: QHelpEvent, widget: QWidget) -> None:
        number = self._block_number_at(event.pos().y())
        if number is not None and number == self._problem_block_number() and self._problem:
            QToolTip.showText(event.globalPos(), self._problem.message, widget)
        else:
            QToolTip.hideText()
            event.ignore()

    def _paint_line_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        theme = self._theme
        width = self._gutter.width() - 8
        height = self.fontMetrics().height()
        current = self.textCursor().blockNumber()
        problem = self._problem_block_number()
        normal_font = QFont(self.font())
        bold_font = QFont(self.font())
        bold_font.setBold(True)
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            number = block.blockNumber()
            if block.isVisible() and bottom >= event.rect().top():
                if number == problem:
                    painter.fillRect(QRect(0, top, 3, bottom - top), QColor(theme.error))
                    painter.setPen(QColor(theme.error))
                else:
                    painter.setPen(QColor(theme.text if number == current else theme.muted_text))
                painter.setFont(bold_font if number in (current, problem) else normal_font)
                painter.drawText(
                    0, top, width, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
                )
            block = block.next()
            top = bottom
        painter.end()


def _syntax_problem(text: str, language: Language) -> EditorProblem | None:
    """The first syntax error in `text`, positioned as Python and json report it (1-based)."""
    if language == "json":
        try:
            parse_json_text(text)
        except JsonTextError as exc:
            message = str(exc).split(": ", 1)[-1] if exc.line is not None else str(exc)
            return EditorProblem(exc.line, exc.column, message)
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences: not errors
            compile(text, "<code>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return EditorProblem(exc.lineno, exc.offset, exc.msg)
    except (ValueError, RecursionError, MemoryError) as exc:
        return EditorProblem(None, None, str(exc) or "the code cannot be compiled")
    return None


def _text_before(cursor: QTextCursor) -> str:
    """The text of the cursor's line before its position (before the selection start)."""
    probe = QTextCursor(cursor)
    probe.setPosition(cursor.selectionStart())
    probe.movePosition(QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor)
    return probe.selectedText()


def _strip_comment(line: str) -> str:
    """The line without a trailing # comment, ignoring # inside string literals."""
    quote = ""
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
        index += 1
    return line


def _token_span(text: str, column: int) -> tuple[int, int]:
    """The part of a line to underline for an error at `column` (0-based code points).

    A word is underlined to its end; punctuation to the end of the line, so an unclosed
    bracket shows everything it leaves open instead of one hard-to-see character. A column
    past the end (Python reports unexpected ends there) marks the line's last token.
    """
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return 0, len(text)
    token = next((t for t in tokens if t.end() > column), tokens[-1])
    start = max(token.start(), min(column, token.end() - 1))
    if token.lastgroup == "word":
        return start, token.end()
    return start, len(text.rstrip())
