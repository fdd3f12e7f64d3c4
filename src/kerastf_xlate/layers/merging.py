"""Merging layers: Add/Subtract/Multiply/Average/Maximum/Minimum and Concatenate."""

from __future__ import annotations

from kerastf_xlate.layers import handler
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported


_OPS = {"Add": "tf.add", "Subtract": "tf.subtract", "Multiply": "tf.multiply", "Average": "tf.add",
        "Maximum": "tf.maximum", "Minimum": "tf.minimum"}


@handler("merge")
def merge(ctx: EmitCtx) -> Emitted:
    """Keras's ``Merge.call``: inputs of different ranks are first expanded at axis 1 to the
    largest rank, then combined pairwise left to right (``ops.add(ops.add(a, b), c)``, with
    broadcasting); Average divides the sum by the number of inputs."""
    layer = ctx.rule.layer
    op = _OPS.get(layer)
    if op is None:
        raise Unsupported(layer)
    n = len(ctx.inputs) if ctx.inputs is not None else None
    if layer == "Subtract" and n not in (None, 2):
        raise Unsupported("Subtract takes exactly two inputs")
    shapes = ctx.in_shapes
    ranks = {len(s) for s in shapes if s is not None}
    same_rank = n is not None and all(s is not None for s in shapes) and len(ranks) == 1
    lines: list[str] = []
    if n is not None and same_rank:
        items = [ctx.item(i) for i in range(n)]
        expr = items[0]
        for t in items[1:]:
            expr = f"{op}({expr}, {t})"
        if layer == "Average":
            expr = f"{expr} / {n}"
        lines.append(ctx.assign(expr))
    else:
        lines += broadcast_lines(layer, ctx.xs, ctx.out, ctx.tmp("xs"), ctx.tmp("rank"), ctx.tmp("i"), ctx.tmp("t"))
    return Emitted([], lines, _broadcast_shape(shapes) if same_rank else None)


def broadcast_lines(layer: str, xs_src: str, out: str, xs: str, rank: str, i: str, t: str) -> list[str]:
    """The merge of inputs whose ranks are not known to be equal, as ``Merge.call`` does it:
    expand at axis 1 to the largest rank, then combine left to right. ``xlate to-keras``
    recognises exactly these lines (``tokeras/merges.py``)."""
    op = _OPS[layer]
    lines = [
        f"{xs} = list({xs_src})",
        f"{rank} = max(len({t}.shape) for {t} in {xs})",
        f"for {i}, {t} in enumerate({xs}):",
        f"    while len({t}.shape) < {rank}:",
        f"        {t} = tf.expand_dims({t}, 1)",
        f"    {xs}[{i}] = {t}",
    ]
    if layer == "Subtract":
        lines.append(f"if len({xs}) != 2:")
        lines.append('    raise ValueError("A `Subtract` layer should be called on exactly 2 inputs")')
    lines.append(f"{out} = {xs}[0]")
    lines.append(f"for {t} in {xs}[1:]:")
    lines.append(f"    {out} = {op}({out}, {t})")
    if layer == "Average":
        lines.append(f"{out} = {out} / len({xs})")
    return lines


def _broadcast_shape(shapes: list) -> tuple | None:  # type: ignore[type-arg]
    """Keras's ``_compute_elemwise_op_output_shape`` over equal-rank shapes (batch first)."""
    out = list(shapes[0])
    for s in shapes[1:]:
        for k, (a, b) in enumerate(zip(out, s)):
            if a == 1:
                out[k] = b
            elif b == 1 or a == b:
                continue
            elif isinstance(a, int) and isinstance(b, int):
                raise Unsupported(f"inputs of incompatible shapes {shapes}")
            else:
                out[k] = None
    return tuple(out)


@handler("concatenate")
def concatenate(ctx: EmitCtx) -> Emitted:
    axis = ctx.value("axis")
    expr = f"tf.concat({ctx.xs}, axis={axis!r})"
    out = None
    shapes = ctx.in_shapes
    if shapes and all(s is not None for s in shapes) and len({len(s) for s in shapes}) == 1:  # type: ignore[arg-type]
        rank = len(shapes[0])  # type: ignore[arg-type]
        a = axis % rank
        sizes = [s[a] for s in shapes]  # type: ignore[index]
        total = sum(sizes) if all(isinstance(v, int) for v in sizes) else None  # type: ignore[arg-type]
        out = tuple(total if i == a else shapes[0][i] for i in range(rank))  # type: ignore[index]
    return Emitted([], [ctx.assign(expr)], out)
