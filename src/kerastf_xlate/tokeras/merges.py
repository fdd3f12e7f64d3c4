"""The merge that ``xlate to-tf`` writes for inputs whose ranks it does not know to be equal.

``totf/handlers/merging.py`` :func:`broadcast_lines` writes Keras's ``Merge.call`` out (expand
every input at axis 1 to the largest rank, then combine them left to right). The sequence is
recognised by rebuilding it from its first statement (``<prefix>_xs = list([a, b])``) and the
last one, and comparing statement by statement, so exactly that code -- and nothing that
merely looks like it -- becomes ``Add`` / ``Subtract`` / ``Multiply`` / ``Average`` /
``Maximum`` / ``Minimum``.
"""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.recognise import MatchCtx
from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.tokeras.sequences import sequence_idiom
from kerastf_xlate.layers.merging import broadcast_lines

_LAYERS = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def _dump(stmts: list[ast.stmt]) -> list[str]:
    return [ast.dump(s) for s in stmts]


@sequence_idiom
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
