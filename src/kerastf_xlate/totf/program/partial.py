"""Partial programs: which top-level statements must stay Keras because of a blocker, so the
program form can translate the rest of the file (docs/design.md, "Partial programs").

Statements are linked by the Keras-tainted values they share (a read links to the
definitions that can reach it); a component holding a blocker is kept byte for byte.
Over-linking only keeps more code; every rule here errs that way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from kerastf_xlate.disjoint import DisjointSets
from kerastf_xlate.totf.program.imports import _function_locals

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Names(ast.NodeVisitor):
    """Module-level bindings and reads of one top-level statement: reads made when it runs
    (``now``) and reads made later, in function, class or lambda bodies (``later``)."""

    def __init__(self) -> None:
        self.defs: set[str] = set()
        self.now: set[str] = set()
        self.later: set[str] = set()
        self._depth = 0  # inside a function/lambda body
        self._local: frozenset[str] = frozenset()  # names local to the enclosing functions

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id not in self._local:
                (self.later if self._depth else self.now).add(node.id)
        elif not self._depth:
            self.defs.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.defs.update(node.names)  # a function that assigns a module name
        self.later.update(node.names)

    def _body(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef) -> None:
        """The statements of a function, lambda or class body: read when it runs, later."""
        outer = self._local
        children: list[ast.AST]
        if isinstance(node, ast.ClassDef):
            children = list(node.body)
        else:
            a = node.args
            for d in a.defaults + [d for d in a.kw_defaults if d is not None]:
                self.visit(d)  # evaluated where the function is defined
            self._local = outer | _function_locals(node)
            children = list(node.body) if isinstance(node.body, list) else [node.body]
        self._depth += 1
        for child in children:
            self.visit(child)
        self._depth -= 1
        self._local = outer

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._depth:
            self.defs.add(node.name)
        for d in node.decorator_list:
            self.visit(d)
        self._body(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self._depth:
            self.defs.add(node.name)
        for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(d)
        self._body(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._body(node)

    def _comprehension(self, node: ast.AST) -> None:
        # comprehension targets are local to it; reads of other names happen now
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}  # type: ignore[attr-defined]
        inner = _Names()
        inner._depth = self._depth
        for child in ast.iter_child_nodes(node):
            inner.visit(child)
        self.now |= inner.now - targets
        self.later |= inner.later - targets
        if not self._depth:
            self.defs |= inner.defs - targets  # walrus targets

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        if not self._depth:
            for a in node.names:
                self.defs.add((a.asname or a.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name and not self._depth:
            self.defs.add(node.name)
        self.generic_visit(node)


def _definite(stmt: ast.stmt, name: str) -> bool:
    """Whether running ``stmt`` always binds ``name`` (no branch or loop can skip it)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name == name
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, ast.Assign):
        return any(isinstance(n, ast.Name) and n.id == name for t in stmt.targets for n in ast.walk(t))
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is not None and isinstance(stmt.target, ast.Name) and stmt.target.id == name
    return False


