"""Programs that apply their weights inline: the forward pass written where it runs.

The style of course and book code (a training loop at module level, or in ``main()``)::

    w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
    b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))
    for epoch in range(epochs):
        for step, (x_train, y_train) in enumerate(train_db):
            with tf.GradientTape() as tape:
                y = tf.matmul(x_train, w1) + b1          # the forward pass,
                y = tf.nn.softmax(y)                     # written inline
                loss = tf.reduce_mean(tf.square(tf.one_hot(y_train, depth=3) - y))
            grads = tape.gradient(loss, [w1, b1])
            w1.assign_sub(lr * grads[0])
            b1.assign_sub(lr * grads[1])
        for x_test, y_test in test_db:
            y = tf.matmul(x_test, w1) + b1               # the same forward pass again
            y = tf.nn.softmax(y)
            ...

There is no function to raise: the model is the run of statements that carries the input
through the weights. This module finds those runs (*regions*) and rewrites the program, before
the usual translation, into the form :mod:`.weight_dicts` writes for a model function: a
``tf.Module`` class whose ``__init__`` creates the variables and whose ``__call__`` is the
region, ``model = Network()`` where the first variable was made, each region replaced by
``y = model(x_train)``, and every other read of a variable (the gradient list, ``assign_sub``)
reading ``model.<variable>``. The engine raises the class to a ``keras.Model`` whose layers are
built in ``__init__`` with the input sizes the variables' shapes give (so its weights exist
where the variables did), and rewrites ``model.<variable>`` to the layer weight it became
(``model.dense.kernel``) and a list of all of them in the model's order to
``model.trainable_variables``.

A region is raised only when the rewrite computes what the program did:

- the variables are bound once in their scope (the module, or a module-level function), by
  ``name = tf.Variable(...)`` (or a tuple of them) among its top-level statements;
- every region is the same computation (the same statements up to the names of its input and
  of its own intermediate values), so one model serves them all; a region reads besides the
  variables only its one input (the data operand of its first weighted op), its own values and
  names that are the same wherever the class runs (module constants bound once, imports,
  builtins);
- a value a region binds, other than its result, is read nowhere outside a region (the
  replacement no longer binds it);
- outside the regions a variable is only an element of a list or tuple (``[w1, b1]``) or the
  receiver of ``assign`` / ``assign_add`` / ``assign_sub`` / ``numpy`` / ``shape`` / ``dtype``
  or a slice (``W[0]``) (what a Keras variable does the same way), a source of ``tape.gradient`` or an operand of a
  TensorFlow op (``tf.nn.l2_loss(w1)``: the op reads a Keras variable's value as it reads a
  tf.Variable's);
- what the variables' initial values read is bound before the first of them and not rebound up
  to the last (the class makes them all at the first).

Anything else keeps the program as written, reported (XL503) with the reason. Nothing here runs
user code.
"""

from __future__ import annotations

import ast
import builtins
import copy
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.syntax import SourceText, comments_by_line, statement_lists
from kerastf_xlate.syntax import parents as parents_of
from kerastf_xlate.tokeras.unexplained import tf1_code
from kerastf_xlate.tokeras.weight_dicts import _WEIGHT_OPS, Kept, _line_map, _Subst

# what a Keras variable does as a tf.Variable does (the receiver of these attributes)
_SAME_ATTRS = frozenset({"assign", "assign_add", "assign_sub", "numpy", "shape", "dtype", "trainable"})
_BUILTINS = frozenset(dir(builtins))


@dataclass
class Region:
    stmts: list[ast.Assign]  # the region's statements, in order (variable statements between them excluded)
    first: ast.stmt
    last: ast.stmt
    input: str
    output: str
    form: str = ""
    targets: list[str] = field(default_factory=list)
    body: list[ast.Assign] = field(default_factory=list)  # the statements as the class writes them (_NoBroadcast)
    shorter: Region | None = None  # the region without its final ``return`` (see region_at)
    packed: ast.List | None = None  # the input written ``[x]`` in the pass: the call packs it


@dataclass
class InlinePlan:
    """One inline model to raise."""

    cls: str
    instance: str
    vars: list[str]  # the variables, in order of first use in the region
    var_stmts: list[ast.Assign]
    regions: list[Region]
    scope: ast.Module | ast.FunctionDef
    line_map: list[int] = field(default_factory=list)
    outside: list[ast.Name] = field(default_factory=list)  # the variables' reads outside the regions
    class_text: str = ""
    origins: list[int] = field(default_factory=list)  # per line of class_text: the original line


def _variable(node: ast.AST, names: ModuleNames) -> bool:
    """``tf.Variable(<initial value that is not a literal>)``, trainable."""
    if not (isinstance(node, ast.Call) and names.call(node) == "tf.Variable"):
        return False
    init = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "initial_value"), None)
    if init is None or isinstance(init, (ast.Constant, ast.List, ast.Tuple, ast.UnaryOp)):
        return False
    trainable = next((k.value for k in node.keywords if k.arg == "trainable"), None)
    return trainable is None or (isinstance(trainable, ast.Constant) and trainable.value is True)


def _variable_stmt(stmt: ast.stmt, names: ModuleNames) -> list[str] | None:
    """The names ``w = tf.Variable(...)`` / ``w, b = tf.Variable(...), tf.Variable(...)`` binds."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return None
    t, v = stmt.targets[0], stmt.value
    if isinstance(t, ast.Name) and _variable(v, names):
        return [t.id]
    if (isinstance(t, ast.Tuple) and isinstance(v, ast.Tuple) and len(t.elts) == len(v.elts)
            and all(isinstance(e, ast.Name) for e in t.elts) and all(_variable(e, names) for e in v.elts)):
        return [e.id for e in t.elts]  # type: ignore[attr-defined]
    return None


def _own_nodes(body: list[ast.stmt]):
    """The nodes of ``body`` outside nested functions, classes and lambdas."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        n = stack.pop()
        yield n
        for c in reversed(list(ast.iter_child_nodes(n))):
            if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(c)


