"""The timeline as several test files drive it: a panel showing the research assistant's run
(spans, child runs, a streamed step) that the first launch also records."""

import pytest

from burrdesk.engine.demo_research import record_research_run
from burrdesk.views.timeline.timeline_panel import TimelinePanel


@pytest.fixture
def research_panel(qtbot, tmp_path):
    db = tmp_path / "runs.db"
    run_id = record_research_run(db)
    widget = TimelinePanel()
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    widget.show()
    widget.open_database(db)
    widget.research_run_id = run_id
    yield widget
    widget.close_database()
