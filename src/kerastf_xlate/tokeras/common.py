"""Pieces every to-keras translator shares: the file's context, findings, and readers of
function definitions."""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field
from functools import cached_property

from kerastf_xlate.args import bind
from kerastf_xlate.layerkit.ranks import RankInfo, keras_layer_class
from kerastf_xlate.layerkit.recognise import Var
from kerastf_xlate.layers import family_for
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.rules import RuleSet
from kerastf_xlate.syntax import SourceText, self_attr

MARKER = re.compile(r"^`(\w+)` layer, translated by xlate to-tf\.$")
GENERATED = ("ordered_variables", "get_weights", "set_weights", "summary", "build")
BUILTINS = set(dir(builtins))
# tf calls that are plumbing around ops, not ops with a layer of their own
PLUMBING = {"tf.Variable", "tf.shape", "tf.cast", "tf.stack", "tf.zeros", "tf.ones", "tf.fill", "tf.size",
             "tf.random.normal", "tf.random.uniform", "tf.random.truncated_normal", "tf.convert_to_tensor"}


@dataclass
class FileEnv:
    """What every translator of one file shares."""

    st: SourceText
    names: ModuleNames
    rules: RuleSet
    tree: ast.Module
    keras: str = "keras"
    layers: str = "layers."
    module_names: set[str] = field(default_factory=set)
    sublayers: set[str] = field(default_factory=set)  # classes used as layers of other classes
    keras_calls: dict[int, str] = field(default_factory=dict)  # id(call) -> Keras layer it constructs
    raised: set[str] = field(default_factory=set)  # classes raised to Keras so far (in source order)
    class_ranks: dict[str, int] | None = None  # class -> the rank its call returns (see rank_info)
    built: frozenset[str] = frozenset()  # classes whose layers are built in __init__ (inline_forward)
    instance_kept: dict[str, str] = field(default_factory=dict)  # class -> why instance_vars kept it

    @cached_property
    def built_instances(self) -> frozenset[str]:
        """The names bound to an instance of a ``built`` class (``model = Network()``, which
        inline_forward writes with a name the file did not use): their attributes are that
        class's, not another's."""
        if not self.built:
            return frozenset()
        return frozenset(t.id for n in ast.walk(self.tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                         and isinstance(n.value.func, ast.Name) and n.value.func.id in self.built
                         for t in n.targets if isinstance(t, ast.Name))


@dataclass
class Finding:
    node: ast.AST
    code: str
    message: str


def docstring(fn: ast.FunctionDef) -> str | None:
    if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) and isinstance(fn.body[0].value.value, str):
        return fn.body[0].value.value
    return None


def build_call(stmt: ast.stmt) -> ast.expr | None:
    """The argument of ``self.build(shape)`` in ``__init__`` (what to-tf writes when the
    input shape is known only at run time)."""
    if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and self_attr(stmt.value.func) == "build"
            and len(stmt.value.args) == 1 and not stmt.value.keywords):
        return stmt.value.args[0]
    return None


def is_generated_method(fn: ast.FunctionDef) -> bool:
    """One of the weight methods xlate to-tf writes (they all go through ordered_variables)."""
    if fn.name not in GENERATED:
        return False
    if fn.name == "ordered_variables":
        return any(f"Keras {k}'s ``get_weights()``" in (docstring(fn) or "") for k in ("model", "layer"))
    if fn.name == "build":
        return "as Keras's ``build()`` does" in (docstring(fn) or "")
    return "ordered_variables" in ast.unparse(fn)


def training_param(fn: ast.FunctionDef) -> str | None:
    for a in fn.args.args + fn.args.kwonlyargs:
        if a.arg in ("training", "is_training", "train"):
            return a.arg
    return None


