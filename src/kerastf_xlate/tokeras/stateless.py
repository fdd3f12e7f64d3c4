"""Stateless layers: activations, pooling, global pooling, reshapes, padding, cropping,
merges, upsampling, permutations, repeats, normalization by norm, dropout under a training
flag; and, in xlate to-tf's own code only, plain arithmetic layers (Rescaling, Lambda)."""

from __future__ import annotations

import ast

from kerastf_xlate.tokeras.activations import match_activation
from kerastf_xlate.layerkit.recognise import MatchCtx, data_format_ok, ints, padding_of, spatial, tuple_src
from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.syntax import UNKNOWN, const, is_int, kwarg, only_args, same


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
    size, strides, padding = spatial(ks, rank), spatial(st_, rank), padding_of(pad, "")
    if size is None or strides is None or padding is None:
        return None
    args = {"pool_size": tuple_src(size)}
    if strides != size:
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
    args = {"keepdims": "True"} if keep else {}
    return Match(LayerSpec(f"Global{kind}Pooling{len(axis)}D", args), node, [x])


def _batch_of(node: ast.AST, x: ast.AST, ctx: MatchCtx) -> bool:
    """``tf.shape(x)[0]`` for the same ``x``."""
    return (isinstance(node, ast.Subscript) and const(node.slice) == 0 and isinstance(node.value, ast.Call)
            and ctx.names.call(node.value) == "tf.shape" and len(node.value.args) == 1 and same(node.value.args[0], x))


def _reshape(node: ast.Call, ctx: MatchCtx) -> Match | None:
    if not only_args(node, ["tensor", "shape", "name"]):
        return None
    x, shape = kwarg(node, "tensor", 0), kwarg(node, "shape", 1)
    if x is None or not isinstance(shape, (ast.List, ast.Tuple)) or len(shape.elts) < 2:
        return None
    first, rest = shape.elts[0], shape.elts[1:]
    if not (const(first) == -1 or _batch_of(first, x, ctx)):
        return None
    if any(isinstance(e, ast.Starred) or ctx.tensor(e) for e in rest):
        return None
    values = [const(e) for e in rest]
    if sum(1 for v in values if v == -1) > (0 if const(first) == -1 else 1):
        return None
    if len(rest) == 1 and values[0] == -1:
        return Match(LayerSpec("Flatten"), node, [x])
    target = ", ".join(ctx.st.seg(e) for e in rest)
    return Match(LayerSpec("Reshape", {"target_shape": f"({target},)" if len(rest) == 1 else f"({target})"}), node, [x])


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


_MERGE2 = {"tf.math.add": "Add", "tf.math.subtract": "Subtract", "tf.math.multiply": "Multiply",
           "tf.math.maximum": "Maximum", "tf.math.minimum": "Minimum"}
_STACKED = {"tf.math.reduce_prod": "Multiply", "tf.math.reduce_max": "Maximum", "tf.math.reduce_min": "Minimum"}


def _merge(node: ast.AST, q: str | None, ctx: MatchCtx) -> Match | None:
    if isinstance(node, ast.Call) and q == "tf.concat" and only_args(node, ["values", "axis", "name"]):
        vals, axis = kwarg(node, "values", 0), kwarg(node, "axis", 1)
        if axis is None or not is_int(const(axis)):
            return None
        args = {} if const(axis) == -1 else {"axis": repr(const(axis))}
        if isinstance(vals, (ast.List, ast.Tuple)) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
            return Match(LayerSpec("Concatenate", args), node, list(vals.elts), list_input=True)
        if isinstance(vals, ast.Name) and vals.id in ctx.tensors:
            return Match(LayerSpec("Concatenate", args), node, [vals])
        return None
    if isinstance(node, ast.Call) and q == "tf.math.add_n" and len(node.args) == 1 and not node.keywords:
        vals = node.args[0]
        if isinstance(vals, (ast.List, ast.Tuple)) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
            return Match(LayerSpec("Add"), node, list(vals.elts), list_input=True)
        if isinstance(vals, ast.Name) and vals.id in ctx.tensors:
            return Match(LayerSpec("Add"), node, [vals])
        return None
    if isinstance(node, ast.Call) and q in _MERGE2 and len(node.args) == 2 and not node.keywords:
        xs = _chain(node, q, ctx)
        if all(ctx.tensor(x) and ctx.var(x) is None for x in xs):
            return Match(LayerSpec(_MERGE2[q]), node, xs, list_input=True)
        return None
    if isinstance(node, ast.Call) and q in _STACKED and only_args(node, ["input_tensor", "axis"]):
        inner, axis = kwarg(node, "input_tensor", 0), const(kwarg(node, "axis", 1))
        if axis == 0 and isinstance(inner, ast.Call) and ctx.names.call(inner) == "tf.stack" and len(inner.args) == 1 and not inner.keywords:
            vals = inner.args[0]
            if isinstance(vals, (ast.List, ast.Tuple)) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
                return Match(LayerSpec(_STACKED[q]), node, list(vals.elts), list_input=True)
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.Call) \
            and ctx.names.call(node.left) == "tf.math.add_n" and len(node.left.args) == 1:
        vals = node.left.args[0]
        n = const(node.right)
        if isinstance(vals, (ast.List, ast.Tuple)) and n == len(vals.elts) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
            return Match(LayerSpec("Average"), node, list(vals.elts), list_input=True)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.Call) \
            and ctx.names.call(node.left) == "tf.math.add" and len(node.left.args) == 2 and not node.left.keywords:
        xs = _chain(node.left, "tf.math.add", ctx)  # tf.add(tf.add(a, b), c) / 3, as to-tf writes Average
        if const(node.right) == len(xs) and all(ctx.tensor(x) and ctx.var(x) is None for x in xs):
            return Match(LayerSpec("Average"), node, xs, list_input=True)
    return None


def _chain(node: ast.Call, q: str, ctx: MatchCtx) -> list[ast.expr]:
    """The operands of ``op(op(a, b), c)``, left-nested as Keras's merge layers combine their
    inputs (Subtract takes two: not unnested)."""
    xs = [node.args[1]]
    cur: ast.expr = node.args[0]
    while q != "tf.math.subtract" and isinstance(cur, ast.Call) and ctx.names.call(cur) == q and len(cur.args) == 2 \
            and not cur.keywords:
        xs.append(cur.args[1])
        cur = cur.args[0]
    xs.append(cur)
    return xs[::-1]


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


def _transpose(node: ast.Call, ctx: MatchCtx) -> Match | None:
    if not only_args(node, ["a", "perm", "conjugate", "name"]) or kwarg(node, "conjugate", 2) is not None:
        return None
    x, perm = kwarg(node, "a", 0), kwarg(node, "perm", 1)
    if isinstance(perm, ast.List) and len(perm.elts) == 2 and const(perm.elts[0]) == 0 and isinstance(perm.elts[1], ast.Starred):
        dims = const(perm.elts[1].value)  # to-tf writes [0, *(2, 1)]
    else:
        p = ints(perm)
        dims = tuple(p[1:]) if p and p[0] == 0 and len(p) >= 2 else None
    if x is None or not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(dims) + 1)):
        return None
    return Match(LayerSpec("Permute", {"dims": repr(tuple(dims))}), node, [x])


def _tile(node: ast.Call, ctx: MatchCtx) -> Match | None:
    """``tf.tile(tf.expand_dims(x, 1), [1, n, 1])`` (RepeatVector)."""
    if len(node.args) != 2 or node.keywords:
        return None
    inner, reps = node.args
    if not (isinstance(inner, ast.Call) and ctx.names.call(inner) == "tf.expand_dims" and len(inner.args) == 2 and const(inner.args[1]) == 1):
        return None
    if not (isinstance(reps, ast.List) and len(reps.elts) == 3 and const(reps.elts[0]) == 1 and const(reps.elts[2]) == 1):
        return None
    return Match(LayerSpec("RepeatVector", {"n": ctx.st.seg(reps.elts[1])}), node, [inner.args[0]])


def _dropout_ifexp(node: ast.IfExp, ctx: MatchCtx) -> Match | None:
    """``tf.nn.dropout(x, rate) if training else x``."""
    if ctx.training is None or not (isinstance(node.test, ast.Name) and node.test.id == ctx.training):
        return None
    got = dropout_call(node.body, ctx)
    if got is None or not same(got.inputs[0], node.orelse):
        return None
    got.node = node
    return got


