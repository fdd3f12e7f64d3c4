"""Cropping1D/2D/3D (slicing), UpSampling1D/2D/3D (tf.repeat, tf.image.resize) and
ZeroPadding1D/2D/3D (tf.pad), channels_last, as ``keras/src/layers/reshaping``."""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, tuple_arg
from kerastf_xlate.layerkit.family import EXPRESSION, LayerFamily, Recogniser, calling
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    tuple_src,
)
from kerastf_xlate.layerkit.shapes import (
    Shape,
    Unbuildable,
    as_tuple,
    first_input,
    rank_of,
    spatial_input,
)
from kerastf_xlate.static import is_int, literal_or
from kerastf_xlate.syntax import const, kwarg, only_args


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _pairs(value: Any, rank: int, name: str) -> list[tuple[int, int]]:
    """Keras's normalisation of cropping / padding: an int (symmetric everywhere), one
    entry per spatial axis (an int or a pair each) -- or, in 1-D, a pair."""
    if rank == 1:
        pair = tuple_arg(value, 2, name)
        pairs = [pair]
    elif _int(value):
        pairs = [(value, value)] * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        pairs = [tuple_arg(v, 2, name) for v in value]
    else:
        raise Unsupported(f"{name}={value!r}")
    if any(v < 0 for p in pairs for v in p):
        raise Unsupported(f"{name}={value!r} is negative (Keras rejects it)")
    return pairs  # type: ignore[return-value]


def _check_rank(ctx: EmitCtx, rank: int) -> None:
    if ctx.rank() not in (None, rank + 2):
        raise Unsupported(f"{ctx.rule.layer} needs an input of rank {rank + 2}, got {ctx.rank()}")


def cropping(ctx: EmitCtx) -> Emitted:
    rank = rank_of(ctx.rule.layer)
    _check_rank(ctx, rank)
    pairs = _pairs(ctx.value("cropping"), rank, "cropping")
    shape = ctx.shape
    slices = [":"]
    out = [shape[0] if shape else None]
    for i, (start, end) in enumerate(pairs):
        size = shape[1 + i] if shape else None
        if isinstance(size, int) and start + end >= size:
            raise Unsupported(f"cropping {start + end} of an axis of size {size} (Keras rejects it)")
        slices.append(f"{start}:" if end == 0 else f"{start}:{-end}")
        out.append(size - start - end if isinstance(size, int) else None)
    slices.append(":")
    out.append(shape[-1] if shape and isinstance(shape[-1], int) else None)
    return Emitted([], [ctx.assign(f"{ctx.x}[{', '.join(slices)}]")], tuple(out) if shape else None)


def zero_padding(ctx: EmitCtx) -> Emitted:
    rank = rank_of(ctx.rule.layer)
    _check_rank(ctx, rank)
    pairs = _pairs(ctx.value("padding"), rank, "padding")
    paddings = [[0, 0]] + [list(p) for p in pairs] + [[0, 0]]
    shape = ctx.shape
    out = None
    if shape is not None:
        out = (shape[0],) + tuple(
            shape[1 + i] + a + b if isinstance(shape[1 + i], int) else None for i, (a, b) in enumerate(pairs)
        ) + ((shape[-1] if isinstance(shape[-1], int) else None),)
    return Emitted([], [ctx.assign(f"tf.pad({ctx.x}, {paddings!r})")], out)


def upsampling(ctx: EmitCtx) -> Emitted:
    """Nearest: tf.repeat per spatial axis. UpSampling2D's other interpolations:
    tf.image.resize to (h * sh, w * sw), no antialiasing (``ops.image.resize``)."""
    rank = rank_of(ctx.rule.layer)
    _check_rank(ctx, rank)
    size_v = ctx.value("size")
    if rank == 1:
        if not _int(size_v):
            raise Unsupported("size must be an int")
        sizes: tuple[int, ...] = (size_v,)
    else:
        sizes = tuple_arg(size_v, rank, "size")
    if any(s <= 0 for s in sizes):
        raise Unsupported(f"size={size_v!r}")
    interpolation = "nearest"
    if rank == 2:
        interpolation = str(ctx.value("interpolation")).lower()
    x = ctx.x
    shape = ctx.shape
    out = None
    if shape is not None:
        out = (shape[0],) + tuple(
            shape[1 + i] * s if isinstance(shape[1 + i], int) else None for i, s in enumerate(sizes)
        ) + ((shape[-1] if isinstance(shape[-1], int) else None),)
    if interpolation == "nearest":
        expr = x
        for i, s in enumerate(sizes):
            expr = f"tf.repeat({expr}, {s}, axis={i + 1})"
        return Emitted([], [ctx.assign(expr)], out)
    if interpolation not in ("bilinear", "bicubic", "lanczos3", "lanczos5", "area"):
        raise Unsupported(f"interpolation={interpolation!r}")
    dims = []
    for i, s in enumerate(sizes):
        d = shape[1 + i] if shape else None
        dims.append(str(d * s) if isinstance(d, int) else f"tf.shape({x})[{i + 1}] * {s}")
    expr = f"tf.image.resize({x}, [{', '.join(dims)}], method={interpolation!r}, antialias=False)"
    return Emitted([], [ctx.assign(expr)], out)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _pad(node: ast.Call, ctx: MatchCtx) -> Match | None:
    if not only_args(node, ["tensor", "paddings", "mode", "constant_values", "name"]):
        return None
    x, pads = kwarg(node, "tensor", 0), const(kwarg(node, "paddings", 1))
    mode = const(kwarg(node, "mode", 2)) if kwarg(node, "mode", 2) is not None else "CONSTANT"
    cval = const(kwarg(node, "constant_values", 3)) if kwarg(node, "constant_values", 3) is not None else 0
    if x is None or not isinstance(pads, (list, tuple)) or str(mode).upper() != "CONSTANT" or cval != 0:
        return None
    if not all(isinstance(p, (list, tuple)) and len(p) == 2 and all(is_int(v) for v in p) for p in pads):
        return None
    if len(pads) not in (3, 4, 5) or list(pads[0]) != [0, 0] or list(pads[-1]) != [0, 0]:
        return None
    mid = [tuple(p) for p in pads[1:-1]]
    rank = len(mid)
    if rank == 1:
        a, b = mid[0]
        arg = repr(a) if a == b else repr((a, b))
    elif all(a == b for a, b in mid):
        sizes = tuple(a for a, _ in mid)
        arg = tuple_src(sizes)
    else:
        arg = repr(tuple(mid))
    return Match(LayerSpec(f"ZeroPadding{rank}D", {"padding": arg}), node, [x])


