"""Expression patterns: one TensorFlow idiom -> one Keras layer application.

:func:`match` tries, on one expression, what the layer families know
(:mod:`kerastf_xlate.layers`, each family's recognisers, in their stage and priority order):

1. a *core* op of a weighted layer (``tf.matmul(x, w)`` / ``x @ w``, ``tf.nn.conv2d``,
   ``tf.einsum``...) with its bias (``+ b``, ``tf.nn.bias_add``, ``tf.add``) and its
   activation (``tf.nn.relu(...)`` around it) folded in: the folding is the engine's, here;
2. every *expression* recogniser: embeddings, PReLU, normalizations, preprocessing, pooling,
   reshapes, padding, merges, standalone activations, dropout under a training flag,
   cropping, attention; in to-tf's own code (``ctx.graph``) also plain arithmetic layers.

A name operand that holds the result of a single-use earlier statement is followed into that
statement (``x = tf.matmul(x, w)`` then ``x = tf.nn.bias_add(x, b)``): the statement is
absorbed into the match. Nothing here edits text; :mod:`.body` does.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from kerastf_xlate.layerkit.family import CORE, EXPRESSION
from kerastf_xlate.layerkit.recognise import (
    Match,
    MatchCtx,
    data_format_ok,
    extras_placed,
    init_arg,
    resolved,
)
from kerastf_xlate.layers import recognisers
from kerastf_xlate.layers.core import attaches_logits, match_activation
from kerastf_xlate.layers.scalars import SCALAR_BIAS, SCALAR_WEIGHTS
from kerastf_xlate.syntax import kwarg, only_args

__all__ = ["match"]


def _core(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """The bare weighted op ``node`` computes, or None."""
    for r in recognisers(CORE):
        m = r.fn(node, ctx)
        if m is not None:
            return m
    return None


def _with_bias(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``core + b`` / ``tf.nn.bias_add(core, b)`` / ``tf.add(core, b)``, or a bare core."""
    pairs: list[tuple[ast.expr, ast.expr]] = []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pairs = [(node.left, node.right), (node.right, node.left)]
    elif isinstance(node, ast.Call):
        q = ctx.names.call(node)
        if q == "tf.nn.bias_add" and only_args(node, ["value", "bias", "data_format", "name"]) and data_format_ok(kwarg(node, "data_format", 2)):
            v, b = kwarg(node, "value", 0), kwarg(node, "bias", 1)
            if v is not None and b is not None:
                pairs = [(v, b)]
        elif q == "tf.math.add" and len(node.args) == 2 and not node.keywords:
            pairs = [(node.args[0], node.args[1]), (node.args[1], node.args[0])]
    for core_node, b in pairs:
        bias = ctx.var(b)
        if bias is None or bias.shape is None or len(bias.shape) > 1:
            continue
        absorbed: list[ast.stmt] = []
        inner = resolved(core_node, ctx, absorbed)
        m = _core(inner, ctx)
        if m is None or "bias" in m.spec.weights or "use_bias" not in m.spec.args:
            continue  # a layer that matches its own bias (EinsumDense: any rank, ``bias_axes``)
        units = m.spec.args.get("filters") or m.spec.args.get("units")
        if not bias.shape:
            # a scalar bias is a bias of one unit: the same sums on an output whose last
            # axis is 1 (a Dense of units=1), loaded as its (1,) reshape (tf.nn.bias_add
            # rejects a scalar: only `+` and tf.add)
            if m.spec.cls not in SCALAR_BIAS or units != "1" or ctx.names.call(node) == "tf.nn.bias_add":
                continue
        # the bias's size must be the units as written or as the same constant: a size of
        # its own (`self.n`, not the kernel's `width`) may be 1 and broadcast, which a Keras
        # layer's bias of `units` would not be (other weights, and they would not load)
        elif units is not None and bias.shape[0].src.replace(" ", "") != units.replace(" ", "") and (
                bias.shape[0].value is None or str(bias.shape[0].value) != units):
            continue
        m.spec.weights["bias"] = bias
        del m.spec.args["use_bias"]
        init_arg(m.spec, "bias_initializer", bias, ctx)
        m.node = node
        m.absorbed = absorbed + m.absorbed
        return m
    return None


def _weighted(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """A weighted layer application, with its bias and activation folded in."""
    act = match_activation(node, ctx.names, ctx.st)
    if act is not None and act.fold is not None:
        absorbed: list[ast.stmt] = []
        inner = resolved(act.x, ctx, absorbed)
        m = _with_bias(inner, ctx) or _core(inner, ctx)
        if m is not None and m.foldable and not m.activation_set:
            m.spec.args["activation"] = repr(act.fold)
            m.activation_set = True
            m.node = node
            m.absorbed = absorbed + m.absorbed
            return m
    return _with_bias(node, ctx) or _core(node, ctx)


def _scalars_fit(m: Match) -> bool:
    """A scalar variable is only a weight Keras has as a scalar (:mod:`kerastf_xlate.layers.scalars`)."""
    return all(v.shape != () or (m.spec.cls, role) in SCALAR_WEIGHTS for role, v in m.spec.weights.items())


@lru_cache(maxsize=8)
def _crossentropy_calls(text: str) -> list[ast.Call]:
    """The calls in ``text`` whose function name says crossentropy (checked against the imports by
    the caller)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and "crossentropy" in ast.unparse(n.func).lower()]


def _keras_crossentropy(ctx: MatchCtx) -> bool:
    """The program calls a Keras crossentropy (``tf.losses.binary_crossentropy``,
    ``keras.losses.CategoricalCrossentropy()``, ``tf.keras.backend.categorical_crossentropy``)."""
    for call in _crossentropy_calls(ctx.st.text):
        q = ctx.names.call(call) or ctx.names.qualname(call.func) or ""
        if q.startswith(("tf.keras.", "keras.", "tf.losses.", "tf.metrics.")):
            return True
    return False


def _carries_keras_logits(node: ast.AST, ctx: MatchCtx) -> bool:
    """A softmax or sigmoid that, raised to a Keras activation (folded or a layer), would give its
    output a ``_keras_logits`` attribute, in a program that calls a Keras crossentropy: Keras's
    crossentropies then compute from those logits instead of the probabilities (a binary
    crossentropy of a softmax output becomes a sigmoid crossentropy of its logits; the
    probabilities are no longer clipped), so the raised program trains on another loss. Such an
    activation stays the TensorFlow op it is (the layer under it is still raised)."""
    act = match_activation(node, ctx.names, ctx.st)
    if act is None or not attaches_logits(act):
        return False
    if not _keras_crossentropy(ctx):
        return False
    if not any(n is node for n, _ in ctx.notes):
        ctx.notes.append((node, "a Keras softmax or sigmoid passes its logits to the program's Keras crossentropy, "
                                "which then computes another loss"))
    return True


def match(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """The layer application computed by ``node``, or None."""
    if not isinstance(node, ast.expr) or id(node) in ctx.deny or _carries_keras_logits(node, ctx):
        return None
    for find in (_weighted, *(r.fn for r in recognisers(EXPRESSION))):
        m = find(node, ctx)
        # an op on constants or variables only is not a layer application; a weight's
        # regularizer or constraint must be the layer's too
        if m is not None and all(ctx.tensor(x) for x in m.inputs) and _scalars_fit(m) and extras_placed(m.spec):
            return m
    return None
