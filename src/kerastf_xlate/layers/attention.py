"""Attention (Luong, 'dot' or 'concat' scores) and AdditiveAttention (Bahdanau) over
[query, value] or [query, value, key] (``keras/src/layers/attention``). Masks and the
call options (return_attention_scores, use_causal_mask) are not translated: the engine
keeps such calls as Keras."""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.emit import Dim, EmitCtx, Emitted, Unsupported, Weight
from kerastf_xlate.layerkit.family import EXPRESSION, SEQUENCE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    Var,
    initializer_matches_default,
    initializer_source,
    resolved,
)
from kerastf_xlate.layerkit.shapes import (
    Shape,
)
from kerastf_xlate.layers.regularization import dropout_call
from kerastf_xlate.syntax import assigned, const, is_name, kwarg, only_args, same


def attention(ctx: EmitCtx) -> Emitted:
    if ctx.inputs is not None and len(ctx.inputs) not in (2, 3):
        raise Unsupported(f"{ctx.rule.layer} takes [query, value] or [query, value, key]")
    if ctx.call_kwargs and any(k != "training" for k in ctx.call_kwargs):
        raise Unsupported(f"{ctx.rule.layer} called with {sorted(ctx.call_kwargs)}")
    additive = ctx.rule.layer == "AdditiveAttention"
    use_scale = ctx.value("use_scale")
    if not isinstance(use_scale, bool):
        raise Unsupported("use_scale must be True or False")
    mode = "additive" if additive else ctx.value("score_mode")
    if mode not in ("dot", "concat", "additive"):
        raise Unsupported(f"score_mode={mode!r}")
    dropout = ctx.value("dropout")
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise Unsupported(f"dropout={dropout!r}")
    lines: list[str] = []
    if ctx.inputs is not None:
        q, v = ctx.inputs[0], ctx.inputs[1]
        k = ctx.inputs[2] if len(ctx.inputs) == 3 else v
        q_dim = ctx.dim(-1, 0)
    else:  # only the list expression is known (a subclass's call)
        q, v, k = ctx.tmp("query"), ctx.tmp("value"), ctx.tmp("key")
        xs = ctx.xs
        lines += [
            f"if len({xs}) not in (2, 3):",
            f'    raise ValueError("{ctx.rule.layer} takes [query, value] or [query, value, key]")',
            f"{q}, {v} = {xs}[0], {xs}[1]",
            f"{k} = {xs}[2] if len({xs}) == 3 else {v}",
        ]
        q_dim = Dim(f"{xs}[0].shape[-1]", needs_input=True)
    weights: list[Weight] = []
    scale = ctx.w("scale")
    if additive:
        if use_scale:
            weights.append(Weight("scale", (q_dim,), "'glorot_uniform'"))
        tanh = f"tf.math.tanh(tf.expand_dims({q}, -2) + tf.expand_dims({k}, -3))"
        scores = f"tf.reduce_sum({scale + ' * ' if use_scale else ''}{tanh}, axis=-1)"
    else:
        if use_scale:
            weights.append(Weight("scale", (), "'ones'"))
        if mode == "dot":
            scores = f"tf.matmul({q}, {k}, transpose_b=True)"
            if use_scale:
                scores = f"{scores} * {scale}"
        else:
            weights.append(Weight("concat_score_weight", (), "'ones'"))
            summed = f"tf.expand_dims({q}, -2) + tf.expand_dims({k}, -3)"
            if use_scale:
                summed = f"{scale} * ({summed})"
            scores = f"{ctx.w('concat_score_weight')} * tf.reduce_sum(tf.math.tanh({summed}), axis=-1)"
    probs = ctx.tmp("weights")
    lines.append(f"{probs} = tf.nn.softmax({scores}, axis=-1)")
    if dropout > 0:
        seed = ctx.src.get("seed", "None")
        seed_kw = "" if seed == "None" else f", seed={seed}"
        if dropout >= 1:
            lines += [f"if {ctx.training}:", f"    {probs} = tf.zeros_like({probs})"]
        else:
            lines += [f"if {ctx.training}:", f"    {probs} = tf.nn.dropout({probs}, rate={float(dropout)!r}{seed_kw})"]
    lines.append(ctx.assign(f"tf.matmul({probs}, {v})"))
    sq = ctx.in_shapes[0] if ctx.inputs is not None else None
    sv = ctx.in_shapes[1] if ctx.inputs is not None else None
    out = None
    if sq is not None and sv is not None:
        out = tuple(d if isinstance(d, int) else None for d in (*sq[:-1], sv[-1]))
    return Emitted(weights, lines, out)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _calls(node: ast.AST | None, ctx: MatchCtx, *names: str) -> bool:
    return isinstance(node, ast.Call) and ctx.names.call(node) in names


def _input(node: ast.AST | None, ctx: MatchCtx) -> bool:
    return node is not None and ctx.tensor(node) and ctx.var(node) is None


