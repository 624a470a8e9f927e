"""The running application: steps through the graph, one action at a time.

Semantics follow Apache Burr's `Application` so Burr code runs unchanged: sequence ids count
from 0 and are bumped before each step, the first step runs the entrypoint, later steps follow
the first transition whose condition holds, and `iterate` always runs one step before testing
halt conditions. The step path is kept short (no per-step logging, validation sets prepared at
build time, the next action computed once per state) because it is the engine's hot loop.
"""

from __future__ import annotations

import dataclasses
import inspect
import uuid
from collections.abc import AsyncGenerator, Generator
from typing import Any

from burrdesk.engine.actions import Action
from burrdesk.engine.graph import ApplicationGraph, Graph, GraphBuilder, GraphError
from burrdesk.engine.lifecycle import LifecycleAdapterSet
from burrdesk.engine.state import State

SEQUENCE_ID = "__SEQUENCE_ID"
PRIOR_STEP = "__PRIOR_STEP"
CONTEXT_INPUT = "__context"
_UNSET = object()


@dataclasses.dataclass
class ApplicationContext:
    """What an action can ask for by declaring a `__context` parameter."""

    app_id: str
    partition_key: str | None
    sequence_id: int | None
    action_name: str | None = None
    tracker: Any = None
    state_persister: Any = None
    state_initializer: Any = None


@dataclasses.dataclass(frozen=True)
class ParentPointer:
    """Where a forked application came from."""

    app_id: str
    partition_key: str | None
    sequence_id: int | None


class _PreparedAction:
    """Per-action facts the step loop needs, computed once at build time."""

    __slots__ = ("action", "name", "required", "accepted", "wants_context", "writes", "single")

    def __init__(self, action: Action):
        self.action = action
        self.name = action.name
        required, optional = action.optional_and_required_inputs
        self.wants_context = CONTEXT_INPUT in required or CONTEXT_INPUT in optional
        self.required = frozenset(required - {CONTEXT_INPUT})
        self.accepted = frozenset((required | optional) - {CONTEXT_INPUT})
        self.writes = tuple(action.writes)
        self.single = action.single_step


