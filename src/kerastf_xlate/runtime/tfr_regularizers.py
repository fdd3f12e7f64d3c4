"""``keras.regularizers`` in TensorFlow: the same penalties, the same defaults.

A layer keeps the regularizer of a weight (``add_weight(regularizer=...)``) and its
``activity_regularizer``; ``Layer.losses`` evaluates them as Keras 3 does (see
``tfr_base.Layer.losses``) and the runtime ``fit`` adds them to the compiled loss.
"""

import inspect
import math

import tensorflow as tf
from tfr_initializers import _eager_constructor


def _non_negative_float(value, name):
    """Keras's ``validate_float_arg``: a finite, non-negative number, as a float."""
    if not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float.Received: {name}={value}")
    return float(value)


class Regularizer:
    """``keras.regularizers.Regularizer``: ``__call__(x)`` gives a scalar penalty (0 here)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _eager_constructor(cls)

    def __call__(self, x):
        return 0.0

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")


class L1L2Regularizer(Regularizer):
    """``keras.regularizers.L1L2``: ``l1 * sum(|x|) + l2 * sum(x**2)``, a term only when its factor is not 0."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _non_negative_float(0.0 if l1 is None else l1, "l1")
        self.l2 = _non_negative_float(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        regularization = tf.constant(0.0, dtype=x.dtype)
        if self.l1 != 0.0:
            regularization += tf.cast(self.l1, x.dtype) * tf.reduce_sum(tf.abs(x))
        if self.l2 != 0.0:
            regularization += tf.cast(self.l2, x.dtype) * tf.reduce_sum(tf.square(x))
        return regularization

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1Regularizer(Regularizer):
    """``keras.regularizers.L1`` (also ``l1``): ``l1 * sum(|x|)``."""

    def __init__(self, l1=0.01):
        self.l1 = _non_negative_float(l1, "l1")

    def __call__(self, x):
        return tf.cast(self.l1, x.dtype) * tf.reduce_sum(tf.abs(x))

    def get_config(self):
        return {"l1": float(self.l1)}


class L2Regularizer(Regularizer):
    """``keras.regularizers.L2`` (also ``l2``): ``l2 * sum(x**2)``."""

    def __init__(self, l2=0.01):
        self.l2 = _non_negative_float(l2, "l2")

    def __call__(self, x):
        return tf.cast(self.l2, x.dtype) * tf.reduce_sum(tf.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """``keras.regularizers.OrthogonalRegularizer``: ``factor / 2`` times the mean absolute
    dot product of distinct L2-normalised rows (or columns) of a rank-2 weight."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _non_negative_float(factor, "factor")
        if mode not in {"rows", "columns"}:
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, inputs):
        if len(inputs.shape) != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={inputs.shape}")
        axis = 1 if self.mode == "rows" else 0
        # Keras's normalize: x * min(rsqrt(sum(x**2)), 1 / epsilon), epsilon = 1e-7
        inv_norm = tf.minimum(tf.math.rsqrt(tf.reduce_sum(tf.square(inputs), axis=axis, keepdims=True)), 1.0 / 1e-7)
        inputs = inputs * inv_norm
        if self.mode == "rows":
            product, size = tf.matmul(inputs, inputs, transpose_b=True), inputs.shape[0]
        else:
            product, size = tf.matmul(inputs, inputs, transpose_a=True), inputs.shape[1]
        product_no_diagonal = product * (1.0 - tf.eye(size, dtype=inputs.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return tf.cast(self.factor, inputs.dtype) * 0.5 * tf.reduce_sum(tf.abs(product_no_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


# Keras's ALL_OBJECTS_DICT: class names and their snake_case
_REGULARIZERS = {"Regularizer": Regularizer, "L1": L1Regularizer, "L2": L2Regularizer, "L1L2": L1L2Regularizer,
                 "OrthogonalRegularizer": OrthogonalRegularizer, "regularizer": Regularizer, "l1": L1Regularizer,
                 "l2": L2Regularizer, "l1l2": L1L2Regularizer, "orthogonal_regularizer": OrthogonalRegularizer}


def regularizers_get(identifier):
    """``keras.regularizers.get``: ``None``, a name (``"l2"`` is ``L2()``, Keras's default
    factor 0.01; as in Keras 3, ``"l1l2"`` names ``L1L2`` and ``"l1_l2"`` is unknown), a
    ``{"class_name", "config"}`` dict, a class (instantiated) or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = _REGULARIZERS[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif isinstance(identifier, str):
        obj = _REGULARIZERS.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