def dropout_call(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.nn.dropout(x, rate=r, noise_shape=..., seed=...)`` -> Dropout / SpatialDropout*D."""
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.nn.dropout"):
        return None
    if not only_args(node, ["x", "rate", "noise_shape", "seed", "name"]):
        return None
    x, rate = kwarg(node, "x", 0), kwarg(node, "rate", 1)
    if x is None or rate is None:
        return None
    args = {"rate": ctx.st.seg(rate)}
    cls = "Dropout"
    ns = kwarg(node, "noise_shape", 2)
    if ns is not None:
        if not isinstance(ns, (ast.List, ast.Tuple)):
            return None
        dims = []
        for i, e in enumerate(ns.elts):
            is_dyn = (isinstance(e, ast.Subscript) and isinstance(e.value, ast.Call) and ctx.names.call(e.value) == "tf.shape"
                      and len(e.value.args) == 1 and same(e.value.args[0], x))
            v = const(e)
            if is_dyn:
                dims.append(None)
            elif is_int(v):
                dims.append(v)
            else:
                return None
        if len(dims) in (3, 4, 5) and dims[0] is None and dims[-1] is None and all(d == 1 for d in dims[1:-1]):
            cls = f"SpatialDropout{len(dims) - 2}D"
        else:
            args["noise_shape"] = repr(tuple(dims))
    seed = kwarg(node, "seed", 3)
    if seed is not None:
        args["seed"] = ctx.st.seg(seed)
    return Match(LayerSpec(cls, args), node, [x], training=True)


def _rescaling(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``x * scale + offset`` as to-tf writes Rescaling (graph code only)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    left = node.left
    base = left
    while isinstance(base, ast.BinOp) and isinstance(base.op, (ast.Mult, ast.Div)):
        base = base.left
    if not (isinstance(left, ast.BinOp) and isinstance(left.op, (ast.Mult, ast.Div)) and isinstance(base, ast.Name)):
        return None
    if not ctx.tensor(base) or ctx.tensor(node.right) or any(ctx.tensor(n) for n in _right_chain(left)):
        return None
    full = ctx.st.seg(left)
    scale = full[len(base.id):].lstrip()
    if not scale.startswith("*"):
        return None
    return Match(LayerSpec("Rescaling", {"scale": scale[1:].strip(), "offset": ctx.st.seg(node.right)}), node, [base])


def _right_chain(node: ast.AST) -> list[ast.AST]:
    out = []
    while isinstance(node, ast.BinOp):
        out.append(node.right)
        node = node.left
    return out


def stateless(node: ast.AST, ctx: MatchCtx) -> Match | None:
    q = ctx.names.call(node)
    if isinstance(node, ast.Call) and q is not None:
        if q in _POOL:
            return _pool(node, q, ctx)
        if q in ("tf.math.reduce_mean", "tf.math.reduce_max"):
            return _global_pool(node, q, ctx) or _merge(node, q, ctx)
        if q == "tf.reshape":
            return _reshape(node, ctx)
        if q == "tf.pad":
            return _pad(node, ctx)
        if q == "tf.repeat":
            return _repeat(node, ctx)
        if q == "tf.transpose":
            return _transpose(node, ctx)
        if q == "tf.tile":
            return _tile(node, ctx)
        if q == "tf.math.l2_normalize" and only_args(node, ["x", "axis", "epsilon", "name"]) and kwarg(node, "epsilon", 2) is None:
            axis = kwarg(node, "axis", 1)
            v = const(axis) if axis is not None else None
            if axis is not None and v is UNKNOWN:
                return None
            args = {} if v in (None, -1) else {"axis": repr(v)}
            return Match(LayerSpec("UnitNormalization", args), node, [kwarg(node, "x", 0)])  # type: ignore[list-item]
    merged = _merge(node, q, ctx)
    if merged is not None:
        return merged
    act = match_activation(node, ctx.names, ctx.st)
    if act is not None:
        return Match(LayerSpec(act.layer, dict(act.args)), node, [act.x])
    if isinstance(node, ast.IfExp):
        return _dropout_ifexp(node, ctx)
    if isinstance(node, ast.Subscript):
        return _crop(node, ctx)
    if ctx.graph:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Lambda) and len(node.args) == 1 and not node.keywords:
            return Match(LayerSpec("Lambda", {"function": ctx.st.seg(node.func)}), node, [node.args[0]])
        return _rescaling(node, ctx)
    return None
