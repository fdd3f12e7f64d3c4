"""Why a file with symbolic inputs but no model the translator follows stays Keras.

The program form does not apply to such a file (there is no model to translate), but its
Keras graph still stays Keras, and ``lint`` and ``to-tf`` say so instead of nothing: one
finding per symbolic input, naming what the graph builds (a functional ``super().__init__``
of a base class defined elsewhere, or a function that returns tensors).
"""

from __future__ import annotations

import ast

from kerastf_xlate.totf.program.names import Ref

_INPUTS = ("keras.Input", "keras.layers.InputLayer")


def _is_super_init(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "super")


def _functional_init(cls: ast.ClassDef) -> ast.Call | None:
    """``super().__init__(inputs=..., outputs=...)`` (or two positional arguments) in ``cls``."""
    for n in ast.walk(cls):
        if isinstance(n, ast.Call) and _is_super_init(n):
            kw = {k.arg for k in n.keywords}
            if {"inputs", "outputs"} <= kw or len(n.args) >= 2:
                return n
    return None


def inert_reasons(tree: ast.Module, refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """One reason per symbolic input of a file the program form does not apply to."""
    owner: dict[int, ast.AST] = {}  # symbolic-input call -> innermost class or function around it
    inputs = [r.call for r in refs if r.name in _INPUTS and r.call is not None]
    wanted = {id(c) for c in inputs}

    def visit(node: ast.AST, scope: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if id(child) in wanted and scope is not None:
                owner[id(child)] = scope
            inner = child if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            visit(child, inner)

    visit(tree, None)
    classes = {id(n): n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    local_classes = {n.name for n in classes.values()}
    enclosing_class: dict[int, ast.ClassDef] = {}
    for c in classes.values():
        for n in ast.walk(c):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                enclosing_class[id(n)] = c  # inner classes come later in walk order: innermost wins
    out: list[tuple[ast.AST, str]] = []
    for call in inputs:
        shown = ast.unparse(call)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        scope = owner.get(id(call))
        cls = classes.get(id(scope)) if scope is not None else None
        if cls is None and scope is not None:
            cls = enclosing_class.get(id(scope))
        init = _functional_init(cls) if cls is not None else None
        if cls is not None and init is not None:
            keras_bases = {id(r.node) for r in refs if r.role == "base"}
            outside = [ast.unparse(b) for b in cls.bases
                       if id(b) not in keras_bases and ast.unparse(b).split(".")[-1] not in local_classes]
            if outside:
                out.append((call, f"`{shown}` builds the graph of `{cls.name}`, whose base `{outside[0]}` "
                                  "is defined in another file: kept as Keras"))
            else:
                out.append((call, f"`{shown}` builds the graph of `{cls.name}`, which the translator "
                                  "does not follow: kept as Keras"))
        elif isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((call, f"`{shown}` is a symbolic input of `{scope.name}`, which builds no model in "
                              "this file: kept as Keras"))
        else:
            out.append((call, f"`{shown}` is a symbolic input no model in this file is built from: kept as Keras"))
    return out
