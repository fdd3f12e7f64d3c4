"""Weighted layers that ``xlate to-tf`` writes with more than one op, and the same ops written
by hand:

- ``tf.nn.conv1d_transpose`` / ``conv2d_transpose`` / ``conv3d_transpose`` /
  ``conv_transpose`` whose ``output_shape`` is the one Keras computes (Conv1D/2D/3DTranspose);
- ``tf.squeeze(tf.nn.depthwise_conv2d(tf.expand_dims(x, 1), tf.expand_dims(k, 0), ...), [1])``
  (DepthwiseConv1D) and the same around ``tf.nn.separable_conv2d`` (SeparableConv1D);
- ``tf.einsum(equation, x, kernel)``, with a bias of the output's rank added (EinsumDense):
  ``output_shape`` and ``bias_axes`` are worked out from the kernel's and the bias's shapes.

:func:`extra_core` is called by :mod:`.weighted` with the other bare weighted ops, so a bias
(``tf.nn.bias_add``, ``+ b``) and an activation fold into these layers as into ``Conv2D``.
The EinsumDense bias is matched here (it need not be 1-D); the generic bias matcher skips
layers without a ``use_bias`` argument. The rest of the module gives the shape code
(:mod:`.shapes`, :mod:`.graph_inputs`, :mod:`.graph`) what these layers need.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.layerkit.recognise import MatchCtx, data_format_ok, init_arg, padding_of, resolved, spatial, tuple_src
from kerastf_xlate.layerkit.recognise import VarDim, LayerSpec, Match, Var
from kerastf_xlate.tokeras.shapes import Fact, Shape, Unbuildable
from kerastf_xlate.tokeras.shapes import _val as _literal
from kerastf_xlate.syntax import const, is_int, kwarg, only_args, same
from kerastf_xlate.layerkit.recognise import _SCALING
from kerastf_xlate.tokeras.weighted import _set_conv_args

# ------------------------------------------------------------------------------ transposed convolutions

_TRANSPOSE = {"tf.nn.conv1d_transpose": 1, "tf.nn.conv2d_transpose": 2, "tf.nn.conv3d_transpose": 3, "tf.nn.conv_transpose": 0}
_TRANSPOSE_PARAMS = ["input", "filters", "output_shape", "strides", "padding", "data_format", "dilations", "name"]


def _conv_transpose(node: ast.Call, q: str, ctx: MatchCtx) -> Match | None:
    """``tf.nn.conv2d_transpose(x, k, output_shape, strides, padding, dilations=...)``, kernel
    ``[*kernel_size, filters, in]`` (Keras's layout is TensorFlow's)."""
    if not only_args(node, _TRANSPOSE_PARAMS):
        return None
    x, var = kwarg(node, "input", 0), ctx.var(kwarg(node, "filters", 1))
    if x is None or var is None or var.shape is None or len(var.shape) not in (3, 4, 5):
        return None
    rank = len(var.shape) - 2
    if _TRANSPOSE[q] not in (0, rank) or kwarg(node, "strides", 3) is None:
        return None
    strides = spatial(kwarg(node, "strides", 3), rank)
    dil = spatial(kwarg(node, "dilations", 6), rank)
    pad = padding_of(kwarg(node, "padding", 4), "SAME")  # the ops' default
    if strides is None or dil is None or pad is None or not data_format_ok(kwarg(node, "data_format", 5)):
        return None
    kernel = tuple(d.value for d in var.shape[:rank])
    if not all(is_int(k) and k > 0 for k in kernel) or (max(strides) > 1 and max(dil) > 1):
        return None  # Keras rejects strides > 1 together with dilation_rate > 1
    sizes = _input_sizes(kwarg(node, "output_shape", 2), x, var, kernel, strides, dil, pad, ctx)  # type: ignore[arg-type]
    if sizes is None:
        return None
    spec = LayerSpec(f"Conv{rank}DTranspose", {"filters": var.shape[-2].src, "kernel_size": tuple_src(kernel)},  # type: ignore[arg-type]
                     {"kernel": var})
    _set_conv_args(spec, strides, pad, dil, rank)
    spec.args["use_bias"] = "False"
    init_arg(spec, "kernel_initializer", var, ctx)
    return Match(spec, node, [x], foldable=True, hints={"in_sizes": sizes})


def _input_sizes(shape: ast.expr | None, x: ast.expr, var: Var, kernel: tuple[int, ...], strides: tuple[int, ...],
                 dil: tuple[int, ...], pad: str, ctx: MatchCtx) -> tuple[int | None, ...] | None:
    """The input's spatial sizes an ``output_shape`` implies (None where it reads them from
    ``tf.shape(x)``), or None when it is not the shape Keras computes (``output_padding=None``).

    Keras: ``n * s`` ('same'), ``(n - 1) * s + max(k_eff, s)`` ('valid'). A literal size is
    enough: TensorFlow checks at run time that the input is the one it implies, so the layer
    computes that same size from the input."""
    if isinstance(shape, ast.Call) and ctx.names.call(shape) == "tf.stack" and only_args(shape, ["values", "axis", "name"]):
        axis = kwarg(shape, "axis", 1)
        shape = kwarg(shape, "values", 0) if axis is None or const(axis) == 0 else None
    rank = len(kernel)
    if not isinstance(shape, (ast.List, ast.Tuple)) or len(shape.elts) != rank + 2:
        return None
    first, *mid, last = shape.elts
    if not _dim_of(first, x, 0, ctx) or not _same_size(last, var, -2, ctx):
        return None
    out: list[int | None] = []
    for i, e in enumerate(mid):
        s = strides[i]
        offset = 0 if pad == "same" else max((kernel[i] - 1) * dil[i] + 1, s) - s  # size = n * s + offset
        v = const(e)
        if is_int(v):
            if (v - offset) % s or (v - offset) // s < 1:
                return None
            out.append((v - offset) // s)
        elif _affine(e, x, 1 + i, ctx) == (s, offset):
            out.append(None)
        else:
            return None
    return tuple(out)


def _same_size(node: ast.expr, var: Var, axis: int, ctx: MatchCtx) -> bool:
    """``node`` is the size of ``var``'s axis ``axis`` (< 0): the same literal, the same
    source as in its shape, or ``var.shape[axis]``."""
    assert var.shape is not None
    dim, v = var.shape[axis], const(node)
    if (dim.value is not None and is_int(v) and v == dim.value) or ctx.st.seg(node) == dim.src:
        return True
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
            and ctx.var(node.value.value) is var and const(node.slice) in (axis, axis + len(var.shape)))


def _dim_of(node: ast.AST, x: ast.expr, axis: int, ctx: MatchCtx) -> bool:
    """``tf.shape(x)[axis]`` or ``x.shape[axis]`` for the op's own input ``x``."""
    if not (isinstance(node, ast.Subscript) and const(node.slice) == axis and is_int(const(node.slice))):
        return False
    v = node.value
    if isinstance(v, ast.Call) and ctx.names.call(v) == "tf.shape" and len(v.args) == 1 and not v.keywords:
        return same(v.args[0], x)
    return isinstance(v, ast.Attribute) and v.attr == "shape" and same(v.value, x)