def _times_var(node: ast.AST | None, ctx: MatchCtx) -> tuple[ast.AST | None, Var | None]:
    """``v * rest`` / ``rest * v`` with ``v`` a variable -> (rest, v); anything else -> (node, None)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = ctx.var(node.left), ctx.var(node.right)
        if left is not None and right is None:
            return node.right, left
        if right is not None and left is None:
            return node.left, right
    return node, None


def _expanded(node: ast.AST | None, axis: int, ctx: MatchCtx) -> ast.expr | None:
    """``tf.expand_dims(t, axis)`` -> t."""
    if _calls(node, ctx, "tf.expand_dims") and only_args(node, ["input", "axis"]) and const(kwarg(node, "axis", 1)) == axis:  # type: ignore[arg-type]
        return kwarg(node, "input", 0)  # type: ignore[arg-type]
    return None


def _tanh_of_pair(node: ast.AST | None, ctx: MatchCtx, scaled: bool) -> tuple[ast.expr, ast.expr, Var | None] | None:
    """``tf.math.tanh([scale * ](tf.expand_dims(q, -2) + tf.expand_dims(k, -3)))`` -> (q, k, scale)."""
    if not (_calls(node, ctx, "tf.math.tanh") and len(node.args) == 1 and not node.keywords):  # type: ignore[union-attr]
        return None
    inner, scale = _times_var(node.args[0], ctx) if scaled else (node.args[0], None)  # type: ignore[union-attr]
    if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Add)):
        return None
    q, k = _expanded(inner.left, -2, ctx), _expanded(inner.right, -3, ctx)
    if q is None or k is None:
        return None
    return q, k, scale


def _sum_last(node: ast.AST | None, ctx: MatchCtx) -> ast.AST | None:
    """``tf.reduce_sum(t, axis=-1)`` -> t."""
    if not (_calls(node, ctx, "tf.reduce_sum", "tf.math.reduce_sum") and only_args(node, ["input_tensor", "axis", "keepdims"])):  # type: ignore[arg-type]
        return None
    keep = kwarg(node, "keepdims", 2)  # type: ignore[arg-type]
    if const(kwarg(node, "axis", 1)) != -1 or (keep is not None and const(keep) is not False):  # type: ignore[arg-type]
        return None
    return kwarg(node, "input_tensor", 0)  # type: ignore[arg-type]


def _ones_scalar(v: Var, ctx: MatchCtx) -> bool:
    """Attention's ``scale`` / ``concat_score_weight``: a trainable scalar starting at 1."""
    if not v.trainable:
        return False
    if v.shape == () and initializer_source(v, ctx.names, ctx.st) == "'ones'":
        return True
    init = v.init
    if _calls(init, ctx, "tf.constant") and only_args(init, ["value", "dtype"]):  # type: ignore[arg-type]
        init = kwarg(init, "value", 0)  # type: ignore[arg-type]
    return v.shape is None and const(init) == 1 and not isinstance(const(init), bool)


def _per_feature(v: Var, ctx: MatchCtx) -> bool:
    """AdditiveAttention's ``scale``: one trainable weight per feature, glorot_uniform."""
    return v.trainable is True and v.shape is not None and len(v.shape) == 1 and initializer_matches_default(v, "'glorot_uniform'", ctx.st)


def _follow(node: ast.AST | None, ctx: MatchCtx, absorbed: list[ast.stmt] | None) -> ast.AST | None:
    """A name computed by a single-use statement -> its expression (the statement goes to
    ``absorbed``); names are not followed when ``absorbed`` is None."""
    if absorbed is None or not isinstance(node, ast.Name):
        return node
    return resolved(node, ctx, absorbed)


def _scores(node: ast.AST | None, ctx: MatchCtx, absorbed: list[ast.stmt] | None) -> tuple[LayerSpec, ast.expr, ast.expr] | None:
    """The layer whose scores ``node`` computes, and its query and key (the scores, and the
    product before a scale, may come from single-use statements)."""
    rest, outer = _times_var(_follow(node, ctx, absorbed), ctx)
    if outer is not None:
        rest = _follow(rest, ctx, absorbed)
    if _calls(rest, ctx, "tf.linalg.matmul") and only_args(rest, ["a", "b", "transpose_a", "transpose_b"]):  # type: ignore[arg-type]
        ta, tb = kwarg(rest, "transpose_a", 2), kwarg(rest, "transpose_b", 3)  # type: ignore[arg-type]
        q, k = kwarg(rest, "a", 0), kwarg(rest, "b", 1)  # type: ignore[arg-type]
        if q is None or k is None or const(tb) is not True or (ta is not None and const(ta) is not False):
            return None
        if outer is not None and not _ones_scalar(outer, ctx):
            return None
        return LayerSpec("Attention", {"use_scale": "True"} if outer else {}, {"scale": outer} if outer else {}), q, k
    summed = _sum_last(rest, ctx)
    if summed is None:
        return None
    if outer is not None:  # concat: concat_score_weight * sum(tanh([scale * ](q + k)))
        got = _tanh_of_pair(summed, ctx, scaled=True)
        if got is None or not _ones_scalar(outer, ctx) or (got[2] is not None and not _ones_scalar(got[2], ctx)):
            return None
        q, k, scale = got
        spec = LayerSpec("Attention", {"score_mode": "'concat'"}, {"concat_score_weight": outer})
        if scale is not None:
            spec.args = {"use_scale": "True", "score_mode": "'concat'"}
            spec.weights = {"scale": scale, "concat_score_weight": outer}
        return spec, q, k
    inner, scale = _times_var(summed, ctx)  # additive: sum([scale * ]tanh(q + k))
    got = _tanh_of_pair(inner, ctx, scaled=False)
    if got is None or (scale is not None and not _per_feature(scale, ctx)):
        return None
    q, k, _ = got
    return LayerSpec("AdditiveAttention", {} if scale is not None else {"use_scale": "False"},
                     {"scale": scale} if scale is not None else {}), q, k


