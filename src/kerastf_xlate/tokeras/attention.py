"""Layers of two or three inputs written as several ops: ``Dot``, ``Attention``,
``AdditiveAttention``.

- ``Dot``: ``xlate to-tf`` writes Keras's ``batch_dot`` out (``totf/handlers/dot.py``):
  ``<prefix>_x = a`` and ``<prefix>_y = b``, the L2 normalizations, ``tf.expand_dims`` /
  ``tf.transpose`` / ``tf.reshape`` around ``tf.matmul``, the reshape back, ``tf.squeeze``. The
  sequence is recognised by rebuilding it with to-tf's own handler for every rank and axes it
  can come from and comparing statement by statement, so exactly that code becomes ``Dot``.
  An axis the code does not show (an input of rank 4 or more contracted on its last axis is
  written the same for every rank) comes back as -1, which Keras reads the same way.
- ``Attention`` / ``AdditiveAttention``: ``tf.matmul(tf.nn.softmax(scores, axis=-1), v)``,
  the softmax inline or in a single-use statement, with the scores Keras computes:
  ``tf.matmul(q, k, transpose_b=True)`` [``* scale``] (score_mode 'dot'),
  ``c * tf.reduce_sum(tf.math.tanh([scale * ](tf.expand_dims(q, -2) + tf.expand_dims(k, -3))),
  axis=-1)`` ('concat') and ``tf.reduce_sum([scale * ]tf.math.tanh(tf.expand_dims(q, -2) +
  tf.expand_dims(k, -3)), axis=-1)`` (AdditiveAttention); with a dropout of the attention
  weights under ``if training:`` it is a statement sequence (:mod:`.sequences`). The inputs
  are ``[q, v]``, or ``[q, v, k]`` when the key is not the value. A learned scale is a variable
  with Keras's shape and initial value (a scalar of ones; AdditiveAttention: one per feature,
  glorot_uniform): it becomes the layer's weight of that name.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from kerastf_xlate.layerkit.recognise import MatchCtx, resolved
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, Var
from kerastf_xlate.tokeras.sequences import sequence_idiom
from kerastf_xlate.tokeras.stateless import dropout_call
from kerastf_xlate.syntax import assigned, const, is_name, kwarg, only_args, same
from kerastf_xlate.layerkit.recognise import initializer_matches_default, initializer_source

# ------------------------------------------------------------------------------ Attention


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
    return v.trainable and v.shape is not None and len(v.shape) == 1 and initializer_matches_default(v, "'glorot_uniform'", ctx.st)


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


def attention(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.matmul(tf.nn.softmax(scores, axis=-1), v)`` -> Attention / AdditiveAttention."""
    if not (_calls(node, ctx, "tf.linalg.matmul") and len(node.args) == 2 and not node.keywords):  # type: ignore[union-attr]
        return None
    weights, v = node.args  # type: ignore[union-attr]
    absorbed: list[ast.stmt] = []
    return _applied(resolved(weights, ctx, absorbed), v, node, ctx, weights, absorbed)


def _assign_to(stmt: ast.stmt) -> str | None:
    got = assigned(stmt)
    return got[0] if got else None


@sequence_idiom
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


# ------------------------------------------------------------------------------ Dot

_MAX_RANK = 6  # Dot inputs up to this rank are recognised
_MAX_STATEMENTS = 16  # the longest sequence to-tf writes for one Dot


@lru_cache(maxsize=4096)
def _dump_line(line: str) -> str:
    try:
        body = ast.parse(line).body
    except SyntaxError:
        return ""
    return ast.dump(body[0]) if len(body) == 1 else ""


def _dot_forms(ctx: MatchCtx, prefix: str, a: str, b: str, out: str, got: list[str]) -> list[tuple[int, int, int, int, bool]]:
    """Every (x rank, y rank, x axis, y axis, normalize) for which to-tf writes exactly ``got``."""
    from kerastf_xlate.layers.dot import dot
    from kerastf_xlate.layerkit.emit import EmitCtx as HandlerCtx, Unsupported

    rule = ctx.rules.get("Dot")
    if rule is None:
        return []
    found = []
    for xr in range(2, _MAX_RANK + 1):
        for yr in range(2, _MAX_RANK + 1):
            for a0 in range(1, xr):
                for a1 in range(1, yr):
                    for normalize in (False, True):
                        hctx = HandlerCtx(rule, {"axes": (a0, a1), "normalize": normalize}, {}, prefix, [a, b], f"[{a}, {b}]",
                                          [(None,) * xr, (None,) * yr], out)
                        try:
                            lines = dot(hctx).lines
                        except Unsupported:
                            continue
                        if len(lines) == len(got) and all(_dump_line(ln) == g for ln, g in zip(lines, got)):
                            found.append((xr, yr, a0, a1, normalize))
    return found


def _axis(values: set[tuple[int, int]]) -> int | None:
    """One axis for every (rank, axis) that fits: the axis, or -1 when it is always the last."""
    axes = {a for _, a in values}
    if len(axes) == 1:
        return axes.pop()
    if all(a == r - 1 for r, a in values):
        return -1
    return None


@sequence_idiom
def dot_sequence(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """What to-tf writes for ``Dot(axes, normalize)([a, b])``, ending at ``stmts[i]``."""
    out = _assign_to(stmts[i])
    if out is None:
        return None
    for j in range(max(i - _MAX_STATEMENTS + 1, 0), i - 1):  # the longest sequence first
        xn, yn = _assign_to(stmts[j]), _assign_to(stmts[j + 1])
        if xn is None or yn is None or not xn.endswith("_x") or yn != xn[:-2] + "_y":
            continue
        a, b = stmts[j].value, stmts[j + 1].value  # type: ignore[attr-defined]
        reads = {n.id for n in ast.walk(a) if isinstance(n, ast.Name)} | {n.id for n in ast.walk(b) if isinstance(n, ast.Name)}
        if not (_input(a, ctx) and _input(b, ctx)) or xn in reads or yn in reads:
            continue
        forms = _dot_forms(ctx, xn[:-2], ctx.st.seg(a), ctx.st.seg(b), out, [ast.dump(s) for s in stmts[j : i + 1]])
        if not forms or len({f[4] for f in forms}) != 1:
            continue
        a0, a1 = _axis({(f[0], f[2]) for f in forms}), _axis({(f[1], f[3]) for f in forms})
        if a0 is None or a1 is None:
            continue
        args = {"axes": repr(a0) if a0 == a1 else repr((a0, a1))}
        if forms[0][4]:
            args["normalize"] = "True"
        return out, Match(LayerSpec("Dot", args), stmts[i], [a, b], list_input=True, absorbed=stmts[j:i], hints={"prefix": xn[:-2]})
    return None
