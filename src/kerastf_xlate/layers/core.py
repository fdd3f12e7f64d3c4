"""Core layers: Dense, Activation, ReLU, PReLU, Embedding."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from kerastf_xlate.activations import ACTIVATIONS, activation_template
from kerastf_xlate.layerkit.emit import (
    Dim,
    EmitCtx,
    Emitted,
    Unsupported,
    Weight,
    activation_lines,
)
from kerastf_xlate.layerkit.family import CORE, EXPRESSION, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    init_arg,
    kernel_dims,
    weight_facts,
)
from kerastf_xlate.layerkit.shapes import (
    Fact,
    Shape,
    Unbuildable,
    first_input,
    same_shape,
    same_shape_on_channels,
)
from kerastf_xlate.layers.templates import operand
from kerastf_xlate.resolve import ModuleNames, canonical, dotted
from kerastf_xlate.static import UNKNOWN, literal_or
from kerastf_xlate.syntax import SourceText, const, kwarg, only_args, same


def dense(ctx: EmitCtx) -> Emitted:
    """``x @ kernel + bias``; on rank > 2 inputs only the last axis is contracted."""
    units = ctx.value("units") if ctx.is_literal("units") else None
    units_dim = units if isinstance(units, int) else _dim(ctx.arg("units"))
    weights = [Weight("kernel", (ctx.dim(-1), units_dim), ctx.arg("kernel_initializer"))]
    if ctx.rank() == 2:
        lines = [ctx.assign(f"tf.matmul({ctx.x}, {ctx.w('kernel')})")]
    else:
        lines = [ctx.assign(f"tf.tensordot({ctx.x}, {ctx.w('kernel')}, axes=1)")]
    if ctx.value("use_bias"):
        weights.append(Weight("bias", (units_dim,), ctx.arg("bias_initializer")))
        lines.append(f"{ctx.out} = tf.nn.bias_add({ctx.out}, {ctx.w('bias')})")
    lines += activation_lines(ctx)
    shape = ctx.shape
    return Emitted(weights, lines, None if shape is None else tuple(shape[:-1]) + (units_dim,))


def _dim(src: str):
    return Dim(src)


def activation(ctx: EmitCtx) -> Emitted:
    lines = [ctx.assign(ctx.x)] + activation_lines(ctx)
    if len(lines) > 1 and lines[0] == f"{ctx.out} = {ctx.out}":
        lines = lines[1:]
    return Emitted([], lines, ctx.shape)


def relu(ctx: EmitCtx) -> Emitted:
    """keras.activations.relu(x, negative_slope, max_value, threshold), Keras 3 semantics."""
    slope = float(ctx.value("negative_slope"))
    max_value = ctx.value("max_value")
    threshold = float(ctx.value("threshold"))
    x = ctx.x
    if slope != 0.0 and max_value is None and threshold == 0.0:
        return Emitted([], [ctx.assign(f"tf.nn.leaky_relu({x}, alpha={slope!r})")], ctx.shape)
    clip = max_value is not None
    if threshold != 0.0:
        expr = f"tf.where({x} > {threshold!r}, {x}, 0.0)"
    elif max_value is not None and float(max_value) == 6.0:
        expr, clip = f"tf.nn.relu6({x})", False
    else:
        expr = f"tf.nn.relu({x})"
    if clip:
        expr = f"tf.clip_by_value({expr}, 0.0, {float(max_value)!r})"
    if slope != 0.0:
        neg = f"tf.nn.relu(-{x} + {threshold!r})" if threshold != 0.0 else f"tf.nn.relu(-{x})"
        expr = f"{expr} - {slope!r} * {neg}"
    return Emitted([], [ctx.assign(expr)], ctx.shape)


def elu(ctx: EmitCtx) -> Emitted:
    """Keras's ELU as its TensorFlow backend computes it: the fused ``tf.nn.elu(x)``, and for
    ``alpha != 1`` ``tf.where(x > 0, elu(x), alpha * elu(x))`` (a where/expm1 spelling is
    exact too but several times slower: ``bench/rule_speed.py``)."""
    x = ctx.x
    if ctx.is_literal("alpha") and float(ctx.value("alpha")) == 1.0:
        return Emitted([], [ctx.assign(f"tf.nn.elu({x})")], ctx.shape)
    expr = f"tf.where({x} > 0, tf.nn.elu({x}), {operand(ctx.arg('alpha'))} * tf.nn.elu({x}))"
    return Emitted([], [ctx.assign(expr)], ctx.shape)


def prelu(ctx: EmitCtx) -> Emitted:
    """``max(x, 0) + alpha * min(x, 0)`` with ``alpha`` shaped like the input (minus batch)."""
    shape = ctx.shape
    if shape is None:
        raise Unsupported("PReLU needs a known input rank")
    shared = ctx.value("shared_axes")
    shared = [] if shared is None else ([shared] if isinstance(shared, int) else list(shared))
    alpha_shape = tuple(1 if (i in shared) else ctx.dim(i) for i in range(1, len(shape)))
    weights = [Weight("alpha", alpha_shape, ctx.arg("alpha_initializer"))]
    x = ctx.x
    lines = [ctx.assign(f"tf.nn.relu({x}) - {ctx.w('alpha')} * tf.nn.relu(-{x})")]
    return Emitted(weights, lines, shape)


def embedding(ctx: EmitCtx) -> Emitted:
    input_dim, output_dim = ctx.value("input_dim"), ctx.value("output_dim")
    weights = [Weight("embeddings", (input_dim, output_dim), ctx.arg("embeddings_initializer"))]
    x = ctx.x
    lines = [ctx.assign(f"tf.nn.embedding_lookup({ctx.w('embeddings')}, tf.cast({x}, tf.int32))")]
    shape = ctx.shape
    return Emitted(weights, lines, None if shape is None else tuple(shape) + (output_dim,))


__all__ = ["activation_template"]


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _dense(node: ast.AST, ctx: MatchCtx) -> Match | None:
    x = w = None
    op = "matmul"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        x, w = node.left, node.right
    elif isinstance(node, ast.Call):
        q = ctx.names.call(node)
        if q == "tf.linalg.matmul" and only_args(node, ["a", "b"]) and len(node.args) == 2:
            x, w = node.args
        elif q == "tf.linalg.tensordot" and only_args(node, ["a", "b", "axes"]):
            axes = const(kwarg(node, "axes", 2))
            if axes == 1 or axes == [[-1], [0]] or axes == ([-1], [0]):
                x, w = kwarg(node, "a", 0), kwarg(node, "b", 1)
                op = "tensordot"
    var = ctx.var(w)
    if x is None or var is None or var.shape is None or len(var.shape) != 2:
        return None
    spec = LayerSpec("Dense", {"units": var.shape[1].src, "use_bias": "False"}, {"kernel": var})
    init_arg(spec, "kernel_initializer", var, ctx)
    return Match(spec, node, [x], foldable=True, hints={"op": op})


def _embedding(node: ast.AST, ctx: MatchCtx) -> Match | None:
    if not isinstance(node, ast.Call):
        return None
    q = ctx.names.call(node)
    if q == "tf.nn.embedding_lookup" and only_args(node, ["params", "ids", "max_norm", "name"]) and kwarg(node, "max_norm", 2) is None:
        w, ids = kwarg(node, "params", 0), kwarg(node, "ids", 1)
    elif q == "tf.gather" and only_args(node, ["params", "indices"]):
        w, ids = kwarg(node, "params", 0), kwarg(node, "indices", 1)
    else:
        return None
    var = ctx.var(w)
    if ids is None or var is None or var.shape is None or len(var.shape) != 2:
        return None
    if isinstance(ids, ast.Call) and ctx.names.call(ids) == "tf.cast" and len(ids.args) == 2 and not ids.keywords:
        dt = ids.args[1]
        if ctx.names.qual(dt) in ("tf.int32", "tf.int64") or const(dt) in ("int32", "int64"):
            ids = ids.args[0]
    spec = LayerSpec("Embedding", {"input_dim": var.shape[0].src, "output_dim": var.shape[1].src}, {"embeddings": var})
    init_arg(spec, "embeddings_initializer", var, ctx)
    m = Match(spec, node, [ids])
    m.hints["build_shape"] = "None"  # Keras's Embedding makes its table whatever its input's shape (build reads none)
    return m


def _prelu(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.nn.relu(x) - alpha * tf.nn.relu(-x)`` (what to-tf writes for PReLU)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return None
    left, right = node.left, node.right
    if not (isinstance(left, ast.Call) and ctx.names.call(left) == "tf.nn.relu" and len(left.args) == 1):
        return None
    if not (isinstance(right, ast.BinOp) and isinstance(right.op, ast.Mult)):
        return None
    alpha = ctx.var(right.left)
    neg = right.right
    if alpha is None or alpha.shape is None or not (isinstance(neg, ast.Call) and ctx.names.call(neg) == "tf.nn.relu" and len(neg.args) == 1):
        return None
    x = left.args[0]
    inner = neg.args[0]
    if not (isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub) and same(inner.operand, x)):
        return None
    spec = LayerSpec("PReLU", {}, {"alpha": alpha})
    shared = [i + 1 for i, d in enumerate(alpha.shape) if d.value == 1]
    if shared:
        spec.args["shared_axes"] = repr(shared)
    init_arg(spec, "alpha_initializer", alpha, ctx)
    return Match(spec, node, [x])


@dataclass
class ActMatch:
    x: ast.expr  # the input
    fold: str | None  # value for a layer's activation= ('relu'), None if none fits
    layer: str  # standalone layer class
    args: dict[str, str] = field(default_factory=dict)


def attaches_logits(act: ActMatch) -> bool:
    """Raised, the activation's output carries ``_keras_logits`` (Keras's softmax and sigmoid,
    folded or a layer), which Keras's crossentropies read instead of the probabilities."""
    return act.fold in ("softmax", "sigmoid") or act.layer == "Softmax"


