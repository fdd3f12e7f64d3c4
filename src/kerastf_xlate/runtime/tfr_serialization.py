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

import numpy as np
import tensorflow as tf
from tfr_activations import _ACTIVATIONS, activations_get
from tfr_base import initializers_get
from tfr_constraints import _CONSTRAINTS, constraints_get
from tfr_regularizers import _REGULARIZERS, regularizers_get
from tfr_zz_runtime_classes import _RUNTIME_LAYERS

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


# --- keras.saving: serialize_keras_object / deserialize_keras_object and Keras's registry --------

_REGISTERED = {}  # "package>Name" -> class or function (Keras's GLOBAL_CUSTOM_OBJECTS)
_REGISTERED_NAMES = {}  # class or function -> "package>Name"
_SCOPES = []  # the custom_object_scope dicts in force, innermost last


def register_keras_serializable(package="Custom", name=None):
    """``keras.saving.register_keras_serializable``: ``deserialize_keras_object`` finds the class
    (or function) by ``"package>name"``."""

    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered_name = package + ">" + class_name
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _REGISTERED[registered_name] = arg
        _REGISTERED_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj):
    """``keras.saving.get_registered_name``: ``"package>Name"`` if registered, else its name."""
    return _REGISTERED_NAMES.get(obj, obj.__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """``keras.saving.get_registered_object``: the scopes' object of that name, else the
    registry's, else ``custom_objects``' or ``module_objects``'."""
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects():
    """``keras.saving.get_custom_objects``: the registry itself (what is put in it is found)."""
    return _REGISTERED


class custom_object_scope:
    """``keras.saving.custom_object_scope`` (``CustomObjectScope``): the objects are found by
    name while the ``with`` block runs."""

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPES.remove(self.custom_objects)


def _is_runtime_class(cls):
    """Whether a class is one of the runtime's (a Keras built-in), not the user's."""
    return cls in _RUNTIME_LAYERS or cls.__module__.startswith("tfr_")


def _keras_class_name(cls):
    return _SERIALIZED_NAMES.get(cls.__name__, cls.__name__)


def _family(obj):
    """Keras's module of a runtime initializer, regularizer or constraint, else None."""
    names = {c.__name__ for c in type(obj).__mro__}
    if "Initializer" in names and hasattr(obj, "get_config"):
        return "keras.initializers"
    if "Regularizer" in names:
        return "keras.regularizers"
    if "Constraint" in names:
        return "keras.constraints"
    return None


def _serialize_value(obj, in_config):
    """One value of a config, as Keras's ``serialize_keras_object`` writes it; a built-in
    activation inside a layer's config is its name (what Keras's layers write)."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        out = [_serialize_value(x, in_config) for x in obj]
        return tuple(out) if isinstance(obj, tuple) else out
    if isinstance(obj, dict):
        return {key: _serialize_value(value, in_config) for key, value in obj.items()}
    if isinstance(obj, tf.TensorShape):
        return obj.as_list() if obj.rank is not None else None
    if isinstance(obj, tf.DType):
        return obj.name
    if type(obj).__module__ == "numpy":
        if getattr(obj, "ndim", 0) > 0:
            return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
        return obj.item()
    if tf.is_tensor(obj):
        return {"class_name": "__tensor__", "config": {"value": obj.numpy().tolist(), "dtype": obj.dtype.name}}
    if getattr(type(obj), "_xlate_layer", False):
        return _serialize_layer(obj)
    family = _family(obj)
    if family is not None:
        return _serialized(obj, family)
    if inspect.isfunction(obj) or (callable(obj) and not inspect.isclass(obj) and not hasattr(obj, "get_config")):
        name = _ser_activation(obj)
        if isinstance(name, str):  # a built-in activation
            return name if in_config else {"module": "builtins", "class_name": "function", "config": name,
                                           "registered_name": "function"}
        if inspect.isfunction(obj):
            registered = get_registered_name(obj)
            return {"module": obj.__module__ if obj.__module__ != "__main__" else None, "class_name": "function",
                    "config": registered, "registered_name": registered}
    if type(obj) in _REGISTERED_NAMES and hasattr(obj, "get_config"):  # a registered class of the user's
        return {"module": None, "class_name": type(obj).__name__, "config": _serialize_value(obj.get_config(), True),
                "registered_name": _REGISTERED_NAMES[type(obj)]}
    raise NotImplementedError(f"serialize_keras_object: {type(obj).__name__} objects are not serialized in a "
                              "translated program")


def _serialize_layer(layer):
    cls = type(layer)
    if cls.__dict__.get("_xlate_base"):
        raise NotImplementedError(f"serialize_keras_object: a functional or Sequential {cls.__name__} has no config "
                                  "in a translated program (Keras's lists its layer graph)")
    config = layer.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {layer} should return a dict. It returned: {config}")
    inner = _serialize_value(config, True)
    if _is_runtime_class(cls):
        return {"module": "keras.layers", "class_name": _keras_class_name(cls), "config": inner, "registered_name": None}
    return {"module": None if cls.__module__ == "__main__" else cls.__module__, "class_name": cls.__name__,
            "config": inner, "registered_name": get_registered_name(cls)}


def serialize_keras_object(obj):
    """``keras.saving.serialize_keras_object`` (and ``keras.layers.serialize``) on the runtime's
    objects: Keras's ``{"module", "class_name", "config", "registered_name"}`` dict for a layer
    (docs/design.md, "Keras's configuration serialization in a program"), an initializer,
    regularizer or constraint; plain values, lists, tuples and dicts as Keras gives them."""
    return _serialize_value(obj, False)


def _runtime_class(class_name):
    found = [c for c in _RUNTIME_LAYERS if _keras_class_name(c) == class_name and not c.__dict__.get("_xlate_base")]
    return found[0] if len(found) == 1 else None


def _not_found(config):
    raise TypeError(f"Could not locate class '{config.get('class_name')}'. Make sure custom classes and functions are "
                    "decorated with `@keras.saving.register_keras_serializable()` (in a translated program, only the "
                    f"layers it uses are built in). Full object config: {config}")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """``keras.saving.deserialize_keras_object`` (and ``keras.layers.deserialize``): the object
    a config stands for, found as Keras finds it (the scopes, the registry, ``custom_objects``,
    then a built-in class of a ``keras.*`` module) and made by its ``from_config``."""
    if config is None or isinstance(config, (str, bool, int, float)):
        if isinstance(config, str) and custom_objects and custom_objects.get(config) is not None:
            return custom_objects[config]
        return config
    if isinstance(config, (list, tuple)):
        out = [deserialize_keras_object(x, custom_objects, safe_mode) for x in config]
        return tuple(out) if isinstance(config, tuple) else out
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode) for key, value in config.items()}
    class_name, inner = config["class_name"], config["config"] if config["config"] is not None else {}
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(x, custom_objects, safe_mode) for x in inner["value"])
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__tensor__":
        return tf.constant(inner["value"], dtype=inner["dtype"])
    module = config.get("module")
    registered_name = config.get("registered_name", class_name)
    if class_name == "function":
        found = get_registered_object(registered_name, custom_objects) if registered_name != "function" else None
        return found if found is not None else _deser_activation(inner)
    found = get_registered_object(registered_name, custom_objects)
    if found is None and isinstance(module, str) and module.startswith("keras"):
        if module == "keras.initializers":
            return _deser_initializer(config, custom_objects)
        if module == "keras.regularizers":
            return _deser_regularizer(config, custom_objects)
        if module == "keras.constraints":
            return _deser_constraint(config, custom_objects)
        if module == "keras.layers":
            found = _runtime_class(class_name)
    if found is None:
        _not_found(config)
    if inspect.isfunction(found):
        return found
    with custom_object_scope(custom_objects):
        return found.from_config(inner)  # (Keras's: a from_config that sets config items changes the caller's dict)
