"""TensorFlow Hub's ``hub.KerasLayer`` (``names.HUB``): the object ``tensorflow_hub.load`` gives
for the handle (a SavedModel: TensorFlow functions and variables, no Keras), called as
``tensorflow_hub/keras_layer.py`` (0.16, the last release) calls it.

``hub.KerasLayer`` is a tf.keras 2 layer (under Keras 3 it needs tf-keras, and a Keras 3 model
refuses it), so a program using it is a tf.keras 2 program; what the layer does is its
source's, line for line where it computes something:

- its weights are the loaded object's ``trainable_variables`` (trainable while the layer is),
  then the rest of its ``variables``, as tf.keras 2's ``layer.weights`` lists them;
- the call passes the inputs positionally (a dict of inputs as keywords when a ``signature``
  is called), then the ``arguments``; a callable that takes ``training`` is given it as the
  logical and of the layer's trainability and the call's training flag (tf.keras 2's learning
  phase, False outside ``fit``, when the call gives none);
- ``output_key`` picks an item of a dict result, ``output_shape`` sets the static shape of the
  result after the batch axis;
- ``regularization_losses`` (callables) are the layer's losses while it is trainable, computed
  when ``losses`` is read (tf.keras 2's callable losses);
- trainable with a signature or a TF1 Hub module raises hub's ValueError.

``tensorflow_hub`` is imported where a handle is loaded (it resolves and caches ``tfhub.dev``
and Kaggle URLs; importing it imports tf-keras, which the translated model does not use).
"""

import tensorflow as tf
from tfr_base import Layer, _unique_name


def _hub_load(handle, tags, load_options):
    """hub's ``load_module``: a callable handle as it is, else ``tensorflow_hub.load``."""
    if callable(handle):
        if tags is not None:
            raise ValueError("Passing a callable handle is mutually exclusive with setting tags.")
        if load_options is not None:
            raise ValueError("Passing a callable handle is mutually exclusive with setting load_options.")
        return handle
    import tensorflow_hub

    return tensorflow_hub.load(handle, tags=tags, options=load_options)


def _takes_training(func):
    """hub's ``func_has_training_argument``: whether the callable's ``__call__`` names
    ``training`` (a restored ``tf.function`` answers through its function spec)."""
    if not callable(func):
        return False
    from tensorflow.python.util import tf_inspect  # what hub itself reads the argument list with

    spec = tf_inspect.getfullargspec(func.__call__)
    return "training" in spec.args or "training" in spec.kwonlyargs


