"""Transposed, depthwise and separable convolutions.

Conv1D/2D/3DTranspose -> tf.nn.conv1d/2d/3d_transpose with the output shape Keras computes;
DepthwiseConv1D/2D -> tf.nn.depthwise_conv2d; SeparableConv1D/2D -> tf.nn.separable_conv2d.
The 1-D variants run the 2-D op over an inserted unit axis, exactly as Keras's TensorFlow
backend does (``keras/src/backend/tensorflow/nn.py``).
"""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.emit import (
    Dim,
    DimT,
    EmitCtx,
    Emitted,
    Unsupported,
    Weight,
    activation_lines,
    tuple_arg,
)
from kerastf_xlate.layerkit.family import CORE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    Var,
    data_format_ok,
    init_arg,
    kernel_dims,
    padding_of,
    spatial,
    tuple_src,
    weight_facts,
)
from kerastf_xlate.layerkit.shapes import (
    Fact,
    conv_out,
    padding_value,
    rank_of,
)
from kerastf_xlate.layers.conv import _set_conv_args, conv_hint, conv_output_shape
from kerastf_xlate.static import is_int
from kerastf_xlate.syntax import const, kwarg, only_args, same


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


def _static(shape: tuple | None) -> tuple:
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
                 dilation: tuple[int, ...], padding: str, channels: DimT) -> tuple | None:
    shape = ctx.shape
    if shape is None or len(shape) != rank + 2:
        return None
    spatial = tuple(conv_out(shape[1 + i], kernel[i], strides[i], dilation[i], padding) for i in range(rank))
    return _static((shape[0], *spatial, channels))


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


# ------------------------------------------------------------------------------ to-keras: recognising the layer


_TRANSPOSE = {"tf.nn.conv1d_transpose": 1, "tf.nn.conv2d_transpose": 2, "tf.nn.conv3d_transpose": 3, "tf.nn.conv_transpose": 0}


_TRANSPOSE_PARAMS = ["input", "filters", "output_shape", "strides", "padding", "data_format", "dilations", "name"]


def _conv_transpose(node: ast.Call, q: str, ctx: MatchCtx) -> Match | None:
    """``tf.nn.conv2d_transpose(x, k, output_shape, strides, padding, dilations=...)``, kernel
    ``[*kernel_size, filters, in]`` (Keras's layout is TensorFlow's)."""
    if not only_args(node, _TRANSPOSE_PARAMS):
        return None
    x, var = kwarg(node, "input", 0), ctx.var(kwarg(node, "filters", 1))
    if x is None or var is None or var.shape is None or len(var.shape) not in (3, 4, 5):
        return None
    rank = len(var.shape) - 2
    if _TRANSPOSE[q] not in (0, rank) or kwarg(node, "strides", 3) is None:
        return None
    strides = spatial(kwarg(node, "strides", 3), rank)
    dil = spatial(kwarg(node, "dilations", 6), rank)
    pad = padding_of(kwarg(node, "padding", 4), "SAME")  # the ops' default
    if strides is None or dil is None or pad is None or not data_format_ok(kwarg(node, "data_format", 5)):
        return None
    kernel = tuple(d.value for d in var.shape[:rank])
    if not all(is_int(k) and k > 0 for k in kernel) or (max(strides) > 1 and max(dil) > 1):  # type: ignore[operator]
        return None  # Keras rejects strides > 1 together with dilation_rate > 1
    sizes = _input_sizes(kwarg(node, "output_shape", 2), x, var, kernel, strides, dil, pad, ctx)  # type: ignore[arg-type]
    if sizes is None:
        return None
    spec = LayerSpec(f"Conv{rank}DTranspose", {"filters": var.shape[-2].src, "kernel_size": tuple_src(kernel)},  # type: ignore[arg-type]
                     {"kernel": var})
    _set_conv_args(spec, strides, pad, dil, rank)
    spec.args["use_bias"] = "False"
    init_arg(spec, "kernel_initializer", var, ctx)
    return Match(spec, node, [x], foldable=True, hints={"in_sizes": sizes})


