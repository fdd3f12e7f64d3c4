"""TensorFlow Addons' layers the program form translates (``names.ADDONS``):
``tfa.layers.GroupNormalization``, ``tfa.layers.InstanceNormalization``, ``tfa.layers.GELU`` and
the adaptive poolings ``tfa.layers.Adaptive{Average,Max}Pooling{1,2,3}D``; and keras-contrib's
``InstanceNormalization`` (``ContribInstanceNormalization``), the other add-on package's
normalization that GAN programs use, for standalone Keras 2.

Each follows tfa's own source (``tensorflow_addons/layers/normalizations.py`` and ``gelu.py``,
the same from tfa 0.12 to its last release), not Keras 3's layers of similar names, where the
two differ: tfa's GELU is the tanh approximation by default (Keras 3's ``gelu`` activation and
``tf.nn.gelu`` default to the exact one), and tfa's group normalization skips the reshape into
groups when each group is one channel (instance normalization), reducing over the axes of the
input as they are. A layer's automatic name is tfa's (``group_normalization``,
``instance_normalization``, ``gelu``). Nothing here keeps moving statistics: training and
inference compute the same thing, as in tfa.
"""

import tensorflow as tf
from tfr_base import Layer, _unique_name, image_data_format, initializers_get
from tfr_constraints import constraints_get
from tfr_regularizers import regularizers_get


