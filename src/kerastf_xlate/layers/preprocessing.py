"""Preprocessing layers with a deterministic TF spelling: Normalization (literal mean and
variance only), Resizing, CenterCrop, CategoryEncoding (``keras/src/layers/preprocessing``)."""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported
from kerastf_xlate.layerkit.family import EXPRESSION, SEQUENCE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    graph_only,
    ints,
    needs_shape,
    resolved,
    tuple_src,
)
from kerastf_xlate.layerkit.shapes import (
    Shape,
    Unbuildable,
    first_input,
    same_shape,
)
from kerastf_xlate.static import is_int, literal_or
from kerastf_xlate.syntax import const, is_name, kwarg, only_args, same

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


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def match_normalization(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``(tf.cast(x, tf.float32) - mean) / std`` / ``mean + tf.cast(x, tf.float32) * std``."""
    if not isinstance(node, ast.BinOp):
        return None
    if isinstance(node.op, ast.Div) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Sub):
        x, mean_node, std_node, invert = node.left.left, node.left.right, node.right, False
    elif isinstance(node.op, ast.Add) and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Mult):
        x, mean_node, std_node, invert = node.right.left, node.left, node.right.right, True
    else:
        return None
    x = _uncast(x, ctx)  # type: ignore[assignment]
    if x is None:
        return None
    absorbed: list[ast.stmt] = []
    mean = _statistic(resolved(mean_node, ctx, absorbed), ctx)
    std = resolved(std_node, ctx, absorbed)
    if not (isinstance(std, ast.Call) and ctx.names.call(std) == "tf.math.maximum" and len(std.args) == 2 and not std.keywords
            and const(std.args[1]) == _EPSILON and isinstance(std.args[0], ast.Call)
            and ctx.names.call(std.args[0]) in ("tf.sqrt", "tf.math.sqrt") and len(std.args[0].args) == 1 and not std.args[0].keywords):
        return None
    variance = _statistic(std.args[0].args[0], ctx)
    if mean is None or variance is None or mean[1] != variance[1] or nested_shape(const(mean[0])) != nested_shape(const(variance[0])):
        return None
    axis = _axis(nested_shape(const(mean[0])), mean[1])
    if axis is False:
        return None
    spec = LayerSpec("Normalization", {"mean": ctx.st.seg(mean[0]), "variance": ctx.st.seg(variance[0])})
    if axis is not None:
        spec.args["axis"] = axis  # type: ignore[assignment]
    if invert:
        spec.args["invert"] = "True"
    prefix = None  # to-tf's temporaries are <layer>_mean and <layer>_std
    if isinstance(mean_node, ast.Name) and isinstance(std_node, ast.Name) and len(absorbed) == 2 \
            and mean_node.id.endswith("_mean") and std_node.id == mean_node.id[: -len("_mean")] + "_std":
        prefix = mean_node.id[: -len("_mean")]
    # Keras 3 builds a subclassed model's layers in a scratch graph on its first call, where
    # Normalization's statistics (tensors, not variables) are lost: a hand-written module does
    # not become a subclass holding one (to-tf's own method for one is the layer it came from);
    # in to-tf's Sequential / functional code it is one only if that form is written back
    if ctx.self_name is not None and not ctx.graph and prefix is None:
        return None
    m = Match(spec, node, [x], absorbed=absorbed, hints={"prefix": prefix} if prefix else {})
    return graph_only(m) if ctx.graph else m


def _uncast(x: ast.expr, ctx: MatchCtx) -> ast.expr | None:
    """``tf.cast(x, tf.float32)`` -> x (Keras casts to the float32 compute dtype); a bare x only
    runs when it is float32 already (TensorFlow does not promote dtypes)."""
    if isinstance(x, ast.Call) and ctx.names.call(x) == "tf.cast":
        if len(x.args) == 2 and not x.keywords and _float32(x.args[1], ctx):
            return x.args[0]
        return None
    return x


def _float32(node: ast.AST, ctx: MatchCtx) -> bool:
    return ctx.names.qual(node) == "tf.float32" or const(node) == "float32"


def _statistic(node: ast.AST, ctx: MatchCtx) -> tuple[ast.expr, list[int] | None] | None:
    """``tf.constant(LITERAL, tf.float32)`` [reshaped to a literal shape] -> (literal, shape)."""
    shape = None
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.reshape" and len(node.args) == 2 and not node.keywords:
        shape = ints(node.args[1])
        if shape is None or not isinstance(const(node.args[1]), list):
            return None
        node = node.args[0]
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.constant" and only_args(node, ["value", "dtype"])):
        return None
    value, dtype = kwarg(node, "value", 0), kwarg(node, "dtype", 1)
    if value is None or nested_shape(const(value)) is None:
        return None
    if dtype is not None and not _float32(dtype, ctx):
        return None
    if dtype is None and not _all_floats(const(value)):
        return None  # tf.constant(2) is an int32 tensor: not Normalization's float32 statistics
    return value, shape


def _all_floats(v: Any) -> bool:
    if isinstance(v, (list, tuple)):
        return all(_all_floats(e) for e in v)
    return isinstance(v, float)


def _axis(ms: tuple[int, ...] | None, reshape: list[int] | None) -> str | None | bool:
    """``axis=`` from the statistics' shape and the shape they are reshaped to (None: the
    default -1; False: not what Normalization computes). Axes are written negative: the
    reshaped statistics broadcast against the trailing axes of any input rank, as
    Normalization's negative axes do."""
    if ms is None:
        return False
    if reshape is None:
        return None if len(ms) <= 1 else False  # scalars and 1-D statistics: the last axis
    rank = len(reshape)
    keep = [p for p in range(1, rank) if reshape[p] != 1]
    if not keep or len(ms) > len(keep) or reshape[0] != 1:
        return False
    expanded = [1] * rank  # what to-tf writes for these axes (handlers/preprocessing.py)
    for k in range(1, len(ms) + 1):
        expanded[keep[-k]] = ms[-k]
    if expanded != reshape or (expanded == [1] * (rank - 1) + [ms[-1]] and len(ms) == 1):
        return False
    neg = tuple(p - rank for p in keep)
    return repr(neg[0]) if len(neg) == 1 else repr(neg)


