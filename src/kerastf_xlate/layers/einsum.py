"""EinsumDense -> tf.einsum(equation, x, kernel) (+ bias, activation).

Kernel and bias shapes follow ``_analyze_einsum_string`` of
``keras/src/layers/core/einsum_dense.py`` line by line, including its ellipsis handling, and
the kernel initializer gets the fan axes Keras gives a VarianceScaling initializer.
"""

from __future__ import annotations

import re

from kerastf_xlate.layers import activation_lines, handler
from kerastf_xlate.initializers import with_fan_axes
from kerastf_xlate.layerkit.emit import EmitCtx, Dim, DimT, Emitted, Unsupported, Weight


def analyze(equation: str, bias_axes: str | None, input_shape: tuple, output_shape: object):  # type: ignore[no-untyped-def,type-arg]
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


def _analyze_split(split, bias_axes, input_shape, output_shape, left_elided=False):  # type: ignore[no-untyped-def]
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


@handler("einsum_dense")
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
