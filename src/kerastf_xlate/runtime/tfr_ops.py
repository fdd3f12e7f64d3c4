"""Keras's ``keras.ops`` functions in TensorFlow, where no single TensorFlow call is exact.

``xlate to-tf`` writes a ``keras.ops`` call as a plain TensorFlow call when the table
(``rules/keras_api/ops.toml``) can show that call exact for the arguments given; otherwise it
calls the helper of the same name here (``ops.mean`` -> ``_ops_mean``), which takes Keras's
signature and reproduces what Keras 3 computes on its TensorFlow backend for every input:

- dtypes: Keras promotes mixed operands on a JAX-like lattice where Python numbers are
  weakly typed (``int32 tensor + 1.5`` is float32; TensorFlow raises), turns integer inputs
  of float functions into float32 (``mean``, ``sqrt``, ``exp``...), and widens small
  integers in sums;
- shapes: ``shape`` returns a tuple (Python ints where static, scalar tensors where not),
  ``axis=None`` flattens where NumPy does;
- names: ``argmax`` returns int32, ``expand_dims`` takes several axes, ``split`` takes
  indices, ``take`` wraps negative indices...

The configuration Keras reads at run time is fixed to its defaults: ``floatx()`` is
float32, ``epsilon()`` 1e-7, ``image_data_format()`` channels_last.
"""

import builtins
import math

import numpy as np
import tensorflow as tf
from tfr_base import _STATE, epsilon, floatx, image_data_format
from tfr_dtype import _reset_dtype_policy
from tfr_random import _random_global_state, _random_seed

_FLOATX = "float32"
_EPSILON = 1e-7

# --- dtypes: Keras's promotion lattice (the JAX one; "int"/"float" are Python's weak types) --

