"""Dropout and SpatialDropout1D/2D/3D -> tf.nn.dropout, active only when training."""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported
from kerastf_xlate.layerkit.family import BLOCK, EXPRESSION, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    is_training,
)
from kerastf_xlate.layerkit.shapes import (
    same_shape,
)
from kerastf_xlate.layers.noise import _alpha_dropout, _noise
from kerastf_xlate.static import is_int
from kerastf_xlate.syntax import const, kwarg, only_args, same


def dropout(ctx: EmitCtx) -> Emitted:
    rate = ctx.arg("rate")
    x = ctx.x
    layer = ctx.rule.layer
    noise = ""
    if layer.startswith("SpatialDropout"):
        rank = int(layer[-2])
        # one draw per (sample, channel): the spatial axes share it
        noise = f", noise_shape=[tf.shape({x})[0]" + ", 1" * rank + f", tf.shape({x})[-1]]"
    elif "noise_shape" in ctx.src and ctx.src["noise_shape"] != "None":
        ns = ctx.value("noise_shape")
        noise = ", noise_shape=[" + ", ".join(f"tf.shape({x})[{i}]" if d is None else repr(d) for i, d in enumerate(ns)) + "]"
    seed = ctx.src.get("seed", "None")
    seed_kw = f", seed={seed}" if seed != "None" else ""
    if ctx.is_literal("rate") and not isinstance(ctx.value("rate"), (int, float)):
        raise Unsupported("rate must be a number")
    lines = [
        f"if {ctx.training}:",
        f"    {ctx.out} = tf.nn.dropout({x}, rate={rate}{noise}{seed_kw})",
    ]
    if ctx.out != x:
        lines += ["else:", f"    {ctx.out} = {x}"]
    return Emitted([], lines, ctx.shape)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _dropout_ifexp(node: ast.IfExp, ctx: MatchCtx) -> Match | None:
    """``tf.nn.dropout(x, rate) if training else x``."""
    if ctx.training is None or not (isinstance(node.test, ast.Name) and node.test.id == ctx.training):
        return None
    got = dropout_call(node.body, ctx)
    if got is None or not same(got.inputs[0], node.orelse):
        return None
    got.node = node
    return got


def dropout_call(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.nn.dropout(x, rate=r, noise_shape=..., seed=...)`` -> Dropout / SpatialDropout*D."""
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.nn.dropout"):
        return None
    if not only_args(node, ["x", "rate", "noise_shape", "seed", "name"]):
        return None
    x, rate = kwarg(node, "x", 0), kwarg(node, "rate", 1)
    if x is None or rate is None:
        return None
    args = {"rate": ctx.st.seg(rate)}
    cls = "Dropout"
    ns = kwarg(node, "noise_shape", 2)
    if ns is not None:
        if not isinstance(ns, (ast.List, ast.Tuple)):
            return None
        dims = []  # type: ignore[var-annotated]
        for _i, e in enumerate(ns.elts):
            is_dyn = (isinstance(e, ast.Subscript) and isinstance(e.value, ast.Call) and ctx.names.call(e.value) == "tf.shape"
                      and len(e.value.args) == 1 and same(e.value.args[0], x))
            v = const(e)
            if is_dyn:
                dims.append(None)
            elif is_int(v):
                dims.append(v)
            else:
                return None
        if len(dims) in (3, 4, 5) and dims[0] is None and dims[-1] is None and all(d == 1 for d in dims[1:-1]):
            cls = f"SpatialDropout{len(dims) - 2}D"
        else:
            args["noise_shape"] = repr(tuple(dims))
    seed = kwarg(node, "seed", 3)
    if seed is not None:
        args["seed"] = ctx.st.seg(seed)
    return Match(LayerSpec(cls, args), node, [x], training=True)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def training_block(ctx: MatchCtx, stmt: ast.stmt) -> tuple[str, Match] | None:
    """``if training: out = <noise op>(x)`` [``else: out = x``] -> a training-only layer."""
    if not (isinstance(stmt, ast.If) and is_training(ctx, stmt.test) and len(stmt.body) in (1, 2)):
        return None
    if len(stmt.body) == 2:
        return _alpha_dropout(ctx, stmt)
    body = stmt.body[0]
    if not (isinstance(body, ast.Assign) and len(body.targets) == 1 and isinstance(body.targets[0], ast.Name)):
        return None
    out = body.targets[0].id
    m = dropout_call(body.value, ctx) or _noise(ctx, body.value)
    if m is None:
        return None
    x = m.inputs[0]
    if stmt.orelse:
        e = stmt.orelse[0]
        if not (len(stmt.orelse) == 1 and isinstance(e, ast.Assign) and len(e.targets) == 1
                and isinstance(e.targets[0], ast.Name) and e.targets[0].id == out and same(e.value, x)):
            return None
    elif not (isinstance(x, ast.Name) and x.id == out):
        return None
    m.node = stmt
    m.training = True
    m.training_src = ctx.training or "training"
    return out, m


# ------------------------------------------------------------------------------ the family


DROPOUT = LayerFamily("dropout", emit=dropout,
                      recognisers=(Recogniser(EXPRESSION, 430, lambda node, ctx: _dropout_ifexp(node, ctx) if isinstance(node, ast.IfExp) else None),
                                   Recogniser(BLOCK, 10, training_block)),
                      output_shape=same_shape)
