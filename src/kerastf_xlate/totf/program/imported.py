"""Code imported from other modules that a translated model's graph runs.

A graph function runs again on every call of the model, and each layer it makes must be the
one made at construction (docs/design.md, "Programs"): a function or class from another
module that makes Keras layers would make new ones each call. Such code is fine only when its
module is translated in the same run (the tree pass of ``to-tf`` checks that, see
:mod:`kerastf_xlate.tree`). This module lists, for one file, the imported names its
graph functions call, directly or through functions of the file.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass

from kerastf_xlate.totf.program.names import ROOTS

# modules whose functions never make Keras layers (the standard library, NumPy, TensorFlow)
_SAFE_ROOTS = set(getattr(sys, "stdlib_module_names", ())) | {"numpy", "tensorflow", "tf", "math", "scipy"}


@dataclass(frozen=True)
class Imported:
    node: ast.AST  # the call
    module: str  # absolute module name, or "." + name for relative imports
    name: str
    level: int


def import_bindings(tree: ast.Module, everywhere: bool = False) -> dict[str, tuple[str, str, int]]:
    """Top-level name -> (module, imported name, relative level) for ``from M import N``
    and ``import M`` (name -> (M, "", 0)); with ``everywhere``, the imports inside functions
    and blocks too."""
    out: dict[str, tuple[str, str, int]] = {}
    for stmt in (ast.walk(tree) if everywhere else tree.body):
        if isinstance(stmt, ast.ImportFrom):
            for a in stmt.names:
                out[a.asname or a.name] = (stmt.module or "", a.name, stmt.level)
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                out[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], "", 0)
    return out


def is_keras(module: str) -> bool:
    return any(module == r or module.startswith(r + ".") for r in ROOTS)


def imported_calls(tree: ast.Module, regions: list[list[ast.stmt]]) -> list[Imported]:
    """Calls of imported user code in the graph regions and the functions of this file they
    call (transitively)."""
    bindings = import_bindings(tree)
    functions = {f.name: f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    seen_funcs: set[str] = set()
    todo: list[ast.AST] = [s for region in regions for s in region]
    found: list[Imported] = []
    while todo:
        node = todo.pop()
        for n in ast.walk(node):
            if not isinstance(n, ast.Call):
                continue
            root = n.func
            while isinstance(root, (ast.Attribute, ast.Call)):
                root = root.value if isinstance(root, ast.Attribute) else root.func
            if not isinstance(root, ast.Name):
                continue
            if root.id in functions and root.id not in seen_funcs:
                seen_funcs.add(root.id)
                todo.append(functions[root.id])
                continue
            if root.id not in bindings:
                continue
            module, name, level = bindings[root.id]
            top = module.split(".")[0]
            if level == 0 and (is_keras(module) or top in _SAFE_ROOTS):
                continue
            if level == 0 and not name and isinstance(n.func, ast.Attribute):
                name = n.func.attr
            found.append(Imported(n, module, name or root.id, level))
    return found
