"""Keras initializers reproduced with TensorFlow ops.

Fan-based initializers (Glorot, He, LeCun, variance scaling) need a little code; it is
written once per output file as private helper functions, only those the file uses.
Formulas follow ``keras/src/initializers/random_initializers.py``.
"""

from __future__ import annotations

import ast
from typing import Any

from kerastf_xlate.static import Unsupported

_FANS = '''def _fans(shape):
    """Keras's fan-in / fan-out: the receptive field multiplies the last two axes."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive
'''

# name -> (helper source, depends on _fans)
_HELPERS: dict[str, str] = {
    "_variance_scaling": '''def _variance_scaling(shape, scale, mode, distribution):
    """keras.initializers.VarianceScaling (glorot_*, he_*, lecun_* are special cases)."""
    shape = [int(d) for d in shape]
    fan_in, fan_out = _fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        limit = (3.0 * variance) ** 0.5
        return tf.random.uniform(shape, -limit, limit)
    stddev = variance**0.5 / 0.87962566103423978  # truncated normal of Keras
    return tf.random.truncated_normal(shape, 0.0, stddev)
''',
    "_variance_scaling_axes": '''def _variance_scaling_axes(shape, scale, mode, distribution, input_axes=None, output_axes=None):
    """keras.initializers.VarianceScaling with explicit fan axes (EinsumDense kernels) or
    distribution="untruncated_normal"."""
    shape = [int(d) for d in shape]
    if input_axes is not None and output_axes is not None:
        fan_in = 1
        for axis in input_axes:
            fan_in *= shape[axis]
        fan_out = 1
        for axis in output_axes:
            fan_out *= shape[axis]
    else:
        fan_in, fan_out = _fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        limit = (3.0 * variance) ** 0.5
        return tf.random.uniform(shape, -limit, limit)
    if distribution == "untruncated_normal":
        return tf.random.normal(shape, 0.0, variance**0.5)
    stddev = variance**0.5 / 0.87962566103423978  # truncated normal of Keras
    return tf.random.truncated_normal(shape, 0.0, stddev)
''',
}

VARIANCE_SCALING = {  # Keras's named VarianceScaling initializers: (scale, mode, distribution)
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "normal"),
}
VARIANCE_SCALING_NAMES = {args: name for name, args in VARIANCE_SCALING.items()}  # (scale, mode, distribution) -> name

_ALIASES = {
    "GlorotUniform": "glorot_uniform", "GlorotNormal": "glorot_normal", "HeUniform": "he_uniform",
    "HeNormal": "he_normal", "LecunUniform": "lecun_uniform", "LecunNormal": "lecun_normal",
    "Zeros": "zeros", "Ones": "ones", "RandomUniform": "random_uniform", "RandomNormal": "random_normal",
    "TruncatedNormal": "truncated_normal", "Constant": "constant", "uniform": "random_uniform",
    "normal": "random_normal",
}


# positional parameters of the initializer classes (their __init__ order, seed excluded)
_POSITIONAL = {
    "constant": ("value",),
    "random_uniform": ("minval", "maxval"),
    "random_normal": ("mean", "stddev"),
    "truncated_normal": ("mean", "stddev"),
    "VarianceScaling": ("scale", "mode", "distribution"),
}


def helpers_source(names: set[str]) -> str:
    """The helper functions a file needs, in a fixed order."""
    if not names:
        return ""
    parts = [_FANS]
    for name in sorted(names):
        parts.append(_HELPERS[name])
    return "\n\n".join(parts)


HELPER_NAMES = ("_fans",) + tuple(_HELPERS)


def _kwargs(call: ast.Call) -> dict[str, Any]:
    out = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise Unsupported("initializer with **kwargs")
        out[kw.arg] = ast.literal_eval(kw.value)
    return out