# one-argument functions: canonical tf name -> Keras activation name
_SIMPLE = {
    "tf.nn.relu": "relu", "tf.nn.relu6": "relu6", "tf.nn.elu": "elu", "tf.nn.selu": "selu",
    "tf.math.sigmoid": "sigmoid", "tf.math.tanh": "tanh", "tf.math.softplus": "softplus",
    "tf.nn.softsign": "softsign", "tf.nn.silu": "silu", "tf.math.exp": "exponential",
    "tf.math.log_sigmoid": "log_sigmoid",
}


_COMPOUND = ("celu", "hard_sigmoid", "hard_silu", "mish", "tanh_shrink", "hard_tanh")


_X = "__xlate_x__"


def _act(x: ast.expr, name: str) -> ActMatch:
    if name == "relu":
        return ActMatch(x, "relu", "ReLU")
    if name == "relu6":
        return ActMatch(x, "relu6", "ReLU", {"max_value": "6.0"})
    return ActMatch(x, name, "Activation", {"activation": repr(name)})


def match_activation(node: ast.AST, names: ModuleNames, st: SourceText) -> ActMatch | None:
    """An activation applied to one input, or None."""
    if isinstance(node, ast.Call):
        q = names.call(node)
        if q in _SIMPLE and len(node.args) == 1 and not node.keywords:
            return _act(node.args[0], _SIMPLE[q])
        if q == "tf.nn.gelu" and only_args(node, ["features", "approximate"]):
            approx = const(kwarg(node, "approximate", 1)) if kwarg(node, "approximate", 1) is not None else False
            if approx is False:
                return _act(node.args[0], "gelu")
            return None
        if q == "tf.nn.leaky_relu" and only_args(node, ["features", "alpha"]) and node.args:
            alpha_node = kwarg(node, "alpha", 1)
            alpha = 0.2 if alpha_node is None else const(alpha_node)
            if alpha is UNKNOWN:
                return None
            src = "0.2" if alpha_node is None else st.seg(alpha_node)
            return ActMatch(node.args[0], "leaky_relu" if alpha == 0.2 else None, "LeakyReLU", {"negative_slope": src})
        if q in ("tf.nn.softmax", "tf.nn.log_softmax") and only_args(node, ["logits", "axis"]) and node.args:
            axis_node = kwarg(node, "axis", 1)
            axis = -1 if axis_node is None else const(axis_node)
            if axis is UNKNOWN:
                return None
            name = "softmax" if q == "tf.nn.softmax" else "log_softmax"
            if name == "log_softmax":
                return _act(node.args[0], name) if axis == -1 else None
            return ActMatch(node.args[0], "softmax" if axis == -1 else None, "Softmax", {"axis": repr(axis)})
        if q == "tf.where":
            return _elu_layer(node, names, st) or _relu_layer(node, names, st)
        if q == "tf.clip_by_value":
            got = _relu_layer(node, names, st)
            if got is not None:
                return got
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        got = _relu_layer(node, names, st)
        if got is not None:
            return got
    for name in _COMPOUND:
        x = _unify_template(node, name, names)
        if x is not None:
            return _act(x, name)
    return None


