"""Attention (Luong, 'dot' or 'concat' scores) and AdditiveAttention (Bahdanau) over
[query, value] or [query, value, key] (``keras/src/layers/attention``). Masks and the
call options (return_attention_scores, use_causal_mask) are not translated: the engine
keeps such calls as Keras."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Dim, Emitted, Unsupported, Weight


@handler("attention")
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
