"""Statement idioms that only mean something as a whole.

- ``if training:`` around ``tf.nn.dropout`` / Gaussian noise / to-tf's AlphaDropout;
- batch normalization: ``if training: mean, var = tf.nn.moments(...)`` plus the
  moving-average updates, ``else:`` the moving statistics, then
  ``tf.nn.batch_normalization`` (BatchNormalization); ``tf.nn.moments(x, [-1],
  keepdims=True)`` then ``tf.nn.batch_normalization`` (LayerNormalization); the moving
  statistics alone (BatchNormalization in inference).

:class:`Idioms` is mixed into :class:`.body.BodyRewriter`, which gives it ``self.ctx`` and
the def-use links (:class:`Def`) the batch-normalization patterns follow.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.layerkit.recognise import MatchCtx, init_arg
from kerastf_xlate.layers.regularization import dropout_call
from kerastf_xlate.syntax import UNKNOWN, const, is_int, kwarg, only_args, same, self_attr
from kerastf_xlate.syntax import tuple_assign as _tuple_assign


@dataclass(eq=False)
class Def:
    stmt: ast.stmt | None  # None for a parameter
    index: int
    kind: str  # simple | tuple | opaque | param | bnstats
    value: ast.expr | None = None
    uses: list[Any] = field(default_factory=list)
    info: Any = None


class Idioms:
    ctx: MatchCtx

    def _is_training(self, test: ast.expr) -> bool:
        t = self.ctx.training
        return t is not None and isinstance(test, ast.Name) and test.id == t

    def _training_block(self, stmt: ast.stmt) -> tuple[str, Match] | None:
        """``if training: out = <noise op>(x)`` [``else: out = x``] -> a training-only layer."""
        if not (isinstance(stmt, ast.If) and self._is_training(stmt.test) and len(stmt.body) in (1, 2)):
            return None
        if len(stmt.body) == 2:
            return self._alpha_dropout(stmt)
        body = stmt.body[0]
        if not (isinstance(body, ast.Assign) and len(body.targets) == 1 and isinstance(body.targets[0], ast.Name)):
            return None
        out = body.targets[0].id
        m = dropout_call(body.value, self.ctx) or self._noise(body.value)
        if m is None:
            return None
        x = m.inputs[0]
        if stmt.orelse:
            e = stmt.orelse[0]
            if not (len(stmt.orelse) == 1 and isinstance(e, ast.Assign) and len(e.targets) == 1
                    and isinstance(e.targets[0], ast.Name) and e.targets[0].id == out and same(e.value, x)):
                return None
        elif not (isinstance(x, ast.Name) and x.id == out):
            return None
        m.node = stmt
        m.training = True
        m.training_src = self.ctx.training or "training"
        return out, m

    def _alpha_dropout(self, stmt: ast.If) -> tuple[str, Match] | None:
        """``kept = tf.cast(tf.random.uniform(tf.shape(x)) >= rate, x.dtype)`` then
        ``out = a * (x * kept + alpha_p * (1 - kept)) + b`` (AlphaDropout as to-tf writes it)."""
        first, second = stmt.body
        if not (isinstance(first, ast.Assign) and isinstance(first.targets[0], ast.Name) and isinstance(second, ast.Assign)
                and len(second.targets) == 1 and isinstance(second.targets[0], ast.Name)):
            return None
        kept, out = first.targets[0].id, second.targets[0].id
        cast = first.value
        if not (isinstance(cast, ast.Call) and self.ctx.names.call(cast) == "tf.cast" and len(cast.args) == 2):
            return None
        cmp = cast.args[0]
        if not (isinstance(cmp, ast.Compare) and isinstance(cmp.ops[0], ast.GtE) and isinstance(cmp.left, ast.Call)
                and self.ctx.names.call(cmp.left) == "tf.random.uniform" and isinstance(const(cmp.comparators[0]), float)):
            return None
        shape = kwarg(cmp.left, "shape", 0)
        if not (isinstance(shape, ast.Call) and self.ctx.names.call(shape) == "tf.shape" and len(shape.args) == 1):
            return None
        x = shape.args[0]
        reads = {n.id for n in ast.walk(second.value) if isinstance(n, ast.Name)}
        if kept not in reads or not isinstance(x, ast.Name) or x.id not in reads:
            return None
        if stmt.orelse:
            e = stmt.orelse[0]
            if not (len(stmt.orelse) == 1 and isinstance(e, ast.Assign) and isinstance(e.targets[0], ast.Name)
                    and e.targets[0].id == out and same(e.value, x)):
                return None
        elif out != x.id:
            return None
        spec = LayerSpec("AlphaDropout", {"rate": repr(const(cmp.comparators[0]))})
        seed = kwarg(cmp.left, "seed", 4)
        if seed is not None:
            spec.args["seed"] = self.ctx.st.seg(seed)
        hints = {"prefix": kept[: -len("_kept")]} if kept.endswith("_kept") else {}
        return out, Match(spec, stmt, [x], training=True, hints=hints, training_src=self.ctx.training or "training")

    def _noise(self, node: ast.expr) -> Match | None:
        """``x + tf.random.normal(tf.shape(x), mean=0.0, stddev=s)`` (GaussianNoise) and
        ``x * tf.random.normal(tf.shape(x), mean=1.0, stddev=s)`` (GaussianDropout)."""
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult))):
            return None
        x, r = node.left, node.right
        if not (isinstance(r, ast.Call) and self.ctx.names.call(r) == "tf.random.normal" and only_args(r, ["shape", "mean", "stddev", "dtype", "seed"])):
            return None
        shape = kwarg(r, "shape", 0)
        if not (isinstance(shape, ast.Call) and self.ctx.names.call(shape) == "tf.shape" and len(shape.args) == 1 and same(shape.args[0], x)):
            return None
        mean, std = const(kwarg(r, "mean", 1)), kwarg(r, "stddev", 2)
        seed = kwarg(r, "seed", 4)
        if std is None or kwarg(r, "dtype", 3) is not None:
            return None
        if isinstance(node.op, ast.Add) and mean in (0, 0.0, UNKNOWN) and kwarg(r, "mean", 1) is not None and mean == 0:
            spec = LayerSpec("GaussianNoise", {"stddev": self.ctx.st.seg(std)})
        elif isinstance(node.op, ast.Mult) and mean == 1:
            rate = _gaussian_rate(const(std))
            if rate is None:
                return None
            spec = LayerSpec("GaussianDropout", {"rate": rate})
        else:
            return None
        if seed is not None:
            spec.args["seed"] = self.ctx.st.seg(seed)
        return Match(spec, node, [x], training=True)

    # batch normalization -------------------------------------------------

    def _bn_stats(self, stmt: ast.stmt) -> dict[str, Any] | None:
        """``if training: m, v = tf.nn.moments(x, axes); MM.assign(...); MV.assign(...)``
        ``else: m, v = MM, MV`` -> what it computes."""
        if not (isinstance(stmt, ast.If) and self._is_training(stmt.test) and len(stmt.body) == 3 and len(stmt.orelse) == 1):
            return None
        first, upd1, upd2 = stmt.body
        els = stmt.orelse[0]
        pair = _tuple_assign(first)
        if pair is None or not (isinstance(first.value, ast.Call) and self.ctx.names.call(first.value) == "tf.nn.moments"):  # type: ignore[attr-defined]
            return None
        m, v = pair
        moments: ast.Call = first.value  # type: ignore[attr-defined]
        if not only_args(moments, ["x", "axes", "shift", "keepdims", "name"]) or const(kwarg(moments, "keepdims", 3)) is True:
            return None
        x, axes = kwarg(moments, "x", 0), kwarg(moments, "axes", 1)
        if x is None or axes is None or not _bn_axes(axes, self.ctx):
            return None
        pair2 = _tuple_assign(els)
        if pair2 is None or pair2 != (m, v) or not isinstance(els.value, ast.Tuple) or len(els.value.elts) != 2:  # type: ignore[attr-defined]
            return None
        mm, mv = (self.ctx.var(e) for e in els.value.elts)  # type: ignore[attr-defined]
        if mm is None or mv is None:
            return None
        mom1 = _momentum(upd1, mm.attr, m, self.ctx)
        mom2 = _momentum(upd2, mv.attr, v, self.ctx)
        if mom1 is None or mom2 is None or abs(mom1 - mom2) > 1e-12:
            return None
        return {"mean": m, "var": v, "x": x, "mm": mm, "mv": mv, "momentum": mom1, "rank": _bn_rank(axes)}

    def _batch_norm(self, call: ast.Call, i: int, reach: dict[int, Def]) -> Match | None:
        ctx = self.ctx
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
        if d1 is not None and d1 is d2 and d1.kind == "bnstats" and len(d1.uses) == 2 and d1.index < i:
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

    def _bn_both_branches(self, stmt: ast.stmt) -> tuple[str, Match] | None:
        """``if training: m, v = moments(x); updates; out = bn(x, m, v, ...)`` ``else: out = bn(x, MM, MV, ...)``."""
        if not (isinstance(stmt, ast.If) and self._is_training(stmt.test) and len(stmt.body) == 4 and len(stmt.orelse) == 1):
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
        info = self._bn_stats(head)
        if info is None:
            return None
        m = self._batch_norm_from(last.value, info)
        o = self._batch_norm(other.value, 1 << 30, {})
        if m is None or o is None or o.spec.weights.get("gamma") is not m.spec.weights.get("gamma") \
                or o.spec.weights.get("beta") is not m.spec.weights.get("beta") or not same(o.inputs[0], m.inputs[0]):
            return None
        m.node = stmt
        m.training_src = self.ctx.training or "training"
        return last.targets[0].id, m  # type: ignore[attr-defined]

    def _batch_norm_from(self, call: ast.Call, info: dict[str, Any]) -> Match | None:
        fake = Def(None, -1, "bnstats", info=info, uses=[0, 0])
        mean, var = kwarg(call, "mean", 1), kwarg(call, "variance", 2)
        x = kwarg(call, "x", 0)
        if not (isinstance(mean, ast.Name) and isinstance(var, ast.Name) and (mean.id, var.id) == (info["mean"], info["var"]) and same(x, info["x"])):
            return None
        fake.index = -1
        reach = {id(mean): fake, id(var): fake}
        m = self._batch_norm(call, 0, reach)
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


def _gaussian_rate(std: Any) -> str | None:
    """GaussianDropout's rate from the stddev to-tf wrote (sqrt(rate / (1 - rate)))."""
    if not isinstance(std, float) or std <= 0:
        return None
    exact = std * std / (1.0 + std * std)
    for digits in range(1, 18):
        r = round(exact, digits)
        if 0 < r < 1 and repr(math.sqrt(r / (1.0 - r))) == repr(std):
            return repr(r)
    return None
