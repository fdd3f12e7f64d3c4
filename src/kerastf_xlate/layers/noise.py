"""GaussianNoise, GaussianDropout, AlphaDropout: identity at inference, tf.random noise in
training (``keras/src/layers/regularization``). The random draws are TensorFlow's, not
Keras's seed generator: only the inference behaviour is identical."""

from __future__ import annotations

import ast
import math
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported
from kerastf_xlate.layerkit.family import LayerFamily
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, MatchCtx
from kerastf_xlate.layerkit.shapes import (
    same_shape,
)
from kerastf_xlate.layers.templates import operand
from kerastf_xlate.static import UNKNOWN
from kerastf_xlate.syntax import const, kwarg, only_args, same

_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


def _number(ctx: EmitCtx, name: str) -> float | None:
    """The literal value of a numeric argument (None when it is an expression)."""
    if not ctx.is_literal(name):
        return None
    v = ctx.value(name)
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise Unsupported(f"{name} must be a number")
    if not 0 <= v <= 1:
        raise Unsupported(f"{name}={v!r} is outside [0, 1] (Keras rejects it)")
    return float(v)


def _seed(ctx: EmitCtx) -> str:
    seed = ctx.src.get("seed", "None")
    return "" if seed == "None" else f", seed={seed}"


def _training_block(ctx: EmitCtx, cond: str, body: list[str]) -> list[str]:
    lines = [f"if {cond}:"] + ["    " + ln for ln in body]
    if ctx.out != ctx.x:
        lines += ["else:", f"    {ctx.out} = {ctx.x}"]
    return lines


def _identity(ctx: EmitCtx) -> Emitted:
    return Emitted([], [] if ctx.out == ctx.x else [ctx.assign(ctx.x)], ctx.shape)


def gaussian_noise(ctx: EmitCtx) -> Emitted:
    stddev = _number(ctx, "stddev")
    if stddev == 0.0:
        return _identity(ctx)
    x = ctx.x
    cond = ctx.training if stddev is not None else f"{ctx.training} and {ctx.arg('stddev')} > 0"
    sd = repr(stddev) if stddev is not None else ctx.arg("stddev")
    body = [ctx.assign(f"{x} + tf.random.normal(tf.shape({x}), mean=0.0, stddev={sd}{_seed(ctx)})")]
    return Emitted([], _training_block(ctx, cond, body), ctx.shape)


def gaussian_dropout(ctx: EmitCtx) -> Emitted:
    rate = _number(ctx, "rate")
    if rate == 0.0:
        return _identity(ctx)
    x = ctx.x
    if rate is not None:
        if rate == 1.0:
            raise Unsupported("rate=1 (Keras divides by zero in training)")
        cond, sd = ctx.training, repr(math.sqrt(rate / (1.0 - rate)))
    else:
        r = operand(ctx.arg("rate"))
        cond, sd = f"{ctx.training} and {r} > 0", f"tf.sqrt({r} / (1.0 - {r}))"
    body = [ctx.assign(f"{x} * tf.random.normal(tf.shape({x}), mean=1.0, stddev={sd}{_seed(ctx)})")]
    return Emitted([], _training_block(ctx, cond, body), ctx.shape)


