"""The dark theme as a person sees it: icons, lists, search fields and check marks stand out from
what they are drawn on, and switching themes leaves the palette's rows where they were.

Contrast is the WCAG ratio of relative luminances: 4.5 for text, 3 for icons and the outlines of
controls (WCAG 2.1, 1.4.3 and 1.4.11).
"""

from collections import Counter

import pytest
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionButton, QToolBar, QWidget

from burrdesk.model.llm_settings import LlmSettings
from burrdesk.views import theme
from burrdesk.views.dialogs.settings_dialog import SettingsDialog

TEXT_CONTRAST = 4.5
GRAPHIC_CONTRAST = 3.0


@pytest.fixture(autouse=True)
def restore_light_theme(qapp):
    """Every test ends in the light theme, styled as the application was before it."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    yield
    theme.apply_theme(qapp, "light")
    if sheet != qapp.styleSheet():  # the session had no stylesheet yet: leave none
        if style:
            qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setStyleSheet(sheet)


@pytest.fixture
def started_dark(qapp, restore_light_theme):
    """The app as `burrdesk` starts it with the dark theme remembered: themed before the window
    exists (list this fixture before `window`)."""
    theme.apply_theme(qapp, "dark")


# -- measuring ------------------------------------------------------------------------------


def luminance(color: QColor) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(color.redF())
        + 0.7152 * linear(color.greenF())
        + 0.0722 * linear(color.blueF())
    )


def contrast(first: QColor, second: QColor) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def image_of(widget: QWidget) -> QImage:
    return widget.grab().toImage()


def background(image: QImage) -> QColor:
    """The colour most of the image is: what everything else in it is drawn on."""
    counts = Counter(
        image.pixel(x, y) & 0xFFFFFF for x in range(image.width()) for y in range(image.height())
    )
    return QColor(counts.most_common(1)[0][0])


def strongest_contrast(image: QImage, against: QColor, x0=0, y0=0, x1=None, y1=None) -> float:
    """The contrast of the pixel in the area that stands out most from `against`."""
    x1 = image.width() if x1 is None else x1
    y1 = image.height() if y1 is None else y1
    return max(
        (contrast(image.pixelColor(x, y), against) for x in range(x0, x1) for y in range(y0, y1)),
        default=1.0,
    )


def icon_colour(icon: QIcon, on: QColor, mode: QIcon.Mode = QIcon.Mode.Normal) -> QColor:
    """The colour of the icon's most opaque pixels as drawn on `on`."""
    image = icon.pixmap(24, 24, mode).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    top = max(p.alphaF() for p in pixels)
    assert top > 0, "the icon draws nothing"
    solid = [p for p in pixels if p.alphaF() >= 0.9 * top]
    a = sum(p.alphaF() for p in solid) / len(solid)

    def channel(name: str) -> float:
        ink = sum(getattr(p, name)() for p in solid) / len(solid)
        return ink * a + getattr(on, name)() * (1 - a)

    return QColor.fromRgbF(channel("redF"), channel("greenF"), channel("blueF"))


def switch_theme(window, qtbot, name: str) -> None:
    """Flips View → Dark Theme the way a person does (the action, not apply_theme)."""
    action = window.appearance.theme_action
    action.setChecked(name != "dark")
    with qtbot.waitSignal(theme.theme_signals.changed):
        action.trigger()
    assert theme.current_theme().name == name
    qtbot.wait(1)  # let the repolished widgets lay themselves out and repaint


def run_toolbar(window) -> QToolBar:
    run_action = window.run.run_action
    return next(bar for bar in window.findChildren(QToolBar) if run_action in bar.actions())


def run_controls(window):
    run = window.run
    return {
        "run": run.run_action,
        "pause": run.pause_action,
        "step": run.step_action,
        "stop": run.stop_action,
    }


# -- toolbar icons ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dark", "light"])
def test_run_pause_step_stop_toolbar_icons_stand_out_from_the_toolbar(window, qtbot, name):
    switch_theme(window, qtbot, "light" if name == "dark" else "dark")
    switch_theme(window, qtbot, name)
    toolbar = run_toolbar(window)
    bar = background(image_of(toolbar))
    assert contrast(bar, theme.current_theme().color("panel")) < 1.1  # the toolbar is measured
    for label, action in run_controls(window).items():
        ink = icon_colour(action.icon(), bar)
        assert contrast(ink, bar) >= GRAPHIC_CONTRAST, f"{label} icon in {name}"
        button = toolbar.widgetForAction(action)
        assert button is not None and button.isVisible()
        drawn = image_of(button)
        assert strongest_contrast(drawn, bar) >= GRAPHIC_CONTRAST, f"{label} button in {name}"


# -- icons set before a switch ---------------------------------------------------------------


def test_icons_already_shown_follow_a_switch_to_dark(window, qtbot):
    """The palette rows, the Run panel's buttons and the search field got their icons in the
    light theme; in the dark one they must not stay dark-on-dark."""
    switch_theme(window, qtbot, "light")
    switch_theme(window, qtbot, "dark")
    palette = window.node_palette.panel
    for view in (palette.kinds, palette.examples):
        behind = background(image_of(view.viewport()))
        for row in range(view.count()):
            item = view.item(row)
            ink = icon_colour(item.icon(), behind)
            assert contrast(ink, behind) >= GRAPHIC_CONTRAST, item.text()
    panel = window.run.panel
    for button in (panel.run_button, panel.step_button):
        face = background(image_of(button))
        ink = icon_colour(button.icon(), face)
        assert contrast(ink, face) >= GRAPHIC_CONTRAST, button.text()
    search = window.timeline.panel.step_search
    field = background(image_of(search))
    icons = [action.icon() for action in search.actions() if not action.icon().isNull()]
    assert icons, "the search field shows a magnifier"
    for icon in icons:
        assert contrast(icon_colour(icon, field), field) >= GRAPHIC_CONTRAST