def _affine(node: ast.AST, x: ast.expr, axis: int, ctx: MatchCtx, depth: int = 0) -> tuple[int, int] | None:
    """``(a, b)`` when ``node`` computes ``a * n + b`` from ``n = tf.shape(x)[axis]`` with
    integer ``+``, ``-`` and ``*``; None otherwise."""
    v = const(node)
    if is_int(v):
        return 0, v
    if _dim_of(node, x, axis, ctx):
        return 1, 0
    if depth > 20 or not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult))):
        return None
    left, right = _affine(node.left, x, axis, ctx, depth + 1), _affine(node.right, x, axis, ctx, depth + 1)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return left[0] + right[0], left[1] + right[1]
    if isinstance(node.op, ast.Sub):
        return left[0] - right[0], left[1] - right[1]
    if left[0] and right[0]:
        return None  # n * n is not an output size
    return left[0] * right[1] + right[0] * left[1], left[1] * right[1]


# ------------------------------------------------------------------------------ 1-D depthwise / separable

_CONV2D_OPS = {
    "tf.nn.depthwise_conv2d": ["input", "filter", "strides", "padding", "data_format", "dilations", "name"],
    "tf.nn.separable_conv2d": ["input", "depthwise_filter", "pointwise_filter", "strides", "padding", "data_format", "dilations", "name"],
}