def _elu_layer(node: ast.Call, names: ModuleNames, st: SourceText) -> ActMatch | None:
    """``tf.where(x > 0, tf.nn.elu(x), alpha * tf.nn.elu(x))`` (Keras's ELU layer as to-tf
    writes it) or ``tf.where(x > 0, x, alpha * tf.math.expm1(x))``."""
    if len(node.args) != 3 or node.keywords:
        return None
    cond, a, b = node.args
    if (isinstance(a, ast.Call) and names.call(a) == "tf.nn.elu" and len(a.args) == 1 and not a.keywords
            and isinstance(b, ast.BinOp) and isinstance(b.right, ast.Call) and same(b.right, a)):
        a, fn = a.args[0], "tf.nn.elu"
    else:
        fn = "tf.math.expm1"
    if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and isinstance(cond.ops[0], ast.Gt)
            and const(cond.comparators[0]) == 0 and same(cond.left, a)):
        return None
    if not (isinstance(b, ast.BinOp) and isinstance(b.op, ast.Mult) and isinstance(b.right, ast.Call)
            and names.call(b.right) == fn and len(b.right.args) == 1 and same(b.right.args[0], a)):
        return None
    alpha = const(b.left)
    if not isinstance(alpha, (int, float)):
        return None
    return ActMatch(a, "elu" if alpha == 1.0 else None, "ELU", {"alpha": st.seg(b.left)})