def _input_sizes(shape: ast.expr | None, x: ast.expr, var: Var, kernel: tuple[int, ...], strides: tuple[int, ...],
                 dil: tuple[int, ...], pad: str, ctx: MatchCtx) -> tuple[int | None, ...] | None:
    """The input's spatial sizes an ``output_shape`` implies (None where it reads them from
    ``tf.shape(x)``), or None when it is not the shape Keras computes (``output_padding=None``).

    Keras: ``n * s`` ('same'), ``(n - 1) * s + max(k_eff, s)`` ('valid'). A literal size is
    enough: TensorFlow checks at run time that the input is the one it implies, so the layer
    computes that same size from the input."""
    if isinstance(shape, ast.Call) and ctx.names.call(shape) == "tf.stack" and only_args(shape, ["values", "axis", "name"]):
        axis = kwarg(shape, "axis", 1)
        shape = kwarg(shape, "values", 0) if axis is None or const(axis) == 0 else None
    rank = len(kernel)
    if not isinstance(shape, (ast.List, ast.Tuple)) or len(shape.elts) != rank + 2:
        return None
    first, *mid, last = shape.elts
    if not _dim_of(first, x, 0, ctx) or not _same_size(last, var, -2, ctx):
        return None
    out: list[int | None] = []
    for i, e in enumerate(mid):
        s = strides[i]
        offset = 0 if pad == "same" else max((kernel[i] - 1) * dil[i] + 1, s) - s  # size = n * s + offset
        v = const(e)
        if is_int(v):
            if (v - offset) % s or (v - offset) // s < 1:
                return None
            out.append((v - offset) // s)
        elif _affine(e, x, 1 + i, ctx) == (s, offset):
            out.append(None)
        else:
            return None
    return tuple(out)


def _same_size(node: ast.expr, var: Var, axis: int, ctx: MatchCtx) -> bool:
    """``node`` is the size of ``var``'s axis ``axis`` (< 0): the same literal, the same
    source as in its shape, or ``var.shape[axis]``."""
    assert var.shape is not None
    dim, v = var.shape[axis], const(node)
    if (dim.value is not None and is_int(v) and v == dim.value) or ctx.st.seg(node) == dim.src:
        return True
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
            and ctx.var(node.value.value) is var and const(node.slice) in (axis, axis + len(var.shape)))


def _dim_of(node: ast.AST, x: ast.expr, axis: int, ctx: MatchCtx) -> bool:
    """``tf.shape(x)[axis]`` or ``x.shape[axis]`` for the op's own input ``x``."""
    if not (isinstance(node, ast.Subscript) and const(node.slice) == axis and is_int(const(node.slice))):
        return False
    v = node.value
    if isinstance(v, ast.Call) and ctx.names.call(v) == "tf.shape" and len(v.args) == 1 and not v.keywords:
        return same(v.args[0], x)
    return isinstance(v, ast.Attribute) and v.attr == "shape" and same(v.value, x)


def _affine(node: ast.AST, x: ast.expr, axis: int, ctx: MatchCtx, depth: int = 0) -> tuple[int, int] | None:
    """``(a, b)`` when ``node`` computes ``a * n + b`` from ``n = tf.shape(x)[axis]`` with
    integer ``+``, ``-`` and ``*``; None otherwise."""
    v = const(node)
    if is_int(v):
        return 0, v
    if _dim_of(node, x, axis, ctx):
        return 1, 0
    if depth > 20 or not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult))):
        return None
    left, right = _affine(node.left, x, axis, ctx, depth + 1), _affine(node.right, x, axis, ctx, depth + 1)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return left[0] + right[0], left[1] + right[1]
    if isinstance(node.op, ast.Sub):
        return left[0] - right[0], left[1] - right[1]
    if left[0] and right[0]:
        return None  # n * n is not an output size
    return left[0] * right[1] + right[0] * left[1], left[1] * right[1]


_CONV2D_OPS = {
    "tf.nn.depthwise_conv2d": ["input", "filter", "strides", "padding", "data_format", "dilations", "name"],
    "tf.nn.separable_conv2d": ["input", "depthwise_filter", "pointwise_filter", "strides", "padding", "data_format", "dilations", "name"],
}