def _stores(body: list[ast.stmt]) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in _own_nodes(body):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out[n.id] = out.get(n.id, 0) + 1
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[n.name] = out.get(n.name, 0) + 1
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                k = (a.asname or a.name).split(".")[0]
                out[k] = out.get(k, 0) + 1
    for n in body:  # (a def's own name is bound where it stands)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[n.name] = out.get(n.name, 0) + 1
    return out


def _blocks(body: list[ast.stmt]):
    """``body`` and the statement lists nested in it (not in functions or classes)."""
    yield body
    for s in body:
        for f in ("body", "orelse", "finalbody"):
            sub = getattr(s, f, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt) and not isinstance(
                    s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from _blocks(sub)
        for h in getattr(s, "handlers", []) or []:
            yield from _blocks(h.body)


def _assign1(s: ast.stmt) -> bool:
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)


def _returns(s: ast.stmt) -> bool:
    return isinstance(s, ast.Return) and s.value is not None


def _reads(node: ast.AST) -> list[str]:
    """The names ``node`` reads, in source order."""
    found = [n for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return [n.id for n in sorted(found, key=lambda n: (n.lineno, n.col_offset))]


def _data_operand(node: ast.AST, vars_: set[str], names: ModuleNames) -> tuple[str, ast.List | None] | None:
    """The input of the first weighted op in ``node`` (``x`` of ``tf.matmul(x, w1)`` /
    ``x @ w1``), when one of its operands is a variable and the other a name; with the list
    when the name is written packed, ``tf.matmul([x], w1)`` (one row made a batch of one)."""
    for n in ast.walk(node):
        pair: tuple[ast.expr, ast.expr] | None = None
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
            pair = (n.left, n.right)
        elif isinstance(n, ast.Call) and names.call(n) in _WEIGHT_OPS and len(n.args) >= 2:
            pair = (n.args[0], n.args[1])
        if pair is None:
            continue
        a, b = pair
        packed = a if isinstance(a, ast.List) and len(a.elts) == 1 and isinstance(a.ctx, ast.Load) else None
        if packed is not None and not (isinstance(n, ast.Call) and names.call(n) in ("tf.matmul", "tf.linalg.matmul")):
            packed = None  # (`[x] @ w` is tf.matmul too, but written so rarely it is not claimed)
        if packed is not None:
            a = packed.elts[0]
        if isinstance(b, ast.Name) and b.id in vars_ and isinstance(a, ast.Name) and a.id not in vars_:
            return a.id, packed
        if isinstance(a, ast.Name) and a.id in vars_ and isinstance(b, ast.Name) and b.id not in vars_ \
                and names.call(n) == "tf.nn.embedding_lookup":
            return b.id, None
    return None


class _Unpacked(ast.NodeTransformer):
    """The region's statements as the class writes them when the input was written packed
    (``[x]``): the call packs it (``tf.convert_to_tensor([x])``, what ``tf.matmul`` does to a
    list operand), the class reads the tensor."""

    def __init__(self, packed: ast.List) -> None:
        self.at = (packed.lineno, packed.col_offset, packed.end_lineno, packed.end_col_offset)

    def visit_List(self, node: ast.List) -> ast.AST:
        if (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset) == self.at:
            return node.elts[0]
        return self.generic_visit(node)


_LAYER_LIKE_PREFIXES = ("tf.nn.", "tf.math.sigmoid", "tf.math.tanh", "tf.sigmoid", "tf.tanh", "tf.reshape")


def _shape_as_written(var: ast.expr) -> list[str] | None:
    """``tf.Variable(tf.zeros([256]))`` -> ["256"]: the shape of its initial value, as written."""
    init = var.args[0] if isinstance(var, ast.Call) and var.args else None
    if isinstance(init, ast.Call):
        shape = init.args[0] if init.args else next((k.value for k in init.keywords if k.arg == "shape"), None)
        if isinstance(shape, (ast.List, ast.Tuple)):
            return [ast.unparse(e) for e in shape.elts]
    return None


class _NoBroadcast(ast.NodeTransformer):
    """``x @ w + tf.broadcast_to(b, [x.shape[0], 256])`` -> ``x @ w + b`` where ``w`` is written
    ``[.., 256]`` and ``b`` ``[256]``: the sum is the same tensor (``b`` broadcasts to the
    product's shape, which is the one written)."""

    def __init__(self, shapes: dict[str, list[str] | None], names: ModuleNames) -> None:
        self.shapes, self.names = shapes, names

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Add):
            return node
        for prod, other, left in ((node.left, node.right, False), (node.right, node.left, True)):
            got = self._bias(prod, other)
            if got is not None:
                if left:
                    node.left = got
                else:
                    node.right = got
                return node
        return node

    def _bias(self, prod: ast.expr, bc: ast.expr) -> ast.expr | None:
        if not (isinstance(bc, ast.Call) and self.names.call(bc) == "tf.broadcast_to" and len(bc.args) == 2
                and not bc.keywords and isinstance(bc.args[0], ast.Name) and isinstance(bc.args[1], (ast.List, ast.Tuple))):
            return None
        if isinstance(prod, ast.BinOp) and isinstance(prod.op, ast.MatMult):
            x, w = prod.left, prod.right
        elif isinstance(prod, ast.Call) and self.names.call(prod) == "tf.linalg.matmul" and len(prod.args) == 2 \
                and not prod.keywords:
            x, w = prod.args
        else:
            return None
        b = bc.args[0]
        dims = bc.args[1].elts
        if not (isinstance(x, ast.Name) and isinstance(w, ast.Name) and len(dims) == 2):
            return None
        ws, bs = self.shapes.get(w.id), self.shapes.get(b.id)
        first = dims[0]
        batch = (isinstance(first, ast.Subscript) and isinstance(first.value, ast.Attribute) and first.value.attr == "shape"
                 and isinstance(first.value.value, ast.Name) and first.value.value.id == x.id
                 and isinstance(first.slice, ast.Constant) and first.slice.value == 0)
        if ws is None or bs is None or len(ws) != 2 or not batch or bs != [ws[1]] or ast.unparse(dims[1]) != ws[1]:
            return None
        return b


