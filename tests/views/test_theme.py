"""Themes: palette and stylesheet switching, the icon set, and the colours painters rely on."""

import re
import xml.etree.ElementTree as ET
from dataclasses import fields

import pytest
from PySide6.QtCore import QFile
from PySide6.QtGui import QColor, QIcon, QImage, QPalette

from burrdesk.views import theme

ICONS_DIR = theme.resources_dir() / "icons"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def restore_app(qapp):
    """Leave the application styled as it was, whatever a test applied."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    before = theme.current_theme()
    yield
    if theme.current_theme() is before and qapp.styleSheet() == sheet:
        return  # restyling every live widget is slow; skip it when nothing changed
    theme.apply_theme(qapp, "light")
    if style:  # empty while a stylesheet wraps the style
        qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


def drawn_pixels(image: QImage) -> list:
    """The visible pixels; antialiased 1.75 px strokes are rarely fully opaque."""
    return [
        image.pixelColor(x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 0
    ]


def drawn_in(pixmap, expected: str) -> bool:
    """Whether every visible pixel has the expected colour, give or take premultiplied rounding."""
    want = QColor(expected)
    pixels = drawn_pixels(pixmap.toImage())
    return bool(pixels) and all(
        max(abs(p.red() - want.red()), abs(p.green() - want.green()), abs(p.blue() - want.blue()))
        <= 4
        for p in pixels
        if p.alpha() >= 96
    )


# -- switching ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["light", "dark"])
def test_apply_theme_sets_style_palette_and_stylesheet(qtbot, qapp, name):
    expected = theme.THEMES[name]
    with qtbot.waitSignal(theme.theme_signals.changed) as blocker:
        applied = theme.apply_theme(qapp, name)
    assert applied is expected
    assert blocker.args == [expected]
    assert theme.current_theme() is expected
    palette = qapp.palette()
    assert palette.color(QPalette.ColorRole.Window).name() == expected.window
    assert palette.color(QPalette.ColorRole.Base).name() == expected.base
    assert palette.color(QPalette.ColorRole.Accent).name() == expected.accent
    assert qapp.styleSheet() == theme.stylesheet(name)
    qapp.setStyleSheet("")  # a stylesheet wraps the style in an unnamed proxy
    assert qapp.style().name() == "fusion"


def test_switching_themes_changes_the_window_colour(qapp):
    theme.apply_theme(qapp, "light")
    light = qapp.palette().color(QPalette.ColorRole.Window)
    theme.apply_theme(qapp, "dark")
    dark = qapp.palette().color(QPalette.ColorRole.Window)
    assert light != dark
    assert dark.lightness() < light.lightness()


def test_unknown_theme_is_refused_and_nothing_changes(qapp):
    theme.apply_theme(qapp, "dark")
    with pytest.raises(ValueError, match="light, dark"):
        theme.apply_theme(qapp, "solarized")
    assert theme.current_theme() is theme.DARK


def test_combo_box_arrows_are_installed_in_the_theme_colours(qapp):
    for current in (theme.LIGHT, theme.DARK):
        theme.apply_theme(qapp, current.name)
        arrow = QFile("theme:chevron-down.svg")
        assert arrow.open(QFile.OpenModeFlag.ReadOnly)
        text = bytes(arrow.readAll()).decode()
        assert current.muted_text in text and "currentColor" not in text


# -- colours --------------------------------------------------------------------------------


def test_themes_define_every_colour_the_views_paint_with():
    needed = {
        "window", "panel", "text", "muted_text", "accent", "canvas_background", "canvas_grid",
        "node_python", "node_llm", "node_input", "node_end", "node_fill", "node_border",
        "selection", "error", "warning", "edge", "edge_label_background", "syntax_keyword",
        "syntax_string", "syntax_number", "syntax_comment", "syntax_name", "syntax_function",
        "syntax_operator",
    }  # fmt: skip
    assert needed <= set(theme.theme_fields())
    for current in theme.THEMES.values():
        for name in theme.theme_fields():
            assert re.fullmatch(r"#[0-9a-f]{6}", getattr(current, name)), (current.name, name)
            assert current.color(name).isValid()


def test_light_and_dark_differ_where_it_matters():
    for name in ("window", "base", "text", "canvas_background", "node_fill", "syntax_keyword"):
        assert getattr(theme.LIGHT, name) != getattr(theme.DARK, name), name
    assert theme.DARK.color("window").lightness() < theme.DARK.color("text").lightness()
    assert theme.LIGHT.color("window").lightness() > theme.LIGHT.color("text").lightness()


def test_node_color_falls_back_for_unknown_kinds():
    assert theme.LIGHT.node_color("llm").name() == theme.LIGHT.node_llm
    assert theme.LIGHT.node_color("mystery").name() == theme.LIGHT.node_border
    with pytest.raises(AttributeError):
        theme.LIGHT.color("name")


# -- stylesheets ----------------------------------------------------------------------------


@pytest.mark.parametrize("current", [theme.LIGHT, theme.DARK], ids=lambda t: t.name)
def test_stylesheets_use_their_themes_colours(current):
    sheet = theme.stylesheet(current.name)
    assert sheet.count("{") == sheet.count("}")
    assert "$" not in sheet
    for name in ("window", "panel", "base", "text", "muted_text", "accent", "selection", "border"):
        assert getattr(current, name) in sheet, name
    other = theme.DARK if current is theme.LIGHT else theme.LIGHT
    assert other.window not in sheet and other.text not in sheet


# -- icons ----------------------------------------------------------------------------------


def test_the_icon_files_are_exactly_the_listed_icons():
    files = sorted(
        p.name.removesuffix(".svg") for p in ICONS_DIR.iterdir() if p.name.endswith(".svg")
    )
    assert files == sorted(theme.ICON_NAMES)


@pytest.mark.parametrize("name", theme.ICON_NAMES)
def test_each_svg_is_a_24px_line_icon(name):
    root = ET.fromstring((ICONS_DIR / f"{name}.svg").read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 24 24"
    assert (root.get("width"), root.get("height")) == ("24", "24")
    assert root.get("fill") == "none"
    assert root.get("stroke") == "currentColor"
    assert root.get("stroke-width") == "1.75"
    assert (root.get("stroke-linecap"), root.get("stroke-linejoin")) == ("round", "round")
    assert len(root) >= 1
    for element in root.iter():
        assert element.get("fill") in (None, "none")
        assert element.get("stroke") in (None, "currentColor")


@pytest.mark.parametrize("current", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_each_icon_loads_and_draws_in_the_text_colour(qapp, current):
    theme.apply_theme(qapp, current.name)  # once per theme: restyling the app is the slow part
    for name in theme.ICON_NAMES:
        icon = theme.icon(name)
        assert isinstance(icon, QIcon) and not icon.isNull(), name
        pixmap = icon.pixmap(24, 24)
        assert not pixmap.isNull(), name
        assert len(drawn_pixels(pixmap.toImage())) >= 30, f"{name} draws next to nothing"
        assert drawn_in(pixmap, current.text), name


def test_icons_are_cached_per_theme_and_colour(qapp):
    theme.apply_theme(qapp, "light")
    first = theme.icon("run")
    assert theme.icon("run").cacheKey() == first.cacheKey()
    accent = theme.icon("run", color=theme.LIGHT.accent)
    assert accent.cacheKey() != first.cacheKey()
    assert drawn_in(accent.pixmap(24, 24), theme.LIGHT.accent)
    theme.apply_theme(qapp, "dark")
    assert theme.icon("run").cacheKey() != first.cacheKey()


def test_disabled_icons_use_the_disabled_colour(qapp):
    theme.apply_theme(qapp, "dark")
    pixmap = theme.icon("save").pixmap(24, 24, QIcon.Mode.Disabled)
    assert drawn_in(pixmap, theme.DARK.disabled_text)


def test_unknown_icons_name_the_known_ones():
    with pytest.raises(FileNotFoundError, match="known icons: new, open"):
        theme.icon("no-such-icon")


def test_resources_resolve_from_the_checkout():
    assert (theme.resources_dir() / "themes" / "light.qss").is_file()
    assert {f.name for f in fields(theme.Theme)} >= {"name", "dark"}