def _conv1d_as_2d(node: ast.Call, ctx: MatchCtx) -> Match | None:
    """``tf.squeeze(<2-D depthwise or separable conv of tf.expand_dims(x, 1) with kernels
    tf.expand_dims(k, 0)>, [1])``: how Keras's TensorFlow backend runs the 1-D layers."""
    if not only_args(node, ["input", "axis", "name"]) or const(kwarg(node, "axis", 1)) not in (1, [1], (1,)):
        return None
    inner = kwarg(node, "input", 0)
    q = ctx.names.call(inner) if isinstance(inner, ast.Call) else None
    if q not in _CONV2D_OPS or not only_args(inner, _CONV2D_OPS[q]):  # type: ignore[arg-type]
        return None
    assert isinstance(inner, ast.Call) and q is not None
    params = _CONV2D_OPS[q]
    n = len(params) - 6  # number of kernels
    x = _unit_axis(kwarg(inner, "input", 0), 1, ctx)
    kernels = [ctx.var(_unit_axis(kwarg(inner, p, 1 + i), 0, ctx)) for i, p in enumerate(params[1:1 + n])]
    if x is None or any(k is None or k.shape is None or len(k.shape) != 3 for k in kernels):
        return None
    strides = spatial(kwarg(inner, "strides", 1 + n), 2)
    dil = spatial(kwarg(inner, "dilations", 4 + n), 2)
    pad = padding_of(kwarg(inner, "padding", 2 + n), "")
    dw = kernels[0]
    assert dw is not None and dw.shape is not None
    size = dw.shape[0].value
    # the unit axis makes the first stride and dilation irrelevant; TensorFlow wants equal strides
    if strides is None or dil is None or pad is None or strides[0] != strides[1] or dil[0] not in (1, dil[1]):
        return None
    if not is_int(size) or size < 1 or (strides[1] > 1 and dil[1] > 1) or not data_format_ok(kwarg(inner, "data_format", 3 + n)):  # type: ignore[operator]
        return None
    if q == "tf.nn.depthwise_conv2d":
        spec = LayerSpec("DepthwiseConv1D", {"kernel_size": repr(size)}, {"kernel": dw})
    else:
        pw = kernels[1]
        assert pw is not None and pw.shape is not None
        if pw.shape[0].value != 1:
            return None
        spec = LayerSpec("SeparableConv1D", {"filters": pw.shape[2].src, "kernel_size": repr(size)},
                         {"depthwise_kernel": dw, "pointwise_kernel": pw})
    _set_conv_args(spec, strides[1:], pad, dil[1:], 1)
    spec.args["depth_multiplier"] = dw.shape[2].src
    spec.args["use_bias"] = "False"
    init_arg(spec, "depthwise_initializer", dw, ctx)
    if "pointwise_kernel" in spec.weights:
        init_arg(spec, "pointwise_initializer", spec.weights["pointwise_kernel"], ctx)
    return Match(spec, node, [x], foldable=True)


def _unit_axis(node: ast.expr | None, axis: int, ctx: MatchCtx) -> ast.expr | None:
    """``e`` from ``tf.expand_dims(e, axis)``, or from ``e[None]`` (axis 0) / ``e[:, None]``
    (axis 1), ``tf.newaxis`` for None too."""
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.expand_dims" and only_args(node, ["input", "axis", "name"]):
        if const(kwarg(node, "axis", 1)) == axis and is_int(const(kwarg(node, "axis", 1))):
            return kwarg(node, "input", 0)
        return None
    if isinstance(node, ast.Subscript):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        full = all(isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None for e in elts[:axis])
        new = elts[axis] if len(elts) == axis + 1 else None
        if full and new is not None and ((isinstance(new, ast.Constant) and new.value is None) or ctx.names.qual(new) == "tf.newaxis"):
            return node.value
    return None