# -- text ----------------------------------------------------------------------------------


def test_palette_lists_and_search_field_text_is_readable_in_dark(window, qtbot):
    switch_theme(window, qtbot, "dark")
    palette = window.node_palette.panel
    for view in (palette.kinds, palette.examples):
        colours = view.palette()
        text = colours.color(QPalette.ColorRole.Text)
        assert contrast(text, colours.color(QPalette.ColorRole.Base)) >= TEXT_CONTRAST
        drawn = image_of(view.viewport())
        behind = background(drawn)
        assert behind.lightness() < 80, "the list is dark in the dark theme"
        assert contrast(text, behind) >= TEXT_CONTRAST
        assert strongest_contrast(drawn, behind) >= TEXT_CONTRAST  # the row labels are drawn
    search = window.timeline.panel.step_search
    colours = search.palette()
    field = background(image_of(search))
    assert contrast(colours.color(QPalette.ColorRole.Text), field) >= TEXT_CONTRAST
    assert contrast(colours.color(QPalette.ColorRole.PlaceholderText), field) >= TEXT_CONTRAST


# -- radio buttons and check boxes -----------------------------------------------------------


def indicator_contrast(button, element: QStyle.SubElement, behind: QColor) -> float:
    option = QStyleOptionButton()
    option.initFrom(button)
    option.text = button.text()
    rect = button.style().subElementRect(element, option, button)
    assert rect.width() >= 10 and rect.height() >= 10, "a visible indicator"
    image = image_of(button)
    return strongest_contrast(image, behind, rect.left(), rect.top(), rect.right(), rect.bottom())


@pytest.mark.parametrize("name", ["dark", "light"])
def test_settings_radio_buttons_and_check_box_are_visible(window, qtbot, name):
    switch_theme(window, qtbot, "light" if name == "dark" else "dark")
    switch_theme(window, qtbot, name)
    dialog = SettingsDialog(LlmSettings(), parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    behind = background(image_of(dialog))
    assert contrast(behind, theme.current_theme().color("window")) < 1.1
    radio = QStyle.SubElement.SE_RadioButtonIndicator
    for button in (dialog.endpoint_mode, dialog.echo_mode):  # one checked, one not
        assert indicator_contrast(button, radio, behind) >= GRAPHIC_CONTRAST, button.text()
    check = QStyle.SubElement.SE_CheckBoxIndicator
    for checked in (True, False):
        dialog.show_welcome.setChecked(checked)
        contrast_now = indicator_contrast(dialog.show_welcome, check, behind)
        assert contrast_now >= GRAPHIC_CONTRAST, f"check box checked={checked}"
    # Checked and unchecked look different: the mark is drawn.
    dialog.echo_mode.setChecked(True)
    off = image_of(dialog.endpoint_mode)
    dialog.endpoint_mode.setChecked(True)
    assert image_of(dialog.endpoint_mode) != off
    dialog.close()


# -- palette spacing ------------------------------------------------------------------------


def palette_rows(window):
    palette = window.node_palette.panel
    return [
        [(view.visualItemRect(view.item(r)), view.sizeHintForRow(r)) for r in range(view.count())]
        for view in (palette.kinds, palette.examples)
    ]


def test_palette_rows_neither_overlap_nor_move_when_the_theme_switches(started_dark, window, qtbot):
    window.appearance.theme_action.setChecked(True)  # as run_app does
    qtbot.wait(1)
    before = palette_rows(window)
    drawn_before = image_of(window.node_palette.panel.kinds)
    for rows in before:
        for (above, hint), (below, _hint) in zip(rows, rows[1:], strict=False):
            assert above.height() == hint  # a row is as tall as it asks to be...
            assert below.top() == above.bottom() + 1  # ...and the next one starts below it
    switch_theme(window, qtbot, "light")
    switch_theme(window, qtbot, "dark")
    assert palette_rows(window) == before
    assert image_of(window.node_palette.panel.kinds) == drawn_before


def test_the_dark_theme_menu_entry_shows_a_check_mark_not_its_icon(qtbot, window):
    action = window.appearance.theme_action
    assert action.isCheckable() and not action.isIconVisibleInMenu()
    assert not action.icon().isNull()  # the toolbar button keeps it


def test_the_welcome_pages_and_the_recorded_flows_pictures_follow_a_switch(window, qtbot):
    """Icons shown as a label's picture (the welcome page's next steps, the recorded flow's
    banner) were drawn once, dark: in the dark theme they were dark on dark."""
    switch_theme(window, qtbot, "light")
    window.help.show_welcome()
    welcome = window.help.welcome
    qtbot.waitExposed(welcome)
    pictures = [
        *welcome.findChildren(theme.IconLabel),
        *window.canvas.recorded.findChildren(theme.IconLabel),
    ]
    assert len(pictures) >= 4
    switch_theme(window, qtbot, "dark")
    for label in pictures:
        behind = background(image_of(label.parentWidget()))
        ink = icon_colour(QIcon(label.pixmap()), behind)
        assert contrast(ink, behind) >= GRAPHIC_CONTRAST, label.parentWidget().objectName()
    welcome.close()
