"""Merging layers: Add/Subtract/Multiply/Average/Maximum/Minimum and Concatenate."""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported
from kerastf_xlate.layerkit.family import EXPRESSION, SEQUENCE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, MatchCtx
from kerastf_xlate.layerkit.shapes import (
    Shape,
    Unbuildable,
)
from kerastf_xlate.static import is_int, literal_or
from kerastf_xlate.syntax import const, kwarg, only_args

_OPS = {"Add": "tf.add", "Subtract": "tf.subtract", "Multiply": "tf.multiply", "Average": "tf.add",
        "Maximum": "tf.maximum", "Minimum": "tf.minimum"}


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
    recognises exactly these lines (:func:`broadcast_merge` below)."""
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


def _broadcast_shape(shapes: list) -> tuple | None:
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


def concatenate(ctx: EmitCtx) -> Emitted:
    axis = ctx.value("axis")
    expr = f"tf.concat({ctx.xs}, axis={axis!r})"
    out = None
    shapes = ctx.in_shapes
    if shapes and all(s is not None for s in shapes) and len({len(s) for s in shapes}) == 1:  # type: ignore[arg-type]
        rank = len(shapes[0])  # type: ignore[arg-type]
        a = axis % rank
        sizes = [s[a] for s in shapes]  # type: ignore[index]
        total = sum(sizes) if all(isinstance(v, int) for v in sizes) else None
        out = tuple(total if i == a else shapes[0][i] for i in range(rank))  # type: ignore[index]
    return Emitted([], [ctx.assign(expr)], out)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


_MERGE2 = {"tf.math.add": "Add", "tf.math.subtract": "Subtract", "tf.math.multiply": "Multiply",
           "tf.math.maximum": "Maximum", "tf.math.minimum": "Minimum"}


_STACKED = {"tf.math.reduce_prod": "Multiply", "tf.math.reduce_max": "Maximum", "tf.math.reduce_min": "Minimum"}


def _merge(node: ast.AST, q: str | None, ctx: MatchCtx) -> Match | None:
    if isinstance(node, ast.Call) and q == "tf.concat" and only_args(node, ["values", "axis", "name"]):
        vals, axis = kwarg(node, "values", 0), kwarg(node, "axis", 1)
        if axis is None or not is_int(const(axis)):
            return None
        if const(axis) == 0 and not ctx.graph:
            ctx.notes.append((node, "a concatenation along the batch axis is not a Keras layer"))
            return None
        args = {} if const(axis) == -1 else {"axis": repr(const(axis))}
        if isinstance(vals, (ast.List, ast.Tuple)) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
            return Match(LayerSpec("Concatenate", args), node, list(vals.elts), list_input=True)
        if isinstance(vals, ast.Name) and vals.id in ctx.tensors:
            return Match(LayerSpec("Concatenate", args), node, [vals])
        return None
    if isinstance(node, ast.Call) and q == "tf.math.add_n" and len(node.args) == 1 and not node.keywords:
        vals = node.args[0]
        if isinstance(vals, (ast.List, ast.Tuple)) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
            return Match(LayerSpec("Add"), node, list(vals.elts), list_input=True)
        if isinstance(vals, ast.Name) and vals.id in ctx.tensors:
            return Match(LayerSpec("Add"), node, [vals])
        return None
    if isinstance(node, ast.Call) and q in _MERGE2 and len(node.args) == 2 and not node.keywords:
        xs = _chain(node, q, ctx)
        if all(ctx.tensor(x) and ctx.var(x) is None for x in xs):
            return Match(LayerSpec(_MERGE2[q]), node, xs, list_input=True)
        return None
    if isinstance(node, ast.Call) and q in _STACKED and only_args(node, ["input_tensor", "axis"]):
        inner, axis = kwarg(node, "input_tensor", 0), const(kwarg(node, "axis", 1))
        if axis == 0 and isinstance(inner, ast.Call) and ctx.names.call(inner) == "tf.stack" and len(inner.args) == 1 and not inner.keywords:
            vals = inner.args[0]
            if isinstance(vals, (ast.List, ast.Tuple)) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
                return Match(LayerSpec(_STACKED[q]), node, list(vals.elts), list_input=True)
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.Call) \
            and ctx.names.call(node.left) == "tf.math.add_n" and len(node.left.args) == 1:
        vals = node.left.args[0]
        n = const(node.right)
        if isinstance(vals, (ast.List, ast.Tuple)) and n == len(vals.elts) and len(vals.elts) >= 2 and all(ctx.tensor(e) for e in vals.elts):
            return Match(LayerSpec("Average"), node, list(vals.elts), list_input=True)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.Call) \
            and ctx.names.call(node.left) == "tf.math.add" and len(node.left.args) == 2 and not node.left.keywords:
        xs = _chain(node.left, "tf.math.add", ctx)  # tf.add(tf.add(a, b), c) / 3, as to-tf writes Average
        if const(node.right) == len(xs) and all(ctx.tensor(x) and ctx.var(x) is None for x in xs):
            return Match(LayerSpec("Average"), node, xs, list_input=True)
    return None


def _chain(node: ast.Call, q: str, ctx: MatchCtx) -> list[ast.expr]:
    """The operands of ``op(op(a, b), c)``, left-nested as Keras's merge layers combine their
    inputs (Subtract takes two: not unnested)."""
    xs = [node.args[1]]
    cur: ast.expr = node.args[0]
    while q != "tf.math.subtract" and isinstance(cur, ast.Call) and ctx.names.call(cur) == q and len(cur.args) == 2 \
            and not cur.keywords:
        xs.append(cur.args[1])
        cur = cur.args[0]
    xs.append(cur)
    return xs[::-1]


_LAYERS = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def _dump(stmts: list[ast.stmt]) -> list[str]:
    return [ast.dump(s) for s in stmts]


def broadcast_merge(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    last = stmts[i]
    if isinstance(last, ast.For) and len(last.body) == 1 and isinstance(last.body[0], ast.Assign):
        body = last.body[0]
        if not (len(body.targets) == 1 and isinstance(body.targets[0], ast.Name)):
            return None
        out = body.targets[0].id
    elif isinstance(last, ast.Assign) and len(last.targets) == 1 and isinstance(last.targets[0], ast.Name):
        out = last.targets[0].id
    else:
        return None
    for layer in _LAYERS:
        n = 5 + (layer == "Subtract") + (layer == "Average")  # top-level statements of broadcast_lines
        first_index = i - n + 1
        if first_index < 0:
            continue
        first = stmts[first_index]
        if not (isinstance(first, ast.Assign) and len(first.targets) == 1 and isinstance(first.targets[0], ast.Name)
                and first.targets[0].id.endswith("_xs") and isinstance(first.value, ast.Call)
                and isinstance(first.value.func, ast.Name) and first.value.func.id == "list" and len(first.value.args) == 1):
            continue
        prefix = first.targets[0].id[: -len("_xs")]
        xs_node = first.value.args[0]
        if isinstance(xs_node, ast.List) and len(xs_node.elts) >= 2 and all(isinstance(e, ast.Name) for e in xs_node.elts):
            inputs, list_input = list(xs_node.elts), True
        elif isinstance(xs_node, ast.Name):
            inputs, list_input = [xs_node], False
        else:
            continue
        if layer == "Subtract" and list_input and len(inputs) != 2:
            continue
        want = broadcast_lines(layer, ctx.st.seg(xs_node), out, f"{prefix}_xs", f"{prefix}_rank", f"{prefix}_i", f"{prefix}_t")
        try:
            expected = ast.parse("\n".join(want)).body
        except SyntaxError:  # pragma: no cover - names come from parsed code
            continue
        got = stmts[first_index : i + 1]
        if _dump(got) != _dump(expected) or not all(ctx.tensor(x) for x in inputs):
            continue
        return out, Match(LayerSpec(layer), last, inputs, list_input=list_input, absorbed=got[:-1], hints={"prefix": prefix})
    return None

# ------------------------------------------------------------------------------ the family


def _merge_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    if len(ins) == 1 and cls == "Add":
        return None  # one name holding the list of inputs: their shapes are not known
    if any(s is None for s in ins):
        return None
    return ins[0]


def _concatenate_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    if len(ins) == 1 or any(s is None for s in ins):
        return None  # (one name holding the list of inputs: their shapes are not known)
    axis = literal_or(args.get("axis"), -1)
    rank = len(ins[0])  # type: ignore[arg-type]
    if any(len(s) != rank for s in ins):  # type: ignore[arg-type]
        raise Unbuildable(cls)
    a = axis % rank
    sizes = [s[a] for s in ins]  # type: ignore[index]
    total = sum(sizes) if all(isinstance(v, int) for v in sizes) else None
    return tuple(total if i == a else ins[0][i] for i in range(rank))  # type: ignore[index]


MERGE = LayerFamily("merge", emit=merge,
                    recognisers=(Recogniser(EXPRESSION, 410, lambda node, ctx: _merge(node, ctx.names.call(node), ctx)),
                                 Recogniser(SEQUENCE, 10, broadcast_merge)),
                    output_shape=_merge_shape, multi_input=True)
CONCATENATE = LayerFamily("concatenate", emit=concatenate, output_shape=_concatenate_shape, multi_input=True)
