"""Transposed, depthwise and separable convolutions.

Conv1D/2D/3DTranspose -> tf.nn.conv1d/2d/3d_transpose with the output shape Keras computes;
DepthwiseConv1D/2D -> tf.nn.depthwise_conv2d; SeparableConv1D/2D -> tf.nn.separable_conv2d.
The 1-D variants run the 2-D op over an inserted unit axis, exactly as Keras's TensorFlow
backend does (``keras/src/backend/tensorflow/nn.py``).
"""

from __future__ import annotations

from kerastf_xlate.layers import activation_lines, handler
from kerastf_xlate.layerkit.shapes import conv_out, padding_value, rank_of
from kerastf_xlate.layerkit.emit import EmitCtx, Dim, DimT, Emitted, Unsupported, Weight, tuple_arg


def _filters(ctx: EmitCtx) -> DimT:
    return ctx.value("filters") if ctx.is_literal("filters") else Dim(ctx.arg("filters"))


def _padding(ctx: EmitCtx) -> str:
    padding = ctx.value("padding")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise Unsupported(f"padding={padding!r}")
    return padding.lower()


def _positive(values: tuple[int, ...], name: str) -> None:
    if any(v <= 0 for v in values):
        raise Unsupported(f"{name} must be positive, got {values!r}")


def _static(shape: tuple | None) -> tuple:  # type: ignore[type-arg]
    """A shape for ``Emitted.out_shape``: ints stay, anything else becomes None."""
    if shape is None:
        return None  # type: ignore[return-value]
    return tuple(d if isinstance(d, int) else None for d in shape)


def _times(d: DimT, k: int) -> DimT:
    if isinstance(d, int):
        return d * k
    if isinstance(d, Dim):
        return Dim(f"{d.src} * {k}", needs_input=d.needs_input)
    return None


def _bias_lines(ctx: EmitCtx, weights: list[Weight], size: DimT) -> list[str]:
    if not ctx.value("use_bias"):
        return []
    weights.append(Weight("bias", (size,), ctx.arg("bias_initializer")))
    return [f"{ctx.out} = tf.nn.bias_add({ctx.out}, {ctx.w('bias')})"]


@handler("conv_transpose")
def conv_transpose(ctx: EmitCtx) -> Emitted:
    """``ops.conv_transpose``: output size per axis is ``(n - 1) * s + max(k_eff, s)`` for
    'valid' and ``n * s`` for 'same' (output_padding=None); kernel [*k, filters, in]."""
    rank = rank_of(ctx.rule.layer)
    kernel = tuple_arg(ctx.value("kernel_size"), rank, "kernel_size")
    strides = tuple_arg(ctx.value("strides"), rank, "strides")
    dilation = tuple_arg(ctx.value("dilation_rate"), rank, "dilation_rate")
    for values, name in ((kernel, "kernel_size"), (strides, "strides"), (dilation, "dilation_rate")):
        _positive(values, name)
    padding = _padding(ctx)
    if ctx.value("output_padding") is not None:
        raise Unsupported("output_padding")
    if max(strides) > 1 and max(dilation) > 1:
        raise Unsupported("strides > 1 together with dilation_rate > 1 (Keras rejects it)")
    if ctx.rank() not in (None, rank + 2):
        raise Unsupported(f"{ctx.rule.layer} on an input of rank {ctx.rank()}")
    filters = _filters(ctx)
    weights = [Weight("kernel", kernel + (filters, ctx.dim(-1)), ctx.arg("kernel_initializer"))]
    x = ctx.x
    sizes: list[str] = []
    static: list[DimT] = []
    for i in range(rank):
        n = ctx.shape[1 + i] if ctx.shape is not None else None
        k_eff = (kernel[i] - 1) * dilation[i] + 1
        if isinstance(n, int):
            size = n * strides[i] if padding == "same" else (n - 1) * strides[i] + max(k_eff, strides[i])
            sizes.append(str(size))
            static.append(size)
        else:
            n_src = f"tf.shape({x})[{1 + i}]"
            if padding == "same":
                sizes.append(f"{n_src} * {strides[i]}")
            else:
                sizes.append(f"({n_src} - 1) * {strides[i]} + {max(k_eff, strides[i])}")
            static.append(None)
    out_shape_src = f"tf.stack([tf.shape({x})[0], {', '.join(sizes)}, {filters}])"
    args = [x, ctx.w("kernel"), out_shape_src, f"strides={list(strides)!r}", f"padding={padding_value(padding)!r}"]
    if any(d != 1 for d in dilation):
        args.append(f"dilations={list(dilation)!r}")
    lines = [ctx.assign(f"tf.nn.conv{rank}d_transpose({', '.join(args)})")]
    lines += _bias_lines(ctx, weights, filters)
    lines += activation_lines(ctx)
    batch = ctx.shape[0] if ctx.shape is not None else None
    out_shape = _static((batch, *static, filters))
    return Emitted(weights, lines, out_shape)


