"""``keras.{activations,initializers,regularizers,constraints}.serialize`` / ``deserialize``.

A custom layer's ``get_config`` describes its arguments with these, and its ``from_config``
reads them back. In a translated program they work on the TensorFlow objects the runtime
gives for the same arguments, and give what Keras gives: a built-in activation's name, a
``{"module", "class_name", "config", "registered_name"}`` dict for an initializer, regularizer
or constraint (with Keras's class names and config keys), ``None`` for ``None``; and
``deserialize`` takes those back to an object made with the same arguments. Custom classes
are found in ``custom_objects``, as in Keras.
"""

import inspect

import tensorflow as tf
from tfr_activations import _ACTIVATIONS, activations_get
from tfr_base import initializers_get
from tfr_constraints import _CONSTRAINTS, constraints_get
from tfr_regularizers import _REGULARIZERS, regularizers_get

# runtime classes named apart from a layer of the same name, and the name Keras gives them
_SERIALIZED_NAMES = {"IdentityInitializer": "Identity", "L1Regularizer": "L1", "L2Regularizer": "L2",
                     "L1L2Regularizer": "L1L2"}


# the TensorFlow functions the translation writes for Keras's activations (rules/keras_api/activations.toml)
_TF_ACTIVATIONS = ((tf.nn.relu, "relu"), (tf.nn.gelu, "gelu"), (tf.nn.silu, "silu"), (tf.nn.softsign, "softsign"),
                   (tf.math.softplus, "softplus"), (tf.nn.selu, "selu"), (tf.nn.log_softmax, "log_softmax"),
                   (tf.nn.softmax, "softmax"), (tf.nn.relu6, "relu6"), (tf.nn.leaky_relu, "leaky_relu"),
                   (tf.math.log_sigmoid, "log_sigmoid"), (tf.math.exp, "exponential"), (tf.math.sigmoid, "sigmoid"),
                   (tf.math.tanh, "tanh"), (tf.nn.elu, "elu"))


def _serialized(obj, module):
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    name = type(obj).__name__
    config = obj.get_config() if hasattr(obj, "get_config") else {}
    return {"module": module, "class_name": _SERIALIZED_NAMES.get(name, name), "config": config,
            "registered_name": None}


def _custom(config, custom_objects):
    """The class or function ``custom_objects`` gives for a config, or None."""
    if not custom_objects:
        return None
    if isinstance(config, str):
        return custom_objects.get(config)
    if isinstance(config, dict):
        return custom_objects.get(config.get("registered_name")) or custom_objects.get(config.get("class_name"))
    return None


def _from_custom(found, config):
    if inspect.isclass(found):
        return found(**config.get("config", {})) if isinstance(config, dict) else found()
    return found


def _ser_activation(activation):
    """``keras.activations.serialize``: a built-in activation's name, else Keras's dict."""
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return name
    for fn, name in _TF_ACTIVATIONS:
        if fn is activation:
            return name
    if inspect.isfunction(activation):
        return {"module": activation.__module__, "class_name": "function", "config": activation.__name__,
                "registered_name": "function"}
    return _serialized(activation, type(activation).__module__)


def _deser_activation(config, custom_objects=None):
    """``keras.activations.deserialize``: the function a name or config stands for."""
    found = _custom(config, custom_objects)
    if found is not None:
        return _from_custom(found, config)
    if isinstance(config, dict) and config.get("class_name") == "function":
        config = config.get("config")
    return activations_get(config)


def _ser_initializer(initializer):
    """``keras.initializers.serialize``."""
    return _serialized(initializer, "keras.initializers")


def _deser_initializer(config, custom_objects=None):
    """``keras.initializers.deserialize``."""
    found = _custom(config, custom_objects)
    return _from_custom(found, config) if found is not None else initializers_get(config)


def _ser_regularizer(regularizer):
    """``keras.regularizers.serialize``."""
    return _serialized(regularizer, "keras.regularizers")


def _deserialized(config, custom_objects, known, get, what):
    """An object of a family (regularizers, constraints) from its config: a custom class
    first, else the family's ``get`` for a name or a known class's config."""
    found = _custom(config, custom_objects)
    if found is not None:
        return _from_custom(found, config)
    if isinstance(config, dict) and config.get("class_name") not in known:
        raise ValueError(f"Could not interpret {what} identifier: {config}")
    return get(config)


def _deser_regularizer(config, custom_objects=None):
    """``keras.regularizers.deserialize``."""
    return _deserialized(config, custom_objects, _REGULARIZERS, regularizers_get, "regularizer")


def _ser_constraint(constraint):
    """``keras.constraints.serialize``."""
    return _serialized(constraint, "keras.constraints")


def _deser_constraint(config, custom_objects=None):
    """``keras.constraints.deserialize``."""
    return _deserialized(config, custom_objects, _CONSTRAINTS, constraints_get, "constraint")