class AddonsGroupNormalization(Layer):
    """``tfa.layers.GroupNormalization``: the channels of ``axis`` split into ``groups`` (tfa's
    default 32; ``-1``: one group per channel), each group normalized over its channels and the
    other non-batch axes of one sample with ``tf.nn.moments`` and ``tf.nn.batch_normalization``
    (``epsilon`` 1e-3), with per-channel ``gamma`` then ``beta`` weights. As in tfa, when a
    group is one channel the input is not reshaped and the reduced axes are found from
    ``axis`` on the input's own axes (for a negative ``axis`` other than -1 that is not the
    axes a reshape would give: tfa's result, kept)."""

    supports_masking = True
    _addons_name = "group_normalization"

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        kwargs["name"] = kwargs.get("name") or _unique_name(type(self)._addons_name)
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers_get(beta_initializer)
        self.gamma_initializer = initializers_get(gamma_initializer)
        self.beta_regularizer = regularizers_get(beta_regularizer)
        self.gamma_regularizer = regularizers_get(gamma_regularizer)
        self.beta_constraint = constraints_get(beta_constraint)
        self.gamma_constraint = constraints_get(gamma_constraint)
        if self.axis == 0:
            raise ValueError("You are trying to normalize your batch axis. Do you want to use "
                             "tf.layer.batch_normalization instead")

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels ({dim}).")
        self.gamma = self.beta = None
        if self.scale:  # gamma first, then beta: tfa's weight order
            self.gamma = self.add_weight(shape=(dim,), name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=(dim,), name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        static = inputs.shape.as_list()
        dynamic = tf.shape(inputs)
        per_group = static[self.axis] // self.groups
        instance = per_group == 1
        if instance:  # tfa leaves the input as it is
            grouped = inputs
            reduced = list(range(1, len(static)))
            reduced.pop(-1 if self.axis == -1 else self.axis - 1)
            broadcast = [1] * len(static)
            broadcast[self.axis] = self.groups
        else:  # [..., groups, channels // groups, ...]
            group_shape = [dynamic[i] for i in range(len(static))]
            group_shape[self.axis] = per_group
            group_shape.insert(self.axis, self.groups)
            grouped = tf.reshape(inputs, tf.stack(group_shape))
            reduced = list(range(1, len(static) + 1))
            reduced.pop(-2 if self.axis == -1 else self.axis - 1)
            broadcast = [1] * len(static)
            broadcast[self.axis] = per_group
            broadcast.insert(self.axis, self.groups)
        mean, variance = tf.nn.moments(grouped, reduced, keepdims=True)
        gamma = None if self.gamma is None else tf.reshape(self.gamma, broadcast)
        beta = None if self.beta is None else tf.reshape(self.beta, broadcast)
        outputs = tf.nn.batch_normalization(grouped, mean=mean, variance=variance, scale=gamma, offset=beta,
                                            variance_epsilon=self.epsilon)
        return outputs if instance else tf.reshape(outputs, dynamic)


class AddonsInstanceNormalization(AddonsGroupNormalization):
    """``tfa.layers.InstanceNormalization``: tfa's group normalization with one group per
    channel (``groups`` is always -1: tfa overwrites a given one); keyword arguments only."""

    _addons_name = "instance_normalization"

    def __init__(self, **kwargs):
        kwargs["groups"] = -1
        super().__init__(**kwargs)


class ContribInstanceNormalization(Layer):
    """keras-contrib's ``InstanceNormalization`` (``keras_contrib/layers/normalization/
    instancenormalization.py``, the same computation from 2017-06-19 to its last commit; a layer
    of standalone Keras 2 programs' GANs). Each sample is normalized over every non-batch axis
    but ``axis`` (all of them when ``axis`` is None) with its mean and its *standard deviation
    plus* ``epsilon`` (not the square root of the variance plus epsilon, as tfa's and Keras 3's
    normalizations compute): ``(x - mean) / (std + epsilon)``, ``std`` the biased one (Keras 2's
    ``K.std``). Then ``gamma`` (shape ``(input_shape[axis],)``, ``(1,)`` when ``axis`` is None),
    then ``beta``, in that weight order. No moving statistics: training and inference compute
    the same thing. The mask passes through, as Keras 2's ``supports_masking`` layer gives it."""

    supports_masking = True

    def __init__(self, axis=None, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        kwargs["name"] = kwargs.get("name") or _unique_name("instance_normalization")
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers_get(beta_initializer)
        self.gamma_initializer = initializers_get(gamma_initializer)
        self.beta_regularizer = regularizers_get(beta_regularizer)
        self.gamma_regularizer = regularizers_get(gamma_regularizer)
        self.beta_constraint = constraints_get(beta_constraint)
        self.gamma_constraint = constraints_get(gamma_constraint)

    def build(self, input_shape):
        ndim = len(input_shape)
        if self.axis == 0:
            raise ValueError("Axis cannot be zero")
        if self.axis is not None and ndim == 2:
            raise ValueError("Cannot specify axis for rank 1 tensor")
        shape = (1,) if self.axis is None else (input_shape[self.axis],)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        static = inputs.shape.as_list()
        reduced = list(range(len(static)))
        if self.axis is not None:
            del reduced[self.axis]
        del reduced[0]
        mean = tf.reduce_mean(inputs, reduced, keepdims=True)
        std = tf.sqrt(tf.reduce_mean(tf.square(inputs - mean), reduced, keepdims=True)) + self.epsilon
        normed = (inputs - mean) / std
        broadcast = [1] * len(static)
        if self.axis is not None:
            broadcast[self.axis] = static[self.axis]
        if self.scale:
            normed = normed * tf.reshape(self.gamma, broadcast)
        if self.center:
            normed = normed + tf.reshape(self.beta, broadcast)
        return normed


class AddonsGELU(Layer):
    """``tfa.layers.GELU``: ``tf.nn.gelu(x, approximate)`` (tfa's ``activations.gelu``), with
    tfa's default ``approximate=True``: ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``."""

    supports_masking = True

    def __init__(self, approximate=True, **kwargs):
        kwargs["name"] = kwargs.get("name") or _unique_name("gelu")
        super().__init__(**kwargs)
        self.approximate = approximate

    def call(self, inputs):
        return tf.nn.gelu(inputs, approximate=self.approximate)


class _AddonsAdaptivePooling(Layer):
    """tfa's ``AdaptivePooling{1,2,3}D`` (its ``layers/adaptive_pooling.py``): each
    spatial axis split into ``output_size`` equal bins with ``tf.split`` (which raises when the
    axis does not divide, as tfa's does), the bins stacked on a new axis after it, and
    ``tf.reduce_mean`` / ``tf.reduce_max`` over the axes within a bin. ``data_format`` None is
    the image data format at construction (channels_last). No weights."""

    _rank = 2
    _reduce = staticmethod(tf.reduce_mean)
    _addons_name = "adaptive_average_pooling2d"

    def __init__(self, output_size, data_format=None, **kwargs):
        kwargs["name"] = kwargs.get("name") or _unique_name(type(self)._addons_name)
        super().__init__(**kwargs)
        if isinstance(output_size, int):
            output_size = (output_size,) * self._rank
        output_size = tuple(int(v) for v in output_size)
        if len(output_size) != self._rank:
            raise ValueError(f"The `output_size` argument must be a tuple of {self._rank} integers. "
                             f"Received: {output_size}")
        self.output_size = output_size
        data_format = image_data_format() if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of \"channels_first\", \"channels_last\". "
                             f"Received: {data_format}")
        self.data_format = data_format

    def call(self, inputs):
        first = 1 if self.data_format == "channels_last" else 2  # the first spatial axis
        x = inputs
        for i, bins in enumerate(self.output_size):
            axis = first + 2 * i  # (each stack before it added one axis)
            x = tf.stack(tf.split(x, bins, axis=axis), axis=axis)
        return self._reduce(x, axis=[first + 2 * i + 1 for i in range(self._rank)])

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class AddonsAdaptiveAveragePooling1D(_AddonsAdaptivePooling):
    """``tfa.layers.AdaptiveAveragePooling1D``."""
    _rank, _addons_name = 1, "adaptive_average_pooling1d"


class AddonsAdaptiveAveragePooling2D(_AddonsAdaptivePooling):
    """``tfa.layers.AdaptiveAveragePooling2D``."""
    _rank, _addons_name = 2, "adaptive_average_pooling2d"


class AddonsAdaptiveAveragePooling3D(_AddonsAdaptivePooling):
    """``tfa.layers.AdaptiveAveragePooling3D``."""
    _rank, _addons_name = 3, "adaptive_average_pooling3d"


class AddonsAdaptiveMaxPooling1D(_AddonsAdaptivePooling):
    """``tfa.layers.AdaptiveMaxPooling1D``."""
    _rank, _addons_name, _reduce = 1, "adaptive_max_pooling1d", staticmethod(tf.reduce_max)


class AddonsAdaptiveMaxPooling2D(_AddonsAdaptivePooling):
    """``tfa.layers.AdaptiveMaxPooling2D``."""
    _rank, _addons_name, _reduce = 2, "adaptive_max_pooling2d", staticmethod(tf.reduce_max)


class AddonsAdaptiveMaxPooling3D(_AddonsAdaptivePooling):
    """``tfa.layers.AdaptiveMaxPooling3D``."""
    _rank, _addons_name, _reduce = 3, "adaptive_max_pooling3d", staticmethod(tf.reduce_max)
