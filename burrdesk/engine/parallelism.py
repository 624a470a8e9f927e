"""Parallel sub-applications inside one step: `MapStates`, `MapActions`, `MapActionsAndStates`,
`TaskBasedParallelAction` (Burr's `burr.core.parallelism`).

Such an action turns the state into tasks (a graph, its state and inputs, an app id), runs
each task as an application of its own (on the application's executor, a thread pool unless
`with_parallel_executor` says otherwise, or with `asyncio.gather` when it is async), and
reduces the tasks' final states into its own new state. Every sub-application is built
`with_spawning_parent(...)` the step that started it and, by default, inherits ("cascades")
the parent's tracker and persister, so the run database records it as a child run of that step.
Child app ids are derived from the parent's app id and the task's position, so they are the
same when the parent is re-run.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import hashlib
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Generator, Iterable
from typing import Any, Literal, Union

from burrdesk.engine.actions import Action, SingleStepAction
from burrdesk.engine.application import ApplicationBuilder, ApplicationContext
from burrdesk.engine.graph import Graph, GraphBuilder
from burrdesk.engine.state import State

logger = logging.getLogger(__name__)

SubgraphType = Union[Action, Callable, "RunnableGraph"]
"""What a parallel action maps: an action, an `@action` function, or a `RunnableGraph`."""

CASCADE = "cascade"
Cascadable = Literal["cascade"] | Any | None
"""'cascade' (take the parent's), None (none), or an object to use."""


async def arealize(items: Iterable[Any] | AsyncIterable[Any]) -> list[Any]:
    """A list of the items of a sync or async iterable."""
    if hasattr(items, "__aiter__"):
        return [item async for item in items]  # type: ignore[union-attr]
    return list(items)  # type: ignore[arg-type]


@dataclasses.dataclass
class RunnableGraph:
    """A graph with where to start and where to stop: what a task runs."""

    graph: Graph
    entrypoint: str
    halt_after: list[str]

    @staticmethod
    def create(from_: SubgraphType) -> RunnableGraph:
        """A one-action graph for an action or `@action` function (a graph stays itself)."""
        if isinstance(from_, RunnableGraph):
            return from_
        if isinstance(from_, Action) and from_.name is None:
            raise ValueError(
                f"The action {from_!r} mapped by a parallel action has no name: give it one "
                "with .with_name('...')."
            )
        graph = GraphBuilder().with_actions(from_).build()
        (only,) = graph.actions
        return RunnableGraph(graph=graph, entrypoint=only.name, halt_after=[only.name])


@dataclasses.dataclass
class SubGraphTask:
    """One sub-application to run: its graph, state, inputs, app id and adapters."""

    graph: RunnableGraph
    inputs: dict[str, Any]
    state: State
    application_id: str
    tracker: Any = None
    state_persister: Any = None
    state_initializer: Any = None

    def _create_app_builder(self, parent_context: ApplicationContext) -> ApplicationBuilder:
        builder = (
            ApplicationBuilder()
            .with_graph(self.graph.graph)
            .with_spawning_parent(
                app_id=parent_context.app_id,
                sequence_id=parent_context.sequence_id,
                partition_key=parent_context.partition_key,
            )
            .with_identifiers(
                app_id=self.application_id, partition_key=parent_context.partition_key
            )
        )
        if self.tracker is not None:
            builder = builder.with_tracker(self.tracker)
        if self.state_persister is not None:
            builder = builder.with_state_persister(self.state_persister)
        if self.state_initializer is not None:
            return builder.initialize_from(
                self.state_initializer,
                resume_at_next_action=True,
                default_state=self.state.get_all(),
                default_entrypoint=self.graph.entrypoint,
            )
        return builder.with_entrypoint(self.graph.entrypoint).with_state(self.state)

    def _inputs(self) -> dict[str, Any]:
        return {key: value for key, value in self.inputs.items() if not key.startswith("__")}

    def run(self, parent_context: ApplicationContext) -> State:
        """Builds and runs the sub-application; its final state."""
        app = self._create_app_builder(parent_context).build()
        _, _, state = app.run(halt_after=self.graph.halt_after, inputs=self._inputs())
        return state

    async def arun(self, parent_context: ApplicationContext) -> State:
        builder = self._create_app_builder(parent_context)
        synchronous = any(
            adapter is not None and not adapter.is_async()
            for adapter in (self.state_initializer, self.state_persister)
            if hasattr(adapter, "is_async")
        )
        app = builder.build() if synchronous else await builder.abuild()
        _, _, state = await app.arun(halt_after=self.graph.halt_after, inputs=self._inputs())
        return state


def _stable_app_id_hash(app_id: str, child_key: str) -> str:
    """The same child app id for the same parent and task position, run after run."""
    return hashlib.sha256(f"{app_id}:{child_key}".encode()).hexdigest()


class TaskBasedParallelAction(SingleStepAction):
    """Runs the tasks `tasks()` yields in parallel, then `reduce()`s their final states.

    Override `is_async` to return True when `tasks`/`reduce` are async (then the tasks run
    with `asyncio.gather` and `reduce` receives an async generator).
    """

    def __init__(self) -> None:
        super().__init__()

    @staticmethod
    def _context(run_kwargs: dict[str, Any]) -> ApplicationContext:
        context = run_kwargs.get("__context")
        if context is None:
            raise ValueError("A parallel action needs the application context to run.")
        return context

    def run_and_update(self, state: State, **run_kwargs: Any) -> Any:
        public = state.wipe(delete=[key for key in state if key.startswith("__")])
        if self.is_async():
            return self._arun_and_update(public, run_kwargs)
        context = self._context(run_kwargs)
        tasks = self.tasks(public, context, run_kwargs)
        with context.parallel_executor_factory() as executor:
            finished = list(executor.map(lambda task: task.run(context), tasks))
        return {}, self.reduce(public, iter(finished))

    async def _arun_and_update(self, state: State, run_kwargs: dict[str, Any]) -> Any:
        context = self._context(run_kwargs)
        tasks = await arealize(self.tasks(state, context, run_kwargs))

        async def finished() -> AsyncGenerator[State, None]:
            for result in await asyncio.gather(*(task.arun(context) for task in tasks)):
                yield result

        return {}, await self.reduce(state, finished())

    def is_async(self) -> bool:
        return False

    @property
    def inputs(self) -> list[str] | tuple[list[str], list[str]]:
        return ["__context"]

    @abc.abstractmethod
    def tasks(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[SubGraphTask] | AsyncIterable[SubGraphTask]:
        """The sub-applications to run for this state."""

    @abc.abstractmethod
    def reduce(self, state: State, states: Any) -> State:
        """This action's new state from the tasks' final states."""

    @property
    @abc.abstractmethod
    def writes(self) -> list[str]: ...

    @property
    @abc.abstractmethod
    def reads(self) -> list[str]: ...


def _cascade(behavior: Cascadable, inherited: Any) -> Any:
    """The adapter a sub-application uses: none, the parent's (a copy when it can copy
    itself), or the one given."""
    if behavior is None:
        return None
    if isinstance(behavior, str) and behavior == CASCADE:
        if hasattr(inherited, "copy"):
            return inherited.copy()
        return inherited
    return behavior


class MapActionsAndStates(TaskBasedParallelAction):
    """Every action of `actions()` over every state of `states()` (a cartesian product)."""

    @abc.abstractmethod
    def actions(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[SubgraphType] | AsyncIterable[SubgraphType]: ...

    @abc.abstractmethod
    def states(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[State] | AsyncIterable[State]: ...

    def _task(
        self, key: str, graph: RunnableGraph, substate: State, context: ApplicationContext,
        inputs: dict[str, Any],
    ) -> SubGraphTask:  # fmt: skip
        initializer_behavior = self.state_initializer()
        persister_behavior = self.state_persister()
        initializer = _cascade(initializer_behavior, context.state_initializer)
        if (
            initializer_behavior == CASCADE
            and persister_behavior == CASCADE
            and context.state_persister is context.state_initializer
        ):
            persister = initializer  # one object both loads and saves: keep it one copy
        else:
            persister = _cascade(persister_behavior, context.state_persister)
        return SubGraphTask(
            graph=graph,
            inputs=inputs,
            state=substate,
            application_id=_stable_app_id_hash(context.app_id, key),
            tracker=_cascade(self.tracker(), context.tracker),
            state_persister=persister,
            state_initializer=initializer,
        )

    def tasks(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[SubGraphTask] | AsyncIterable[SubGraphTask]:
        if self.is_async():
            return self._async_tasks(state, context, inputs)
        return self._sync_tasks(state, context, inputs)

    def _sync_tasks(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Generator[SubGraphTask, None, None]:
        graphs = [RunnableGraph.create(a) for a in self.actions(state, context, inputs)]  # type: ignore[union-attr]
        states = list(self.states(state, context, inputs))  # type: ignore[arg-type]
        for i, graph in enumerate(graphs):  # one graph per action, shared by its tasks
            for j, substate in enumerate(states):
                yield self._task(f"{i}-{j}", graph, substate, context, inputs)

    async def _async_tasks(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> AsyncGenerator[SubGraphTask, None]:
        graphs = [
            RunnableGraph.create(a) for a in await arealize(self.actions(state, context, inputs))
        ]
        states = await arealize(self.states(state, context, inputs))
        for i, graph in enumerate(graphs):
            for j, substate in enumerate(states):
                yield self._task(f"{i}-{j}", graph, substate, context, inputs)

    @abc.abstractmethod
    def reduce(self, state: State, states: Any) -> State: ...

    def state_persister(self, **kwargs: Any) -> Cascadable:
        """The sub-applications' persister: "cascade" (the parent's), None, or an object."""
        return CASCADE

    def state_initializer(self, **kwargs: Any) -> Cascadable:
        """The sub-applications' state loader: "cascade" (the parent's), None, or an object."""
        return CASCADE

    def tracker(self, **kwargs: Any) -> Cascadable:
        """The sub-applications' tracker: "cascade" (the parent's), None, or an object."""
        return CASCADE


class MapActions(MapActionsAndStates, abc.ABC):
    """Several actions (or graphs) over one state (`state()`, by default the step's state)."""

    @abc.abstractmethod
    def actions(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[SubgraphType] | AsyncIterable[SubgraphType]: ...

    def state(self, state: State, inputs: dict[str, Any]) -> State:
        return state

    def states(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Generator[State, None, None]:
        yield self.state(state, inputs)

    @abc.abstractmethod
    def reduce(self, state: State, states: Any) -> State: ...


class MapStates(MapActionsAndStates, abc.ABC):
    """One action (or graph), `action()`, over several states, `states()`."""

    @abc.abstractmethod
    def states(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[State] | AsyncIterable[State]: ...

    @abc.abstractmethod
    def action(self, state: State, inputs: dict[str, Any]) -> SubgraphType: ...

    def actions(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Generator[SubgraphType, None, None]:
        yield self.action(state, inputs)

    @abc.abstractmethod
    def reduce(self, state: State, states: Any) -> State: ...


class PassThroughMapActionsAndStates(MapActionsAndStates):
    """A `MapActionsAndStates` from plain functions (what `map_reduce_action` builds)."""

    def __init__(
        self,
        action: SubgraphType | list[SubgraphType] | Callable[..., Any],
        state: Callable[[State, ApplicationContext, dict[str, Any]], Any],
        reducer: Callable[[State, Any], State],
        reads: list[str],
        writes: list[str],
        inputs: list[str],
    ):
        super().__init__()
        self._action = action
        self._state = state
        self._reducer = reducer
        self._reads = list(reads)
        self._writes = list(writes)
        self._declared_inputs = list(inputs)  # kept as Burr keeps it; inputs come via __context

    def actions(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[SubgraphType] | AsyncIterable[SubgraphType]:
        mapped = self._action
        if isinstance(mapped, list):
            return list(mapped)
        if isinstance(mapped, (Action, RunnableGraph)) or hasattr(mapped, "action_function"):
            return [mapped]
        return _items(mapped(state, context, inputs))

    def states(
        self, state: State, context: ApplicationContext, inputs: dict[str, Any]
    ) -> Iterable[State] | AsyncIterable[State]:
        return _items(self._state(state, context, inputs))

    def reduce(self, state: State, states: Any) -> State:
        return self._reducer(state, states)

    @property
    def writes(self) -> list[str]:
        return self._writes

    @property
    def reads(self) -> list[str]:
        return self._reads


def _items(produced: Any) -> Iterable[Any] | AsyncIterable[Any]:
    """A generator's, a list's or a single item's items, sync or async."""
    if inspect.isasyncgen(produced) or isinstance(produced, AsyncIterable):
        return produced
    if isinstance(produced, (State, Action, RunnableGraph)):
        return [produced]
    return list(produced)


def map_reduce_action(
    action: SubgraphType | list[SubgraphType] | Callable[..., Any],
    state: Callable[[State, ApplicationContext, dict[str, Any]], Any],
    reducer: Callable[[State, Any], State],
    reads: list[str],
    writes: list[str],
    inputs: list[str],
) -> PassThroughMapActionsAndStates:
    """A parallel map-reduce action from functions (experimental in Burr, too)."""
    return PassThroughMapActionsAndStates(
        action=action, state=state, reducer=reducer, reads=reads, writes=writes, inputs=inputs
    )
