"""Preprocessing layers with a deterministic TF spelling: Normalization (literal mean and
variance only), Resizing, CenterCrop, CategoryEncoding (``keras/src/layers/preprocessing``)."""

from __future__ import annotations

from typing import Any

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported

_EPSILON = 1e-7  # keras.config.epsilon()


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def nested_shape(v: Any) -> tuple[int, ...] | None:
    """Shape of a (nested) list of numbers; None when ragged or not numeric."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return ()
    if isinstance(v, (list, tuple)) and v:
        inner = [nested_shape(e) for e in v]
        if inner[0] is None or any(s != inner[0] for s in inner):
            return None
        return (len(v),) + inner[0]
    return None


@handler("normalization")
def normalization(ctx: EmitCtx) -> Emitted:
    """(x - mean) / max(sqrt(variance), epsilon), or x * max(sqrt(variance), epsilon) + mean
    with invert=True; mean/variance broadcast over the kept axes as in ``build()``."""
    if not ctx.is_literal("mean") or not ctx.is_literal("variance"):
        raise Unsupported("mean and variance must be literals (adapt() state cannot be translated)")
    mean, variance = ctx.value("mean"), ctx.value("variance")
    if mean is None or variance is None:
        raise Unsupported("statistics from adapt() live in Keras state; give mean= and variance=")
    ms, vs = nested_shape(mean), nested_shape(variance)
    if ms is None or vs is None or ms != vs:
        raise Unsupported("mean and variance must be numbers or equally shaped lists")
    axis_v = ctx.value("axis")
    if axis_v is None:
        axes: tuple[int, ...] = ()
    elif _int(axis_v):
        axes = (axis_v,)
    elif isinstance(axis_v, (list, tuple)) and all(_int(a) for a in axis_v):
        axes = tuple(axis_v)
    else:
        raise Unsupported(f"axis={axis_v!r}")
    if len(ms) > len(axes):
        raise Unsupported("mean has more dimensions than there are axes (Keras rejects it)")
    invert = ctx.value("invert")
    if not isinstance(invert, bool):
        raise Unsupported("invert must be True or False")
    rank = ctx.rank()
    x = ctx.x
    m_src, v_src = ctx.arg("mean"), ctx.arg("variance")
    m, v = f"tf.constant({m_src}, tf.float32)", f"tf.constant({v_src}, tf.float32)"
    if ms and rank is None and len(ms) == 1 and axes == (-1,):
        pass  # 1-D statistics over the last axis broadcast as they are
    elif ms:
        # reshape so the mean's axes line up with the kept axes (broadcasting does the rest)
        if rank is None:
            raise Unsupported("Normalization with per-axis statistics needs a known input rank")
        if any(not -rank <= a < rank for a in axes):
            raise Unsupported(f"axis={axis_v!r} is out of range")
        keep = sorted(a % rank for a in axes)
        expanded = [1] * rank
        for i in range(1, len(ms) + 1):
            expanded[keep[-i]] = ms[-i]
        shape = ctx.shape or ()
        for a in keep:
            if isinstance(shape[a], int) and shape[a] != expanded[a] and expanded[a] != 1:
                raise Unsupported("mean does not match the input on the kept axes (Keras rejects it)")
        if expanded != [1] * (rank - 1) + [ms[-1]] or len(ms) != 1:
            m, v = f"tf.reshape({m}, {expanded!r})", f"tf.reshape({v}, {expanded!r})"
    mean_t, denom = ctx.tmp("mean"), ctx.tmp("std")
    lines = [f"{mean_t} = {m}", f"{denom} = tf.maximum(tf.sqrt({v}), {_EPSILON!r})"]
    xf = f"tf.cast({x}, tf.float32)"
    if invert:
        lines.append(ctx.assign(f"{mean_t} + {xf} * {denom}"))
    else:
        lines.append(ctx.assign(f"({xf} - {mean_t}) / {denom}"))
    return Emitted([], lines, ctx.shape)


_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


def _resize_lines(ctx: EmitCtx, src: str, height: int, width: int, method: str, antialias: bool) -> list[str]:
    """``backend.image.resize`` then Resizing's cast back for integer images."""
    x, dtype, out = ctx.x, ctx.tmp("dtype"), ctx.out
    return [
        f"{dtype} = {x}.dtype",
        ctx.assign(f"tf.image.resize({src}, [{height}, {width}], method={method!r}, antialias={antialias!r})"),
        f"if {out}.dtype != {dtype}:",
        f"    if {dtype}.is_integer:",
        f"        {out} = tf.round({out})",
        f"    {out} = tf.dtypes.saturate_cast({out}, {dtype})",
    ]


def _image_rank(ctx: EmitCtx) -> None:
    if ctx.rank() != 4:
        raise Unsupported(f"{ctx.rule.layer} on an input of rank {ctx.rank()} (batched images are translated)")


