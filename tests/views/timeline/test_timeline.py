"""The timeline: lazy runs and steps tables, following a live run, and the selected step's tabs."""

import json

import pytest
from database_targets import tracker_kwargs
from fork_recording import continue_fork
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableView

from burrdesk.engine import ApplicationBuilder, State, action, default, expr
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.run_database_opener import open_run_database
from burrdesk.model.state_codec import OpaqueValue
from burrdesk.model.state_delta import KeyChange, StateDiff
from burrdesk.views import theme
from burrdesk.views.timeline.state_view import CHUNK, DiffView, StateTreeView
from burrdesk.views.timeline.timeline_model import STEP_PAGE, RunsTreeModel, StepsTableModel
from burrdesk.views.timeline.timeline_panel import TimelinePanel


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@action(reads=["count"], writes=["result"])
def finish(state: State) -> tuple[dict, State]:
    return {"final": state["count"]}, state.update(result=f"done at {state['count']}")


@action(reads=[], writes=["prompt", "chat_history"])
def human_input(state: State, prompt: str) -> State:
    return state.update(prompt=prompt).append(chat_history={"role": "user", "content": prompt})


@action(reads=["chat_history", "notes"], writes=["chat_history", "notes"])
def ai_response(state: State) -> State:
    last = state["chat_history"][-1]["content"]
    if last == "crash":
        raise RuntimeError("the model is down")
    reply = "echo: " + last
    notes = state["notes"] + f"\nreplied to {last!r}"
    return state.append(chat_history={"role": "assistant", "content": reply}).update(notes=notes)


def counter_app(db_path, app_id="counter-1", project="demo", limit=1_000_000):
    return (
        ApplicationBuilder()
        .with_actions(increment=increment, finish=finish)
        .with_transitions(
            ("increment", "increment", expr(f"count < {limit}")), ("increment", "finish", default)
        )
        .with_state(count=0)
        .with_identifiers(app_id=app_id)
        .with_entrypoint("increment")
        .with_tracker(project=project, **tracker_kwargs(str(db_path)))
        .build()
    )


def chat_app(db_path, app_id="chat-1"):
    return (
        ApplicationBuilder()
        .with_actions(human_input=human_input, ai_response=ai_response)
        .with_transitions(("human_input", "ai_response"), ("ai_response", "human_input"))
        .with_state(chat_history=[], notes="Conversation notes", tag=OpaqueValue("Tag", "<Tag x>"))
        .with_identifiers(app_id=app_id, partition_key="alice")
        .with_entrypoint("human_input")
        .with_tracker("sqlite", project="chat", params={"db_path": str(db_path)})
        .build()
    )


def run_chat(app):
    """hello (0), reply (1), how are you (2), reply (3), crash (4), failing reply (5)."""
    for prompt in ("hello", "how are you"):
        app.step(inputs={"prompt": prompt})
        app.step()
    app.step(inputs={"prompt": "crash"})
    with pytest.raises(RuntimeError):
        app.step()


@pytest.fixture(scope="module")
def runs_db(tmp_path_factory):
    """A 2,500-step counter (project demo), a finished counter, and a chat with a failed step."""
    path = tmp_path_factory.mktemp("timeline") / "runs.db"
    big = counter_app(path, "counter-big")
    for _ in range(2500):
        big.step()
    counter_app(path, "counter-small", limit=3).run(halt_after=["finish"])
    run_chat(chat_app(path))
    with RunDatabase(path, read_only=True) as db:
        ids = {run.app_id: run.run_id for run in db.list_runs()}
    return path, ids


@pytest.fixture
def db(runs_db):
    database = RunDatabase(runs_db[0], read_only=True)
    yield database
    database.close()


@pytest.fixture
def panel(qtbot, runs_db):
    widget = TimelinePanel()
    qtbot.addWidget(widget)
    widget.open_database(runs_db[0])
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close_database()


# --- the steps model ---------------------------------------------------------------------------