class Application:
    """A built state machine. Make one with `ApplicationBuilder`."""

    def __init__(
        self,
        *,
        graph: Graph,
        state: State,
        entrypoint: str,
        app_id: str,
        partition_key: str | None,
        adapter_set: LifecycleAdapterSet,
        builder: ApplicationBuilder | None = None,
        parent_pointer: ParentPointer | None = None,
        state_persister: Any = None,
        state_initializer: Any = None,
        tracker: Any = None,
    ):
        self._graph = graph
        self._state = state
        self._entrypoint = entrypoint
        self._app_id = app_id
        self._partition_key = partition_key
        self._adapters = adapter_set
        self._builder = builder
        self._parent_pointer = parent_pointer
        self._state_persister = state_persister
        self._state_initializer = state_initializer
        self._tracker = tracker
        self._prepared = {a.name: _PreparedAction(a) for a in graph.actions}
        self._next: Any = _UNSET

    # --- identity and inspection -------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def sequence_id(self) -> int | None:
        """The sequence id of the last step taken (None before the first)."""
        return self._state.get(SEQUENCE_ID)

    @property
    def uid(self) -> str:
        return self._app_id

    @property
    def app_id(self) -> str:
        return self._app_id

    @property
    def partition_key(self) -> str | None:
        return self._partition_key

    @property
    def graph(self) -> ApplicationGraph:
        return ApplicationGraph(
            actions=list(self._graph.actions),
            transitions=list(self._graph.transitions),
            entrypoint=self._graph.get_action(self._entrypoint),
        )

    @property
    def builder(self) -> ApplicationBuilder | None:
        return self._builder

    @property
    def parent_pointer(self) -> ParentPointer | None:
        return self._parent_pointer

    @property
    def context(self) -> ApplicationContext:
        return self._context_for(None)

    def get_next_action(self) -> Action | None:
        """The action the next `step` will run, or None when no transition applies."""
        if self._next is _UNSET:
            prior = self._state.get(PRIOR_STEP)
            self._next = self._graph.next_action(prior, self._state, self._entrypoint)
        return self._next

    def has_next_action(self) -> bool:
        return self.get_next_action() is not None

    def update_state(self, new_state: State) -> None:
        """Replaces the state between steps (keeps the internal bookkeeping keys)."""
        private = {k: v for k, v in self._state._values.items() if k.startswith("__")}
        self._set_state(State._adopt({**new_state._values, **private}))

    def reset_to_entrypoint(self) -> None:
        """Makes the next step run the entrypoint again."""
        self._set_state(self._state.wipe(delete=[PRIOR_STEP]))

    def _set_state(self, state: State) -> None:
        self._state = state
        self._next = _UNSET

    def _context_for(self, action_name: str | None) -> ApplicationContext:
        return ApplicationContext(
            app_id=self._app_id,
            partition_key=self._partition_key,
            sequence_id=self.sequence_id,
            action_name=action_name,
            tracker=self._tracker,
            state_persister=self._state_persister,
            state_initializer=self._state_initializer,
        )

    # --- stepping ---------------------------------------------------------------------------

    def _bump_sequence_id(self) -> None:
        current = self._state._values.get(SEQUENCE_ID)
        values = dict(self._state._values)
        values[SEQUENCE_ID] = 0 if current is None else current + 1
        self._state = State._adopt(values)

    def _process_inputs(self, inputs: dict[str, Any] | None, prepared: _PreparedAction) -> dict:
        if inputs:
            reserved = [key for key in inputs if key.startswith("__")]
            if reserved:
                raise ValueError(
                    f"Inputs {sorted(reserved)} start with a double underscore; such names are "
                    "reserved for values the engine injects (like __context)."
                )
            processed = {k: v for k, v in inputs.items() if k in prepared.accepted}
        else:
            processed = {}
        if prepared.required:
            missing = prepared.required - processed.keys()
            if missing:
                names = ", ".join(repr(m) for m in sorted(missing))
                raise ValueError(
                    f"Action {prepared.name!r} is missing required input{'s' if len(missing) > 1 else ''} "
                    f"{names}: pass {'them' if len(missing) > 1 else 'it'} as "
                    f"inputs={{{', '.join(f'{m!r}: ...' for m in sorted(missing))}}} "
                    "to step/run/iterate, or bind it with .bind()."
                )
        if prepared.wants_context:
            processed[CONTEXT_INPUT] = self._context_for(prepared.name)
        return processed

    def _hook_kwargs(self) -> dict[str, Any]:
        return {"app_id": self._app_id, "partition_key": self._partition_key}

    def step(self, inputs: dict[str, Any] | None = None) -> tuple[Action, dict, State] | None:
        """Runs the next action; returns (action, result, new state), or None if there is none."""
        self._bump_sequence_id()
        action = self.get_next_action()
        if action is None:
            return None
        prepared = self._prepared[action.name]
        if action.is_async():
            raise ValueError(
                f"Action {action.name!r} is async and cannot run in a synchronous step: use "
                "astep(), arun() or aiterate() instead."
            )
        action_inputs = self._process_inputs(inputs, prepared)
        before = self._state
        adapters = self._adapters
        if adapters.pre_sync:
            adapters.call_pre_run_step(
                action=action,
                state=before,
                inputs=action_inputs,
                sequence_id=before._values[SEQUENCE_ID],
                **self._hook_kwargs(),
            )
        result = None
        new_state = before
        error: Exception | None = None
        try:
            if prepared.single:
                output = action.run_and_update(before, **action_inputs)
                result, new_state = _apply_single_step_output(prepared, before, output)
            else:
                result = _run_function(action, before, action_inputs)
                new_state = _run_reducer(prepared, before, result)
            self._set_state(new_state)
        except BaseException as exc:  # Ctrl-C too: hooks must not see it as a completed step
            error = exc  # type: ignore[assignment]
            raise
        finally:
            if adapters.post_sync:
                adapters.call_post_run_step(
                    action=action,
                    state=new_state,
                    result=result,
                    sequence_id=before._values[SEQUENCE_ID],
                    exception=error,
                    **self._hook_kwargs(),
                )
        return action, result, new_state

    async def astep(
        self, inputs: dict[str, Any] | None = None
    ) -> tuple[Action, dict, State] | None:
        """Asynchronous `step`: awaits async actions and async hooks."""
        self._bump_sequence_id()
        action = self.get_next_action()
        if action is None:
            return None
        prepared = self._prepared[action.name]
        action_inputs = self._process_inputs(inputs, prepared)
        before = self._state
        sequence_id = before._values[SEQUENCE_ID]
        await self._adapters.acall_pre_run_step(
            action=action,
            state=before,
            inputs=action_inputs,
            sequence_id=sequence_id,
            **self._hook_kwargs(),
        )
        result = None
        new_state = before
        error: Exception | None = None
        try:
            if prepared.single:
                output = action.run_and_update(before, **action_inputs)
                if inspect.isawaitable(output):
                    output = await output
                result, new_state = _apply_single_step_output(prepared, before, output)
            else:
                result = action.run(before.subset(*action.reads), **action_inputs)
                if inspect.isawaitable(result):
                    result = await result
                _check_result(action, result)
                new_state = _run_reducer(prepared, before, result)
            self._set_state(new_state)
        except BaseException as exc:  # Ctrl-C too: hooks must not see it as a completed step
            error = exc  # type: ignore[assignment]
            raise
        finally:
            await self._adapters.acall_post_run_step(
                action=action,
                state=new_state,
                result=result,
                sequence_id=sequence_id,
                exception=error,
                **self._hook_kwargs(),
            )
        return action, result, new_state

    # --- running to a halt ----------------------------------------------------------------

    def _halt_sets(
        self, halt_before: list[str] | None, halt_after: list[str] | None
    ) -> tuple[frozenset[str], frozenset[str]]:
        return self._expand_halts(halt_before or [], "halt_before"), self._expand_halts(
            halt_after or [], "halt_after"
        )

    def _expand_halts(self, names: list[str], label: str) -> frozenset[str]:
        expanded: set[str] = set()
        for name in names:
            if name.startswith("@tag:"):
                expanded.update(
                    a.name for a in self._graph.get_actions_by_tag(name[len("@tag:") :])
                )
            elif self._graph.has_action(name):
                expanded.add(name)
            else:
                raise ValueError(
                    f"{label} names {name!r}, which is not an action of this application "
                    f"(actions are {sorted(self._prepared)})."
                )
        return frozenset(expanded)

    def _should_halt(
        self, halt_before: frozenset[str], halt_after: frozenset[str], prior: Action
    ) -> bool:
        upcoming = self.get_next_action()
        if upcoming is not None and upcoming.name in halt_before:
            return True
        return prior.name in halt_after

    def _final(
        self, halt_before: frozenset[str], prior: Action | None, result: dict | None
    ) -> tuple[Action | None, dict | None, State]:
        upcoming = self.get_next_action()
        if upcoming is not None and upcoming.name in halt_before:
            return upcoming, None, self._state
        return prior, result, self._state

    def iterate(
        self,
        *,
        halt_before: list[str] | None = None,
        halt_after: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Generator[tuple[Action, dict, State], None, tuple[Action | None, dict | None, State]]:
        """Steps until a halt condition or the end, yielding each step; returns the final triple.

        At least one step always runs before halt conditions are tested, as in Burr. When it
        halts before an action, the returned action is the one *not yet run* and the result None.
        """
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        prior: Action | None = None
        result: dict | None = None
        while self.has_next_action():
            prior, result, state = self.step(inputs=inputs)  # type: ignore[misc]
            yield prior, result, state
            if self._should_halt(before_set, after_set, prior):
                break
        return self._final(before_set, prior, result)

    def run(
        self,
        *,
        halt_before: list[str] | None = None,
        halt_after: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> tuple[Action | None, dict | None, State]:
        """Runs until a halt condition or until no transition applies."""
        generator = self.iterate(halt_before=halt_before, halt_after=halt_after, inputs=inputs)
        while True:
            try:
                next(generator)
            except StopIteration as stop:
                return stop.value

    async def aiterate(
        self,
        *,
        halt_before: list[str] | None = None,
        halt_after: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> AsyncGenerator[tuple[Action, dict, State], None]:
        """Asynchronous `iterate` (an async generator cannot return the final triple; see arun)."""
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        while self.has_next_action():
            prior, result, state = await self.astep(inputs=inputs)  # type: ignore[misc]
            yield prior, result, state
            if self._should_halt(before_set, after_set, prior):
                break

    async def arun(
        self,
        *,
        halt_before: list[str] | None = None,
        halt_after: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> tuple[Action | None, dict | None, State]:
        """Asynchronous `run`."""
        before_set, _ = self._halt_sets(halt_before, halt_after)
        prior: Action | None = None
        result: dict | None = None
        async for step_action, step_result, _state in self.aiterate(
            halt_before=halt_before, halt_after=halt_after, inputs=inputs
        ):
            prior, result = step_action, step_result
        return self._final(before_set, prior, result)


def _check_result(action: Action, result: Any) -> None:
    if not isinstance(result, dict):
        raise ValueError(
            f"Action {action.name!r} returned a {type(result).__name__} from run(); "
            "results must be dicts."
        )


def _run_function(action: Action, state: State, inputs: dict[str, Any]) -> dict:
    result = action.run(state.subset(*action.reads), **inputs)
    _check_result(action, result)
    return result


def _apply_single_step_output(
    prepared: _PreparedAction, before: State, output: Any
) -> tuple[dict, State]:
    if isinstance(output, State):
        result, returned = {}, output
    elif (
        isinstance(output, tuple)
        and len(output) == 2
        and isinstance(output[0], dict)
        and isinstance(output[1], State)
    ):
        result, returned = output
    else:
        raise ValueError(
            f"Action {prepared.name!r} must return the new State or a (result: dict, State) "
            f"tuple; it returned a {type(output).__name__}: {output!r:.200}."
        )
    return result, _merge_written(prepared, before, returned)


def _merge_written(prepared: _PreparedAction, before: State, returned: State) -> State:
    """The old state with the action's public changes applied; internal keys stay the engine's."""
    old = before._values
    new = returned._values
    merged = dict(old)
    for key, value in new.items():
        if not key.startswith("__"):
            merged[key] = value
    for key in old:
        if key not in new and not key.startswith("__"):
            del merged[key]
    for key in prepared.writes:
        if key not in merged:
            missing = [w for w in prepared.writes if w not in merged]
            raise ValueError(
                f"State is missing write keys after running: {prepared.name}. Action "
                f"{prepared.name!r} declares writes={list(prepared.writes)} but did not set "
                f"{missing}."
            )
    merged[PRIOR_STEP] = prepared.name
    return State._adopt(merged)


def _run_reducer(prepared: _PreparedAction, before: State, result: dict) -> State:
    returned = prepared.action.update(result, before)
    if not isinstance(returned, State):
        raise ValueError(
            f"Action {prepared.name!r}: update() must return a State, not {type(returned).__name__}."
        )
    undeclared = [
        k for k in returned._values if k not in before._values and k not in prepared.writes
    ]
    if undeclared:
        raise ValueError(
            f"Action {prepared.name!r} wrote keys {sorted(undeclared)} that it does not declare "
            f"in writes={list(prepared.writes)}."
        )
    return _merge_written(prepared, before, returned)


class ApplicationBuilder:
    """Assembles actions, transitions, state, identity, hooks and persistence into an Application."""

    def __init__(self) -> None:
        self._graph_builder: GraphBuilder | None = None
        self._prebuilt_graph: Graph | None = None
        self.state: State | None = None
        self.start: str | None = None
        self.app_id: str = str(uuid.uuid4())
        self.partition_key: str | None = None
        self.sequence_id: int | None = None
        self.lifecycle_adapters: list[Any] = []
        self.state_persister: Any = None
        self.state_initializer: Any = None
        self.resume_at_next_action = False
        self.default_state: dict[str, Any] = {}
        self.fork_from_app_id: str | None = None
        self.fork_from_partition_key: str | None = None
        self.fork_from_sequence_id: int | None = None
        self.override_state_values: dict[str, Any] = {}
        self.parent_pointer: ParentPointer | None = None
        self.tracker: Any = None

    def _graph(self) -> GraphBuilder:
        if self._prebuilt_graph is not None:
            raise GraphError(
                "This builder already has a graph from with_graph(); add actions there."
            )
        if self._graph_builder is None:
            self._graph_builder = GraphBuilder()
        return self._graph_builder

    def with_actions(self, *actions: Any, **named_actions: Any) -> ApplicationBuilder:
        self._graph().with_actions(*actions, **named_actions)
        return self

    def with_transitions(self, *transitions: Any) -> ApplicationBuilder:
        self._graph().with_transitions(*transitions)
        return self

    def with_graph(self, graph: Graph) -> ApplicationBuilder:
        if self._graph_builder is not None:
            raise GraphError("with_graph() cannot be combined with with_actions/with_transitions.")
        self._prebuilt_graph = graph
        return self

    def with_state(self, state: State | None = None, **kwargs: Any) -> ApplicationBuilder:
        if self.state_initializer is not None:
            raise ValueError(
                "with_state() cannot be combined with initialize_from(); use default_state=."
            )
        current = self.state or State()
        if state is not None:
            if not isinstance(state, State):
                raise ValueError(
                    f"with_state() takes a State or keyword values, not {type(state).__name__}."
                )
            current = current.merge(state)
        self.state = current.update(**kwargs) if kwargs else current
        return self

    def with_entrypoint(self, action: str) -> ApplicationBuilder:
        if self.state_initializer is not None:
            raise ValueError(
                "with_entrypoint() cannot be combined with initialize_from(); use default_entrypoint=."
            )
        self.start = action
        return self

    def with_identifiers(
        self,
        app_id: str | None = None,
        partition_key: str | None = None,
        sequence_id: int | None = None,
    ) -> ApplicationBuilder:
        if app_id is not None:
            self.app_id = app_id
        if partition_key is not None:
            self.partition_key = partition_key
        if sequence_id is not None:
            self.sequence_id = sequence_id
        return self

    def with_hooks(self, *adapters: Any) -> ApplicationBuilder:
        self.lifecycle_adapters.extend(adapters)
        return self

    def with_tracker(
        self,
        tracker: Any = "sqlite",
        project: str = "default",
        params: dict[str, Any] | None = None,
    ) -> ApplicationBuilder:
        """Records every step in a run database (as Burr's `with_tracker`).

        `tracker` is "sqlite" (or Burr's "local") with `params={"db_path": ...}` (the default
        database when omitted), or a tracker object such as `RunDatabaseTracker`.
        """
        if isinstance(tracker, str):
            if tracker not in ("sqlite", "local"):
                raise ValueError(f"Unknown tracker {tracker!r}: use 'sqlite' or a tracker object.")
            from burrdesk.engine.tracking import RunDatabaseTracker

            options = dict(params or {})
            tracker = RunDatabaseTracker(options.pop("db_path", None), project=project, **options)
        self.tracker = tracker
        self.lifecycle_adapters.append(tracker)
        return self

    def with_state_persister(self, persister: Any, on_every: str = "step") -> ApplicationBuilder:
        """Saves the state after every step (as Burr's `with_state_persister`)."""
        from burrdesk.engine.persistence import BaseStateSaver, PersisterHook

        if on_every != "step":
            raise ValueError(f"on_every={on_every!r} is not supported; only 'step' is.")
        if isinstance(persister, BaseStateSaver):
            self.lifecycle_adapters.append(PersisterHook(persister))
        else:
            self.lifecycle_adapters.append(persister)
        self.state_persister = persister
        return self

    def initialize_from(
        self,
        initializer: Any,
        resume_at_next_action: bool,
        default_state: dict[str, Any],
        default_entrypoint: str,
        fork_from_app_id: str | None = None,
        fork_from_partition_key: str | None = None,
        fork_from_sequence_id: int | None = None,
        override_state_values: dict[str, Any] | None = None,
    ) -> ApplicationBuilder:
        """Loads the starting state from a persister (resume), or from another app's (fork)."""
        if self.start is not None or self.state is not None:
            raise ValueError(
                "initialize_from() cannot be combined with with_state()/with_entrypoint(): "
                "pass default_state= and default_entrypoint= instead."
            )
        if fork_from_app_id is None and (
            fork_from_partition_key is not None or fork_from_sequence_id is not None
        ):
            raise ValueError(
                "fork_from_partition_key and fork_from_sequence_id need fork_from_app_id: "
                "say which application to fork from."
            )
        self.state_initializer = initializer
        self.resume_at_next_action = resume_at_next_action
        self.default_state = dict(default_state)
        self.start = default_entrypoint
        self.fork_from_app_id = fork_from_app_id
        self.fork_from_partition_key = fork_from_partition_key
        self.fork_from_sequence_id = fork_from_sequence_id
        self.override_state_values = dict(override_state_values or {})
        return self

    def _load_initial_state(self) -> State:
        initializer = self.state_initializer
        if self.fork_from_app_id is not None:
            if self.fork_from_app_id == self.app_id:
                raise ValueError(
                    f"Cannot fork application {self.app_id!r} into itself: give the fork a new "
                    "app_id (or leave it unset for a fresh one)."
                )
            key = (self.fork_from_partition_key, self.fork_from_app_id, self.fork_from_sequence_id)
        else:
            key = (self.partition_key, self.app_id, self.sequence_id)
        loaded = initializer.load(*key)
        if loaded is None:
            self.sequence_id = None
            return State(self.default_state)
        if loaded["state"] is None:
            raise ValueError(
                f"{type(initializer).__name__}.load returned a record without state for {key}; "
                "return None when nothing is stored."
            )
        if self.fork_from_app_id is not None:
            self.parent_pointer = ParentPointer(
                app_id=self.fork_from_app_id,
                partition_key=self.fork_from_partition_key,
                sequence_id=loaded["sequence_id"],
            )
        state: State = loaded["state"]
        if self.override_state_values:
            state = state.update(**self.override_state_values)
        self.sequence_id = loaded["sequence_id"]
        if self.resume_at_next_action:
            if loaded["status"] == "completed":
                state = state.update(**{PRIOR_STEP: loaded["position"]})
            else:
                self.start = loaded["position"]
                state = state.wipe(delete=[PRIOR_STEP])
        return state

    def _check_persister_initialized(self) -> None:
        """Checked at build time, as Burr does, so initialize() may come after the builder call."""
        persister = self.state_persister
        if persister is None or not hasattr(persister, "is_initialized"):
            return
        try:
            ready = persister.is_initialized()
        except NotImplementedError:
            return
        if not ready:
            raise RuntimeError(
                f"The persister {type(persister).__name__} is not initialized: call its "
                "initialize() method before build() (it creates the table)."
            )

    def build(self) -> Application:
        if self._prebuilt_graph is not None:
            graph = self._prebuilt_graph
        elif self._graph_builder is not None:
            graph = self._graph_builder.build()
        else:
            raise GraphError("An application needs actions: call with_actions(...) before build().")
        if not isinstance(self.app_id, str) or not self.app_id:
            raise ValueError(f"app_id must be a non-empty string, not {self.app_id!r}.")
        state = (
            self._load_initial_state()
            if self.state_initializer is not None
            else (self.state or State())
        )
        if self.start is None:
            raise GraphError(
                "The application has no entrypoint: call with_entrypoint('<action name>')."
            )
        if not graph.has_action(self.start):
            raise GraphError(
                f"The entrypoint {self.start!r} is not an action "
                f"(actions are {sorted(a.name for a in graph.actions)})."
            )
        if self.sequence_id is not None:
            state = state.update(**{SEQUENCE_ID: self.sequence_id})
        self._check_persister_initialized()
        adapter_set = LifecycleAdapterSet(*self.lifecycle_adapters)
        app = Application(
            graph=graph,
            state=state,
            entrypoint=self.start,
            app_id=self.app_id,
            partition_key=self.partition_key,
            adapter_set=adapter_set,
            builder=self,
            parent_pointer=self.parent_pointer,
            state_persister=self.state_persister,
            state_initializer=self.state_initializer,
            tracker=self.tracker,
        )
        adapter_set.call_post_application_create(
            state=app.state,
            application_graph=app.graph,
            app_id=app.app_id,
            partition_key=app.partition_key,
            parent_pointer=self.parent_pointer,
            spawning_parent_pointer=None,
        )
        return app
