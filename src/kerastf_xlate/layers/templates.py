"""The rules whose counterpart is a ``call`` template (Identity, Softmax, ELU, LeakyReLU,
UnitNormalization, Rescaling, ActivityRegularization, Lambda, Flatten, RepeatVector,
Permute): the template filled in (to-tf), their output shapes, and the TensorFlow they are
recognised from (to-keras: ``tf.transpose`` -> Permute, ``tf.tile`` -> RepeatVector,
``tf.math.l2_normalize`` -> UnitNormalization, ``x * scale + offset`` -> Rescaling, an applied
``lambda`` -> Lambda; the activations are recognised by :mod:`.core`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted
from kerastf_xlate.layerkit.family import EXPRESSION, LayerFamily, Recogniser, calling
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    ints,
)
from kerastf_xlate.layerkit.shapes import (
    Shape,
    Unbuildable,
    first_input,
)
from kerastf_xlate.static import UNKNOWN, is_int, literal_or
from kerastf_xlate.syntax import const, kwarg, only_args

# ------------------------------------------------------------------------------ to-tf: the template


_PH = re.compile(r"\{(\w+)\}")


def template_handler(ctx: EmitCtx) -> Emitted:
    """Fill a rule's ``call`` template: {x}, {x0}.., {xs}, {argname}."""
    template = ctx.rule.call or ""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "x":
            return ctx.x
        if key == "xs":
            return ctx.xs
        if re.fullmatch(r"x\d+", key):
            return ctx.item(int(key[1:]))
        return _operand(ctx.src[key], template, m)

    expr = _PH.sub(sub, template)
    return Emitted(lines=[ctx.assign(expr)], out_shape=_template_shape(ctx))


_OPERATORS = set("*+-/%@&|^<>~")


def operand(src: str) -> str:
    """An argument's source as an operand of a binary operator: parenthesized unless it is
    an atom (a name, a literal, a call, an attribute, a subscript, a display, ``-1.0``)."""
    try:
        node = ast.parse(src.strip(), mode="eval").body
    except SyntaxError:
        return f"({src})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return src  # binds tighter than any binary operator a template uses but **
    atoms = (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Tuple,
             ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return src if isinstance(node, atoms) else f"({src})"


def _operand(src: str, template: str, m: re.Match[str]) -> str:
    """An argument's source where the template applies an operator to it, parenthesized
    unless it is an atom: ``{x} * {scale}`` with ``scale=1.0 / 255`` is ``x * (1.0 / 255)``
    (``x * 1.0 / 255`` divides the tensor, and ``scale=1.0 - 0.5`` would read ``x * 1.0 - 0.5``)."""
    before, after = template[:m.start()].rstrip(), template[m.end():].lstrip()
    if not ((before and before[-1] in _OPERATORS) or (after and after[0] in _OPERATORS)):
        return src
    return operand(src)


_SAME_SHAPE = {"Identity", "Softmax", "ELU", "LeakyReLU", "UnitNormalization", "Rescaling", "ActivityRegularization"}


def template_output_shape(cls: str, value: Callable[[str], Any], ins: list[Shape | None]) -> Shape | None:
    """The output shape of a template layer, for both directions: ``value(name)`` is an
    argument's literal value (anything else when it is not one); None when the shape is not
    known statically, :class:`Unbuildable` where Keras could not build the layer on that input."""
    x = first_input(ins)
    if x is None or cls == "Lambda":
        return None
    if cls in _SAME_SHAPE:
        return x
    if cls == "Flatten":
        total = 1
        for d in x[1:]:
            if not is_int(d):
                return (x[0], None)
            total *= d
        return (x[0], total)
    if cls == "Permute":
        dims = value("dims")
        if not isinstance(dims, (tuple, list)) or len(dims) != len(x) - 1:
            raise Unbuildable(cls)
        return (x[0],) + tuple(x[d] for d in dims)
    if cls == "RepeatVector":
        if len(x) != 2:
            raise Unbuildable(cls)
        n = value("n")
        return (x[0], n if is_int(n) else None, x[1])
    return None


def _template_shape(ctx: EmitCtx) -> Shape | None:
    """to-tf: the static output shape (None when unknown)."""
    try:
        return template_output_shape(ctx.rule.layer, lambda name: ctx.values.get(name, UNKNOWN), ctx.in_shapes)
    except Unbuildable:
        return None


# ------------------------------------------------------------------------------ to-keras: recognising the layer


def _transpose(node: ast.Call, ctx: MatchCtx) -> Match | None:
    if not only_args(node, ["a", "perm", "conjugate", "name"]) or kwarg(node, "conjugate", 2) is not None:
        return None
    x, perm = kwarg(node, "a", 0), kwarg(node, "perm", 1)
    if isinstance(perm, ast.List) and len(perm.elts) == 2 and const(perm.elts[0]) == 0 and isinstance(perm.elts[1], ast.Starred):
        dims = const(perm.elts[1].value)  # to-tf writes [0, *(2, 1)]
    else:
        p = ints(perm)
        dims = tuple(p[1:]) if p and p[0] == 0 and len(p) >= 2 else None
    if x is None or not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(dims) + 1)):
        return None
    return Match(LayerSpec("Permute", {"dims": repr(tuple(dims))}), node, [x])