def test_steps_model_reads_only_the_pages_it_shows(qtbot, db, runs_db):
    """A recorded run is random access: a row per step, a page read when a row is shown."""
    model = StepsTableModel()
    run_id = runs_db[1]["counter-big"]
    model.set_run(db, run_id)
    assert model.random_access and model.rowCount() == 2500
    assert model.cached_pages == 1 and not model.canFetchMore()
    assert model.step_at(2499).sequence_id == 2499
    assert model.cached_pages == 2
    step = model.step_at(1234)
    assert (step.sequence_id, step.action, step.status) == (1234, "increment", "completed")
    assert step.delta == {"set": {"count": 1235}}
    assert model.data(model.index(1234, 4)) == "count"
    assert model.row_of_sequence(2499) == 2499
    assert model.row_of_sequence(2500) is None


def test_steps_model_filters_through_search(qtbot, db, runs_db):
    model = StepsTableModel()
    model.set_run(db, runs_db[1]["chat-1"])
    assert [model.step_at(r).action for r in range(model.rowCount())] == [
        "human_input",
        "ai_response",
    ] * 3
    failed = model.step_at(5)
    assert failed.status == "failed"
    error = theme.current_theme().color("error")
    assert model.data(model.index(5, 1), Qt.ItemDataRole.ForegroundRole) == error
    model.set_filter(status="failed")
    assert [model.step_at(r).sequence_id for r in range(model.rowCount())] == [5]
    model.set_filter(changed_key="prompt")
    assert [model.step_at(r).sequence_id for r in range(model.rowCount())] == [0, 2, 4]
    assert model.row_of_sequence(2) == 1 and model.row_of_sequence(1) is None
    model.set_filter(action="ai_")
    assert model.rowCount() == 3


def test_steps_model_follows_a_live_run_without_a_reset(qtbot, db_target):
    app = counter_app(db_target)
    for _ in range(STEP_PAGE + 20):
        app.step()
    database = open_run_database(db_target, read_only=True)
    model = StepsTableModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_run(database, database.list_runs()[0].run_id)
    assert model.rowCount() == STEP_PAGE + 20 and not model.canFetchMore()
    assert model.follow() == 0
    view.setCurrentIndex(model.index(7, 0))
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(True))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    for _ in range(3):
        app.step()
    assert model.follow() == 3
    assert inserted == [(STEP_PAGE + 20, STEP_PAGE + 22)]
    assert not resets
    assert model.step_at(STEP_PAGE + 22).sequence_id == STEP_PAGE + 22
    assert view.currentIndex().row() == 7
    assert model.follow() == 0
    database.close()


def test_a_20000_step_run_opens_with_one_page(qtbot, db_target):
    """On a server too: the table reads pages of rows from it, never the whole run."""
    path = db_target
    with open_run_database(path) as database:
        run_id = database.create_run(project="big", app_id="generated", initial_state={"n": 0})
        writer = database.writer(run_id)
        with writer.batched():
            for i in range(20_000):
                writer.record_step(
                    sequence_id=i, action="tick", before={"n": i}, after={"n": i + 1}
                )
    widget = TimelinePanel()
    qtbot.addWidget(widget)
    widget.open_database(path)
    widget.show()
    assert widget.select_run(run_id)
    model = widget.steps_model
    assert model.rowCount() == 20_000 and model.cached_pages == 1
    assert widget.select_step(1234)
    assert widget.state_view.top_level() == {"n": "1235"}
    widget.steps_view.setFocus()
    QTest.keyClick(widget.steps_view, Qt.Key.Key_End)
    assert widget.current_step.sequence_id == 19_999
    assert widget.state_view.top_level() == {"n": "20000"}
    assert model.cached_pages <= 4  # the first page, step 1234's, the last, what scrolled into view
    QTest.keyClick(widget.steps_view, Qt.Key.Key_Home)
    assert widget.current_step.sequence_id == 0
    widget.close_database()


# --- the runs model ----------------------------------------------------------------------------


def test_runs_model_filters_by_status_and_project(qtbot, db, runs_db):
    model = RunsTreeModel()
    model.set_database(db)
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == [
        "chat-1",
        "counter-small",
        "counter-big",
    ]
    assert model.headerData(4, Qt.Orientation.Horizontal) == "Status"
    model.set_filter(status="failed")
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["chat-1"]
    status = model.index(0, RunsTreeModel.STATUS_COLUMN)
    assert model.data(status) == "failed"
    assert model.data(status, Qt.ItemDataRole.ForegroundRole) == theme.current_theme().color(
        "error"
    )
    model.set_filter(project="demo")
    assert {model.run_at(r).app_id for r in range(model.rowCount())} == {
        "counter-small",
        "counter-big",
    }
    model.set_filter(project="demo", status="completed")
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["counter-small"]
    model.set_filter(search="big")
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["counter-big"]
    assert model.data(model.index(0, 6)) == "2,500"


