"""Recording a fork's own steps straight into a run database, as the engine would: the tests of
the run database and of the timeline build trees of forks with it."""

from burrdesk.model.run_database import RunDatabase, RunWriter
from burrdesk.model.run_records import RunRecord


def continue_fork(db: RunDatabase, fork: RunRecord, steps: int) -> RunWriter:
    """Records `steps` increments of `count` on `fork`, from its starting state."""
    state = db.state_at(fork.run_id, fork.parent_sequence_id)
    writer = db.writer(fork.run_id)
    for seq in range(fork.parent_sequence_id + 1, fork.parent_sequence_id + 1 + steps):
        new = {**state, "count": state["count"] + 1}
        writer.record_step(sequence_id=seq, action="increment", before=state, after=new)
        state = new
    return writer
