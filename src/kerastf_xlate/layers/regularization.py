"""Dropout and SpatialDropout1D/2D/3D -> tf.nn.dropout, active only when training."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported


@handler("dropout")
def dropout(ctx: EmitCtx) -> Emitted:
    rate = ctx.arg("rate")
    x = ctx.x
    layer = ctx.rule.layer
    noise = ""
    if layer.startswith("SpatialDropout"):
        rank = int(layer[-2])
        # one draw per (sample, channel): the spatial axes share it
        noise = f", noise_shape=[tf.shape({x})[0]" + ", 1" * rank + f", tf.shape({x})[-1]]"
    elif "noise_shape" in ctx.src and ctx.src["noise_shape"] != "None":
        ns = ctx.value("noise_shape")
        noise = ", noise_shape=[" + ", ".join(f"tf.shape({x})[{i}]" if d is None else repr(d) for i, d in enumerate(ns)) + "]"
    seed = ctx.src.get("seed", "None")
    seed_kw = f", seed={seed}" if seed != "None" else ""
    if ctx.is_literal("rate") and not isinstance(ctx.value("rate"), (int, float)):
        raise Unsupported("rate must be a number")
    lines = [
        f"if {ctx.training}:",
        f"    {ctx.out} = tf.nn.dropout({x}, rate={rate}{noise}{seed_kw})",
    ]
    if ctx.out != x:
        lines += ["else:", f"    {ctx.out} = {x}"]
    return Emitted([], lines, ctx.shape)
