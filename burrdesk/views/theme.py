"""Light and dark themes: one set of named colours for the palette, stylesheet, canvas and code.

The app paints much of itself by hand (canvas, node cards, code highlighting), so those painters
read colours from `current_theme()` instead of guessing from the QPalette, and repaint when
`theme_signals.changed` fires. Icons are single-colour SVGs recoloured to the theme's text colour,
so one icon set serves both themes; an icon picks its colour each time it is drawn, so icons
already shown (on list rows, buttons, line edits) follow a theme switch without being set again.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, fields
from importlib.resources.abc import Traversable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QDir, QObject, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from burrdesk.model import resource_location


@dataclass(frozen=True)
class Theme:
    """Every colour the app uses, as "#rrggbb" strings (QColor accepts them directly)."""

    name: str
    dark: bool
    # Chrome.
    window: str  # main window and dock backgrounds
    panel: str  # raised surfaces: toolbars, dock titles, tabs, menus
    base: str  # text inputs, lists, the code editor
    alternate_base: str  # alternating rows
    text: str
    muted_text: str  # hints, secondary labels, line numbers
    disabled_text: str
    border: str
    accent: str  # focus, the selected node, primary actions
    accent_text: str  # text drawn on the accent colour
    selection: str  # selected text and list rows (a soft accent tint; text stays `text`)
    current_line: str  # the code editor's cursor line
    error: str
    warning: str
    success: str
    # Canvas.
    canvas_background: str
    canvas_grid: str
    node_fill: str  # a node card's body
    node_border: str
    node_python: str  # each kind's colour: the card's stripe and header tint
    node_llm: str
    node_input: str
    node_end: str
    edge: str
    edge_label_background: str
    # Code.
    syntax_keyword: str
    syntax_string: str
    syntax_number: str
    syntax_comment: str
    syntax_name: str
    syntax_function: str  # function and class names, decorators, JSON keys
    syntax_builtin: str  # print, len, self, exceptions
    syntax_operator: str

    def color(self, field: str) -> QColor:
        """The named colour as a QColor, so painters need not know the storage format."""
        value = getattr(self, field)
        if not isinstance(value, str) or not value.startswith("#"):
            raise AttributeError(f"{field!r} is not a colour of the theme")
        return QColor(value)

    def node_color(self, kind: str) -> QColor:
        """A node kind's colour; kinds the theme does not know get the neutral border colour."""
        return QColor(getattr(self, f"node_{kind}", self.node_border))


LIGHT = Theme(
    name="light",
    dark=False,
    window="#f3f4f6",
    panel="#fafafb",
    base="#ffffff",
    alternate_base="#f7f8fa",
    text="#1f2329",
    muted_text="#68707c",
    disabled_text="#a6acb5",
    border="#d9dde3",
    accent="#3468d1",
    accent_text="#ffffff",
    selection="#d6e2f8",
    current_line="#f2f5fb",
    error="#cf3a3f",
    warning="#b8720a",
    success="#2e8b57",
    canvas_background="#f7f8fa",
    canvas_grid="#e3e6eb",
    node_fill="#ffffff",
    node_border="#c9ced6",
    node_python="#3b78e7",
    node_llm="#8a5cd6",
    node_input="#1f9d6b",
    node_end="#e07a3a",
    edge="#8a93a0",
    edge_label_background="#ffffff",
    syntax_keyword="#8a3fb8",
    syntax_string="#2f7d32",
    syntax_number="#b15c00",
    syntax_comment="#7a828e",
    syntax_name="#1f2329",
    syntax_function="#2a5db0",
    syntax_builtin="#0f7582",
    syntax_operator="#5b6370",
)