class _Normal(ast.NodeTransformer):
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.env:
            return ast.Name(self.env[node.id], node.ctx)
        return node


class _Finder:
    def __init__(self, tree: ast.Module, st: SourceText, names: ModuleNames) -> None:
        self.tree, self.st, self.names = tree, st, names
        self.module_stores = _stores(tree.body)
        self.shapes: dict[str, list[str] | None] = {}  # variable -> its shape as written
        self.parents = parents_of(tree)
        imports: dict[str, set[str]] = {}
        other: set[str] = set()
        for n in _own_nodes(tree.body):
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                for a in n.names:
                    key = (a.asname or a.name).split(".")[0]
                    imports.setdefault(key, set()).add(f"{getattr(n, 'module', '')}:{a.name}")
            elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                other.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                other.add(n.name)
        # names bound only by imports, of one module each time
        self.imported = {k for k, v in imports.items() if len(v) == 1 and k not in other}

    def python_value(self, name: str, before: ast.stmt, scope_body: list[ast.stmt]) -> bool:
        """The last binding of ``name`` before ``before`` in the scope is a Python value (a list,
        a literal): a Keras model given a list takes it for a list of inputs."""
        last: ast.Name | None = None
        for n in _own_nodes(scope_body):
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) and _pos(n) < _pos(before):
                if last is None or _pos(n) > _pos(last):
                    last = n
        p = self.parents.get(id(last)) if last is not None else None
        return isinstance(p, ast.Assign) and isinstance(p.value, (ast.List, ast.Tuple, ast.Dict, ast.Constant, ast.ListComp))

    def constant(self, name: str, scope_stores: dict[str, int]) -> bool:
        """The name means the same in the class (at module level) as where the region runs:
        a builtin, or bound once at module level, and not a local of the scope."""
        if name in scope_stores:
            return False
        if name in self.imported:
            return True  # (a notebook imports tf in several cells: the same module each time)
        if name in self.module_stores:
            return self.module_stores[name] == 1
        return name in _BUILTINS

    def region_at(self, block: list[ast.stmt], i: int, vars_: set[str], var_stmts: set[int],
                  scope_stores: dict[str, int], scope_body: list[ast.stmt]) -> tuple[Region, int] | None:
        """The region starting at ``block[i]`` and the index after it, or None."""
        first = block[i]
        if not (_assign1(first) or _returns(first)):
            return None
        assert isinstance(first, (ast.Assign, ast.Return)) and first.value is not None
        operand = _data_operand(first.value, vars_, self.names)
        if operand is None or self.python_value(operand[0], first, scope_body):
            return None  # (a Python list given to a Keras model is a list of inputs, not one tensor)
        inp, packed = operand
        stmts: list[Any] = []  # assignments, and a last `return`
        bound: list[str] = []
        j = i
        end = i
        while j < len(block):
            s = block[j]
            if id(s) in var_stmts and stmts:
                j += 1
                continue
            if not (_assign1(s) or _returns(s)):
                break
            assert isinstance(s, (ast.Assign, ast.Return)) and s.value is not None
            reads = _reads(s.value)
            if not any(r in vars_ or r in bound for r in reads) and stmts:
                break
            if any(r not in vars_ and r not in bound and r != inp and not self.constant(r, scope_stores) for r in reads):
                break
            stmts.append(s)
            j += 1
            end = j
            if isinstance(s, ast.Return):
                break  # (a model function's `return tf.matmul(x, W) + b`: the pass ends there)
            bound.append(ast.unparse(s.targets[0]))
        # trailing statements without a layer-like op (an alias, an argmax) are not the model's
        while stmts and not self._layer_like(stmts[-1], vars_):
            stmts.pop()
        if not stmts:
            return None
        if packed is not None and sum(n == inp for n in _reads_all_of(stmts)) != 1:
            return None  # the input read both packed and as it is: the class would see one of them
        last = stmts[-1]
        end = block.index(last) + 1
        targets = [s.targets[0].id for s in stmts if isinstance(s, ast.Assign)]  # type: ignore[attr-defined]
        body = self._written(stmts, packed)
        # a region that returns has no result name: "" (its call is returned); the same region
        # without its return is kept aside (another pass may stop before it)
        output = "" if isinstance(last, ast.Return) else targets[-1]
        shorter = None
        if isinstance(last, ast.Return) and len(stmts) > 1:
            cut = stmts[:-1]
            while cut and not self._layer_like(cut[-1], vars_):
                cut.pop()
            if cut and (packed is None or any(packed is n for c in cut for n in ast.walk(c))):
                shorter = self._region(cut, inp, packed)
        region = Region(stmts, stmts[0], last, inp, output, targets=targets, body=body, packed=packed)
        env = {inp: "_input"}
        for k, t in enumerate(dict.fromkeys(targets)):
            env[t] = f"_v{k}"
        env[output] = "_out"
        # `return E` and `y = E` (y the result) are the same computation
        as_assign = [ast.Assign([ast.Name(output or "_out", ast.Store())], s.value or ast.Constant(None))
                     if isinstance(s, ast.Return) else s
                     for s in body]
        region.form = "\n".join(ast.dump(_Normal(env).visit(copy.deepcopy(s))) for s in as_assign)
        region.shorter = shorter
        return region, end

    def _written(self, stmts: list[Any], packed: ast.List | None) -> list[Any]:
        """The statements as the class writes them."""
        body = [_NoBroadcast(self.shapes, self.names).visit(copy.deepcopy(s)) for s in stmts]
        return body if packed is None else [_Unpacked(packed).visit(s) for s in body]

    def _region(self, stmts: list[Any], inp: str, packed: ast.List | None) -> Region:
        """The region of ``stmts`` (assignments only), with its form."""
        targets = [s.targets[0].id for s in stmts]
        body = self._written(stmts, packed)
        region = Region(stmts, stmts[0], stmts[-1], inp, targets[-1], targets=targets, body=body,
                        packed=packed)
        env = {inp: "_input"}
        for k, t in enumerate(dict.fromkeys(targets)):
            env[t] = f"_v{k}"
        env[targets[-1]] = "_out"
        region.form = "\n".join(ast.dump(_Normal(env).visit(copy.deepcopy(s))) for s in body)
        return region

    def _layer_like(self, s: ast.Assign, vars_: set[str]) -> bool:
        if any(r in vars_ for r in _reads(s.value)):
            return True
        return any(isinstance(n, ast.Call) and (self.names.call(n) or "").startswith(_LAYER_LIKE_PREFIXES)
                   for n in ast.walk(s.value))


