"""The running application: steps through the graph, one action at a time, or streams one.

Semantics follow Apache Burr's `Application` so Burr code runs unchanged: sequence ids count
from 0 and are bumped before each step, the first step runs the entrypoint, later steps follow
the first transition whose condition holds, `iterate` always runs one step before testing halt
conditions, and `stream_result` runs up to a streaming action and hands its partial results
out as they come. Hooks are called in Burr's order. The step path is kept short (no per-step
logging, validation sets prepared at build time, the next action computed once per state,
tracing and call hooks skipped when nothing listens) because it is the engine's hot loop.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from concurrent.futures import Executor
from typing import Any

from burrdesk.engine.actions import Action
from burrdesk.engine.application_context import (
    ApplicationContext,
    ApplicationIdentifiers,
    ParentPointer,
    application_context_var,
    create_default_executor,
)
from burrdesk.engine.execute_call import ExecuteCall
from burrdesk.engine.graph import ApplicationGraph, Graph, GraphBuilder, GraphError
from burrdesk.engine.lifecycle import ExecuteMethod, LifecycleAdapterSet
from burrdesk.engine.persistence import (
    AsyncBaseStateSaver,
    BaseStateSaver,
    PersisterHook,
    PersisterHookAsync,
)
from burrdesk.engine.state import State
from burrdesk.engine.step_results import (
    CONTEXT_INPUT,
    PRIOR_STEP,
    SEQUENCE_ID,
    TRACER_INPUT,
    PreparedAction,
    check_result,
    run_function,
    run_reducer,
    single_step_output,
)
from burrdesk.engine.stream_runner import StreamRunner
from burrdesk.engine.streaming_actions import (
    AsyncStreamingResultContainer,
    StreamingResultContainer,
)
from burrdesk.engine.typing import TypingSystem
from burrdesk.engine.visibility.tracing import TracerFactory, tracer_factory_context_var

logger = logging.getLogger(__name__)

__all__ = [
    "PRIOR_STEP",
    "SEQUENCE_ID",
    "Application",
    "ApplicationBuilder",
    "ApplicationContext",
    "ApplicationGraph",
    "ApplicationIdentifiers",
    "ExecuteMethod",
    "ParentPointer",
]

_UNSET = object()
_SPAN_HOOKS = ("pre_start_span", "post_end_span", "do_log_attributes")
_CALL_HOOKS = ("pre_run_execute_call", "post_run_execute_call")


def _halts(names: str | list[str] | None) -> list[str]:
    if names is None:
        return []
    return [names] if isinstance(names, str) else list(names)


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
        spawning_parent_pointer: ParentPointer | None = None,
        state_persister: Any = None,
        state_initializer: Any = None,
        tracker: Any = None,
        parallel_executor_factory: Callable[[], Executor] | None = None,
    ):
        self._graph = graph
        self._state = state
        self._entrypoint = entrypoint
        self._app_id = app_id
        self._partition_key = partition_key
        self._adapters = adapter_set
        self._builder = builder
        self._parent_pointer = parent_pointer
        self._spawning_parent_pointer = spawning_parent_pointer
        self._state_persister = state_persister
        self._state_initializer = state_initializer
        self._tracker = tracker
        self._executor_factory = parallel_executor_factory or create_default_executor
        self._prepared = {a.name: PreparedAction(a) for a in graph.actions}
        self._next: Any = _UNSET
        self._public_graph = ApplicationGraph(
            actions=list(graph.actions),
            transitions=list(graph.transitions),
            entrypoint=graph.get_action(entrypoint),
        )
        self._traces = any(
            adapter_set.does_hook(name, is_async=is_async)
            for name in _SPAN_HOOKS
            for is_async in (False, True)
        )
        self._call_hooks = any(
            adapter_set.does_hook(name, is_async=is_async)
            for name in _CALL_HOOKS
            for is_async in (False, True)
        )

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
    def entrypoint(self) -> str:
        return self._entrypoint

    @property
    def graph(self) -> ApplicationGraph:
        return self._public_graph

    @property
    def builder(self) -> ApplicationBuilder | None:
        return self._builder

    @property
    def parent_pointer(self) -> ParentPointer | None:
        """The run this application was forked from (None when it was not)."""
        return self._parent_pointer

    @property
    def spawning_parent_pointer(self) -> ParentPointer | None:
        """The run and step that started this application (None when none did)."""
        return self._spawning_parent_pointer

    @property
    def context(self) -> ApplicationContext:
        upcoming = self.get_next_action()
        return self._context_for(upcoming.name if upcoming is not None else None)

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
        typing_system = new_state._typing if new_state._typing is not None else self._state._typing
        self._set_state(State._adopt({**new_state._values, **private}, typing_system))

    def reset_to_entrypoint(self) -> None:
        """Makes the next step run the entrypoint again."""
        self._set_state(self._state.wipe(delete=[PRIOR_STEP]))

    def visualize(self, output_file_path: str | None = None, **kwargs: Any) -> Any:
        """Draws the graph with the `graphviz` package (as Burr does; it is not a dependency:
        `pip install graphviz`, or `burrdesk export flow.burrflow -o flow.dot` without it)."""
        try:
            import graphviz
        except ImportError:
            raise ImportError(
                "Application.visualize() draws with the graphviz package, which is not "
                "installed: pip install graphviz (it also needs Graphviz's dot program)."
            ) from None
        dot = graphviz.Digraph(name=self._app_id)
        for node in self._graph.actions:
            dot.node(node.name)
        for transition in self._graph.transitions:
            label = "" if transition.condition.name == "default" else transition.condition.name
            dot.edge(transition.from_.name, transition.to.name, label=label)
        if output_file_path:
            dot.render(output_file_path, format=kwargs.get("format", "png"))
        return dot

    def _set_state(self, state: State) -> None:
        self._state = state
        self._next = _UNSET

    def _context_for(self, action_name: str | None) -> ApplicationContext:
        return ApplicationContext(
            app_id=self._app_id,
            partition_key=self._partition_key,
            sequence_id=self.sequence_id,
            tracker=self._tracker,
            parallel_executor_factory=self._executor_factory,
            state_initializer=self._state_initializer,
            state_persister=self._state_persister,
            action_name=action_name,
        )

    def _call_arguments(self) -> dict[str, Any]:
        return {"app_id": self._app_id, "partition_key": self._partition_key, "state": self._state}

    def _hook_kwargs(self) -> dict[str, Any]:
        return {"app_id": self._app_id, "partition_key": self._partition_key}

    def validate_correct_async_use(self) -> None:
        """Raises for an `abuild()` application run synchronously; warns about async hooks a
        synchronous call will not await."""
        if self._builder is not None and self._builder.is_async:
            raise ValueError(
                "This application was built with abuild(), which loads and saves "
                "asynchronously: run it with astep(), arun(), aiterate() or astream_result()."
            )
        if self._adapters.async_hooks:
            logger.warning(
                "The application has asynchronous hooks %s that a synchronous call ignores; "
                "use the async methods to have them awaited.",
                sorted(self._adapters.async_hooks),
            )

    # --- stepping ---------------------------------------------------------------------------

    def _bump_sequence_id(self) -> None:
        current = self._state._values.get(SEQUENCE_ID)
        values = dict(self._state._values)
        values[SEQUENCE_ID] = 0 if current is None else current + 1
        self._state = State._adopt(values, self._state._typing)

    def _process_inputs(self, inputs: dict[str, Any] | None, prepared: PreparedAction) -> dict:
        if inputs:
            reserved = [key for key in inputs if key.startswith("__")]
            if reserved:
                raise ValueError(
                    f"Inputs {sorted(reserved)} start with a double underscore; such names are "
                    "reserved for values the engine injects (like __context and __tracer)."
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
        if prepared.wants_tracer:
            processed[TRACER_INPUT] = self._tracer_for(prepared.name)
        return processed

    def _tracer_for(self, action_name: str) -> TracerFactory:
        return TracerFactory(
            action=action_name,
            sequence_id=self.sequence_id,  # type: ignore[arg-type]
            app_id=self._app_id,
            partition_key=self._partition_key,
            lifecycle_adapters=self._adapters,
        )

    def _enter_step(self, prepared: PreparedAction, inputs: dict[str, Any]) -> list[Any]:
        """Publishes the step's context (and tracer, for `@trace`) to the code it runs."""
        tokens: list[Any] = [
            application_context_var.set(functools.partial(self._context_for, prepared.name))
        ]
        if self._traces:
            tracer = inputs.get(TRACER_INPUT) or self._tracer_for(prepared.name)
            tokens.append(tracer_factory_context_var.set(tracer))
        return tokens

    @staticmethod
    def _leave_step(tokens: list[Any]) -> None:
        variables = (application_context_var, tracer_factory_context_var)
        for variable, token in zip(variables, tokens, strict=False):
            try:
                variable.reset(token)
            except ValueError:  # reset in another context (an async stream finished elsewhere)
                variable.set(None)

    @ExecuteCall(ExecuteMethod.step)
    def step(self, inputs: dict[str, Any] | None = None) -> tuple[Action, dict, State] | None:
        """Runs the next action; returns (action, result, new state), or None if there is none."""
        if self._builder is not None and self._builder.is_async:
            self.validate_correct_async_use()
        self._bump_sequence_id()
        return self._step(inputs, run_hooks=True)

    def _step(
        self, inputs: dict[str, Any] | None, *, run_hooks: bool
    ) -> tuple[Action, dict, State] | None:
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
        sequence_id = before._values[SEQUENCE_ID]
        if run_hooks and adapters.pre_sync:
            adapters.call(
                "pre_run_step",
                action=action,
                state=before,
                inputs=action_inputs,
                sequence_id=sequence_id,
                **self._hook_kwargs(),
            )
        result = None
        new_state = before
        error: BaseException | None = None
        tokens = self._enter_step(prepared, action_inputs)
        try:
            if prepared.single:
                output = action.run_and_update(before, **action_inputs)
                result, new_state = single_step_output(prepared, before, output)
            else:
                result = run_function(prepared, before, action_inputs)
                new_state = run_reducer(prepared, before, result)
            self._set_state(new_state)
        except BaseException as exc:  # Ctrl-C too: hooks must not see it as a completed step
            error = exc
            raise
        finally:
            self._leave_step(tokens)
            if run_hooks and adapters.post_sync:
                adapters.call(
                    "post_run_step",
                    action=action,
                    state=new_state,
                    result=result,
                    sequence_id=sequence_id,
                    exception=error,
                    **self._hook_kwargs(),
                )
        return action, result, new_state

    @ExecuteCall(ExecuteMethod.astep)
    async def astep(
        self, inputs: dict[str, Any] | None = None
    ) -> tuple[Action, dict, State] | None:
        """Asynchronous `step`: awaits async actions and async hooks."""
        self._bump_sequence_id()
        return await self._astep(inputs, run_hooks=True)

    async def _astep(
        self, inputs: dict[str, Any] | None, *, run_hooks: bool
    ) -> tuple[Action, dict, State] | None:
        action = self.get_next_action()
        if action is None:
            return None
        prepared = self._prepared[action.name]
        action_inputs = self._process_inputs(inputs, prepared)
        before = self._state
        sequence_id = before._values[SEQUENCE_ID]
        if run_hooks:
            await self._adapters.acall(
                "pre_run_step",
                action=action,
                state=before,
                inputs=action_inputs,
                sequence_id=sequence_id,
                **self._hook_kwargs(),
            )
        result = None
        new_state = before
        error: BaseException | None = None
        tokens = self._enter_step(prepared, action_inputs)
        try:
            if prepared.single:
                output = action.run_and_update(before, **action_inputs)
                if inspect.isawaitable(output):
                    output = await output
                result, new_state = single_step_output(prepared, before, output)
            else:
                result = action.run(before.subset(*action.reads), **action_inputs)
                if inspect.isawaitable(result):
                    result = await result
                check_result(prepared, result)
                new_state = run_reducer(prepared, before, result)
            self._set_state(new_state)
        except BaseException as exc:  # Ctrl-C too: hooks must not see it as a completed step
            error = exc
            raise
        finally:
            self._leave_step(tokens)
            if run_hooks:
                await self._adapters.acall(
                    "post_run_step",
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
        self, halt_before: str | list[str] | None, halt_after: str | list[str] | None
    ) -> tuple[frozenset[str], frozenset[str]]:
        return self._expand_halts(_halts(halt_before), "halt_before"), self._expand_halts(
            _halts(halt_after), "halt_after"
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

    @ExecuteCall(ExecuteMethod.iterate)
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
        return self._iterate(before_set, after_set, inputs)

    def _iterate(
        self,
        before_set: frozenset[str],
        after_set: frozenset[str],
        inputs: dict[str, Any] | None,
    ) -> Generator[tuple[Action, dict, State], None, tuple[Action | None, dict | None, State]]:
        prior: Action | None = None
        result: dict | None = None
        while self.has_next_action():
            prior, result, state = self.step(inputs=inputs)  # type: ignore[misc]
            yield prior, result, state
            if self._should_halt(before_set, after_set, prior):
                break
        return self._final(before_set, prior, result)

    @ExecuteCall(ExecuteMethod.run)
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

    @ExecuteCall(ExecuteMethod.aiterate)
    def aiterate(
        self,
        *,
        halt_before: list[str] | None = None,
        halt_after: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> AsyncGenerator[tuple[Action, dict, State], None]:
        """Asynchronous `iterate` (an async generator cannot return the final triple; see arun)."""
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        return self._aiterate(before_set, after_set, inputs)

    async def _aiterate(
        self,
        before_set: frozenset[str],
        after_set: frozenset[str],
        inputs: dict[str, Any] | None,
    ) -> AsyncGenerator[tuple[Action, dict, State], None]:
        while self.has_next_action():
            prior, result, state = await self.astep(inputs=inputs)  # type: ignore[misc]
            yield prior, result, state
            if self._should_halt(before_set, after_set, prior):
                break

    @ExecuteCall(ExecuteMethod.arun)
    async def arun(
        self,
        *,
        halt_before: list[str] | None = None,
        halt_after: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> tuple[Action | None, dict | None, State]:
        """Asynchronous `run`."""
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        prior: Action | None = None
        result: dict | None = None
        async for step_action, step_result, _state in self._aiterate(before_set, after_set, inputs):
            prior, result = step_action, step_result
        return self._final(before_set, prior, result)

    # --- streaming --------------------------------------------------------------------------

    def _stream_arguments(self, action_name: str) -> dict[str, Any]:
        return {
            "action": action_name,
            "sequence_id": self.sequence_id,
            "app_id": self._app_id,
            "partition_key": self._partition_key,
        }

    def stream_result(
        self,
        halt_after: list[str],
        halt_before: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> tuple[Action, StreamingResultContainer]:
        """Runs up to the first `halt_after` action and streams it: returns the action and a
        container that yields its partial results as they come; `.get()` gives the final result
        and state. A non-streaming action comes back as a container with nothing to stream; a
        `halt_before` reached first comes back as the action not run and a None result."""
        self.validate_correct_async_use()
        call = ExecuteCall(ExecuteMethod.stream_result)
        if self._call_hooks:
            call.enter(self)
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        inputs = inputs or {}
        next_action = self.get_next_action()
        if next_action is None:
            raise ValueError(
                "Cannot stream a result: there is no next action (the prior action was "
                f"{self._state.get(PRIOR_STEP)!r})."
            )
        if next_action.name not in after_set:
            next_action, results, state = self.run(
                halt_before=sorted(after_set | before_set), inputs=inputs
            )
            if next_action.name in before_set and next_action.name not in after_set:
                if self._call_hooks:
                    call.leave(self, None)
                return next_action, StreamingResultContainer.pass_through(results, state)
        self._bump_sequence_id()
        prepared = self._prepared[next_action.name]
        adapters = self._adapters
        adapters.call(
            "pre_run_step",
            action=next_action,
            state=self._state,
            inputs=inputs,
            sequence_id=self.sequence_id,
            **self._hook_kwargs(),
        )
        try:
            action_inputs = self._process_inputs(inputs, prepared)
            if not prepared.streaming:
                action, result, state = self._step(inputs, run_hooks=False)  # type: ignore[misc]
                adapters.call(
                    "post_run_step",
                    action=next_action,
                    state=self._state,
                    result=result,
                    sequence_id=self.sequence_id,
                    exception=None,
                    **self._hook_kwargs(),
                )
                if self._call_hooks:
                    call.leave(self, None)
                return action, StreamingResultContainer.pass_through(result, state)
            adapters.call("pre_start_stream", **self._stream_arguments(next_action.name))
            generator = self._stream(prepared, self._state, action_inputs)
        except Exception as exc:
            adapters.call(
                "post_run_step",
                action=next_action,
                state=self._state,
                result=None,
                sequence_id=self.sequence_id,
                exception=exc,
                **self._hook_kwargs(),
            )
            if self._call_hooks:
                call.leave(self, exc)
            raise

        def finish(result: dict | None, state: State, error: BaseException | None) -> None:
            adapters.call(
                "post_run_step",
                action=next_action,
                state=state,
                result=result,
                sequence_id=self.sequence_id,
                exception=error,
                **self._hook_kwargs(),
            )
            if self._call_hooks:
                call.leave(self, error)
            adapters.call("post_end_stream", **self._stream_arguments(next_action.name))

        return next_action, StreamingResultContainer(
            generator, self._state, self._accept_streamed, finish
        )

    def _accept_streamed(self, result: dict, state: State) -> tuple[dict, State]:
        self._set_state(state)
        return result, state

    def _stream(
        self, prepared: PreparedAction, state: State, inputs: dict[str, Any]
    ) -> Iterator[tuple[dict, State | None]]:
        """Runs a streaming action, telling the hooks about each partial result; the last item
        is (final result, new state)."""
        tokens = self._enter_step(prepared, inputs)
        try:
            yield from self._stream_runner(prepared, state, inputs).items()
        finally:
            self._leave_step(tokens)

    def _stream_runner(
        self, prepared: PreparedAction, state: State, inputs: dict[str, Any]
    ) -> StreamRunner:
        identity = self._stream_arguments(prepared.name)
        del identity["action"]
        return StreamRunner(self._adapters, prepared, state, inputs, identity)

    async def astream_result(
        self,
        halt_after: list[str],
        halt_before: list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> tuple[Action, AsyncStreamingResultContainer]:
        """The asynchronous `stream_result` (the streaming action must be async)."""
        call = ExecuteCall(ExecuteMethod.stream_result)  # the method Burr reports for it too
        if self._call_hooks:
            await call.aenter(self)
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        inputs = inputs or {}
        next_action = self.get_next_action()
        if next_action is None:
            raise ValueError(
                "Cannot stream a result: there is no next action (the prior action was "
                f"{self._state.get(PRIOR_STEP)!r})."
            )
        if next_action.name not in after_set:
            next_action, results, state = await self.arun(
                halt_before=sorted(after_set | before_set), inputs=inputs
            )
            if next_action.name in before_set and next_action.name not in after_set:
                if self._call_hooks:
                    await call.aleave(self, None)
                return next_action, AsyncStreamingResultContainer.pass_through(results, state)
        self._bump_sequence_id()
        prepared = self._prepared[next_action.name]
        adapters = self._adapters
        await adapters.acall(
            "pre_run_step",
            action=next_action,
            state=self._state,
            inputs=inputs,
            sequence_id=self.sequence_id,
            **self._hook_kwargs(),
        )
        try:
            action_inputs = self._process_inputs(inputs, prepared)
            if not prepared.streaming:
                action, result, state = await self._astep(inputs, run_hooks=False)  # type: ignore[misc]
                await adapters.acall(
                    "post_run_step",
                    action=next_action,
                    state=self._state,
                    result=result,
                    sequence_id=self.sequence_id,
                    exception=None,
                    **self._hook_kwargs(),
                )
                if self._call_hooks:
                    await call.aleave(self, None)
                return action, AsyncStreamingResultContainer.pass_through(result, state)
            await adapters.acall("pre_start_stream", **self._stream_arguments(next_action.name))
            if not next_action.is_async():
                raise ValueError(
                    f"Action {next_action.name!r} streams synchronously; astream_result needs an "
                    "async streaming action (async def with yield), or call stream_result."
                )
            generator = self._astream(prepared, self._state, action_inputs)
        except Exception as exc:
            await adapters.acall(
                "post_run_step",
                action=next_action,
                state=self._state,
                result=None,
                sequence_id=self.sequence_id,
                exception=exc,
                **self._hook_kwargs(),
            )
            if self._call_hooks:
                await call.aleave(self, exc)
            await adapters.acall("post_end_stream", **self._stream_arguments(next_action.name))
            raise

        async def finish(result: dict | None, state: State, error: BaseException | None) -> None:
            await adapters.acall(
                "post_run_step",
                action=next_action,
                state=state,
                result=result,
                sequence_id=self.sequence_id,
                exception=error,
                **self._hook_kwargs(),
            )
            await adapters.acall("post_end_stream", **self._stream_arguments(next_action.name))
            if self._call_hooks:
                await call.aleave(self, error)

        return next_action, AsyncStreamingResultContainer(
            generator, self._state, self._accept_streamed, finish
        )

    async def _astream(
        self, prepared: PreparedAction, state: State, inputs: dict[str, Any]
    ) -> AsyncGenerator[tuple[dict, State | None], None]:
        tokens = self._enter_step(prepared, inputs)
        try:
            async for item in self._stream_runner(prepared, state, inputs).aitems():
                yield item
        finally:
            self._leave_step(tokens)

    @ExecuteCall(ExecuteMethod.stream_iterate)
    def stream_iterate(
        self,
        halt_after: str | list[str] | None = None,
        halt_before: str | list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Generator[tuple[Action, StreamingResultContainer], None, None]:
        """Streams every step in turn: yields (action, container) per step until a halt; each
        container is run to its end before the next step starts."""
        self.validate_correct_async_use()
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        return self._stream_iterate(before_set, after_set, inputs)

    def _stream_iterate(
        self, before_set: frozenset[str], after_set: frozenset[str], inputs: dict[str, Any] | None
    ) -> Generator[tuple[Action, StreamingResultContainer], None, None]:
        while self.has_next_action():
            upcoming = self.get_next_action()
            assert upcoming is not None
            _, container = self.stream_result(halt_after=[upcoming.name], inputs=inputs)
            yield upcoming, container
            container.get()
            if self._should_halt(before_set, after_set, upcoming):
                break

    @ExecuteCall(ExecuteMethod.astream_iterate)
    def astream_iterate(
        self,
        halt_after: str | list[str] | None = None,
        halt_before: str | list[str] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> AsyncGenerator[tuple[Action, AsyncStreamingResultContainer], None]:
        """The asynchronous `stream_iterate`."""
        before_set, after_set = self._halt_sets(halt_before, halt_after)
        return self._astream_iterate(before_set, after_set, inputs)

    async def _astream_iterate(
        self, before_set: frozenset[str], after_set: frozenset[str], inputs: dict[str, Any] | None
    ) -> AsyncGenerator[tuple[Action, AsyncStreamingResultContainer], None]:
        while self.has_next_action():
            upcoming = self.get_next_action()
            assert upcoming is not None
            _, container = await self.astream_result(halt_after=[upcoming.name], inputs=inputs)
            yield upcoming, container
            await container.get()
            if self._should_halt(before_set, after_set, upcoming):
                break


class ApplicationBuilder:
    """Assembles actions, transitions, state, identity, hooks and persistence into an Application."""

    def __init__(self) -> None:
        self._graph_builder: GraphBuilder | None = None
        self.state: State | None = None
        self.start: str | None = None
        self._app_id: str | None = None
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
        self.spawn_from_app_id: str | None = None
        self.spawn_from_partition_key: str | None = None
        self.spawn_from_sequence_id: int | None = None
        self.tracker: Any = None
        self.typing_system: TypingSystem | None = None
        self.parallel_executor_factory: Callable[[], Executor] | None = None
        self._is_async = False

    @property
    def app_id(self) -> str:
        """The application's id: a fresh uuid unless one is given (made when first asked for,
        so sub-applications that are given theirs never pay for one)."""
        if self._app_id is None:
            self._app_id = str(uuid.uuid4())
        return self._app_id

    @app_id.setter
    def app_id(self, value: str) -> None:
        self._app_id = value

    @property
    def is_async(self) -> bool:
        """Built with `abuild()`: loads and saves asynchronously, so runs must be async."""
        return self._is_async

    def _graph(self) -> GraphBuilder:
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
        """Adds a prebuilt graph's actions and transitions (names must not clash)."""
        self._graph().with_graph(graph)
        return self

    def with_graphs(self, *graphs: Graph) -> ApplicationBuilder:
        for graph in graphs:
            self.with_graph(graph)
        return self

    def with_typing(self, typing_system: TypingSystem | None) -> ApplicationBuilder:
        """Types the state (e.g. `PydanticTypingSystem(MyState)`: `app.state.data` is a model)."""
        if typing_system is not None:
            self.typing_system = typing_system
        return self

    def with_state(self, state: Any = None, **kwargs: Any) -> ApplicationBuilder:
        """Initial state values: keywords, a `State`, or a typed object (with `with_typing`)."""
        if self.state_initializer is not None:
            raise ValueError(
                "with_state() cannot be combined with initialize_from(); use default_state=."
            )
        if state is not None:
            if self.state is not None:
                raise ValueError(
                    "The state already has values: pass a State or typed object to "
                    "with_state() once, or use keywords."
                )
            if isinstance(state, State):
                current = state
            elif self.typing_system is not None:
                current = self.typing_system.construct_state(state)
            else:
                raise ValueError(
                    f"with_state() got a {type(state).__name__}: pass a State or keyword "
                    "values, or set a typing system with with_typing() first."
                )
            self.state = current.update(**kwargs) if kwargs else current
            return self
        current = self.state or State()
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

    def with_parallel_executor(
        self, executor_factory: Callable[[], Executor]
    ) -> ApplicationBuilder:
        """The executor parallel actions run their sub-applications on (a thread pool unless
        given; async applications use asyncio.gather)."""
        if self.parallel_executor_factory is not None:
            raise ValueError(
                f"The application already has an executor ({self.parallel_executor_factory}); "
                "set it once."
            )
        self.parallel_executor_factory = executor_factory
        return self

    def with_spawning_parent(
        self, app_id: str, sequence_id: int, partition_key: str | None = None
    ) -> ApplicationBuilder:
        """Says which run and step started this application: trackers record it as a child
        of that step (parallel actions do this for their sub-applications)."""
        self.spawn_from_app_id = app_id
        self.spawn_from_sequence_id = sequence_id
        self.spawn_from_partition_key = partition_key
        return self

    def with_tracker(
        self,
        tracker: Any = "sqlite",
        project: str = "default",
        params: dict[str, Any] | None = None,
        use_otel_tracing: bool = False,
    ) -> ApplicationBuilder:
        """Records every step in a run database (as Burr's `with_tracker`).

        `tracker` is "sqlite" (or Burr's "local") with `params={"db_path": ...}` (the default
        database when omitted), "postgresql" with `params={"db_url": "postgresql://..."}`, or
        a tracker object such as `RunDatabaseTracker`. Burr's `storage_dir` parameter names a
        folder of Burr logs; it is accepted and not used.
        """
        if use_otel_tracing:
            raise ValueError(
                "use_otel_tracing is not supported: burrdesk records spans into the run "
                "database itself (see the Timeline's Spans tab)."
            )
        if isinstance(tracker, str):
            from burrdesk.engine.tracking import RunDatabaseTracker

            options = dict(params or {})
            options.pop("storage_dir", None)
            tracker = RunDatabaseTracker(
                _tracker_target(tracker, options), project=project, **options
            )
        elif params is not None:
            raise ValueError("params= is only for a tracker named by a string; this one is built.")
        self.tracker = tracker
        self.lifecycle_adapters.append(tracker)
        return self

    def with_state_persister(self, persister: Any, on_every: str = "step") -> ApplicationBuilder:
        """Saves the state after every step (as Burr's `with_state_persister`)."""
        if on_every != "step":
            raise ValueError(f"on_every={on_every!r} is not supported; only 'step' is.")
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

    def reset_to_entrypoint(self) -> None:
        if self.state is not None:
            self.state = self.state.wipe(delete=[PRIOR_STEP])

    def _load_key(self) -> tuple[str | None, str, int | None]:
        if self.fork_from_app_id is not None:
            if self.fork_from_app_id == self.app_id:
                raise ValueError(
                    f"Cannot fork application {self.app_id!r} into itself: give the fork a new "
                    "app_id (or leave it unset for a fresh one)."
                )
            return self.fork_from_partition_key, self.fork_from_app_id, self.fork_from_sequence_id
        return self.partition_key, self.app_id, self.sequence_id

    def _initial_state_from(self, loaded: Any, key: tuple[Any, ...]) -> State:
        initializer = self.state_initializer
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

    def _check_persister_initialized(self, ready: bool | None) -> None:
        if ready is False:
            raise RuntimeError(
                f"The persister {type(self.state_persister).__name__} is not initialized: call "
                "its initialize() method before build() (it creates the table)."
            )

    def _persister_hooks(self) -> list[Any]:
        """The hook that saves after each step (checked ready, as Burr checks at build time)."""
        persister = self.state_persister
        if persister is None:
            return []
        if self._is_async:
            if isinstance(persister, AsyncBaseStateSaver):
                return [PersisterHookAsync(persister)]
            if isinstance(persister, BaseStateSaver):
                raise ValueError(
                    "abuild() needs an asynchronous persister (AsyncBaseStatePersister); this one "
                    "saves synchronously: use build()."
                )
            return [persister]
        if isinstance(persister, AsyncBaseStateSaver):
            raise ValueError(
                "This persister saves asynchronously: build the application with abuild()."
            )
        if isinstance(persister, BaseStateSaver):
            if hasattr(persister, "is_initialized"):
                with contextlib.suppress(NotImplementedError):
                    self._check_persister_initialized(bool(persister.is_initialized()))
            return [PersisterHook(persister)]
        return [persister]

    def _graph_and_state(self, state: State) -> Application:
        if self._graph_builder is None:
            raise GraphError("An application needs actions: call with_actions(...) before build().")
        graph = self._graph_builder.build()
        if not isinstance(self.app_id, str) or not self.app_id:
            raise ValueError(f"app_id must be a non-empty string, not {self.app_id!r}.")
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
        if self.typing_system is not None:
            state = state.with_typing_system(self.typing_system)
        adapter_set = LifecycleAdapterSet(*self.lifecycle_adapters, *self._persister_hooks())
        spawning = (
            ParentPointer(
                app_id=self.spawn_from_app_id,
                partition_key=self.spawn_from_partition_key,
                sequence_id=self.spawn_from_sequence_id,
            )
            if self.spawn_from_app_id is not None
            else None
        )
        app = Application(
            graph=graph,
            state=state,
            entrypoint=self.start,
            app_id=self.app_id,
            partition_key=self.partition_key,
            adapter_set=adapter_set,
            builder=self,
            parent_pointer=self.parent_pointer,
            spawning_parent_pointer=spawning,
            state_persister=self.state_persister,
            state_initializer=self.state_initializer,
            tracker=self.tracker,
            parallel_executor_factory=self.parallel_executor_factory,
        )
        adapter_set.call(
            "post_application_create",
            state=app.state,
            application_graph=app.graph,
            app_id=app.app_id,
            partition_key=app.partition_key,
            parent_pointer=self.parent_pointer,
            spawning_parent_pointer=spawning,
        )
        return app

    def build(self) -> Application:
        """The application, for synchronous runs (and async runs with synchronous persisters)."""
        self._is_async = False
        if self.state_initializer is not None:
            if getattr(self.state_initializer, "is_async", lambda: False)():
                raise ValueError(
                    "This state loader loads asynchronously: build the application with abuild()."
                )
            key = self._load_key()
            state = self._initial_state_from(self.state_initializer.load(*key), key)
        else:
            state = self.state or State()
        return self._graph_and_state(state)

    async def abuild(self) -> Application:
        """The application for asynchronous runs, loading from an asynchronous persister."""
        self._is_async = True
        persister = self.state_persister
        if isinstance(persister, AsyncBaseStateSaver):
            self._check_persister_initialized(bool(await persister.is_initialized()))
        if self.state_initializer is not None:
            if not getattr(self.state_initializer, "is_async", lambda: False)():
                raise ValueError(
                    "abuild() needs an asynchronous state loader; this one loads synchronously: "
                    "use build()."
                )
            key = self._load_key()
            state = self._initial_state_from(await self.state_initializer.load(*key), key)
        else:
            state = self.state or State()
        return self._graph_and_state(state)


def _tracker_target(kind: str, options: dict[str, Any]) -> str | None:
    """Where a tracker named by a string records (popped from its params)."""
    if kind in ("sqlite", "local"):
        return options.pop("db_path", None) or options.pop("db_url", None)
    if kind in ("postgresql", "postgres"):
        url = options.pop("db_url", None)
        if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                'with_tracker("postgresql") needs params={"db_url": "postgresql://user@host/db"}.'
            )
        return url
    raise ValueError(f"Unknown tracker {kind!r}: use 'sqlite', 'postgresql' or a tracker object.")