_UPSAMPLING = ("bilinear", "bicubic", "lanczos3", "lanczos5", "area")  # UpSampling2D via tf.image.resize


_ENUM = {"BILINEAR": "bilinear", "NEAREST_NEIGHBOR": "nearest", "BICUBIC": "bicubic", "AREA": "area",
         "LANCZOS3": "lanczos3", "LANCZOS5": "lanczos5"}  # tf.image.ResizeMethod


def preprocessing(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """The preprocessing layer one expression applies (see the module docstring)."""
    if isinstance(node, ast.Subscript):
        window = _window(node, ctx) if ctx.graph else None
        return _center_crop(node, window) if window is not None else None
    q = ctx.names.call(node)
    if q == "tf.image.resize":
        return _resize(node, ctx)  # type: ignore[arg-type]
    if q in ("tf.math.bincount", "tf.bincount"):
        return _bincount(node, ctx)  # type: ignore[arg-type]
    if q == "tf.one_hot" and ctx.graph:
        return _one_hot(node, ctx)  # type: ignore[arg-type]
    if q in ("tf.reduce_sum", "tf.math.reduce_sum", "tf.math.reduce_max") and ctx.graph:
        return _one_hot_reduced(node, q, ctx)  # type: ignore[arg-type]
    return None


def _method(node: ast.expr | None, ctx: MatchCtx) -> str | None:
    if node is None:
        return "bilinear"
    v = const(node)
    if isinstance(v, str):
        return v if v in _METHODS else None
    q = ctx.names.qual(node)
    if q is not None and q.startswith("tf.image.ResizeMethod."):
        return _ENUM.get(q.rsplit(".", 1)[1])
    return None


def _resize_call(node: ast.AST | None, ctx: MatchCtx) -> tuple[ast.expr, list[ast.expr], str, bool] | None:
    """``tf.image.resize(images, [h, w], method=..., antialias=...)`` -> its parts."""
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.image.resize"
            and only_args(node, ["images", "size", "method", "preserve_aspect_ratio", "antialias", "name"])):
        return None
    images, size = kwarg(node, "images", 0), kwarg(node, "size", 1)
    method = _method(kwarg(node, "method", 2), ctx)
    keep = kwarg(node, "preserve_aspect_ratio", 3)
    aa = kwarg(node, "antialias", 4)
    antialias = False if aa is None else const(aa)
    if images is None or not isinstance(size, (ast.List, ast.Tuple)) or len(size.elts) != 2 or method is None:
        return None
    if (keep is not None and const(keep) is not False) or not isinstance(antialias, bool):
        return None
    return images, list(size.elts), method, antialias


