"""BatchNormalization and LayerNormalization -> tf.nn.moments + tf.nn.batch_normalization."""

from __future__ import annotations

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, Weight
from kerastf_xlate.layerkit.family import LayerFamily
from kerastf_xlate.layerkit.recognise import Match, weight_facts
from kerastf_xlate.layerkit.shapes import (
    Fact,
    same_shape_on_channels,
)
from kerastf_xlate.static import literal


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


def _param_shape(ctx: EmitCtx, axes: list[int]) -> tuple:  # type: ignore[type-arg]
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


BATCH_NORM = LayerFamily("batch_norm", emit=batch_norm, output_shape=same_shape_on_channels, facts=_batch_norm_facts)
LAYER_NORM = LayerFamily("layer_norm", emit=layer_norm, output_shape=same_shape_on_channels, facts=_layer_norm_facts)