def plan_inline(tree: ast.Module, st: SourceText, names: ModuleNames, excluded: set[int] | None = None,
                ) -> tuple[str, list[InlinePlan], list[Kept]] | Kept | None:
    """The source with the inline models rewritten as ``tf.Module`` classes (module docstring),
    the plans and the groups kept with their reasons; a :class:`Kept` when variables are applied
    inline but none can be raised; None when the file has no such program. ``excluded``: groups
    (``id`` of their first variable statement) not to plan."""
    if names.qual(ast.Attribute(ast.Name("tf", ast.Load()), "Module", ast.Load())) != "tf.Module":
        return None
    if tf1_code(tree, names) is not None:
        return None  # TensorFlow 1 graph code: the ops build a graph, a Keras model would not (unexplained.py says so)
    finder = _Finder(tree, st, names)
    scopes: list[ast.Module | ast.FunctionDef] = [tree] + [
        s for s in tree.body if isinstance(s, ast.FunctionDef) and not s.decorator_list]
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | set(finder.module_stores) | {
        a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    plans: list[InlinePlan] = []
    kept: list[Kept] = []
    for scope in scopes:
        groups = _generations(scope.body, names)
        for k, group in enumerate(groups):
            if id(group[0]) in (excluded or set()):
                continue
            got = _plan_group(scope, group, groups, k, tree, st, names, finder, taken)
            if isinstance(got, Kept):
                kept.append(got)
            elif got is not None:
                plans.append(got)
                taken |= {got.cls, got.instance}
    if not plans:
        return kept[0] if kept else None
    rewritten = _rewrite(plans, st)
    if isinstance(rewritten, Kept):
        return rewritten
    return rewritten[0], rewritten[1], kept


def _generations(body: list[ast.stmt], names: ModuleNames) -> list[list[ast.Assign]]:
    """The variable statements of ``body``, in groups: a statement that makes a name again
    (a notebook's next cell, ``w1 = tf.Variable(...)`` once more) starts a new group."""
    groups: list[list[ast.Assign]] = []
    current: set[str] = set()
    for s in body:
        got = _variable_stmt(s, names)
        if got is None:
            continue
        if not groups or current & set(got):
            groups.append([])
            current = set()
        groups[-1].append(s)  # type: ignore[arg-type]
        current |= set(got)
    return groups


def _bound(stmt: ast.Assign) -> list[str]:
    t = stmt.targets[0]
    return [t.id] if isinstance(t, ast.Name) else [e.id for e in t.elts]  # type: ignore[attr-defined]


def _pos(n: ast.AST) -> tuple[int, int]:
    return (n.lineno, n.col_offset)  # type: ignore[attr-defined]


def _plan_group(scope: ast.Module | ast.FunctionDef, var_stmts: list[ast.Assign], groups: list[list[ast.Assign]], k: int,
                tree: ast.Module, st: SourceText, names: ModuleNames, finder: _Finder,
                taken: set[str]) -> InlinePlan | Kept | None:
    module_scope = isinstance(scope, ast.Module)
    body = scope.body
    stores = _stores(body)
    scope_locals: dict[str, int] = {} if module_scope else dict(stores)
    if not module_scope:
        assert isinstance(scope, ast.FunctionDef)
        for a in ast.walk(scope.args):
            if isinstance(a, ast.arg):
                scope_locals[a.arg] = scope_locals.get(a.arg, 0) + 1
    vars_ = [v for s in var_stmts for v in _bound(s)]
    vset = set(vars_)
    if len(vset) != len(vars_):
        return None
    # every binding of the names in the scope is one of the variable statements
    made = {v: [s for g in groups for s in g if v in _bound(s)] for v in vars_}
    # a notebook's earlier cell may use the name for another value (`b = tf.square(a)` before
    # `b = tf.Variable(...)`): module-level bindings before the name's first variable are the
    # program's own business (the reads they reach are not the model's)
    earlier = _earlier_bindings(body, vars_, made) if module_scope else {}
    if any(stores.get(v, 0) != len(made[v]) + len(earlier.get(v, ())) for v in vars_):
        return None  # bound some other way too (`w1 = None`, a loop target): another path's concern
    several = {v for v in vars_ if len(made[v]) > 1}
    if several and not module_scope:
        return None
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) and set(n.names) & vset for n in ast.walk(tree)):
        return None
    stmt_ids = {id(s) for s in var_stmts}
    finder.shapes = {}
    for s in var_stmts:
        t, v = s.targets[0], s.value
        pairs = [(t, v)] if isinstance(t, ast.Name) else list(zip(t.elts, v.elts, strict=True))  # type: ignore[attr-defined]
        for e, ve in pairs:
            finder.shapes[e.id] = _shape_as_written(ve)
    # the group's statements: from its first variable to the next group's (the whole scope for one group)
    lo = body.index(var_stmts[0]) if len(groups) > 1 or earlier else 0
    hi = body.index(groups[k + 1][0]) if k + 1 < len(groups) else len(body)
    segment = body[lo:hi]
    # the regions: in the segment, and (the names made once, at module level) in module-level
    # functions that do not bind them
    blocks = list(_blocks(segment))
    if module_scope and not several:
        for f in body:
            if isinstance(f, ast.FunctionDef) and not (set(_stores(f.body)) & vset) and not any(
                    a.arg in vset for a in ast.walk(f.args) if isinstance(a, ast.arg)):
                blocks += list(_blocks(f.body))
    regions: list[Region] = []
    for block in blocks:
        local = scope_locals
        where = body
        if module_scope and block and not any(block is b for b in _blocks(segment)):
            # a function's block: its locals are not the class's
            fn = next(f for f in body if isinstance(f, ast.FunctionDef) and any(block is b for b in _blocks(f.body)))
            local = _stores(fn.body)
            where = fn.body
            for a in ast.walk(fn.args):
                if isinstance(a, ast.arg):
                    local[a.arg] = 1
        i = 0
        while i < len(block):
            got = finder.region_at(block, i, vset, stmt_ids, local, where)
            if got is None:
                i += 1
                continue
            region, i = got
            regions.append(region)
    if not regions:
        return None
    # variables no weighted op applies (a notebook's `v = tf.Variable(...)` shown being
    # assigned) are not the model's: they stay as written, and the model is planned without them
    # (one a weighted op applies outside the passes keeps its group: a half-raised model)
    applied = {n for r in regions for s in r.stmts for n in _reads(s.value)} | _weighted_operands(tree, names)
    keep = [s for s in var_stmts if set(_bound(s)) & applied]
    if keep and len(keep) < len(var_stmts):
        return _plan_group(scope, keep, groups[:k] + [keep] + groups[k + 1:], k, tree, st, names, finder, taken)
    first_var = var_stmts[0]

    def kept(why: str) -> Kept:
        return Kept(var_stmts, why)

    if earlier:
        # a function, lambda or class made before the variables reads the name when it runs:
        # the earlier value or the variable, which the rewrite (removing the variable's
        # statement) would no longer tell apart
        for deferred in ast.walk(tree):
            if isinstance(deferred, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) \
                    and _pos(deferred) < _pos(first_var) and set(_reads(deferred)) & set(earlier):
                name = sorted(set(_reads(deferred)) & set(earlier))[0]
                return kept(f"`{name}` is bound before its variable is made and read in code defined before it "
                            f"(line {deferred.lineno}), which may run with either")

    forms = {r.form for r in regions}
    if len(forms) > 1:  # a model function that returns more than another pass computes: its return stays
        regions = [r.shorter or r for r in regions]
        forms = {r.form for r in regions}
    if len(forms) > 1:
        # the passes computing alike written otherwise (`h = tf.nn.relu(x @ w1 + b1)` in one,
        # in two statements in the other), or one going on past the model (a loss reading the
        # weights, a softmax only the test pass applies): the model is what all compute
        cut = _common_prefix(regions, finder, vset)
        if cut is not None:
            regions, forms = cut, {cut[0].form}
    if any(r.packed for r in regions) and _tf_alias(var_stmts) is None:
        return kept("a pass packs its input (`[x]`) and the variables are not made as `<tensorflow>.Variable(...)`, "
                    "whose name the call would pack it with")
    if len(forms) > 1:
        return kept("the program applies them inline in computations written differently (one model would not be "
                    "all of them)")
    used: list[str] = []
    for r in regions[:1]:
        for s in r.body:
            for n in _reads(s.value):
                if n in vset and n not in used:
                    used.append(n)
    if set(used) != vset:
        missing = ", ".join(f"`{v}`" for v in vars_ if v not in used)
        return kept(f"{missing} {'is' if len(vset) - len(used) == 1 else 'are'} not applied in the inline forward pass")
    region_nodes: set[int] = set()
    region_stmts: set[int] = set()
    for r in regions:
        for s in r.stmts:
            region_nodes |= {id(n) for n in ast.walk(s)}
            region_stmts.add(id(s))
    for s in var_stmts:
        region_nodes |= {id(n) for n in ast.walk(s)}
    parents = parents_of(tree)
    # values a region binds besides its result are read nowhere its binding reaches
    inner = {t for r in regions for t in r.targets if t != r.output} | {r.input for r in regions if r.input in r.targets}
    why = _inner_read(inner, regions, region_nodes, region_stmts, scope, parents)
    if why is not None:
        return kept(why)
    # the variables' other reads
    outside: list[ast.Name] = []
    later = sorted((_pos(s), set(_bound(s))) for g in groups[k + 1:] for s in g)
    for n in ast.walk(scope if not module_scope else tree):  # type: ignore[assignment]
        if not (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in vset) or id(n) in region_nodes:
            continue
        fn = _enclosing_function(n, body) if module_scope else None  # type: ignore[assignment]
        if fn is not None and n.id in set(_stores(fn.body)) | {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}:
            continue  # a local of another function
        if fn is not None and n.id in several:
            return kept(f"`{n.id}` is made more than once and read in `{fn.name}`, which may run with any of them")
        if _pos(n) < _pos(first_var) and fn is None:
            if any(_pos(s) < _pos(n) for s in made[n.id]) or not module_scope or any(
                    _pos(o) < _pos(n) for o in earlier.get(n.id, ())):
                continue  # an earlier group's
            return kept(f"`{n.id}` is read at line {n.lineno}, before the model would be made")
        if any(p < _pos(n) and n.id in names_ for p, names_ in later):
            continue  # a later group's
        p = parents.get(id(n))
        ok = (isinstance(p, (ast.List, ast.Tuple)) and n in p.elts) or (
            isinstance(p, ast.Attribute) and p.value is n and p.attr in _SAME_ATTRS) or (
            # `W[0]`: a Keras variable slices its value as a tf.Variable does (a tf.Tensor)
            isinstance(p, ast.Subscript) and p.value is n and isinstance(p.ctx, ast.Load)) or (
            # `0.5 - b`: with a Python number, Keras's operators give what TensorFlow's do (the
            # number is weakly typed: float32); another operand's dtype may promote otherwise
            isinstance(p, ast.BinOp) and isinstance(p.op, (ast.Add, ast.Sub, ast.Mult, ast.Div))
            and _python_number(p.right if p.left is n else p.left)) or (
            # a source of `tape.gradient(loss, w1)`; an operand of a TensorFlow op (`tf.nn.l2_loss(w1)`),
            # which reads a Keras variable as it reads a tf.Variable
            isinstance(p, ast.Call) and n in p.args and (
                (isinstance(p.func, ast.Attribute) and p.func.attr == "gradient" and p.args.index(n) > 0)
                or names.call(p) not in (None, "tf.Variable")))
        if not ok:
            return kept(f"`{n.id}` is read at line {n.lineno} other than as the weight of the inline forward pass, "
                        "an element of a list of them or the receiver of `assign_sub` / `numpy` / `shape`")
        outside.append(n)
    for r in regions:
        if r.first.lineno < first_var.lineno:
            return kept("an inline forward pass comes before the first variable")
    # what the initial values read is bound before the first variable and not rebound up to the last
    last_var = var_stmts[-1]
    init_reads = {n for s in var_stmts for n in _reads(s.value)}
    if init_reads & vset:
        return kept("a variable's initial value reads another of them")
    between = _stores([s for s in body if first_var.lineno < s.lineno <= last_var.lineno and id(s) not in stmt_ids])
    if init_reads & set(between):
        return kept("a variable's initial value reads a name the program binds between the variables")
    if not module_scope and any(n in scope_locals for n in init_reads):
        return kept("a variable's initial value reads a local of the function")
    for s in var_stmts:
        if not st.owns_lines(s):
            return kept("a variable is not created on lines of its own")
    for r in regions:
        for s in r.stmts:
            if not st.owns_lines(s):
                return kept("a statement of the inline forward pass shares its line with another")
    between_stmts = [x for r in regions for x in _statements_between(tree, r.first, r.last)]
    if any(id(x) not in region_stmts and id(x) not in stmt_ids for x in between_stmts):
        return kept("statements of the inline forward pass are interleaved with others")
    cls = "Network"
    j = 2
    while cls in taken:
        cls = f"Network{j}"
        j += 1
    instance = next((c for c in ("model", "net", "network") if c not in taken), None)
    j = 1
    while instance is None:
        if f"model_{j}" not in taken:
            instance = f"model_{j}"
        j += 1
    plan = InlinePlan(cls, instance, used, var_stmts, regions, scope)
    plan.outside = outside
    return plan


def _prefix_forms(r: Region, finder: _Finder, vset: set[str]) -> dict[str, int] | None:
    """The pass as one expression of its input after each of its first statements (each value
    read replaced by what computed it: ``h = x @ w1 + b1; h = tf.nn.relu(h)`` and ``h =
    tf.nn.relu(x @ w1 + b1)`` are the same), for the statements that end a possible model
    (layer-like, every variable applied up to there): expression -> how many statements. None
    when the pass draws random numbers (``tf.nn.dropout``: a value read twice would be drawn
    twice)."""
    if any(isinstance(n, ast.Call) and any(k in ast.unparse(n.func) for k in ("dropout", "random"))
           for s in r.body for n in ast.walk(s)):
        return None
    env: dict[str, ast.expr] = {r.input: ast.Name("_input", ast.Load())}
    out: dict[str, int] = {}
    for i, (s, original) in enumerate(zip(r.body, r.stmts, strict=True)):
        assert s.value is not None
        value = _Subst(env).visit(copy.deepcopy(s.value))
        if finder._layer_like(original, vset) and vset <= {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}:
            out.setdefault(ast.dump(value), i + 1)
        if isinstance(s, ast.Return):
            break
        env[s.targets[0].id] = value  # type: ignore[attr-defined]
    return out


def _common_prefix(regions: list[Region], finder: _Finder, vset: set[str]) -> list[Region] | None:
    """The regions cut to their longest first part that all of them compute alike (as one
    expression, :func:`_prefix_forms`), applying every variable: a training pass that goes on
    to a loss reading the weights (``tf.nn.l2_loss(w1)``) beside a prediction pass that stops
    at the output or goes on to a softmax. None when there is none. The statements cut off
    stay in the program, reading the result the call binds (what they read of the pass
    otherwise is checked as any read is)."""
    forms = [_prefix_forms(r, finder, vset) for r in regions]
    if any(f is None or not f for f in forms):
        return None
    common = set(forms[0]).intersection(*forms[1:])  # type: ignore[arg-type]
    if not common:
        return None
    best = max(common, key=lambda f: forms[0][f])  # type: ignore[index]
    cut: list[Region] = []
    for r, f in zip(regions, forms, strict=True):
        n = f[best]  # type: ignore[index]
        if n == len(r.stmts) and (r.output or isinstance(r.last, ast.Return)):
            cut.append(r)
            continue
        if any(isinstance(s, ast.Return) for s in r.stmts[:n]):
            return None
        packed = r.packed if r.packed is not None and any(r.packed is x for s in r.stmts[:n] for x in ast.walk(s)) else None
        if r.packed is not None and packed is None:
            return None  # (the packed input is past the cut: no pass is that short)
        cut.append(finder._region(r.stmts[:n], r.input, packed))
    return cut


