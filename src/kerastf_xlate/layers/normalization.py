"""BatchNormalization and LayerNormalization -> tf.nn.moments + tf.nn.batch_normalization."""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, Weight
from kerastf_xlate.layerkit.family import (
    BLOCK,
    DEFINITION,
    DEFUSE,
    LayerFamily,
    Recogniser,
)
from kerastf_xlate.layerkit.recognise import (
    Def,
    LayerSpec,
    Match,
    MatchCtx,
    init_arg,
    is_training,
    weight_facts,
)
from kerastf_xlate.layerkit.shapes import (
    Fact,
    same_shape_on_channels,
)
from kerastf_xlate.static import is_int, literal
from kerastf_xlate.syntax import const, kwarg, only_args, same, self_attr
from kerastf_xlate.syntax import tuple_assign as _tuple_assign


def _axes(ctx: EmitCtx, value: object) -> list[int]:
    axes = [value] if isinstance(value, int) else list(value)  # type: ignore[call-overload]
    rank = ctx.rank()
    if any(a < 0 for a in axes):
        if rank is None:
            if axes == [-1]:
                return [-1]
            raise Unsupported("negative axes need a known input rank")
        axes = [a % rank for a in axes]
    return sorted(axes)


def _param_shape(ctx: EmitCtx, axes: list[int]) -> tuple:
    return tuple(ctx.dim(a) for a in axes)


def batch_norm(ctx: EmitCtx) -> Emitted:
    """Inference: moving statistics. Training: batch statistics, and the moving statistics
    are updated with Keras's rule ``moving = moving * momentum + batch * (1 - momentum)``."""
    if ctx.value("renorm"):
        raise Unsupported("renorm=True")
    axes = _axes(ctx, ctx.value("axis"))
    rank = ctx.rank()
    if rank is None and axes != [-1]:
        raise Unsupported("BatchNormalization on an input of unknown rank")
    if len(axes) != 1:
        raise Unsupported("BatchNormalization over several axes")
    momentum = float(ctx.value("momentum"))
    eps = float(ctx.value("epsilon"))
    pshape = _param_shape(ctx, axes)
    weights = []
    if ctx.value("scale"):
        weights.append(Weight("gamma", pshape, ctx.arg("gamma_initializer")))
    if ctx.value("center"):
        weights.append(Weight("beta", pshape, ctx.arg("beta_initializer")))
    weights += [
        Weight("moving_mean", pshape, ctx.arg("moving_mean_initializer"), trainable=False),
        Weight("moving_variance", pshape, ctx.arg("moving_variance_initializer"), trainable=False),
    ]
    x = ctx.x
    if rank is not None:
        reduce_axes = repr([i for i in range(rank) if i not in axes])
        last = axes == [rank - 1]
    else:
        reduce_axes = f"list(range(len({x}.shape) - 1))"
        last = True
    mean, var = ctx.tmp("mean"), ctx.tmp("variance")
    mm, mv = ctx.w("moving_mean"), ctx.w("moving_variance")
    reshape = "" if last else f"  # broadcast over axis {axes[0]}"
    keep = "" if last else ", keepdims=True"
    lines = [
        f"if {ctx.training}:",
        f"    {mean}, {var} = tf.nn.moments({x}, axes={reduce_axes}{keep})",
        f"    {mm}.assign({mm} * {momentum!r} + {_flat(mean, mm, last)} * (1.0 - {momentum!r}))",
        f"    {mv}.assign({mv} * {momentum!r} + {_flat(var, mv, last)} * (1.0 - {momentum!r}))",
        "else:",
        f"    {mean}, {var} = {_bcast(ctx, mm, axes, last)}, {_bcast(ctx, mv, axes, last)}{reshape}",
    ]
    gamma = _bcast(ctx, ctx.w("gamma"), axes, last) if ctx.value("scale") else "None"
    beta = _bcast(ctx, ctx.w("beta"), axes, last) if ctx.value("center") else "None"
    lines.append(ctx.assign(f"tf.nn.batch_normalization({x}, {mean}, {var}, offset={beta}, scale={gamma}, variance_epsilon={eps!r})"))
    return Emitted(weights, lines, ctx.shape)