def _hw(ctx: EmitCtx) -> tuple[int, int]:
    h, w = ctx.value("height"), ctx.value("width")
    if not (_int(h) and _int(w)) or h <= 0 or w <= 0:
        raise Unsupported("height and width must be positive ints")
    return h, w


@handler("resizing")
def resizing(ctx: EmitCtx) -> Emitted:
    if ctx.rank() not in (None, 3, 4):
        raise Unsupported(f"Resizing on an input of rank {ctx.rank()} (images are rank 3 or 4)")
    height, width = _hw(ctx)
    method = ctx.value("interpolation")
    if method not in _METHODS:
        raise Unsupported(f"interpolation={method!r}")
    if ctx.value("crop_to_aspect_ratio") or ctx.value("pad_to_aspect_ratio"):
        raise Unsupported("crop_to_aspect_ratio / pad_to_aspect_ratio")
    if ctx.value("fill_mode") != "constant":
        raise Unsupported("fill_mode other than 'constant' (Keras rejects it)")
    antialias = bool(ctx.value("antialias"))
    lines = _resize_lines(ctx, ctx.x, height, width, method, antialias)
    shape = ctx.shape
    out = None
    if shape is not None:
        out = shape[:-3] + (height, width, shape[-1] if isinstance(shape[-1], int) else None)
    return Emitted([], lines, out)


@handler("center_crop")
def center_crop(ctx: EmitCtx) -> Emitted:
    """The central window when the image is at least (height, width); otherwise Keras's
    ``smart_resize``: the largest window of the target aspect ratio, resized (bilinear)."""
    _image_rank(ctx)
    height, width = _hw(ctx)
    shape = ctx.shape
    assert shape is not None
    h, w = shape[1], shape[2]
    x = ctx.x
    xf = f"tf.cast({x}, tf.float32)"
    out_shape = (shape[0], height, width, shape[-1] if isinstance(shape[-1], int) else None)
    if not (isinstance(h, int) and isinstance(w, int)):
        raise Unsupported("CenterCrop needs static image sizes")
    if h >= height and w >= width:
        hs, ws = (h - height) // 2, (w - width) // 2
        return Emitted([], [ctx.assign(f"{xf}[:, {hs}:{hs + height}, {ws}:{ws + width}, :]")], out_shape)
    # smart_resize with static sizes
    crop_h = max(min(h, int(float(w * height) / width)), 1)
    crop_w = max(min(w, int(float(h * width) / height)), 1)
    hs, ws = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
    window = f"{xf}[:, {hs}:{hs + crop_h}, {ws}:{ws + crop_w}, :]"
    line = ctx.assign(f"tf.image.resize({window}, [{height}, {width}], method='bilinear', antialias=False)")
    return Emitted([], [line], out_shape)


@handler("category_encoding")
def category_encoding(ctx: EmitCtx) -> Emitted:
    """one_hot: tf.one_hot (a trailing axis of size 1 is dropped first); multi_hot / count on
    inputs of rank <= 2: tf.math.bincount over the last axis (Keras's TF fast path), on
    higher ranks tf.one_hot reduced over axis 1."""
    num = ctx.value("num_tokens")
    if not _int(num) or num < 1:
        raise Unsupported("num_tokens must be a positive int")
    mode = ctx.value("output_mode")
    if mode == "binary":
        mode = "multi_hot"
    if mode not in ("one_hot", "multi_hot", "count"):
        raise Unsupported(f"output_mode={mode!r}")
    if ctx.value("sparse"):
        raise Unsupported("sparse=True")
    shape = ctx.shape
    if shape is None:
        raise Unsupported("CategoryEncoding needs a known input rank")
    rank = len(shape)
    x = ctx.x
    if mode == "one_hot":
        if rank > 1 and shape[-1] == 1:
            src, out = f"tf.squeeze({x}, -1)", tuple(shape[:-1]) + (num,)
        elif rank > 1 and not isinstance(shape[-1], int):
            raise Unsupported("one_hot needs a static last axis (Keras drops it when its size is 1)")
        else:
            src, out = x, tuple(shape) + (num,)
        return Emitted([], [ctx.assign(f"tf.one_hot(tf.cast({src}, tf.int64), {num}, dtype=tf.float32)")],
                       tuple(d if isinstance(d, int) else None for d in out))
    out = tuple(shape[:-1]) + (num,)
    if rank <= 2:
        binary = mode == "multi_hot"
        expr = (f"tf.math.bincount({x}, minlength={num}, maxlength={num}, dtype=tf.float32, axis=-1, "
                f"binary_output={binary!r})")
    else:
        reduce = "tf.reduce_max" if mode == "multi_hot" else "tf.reduce_sum"
        expr = f"{reduce}(tf.one_hot(tf.cast({x}, tf.int64), {num}, dtype=tf.float32), axis=1)"
        out = (shape[0],) + tuple(shape[2:]) + (num,)
    return Emitted([], [ctx.assign(expr)], tuple(d if isinstance(d, int) else None for d in out))
