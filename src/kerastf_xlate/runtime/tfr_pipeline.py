"""``keras.layers.Pipeline``: preprocessing layers applied one after another.

Keras's ``Pipeline`` is a plain layer (not a model) that calls its layers in order, handing
each the ``training`` flag (when the layer's ``call`` takes one and the flag is known) and the
mask the previous layer's output carries (when its ``call`` takes ``mask``). Its inputs are not
converted or cast by the pipeline itself (each layer does what it does), so dicts such as
``{"images": ..., "labels": ...}`` reach the layers as they are. Its sub-layers are tracked,
so their weights come in the order of the list.
"""

import inspect

from tfr_base import Layer


def _pipeline_call_params(layer):
    try:
        params = inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False, False
    anything = any(p.kind is p.VAR_KEYWORD for p in params.values())
    return "training" in params or anything, "mask" in params


class Pipeline(Layer):
    """``keras.layers.Pipeline(layers)``: ``layers`` called in order on the input."""

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            takes_training, takes_mask = _pipeline_call_params(layer)
            kwargs = {}
            if takes_mask:
                kwargs["mask"] = mask
            if takes_training and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            inputs = outputs
            mask = getattr(outputs, "_keras_mask", None)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape
