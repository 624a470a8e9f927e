"""A step's tabs all show at the window's first size, with their longest titles, and the
annotation verdicts read as buttons (an unchecked Good looked like a label beside Bad)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolButton

from burrdesk.views.app import SCREENSHOT_SIZE


def first_launch(qtbot, window):
    window.help.start_up()
    window.help.welcome.close()
    window.resize(*SCREENSHOT_SIZE)
    qtbot.waitUntil(lambda: window.size() == QSize(*SCREENSHOT_SIZE))
    QApplication.processEvents()


def research_step_with_children(window):
    panel = window.timeline.panel
    model = panel.runs_model
    research = next(
        model.run_at(r) for r in range(model.rowCount())
        if model.run_at(r).project == "research_assistant"
    )  # fmt: skip
    assert panel.select_run(research.run_id)
    assert panel.select_step(1)
    return panel


def test_every_step_tab_shows_with_its_longest_titles(light, qtbot, window):
    first_launch(qtbot, window)
    panel = research_step_with_children(window)
    editor = panel.annotation_editor
    panel.tabs.setCurrentWidget(editor)
    QTest.mouseClick(editor.good_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    bar = panel.tabs.tabBar()
    titles = [bar.tabText(i) for i in range(bar.count())]
    assert "Annotate · good" in titles and "Sub-applications (3)" in titles
    QApplication.processEvents()
    for i in range(bar.count()):
        assert bar.rect().contains(bar.tabRect(i)), titles[i]
    arrows = [b for b in bar.findChildren(QToolButton) if b.isVisible()]
    assert arrows == []


def frame_contrast(widget) -> int:
    """How far the widget's left edge column departs from the colour just inside it."""
    image = widget.grab().toImage()
    y = image.height() // 2
    inside = image.pixelColor(image.width() // 2, image.height() - 4).lightness()
    return max(abs(image.pixelColor(x, y).lightness() - inside) for x in range(0, 3))


def test_an_unchecked_verdict_has_a_frame_like_the_fields_beside_it(light, qtbot, window):
    first_launch(qtbot, window)
    panel = research_step_with_children(window)
    editor = panel.annotation_editor
    panel.tabs.setCurrentWidget(editor)
    QApplication.processEvents()
    assert not editor.good_button.isChecked()
    assert frame_contrast(editor.good_button) >= frame_contrast(editor.tags_edit) > 0
