"""Zoom to fit shows the whole flow clear of the overview, and a recorded run's flow opens
fitted rather than blank (issue #17.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from burrdesk.engine.demo_research import record_research_run

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def _card_rects(view):
    return {
        node_id: view.mapFromScene(item.sceneBoundingRect()).boundingRect()
        for node_id, item in view.flow_scene.nodes.items()
    }


@pytest.mark.parametrize("example", ["counter", "email_assistant", "large_flow_500"])
def test_zoom_to_fit_keeps_every_card_in_view_and_clear_of_the_overview(qtbot, window, example):
    window.resize(1280, 800)
    window.files.open_path(EXAMPLES / f"{example}.burrflow", ask=False)
    view = window.view
    qtbot.wait(20)
    view.zoom_to_fit()
    overview = view.minimap.geometry()
    area = view.viewport().rect()
    for node_id, rect in _card_rects(view).items():
        assert area.contains(rect), (node_id, rect, area)
        assert not rect.intersects(overview), (node_id, rect, overview)


def test_a_recorded_runs_flow_opens_fitted(qtbot, window, tmp_path):
    db = tmp_path / "runs.db"
    run_id = record_research_run(db)
    window.files.open_path(db, ask=False)
    assert window.timeline.panel.select_run(run_id)
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.showing_recorded_flow, timeout=3000)
    view = canvas.recorded.view
    qtbot.waitUntil(lambda: view.viewport().width() > 200, timeout=3000)
    qtbot.wait(20)
    rects = _card_rects(view)
    area = view.viewport().rect()
    assert rects and all(area.contains(r) for r in rects.values()), (rects, area)
    assert max(r.width() for r in rects.values()) > 60  # readable, not a speck
