"""The code editor: indentation keys, highlighting, the live syntax check and editingFinished."""

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QHelpEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QApplication, QLineEdit, QToolTip, QVBoxLayout, QWidget

from burrdesk.views import theme
from burrdesk.views.inspector.code_editor import CodeEditor

SAMPLE = '''@action(reads=["count"], writes=["count"])
def increment(state: State, step: int = 1) -> State:
    """Add `step` to the counter.

    A docstring spanning lines stays a string.
    """
    if state["count"] > 10 and not False:  # stop
        raise ValueError("too big: %d" % state["count"])
    total = len([1, 2.5, 0x1F]) + step
    return state.update(count=state["count"] + total
'''


@pytest.fixture(autouse=True)
def light_theme(qapp):
    """Each test starts light and leaves the application as it found it."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    theme.apply_theme(qapp, "light")
    yield
    theme.apply_theme(qapp, "light")
    if style:  # empty while a stylesheet wraps the style
        qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


@pytest.fixture
def window(qtbot):
    """An editor beside a line edit, so focus can really leave it."""
    container = QWidget()
    layout = QVBoxLayout(container)
    editor = CodeEditor("python")
    other = QLineEdit()
    layout.addWidget(editor)
    layout.addWidget(other)
    qtbot.addWidget(container)
    container.resize(520, 360)
    container.show()
    container.activateWindow()
    qtbot.waitActive(container)
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    return editor, other, container  # qtbot keeps only a weak reference to the container


@pytest.fixture
def editor(window):
    return window[0]


def move_to_end(editor: CodeEditor) -> None:
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)


def formats_of(editor: CodeEditor, line: int) -> list[tuple[int, int, str]]:
    block = editor.document().findBlockByNumber(line)
    return [
        (r.start, r.length, r.format.foreground().color().name()) for r in block.layout().formats()
    ]


def underlines(editor: CodeEditor) -> list:
    wave = QTextCharFormat.UnderlineStyle.WaveUnderline
    return [s for s in editor.extraSelections() if s.format.underlineStyle() == wave]


# -- indentation ----------------------------------------------------------------------------


def test_tab_inserts_four_spaces(qtbot, editor):
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.text() == "    "
    qtbot.keyClicks(editor, "x")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.text() == "    x   "  # to the next multiple of four


def test_enter_after_a_colon_indents_and_keeps_indentation(qtbot, editor):
    qtbot.keyClicks(editor, "def f(state):")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.text() == "def f(state):\n    "
    qtbot.keyClicks(editor, "x = 1")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.text() == "def f(state):\n    x = 1\n    "
    qtbot.keyClicks(editor, "if x:  # a comment")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.text().endswith("    if x:  # a comment\n        ")


def test_enter_after_return_steps_out_one_level(qtbot, editor):
    editor.set_text("def f(state):\n    return state")
    move_to_end(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.text() == "def f(state):\n    return state\n"


def test_enter_on_a_blank_indented_line_leaves_no_trailing_spaces(qtbot, editor):
    editor.set_text("def f():\n    ")
    move_to_end(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.text() == "def f():\n\n    "


def test_shift_tab_dedents(qtbot, editor):
    editor.set_text("        x = 1")
    move_to_end(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.text() == "    x = 1"
    qtbot.keyClick(editor, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.text() == "x = 1"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.text() == "x = 1"
    assert editor.textCursor().positionInBlock() == 5  # the cursor stays after the text


def test_tab_and_shift_tab_indent_selected_lines(qtbot, editor):
    editor.set_text("a = 1\n\nb = 2\nc = 3")
    cursor = editor.textCursor()
    cursor.setPosition(2)
    cursor.setPosition(
        editor.document().findBlockByNumber(2).position() + 1, cursor.MoveMode.KeepAnchor
    )
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.text() == "    a = 1\n\n    b = 2\nc = 3"  # blank lines stay empty
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.text() == "        a = 1\n\n        b = 2\nc = 3"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.text() == "    a = 1\n\n    b = 2\nc = 3"
    editor.undo()
    assert editor.text() == "        a = 1\n\n        b = 2\nc = 3"  # one undo step per key


def test_backspace_in_indentation_removes_to_the_previous_stop(qtbot, editor):
    editor.set_text("def f():\n          ")  # ten spaces
    move_to_end(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.text() == "def f():\n        "
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.text() == "def f():\n    "
    qtbot.keyClicks(editor, "ab")
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.text() == "def f():\n    a"  # after code, one character as usual


def test_json_enter_between_braces_opens_an_indented_line(qtbot, qapp):
    editor = CodeEditor("json")
    qtbot.addWidget(editor)
    editor.set_text("{}")
    cursor = editor.textCursor()
    cursor.setPosition(1)
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, '"a": 1')
    assert editor.text() == '{\n    "a": 1\n}'


# -- highlighting ---------------------------------------------------------------------------


def test_keywords_are_highlighted_in_the_theme_colour(qtbot, editor):
    qtbot.keyClicks(editor, "def f(state):")
    keyword = theme.current_theme().syntax_keyword
    assert (0, 3, keyword) in formats_of(editor, 0)
    function = theme.current_theme().syntax_function
    assert (4, 1, function) in formats_of(editor, 0)


def test_triple_quoted_strings_stay_highlighted_across_lines(editor):
    string = theme.current_theme().syntax_string
    editor.set_text('x = """start\nmiddle\nend"""\ny = 1')
    assert formats_of(editor, 1) == [(0, 6, string)]
    cursor = QTextCursor(editor.document())
    cursor.setPosition(4)
    cursor.setPosition(7, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()  # no opening quotes: "middle" is code now, "y = 1" a string
    assert string not in {color for *_, color in formats_of(editor, 1)}
    assert formats_of(editor, 3) == [(0, 5, string)]


def test_highlighting_follows_the_theme(qapp, editor):
    editor.set_text("return None")
    theme.apply_theme(qapp, "dark")
    assert (0, 6, theme.DARK.syntax_keyword) in formats_of(editor, 0)
    theme.apply_theme(qapp, "light")
    assert (0, 6, theme.LIGHT.syntax_keyword) in formats_of(editor, 0)


def test_json_keys_and_values_are_highlighted(qtbot):
    editor = CodeEditor("json")
    qtbot.addWidget(editor)
    editor.set_text('{"count": 0, "ok": true}')
    light = theme.LIGHT
    formats = formats_of(editor, 0)
    assert (1, 7, light.syntax_function) in formats  # key
    assert (10, 1, light.syntax_number) in formats
    assert (19, 4, light.syntax_keyword) in formats


def test_highlight_spans_count_utf16_units(editor):
    editor.set_text("s = '😀'  # x")
    comment = theme.current_theme().syntax_comment
    # The emoji is one code point but two UTF-16 units, so the comment starts at 10, not 9.
    assert (10, 3, comment) in formats_of(editor, 0)


# -- live syntax check ----------------------------------------------------------------------


def test_a_syntax_error_is_underlined_after_the_debounce(qtbot, editor):
    editor.set_text("def f(state):\n    return state\n")
    move_to_end(editor)
    with qtbot.waitSignal(editor.problemChanged, timeout=3000) as blocker:
        qtbot.keyClicks(editor, "x = (1,")
        assert editor.problem() is None  # nothing until typing pauses
    assert blocker.args == ["Line 3: '(' was never closed"]
    [underline] = underlines(editor)
    assert underline.cursor.blockNumber() == 2
    assert underline.cursor.selectedText() == "(1,"
    assert underline.format.underlineColor() == QColor(theme.current_theme().error)

    with qtbot.waitSignal(editor.problemChanged, timeout=3000) as blocker:
        qtbot.keyClicks(editor, ")")
    assert blocker.args == [""]
    assert editor.problem() is None
    assert underlines(editor) == []


def test_a_word_is_underlined_to_its_end(editor):
    editor.set_text("x = 1\nif x print(x)\n")  # Python points at "print" (column 6)
    assert (editor.problem().line, editor.problem().column) == (2, 6)
    [underline] = underlines(editor)
    assert underline.cursor.blockNumber() == 1
    assert underline.cursor.selectedText() == "print"


def test_compile_errors_beyond_parsing_are_reported(editor):
    editor.set_text("return 5\n")
    assert editor.problem().message == "'return' outside function"


def test_the_problem_line_shows_its_message_as_a_tooltip(qtbot, editor):
    editor.set_text("a = 1\nb = (\n")
    block = editor.document().findBlockByNumber(1)
    rect = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
    pos = QPoint(30, int(rect.center().y()))
    event = QHelpEvent(QEvent.Type.ToolTip, pos, editor.viewport().mapToGlobal(pos))
    QApplication.sendEvent(editor.viewport(), event)
    assert QToolTip.text() == "'(' was never closed"
    QToolTip.hideText()


def test_set_problem_shows_and_clears_an_external_problem(qtbot, editor):
    editor.set_text("def step(state):\n    return state\n")
    with qtbot.waitSignal(editor.problemChanged) as blocker:
        editor.set_problem(2, 12, "state is not a State")
    assert blocker.args == ["Line 2: state is not a State"]
    [underline] = underlines(editor)
    assert underline.cursor.selectedText() == "state"
    with qtbot.waitSignal(editor.problemChanged) as blocker:
        editor.set_problem(None, None, None)
    assert blocker.args == [""]
    assert underlines(editor) == []


def test_set_problem_clamps_positions_past_the_end(editor):
    editor.set_text("x = 1")
    editor.set_problem(9, 40, "unexpected end")
    [underline] = underlines(editor)
    assert underline.cursor.blockNumber() == 0
    assert underline.cursor.selectedText() == "1"


def test_a_problem_without_a_line_is_reported_but_not_underlined(qtbot, editor):
    with qtbot.waitSignal(editor.problemChanged) as blocker:
        editor.set_problem(None, None, "the code must define a function")
    assert blocker.args == ["the code must define a function"]
    assert underlines(editor) == []


def test_underlines_count_utf16_units(editor):
    editor.set_text("s = '😀' + (\n")
    [underline] = underlines(editor)
    assert underline.cursor.selectedText() == "("


def test_extra_check_runs_after_the_syntax_check(qtbot):
    editor = CodeEditor("json")
    qtbot.addWidget(editor)
    editor.set_extra_check(
        lambda text: (
            None if text.lstrip().startswith("{") else _problem("the state must be an object")
        )
    )
    editor.set_text("[1, 2]")
    assert editor.problem().message == "the state must be an object"
    editor.set_text('{"a": 1}')
    assert editor.problem() is None


def _problem(message: str):
    from burrdesk.views.inspector.code_editor import EditorProblem

    return EditorProblem(1, 1, message)


def test_json_mode_reports_invalid_json(qtbot):
    editor = CodeEditor("json")
    qtbot.addWidget(editor)
    editor.set_text('{"count": 0}')
    assert editor.problem() is None
    move_to_end(editor)
    with qtbot.waitSignal(editor.problemChanged, timeout=3000) as blocker:
        qtbot.keyClicks(editor, ",")
    assert blocker.args[0].startswith("Line 1: Extra data")
    with qtbot.waitSignal(editor.problemChanged, timeout=3000) as blocker:
        editor.set_text('{\n  "count": 0,\n}')
    assert blocker.args == ["Line 3: Expecting property name enclosed in double quotes"]
    assert underlines(editor)[0].cursor.blockNumber() == 2


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="python' or 'json"):
        CodeEditor("yaml")  # type: ignore[arg-type]


# -- editingFinished ------------------------------------------------------------------------


def test_editing_finished_fires_on_focus_out_only_after_a_change(qtbot, window):
    editor, other, _ = window
    with qtbot.assertNotEmitted(editor.editingFinished):
        other.setFocus()
        qtbot.waitUntil(other.hasFocus)

    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClicks(editor, "x = 1")
    with qtbot.waitSignal(editor.editingFinished, timeout=1000):
        other.setFocus()

    editor.setFocus()  # nothing new since that commit
    qtbot.waitUntil(editor.hasFocus)
    with qtbot.assertNotEmitted(editor.editingFinished):
        other.setFocus()
        qtbot.waitUntil(other.hasFocus)


def test_set_text_does_not_count_as_an_edit(qtbot, window):
    editor, other, _ = window
    editor.set_text("loaded = True")
    assert editor.text() == "loaded = True"
    with qtbot.assertNotEmitted(editor.editingFinished):
        other.setFocus()
        qtbot.waitUntil(other.hasFocus)


def test_finish_editing_commits_without_losing_focus(qtbot, editor):
    assert editor.finish_editing() is False
    qtbot.keyClicks(editor, "y = 2")
    with qtbot.waitSignal(editor.editingFinished, timeout=1000):
        assert editor.finish_editing() is True
    assert editor.hasFocus()


def test_set_text_keeps_the_cursor_when_the_text_is_unchanged(editor):
    editor.set_text("a = 1\nb = 2")
    cursor = editor.textCursor()
    cursor.setPosition(7)
    editor.setTextCursor(cursor)
    editor.set_text("a = 1\nb = 2")
    assert editor.textCursor().position() == 7


# -- looks ----------------------------------------------------------------------------------


def test_monospace_font_and_four_space_tab_stops(editor):
    """On any machine: an installed fixed-pitch family when there is one (the system's
    "monospace" alias can resolve to a proportional face), every character as wide."""
    font = editor.font()
    assert font.fixedPitch() and font.styleHint() == QFont.StyleHint.Monospace
    if any(QFontDatabase.isFixedPitch(f) for f in QFontDatabase.families()):
        assert QFontDatabase.isFixedPitch(font.family()), font.family()
        widths = {editor.fontMetrics().horizontalAdvance(c) for c in "il mW0_"}
        assert len(widths) == 1, widths
    assert editor.tabStopDistance() == pytest.approx(
        4 * editor.fontMetrics().horizontalAdvance(" ")
    )


def test_line_numbers_leave_room_for_the_largest_number(editor):
    narrow = editor.line_number_area_width()
    editor.set_text("\n" * 1500)
    assert editor.line_number_area_width() > narrow
    assert editor.viewportMargins().left() == editor.line_number_area_width()


@pytest.mark.parametrize("name", ["light", "dark"])
def test_screenshot_in_each_theme(qtbot, qapp, tmp_path, name):
    """Renders the editor; set BURRDESK_SCREENSHOT_DIR to keep the PNGs for a look."""
    theme.apply_theme(qapp, name)
    editor = CodeEditor("python")
    qtbot.addWidget(editor)
    editor.resize(640, 260)
    editor.set_text(SAMPLE)
    editor.show()
    qtbot.waitExposed(editor)
    image = editor.grab().toImage()
    out = Path(os.environ.get("BURRDESK_SCREENSHOT_DIR") or tmp_path)
    assert editor.grab().save(str(out / f"code_editor_{name}.png"))

    current = theme.current_theme()
    colors = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    }
    assert current.base in colors  # the editor background follows the theme
    assert current.error in colors  # the gutter marks the line with the error
    assert editor.problem() is not None and editor.problem().line == 10


def test_a_destroyed_editor_does_not_break_theme_switching(qtbot, qapp):
    import shiboken6

    editor = CodeEditor("python")
    shiboken6.delete(editor)
    theme.apply_theme(qapp, "dark")  # would raise in the slot if the connection outlived it
    survivor = CodeEditor("python")
    qtbot.addWidget(survivor)
    survivor.set_text("pass")
    theme.apply_theme(qapp, "light")
    assert (0, 4, theme.LIGHT.syntax_keyword) in formats_of(survivor, 0)