DARK = Theme(
    name="dark",
    dark=True,
    window="#1d1f23",
    panel="#25282d",
    base="#1a1c20",
    alternate_base="#202328",
    text="#dde1e6",
    muted_text="#8b929c",
    disabled_text="#5b616b",
    border="#363a41",
    accent="#5b8def",
    accent_text="#ffffff",
    selection="#2c4470",
    current_line="#23262c",
    error="#f06a6f",
    warning="#e0a44e",
    success="#5cbf86",
    canvas_background="#18191c",
    canvas_grid="#26292e",
    node_fill="#24272c",
    node_border="#434852",
    node_python="#5b8def",
    node_llm="#a788ec",
    node_input="#3fbf8c",
    node_end="#ee9a5e",
    edge="#7d8593",
    edge_label_background="#25282d",
    syntax_keyword="#c79af0",
    syntax_string="#94c98b",
    syntax_number="#e8a66c",
    syntax_comment="#7c838e",
    syntax_name="#dde1e6",
    syntax_function="#72aef5",
    syntax_builtin="#5ec4cf",
    syntax_operator="#a3abb7",
)

THEMES: dict[str, Theme] = {"light": LIGHT, "dark": DARK}

ICON_NAMES: tuple[str, ...] = (
    "new",
    "open",
    "save",
    "save-as",
    "export",
    "undo",
    "redo",
    "cut",
    "copy",
    "paste",
    "duplicate",
    "delete",
    "zoom-in",
    "zoom-out",
    "zoom-fit",
    "zoom-selection",
    "layout",
    "theme",
    "run",
    "pause",
    "step",
    "stop",
    "breakpoint",
    "node-python",
    "node-llm",
    "node-input",
    "node-end",
    "entrypoint",
    "warning",
    "error",
    "search",
    "database",
    "burr-folder",
    "timeline",
    "insights",
    "welcome",
    "settings",
    "chevron-down",
    "chevron-up",
    "check",
)

# Search-path prefix the stylesheets use for their arrow images: url(theme:chevron-down.svg).
STYLESHEET_IMAGE_PREFIX = "theme"

# The sizes an icon lists as available (it is drawn sharp at any size it is asked for).
_ICON_SIZES = (16, 20, 24, 32, 48, 64)


class ThemeSignals(QObject):
    """Carries `changed(Theme)` so hand-painted views repaint when the theme switches."""

    changed = Signal(object)


theme_signals = ThemeSignals()

_current: Theme = LIGHT
_icon_cache: dict[tuple[str, str, str | None], QIcon] = {}
_svg_cache: dict[str, str] = {}
_pixmap_cache: dict[tuple[str, str, int, int], QPixmap] = {}
_engine_clones: list[QIconEngine] = []
_stylesheet_image_dir: Path | None = None


def current_theme() -> Theme:
    """The theme last applied (light until `apply_theme` is called)."""
    return _current


def resources_dir() -> Traversable:
    """The resources folder: in a checkout, an installed package or a desktop build."""
    return resource_location.resources_dir()


def stylesheet(name: str) -> str:
    """The QSS text of a theme, read from resources/themes/<name>.qss."""
    _theme_named(name)
    return (resources_dir() / "themes" / f"{name}.qss").read_text(encoding="utf-8")


