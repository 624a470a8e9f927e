"""The main window as the GUI tests use it: a fresh data directory, and questions answered."""

import pytest
from PySide6.QtWidgets import QMessageBox

from burrdesk.views import theme
from burrdesk.views.main_window import MainWindow


@pytest.fixture(autouse=True)
def discard_when_asked(monkeypatch):
    """ "Save your changes?" is answered Discard; tests that care answer it themselves."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)


@pytest.fixture
def window(qtbot, data_dir):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.run.panel.close_run()
    win.timeline.panel.close_database()
    win.undo_stack.setClean()


@pytest.fixture
def light(qapp):
    """The app as `burrdesk` starts it: themed light before the window exists (list this
    fixture before `window`; the stylesheet pads every cell), and unthemed again afterwards
    for the tests that expect no stylesheet."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    theme.apply_theme(qapp, "light")
    yield
    if sheet != qapp.styleSheet():
        if style:
            qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setStyleSheet(sheet)
