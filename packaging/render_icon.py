"""Renders packaging/burrdesk.svg to the PNG sizes desktops look for.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icon.py [SIZE ...]

Writes packaging/burrdesk.png (256 px) by default, or packaging/burrdesk-SIZE.png for each
size given. Run it again after editing the SVG and commit the PNG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def render(size: int, output: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(HERE / "burrdesk.svg"))
    if not renderer.isValid():
        raise SystemExit(f"render_icon: {HERE / 'burrdesk.svg'} is not a valid SVG.")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(output)):
        raise SystemExit(f"render_icon: cannot write {output}.")
    print(f"Wrote {output} ({size}x{size}).")


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not argv:
        render(256, HERE / "burrdesk.png")
    for size in argv:
        render(int(size), HERE / f"burrdesk-{int(size)}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
