"""Core layers: Dense, Activation, Dropout, Flatten, Identity."""

import tensorflow as tf

from tfr_activations import activations_get
from tfr_base import Layer, initializers_get


def _no_regularizer(layer, **kwargs):
    """Regularizers and constraints add losses or projections a translation does not carry."""
    for key, value in kwargs.items():
        if value is not None:
            raise NotImplementedError(f"{type(layer).__name__}({key}=...) is not translated")


class Dense(Layer):
    """``keras.layers.Dense``: ``activation(x @ kernel + bias)``, contracting the last axis."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _no_regularizer(self, kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, lora_rank=lora_rank)
        self.units = int(units)
        self.activation = activations_get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers_get(kernel_initializer)
        self.bias_initializer = initializers_get(bias_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias") \
            if self.use_bias else None
        self.built = True

    def call(self, inputs):
        if inputs.shape.rank == 2:
            x = tf.matmul(inputs, self.kernel)
        else:
            x = tf.tensordot(inputs, self.kernel, axes=1)
        if self.bias is not None:
            x = tf.nn.bias_add(x, self.bias)
        return self.activation(x)


class Activation(Layer):
    """``keras.layers.Activation``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations_get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class Identity(Layer):
    def call(self, inputs):
        return inputs


class Dropout(Layer):
    """``keras.layers.Dropout``: the identity in inference; in training, ``tf.nn.dropout``."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = self.noise_shape
        if noise_shape is not None:
            shape = tf.shape(inputs)
            noise_shape = [shape[i] if d is None else d for i, d in enumerate(noise_shape)]
        return tf.nn.dropout(inputs, rate=self.rate, noise_shape=noise_shape, seed=self.seed)


class Flatten(Layer):
    """``keras.layers.Flatten``: keeps the batch axis."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("Flatten(data_format='channels_first') is not translated")

    def call(self, inputs):
        rest = inputs.shape[1:]
        if rest.is_fully_defined():
            n = 1
            for d in rest:
                n *= d
            return tf.reshape(inputs, [-1, n])
        return tf.reshape(inputs, [tf.shape(inputs)[0], -1])
