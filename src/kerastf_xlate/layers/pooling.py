"""Pooling: Max/AveragePooling1D/2D/3D -> tf.nn.max_pool*d / avg_pool*d; global pooling -> tf.reduce_*."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.shapes import conv_out, padding_value, rank_of
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, tuple_arg


def _list_or_int(values: tuple[int, ...]) -> str:
    return repr(values[0]) if len(set(values)) == 1 else repr(list(values))


@handler("pool")
def pool(ctx: EmitCtx) -> Emitted:
    rank = rank_of(ctx.rule.layer)
    size = tuple_arg(ctx.value("pool_size"), rank, "pool_size")
    strides_v = ctx.value("strides")
    strides = size if strides_v is None else tuple_arg(strides_v, rank, "strides")  # Keras: None means pool_size
    padding = str(ctx.value("padding"))
    if padding.lower() not in ("valid", "same"):
        raise Unsupported(f"padding={padding!r}")
    kind = "max" if "Max" in ctx.rule.layer else "avg"
    op = f"tf.nn.{kind}_pool{rank}d"
    line = ctx.assign(
        f"{op}({ctx.x}, ksize={_list_or_int(size)}, strides={_list_or_int(strides)}, padding={padding_value(padding)!r})"
    )
    shape = ctx.shape
    out = None
    if shape is not None and len(shape) == rank + 2:
        out = (shape[0],) + tuple(conv_out(shape[1 + i], size[i], strides[i], 1, padding) for i in range(rank)) + (shape[-1],)
    return Emitted([], [line], out)


@handler("global_pool")
def global_pool(ctx: EmitCtx) -> Emitted:
    rank = rank_of(ctx.rule.layer)
    axes = list(range(1, rank + 1))
    keepdims = bool(ctx.value("keepdims"))
    op = "tf.reduce_max" if "Max" in ctx.rule.layer else "tf.reduce_mean"
    kd = ", keepdims=True" if keepdims else ""
    line = ctx.assign(f"{op}({ctx.x}, axis={axes!r}{kd})")
    shape = ctx.shape
    out = None
    if shape is not None and len(shape) == rank + 2:
        out = (shape[0],) + ((1,) * rank if keepdims else ()) + (shape[-1],)
    return Emitted([], [line], out)
