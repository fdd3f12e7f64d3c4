"""``keras.constraints`` in TensorFlow: the same projections. A weight's constraint
(``add_weight(constraint=...)``, ``kernel_constraint=``...) is applied by the runtime
optimizer after each update, as Keras's optimizer applies it (``tfr_optimizers.Optimizer.apply``)."""

import inspect

import tensorflow as tf
from tfr_initializers import _eager_constructor


def _norms(w, axis):
    return tf.sqrt(tf.reduce_sum(tf.square(w), axis=axis, keepdims=True))


class Constraint:
    """``keras.constraints.Constraint``: ``__call__(w)`` gives the projected weight (``w`` here)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _eager_constructor(cls)

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """``keras.constraints.MaxNorm``: norms over ``axis`` clipped to ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = tf.clip_by_value(norms, 0, self.max_value)
        return tf.cast(w, norms.dtype) * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """``keras.constraints.NonNeg``: ``max(w, 0)``."""

    def __call__(self, w):
        return tf.maximum(tf.convert_to_tensor(w), 0)


class UnitNorm(Constraint):
    """``keras.constraints.UnitNorm``: ``w / (epsilon + norm)`` over ``axis``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return tf.cast(w, norms.dtype) / (1e-7 + norms)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """``keras.constraints.MinMaxNorm``: norms moved by ``rate`` into ``[min_value, max_value]``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * tf.clip_by_value(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return tf.cast(w, norms.dtype) * (desired / (1e-7 + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras's ALL_OBJECTS_DICT: class names and their snake_case
_CONSTRAINTS = {"Constraint": Constraint, "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm, "NonNeg": NonNeg,
                "UnitNorm": UnitNorm, "constraint": Constraint, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm,
                "non_neg": NonNeg, "unit_norm": UnitNorm}


def constraints_get(identifier):
    """``keras.constraints.get``: ``None``, a name (``"non_neg"``, ``"max_norm"``...), a
    ``{"class_name", "config"}`` dict, a class (instantiated) or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = _CONSTRAINTS[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif isinstance(identifier, str):
        obj = _CONSTRAINTS.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret constraint identifier: {identifier}")
