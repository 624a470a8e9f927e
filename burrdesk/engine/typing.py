"""Typed state: how a state maps to a user's type (a pydantic model, say) and back.

Burr's `burr.core.typing`: a `TypingSystem` gives `State.data` its type and builds a `State`
from a typed object; an `ActionSchema` records the types an action reads, writes and streams.
The default system, a plain dict (`DictBasedTypingSystem`), lives with `State` in
`burrdesk.engine.state`, since every state starts with it; untyped applications pay nothing.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from burrdesk.engine.actions import Action
    from burrdesk.engine.graph import Graph
    from burrdesk.engine.state import State

BaseType = TypeVar("BaseType")
StateInputType = TypeVar("StateInputType")
StateOutputType = TypeVar("StateOutputType")
IntermediateResultType = TypeVar("IntermediateResultType")


class TypingSystem(abc.ABC, Generic[BaseType]):
    """Maps a state to a typed object (`construct_data`) and a typed object to a state."""

    @abc.abstractmethod
    def state_type(self) -> type[BaseType]:
        """The type of the whole state."""

    @abc.abstractmethod
    def state_pre_action_run_type(self, action: Action, graph: Graph) -> type[BaseType]:
        """The type of the state before `action` runs."""

    @abc.abstractmethod
    def state_post_action_run_type(self, action: Action, graph: Graph) -> type[BaseType]:
        """The type of the state after `action` ran."""

    def validate_state(self, state: State) -> None:
        """Raises when `state` does not fit the type (the default accepts anything)."""

    @abc.abstractmethod
    def construct_data(self, state: State) -> BaseType:
        """The typed object for `state` (what `State.data` returns)."""

    @abc.abstractmethod
    def construct_state(self, data: BaseType) -> State:
        """The state holding a typed object's fields."""


class ActionSchema(abc.ABC, Generic[StateInputType, StateOutputType, IntermediateResultType]):
    """The types an action reads, writes and streams (recorded; validation is the action's)."""

    @abc.abstractmethod
    def state_input_type(self) -> type[StateInputType]: ...

    @abc.abstractmethod
    def state_output_type(self) -> type[StateOutputType]: ...

    @abc.abstractmethod
    def intermediate_result_type(self) -> type[IntermediateResultType]: ...


class DefaultSchema(ActionSchema):
    """The schema of an untyped action: state in, state out, dicts streamed."""

    def state_input_type(self) -> type:
        raise NotImplementedError("An untyped action has no state input type.")

    def state_output_type(self) -> type:
        raise NotImplementedError("An untyped action has no state output type.")

    def intermediate_result_type(self) -> type[dict]:
        return dict


DEFAULT_SCHEMA = DefaultSchema()
