"""The burrdesk engine: a Burr-compatible state-machine core with no Qt and no openai.

Code written for `burr.core` runs after changing `from burr.core import ...` to
`from burrdesk.engine import ...`.
"""

from burrdesk.engine.action import (
    Action,
    AsyncStreamingAction,
    Function,
    FunctionBasedAction,
    Input,
    Reducer,
    Result,
    SingleStepAction,
    StreamingAction,
    action,
    bind,
    streaming_action,
    type_eraser,
)
from burrdesk.engine.application import (
    Application,
    ApplicationBuilder,
    ApplicationContext,
    ParentPointer,
)
from burrdesk.engine.conditions import Condition, default, expr, lmda, safe_expr, when
from burrdesk.engine.graph import ApplicationGraph, Graph, GraphBuilder, GraphError, Transition
from burrdesk.engine.state import State
from burrdesk.model.restricted_expression import ExpressionError

__all__ = [
    "Action",
    "Application",
    "AsyncStreamingAction",
    "ApplicationBuilder",
    "ApplicationContext",
    "ApplicationGraph",
    "Condition",
    "ExpressionError",
    "Function",
    "FunctionBasedAction",
    "Graph",
    "GraphBuilder",
    "GraphError",
    "Input",
    "ParentPointer",
    "Reducer",
    "Result",
    "SingleStepAction",
    "State",
    "StreamingAction",
    "Transition",
    "action",
    "bind",
    "default",
    "expr",
    "lmda",
    "safe_expr",
    "streaming_action",
    "type_eraser",
    "when",
]