def _conv1d_as_2d(node: ast.Call, ctx: MatchCtx) -> Match | None:
    """``tf.squeeze(<2-D depthwise or separable conv of tf.expand_dims(x, 1) with kernels
    tf.expand_dims(k, 0)>, [1])``: how Keras's TensorFlow backend runs the 1-D layers."""
    if not only_args(node, ["input", "axis", "name"]) or const(kwarg(node, "axis", 1)) not in (1, [1], (1,)):
        return None
    inner = kwarg(node, "input", 0)
    q = ctx.names.call(inner) if isinstance(inner, ast.Call) else None
    if q not in _CONV2D_OPS or not only_args(inner, _CONV2D_OPS[q]):  # type: ignore[arg-type]
        return None
    assert isinstance(inner, ast.Call) and q is not None
    params = _CONV2D_OPS[q]
    n = len(params) - 6  # number of kernels
    x = _unit_axis(kwarg(inner, "input", 0), 1, ctx)
    kernels = [ctx.var(_unit_axis(kwarg(inner, p, 1 + i), 0, ctx)) for i, p in enumerate(params[1:1 + n])]
    if x is None or any(k is None or k.shape is None or len(k.shape) != 3 for k in kernels):
        return None
    strides = spatial(kwarg(inner, "strides", 1 + n), 2)
    dil = spatial(kwarg(inner, "dilations", 4 + n), 2)
    pad = padding_of(kwarg(inner, "padding", 2 + n), "")
    dw = kernels[0]
    assert dw is not None and dw.shape is not None
    size = dw.shape[0].value
    # the unit axis makes the first stride and dilation irrelevant; TensorFlow wants equal strides
    if strides is None or dil is None or pad is None or strides[0] != strides[1] or dil[0] not in (1, dil[1]):
        return None
    if not is_int(size) or size < 1 or (strides[1] > 1 and dil[1] > 1) or not data_format_ok(kwarg(inner, "data_format", 3 + n)):
        return None
    if q == "tf.nn.depthwise_conv2d":
        spec = LayerSpec("DepthwiseConv1D", {"kernel_size": repr(size)}, {"kernel": dw})
    else:
        pw = kernels[1]
        assert pw is not None and pw.shape is not None
        if pw.shape[0].value != 1:
            return None
        spec = LayerSpec("SeparableConv1D", {"filters": pw.shape[2].src, "kernel_size": repr(size)},
                         {"depthwise_kernel": dw, "pointwise_kernel": pw})
    _set_conv_args(spec, strides[1:], pad, dil[1:], 1)
    spec.args["depth_multiplier"] = dw.shape[2].src
    spec.args["use_bias"] = "False"
    init_arg(spec, "depthwise_initializer", dw, ctx)
    if "pointwise_kernel" in spec.weights:
        init_arg(spec, "pointwise_initializer", spec.weights["pointwise_kernel"], ctx)
    return Match(spec, node, [x], foldable=True)


def _unit_axis(node: ast.expr | None, axis: int, ctx: MatchCtx) -> ast.expr | None:
    """``e`` from ``tf.expand_dims(e, axis)``, or from ``e[None]`` (axis 0) / ``e[:, None]``
    (axis 1), ``tf.newaxis`` for None too."""
    if isinstance(node, ast.Call) and ctx.names.call(node) == "tf.expand_dims" and only_args(node, ["input", "axis", "name"]):
        if const(kwarg(node, "axis", 1)) == axis and is_int(const(kwarg(node, "axis", 1))):
            return kwarg(node, "input", 0)
        return None
    if isinstance(node, ast.Subscript):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        full = all(isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None for e in elts[:axis])
        new = elts[axis] if len(elts) == axis + 1 else None
        if full and new is not None and ((isinstance(new, ast.Constant) and new.value is None) or ctx.names.qual(new) == "tf.newaxis"):
            return node.value
    return None


# ------------------------------------------------------------------------------ EinsumDense