def params_of(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return names


def locals_of(fn: ast.FunctionDef) -> set[str]:
    out = set(params_of(fn))
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
    return out


def free_names(src: str) -> tuple[set[str], set[str]]:
    """(plain names, self attributes) read by an argument's source."""
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError:
        return {"<unparsable>"}, set()
    names, attrs = set(), set()
    inner = {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id not in inner:
            names.add(n.id)
        attr = self_attr(n)
        if attr is not None:
            attrs.add(attr)
    return names - {"self"}, attrs


# why some ops stay TensorFlow code (the default message covers the rest)
_WHY_KEPT = {
    "tf.nn.dropout": "it drops units whenever it runs; Keras's Dropout is active only in training, so only "
                     "`tf.nn.dropout` under `if training:` (or `... if training else x`) becomes one",
    "tf.nn.space_to_depth": "Keras has no layer that moves spatial blocks into channels",
    "tf.nn.depth_to_space": "Keras has no layer that moves channels into spatial blocks",
    "tf.nn.ctc_loss": "a loss, not a layer",
    "tf.nn.batch_normalization": "the statistics it is given are not a BatchNormalization's (moving averages "
                                 "updated in training) nor a LayerNormalization's (moments over the last axis)",
}


def kept_message(q: str) -> str:
    why = _WHY_KEPT.get(q, "to-keras knows no Keras layer that computes it")
    return f"`{q}` kept as a TensorFlow op: {why}"


def module_classes(tree: ast.Module, names: ModuleNames) -> list[ast.ClassDef]:
    """Module-level classes deriving directly from tf.Module."""
    return [s for s in tree.body if isinstance(s, ast.ClassDef) and any(names.qual(b) == "tf.Module" for b in s.bases)]


def sublayer_classes(tree: ast.Module, classes: list[ast.ClassDef]) -> set[str]:
    """Classes instantiated as ``self.x = Cls(...)`` inside another of the classes."""
    names = {c.name for c in classes}
    out = set()
    for c in classes:
        for n in ast.walk(c):
            if (isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
                    and n.value.func.id in names and any(self_attr(t) for t in n.targets)):
                out.add(n.value.func.id)
    return out


def module_level_names(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for s in tree.body:
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            for a in s.names:
                out.add(a.asname or a.name.split(".")[0])
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(s.name)
        else:
            for n in ast.walk(s):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    out.add(n.id)
    return out



def rank_info(env: FileEnv, scope: ast.FunctionDef | list[ast.stmt], self_name: str | None = None,
              init: ast.FunctionDef | None = None, vars_: dict[str, Var] | None = None) -> RankInfo:
    """The static ranks of the names read in a function body (or a block), with the Keras
    layers ``init`` creates as ``self.<attr>`` (see :mod:`kerastf_xlate.layerkit.ranks`)."""
    if env.class_ranks is None:
        env.class_ranks = {}
        env.class_ranks = _class_ranks(env)
    info = _rank_info(env, scope, self_name, init, env.class_ranks, _var_shapes(env, vars_ or {}))
    return info


def _int_constants(tree: ast.Module) -> dict[str, int]:
    """Module-level ``NAME = <int>`` bound once (``conv2_filters = 64``)."""
    count: dict[str, int] = {}
    for stmt in tree.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                count[n.id] = count.get(n.id, 0) + 1
    out = {}
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and count.get(stmt.targets[0].id) == 1 and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, int) and not isinstance(stmt.value.value, bool)):
            out[stmt.targets[0].id] = stmt.value.value
    return out


def _var_shapes(env: FileEnv, vars_: dict[str, Var]) -> dict[str, tuple[int | None, ...]]:
    """The variables' static shapes, a size written with the module's int constants evaluated."""
    if not vars_:
        return {}
    consts = _int_constants(env.tree)
    out = {}
    for attr, v in vars_.items():
        if v.shape is not None:
            out[attr] = tuple(d.value if d.value is not None else _arith(d.src, consts) for d in v.shape)
    return out


def _arith(src: str, consts: dict[str, int]) -> int | None:
    """``7 * 7 * conv2_filters`` with the constants: + - * // on ints only."""
    try:
        node = ast.parse(src, mode="eval").body
    except SyntaxError:
        return None

    def ev(n: ast.AST) -> int | None:
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
            return n.value
        if isinstance(n, ast.Name):
            return consts.get(n.id)
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            a, b = ev(n.left), ev(n.right)
            if a is None or b is None or (isinstance(n.op, ast.FloorDiv) and b == 0):
                return None
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(n.op), a // b if b else 0)
        return None

    return ev(node)


def _rank_info(env: FileEnv, scope: ast.FunctionDef | list[ast.stmt], self_name: str | None,
               init: ast.FunctionDef | None, class_ranks: dict[str, int],
               var_shapes: dict[str, tuple[int | None, ...]] | None = None) -> RankInfo:
    known = keras_layer_class(env.names, set(env.rules.by_name))

    def layer_class(call: ast.Call) -> str | None:
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in class_ranks:
            return f"@{call.func.id}"
        return known(call)

    init_layers: dict[str, ast.Call] = {}
    if init is not None and self_name is not None:
        for s in init.body:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.value, ast.Call):
                a = self_attr(s.targets[0], params_of(init)[0] if params_of(init) else "self")
                if a is not None and layer_class(s.value) is not None:
                    init_layers[a] = s.value
        init_layers = {a: c for a, c in init_layers.items()
                       if sum(1 for s in init.body for t in getattr(s, "targets", []) if self_attr(t) == a) == 1}
    def layer_shape(cls: str, create: ast.Call, x: tuple[int | None, ...]) -> tuple[int | None, ...] | None:
        if cls.startswith("@"):
            return (None,) * class_ranks[cls[1:]]
        return _layer_shape(env.rules, cls, create, x)

    info = RankInfo(env.names, self_name, layer_class, init_layers, layer_shape, var_shapes)
    info.run(scope.body if isinstance(scope, ast.FunctionDef) else scope)
    return info