_PROMOTES_TO = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("uint16", "int16"),
    "uint16": ("uint32", "int32"),
    "uint32": ("uint64", "int64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _ops_above(dtype):
    """Every dtype ``dtype`` promotes to, itself included."""
    seen, todo = {dtype}, [dtype]
    while todo:
        for up in _PROMOTES_TO[todo.pop()]:
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def _ops_join(dtypes):
    """The least dtype every one of ``dtypes`` promotes to."""
    common = set.intersection(*[_ops_above(d) for d in dtypes])
    least = [c for c in common if common <= _ops_above(c)]
    if len(least) != 1:
        raise ValueError(f"no implicit dtype promotion for {sorted(set(dtypes))}")
    return least[0]


def _ops_standardize_dtype(dtype):
    """``keras.backend.standardize_dtype``: a dtype (tf.DType, str, Python type) as its name."""
    if dtype is None:
        return _FLOATX
    if dtype is bool:
        return "bool"
    if dtype is int or (isinstance(dtype, str) and dtype == "int"):
        return "int64"
    if dtype is float:
        return "float32"
    if dtype is str:
        return "string"
    if dtype is complex:
        return "complex128"
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
    if name not in _PROMOTES_TO or name in ("int", "float"):
        raise ValueError(f"Invalid dtype: {dtype}")
    return name


def _ops_result_type(*dtypes):
    """``keras.backend.result_type``: ``int``/``float`` (the Python types) are weak."""
    if not dtypes:
        return _FLOATX
    nodes, weak = [], []
    for d in dtypes:
        if d is None:
            d = _FLOATX
        is_weak = d is int or d is float
        nodes.append(_ops_standardize_dtype(d))
        weak.append(is_weak)
    if len(nodes) == 1:
        out, out_weak = nodes[0], weak[0]
    elif len(set(nodes)) == 1 and not builtins.all(weak):
        out, out_weak = nodes[0], False
    elif builtins.all(weak):
        out, out_weak = _ops_join(set(nodes)), True
    else:
        as_weak = [_ops_weak_kind(n) if w else n for n, w in zip(nodes, weak)]
        out = _ops_join(set(as_weak))
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        # a weak result takes floatx's precision: "int" -> int32, "float" -> float32
        out = {"b": "bool", "i": "int32", "u": "uint32"}.get(out[0], "float32")
    return {"uint64": "uint32", "complex128": "complex64"}.get(out, out)


def _ops_weak_kind(dtype):
    if dtype == "bool":
        return "bool"
    if "float" in dtype:
        return "float"
    if "int" in dtype:
        return "int"
    raise ValueError(f"Invalid dtype: {dtype}")


def _ops_dtype_name(x):
    """The Keras dtype of a value as Keras's ops see it (Python scalars by their type)."""
    if isinstance(x, (bool, int, float)):
        return type(x)
    return x.dtype.name if hasattr(x.dtype, "name") else str(x.dtype)


def _ops_tensor(x, dtype=None):
    """Keras's ``convert_to_tensor``: Python values to ``dtype`` (ints via a cast), tensors cast."""
    if dtype is not None:
        dtype = _ops_standardize_dtype(dtype)
    if not tf.is_tensor(x):
        if dtype == "bool" or (dtype is not None and "int" in dtype):
            return tf.cast(tf.convert_to_tensor(x), dtype)
        return tf.convert_to_tensor(x, dtype=dtype)
    if dtype is not None and x.dtype.name != dtype:
        return tf.cast(x, dtype)
    return x


def _ops_promote(*values, extra=()):
    """Operands as tensors of Keras's common dtype (Python numbers weakly typed)."""
    values = [v if isinstance(v, (int, float)) else _ops_tensor(v) for v in values]
    dtype = _ops_result_type(*[_ops_dtype_name(v) for v in values], *extra)
    return [_ops_tensor(v, dtype) for v in values]


def _ops_float(x):
    """An integer or bool input of a float function becomes float32, as in Keras."""
    x = _ops_tensor(x)
    if x.dtype.is_floating or x.dtype.is_complex:
        return x
    return tf.cast(x, _FLOATX)


def _ops_axis(axis):
    """An axis argument as TensorFlow takes it (tuples become lists)."""
    return list(axis) if isinstance(axis, tuple) else axis


# --- core --------------------------------------------------------------------------------


def _ops_shape(x):
    """``keras.ops.shape``: a tuple, Python ints where the size is static, scalars elsewhere."""
    x = _ops_tensor(x)
    static = x.shape.as_list()
    if builtins.all(d is not None for d in static):
        return tuple(static)
    dynamic = tf.shape(x)
    return tuple(dynamic[i] if d is None else d for i, d in enumerate(static))


def _ops_cast(x, dtype):
    return tf.cast(x, _ops_standardize_dtype(dtype))


def _ops_convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    if isinstance(x, tf.SparseTensor) and sparse is False:
        x = tf.sparse.to_dense(x)
    if isinstance(x, tf.RaggedTensor) and ragged is False:
        x = x.to_tensor()
    return _ops_tensor(x, dtype)


def _ops_dtype(x):
    return _ops_standardize_dtype(_ops_tensor(x).dtype)


def _ops_slice_update(inputs, start_indices, updates):
    """``keras.ops.slice_update``: start indices are clamped so that the update fits (XLA's
    dynamic_update_slice)."""
    inputs = _ops_tensor(inputs)
    updates = _ops_tensor(updates)
    shape = tf.shape(inputs)
    size = tf.shape(updates)
    start = tf.clip_by_value(tf.cast(tf.stack(start_indices) if isinstance(start_indices, (list, tuple))
                                     else start_indices, tf.int32), 0, shape - size)
    paddings = tf.stack([start, shape - size - start], axis=1)
    inside = tf.pad(tf.ones_like(updates, dtype=tf.bool), paddings)
    return tf.where(inside, tf.pad(updates, paddings), inputs)


def _ops_scatter_update(inputs, indices, updates, reduction=None):
    inputs = _ops_tensor(inputs)
    indices = _ops_tensor(indices)
    updates = _ops_tensor(updates, inputs.dtype)
    if reduction is None:
        return tf.tensor_scatter_nd_update(inputs, indices, updates)
    if reduction == "add":
        return tf.tensor_scatter_nd_add(inputs, indices, updates)
    if reduction == "max":
        return tf.tensor_scatter_nd_max(inputs, indices, updates)
    if reduction == "min":
        return tf.tensor_scatter_nd_min(inputs, indices, updates)
    if reduction == "mul":
        result = inputs
        for i in range(indices.shape[0]):
            idx = indices[i:i + 1]
            result = tf.tensor_scatter_nd_update(result, idx, tf.gather_nd(result, idx) * updates[i:i + 1])
        return result
    raise ValueError(f"Unsupported reduction: {reduction}")


def _ops_cond(pred, true_fn, false_fn):
    """``keras.ops.cond``: a Python or constant predicate picks its branch directly."""
    if isinstance(pred, tf.Variable):
        return tf.cond(pred, true_fn, false_fn)
    if isinstance(pred, (bool, int)):
        return true_fn() if pred else false_fn()
    static = tf.get_static_value(pred)
    if static is not None:
        return true_fn() if bool(static) else false_fn()
    return tf.cond(pred, true_fn, false_fn)


def _ops_while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``keras.ops.while_loop``: ``loop_vars`` a tuple/list or one value; ``body`` returns alike."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)

    def step(*args):
        out = body(*args)
        return tuple(out) if is_tuple else (out,)

    out = tf.while_loop(cond, step, state, maximum_iterations=maximum_iterations)
    return out if is_tuple else out[0]


def _ops_fori_loop(lower, upper, body_fun, init_val):
    def step(i, val):
        return i + 1, body_fun(i, val)

    return tf.while_loop(lambda i, _: i < upper, step, (lower, init_val))[1]


def _ops_switch(index, branches, *operands):
    index = tf.clip_by_value(_ops_tensor(index, "int32"), 0, len(branches) - 1)
    return tf.switch_case(index, [lambda b=b: b(*operands) for b in branches])


def _ops_map(f, xs):
    """``keras.ops.map``: ``f`` over the leading axis of ``xs`` (any nest of tensors)."""
    xs = tf.nest.map_structure(_ops_tensor, xs)
    first = tf.nest.map_structure(lambda x: x[0], xs)
    spec = tf.nest.map_structure(lambda y: tf.TensorSpec.from_tensor(tf.convert_to_tensor(y)), f(first))
    return tf.map_fn(f, xs, fn_output_signature=spec)


def _ops_scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``keras.ops.scan`` (JAX's ``lax.scan``): ``f(carry, x) -> (carry, y)``; returns the
    last carry and the stacked ``y``."""
    if xs is None:
        n = length
        items = [None] * n
    else:
        xs_t = tf.nest.map_structure(_ops_tensor, xs)
        n = tf.nest.flatten(xs_t)[0].shape[0] if length is None else length
        items = [tf.nest.map_structure(lambda x, i=i: x[i], xs_t) for i in range(n)]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = tf.nest.map_structure(tf.convert_to_tensor, init), [None] * n
    for i in order:
        carry, ys[i] = f(carry, items[i])
    if n == 0 or ys[0] is None:
        return carry, None
    return carry, tf.nest.map_structure(lambda *y: tf.stack(y), *ys)


def _ops_associative_scan(f, elems, reverse=False, axis=0):
    """``keras.ops.associative_scan``: the inclusive scan of ``f`` along ``axis`` (sequential)."""
    flat = [_ops_tensor(e) for e in tf.nest.flatten(elems)]
    n = flat[0].shape[axis]
    parts = [tf.unstack(e, num=n, axis=axis) for e in flat]
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    out = [None] * n
    acc = None
    for i in order:
        cur = tf.nest.pack_sequence_as(elems, [p[i] for p in parts])
        acc = cur if acc is None else f(acc, cur)
        out[i] = acc
    flat_out = [tf.nest.flatten(o) for o in out]
    stacked = [tf.stack([fo[j] for fo in flat_out], axis=axis) for j in range(len(flat))]
    return tf.nest.pack_sequence_as(elems, stacked)


def _ops_convert_to_numpy(x):
    """``keras.ops.convert_to_numpy`` (eager only): Python values become NumPy's int64/float64."""
    if isinstance(x, (list, tuple, int, float, bool)):
        t = tf.convert_to_tensor(x)
        t = tf.cast(t, {tf.int32: tf.int64, tf.float32: tf.float64}.get(t.dtype, t.dtype))
        return t.numpy()
    return _ops_tensor(x).numpy()


def _ops_saturate_cast(x, dtype):
    """``keras.ops.saturate_cast``: clip to the target range, then cast."""
    dtype = _ops_standardize_dtype(dtype)
    x = _ops_tensor(x)
    if x.dtype.is_floating and dtype != "bool" and "float" not in dtype:
        target = tf.as_dtype(dtype)
        lo = tf.cast(target.min, x.dtype)
        hi = tf.cast(target.max, x.dtype)
        # the float nearest below the maximum (float32 rounds int32's max up)
        if tf.cast(hi, target) < target.max or int(tf.cast(hi, tf.float64)) > target.max:
            hi = tf.experimental.numpy.nextafter(hi, tf.zeros_like(hi))
        x = tf.clip_by_value(x, lo, hi)
    return tf.dtypes.saturate_cast(x, dtype)


# --- numpy: creation ---------------------------------------------------------------------


def _ops_arange(start, stop=None, step=None, dtype=None):
    if dtype is None:
        dtype = _ops_result_type(*[_ops_dtype_name(v) for v in (start, stop, step) if v is not None])
    dtype = _ops_standardize_dtype(dtype)
    return tf.range(start, stop, 1 if step is None else step, dtype=dtype)


def _ops_zeros(shape, dtype=None):
    return tf.zeros(shape, dtype=_ops_standardize_dtype(dtype))


def _ops_ones(shape, dtype=None):
    return tf.ones(shape, dtype=_ops_standardize_dtype(dtype))


def _ops_zeros_like(x, dtype=None):
    return tf.zeros_like(x, dtype=None if dtype is None else _ops_standardize_dtype(dtype))


def _ops_ones_like(x, dtype=None):
    return tf.ones_like(x, dtype=None if dtype is None else _ops_standardize_dtype(dtype))


def _ops_full(shape, fill_value, dtype=None):
    return tf.broadcast_to(_ops_tensor(fill_value, dtype or _FLOATX), shape)


def _ops_full_like(x, fill_value, dtype=None):
    x = _ops_tensor(x)
    dtype = _ops_result_type(dtype or x.dtype.name)
    return tf.broadcast_to(_ops_tensor(fill_value, dtype), tf.shape(x))


def _ops_eye(N, M=None, k=0, dtype=None):
    dtype = _ops_standardize_dtype(dtype)
    M = N if M is None else M
    if isinstance(k, int) and k == 0:
        return tf.eye(N, M, dtype=dtype)
    rows = tf.range(N)[:, None]
    cols = tf.range(M)[None, :]
    return tf.cast(tf.equal(cols - rows, k), dtype)


def _ops_identity(n, dtype=None):
    return tf.eye(n, dtype=_ops_standardize_dtype(dtype))


def _ops_tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    rows = tf.range(N)[:, None]
    cols = tf.range(M)[None, :]
    return tf.cast(cols - rows <= k, _ops_standardize_dtype(dtype))


def _ops_linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None:
        dtype = _ops_result_type(_ops_dtype_name(start), _ops_dtype_name(stop), float)
    else:
        dtype = _ops_standardize_dtype(dtype)
    start = _ops_tensor(start, dtype)
    stop = _ops_tensor(stop, dtype)
    step = tf.constant(float("nan"))
    if endpoint:
        result = tf.linspace(start, stop, num, axis=axis)
        if num > 1:
            step = (stop - start) / (tf.cast(num, dtype) - 1)
    else:
        if num > 0:
            step = (stop - start) / tf.cast(num, dtype)
        if num > 1:
            end = tf.cast(stop, step.dtype) - step
            result = tf.linspace(tf.cast(start, end.dtype), end, num, axis=axis)
        else:
            result = tf.linspace(start, stop, num, axis=axis)
    if "int" in dtype:
        result = tf.floor(result)
    result = tf.cast(result, dtype)
    return (result, step) if retstep else result


def _ops_logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    if dtype is None:
        dtype = _ops_result_type(_ops_dtype_name(start), _ops_dtype_name(stop), float)
    dtype = _ops_standardize_dtype(dtype)
    start = tf.cast(start, dtype)
    stop = tf.cast(stop, dtype)
    exponents = _ops_linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    return tf.cast(tf.pow(tf.cast(base, dtype), exponents), dtype)


def _ops_geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    if dtype is None:
        dtype = _ops_result_type(_ops_dtype_name(start), _ops_dtype_name(stop), float)
    dtype = _ops_standardize_dtype(dtype)
    start = tf.cast(start, dtype)
    stop = tf.cast(stop, dtype)
    exponents = _ops_linspace(tf.math.log(start) / math.log(10.0), tf.math.log(stop) / math.log(10.0), num,
                              endpoint=endpoint, dtype=dtype, axis=axis)
    return tf.pow(tf.constant(10.0, dtype), exponents)


def _ops_meshgrid(*x, indexing="xy"):
    return tf.meshgrid(*x, indexing=indexing)


# --- numpy: elementwise ------------------------------------------------------------------


def _ops_add(x1, x2):
    return tf.add(*_ops_promote(x1, x2))


def _ops_subtract(x1, x2):
    return tf.subtract(*_ops_promote(x1, x2))


def _ops_multiply(x1, x2):
    return tf.multiply(*_ops_promote(x1, x2))


def _ops_divide(x1, x2):
    return tf.divide(*_ops_promote(x1, x2, extra=(float,)))


def _ops_divide_no_nan(x1, x2):
    return tf.math.divide_no_nan(*_ops_promote(x1, x2, extra=(float,)))


def _ops_floor_divide(x1, x2):
    return tf.math.floordiv(*_ops_promote(x1, x2))


def _ops_maximum(x1, x2):
    return tf.maximum(*_ops_promote(x1, x2))


def _ops_minimum(x1, x2):
    return tf.minimum(*_ops_promote(x1, x2))


def _ops_power(x1, x2):
    a, b = _ops_promote(x1, x2)
    if a.dtype.is_unsigned:
        return tf.cast(tf.pow(tf.cast(a, "int32"), tf.cast(b, "int32")), a.dtype)
    return tf.pow(a, b)


def _ops_mod(x1, x2):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    if a.dtype == tf.bool:
        a, b = tf.cast(a, "int32"), tf.cast(b, "int32")
    return tf.math.floormod(a, b)


def _ops_fmod(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    dtype = _ops_result_type(x1.dtype.name, x2.dtype.name)
    dtype = "int32" if dtype == "bool" else dtype
    compute = "int32" if dtype in ("uint8", "uint16", "uint32") else dtype
    a, b = tf.cast(x1, compute), tf.cast(x2, compute)
    return tf.cast(tf.sign(a) * tf.math.floormod(tf.abs(a), tf.abs(b)), dtype)


def _ops_compare(fn, x1, x2):
    return fn(*_ops_promote(_ops_tensor(x1), _ops_tensor(x2)))


def _ops_equal(x1, x2):
    return _ops_compare(tf.equal, x1, x2)


def _ops_not_equal(x1, x2):
    return _ops_compare(tf.not_equal, x1, x2)


def _ops_greater(x1, x2):
    return _ops_compare(tf.greater, x1, x2)


def _ops_greater_equal(x1, x2):
    return _ops_compare(tf.greater_equal, x1, x2)


def _ops_less(x1, x2):
    return _ops_compare(tf.less, x1, x2)


def _ops_less_equal(x1, x2):
    return _ops_compare(tf.less_equal, x1, x2)


def _ops_logical_and(x1, x2):
    return tf.logical_and(tf.cast(x1, "bool"), tf.cast(x2, "bool"))


def _ops_logical_or(x1, x2):
    return tf.logical_or(tf.cast(x1, "bool"), tf.cast(x2, "bool"))


def _ops_logical_xor(x1, x2):
    return tf.math.logical_xor(tf.cast(x1, "bool"), tf.cast(x2, "bool"))


def _ops_logical_not(x):
    return tf.logical_not(tf.cast(x, "bool"))


def _ops_where(condition, x1=None, x2=None):
    condition = tf.cast(condition, "bool")
    if x1 is not None and x2 is not None:
        return tf.where(condition, *_ops_promote(x1, x2))
    if x1 is None and x2 is None:
        return _ops_nonzero(condition)
    raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")


def _ops_nonzero(x):
    x = _ops_tensor(x)
    found = tf.unstack(tf.where(tf.cast(x, "bool")), x.shape.rank, axis=1)
    return [tf.cast(i, "int32") for i in found]


def _ops_clip(x, x_min, x_max):
    x = _ops_tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.clip_by_value(x, x_min, x_max)


def _ops_absolute(x):
    x = _ops_tensor(x)
    if x.dtype.is_unsigned or x.dtype == tf.bool:
        return x
    return tf.abs(x)


def _ops_square(x):
    x = _ops_tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.square(x)


def _ops_sign(x):
    x = _ops_tensor(x)
    if x.dtype in (tf.uint8, tf.uint16, tf.uint32):
        return tf.cast(tf.sign(tf.cast(x, "int32")), x.dtype)
    return tf.sign(x)


def _ops_reciprocal(x):
    return tf.math.reciprocal(_ops_tensor(x))


def _ops_round(x, decimals=0):
    x = _ops_tensor(x)
    if decimals == 0:
        return tf.round(x)
    if x.dtype.is_integer:
        if decimals > 0:
            return x
        factor = tf.cast(10.0 ** decimals, _FLOATX)
        return tf.cast(tf.round(tf.cast(x, _FLOATX) * factor) / factor, x.dtype)
    factor = tf.cast(10.0 ** decimals, x.dtype)
    return tf.round(x * factor) / factor


def _ops_trunc(x):
    x = _ops_tensor(x)
    if x.dtype == tf.bool or x.dtype.is_integer:
        return x
    return tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x))


def _ops_exp(x):
    return tf.exp(_ops_float(x))


def _ops_exp2(x):
    return tf.pow(2.0, _ops_float(x)) if _ops_float(x).dtype == tf.float32 else tf.pow(
        tf.cast(2.0, _ops_float(x).dtype), _ops_float(x))


def _ops_expm1(x):
    return tf.math.expm1(_ops_float(x))


def _ops_log(x):
    return tf.math.log(_ops_float(x))


def _ops_log1p(x):
    return tf.math.log1p(_ops_float(x))


def _ops_log2(x):
    x = _ops_float(x)
    return tf.math.log(x) / tf.math.log(tf.constant(2, x.dtype))


def _ops_log10(x):
    x = _ops_float(x)
    return tf.math.log(x) / tf.math.log(tf.constant(10, x.dtype))


def _ops_sqrt(x):
    return tf.math.sqrt(_ops_float(x))


def _ops_sin(x):
    return tf.math.sin(_ops_float(x))


def _ops_cos(x):
    return tf.math.cos(_ops_float(x))


def _ops_tan(x):
    return tf.math.tan(_ops_float(x))


def _ops_arcsin(x):
    return tf.math.asin(_ops_float(x))


def _ops_arccos(x):
    return tf.math.acos(_ops_float(x))


def _ops_arctan(x):
    return tf.math.atan(_ops_float(x))


def _ops_sinh(x):
    return tf.math.sinh(_ops_float(x))


def _ops_cosh(x):
    return tf.math.cosh(_ops_float(x))


def _ops_tanh(x):
    return tf.math.tanh(_ops_float(x))


def _ops_arcsinh(x):
    return tf.math.asinh(_ops_float(x))


def _ops_arccosh(x):
    return tf.math.acosh(_ops_float(x))


def _ops_arctanh(x):
    return tf.math.atanh(_ops_float(x))


def _ops_ceil(x):
    return tf.math.ceil(_ops_float(x))


def _ops_floor(x):
    return tf.math.floor(_ops_float(x))


def _ops_erfinv(x):
    x = _ops_tensor(x)
    if x.dtype in (tf.float16, tf.bfloat16):
        return tf.cast(tf.math.erfinv(tf.cast(x, tf.float32)), x.dtype)
    return tf.math.erfinv(x)


def _ops_arctan2(x1, x2):
    return tf.math.atan2(*_ops_promote(_ops_tensor(x1), _ops_tensor(x2), extra=(float,)))


def _ops_isnan(x):
    x = _ops_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        return tf.zeros(tf.shape(x), tf.bool)
    return tf.math.is_nan(x)


def _ops_isinf(x):
    x = _ops_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        return tf.zeros(tf.shape(x), tf.bool)
    return tf.math.is_inf(x)


def _ops_isfinite(x):
    x = _ops_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        return tf.ones(tf.shape(x), tf.bool)
    return tf.math.is_finite(x)


# --- numpy: reductions -------------------------------------------------------------------


def _ops_small_int_wide(x):
    """``sum``/``prod``/``cumsum`` accumulate bool and 8/16-bit integers in 32 bits."""
    x = _ops_tensor(x)
    if x.dtype in (tf.bool, tf.int8, tf.int16):
        return tf.cast(x, "int32")
    if x.dtype in (tf.uint8, tf.uint16):
        return tf.cast(x, "uint32")
    return x


def _ops_sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(_ops_small_int_wide(x), axis=_ops_axis(axis), keepdims=keepdims)


def _ops_prod(x, axis=None, keepdims=False, dtype=None):
    """``keras.ops.prod``: Keras's TensorFlow backend ignores ``dtype`` (it only widens small
    integers when no dtype is given)."""
    x = _ops_tensor(x)
    if dtype is None:
        x = _ops_small_int_wide(x)
    return tf.reduce_prod(x, axis=_ops_axis(axis), keepdims=keepdims)


def _ops_mean(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    compute = _ops_result_type(x.dtype.name, "float32")
    result = compute if (x.dtype.is_integer or x.dtype == tf.bool) else x.dtype.name
    out = tf.reduce_mean(tf.cast(x, compute), axis=_ops_axis(axis), keepdims=keepdims)
    return tf.cast(out, result)


def _ops_var(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    compute = _ops_result_type(x.dtype.name, "float32")
    result = _ops_result_type(x.dtype.name, float)
    return tf.cast(tf.math.reduce_variance(tf.cast(x, compute), axis=_ops_axis(axis), keepdims=keepdims), result)


def _ops_std(x, axis=None, keepdims=False):
    return tf.math.reduce_std(_ops_float(x), axis=_ops_axis(axis), keepdims=keepdims)


def _ops_max(x, axis=None, keepdims=False, initial=None):
    x = _ops_tensor(x)
    axis = _ops_axis(axis)
    if x.dtype == tf.bool:
        out = tf.reduce_any(x, axis=axis, keepdims=keepdims)
        if initial is not None:
            out = tf.cast(tf.maximum(tf.cast(out, "int32"), tf.cast(initial, "int32")), "bool")
        return out
    out = tf.reduce_max(x, axis=axis, keepdims=keepdims)
    return out if initial is None else tf.maximum(out, initial)


def _ops_min(x, axis=None, keepdims=False, initial=None):
    x = _ops_tensor(x)
    axis = _ops_axis(axis)
    if x.dtype == tf.bool:
        out = tf.reduce_all(x, axis=axis, keepdims=keepdims)
        if initial is not None:
            out = tf.cast(tf.minimum(tf.cast(out, "int32"), tf.cast(initial, "int32")), "bool")
        return out
    out = tf.reduce_min(x, axis=axis, keepdims=keepdims)
    return out if initial is None else tf.minimum(out, initial)


def _ops_all(x, axis=None, keepdims=False):
    return tf.reduce_all(tf.cast(x, "bool"), axis=_ops_axis(axis), keepdims=keepdims)


def _ops_any(x, axis=None, keepdims=False):
    return tf.reduce_any(tf.cast(x, "bool"), axis=_ops_axis(axis), keepdims=keepdims)


def _ops_arg_reduce(fn, x, axis, keepdims):
    x = _ops_tensor(x)
    if x.dtype.is_floating and x.shape.rank != 0:
        # Keras ranks -0.0 below +0.0: it swaps -0.0 for minus the smallest normal number
        x = tf.cast(x, _ops_result_type(x.dtype.name, "float32"))
        tiny = 2.2250738585072014e-308 if x.dtype == tf.float64 else 1.1754943508222875e-38
        x = tf.where(tf.logical_and(tf.equal(x, 0.0), _ops_signbit(x)), tf.constant(-tiny, x.dtype), x)
    full = x
    if axis is None:
        x = tf.reshape(x, [-1])
    y = fn(x, axis=0 if axis is None else axis, output_type="int32")
    if keepdims:
        if axis is None:
            y = tf.reshape(y, [1] * full.shape.rank)
        else:
            y = tf.expand_dims(y, axis)
    return y


def _ops_argmax(x, axis=None, keepdims=False):
    return _ops_arg_reduce(tf.argmax, x, axis, keepdims)


def _ops_argmin(x, axis=None, keepdims=False):
    return _ops_arg_reduce(tf.argmin, x, axis, keepdims)


def _ops_signbit(x):
    x = _ops_tensor(x)
    if x.dtype == tf.bool:
        return tf.fill(tf.shape(x), False)
    if x.dtype.is_integer:
        return x < 0
    bits = tf.bitcast(tf.cast(x, "float32"), tf.int32)
    return tf.less(tf.bitwise.bitwise_and(bits, tf.constant(-2 ** 31, tf.int32)), 0)


def _ops_cumsum(x, axis=None, dtype=None):
    x = _ops_tensor(x, dtype)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.math.cumsum(x, axis=axis)


def _ops_cumprod(x, axis=None, dtype=None):
    x = _ops_tensor(x, dtype)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.math.cumprod(x, axis=axis)


# --- numpy: shapes -----------------------------------------------------------------------


def _ops_expand_dims(x, axis):
    """``keras.ops.expand_dims``: ``axis`` may be a tuple of new axes."""
    x = _ops_tensor(x)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    rank = x.shape.rank + len(axes)
    for a in sorted(a % rank for a in axes):
        x = tf.expand_dims(x, a)
    return x


def _ops_squeeze(x, axis=None):
    x = _ops_tensor(x)
    if axis is None:
        return tf.squeeze(x)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis={a}, because the dimension is not 1.")
    return tf.squeeze(x, axis=axes)


def _ops_transpose(x, axes=None):
    """``keras.ops.transpose``: negative axes count from the end (``tf.transpose`` rejects them)."""
    x = _ops_tensor(x)
    if axes is not None and not tf.is_tensor(axes):
        axes = [a % x.shape.rank for a in axes]
    return tf.transpose(x, perm=axes)


def _ops_concatenate(xs, axis=0):
    return tf.concat(_ops_promote(*xs) if len({_ops_dtype_name(_ops_tensor(x)) for x in xs}) > 1
                     else list(xs), axis=axis)


def _ops_stack(x, axis=0):
    if len({_ops_dtype_name(v) for v in x}) > 1:
        x = _ops_promote(*x)
    return tf.stack(x, axis=axis)


def _ops_split(x, indices_or_sections, axis=0):
    """``keras.ops.split``: a number of equal sections, or the indices to split at."""
    if isinstance(indices_or_sections, int):
        return tf.split(x, indices_or_sections, axis=axis)
    x = _ops_tensor(x)
    cuts = [0] + list(indices_or_sections) + [x.shape[axis]]
    return tf.split(x, [b - a for a, b in zip(cuts[:-1], cuts[1:])], axis=axis)


def _ops_array_split(x, indices_or_sections, axis=0):
    x = _ops_tensor(x)
    total = x.shape[axis]
    n = indices_or_sections
    size, extra = divmod(total, n)
    return tf.split(x, [size + 1] * extra + [size] * (n - extra), axis=axis)


def _ops_tile(x, repeats):
    x = _ops_tensor(x)
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    if len(repeats) < x.shape.rank:
        repeats = [1] * (x.shape.rank - len(repeats)) + repeats
    while len(repeats) > x.shape.rank:
        x = tf.expand_dims(x, 0)
    return tf.tile(x, repeats)


def _ops_repeat(x, repeats, axis=None):
    x = _ops_tensor(x)
    if x.dtype == tf.uint16:
        return tf.cast(tf.repeat(tf.cast(x, "uint32"), repeats, axis=axis), "uint16")
    return tf.repeat(x, repeats, axis=axis)


def _ops_flip(x, axis=None):
    x = _ops_tensor(x)
    if axis is None:
        return tf.reverse(x, list(range(x.shape.rank)))
    return tf.reverse(x, list(axis) if isinstance(axis, (list, tuple)) else [axis])


def _ops_roll(x, shift, axis=None):
    if axis is not None:
        return tf.roll(x, shift=shift, axis=axis)
    x = _ops_tensor(x)
    return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), tf.shape(x))


def _ops_moveaxis(x, source, destination):
    x = _ops_tensor(x)
    rank = x.shape.rank
    src = [a % rank for a in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [a % rank for a in (destination if isinstance(destination, (list, tuple)) else [destination])]
    perm = [i for i in range(rank) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return tf.transpose(x, perm)


def _ops_swapaxes(x, axis1, axis2):
    x = _ops_tensor(x)
    perm = list(range(x.shape.rank))
    a, b = axis1 % x.shape.rank, axis2 % x.shape.rank
    perm[a], perm[b] = perm[b], perm[a]
    return tf.transpose(x, perm)


def _ops_pad(x, pad_width, mode="constant", constant_values=None):
    kwargs = {}
    if constant_values is not None:
        if mode != "constant":
            raise ValueError("Argument `constant_values` can only be provided when `mode == 'constant'`.")
        kwargs["constant_values"] = constant_values
    return tf.pad(x, _ops_tensor(pad_width, "int32"), mode.upper(), **kwargs)


def _ops_tril(x, k=0):
    x = _ops_tensor(x)
    shape = tf.shape(x)
    rows = tf.range(shape[-2])[:, None]
    cols = tf.range(shape[-1])[None, :]
    return tf.where(tf.broadcast_to(rows >= cols - k, shape), x, tf.zeros_like(x))


def _ops_triu(x, k=0):
    x = _ops_tensor(x)
    shape = tf.shape(x)
    rows = tf.range(shape[-2])[:, None]
    cols = tf.range(shape[-1])[None, :]
    return tf.where(tf.broadcast_to(rows <= cols - k, shape), x, tf.zeros_like(x))


# --- numpy: indexing ---------------------------------------------------------------------


def _ops_take(x, indices, axis=None):
    """``keras.ops.take``: ``axis=None`` flattens ``x``; negative indices count from the end."""
    x = _ops_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    indices = _ops_tensor(indices)
    indices = tf.where(indices < 0, indices + tf.cast(tf.shape(x)[axis], indices.dtype), indices)
    return tf.gather(x, indices, axis=axis)


def _ops_take_along_axis(x, indices, axis=None):
    """``keras.ops.take_along_axis`` (NumPy's): indices broadcast against ``x`` off ``axis``."""
    x = _ops_tensor(x)
    indices = _ops_tensor(indices, "int64")
    if axis is None:
        return _ops_take_along_axis(tf.reshape(x, [-1]), indices, 0)
    rank = x.shape.rank
    axis = axis % rank
    xs, ks = tf.shape(x), tf.shape(indices, out_type=tf.int32)
    other = tf.maximum(tf.tensor_scatter_nd_update(xs, [[axis]], [1]),
                       tf.tensor_scatter_nd_update(ks, [[axis]], [1]))
    x = tf.broadcast_to(x, tf.tensor_scatter_nd_update(other, [[axis]], [xs[axis]]))
    indices = tf.broadcast_to(indices, tf.tensor_scatter_nd_update(other, [[axis]], [ks[axis]]))
    indices = tf.where(indices < 0, indices + tf.cast(xs[axis], indices.dtype), indices)
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    out = tf.gather(tf.transpose(x, perm), tf.transpose(indices, perm), batch_dims=rank - 1)
    return tf.transpose(out, perm)


def _ops_get_item(x, key):
    return _ops_tensor(x)[key]


# --- numpy: linear algebra ---------------------------------------------------------------


def _ops_matmul(x1, x2):
    """``keras.ops.matmul`` (NumPy's): vectors are promoted, batches broadcast; int8 x int8
    accumulates in int32; other integer products are computed in float32 and cast back."""
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    if x1.dtype == tf.int8 and x2.dtype == tf.int8 and x1.shape.rank != 1 and x2.shape.rank != 1:
        return tf.matmul(x1, x2, output_type=tf.int32)
    result = _ops_result_type(x1.dtype.name, x2.dtype.name)
    compute = _ops_result_type(x1.dtype.name, x2.dtype.name, float)
    a, b = tf.cast(x1, compute), tf.cast(x2, compute)
    if a.shape.rank == 2 and b.shape.rank == 2:
        out = tf.matmul(a, b)
    elif b.shape.rank == 1:
        out = tf.tensordot(a, b, axes=1)
    elif a.shape.rank == 1:
        out = tf.tensordot(a, b, axes=[[0], [-2]])
    elif b.shape.rank == 2:
        out = tf.tensordot(a, b, axes=[[-1], [0]])
    else:
        out = tf.matmul(a, b)
    return tf.cast(out, result)


def _ops_dot(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    result = _ops_result_type(x1.dtype.name, x2.dtype.name)
    compute = _ops_result_type(result, float)
    a, b = tf.cast(x1, compute), tf.cast(x2, compute)
    if a.shape.rank == 0 or b.shape.rank == 0:
        out = a * b
    elif b.shape.rank == 1:
        out = tf.tensordot(a, b, axes=[[-1], [-1]])
    else:
        out = tf.tensordot(a, b, axes=[[-1], [-2]])
    return tf.cast(out, result)


def _ops_einsum(subscripts, *operands, **kwargs):
    """``keras.ops.einsum``: operands promoted; integers computed in float32 (int8 alone in
    int32) and cast back."""
    operands = [_ops_tensor(o) for o in operands]
    names = {o.dtype.name for o in operands}
    if names == {"int8"}:
        result = "int32"
    else:
        result = _ops_result_type(*names)
    compute = _FLOATX if "int" in result or result == "bool" else result
    out = tf.einsum(subscripts, *[tf.cast(o, compute) for o in operands], **kwargs)
    return tf.cast(out, result)


def _ops_tensordot(x1, x2, axes=2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    result = _ops_result_type(x1.dtype.name, x2.dtype.name)
    compute = result if result in ("int32", "int64", "float16", "float32", "float64", "bfloat16") else \
        _ops_result_type(result, float)
    return tf.cast(tf.tensordot(tf.cast(x1, compute), tf.cast(x2, compute), axes=axes), result)


def _ops_outer(x1, x2):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    return tf.reshape(a, [-1, 1]) * tf.reshape(b, [-1])


def _ops_vdot(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    result = _ops_result_type(x1.dtype.name, x2.dtype.name)
    compute = _ops_result_type(result, float)
    a = tf.reshape(tf.cast(x1, compute), [-1])
    b = tf.reshape(tf.cast(x2, compute), [-1])
    return tf.cast(tf.tensordot(a, b, axes=1), result)


def _ops_inner(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    result = _ops_result_type(x1.dtype.name, x2.dtype.name)
    compute = _ops_result_type(result, float)
    a, b = tf.cast(x1, compute), tf.cast(x2, compute)
    if a.shape.rank == 0 or b.shape.rank == 0:
        out = a * b
    else:
        out = tf.tensordot(a, b, axes=[[-1], [-1]])
    return tf.cast(out, result)


def _ops_kron(x1, x2):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    while a.shape.rank < b.shape.rank:
        a = a[None]
    while b.shape.rank < a.shape.rank:
        b = b[None]
    sa, sb = tf.shape(a), tf.shape(b)
    ones = tf.ones_like(sa)
    out = tf.reshape(a, tf.reshape(tf.stack([sa, ones], 1), [-1])) * tf.reshape(b, tf.reshape(tf.stack([ones, sb], 1), [-1]))
    return tf.reshape(out, sa * sb)


def _ops_cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _ops_moveaxis(a, axisa, -1), _ops_moveaxis(b, axisb, -1)
    da, db = a.shape[-1], b.shape[-1]

    def three(t):
        return tf.pad(t, [[0, 0]] * (t.shape.rank - 1) + [[0, 1]]) if t.shape[-1] == 2 else t

    a, b = three(a), three(b)
    shape = tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b))
    c = tf.linalg.cross(tf.broadcast_to(a, shape), tf.broadcast_to(b, shape))
    if da == 2 and db == 2:
        return c[..., 2]
    return _ops_moveaxis(c, -1, axisc)


def _ops_vander(x, N=None, increasing=False):
    x = _ops_tensor(x)
    n = x.shape[0] if N is None else N
    powers = tf.range(n) if increasing else tf.range(n - 1, -1, -1)
    compute = _ops_result_type(x.dtype.name, "float32")
    out = tf.math.pow(tf.cast(x[:, None], compute), tf.cast(powers, compute))
    return tf.cast(out, x.dtype)


def _ops_correlate(x1, x2, mode="valid"):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    dtype = _ops_result_type(x1.dtype.name, x2.dtype.name)
    dtype = "float64" if dtype == "int64" else (dtype if dtype in ("bfloat16", "float16", "float64") else "float32")
    a, b = tf.cast(x1, dtype), tf.cast(x2, dtype)
    n, m = a.shape[0], b.shape[0]

    def corr(a):
        out = tf.nn.conv1d(tf.reshape(a, (1, -1, 1)), tf.reshape(b, (-1, 1, 1)), stride=1, padding="VALID")
        return tf.reshape(out, [-1])

    if mode == "valid":
        return corr(a)
    full = corr(tf.pad(a, [[m - 1, m - 1]]))
    if mode == "full":
        return full
    if mode == "same":
        length = builtins.max(n, m)
        start = (n + m - 1 - length) // 2
        return full[start:start + length]
    raise ValueError(f"Invalid mode: '{mode}'. Mode must be one of: 'full', 'same', 'valid'.")


def _ops_corrcoef(x):
    x = _ops_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex) or x.dtype == tf.int64:
        x = tf.cast(x, _FLOATX) if x.dtype != tf.int64 else x
    centered = x - tf.reduce_mean(x, axis=-1, keepdims=True)
    n = tf.cast(tf.shape(x)[-1], x.dtype)
    cov = tf.matmul(centered, centered, adjoint_b=True) / (n - 1)
    std = tf.sqrt(tf.linalg.diag_part(cov))
    return tf.clip_by_value(cov / tf.tensordot(std, std, axes=0), -1.0, 1.0)


def _ops_diff(a, n=1, axis=-1):
    a = _ops_tensor(a)
    if n == 0:
        return a
    rank = a.shape.rank
    axis = axis % rank
    upper = tuple(slice(1, None) if i == axis else slice(None) for i in range(rank))
    lower = tuple(slice(None, -1) if i == axis else slice(None) for i in range(rank))
    for _ in range(n):
        a = tf.not_equal(a[upper], a[lower]) if a.dtype == tf.bool else a[upper] - a[lower]
    return a


def _ops_diag(x, k=0):
    x = _ops_tensor(x)
    if x.shape.rank == 1:
        return tf.linalg.diag(x, k=k)
    return _ops_diagonal(x, offset=k)


def _ops_diagflat(x, k=0):
    return tf.linalg.diag(tf.reshape(x, [-1]), k=k)


def _ops_diagonal(x, offset=0, axis1=0, axis2=1):
    x = _ops_tensor(x)
    rank = x.shape.rank
    x = _ops_moveaxis(x, (axis1 % rank, axis2 % rank), (-2, -1))
    rows, cols = x.shape[-2], x.shape[-1]
    if offset <= -rows or offset >= cols:
        return tf.zeros(tf.concat([tf.shape(x)[:-2], [0]], 0), dtype=x.dtype)
    return tf.linalg.diag_part(x, k=offset)


def _ops_trace(x, offset=0, axis1=0, axis2=1):
    return tf.reduce_sum(_ops_diagonal(_ops_small_int_wide(x), offset, axis1, axis2), axis=-1)


def _ops_hstack(xs):
    if len({_ops_dtype_name(x) for x in xs}) > 1:
        xs = _ops_promote(*xs)
    xs = [_ops_tensor(x) for x in xs]
    return tf.concat(xs, axis=0 if xs[0].shape.rank == 1 else 1)


def _ops_vstack(xs):
    if len({_ops_dtype_name(x) for x in xs}) > 1:
        xs = _ops_promote(*xs)
    return tf.concat(list(xs), axis=0)


def _ops_dstack(xs):
    xs = [_ops_tensor(x) for x in xs]
    if len({x.dtype for x in xs}) > 1:
        xs = _ops_promote(*xs)
    shaped = []
    for x in xs:
        if x.shape.rank == 0:
            x = tf.reshape(x, (1, 1, 1))
        elif x.shape.rank == 1:
            x = x[None, :, None]
        elif x.shape.rank == 2:
            x = x[:, :, None]
        shaped.append(x)
    return tf.concat(shaped, axis=2)


def _ops_append(x1, x2, axis=None):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    if axis is None:
        return tf.concat([tf.reshape(a, [-1]), tf.reshape(b, [-1])], axis=0)
    return tf.concat([a, b], axis=axis)


def _ops_hsplit(x, indices_or_sections):
    x = _ops_tensor(x)
    return _ops_split(x, indices_or_sections, axis=0 if x.shape.rank == 1 else 1)


def _ops_vsplit(x, indices_or_sections):
    return _ops_split(x, indices_or_sections, axis=0)


def _ops_dsplit(x, indices_or_sections):
    return _ops_split(x, indices_or_sections, axis=2)


def _ops_rot90(array, k=1, axes=(0, 1)):
    """``keras.ops.rot90`` as Keras's TensorFlow backend computes it: one rotation, then for
    k > 1 a reshape to the rotated size and k - 1 more rotations (which differs from NumPy
    for k = 2 and 3 on non-square planes)."""
    x = _ops_tensor(array)
    k = k % 4
    if k == 0:
        return x
    rank = x.shape.rank
    axes = tuple(a % rank for a in axes)
    perm = [i for i in range(rank) if i not in axes] + list(axes)
    x = tf.transpose(x, perm)
    shape = tf.shape(x)
    h, w = shape[-2], shape[-1]
    x = tf.reshape(x, tf.concat([[-1], [h, w]], 0))
    x = tf.transpose(tf.reverse(x, [2]), [0, 2, 1])
    fh, fw = (w, h) if k % 2 == 1 else (h, w)
    if k > 1:
        x = tf.reshape(x, tf.concat([[-1], [fh, fw]], 0))
        for _ in range(k - 1):
            x = tf.transpose(tf.reverse(x, [2]), [0, 2, 1])
    x = tf.reshape(x, tf.concat([shape[:-2], [fh, fw]], 0))
    return tf.transpose(x, [perm.index(i) for i in range(rank)])


def _ops_ndim(x):
    return _ops_tensor(x).shape.rank


def _ops_ptp(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    axis = _ops_axis(axis)
    return tf.reduce_max(x, axis=axis, keepdims=keepdims) - tf.reduce_min(x, axis=axis, keepdims=keepdims)


def _ops_average(x, axis=None, weights=None):
    x = _ops_tensor(x)
    if weights is None:
        return tf.reduce_mean(tf.cast(x, _ops_result_type(x.dtype.name, float)), axis=axis)
    weights = _ops_tensor(weights)
    dtype = _ops_result_type(x.dtype.name, weights.dtype.name, float)
    x, weights = tf.cast(x, dtype), tf.cast(weights, dtype)
    if axis is None or x.shape.rank == weights.shape.rank:
        return tf.reduce_sum(x * weights, axis=axis) / tf.reduce_sum(weights, axis=axis)
    return tf.tensordot(x, weights, [[axis], [0]]) / tf.reduce_sum(weights)


def _ops_quantile_sorted(x, q, axis, method, keepdims):
    """NumPy's quantile of ``x`` (float) along ``axis`` (None or a list); ``q``'s axes lead."""
    q = tf.cast(q, "float64")
    rank = x.shape.rank
    if axis is None:
        y = tf.reshape(x, [-1])
    else:
        axis = [a % rank for a in axis]
        rest = [i for i in range(rank) if i not in axis]
        y = tf.transpose(x, rest + axis)
        y = tf.reshape(y, tf.concat([tf.gather(tf.shape(x), rest), [-1]], 0))
    y = tf.sort(y, axis=-1)
    n = tf.shape(y)[-1]
    pos = (tf.cast(n, "float64") - 1) * q

    def pick(index):
        return tf.gather(y, tf.clip_by_value(tf.cast(index, "int32"), 0, n - 1), axis=-1)

    if method == "lower":
        out = pick(tf.floor(pos))
    elif method == "higher":
        out = pick(tf.math.ceil(pos))
    elif method == "nearest":
        out = pick(tf.round(pos))
    elif method == "midpoint":
        out = 0.5 * (pick(tf.floor(pos)) + pick(tf.math.ceil(pos)))
    elif method == "linear":
        hi = tf.clip_by_value(tf.cast(tf.math.ceil(pos), "int32"), 0, n - 1)
        lo = tf.maximum(hi - 1, 0)
        hi = tf.minimum(lo + 1, n - 1)
        frac = tf.cast(tf.cast(hi, "float64") - pos, y.dtype)
        out = tf.gather(y, hi, axis=-1) * (1 - frac) + tf.gather(y, lo, axis=-1) * frac
    else:
        raise ValueError(f"Invalid method: {method}")
    nan = tf.reduce_any(tf.math.is_nan(x), axis=axis)
    nan = tf.reshape(nan, tf.concat([tf.shape(nan), tf.ones([tf.rank(q)], "int32")], 0))
    out = tf.where(nan, tf.constant(float("nan"), out.dtype), out)
    if keepdims:
        if axis is None:
            out = tf.reshape(out, tf.concat([tf.shape(out), tf.ones([rank], "int32")], 0))
        else:
            for a in sorted(axis):
                out = tf.expand_dims(out, a)
    qrank = q.shape.rank
    nd = out.shape.rank
    if qrank and nd >= 2:
        perm = list(range(nd - qrank, nd)) + list(range(nd - qrank))
        out = tf.transpose(out, perm)
    return out


def _ops_quantile(x, q, axis=None, method="linear", keepdims=False):
    x = _ops_tensor(x)
    x = tf.cast(x, _ops_result_type(x.dtype.name, float))
    axis = None if axis is None else (list(axis) if isinstance(axis, (list, tuple)) else [axis])
    return _ops_quantile_sorted(x, _ops_tensor(q), axis, method, keepdims)


def _ops_percentile(x, q, axis=None, method="linear", keepdims=False):
    return _ops_quantile(x, _ops_tensor(q, _FLOATX) / 100.0, axis=axis, method=method, keepdims=keepdims)


def _ops_median(x, axis=None, keepdims=False):
    return _ops_quantile(x, 0.5, axis=axis, keepdims=keepdims)


def _ops_nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = _ops_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        return x
    x = tf.where(tf.math.is_nan(x), tf.constant(nan, x.dtype), x)
    x = tf.where(tf.math.is_inf(x) & (x > 0), tf.constant(x.dtype.max if posinf is None else posinf, x.dtype), x)
    return tf.where(tf.math.is_inf(x) & (x < 0), tf.constant(x.dtype.min if neginf is None else neginf, x.dtype), x)


def _ops_nansum(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    clean = tf.where(tf.math.is_nan(tf.cast(x, _FLOATX)), tf.zeros((), x.dtype), x)
    return tf.reduce_sum(_ops_small_int_wide(clean), axis=_ops_axis(axis), keepdims=keepdims)


def _ops_nanmean(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    axis = _ops_axis(axis)
    if not x.dtype.is_floating:
        return tf.reduce_mean(tf.cast(x, "float32"), axis=axis, keepdims=keepdims)
    total = _ops_nansum(x, axis=axis, keepdims=keepdims)
    count = tf.reduce_sum(tf.cast(tf.logical_not(tf.math.is_nan(x)), x.dtype), axis=axis, keepdims=keepdims)
    return total / count


def _ops_nanmax(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    axis = _ops_axis(axis)
    if not x.dtype.is_floating:
        return _ops_max(x, axis=axis, keepdims=keepdims)
    nan = tf.math.is_nan(x)
    out = tf.reduce_max(tf.where(nan, tf.constant(float("-inf"), x.dtype), x), axis=axis, keepdims=keepdims)
    return tf.where(tf.reduce_all(nan, axis=axis, keepdims=keepdims), tf.constant(float("nan"), x.dtype), out)


def _ops_nanmin(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    axis = _ops_axis(axis)
    if not x.dtype.is_floating:
        return _ops_min(x, axis=axis, keepdims=keepdims)
    nan = tf.math.is_nan(x)
    out = tf.reduce_min(tf.where(nan, tf.constant(float("inf"), x.dtype), x), axis=axis, keepdims=keepdims)
    return tf.where(tf.reduce_all(nan, axis=axis, keepdims=keepdims), tf.constant(float("nan"), x.dtype), out)


def _ops_nanprod(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    if x.dtype.is_floating:
        x = tf.where(tf.math.is_nan(x), tf.ones((), x.dtype), x)
    return _ops_prod(x, axis=axis, keepdims=keepdims)


def _ops_nanvar(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    x = tf.cast(x, _ops_result_type(x.dtype.name, float))
    axis = _ops_axis(axis)
    valid = tf.logical_not(tf.math.is_nan(x))
    centered = tf.where(valid, x - _ops_nanmean(x, axis=axis, keepdims=True), tf.zeros_like(x))
    count = tf.reduce_sum(tf.cast(valid, x.dtype), axis=axis, keepdims=keepdims)
    return tf.reduce_sum(tf.square(centered), axis=axis, keepdims=keepdims) / count


def _ops_nanstd(x, axis=None, keepdims=False):
    return tf.sqrt(_ops_nanvar(x, axis=axis, keepdims=keepdims))


def _ops_nanargmax(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    if not x.dtype.is_floating:
        return _ops_argmax(x, axis=axis, keepdims=keepdims)
    nan = tf.math.is_nan(x)
    best = _ops_argmax(tf.where(nan, tf.constant(float("-inf"), x.dtype), x), axis=axis, keepdims=keepdims)
    return tf.where(tf.reduce_all(nan, axis=axis, keepdims=keepdims), -1, best)


def _ops_nanargmin(x, axis=None, keepdims=False):
    x = _ops_tensor(x)
    if not x.dtype.is_floating:
        return _ops_argmin(x, axis=axis, keepdims=keepdims)
    nan = tf.math.is_nan(x)
    best = _ops_argmin(tf.where(nan, tf.constant(float("inf"), x.dtype), x), axis=axis, keepdims=keepdims)
    return tf.where(tf.reduce_all(nan, axis=axis, keepdims=keepdims), -1, best)


def _ops_nancumsum(x, axis=None, dtype=None):
    return _ops_cumsum(_ops_nan_to_num(x), axis=axis, dtype=dtype)


def _ops_nancumprod(x, axis=None, dtype=None):
    return _ops_cumprod(_ops_nan_to_num(x, nan=1.0), axis=axis, dtype=dtype)


def _ops_nanquantile(x, q, axis=None, method="linear", keepdims=False):
    x = _ops_tensor(x)
    q = _ops_tensor(q, _FLOATX)

    def one(row):
        valid = tf.boolean_mask(row, tf.logical_not(tf.math.is_nan(tf.cast(row, _FLOATX))))
        return tf.cond(tf.size(valid) > 0, lambda: _ops_quantile(valid, q, method=method),
                       lambda: tf.cast(tf.fill(tf.shape(q), float("nan")), x.dtype))

    if axis is None:
        out = one(tf.reshape(x, [-1]))
        if keepdims:
            out = tf.reshape(out, tf.concat([tf.shape(out), tf.ones([x.shape.rank], "int32")], 0))
        return out
    rank = x.shape.rank
    axis = [a % rank for a in (list(axis) if isinstance(axis, (list, tuple)) else [axis])]
    rest = [i for i in range(rank) if i not in axis]
    moved = tf.transpose(x, rest + axis)
    shape = tf.shape(moved)
    flat = tf.reshape(moved, [tf.reduce_prod(shape[:len(rest)]), -1])
    out = tf.map_fn(one, flat, fn_output_signature=tf.TensorSpec(q.shape, x.dtype))
    if q.shape.rank:
        out = tf.reshape(tf.transpose(out), tf.concat([tf.shape(q), shape[:len(rest)]], 0))
    else:
        out = tf.reshape(out, shape[:len(rest)])
    if keepdims:
        for a in sorted(axis):
            out = tf.expand_dims(out, a + q.shape.rank)
    return out


def _ops_nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _ops_nanquantile(x, _ops_tensor(q, _FLOATX) / 100.0, axis=axis, method=method, keepdims=keepdims)


def _ops_nanmedian(x, axis=None, keepdims=False):
    return _ops_nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def _ops_trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _ops_tensor(y)
    dtype = _ops_result_type(y.dtype.name, float)
    y = _ops_moveaxis(tf.cast(y, dtype), axis, -1)
    if x is None:
        step = tf.cast(dx, dtype)
    else:
        step = _ops_moveaxis(_ops_diff(_ops_tensor(x, dtype), axis=axis), axis, -1)
    return tf.reduce_sum(0.5 * (y[..., 1:] + y[..., :-1]) * step, axis=-1)


def _ops_histogram(x, bins=10, range=None):
    x = _ops_tensor(x)
    lo, hi = (tf.reduce_min(x), tf.reduce_max(x)) if range is None else range
    x = tf.boolean_mask(x, (x >= lo) & (x <= hi))
    edges = tf.cast(tf.linspace(lo, hi, bins + 1), x.dtype)
    which = tf.searchsorted(edges[1:-1], x, side="right")
    counts = tf.scatter_nd(which[:, None], tf.ones_like(which, dtype=x.dtype), (bins,))
    return counts, edges


def _ops_bincount(x, weights=None, minlength=0, sparse=False):
    x = _ops_tensor(x)
    dtype = "int32"
    if x.dtype not in (tf.int32, tf.int64):
        x = tf.cast(x, "int32")
    if weights is not None:
        weights = _ops_tensor(weights)
        dtype = _ops_result_type(x.dtype.name, weights.dtype.name)
        if weights.dtype not in (tf.int32, tf.int64, tf.float32, tf.float64):
            weights = tf.cast(weights, "int32" if weights.dtype.is_integer else "float32")
    return tf.cast(tf.math.bincount(x, weights=weights, minlength=minlength, axis=-1), dtype)


def _ops_argsort(x, axis=-1):
    x = _ops_tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "uint8")
    if x.shape.rank == 0:
        return tf.constant([0], "int32")
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.argsort(x, axis=axis)


def _ops_sort(x, axis=-1):
    x = _ops_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    if x.dtype == tf.bool:
        return tf.cast(tf.sort(tf.cast(x, "int8"), axis=axis), tf.bool)
    return tf.sort(x, axis=axis)


def _ops_argpartition(x, kth, axis=-1):
    """Keras's argpartition on TensorFlow (it compares the values as int32)."""
    x = _ops_tensor(x, "int32")
    if axis is None:
        x, axis, keep = tf.reshape(x, [-1]), 0, False
    else:
        keep = True
    x = _ops_swapaxes(x, axis, -1)
    n = tf.shape(x)[-1]
    kth = tf.clip_by_value(tf.cast(kth, tf.int32), 0, n - 1)
    bottom = tf.math.top_k(-x, kth + 1).indices
    mask = tf.reduce_sum(tf.one_hot(bottom, n, dtype=tf.int32), axis=0)
    masked = tf.tensor_scatter_nd_update(x, tf.where(mask), tf.zeros(tf.shape(tf.where(mask))[0], tf.int32))
    top = tf.math.top_k(masked, n - kth - 1).indices
    out = tf.concat([bottom, top], axis=-1)
    return _ops_swapaxes(out, -1, axis) if keep else out


def _ops_searchsorted(sorted_sequence, values, side="left"):
    n = sorted_sequence.shape[0]
    out_type = "int32" if n is not None and n <= 2 ** 31 - 1 else "int64"
    return tf.searchsorted(sorted_sequence, values, side=side, out_type=out_type)


def _ops_digitize(x, bins):
    x = _ops_tensor(x)
    bins = [float(b) for b in bins]
    if x.dtype in (tf.bool, tf.int8, tf.int16, tf.uint8, tf.uint16):
        x = tf.cast(x, "int32")
    elif x.dtype == tf.uint32:
        x = tf.cast(x, "int64")
    elif x.dtype in (tf.bfloat16, tf.float16):
        x = tf.cast(x, "float32")
    return tf.raw_ops.Bucketize(input=x, boundaries=bins)


def _ops_isin(x1, x2, assume_unique=False, invert=False):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    shape = tf.shape(a)
    a, b = tf.reshape(a, [-1]), tf.reshape(b, [-1])
    found = tf.reduce_any(tf.equal(a[:, None], b[None, :]), axis=1)
    return tf.reshape(tf.logical_not(found) if invert else found, shape)


def _ops_unravel_index(indices, shape):
    """``keras.ops.unravel_index`` as Keras's TensorFlow backend computes it (for indices that
    are not a vector it walks ``shape`` front to back, unlike NumPy)."""
    indices = tf.convert_to_tensor(indices)
    coords = []
    if indices.shape.rank == 1:
        for dim in reversed(shape):
            coords.append(tf.cast(indices % dim, indices.dtype))
            indices = indices // dim
        return tuple(reversed(coords))
    static = indices.shape
    for dim in shape:
        coords.append(tf.reshape(tf.cast(indices % dim, indices.dtype), static))
        indices = indices // dim
    return tuple(reversed(coords))


def _ops_select(condlist, choicelist, default=0):
    return tf.experimental.numpy.select(condlist, choicelist, default=default)


def _ops_unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,
                size=None, fill_value=None):
    """``keras.ops.unique`` of a flattened tensor (NumPy's ``unique`` with JAX's ``size``)."""
    if axis is not None:
        raise NotImplementedError("keras.ops.unique with an axis has no translation")
    flat = tf.reshape(_ops_tensor(x), [-1])
    values, inverse = tf.unique(flat, out_idx=tf.int32)
    if sorted:
        order = tf.argsort(values, stable=True)
        values = tf.gather(values, order)
        inverse = tf.gather(tf.math.invert_permutation(order), inverse)
    n = tf.shape(values)[0]
    first = tf.math.unsorted_segment_min(tf.range(tf.shape(flat)[0]), inverse, n)
    counts = tf.math.unsorted_segment_sum(tf.ones_like(inverse), inverse, n)
    if size is not None:
        pad = size - n
        fill = tf.reduce_min(values) if fill_value is None else tf.cast(fill_value, values.dtype)
        values = tf.concat([values, tf.fill([tf.maximum(pad, 0)], fill)], 0)[:size]
        first = tf.concat([first, tf.zeros([tf.maximum(pad, 0)], first.dtype)], 0)[:size]
        counts = tf.concat([counts, tf.zeros([tf.maximum(pad, 0)], counts.dtype)], 0)[:size]
    out = [values]
    if return_index:
        out.append(first)
    if return_inverse:
        out.append(tf.reshape(inverse, tf.shape(_ops_tensor(x))))
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def _ops_view(x, dtype=None):
    x = _ops_tensor(x)
    new = tf.as_dtype(_ops_standardize_dtype(dtype) if dtype else x.dtype)
    old_size, new_size = x.dtype.size, new.size
    if old_size == new_size:
        return tf.bitcast(x, new)
    if old_size > new_size:
        shape = list(x.shape)
        shape[-1] *= old_size // new_size
        return tf.reshape(tf.bitcast(tf.reshape(x, [-1]), new), shape)
    ratio = new_size // old_size
    shape = list(x.shape)
    return tf.bitcast(tf.reshape(x, shape[:-1] + [shape[-1] // ratio, ratio]), new)


# --- numpy: elementwise extras ------------------------------------------------------------


def _ops_int_to_float(x):
    """The float a few functions compute in: float32, but float64 for int64 (and float64)."""
    x = _ops_tensor(x)
    if x.dtype == tf.int64:
        return tf.cast(x, "float64")
    if x.dtype.is_floating:
        return x
    return tf.cast(x, _FLOATX)


def _ops_hypot(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    dtype = _ops_result_type(x1.dtype.name, x2.dtype.name)
    if dtype == "int64":
        dtype = "float64"
    elif "int" in dtype or dtype == "bool":
        dtype = _FLOATX
    a, b = tf.abs(tf.cast(x1, dtype)), tf.abs(tf.cast(x2, dtype))
    hi, lo = tf.maximum(a, b), tf.minimum(a, b)
    return hi * tf.sqrt(1.0 + tf.square(tf.math.divide_no_nan(lo, hi)))


def _ops_logaddexp(x1, x2):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2), extra=(float,))
    delta = a - b
    return tf.where(tf.math.is_nan(delta), a + b, tf.maximum(a, b) + tf.math.log1p(tf.math.exp(-tf.abs(delta))))


def _ops_logaddexp2(x1, x2):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2), extra=(float,))
    delta = a - b
    ln2 = tf.cast(tf.math.log(2.0), a.dtype)
    return tf.where(tf.math.is_nan(delta), a + b,
                    tf.maximum(a, b) + tf.math.log1p(tf.math.exp(-tf.abs(delta) * ln2)) / ln2)


def _ops_heaviside(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    dtype = _ops_result_type(x1.dtype.name, x2.dtype.name)
    if dtype == "int64":
        dtype = "float64"
    elif dtype in ("int8", "int16", "int32", "uint8", "uint16", "uint32"):
        dtype = _FLOATX
    a, b = tf.cast(x1, dtype), tf.cast(x2, dtype)
    return tf.where(a < 0, tf.zeros_like(a), tf.where(a > 0, tf.ones_like(a), b))


def _ops_nextafter(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    dtype = _ops_result_type(x1.dtype.name, x2.dtype.name, float)
    return tf.cast(tf.math.nextafter(tf.cast(x1, tf.float64), tf.cast(x2, tf.float64)), dtype)


def _ops_fmax(x1, x2):
    a, b = _ops_promote(x1, x2)
    if not a.dtype.is_floating:
        return tf.maximum(a, b)
    na, nb = tf.math.is_nan(a), tf.math.is_nan(b)
    out = tf.maximum(a, b)
    out = tf.where(na & ~nb, b, out)
    return tf.where(nb & ~na, a, out)


def _ops_fmin(x1, x2):
    a, b = _ops_promote(x1, x2)
    if not a.dtype.is_floating:
        return tf.minimum(a, b)
    na, nb = tf.math.is_nan(a), tf.math.is_nan(b)
    out = tf.minimum(a, b)
    out = tf.where(na & ~nb, b, out)
    return tf.where(nb & ~na, a, out)


def _ops_gcd(x1, x2):
    a, b = _ops_promote(tf.convert_to_tensor(x1), tf.convert_to_tensor(x2))
    if not a.dtype.is_integer:
        raise TypeError("Arguments to gcd must be integers.")
    shape = tf.broadcast_static_shape(a.shape, b.shape)
    a, b = tf.broadcast_to(a, shape), tf.broadcast_to(b, shape)
    if not a.dtype.is_unsigned:
        a, b = tf.abs(a), tf.abs(b)

    def step(a, b):
        safe = tf.where(tf.equal(b, 0), tf.ones_like(b), b)
        nonzero = tf.not_equal(b, 0)
        return tf.where(nonzero, b, a), tf.where(nonzero, tf.math.floormod(a, safe), tf.zeros_like(b))

    return tf.while_loop(lambda a, b: tf.reduce_any(b != 0), step, [a, b])[0]


def _ops_lcm(x1, x2):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    if not a.dtype.is_unsigned:
        a, b = tf.abs(a), tf.abs(b)
    g = _ops_gcd(a, b)
    out = a * (b // tf.where(g == 0, tf.ones_like(g), g))
    return tf.where(g == 0, tf.zeros_like(out), out)


def _ops_ldexp(x1, x2):
    x1, x2 = _ops_tensor(x1), _ops_tensor(x2)
    if not x2.dtype.is_integer:
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={x2.dtype}")
    dtype = _ops_result_type(x1.dtype.name, x2.dtype.name, float)
    a = tf.cast(x1, dtype)
    out = a * tf.pow(tf.constant(2.0, a.dtype), tf.cast(x2, a.dtype))
    return tf.where(tf.math.is_inf(a) | (a == 0), a, out)


def _ops_sinc(x):
    x = _ops_float(x)
    pix = x * tf.constant(math.pi, x.dtype)
    return tf.where(tf.equal(x, 0), tf.ones_like(x), tf.math.sin(pix) / pix)


def _ops_cbrt(x):
    x = _ops_int_to_float(x)
    return tf.sign(x) * tf.pow(tf.abs(x), 1.0 / 3.0)


def _ops_deg2rad(x):
    x = _ops_int_to_float(x)
    return x * (tf.constant(math.pi, x.dtype) / tf.constant(180.0, x.dtype))


def _ops_rad2deg(x):
    x = _ops_int_to_float(x)
    return x * (tf.constant(180.0, x.dtype) / tf.constant(math.pi, x.dtype))


def _ops_i0(x):
    x = _ops_int_to_float(x)
    return tf.math.bessel_i0(x)


def _ops_angle(x):
    x = _ops_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        x = tf.cast(x, _FLOATX)
    return tf.math.angle(x)


def _ops_fabs(x):
    return tf.abs(_ops_float(x))


def _ops_isneginf(x):
    x = _ops_tensor(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype=tf.bool)
    return tf.equal(x, tf.constant(float("-inf"), x.dtype))


def _ops_isposinf(x):
    x = _ops_tensor(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype=tf.bool)
    return tf.equal(x, tf.constant(float("inf"), x.dtype))


def _ops_isreal(x):
    x = _ops_tensor(x)
    if x.dtype.is_complex:
        return tf.equal(tf.math.imag(x), 0)
    return tf.ones_like(x, dtype=tf.bool)


def _ops_isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _ops_promote(_ops_tensor(x1), _ops_tensor(x2))
    if not a.dtype.is_floating:
        return tf.equal(a, b)
    out = tf.abs(a - b) <= atol + rtol * tf.abs(b)
    if equal_nan:
        out = out | (tf.math.is_nan(a) & tf.math.is_nan(b))
    return out


def _ops_allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return tf.reduce_all(_ops_isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _ops_bitwise_and(x, y):
    return tf.bitwise.bitwise_and(*_ops_promote(_ops_tensor(x), _ops_tensor(y)))


def _ops_bitwise_or(x, y):
    return tf.bitwise.bitwise_or(*_ops_promote(_ops_tensor(x), _ops_tensor(y)))


def _ops_bitwise_xor(x, y):
    return tf.bitwise.bitwise_xor(*_ops_promote(_ops_tensor(x), _ops_tensor(y)))


def _ops_bitwise_invert(x):
    return tf.bitwise.invert(_ops_tensor(x))


def _ops_bitwise_left_shift(x, y):
    x = _ops_tensor(x)
    if not isinstance(y, int):
        x, y = _ops_promote(x, _ops_tensor(y))
    return tf.bitwise.left_shift(x, y)


def _ops_bitwise_right_shift(x, y):
    x = _ops_tensor(x)
    if not isinstance(y, int):
        x, y = _ops_promote(x, _ops_tensor(y))
    return tf.bitwise.right_shift(x, y)


# --- windows -----------------------------------------------------------------------------


def _ops_bartlett(x):
    n = tf.range(tf.cast(x, _FLOATX))
    if x == 0:
        return tf.constant([])
    if x == 1:
        return tf.ones([1])
    half = (x - 1) / 2
    return tf.where(n <= half, 2.0 * n / (x - 1), 2.0 - 2.0 * n / (x - 1))


def _ops_blackman(x):
    n = tf.range(x, dtype=_FLOATX)
    m = tf.cast(x - 1, _FLOATX)
    safe = tf.where(tf.equal(m, 0), tf.ones_like(m), m)
    w = 0.42 - 0.5 * tf.cos(2 * math.pi * n / safe) + 0.08 * tf.cos(4 * math.pi * n / safe)
    return tf.where(tf.equal(m, 0), tf.ones_like(w), w)


def _ops_hamming(x):
    return tf.signal.hamming_window(_ops_tensor(x, "int32"), periodic=False)


def _ops_hanning(x):
    return tf.signal.hann_window(_ops_tensor(x, "int32"), periodic=False)


def _ops_kaiser(x, beta):
    return tf.signal.kaiser_window(_ops_tensor(x, "int32"), beta=beta)


# --- nn: activations ---------------------------------------------------------------------


def _ops_sigmoid(x):
    """``keras.ops.sigmoid``; the logits stay on the output (Keras's crossentropies read them)."""
    out = tf.nn.sigmoid(x)
    try:
        out._keras_logits = x
    except AttributeError:
        pass
    return out


def _ops_softmax(x, axis=-1):
    """``keras.ops.softmax``: ``axis`` may be a tuple of axes, or None for all of them."""
    logits = x
    x = _ops_tensor(x)
    if isinstance(axis, tuple):
        keep = [a for a in range(x.shape.rank) if a not in axis]
        moved = tf.transpose(x, keep + list(axis))
        flat = tf.reshape(moved, [x.shape[a] for a in keep] + [-1])
        out = tf.reshape(tf.nn.softmax(flat, axis=-1), tf.shape(moved))
        out = tf.transpose(out, [(keep + list(axis)).index(a) for a in range(x.shape.rank)])
    elif axis is None:
        out = tf.reshape(tf.nn.softmax(tf.reshape(x, [-1])), tf.shape(x))
    else:
        out = tf.nn.softmax(x, axis=axis)
    try:
        out._keras_logits = logits
    except AttributeError:
        pass
    return out


def _ops_log_softmax(x, axis=-1):
    x = _ops_tensor(x)
    if isinstance(axis, tuple):
        keep = [a for a in range(x.shape.rank) if a not in axis]
        moved = tf.transpose(x, keep + list(axis))
        flat = tf.reshape(moved, [x.shape[a] for a in keep] + [-1])
        out = tf.reshape(tf.nn.log_softmax(flat, axis=-1), tf.shape(moved))
        return tf.transpose(out, [(keep + list(axis)).index(a) for a in range(x.shape.rank)])
    if axis is None:
        return tf.reshape(tf.nn.log_softmax(tf.reshape(x, [-1])), tf.shape(x))
    return tf.nn.log_softmax(x, axis=axis)


def _ops_hard_sigmoid(x):
    x = _ops_tensor(x)
    return tf.nn.relu6(x + tf.constant(3.0, x.dtype)) / tf.constant(6.0, x.dtype)


def _ops_hard_silu(x):
    return x * _ops_hard_sigmoid(x)


def _ops_elu(x, alpha=1.0):
    out = tf.nn.elu(x)
    return out if alpha == 1 else tf.where(x > 0, out, alpha * out)


def _ops_gelu(x, approximate=True):
    return tf.nn.gelu(_ops_tensor(x), approximate=approximate)


def _ops_celu(x, alpha=1.0):
    return tf.maximum(x, 0.0) + alpha * tf.math.expm1(tf.minimum(x, 0.0) / alpha)


def _ops_glu(x, axis=-1):
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.sigmoid(b)


def _ops_tanh_shrink(x):
    return x - tf.math.tanh(x)


def _ops_hard_shrink(x, threshold=0.5):
    return tf.where(tf.abs(x) > threshold, x, tf.zeros_like(x))


def _ops_soft_shrink(x, threshold=0.5):
    return tf.where(x > threshold, x - threshold, tf.where(x < -threshold, x + threshold, tf.zeros_like(x)))


def _ops_squareplus(x, b=4):
    x = _ops_tensor(x)
    return (x + tf.sqrt(tf.square(x) + tf.cast(b, x.dtype))) / 2


def _ops_sparse_plus(x):
    return tf.where(x <= -1, tf.zeros_like(x), tf.where(x < 1, 0.25 * tf.pow(x + 1, 2), x))


def _ops_sparse_sigmoid(x):
    x = _ops_tensor(x)
    return tf.where(x <= -1, tf.constant(0.0, x.dtype), tf.where(x >= 1, tf.constant(1.0, x.dtype), 0.5 * (x + 1)))


def _ops_sparsemax(x, axis=-1):
    x = _ops_tensor(x)
    z = tf.sort(x, direction="DESCENDING", axis=axis)
    cum = tf.cumsum(z, axis=axis)
    k = tf.range(1, tf.shape(x)[axis] + 1, dtype=x.dtype)
    shape = [1] * x.shape.rank
    shape[axis] = -1
    k = tf.reshape(k, shape)
    support = z - (cum - 1) / k > 0
    count = tf.reduce_sum(tf.cast(support, x.dtype), axis=axis, keepdims=True)
    tau = (tf.reduce_sum(tf.where(support, cum, 0.0), axis=axis, keepdims=True) - 1) / count
    return tf.maximum(x - tau, 0.0)


def _ops_threshold(x, threshold, default_value):
    return tf.where(x > threshold, x, default_value)


# --- nn: encodings, normalisation, losses ------------------------------------------------


def _ops_one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise NotImplementedError("keras.ops.one_hot(sparse=True) has no translation")
    x = _ops_tensor(x, "int64")
    dtype = "float32" if dtype is None else _ops_standardize_dtype(dtype)
    on, off = (True, False) if dtype == "bool" else (None, None)
    return tf.one_hot(x, num_classes, on_value=on, off_value=off, axis=axis, dtype=dtype)


def _ops_multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    dtype = _ops_standardize_dtype(dtype)
    inputs = _ops_tensor(inputs)
    reduce_axis = 1 if inputs.shape.rank > 1 else 0
    hot = _ops_one_hot(inputs, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    if dtype == "bool":
        return tf.reduce_any(hot, axis=reduce_axis)
    return tf.reduce_max(hot, axis=reduce_axis)


def _ops_moments(x, axes, keepdims=False, synchronized=False):
    if synchronized:
        raise NotImplementedError("keras.ops.moments(synchronized=True) has no translation")
    x = _ops_tensor(x)
    narrow = x.dtype in (tf.float16, tf.bfloat16)
    dtype = x.dtype
    if narrow:
        x = tf.cast(x, "float32")
    mean, variance = tf.nn.moments(x, axes, keepdims=keepdims)
    if narrow:
        mean = tf.cast(tf.clip_by_value(mean, tf.float16.min, tf.float16.max), dtype)
        variance = tf.cast(tf.clip_by_value(variance, tf.float16.min, tf.float16.max), dtype)
    return mean, variance


def _ops_batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=0.001):
    x = _ops_tensor(x)
    if axis != -1:
        shape = [1] * x.shape.rank
        shape[axis] = mean.shape[0]
        mean, variance = tf.reshape(mean, shape), tf.reshape(variance, shape)
        offset = None if offset is None else tf.reshape(offset, shape)
        scale = None if scale is None else tf.reshape(scale, shape)
    return tf.nn.batch_normalization(x, mean, variance, offset, scale, epsilon)


def _ops_layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    rms_scaling = kwargs.pop("rms_scaling", False)
    epsilon = _EPSILON if epsilon is None else epsilon
    x = _ops_tensor(x)
    dtype = x.dtype
    x = tf.cast(x, _ops_result_type(dtype.name, "float32"))
    gamma = None if gamma is None else _ops_tensor(gamma, x.dtype)
    beta = None if beta is None else _ops_tensor(beta, x.dtype)
    rank = x.shape.rank
    axes = sorted([axis] if isinstance(axis, int) else list(axis))
    shape = [1] * rank
    for a in axes:
        shape[a] = x.shape[a]

    def widen(v):
        if v is not None and v.shape.rank != rank and axes != [rank - 1]:
            return tf.reshape(v, shape)
        return v

    if rms_scaling:
        out = x * tf.math.rsqrt(tf.math.reduce_variance(x, axis=axes, keepdims=True) + epsilon)
        if gamma is not None:
            out = out * widen(gamma)
    else:
        mean, variance = tf.nn.moments(x, axes, keepdims=True)
        inv = tf.math.rsqrt(variance + epsilon)
        if gamma is not None:
            inv = inv * widen(gamma)
        shift = -mean * inv
        if beta is not None:
            shift = shift + widen(beta)
        out = x * inv + shift
    return tf.cast(out, dtype)


def _ops_rms_normalization(x, scale=None, axis=-1, epsilon=None):
    epsilon = _EPSILON if epsilon is None else epsilon
    x = _ops_tensor(x)
    dtype = x.dtype
    x = tf.cast(x, _ops_result_type(dtype.name, "float32"))
    axis = sorted(axis) if isinstance(axis, (list, tuple)) else axis
    out = x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=axis, keepdims=True) + epsilon)
    if scale is not None:
        out = out * _ops_tensor(scale, x.dtype)
    return tf.cast(out, dtype)


def _ops_normalize(x, axis=-1, order=2, epsilon=None):
    epsilon = _EPSILON if epsilon is None else epsilon
    x = _ops_tensor(x)
    if x.shape.rank == 0:
        x = x[None]
    if order == 2:
        inv = tf.math.rsqrt(_ops_sum(tf.square(x), axis=axis, keepdims=True))
        return x * tf.minimum(inv, 1.0 / epsilon)
    return x / tf.maximum(_ops_norm(x, ord=order, axis=axis, keepdims=True), epsilon)


def _ops_logits_of(output, op_type):
    """Keras's crossentropies use the logits of a softmax/sigmoid output when they can find
    them: kept on the tensor by Keras's (and this runtime's) ops, or its producing op."""
    kept = getattr(output, "_keras_logits", None)
    if kept is not None:
        return kept, True
    op = getattr(output, "op", None)
    if op is not None and not isinstance(output, tf.Variable) and not tf.executing_eagerly():
        if op.type == op_type:
            return op.inputs[0], True
    return output, False


def _ops_binary_crossentropy(target, output, from_logits=False):
    target, output = tf.convert_to_tensor(target), tf.convert_to_tensor(output)
    logits, found = _ops_logits_of(output, "Sigmoid")
    if from_logits or found:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits if found else output)
    output = tf.clip_by_value(output, _EPSILON, 1.0 - _EPSILON)
    return -(target * tf.math.log(output) + (1 - target) * tf.math.log(1 - output))


def _ops_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = tf.convert_to_tensor(target), tf.convert_to_tensor(output)
    logits, found = _ops_logits_of(output, "Softmax")
    if from_logits or found:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=logits if found else output, axis=axis)
    output = output / tf.reduce_sum(output, axis, keepdims=True)
    output = tf.clip_by_value(output, _EPSILON, 1.0 - _EPSILON)
    return -tf.reduce_sum(target * tf.math.log(output), axis)


def _ops_sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    logits, found = _ops_logits_of(output, "Softmax")
    if found:
        output, from_logits = logits, True
    target = tf.cast(tf.convert_to_tensor(target), "int64")
    output = tf.convert_to_tensor(output)
    if target.shape.rank == output.shape.rank and target.shape[-1] == 1:
        target = tf.squeeze(target, axis=-1)
    if not from_logits:
        output = tf.math.log(tf.clip_by_value(output, _EPSILON, 1 - _EPSILON))
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


def _ops_ctc_loss(target, output, target_length, output_length, mask_index=0):
    target = tf.cast(_ops_tensor(target), "int32")
    output = _ops_tensor(output)
    result = _ops_result_type(output.dtype.name, "float32")
    compute = "float32" if result == "float64" else result
    loss = tf.nn.ctc_loss(labels=target, logits=tf.cast(output, compute), label_length=target_length,
                          logit_length=output_length, blank_index=mask_index, logits_time_major=False)
    return tf.cast(loss, result)


def _ops_psnr(x1, x2, max_val):
    max_val = _ops_tensor(max_val, x2.dtype)
    mse = tf.reduce_mean(tf.square(x1 - x2))
    return 20 * _ops_log10(max_val) - 10 * _ops_log10(mse)


def _ops_polar(abs_, angle):
    abs_, angle = _ops_tensor(abs_), _ops_tensor(angle)
    return tf.dtypes.complex(abs_ * _ops_cos(angle), abs_ * _ops_sin(angle))


def _ops_rearrange_groups(side):
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``."""
    groups, current = [], None
    for token in side.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            current = []
        elif token == ")":
            groups.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    return groups


def _ops_rearrange(tensor, pattern, **axes_lengths):
    """``keras.ops.rearrange`` (einops): split the input's grouped axes (``(h w)``, all but
    one length given as keywords), transpose the elementary axes into the output's order,
    and merge the output's groups."""
    tensor = _ops_tensor(tensor)
    left, right = (side.strip() for side in pattern.split("->"))
    inputs, outputs = _ops_rearrange_groups(left), _ops_rearrange_groups(right)
    dims = _ops_shape(tensor)
    sizes = {}
    for group, dim in zip(inputs, dims):
        if len(group) == 1:
            sizes[group[0]] = dim
            continue
        known = math.prod(axes_lengths[a] for a in group if a in axes_lengths)
        for name in group:
            sizes[name] = axes_lengths[name] if name in axes_lengths else dim // known
    elementary = [name for group in inputs for name in group]
    x = tf.reshape(tensor, [sizes[name] for name in elementary])
    x = tf.transpose(x, [elementary.index(name) for group in outputs for name in group])
    return tf.reshape(x, [math.prod(sizes[name] for name in group) for group in outputs])


def _ops_pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _ops_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """``keras.ops.unfold`` (PyTorch's im2col): NCHW ``x`` to ``(N, C * kH * kW, L)``, each
    column one window (channel, then kernel row, then kernel column), windows in row order."""
    x = _ops_tensor(x)
    if x.shape.rank != 4:
        raise ValueError(f"Input must be a 4D tensor. Received: input.shape={x.shape}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_ops_pair(v) for v in (kernel_size, dilation, padding, stride))
    if ph or pw:
        x = tf.pad(x, [[0, 0], [0, 0], [ph, ph], [pw, pw]])
    channels = x.shape[1]
    patches = tf.image.extract_patches(tf.transpose(x, [0, 2, 3, 1]), sizes=[1, kh, kw, 1], strides=[1, sh, sw, 1],
                                       rates=[1, dh, dw, 1], padding="VALID")  # (N, nH, nW, kH * kW * C)
    shape = tf.shape(patches)
    patches = tf.reshape(patches, tf.stack([shape[0], shape[1], shape[2], kh, kw, channels]))
    patches = tf.transpose(patches, [0, 5, 3, 4, 1, 2])  # (N, C, kH, kW, nH, nW)
    return tf.reshape(patches, tf.stack([shape[0], channels * kh * kw, shape[1] * shape[2]]))


def _ops_fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """``keras.ops.fold`` (PyTorch's col2im), the adjoint of :func:`_ops_unfold`: each column
    of ``(N, C * kH * kW, L)`` is put back at its window in an ``(N, C, oH, oW)`` image,
    overlapping values summed. For each kernel position, the ``(nH, nW)`` values are spread
    ``stride`` apart (zeros between), shifted by the position times ``dilation``, and added."""
    x = _ops_tensor(x)
    if x.shape.rank != 3:
        raise ValueError(f"Input must be a 3D tensor. Received: input.shape={x.shape}")
    (oh, ow), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        _ops_pair(v) for v in (output_size, kernel_size, dilation, padding, stride))
    channels = x.shape[1] // (kh * kw)
    nh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    nw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    height, width = oh + 2 * ph, ow + 2 * pw
    blocks = tf.reshape(x, tf.stack([tf.shape(x)[0], channels, kh, kw, nh, nw]))
    out = None
    for i in range(kh):
        for j in range(kw):
            part = blocks[:, :, i, j, :, None, :, None]  # (N, C, nH, 1, nW, 1)
            part = tf.pad(part, [[0, 0], [0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1]])
            part = tf.reshape(part, tf.stack([tf.shape(x)[0], channels, nh * sh, nw * sw]))
            top, left = i * dh, j * dw
            part = tf.pad(part, [[0, 0], [0, 0], [top, max(0, height - top - nh * sh)],
                                 [left, max(0, width - left - nw * sw)]])[:, :, :height, :width]
            out = part if out is None else out + part
    return out[:, :, ph:ph + oh, pw:pw + ow]


# --- nn: convolution and pooling (channels_last, or channels_first by transposing) --------


def _ops_channels_last(x, data_format):
    if data_format == "channels_first":
        rank = x.shape.rank
        return tf.transpose(x, [0] + list(range(2, rank)) + [1])
    return x


def _ops_channels_back(x, data_format):
    if data_format == "channels_first":
        rank = x.shape.rank
        return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))
    return x


def _ops_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    out = tf.nn.convolution(x, kernel, strides, padding.upper(), dilations=dilation_rate)
    return _ops_channels_back(out, data_format)


def _ops_conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                        dilation_rate=1):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    kernel = _ops_tensor(kernel)
    dims = x.shape.rank - 2
    strides_ = (strides,) * dims if isinstance(strides, int) else tuple(strides)
    dilation_ = (dilation_rate,) * dims if isinstance(dilation_rate, int) else tuple(dilation_rate)
    pads = (output_padding,) * dims if isinstance(output_padding, int) else output_padding
    dynamic = tf.shape(x)
    sizes = []
    for i in range(dims):
        size = x.shape[1 + i]
        k = (kernel.shape[i] - 1) * dilation_[i] + 1
        extra = None if pads is None else pads[i]
        if padding.lower() == "valid":
            extra = builtins.max(k, strides_[i]) - k if extra is None else extra
            sizes.append((size - 1) * strides_[i] + k + extra)
        elif extra is None:
            sizes.append(size * strides_[i])
        else:
            sizes.append((size - 1) * strides_[i] + k % 2 + extra)
    batch = x.shape[0] if x.shape[0] is not None else dynamic[0]
    out = tf.nn.conv_transpose(x, kernel, [batch] + sizes + [kernel.shape[-2]], strides, padding=padding.upper(),
                               dilations=dilation_rate)
    return _ops_channels_back(out, data_format)


def _ops_depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    kernel = _ops_tensor(kernel)
    dims = x.shape.rank - 2
    strides = (strides,) * dims if isinstance(strides, int) else tuple(strides)
    dilation = (dilation_rate,) * dims if isinstance(dilation_rate, int) else tuple(dilation_rate)
    if builtins.any(s > 1 for s in strides) and builtins.any(d > 1 for d in dilation):
        raise NotImplementedError("depthwise_conv with both strides and dilation has no translation")
    if dims == 1:
        out = tf.nn.depthwise_conv2d(x[:, None], kernel[None], (1,) + strides * 2 + (1,), padding.upper(),
                                     dilations=(1,) + dilation)
        out = out[:, 0]
    else:
        out = tf.nn.depthwise_conv2d(x, kernel, (1,) + strides + (1,), padding.upper(), dilations=dilation)
    return _ops_channels_back(out, data_format)


def _ops_separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                        dilation_rate=1):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    dims = x.shape.rank - 2
    strides = (strides,) * dims if isinstance(strides, int) else tuple(strides)
    dilation = (dilation_rate,) * dims if isinstance(dilation_rate, int) else tuple(dilation_rate)
    if builtins.any(s > 1 for s in strides) and builtins.any(d > 1 for d in dilation):
        raise NotImplementedError("separable_conv with both strides and dilation has no translation")
    if dims == 1:
        out = tf.nn.separable_conv2d(x[:, None], depthwise_kernel[None], pointwise_kernel[None],
                                     (1,) + strides * 2 + (1,), padding.upper(), dilations=(1,) + dilation)
        out = out[:, 0]
    else:
        out = tf.nn.separable_conv2d(x, depthwise_kernel, pointwise_kernel, (1,) + strides + (1,), padding.upper(),
                                     dilations=dilation)
    return _ops_channels_back(out, data_format)


def _ops_max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    out = tf.nn.max_pool(x, pool_size, pool_size if strides is None else strides, padding.upper())
    return _ops_channels_back(out, data_format)


def _ops_average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    out = tf.nn.avg_pool(x, pool_size, pool_size if strides is None else strides, padding.upper())
    return _ops_channels_back(out, data_format)


def _ops_adaptive_pool(reduce, inputs, output_size, data_format):
    x = _ops_channels_last(_ops_tensor(inputs), data_format)
    dims = x.shape.rank - 2
    sizes = (output_size,) * dims if isinstance(output_size, int) else tuple(output_size)
    for d in range(dims):
        length, out = x.shape[1 + d], sizes[d]
        pieces = []
        for i in range(out):
            start = (i * length) // out
            end = -((-(i + 1) * length) // out)
            window = tf.gather(x, list(range(start, builtins.max(end, start + 1))), axis=1 + d)
            pieces.append(reduce(window, axis=1 + d, keepdims=True))
        x = tf.concat(pieces, axis=1 + d)
    return _ops_channels_back(x, data_format)


def _ops_adaptive_average_pool(inputs, output_size, data_format=None):
    return _ops_adaptive_pool(tf.reduce_mean, inputs, output_size, data_format)


def _ops_adaptive_max_pool(inputs, output_size, data_format=None):
    return _ops_adaptive_pool(tf.reduce_max, inputs, output_size, data_format)


def _ops_depth_to_space(x, block_size, data_format="channels_last"):
    if data_format == "channels_last":
        return tf.nn.depth_to_space(x, block_size)
    return tf.transpose(tf.nn.depth_to_space(tf.transpose(x, [0, 2, 3, 1]), block_size), [0, 3, 1, 2])


def _ops_space_to_depth(x, block_size, data_format="channels_last"):
    if data_format == "channels_last":
        return tf.nn.space_to_depth(x, block_size)
    return tf.transpose(tf.nn.space_to_depth(tf.transpose(x, [0, 2, 3, 1]), block_size), [0, 3, 1, 2])


def _ops_dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                               flash_attention=None, attn_logits_soft_cap=None):
    """JAX's ``dot_product_attention`` as Keras computes it on TensorFlow: (batch, length,
    heads, dim) inputs; masked logits become a large negative number, not -inf."""
    if flash_attention or attn_logits_soft_cap is not None:
        raise NotImplementedError("flash attention and logit soft caps have no TensorFlow translation")
    query, key, value = _ops_tensor(query), _ops_tensor(key), _ops_tensor(value)
    dtype = _ops_result_type(query.dtype.name, key.dtype.name, value.dtype.name)
    query, key, value = tf.cast(query, dtype), tf.cast(key, dtype), tf.cast(value, dtype)
    heads, kv_heads = query.shape[2], key.shape[2]
    if heads is not None and kv_heads is not None and heads > kv_heads > 1:
        key = tf.repeat(key, heads // kv_heads, axis=2)
        value = tf.repeat(value, heads // kv_heads, axis=2)
    if scale is None:
        scale = 1.0 / tf.sqrt(tf.cast(tf.shape(key)[-1], "float32"))
    logits_dtype = _ops_result_type(dtype, "float32")
    logits = tf.cast(tf.einsum("BTNH,BSNH->BNTS", query, key), logits_dtype) * tf.cast(scale, logits_dtype)
    if bias is not None:
        logits = logits + tf.cast(bias, logits_dtype)
    if mask is not None or is_causal:
        keep = tf.ones_like(logits, dtype="bool")
        if mask is not None:
            keep = tf.logical_and(keep, mask)
        if is_causal:
            t, s = tf.shape(logits)[2], tf.shape(logits)[3]
            keep = tf.logical_and(keep, tf.linalg.band_part(tf.ones((t, s), "bool"), -1, 0)[None, None])
        large = (65500.0 if logits.dtype == tf.float16 else 3.38953e38) * -0.7
        logits = tf.where(keep, logits, tf.constant(large, logits.dtype))
    probs = tf.nn.softmax(tf.cast(logits, _ops_result_type(logits.dtype.name, "float32")), axis=-1)
    return tf.einsum("BNTS,BSNH->BTNH", tf.cast(probs, key.dtype), value)


# --- math ---------------------------------------------------------------------------------


def _ops_segment(sorted_fn, unsorted_fn, data, segment_ids, num_segments, sorted, count_unique):
    if sorted:
        if num_segments is not None:
            raise ValueError("Argument `num_segments` cannot be set when sorted is True.")
        return sorted_fn(data, segment_ids)
    if num_segments is None:
        if count_unique:
            num_segments = tf.shape(tf.unique(segment_ids)[0])[0]
        else:
            num_segments = tf.cast(tf.reduce_max(segment_ids) + 1, tf.int32)
    return unsorted_fn(data, segment_ids, num_segments)


def _ops_segment_sum(data, segment_ids, num_segments=None, sorted=False):
    return _ops_segment(tf.math.segment_sum, tf.math.unsorted_segment_sum, data, segment_ids, num_segments, sorted,
                        True)


def _ops_segment_max(data, segment_ids, num_segments=None, sorted=False):
    return _ops_segment(tf.math.segment_max, tf.math.unsorted_segment_max, data, segment_ids, num_segments, sorted,
                        False)


def _ops_segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _ops_segment(tf.math.segment_min, tf.math.unsorted_segment_min, data, segment_ids, num_segments, sorted,
                        False)


def _ops_segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _ops_segment(tf.math.segment_prod, tf.math.unsorted_segment_prod, data, segment_ids, num_segments, sorted,
                        False)


def _ops_cdist(x, y):
    x, y = _ops_tensor(x), _ops_tensor(y)
    return tf.sqrt(tf.reduce_sum(tf.square(x[..., :, None, :] - y[..., None, :, :]), axis=-1))


def _ops_complex(x):
    real, imag = _ops_tensor(x[0]), _ops_tensor(x[1])
    return tf.dtypes.complex(real, imag)


def _ops_fft(x):
    out = tf.signal.fft(_ops_complex(x))
    return tf.math.real(out), tf.math.imag(out)


def _ops_fft2(x):
    out = tf.signal.fft2d(_ops_complex(x))
    return tf.math.real(out), tf.math.imag(out)


def _ops_ifft2(x):
    real, imag = _ops_tensor(x[0]), _ops_tensor(x[1])
    n = tf.cast(tf.shape(real)[-2] * tf.shape(real)[-1], real.dtype)
    re, im = _ops_fft2((real, -imag))
    return re / n, -im / n


def _ops_rfft(x, fft_length=None):
    out = tf.signal.rfft(x, fft_length=None if fft_length is None else [fft_length])
    return tf.math.real(out), tf.math.imag(out)


def _ops_irfft(x, fft_length=None):
    return tf.signal.irfft(_ops_complex(x), None if fft_length is None else [fft_length])


def _ops_view_as_complex(x):
    x = _ops_tensor(x)
    return tf.complex(x[..., 0], x[..., 1])


def _ops_view_as_real(x):
    x = _ops_tensor(x)
    return tf.stack([tf.math.real(x), tf.math.imag(x)], axis=-1)


# --- linalg -------------------------------------------------------------------------------


def _ops_cholesky(x, upper=False):
    out = tf.linalg.cholesky(_ops_tensor(x))
    return tf.linalg.adjoint(out) if upper else out


def _ops_cholesky_inverse(x, upper=False):
    x = _ops_tensor(x)
    eye = tf.eye(tf.shape(x)[-1], dtype=x.dtype)
    inv = tf.linalg.triangular_solve(x, eye, lower=not upper)
    if upper:
        return tf.matmul(inv, inv, transpose_b=True)
    return tf.matmul(inv, inv, transpose_a=True)


def _ops_lu_factor(x):
    lu, p = tf.linalg.lu(_ops_tensor(x))
    return lu, tf.math.invert_permutation(p)


def _ops_norm(x, ord=None, axis=None, keepdims=False):
    x = _ops_tensor(x)
    rank = x.shape.rank
    axis = tuple(range(rank)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    x = tf.cast(x, _FLOATX if x.dtype == tf.int64 else _ops_result_type(x.dtype.name, float))
    if len(axis) == 1:
        axis = axis[0]
        if ord is None or ord == 2:
            return tf.sqrt(tf.reduce_sum(x * tf.math.conj(x), axis=axis, keepdims=keepdims))
        if ord == float("inf"):
            return tf.reduce_max(tf.abs(x), axis=axis, keepdims=keepdims)
        if ord == float("-inf"):
            return tf.reduce_min(tf.abs(x), axis=axis, keepdims=keepdims)
        if ord == 0:
            return tf.reduce_sum(tf.cast(tf.not_equal(x, 0), x.dtype), axis=axis, keepdims=keepdims)
        p = tf.cast(ord, x.dtype)
        return tf.pow(tf.reduce_sum(tf.pow(tf.abs(x), p), axis=axis, keepdims=keepdims), 1.0 / p)
    rows, cols = axis[0] % rank, axis[1] % rank
    if ord is None or ord == "fro":
        return tf.sqrt(tf.reduce_sum(x * tf.math.conj(x), axis=axis, keepdims=keepdims))
    if ord in (1, -1):
        reduce = tf.reduce_max if ord == 1 else tf.reduce_min
        if not keepdims and cols > rows:
            cols -= 1
        return reduce(tf.reduce_sum(tf.abs(x), axis=rows, keepdims=keepdims), axis=cols, keepdims=keepdims)
    if ord in (float("inf"), float("-inf")):
        reduce = tf.reduce_max if ord > 0 else tf.reduce_min
        if not keepdims and rows > cols:
            rows -= 1
        return reduce(tf.reduce_sum(tf.abs(x), axis=cols, keepdims=keepdims), axis=rows, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = tf.linalg.svd(_ops_moveaxis(x, axis, (-2, -1)), compute_uv=False)
        out = {"nuc": tf.reduce_sum, 2: tf.reduce_max, -2: tf.reduce_min}[ord](s, axis=-1)
        if keepdims:
            out = tf.expand_dims(tf.expand_dims(out, axis[0]), axis[1])
        return out
    raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={ord}")


def _ops_qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` argument value not supported. Received: mode={mode}")
    return tf.linalg.qr(_ops_tensor(x), full_matrices=mode == "complete")


def _ops_solve(a, b):
    a, b = _ops_tensor(a), _ops_tensor(b)
    if b.shape.rank == a.shape.rank - 1:
        return tf.linalg.solve(a, b[..., None])[..., 0]
    return tf.linalg.solve(a, b)


def _ops_solve_triangular(a, b, lower=False):
    a, b = _ops_tensor(a), _ops_tensor(b)
    if b.shape.rank == a.shape.rank - 1:
        return tf.linalg.triangular_solve(a, b[..., None], lower=lower)[..., 0]
    return tf.linalg.triangular_solve(a, b, lower=lower)


def _ops_svd(x, full_matrices=True, compute_uv=True):
    x = _ops_tensor(x)
    if not compute_uv:
        return tf.linalg.svd(x, full_matrices=full_matrices, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)


def _ops_lstsq(a, b, rcond=None):
    a, b = _ops_tensor(a), _ops_tensor(b)
    vector = b.shape.rank == 1
    if vector:
        b = b[:, None]
    m, n = a.shape
    eps = {tf.float64: 2.220446049250313e-16, tf.float16: 0.0009765625}.get(a.dtype, 1.1920928955078125e-07)
    rcond = eps * builtins.max(n, m) if rcond is None else (eps if rcond < 0 else rcond)
    u, s, vt = _ops_svd(a, full_matrices=False)
    keep = s >= tf.cast(rcond, s.dtype) * s[0]
    inv = tf.where(keep, 1 / tf.where(keep, s, 1), 0)[:, None]
    x = tf.matmul(tf.transpose(tf.math.conj(vt)), inv * tf.matmul(tf.transpose(tf.math.conj(u)), b))
    return tf.reshape(x, [-1]) if vector else x


def _ops_jvp(fun, primals, tangents, has_aux=False):
    flat_primals = tf.nest.flatten(primals)
    flat_tangents = [tf.cast(t, p.dtype) for t, p in zip(tf.nest.flatten(tangents), flat_primals)]
    with tf.autodiff.ForwardAccumulator(flat_primals, flat_tangents) as acc:
        if has_aux:
            out, aux = fun(*primals)
        else:
            out = fun(*primals)
        out_tangents = tf.nest.pack_sequence_as(out, [acc.jvp(o) for o in tf.nest.flatten(out)])
    return (out, out_tangents, aux) if has_aux else (out, out_tangents)


def _ops_slogdet(x):
    return tuple(tf.linalg.slogdet(_ops_tensor(x)))


# --- image (keras.ops.image) --------------------------------------------------------------


def _ops_image_resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
                      pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """``keras.ops.image.resize``: tf.image.resize after Keras's centred crop or pad to the
    target aspect ratio."""
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                         f"Received: fill_mode={fill_mode}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    images = _ops_tensor(images)
    batched = images.shape.rank == 4
    if data_format == "channels_first":
        images = tf.transpose(images, (0, 2, 3, 1) if batched else (1, 2, 0))
    height, width = tf.shape(images)[-3], tf.shape(images)[-2]
    th, tw = size
    if crop_to_aspect_ratio:
        ch = tf.maximum(tf.minimum(height, tf.cast(tf.cast(width * th, "float32") / tw, "int32")), 1)
        cw = tf.maximum(tf.minimum(width, tf.cast(tf.cast(height * tw, "float32") / th, "int32")), 1)
        top = tf.cast(tf.cast(height - ch, "float32") / 2, "int32")
        left = tf.cast(tf.cast(width - cw, "float32") / 2, "int32")
        images = images[..., top:top + ch, left:left + cw, :]
    elif pad_to_aspect_ratio:
        ph = tf.maximum(height, tf.cast(tf.cast(width * th, "float32") / tw, "int32"))
        pw = tf.maximum(width, tf.cast(tf.cast(height * tw, "float32") / th, "int32"))
        top = tf.cast(tf.cast(ph - height, "float32") / 2, "int32")
        left = tf.cast(tf.cast(pw - width, "float32") / 2, "int32")
        # Keras pads ``top`` rows above and below, then ``left`` columns on both sides
        lead = [[0, 0]] if batched else []
        images = tf.pad(images, lead + [[top, top], [0, 0], [0, 0]], constant_values=fill_value)
        images = tf.pad(images, lead + [[0, 0], [left, left], [0, 0]], constant_values=fill_value)
    out = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    if data_format == "channels_first":
        out = tf.transpose(out, (0, 3, 1, 2) if batched else (2, 0, 1))
    return out


def _ops_image_rgb_to_grayscale(images, data_format=None):
    images = _ops_tensor(images)
    axis = -3 if data_format == "channels_first" else -1
    if images.shape[axis] == 1:
        return tf.identity(images)
    dtype = images.dtype
    x = tf.cast(images, _ops_result_type(dtype.name, float))
    gray = tf.tensordot(x, tf.constant([0.2989, 0.5870, 0.1140], x.dtype), axes=(axis, -1))
    return tf.cast(tf.expand_dims(gray, axis), dtype)


def _ops_image_hsv(fn, images, data_format):
    images = _ops_tensor(images)
    batched = images.shape.rank == 4
    if data_format == "channels_first":
        images = tf.transpose(images, (0, 2, 3, 1) if batched else (1, 2, 0))
    out = fn(images)
    if data_format == "channels_first":
        out = tf.transpose(out, (0, 3, 1, 2) if batched else (2, 0, 1))
    return out


def _ops_image_rgb_to_hsv(images, data_format=None):
    return _ops_image_hsv(tf.image.rgb_to_hsv, images, data_format)


def _ops_image_hsv_to_rgb(images, data_format=None):
    return _ops_image_hsv(tf.image.hsv_to_rgb, images, data_format)


def _ops_image_crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                           target_height=None, target_width=None, data_format=None):
    images = _ops_tensor(images)
    shape = _ops_shape(images)
    batched = len(shape) == 4
    first = data_format == "channels_first"
    height, width = (shape[-2], shape[-1]) if first else (shape[-3], shape[-2])
    channels = shape[-3] if first else shape[-1]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    start = [0, top_cropping, left_cropping] if first else [top_cropping, left_cropping, 0]
    size = [channels, target_height, target_width] if first else [target_height, target_width, channels]
    if batched:
        start, size = [0] + start, [shape[0]] + size
    return tf.slice(images, start, size)


def _ops_image_pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
                          target_height=None, target_width=None, data_format=None):
    images = _ops_tensor(images)
    shape = _ops_shape(images)
    first = data_format == "channels_first"
    height, width = (shape[-2], shape[-1]) if first else (shape[-3], shape[-2])
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    pads = [[top_padding, bottom_padding], [left_padding, right_padding]]
    pads = [[0, 0]] + pads if first else pads + [[0, 0]]
    if len(shape) == 4:
        pads = [[0, 0]] + pads
    return tf.pad(images, pads)


def _ops_image_extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """``keras.ops.image.extract_patches`` (2-D): a convolution with an identity kernel, so
    each patch is flattened row by row, channels last."""
    images = _ops_tensor(images)
    ph, pw = (size, size) if isinstance(size, int) else size
    channels = images.shape[-3] if data_format == "channels_first" else images.shape[-1]
    depth = ph * pw * channels
    kernel = tf.reshape(tf.eye(depth, dtype=images.dtype), (ph, pw, channels, depth))
    single = images.shape.rank == 3
    if single:
        images = images[None]
    out = _ops_conv(images, kernel, strides=strides or size, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate)
    return out[0] if single else out


def _ops_image_extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """``keras.ops.image.extract_patches_3d``: a 3-D convolution with an identity kernel, so
    each patch is flattened depth, row, column, channels last."""
    volumes = _ops_tensor(volumes)
    size = (size, size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(f"Invalid `size` argument. Expected an int or a tuple of length 3. Received: size={size}")
    strides = size if strides is None else strides
    strides = (strides, strides, strides) if isinstance(strides, int) else tuple(strides)
    channels = volumes.shape[-4] if data_format == "channels_first" else volumes.shape[-1]
    depth = size[0] * size[1] * size[2] * channels
    kernel = tf.reshape(tf.eye(depth, dtype=volumes.dtype), size + (channels, depth))
    single = volumes.shape.rank == 4
    if single:
        volumes = volumes[None]
    out = _ops_conv(volumes, kernel, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate)
    return out[0] if single else out


def _ops_homography(start, end):
    """The projective matrices mapping each ``end`` quadrilateral to ``start`` (Keras's
    ``compute_homography_matrix``): the 8x8 linear system of the four point pairs, solved
    with ``tf.linalg.solve``; shapes (batch, 4, 2) -> (batch, 8)."""
    rows, targets = [], []
    for i in range(4):
        sx, sy = start[:, i, 0], start[:, i, 1]
        ex, ey = end[:, i, 0], end[:, i, 1]
        one, zero = tf.ones_like(ex), tf.zeros_like(ex)
        rows.append(tf.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1))
        rows.append(tf.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1))
        targets += [sx, sy]
    system = tf.stack(rows, axis=1)
    target = tf.expand_dims(tf.stack(targets, axis=-1), -1)
    return tf.reshape(tf.linalg.solve(system, target), [-1, 8])


def _ops_image_perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                                     data_format=None):
    """``keras.ops.image.perspective_transform``: the homography taking ``end_points`` to
    ``start_points`` (solved as Keras solves it), applied with ImageProjectiveTransformV3,
    points outside filled with ``fill_value``."""
    images = _ops_tensor(images)
    start = tf.convert_to_tensor(start_points, tf.float32)
    end = tf.convert_to_tensor(end_points, tf.float32)
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Invalid value for argument `interpolation`. Received: interpolation={interpolation}")
    single = images.shape.rank == 3
    if single:
        images = images[None]
    start = start[None] if start.shape.rank == 2 else start
    end = end[None] if end.shape.rank == 2 else end
    if data_format == "channels_first":
        images = tf.transpose(images, (0, 2, 3, 1))
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=_ops_homography(start, end), output_shape=tf.shape(images)[1:-1],
        fill_value=fill_value, interpolation=interpolation.upper())
    out = tf.ensure_shape(out, images.shape)
    if data_format == "channels_first":
        out = tf.transpose(out, (0, 3, 1, 2))
    return out[0] if single else out


def _ops_image_ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """``keras.ops.image.ssim``: per channel, Gaussian-weighted (``filter_size``, ``filter_sigma``)
    means, variances and covariance over the VALID windows, the SSIM map averaged over the
    image and then the channels; one value per image (a scalar for one image), in the input's
    dtype."""
    image1, image2 = _ops_tensor(image1), _ops_tensor(image2)
    original = image1.dtype
    dtype = _ops_result_type(original.name, float)
    image1, image2 = tf.cast(image1, dtype), tf.cast(image2, dtype)
    single = image1.shape.rank == 3
    if single:
        image1, image2 = image1[None], image2[None]
    if data_format == "channels_first":
        image1, image2 = tf.transpose(image1, (0, 2, 3, 1)), tf.transpose(image2, (0, 2, 3, 1))
    offsets = tf.range(filter_size, dtype=dtype) - (filter_size - 1) / 2.0
    taps = tf.exp(-(offsets ** 2) / (2.0 * filter_sigma ** 2))
    taps = taps / tf.reduce_sum(taps)
    kernel = tf.reshape(taps[:, None] * taps[None, :], (filter_size, filter_size, 1, 1))
    shape = tf.shape(image1)

    def planes(x):  # (B, H, W, C) -> (B * C, H, W, 1)
        return tf.reshape(tf.transpose(x, (0, 3, 1, 2)), tf.stack([-1, shape[1], shape[2], 1]))

    def blur(x):
        return tf.nn.conv2d(x, kernel, strides=1, padding="VALID")

    x, y = planes(image1), planes(image2)
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x * mu_x
    var_y = blur(y * y) - mu_y * mu_y
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    ssim_map = ((2.0 * mu_x * mu_y + c1) * (2.0 * cov + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))
    per_image = tf.reduce_mean(tf.reshape(tf.reduce_mean(ssim_map, axis=[1, 2, 3]), tf.stack([shape[0], shape[3]])),
                               axis=-1)
    return tf.cast(per_image[0] if single else per_image, original)


def _ops_image_affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                                data_format=None):
    images = _ops_tensor(images)
    transform = _ops_tensor(transform)
    single = images.shape.rank == 3
    if single:
        images = images[None]
    if transform.shape.rank == 1:
        transform = transform[None]
    if data_format == "channels_first":
        images = tf.transpose(images, (0, 2, 3, 1))
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=tf.cast(transform, tf.float32), output_shape=tf.shape(images)[1:-1],
        fill_value=fill_value, interpolation=interpolation.upper(), fill_mode=fill_mode.upper())
    out = tf.ensure_shape(out, images.shape)
    if data_format == "channels_first":
        out = tf.transpose(out, (0, 3, 1, 2))
    return out[0] if single else out


def _ops_image_gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    images = _ops_tensor(images)
    dtype = images.dtype
    size = tf.cast(kernel_size, dtype)
    sigma = tf.cast(sigma, dtype)

    def taps(n, s):
        t = tf.range(n, dtype=dtype) - (n - 1) / 2
        k = tf.exp(-0.5 * (t / s) ** 2)
        return k / tf.reduce_sum(k)

    kernel = tf.tensordot(taps(size[1], sigma[1]), taps(size[0], sigma[0]), axes=0)
    single = images.shape.rank == 3
    if single:
        images = images[None]
    if data_format == "channels_first":
        images = tf.transpose(images, (0, 2, 3, 1))
    kernel = tf.tile(tf.reshape(kernel, (kernel_size[0], kernel_size[1], 1, 1)), [1, 1, tf.shape(images)[-1], 1])
    out = tf.nn.depthwise_conv2d(images, tf.cast(kernel, dtype), strides=[1, 1, 1, 1], padding="SAME")
    if data_format == "channels_first":
        out = tf.transpose(out, (0, 3, 1, 2))
    return out[0] if single else out


def _ops_image_elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                                 fill_value=0.0, seed=None, data_format=None):
    """``keras.ops.image.elastic_transform`` as Keras's TensorFlow backend computes it (see
    :func:`_ops_elastic`), the field drawn from ``seed`` as Keras draws it."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Invalid value for argument `interpolation`. Received: interpolation={interpolation}")
    if fill_mode not in ("constant", "nearest", "wrap", "mirror", "reflect"):
        raise ValueError(f"Invalid value for argument `fill_mode`. Received: fill_mode={fill_mode}")
    return _ops_elastic(_ops_tensor(images), alpha, sigma, interpolation, fill_mode, fill_value, _random_seed(seed),
                        data_format)


def _ops_elastic(images, alpha, sigma, interpolation, fill_mode, fill_value, seed, data_format):
    """Keras's elastic deformation: one normal field per image from the stateless ``seed`` pair
    (Keras draws dx and dy with the SAME seed, so they are equal), times ``sigma``, blurred
    with a Gaussian of size ``6 * int(sigma) | 1``; every channel is resampled at the pixel
    grid plus ``alpha`` times the field (map_coordinates). The batch size must be static
    (Keras takes an unknown one as 1)."""
    dtype = images.dtype
    alpha = tf.cast(alpha, dtype)
    sigma = tf.cast(sigma, dtype)
    size = 6 * tf.cast(sigma, tf.int32) | 1
    single = images.shape.rank == 3
    if single:
        images = images[None]
    if data_format == "channels_first":
        batch, channels, height, width = images.shape
    else:
        batch, height, width, channels = images.shape
    batch = batch or 1
    field = tf.random.stateless_normal((batch, height, width), seed=seed, dtype=dtype) * sigma
    axis = 1 if data_format == "channels_first" else -1
    field = tf.squeeze(_ops_image_gaussian_blur(tf.expand_dims(field, axis), kernel_size=(size, size),
                                                sigma=(sigma, sigma), data_format=data_format), axis)
    grid_x, grid_y = tf.meshgrid(tf.range(width, dtype=dtype), tf.range(height, dtype=dtype), indexing="xy")
    rows = grid_y[None] + alpha * field
    cols = grid_x[None] + alpha * field
    order = ("nearest", "bilinear").index(interpolation)
    out = []
    for c in range(channels):
        planes = [images[b, c] if data_format == "channels_first" else images[b, ..., c] for b in range(batch)]
        out.append(tf.stack([_ops_image_map_coordinates(planes[b], [rows[b], cols[b]], order, fill_mode=fill_mode,
                                                        fill_value=fill_value) for b in range(batch)], axis=0))
    out = tf.cast(tf.stack(out, axis=1 if data_format == "channels_first" else -1), dtype)
    return out[0] if single else out


def _ops_resample_kernel(method, x):
    """The interpolation kernels of ``scale_and_translate`` at distances ``x >= 0``: the
    triangle, Keys' cubic (a = -0.5) and Lanczos of radius 3 or 5."""
    if method == "linear":
        return tf.maximum(tf.zeros_like(x), 1.0 - tf.abs(x))
    if method == "cubic":
        near = ((1.5 * x - 2.5) * x) * x + 1.0
        far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        return tf.where(x >= 2.0, tf.zeros_like(x), tf.where(x >= 1.0, far, near))
    radius = 3.0 if method == "lanczos3" else 5.0
    y = radius * tf.sin(math.pi * x) * tf.sin(math.pi * x / radius)
    safe = tf.where(x != 0, math.pi ** 2 * x ** 2, tf.ones_like(x))
    out = tf.where(x > 1e-3, y / safe, tf.ones_like(x))
    return tf.where(x > radius, tf.zeros_like(x), out)


def _ops_image_scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """``keras.ops.image.scale_and_translate`` (JAX's): along each spatial axis, output sample
    ``j`` sits at input position ``(j + 0.5 - translation) / scale - 0.5``; the inputs are
    weighted by the kernel of their distance (widened by ``1 / scale`` when downscaling with
    ``antialias``), the weights normalised, samples outside the input zero. Integer images are
    rounded and clipped to their range."""
    names = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
             "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}
    if method not in names:
        raise ValueError(f"Invalid value for argument `method`. Expected of one {tuple(names)}. Received: method={method}")
    method = names[method]
    x = _ops_tensor(images)
    scale, translation = _ops_tensor(scale), _ops_tensor(translation)
    dtype = _ops_result_type(scale.dtype.name, translation.dtype.name)
    scale, translation = tf.cast(scale, dtype), tf.cast(translation, dtype)
    if len(spatial_dims) == 0:
        return x
    integer = x.dtype.is_integer
    out = tf.cast(x, tf.float32) if integer else tf.identity(x)
    sizes = tf.shape(x)
    for i, d in enumerate(spatial_dims):
        d = d % x.shape.rank
        inverse = 1.0 / scale[i]
        width = tf.maximum(inverse, 1.0) if antialias else 1.0
        sample = (tf.range(output_shape[d], dtype=dtype) + 0.5) * inverse - translation[i] * inverse - 0.5
        distance = tf.abs(sample[None, :] - tf.range(sizes[d], dtype=dtype)[:, None]) / width
        weights = _ops_resample_kernel(method, distance)
        total = tf.reduce_sum(weights, axis=0, keepdims=True)
        weights = tf.where(tf.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                           weights / tf.where(total != 0, total, tf.ones_like(total)), tf.zeros_like(weights))
        inside = (sample >= -0.5) & (sample <= tf.cast(sizes[d], dtype) - 0.5)
        weights = tf.cast(tf.where(inside[None, :], weights, tf.zeros_like(weights)), out.dtype)
        out = tf.tensordot(out, weights, axes=[[d], [0]])
        order = list(range(out.shape.rank))
        out = tf.transpose(out, order[:d] + [order[-1]] + order[d:-1])
    if integer:
        out = tf.cast(tf.clip_by_value(tf.round(out), tf.cast(tf.reduce_min(x), tf.float32),
                                       tf.cast(tf.reduce_max(x), tf.float32)), x.dtype)
    return out


def _ops_image_sobel_edges(images, data_format=None):
    images = _ops_tensor(images)
    if data_format == "channels_first":
        images = tf.transpose(images, (0, 2, 3, 1))
    edges = tf.image.sobel_edges(images)
    if data_format == "channels_first":
        edges = tf.transpose(edges, (0, 3, 1, 2, 4))
    return edges


# --- keras.activations (where they differ from keras.ops) ---------------------------------


def _ops_activation_gelu(x, approximate=False):
    """``keras.activations.gelu``: the exact GELU by default (``ops.gelu`` approximates)."""
    return tf.nn.gelu(_ops_tensor(x), approximate=approximate)


def _ops_leaky_relu(x, negative_slope=0.2):
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def _ops_mish(x):
    x = _ops_tensor(x)
    return x * tf.math.tanh(tf.math.softplus(x))


# --- keras.backend ------------------------------------------------------------------------


def _ops_is_float_dtype(dtype):
    return _ops_standardize_dtype(dtype).startswith(("float", "bfloat"))


def _ops_is_int_dtype(dtype):
    return _ops_standardize_dtype(dtype).startswith(("int", "uint"))


def _backend_get_uid(prefix=""):
    """``keras.backend.get_uid``: the next number for ``prefix`` (1 first), counted with the
    runtime's automatic layer names (``dense``, ``dense_1``...)."""
    with _STATE.uid_lock:
        _STATE.uids[prefix] += 1
        return _STATE.uids[prefix]


def _backend_clear_session(free_memory=True):
    """``keras.backend.clear_session``: fresh layer names and a fresh global seed generator;
    Keras's own too where the program has loaded Keras (code it keeps as Keras, a dataset
    loader), as the call did before translation. Keras is not imported here."""
    import gc
    import sys

    with _STATE.uid_lock:
        _STATE.uids.clear()
    del _random_global_state()[:]
    _reset_dtype_policy()
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        keras.backend.clear_session(free_memory=free_memory)
    if free_memory:
        gc.collect()


# --- nn / math: sequences -------------------------------------------------------------------


def _ops_ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
                    mask_index=0):
    """``keras.ops.ctc_decode``: (decoded, scores); ``decoded`` is dense int32 of shape
    (paths, batch, steps) padded with -1. Beam search moves the blank class last, as
    tf.nn.ctc_beam_search_decoder expects, and shifts the labels back."""
    inputs = _ops_tensor(inputs)
    shape = tf.shape(inputs)
    batch, steps = shape[0], shape[1]
    x = tf.cast(tf.transpose(inputs, (1, 0, 2)), _ops_result_type(inputs.dtype.name, "float32"))
    lengths = _ops_tensor(sequence_lengths, "int32")
    if strategy == "greedy":
        decoded, scores = tf.nn.ctc_greedy_decoder(inputs=x, sequence_length=lengths, merge_repeated=merge_repeated,
                                                   blank_index=mask_index)
    elif strategy == "beam_search":
        if mask_index is not None:
            x = tf.concat([x[..., :mask_index], x[..., mask_index + 1:], x[..., mask_index:mask_index + 1]], axis=-1)
        decoded, scores = tf.nn.ctc_beam_search_decoder(inputs=x, sequence_length=lengths, beam_width=beam_width,
                                                        top_paths=top_paths)
    else:
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    dense = [tf.sparse.to_dense(tf.SparseTensor(d.indices, d.values, (batch, steps)), default_value=-1)
             for d in decoded]
    dense = tf.cast(tf.stack(dense, axis=0), "int32")
    if strategy == "beam_search" and mask_index is not None:
        blank = mask_index + shape[-1] if mask_index < 0 else mask_index
        dense = tf.where(dense >= blank, dense + 1, dense)
    return dense, scores


def _ops_stft_window(window, sequence_length, fft_length, dtype):
    if window is None:
        return None
    if isinstance(window, str):
        make = {"hann": tf.signal.hann_window, "hamming": tf.signal.hamming_window}[window]
        taps = make(sequence_length, periodic=True, dtype=dtype)
    else:
        taps = _ops_tensor(window, dtype)
    left = (fft_length - sequence_length) // 2
    return tf.pad(taps, [[left, fft_length - sequence_length - left]])


def _ops_stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """``keras.ops.stft``: (real, imag); ``center`` reflect-pads fft_length // 2 on each side and
    the window is zero-padded to fft_length (centred), as Keras does."""
    x = _ops_tensor(x)
    if center:
        pads = [[0, 0]] * (x.shape.rank - 1) + [[fft_length // 2, fft_length // 2]]
        x = tf.pad(x, pads, mode="REFLECT")
    taps = _ops_stft_window(window, sequence_length, fft_length, x.dtype)
    out = tf.signal.stft(x, frame_length=fft_length, frame_step=sequence_stride, fft_length=fft_length,
                         window_fn=None if taps is None else (lambda frame_length, dtype: taps))
    return tf.math.real(out), tf.math.imag(out)


def _ops_istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """``keras.ops.istft``: the inverse of :func:`_ops_stft` (overlap-add with TensorFlow's
    inverse-window normalisation), cropped as Keras does."""
    spectrum = _ops_complex(x)
    dtype = tf.math.real(spectrum).dtype
    expected = fft_length + sequence_stride * (tf.shape(spectrum)[-2] - 1)
    taps = _ops_stft_window(window, sequence_length, fft_length, dtype)
    window_fn = None if taps is None else tf.signal.inverse_stft_window_fn(
        sequence_stride, lambda frame_length, dtype: taps)
    out = tf.signal.inverse_stft(spectrum, frame_length=fft_length, frame_step=sequence_stride,
                                 fft_length=fft_length, window_fn=window_fn)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(fft_length // 2)
    else:
        end = expected
    return out[..., start:end]


def _ops_image_map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``keras.ops.image.map_coordinates`` (SciPy's, order 0 or 1): each output samples
    ``inputs`` at the coordinates along the leading axis of ``coordinates``."""
    x = _ops_tensor(inputs)
    coords = tf.unstack(_ops_tensor(coordinates), axis=0)
    fill = tf.cast(fill_value, x.dtype)
    if order not in (0, 1):
        raise NotImplementedError("map_coordinates currently requires order<=1")

    def nodes(c):
        if order == 0:
            c = c if c.dtype.is_integer else tf.round(c)
            return [(tf.cast(c, tf.int32), tf.constant(1, c.dtype))]
        low = tf.floor(c)
        frac = c - low
        return [(tf.cast(low, tf.int32), 1 - frac), (tf.cast(low, tf.int32) + 1, frac)]

    def place(i, size):
        if fill_mode == "constant":
            return tf.clip_by_value(i, 0, size - 1), (i >= 0) & (i < size)
        if fill_mode == "nearest":
            return tf.clip_by_value(i, 0, size - 1), tf.ones_like(i, dtype=tf.bool)
        if fill_mode in ("mirror", "reflect"):
            i = tf.abs(i)
            m = tf.math.floormod(i, 2 * size)
            i = tf.where(m < size, m, 2 * size - m)
            if fill_mode == "reflect":
                i = tf.where(m >= size, i - 1, i)
            return i, tf.ones_like(i, dtype=tf.bool)
        if fill_mode == "wrap":
            return tf.math.floormod(i, size), tf.ones_like(i, dtype=tf.bool)
        raise ValueError(f"Unknown fill_mode: {fill_mode}")

    per_axis = [[(*place(i, size), w) for i, w in nodes(c)] for c, size in zip(coords, x.shape)]

    def corners(axes):
        if not axes:
            yield []
            return
        for first in axes[0]:
            for rest in corners(axes[1:]):
                yield [first] + rest

    total = None
    for corner in corners(per_axis):
        index = tf.stack([i for i, _, _ in corner], axis=-1)
        weight = corner[0][2]
        for _, _, w in corner[1:]:
            weight = weight * w
        value = tf.cast(tf.gather_nd(x, index), weight.dtype)
        if fill_mode == "constant":
            inside = corner[0][1]
            for _, ok, _ in corner[1:]:
                inside = inside & ok
            value = tf.where(inside, value, tf.cast(fill, weight.dtype))
        term = weight * value
        total = term if total is None else total + term
    if x.dtype.is_integer:
        total = tf.round(total)
    return tf.cast(total, x.dtype)


# --- keras.backend of Keras 2 (tf.keras) --------------------------------------------------


def _backend_batch_flatten(x):
    return tf.reshape(x, tf.stack([-1, tf.reduce_prod(tf.shape(x)[1:])]))


def _backend_bool_as_float(x):
    x = tf.convert_to_tensor(x)
    return tf.cast(x, _FLOATX) if x.dtype == tf.bool else x


def _backend_mean(x, axis=None, keepdims=False):
    return tf.reduce_mean(_backend_bool_as_float(x), axis, keepdims)


def _backend_var(x, axis=None, keepdims=False):
    return tf.math.reduce_variance(_backend_bool_as_float(x), axis=axis, keepdims=keepdims)


def _backend_std(x, axis=None, keepdims=False):
    return tf.math.reduce_std(_backend_bool_as_float(x), axis=axis, keepdims=keepdims)


def _backend_sqrt(x):
    x = tf.convert_to_tensor(x)
    return tf.sqrt(tf.maximum(x, tf.constant(0.0, x.dtype)))


def _backend_clip(x, min_value, max_value):
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    return tf.clip_by_value(x, float("-inf") if min_value is None else min_value,
                            float("inf") if max_value is None else max_value)


def _backend_bias_add(x, bias, data_format=None):
    """tf.keras's ``bias_add`` (channels_last): a vector bias, or one of shape x.shape[1:]."""
    if data_format == "channels_first":
        raise NotImplementedError("bias_add(data_format='channels_first') has no translation")
    bias = tf.convert_to_tensor(bias)
    if bias.shape.rank == 1:
        return tf.nn.bias_add(x, bias)
    return x + tf.reshape(bias, (1,) + tuple(bias.shape))


def _backend_dot(x, y):
    """tf.keras's ``dot``: a matmul, or for N-D operands x's last axis against y's second-to-last."""
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    if x.shape.rank > 2 or y.shape.rank > 2:
        xs = [d if d is not None else tf.shape(x)[i] for i, d in enumerate(x.shape.as_list())]
        ys = [d if d is not None else tf.shape(y)[i] for i, d in enumerate(y.shape.as_list())]
        order = list(range(y.shape.rank))
        order = [order.pop(-2)] + order
        flat_x = tf.reshape(x, [-1, xs[-1]])
        flat_y = tf.reshape(tf.transpose(y, order), [ys[-2], -1])
        return tf.reshape(tf.matmul(flat_x, flat_y), xs[:-1] + ys[:-2] + ys[-1:])
    return tf.matmul(x, y)


def _backend_batch_dot(x, y, axes=None):
    """tf.keras's ``batch_dot``: per sample, x's axis ``axes[0]`` contracted with y's
    ``axes[1]`` (default: x's last with y's second-to-last, or y's last when y is 2-D). The
    result holds x's remaining axes, then y's; a 2-D operand adds no axis of its own, except
    that two 2-D operands give (batch, 1)."""
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    x_ndim, y_ndim = x.shape.rank, y.shape.rank
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with ranks {x_ndim} and {y_ndim}.")
    if isinstance(axes, int):
        axes = [axes, axes]
    if axes is None:
        axes = [x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2]
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError(f"Multiple target dimensions are not supported. Received axes={axes}.")
    ax, ay = axes[0] % x_ndim, axes[1] % y_ndim
    if ax == 0 or ay == 0:
        raise ValueError("Cannot perform batch_dot over axis 0.")
    if x_ndim == 2:
        x, ax = tf.expand_dims(x, 1), ax + 1
    if y_ndim == 2:
        y = tf.expand_dims(y, 2)
    nx, ny = x.shape.rank, y.shape.rank
    # x: (batch, *rest_x, k) and y: (batch, k, *rest_y)
    x = tf.transpose(x, [i for i in range(nx) if i != ax] + [ax])
    y = tf.transpose(y, [0, ay] + [i for i in range(1, ny) if i != ay])
    xs, ys = tf.shape(x), tf.shape(y)
    out = tf.matmul(tf.reshape(x, tf.stack([xs[0], -1, xs[-1]])), tf.reshape(y, tf.stack([ys[0], ys[1], -1])))
    out = tf.reshape(out, tf.concat([xs[:-1], ys[2:]], 0))
    static = x.shape[:-1].concatenate(y.shape[2:])
    out = tf.ensure_shape(out, static)
    if x_ndim == 2:
        return tf.squeeze(out, 1)
    if y_ndim == 2:
        return tf.squeeze(out, -1)
    return out


def _backend_get_value(x):
    """tf.keras's ``get_value``: a tensor or variable as NumPy, anything else as itself."""
    return x.numpy() if tf.is_tensor(x) else x


def _backend_eval(x):
    """tf.keras's ``eval``: ``get_value`` of the dense tensor."""
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(x)
    return _backend_get_value(x)


def _backend_batch_get_value(tensors):
    return [x.numpy() for x in tensors]


def _backend_batch_set_value(tuples):
    for x, value in tuples:
        x.assign(np.asarray(value, dtype=x.dtype.name))


def _backend_count_params(x):
    """tf.keras's ``count_params``: NumPy's product of the static shape."""
    return np.prod(x.shape.as_list())


def _backend_cast_to_floatx(x):
    if isinstance(x, (tf.Tensor, tf.Variable, tf.SparseTensor)):
        return tf.cast(x, dtype=_FLOATX)
    return np.asarray(x, dtype=_FLOATX)


def _backend_relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """tf.keras's ``relu`` (tf_keras/src/backend.py), step by step."""
    dtype = getattr(x, "dtype", _FLOATX)
    if alpha != 0.0:
        if max_value is None and threshold == 0:
            return tf.nn.leaky_relu(x, alpha=alpha)
        negative_part = tf.nn.relu(-x + threshold) if threshold != 0 else tf.nn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = x * tf.cast(tf.greater(x, threshold), dtype=dtype)
    elif max_value == 6:
        x = tf.nn.relu6(x)
        clip_max = False
    else:
        x = tf.nn.relu(x)
    if clip_max:
        x = tf.clip_by_value(x, tf.constant(0, x.dtype.base_dtype), tf.constant(max_value, x.dtype.base_dtype))
    if alpha != 0.0:
        x -= tf.convert_to_tensor(alpha, x.dtype.base_dtype) * negative_part
    return x


def _backend_elu(x, alpha=1.0):
    res = tf.nn.elu(x)
    return res if alpha == 1 else tf.where(x > 0, res, alpha * res)


def _backend_hard_sigmoid(x):
    """tf.keras's ``hard_sigmoid``: ``clip(0.2 * x + 0.5, 0, 1)``."""
    x = tf.add(tf.multiply(x, tf.constant(0.2, x.dtype.base_dtype)), tf.constant(0.5, x.dtype.base_dtype))
    return tf.clip_by_value(x, 0.0, 1.0)


def _backend_switch(condition, then_expression, else_expression):
    """tf.keras's ``switch``: a scalar condition runs one branch (``tf.cond``); a tensor
    condition picks elementwise, reshaped and tiled over the branches' trailing axes."""
    if condition.dtype != tf.bool:
        condition = tf.cast(condition, "bool")
    cond_ndim = condition.shape.rank
    if not cond_ndim:
        then_fn = then_expression if callable(then_expression) else (lambda: then_expression)
        else_fn = else_expression if callable(else_expression) else (lambda: else_expression)
        return tf.cond(condition, then_fn, else_fn)
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    expr_ndim = then_expression.shape.rank
    if cond_ndim > expr_ndim:
        raise ValueError("Rank of `condition` should be less than or equal to rank of `then_expression` and "
                         f"`else_expression`. ndim(condition)={cond_ndim}, ndim(then_expression)={expr_ndim}")
    if cond_ndim > 1:
        ndim_diff = expr_ndim - cond_ndim
        cond_shape = tf.concat([tf.shape(condition), [1] * ndim_diff], axis=0)
        condition = tf.reshape(condition, cond_shape)
        expr_shape = tf.shape(then_expression)
        shape_diff = expr_shape - cond_shape
        tile_shape = tf.where(shape_diff > 0, expr_shape, tf.ones_like(expr_shape))
        condition = tf.tile(condition, tile_shape)
    return tf.where(condition, then_expression, else_expression)


def _backend_temporal_padding(x, padding=(1, 1)):
    if len(padding) != 2:
        raise ValueError(f"Expected `padding` to be a tuple of 2 integers. Received: padding={padding}")
    return tf.pad(x, [[0, 0], [padding[0], padding[1]], [0, 0]])


def _backend_spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    if len(padding) != 2 or len(padding[0]) != 2 or len(padding[1]) != 2:
        raise ValueError(f"Expected `padding` to be a tuple of 2 tuples of 2 integers. Received: padding={padding}")
    if data_format is None:
        data_format = image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Unknown data_format: " + str(data_format))
    if data_format == "channels_first":
        pattern = [[0, 0], [0, 0], list(padding[0]), list(padding[1])]
    else:
        pattern = [[0, 0], list(padding[0]), list(padding[1]), [0, 0]]
    return tf.pad(x, pattern)


def _backend_resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """tf.keras's ``resize_images``: the two spatial axes scaled by integer factors."""
    if data_format == "channels_first":
        rows, cols = 2, 3
    elif data_format == "channels_last":
        rows, cols = 1, 2
    else:
        raise ValueError(f"Invalid `data_format` argument: {data_format}")
    new_shape = x.shape[rows:cols + 1]
    if new_shape.is_fully_defined():
        new_shape = tf.constant(new_shape.as_list(), dtype="int32")
    else:
        new_shape = tf.shape(x)[rows:cols + 1]
    new_shape *= tf.constant(np.array([height_factor, width_factor], dtype="int32"))
    if data_format == "channels_first":
        x = tf.transpose(x, [0, 2, 3, 1])
    methods = {"area": "area", "bicubic": "bicubic", "bilinear": "bilinear", "gaussian": "gaussian",
               "lanczos3": "lanczos3", "lanczos5": "lanczos5", "mitchellcubic": "mitchellcubic", "nearest": "nearest"}
    if interpolation not in methods:
        listed = '"' + '", "'.join(methods) + '"'
        raise ValueError(f'`interpolation` argument should be one of: {listed}. Received: "{interpolation}".')
    x = tf.image.resize(x, new_shape, method=methods[interpolation])
    if data_format == "channels_first":
        x = tf.transpose(x, [0, 3, 1, 2])
    return x


def _backend_ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """tf.keras's ``ctc_batch_cost``: the CTC loss of each sample, shape (batch, 1).
    ``y_pred``: probabilities (batch, time, classes), the last class the blank, taken as
    logits ``log(y_pred + epsilon())``; ``y_true``: labels (batch, max_label_length), the
    first ``label_length`` of each row counting; the lengths have shape (batch, 1)."""
    label_length = tf.cast(tf.squeeze(label_length, axis=-1), tf.int32)
    input_length = tf.cast(tf.squeeze(input_length, axis=-1), tf.int32)
    logits = tf.math.log(tf.transpose(y_pred, perm=[1, 0, 2]) + epsilon())
    loss = tf.nn.ctc_loss(labels=tf.cast(y_true, tf.int32), logits=logits, label_length=label_length,
                          logit_length=input_length, logits_time_major=True, blank_index=-1)
    return tf.expand_dims(loss, 1)


def _backend_ctc_decode(y_pred, input_length):
    """tf.keras's greedy ``ctc_decode``: ``([decoded], log_prob)``, decoded dense int64
    (batch, time) padded with -1, repeats merged, the last class the blank."""
    shape = tf.shape(y_pred, out_type=tf.int64)
    logits = tf.math.log(tf.transpose(y_pred, perm=[1, 0, 2]) + epsilon())
    decoded, log_prob = tf.nn.ctc_greedy_decoder(logits, tf.cast(input_length, tf.int32))
    dense = [tf.sparse.to_dense(tf.SparseTensor(d.indices, d.values, shape[:2]), default_value=-1) for d in decoded]
    return dense, log_prob


def imagenet_preprocess_input(x, data_format=None, mode="caffe"):
    """``keras.applications.imagenet_utils.preprocess_input``: the input scaling of the
    ImageNet models. ``"tf"``: to [-1, 1]; ``"torch"``: to [0, 1], then each channel minus
    ImageNet's mean, over its standard deviation; ``"caffe"``: RGB to BGR, then each channel
    minus ImageNet's (BGR) mean. A NumPy array comes back a NumPy array (cast to floatx()
    unless floating, and then changed in place, as Keras does); anything else is a tensor."""
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Expected data_format to be one of `channels_first` or `channels_last`. "
                         f"Received: data_format={data_format}")
    first = data_format == "channels_first"
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(floatx())
        rank = len(x.shape)
    else:
        rank = len(x.shape)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    else:
        channel = 0 if first and rank == 3 else 1 if first else -1
        if isinstance(x, np.ndarray):  # a view of the same array, as Keras's x[..., ::-1]
            x = x[::-1, ...] if channel == 0 else x[:, ::-1, ...] if channel == 1 else x[..., ::-1]
        elif channel == 0:
            x = tf.stack([x[i, ...] for i in (2, 1, 0)], axis=0)
        elif channel == 1:
            x = tf.stack([x[:, i, :] for i in (2, 1, 0)], axis=1)
        else:
            x = tf.stack([x[..., i] for i in (2, 1, 0)], axis=-1)
        mean, std = (103.939, 116.779, 123.68), None
    if isinstance(x, np.ndarray):
        for c in range(3):
            where = (c, slice(None), slice(None)) if first and rank == 3 else (
                (slice(None), c, slice(None), slice(None)) if first else (Ellipsis, c))
            x[where] -= mean[c]
        if std is not None:
            for c in range(3):
                where = (c, slice(None), slice(None)) if first and rank == 3 else (
                    (slice(None), c, slice(None), slice(None)) if first else (Ellipsis, c))
                x[where] /= std[c]
        return x
    shape = (3, 1, 1) if first and rank == 3 else (1, 3) + (1,) * (rank - 2) if first else (1,) * (rank - 1) + (3,)
    x += tf.reshape(_imagenet_constant(-np.array(mean), x.dtype), shape)
    if std is not None:
        x /= tf.reshape(_imagenet_constant(np.array(std), x.dtype), (-1, 1, 1) if first else (3,))
    return x


def preprocess_input_caffe(x, data_format=None):
    """``preprocess_input`` of keras.applications' ResNet50/101/152 and VGG16/19."""
    return imagenet_preprocess_input(x, data_format=data_format, mode="caffe")


def preprocess_input_tf(x, data_format=None):
    """``preprocess_input`` of keras.applications' Inception, MobileNet(V2), NASNet, ResNetV2
    and Xception: pixels to [-1, 1]."""
    return imagenet_preprocess_input(x, data_format=data_format, mode="tf")


def preprocess_input_torch(x, data_format=None):
    """``preprocess_input`` of keras.applications' DenseNet."""
    return imagenet_preprocess_input(x, data_format=data_format, mode="torch")


def _imagenet_constant(values, dtype):
    """Keras's ``convert_to_tensor(values, dtype)`` on TensorFlow: integer and bool dtypes
    by a cast of the float64 values."""
    dtype = tf.as_dtype(dtype)
    if dtype.is_integer or dtype == tf.bool:
        return tf.cast(tf.convert_to_tensor(values), dtype)
    return tf.convert_to_tensor(values, dtype=dtype)
