"""GaussianNoise, GaussianDropout, AlphaDropout: identity at inference, tf.random noise in
training (``keras/src/layers/regularization``). The random draws are TensorFlow's, not
Keras's seed generator: only the inference behaviour is identical."""

from __future__ import annotations

import math

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported
from kerastf_xlate.layerkit.family import LayerFamily
from kerastf_xlate.layerkit.shapes import (
    same_shape,
)

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
        r = ctx.arg("rate")
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

# ------------------------------------------------------------------------------ the family


GAUSSIAN_NOISE = LayerFamily("gaussian_noise", emit=gaussian_noise, output_shape=same_shape)
GAUSSIAN_DROPOUT = LayerFamily("gaussian_dropout", emit=gaussian_dropout, output_shape=same_shape)
ALPHA_DROPOUT = LayerFamily("alpha_dropout", emit=alpha_dropout, output_shape=same_shape)