def init_expr(init: str, shape: str, dtype_float: bool = True, needs: set[str] | None = None) -> str:
    """Source that creates the initial value of ``shape`` (source) for a Keras initializer.

    ``init`` is a Keras initializer name ('zeros'), or the Python source of an initializer
    object (``keras.initializers.RandomNormal(stddev=0.02)``) or of a constant expression.
    ``needs`` collects the helper functions the expression calls.
    """
    needs = needs if needs is not None else set()
    name = init
    kwargs: dict[str, Any] = {}
    try:
        node = ast.parse(init, mode="eval").body
    except SyntaxError:
        raise Unsupported(f"initializer {init!r}") from None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        try:
            kwargs = _kwargs(node)
            pos = [ast.literal_eval(a) for a in node.args]
        except (ValueError, SyntaxError):
            raise Unsupported(f"initializer {init} with non-literal arguments") from None
        if pos:
            params = _POSITIONAL.get(_ALIASES.get(name, name), ())
            if len(pos) > len(params):
                raise Unsupported(f"initializer {init} with positional arguments")
            for param, value in zip(params, pos):
                kwargs.setdefault(param, value)
        kwargs.pop("seed", None)
    elif isinstance(node, (ast.Name, ast.Attribute)):
        name = node.attr if isinstance(node, ast.Attribute) else node.id
    else:
        raise Unsupported(f"initializer {init}")
    name = _ALIASES.get(name, name)
    if name == "zeros":
        return f"tf.zeros({shape})"
    if name == "ones":
        return f"tf.ones({shape})"
    if name == "constant":
        return f"tf.fill({shape}, {float(kwargs.get('value', 0.0))!r})"
    if name == "random_uniform":
        lo, hi = kwargs.get("minval", -0.05), kwargs.get("maxval", 0.05)
        return f"tf.random.uniform({shape}, {lo!r}, {hi!r})"
    if name == "random_normal":
        return f"tf.random.normal({shape}, {kwargs.get('mean', 0.0)!r}, {kwargs.get('stddev', 0.05)!r})"
    if name == "truncated_normal":
        return f"tf.random.truncated_normal({shape}, {kwargs.get('mean', 0.0)!r}, {kwargs.get('stddev', 0.05)!r})"
    if name in VARIANCE_SCALING or name == "VarianceScaling":
        if name == "VarianceScaling":
            scale, mode, dist = kwargs.get("scale", 1.0), kwargs.get("mode", "fan_in"), kwargs.get("distribution", "truncated_normal")
            dist = str(dist).lower()
            if dist not in ("uniform", "normal", "truncated_normal", "untruncated_normal"):
                raise Unsupported(f"initializer {init} (distribution {dist!r})")
            if dist != "untruncated_normal":
                dist = "uniform" if dist == "uniform" else "normal"  # Keras: "normal" is truncated
        else:
            scale, mode, dist = VARIANCE_SCALING[name]
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise Unsupported(f"initializer {init} (mode {mode!r})")
        in_axes, out_axes = kwargs.get("input_axes"), kwargs.get("output_axes")
        if dist == "untruncated_normal" or (in_axes is not None and out_axes is not None):
            needs.add("_variance_scaling_axes")
            axes = f", {list(in_axes)!r}, {list(out_axes)!r}" if in_axes is not None and out_axes is not None else ""
            return f"_variance_scaling_axes({shape}, {float(scale)!r}, {mode!r}, {dist!r}{axes})"
        needs.add("_variance_scaling")
        return f"_variance_scaling({shape}, {scale!r}, {mode!r}, {dist!r})"
    raise Unsupported(f"initializer {init!r} has no TensorFlow spelling here")


def with_fan_axes(init: str, input_axes: list[int], output_axes: list[int]) -> str:
    """``init`` with Keras's fan axes filled in, as ``EinsumDense.build`` does for a
    VarianceScaling-family kernel initializer that has none; other initializers unchanged."""
    try:
        node = ast.parse(init, mode="eval").body
    except SyntaxError:
        return init
    kwargs: dict[str, Any] = {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if node.args:
            return init
        try:
            kwargs = _kwargs(node)
        except (ValueError, SyntaxError, Unsupported):
            return init
    elif isinstance(node, (ast.Name, ast.Attribute)):
        name = node.attr if isinstance(node, ast.Attribute) else node.id
    else:
        return init
    name = _ALIASES.get(name, name)
    if name not in VARIANCE_SCALING and name != "VarianceScaling":
        return init
    if kwargs.get("input_axes") is not None and kwargs.get("output_axes") is not None:
        return init
    if name in VARIANCE_SCALING:
        scale, mode, dist = VARIANCE_SCALING[name]
        kwargs = {"scale": scale, "mode": mode, "distribution": dist}
    kwargs.pop("seed", None)
    kwargs["input_axes"] = list(input_axes)
    kwargs["output_axes"] = list(output_axes)
    return "VarianceScaling(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


INIT_SYMBOLS = ("tf.zeros", "tf.ones", "tf.fill", "tf.random.uniform", "tf.random.normal", "tf.random.truncated_normal")