def _depthwise_setup(ctx: EmitCtx) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, ...], str, int]:
    rank = rank_of(ctx.rule.layer)
    kernel = tuple_arg(ctx.value("kernel_size"), rank, "kernel_size")
    strides = tuple_arg(ctx.value("strides"), rank, "strides")
    dilation = tuple_arg(ctx.value("dilation_rate"), rank, "dilation_rate")
    for values, name in ((kernel, "kernel_size"), (strides, "strides"), (dilation, "dilation_rate")):
        _positive(values, name)
    padding = _padding(ctx)
    multiplier = ctx.value("depth_multiplier")
    if not isinstance(multiplier, int) or isinstance(multiplier, bool) or multiplier < 1:
        raise Unsupported(f"depth_multiplier={multiplier!r}")
    if any(s > 1 for s in strides) and any(d > 1 for d in dilation):
        # Keras's TF backend decomposes this case (dilated conv at stride 1, then subsampling)
        raise Unsupported("strides > 1 together with dilation_rate > 1")
    if rank == 2 and strides[0] != strides[1]:
        raise Unsupported("different row and column strides (TensorFlow's depthwise kernels need equal strides)")
    if ctx.rank() not in (None, rank + 2):
        raise Unsupported(f"{ctx.rule.layer} on an input of rank {ctx.rank()}")
    return rank, kernel, strides, dilation, padding, multiplier


def _conv2d_args(rank: int, strides: tuple[int, ...], dilation: tuple[int, ...], padding: str) -> str:
    """strides/padding/dilations of the 2-D depthwise/separable op, as Keras passes them."""
    if rank == 1:
        s = [1, strides[0], strides[0], 1]  # Keras: (1,) + strides * 2 + (1,)
        d = [1, dilation[0]]
    else:
        s = [1, strides[0], strides[1], 1]
        d = list(dilation)
    text = f"strides={s!r}, padding={padding_value(padding)!r}"
    if any(v != 1 for v in d):
        text += f", dilations={d!r}"
    return text


def _spatial_out(ctx: EmitCtx, rank: int, kernel: tuple[int, ...], strides: tuple[int, ...],
                 dilation: tuple[int, ...], padding: str, channels: DimT) -> tuple | None:  # type: ignore[type-arg]
    shape = ctx.shape
    if shape is None or len(shape) != rank + 2:
        return None
    spatial = tuple(conv_out(shape[1 + i], kernel[i], strides[i], dilation[i], padding) for i in range(rank))
    return _static((shape[0], *spatial, channels))


@handler("depthwise_conv")
def depthwise_conv(ctx: EmitCtx) -> Emitted:
    """``ops.depthwise_conv``: kernel [*k, in, depth_multiplier], bias [in * depth_multiplier]."""
    rank, kernel, strides, dilation, padding, multiplier = _depthwise_setup(ctx)
    in_ch = ctx.dim(-1)
    weights = [Weight("kernel", kernel + (in_ch, multiplier), ctx.arg("depthwise_initializer"))]
    x, k = ctx.x, ctx.w("kernel")
    args = _conv2d_args(rank, strides, dilation, padding)
    if rank == 1:
        expr = f"tf.squeeze(tf.nn.depthwise_conv2d(tf.expand_dims({x}, 1), tf.expand_dims({k}, 0), {args}), [1])"
    else:
        expr = f"tf.nn.depthwise_conv2d({x}, {k}, {args})"
    lines = [ctx.assign(expr)]
    out_ch = _times(in_ch, multiplier)
    lines += _bias_lines(ctx, weights, out_ch)
    lines += activation_lines(ctx)
    return Emitted(weights, lines, _spatial_out(ctx, rank, kernel, strides, dilation, padding, out_ch))


@handler("separable_conv")
def separable_conv(ctx: EmitCtx) -> Emitted:
    """``ops.separable_conv``: depthwise kernel [*k, in, dm], pointwise [*1s, in * dm, filters]."""
    rank, kernel, strides, dilation, padding, multiplier = _depthwise_setup(ctx)
    in_ch = ctx.dim(-1)
    filters = _filters(ctx)
    weights = [
        Weight("depthwise_kernel", kernel + (in_ch, multiplier), ctx.arg("depthwise_initializer")),
        Weight("pointwise_kernel", (1,) * rank + (_times(in_ch, multiplier), filters), ctx.arg("pointwise_initializer")),
    ]
    x, dk, pk = ctx.x, ctx.w("depthwise_kernel"), ctx.w("pointwise_kernel")
    args = _conv2d_args(rank, strides, dilation, padding)
    if rank == 1:
        expr = (f"tf.squeeze(tf.nn.separable_conv2d(tf.expand_dims({x}, 1), tf.expand_dims({dk}, 0), "
                f"tf.expand_dims({pk}, 0), {args}), [1])")
    else:
        expr = f"tf.nn.separable_conv2d({x}, {dk}, {pk}, {args})"
    lines = [ctx.assign(expr)]
    lines += _bias_lines(ctx, weights, filters)
    lines += activation_lines(ctx)
    return Emitted(weights, lines, _spatial_out(ctx, rank, kernel, strides, dilation, padding, filters))
