"""Reshaping layers: Reshape, Permute, RepeatVector, Cropping, UpSampling, ZeroPadding.

(``Flatten`` is in tfr_core.py.) These only move, copy or pad elements, so
``data_format="channels_first"`` is exact everywhere: it only changes which axes they touch.
"""

import tensorflow as tf
from tfr_base import Layer
from tfr_conv import _standard_data_format, _standard_tuple, _to_channels_first, _to_channels_last


class Reshape(Layer):
    """``keras.layers.Reshape``: the batch axis is kept; one ``-1`` is resolved from the
    static input shape where it is known (as Keras does), else left to ``tf.reshape``."""

    _xlate_config_attrs = ("target_shape",)  # get_config: as normalized

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(f"Invalid `target_shape` {target_shape}: positive sizes and at most one -1")

    def _resolved(self, input_shape):
        shape = list(self.target_shape)
        if -1 in shape and all(d is not None for d in input_shape):
            known = 1
            for d in shape:
                known *= d if d != -1 else 1
            total = 1
            for d in input_shape:
                total *= d
            if total % known:
                raise ValueError(f"Cannot reshape a tensor of shape {tuple(input_shape)} to {self.target_shape}")
            shape[shape.index(-1)] = total // known
        return shape

    def call(self, inputs):
        batch = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
        return tf.reshape(inputs, [batch] + self._resolved(inputs.shape.as_list()[1:]))


class Permute(Layer):
    """``keras.layers.Permute``: ``dims`` index the axes from 1 (the batch axis stays)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer: {dims}")

    def call(self, inputs):
        return tf.transpose(inputs, (0,) + self.dims)


class RepeatVector(Layer):
    """``keras.layers.RepeatVector``: ``[batch, features]`` -> ``[batch, n, features]``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n

    def call(self, inputs):
        return tf.tile(tf.expand_dims(inputs, 1), [1, self.n, 1])


# --- cropping and padding ----------------------------------------------------------------


def _pairs(value, rank, name):
    """Keras's cropping/padding argument: an int, ``rank`` ints (symmetric), or ``rank``
    pairs (before, after)."""
    if isinstance(value, int):
        return ((value, value),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {name}={value}.")
    return tuple(_standard_tuple(v, 2, name, allow_zero=True) for v in value)


def _spatial_start(data_format):
    return 2 if data_format == "channels_first" else 1


def _crop(x, pairs, start):
    """Remove ``pairs[i]`` elements before/after spatial axis ``start + i``."""
    index = [slice(None)] * x.shape.rank
    for i, (before, after) in enumerate(pairs):
        size = x.shape[start + i]
        if size is not None and before + after >= size:
            raise ValueError(f"Cropping {(before, after)} is not smaller than the input size {size} "
                             f"(input shape {x.shape})")
        index[start + i] = slice(before, -after if after else None)
    return x[tuple(index)]


def _zero_pad(x, pairs, start):
    paddings = [[0, 0] for _ in range(x.shape.rank)]
    for i, pair in enumerate(pairs):
        paddings[start + i] = list(pair)
    return tf.pad(x, paddings)


class Cropping1D(Layer):
    """``keras.layers.Cropping1D``: crops the steps axis (``[batch, steps, features]``)."""

    _xlate_config_attrs = ("cropping", "data_format")  # get_config: as normalized

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _standard_tuple(cropping, 2, "cropping", allow_zero=True)

    def call(self, inputs):
        return _crop(inputs, (self.cropping,), 1)


class Cropping2D(Layer):
    """``keras.layers.Cropping2D``."""

    _xlate_config_attrs = ("cropping", "data_format")  # get_config: as normalized

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.cropping = _pairs(cropping, 2, "cropping")

    def call(self, inputs):
        return _crop(inputs, self.cropping, _spatial_start(self.data_format))


class Cropping3D(Layer):
    """``keras.layers.Cropping3D``."""

    _xlate_config_attrs = ("cropping", "data_format")  # get_config: as normalized

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.cropping = _pairs(cropping, 3, "cropping")

    def call(self, inputs):
        return _crop(inputs, self.cropping, _spatial_start(self.data_format))


class ZeroPadding1D(Layer):
    """``keras.layers.ZeroPadding1D``."""

    _xlate_config_attrs = ("padding", "data_format")  # get_config: as normalized

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.padding = _standard_tuple(padding, 2, "padding", allow_zero=True)

    def call(self, inputs):
        return _zero_pad(inputs, (self.padding,), _spatial_start(self.data_format))


class ZeroPadding2D(Layer):
    """``keras.layers.ZeroPadding2D``."""

    _xlate_config_attrs = ("padding", "data_format")  # get_config: as normalized

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.padding = _pairs(padding, 2, "padding")

    def call(self, inputs):
        return _zero_pad(inputs, self.padding, _spatial_start(self.data_format))


class ZeroPadding3D(Layer):
    """``keras.layers.ZeroPadding3D``."""

    _xlate_config_attrs = ("padding", "data_format")  # get_config: as normalized

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.padding = _pairs(padding, 3, "padding")

    def call(self, inputs):
        return _zero_pad(inputs, self.padding, _spatial_start(self.data_format))


# --- upsampling --------------------------------------------------------------------------


def _positive_int(value, name):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"Expected an integer value for `{name}`, got {type(value)}.")
    if value <= 0:
        raise ValueError(f"Argument `{name}` should be a positive integer. Received: {name}={value}")
    return value


class UpSampling1D(Layer):
    """``keras.layers.UpSampling1D``: each step repeated ``size`` times."""

    _xlate_config_attrs = ("size", "data_format")  # get_config: as normalized

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = _positive_int(size, "size")

    def call(self, inputs):
        return tf.repeat(inputs, self.size, axis=1)


_RESIZE_METHODS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


class UpSampling2D(Layer):
    """``keras.layers.UpSampling2D``: ``"nearest"`` repeats rows and columns; the other
    interpolations are ``tf.image.resize`` to ``size`` times the input (without antialiasing,
    as Keras calls it)."""

    _xlate_config_attrs = ("size", "data_format")  # get_config: as normalized

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.size = _standard_tuple(size, 2, "size")
        self.interpolation = interpolation.lower()
        if self.interpolation not in _RESIZE_METHODS:
            raise ValueError(f"Invalid value for argument `interpolation`: expected one of {_RESIZE_METHODS}, "
                             f"received {interpolation!r}")

    def call(self, inputs):
        if self.interpolation == "nearest":
            start = _spatial_start(self.data_format)
            x = tf.repeat(inputs, self.size[0], axis=start)
            return tf.repeat(x, self.size[1], axis=start + 1)
        first = self.data_format == "channels_first"
        x = _to_channels_last(inputs) if first else inputs
        height, width = x.shape[1], x.shape[2]
        if height is None or width is None:
            dynamic = tf.shape(x)
            height = dynamic[1] if height is None else height
            width = dynamic[2] if width is None else width
        y = tf.image.resize(x, [height * self.size[0], width * self.size[1]], method=self.interpolation)
        return _to_channels_first(y) if first else y


class UpSampling3D(Layer):
    """``keras.layers.UpSampling3D``: each element repeated along the three spatial axes."""

    _xlate_config_attrs = ("size", "data_format")  # get_config: as normalized

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.size = _standard_tuple(size, 3, "size")

    def call(self, inputs):
        start = _spatial_start(self.data_format)
        x = inputs
        for i, factor in enumerate(self.size):
            x = tf.repeat(x, factor, axis=start + i)
        return x