def alpha_dropout(ctx: EmitCtx) -> Emitted:
    rate = _number(ctx, "rate")
    if rate is None:
        raise Unsupported("rate must be a literal number")
    if rate == 0.0:
        return _identity(ctx)
    x = ctx.x
    ns = ctx.value("noise_shape")
    if ns is None:
        shape = f"tf.shape({x})"
    elif isinstance(ns, (tuple, list)) and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in ns):
        shape = "[" + ", ".join(f"tf.shape({x})[{i}]" if d is None else repr(d) for i, d in enumerate(ns)) + "]"
    else:
        raise Unsupported("noise_shape must be a tuple of ints / None")
    alpha_p = -_ALPHA * _SCALE
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    kept = ctx.tmp("kept")
    body = [
        f"{kept} = tf.cast(tf.random.uniform({shape}{_seed(ctx)}) >= {rate!r}, {x}.dtype)",
        ctx.assign(f"{a!r} * ({x} * {kept} + {alpha_p!r} * (1 - {kept})) + {b!r}"),
    ]
    return Emitted([], _training_block(ctx, ctx.training, body), ctx.shape)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _alpha_dropout(ctx: MatchCtx, stmt: ast.If) -> tuple[str, Match] | None:
    """``kept = tf.cast(tf.random.uniform(tf.shape(x)) >= rate, x.dtype)`` then
    ``out = a * (x * kept + alpha_p * (1 - kept)) + b`` (AlphaDropout as to-tf writes it)."""
    first, second = stmt.body
    if not (isinstance(first, ast.Assign) and isinstance(first.targets[0], ast.Name) and isinstance(second, ast.Assign)
            and len(second.targets) == 1 and isinstance(second.targets[0], ast.Name)):
        return None
    kept, out = first.targets[0].id, second.targets[0].id
    cast = first.value
    if not (isinstance(cast, ast.Call) and ctx.names.call(cast) == "tf.cast" and len(cast.args) == 2):
        return None
    cmp = cast.args[0]
    if not (isinstance(cmp, ast.Compare) and isinstance(cmp.ops[0], ast.GtE) and isinstance(cmp.left, ast.Call)
            and ctx.names.call(cmp.left) == "tf.random.uniform" and isinstance(const(cmp.comparators[0]), float)):
        return None
    shape = kwarg(cmp.left, "shape", 0)
    if not (isinstance(shape, ast.Call) and ctx.names.call(shape) == "tf.shape" and len(shape.args) == 1):
        return None
    x = shape.args[0]
    reads = {n.id for n in ast.walk(second.value) if isinstance(n, ast.Name)}
    if kept not in reads or not isinstance(x, ast.Name) or x.id not in reads:
        return None
    if stmt.orelse:
        e = stmt.orelse[0]
        if not (len(stmt.orelse) == 1 and isinstance(e, ast.Assign) and isinstance(e.targets[0], ast.Name)
                and e.targets[0].id == out and same(e.value, x)):
            return None
    elif out != x.id:
        return None
    spec = LayerSpec("AlphaDropout", {"rate": repr(const(cmp.comparators[0]))})
    seed = kwarg(cmp.left, "seed", 4)
    if seed is not None:
        spec.args["seed"] = ctx.st.seg(seed)
    hints = {"prefix": kept[: -len("_kept")]} if kept.endswith("_kept") else {}
    return out, Match(spec, stmt, [x], training=True, hints=hints, training_src=ctx.training or "training")


def _noise(ctx: MatchCtx, node: ast.expr) -> Match | None:
    """``x + tf.random.normal(tf.shape(x), mean=0.0, stddev=s)`` (GaussianNoise) and
    ``x * tf.random.normal(tf.shape(x), mean=1.0, stddev=s)`` (GaussianDropout)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult))):
        return None
    x, r = node.left, node.right
    if not (isinstance(r, ast.Call) and ctx.names.call(r) == "tf.random.normal" and only_args(r, ["shape", "mean", "stddev", "dtype", "seed"])):
        return None
    shape = kwarg(r, "shape", 0)
    if not (isinstance(shape, ast.Call) and ctx.names.call(shape) == "tf.shape" and len(shape.args) == 1 and same(shape.args[0], x)):
        return None
    mean, std = const(kwarg(r, "mean", 1)), kwarg(r, "stddev", 2)
    seed = kwarg(r, "seed", 4)
    if std is None or kwarg(r, "dtype", 3) is not None:
        return None
    if isinstance(node.op, ast.Add) and mean in (0, 0.0, UNKNOWN) and kwarg(r, "mean", 1) is not None and mean == 0:
        spec = LayerSpec("GaussianNoise", {"stddev": ctx.st.seg(std)})
    elif isinstance(node.op, ast.Mult) and mean == 1:
        rate = _gaussian_rate(const(std))
        if rate is None:
            return None
        spec = LayerSpec("GaussianDropout", {"rate": rate})
    else:
        return None
    if seed is not None:
        spec.args["seed"] = ctx.st.seg(seed)
    return Match(spec, node, [x], training=True)


def _gaussian_rate(std: Any) -> str | None:
    """GaussianDropout's rate from the stddev to-tf wrote (sqrt(rate / (1 - rate)))."""
    if not isinstance(std, float) or std <= 0:
        return None
    exact = std * std / (1.0 + std * std)
    for digits in range(1, 18):
        r = round(exact, digits)
        if 0 < r < 1 and repr(math.sqrt(r / (1.0 - r))) == repr(std):
            return repr(r)
    return None


# ------------------------------------------------------------------------------ the family


GAUSSIAN_NOISE = LayerFamily("gaussian_noise", emit=gaussian_noise, output_shape=same_shape)
GAUSSIAN_DROPOUT = LayerFamily("gaussian_dropout", emit=gaussian_dropout, output_shape=same_shape)
ALPHA_DROPOUT = LayerFamily("alpha_dropout", emit=alpha_dropout, output_shape=same_shape)
