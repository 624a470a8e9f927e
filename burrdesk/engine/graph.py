"""The graph of an application: named actions and the ordered transitions between them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from burrdesk.engine.actions import Action, create_action
from burrdesk.engine.conditions import Condition, default
from burrdesk.engine.state import State


class GraphError(ValueError):
    """An application graph that cannot be built (unknown action, duplicate name, ...)."""


@dataclasses.dataclass(frozen=True)
class Transition:
    from_: Action
    to: Action
    condition: Condition


@dataclasses.dataclass(frozen=True)
class ApplicationGraph:
    """What an application is made of, for drawing and inspection."""

    actions: list[Action]
    transitions: list[Transition]
    entrypoint: Action

    def get_action(self, name: str) -> Action:
        for candidate in self.actions:
            if candidate.name == name:
                return candidate
        raise KeyError(f"No action named {name!r}; actions are {[a.name for a in self.actions]}.")


class Graph:
    """Actions by name plus, for each action, its outgoing transitions in priority order."""

    def __init__(self, actions: list[Action], transitions: list[Transition]):
        self.actions = actions
        self.transitions = transitions
        self._action_map = {a.name: a for a in actions}
        self._adjacency: dict[str, list[tuple[Action, Condition]]] = {a.name: [] for a in actions}
        for transition in transitions:
            self._adjacency[transition.from_.name].append((transition.to, transition.condition))

    def get_action(self, name: str) -> Action:
        try:
            return self._action_map[name]
        except KeyError:
            raise GraphError(
                f"No action named {name!r}; actions are {sorted(self._action_map)}."
            ) from None

    def has_action(self, name: str) -> bool:
        return name in self._action_map

    def get_actions_by_tag(self, tag: str) -> list[Action]:
        tagged = [a for a in self.actions if tag in a.tags]
        if not tagged:
            raise GraphError(f"No action has the tag {tag!r}.")
        return tagged

    def next_action(self, prior: str | None, state: State, entrypoint: str) -> Action | None:
        """The first action whose transition condition holds, or None when none does."""
        if prior is None:
            return self._action_map[entrypoint]
        for target, condition in self._adjacency.get(prior, ()):
            if condition is default or condition.evaluate(state):
                return target
        return None

    def outgoing(self, name: str) -> list[tuple[Action, Condition]]:
        return list(self._adjacency.get(name, ()))


class GraphBuilder:
    """Collects actions and transitions, then checks them as a whole in `build`."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self._transitions: list[tuple[str, str, Condition]] = []

    def with_actions(self, *action_list: Any, **action_dict: Any) -> GraphBuilder:
        for candidate in action_list:
            if isinstance(candidate, Action):
                if not candidate.name:
                    raise GraphError(
                        f"Action {candidate!r} has no name: pass it as a keyword, "
                        "with_actions(my_name=...), or call .with_name('my_name') on it."
                    )
                self.actions.append(candidate)
            elif callable(candidate) and hasattr(candidate, "__name__"):
                self.actions.append(create_action(candidate, candidate.__name__))
            else:
                raise GraphError(f"{candidate!r} is not an action.")
        for name, candidate in action_dict.items():
            self.actions.append(create_action(candidate, name))
        return self

    def with_graph(self, graph: Graph) -> GraphBuilder:
        """Adds a built graph's actions and transitions (its names must not clash with ours)."""
        self.actions.extend(graph.actions)
        self._transitions.extend(
            (transition.from_.name, transition.to.name, transition.condition)
            for transition in graph.transitions
        )
        return self

    def with_transitions(self, *transitions: Sequence[Any]) -> GraphBuilder:
        for spec in transitions:
            if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
                raise GraphError(
                    f"Transition {spec!r} must be (source, target) or (source, target, condition)."
                )
            sources, target = spec[0], spec[1]
            condition = spec[2] if len(spec) == 3 else default
            if not isinstance(condition, Condition):
                raise GraphError(
                    f"Transition {spec!r}: the condition must be default, when(...) or expr(...), "
                    f"not {type(condition).__name__}."
                )
            for source in [sources] if isinstance(sources, str) else list(sources):
                self._transitions.append((source, target, condition))
        return self

    def build(self) -> Graph:
        if not self.actions:
            raise GraphError("An application needs at least one action: call with_actions(...).")
        names: set[str] = set()
        for candidate in self.actions:
            if candidate.name in names:
                raise GraphError(
                    f"Action {candidate.name!r} is added twice; action names must be unique."
                )
            names.add(candidate.name)
        by_name = {a.name: a for a in self.actions}
        transitions: list[Transition] = []
        has_default: set[str] = set()
        for source, target, condition in self._transitions:
            for end, role in ((source, "source"), (target, "target")):
                if end not in by_name:
                    raise GraphError(
                        f"Transition {source!r} -> {target!r}: {role} {end!r} is not an action "
                        f"(actions are {sorted(by_name)})."
                    )
            if condition is default:
                if source in has_default:
                    raise GraphError(
                        f"Action {source!r} has two default transitions; the second, to "
                        f"{target!r}, can never be taken."
                    )
                has_default.add(source)
            transitions.append(Transition(by_name[source], by_name[target], condition))
        return Graph(list(self.actions), transitions)