def test_runs_refresh_adds_new_runs_and_keeps_the_selection(qtbot, tmp_path):
    path = tmp_path / "refresh.db"
    first = counter_app(path, "first")
    first.step()
    database = RunDatabase(path, read_only=True)
    model = RunsTreeModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_database(database)
    view.selectRow(0)
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(True))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    second = counter_app(path, "second")
    second.step()
    for _ in range(4):
        first.step()
    model.refresh()
    assert not resets and inserted == [(0, 0)]
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["second", "first"]
    assert model.run_at(view.currentIndex().row()).app_id == "first"
    assert view.selectionModel().isRowSelected(1, QModelIndex())
    assert model.run_at(1).step_count == 5
    database.close()


def test_a_filtered_runs_list_adds_only_new_runs_that_match(qtbot, tmp_path):
    path = tmp_path / "filtered.db"
    counter_app(path, "alpha-1").step()
    database = RunDatabase(path, read_only=True)
    model = RunsTreeModel()
    model.set_database(database)
    model.set_filter(search="alpha")
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["alpha-1"]
    counter_app(path, "beta-1").step()
    counter_app(path, "alpha-2").step()
    model.refresh()
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["alpha-2", "alpha-1"]
    database.close()


# --- forks ---------------------------------------------------------------------------------------


@pytest.fixture
def forks_db(tmp_path):
    """A 10-step counter (count 1..10), a fork after step 4 set to 100 with 3 steps of its own,
    a fork of that fork after step 6 with 2 more, and an unrelated later run."""
    path = tmp_path / "forks.db"
    app = counter_app(path, "original")
    for _ in range(10):
        app.step()
    with RunDatabase(path) as db:
        original = db.find_run("original").run_id
        fork = db.fork(original, 4, state={"count": 100}, app_id="fork")
        continue_fork(db, fork, 3).finish("completed")
        grandchild = db.fork(fork.run_id, 6, app_id="grandchild")
        continue_fork(db, grandchild, 2).finish("completed")
    counter_app(path, "later").step()
    return path, {"original": original, "fork": fork.run_id, "grandchild": grandchild.run_id}


def test_runs_model_nests_forks_under_their_parent_and_loads_them_on_expand(qtbot, forks_db):
    path, ids = forks_db
    database = RunDatabase(path, read_only=True)
    model = RunsTreeModel()
    model.set_database(database)
    assert [model.run_at(r).app_id for r in range(model.rowCount())] == ["later", "original"]
    original = model.index(1, 0)
    assert model.hasChildren(original) and not model.hasChildren(model.index(0, 0))
    assert model.rowCount(original) == 0 and model.canFetchMore(original)
    model.fetchMore(original)
    assert [model.run_at(r, original).app_id for r in range(model.rowCount(original))] == ["fork"]
    fork = model.index(0, 0, original)
    assert model.parent(fork) == original
    assert "Forked from run 1 after step 4" in model.data(fork, Qt.ItemDataRole.ToolTipRole)
    grandchild = model.reveal(ids["grandchild"])
    assert model.run_for(grandchild).app_id == "grandchild" and model.parent(grandchild) == fork

    # A filter lists every matching run flat, forks included.
    model.set_filter(status="completed")
    assert {model.run_at(r).app_id for r in range(model.rowCount())} == {"fork", "grandchild"}
    assert not model.hasChildren(model.index(0, 0))
    database.close()


def test_a_new_fork_appears_under_its_parent_without_a_reset(qtbot, forks_db):
    path, ids = forks_db
    database = RunDatabase(path, read_only=True)
    model = RunsTreeModel()
    model.set_database(database)
    later = model.index(0, 0)
    assert not model.hasChildren(later)
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(True))
    model.rowsInserted.connect(
        lambda parent, a, b: inserted.append((model.run_for(parent).app_id, a, b))
    )
    with RunDatabase(path) as writer:
        writer.fork(model.run_for(later).run_id, 0, app_id="fork-of-later")
    model.refresh()
    assert not resets and inserted == [("later", 0, 0)]
    assert model.hasChildren(later) and model.run_at(0, later).app_id == "fork-of-later"
    assert model.run_for(later).fork_count == 1
    database.close()


