"""Copy functions out of :mod:`.runtime` (read as text, never imported) with what they call."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

_RUNTIME = Path(__file__).with_name("runtime.py")


@lru_cache(maxsize=1)
def _functions() -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """name -> source, name -> helpers it calls, and the file order of the names."""
    text = _RUNTIME.read_text(encoding="utf-8")
    tree = ast.parse(text)
    sources: dict[str, str] = {}
    order: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            src = ast.get_source_segment(text, stmt)
            assert src is not None
            sources[stmt.name] = src.rstrip() + "\n"
            order.append(stmt.name)
    deps: dict[str, list[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            deps[stmt.name] = [name for name in order if name in used and name != stmt.name]
    return sources, deps, order


def helper_names() -> list[str]:
    """Every helper the runtime template defines, in file order."""
    return list(_functions()[2])


def helper_sources(names: set[str] | list[str]) -> list[str]:
    """Sources of ``names`` and every helper they call, in the template's order."""
    sources, deps, order = _functions()
    needed: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        if name not in sources:
            raise KeyError(f"no runtime helper {name!r}")
        needed.add(name)
        stack.extend(deps[name])
    return [sources[name] for name in order if name in needed]
