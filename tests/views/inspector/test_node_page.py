"""The inspector says what the card says (keys a node's settings imply, an LLM node's prompt
fields, history and output, are named in its empty Reads and Writes fields), and a narrow
inspector never cuts its fields off at the right."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def click_card(window, node_id: str) -> None:
    view = window.view
    card = window.scene.nodes[node_id]
    at = view.mapFromScene(card.mapToScene(card.rect().center()))
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(at)
    )


def test_an_llm_nodes_implied_keys_are_named_in_its_empty_fields(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    window.view.zoom_to_fit()
    qtbot.wait(20)
    click_card(window, "ai_response")
    page = window.inspector.panel.node_page
    assert page.node_id == "ai_response"
    assert page.reads.text() == "" and page.writes.text() == ""
    assert page.reads.placeholderText() == "prompt, chat_history (from its settings)"
    assert page.writes.placeholderText() == "response, chat_history (from its settings)"
    click_card(window, "human_input")
    assert page.node_id == "human_input"
    assert page.writes.placeholderText() == "prompt (from its settings)"
    assert page.reads.placeholderText() == "key, key, ..."


def test_the_inspector_dragged_narrow_keeps_every_field_whole(qtbot, window):
    """Dragged to 250 px it scrolled sideways, the hint and the fields cut at the right."""
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    inspector = window.inspector.panel
    for node_id in (None, "ai_response"):
        window.scene.select_only(node_id)
        window.resizeDocks([window.inspector.dock], [150], Qt.Orientation.Horizontal)
        qtbot.wait(10)
        assert not inspector.horizontalScrollBar().isVisible()
        viewport = inspector.viewport()
        page = inspector.pages.currentWidget()
        fields = [f for f in page.findChildren(QLineEdit) if f.isVisible()]
        assert fields
        for field in fields:
            right = field.mapTo(viewport, field.rect().topRight()).x()
            assert right <= viewport.width(), (node_id, field.placeholderText(), right)
