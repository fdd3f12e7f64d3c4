"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax.

Each follows Keras 3's formula and calls the op Keras's TensorFlow backend calls, so the
results are the same to the last bit where TensorFlow's kernels allow it. All of them keep a
Keras mask unchanged (``supports_masking``); Softmax also takes one in ``call``.
"""

import tensorflow as tf
from tfr_activations import _act_relu
from tfr_base import Layer, initializers_get


class ReLU(Layer):
    """``keras.layers.ReLU``: ``max_value`` above ``max_value``, ``x`` from ``threshold``
    up, ``negative_slope * (x - threshold)`` below (Keras's ``activations.relu``)."""

    supports_masking = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        # Keras rejects these in the constructor; so does the translation
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be negative, got {max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be None or negative, got {negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be None or negative, got {threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return _act_relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                         threshold=self.threshold)


class LeakyReLU(Layer):
    """``keras.layers.LeakyReLU``. TRAP: Keras's default slope is 0.3, ``tf.nn.leaky_relu``'s
    is 0.2, so the slope is always passed. ``alpha=`` is Keras's deprecated alias."""

    supports_masking = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"negative_slope of a LeakyReLU layer cannot be None or negative, got {negative_slope}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return tf.nn.leaky_relu(inputs, alpha=self.negative_slope)


class PReLU(Layer):
    """``keras.layers.PReLU``: ``relu(x) - alpha * relu(-x)`` with a learned ``alpha`` of the
    input's shape without the batch axis, of size 1 along ``shared_axes``."""

    supports_masking = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        if alpha_regularizer is not None or alpha_constraint is not None:
            raise NotImplementedError("PReLU(alpha_regularizer=/alpha_constraint=) is not translated: "
                                      "a regularizer adds a loss, a constraint is applied by Keras's optimizer")
        self.alpha_initializer = initializers_get(alpha_initializer)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            param_shape[axis - 1] = 1  # axes count the batch axis, the weight has none
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer, name="alpha")
        self.built = True

    def call(self, inputs):
        return tf.nn.relu(inputs) - self.alpha * tf.nn.relu(-inputs)


class ELU(Layer):
    """``keras.layers.ELU``: ``x`` above 0, ``alpha * (exp(x) - 1)`` below. ``tf.nn.elu`` has
    no ``alpha``: as Keras's backend does, its result is scaled on the negative side."""

    supports_masking = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        y = tf.nn.elu(inputs)
        if self.alpha == 1:
            return y
        return tf.where(inputs > 0, y, self.alpha * y)


def _large_negative(dtype):
    """What Keras's Softmax puts at masked positions before the softmax."""
    return -3e4 if tf.as_dtype(dtype) == tf.float16 else -1e9


class Softmax(Layer):
    """``keras.layers.Softmax`` over ``axis`` (an int, a list of ints, or None: all elements).

    ``call(inputs, mask=None)``: a mask broadcastable to ``inputs`` (True or > 0.5 keeps a
    position). Masked positions get -1e9 before the softmax and exactly 0 after it, so an
    entirely masked row gives zeros, not a uniform distribution."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = tf.convert_to_tensor(mask)
            if mask.shape.rank > inputs.shape.rank:
                raise ValueError(f"The mask must be broadcastable to the inputs and must not have more dimensions: "
                                 f"inputs.shape={inputs.shape}, mask.shape={mask.shape}")
            if mask.dtype != tf.bool:
                mask = mask > tf.cast(0.5, mask.dtype)
            inputs = tf.where(mask, inputs, tf.cast(_large_negative(inputs.dtype), inputs.dtype))
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            outputs = tf.exp(inputs - tf.reduce_logsumexp(inputs, axis=list(self.axis), keepdims=True))
        elif self.axis is None:  # over every element, batch included (as Keras's backend)
            outputs = tf.reshape(tf.nn.softmax(tf.reshape(inputs, [-1])), tf.shape(inputs))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            outputs = tf.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = tf.where(mask, outputs, tf.zeros_like(outputs))
        return outputs
