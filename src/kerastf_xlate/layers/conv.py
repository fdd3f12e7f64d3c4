"""Convolutions: Conv1D/2D/3D -> tf.nn.conv1d / conv2d / conv3d (+ bias, activation)."""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.emit import (
    Dim,
    EmitCtx,
    Emitted,
    Unsupported,
    Weight,
    activation_lines,
    named_src,
    tuple_arg,
)
from kerastf_xlate.layerkit.family import CORE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.named import spread_name
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    data_format_ok,
    init_arg,
    kernel_dims,
    padding_of,
    spatial,
    tuple_src,
    weight_facts,
)
from kerastf_xlate.layerkit.shapes import (
    Shape,
    Unbuildable,
    as_tuple,
    conv_out,
    first_input,
    padding_value,
    rank_of,
    transpose_out,
)
from kerastf_xlate.static import is_int, literal_or
from kerastf_xlate.syntax import kwarg, only_args


def _filters(ctx: EmitCtx):
    return ctx.value("filters") if ctx.is_literal("filters") else Dim(ctx.arg("filters"))


def strides_src(values: tuple[int, ...], rank: int) -> str:
    """conv1d takes an int stride; conv2d an int or pair; conv3d needs [1, s, s, s, 1]."""
    if rank == 3:
        return repr([1, *values, 1])
    plain = repr(values[0]) if len(set(values)) == 1 else repr(list(values))
    return named_src(values, plain) if rank == 2 else plain  # strides=STRIDES, the user's name


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


# ------------------------------------------------------------------------------ to-keras: recognising the layer


_CONV = {"tf.nn.conv1d": 1, "tf.nn.conv2d": 2, "tf.nn.conv3d": 3, "tf.nn.convolution": 0}


def _conv(node: ast.AST, ctx: MatchCtx) -> Match | None:
    if not isinstance(node, ast.Call):
        return None
    q = ctx.names.call(node)
    if q in _CONV:
        stride_kw = "stride" if q == "tf.nn.conv1d" else "strides"
        params = ["input", "filters", stride_kw, "padding", "data_format", "dilations", "name"]
        if not only_args(node, params):
            return None
        x, w = kwarg(node, "input", 0), kwarg(node, "filters", 1)
        var = ctx.var(w)
        if x is None or var is None or var.shape is None or len(var.shape) not in (3, 4, 5):
            return None
        rank = len(var.shape) - 2
        if _CONV[q] not in (0, rank):
            return None
        strides = spatial(kwarg(node, stride_kw, 2), rank, names=ctx.names)
        dil = spatial(kwarg(node, "dilations", 5), rank, names=ctx.names)
        pad = padding_of(kwarg(node, "padding", 3), "VALID" if q == "tf.nn.convolution" else "")
        if strides is None or dil is None or pad is None or not data_format_ok(kwarg(node, "data_format", 4)):
            return None
        kernel = tuple(d.value for d in var.shape[:rank])
        if not all(is_int(k) for k in kernel):
            return None
        spec = LayerSpec(f"Conv{rank}D", {"filters": var.shape[-1].src, "kernel_size": tuple_src(kernel)}, {"kernel": var})  # type: ignore[arg-type]
        _set_conv_args(spec, strides, pad, dil, rank)
        spec.args["use_bias"] = "False"
        init_arg(spec, "kernel_initializer", var, ctx)
        return Match(spec, node, [x], foldable=True)
    return None


def _set_conv_args(spec: LayerSpec, strides: tuple[int, ...], pad: str, dil: tuple[int, ...], rank: int) -> None:
    if any(s != 1 for s in strides) or spread_name(strides):
        spec.args["strides"] = tuple_src(strides)
    if pad != "valid":
        spec.args["padding"] = repr(pad)
    if any(d != 1 for d in dil) or spread_name(dil):
        spec.args["dilation_rate"] = tuple_src(dil)

# ------------------------------------------------------------------------------ the family


def conv_output_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """Conv*D, DepthwiseConv*D, SeparableConv*D and Conv*DTranspose as Keras computes them."""
    x = first_input(ins)
    if x is None:
        return None
    k = rank_of(cls)
    if len(x) != k + 2 or x[-1] is None:
        raise Unbuildable(cls)
    ks = as_tuple(literal_or(args.get("kernel_size")), k)
    st = as_tuple(literal_or(args.get("strides"), 1), k)
    dl = as_tuple(literal_or(args.get("dilation_rate"), 1), k)
    pad = literal_or(args.get("padding"), "valid")
    if ks is None or st is None or dl is None:
        return (None,) * (k + 1) + (None,)
    if cls.endswith("DTranspose"):
        spatial_ = tuple(None if x[1 + i] is None else transpose_out(x[1 + i], ks[i], st[i], dl[i], pad) for i in range(k))
    else:
        spatial_ = tuple(conv_out(x[1 + i], ks[i], st[i], dl[i], pad, clamp=True) for i in range(k))
    if cls.startswith("Depthwise"):
        dm = literal_or(args.get("depth_multiplier"), 1)
        ch = x[-1] * dm if isinstance(dm, int) else None
    else:
        ch = literal_or(args.get("filters"))
    return (x[0],) + spatial_ + (ch if isinstance(ch, int) else None,)


def conv_hint(spec: LayerSpec) -> dict[str, Any]:
    """A convolution kernel [*kernel_size, in, out] shows the input's rank and channels."""
    dims = kernel_dims(spec)
    return {"rank": len(dims) - 2, "last": dims[-2]} if dims else {}


CONV = LayerFamily("conv", emit=conv, recognisers=(Recogniser(CORE, 20, _conv),), output_shape=conv_output_shape,
                   facts=lambda app, m: weight_facts(app, m.spec, "kernel", -2), input_hint=conv_hint)
