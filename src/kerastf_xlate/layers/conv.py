"""Convolutions: Conv1D/2D/3D -> tf.nn.conv1d / conv2d / conv3d (+ bias, activation)."""

from __future__ import annotations

from kerastf_xlate.layers import activation_lines, handler
from kerastf_xlate.layerkit.shapes import conv_out, padding_value, rank_of
from kerastf_xlate.layerkit.emit import EmitCtx, Dim, Emitted, Unsupported, Weight, tuple_arg


def _filters(ctx: EmitCtx):  # type: ignore[no-untyped-def]
    return ctx.value("filters") if ctx.is_literal("filters") else Dim(ctx.arg("filters"))


def strides_src(values: tuple[int, ...], rank: int) -> str:
    """conv1d takes an int stride; conv2d an int or pair; conv3d needs [1, s, s, s, 1]."""
    if rank == 3:
        return repr([1, *values, 1])
    if len(set(values)) == 1:
        return repr(values[0])
    return repr(list(values))


@handler("conv")
def conv(ctx: EmitCtx) -> Emitted:
    rank = rank_of(ctx.rule.layer)
    kernel = tuple_arg(ctx.value("kernel_size"), rank, "kernel_size")
    strides = tuple_arg(ctx.value("strides"), rank, "strides")
    dilation = tuple_arg(ctx.value("dilation_rate"), rank, "dilation_rate")
    padding = str(ctx.value("padding"))
    if padding.lower() not in ("valid", "same"):
        raise Unsupported(f"padding={padding!r}")
    if ctx.value("groups") != 1:
        raise Unsupported("groups > 1")
    filters = _filters(ctx)
    weights = [Weight("kernel", kernel + (ctx.dim(-1), filters), ctx.arg("kernel_initializer"))]
    op = f"tf.nn.conv{rank}d"
    stride_kw = "stride" if rank == 1 else "strides"
    args = [ctx.x, ctx.w("kernel"), f"{stride_kw}={strides_src(strides, rank)}", f"padding={padding_value(padding)!r}"]
    if any(d != 1 for d in dilation):
        args.append(f"dilations={strides_src(dilation, rank)}")
    lines = [ctx.assign(f"{op}({', '.join(args)})")]
    if ctx.value("use_bias"):
        weights.append(Weight("bias", (filters,), ctx.arg("bias_initializer")))
        lines.append(f"{ctx.out} = tf.nn.bias_add({ctx.out}, {ctx.w('bias')})")
    lines += activation_lines(ctx)
    shape = ctx.shape
    out_shape = None
    if shape is not None and len(shape) == rank + 2:
        spatial = tuple(conv_out(shape[1 + i], kernel[i], strides[i], dilation[i], padding) for i in range(rank))
        out_shape = (shape[0],) + spatial + (filters,)
    return Emitted(weights, lines, out_shape)
