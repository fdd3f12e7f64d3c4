"""Regularization layers: SpatialDropout1D/2D/3D, GaussianDropout, GaussianNoise,
AlphaDropout, ActivityRegularization (Dropout is in tfr_core.py).

Every one is the identity in inference. In training they draw from TensorFlow's random ops
(with the layer's ``seed`` as the op seed), so the draws differ from Keras's generator while
the distributions are Keras's.
"""

import math

import tensorflow as tf
from tfr_base import Layer
from tfr_core import Dropout
from tfr_regularizers import L1L2Regularizer


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per sample and channel."""

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return tf.zeros_like(inputs)
        shape = tf.shape(inputs)
        return tf.nn.dropout(inputs, rate=self.rate, noise_shape=self._noise_shape(shape), seed=self.seed)


def _spatial_data_format(layer, data_format):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{type(layer).__name__}(data_format={data_format!r}) is not translated")


class SpatialDropout1D(_SpatialDropout):
    """``keras.layers.SpatialDropout1D``: inputs ``(batch, steps, channels)``, noise shape
    ``(batch, 1, channels)``."""

    def _noise_shape(self, shape):
        return [shape[0], 1, shape[2]]


class SpatialDropout2D(_SpatialDropout):
    """``keras.layers.SpatialDropout2D`` (channels last): noise shape ``(batch, 1, 1, channels)``."""

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        _spatial_data_format(self, data_format)
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def _noise_shape(self, shape):
        return [shape[0], 1, 1, shape[3]]


class SpatialDropout3D(_SpatialDropout):
    """``keras.layers.SpatialDropout3D`` (channels last): noise shape ``(batch, 1, 1, 1, channels)``."""

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        _spatial_data_format(self, data_format)
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def _noise_shape(self, shape):
        return [shape[0], 1, 1, 1, shape[4]]


def _check_rate(name, value):
    if not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a float between 0 and 1, got {value}")


class GaussianDropout(Layer):
    """``keras.layers.GaussianDropout``: in training, ``x`` times Gaussian noise of mean 1
    and standard deviation ``sqrt(rate / (1 - rate))``."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("rate", rate)
        self.rate = rate
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * tf.random.normal(tf.shape(inputs), mean=1.0, stddev=stddev, dtype=inputs.dtype,
                                         seed=self.seed)


class GaussianNoise(Layer):
    """``keras.layers.GaussianNoise``: in training, ``x`` plus Gaussian noise of mean 0 and
    standard deviation ``stddev`` (Keras accepts 0 <= stddev <= 1)."""

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("stddev", stddev)
        self.stddev = stddev
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + tf.random.normal(tf.shape(inputs), mean=0.0, stddev=self.stddev, dtype=inputs.dtype,
                                         seed=self.seed)


class AlphaDropout(Layer):
    """``keras.layers.AlphaDropout``: in training, dropped units become SELU's negative
    saturation ``-alpha * scale`` and an affine correction ``a * x + b`` keeps the mean and
    variance of SELU activations. ``noise_shape`` entries of None take the input's size."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("rate", rate)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = tf.shape(inputs)
        if self.noise_shape is not None:
            shape = [shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        alpha = 1.6732632423543772848170429916717  # SELU's constants
        scale = 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        kept = tf.cast(tf.random.uniform(shape, seed=self.seed) >= self.rate, inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = inputs * kept + alpha_p * (1 - kept)
        return a * x + b


class ActivityRegularization(Layer):
    """``keras.layers.ActivityRegularization``: the identity, with Keras's activity regularizer
    ``L1L2(l1, l2)`` (a loss term on every call, 0 when both are 0, as in Keras)."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=L1L2Regularizer(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs
