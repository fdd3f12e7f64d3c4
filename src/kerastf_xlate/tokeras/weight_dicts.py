"""Tutorial-style TensorFlow 2 programs: weights in dicts, the model as a function.

The classic style (TensorFlow tutorials and books written for TF 1 and ported to TF 2)::

    weights = {"wc1": tf.Variable(tf.random.normal([5, 5, 1, 32])), ...}
    biases = {"bc1": tf.Variable(tf.zeros([32])), ...}

    def conv2d(x, W, b, strides=1):              # wrapper helpers called with weights
        x = tf.nn.conv2d(x, W, strides=[1, strides, strides, 1], padding="SAME")
        x = tf.nn.bias_add(x, b)
        return tf.nn.relu(x)

    def conv_net(x):                              # the model
        conv1 = conv2d(x, weights["wc1"], biases["bc1"])
        ...

    def run_optimization(x, y):                   # a GradientTape loop over the dicts
        with tf.GradientTape() as g:
            loss = cross_entropy(conv_net(x), y)
        trainable_variables = list(weights.values()) + list(biases.values())
        ...

This module rewrites such a program, before the usual translation, into the form to-keras
already raises: the model function becomes a ``tf.Module`` class (``ConvNet``) whose
``__init__`` creates the dicts' variables as attributes (``self.weights_wc1``) and whose
``__call__`` is the function's body, with every wrapper helper's body substituted at its
call (its parameters replaced by the arguments); ``conv_net = ConvNet()`` follows the class,
so the program's calls ``conv_net(x)`` still work; the dicts go, and the training code's
``list(weights.values()) + list(biases.values())`` becomes ``conv_net.trainable_variables``.
The engine then raises the class to a ``keras.Model``. Only when the class comes out whole
(every variable a layer weight) is the rewrite kept; otherwise the file is translated as it
was written. Nothing here runs user code.

How the original variables load into the raised model: its class docstring names the
``set_weights`` order (``model.set_weights([weights["wc1"], biases["bc1"], ...])`` after one
call has built it), and :class:`~kerastf_xlate.tokeras.units.UnitInfo` carries the same
order as ``dict[key]`` paths.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.syntax import SourceText, kwarg
from kerastf_xlate.tokeras.passed_weights import argument_edits, function_edits, passed_weights, without_passed
from kerastf_xlate.tokeras.unexplained import _weight_like


@dataclass
class _Dict:
    """A dict of variables (``weights = {"wc1": tf.Variable(...)}``), or one global variable
    (``W = tf.Variable(...)``: its one key is "")."""

    name: str
    stmt: ast.Assign
    entries: dict[str, ast.expr]  # key -> tf.Variable(...) call (a list's: "0", "1", ...)
    seq: bool = False  # a list (or tuple) of variables: `params = [tf.Variable(...), ...]`

    @property
    def single(self) -> bool:
        return "" in self.entries


@dataclass
class Plan:
    """One model function to raise, and what goes with it."""

    func: ast.FunctionDef
    cls: str
    dicts: list[_Dict]
    used: list[tuple[str, str]]  # (dict, key) in first-use order
    new_body: list[ast.stmt] = field(default_factory=list)  # the function's body, helpers substituted
    aliases: dict[str, str] = field(default_factory=dict)  # initializer names -> their source
    line_map: list[int] = field(default_factory=list)  # rewritten line -> original line (see _line_map)

    def attr(self, d: str, k: str) -> str:
        return f"{d}_{k}" if k else d

    @staticmethod
    def path(d: str, k: str) -> str:
        """How the program names the original variable: ``weights['wc1']``, ``params[0]``, ``W``."""
        if k.isdigit():  # (a dict's keys are identifiers)
            return f"{d}[{k}]"
        return f"{d}[{k!r}]" if k else d


def _is_variable(node: ast.AST, names: ModuleNames) -> bool:
    return isinstance(node, ast.Call) and names.call(node) == "tf.Variable"


def _variable_dicts(tree: ast.Module, names: ModuleNames) -> dict[str, _Dict]:
    out: dict[str, _Dict] = {}
    bound: dict[str, int] = {}
    for stmt in tree.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                bound[n.id] = bound.get(n.id, 0) + 1
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and _is_variable(stmt.value, names)):
            out[stmt.targets[0].id] = _Dict(stmt.targets[0].id, stmt, {"": stmt.value})
            continue
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, (ast.List, ast.Tuple)) and stmt.value.elts
                and all(_is_variable(v, names) for v in stmt.value.elts)):
            out[stmt.targets[0].id] = _Dict(stmt.targets[0].id, stmt,
                                            {str(i): v for i, v in enumerate(stmt.value.elts)}, seq=True)
            continue
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Dict) and stmt.value.keys):
            continue
        keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None for k in stmt.value.keys]
        if any(k is None or not k.isidentifier() for k in keys) or len(set(keys)) != len(keys):
            continue
        if not all(_is_variable(v, names) for v in stmt.value.values):
            continue
        out[stmt.targets[0].id] = _Dict(stmt.targets[0].id, stmt, dict(zip(keys, stmt.value.values, strict=True)))  # type: ignore[arg-type]
    return {n: d for n, d in out.items() if bound.get(n) == 1}


def _dict_ref(node: ast.AST, dicts: dict[str, _Dict]) -> tuple[str, str] | None:
    """``weights["wc1"]`` -> ("weights", "wc1"); ``W`` -> ("W", "")."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in dicts and dicts[node.id].single:
        return node.id, ""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in dicts
            and isinstance(node.slice, ast.Constant)):
        d, key = dicts[node.value.id], node.slice.value
        if d.seq and isinstance(key, int) and not isinstance(key, bool) and str(key) in d.entries:
            return d.name, str(key)  # `params[0]` (a negative index is not followed)
        if not d.seq and isinstance(key, str) and key in d.entries:
            return d.name, key
    return None


def _lambdas(tree: ast.Module, defined: set[str]) -> dict[str, ast.FunctionDef]:
    """``model = lambda x: tf.nn.softmax(tf.matmul(x, W) + b)`` at module level (the name bound
    once): read as the function ``def model(x): return ...``, located on the assignment (whose
    lines the class replaces)."""
    bound: dict[str, int] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound[n.id] = bound.get(n.id, 0) + 1
    out = {}
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Lambda)):
            continue
        name = stmt.targets[0].id
        if bound.get(name) != 1 or name in defined:
            continue
        ret = ast.copy_location(ast.Return(stmt.value.body), stmt.value.body)
        ret.end_lineno, ret.end_col_offset = stmt.value.body.end_lineno, stmt.value.body.end_col_offset
        fn = ast.FunctionDef(name=name, args=stmt.value.args, body=[ret], decorator_list=[], returns=None)
        if "type_params" in ast.FunctionDef._fields:  # Python 3.12+
            setattr(fn, "type_params", [])  # noqa: B010
        fn.lineno, fn.col_offset, fn.end_lineno, fn.end_col_offset = (
            stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset)
        out[name] = fn
    return out


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p) or "Model"


# ------------------------------------------------------------------------------ helpers inlined


def simple_helper(fn: ast.FunctionDef) -> bool:
    """A wrapper helper whose body is ``name = expr`` statements and a final ``return expr``
    (a docstring and comments allowed): it can be substituted into its caller."""
    body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or fn.decorator_list or not body:
        return False
    if not (isinstance(body[-1], ast.Return) and body[-1].value is not None):
        return False
    return all(isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) for s in body[:-1])


class _Subst(ast.NodeTransformer):
    def __init__(self, env: dict[str, ast.expr]) -> None:
        self.env = env

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.env:
            return copy.deepcopy(self.env[node.id])
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return node  # its own names


def _simple(node: ast.expr) -> bool:
    """Reading it twice computes nothing twice (a name, a constant, ``self.w``, ``d["k"]``)."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _simple(node.value)
    if isinstance(node, ast.Subscript):
        return _simple(node.value) and isinstance(node.slice, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_simple(e) for e in node.elts)
    return False


def inline_call(call: ast.Call, fn: ast.FunctionDef, caller_stores: set[str]) -> ast.expr | None:
    """The helper's result as one expression of the call's arguments; None when substituting
    would change what runs (an argument with ops read twice would run twice, a global the
    helper reads is a local of the caller)."""
    params = [p.arg for p in fn.args.args]
    body_ = fn.body[1:] if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body
    local = set(params) | {t.id for st_ in body_ for t in getattr(st_, "targets", []) if isinstance(t, ast.Name)}
    # reads of each binding (a parameter, or the i-th statement's target), in order
    current: dict[str, tuple[str, int | str]] = {p: ("param", p) for p in params}
    reads: dict[tuple[str, int | str], int] = {}
    free: set[str] = set()
    for i, st_ in enumerate(body_):
        value = st_.value if isinstance(st_, (ast.Assign, ast.Return)) else None
        for n in ast.walk(value) if value is not None else ():
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                if n.id in current:
                    reads[current[n.id]] = reads.get(current[n.id], 0) + 1
                elif n.id not in local:
                    free.add(n.id)
        if isinstance(st_, ast.Assign):
            current[st_.targets[0].id] = ("stmt", i)  # type: ignore[attr-defined]
    if free & caller_stores:
        return None
    defaults = dict(zip(params[len(params) - len(fn.args.defaults):], fn.args.defaults, strict=True))
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    if len(call.args) > len(params):
        return None
    env: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
    for k in call.keywords:
        if k.arg not in params or k.arg in env:
            return None
        env[k.arg] = k.value
    for p in params:
        if p not in env:
            if p not in defaults:
                return None
            env[p] = defaults[p]
    if any(reads.get(("param", p), 0) > 1 and not _simple(env[p]) for p in params):
        return None
    body = body_
    for i, stmt in enumerate(body[:-1]):
        assert isinstance(stmt, ast.Assign)
        value = _Subst(env).visit(copy.deepcopy(stmt.value))
        if reads.get(("stmt", i), 0) > 1 and not _simple(value):
            return None
        env[stmt.targets[0].id] = value  # type: ignore[attr-defined]
    ret = body[-1]
    assert isinstance(ret, ast.Return) and ret.value is not None
    return _Subst(env).visit(copy.deepcopy(ret.value))


class _Body(ast.NodeTransformer):
    """The model function's body: helpers substituted, ``D["k"]`` -> ``self.D_k``, a
    variable's static size (``D["k"].get_shape().as_list()[0]``) -> the size as written."""

    def __init__(self, dicts: dict[str, _Dict], helpers: dict[str, ast.FunctionDef], st: SourceText,
                 names: ModuleNames) -> None:
        self.dicts, self.helpers, self.st, self.names = dicts, helpers, st, names
        self.used: list[tuple[str, str]] = []
        self.failed: str | None = None
        self.stores: set[str] = set()  # the model function's own names
        self.inlined: set[str] = set()  # the helpers substituted into it

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in self.helpers and self._tf(self.helpers[node.func.id]):
            got = inline_call(node, self.helpers[node.func.id], self.stores)
            if got is None:
                self.failed = f"the call of `{node.func.id}` cannot be followed"
                return node
            self.inlined.add(node.func.id)
            return self.visit(got)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        ref = _dict_ref(node, self.dicts)
        if ref is None:
            return node
        if ref not in self.used:
            self.used.append(ref)
        return ast.Attribute(ast.Name("self", ast.Load()), ref[0], ast.Load())

    def _tf(self, fn: ast.FunctionDef) -> bool:
        """The helper applies TensorFlow ops (``maxpool2d``): substituted so its op is seen."""
        return any(self.names.call(n) is not None for n in ast.walk(fn))

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        size = self._size(node)
        if size is not None:
            return size
        ref = _dict_ref(node, self.dicts)
        if ref is None:
            return self.generic_visit(node)
        if ref not in self.used:
            self.used.append(ref)
        return ast.Attribute(ast.Name("self", ast.Load()), f"{ref[0]}_{ref[1]}", ast.Load())

    def _size(self, node: ast.Subscript) -> ast.expr | None:
        """``D["k"].get_shape().as_list()[i]`` / ``D["k"].shape[i]``: the i-th size as the
        variable's initial value writes it."""
        idx = node.slice
        if not (isinstance(idx, ast.Constant) and isinstance(idx.value, int)):
            return None
        v = node.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "as_list" and not v.args:
            v = v.func.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "get_shape" and not v.args:
            ref = _dict_ref(v.func.value, self.dicts)
        elif isinstance(v, ast.Attribute) and v.attr == "shape":
            ref = _dict_ref(v.value, self.dicts)
        else:
            return None
        if ref is None:
            return None
        var = self.dicts[ref[0]].entries[ref[1]]
        init = var.args[0] if isinstance(var, ast.Call) and var.args else None
        shape = None
        if isinstance(init, ast.Call):
            shape = init.args[0] if init.args else next((k.value for k in init.keywords if k.arg == "shape"), None)
        if isinstance(shape, (ast.List, ast.Tuple)) and idx.value < len(shape.elts):
            return copy.deepcopy(shape.elts[idx.value])
        return None


# ------------------------------------------------------------------------------ the plan


def _reads(node: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]


def _values_expr(node: ast.expr, dicts: set[str], lists: bool = True, seqs: frozenset[str] = frozenset()) -> set[str] | None:
    """A list of the variables: ``list(a.values()) + list(b.values())``,
    ``[*a.values(), *b.values()]``, ``list(a.values())``, ``[W, b]`` (globals), ``params`` (a
    list of variables, ``seqs``; also ``list(params)``, ``[*params]``): the dicts / globals /
    lists it holds, or None. (``a.values() + b.values()`` is a TypeError in Python 3: not
    rewritten into code that works.)"""
    if isinstance(node, ast.Name) and node.id in seqs:
        return {node.id}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _values_expr(node.left, dicts, seqs=seqs), _values_expr(node.right, dicts, seqs=seqs)
        return None if left is None or right is None else left | right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") \
            and len(node.args) == 1 and not node.keywords:
        return _values_expr(node.args[0], dicts, lists=False, seqs=seqs)
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        got: set[str] = set()
        for e in node.elts:
            if isinstance(e, ast.Starred):
                one = _values_expr(e.value, dicts, lists=False, seqs=seqs)
            elif isinstance(e, ast.Name) and e.id in dicts and e.id not in seqs:
                one = {e.id}
            else:
                one = None  # (a list of variables inside a list is not one list of them)
            if one is None:
                return None
            got |= one
        return got
    if (not lists and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values"
            and not node.args and isinstance(node.func.value, ast.Name) and node.func.value.id in dicts):
        return {node.func.value.id}
    return None


@dataclass
class Kept:
    """Why the variables stay as the program has them (reported at each, XL503)."""

    stmts: list[ast.Assign]
    why: str


def _values_call(node: ast.AST, dicts: dict[str, _Dict]) -> str | None:
    """``weights.values()`` of a dict of variables -> "weights"."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values"
            and not node.args and not node.keywords and isinstance(node.func.value, ast.Name)
            and node.func.value.id in dicts and not dicts[node.func.value.id].single):
        return node.func.value.id
    return None


def _view_sum(tree: ast.Module, dicts: dict[str, _Dict], names: ModuleNames) -> Kept | None:
    """A program whose training list is ``weights.values() + biases.values()`` (TF 1 era
    tutorials ported to TF 2): two dict views do not add, a TypeError in Python 3, so the
    program fails as written. Raising it would replace that line by the model's
    ``trainable_variables`` and make it run: a change of behaviour to-keras never makes
    silently. The dicts stay and are reported, with the list that works, when a module-level
    function applies one of them as a layer's weight (a model the user would want raised);
    None otherwise. The names must be the module's dicts where the sum is: a function that
    binds one of them (a parameter, a local) is skipped."""
    for top in tree.body:
        local: set[str] = set()
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local = {a.arg for a in ast.walk(top.args) if isinstance(a, ast.arg)}
            local |= {n.id for n in ast.walk(top) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
            local |= {g for n in ast.walk(top) if isinstance(n, (ast.Global, ast.Nonlocal)) for g in n.names}
        for n in ast.walk(top):
            if not (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add)):
                continue
            a, b = _values_call(n.left, dicts), _values_call(n.right, dicts)
            if a is None or b is None or a in local or b in local:
                continue
            applied = [d for d in dict.fromkeys((a, b)) if any(
                isinstance(f, ast.FunctionDef) and _weight_use(
                    f, lambda x, d=d: _dict_ref(x, {d: dicts[d]}) is not None, names)  # type: ignore[misc]
                for f in tree.body)]
            if not applied:
                continue
            return Kept([dicts[d].stmt for d in dict.fromkeys((a, b))],
                        f"the training step's `{a}.values() + {b}.values()` is a TypeError in Python 3 (dict views do "
                        f"not add), so the program fails as written; `list({a}.values()) + list({b}.values())` "
                        "is the list that works")
    return None


def _rebound_variables(tree: ast.Module, names: ModuleNames) -> list[ast.Assign]:
    """``W = tf.Variable(...)`` statements of a name bound more than once at module level and
    read by a module-level function that applies TensorFlow ops to it (which the dict-style
    program would raise, were it bound once)."""
    made: dict[str, list[ast.Assign]] = {}
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and _is_variable(stmt.value, names)):
            made.setdefault(stmt.targets[0].id, []).append(stmt)
    rebound = {n for n, ss in made.items() if len(ss) > 1  # (a scalar is no layer's weight)
               and not all(isinstance(s.value, ast.Call) and isinstance(kwarg(s.value, "initial_value", 0), ast.Constant) for s in ss)}
    read = {n for f in tree.body if isinstance(f, ast.FunctionDef) for n in rebound
            if _weight_use(f, lambda x, n=n: isinstance(x, ast.Name) and x.id == n, names)}  # type: ignore[misc]
    return [s for n in sorted(read) for s in made[n]]


_WEIGHT_OPS = {"tf.linalg.matmul", "tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d", "tf.nn.convolution", "tf.nn.bias_add",
               "tf.nn.depthwise_conv2d", "tf.nn.conv2d_transpose", "tf.nn.embedding_lookup"}


def _weight_use(fn: ast.FunctionDef, is_var: Callable[[ast.AST], bool], names: ModuleNames) -> bool:
    """``fn`` applies a variable as a layer's weight would be: an argument of ``tf.matmul`` /
    ``@`` / a ``tf.nn`` convolution / ``bias_add`` / ``embedding_lookup``."""
    for n in ast.walk(fn):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) and (is_var(n.left) or is_var(n.right)):
            return True
        if isinstance(n, ast.Call) and names.call(n) in _WEIGHT_OPS and any(is_var(a) for a in n.args[:2]):
            return True
        if (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add) and (is_var(n.left) or is_var(n.right))
                and any(isinstance(c, ast.Call) and names.call(c) in _WEIGHT_OPS for c in (n.left, n.right))):
            return True  # the bias added to one
    return False


def plan_programs(tree: ast.Module, st: SourceText, names: ModuleNames) -> tuple[str, list[Plan]] | Kept | None:
    """The source with the dict-of-variables model function rewritten as a ``tf.Module``
    class (see the module docstring); a :class:`Kept` when a function applies the variables
    but the program cannot be raised whole; None when there is no such program."""
    dicts = _variable_dicts(tree, names)
    if not dicts:
        rebound = _rebound_variables(tree, names)
        if rebound:
            return Kept(rebound, "it is bound to a new tf.Variable more than once (a checkpoint example, a second model)")
    if not dicts or names.qual(ast.Attribute(ast.Name("tf", ast.Load()), "Module", ast.Load())) != "tf.Module":
        return None  # (the class is written with `tf.`)
    broken = _view_sum(tree, dicts, names)
    if broken is not None:
        return broken
    # a model function given the dicts as arguments, the same ones at every call, reads them
    # as if it read the module's (see passed_weights); its calls drop those arguments
    passed, not_passed = passed_weights(tree, set(dicts))
    if passed:
        tree, _ = without_passed(tree, passed)
    seqs = frozenset(n for n, d in dicts.items() if d.seq)
    funcs = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    funcs.update(_lambdas(tree, set(funcs)))
    helpers = {n: f for n, f in funcs.items() if simple_helper(f) and n not in passed}
    taken = {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    for s in tree.body:
        for n in ast.walk(s):
            if isinstance(n, ast.Name):
                taken.add(n.id)
    plans: list[Plan] = []
    failed: str | None = None
    inlined: set[str] = set()
    for fn in funcs.values():
        if fn.name in helpers and not any(_dict_ref(n, dicts) for n in ast.walk(fn)):
            continue
        if fn.decorator_list and _weight_use(fn, lambda n: _dict_ref(n, dicts) is not None, names):
            failed = failed or f"`{fn.name}` is decorated"
            continue
        if fn.decorator_list or fn.args.vararg or fn.args.kwarg or not fn.args.args:
            continue
        if any(a.arg in dicts for a in fn.args.args + fn.args.kwonlyargs):
            continue
        if any(_dict_ref(n, dicts) for n in ast.walk(fn.args)):
            failed = failed or f"`{fn.name}` takes one as a default argument"
            continue  # (`def f(x, w=W)`: the class's signature would read a variable that is gone)
        if any(isinstance(n, ast.Name) and n.id in dicts and not isinstance(n.ctx, ast.Load) for n in ast.walk(fn)) \
                or any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(fn)):
            continue
        listed = {id(x) for n in ast.walk(fn) if isinstance(n, ast.expr) and _values_expr(n, set(dicts), seqs=seqs) is not None
                  for x in ast.walk(n)}
        if any(id(n) in listed for n in ast.walk(fn) if _dict_ref(n, dicts)):
            continue  # a training step (`g.gradient(loss, [W, b])`), not the model
        if not any(_dict_ref(n, dicts) for n in ast.walk(fn)) and not any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in helpers
                and any(_dict_ref(a, dicts) for a in n.args) for n in ast.walk(fn)):
            continue
        body = _Body(dicts, helpers, st, names)
        body.stores = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        body.stores |= {a.arg for a in fn.args.args + fn.args.kwonlyargs}
        new_body = [body.visit(copy.deepcopy(s)) for s in fn.body]
        if body.failed or not body.used:
            failed = failed or (f"in `{fn.name}`, {body.failed}" if body.failed else None)
            continue
        # every read of the dicts left in the function must have become an attribute
        if any(isinstance(n, ast.Name) and n.id in dicts for s in new_body for n in ast.walk(s)):
            failed = failed or f"`{fn.name}` reads them other than one by one (a whole dict, `.items()`)"
            continue
        cls = _camel(fn.name)
        while cls in taken:
            cls += "Model"
        taken.add(cls)
        plans.append(Plan(fn, cls, [dicts[d] for d in dict.fromkeys(d for d, _ in body.used)], body.used, new_body))
        inlined |= body.inlined
    if not plans and not failed and not_passed:
        # the variables given to a function that cannot take them as the module's (the
        # weight-like ones: a counter or a frozen variable is no layer's weight)
        reason, given = next(iter(not_passed.values()))
        return Kept([dicts[n].stmt for n in given if not dicts[n].single or (
            isinstance(v := dicts[n].entries[""], ast.Call) and _weight_like(v, names))], reason)
    if not plans:
        return Kept([d.stmt for d in dicts.values()], failed) if failed else None
    all_dicts = list({id(d.stmt): d for p in plans for d in p.dicts}.values())
    kept = [d.stmt for d in all_dicts]
    names_ = ", ".join(f"`{p.func.name}`" for p in plans)
    planned = {p.func.name for p in plans}
    # the functions that hand the models' variables on (a training step given `weights,
    # biases`) stay as written, without those parameters
    handing = sorted(f for f, pw in passed.items() if f not in planned and set(pw.params.values()) & {d.name for d in all_dicts})
    for d in all_dicts:  # given to a function that cannot take it as the module's
        for reason, given in not_passed.values():
            if d.name in given:
                return Kept(kept, reason)
    # several model functions (an encoder and a decoder) each take their own variables
    owner: dict[tuple[str, str], Plan] = {}
    for p in plans:
        for ref in p.used:
            if ref in owner:
                return Kept(kept, f"{names_} share `{p.path(*ref)}`; one Keras model each would not")
            owner[ref] = p
    # every variable of a dict one of them reads is a weight of one of them
    if any(set(d.entries) != {k for dd, k in owner if dd == d.name} for d in all_dicts):
        return Kept(kept, f"{names_} do not apply every variable of the dicts they read")
    aliases = _initializer_aliases(tree, names, st)
    for p in plans:
        p.aliases = aliases
    edits: list[tuple[int, int, str]] = []
    # a helper the models now hold (substituted at each call) that nothing else calls goes with
    # the dicts: its ops run in the layers. Only such a helper may read the dicts.
    first = min(p.func.lineno for p in plans)
    models = [st.span(p.func) for p in plans]
    removed: list[ast.FunctionDef] = []
    for name in sorted(inlined, key=lambda n: helpers[n].lineno):
        h = helpers[name]
        inside = models + [st.span(h)]
        if h.decorator_list or not st.owns_lines(h) or h.lineno > first or any(
                isinstance(n, (ast.Name, ast.FunctionDef, ast.ClassDef)) and getattr(n, "id", getattr(n, "name", None)) == name
                and n is not h and not any(lo <= st.span(n)[0] < hi for lo, hi in inside) for n in ast.walk(tree)):
            continue  # (called or bound elsewhere: it stays)
        removed.append(h)
    spans = models + [st.span(h) for h in removed]
    for d in all_dicts:
        for n in ast.walk(tree):
            if not (isinstance(n, ast.Name) and n.id == d.name and isinstance(n.ctx, ast.Load)):
                continue
            a, _ = st.span(n)
            if any(lo <= a < hi for lo, hi in spans):
                continue
            if not _in_values_expr(n, tree, plans, st, edits):
                return Kept(kept, f"`{d.name}` is read outside {names_} other than as the list of "
                                  "variables a training step updates")
    edits = sorted(set(edits))
    # the dicts' statements go, each function becomes its class and instance
    gone: list[tuple[int, int]] = []
    for d in sorted(all_dicts, key=lambda d: d.stmt.lineno):
        lo, hi = st.line_span(d.stmt)
        if not st.owns_lines(d.stmt) or d.stmt.lineno > first:
            return Kept(kept, f"`{d.name}` is not created on lines of its own before {names_}")
        while lo > 0:  # the comment lines right above describe the variable: they go with it
            prev = st.text.rfind("\n", 0, lo - 1) + 1
            if not st.text[prev:lo].lstrip().startswith("#"):
                break
            lo = prev
        if gone and not st.text[gone[-1][1]:lo].strip():
            lo = gone.pop()[0]  # consecutive statements (blank lines between) go as one
        gone.append((lo, hi))
    for h in removed:
        lo, hi = st.line_span(h)
        while lo > 0:
            prev = st.text.rfind("\n", 0, lo - 1) + 1
            if not st.text[prev:lo].lstrip().startswith("#"):
                break
            lo = prev
        gone.append((lo, hi))
    gone.sort()
    for lo, hi in gone:
        while lo > 0 and st.text[lo - 2:lo] == "\n\n" and st.text[hi:hi + 1] in ("\n", "\r"):
            lo -= 1  # the blank line above goes with it when one follows (no blank-line pile-up)
        edits.append((lo, hi, ""))
    for p in plans:
        a, b = st.span(p.func)
        edits.append((a, b, _class_source(p, st)))
    # the calls of a model function, or of a function handing its variables on, drop the
    # arguments it no longer takes (a call inside a rewritten region is written from the tree,
    # where they are gone already; so is a read inside a rewritten expression)
    small: list[tuple[int, int, str]] = []
    for fname in sorted(planned & set(passed)) + handing:
        small += argument_edits(st, passed[fname])
    for fname in handing:
        small += function_edits(st, passed[fname])
    regions = [(lo, hi) for lo, hi, _ in edits]
    for e in sorted(set(small), key=lambda e: (e[0], -e[1])):  # (a rename inside a dropped argument goes with it)
        if any(lo <= e[0] and e[1] <= hi for lo, hi in regions):
            continue
        if any(lo < e[1] and e[0] < hi for lo, hi in regions):
            return Kept(kept, f"the arguments that hand them on cannot be dropped where {names_} is rewritten")
        edits.append(e)
        regions.append((e[0], e[1]))
    text = st.text
    for lo, hi, new_text in sorted(edits, reverse=True):
        text = text[:lo] + new_text + text[hi:]
    line_map = _line_map(st.text, sorted(edits))
    for p in plans:
        p.line_map = line_map
    return text, plans


def _line_map(old: str, edits: list[tuple[int, int, str]]) -> list[int]:
    """For each line of the rewritten text (0-based index), the 1-based line of the original
    it comes from (a line of a rewritten region: the region's first line)."""
    out: list[int] = []
    pos = 0
    for s, e, new in edits:
        first = old.count("\n", 0, s) + 1
        kept = old[pos:s]
        start = old.count("\n", 0, pos) + 1
        out += [start + i for i in range(kept.count("\n"))]
        out += [first] * new.count("\n")
        pos = e
    start = old.count("\n", 0, pos) + 1
    out += [start + i for i in range(old[pos:].count("\n") + 1)]
    return out


def _in_values_expr(n: ast.Name, tree: ast.Module, plans: list[Plan], st: SourceText,
                    edits: list[tuple[int, int, str]]) -> bool:
    """``n`` is read in a list of the variables (``list(weights.values()) + ...``) that holds
    exactly the variables of some of the models; its rewrite to ``<model>.trainable_variables``
    (joined with ``+``) is added to ``edits``."""
    dicts = {d.name for p in plans for d in p.dicts}
    seqs = frozenset(d.name for p in plans for d in p.dicts if d.seq)
    parents: dict[int, ast.AST] = {}
    for p in ast.walk(tree):
        for c in ast.iter_child_nodes(p):
            parents[id(c)] = p
    node: ast.AST = n
    best: ast.expr | None = None
    if n.id in seqs:
        # a list of variables is read whole only where its order and identity do not matter
        # beyond pairing with what was computed from it: a gradient's sources, zip(...), the
        # iterable of a loop (not `params[i]`, `params.append(...)`, `enumerate(params)`)
        up = parents.get(id(n))
        whole = (isinstance(up, ast.Call) and (n in up.args or any(k.value is n for k in up.keywords)) and (
            (isinstance(up.func, ast.Attribute) and up.func.attr in ("gradient", "apply_gradients", "minimize"))
            or (isinstance(up.func, ast.Name) and up.func.id in ("zip", "list", "tuple"))))
        whole = whole or (isinstance(up, (ast.For, ast.comprehension)) and up.iter is n)
        whole = whole or (isinstance(up, ast.BinOp) and isinstance(up.op, ast.Add))
        if not whole:
            return False
        best = n
    while id(node) in parents:
        node = parents[id(node)]
        if not isinstance(node, ast.expr):
            break
        got = _values_expr(node, dicts, seqs=seqs)
        if got is not None:
            best = node
    if best is None:
        return False
    held = _values_expr(best, dicts, seqs=seqs) or set()
    models = [p for p in plans if {d.name for d in p.dicts} & held]
    if {d.name for p in models for d in p.dicts} != held:
        return False  # the list holds part of a model's variables, or of another model's too
    if len(models) > 1 and isinstance(best, ast.Tuple):
        return False  # a tuple would become a list
    s, e = st.span(best)
    edits.append((s, e, " + ".join(f"{p.func.name}.trainable_variables" for p in models)))
    return True


def _initializer_aliases(tree: ast.Module, names: ModuleNames, st: SourceText) -> dict[str, str]:
    """``random_normal = tf.initializers.RandomNormal()`` (bound once at module level): the
    name -> the source of the initializer it holds."""
    bound: dict[str, list[ast.AST]] = {}
    for stmt in tree.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                bound.setdefault(n.id, []).append(stmt)
    out = {}
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Call) and len(bound.get(stmt.targets[0].id, [])) == 1):
            q = names.call(stmt.value) or ""
            if q.startswith(("tf.initializers.", "tf.keras.initializers.", "tf.random_normal_initializer",
                             "tf.random_uniform_initializer", "tf.glorot_uniform_initializer")):
                out[stmt.targets[0].id] = st.seg(stmt.value)
    return out


def _variable_source(var: ast.expr, aliases: dict[str, str], st: SourceText) -> str:
    """The variable's creation as written, an initializer alias spelled out
    (``tf.Variable(random_normal([5, 5]))`` -> ``tf.Variable(tf.initializers.RandomNormal()([5, 5]))``)
    so the shape and the initializer can be read."""
    text = st.seg(var)
    init = var.args[0] if isinstance(var, ast.Call) and var.args else None
    if isinstance(init, ast.Call) and isinstance(init.func, ast.Name) and init.func.id in aliases:
        a, b = st.span(init.func)
        v0, _ = st.span(var)
        text = text[: a - v0] + aliases[init.func.id] + text[b - v0:]
    return text


def _signature_end(fn: ast.FunctionDef, st: SourceText) -> int:
    """The 1-based line where ``def name(...):`` ends (its body starts below)."""
    line = fn.lineno
    first = fn.body[0].lineno
    while line < first and not st.lines[line - 1].split("#", 1)[0].rstrip().endswith(":"):
        line += 1
    return line


def _class_source(plan: Plan, st: SourceText) -> str:
    fn = plan.func
    order = ", ".join(plan.path(d, k) for d, k in plan.used)
    params = ast.unparse(fn.args)
    lines = [f"class {plan.cls}(tf.Module):",
             f'    """`{fn.name}` with its weights (raised by xlate to-keras). The original variables load',
             f"    with ``{fn.name}.set_weights([{order}])`` after one call has built the layers.\"\"\"",
             "",
             "    def __init__(self):",
             "        super().__init__()"]
    for d, k in plan.used:
        var = next(x for x in plan.dicts if x.name == d).entries[k]
        lines.append(f"        self.{plan.attr(d, k)} = {_variable_source(var, plan.aliases, st)}")
    lines.append("")
    lines.append(f"    def __call__(self, {params}):")
    doc = ast.get_docstring(fn, clean=False)
    body = plan.new_body
    if doc is not None:
        lines.append("        " + ast.unparse(fn.body[0]))
        body = body[1:]
    originals = fn.body[1:] if doc is not None else fn.body
    prev_end = (originals[0].lineno - 1) if doc is None else (fn.body[0].end_lineno or fn.body[0].lineno)
    if doc is None:  # the lines between the signature and the first statement
        prev_end = _signature_end(fn, st)
    for s, orig in zip(body, originals, strict=True):
        for line in st.lines[prev_end:orig.lineno - 1]:  # the comment lines above the statement
            if line.strip().startswith("#"):
                lines.append("        " + line.strip())
        prev_end = orig.end_lineno or orig.lineno
        for line in ast.unparse(s).splitlines():
            lines.append("        " + line)
    lines.append("")
    lines.append("")
    lines.append(f"{fn.name} = {plan.cls}()")
    return re.sub(r"[ \t]+\n", "\n", "\n".join(lines))