def _weighted_operands(tree: ast.Module, names: ModuleNames) -> set[str]:
    """The names read as an operand of a weighted op anywhere (``x @ w``, ``tf.matmul(x, w)``,
    ``tf.nn.conv2d(x, k, ...)``)."""
    out: set[str] = set()
    for n in ast.walk(tree):
        operands: list[ast.expr] = []
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
            operands = [n.left, n.right]
        elif isinstance(n, ast.Call) and names.call(n) in _WEIGHT_OPS:
            operands = n.args[:2]
        out |= {o.id for o in operands if isinstance(o, ast.Name)}
    return out


def _python_number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _earlier_bindings(body: list[ast.stmt], vars_: list[str], made: dict[str, list[ast.Assign]]) -> dict[str, list[ast.AST]]:
    """Per variable name, its bindings in ``body``'s own code (not in functions) other than
    its variable statements, when all of them come before the first of those (else the name
    is left out: bound some other way)."""
    targets = {id(t) for ss in made.values() for s in ss for t in ast.walk(s.targets[0])}
    out: dict[str, list[ast.AST]] = {}
    for v in vars_:
        first = min(_pos(s) for s in made[v])
        others: list[ast.AST] = [n for n in _own_nodes(body) if isinstance(n, ast.Name) and n.id == v
                  and not isinstance(n.ctx, ast.Load) and id(n) not in targets]
        if others and all(_pos(n) < first for n in others):
            out[v] = others
    return out


