"""EinsumDense -> tf.einsum(equation, x, kernel) (+ bias, activation).

Kernel and bias shapes follow ``_analyze_einsum_string`` of
``keras/src/layers/core/einsum_dense.py`` line by line, including its ellipsis handling, and
the kernel initializer gets the fan axes Keras gives a VarianceScaling initializer.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.initializers import VARIANCE_SCALING_NAMES, with_fan_axes
from kerastf_xlate.layerkit.emit import (
    Dim,
    DimT,
    EmitCtx,
    Emitted,
    Unsupported,
    Weight,
    activation_lines,
)
from kerastf_xlate.layerkit.family import CORE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import (
    LayerSpec,
    Match,
    MatchCtx,
    Var,
    VarDim,
    data_format_ok,
    init_arg,
    resolved,
)
from kerastf_xlate.layerkit.shapes import (
    Fact,
    Shape,
    Unbuildable,
    first_input,
)
from kerastf_xlate.static import is_int, literal_or
from kerastf_xlate.syntax import const, kwarg, only_args


def analyze(equation: str, bias_axes: str | None, input_shape: tuple, output_shape: object):
    """(kernel_shape, bias_shape, full_output_shape, input_axes, output_axes) as Keras computes them."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    split = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dot_replaced)
    if split:
        return _analyze_split(split, bias_axes, input_shape, output_shape)
    split = re.match("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dot_replaced)
    if split:
        return _analyze_split(split, bias_axes, input_shape, output_shape, left_elided=True)
    split = re.match("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dot_replaced)
    if split:
        return _analyze_split(split, bias_axes, input_shape, output_shape)
    raise Unsupported(f"einsum equation {equation!r} (Keras rejects it)")


def _analyze_split(split, bias_axes, input_shape, output_shape, left_elided=False):
    input_spec, weight_spec, output_spec = split.group(1), split.group(2), split.group(3)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0 and not left_elided:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])
    if left_elided:
        input_dim_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: (i + elided) for i, dim in enumerate(output_spec)}
    else:
        input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i for i, dim in enumerate(output_spec)}
    try:
        for dim in input_spec:
            in_dim = input_shape[input_dim_map[dim]]
            if dim in output_dim_map:
                out_dim = output_shape[output_dim_map[dim]]
                if isinstance(out_dim, int) and isinstance(in_dim, int) and out_dim != in_dim:
                    raise Unsupported(f"input and output shapes differ at shared dimension {dim!r} (Keras rejects it)")
        for dim in output_spec:
            if dim not in input_spec and dim not in weight_spec:
                raise Unsupported(f"output dimension {dim!r} has no input or weight dimension (Keras rejects it)")
        weight_shape: list[DimT] = []
        input_axes: list[int] = []
        output_axes: list[int] = []
        for i, dim in enumerate(weight_spec):
            if dim in output_dim_map:
                weight_shape.append(output_shape[output_dim_map[dim]])
                output_axes.append(i)
            elif dim in input_dim_map:
                weight_shape.append(input_shape[input_dim_map[dim]])
                input_axes.append(i)
            else:
                raise Unsupported(f"weight dimension {dim!r} is neither an input nor an output dimension (Keras rejects it)")
        bias_shape: list[DimT] | None = None
        if bias_axes is not None:
            num_left_elided = elided if left_elided else 0
            idx_map = {char: output_shape[i + num_left_elided] for i, char in enumerate(output_spec)}
            for char in bias_axes:
                if char not in output_spec:
                    raise Unsupported(f"bias axis {char!r} is not an output dimension (Keras rejects it)")
            first = min(output_spec.find(char) for char in bias_axes)
            bias_shape = [idx_map[char] if char in bias_axes else 1 for char in output_spec[first:]]
            if not left_elided:
                bias_shape += [1] * elided
    except (IndexError, KeyError):
        raise Unsupported("the einsum equation does not match the input rank") from None
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