def _flat(stat: str, var: str, last: bool) -> str:
    return stat if last else f"tf.reshape({stat}, {var}.shape)"


def _bcast(ctx: EmitCtx, var: str, axes: list[int], last: bool) -> str:
    if last:
        return var
    rank = ctx.rank() or 0
    shape = [-1 if i in axes else 1 for i in range(rank)]
    return f"tf.reshape({var}, {shape!r})"


def layer_norm(ctx: EmitCtx) -> Emitted:
    axes = _axes(ctx, ctx.value("axis"))
    eps = float(ctx.value("epsilon"))
    pshape = _param_shape(ctx, axes)
    weights = []
    if ctx.value("scale"):
        weights.append(Weight("gamma", pshape, ctx.arg("gamma_initializer")))
    if ctx.value("center"):
        weights.append(Weight("beta", pshape, ctx.arg("beta_initializer")))
    rank = ctx.rank()
    last = axes == [-1] or (rank is not None and axes == [rank - 1])
    x = ctx.x
    mean, var = ctx.tmp("mean"), ctx.tmp("variance")
    ax = "[-1]" if last else repr(axes)
    lines = [f"{mean}, {var} = tf.nn.moments({x}, axes={ax}, keepdims=True)"]

    def param(name: str) -> str:
        # Keras reshapes gamma/beta to [1, .., d_axis, .., 1] unless the axis is the last one
        if last:
            return ctx.w(name)
        if rank is None:
            raise Unsupported("LayerNormalization over several axes needs a known input rank")
        dims = []
        for i in range(rank):
            d = ctx.dim(i) if i in axes else 1
            dims.append(str(d) if isinstance(d, int) else f"tf.shape({x})[{i}]")
        return f"tf.reshape({ctx.w(name)}, [{', '.join(dims)}])"

    gamma = param("gamma") if ctx.value("scale") else "None"
    beta = param("beta") if ctx.value("center") else "None"
    lines.append(ctx.assign(f"tf.nn.batch_normalization({x}, {mean}, {var}, offset={beta}, scale={gamma}, variance_epsilon={eps!r})"))
    return Emitted(weights, lines, ctx.shape)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def bn_stats(ctx: MatchCtx, stmt: ast.stmt) -> dict[str, Any] | None:
    """``if training: m, v = tf.nn.moments(x, axes); MM.assign(...); MV.assign(...)``
    ``else: m, v = MM, MV`` -> what it computes."""
    if not (isinstance(stmt, ast.If) and is_training(ctx, stmt.test) and len(stmt.body) == 3 and len(stmt.orelse) == 1):
        return None
    first, upd1, upd2 = stmt.body
    els = stmt.orelse[0]
    pair = _tuple_assign(first)
    if pair is None or not (isinstance(first.value, ast.Call) and ctx.names.call(first.value) == "tf.nn.moments"):  # type: ignore[attr-defined]
        return None
    m, v = pair
    moments: ast.Call = first.value  # type: ignore[attr-defined]
    if not only_args(moments, ["x", "axes", "shift", "keepdims", "name"]) or const(kwarg(moments, "keepdims", 3)) is True:
        return None
    x, axes = kwarg(moments, "x", 0), kwarg(moments, "axes", 1)
    if x is None or axes is None or not _bn_axes(axes, ctx):
        return None
    pair2 = _tuple_assign(els)
    if pair2 is None or pair2 != (m, v) or not isinstance(els.value, ast.Tuple) or len(els.value.elts) != 2:  # type: ignore[attr-defined]
        return None
    mm, mv = (ctx.var(e) for e in els.value.elts)  # type: ignore[attr-defined]
    if mm is None or mv is None:
        return None
    mom1 = _momentum(upd1, mm.attr, m, ctx)
    mom2 = _momentum(upd2, mv.attr, v, ctx)
    if mom1 is None or mom2 is None or abs(mom1 - mom2) > 1e-12:
        return None
    return {"names": (m, v), "mean": m, "var": v, "x": x, "mm": mm, "mv": mv, "momentum": mom1, "rank": _bn_rank(axes)}


def match_batch_norm(ctx: MatchCtx, call: ast.Call, i: int, reach: dict[int, Def]) -> Match | None:
    if not only_args(call, ["x", "mean", "variance", "offset", "scale", "variance_epsilon", "name"]):
        return None
    x, mean, var = kwarg(call, "x", 0), kwarg(call, "mean", 1), kwarg(call, "variance", 2)
    offset, scale, eps_node = kwarg(call, "offset", 3), kwarg(call, "scale", 4), kwarg(call, "variance_epsilon", 5)
    eps = const(eps_node)
    if x is None or mean is None or var is None or not isinstance(eps, (int, float)):
        return None
    beta, gamma = _param(offset, ctx), _param(scale, ctx)
    reshaped = beta == "reshaped" or gamma == "reshaped"
    if reshaped:
        beta, gamma = _param(offset, ctx, True), _param(scale, ctx, True)
    if beta is False or gamma is False:
        return None
    d1 = reach.get(id(mean)) if isinstance(mean, ast.Name) else None
    d2 = reach.get(id(var)) if isinstance(var, ast.Name) else None
    args: dict[str, str] = {}
    weights: dict[str, Any] = {}
    absorbed: list[ast.stmt] = []
    fixed = None
    training = False
    hints: dict[str, Any] = {}
    mm, mv = ctx.var(mean), ctx.var(var)
    if d1 is not None and d1 is d2 and d1.kind == "stats" and len(d1.uses) == 2 and d1.index < i:
        info = d1.info
        if not same(info["x"], x) or reach.get(id(x)) is not _reach_of(info["x"], reach):
            return None
        cls = "BatchNormalization"
        mm, mv = info["mm"], info["mv"]
        if info["momentum"] != 0.99:
            args["momentum"] = repr(info["momentum"])
        absorbed.append(d1.stmt)  # type: ignore[arg-type]
        training = True
        hints = {"rank": info["rank"]}
        if reshaped:
            return None
    elif d1 is not None and d1 is d2 and d1.kind == "tuple" and len(d1.uses) == 2 and d1.index < i and isinstance(d1.value, ast.Call) \
            and ctx.names.call(d1.value) == "tf.nn.moments":
        mom: ast.Call = d1.value
        names = _tuple_assign(d1.stmt)  # type: ignore[arg-type]
        if names != (mean.id, var.id) or not only_args(mom, ["x", "axes", "shift", "keepdims", "name"]):  # type: ignore[attr-defined]
            return None
        if not same(kwarg(mom, "x", 0), x) or const(kwarg(mom, "keepdims", 3)) is not True:
            ctx.notes.append((call, "batch statistics without moving averages have no Keras layer"))
            return None
        axes = const(kwarg(mom, "axes", 1))
        axes = [axes] if is_int(axes) else axes
        if axes != [-1] and not (isinstance(axes, list) and all(is_int(a) and a > 0 for a in axes)):
            return None
        cls = "LayerNormalization"
        if axes != [-1]:
            args["axis"] = repr(axes)
            for node, var_ in ((offset, beta), (scale, gamma)):
                if not isinstance(node, ast.Call):
                    continue
                target = const(node.args[1])
                # tf.reshape(gamma, [1, 3, 4]): the variable spans exactly the normalized axes
                if not isinstance(target, list) or var_ is None or var_.shape is None:
                    return None
                spots = [i for i, d in enumerate(target) if d != 1]
                if spots != sorted(axes) or [target[i] for i in spots] != [d.value for d in var_.shape]:
                    return None
                hints["rank"] = len(target)
        elif reshaped:
            return None
        absorbed.append(d1.stmt)  # type: ignore[arg-type]
        mm = mv = None
    elif mm is not None and mv is not None and not reshaped:
        cls = "BatchNormalization"
        fixed = "False"  # inference-only code: always the moving statistics
    else:
        return None
    spec = LayerSpec(cls, args, weights)
    if eps != 0.001:
        spec.args["epsilon"] = repr(float(eps))
    if gamma is None:
        spec.args["scale"] = "False"
    else:
        weights["gamma"] = gamma
        init_arg(spec, "gamma_initializer", gamma, ctx)
    if beta is None:
        spec.args["center"] = "False"
    else:
        weights["beta"] = beta
        init_arg(spec, "beta_initializer", beta, ctx)
    if mm is not None and mv is not None:
        weights["moving_mean"], weights["moving_variance"] = mm, mv
        init_arg(spec, "moving_mean_initializer", mm, ctx)
        init_arg(spec, "moving_variance_initializer", mv, ctx)
    return Match(spec, call, [x], absorbed=absorbed, training=training, fixed_training=fixed, hints=hints)