def _inner_read(inner: set[str], regions: list[Region], region_nodes: set[int], region_stmts: set[int],
                scope: ast.Module | ast.FunctionDef, parents: dict[int, ast.AST]) -> str | None:
    """Why a value a region binds (other than its result) is read where that binding reaches,
    or None. A read in the scope's own code is reached by the last binding before it (and, in a
    loop holding a region that binds the name, by the region's of the previous turn); a read in
    another function that does not bind the name may run anywhere."""
    if not inner:
        return None
    body = scope.body
    own = {id(n) for n in _own_nodes(body)}
    stores: dict[str, list[tuple[tuple[int, int], bool]]] = {}
    for n in _own_nodes(body):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and n.id in inner:
            stores.setdefault(n.id, []).append((_pos(n), id(n) in region_nodes))
    for n in ast.walk(scope):
        if not (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in inner) or id(n) in region_nodes:
            continue
        if id(n) not in own:
            fn: ast.AST = n
            while id(fn) in parents and not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                fn = parents[id(fn)]
            local = _stores(fn.body) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else {}
            args = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)} if hasattr(fn, "args") else set()
            if n.id in local or n.id in args:
                continue
            return f"`{n.id}`, a value of the inline forward pass, is read in a function (line {n.lineno})"
        before = [(p, in_region) for p, in_region in stores.get(n.id, []) if p < _pos(n)]
        if before and max(before)[1]:
            return f"`{n.id}`, a value of the inline forward pass, is read outside it (line {n.lineno})"
        a: ast.AST = n
        while id(a) in parents:
            a = parents[id(a)]
            if isinstance(a, (ast.For, ast.While, ast.AsyncFor)) and any(
                    id(s) in region_stmts and n.id in _bound_names(s) for s in ast.walk(a) if isinstance(s, ast.Assign)):
                return f"`{n.id}`, a value of the inline forward pass, is read outside it (line {n.lineno}, in its loop)"
    return None


def _bound_names(s: ast.Assign) -> set[str]:
    return {t.id for t in s.targets if isinstance(t, ast.Name)}


def _enclosing_function(node: ast.AST, body: list[ast.stmt]) -> ast.FunctionDef | None:
    for f in body:
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(n is node for n in ast.walk(f)):
            return f  # type: ignore[return-value]
    return None


def _comment_lines(st: SourceText, lo_line: int, hi_line: int) -> list[str]:
    """The full-line comments among lines ``lo_line..hi_line`` (1-based, inclusive)."""
    return [ln.strip() for ln in st.lines[lo_line - 1:hi_line] if ln.strip().startswith("#")]


def _trailing_comments(st: SourceText, stmt: ast.stmt) -> list[str]:
    """The comments at the end of the lines of ``stmt`` (``w1 = tf.Variable(...)  # 2 -> 11``):
    a statement the rewrite removes keeps them, as lines of their own."""
    a, b = st.line_span(stmt)
    found = comments_by_line(st.text[a:b], stmt.lineno)
    return [c for line, c in sorted(found.items()) if not st.lines[line - 1].lstrip().startswith("#")]


def _comments_of(st: SourceText, stmts: list[Any], lo_line: int) -> list[str]:
    """The comments of a run of statements from line ``lo_line``: the full-line ones between
    them and the ones ending their lines, in order."""
    out: list[str] = []
    for s in stmts:
        out += _comment_lines(st, lo_line, s.lineno - 1) + _trailing_comments(st, s)
        lo_line = (s.end_lineno or s.lineno) + 1
    return out


def _rewrite(plans: list[InlinePlan], st: SourceText) -> tuple[str, list[InlinePlan]] | Kept:
    edits: list[tuple[int, int, str]] = []
    for plan in plans:
        edits += _plan_edits(plan, st)
    edits.sort()
    for (_, b1, _), (a2, _, _) in zip(edits, edits[1:], strict=False):
        if a2 < b1:
            return Kept(plans[0].var_stmts, "the inline forward pass overlaps the variables' statements")
    text = st.text
    for lo_, hi_, new in sorted(edits, reverse=True):
        text = text[:lo_] + new + text[hi_:]
    line_map = _line_map(st.text, edits)
    for plan in plans:  # a line of a class's pass is the line of the statement it came from
        at = text.count("\n", 0, text.index(plan.class_text))
        for k, line in enumerate(plan.origins):
            if at + k < len(line_map):
                line_map[at + k] = line
    for plan in plans:
        plan.line_map = line_map
    return text, plans