def einsum_dense(ctx: EmitCtx) -> Emitted:
    equation = ctx.value("equation")
    if not isinstance(equation, str):
        raise Unsupported("equation must be a string")
    partial = ctx.value("output_shape")
    if isinstance(partial, int) and not isinstance(partial, bool):
        partial = (partial,)
    if not isinstance(partial, (tuple, list)) or not all(d is None or isinstance(d, int) for d in partial):
        raise Unsupported("output_shape must be an int or a tuple of ints / None")
    bias_axes = ctx.value("bias_axes")
    if bias_axes is not None and not isinstance(bias_axes, str):
        raise Unsupported("bias_axes must be a string")
    rank = ctx.rank()
    if rank is None:
        m = re.fullmatch(r"([a-zA-Z]+),[a-zA-Z]+->[a-zA-Z]+", equation)
        if m is None:
            raise Unsupported("EinsumDense with an ellipsis needs a known input rank")
        rank = len(m.group(1))  # without an ellipsis the equation fixes the rank
    input_shape = tuple(ctx.dim(i) if i else None for i in range(rank))
    kernel_shape, bias_shape, full, in_axes, out_axes = analyze(equation, bias_axes, input_shape, tuple(partial))
    for d in list(kernel_shape) + list(bias_shape or []):
        if d is None:
            raise Unsupported("a weight dimension is None in output_shape (Keras cannot build it)")
    init = with_fan_axes(ctx.arg("kernel_initializer"), in_axes, out_axes)
    weights = [Weight("kernel", tuple(kernel_shape), init)]
    lines = [ctx.assign(f"tf.einsum({equation!r}, {ctx.x}, {ctx.w('kernel')})")]
    if bias_shape is not None:
        weights.append(Weight("bias", tuple(bias_shape), ctx.arg("bias_initializer")))
        lines.append(f"{ctx.out} = {ctx.out} + {ctx.w('bias')}")
    lines += activation_lines(ctx)
    out_shape = tuple(d if isinstance(d, int) and not isinstance(d, Dim) else None for d in full)
    return Emitted(weights, lines, out_shape)


# ------------------------------------------------------------------------------ to-keras: recognising the layer


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
            named = VARIANCE_SCALING_NAMES.get((float(scale), mode, dist))
            if named == "glorot_uniform":
                return  # the default
            spec.args["kernel_initializer"] = repr(named) if named else (
                f"{ctx.keras}.initializers.VarianceScaling(scale={float(scale)!r}, mode={mode!r}, "
                f"distribution={'uniform' if dist == 'uniform' else 'truncated_normal'!r})")
            return
    init_arg(spec, "kernel_initializer", var, ctx)


def einsum_out_shape(args: dict[str, str], x: Shape) -> Shape | None:
    """EinsumDense's output shape on input ``x`` (None when the arguments are not literals);
    Unbuildable when Keras cannot build the kernel on it."""
    eq = split_equation(literal_or(args.get("equation")))
    given = literal_or(args.get("output_shape"))
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
    """What an EinsumDense shows about its input: the kernel's input sizes, an equation's rank."""
    facts: list[Fact] = []
    kernel = m.spec.weights.get("kernel")
    if kernel is None or kernel.shape is None:
        return facts

    def fact(d: VarDim, axis: int) -> None:
        if kernel.lazy is not None or d.from_input:
            facts.append(Fact(app, "lazy", axis))
        elif d.value is not None:
            facts.append(Fact(app, "dim", axis, d.value))

    if isinstance(m.hints.get("einsum"), Equation):
        eq: Equation = m.hints["einsum"]
        for c in eq.weight:
            if c in eq.input:
                fact(kernel.shape[eq.weight.index(c)], eq.input_axis(c))
        if not eq.ellipsis:
            facts.append(Fact(app, "rank", value=len(eq.input)))
    return facts




def einsum_hint(spec: LayerSpec) -> dict[str, Any]:
    """For verify: the input's rank (as the number of axes between batch and last) and its
    last size, where the equation and the kernel show them."""
    eq = split_equation(literal_or(spec.args.get("equation")))
    kernel = spec.weights.get("kernel")
    hint: dict[str, Any] = {}
    if eq is None or kernel is None or kernel.shape is None:
        return hint
    if not eq.ellipsis and len(eq.input) > 2:
        hint["rank"] = len(eq.input) - 2
    if eq.ellipsis != "right" and eq.input[-1] in eq.weight:
        hint["last"] = kernel.shape[eq.weight.index(eq.input[-1])].value
    return hint

# ------------------------------------------------------------------------------ the family


def _einsum_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    x = first_input(ins)
    return None if x is None else einsum_out_shape(args, x)


def _refine(m: Match, x: Shape | None) -> None:
    """Give the EinsumDense the input sizes its ``output_shape`` leaves to the input (None)
    when the model's ``keras.Input`` shows them, as the Keras layer was written."""
    eq: Equation = m.hints["einsum"]
    entries = list(m.hints["entries"])
    for k, c in enumerate(eq.sized):
        if entries[k] is None and c in eq.input and x is not None and -len(x) <= eq.input_axis(c) < len(x):
            v = x[eq.input_axis(c)]
            entries[k] = str(v) if is_int(v) else None
    m.spec.args["output_shape"] = _shape_src(entries)


EINSUM_DENSE = LayerFamily("einsum_dense", emit=einsum_dense, recognisers=(Recogniser(CORE, 50, _einsum),),
                           output_shape=_einsum_shape, facts=extra_facts, input_hint=einsum_hint, refine_arguments=_refine)
