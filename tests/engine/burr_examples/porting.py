"""Loads a Burr program's source as a module, under Apache Burr or, with its imports changed,
under burrdesk: the one edit a user makes when porting (`burr.core.X` and `burr.X` become
`burrdesk.engine.X`; `from burr import core` becomes `from burrdesk import engine as core`).

Only the import statements are rewritten, line for line, so the rest of the program (and the
line numbers `inspect.getsource` reports) stay exactly as Burr wrote them.
"""

from __future__ import annotations

import ast
import linecache
import sys
import types
from pathlib import Path

from side_by_side import burrdesk_path


def port_imports(source: str) -> str:
    """The source with every `burr` import pointing at burrdesk instead."""
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "burr":
                statements = []
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if alias.name == "core":
                        statements.append(f"from burrdesk import engine as {bound}")
                    else:
                        statements.append(f"from burrdesk.engine import {alias.name} as {bound}")
                replacement = "; ".join(statements)
            elif node.module.startswith("burr."):
                names = ", ".join(
                    alias.name + (f" as {alias.asname}" if alias.asname else "")
                    for alias in node.names
                )
                replacement = f"from {burrdesk_path(node.module)} import {names}"
            else:
                continue
        elif isinstance(node, ast.Import) and any(
            alias.name == "burr" or alias.name.startswith("burr.") for alias in node.names
        ):
            parts = []
            for alias in node.names:
                target = alias.name
                if target.startswith("burr."):
                    target = burrdesk_path(target)
                parts.append(f"{target} as {alias.asname}" if alias.asname else target)
            replacement = "import " + ", ".join(parts)
        else:
            continue
        edits.append((node.lineno, node.end_lineno or node.lineno, replacement))
    for first, last, replacement in sorted(edits, reverse=True):
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        blank = ["\n"] * (last - first)
        lines[first - 1 : last] = [indent + replacement + "\n", *blank]
    return "".join(lines)


def load_example(path: Path, implementation: str, module_name: str) -> types.ModuleType:
    """Executes the program at `path` as module `module_name`, for "burr" or "burrdesk"."""
    source = path.read_text(encoding="utf-8")
    if implementation == "burrdesk":
        source = port_imports(source)
    filename = f"{path} ({implementation})"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - our own test fixture
    return module
