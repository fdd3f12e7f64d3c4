"""GroupNormalization and Normalization, as ``xlate to-tf`` writes them (the same code written
by hand, under other names, is recognised too, with the exception below).

GroupNormalization is five statements, a sequence idiom (:mod:`.sequences`: its temporaries
must not be read after it) matched at the last one::

    S = tf.shape(x)
    G = tf.reshape(x, [-1, 6, 6, groups, channels // groups])    # static sizes or S[k]
    m, v = tf.nn.moments(G, axes=[1, 2, 4], keepdims=True)       # every axis but the groups'
    y = tf.nn.batch_normalization(G, m, v, offset=tf.reshape(beta, [1, 1, 1, groups, c // groups]),
                                  scale=tf.reshape(gamma, [...]), variance_epsilon=eps)
    out = tf.reshape(y, S)

and, when to-tf did not know the input's rank (a subclass), its eight-statement form for
``axis=-1`` (``len(x.shape)``, a ``tf.concat`` target, a check that raises), compared
statement by statement with what to-tf writes for the names and values found.

Normalization with given statistics is one expression (its two temporaries are single-use
statements the match absorbs): ``(tf.cast(x, tf.float32) - mean) / std``, or
``mean + tf.cast(x, tf.float32) * std`` for ``invert=True``, where ``mean =
tf.constant(M, tf.float32)`` and ``std = tf.maximum(tf.sqrt(tf.constant(V, tf.float32)),
1e-07)`` (Keras's epsilon), each possibly ``tf.reshape``d to put the statistics on the kept
axes, from which ``axis=`` is read back (negative: the reshaped statistics broadcast against
the last axes whatever the input's rank). Keras 3 loses the statistics of a Normalization
built inside a subclassed model's first call, so in a module or a layer's ``call`` only
to-tf's own method for one (temporaries ``<layer>_mean`` and ``<layer>_std``) becomes the
layer again; written by hand, it becomes one in functional Keras code.
"""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.recognise import MatchCtx, init_arg, ints, resolved
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, Var
from kerastf_xlate.tokeras.sequences import sequence_idiom
from kerastf_xlate.tokeras.shape_args import graph_only
from kerastf_xlate.syntax import assigned, const, is_int, is_name, kwarg, only_args, same, tuple_assign
from kerastf_xlate.layers.normalization_extra import group_norm_any_rank_lines
from kerastf_xlate.layers.preprocessing import nested_shape

_EPSILON = 1e-07  # keras.config.epsilon(), Normalization's floor on the standard deviation


def _call_of(node: ast.AST | None, ctx: MatchCtx, q: str, n_args: int) -> ast.Call | None:
    """``q(a1, ..., an)`` with positional arguments only."""
    if isinstance(node, ast.Call) and ctx.names.call(node) == q and len(node.args) == n_args and not node.keywords \
            and not any(isinstance(a, ast.Starred) for a in node.args):
        return node
    return None


# ------------------------------------------------------------------------------ GroupNormalization


@sequence_idiom
def group_norm(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """``out = tf.reshape(y, S)`` closing the statements above it (see the module docstring)."""
    last = assigned(stmts[i])
    close = _call_of(last[1], ctx, "tf.reshape", 2) if last is not None else None
    if close is None or not all(isinstance(a, ast.Name) for a in close.args) or id(stmts[i]) in ctx.deny:
        return None
    found = _static_form(ctx, stmts, i, close) or _any_rank(ctx, stmts, i)
    if found is None or not ctx.tensor(found["x"]):
        return None
    bn = found["bn"]
    eps = const(kwarg(bn, "variance_epsilon", 5))
    gamma = _param(kwarg(bn, "scale", 4), found["bshape"], ctx)
    beta = _param(kwarg(bn, "offset", 3), found["bshape"], ctx)
    if not isinstance(eps, (int, float)) or isinstance(eps, bool):
        return None
    for var in (gamma, beta):
        if var is False or (isinstance(var, Var) and not _channels_fit(var, found["channels"])):
            return None
    spec = LayerSpec("GroupNormalization", {"groups": repr(found["groups"])})
    if found["axis"] != -1:
        spec.args["axis"] = repr(found["axis"])
    if eps != 0.001:
        spec.args["epsilon"] = repr(float(eps))
    if gamma is None:
        spec.args["scale"] = "False"
    else:
        spec.weights["gamma"] = gamma  # type: ignore[assignment]
        init_arg(spec, "gamma_initializer", gamma, ctx)  # type: ignore[arg-type]
    if beta is None:
        spec.args["center"] = "False"
    else:
        spec.weights["beta"] = beta  # type: ignore[assignment]
        init_arg(spec, "beta_initializer", beta, ctx)  # type: ignore[arg-type]
    hints: dict[str, Any] = {"rank": found["rank"], "dims": found.get("dims", {})}
    if found["s"].endswith("_shape"):
        hints["prefix"] = found["s"][: -len("_shape")]  # to-tf's temporaries: the layer's name (it may have no weights)
    return last[0], Match(spec, stmts[i], [found["x"]], absorbed=found["absorbed"], hints=hints)


def _static_form(ctx: MatchCtx, stmts: list[ast.stmt], i: int, close: ast.Call) -> dict[str, Any] | None:
    """The five statements of a known input rank ending at ``stmts[i]`` (``out =
    tf.reshape(y, S)``, ``close``) -> what they compute."""
    if i < 4:
        return None
    y, s = (a.id for a in close.args)  # type: ignore[attr-defined]
    heads = [assigned(st) for st in stmts[i - 4 : i]]
    pair = tuple_assign(stmts[i - 2])
    if heads[0] is None or heads[1] is None or heads[3] is None or pair is None:
        return None
    (s_name, shape_call), (g, grouped), (y_name, bn) = heads[0], heads[1], heads[3]
    m, v = pair
    moments = stmts[i - 2].value  # type: ignore[attr-defined]
    shape_call, grouped = _call_of(shape_call, ctx, "tf.shape", 1), _call_of(grouped, ctx, "tf.reshape", 2)
    if shape_call is None or grouped is None or not isinstance(shape_call.args[0], ast.Name) or (s_name, y_name) != (s, y):
        return None
    x = shape_call.args[0]
    # the input is read before anything here rebinds it; every temporary keeps its value to the end
    if not is_name(grouped.args[0], x.id) or x.id == s or len({s, g, m, v}) != 4 or y == s:
        return None
    if not (isinstance(moments, ast.Call) and ctx.names.call(moments) == "tf.nn.moments"
            and only_args(moments, ["x", "axes", "shift", "keepdims", "name"]) and is_name(kwarg(moments, "x", 0), g)
            and kwarg(moments, "shift", 2) is None and const(kwarg(moments, "keepdims", 3)) is True):
        return None
    if not (isinstance(bn, ast.Call) and ctx.names.call(bn) == "tf.nn.batch_normalization"
            and only_args(bn, ["x", "mean", "variance", "offset", "scale", "variance_epsilon", "name"])
            and is_name(kwarg(bn, "x", 0), g) and is_name(kwarg(bn, "mean", 1), m) and is_name(kwarg(bn, "variance", 2), v)):
        return None
    if not isinstance(grouped.args[1], ast.List):
        return None
    found = _static_grouping(grouped.args[1], kwarg(moments, "axes", 1), s)
    if found is not None:
        found.update(x=x, s=s, bn=bn, absorbed=stmts[i - 4 : i])
    return found


def _static_grouping(target: ast.List, axes_node: ast.expr | None, s: str) -> dict[str, Any] | None:
    """``[-1, d1, ..., groups, per_group, ...]`` (one more axis than the input; the other sizes
    static or ``S[k]``) and moments over every axis but the groups' -> what it computes."""
    elts = target.elts
    rank = len(elts) - 1  # the input's rank
    axes = ints(axes_node)
    if rank < 2 or const(elts[0]) != -1 or axes is None or len(set(axes)) != len(axes):
        return None
    missing = [k for k in range(1, rank + 1) if k not in axes]
    if len(missing) != 1 or sorted(axes) != [k for k in range(1, rank + 1) if k != missing[0]] or missing[0] == rank:
        return None
    pos = missing[0]  # the grouped axis, in the input's numbering
    groups, per = const(elts[pos]), const(elts[pos + 1])
    if not (is_int(groups) and is_int(per) and groups > 0 and per > 0):
        return None
    dims: dict[int, int | None] = {pos: groups * per}  # the input's sizes the code shows (None: known at run time only)
    for k in range(1, rank):
        if k == pos:
            continue
        e = elts[k] if k < pos else elts[k + 1]
        v = const(e)
        dynamic = isinstance(e, ast.Subscript) and is_name(e.value, s) and const(e.slice) == k
        if not (dynamic or (is_int(v) and v > 0)):
            return None
        dims[k] = None if dynamic else v
    bshape = [1] * rank
    bshape[pos] = per
    bshape.insert(pos, groups)
    return {"rank": rank, "axis": -1 if pos == rank - 1 else pos, "groups": groups, "channels": groups * per,
            "bshape": bshape, "dims": dims}


def _any_rank(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> dict[str, Any] | None:
    """to-tf's GroupNormalization for an input of unknown rank (axis=-1): the eight statements
    ending at ``stmts[i]``, compared with what to-tf writes for the names found in them."""
    tf = ctx.names.tf_alias
    if tf is None or i < 7:
        return None
    block = stmts[i - 7 : i + 1]
    try:
        shape_s, rc, gs, bn = block[0], block[1], block[2], block[6]
        s, x = shape_s.targets[0].id, shape_s.value.args[0].id  # type: ignore[attr-defined]
        r, c = (e.id for e in rc.targets[0].elts)  # type: ignore[attr-defined]
        g, gr, y = gs.targets[0].id, block[4].targets[0].id, bn.targets[0].id  # type: ignore[attr-defined]
        m, v = tuple_assign(block[5])  # type: ignore[misc]
        groups, out = const(gs.value.orelse), block[7].targets[0].id  # type: ignore[attr-defined]
        call = bn.value  # type: ignore[attr-defined]
        offset, scale, eps = kwarg(call, "offset", 3), kwarg(call, "scale", 4), const(kwarg(call, "variance_epsilon", 5))
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if not is_int(groups) or not isinstance(eps, (int, float)):
        return None
    bshape = f"[1] * ({r} - 1) + [{g}, {c} // {g}]"

    def param(p: ast.expr | None) -> str | None:
        if p is None or (isinstance(p, ast.Constant) and p.value is None):
            return "None"
        if isinstance(p, ast.Call) and ctx.names.call(p) == "tf.reshape" and len(p.args) == 2 and ctx.var(p.args[0]) is not None:
            return f"{tf}.reshape({ctx.st.seg(p.args[0])}, {bshape})"
        return None

    beta_src, gamma_src = param(offset), param(scale)
    if beta_src is None or gamma_src is None:
        return None
    want = "\n".join(group_norm_any_rank_lines(x, y, out, groups, eps, beta_src, gamma_src, (s, r, c, g, gr, m, v), tf))
    try:
        expected = ast.parse(want).body
    except SyntaxError:
        return None
    # the temporaries must be distinct, and the input not one of them before its last read
    if len({s, r, c, g, gr, m, v}) != 7 or x in {s, r, c, g}:
        return None
    if len(expected) != len(block) or not all(same(a, b) for a, b in zip(expected, block)):
        return None
    return {"rank": None, "axis": -1, "groups": groups, "channels": None, "bshape": None, "x": shape_s.value.args[0],  # type: ignore[attr-defined]
            "s": s, "bn": call, "absorbed": block[:-1]}


def _param(node: ast.expr | None, bshape: list[int] | None, ctx: MatchCtx) -> Var | None | bool:
    """offset / scale: ``tf.reshape(variable, bshape)`` -> the variable, None -> None, else False
    (``bshape`` None: the any-rank form, already compared)."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return None
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.reshape" and len(node.args) == 2 and not node.keywords:
        var = ctx.var(node.args[0])
        if var is not None and (bshape is None or const(node.args[1]) == bshape):
            return var
    return False


def _channels_fit(var: Var, channels: int | None) -> bool:
    if var.shape is None:
        return True
    return len(var.shape) == 1 and (channels is None or var.shape[0].value in (None, channels))


# ------------------------------------------------------------------------------ Normalization


def normalization(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``(tf.cast(x, tf.float32) - mean) / std`` / ``mean + tf.cast(x, tf.float32) * std``."""
    if not isinstance(node, ast.BinOp):
        return None
    if isinstance(node.op, ast.Div) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Sub):
        x, mean_node, std_node, invert = node.left.left, node.left.right, node.right, False
    elif isinstance(node.op, ast.Add) and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Mult):
        x, mean_node, std_node, invert = node.right.left, node.left, node.right.right, True
    else:
        return None
    x = _uncast(x, ctx)
    if x is None:
        return None
    absorbed: list[ast.stmt] = []
    mean = _statistic(resolved(mean_node, ctx, absorbed), ctx)  # type: ignore[arg-type]
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
        spec.args["axis"] = axis
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