def _size(node: ast.expr, ctx: MatchCtx) -> str | None:
    """A static size: a positive int, or (outside to-tf's code) a constant's name."""
    v = const(node)
    if is_int(v) and v > 0:
        return repr(v)
    if not ctx.graph and isinstance(node, (ast.Name, ast.Attribute)) and not ctx.tensor(node):
        return ctx.st.seg(node)
    return None


def _scaled(sizes: list[ast.expr], x: ast.expr, ctx: MatchCtx) -> tuple[int, int] | None:
    """``[tf.shape(x)[1] * sh, tf.shape(x)[2] * sw]`` -> (sh, sw)."""
    out = []
    for axis, e in enumerate(sizes, start=1):
        if not (isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult) and isinstance(e.left, ast.Subscript)
                and const(e.left.slice) == axis and isinstance(e.left.value, ast.Call)
                and ctx.names.call(e.left.value) == "tf.shape" and len(e.left.value.args) == 1
                and not e.left.value.keywords and same(e.left.value.args[0], x)):
            return None
        s = const(e.right)
        if not (is_int(s) and s > 0):
            return None
        out.append(s)
    return out[0], out[1]


def _resizing(x: ast.expr, h: str, w: str, method: str, antialias: bool, node: ast.AST) -> Match:
    spec = LayerSpec("Resizing", {"height": h, "width": w, "interpolation": repr(method), "antialias": repr(antialias)})
    return Match(spec, node, [x])


def _resize(node: ast.Call, ctx: MatchCtx) -> Match | None:
    got = _resize_call(node, ctx)
    if got is None:
        return None
    x, sizes, method, antialias = got
    if ctx.graph and isinstance(x, ast.Subscript):
        window = _window(x, ctx)
        return _smart_crop(node, window, sizes, method, antialias) if window is not None else None
    scale = _scaled(sizes, x, ctx)
    if scale is not None:
        if method not in _UPSAMPLING or antialias:
            return None
        return Match(LayerSpec("UpSampling2D", {"size": tuple_src(scale), "interpolation": repr(method)}), node, [x])
    h, w = _size(sizes[0], ctx), _size(sizes[1], ctx)
    if h is None or w is None:
        return None
    if not ctx.graph:
        return _resizing(x, h, w, method, antialias, node)
    # to-tf writes Resizing with its dtype block (matched whole): a bare resize in its code is
    # UpSampling2D with the input's size folded into the target size
    if method not in _UPSAMPLING or antialias:
        return None
    target = (int(h), int(w))
    m = Match(LayerSpec("UpSampling2D", {"interpolation": repr(method)}), node, [x])
    return needs_shape(m, lambda shape: _upsampling_size(shape, target))


