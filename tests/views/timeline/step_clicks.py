"""Selecting a step the way a person does: a click on its row in the steps table."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest


def click_step(panel, row: int) -> None:
    view = panel.steps_view
    rect = view.visualRect(panel.steps_model.index(row, 1))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