def _repeat(node: ast.Call, ctx: MatchCtx) -> Match | None:
    """``tf.repeat`` nested over axes 1, 2, 3 (UpSampling1D/2D/3D, nearest)."""
    chain: list[tuple[int, int]] = []
    cur: ast.AST | None = node
    while isinstance(cur, ast.Call) and ctx.names.call(cur) == "tf.repeat" and only_args(cur, ["input", "repeats", "axis"]) and len(chain) < 3:
        reps, axis = const(kwarg(cur, "repeats", 1)), const(kwarg(cur, "axis", 2))
        if not is_int(reps) or not is_int(axis):
            return None
        chain.append((reps, axis))
        cur = kwarg(cur, "input", 0)
    chain.reverse()
    if cur is None or not chain or [a for _, a in chain] != list(range(1, len(chain) + 1)):
        return None
    sizes = tuple(r for r, _ in chain)
    args = {"size": repr(sizes[0]) if len(sizes) == 1 else tuple_src(sizes)}
    return Match(LayerSpec(f"UpSampling{len(sizes)}D", args), node, [cur])  # type: ignore[list-item]


def _crop(node: ast.Subscript, ctx: MatchCtx) -> Match | None:
    """``x[:, a:-b, c:, :]`` (Cropping1D/2D/3D)."""
    sl = node.slice
    if not isinstance(sl, ast.Tuple) or len(sl.elts) not in (3, 4, 5):
        return None
    elts = sl.elts
    full = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None for e in (elts[0], elts[-1])]
    if not all(full) or not ctx.tensor(node.value):
        return None
    crops = []
    for e in elts[1:-1]:
        if not isinstance(e, ast.Slice) or e.step is not None:
            return None
        lo = 0 if e.lower is None else const(e.lower)
        hi = None if e.upper is None else const(e.upper)
        if not is_int(lo) or lo < 0 or not (hi is None or (is_int(hi) and hi < 0)):
            return None
        crops.append((lo, 0 if hi is None else -hi))
    rank = len(crops)
    if rank == 1:
        a, b = crops[0]
        arg = repr(a) if a == b else repr((a, b))
    elif all(a == b for a, b in crops) and len({a for a, _ in crops}) == 1:
        arg = repr(crops[0][0])
    elif all(a == b for a, b in crops):
        arg = repr(tuple(a for a, _ in crops))
    else:
        arg = repr(tuple(crops))
    return Match(LayerSpec(f"Cropping{rank}D", {"cropping": arg}), node, [node.value])

# ------------------------------------------------------------------------------ the family


def _keras_pairs(v: Any, k: int) -> list[tuple[int, int]] | None:
    if isinstance(v, int):
        return [(v, v)] * k
    if isinstance(v, tuple) and len(v) == 2 and k == 1 and all(isinstance(i, int) for i in v):
        return [tuple(v)]
    if isinstance(v, tuple) and len(v) == k:
        out = []
        for item in v:
            if isinstance(item, int):
                out.append((item, item))
            elif isinstance(item, tuple) and len(item) == 2:
                out.append(tuple(item))
            else:
                return None
        return out
    return None


def _pad_or_crop_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    got = spatial_input(cls, ins)
    if got is None:
        return None
    x, k = got
    zero = cls.startswith("Zero")
    pairs = _keras_pairs(literal_or(args.get("padding" if zero else "cropping"), 1 if zero else 0), k)
    if pairs is None:
        return None
    sign = 1 if zero else -1
    return (x[0],) + tuple(None if x[1 + i] is None else x[1 + i] + sign * (a + b) for i, (a, b) in enumerate(pairs)) + (x[-1],)


def _upsampling_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    if x is None:
        return None
    k = rank_of(cls)
    size = as_tuple(literal_or(args.get("size"), 2), k)
    if len(x) != k + 2 or size is None:
        raise Unbuildable(cls)
    return (x[0],) + tuple(None if x[1 + i] is None else x[1 + i] * size[i] for i in range(k)) + (x[-1],)


CROPPING = LayerFamily("cropping", emit=cropping,
                       recognisers=(Recogniser(EXPRESSION, 440, lambda node, ctx: _crop(node, ctx) if isinstance(node, ast.Subscript) else None),),
                       output_shape=_pad_or_crop_shape)
ZERO_PADDING = LayerFamily("zero_padding", emit=zero_padding, recognisers=(Recogniser(EXPRESSION, 403, calling("tf.pad", _pad)),),
                           output_shape=_pad_or_crop_shape)
UPSAMPLING = LayerFamily("upsampling", emit=upsampling, recognisers=(Recogniser(EXPRESSION, 404, calling("tf.repeat", _repeat)),),
                         output_shape=_upsampling_shape)
