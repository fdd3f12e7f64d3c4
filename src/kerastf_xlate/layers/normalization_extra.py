"""GroupNormalization and RMSNormalization (``keras/src/layers/normalization``)."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, Weight


@handler("group_norm")
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
    variance). ``xlate to-keras`` recognises exactly these lines (``tokeras/norm_extra.py``)."""
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


@handler("rms_norm")
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
