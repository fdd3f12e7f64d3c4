"""Dot -> Keras's ``batch_dot`` spelled with tf.matmul, tf.transpose and reshapes
(``keras/src/layers/merging/dot.py``); normalize=True is ``ops.normalize`` (L2)."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported

_EPSILON = 1e-7  # keras.config.epsilon()


def _normalize(t: str, axis: int) -> str:
    """``x * min(rsqrt(sum(x**2, axis, keepdims)), 1 / epsilon)``, as ``ops.normalize``."""
    return (f"{t} * tf.minimum(tf.math.rsqrt(tf.reduce_sum(tf.square({t}), axis={axis}, keepdims=True)), "
            f"{1.0 / _EPSILON!r})")


@handler("dot")
def dot(ctx: EmitCtx) -> Emitted:
    if ctx.inputs is not None and len(ctx.inputs) != 2:
        raise Unsupported("Dot takes exactly two inputs")
    if len(ctx.in_shapes) != 2 or ctx.rank(0) is None or ctx.rank(1) is None:
        raise Unsupported("Dot needs inputs of known rank")
    xr, yr = ctx.rank(0), ctx.rank(1)
    assert xr is not None and yr is not None
    axes_v = ctx.value("axes")
    if isinstance(axes_v, int) and not isinstance(axes_v, bool):
        axes = [axes_v % xr, axes_v % yr] if axes_v < 0 else [axes_v, axes_v]
    elif (isinstance(axes_v, (tuple, list)) and len(axes_v) == 2
          and all(isinstance(a, int) and not isinstance(a, bool) for a in axes_v)):
        axes = [a % r if a < 0 else a for a, r in zip(axes_v, (xr, yr))]
    else:
        raise Unsupported(f"axes={axes_v!r}")
    if xr < 2 or yr < 2:
        raise Unsupported("Dot on inputs of rank < 2 (Keras rejects it)")
    if 0 in axes or axes[0] >= xr or axes[1] >= yr:
        raise Unsupported(f"axes={axes_v!r} (Keras rejects it)")
    sx, sy = ctx.in_shapes[0], ctx.in_shapes[1]
    assert sx is not None and sy is not None
    d1, d2 = sx[axes[0]], sy[axes[1]]
    if isinstance(d1, int) and isinstance(d2, int) and d1 != d2:
        raise Unsupported(f"contracted sizes differ ({d1} != {d2})")
    normalize = ctx.value("normalize")
    if not isinstance(normalize, bool):
        raise Unsupported("normalize must be True or False")

    x, y = ctx.tmp("x"), ctx.tmp("y")
    lines = [f"{x} = {ctx.item(0)}", f"{y} = {ctx.item(1)}"]
    if normalize:
        lines += [f"{x} = {_normalize(x, axes[0])}", f"{y} = {_normalize(y, axes[1])}"]
    # batch_dot
    a0, a1 = axes
    x_ndim, y_ndim = xr, yr
    if x_ndim == 2:
        lines.append(f"{x} = tf.expand_dims({x}, 1)")
        a0 += 1
        x_ndim += 1
    if y_ndim == 2:
        lines.append(f"{y} = tf.expand_dims({y}, 2)")
        y_ndim += 1
    if a0 != x_ndim - 1:
        pattern = list(range(x_ndim))
        for i in range(a0, x_ndim - 1):
            pattern[i] = pattern[i + 1]
        pattern[-1] = a0
        lines.append(f"{x} = tf.transpose({x}, {pattern!r})")
    if a1 != 1:
        pattern = list(range(y_ndim))
        for i in range(a1, 1, -1):
            pattern[i] = pattern[i - 1]
        pattern[1] = a1
        lines.append(f"{y} = tf.transpose({y}, {pattern!r})")
    x_squashed = x_ndim > 3
    y_squashed = y_ndim > 3
    xs, ys = ctx.tmp("x_shape"), ctx.tmp("y_shape")
    if x_squashed:
        lines.append(f"{xs} = tf.shape({x})")
        lines.append(f"{x} = tf.reshape({x}, [{xs}[0], -1, {xs}[-1]])")
    if y_squashed:
        lines.append(f"{ys} = tf.shape({y})")
        lines.append(f"{y} = tf.reshape({y}, [{ys}[0], {ys}[1], -1])")
    lines.append(ctx.assign(f"tf.matmul({x}, {y})"))
    if x_squashed or y_squashed:
        os_ = ctx.tmp("out_shape")
        lines.append(f"{os_} = tf.shape({ctx.out})")
        head = f"{xs}[:1], {xs}[1:-1]" if x_squashed else f"{os_}[:1], {os_}[1:-1]"
        tail = f"{ys}[2:]" if y_squashed else f"{os_}[-1:]"
        lines.append(f"{ctx.out} = tf.reshape({ctx.out}, tf.concat([{head}, {tail}], 0))")
    if xr == 2:
        lines.append(f"{ctx.out} = tf.squeeze({ctx.out}, 1)")
    elif yr == 2:
        lines.append(f"{ctx.out} = tf.squeeze({ctx.out}, -1)")
    # static output shape: x without axis a0, y without batch and axis a1 (Keras's rule)
    out = [d for i, d in enumerate(sx) if i != axes[0]] + [d for i, d in enumerate(sy) if i not in (0, axes[1])]
    if len(out) == 1:
        out.append(1)
    return Emitted([], lines, tuple(d if isinstance(d, int) else None for d in out))
