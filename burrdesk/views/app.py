"""Starting the desktop app (and its `--screenshot` mode for docs and visual checks)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

SCREENSHOT_SIZE = (1400, 900)


def run_app(
    path: Path | str | None = None, screenshot: Path | None = None, theme_name: str | None = None
) -> int:
    """Opens the main window (with `path` loaded); with `screenshot`, saves a PNG and exits."""
    if screenshot is not None and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from burrdesk.views import theme
    from burrdesk.views.app_settings import settings
    from burrdesk.views.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("burrdesk")
    app.setOrganizationName("burrdesk")
    app.setDesktopFileName("burrdesk")  # matches packaging/burrdesk.desktop
    _set_window_icon(app)
    chosen = theme_name or str(settings().value("theme", "light"))
    theme.apply_theme(app, "dark" if chosen == "dark" else "light")
    window = MainWindow(interactive=screenshot is None)
    window.appearance.theme_action.setChecked(chosen == "dark")
    if path is None:
        window.help.start_up()
    opened = path is None or window.files.open_path(path, ask=False)
    if opened and isinstance(path, str) and screenshot is not None:
        opened = window.timeline.wait_for_server() and window.last_error is None
    if not opened and screenshot is not None:
        print(f"burrdesk: {window.last_error or f'cannot open {path}.'}", file=sys.stderr)
        window.undo_stack.setClean()
        window.close()
        return 2
    if screenshot is None:
        window.show()
        return app.exec()
    window.timeline.wait_for_first_read()
    if window.last_error is not None:
        print(f"burrdesk: {window.last_error}", file=sys.stderr)
        window.undo_stack.setClean()
        window.close()
        return 2
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.canvas.active_view().zoom_to_fit()
    app.processEvents()
    image = _with_welcome(window, window.grab())
    window.undo_stack.setClean()
    window.close()
    if not image.save(str(screenshot)):
        print(f"burrdesk: cannot write the screenshot to {screenshot}.", file=sys.stderr)
        return 2
    print(f"Saved a {image.width()}x{image.height()} screenshot to {screenshot}.")
    return 0


def _set_window_icon(app: Any) -> None:
    """The app icon (packaging/burrdesk.svg, shipped beside the resources in a bundle)."""
    from PySide6.QtGui import QIcon

    from burrdesk.model import resource_location

    icon = resource_location.resources_dir().parent / "packaging" / "burrdesk.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


def _with_welcome(window: Any, image: Any) -> Any:
    """The window as a person sees it: with the welcome page on top when it is open."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QColor, QPainter

    welcome = window.help.welcome
    if welcome is None or not welcome.isVisible():
        return image
    page = welcome.grab()
    painter = QPainter(image)
    painter.fillRect(image.rect(), QColor(0, 0, 0, 60))
    corner = QPoint((image.width() - page.width()) // 2, (image.height() - page.height()) // 2)
    painter.drawPixmap(corner, page)
    painter.end()
    return image