def bn_both_branches(ctx: MatchCtx, stmt: ast.stmt) -> tuple[str, Match] | None:
    """``if training: m, v = moments(x); updates; out = bn(x, m, v, ...)`` ``else: out = bn(x, MM, MV, ...)``."""
    if not (isinstance(stmt, ast.If) and is_training(ctx, stmt.test) and len(stmt.body) == 4 and len(stmt.orelse) == 1):
        return None
    head = ast.If(test=stmt.test, body=stmt.body[:3], orelse=[])
    last, other = stmt.body[3], stmt.orelse[0]
    if not (isinstance(last, ast.Assign) and isinstance(other, ast.Assign) and len(last.targets) == 1
            and isinstance(last.targets[0], ast.Name) and same(last.targets[0], other.targets[0])):
        return None
    pair = _tuple_assign(stmt.body[0])
    if pair is None or not isinstance(other.value, ast.Call) or not isinstance(last.value, ast.Call):
        return None
    mm_node, mv_node = kwarg(other.value, "mean", 1), kwarg(other.value, "variance", 2)
    if mm_node is None or mv_node is None:
        return None
    head.orelse = [ast.Assign(targets=[ast.Tuple([ast.Name(pair[0], ast.Store()), ast.Name(pair[1], ast.Store())], ast.Store())],
                              value=ast.Tuple([mm_node, mv_node], ast.Load()))]
    info = bn_stats(ctx, head)
    if info is None:
        return None
    m = _batch_norm_from(ctx, last.value, info)
    o = match_batch_norm(ctx, other.value, 1 << 30, {})
    if m is None or o is None or o.spec.weights.get("gamma") is not m.spec.weights.get("gamma") \
            or o.spec.weights.get("beta") is not m.spec.weights.get("beta") or not same(o.inputs[0], m.inputs[0]):
        return None
    m.node = stmt
    m.training_src = ctx.training or "training"
    return last.targets[0].id, m


def _batch_norm_from(ctx: MatchCtx, call: ast.Call, info: dict[str, Any]) -> Match | None:
    fake = Def(None, -1, "stats", info=info, uses=[0, 0])
    mean, var = kwarg(call, "mean", 1), kwarg(call, "variance", 2)
    x = kwarg(call, "x", 0)
    if not (isinstance(mean, ast.Name) and isinstance(var, ast.Name) and (mean.id, var.id) == (info["mean"], info["var"]) and same(x, info["x"])):
        return None
    fake.index = -1
    reach = {id(mean): fake, id(var): fake}
    m = match_batch_norm(ctx, call, 0, reach)
    if m is not None:
        m.absorbed = []
    return m


def _reach_of(node: ast.expr, reach: dict[int, Def]) -> Def | None:
    return reach.get(id(node))


def _bn_axes(axes: ast.expr, ctx: MatchCtx) -> bool:
    """All axes but the last: ``[0, 1, 2]`` or ``list(range(len(x.shape) - 1))``."""
    v = const(axes)
    if isinstance(v, (list, tuple)):
        return list(v) == list(range(len(v))) and len(v) >= 1
    return ast.unparse(axes).replace(" ", "").startswith("list(range(len(") and ast.unparse(axes).replace(" ", "").endswith(".shape)-1))")


def _bn_rank(axes: ast.expr) -> int | None:
    v = const(axes)
    return len(v) + 1 if isinstance(v, (list, tuple)) else None


def _param(node: ast.expr | None, ctx: MatchCtx, reshape_ok: bool = False) -> Any:
    """offset/scale argument: a variable, None, "reshaped" for ``tf.reshape(variable, ...)``
    (when not ``reshape_ok``; the variable itself when it is), or False."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return None
    var = ctx.var(node)
    if var is not None:
        return var
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.reshape" and len(node.args) == 2 and not node.keywords:
        inner = ctx.var(node.args[0])
        if inner is not None:
            return inner if reshape_ok else "reshaped"
    return False


def _linear(node: ast.AST, ctx: MatchCtx, attr: str, name: str) -> dict[str, float] | None:
    """Coefficients of ``node`` as a * MOVING + b * BATCH (constants multiply)."""
    if self_attr(node, ctx.self_name or "self") == attr:
        return {"m": 1.0, "b": 0.0}
    if isinstance(node, ast.Name) and node.id == name:
        return {"m": 0.0, "b": 1.0}
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Add, ast.Sub)):
            a, b = _linear(node.left, ctx, attr, name), _linear(node.right, ctx, attr, name)
            if a is None or b is None:
                return None
            sign = 1.0 if isinstance(node.op, ast.Add) else -1.0
            return {k: a[k] + sign * b[k] for k in a}
        if isinstance(node.op, ast.Mult):
            for lin_side, c_side in ((node.left, node.right), (node.right, node.left)):
                c = const(c_side)
                if isinstance(c, (int, float)):
                    inner = _linear(lin_side, ctx, attr, name)
                    if inner is not None:
                        return {k: float(c) * v for k, v in inner.items()}
    return None


def _momentum(stmt: ast.stmt, attr: str, batch: str, ctx: MatchCtx) -> float | None:
    """``MM.assign(MM * a + m * (1 - a))`` / ``MM.assign_sub((MM - m) * c)`` -> a."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)):
        return None
    call = stmt.value
    method = call.func.attr  # type: ignore[attr-defined]
    if self_attr(call.func.value, ctx.self_name or "self") != attr or len(call.args) != 1 or call.keywords:  # type: ignore[attr-defined]
        return None
    lin = _linear(call.args[0], ctx, attr, batch)
    if lin is None:
        return None
    if method == "assign":
        a, b = lin["m"], lin["b"]
    elif method == "assign_sub":
        a, b = 1.0 - lin["m"], -lin["b"]
    else:
        return None
    if abs(a + b - 1.0) > 1e-9:
        return None
    return round(a, 12)


# ------------------------------------------------------------------------------ the family


def _batch_norm_facts(app: int, m: Match) -> list[Fact]:
    w = m.spec.weights
    role = "gamma" if "gamma" in w else ("beta" if "beta" in w else "moving_mean")
    facts = weight_facts(app, m.spec, role, 0)
    if "rank" in m.hints:
        r = m.hints["rank"]
        facts.append(Fact(app, "rank", value=r) if r else Fact(app, "unknown_rank"))
    return facts


def _layer_norm_facts(app: int, m: Match) -> list[Fact]:
    w = m.spec.weights
    if "axis" in m.spec.args:
        role = "gamma" if "gamma" in w else "beta"
        axes = literal(m.spec.args["axis"])
        facts = [f for k, ax in enumerate(axes if isinstance(axes, list) else [axes]) for f in weight_facts(app, m.spec, role, k, ax)]
        if m.hints.get("rank"):
            facts.append(Fact(app, "rank", value=m.hints["rank"]))
        return facts
    role = "gamma" if "gamma" in w else ("beta" if "beta" in w else "moving_mean")
    return weight_facts(app, m.spec, role, 0)


def _batch_norm_use(ctx: MatchCtx, node: ast.AST, i: int, reach: dict[int, Def]) -> tuple[Match | None] | None:
    """``tf.nn.batch_normalization(x, m, v, ...)``, its statistics followed to their definitions
    (BatchNormalization or LayerNormalization); None for any other node."""
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.nn.batch_normalization"):
        return None
    return (match_batch_norm(ctx, node, i, reach),)


BATCH_NORM = LayerFamily("batch_norm", emit=batch_norm, output_shape=same_shape_on_channels, facts=_batch_norm_facts,
                         recognisers=(Recogniser(BLOCK, 20, bn_both_branches), Recogniser(DEFINITION, 10, bn_stats),
                                      Recogniser(DEFUSE, 10, _batch_norm_use)))
LAYER_NORM = LayerFamily("layer_norm", emit=layer_norm, output_shape=same_shape_on_channels, facts=_layer_norm_facts)