def _plan_edits(plan: InlinePlan, st: SourceText) -> list[tuple[int, int, str]]:
    module_scope = isinstance(plan.scope, ast.Module)
    edits: list[tuple[int, int, str]] = []
    first = plan.regions[0]
    param = "x"
    if any(param in (r.targets + _reads_all(r)) and param != r.input for r in plan.regions[:1]):
        param = first.input
    # the class
    order = ", ".join(plan.vars)
    n = len(plan.regions)
    cls_lines = [f"class {plan.cls}(tf.Module):",
                 f'    """The forward pass the program wrote inline ({n} time{"s" if n > 1 else ""}), with its weights (raised',
                 f"    by xlate to-keras). The original variables load with ``{plan.instance}.set_weights([{order}])``.\"\"\"",
                 "",
                 "    def __init__(self):",
                 "        super().__init__()"]
    inits = {}
    for s in plan.var_stmts:
        t, v = s.targets[0], s.value
        if isinstance(t, ast.Name):
            inits[t.id] = st.seg(v)
        else:
            for e, ve in zip(t.elts, v.elts, strict=True):  # type: ignore[attr-defined]
                inits[e.id] = st.seg(ve)
    for name_ in plan.vars:
        cls_lines.append(f"        self.{name_} = {inits[name_]}")
    cls_lines += ["", f"    def __call__(self, {param}):"]
    origins = [plan.var_stmts[0].lineno] * len(cls_lines)  # the original line of each class line
    env = {first.input: param} if param != first.input else {}
    prev = first.first.lineno
    for s, written in zip(first.stmts, first.body, strict=True):
        for c in _comments_of(st, [s], prev):
            cls_lines.append("        " + c)
            origins.append(s.lineno)
        prev = (s.end_lineno or s.lineno) + 1
        new = _SelfVars(set(plan.vars), env).visit(copy.deepcopy(written))
        for ln in ast.unparse(new).splitlines():
            cls_lines.append("        " + ln)
            origins.append(s.lineno)
    if first.output:
        cls_lines.append(f"        return {env.get(first.output, first.output)}")
        origins.append(first.last.lineno)
    class_text = "\n".join(cls_lines) + "\n"
    plan.class_text, plan.origins = class_text, origins
    first_var = plan.var_stmts[0]
    indent = st.indent_of(first_var)
    made = "".join(f"{indent}{c}\n" for c in _trailing_comments(st, first_var)) + f"{indent}{plan.instance} = {plan.cls}()\n"
    lo, hi = st.line_span(first_var)
    if module_scope:
        before = "" if lo == 0 or st.text[max(0, lo - 2):lo] == "\n\n" else "\n"
        edits.append((lo, hi, f"{before}\n{class_text}\n\n{made}"))
    else:
        fn = plan.scope
        assert isinstance(fn, ast.FunctionDef)
        f_lo = st.starts[(fn.decorator_list[0].lineno if fn.decorator_list else fn.lineno) - 1]
        edits.append((f_lo, f_lo, f"{class_text}\n\n"))
        edits.append((lo, hi, made))
    spans = []
    for r in plan.regions:
        a, _ = st.line_span(r.first)
        _, b = st.line_span(r.last)
        spans.append((a, b))
    for s in plan.var_stmts[1:]:
        a, b = st.line_span(s)
        if not any(x <= a and b <= y for x, y in spans):  # (one inside a region goes with it)
            edits.append((a, b, "".join(f"{st.indent_of(s)}{c}\n" for c in _trailing_comments(st, s))))
    # each region -> one call
    for r, (a, b) in zip(plan.regions, spans, strict=True):
        ind = st.indent_of(r.first)
        keep = "".join(f"{ind}{c}\n" for c in _comments_of(st, r.stmts, r.first.lineno)) if r is not first else ""
        call = f"{plan.instance}({_tf_alias(plan.var_stmts)}.convert_to_tensor([{r.input}]))" if r.packed else f"{plan.instance}({r.input})"
        edits.append((a, b, f"{keep}{ind}{r.output} = {call}\n" if r.output else f"{keep}{ind}return {call}\n"))
    # reads of the variables elsewhere
    for read in plan.outside:
        a, b = st.span(read)
        edits.append((a, b, f"{plan.instance}.{read.id}"))
    return edits


def _reads_all(r: Region) -> list[str]:
    return _reads_all_of(r.stmts)


def _reads_all_of(stmts: list[Any]) -> list[str]:
    return [n for s in stmts for n in _reads(s.value)]


def _statements_between(tree: ast.Module, first: ast.stmt, last: ast.stmt) -> list[ast.stmt]:
    for block in statement_lists(tree):
        if any(s is first for s in block):
            i = next(k for k, s in enumerate(block) if s is first)
            j = next(k for k, s in enumerate(block) if s is last)
            return block[i:j + 1]
    return []



def _tf_alias(var_stmts: list[ast.Assign]) -> str | None:
    """The name the file gives TensorFlow: the one its ``tf.Variable(...)`` calls are made with."""
    value = var_stmts[0].value
    call = value.elts[0] if isinstance(value, ast.Tuple) else value
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        return call.func.value.id
    return None


class _SelfVars(ast.NodeTransformer):
    def __init__(self, vars_: set[str], env: dict[str, str]) -> None:
        self.vars, self.env = vars_, env

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.vars and isinstance(node.ctx, ast.Load):
            return ast.Attribute(ast.Name("self", ast.Load()), node.id, ast.Load())
        if node.id in self.env:
            return ast.Name(self.env[node.id], node.ctx)
        return node
