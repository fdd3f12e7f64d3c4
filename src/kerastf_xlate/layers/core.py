"""Core layers: Dense, Activation, ReLU, PReLU, Embedding."""

from __future__ import annotations

from kerastf_xlate.activations import activation_template
from kerastf_xlate.layers import activation_lines, handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, Weight


@handler("dense")
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


def _dim(src: str):  # type: ignore[no-untyped-def]
    from kerastf_xlate.layerkit.emit import Dim

    return Dim(src)


@handler("activation")
def activation(ctx: EmitCtx) -> Emitted:
    lines = [ctx.assign(ctx.x)] + activation_lines(ctx)
    if len(lines) > 1 and lines[0] == f"{ctx.out} = {ctx.out}":
        lines = lines[1:]
    return Emitted([], lines, ctx.shape)


@handler("relu")
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


@handler("prelu")
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


@handler("embedding")
def embedding(ctx: EmitCtx) -> Emitted:
    input_dim, output_dim = ctx.value("input_dim"), ctx.value("output_dim")
    weights = [Weight("embeddings", (input_dim, output_dim), ctx.arg("embeddings_initializer"))]
    x = ctx.x
    lines = [ctx.assign(f"tf.nn.embedding_lookup({ctx.w('embeddings')}, tf.cast({x}, tf.int32))")]
    shape = ctx.shape
    return Emitted(weights, lines, None if shape is None else tuple(shape) + (output_dim,))


__all__ = ["activation_template"]
