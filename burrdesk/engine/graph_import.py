"""From code to canvas: a flow document made from a code-first Burr-style application.

Loads a Python module that builds an application with `burr.core` or `burrdesk.engine`, and
describes its graph as a flow: each action becomes a `python` node carrying its function's
source, each transition an edge with its condition, laid out in layers from the entrypoint.
Loading the module runs it, so this is for the user's own code.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

from burrdesk.engine.graph_description import describe_condition
from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.model.flow_layout import apply_layout
from burrdesk.model.recorded_flow import condition_from_description
from burrdesk.model.restricted_expression import ExpressionError, compile_expression
from burrdesk.model.state_codec import to_jsonable

_BUILDER_NAMES = ("build_application", "application", "build_app", "app", "build")


class GraphImportError(Exception):
    """A module that does not yield an application; one sentence for the user."""


def load_application(path: str | Path, attribute: str | None = None) -> Any:
    """Runs the module at `path` and returns the application it builds.

    `attribute` names an application, a builder, or a function returning either; without it
    the module's single application (or a function called build_application, ...) is used.
    """
    target = Path(path)
    if not target.is_file():
        raise GraphImportError(f"There is no Python file at {target}.")
    module_name = f"burrdesk_imported_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, target)
    if spec is None or spec.loader is None:
        raise GraphImportError(f"{target} cannot be loaded as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(target.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - report the user's error in one sentence
        raise GraphImportError(f"Running {target} failed: {type(exc).__name__}: {exc}") from exc
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.pop(0)
    # The module stays registered so inspect.getsource can find its classes later.
    if attribute is not None:
        if not hasattr(module, attribute):
            raise GraphImportError(f"{target} has no attribute {attribute!r}.")
        return _as_application(getattr(module, attribute), f"{target}:{attribute}")
    found = [v for v in vars(module).values() if _is_application(v)]
    if len(found) == 1:
        return found[0]
    for name in _BUILDER_NAMES:
        candidate = getattr(module, name, None)
        if callable(candidate):
            return _as_application(candidate, f"{target}:{name}")
    raise GraphImportError(
        f"{target} defines {'no' if not found else 'several'} applications; name one with "
        f"{target.name}:ATTRIBUTE (an application, a builder, or a function returning one)."
    )


def _is_application(value: Any) -> bool:
    """An application instance (not the Application class imported for type hints)."""
    if isinstance(value, type):
        return False
    return hasattr(value, "graph") and hasattr(value, "step") and hasattr(value, "state")


def _as_application(value: Any, label: str) -> Any:
    if _is_application(value):
        return value
    if isinstance(value, type):
        raise GraphImportError(f"{label} is a class, not an application or a builder.")
    if hasattr(value, "build") and hasattr(value, "with_actions"):
        return value.build()
    if callable(value):
        try:
            produced = value()
        except TypeError as exc:
            raise GraphImportError(
                f"{label} needs arguments ({exc}); name an application."
            ) from exc
        return _as_application(produced, label)
    raise GraphImportError(f"{label} is not an application, a builder or a function.")


def condition_to_flow(condition: Any) -> str | dict[str, Any]:
    """A flow edge condition for an engine condition from either implementation."""
    kind = getattr(condition, "kind", None)
    name = str(getattr(condition, "name", "") or "")
    if kind is None:
        return "default" if name == "default" else _burr_condition(name)
    return condition_from_description(describe_condition(condition))


def _burr_condition(name: str) -> str | dict[str, Any]:
    """Burr keeps only a condition's name; recover expr and when conditions from it."""
    if " | " in name or " & " in name:
        return {"custom": name}
    if name.startswith("lmda_"):
        return {"custom": name}
    if name.startswith("~"):
        inner = _burr_condition(name[1:])
        if isinstance(inner, str) and inner.startswith("expr: "):
            return f"expr: not ({inner[6:]})"
        return {"custom": name}
    try:
        compile_expression(name)
        return f"expr: {name}"
    except ExpressionError:
        pass
    pairs: dict[str, Any] = {}
    for part in name.split(", "):
        key, sep, raw = part.partition("=")
        if not sep or not key.isidentifier():
            return {"custom": name}
        try:
            pairs[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            pairs[key] = raw
    return {"when": pairs}


def _action_code(action: Any) -> tuple[str, str]:
    """(code, notes) for a node: a function action's source without its decorators."""
    fn = getattr(action, "fn", None) or getattr(action, "_fn", None)
    if fn is not None:
        try:
            source = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):
            source = ""
        if source:
            tree = ast.parse(source)
            function = tree.body[0]
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                start = function.lineno - 1
                return "\n".join(source.splitlines()[start:]) + "\n", ""
    try:
        class_source = textwrap.dedent(inspect.getsource(type(action)))
    except (OSError, TypeError):
        class_source = ""
    stub = (
        f"def {action.name}(state: State) -> State:\n"
        f"    raise NotImplementedError({type(action).__name__!r} + ' is a class-based action; "
        "see the notes for its code')\n"
    )
    return stub, class_source


def document_from_application(app: Any, name: str = "imported") -> FlowDocument:
    """A flow document describing `app`'s graph, actions and initial state."""
    graph = app.graph
    nodes = []
    for action in graph.actions:
        code, notes = _action_code(action)
        nodes.append(
            FlowNode(
                id=action.name,
                kind="python",
                label=action.name.replace("_", " ").capitalize(),
                reads=list(action.reads),
                writes=list(action.writes),
                code=code,
                notes=notes,
            )
        )
    edges = [
        FlowEdge(source=t.from_.name, target=t.to.name, condition=condition_to_flow(t.condition))
        for t in graph.transitions
    ]
    state = {
        k: to_jsonable(v) for k, v in app.state.get_all().items() if not str(k).startswith("__")
    }
    document = FlowDocument(
        name=name, state=state, entrypoint=graph.entrypoint.name, nodes=nodes, edges=edges
    )
    return apply_layout(document)