def _upsampling_size(shape: Shape, target: tuple[int, int]) -> dict[str, str] | None:
    if len(shape) != 4 or not all(is_int(d) and d > 0 for d in shape[1:3]):
        return None
    h, w = shape[1], shape[2]
    if target[0] % h or target[1] % w:
        return None
    return {"size": tuple_src((target[0] // h, target[1] // w))}


def resizing_block(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """to-tf's Resizing: ``d = x.dtype``, ``y = tf.image.resize(x, ...)``, then ``if
    y.dtype != d:`` round (integer images) and saturate-cast back; matched at the ``if``."""
    stmt = stmts[i]
    if not (i >= 2 and isinstance(stmt, ast.If) and not stmt.orelse and isinstance(stmt.test, ast.Compare)
            and id(stmt) not in ctx.deny):
        return None
    left, right = stmt.test.left, stmt.test.comparators[0]
    tf = ctx.names.tf_alias
    if not (tf and isinstance(left, ast.Attribute) and left.attr == "dtype" and isinstance(left.value, ast.Name)
            and isinstance(right, ast.Name)):
        return None
    out, dt = left.value.id, right.id
    want = (f"if {out}.dtype != {dt}:\n    if {dt}.is_integer:\n        {out} = {tf}.round({out})\n"
            f"    {out} = {tf}.dtypes.saturate_cast({out}, {dt})\n")
    if out == dt or not same(ast.parse(want).body[0], stmt):
        return None
    first, resize = stmts[i - 2], stmts[i - 1]
    if not (isinstance(first, ast.Assign) and len(first.targets) == 1 and is_name(first.targets[0], dt)
            and isinstance(resize, ast.Assign) and len(resize.targets) == 1 and is_name(resize.targets[0], out)):
        return None
    got = _resize_call(resize.value, ctx)
    if got is None:
        return None
    x, sizes, method, antialias = got
    src = first.value
    # d is the input's dtype, read before the resize (which may rebind the input's name)
    if not (isinstance(x, ast.Name) and x.id != dt and isinstance(src, ast.Attribute) and src.attr == "dtype"
            and is_name(src.value, x.id) and ctx.tensor(x)):
        return None
    h, w = _size(sizes[0], ctx), _size(sizes[1], ctx)
    if h is None or w is None:
        return None
    m = _resizing(x, h, w, method, antialias, stmt)
    m.absorbed = [first, resize]
    if dt.endswith("_dtype"):
        m.hints["prefix"] = dt[: -len("_dtype")]  # to-tf's temporary: the layer's name
    return out, m


def _window(node: ast.Subscript, ctx: MatchCtx) -> tuple[ast.expr, tuple[int, int], tuple[int, int]] | None:
    """``tf.cast(x, tf.float32)[:, a:b, c:d, :]`` -> (x, (a, b), (c, d))."""
    cast, sl = node.value, node.slice
    if not (isinstance(cast, ast.Call) and ctx.names.call(cast) == "tf.cast" and len(cast.args) == 2 and not cast.keywords
            and ctx.names.qual(cast.args[1]) == "tf.float32" and isinstance(sl, ast.Tuple) and len(sl.elts) == 4):
        return None
    full = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None for e in (sl.elts[0], sl.elts[3])]
    spans = []
    for e in sl.elts[1:3]:
        if not (isinstance(e, ast.Slice) and e.step is None and e.lower is not None and e.upper is not None):
            return None
        a, b = const(e.lower), const(e.upper)
        if not (is_int(a) and is_int(b) and 0 <= a < b):
            return None
        spans.append((a, b))
    if not all(full):
        return None
    return cast.args[0], spans[0], spans[1]


def _center_crop(node: ast.Subscript, window: tuple[ast.expr, tuple[int, int], tuple[int, int]]) -> Match:
    x, (a, b), (c, d) = window
    h, w = b - a, d - c

    def centred(shape: Shape) -> dict[str, str] | None:  # Keras: the window at (H - h) // 2
        if len(shape) != 4 or not all(is_int(v) for v in shape[1:3]):
            return None
        ok = shape[1] >= h and shape[2] >= w and (shape[1] - h) // 2 == a and (shape[2] - w) // 2 == c
        return {} if ok else None

    return needs_shape(Match(LayerSpec("CenterCrop", {"height": repr(h), "width": repr(w)}), node, [x]), centred)


def _smart_crop(node: ast.Call, window: tuple[ast.expr, tuple[int, int], tuple[int, int]], sizes: list[ast.expr],
                method: str, antialias: bool) -> Match | None:
    """``tf.image.resize(<window>, [h, w], method='bilinear', antialias=False)``: CenterCrop of
    an image smaller than (h, w), Keras's ``smart_resize`` with the window it computes."""
    h, w = const(sizes[0]), const(sizes[1])
    if method != "bilinear" or antialias or not (is_int(h) and is_int(w) and h > 0 and w > 0):
        return None
    x, rows, cols = window

    def fits(shape: Shape) -> dict[str, str] | None:
        if len(shape) != 4 or not all(is_int(v) and v > 0 for v in shape[1:3]):
            return None
        ih, iw = shape[1], shape[2]
        if ih >= h and iw >= w:
            return None  # Keras crops without resizing then
        crop_h = max(min(ih, int(float(iw * h) / w)), 1)
        crop_w = max(min(iw, int(float(ih * w) / h)), 1)
        top, left = int(float(ih - crop_h) / 2), int(float(iw - crop_w) / 2)
        return {} if (rows, cols) == ((top, top + crop_h), (left, left + crop_w)) else None

    return needs_shape(Match(LayerSpec("CenterCrop", {"height": repr(h), "width": repr(w)}), node, [x]), fits)


def _category(n: int, mode: str, node: ast.AST, x: ast.expr) -> Match:
    return Match(LayerSpec("CategoryEncoding", {"num_tokens": repr(n), "output_mode": repr(mode)}), node, [x])


def _bincount(node: ast.Call, ctx: MatchCtx) -> Match | None:
    """``tf.math.bincount(x, minlength=n, maxlength=n, dtype=tf.float32, axis=-1, binary_output=b)``."""
    if not only_args(node, ["arr", "weights", "minlength", "maxlength", "dtype", "name", "axis", "binary_output"]):
        return None
    x, weights = kwarg(node, "arr", 0), kwarg(node, "weights", 1)
    lo, hi = const(kwarg(node, "minlength", 2)), const(kwarg(node, "maxlength", 3))
    dtype, axis = kwarg(node, "dtype", 4), const(kwarg(node, "axis", 6))
    b = kwarg(node, "binary_output", 7)
    binary = False if b is None else const(b)
    if x is None or (weights is not None and const(weights) is not None) or not (is_int(lo) and lo > 0 and lo == hi):
        return None
    if dtype is None or ctx.names.qual(dtype) != "tf.float32" or axis != -1 or not isinstance(binary, bool):
        return None
    return _category(lo, "multi_hot" if binary else "count", node, x)


def _one_hot_parts(node: ast.AST, ctx: MatchCtx) -> tuple[ast.expr, int] | None:
    """``tf.one_hot(tf.cast(ids, tf.int64), n, dtype=tf.float32)`` -> (ids, n)."""
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.one_hot"
            and only_args(node, ["indices", "depth", "on_value", "off_value", "axis", "dtype", "name"])):
        return None
    ids, n, dtype = kwarg(node, "indices", 0), const(kwarg(node, "depth", 1)), kwarg(node, "dtype", 5)
    if any(kwarg(node, k, p) is not None for k, p in (("on_value", 2), ("off_value", 3), ("axis", 4))):
        return None
    if not (is_int(n) and n > 0 and dtype is not None and ctx.names.qual(dtype) == "tf.float32"):
        return None
    if not (isinstance(ids, ast.Call) and ctx.names.call(ids) == "tf.cast" and len(ids.args) == 2 and not ids.keywords
            and ctx.names.qual(ids.args[1]) == "tf.int64"):
        return None
    return ids.args[0], n


def _squeezed(node: ast.expr, ctx: MatchCtx) -> ast.expr | None:
    """``tf.squeeze(x, -1)`` -> x."""
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.squeeze" and only_args(node, ["input", "axis", "name"]):
        axis = kwarg(node, "axis", 1)
        if axis is not None and const(axis) in (-1, [-1]):
            return kwarg(node, "input", 0)
    return None


def _one_hot(node: ast.Call, ctx: MatchCtx) -> Match | None:
    got = _one_hot_parts(node, ctx)
    if got is None:
        return None
    ids, n = got
    x = _squeezed(ids, ctx)
    if x is not None:  # to-tf drops a last axis it knows is 1, as Keras does
        return _category(n, "one_hot", node, x)

    def kept(shape: Shape) -> dict[str, str] | None:  # Keras drops a last axis of size 1
        return {} if len(shape) == 1 or (len(shape) > 1 and is_int(shape[-1]) and shape[-1] != 1) else None

    return needs_shape(_category(n, "one_hot", node, ids), kept)


def _one_hot_reduced(node: ast.Call, q: str, ctx: MatchCtx) -> Match | None:
    """``tf.reduce_sum(<one-hot>, axis=1)`` (count) / ``tf.reduce_max`` (multi_hot), inputs of
    rank > 2 (Keras counts with bincount on lower ranks, which differs on rank 1)."""
    if not only_args(node, ["input_tensor", "axis", "keepdims", "name"]) or const(kwarg(node, "axis", 1)) != 1:
        return None
    keep = kwarg(node, "keepdims", 2)
    got = _one_hot_parts(kwarg(node, "input_tensor", 0), ctx)  # type: ignore[arg-type]
    if got is None or (keep is not None and const(keep) is not False) or _squeezed(got[0], ctx) is not None:
        return None
    ids, n = got
    mode = "multi_hot" if q == "tf.math.reduce_max" else "count"

    def high_rank(shape: Shape) -> dict[str, Any] | None:
        return {} if len(shape) > 2 else None

    return needs_shape(_category(n, mode, node, ids), high_rank)



# ------------------------------------------------------------------------------ the family


def _image_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """Resizing and CenterCrop: (batch, height, width, channels)."""
    x = first_input(ins)
    if x is None:
        return None
    h, w = literal_or(args.get("height")), literal_or(args.get("width"))
    if len(x) == 3:
        return None  # Keras takes it for one image without a batch axis
    if len(x) != 4:
        raise Unbuildable(cls)
    return (x[0], h if isinstance(h, int) else None, w if isinstance(w, int) else None, x[3])


def _category_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    if x is None:
        return None
    rank = len(x)
    n, mode = literal_or(args.get("num_tokens")), literal_or(args.get("output_mode"), "multi_hot")
    n = n if isinstance(n, int) else None
    if mode == "one_hot":
        return (x[:-1] if rank > 1 and x[-1] == 1 else x) + (n,)
    return x[:-1] + (n,) if rank <= 2 else None  # rank > 2: Keras's declared shape is not what it computes


NORMALIZATION = LayerFamily("normalization", emit=normalization, recognisers=(Recogniser(EXPRESSION, 200, match_normalization),),
                            output_shape=same_shape)
RESIZING = LayerFamily("resizing", emit=resizing,
                       recognisers=(Recogniser(EXPRESSION, 300, preprocessing), Recogniser(SEQUENCE, 50, resizing_block)),
                       output_shape=_image_shape)
CENTER_CROP = LayerFamily("center_crop", emit=center_crop, output_shape=_image_shape)
CATEGORY_ENCODING = LayerFamily("category_encoding", emit=category_encoding, output_shape=_category_shape)
