"""JSON a person typed or a file holds, read into values the rest of burrdesk can take.

Python reads JSON recursively, so text nested a thousand levels deep stops the reader with a
RecursionError, and a value a few hundred levels deep breaks later, recursive readers (the
run database's encoder, pydantic, the state tree). Text is refused here, at the door, in
one sentence, instead.
"""

from __future__ import annotations

import json
from typing import Any

MAX_NESTING = 100
"""How deep values may nest in flows, typed states and conditions."""


class JsonTextError(ValueError):
    """Text that is not JSON burrdesk reads; the message is part of a sentence (no capital),
    and `line`/`column` say where when the JSON itself is malformed."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


def parse_json_text(text: str) -> Any:
    """The value `text` holds (raises JsonTextError)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonTextError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            exc.lineno,
            exc.colno,
        ) from None
    except RecursionError:
        raise JsonTextError(too_deep()) from None
    path = deepest_path(value)
    if path is not None:
        raise JsonTextError(too_deep(path))
    return value


def deepest_path(data: Any) -> str | None:
    """Where `data` nests deeper than MAX_NESTING (a dotted path), or None. Iterative, so a
    deep value cannot exhaust the stack while it is measured."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_NESTING:
            return path or "the top"
        if isinstance(value, dict):
            stack.extend(
                (v, depth + 1, f"{path}.{k}" if path else str(k)) for k, v in value.items()
            )
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(value))
    return None


def too_deep(path: str | None = None) -> str:
    where = f" at {path if len(path) <= 60 else path[:60] + '…'}" if path else ""
    return f"it nests values more than {MAX_NESTING} levels deep{where}"