def test_a_forks_timeline_shows_its_inherited_steps_dimmed(qtbot, forks_db):
    path, ids = forks_db
    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.open_database(path)
    panel.resize(1200, 800)
    panel.show()
    qtbot.waitExposed(panel)

    # Click the original run, expand it with the Right key, go down to its fork.
    view = panel.runs_view
    original = panel.runs_model.index_of_run(ids["original"])
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(original).center()
    )
    assert panel.current_run.app_id == "original"
    QTest.keyClick(view, Qt.Key.Key_Right)
    assert view.isExpanded(original)
    QTest.keyClick(view, Qt.Key.Key_Down)
    assert panel.current_run.app_id == "fork"
    assert "forked from run 1 @ 4" in panel.run_label.text()

    model = panel.steps_model
    assert model.rowCount() == 8 and model.inherited_steps == 5
    assert [model.data(model.index(r, 0)) for r in range(8)] == [str(n) for n in range(8)]
    muted = theme.current_theme().color("muted_text")
    for row in range(5):
        assert model.data(model.index(row, 1), Qt.ItemDataRole.ForegroundRole) == muted
        assert model.data(model.index(row, 1), Qt.ItemDataRole.FontRole).italic()
    assert "this fork continues after step 4" in model.data(
        model.index(4, 1), Qt.ItemDataRole.ToolTipRole
    )
    assert model.data(model.index(5, 1), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(5, 1), Qt.ItemDataRole.FontRole) is None

    # An inherited step shows the parent's state; the fork's first step diffs from the edit.
    assert panel.select_step(4)
    assert panel.state_view.top_level() == {"count": "5"}
    assert panel.step_label.text().endswith("inherited from run 1")
    panel.steps_view.setFocus()
    QTest.keyClick(panel.steps_view, Qt.Key.Key_Down)
    assert panel.current_step.sequence_id == 5 and panel.current_step.run_id == ids["fork"]
    assert panel.state_view.top_level() == {"count": "101"}
    assert "count: 100 → 101" in panel.diff_view.text()

    # A fork of the fork inherits from both.
    assert panel.select_run(ids["grandchild"])
    assert view.isExpanded(panel.runs_model.index_of_run(ids["fork"]))
    assert [
        (step.run_id, step.sequence_id) for step in map(model.step_at, range(model.rowCount()))
    ] == [(ids["original"], n) for n in range(5)] + [(ids["fork"], 5), (ids["fork"], 6)] + [
        (ids["grandchild"], 7),
        (ids["grandchild"], 8),
    ]
    assert model.row_of_sequence(6) == 6 and model.row_of_sequence(9) is None
    panel.close_database()


def test_a_filtered_forks_timeline_searches_its_inherited_steps_too(qtbot, forks_db):
    path, ids = forks_db
    with RunDatabase(path, read_only=True) as database:
        model = StepsTableModel()
        model.set_run(database, ids["fork"])
        model.set_filter(changed_key="count")
        assert not model.random_access
        assert [model.step_at(r).sequence_id for r in range(model.rowCount())] == list(range(8))
        assert model.row_of_sequence(5) == 5


# --- the state and diff views ------------------------------------------------------------------


def test_state_tree_shows_json_values_and_caps_long_lists(qtbot):
    tree = StateTreeView()
    qtbot.addWidget(tree)
    history = [{"role": "user", "content": f"message {i}"} for i in range(10_000)]
    tree.set_state(
        {
            "name": "ada",
            "n": 3,
            "ok": True,
            "none": None,
            "obj": OpaqueValue("X", "<X 1>"),
            "h": history,
        }
    )
    assert tree.top_level() == {
        "name": '"ada"',
        "n": "3",
        "ok": "true",
        "none": "null",
        "obj": "<X 1>",
        "h": "[10,000 items]",
    }
    assert tree.item_for_path("obj").font(1).italic()
    assert tree.item_for_path("name").foreground(1).color() == theme.current_theme().color(
        "syntax_string"
    )
    item = tree.item_for_path("h")
    assert item.childCount() == 0  # nothing built until expanded
    item.setExpanded(True)
    assert item.childCount() == CHUNK + 1
    more = item.child(CHUNK)
    assert more.text(0) == f"… {10_000 - CHUNK:,} more"
    tree.show_more(more)
    assert item.childCount() == 2 * CHUNK + 1
    assert tree.item_for_path("h", 1500, "content").text(1) == '"message 1500"'
    tree.setCurrentItem(tree.item_for_path("h", 3))
    assert json.loads(tree.copy_value()) == {"role": "user", "content": "message 3"}
    assert json.loads(QApplication.clipboard().text()) == {"role": "user", "content": "message 3"}