def build_palette(theme: Theme) -> QPalette:
    """A QPalette matching the theme, for everything the stylesheet does not reach."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alternate_base,
        QPalette.ColorRole.ToolTipBase: theme.panel,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted_text,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.panel,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.BrightText: theme.error,
        QPalette.ColorRole.Highlight: theme.selection,
        QPalette.ColorRole.HighlightedText: theme.text,
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.LinkVisited: theme.accent,
        QPalette.ColorRole.Light: theme.base,
        QPalette.ColorRole.Midlight: theme.alternate_base,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Dark: theme.muted_text,
        QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.Accent: theme.accent,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.HighlightedText,
    ):
        palette.setColor(disabled, role, QColor(theme.disabled_text))
    palette.setColor(disabled, QPalette.ColorRole.Highlight, QColor(theme.border))
    return palette


def apply_theme(app: QApplication, name: str) -> Theme:
    """Switch the whole app to the "light" or "dark" theme and tell listeners."""
    global _current
    theme = _theme_named(name)
    sheet = stylesheet(name)  # read first: a missing file must not leave a half-applied theme
    _install_stylesheet_images(theme)
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+: native dialogs and title bars follow
        hints.setColorScheme(Qt.ColorScheme.Dark if theme.dark else Qt.ColorScheme.Light)
    app.setStyle("Fusion")
    app.setPalette(build_palette(theme))
    app.setStyleSheet(sheet)
    _current = theme
    theme_signals.changed.emit(theme)
    return theme


MONOSPACE_FAMILIES = (
    "JetBrains Mono",
    "Cascadia Mono",
    "SF Mono",
    "Menlo",
    "Consolas",
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Noto Sans Mono",
    "Ubuntu Mono",
    "Courier New",
)
"""Fixed-pitch families in order of preference, the first one installed wins."""


def monospace_font() -> QFont:
    """A real fixed-pitch font for code and values. The system's "fixed" font can be an alias
    ("monospace") that resolves to a proportional face where no monospace font is configured
    (a fresh machine, the offscreen platform); an installed fixed-pitch family is asked for by
    name instead, and the style hint covers a machine that has none."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if not QFontDatabase.isFixedPitch(font.family()):
        installed = set(QFontDatabase.families())
        family = next((f for f in MONOSPACE_FAMILIES if f in installed), None)
        if family is None:
            family = next((f for f in sorted(installed) if QFontDatabase.isFixedPitch(f)), None)
        if family is not None:
            font.setFamily(family)
    font.setStyleHint(QFont.StyleHint.Monospace, QFont.StyleStrategy.PreferDefault)
    font.setFixedPitch(True)
    return font


def icon(name: str, color: str | None = None) -> QIcon:
    """The named icon drawn in the theme's text colour (or `color`).

    The colour is looked up each time the icon is drawn, so an icon set on a list row, a button
    or a line edit follows a theme switch. Disabled actions get a version in the theme's
    disabled colour rather than Qt's generic greying, which looks muddy on dark backgrounds.
    A new QIcon (a new cacheKey) is made per theme, for anything that caches by that key.
    """
    theme = _current
    key = (theme.name, name, color)
    cached = _icon_cache.get(key)
    if cached is None:
        _icon_svg(name)  # an unknown name fails here, not when the icon is first drawn
        cached = QIcon(_ThemedIconEngine(name, color))
        _icon_cache[key] = cached
    return QIcon(cached)


