"""Partial programs: which top-level statements must stay Keras because of a blocker, so the
program form can translate the rest of the file (docs/design.md, "Partial programs").

Statements are linked by the Keras-tainted values they share (a read links to the
definitions that can reach it); a component holding a blocker is kept byte for byte.
Over-linking only keeps more code; every rule here errs that way.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

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


# Keras model and layer methods whose result is plain data (arrays, numbers, lists)
_DATA_METHODS = frozenset({"predict", "predict_on_batch", "evaluate", "test_on_batch", "count_params", "get_weights",
                           "vocabulary_size", "get_vocabulary", "numpy"})
_SYMBOLIC_ATTRS = frozenset({"input", "inputs", "output", "outputs"})


def _symbolic_names(stmts: list[ast.stmt]) -> set[str]:
    """Module-level names that may ever hold a symbolic tensor: bound from an ``Input`` or
    ``InputLayer`` call, a model's ``input``/``output``, or an expression reading such a name
    (anywhere outside function and class bodies; errs on the side of more)."""
    assigns: list[tuple[set[str], ast.AST]] = []
    todo: list[ast.AST] = list(stmts)
    while todo:
        node = todo.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            assigns.append((bound, node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            bound = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            assigns.append((bound, node.iter))
        todo.extend(ast.iter_child_nodes(node))
    sources = []
    for bound, value in assigns:
        direct = any(isinstance(n, ast.Call) and (getattr(n.func, "id", None) or getattr(n.func, "attr", None))
                     in ("Input", "InputLayer") or isinstance(n, ast.Attribute) and n.attr in _SYMBOLIC_ATTRS
                     for n in ast.walk(value))
        reads = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        sources.append((bound, direct, reads))
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for bound, direct, reads in sources:
            if (direct or reads & out) and not bound <= out:
                out |= bound
                changed = True
    return out


def _data_bindings(stmts: list[ast.stmt], constructors: set[int],
                   reaching: Callable[[int, str], list[int]]) -> set[tuple[int, str]]:
    """(statement, name) pairs where a top-level ``name = ...`` binds plain data that Keras
    computed: a Keras layer or model object called on values that are not symbolic tensors
    (``encoded = text_vec_layer([text])[0]``), or one of its methods that give data
    (``y_pred = model.predict(x)``). Such a value is the same tensor or array whether the code
    that made it is translated or kept, so reading it links nothing (a dataset built from a
    vectorized text feeds models that are otherwise apart). Anything else links as before."""
    objects = {(i, s.targets[0].id) for i, s in enumerate(stmts)
               if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
               and isinstance(s.value, ast.Call) and id(s.value.func) in constructors}
    symbolic = _symbolic_names(stmts)

    def plain(e: ast.expr) -> bool:  # a constant or a name that holds no symbolic tensor
        return isinstance(e, ast.Constant) or isinstance(e, ast.Name) and e.id not in symbolic

    def data(i: int, e: ast.expr) -> bool:
        if isinstance(e, ast.Subscript):
            return data(i, e.value)
        if isinstance(e, ast.BinOp):
            sides = (e.left, e.right)
            return all(data(i, x) or plain(x) for x in sides) and any(data(i, x) for x in sides)
        if isinstance(e, ast.UnaryOp):
            return data(i, e.operand)
        if not isinstance(e, ast.Call):
            return False
        func = e.func
        if isinstance(func, ast.Attribute) and func.attr == "numpy" and not e.args and not e.keywords:
            return data(i, func.value)
        args = [*e.args, *(k.value for k in e.keywords)]
        if any(isinstance(n, ast.Name) and n.id in symbolic or isinstance(n, ast.Attribute) and n.attr in _SYMBOLIC_ATTRS
               or isinstance(n, ast.Starred) for a in args for n in ast.walk(a)):
            return False
        if isinstance(func, ast.Attribute) and func.attr in _DATA_METHODS and isinstance(func.value, ast.Name):
            return True
        if isinstance(func, ast.Name) and func.id not in symbolic:
            defs = reaching(i, func.id)
            return bool(defs) and all((j, func.id) in objects for j in defs)
        return False

    return {(i, s.targets[0].id) for i, s in enumerate(stmts)
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            and data(i, s.value)}


def _call_sites(stmts: list[ast.stmt], reaching: Callable[[int, str], list[int]]) -> dict[int, set[int]]:
    """Top-level function definitions whose every use is a direct call, run by a top-level
    statement or by such a function's body (not deferred in a lambda, a nested function or a
    callback): statement index -> the top-level statements whose running calls it. The module
    names its body reads are then bound as they are at those statements, not by any binding of
    the file (a notebook's ``def next_char(text)`` reading the ``model`` of its cell, not of
    every cell)."""
    functions = {s.name: i for i, s in enumerate(stmts) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    sites: dict[int, set[int]] = {}  # function statement -> top-level statements calling it
    callers: dict[str, set[str]] = {}  # function name -> functions whose bodies call it
    escaping: set[str] = set()

    def walk(node: ast.AST, i: int, caller: str | None, deferred: bool) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            name = node.func.id
            if deferred:
                escaping.add(name)
            elif caller is not None:
                callers.setdefault(name, set()).add(caller)
            else:
                for j in reaching(i, name):
                    if isinstance(stmts[j], (ast.FunctionDef, ast.AsyncFunctionDef)):
                        sites.setdefault(j, set()).add(i)
            for child in [*node.args, *node.keywords]:
                walk(child, i, caller, deferred)
            return
        if isinstance(node, ast.Name) and node.id in functions and isinstance(node.ctx, ast.Load):
            escaping.add(node.id)  # passed on, stored, decorated...: called who knows when
        inner = deferred or isinstance(node, (*_SCOPES, *_COMPREHENSIONS))
        for child in ast.iter_child_nodes(node):
            walk(child, i, caller, inner)

    defined: dict[str, int] = {}
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in stmt.decorator_list:
                if not _runs_when_called(d):
                    escaping.add(stmt.name)  # registered, wrapped: called who knows when
                walk(d, i, None, True)
            for child in stmt.body:
                walk(child, i, stmt.name, False)  # runs when the function runs
            escaping.update(n.id for n in ast.walk(stmt.args) if isinstance(n, ast.Name))
            defined[stmt.name] = defined.get(stmt.name, 0) + 1
        else:
            walk(stmt, i, None, False)
    # a function called from other functions' bodies runs at their call sites (which of two
    # definitions of one name such a call reaches is not followed)
    escaping.update(name for name in callers if defined.get(name, 0) > 1)
    changed = True
    while changed:
        changed = False
        for name, by in callers.items():
            if name in escaping:
                continue
            if by & escaping:
                escaping.add(name)
                changed = True
                continue
            mine = sites.setdefault(functions[name], set())
            for g in by:
                more = sites.get(functions[g], set()) - mine
                if more:
                    mine |= more
                    changed = True
    return {j: c for j, c in sites.items() if c and stmts[j].name not in escaping}  # type: ignore[attr-defined]


def _runs_when_called(decorator: ast.expr) -> bool:
    """Whether a function under ``decorator`` still runs only when it is called:
    ``@tf.function`` (with or without arguments), which traces it at its first calls with the
    module's names as they are then."""
    d = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(d) in ("tf.function", "tensorflow.function")


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

    def __init__(self, tree: ast.Module, keras_nodes: Iterable[ast.AST], stateless: Iterable[ast.AST] = (),
                 constructors: Iterable[ast.AST] = ()) -> None:
        """``keras_nodes``: the references to Keras the translation rewrites (not the
        utilities that stay Keras, such as a dataset loader: their values are plain data).
        ``stateless``: those of them that cannot change Keras's global state (see
        :func:`stateless_name`). ``constructors``: those that make a Keras layer or model
        object when called (``keras.layers.TextVectorization``, ``keras.Sequential``): what such
        an object gives when called on data is plain data (:func:`_data_bindings`)."""
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

        data = _data_bindings(self.stmts, {id(c) for c in constructors}, reaching)
        call_sites = _call_sites(self.stmts, reaching)
        deps: list[set[int]] = [set() for _ in range(n)]
        for i, v in enumerate(names):
            if i in imports:
                continue
            for name in v.now:
                deps[i].update(j for j in reaching(i, name) if (j, name) not in data)
            for name in v.later:
                if i in call_sites:  # a function called right there: what its calls see
                    seen = {j for c in call_sites[i] for j in reaching(c, name) + ([c] if name in names[c].defs else [])}
                else:  # any binding of the name, whenever it runs
                    seen = set(defs_of.get(name, []))
                deps[i].update(j for j in seen if j != i and (j, name) not in data)
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