def _tile(node: ast.Call, ctx: MatchCtx) -> Match | None:
    """``tf.tile(tf.expand_dims(x, 1), [1, n, 1])`` (RepeatVector)."""
    if len(node.args) != 2 or node.keywords:
        return None
    inner, reps = node.args
    if not (isinstance(inner, ast.Call) and ctx.names.call(inner) == "tf.expand_dims" and len(inner.args) == 2 and const(inner.args[1]) == 1):
        return None
    if not (isinstance(reps, ast.List) and len(reps.elts) == 3 and const(reps.elts[0]) == 1 and const(reps.elts[2]) == 1):
        return None
    return Match(LayerSpec("RepeatVector", {"n": ctx.st.seg(reps.elts[1])}), node, [inner.args[0]])


def _rescaling(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``x * scale + offset`` as to-tf writes Rescaling (graph code only)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    left = node.left
    base = left
    while isinstance(base, ast.BinOp) and isinstance(base.op, (ast.Mult, ast.Div)):
        base = base.left
    if not (isinstance(left, ast.BinOp) and isinstance(left.op, (ast.Mult, ast.Div)) and isinstance(base, ast.Name)):
        return None
    if not ctx.tensor(base) or ctx.tensor(node.right) or any(ctx.tensor(n) for n in _right_chain(left)):
        return None
    if left.left is base and isinstance(left.op, ast.Mult):  # x * scale, x * (1.0 / 255)
        return Match(LayerSpec("Rescaling", {"scale": ctx.st.seg(left.right), "offset": ctx.st.seg(node.right)}), node, [base])
    full = ctx.st.seg(left)  # x * 1.0 / 255: the chain after `x *` (to-tf's spelling before 2026-12-03)
    scale = full[len(base.id):].lstrip()
    if not scale.startswith("*"):
        return None
    return Match(LayerSpec("Rescaling", {"scale": scale[1:].strip(), "offset": ctx.st.seg(node.right)}), node, [base])


def _right_chain(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    while isinstance(node, ast.BinOp):
        out.append(node.right)
        node = node.left
    return out

# ------------------------------------------------------------------------------ the family


def _keras_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """to-keras: the output shape of a recovered template layer (its arguments are source)."""
    return template_output_shape(cls, lambda name: literal_or(args.get(name)), ins)


def _unit_normalization(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.math.l2_normalize(x, axis)`` (UnitNormalization)."""
    if not (isinstance(node, ast.Call) and ctx.names.call(node) == "tf.math.l2_normalize"
            and only_args(node, ["x", "axis", "epsilon", "name"]) and kwarg(node, "epsilon", 2) is None):
        return None
    axis = kwarg(node, "axis", 1)
    v = const(axis) if axis is not None else None
    if axis is not None and v is UNKNOWN:
        return None
    args = {} if v in (None, -1) else {"axis": repr(v)}
    return Match(LayerSpec("UnitNormalization", args), node, [kwarg(node, "x", 0)])  # type: ignore[list-item]


def _lambda(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """An applied ``lambda`` in to-tf's code (Lambda)."""
    if ctx.graph and isinstance(node, ast.Call) and isinstance(node.func, ast.Lambda) and len(node.args) == 1 and not node.keywords:
        return Match(LayerSpec("Lambda", {"function": ctx.st.seg(node.func)}), node, [node.args[0]])
    return None


TEMPLATE = LayerFamily(
    "template", emit=template_handler,
    recognisers=(Recogniser(EXPRESSION, 405, calling("tf.transpose", _transpose)),
                 Recogniser(EXPRESSION, 406, calling("tf.tile", _tile)),
                 Recogniser(EXPRESSION, 407, _unit_normalization),
                 Recogniser(EXPRESSION, 450, _lambda),
                 Recogniser(EXPRESSION, 451, lambda node, ctx: _rescaling(node, ctx) if ctx.graph else None)),
    output_shape=_keras_shape,
    object_names=(("LeakyReLU", "leaky_relu"), ("ELU", "elu")),
)
