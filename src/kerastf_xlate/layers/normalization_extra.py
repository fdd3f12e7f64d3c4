"""GroupNormalization and RMSNormalization (``keras/src/layers/normalization``)."""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, Weight
from kerastf_xlate.layerkit.family import EXPRESSION, SEQUENCE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    Var,
    init_arg,
    ints,
    weight_facts,
)
from kerastf_xlate.layerkit.shapes import (
    Fact,
    Shape,
    Unbuildable,
    first_input,
    same_shape_on_channels,
)
from kerastf_xlate.static import is_int, literal, literal_or
from kerastf_xlate.syntax import (
    assigned,
    const,
    is_name,
    kwarg,
    only_args,
    same,
    tuple_assign,
)


def group_norm(ctx: EmitCtx) -> Emitted:
    """Reshape the channel axis into [groups, channels // groups], tf.nn.moments over every
    non-batch axis but the groups axis, normalize (inv = rsqrt(var + eps) * gamma;
    x * inv + beta - mean * inv, as Keras), reshape back."""
    rank = ctx.rank()
    if rank is None:
        return _group_norm_any_rank(ctx)
    axis = ctx.value("axis")
    if not isinstance(axis, int) or isinstance(axis, bool) or not -rank <= axis < rank:
        raise Unsupported(f"axis={axis!r}")
    pos = axis % rank
    if pos == 0:
        raise Unsupported("axis=0 (the batch axis)")
    channels = ctx.dim(pos)
    if not isinstance(channels, int):
        raise Unsupported("GroupNormalization needs a static size on its axis (Keras requires it)")
    groups = ctx.value("groups")
    if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
        raise Unsupported(f"groups={groups!r}")
    if groups == -1:
        groups = channels
    if channels < groups or channels % groups:
        raise Unsupported(f"{groups} groups do not divide {channels} channels (Keras rejects it)")
    eps = float(ctx.value("epsilon"))
    weights = []
    if ctx.value("scale"):
        weights.append(Weight("gamma", (channels,), ctx.arg("gamma_initializer")))
    if ctx.value("center"):
        weights.append(Weight("beta", (channels,), ctx.arg("beta_initializer")))
    x = ctx.x
    shape_var, grouped = ctx.tmp("shape"), ctx.tmp("grouped")
    mean, var = ctx.tmp("mean"), ctx.tmp("variance")
    dims: list[str] = ["-1"]
    for i in range(1, rank):
        d = ctx.shape[i] if ctx.shape is not None else None
        if i == pos:
            dims += [str(groups), str(channels // groups)]
        else:
            dims.append(str(d) if isinstance(d, int) else f"{shape_var}[{i}]")
    bshape = [1] * rank
    bshape[pos] = channels // groups
    bshape.insert(pos, groups)
    reduce_axes = [i for i in range(1, rank + 1) if i != pos]

    def param(name: str) -> str:
        return f"tf.reshape({ctx.w(name)}, {bshape!r})"

    gamma = param("gamma") if ctx.value("scale") else "None"
    beta = param("beta") if ctx.value("center") else "None"
    lines = [
        f"{shape_var} = tf.shape({x})",
        f"{grouped} = tf.reshape({x}, [{', '.join(dims)}])",
        f"{mean}, {var} = tf.nn.moments({grouped}, axes={reduce_axes!r}, keepdims=True)",
        ctx.assign(f"tf.nn.batch_normalization({grouped}, {mean}, {var}, offset={beta}, scale={gamma}, variance_epsilon={eps!r})"),
        f"{ctx.out} = tf.reshape({ctx.out}, {shape_var})",
    ]
    return Emitted(weights, lines, ctx.shape)


def _group_norm_any_rank(ctx: EmitCtx) -> Emitted:
    """The same arithmetic when the input rank is known only at run time (axis=-1)."""
    if ctx.value("axis") != -1:
        raise Unsupported("GroupNormalization on an axis other than -1 needs a known input rank")
    groups = ctx.value("groups")
    if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
        raise Unsupported(f"groups={groups!r}")
    eps = float(ctx.value("epsilon"))
    x = ctx.x
    channels = ctx.dim(-1)
    weights = []
    if ctx.value("scale"):
        weights.append(Weight("gamma", (channels,), ctx.arg("gamma_initializer")))
    if ctx.value("center"):
        weights.append(Weight("beta", (channels,), ctx.arg("beta_initializer")))
    shape_var, grouped, rank = ctx.tmp("shape"), ctx.tmp("grouped"), ctx.tmp("rank")
    c, g, mean, var = ctx.tmp("channels"), ctx.tmp("groups"), ctx.tmp("mean"), ctx.tmp("variance")
    bshape = f"[1] * ({rank} - 1) + [{g}, {c} // {g}]"
    gamma = f"tf.reshape({ctx.w('gamma')}, {bshape})" if ctx.value("scale") else "None"
    beta = f"tf.reshape({ctx.w('beta')}, {bshape})" if ctx.value("center") else "None"
    names = (shape_var, rank, c, g, grouped, mean, var)
    return Emitted(weights, group_norm_any_rank_lines(x, ctx.out, ctx.out, groups, eps, beta, gamma, names), None)


def group_norm_any_rank_lines(x: str, y: str, out: str, groups: object, eps: float, beta: str, gamma: str,
                              names: tuple[str, str, str, str, str, str, str], tf: str = "tf") -> list[str]:
    """GroupNormalization over the last axis of an input whose rank is known only at run
    time; ``names``: the temporaries (shape, rank, channels, groups, grouped, mean,
    variance). ``xlate to-keras`` recognises exactly these lines (:func:`match_group_norm` below)."""
    shape_var, rank, c, g, grouped, mean, var = names
    return [
        f"{shape_var} = {tf}.shape({x})",
        f"{rank}, {c} = len({x}.shape), {x}.shape[-1]",
        f"{g} = {c} if {groups} == -1 else {groups}",
        f"if {c} is None or {c} < {g} or {c} % {g}:",
        f'    raise ValueError(f"GroupNormalization: {{{g}}} groups do not divide {{{c}}} channels")',
        f"{grouped} = {tf}.reshape({x}, {tf}.concat([[-1], {shape_var}[1:-1], [{g}, {c} // {g}]], 0))",
        f"{mean}, {var} = {tf}.nn.moments({grouped}, axes=[i for i in range(1, {rank} + 1) if i != {rank} - 1], keepdims=True)",
        f"{y} = {tf}.nn.batch_normalization({grouped}, {mean}, {var}, offset={beta}, scale={gamma}, variance_epsilon={eps!r})",
        f"{out} = {tf}.reshape({y}, {shape_var})",
    ]


def rms_norm(ctx: EmitCtx) -> Emitted:
    """``x * rsqrt(mean(x**2, axis, keepdims) + epsilon) * scale`` (``ops.rms_normalization``)."""
    value = ctx.value("axis")
    if isinstance(value, int) and not isinstance(value, bool):
        axes = [value]
    elif isinstance(value, (list, tuple)) and value and all(isinstance(a, int) and not isinstance(a, bool) for a in value):
        axes = sorted(value)
    else:
        raise Unsupported(f"axis={value!r}")
    rank = ctx.rank()
    if rank is not None and not all(-rank <= a < rank for a in axes):
        raise Unsupported(f"axis={value!r} is out of range")
    if rank is None and axes != [-1]:
        raise Unsupported("RMSNormalization over several axes needs a known input rank")
    eps = float(ctx.value("epsilon"))
    weights = [Weight("scale", tuple(ctx.dim(a) for a in axes), "'ones'")]
    x = ctx.x
    ax = repr(axes[0]) if len(axes) == 1 else repr(axes)
    expr = (f"{x} * tf.math.rsqrt(tf.reduce_mean(tf.square({x}), axis={ax}, keepdims=True) + {eps!r})"
            f" * {ctx.w('scale')}")
    return Emitted(weights, [ctx.assign(expr)], ctx.shape)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _rms_norm(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=a, keepdims=True) + eps) * scale``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Mult)):
        return None
    scale = ctx.var(node.right)
    x, rs = node.left.left, node.left.right
    if scale is None or not (isinstance(rs, ast.Call) and ctx.names.call(rs) == "tf.math.rsqrt" and len(rs.args) == 1):
        return None
    inner = rs.args[0]
    if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Add) and isinstance(const(inner.right), float)):
        return None
    mean = inner.left
    if not (isinstance(mean, ast.Call) and ctx.names.call(mean) == "tf.math.reduce_mean" and const(kwarg(mean, "keepdims", 2)) is True):
        return None
    sq = kwarg(mean, "input_tensor", 0)
    axis = const(kwarg(mean, "axis", 1))
    if not (isinstance(sq, ast.Call) and ctx.names.call(sq) == "tf.math.square" and len(sq.args) == 1 and same(sq.args[0], x)):
        return None
    if not (is_int(axis) or (isinstance(axis, list) and all(is_int(a) for a in axis))):
        return None
    spec = LayerSpec("RMSNormalization", {"epsilon": repr(const(inner.right))}, {"scale": scale})
    if axis != -1:
        spec.args["axis"] = repr(axis)
    return Match(spec, node, [x])


def _call_of(node: ast.AST | None, ctx: MatchCtx, q: str, n_args: int) -> ast.Call | None:
    """``q(a1, ..., an)`` with positional arguments only."""
    if isinstance(node, ast.Call) and ctx.names.call(node) == q and len(node.args) == n_args and not node.keywords \
            and not any(isinstance(a, ast.Starred) for a in node.args):
        return node
    return None


def match_group_norm(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
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
    return last[0], Match(spec, stmts[i], [found["x"]], absorbed=found["absorbed"], hints=hints)  # type: ignore[index]


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
    shape_call, grouped = _call_of(shape_call, ctx, "tf.shape", 1), _call_of(grouped, ctx, "tf.reshape", 2)  # type: ignore[assignment]
    if shape_call is None or grouped is None or not isinstance(shape_call.args[0], ast.Name) or (s_name, y_name) != (s, y):  # type: ignore[attr-defined]
        return None
    x = shape_call.args[0]  # type: ignore[attr-defined]
    # the input is read before anything here rebinds it; every temporary keeps its value to the end
    if not is_name(grouped.args[0], x.id) or x.id == s or len({s, g, m, v}) != 4 or y == s:  # type: ignore[attr-defined]
        return None
    if not (isinstance(moments, ast.Call) and ctx.names.call(moments) == "tf.nn.moments"
            and only_args(moments, ["x", "axes", "shift", "keepdims", "name"]) and is_name(kwarg(moments, "x", 0), g)
            and kwarg(moments, "shift", 2) is None and const(kwarg(moments, "keepdims", 3)) is True):
        return None
    if not (isinstance(bn, ast.Call) and ctx.names.call(bn) == "tf.nn.batch_normalization"
            and only_args(bn, ["x", "mean", "variance", "offset", "scale", "variance_epsilon", "name"])
            and is_name(kwarg(bn, "x", 0), g) and is_name(kwarg(bn, "mean", 1), m) and is_name(kwarg(bn, "variance", 2), v)):
        return None
    if not isinstance(grouped.args[1], ast.List):  # type: ignore[attr-defined]
        return None
    found = _static_grouping(grouped.args[1], kwarg(moments, "axes", 1), s)  # type: ignore[attr-defined]
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

# ------------------------------------------------------------------------------ the family


def _group_norm_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    if x is None:
        return None
    rank = len(x)
    axis, groups = literal_or(args.get("axis"), -1), literal_or(args.get("groups"), 32)
    if not (isinstance(axis, int) and -rank <= axis < rank and axis % rank) or not isinstance(x[axis], int):
        raise Unbuildable(cls)  # Keras needs a static size on the grouped axis
    if not isinstance(groups, int) or (groups != -1 and (groups <= 0 or x[axis] % groups)):
        raise Unbuildable(cls)
    return x


def _group_norm_facts(app: int, m: Match) -> list[Fact]:
    """The channels on its axis; the rank its reshape shows."""
    w = m.spec.weights
    facts: list[Fact] = []
    if w:
        facts += weight_facts(app, m.spec, "gamma" if "gamma" in w else "beta", 0, literal(m.spec.args.get("axis", "-1")))
    if m.hints.get("rank"):
        facts.append(Fact(app, "rank", value=m.hints["rank"]))
    return facts + [Fact(app, "dim" if v is not None else "lazy", k, v) for k, v in m.hints.get("dims", {}).items()]


GROUP_NORM = LayerFamily("group_norm", emit=group_norm, recognisers=(Recogniser(SEQUENCE, 40, match_group_norm),),
                         output_shape=_group_norm_shape, facts=_group_norm_facts)
RMS_NORM = LayerFamily("rms_norm", emit=rms_norm, recognisers=(Recogniser(EXPRESSION, 130, _rms_norm),),
                       output_shape=same_shape_on_channels,
                       facts=lambda app, m: weight_facts(app, m.spec, "scale", 0) if "axis" not in m.spec.args else [])