class IconLabel(QLabel):
    """A label showing an icon as its picture, redrawn when the theme changes: a label keeps
    the pixmap it was given, drawn once in the colour of that moment."""

    def __init__(self, name: str, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon_name = name
        self._side = size
        self._redraw()
        theme_signals.changed.connect(self._redraw)

    def _redraw(self, *_args: object) -> None:
        self.setPixmap(icon(self._icon_name).pixmap(self._side, self._side))


class _ThemedIconEngine(QIconEngine):
    """Draws one SVG icon in the current theme's colours at whatever size is asked for."""

    def __init__(self, name: str, color: str | None) -> None:
        super().__init__()
        self._name = name
        self._color = color

    def colour(self, mode: QIcon.Mode) -> str:
        if mode == QIcon.Mode.Disabled:
            return _current.disabled_text
        return self._color or _current.text

    def scaledPixmap(  # noqa: N802 - Qt override
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        scale = max(scale, 1.0)
        width = max(1, round(size.width() * scale))
        height = max(1, round(size.height() * scale))
        pixmap = _rendered(self._name, self.colour(mode), width, height)
        if scale != 1.0:
            pixmap = QPixmap(pixmap)  # the cached one keeps its ratio
            pixmap.setDevicePixelRatio(scale)
        return pixmap

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        side = min(rect.width(), rect.height())
        pixmap = self.scaledPixmap(QSize(side, side), mode, state, scale)
        target = QRect(0, 0, side, side)
        target.moveCenter(rect.center())
        painter.drawPixmap(target, pixmap)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        side = min(size.width(), size.height())
        return QSize(side, side)

    def availableSizes(  # noqa: N802 - Qt override
        self, mode: QIcon.Mode = QIcon.Mode.Normal, state: QIcon.State = QIcon.State.Off
    ) -> list[QSize]:
        return [QSize(s, s) for s in _ICON_SIZES]

    def clone(self) -> QIconEngine:
        # A QIcon clones its engine when a copy of it is changed (addPixmap). PySide does not
        # hand C++ an object a virtual method returns: unreferenced, the clone would be deleted
        # on return and the QIcon left with a dangling engine. So it is kept; Qt deletes it
        # with its QIcon, which invalidates the wrapper, and invalid ones are dropped here.
        _engine_clones[:] = [e for e in _engine_clones if shiboken6.isValid(e)]
        twin = _ThemedIconEngine(self._name, self._color)
        _engine_clones.append(twin)
        return twin

    def key(self) -> str:
        return "burrdesk-themed"


def _rendered(name: str, color: str, width: int, height: int) -> QPixmap:
    key = (name, color, width, height)
    pixmap = _pixmap_cache.get(key)
    if pixmap is None:
        pixmap = _render(_icon_svg(name), color, width, height)
        _pixmap_cache[key] = pixmap
    return pixmap


def _theme_named(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None


def _icon_svg(name: str) -> str:
    text = _svg_cache.get(name)
    if text is None:
        path = resources_dir() / "icons" / f"{name}.svg"
        if not path.is_file():
            raise FileNotFoundError(
                f"no icon named {name!r} in resources/icons; known icons: {', '.join(ICON_NAMES)}"
            )
        text = _svg_cache[name] = path.read_text(encoding="utf-8")
    return text


def _install_stylesheet_images(theme: Theme) -> None:
    """Write the images the stylesheet shows, in this theme's colours, where `theme:` finds them.

    Qt draws no combo box or spin box arrow, and no check mark or radio dot, once those are
    styled, unless the QSS names an image, and QSS cannot recolour an image; so each theme gets
    its own copies, in a temporary folder removed when the app exits.
    """
    global _stylesheet_image_dir
    if _stylesheet_image_dir is None:
        _stylesheet_image_dir = Path(tempfile.mkdtemp(prefix="burrdesk-theme-"))
        atexit.register(shutil.rmtree, _stylesheet_image_dir, True)
    folder = _stylesheet_image_dir / theme.name
    folder.mkdir(exist_ok=True)
    images: list[tuple[str, str, str]] = []  # file name, SVG with currentColor, colour
    for name in ("chevron-down", "chevron-up"):
        # Drawn at ~10 px, so a heavier stroke than the 24 px icons.
        svg = _icon_svg(name).replace('stroke-width="1.75"', 'stroke-width="2.5"')
        images.append((name, svg, theme.muted_text))
        images.append((f"{name}-disabled", svg, theme.disabled_text))
    # Check box and radio button marks, drawn at ~14 px on the accent colour (check) or the
    # base colour (dot); see QCheckBox::indicator and QRadioButton::indicator in the QSS.
    check = _icon_svg("check").replace('stroke-width="1.75"', 'stroke-width="3"')
    images.append(("check", check, theme.accent_text))
    images.append(("check-disabled", check, theme.base))
    images.append(("radio-dot", _RADIO_DOT_SVG, theme.accent))
    images.append(("radio-dot-disabled", _RADIO_DOT_SVG, theme.disabled_text))
    for file_name, svg, color in images:
        text = svg.replace("currentColor", color)
        (folder / f"{file_name}.svg").write_text(text, encoding="utf-8")
    QDir.setSearchPaths(STYLESHEET_IMAGE_PREFIX, [str(folder)])


_RADIO_DOT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
    '<circle cx="12" cy="12" r="6" fill="currentColor"/></svg>'
)


def _render(svg: str, color: str, width: int, height: int | None = None) -> QPixmap:
    height = width if height is None else height
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", color).encode("utf-8")))
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    side = min(width, height)  # square icons, centred in a non-square pixmap
    renderer.render(painter, QRectF((width - side) / 2, (height - side) / 2, side, side))
    painter.end()
    return pixmap


def theme_fields() -> list[str]:
    """The colour names a theme defines (for settings UIs and tests)."""
    return [f.name for f in fields(Theme) if f.name not in ("name", "dark")]