class Components:
    """The link structure of a module's top-level statements."""

    def __init__(self, tree: ast.Module, keras_nodes: Iterable[ast.AST], stateless: Iterable[ast.AST] = ()) -> None:
        """``keras_nodes``: the references to Keras the translation rewrites (not the
        utilities that stay Keras, such as a dataset loader: their values are plain data).
        ``stateless``: those of them that cannot change Keras's global state (see
        :func:`stateless_name`)."""
        self.stmts = tree.body
        self.spans = [(_first_line(s), s.end_lineno or s.lineno) for s in self.stmts]
        n = len(self.stmts)
        names = []
        for s in self.stmts:
            v = _Names()
            v.visit(s)
            names.append(v)
        imports = {i for i, s in enumerate(self.stmts) if isinstance(s, (ast.Import, ast.ImportFrom))}
        keras: set[int] = set()
        pure = {id(node) for node in stateless}
        stateful: set[int] = set()  # statements with a Keras reference that may change global state
        for node in keras_nodes:
            i = self.index(node)
            if i is not None and i not in imports:
                keras.add(i)
                if id(node) not in pure:
                    stateful.add(i)
        defs_of: dict[str, list[int]] = {}
        for i, v in enumerate(names):
            if i in imports:
                continue
            for d in v.defs:
                defs_of.setdefault(d, []).append(i)

        def reaching(i: int, name: str) -> list[int]:
            out = []
            for j in reversed(defs_of.get(name, [])):
                if j >= i:
                    continue
                out.append(j)
                if _definite(self.stmts[j], name):
                    break
            return out

        deps: list[set[int]] = [set() for _ in range(n)]
        for i, v in enumerate(names):
            if i in imports:
                continue
            for name in v.now:
                deps[i].update(reaching(i, name))
            for name in v.later:
                deps[i].update(j for j in defs_of.get(name, []) if j != i)
        # taint: Keras statements and what reads their definitions, to a fixed point
        tainted = set(keras)
        changed = True
        while changed:
            changed = False
            for i in range(n):
                if i not in tainted and i not in imports and deps[i] & tainted:
                    tainted.add(i)
                    changed = True
        self.tainted = tainted
        sets = DisjointSets(n)
        find, union = sets.find, sets.union

        for i in tainted:
            for j in deps[i] & tainted:
                union(i, j)
        # who reads each function or class definition: when a blocker is inside one (it does
        # something Keras-only with what it is given), its callers stay Keras with it
        self.users: dict[int, set[int]] = {}
        for i in range(n):
            for j in deps[i]:
                if isinstance(self.stmts[j], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.users.setdefault(j, set()).add(i)
        # a Keras statement that binds nothing and reads nothing tainted acts on global state
        # (a layer made and dropped advances the layer-name counters, clear_session resets them,
        # set_global_policy...): it goes with everything after it. One whose Keras references are
        # all stateless (a loss or metric function applied to arrays, shown in a notebook) does not.
        for i in sorted(stateful):
            if not names[i].defs and not (deps[i] & tainted):
                for j in tainted:
                    if j > i:
                        union(i, j)
        self._find = find

    def index(self, node: ast.AST | None) -> int | None:
        """The top-level statement holding ``node`` (by lines), or None."""
        line = getattr(node, "lineno", None)
        if line is None:
            return None
        end = getattr(node, "end_lineno", None) or line
        for i, (a, b) in enumerate(self.spans):
            if a <= line and end <= b:
                return i
        return None

    def closure(self, seeds: Iterable[int]) -> set[int]:
        """Every statement linked to one of ``seeds``, and the callers of a seed that defines a
        function or class (with everything linked to them)."""
        out: set[int] = set()
        todo = list(seeds)
        while todo:
            i = todo.pop()
            if i in out:
                continue
            root = self._find(i)
            group = {j for j in self.tainted if self._find(j) == root} | {i}
            out |= group
            if i in self.users:
                todo.extend(self.users[i] - out)
        return out


# Keras names whose use cannot change what later Keras code builds or names: the functions and
# classes of these modules (not their submodules, such as optimizer schedules). Their objects'
# automatic names (``adam``, ``mean_1``) count apart from the layers' and models'.
_STATELESS_MODULES = ("keras.losses.", "keras.metrics.", "keras.activations.", "keras.ops.", "keras.optimizers.",
                      "keras.regularizers.")


def stateless_name(name: str) -> bool:
    """Whether the Keras name ``name`` (canonical, ``keras.losses.mean_squared_error``) is
    one whose use leaves Keras's global state alone: no layer, model, Input or variable made
    (their automatic names share the counters of the layers built later), no setting
    changed (``keras.backend.clear_session``, ``keras.mixed_precision.set_global_policy``,
    ``keras.utils.set_random_seed``)."""
    return name.startswith(_STATELESS_MODULES) and name.count(".") == 2


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno] + [d.lineno for d in decorators])


__all__ = ["Components", "stateless_name"]