def _relu_layer(node: ast.AST, names: ModuleNames, st: SourceText) -> ActMatch | None:
    """Keras's ReLU(max_value, negative_slope, threshold) as to-tf writes it:
    ``[tf.clip_by_value(]base[, 0.0, m)] [- s * tf.nn.relu(-x [+ t])]`` with base
    ``tf.nn.relu(x)``, ``tf.nn.relu6(x)`` or ``tf.where(x > t, x, 0.0)``."""
    args: dict[str, str] = {}
    slope_t: Any = 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        r = node.right
        if not (isinstance(r, ast.BinOp) and isinstance(r.op, ast.Mult) and isinstance(r.right, ast.Call)
                and names.call(r.right) == "tf.nn.relu" and len(r.right.args) == 1 and isinstance(const(r.left), (int, float))):
            return None
        neg = r.right.args[0]
        if isinstance(neg, ast.BinOp) and isinstance(neg.op, ast.Add) and isinstance(const(neg.right), (int, float)):
            slope_t, neg = const(neg.right), neg.left
        if not (isinstance(neg, ast.UnaryOp) and isinstance(neg.op, ast.USub)):
            return None
        args["negative_slope"] = st.seg(r.left)
        x_neg: ast.expr | None = neg.operand
        node = node.left
    else:
        x_neg = None
    if isinstance(node, ast.Call) and names.call(node) == "tf.clip_by_value" and len(node.args) == 3 and not node.keywords:
        if const(node.args[1]) != 0 or not isinstance(const(node.args[2]), (int, float)):
            return None
        args["max_value"] = st.seg(node.args[2])
        node = node.args[0]
    if not isinstance(node, ast.Call):
        return None
    q = names.call(node)
    threshold: Any = 0
    if q == "tf.nn.relu" and len(node.args) == 1 and not node.keywords:
        x = node.args[0]
    elif q == "tf.nn.relu6" and len(node.args) == 1 and not node.keywords and "max_value" not in args:
        x = node.args[0]
        args["max_value"] = "6.0"
    elif q == "tf.where" and len(node.args) == 3 and not node.keywords:
        cond, a, b = node.args
        if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and isinstance(cond.ops[0], ast.Gt)
                and same(cond.left, a) and const(b) == 0 and isinstance(const(cond.comparators[0]), (int, float))):
            return None
        x, threshold = a, const(cond.comparators[0])
        args["threshold"] = st.seg(cond.comparators[0])
    else:
        return None
    if x_neg is not None and (not same(x_neg, x) or slope_t != threshold):
        return None
    if not args:
        return None
    return ActMatch(x, None, "ReLU", {k: args[k] for k in ("max_value", "negative_slope", "threshold") if k in args})


@cache
def _template(name: str) -> ast.expr:
    return ast.parse(ACTIVATIONS[name].replace("{x}", _X), mode="eval").body


def _unify_template(node: ast.AST, name: str, names: ModuleNames) -> ast.expr | None:
    binding: dict[str, ast.expr] = {}
    if _unify(_template(name), node, binding, names):
        return binding.get(_X)
    return None


