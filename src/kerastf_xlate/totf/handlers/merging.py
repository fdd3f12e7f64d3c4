"""Merging layers: Add/Subtract/Multiply/Average/Maximum/Minimum and Concatenate."""

from __future__ import annotations

from kerastf_xlate.totf.handlers import handler
from kerastf_xlate.totf.ir import Ctx, Emitted, Unsupported


@handler("merge")
def merge(ctx: Ctx) -> Emitted:
    layer = ctx.rule.layer
    xs = ctx.xs
    n = len(ctx.inputs) if ctx.inputs is not None else None
    if layer == "Add":
        expr = f"tf.add_n({xs})"
    elif layer == "Subtract":
        if n not in (None, 2):
            raise Unsupported("Subtract takes exactly two inputs")
        expr = f"tf.subtract({ctx.item(0)}, {ctx.item(1)})"
    elif layer == "Multiply":
        expr = f"tf.math.reduce_prod(tf.stack({xs}), axis=0)" if n != 2 else f"tf.multiply({ctx.item(0)}, {ctx.item(1)})"
    elif layer == "Average":
        expr = f"tf.add_n({xs}) / {n}" if n else f"tf.add_n({xs}) / len({xs})"
    elif layer == "Maximum":
        expr = f"tf.reduce_max(tf.stack({xs}), axis=0)" if n != 2 else f"tf.maximum({ctx.item(0)}, {ctx.item(1)})"
    elif layer == "Minimum":
        expr = f"tf.reduce_min(tf.stack({xs}), axis=0)" if n != 2 else f"tf.minimum({ctx.item(0)}, {ctx.item(1)})"
    else:
        raise Unsupported(layer)
    shape = ctx.in_shapes[0] if ctx.in_shapes else None
    return Emitted([], [ctx.assign(expr)], shape)


@handler("concatenate")
def concatenate(ctx: Ctx) -> Emitted:
    axis = ctx.value("axis")
    expr = f"tf.concat({ctx.xs}, axis={axis!r})"
    out = None
    shapes = ctx.in_shapes
    if shapes and all(s is not None for s in shapes) and len({len(s) for s in shapes}) == 1:  # type: ignore[arg-type]
        rank = len(shapes[0])  # type: ignore[arg-type]
        a = axis % rank
        sizes = [s[a] for s in shapes]  # type: ignore[index]
        total = sum(sizes) if all(isinstance(v, int) for v in sizes) else None  # type: ignore[arg-type]
        out = tuple(total if i == a else shapes[0][i] for i in range(rank))  # type: ignore[index]
    return Emitted([], [ctx.assign(expr)], out)