@dataclass(frozen=True)
class Equation:
    """An EinsumDense equation, split as Keras's ``_analyze_einsum_string`` does."""

    input: str
    weight: str
    output: str
    ellipsis: str  # "" | "left" (``...ab``) | "right" (``ab...``)

    @property
    def sized(self) -> str:
        """The output letters ``output_shape`` gives sizes to: all of them after a leading
        ellipsis (which holds the batch axis), else all but the first (the batch axis)."""
        return self.output if self.ellipsis == "left" else self.output[1:]

    def input_axis(self, char: str) -> int:
        i = self.input.index(char)
        return i - len(self.input) if self.ellipsis == "left" else i


def split_equation(equation: Any) -> Equation | None:
    """The three forms Keras accepts (``ab,bc->ac``, ``...b,bc->...c``, ``ab...,bc->ac...``),
    each letter at most once per operand (a repeated letter is a diagonal, not a layer)."""
    if not isinstance(equation, str):
        return None
    dots = equation.replace("...", "0")
    for pattern, kind in ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", ""), (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", "left"),
                          (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", "right")):
        m = re.fullmatch(pattern, dots)
        if m is None:
            continue
        e = Equation(m.group(1), m.group(2), m.group(3), kind)
        if any(len(set(s)) != len(s) for s in (e.input, e.weight, e.output)):
            return None
        if any(c not in e.input and c not in e.weight for c in e.output) or any(c not in e.input and c not in e.output for c in e.weight):
            return None  # Keras rejects letters that come from nowhere
        if kind != "left" and (e.input[0] in e.weight or e.output[0] in e.weight):
            return None  # the batch axis cannot be a kernel axis
        return e
    return None


def _einsum(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.einsum(eq, x, kernel)``, alone or with a bias added (``+ b``, ``b +``,
    ``tf.add``, ``tf.nn.bias_add``)."""
    pairs: list[tuple[ast.expr, ast.expr]] = []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pairs = [(node.left, node.right), (node.right, node.left)]
    elif isinstance(node, ast.Call) and ctx.names.call(node) == "tf.math.add" and len(node.args) == 2 and not node.keywords:
        pairs = [(node.args[0], node.args[1]), (node.args[1], node.args[0])]
    elif isinstance(node, ast.Call) and ctx.names.call(node) == "tf.nn.bias_add" and only_args(node, ["value", "bias", "data_format", "name"]) \
            and data_format_ok(kwarg(node, "data_format", 2)):
        v, b = kwarg(node, "value", 0), kwarg(node, "bias", 1)
        bias = ctx.var(b)
        if v is not None and bias is not None and bias.shape is not None and len(bias.shape) == 1:
            pairs = [(v, b)]  # type: ignore[list-item]
    for core, b in pairs:
        bias = ctx.var(b)
        if bias is None:
            continue
        absorbed: list[ast.stmt] = []
        m = _einsum_call(resolved(core, ctx, absorbed), ctx, bias)
        if m is not None:
            m.node = node
            m.absorbed = absorbed
            return m
    return _einsum_call(node, ctx, None)


def _einsum_call(node: ast.AST, ctx: MatchCtx, bias: Var | None) -> Match | None:
    if not (isinstance(node, ast.Call) and ctx.names.call(node) in ("tf.einsum", "tf.linalg.einsum")):
        return None
    if node.keywords or len(node.args) != 3 or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    eq_node, x, w = node.args
    eq, kernel = split_equation(const(eq_node)), ctx.var(w)
    if eq is None or kernel is None or kernel.shape is None or len(kernel.shape) != len(eq.weight):
        return None
    sizes = _einsum_sizes(eq, kernel, bias)
    if sizes is None:
        return None
    entries, bias_axes = sizes
    eq_src = ctx.st.seg(eq_node) if isinstance(eq_node, ast.Constant) else repr(const(eq_node))
    spec = LayerSpec("EinsumDense", {"equation": eq_src, "output_shape": _shape_src(entries)}, {"kernel": kernel})
    _einsum_kernel_init(spec, kernel, eq, ctx)
    if bias is not None:
        spec.weights["bias"] = bias
        spec.args["bias_axes"] = repr(bias_axes)
        init_arg(spec, "bias_initializer", bias, ctx)
    return Match(spec, node, [x], foldable=True, hints={"einsum": eq, "entries": entries})


def _einsum_sizes(eq: Equation, kernel: Var, bias: Var | None) -> tuple[list[str | None], str] | None:
    """``output_shape`` (one source per letter of ``eq.sized``; None for a size Keras takes
    from the input) and ``bias_axes`` for which Keras builds this kernel and this bias.

    Keras's bias has the sizes of the bias axes and 1 elsewhere, from the first bias axis to
    the end of the output: so the bias's first axis is a bias axis, and a 1 after it is a
    broadcast axis (or a bias axis of size 1: the same weight)."""
    assert kernel.shape is not None
    sizes: dict[str, VarDim | None] = {c: kernel.shape[eq.weight.index(c)] if c in eq.weight else None for c in eq.sized}
    axes = ""
    if bias is not None:
        shape = bias.shape
        if shape is None or not shape or len(shape) > len(eq.output) or eq.ellipsis == "right":
            return None  # after a trailing ellipsis Keras pads the bias with the input's rank
        for j, (c, d) in enumerate(zip(eq.output[len(eq.output) - len(shape):], shape)):
            if c not in eq.sized:
                return None  # the batch axis
            known = sizes[c]
            if known is not None and (d.src == known.src or (d.value is not None and d.value == known.value)):
                if j == 0 or d.value != 1:
                    axes += c
            elif d.value == 1 and j > 0:
                continue
            elif known is None and d.value != 1:
                axes += c
                sizes[c] = d  # an input axis: the bias gives its size
            else:
                return None
    return [None if sizes[c] is None else sizes[c].src for c in eq.sized], axes  # type: ignore[union-attr]


def _shape_src(entries: list[str | None]) -> str:
    srcs = ["None" if s is None else s for s in entries]
    if len(srcs) == 1 and entries[0] is not None:
        return srcs[0]
    return "(" + ", ".join(srcs) + ("," if len(srcs) == 1 else "") + ")"


def _fan_axes(eq: Equation) -> tuple[list[int], list[int]]:
    """The kernel's input and output axes, as EinsumDense gives them to its initializer."""
    out = [i for i, c in enumerate(eq.weight) if c in eq.output]
    return [i for i, c in enumerate(eq.weight) if c not in eq.output], out


def _einsum_kernel_init(spec: LayerSpec, var: Var, eq: Equation, ctx: MatchCtx) -> None:
    """to-tf writes a VarianceScaling kernel initializer of EinsumDense as
    ``_variance_scaling_axes(shape, scale, mode, dist, input_axes, output_axes)`` with the
    fan axes the layer computes: the initializer is then the one without axes."""
    init = var.init
    if isinstance(init, ast.Call) and isinstance(init.func, ast.Name) and init.func.id == "_variance_scaling_axes" \
            and len(init.args) == 6 and not init.keywords:
        scale, mode, dist, ins, outs = (const(a) for a in init.args[1:])
        if isinstance(scale, (int, float)) and (ins, outs) == tuple(_fan_axes(eq)) and dist in ("uniform", "normal"):
            named = _SCALING.get((float(scale), mode, dist))
            if named == "glorot_uniform":
                return  # the default
            spec.args["kernel_initializer"] = repr(named) if named else (
                f"{ctx.keras}.initializers.VarianceScaling(scale={float(scale)!r}, mode={mode!r}, "
                f"distribution={'uniform' if dist == 'uniform' else 'truncated_normal'!r})")
            return
    init_arg(spec, "kernel_initializer", var, ctx)


# ------------------------------------------------------------------------------ entry points

def extra_core(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """A transposed convolution, a 1-D depthwise / separable convolution, or an EinsumDense."""
    q = ctx.names.call(node) if isinstance(node, ast.Call) else None
    if q in _TRANSPOSE:
        return _conv_transpose(node, q, ctx)  # type: ignore[arg-type]
    if q == "tf.squeeze":
        return _conv1d_as_2d(node, ctx)  # type: ignore[arg-type]
    return _einsum(node, ctx)


def einsum_out_shape(args: dict[str, str], x: Shape) -> Shape | None:
    """EinsumDense's output shape on input ``x`` (None when the arguments are not literals);
    Unbuildable when Keras cannot build the kernel on it."""
    eq = split_equation(_literal(args.get("equation")))
    given = _literal(args.get("output_shape"))
    given = (given,) if is_int(given) else given
    if eq is None or not isinstance(given, tuple) or len(given) != len(eq.sized):
        return None
    rank = len(x)
    if rank < len(eq.input) + (1 if eq.ellipsis == "left" else 0) or (not eq.ellipsis and rank != len(eq.input)):
        raise Unbuildable("EinsumDense")
    if any(x[eq.input_axis(c)] is None for c in eq.weight if c not in eq.output):
        raise Unbuildable("EinsumDense")  # the kernel's input sizes come from the input
    sizes = dict(zip(eq.sized, given))
    out = tuple(x[eq.input_axis(c)] if sizes[c] is None and c in eq.input else sizes[c] for c in eq.sized)
    if eq.ellipsis == "left":
        return x[: rank - len(eq.input)] + out
    return (x[0],) + out + (x[len(eq.input):] if eq.ellipsis == "right" else ())


def extra_facts(app: int, m: Match) -> list[Fact]:
    """What a transposed convolution or an EinsumDense shows about its input: the kernel's
    input sizes, the spatial sizes a literal ``output_shape`` implies, an equation's rank."""
    facts: list[Fact] = []
    kernel = m.spec.weights.get("kernel")
    if kernel is None or kernel.shape is None:
        return facts

    def fact(d: VarDim, axis: int) -> None:
        if kernel.lazy is not None or d.from_input:  # type: ignore[union-attr]
            facts.append(Fact(app, "lazy", axis))
        elif d.value is not None:
            facts.append(Fact(app, "dim", axis, d.value))

    if m.spec.cls.endswith("DTranspose"):
        fact(kernel.shape[-1], -1)
        facts += [Fact(app, "dim", 1 + i, n) for i, n in enumerate(m.hints.get("in_sizes", ())) if n is not None]
    elif m.spec.cls == "EinsumDense" and isinstance(m.hints.get("einsum"), Equation):
        eq: Equation = m.hints["einsum"]
        for c in eq.weight:
            if c in eq.input:
                fact(kernel.shape[eq.weight.index(c)], eq.input_axis(c))
        if not eq.ellipsis:
            facts.append(Fact(app, "rank", value=len(eq.input)))
    return facts


def refine_output_shapes(apps: list[Any], propagate: Any, shapes: list[Shape | None] | None) -> None:
    """Give each EinsumDense the input sizes its ``output_shape`` leaves to the input (None)
    when the model's ``keras.Input`` shows them, as the Keras layer was written."""
    einsums = [(i, a.match) for i, a in enumerate(apps) if a.match is not None and "entries" in a.match.hints]
    if not einsums:
        return
    seen: list[Shape | None] = []
    if shapes and all(isinstance(s, tuple) and s and s[0] != "src" for s in shapes):
        try:
            seen = propagate(shapes)
        except Unbuildable:
            seen = []
    for i, m in einsums:
        eq: Equation = m.hints["einsum"]
        x = seen[i] if i < len(seen) else None
        entries = list(m.hints["entries"])
        for k, c in enumerate(eq.sized):
            if entries[k] is None and c in eq.input and x is not None and -len(x) <= eq.input_axis(c) < len(x):
                v = x[eq.input_axis(c)]
                entries[k] = str(v) if is_int(v) else None
        m.spec.args["output_shape"] = _shape_src(entries)


def einsum_hint(spec: LayerSpec) -> dict[str, Any]:
    """For verify: the input's rank (as the number of axes between batch and last) and its
    last size, where the equation and the kernel show them."""
    eq = split_equation(_literal(spec.args.get("equation")))
    kernel = spec.weights.get("kernel")
    hint: dict[str, Any] = {}
    if eq is None or kernel is None or kernel.shape is None:
        return hint
    if not eq.ellipsis and len(eq.input) > 2:
        hint["rank"] = len(eq.input) - 2
    if eq.ellipsis != "right" and eq.input[-1] in eq.weight:
        hint["last"] = kernel.shape[eq.weight.index(eq.input[-1])].value
    return hint
