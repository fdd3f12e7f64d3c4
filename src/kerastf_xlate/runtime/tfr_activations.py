"""Keras's activation functions by name, in TensorFlow (``activation="relu"`` on a layer).

The formulas are Keras 3's (``keras/src/activations/activations.py``): ``"gelu"`` is the
exact GELU, ``"leaky_relu"`` has slope 0.2, ``"hard_sigmoid"`` is ``relu6(x + 3) / 6``.
"""

import tensorflow as tf


def _act_hard_sigmoid(x):
    return tf.nn.relu6(x + 3.0) / 6.0


def _act_hard_silu(x):
    return x * _act_hard_sigmoid(x)


def _act_celu(x, alpha=1.0):
    return tf.maximum(x, 0.0) + alpha * tf.math.expm1(tf.minimum(x, 0.0) / alpha)


def _act_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``keras.activations.relu`` with its three options."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return tf.nn.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return tf.nn.leaky_relu(x, alpha=negative_slope)
    if threshold != 0.0:
        y = tf.where(x > threshold, x, tf.zeros_like(x))
    elif max_value is not None and float(max_value) == 6.0:
        y, max_value = tf.nn.relu6(x), None
    else:
        y = tf.nn.relu(x)
    if max_value is not None:
        y = tf.clip_by_value(y, 0.0, float(max_value))
    if negative_slope != 0.0:
        y -= negative_slope * tf.nn.relu(-x + threshold)
    return y


_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": _act_relu,
    "relu6": tf.nn.relu6,
    "leaky_relu": lambda x, negative_slope=0.2: tf.nn.leaky_relu(x, alpha=negative_slope),
    "elu": lambda x, alpha=1.0: tf.nn.elu(x) if alpha == 1.0 else tf.where(x > 0, x, alpha * tf.math.expm1(x)),
    "selu": tf.nn.selu,
    "celu": _act_celu,
    "gelu": lambda x, approximate=False: tf.nn.gelu(x, approximate=approximate),
    "sigmoid": tf.math.sigmoid,
    "hard_sigmoid": _act_hard_sigmoid,
    "hard_silu": _act_hard_silu,
    "hard_swish": _act_hard_silu,
    "log_sigmoid": tf.math.log_sigmoid,
    "tanh": tf.math.tanh,
    "softplus": tf.math.softplus,
    "softsign": tf.nn.softsign,
    "silu": tf.nn.silu,
    "swish": tf.nn.silu,
    "exponential": tf.math.exp,
    "mish": lambda x: x * tf.math.tanh(tf.math.softplus(x)),
    "softmax": lambda x, axis=-1: tf.nn.softmax(x, axis=axis),
    "log_softmax": lambda x, axis=-1: tf.nn.log_softmax(x, axis=axis),
    "tanh_shrink": lambda x: x - tf.math.tanh(x),
    "hard_tanh": lambda x: tf.clip_by_value(x, -1.0, 1.0),
}


def activations_get(identifier):
    """The function for a Keras activation: a name, a callable, or None (linear)."""
    if identifier is None:
        return _ACTIVATIONS["linear"]
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {identifier!r}")
        return _ACTIVATIONS[key]
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown activation {identifier!r}")
