"""Keras 3's dtype policies without Keras (``keras/src/dtype_policies/dtype_policy.py``).

A layer's policy names the dtype of its variables (``variable_dtype``) and of its computation
(``compute_dtype``): ``"float32"``, ``"float64"``, ... (both the same), ``"mixed_float16"`` and
``"mixed_bfloat16"`` (float32 variables, float16/bfloat16 computation). The runtime's ``Layer``
(tfr_base.py) applies it as Keras's ``Layer.__call__`` does: floating inputs are cast to the
compute dtype, and while a layer with mixed dtypes runs, its variables (those made with
``add_weight(autocast=True)``) are read in the compute dtype (Keras's ``AutocastScope``).

The global policy (``keras.config.set_dtype_policy`` / ``keras.mixed_precision.set_global_policy``,
``_config_set_dtype_policy`` here) is what ``dtype=None`` means, float32 until a program sets
another; it is shared by every copy of the runtime in the process and per thread, as Keras's
global state is, and ``clear_session`` resets it.
"""

import sys
import threading
import types

import tensorflow as tf

_POLICY_DTYPES = ("float16", "float32", "float64", "bfloat16", "uint8", "uint16", "uint32", "uint64", "int8",
                  "int16", "int32", "int64", "bool", "string", "complex64", "complex128")


def _standardize_dtype(dtype):
    """Keras's ``standardize_dtype``: a dtype name (``"float32"``) for a name, a ``tf.DType``, a
    NumPy dtype or a Python type; ``None`` gives the default float type."""
    if dtype is None:
        return "float32"
    dtype = {bool: "bool", int: "int64", float: "float32", str: "string", "int": "int64",
             complex: "complex128"}.get(dtype, dtype) if isinstance(dtype, (type, str)) else dtype
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in _POLICY_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def _policy_local():
    state = sys.modules.get("_xlate_tf_dtype_policy")
    if state is None:
        state = types.ModuleType("_xlate_tf_dtype_policy")
        state.local = threading.local()
        state = sys.modules.setdefault("_xlate_tf_dtype_policy", state)
    return state.local


def _config_dtype_policy():
    """``keras.config.dtype_policy`` (``keras.mixed_precision.global_policy``): the global
    policy, float32 until one is set."""
    local = _policy_local()
    policy = getattr(local, "policy", None)
    if policy is None:
        policy = local.policy = DTypePolicy("float32")
    return policy


def _config_set_dtype_policy(policy):
    """``keras.config.set_dtype_policy`` (``keras.mixed_precision.set_global_policy``): the
    policy of every layer made after it without a ``dtype``, and of models (``compile`` then
    wraps the optimizer in a ``LossScaleOptimizer`` for ``"mixed_float16"``, as Keras does)."""
    if not getattr(type(policy), "_xlate_policy", False):
        if isinstance(policy, str):
            if policy.startswith(("int8", "float8", "int4", "gptq", "awq")):
                raise NotImplementedError(f"the quantized dtype policy {policy!r} is not translated")
            policy = DTypePolicy(policy)
        else:
            raise ValueError("Invalid `policy` argument. Expected the string name of a policy (such as "
                             f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
                             f"(of type {type(policy)})")
    _policy_local().policy = policy


def _reset_dtype_policy():
    """What ``clear_session`` does to the global policy (Keras's global state is cleared)."""
    _policy_local().policy = None


class DTypePolicy:
    """``keras.DTypePolicy``: the compute and variable dtypes of a layer, by name."""

    def __init__(self, name=None):
        if name is None:
            name = _config_dtype_policy().name  # the global policy
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: name={name} "
                            f"(of type {type(name)})")
        if name == "mixed_float16":
            compute, variable = "float16", "float32"
        elif name == "mixed_bfloat16":
            compute, variable = "bfloat16", "float32"
        else:
            try:
                compute = variable = _standardize_dtype(name)
            except ValueError:
                raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
                                 "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
                                 "'float32'.") from None
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def quantization_mode(self):
        return None

    def convert_input(self, x, autocast, dtype):
        """A floating tensor (or array) cast to ``dtype`` when ``autocast``; anything else as it is."""
        dtype = _standardize_dtype(dtype)
        if hasattr(x, "__array__") and not tf.is_tensor(x) and not isinstance(x, tf.Variable):
            try:
                x = tf.convert_to_tensor(x)
            except TypeError:
                x = tf.convert_to_tensor(x, dtype=dtype)
        elif not (tf.is_tensor(x) or isinstance(x, tf.Variable)):
            return x
        if autocast and x.dtype.is_floating and x.dtype.name != dtype:
            return tf.cast(x, dtype)
        return x

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return getattr(type(other), "_xlate_policy", False) and self._name == other._name

    __hash__ = None  # as Keras's (it defines __eq__ only)

    _xlate_policy = True


def _dtype_policies_get(identifier):
    """``keras.dtype_policies.get``: the policy of a layer's ``dtype=`` argument."""
    if identifier is None:
        return _config_dtype_policy()
    if getattr(type(identifier), "_xlate_policy", False):
        return identifier
    if isinstance(identifier, dict):
        if identifier.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy"):
            raise NotImplementedError(f"dtype policy {identifier.get('class_name')!r} is not translated")
        return DTypePolicy(**identifier.get("config", {}))
    if isinstance(identifier, str):
        if identifier.startswith(("int8", "float8", "int4", "gptq", "awq")):
            raise NotImplementedError(f"the quantized dtype policy {identifier!r} is not translated")
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(_standardize_dtype(identifier))
    except ValueError:
        raise ValueError("Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
                         f"Received: dtype={identifier}") from None


class _AutocastScope:
    """Keras's ``AutocastScope``: while it is the innermost, autocast float variables read
    through a layer's attributes come back in ``dtype`` (``None``: as they are)."""

    def __init__(self, dtype):
        self.dtype = None if dtype is None else tf.as_dtype(dtype)