def _applied(probs: ast.AST | None, v: ast.expr, node: ast.AST, ctx: MatchCtx, weights: ast.expr | None,
             absorbed: list[ast.stmt], follow: bool = True) -> Match | None:
    """``tf.matmul(probs, v)`` with ``probs = tf.nn.softmax(scores, axis=-1)``."""
    if not (_calls(probs, ctx, "tf.nn.softmax") and only_args(probs, ["logits", "axis"])):  # type: ignore[arg-type]
        return None
    axis = kwarg(probs, "axis", 1)  # type: ignore[arg-type]
    if axis is not None and const(axis) != -1:
        return None
    got = _scores(kwarg(probs, "logits", 0), ctx, absorbed if follow else None)  # type: ignore[arg-type]
    if got is None:
        return None
    spec, q, k = got
    inputs = [q, v] if same(k, v) else [q, v, k]
    if not all(_input(x, ctx) for x in inputs):
        return None
    hints: dict[str, str] = {}
    if isinstance(weights, ast.Name) and weights.id.endswith("_weights"):
        hints["prefix"] = weights.id[: -len("_weights")]  # to-tf's <prefix>_weights
    return Match(spec, node, inputs, list_input=True, absorbed=absorbed, hints=hints)


def match_attention(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.matmul(tf.nn.softmax(scores, axis=-1), v)`` -> Attention / AdditiveAttention."""
    if not (_calls(node, ctx, "tf.linalg.matmul") and len(node.args) == 2 and not node.keywords):  # type: ignore[attr-defined]
        return None
    weights, v = node.args  # type: ignore[attr-defined]
    absorbed: list[ast.stmt] = []
    return _applied(resolved(weights, ctx, absorbed), v, node, ctx, weights, absorbed)


def _assign_to(stmt: ast.stmt) -> str | None:
    got = assigned(stmt)
    return got[0] if got else None


def attention_dropout(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """``w = tf.nn.softmax(scores, axis=-1)``, ``if training: w = tf.nn.dropout(w, rate=r)``
    (``tf.zeros_like(w)`` for a rate of 1), ``out = tf.matmul(w, v)``: Attention(dropout=r)."""
    if i < 2 or ctx.training is None:
        return None
    first, cond, last = stmts[i - 2 : i + 1]
    w, out = _assign_to(first), _assign_to(last)
    if w is None or out is None or not (isinstance(cond, ast.If) and isinstance(cond.test, ast.Name)
                                        and cond.test.id == ctx.training and len(cond.body) == 1 and not cond.orelse):
        return None
    call = last.value  # type: ignore[attr-defined]
    if not (_calls(call, ctx, "tf.linalg.matmul") and len(call.args) == 2 and not call.keywords and is_name(call.args[0], w)):
        return None
    drop = cond.body[0]
    value = drop.value if _assign_to(drop) == w else None  # type: ignore[attr-defined]
    if _calls(value, ctx, "tf.zeros_like") and len(value.args) == 1 and not value.keywords and is_name(value.args[0], w):  # type: ignore[union-attr]
        args = {"dropout": "1.0"}
    else:
        d = dropout_call(value, ctx) if value is not None else None
        if d is None or d.spec.cls != "Dropout" or "noise_shape" in d.spec.args or not is_name(d.inputs[0], w):
            return None
        args = {"dropout": d.spec.args["rate"], **({"seed": d.spec.args["seed"]} if "seed" in d.spec.args else {})}
    m = _applied(first.value, call.args[1], last, ctx, call.args[0], [first, cond], follow=False)  # type: ignore[attr-defined]
    if m is None:
        return None
    m.spec.args.update(args)
    m.training = True
    return out, m

# ------------------------------------------------------------------------------ the family


def _attention_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """The query's shape with the value's features."""
    if len(ins) < 2 or any(s is None for s in ins):
        return None
    x, y = ins[0], ins[1]
    assert x is not None and y is not None
    return x[:-1] + y[-1:]


ATTENTION = LayerFamily("attention", emit=attention,
                        recognisers=(Recogniser(EXPRESSION, 500, match_attention), Recogniser(SEQUENCE, 20, attention_dropout)),
                        output_shape=_attention_shape, multi_input=True)
