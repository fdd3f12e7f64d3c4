"""Keras activation names and their TensorFlow low-level spelling.

Formulas follow ``keras/src/activations/activations.py`` and the TensorFlow backend
(``keras/src/backend/tensorflow/nn.py``) of Keras 3: note that ``activation="gelu"`` means
the *exact* GELU (``approximate=False``), unlike ``keras.ops.gelu``'s default.
"""

from __future__ import annotations

# name -> template over {x}; every symbol used here is listed in ACTIVATION_SYMBOLS.
ACTIVATIONS: dict[str, str] = {
    "linear": "{x}",
    "relu": "tf.nn.relu({x})",
    "relu6": "tf.nn.relu6({x})",
    "leaky_relu": "tf.nn.leaky_relu({x}, alpha=0.2)",
    "elu": "tf.nn.elu({x})",
    "selu": "tf.nn.selu({x})",
    "celu": "tf.maximum({x}, 0.0) + tf.math.expm1(tf.minimum({x}, 0.0))",
    "gelu": "tf.nn.gelu({x}, approximate=False)",
    "sigmoid": "tf.math.sigmoid({x})",
    "hard_sigmoid": "tf.nn.relu6({x} + 3.0) / 6.0",
    "hard_silu": "{x} * (tf.nn.relu6({x} + 3.0) / 6.0)",
    "hard_swish": "{x} * (tf.nn.relu6({x} + 3.0) / 6.0)",
    "log_sigmoid": "tf.math.log_sigmoid({x})",
    "tanh": "tf.math.tanh({x})",
    "softplus": "tf.math.softplus({x})",
    "softsign": "tf.nn.softsign({x})",
    "silu": "tf.nn.silu({x})",
    "swish": "tf.nn.silu({x})",
    "exponential": "tf.math.exp({x})",
    "mish": "{x} * tf.math.tanh(tf.math.softplus({x}))",
    "softmax": "tf.nn.softmax({x}, axis=-1)",
    "log_softmax": "tf.nn.log_softmax({x}, axis=-1)",
    "tanh_shrink": "{x} - tf.math.tanh({x})",
    "hard_tanh": "tf.clip_by_value({x}, -1.0, 1.0)",
}

ACTIVATION_SYMBOLS = (
    "tf.nn.relu", "tf.nn.relu6", "tf.nn.leaky_relu", "tf.nn.elu", "tf.nn.selu", "tf.maximum",
    "tf.minimum", "tf.math.expm1", "tf.nn.gelu", "tf.math.sigmoid", "tf.math.log_sigmoid",
    "tf.math.tanh", "tf.math.softplus", "tf.nn.softsign", "tf.nn.silu", "tf.math.exp",
    "tf.nn.softmax", "tf.nn.log_softmax", "tf.clip_by_value",
)

# Dotted callables accepted as ``activation=`` besides strings: their last component is
# looked up in ACTIVATIONS (``keras.activations.relu``, ``tf.nn.relu``, ``tf.keras.activations.gelu``).
CALLABLE_PREFIXES = (
    "keras.activations.", "tensorflow.keras.activations.", "tf_keras.activations.",
    "keras_core.activations.", "keras.ops.", "tensorflow.nn.", "tensorflow.math.", "tensorflow.",
)


def activation_template(name: str | None) -> str | None:
    """The TF template for a Keras activation name (None/'linear' -> identity)."""
    if name is None:
        return "{x}"
    return ACTIVATIONS.get(name.lower() if isinstance(name, str) else name)
