"""Cropping1D/2D/3D (slicing), UpSampling1D/2D/3D (tf.repeat, tf.image.resize) and
ZeroPadding1D/2D/3D (tf.pad), channels_last, as ``keras/src/layers/reshaping``."""

from __future__ import annotations

from typing import Any

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.shapes import rank_of
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, tuple_arg


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
        pairs = [tuple_arg(v, 2, name) for v in value]  # type: ignore[misc]
    else:
        raise Unsupported(f"{name}={value!r}")
    if any(v < 0 for p in pairs for v in p):
        raise Unsupported(f"{name}={value!r} is negative (Keras rejects it)")
    return pairs  # type: ignore[return-value]


def _check_rank(ctx: EmitCtx, rank: int) -> None:
    if ctx.rank() not in (None, rank + 2):
        raise Unsupported(f"{ctx.rule.layer} needs an input of rank {rank + 2}, got {ctx.rank()}")


@handler("cropping")
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


@handler("zero_padding")
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


@handler("upsampling")
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
