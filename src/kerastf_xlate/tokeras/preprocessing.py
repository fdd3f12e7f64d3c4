"""Preprocessing layers: Resizing, CenterCrop, CategoryEncoding, and UpSampling2D with an
interpolation other than nearest (``tf.image.resize``).

Exact everywhere (hand-written code too):

- to-tf's Resizing, ``d = x.dtype``, ``x = tf.image.resize(x, [h, w], method=m,
  antialias=a)``, ``if x.dtype != d:`` round and ``saturate_cast`` back (a sequence idiom,
  :mod:`.sequences`, matched at the ``if``);
- ``tf.image.resize(x, [tf.shape(x)[1] * sh, tf.shape(x)[2] * sw], method=m)``:
  UpSampling2D((sh, sw), interpolation=m) (what Keras computes, antialias off);
- ``tf.math.bincount(x, minlength=n, maxlength=n, dtype=tf.float32, axis=-1,
  binary_output=b)``: CategoryEncoding multi_hot / count, Keras's own call for inputs of rank
  <= 2 (TensorFlow rejects higher ranks);
- outside to-tf's code, ``tf.image.resize(x, [h, w], method=..., antialias=...)`` (int or
  constant sizes): Resizing. Keras's Resizing casts integer images back to their dtype, a
  bare ``tf.image.resize`` returns float32: they agree on float images, as every layer
  to-keras writes assumes float32 tensors.

Only in to-tf's code (``ctx.graph``), where the input's static shape is known
(:mod:`.shape_args` checks it, or the code stays as it is):

- CenterCrop: ``tf.cast(x, tf.float32)[:, a:a + h, b:b + w, :]`` when the window is centred
  in the input, and ``tf.image.resize`` of such a window (Keras's ``smart_resize`` when the
  image is smaller than the target);
- a bare ``tf.image.resize(x, [H, W], method=m, antialias=False)``: UpSampling2D whose size
  is H / height, W / width (Resizing's code has its dtype block);
- CategoryEncoding one_hot: ``tf.one_hot(tf.cast(tf.squeeze(x, -1), tf.int64), n,
  dtype=tf.float32)`` (a last axis of 1 dropped, as Keras does), or without the squeeze when
  the last axis is not 1; multi_hot / count on rank > 2: ``tf.reduce_max`` / ``tf.reduce_sum``
  of that one-hot over axis 1.

``tf.one_hot(ids, n)`` alone is not CategoryEncoding: Keras drops a last axis of size 1
first, and nothing in the code says whether there is one.
"""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.recognise import MatchCtx, tuple_src
from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.tokeras.sequences import sequence_idiom
from kerastf_xlate.tokeras.shape_args import needs_shape
from kerastf_xlate.tokeras.shapes import Shape
from kerastf_xlate.syntax import const, is_int, is_name, kwarg, only_args, same

_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")  # Keras's resize interpolations
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


# ------------------------------------------------------------------------------ tf.image.resize


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


@sequence_idiom
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


# ------------------------------------------------------------------------------ CenterCrop


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


# ------------------------------------------------------------------------------ CategoryEncoding


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
    got = _one_hot_parts(kwarg(node, "input_tensor", 0), ctx)
    if got is None or (keep is not None and const(keep) is not False) or _squeezed(got[0], ctx) is not None:
        return None
    ids, n = got
    mode = "multi_hot" if q == "tf.math.reduce_max" else "count"

    def high_rank(shape: Shape) -> dict[str, Any] | None:
        return {} if len(shape) > 2 else None

    return needs_shape(_category(n, mode, node, ids), high_rank)