def _class_ranks(env: FileEnv) -> dict[str, int]:
    """The file's module-level classes whose ``call`` / ``__call__`` returns one known rank
    on every path (a block ending in a pooling layer: rank 4), so a model holding one knows
    the rank of what it returns. Followed three levels deep."""
    classes = [c for c in env.tree.body if isinstance(c, ast.ClassDef)]
    ranks: dict[str, int] = {}
    for _ in range(3):
        found: dict[str, int] = {}
        for c in classes:
            fns = {f.name: f for f in c.body if isinstance(f, ast.FunctionDef)}
            fn = fns.get("call") or fns.get("__call__")
            if fn is None:
                continue
            params = params_of(fn)
            info = _rank_info(env, fn, params[0] if params else "self", fns.get("__init__"), ranks)
            got = {info.shape(r.value) for r in ast.walk(fn) if isinstance(r, ast.Return) and r.value is not None}
            got_ranks = {len(g) if g is not None else None for g in got}
            if len(got_ranks) == 1 and None not in got_ranks:
                found[c.name] = got_ranks.pop()  # type: ignore[assignment]
        if found == ranks:
            break
        ranks = found
    return ranks


def _layer_shape(rules: RuleSet, cls: str, create: ast.Call, x: tuple[int | None, ...]) -> tuple[int | None, ...] | None:
    """The output shape of Keras layer ``cls`` created by ``create`` on an input of shape ``x``,
    when every argument is a literal (the layer families' own shape functions)."""
    rule = rules.by_name.get(cls)
    family = family_for(cls, rules)
    if rule is None or family is None or family.output_shape is None:
        return None
    bound = bind(rule, create)
    if bound.opaque:
        return None
    args = {k: ast.unparse(v) for k, v in bound.nodes.items()}
    return family.output_shape(cls, args, [x])


def init_tail(init: ast.FunctionDef) -> tuple[ast.stmt | None, bool]:
    """Where statements added at the end of ``__init__`` go: before the statement returned
    (a final bare ``return``, which would leave them unreachable; None: after the last
    statement), and whether every path reaches them (no other ``return`` in ``__init__``)."""
    last = init.body[-1] if init.body else None
    trailing = last if isinstance(last, ast.Return) and last.value is None else None

    def returns(node: ast.AST) -> list[ast.Return]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and node is not init:
            return []
        found = [node] if isinstance(node, ast.Return) else []
        for child in ast.iter_child_nodes(node):
            found += returns(child)
        return found

    return trailing, all(r is trailing for r in returns(init))