def test_diff_view_shows_added_removed_and_changed(qtbot):
    view = DiffView()
    qtbot.addWidget(view)
    assert "Select a step" in view.text()
    view.set_diff(StateDiff())
    assert view.text().strip() == "No changes"
    view.set_diff(
        StateDiff(
            added={"new": 1},
            removed={"old": "x"},
            changed=[
                KeyChange(key="count", old=4, new=5),
                KeyChange(key="notes", old="a\nb\nc", new="a\nB\nc"),
                KeyChange(key="history", old=[1, 2], new=[1, 2, 3]),
            ],
        )
    )
    text = view.text()
    assert "+ new: 1" in text
    assert '− old: "x"' in text
    assert "count: 4 → 5" in text
    assert "-b" in text and "+B" in text
    assert "1 item appended" in text and "+ 3" in text


# --- the panel ---------------------------------------------------------------------------------


def test_panel_says_what_to_select(panel):
    assert panel.run_label.text() == "Select a run"
    assert panel.steps_view.placeholder == "Select a run"
    assert panel.state_view.topLevelItemCount() == 0
    assert "Select a run" in panel.diff_view.text()


def test_selecting_a_run_fills_the_steps_and_down_moves_through_them(qtbot, panel, runs_db):
    run_id = runs_db[1]["counter-big"]
    assert panel.select_run(run_id)
    assert panel.steps_model.run_id == run_id
    assert panel.steps_model.rowCount() == 2500
    assert panel.step_label.text() == "Select a step"
    selected = []
    panel.stepSelected.connect(lambda r, s: selected.append((r, s)))
    assert panel.select_step(3)
    panel.steps_view.setFocus()
    QTest.keyClick(panel.steps_view, Qt.Key.Key_Down)
    assert panel.current_step.sequence_id == 4
    assert selected == [(run_id, 3), (run_id, 4)]
    assert panel.state_view.top_level() == {"count": "5"}
    assert "count: 4 → 5" in panel.diff_view.text()
    QTest.keyClick(panel.steps_view, Qt.Key.Key_Up)
    QTest.keyClick(panel.steps_view, Qt.Key.Key_Up)
    assert panel.state_view.top_level() == {"count": "3"}
    assert "count: 2 → 3" in panel.diff_view.text()


def test_the_chat_run_shows_state_diff_and_the_failed_step(qtbot, panel, runs_db, db):
    run_id = runs_db[1]["chat-1"]
    assert panel.select_run(run_id)
    assert panel.select_step(2)
    state = panel.state_view.top_level()
    assert state["prompt"] == '"how are you"'
    assert state["chat_history"] == "[3 items]"
    assert state["tag"] == "<Tag x>"
    assert "1 item appended" in panel.diff_view.text()
    assert "how are you" in panel.diff_view.text()
    QTest.keyClick(panel.steps_view, Qt.Key.Key_Down)
    assert "replied to 'how are you'" in panel.diff_view.text()  # the notes' line diff
    assert panel.select_step(5)
    details = panel.step_text.toPlainText()
    assert "RuntimeError: the model is down" in details
    assert "Traceback (most recent call last)" in details
    assert panel.diff_view.text().strip() == "No changes"
    text = panel.state_view.copy_state_json()
    copied = json.loads(QApplication.clipboard().text())
    assert copied == json.loads(text)
    assert copied["chat_history"] == db.state_at(run_id, 5)["chat_history"]
    assert copied["prompt"] == "crash" and copied["notes"] == db.state_at(run_id, 5)["notes"]