def _depthwise2d(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.nn.depthwise_conv2d`` (with its bias and activation folded in by the engine)."""
    if not isinstance(node, ast.Call):
        return None
    q = ctx.names.call(node)
    if q == "tf.nn.depthwise_conv2d":
        if not only_args(node, ["input", "filter", "strides", "padding", "data_format", "dilations", "name"]):
            return None
        x, w = kwarg(node, "input", 0), kwarg(node, "filter", 1)
        var = ctx.var(w)
        if x is None or var is None or var.shape is None or len(var.shape) != 4:
            return None
        strides = spatial(kwarg(node, "strides", 2), 2)
        dil = spatial(kwarg(node, "dilations", 5), 2)
        pad = padding_of(kwarg(node, "padding", 3), "")
        kernel = tuple(d.value for d in var.shape[:2])
        if strides is None or dil is None or pad is None or not all(is_int(k) for k in kernel):
            return None
        spec = LayerSpec("DepthwiseConv2D", {"kernel_size": tuple_src(kernel)}, {"kernel": var})  # type: ignore[arg-type]
        _set_conv_args(spec, strides, pad, dil, 2)
        spec.args["depth_multiplier"] = var.shape[3].src
        spec.args["use_bias"] = "False"
        init_arg(spec, "depthwise_initializer", var, ctx)
        return Match(spec, node, [x], foldable=True)
    return None


def _separable2d(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.nn.separable_conv2d`` (with its bias and activation folded in by the engine)."""
    if not isinstance(node, ast.Call):
        return None
    q = ctx.names.call(node)
    if q == "tf.nn.separable_conv2d":
        if not only_args(node, ["input", "depthwise_filter", "pointwise_filter", "strides", "padding", "data_format", "dilations", "name"]):
            return None
        x = kwarg(node, "input", 0)
        dw, pw = ctx.var(kwarg(node, "depthwise_filter", 1)), ctx.var(kwarg(node, "pointwise_filter", 2))
        if x is None or dw is None or pw is None or dw.shape is None or pw.shape is None or len(dw.shape) != 4 or len(pw.shape) != 4:
            return None
        strides = spatial(kwarg(node, "strides", 3), 2)
        dil = spatial(kwarg(node, "dilations", 6), 2)
        pad = padding_of(kwarg(node, "padding", 4), "")
        kernel = tuple(d.value for d in dw.shape[:2])
        if strides is None or dil is None or pad is None or not all(is_int(k) for k in kernel):
            return None
        spec = LayerSpec("SeparableConv2D", {"filters": pw.shape[3].src, "kernel_size": tuple_src(kernel)},  # type: ignore[arg-type]
                         {"depthwise_kernel": dw, "pointwise_kernel": pw})
        _set_conv_args(spec, strides, pad, dil, 2)
        spec.args["depth_multiplier"] = dw.shape[3].src
        spec.args["use_bias"] = "False"
        init_arg(spec, "depthwise_initializer", dw, ctx)
        init_arg(spec, "pointwise_initializer", pw, ctx)
        return Match(spec, node, [x], foldable=True)
    return None


# ------------------------------------------------------------------------------ the family


def _transposed(node: ast.AST, ctx: MatchCtx) -> Match | None:
    q = ctx.names.call(node) if isinstance(node, ast.Call) else None
    return _conv_transpose(node, q, ctx) if q in _TRANSPOSE else None  # type: ignore[arg-type]


def _conv1d(node: ast.AST, ctx: MatchCtx) -> Match | None:
    q = ctx.names.call(node) if isinstance(node, ast.Call) else None
    return _conv1d_as_2d(node, ctx) if q == "tf.squeeze" else None  # type: ignore[arg-type]


def _transpose_facts(app: int, m: Match) -> list[Fact]:
    """The kernel [*kernel_size, filters, in] shows the input's channels; a literal
    ``output_shape`` its spatial sizes."""
    kernel = m.spec.weights.get("kernel")
    if kernel is None or kernel.shape is None:
        return []
    facts = weight_facts(app, m.spec, "kernel", -1, -1)
    return facts + [Fact(app, "dim", 1 + i, n) for i, n in enumerate(m.hints.get("in_sizes", ())) if n is not None]


def _transpose_hint(spec: LayerSpec) -> dict[str, Any]:
    dims = kernel_dims(spec)
    return {"rank": len(dims) - 2, "last": dims[-1]} if dims else {}  # kernel [*kernel_size, filters, in]


def _depthwise_facts(app: int, m: Match, role: str) -> list[Fact]:
    """The depthwise kernel [*kernel_size, in, depth_multiplier] shows the input's channels."""
    return weight_facts(app, m.spec, role, 2 if m.spec.cls.endswith("2D") else 1)


CONV_TRANSPOSE = LayerFamily("conv_transpose", emit=conv_transpose, recognisers=(Recogniser(CORE, 30, _transposed),),
                             output_shape=conv_output_shape, facts=_transpose_facts, input_hint=_transpose_hint)
DEPTHWISE_CONV = LayerFamily("depthwise_conv", emit=depthwise_conv,
                             recognisers=(Recogniser(CORE, 21, _depthwise2d), Recogniser(CORE, 40, _conv1d)),
                             output_shape=conv_output_shape, facts=lambda app, m: _depthwise_facts(app, m, "kernel"),
                             input_hint=conv_hint)
SEPARABLE_CONV = LayerFamily("separable_conv", emit=separable_conv, recognisers=(Recogniser(CORE, 22, _separable2d),),
                             output_shape=conv_output_shape, facts=lambda app, m: _depthwise_facts(app, m, "depthwise_kernel"),
                             input_hint=conv_hint)
