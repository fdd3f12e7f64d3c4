"""Reshape -> tf.reshape keeping the batch axis."""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported, dim_src
from kerastf_xlate.layerkit.family import EXPRESSION, LayerFamily, Recogniser
from kerastf_xlate.layerkit.named import file_constants
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, MatchCtx
from kerastf_xlate.layerkit.shapes import (
    Shape,
    first_input,
)
from kerastf_xlate.static import literal_or
from kerastf_xlate.syntax import const, kwarg, only_args, same


def reshape(ctx: EmitCtx) -> Emitted:
    target = ctx.value("target_shape")
    if not isinstance(target, (tuple, list)) or not all(isinstance(d, int) for d in target):
        raise Unsupported("target_shape must be a tuple of ints")
    dims = ", ".join(dim_src(d) for d in target)  # `*TARGET` for the user's TARGET = (-1, 4)
    line = ctx.assign(f"tf.reshape({ctx.x}, [tf.shape({ctx.x})[0], {dims}])")
    shape = ctx.shape
    out = None
    if -1 not in target:
        out = ((shape[0] if shape else None),) + tuple(target)
    elif shape is not None and all(isinstance(d, int) for d in shape[1:]):
        total = 1
        for d in shape[1:]:
            total *= d
        known = 1
        for d in target:
            if d != -1:
                known *= d
        out = (shape[0],) + tuple(total // known if d == -1 else d for d in target)
    return Emitted([], [line], out)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _batch_of(node: ast.AST, x: ast.AST, ctx: MatchCtx) -> bool:
    """``tf.shape(x)[0]`` for the same ``x``."""
    return (isinstance(node, ast.Subscript) and const(node.slice) == 0 and isinstance(node.value, ast.Call)
            and ctx.names.call(node.value) == "tf.shape" and len(node.value.args) == 1 and same(node.value.args[0], x))


def _reshape(node: ast.Call, ctx: MatchCtx) -> Match | None:
    if not only_args(node, ["tensor", "shape", "name"]):
        return None
    x, shape = kwarg(node, "tensor", 0), kwarg(node, "shape", 1)
    if x is None or not isinstance(shape, (ast.List, ast.Tuple)) or len(shape.elts) < 2:
        return None
    first, rest = shape.elts[0], shape.elts[1:]
    if not (const(first) == -1 or _batch_of(first, x, ctx)):
        return None
    if len(rest) == 1 and isinstance(rest[0], ast.Starred) and isinstance(rest[0].value, ast.Name) and _batch_of(first, x, ctx):
        # ``[tf.shape(x)[0], *TARGET]``: the file's tuple constant (to-tf keeps the user's name)
        named = file_constants(ctx.names, ctx.names.body).get(rest[0].value.id)
        if named is None or sum(1 for v in named if v == -1) > 1 or any(v == 0 or v < -1 for v in named):
            return None
        return Match(LayerSpec("Reshape", {"target_shape": rest[0].value.id}), node, [x])
    if any(isinstance(e, ast.Starred) or ctx.tensor(e) for e in rest):
        return None
    values = [const(e) for e in rest]
    if sum(1 for v in values if v == -1) > (0 if const(first) == -1 else 1):
        return None
    if const(first) == -1 and not _keeps_batch(x, values, ctx):
        ctx.notes.append((node, "with -1 first it is Reshape only when the input's other sizes are known and give "
                                "the same number of elements per sample (otherwise it folds the batch axis)"))
        return None
    if len(rest) == 1 and values[0] == -1:
        return Match(LayerSpec("Flatten"), node, [x])
    target = ", ".join(ctx.st.seg(e) for e in rest)
    return Match(LayerSpec("Reshape", {"target_shape": f"({target},)" if len(rest) == 1 else f"({target})"}), node, [x])

def _keeps_batch(x: ast.AST, values: list[object], ctx: MatchCtx) -> bool:
    """``tf.reshape(x, [-1, *values])`` keeps ``x``'s batch axis: the code shows all of
    ``x``'s other sizes and they hold exactly ``prod(values)`` elements."""
    shape = ctx.shape(x)
    if shape is None or len(shape) < 2 or not all(isinstance(d, int) for d in shape[1:]):
        return False
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        return False
    have = want = 1
    for d in shape[1:]:
        have *= d  # type: ignore[operator]
    for v in values:
        want *= v  # type: ignore[operator]
    return have == want


# ------------------------------------------------------------------------------ the family


def _reshape_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    if x is None:
        return None
    target = literal_or(args.get("target_shape"))
    if not isinstance(target, tuple):
        return None
    if -1 in target:
        known = 1
        for d in target:
            if d != -1:
                known *= d
        total = 1
        for d in x[1:]:
            if d is None:
                return (x[0],) + tuple(None if d == -1 else d for d in target)
            total *= d
        return (x[0],) + tuple(total // known if d == -1 else d for d in target)
    return (x[0],) + target


def _reshaping(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.reshape(x, [-1, ...])`` (Reshape; Flatten for ``[-1, -1]``)."""
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.reshape":
        return _reshape(node, ctx)
    return None


RESHAPE = LayerFamily("reshape", emit=reshape, recognisers=(Recogniser(EXPRESSION, 402, _reshaping),), output_shape=_reshape_shape)