def test_any_two_steps_can_be_compared(qtbot, panel, runs_db):
    panel.select_run(runs_db[1]["counter-big"])
    assert panel.select_step(3)
    panel.compare_action.trigger()  # "Compare Other Steps with This One" on step 3
    assert panel.compare_base == 3 and panel.tabs.currentIndex() == 1
    panel.steps_view.setFocus()
    for _ in range(4):
        QTest.keyClick(panel.steps_view, Qt.Key.Key_Down)
    assert panel.current_step.sequence_id == 7
    assert "count: 4 → 8" in panel.diff_view.text()
    # Typing a step number compares with that one; -1 is the state before the first step.
    panel.compare_step.selectAll()
    QTest.keyClicks(panel.compare_step, "-1")
    assert panel.compare_base == -1
    assert "count: 0 → 8" in panel.diff_view.text()
    QTest.mouseClick(panel.compare_previous, Qt.MouseButton.LeftButton)
    assert panel.compare_base is None and not panel.compare_previous.isEnabled()
    assert "count: 7 → 8" in panel.diff_view.text()
    panel.compare_step.setValue(99_999)
    assert "has no step 99999" in panel.diff_view.text()


def test_panel_filters_runs_and_steps(qtbot, panel, runs_db):
    panel.run_status.setCurrentIndex(panel.run_status.findData("failed"))
    assert panel.runs_model.rowCount() == 1
    assert panel.select_run(runs_db[1]["chat-1"])
    assert panel.select_step(3)
    panel.step_search.setText("ai_")
    panel.apply_filters()
    assert panel.steps_model.rowCount() == 3
    qtbot.waitUntil(lambda: panel.steps_view.currentIndex().row() == 1)
    assert panel.current_step.sequence_id == 3  # the selected step survives the filter
    panel.step_field.setCurrentIndex(panel.step_field.findData("changed_key"))
    panel.step_search.setText("prompt")
    panel.apply_filters()
    assert [panel.steps_model.step_at(r).sequence_id for r in range(3)] == [0, 2, 4]
    panel.run_status.setCurrentIndex(panel.run_status.findData("completed"))
    assert panel.current_run is None
    assert panel.steps_view.placeholder == "Select a run"


def test_panel_follows_a_live_run(qtbot, db_target):
    path = db_target
    app = counter_app(path, "live")
    for _ in range(5):
        app.step()
    widget = TimelinePanel()
    qtbot.addWidget(widget)
    database = widget.open_database(path)
    run_id = database.list_runs()[0].run_id
    assert widget.select_run(run_id)
    assert widget.select_step(2)
    for _ in range(3):
        app.step()
    widget.follow_live()
    assert widget.steps_model.rowCount() == 8
    assert widget.current_step.sequence_id == 2
    assert "8 steps" in widget.run_label.text()
    widget.close_database()


def test_screenshot_of_the_timeline(qtbot, qapp, panel, runs_db):
    theme.apply_theme(qapp, "light")
    panel.resize(1200, 800)
    assert panel.select_run(runs_db[1]["chat-1"])
    assert panel.select_step(3)
    panel.state_view.item_for_path("chat_history").setExpanded(True)
    panel.state_view.item_for_path("chat_history", 3).setExpanded(True)
    qtbot.wait(50)
    image = panel.grab()
    assert image.save("/tmp/timeline.png")
    panel.tabs.setCurrentIndex(1)
    qtbot.wait(20)
    assert panel.grab().save("/tmp/timeline-diff.png")
    assert panel.select_step(5)
    panel.tabs.setCurrentIndex(2)
    qtbot.wait(20)
    assert panel.grab().save("/tmp/timeline-step.png")


def test_closing_a_database_in_the_timeline_leaves_no_side_files(qtbot, tmp_path):
    """The timeline reads without writing, and leaves the folder as it found it."""
    from burrdesk.engine.demo_research import record_research_run
    from burrdesk.views.timeline.timeline_panel import TimelinePanel

    db = tmp_path / "runs.db"
    run_id = record_research_run(db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.db"]
    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.open_database(db)
    panel.select_run(run_id)
    panel.steps_view.selectRow(2)
    assert panel.current_step.action == "write_answer"
    panel.close_database()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.db"]