def _template_qual(func: ast.AST) -> str | None:
    """The canonical TensorFlow name a template's call spells (``tf.nn.relu6``)."""
    parts = dotted(func)
    return canonical(".".join(parts)) if parts else None


def _unify(pat: ast.AST, node: ast.AST, binding: dict[str, ast.expr], names: ModuleNames) -> bool:
    if isinstance(pat, ast.Name) and pat.id == _X:
        if _X in binding:
            return same(binding[_X], node)
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return False  # only a plain reference may be repeated without changing meaning
        binding[_X] = node
        return True
    if isinstance(pat, ast.Constant):
        return isinstance(node, (ast.Constant, ast.UnaryOp)) and const(node) == pat.value and type(const(node)) is type(pat.value)
    if isinstance(pat, ast.UnaryOp) and isinstance(pat.operand, ast.Constant):
        return const(node) == const(pat)
    if isinstance(pat, ast.Call):
        if not isinstance(node, ast.Call) or names.call(node) != _template_qual(pat.func):
            return False
        if len(pat.args) != len(node.args) or len(pat.keywords) != len(node.keywords):
            return False
        if not all(_unify(p, n, binding, names) for p, n in zip(pat.args, node.args)):
            return False
        kws = {k.arg: k.value for k in node.keywords}
        return all(k.arg in kws and _unify(k.value, kws[k.arg], binding, names) for k in pat.keywords)
    if type(pat) is not type(node):
        return False
    if isinstance(pat, ast.BinOp):
        return type(pat.op) is type(node.op) and _unify(pat.left, node.left, binding, names) and _unify(pat.right, node.right, binding, names)  # type: ignore[attr-defined]
    return False

# ------------------------------------------------------------------------------ the family


def _dense_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    if x is None:
        return None
    if x[-1] is None or len(x) < 2:
        raise Unbuildable(cls)
    return x[:-1] + (literal_or(args.get("units")),)


def _dense_facts(app: int, m: Match) -> list[Fact]:
    rank = Fact(app, "rank", value=2) if m.hints.get("op") == "matmul" else Fact(app, "not_rank2")
    return weight_facts(app, m.spec, "kernel", 0) + [rank]


def _dense_hint(spec: LayerSpec) -> dict[str, Any]:
    dims = kernel_dims(spec)
    return {"last": dims[0]} if dims else {}


def _embedding_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    return None if x is None else x + (literal_or(args.get("output_dim")),)


def _embedding_hint(spec: LayerSpec) -> dict[str, Any]:
    dims = kernel_dims(spec)
    return {"vocab": dims[0]} if dims else {}


def _prelu_facts(app: int, m: Match) -> list[Fact]:
    alpha = m.spec.weights["alpha"]
    return [f for k in range(len(alpha.shape or ())) for f in weight_facts(app, m.spec, "alpha", k, k + 1)]


def _activation_layer(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """A standalone activation: ``tf.nn.relu(x)`` -> ``ReLU()``, ``tf.nn.softmax(x, axis=1)`` ->
    ``Softmax(axis=1)``, ``tf.math.tanh(x)`` -> ``Activation('tanh')``."""
    act = match_activation(node, ctx.names, ctx.st)
    if act is not None:
        return Match(LayerSpec(act.layer, dict(act.args)), node, [act.x])
    return None


DENSE = LayerFamily("dense", emit=dense, recognisers=(Recogniser(CORE, 10, _dense),), output_shape=_dense_shape,
                    facts=_dense_facts, input_hint=_dense_hint,
                    rank_hint=lambda m: 2 if m.hints.get("op") == "matmul" else None)
ACTIVATION = LayerFamily("activation", emit=activation, recognisers=(Recogniser(EXPRESSION, 420, _activation_layer),),
                         output_shape=same_shape)
ELU = LayerFamily("elu", emit=elu, output_shape=same_shape, object_names=(("ELU", "elu"),))
RELU = LayerFamily("relu", emit=relu, output_shape=same_shape, object_names=(("ReLU", "relu"),))
PRELU = LayerFamily("prelu", emit=prelu, recognisers=(Recogniser(EXPRESSION, 120, _prelu),),
                    output_shape=same_shape_on_channels, facts=_prelu_facts, object_names=(("PReLU", "prelu"),))
EMBEDDING = LayerFamily("embedding", emit=embedding, recognisers=(Recogniser(EXPRESSION, 110, _embedding),),
                        output_shape=_embedding_shape, input_hint=_embedding_hint, input_dtype="int32")