class HubKerasLayer(Layer):
    """``hub.KerasLayer(handle, trainable=False, arguments=None, tags=None, signature=None,
    signature_outputs_as_dict=None, output_key=None, output_shape=None, load_options=None)``
    on the TensorFlow object the handle loads; named ``keras_layer``, ``keras_layer_1``... as
    tf.keras 2 names it."""

    def __init__(self, handle, trainable=False, arguments=None, _sentinel=None, tags=None, signature=None,
                 signature_outputs_as_dict=None, output_key=None, output_shape=None, load_options=None, **kwargs):
        kwargs["name"] = kwargs.get("name") or _unique_name("keras_layer")
        super().__init__(trainable=trainable, **kwargs)
        self._handle = handle
        self._arguments = dict(arguments or {})
        self._signature = signature
        self._signature_outputs_as_dict = signature_outputs_as_dict
        self._output_key = output_key
        self._output_shape = None if not output_shape else _as_shapes(output_shape)
        self._func = _hub_load(handle, tags, load_options)
        self._is_hub_module_v1 = getattr(self._func, "_is_hub_module_v1", False)
        if self._is_hub_module_v1:
            self._signature = self._signature or "default"
            if not self._signature_outputs_as_dict:
                self._output_key = self._output_key or "default"
        if self._signature and (bool(self._output_key is not None) == bool(self._signature_outputs_as_dict)):
            raise ValueError("When using a signature, either output_key or signature_outputs_as_dict=True should be set.")
        if not self._signature and self._signature_outputs_as_dict:
            raise ValueError("signature_outputs_as_dict is only valid if specifying a signature (or using a legacy "
                             "TF1 Hub format).")
        self._callable = self._get_callable()
        self._has_training_argument = _takes_training(self._callable)
        trainable_ids = set()
        for v in getattr(self._func, "trainable_variables", None) or []:
            self._own_trainable.append(v)
            trainable_ids.add(id(v))
        for v in getattr(self._func, "variables", None) or []:
            if id(v) not in trainable_ids:
                self._own_non_trainable.append(v)
        for loss in getattr(self._func, "regularization_losses", None) or []:
            if not callable(loss):
                raise ValueError("hub.KerasLayer(obj) expects obj.regularization_losses to be an iterable of "
                                 "callables, each returning a scalar loss term.")
        self.built = True

    def _get_callable(self):
        if callable(self._func) and not self._signature:
            return self._func
        if not hasattr(self._func, "signatures"):
            if self._signature:
                raise ValueError("Loaded object has no signatures.")
            raise ValueError("Loaded object is not callable and has no signatures.")
        if self._signature is None:
            raise ValueError("Signature name has to be specified for non-callable saved models (if not legacy TF1 "
                             "Hub format).")
        if self._signature not in self._func.signatures:
            raise ValueError(f"Unknown signature {self._signature} in {self._handle} (available signatures: "
                             f"{self._func.signatures}).")
        return self._func.signatures[self._signature]

    @property
    def trainable_weights(self):
        """tf.keras 2's: the loaded object's trainable variables while the layer is trainable."""
        return list(self._own_trainable) if self.trainable else []

    @property
    def resolved_object(self):
        """The object the handle resolved to (hub's ``resolved_object``)."""
        return self._func

    def _xlate_standing_losses(self):
        """The loaded object's regularization losses, computed when read, while trainable (hub
        adds each as a callable loss that gives 0 while the layer is frozen)."""
        if not self.trainable:
            return []
        return [loss() for loss in getattr(self._func, "regularization_losses", None) or []]

    def call(self, inputs, training=None):
        if self.trainable:
            if self._is_hub_module_v1:
                raise ValueError("Setting hub.KerasLayer.trainable = True is unsupported when loading from the TF1 "
                                 "Hub format.")
            if self._signature:
                raise ValueError("Setting hub.KerasLayer.trainable = True is unsupported when calling a SavedModel "
                                 "signature.")
        args, kwargs = [], dict(self._arguments)
        if self._signature and isinstance(inputs, dict):
            kwargs.update(inputs)
        else:
            args.append(inputs)
        if not self._has_training_argument:
            result = self._callable(*args, **kwargs)
        elif not self.trainable:
            result = self._callable(*args, training=False, **kwargs)
        elif tf.is_tensor(training):
            result = tf.cond(training, lambda: self._callable(*args, training=True, **kwargs),
                             lambda: self._callable(*args, training=False, **kwargs))
        else:
            result = self._callable(*args, training=bool(training), **kwargs)
        if self._output_key:
            if not isinstance(result, dict):
                raise ValueError(f"Specifying `output_key` is forbidden if output type {type(result)} is not a dict.")
            if self._output_key not in result:
                raise ValueError(f"KerasLayer output does not contain the output key {self._output_key} "
                                 f"(available: {result.keys()}).")
            result = result[self._output_key]
        if self._output_shape is not None:
            batch = tf.nest.flatten(inputs)[0].shape[0]
            tf.nest.map_structure(lambda t, s: t.set_shape(tf.TensorShape(batch).concatenate(s)), result,
                                  self._output_shape)
        return result

    def compute_output_shape(self, input_shape):
        if self._output_shape is not None:
            batch = tf.nest.flatten(input_shape)[0]
            return tf.TensorShape((batch,)).concatenate(self._output_shape)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        if not isinstance(self._handle, str):
            raise NotImplementedError("Can only generate a valid config for `hub.KerasLayer(handle, ...)`that uses a "
                                      f"string `handle`.\n\nGot `type(handle)`: {type(self._handle)}")
        config["handle"] = self._handle
        if self._output_shape is not None:
            config["output_shape"] = tf.nest.map_structure(lambda s: tuple(s.as_list()), self._output_shape)
        if self._arguments:
            config["arguments"] = dict(self._arguments)
        if self._signature:
            config["signature"] = self._signature
        if self._output_key:
            config["output_key"] = self._output_key
        if self._signature_outputs_as_dict:
            config["signature_outputs_as_dict"] = self._signature_outputs_as_dict
        return config


def _as_shapes(x):
    """hub's ``_convert_nest_to_shapes``: tuples or lists of int or None as ``tf.TensorShape``s,
    in dicts, lists and tuples."""
    if isinstance(x, dict):
        return type(x)([(k, _as_shapes(v)) for k, v in x.items()])
    try:
        return tf.TensorShape(x)
    except TypeError:
        pass
    if isinstance(x, (list, tuple)):
        return type(x)([_as_shapes(v) for v in x])
    raise TypeError(f"Cannot convert to nest of TensorShapes, found none of TensorShape, dict, list, tuple: {x!r}")
