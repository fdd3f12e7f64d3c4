"""Reshape -> tf.reshape keeping the batch axis."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported


@handler("reshape")
def reshape(ctx: EmitCtx) -> Emitted:
    target = ctx.value("target_shape")
    if not isinstance(target, (tuple, list)) or not all(isinstance(d, int) for d in target):
        raise Unsupported("target_shape must be a tuple of ints")
    dims = ", ".join(str(d) for d in target)
    line = ctx.assign(f"tf.reshape({ctx.x}, [tf.shape({ctx.x})[0], {dims}])")
    shape = ctx.shape
    out = None
    if -1 not in target:
        out = ((shape[0] if shape else None),) + tuple(target)
    elif shape is not None and all(isinstance(d, int) for d in shape[1:]):
        total = 1
        for d in shape[1:]:
            total *= d  # type: ignore[operator]
        known = 1
        for d in target:
            if d != -1:
                known *= d
        out = (shape[0],) + tuple(total // known if d == -1 else d for d in target)
    return Emitted([], [line], out)
