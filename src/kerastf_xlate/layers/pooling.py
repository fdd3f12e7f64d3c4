"""Pooling: Max/AveragePooling1D/2D/3D -> tf.nn.max_pool*d / avg_pool*d; global pooling -> tf.reduce_*."""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, named_src, tuple_arg
from kerastf_xlate.layerkit.family import EXPRESSION, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    data_format_ok,
    ints,
    padding_of,
    spatial,
    tuple_src,
)
from kerastf_xlate.layerkit.shapes import (
    Shape,
    as_tuple,
    conv_out,
    padding_value,
    rank_of,
    spatial_input,
)
from kerastf_xlate.static import literal_or
from kerastf_xlate.syntax import const, kwarg, only_args


def _list_or_int(values: tuple[int, ...]) -> str:
    return repr(values[0]) if len(set(values)) == 1 else repr(list(values))


def _sizes_src(values: tuple[int, ...], rank: int) -> str:
    """``ksize`` / ``strides``: the user's name for a 2-D pool (``ksize=POOL``), else ints."""
    plain = _list_or_int(values)
    return named_src(values, plain) if rank == 2 else plain


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
        f"{op}({ctx.x}, ksize={_sizes_src(size, rank)}, strides={_sizes_src(strides, rank)}, padding={padding_value(padding)!r})"
    )
    shape = ctx.shape
    out = None
    if shape is not None and len(shape) == rank + 2:
        out = (shape[0],) + tuple(conv_out(shape[1 + i], size[i], strides[i], 1, padding) for i in range(rank)) + (shape[-1],)
    return Emitted([], [line], out)


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


# ------------------------------------------------------------------------------ to-keras: recognising the layer


_POOL = {"tf.nn.max_pool1d": ("Max", 1), "tf.nn.max_pool2d": ("Max", 2), "tf.nn.max_pool3d": ("Max", 3),
         "tf.nn.avg_pool1d": ("Average", 1), "tf.nn.avg_pool2d": ("Average", 2), "tf.nn.avg_pool3d": ("Average", 3),
         "tf.nn.max_pool": ("Max", 0), "tf.nn.avg_pool": ("Average", 0)}


def _pool(node: ast.Call, q: str, ctx: MatchCtx) -> Match | None:
    kind, rank = _POOL[q]
    if not only_args(node, ["input", "ksize", "strides", "padding", "data_format", "name"]):
        return None
    x, ks, st_, pad = kwarg(node, "input", 0), kwarg(node, "ksize", 1), kwarg(node, "strides", 2), kwarg(node, "padding", 3)
    if x is None or ks is None or st_ is None or not data_format_ok(kwarg(node, "data_format", 4)):
        return None
    if rank == 0:
        vals = ints(ks)
        if vals is None or len(vals) not in (3, 4, 5):
            return None
        rank = len(vals) - 2
    size, strides, padding = spatial(ks, rank, names=ctx.names), spatial(st_, rank, names=ctx.names), padding_of(pad, "")
    if size is None or strides is None or padding is None:
        return None
    args = {"pool_size": tuple_src(size)}
    if strides != size or tuple_src(strides) != args["pool_size"]:  # ksize=POOL, strides=2: both written
        args["strides"] = tuple_src(strides)
    if padding != "valid":
        args["padding"] = repr(padding)
    return Match(LayerSpec(f"{kind}Pooling{rank}D", args), node, [x])


def _global_pool(node: ast.Call, q: str, ctx: MatchCtx) -> Match | None:
    if not only_args(node, ["input_tensor", "axis", "keepdims", "name"]):
        return None
    x, axis = kwarg(node, "input_tensor", 0), ints(kwarg(node, "axis", 1))
    keep = const(kwarg(node, "keepdims", 2)) if kwarg(node, "keepdims", 2) is not None else False
    if x is None or axis is None or axis not in ([1], [1, 2], [1, 2, 3]) or keep not in (True, False):
        return None
    kind = "Max" if q == "tf.math.reduce_max" else "Average"
    cls = f"Global{kind}Pooling{len(axis)}D"
    # reducing axes 1..k is GlobalPooling{k}D only on a rank k+2 input (channels last): the
    # same call on a rank-2 tensor is a row reduction, which the layer rejects
    if not ctx.written_as(cls) and ctx.rank(x) != len(axis) + 2:
        got = ctx.rank(x)
        seen = "the code does not show its rank" if got is None else f"this input has rank {got}"
        ctx.notes.append((node, f"it is {cls} only on a rank-{len(axis) + 2} input, and {seen}"))
        return None
    args = {"keepdims": "True"} if keep else {}
    return Match(LayerSpec(cls, args), node, [x])

# ------------------------------------------------------------------------------ the family


def _pool_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    got = spatial_input(cls, ins)
    if got is None:
        return None
    x, k = got
    ps = as_tuple(literal_or(args.get("pool_size"), 2), k)
    st = as_tuple(literal_or(args.get("strides")) or literal_or(args.get("pool_size"), 2), k)
    pad = literal_or(args.get("padding"), "valid")
    if ps is None or st is None:
        return (x[0],) + (None,) * k + (x[-1],)
    return (x[0],) + tuple(conv_out(x[1 + i], ps[i], st[i], 1, pad, clamp=True) for i in range(k)) + (x[-1],)


def _global_pool_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    got = spatial_input(cls, ins)
    if got is None:
        return None
    x, k = got
    if literal_or(args.get("keepdims"), False):
        return (x[0],) + (1,) * k + (x[-1],)
    return (x[0], x[-1])


def _pooling(node: ast.AST, ctx: MatchCtx) -> Match | None:
    q = ctx.names.call(node)
    return _pool(node, q, ctx) if isinstance(node, ast.Call) and q in _POOL else None


def _global_pooling(node: ast.AST, ctx: MatchCtx) -> Match | None:
    q = ctx.names.call(node)
    if isinstance(node, ast.Call) and q in ("tf.math.reduce_mean", "tf.math.reduce_max"):
        return _global_pool(node, q, ctx)
    return None


POOL = LayerFamily("pool", emit=pool, recognisers=(Recogniser(EXPRESSION, 400, _pooling),), output_shape=_pool_shape)
GLOBAL_POOL = LayerFamily("global_pool", emit=global_pool, recognisers=(Recogniser(EXPRESSION, 401, _global_pooling),),
                          output_shape=_global_pool_shape)
