"""Pooling layers: max and average pooling, their global forms, and adaptive pooling.

``data_format="channels_first"`` pools channels-last between two transposes, as Keras's
TensorFlow backend does (TensorFlow's pooling kernels take channels-last only); the global
poolings just reduce other axes.
"""

import tensorflow as tf
from tfr_base import Layer
from tfr_conv import _standard_data_format, _standard_padding, _standard_tuple, _to_channels_first, _to_channels_last
from tfr_ops import _ops_mean

# --- windowed pooling --------------------------------------------------------------------


class _Pooling(Layer):
    """``tf.nn.max_pool`` / ``tf.nn.avg_pool``; strides default to the pool size.

    With ``padding="same"`` an average counts only the elements inside the input, not the
    padding (``tf.nn.avg_pool`` does so, and Keras calls it)."""

    _xlate_config_attrs = ("pool_size", "strides", "data_format")  # get_config: as normalized

    _rank = None
    _mode = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = _standard_tuple(pool_size, self._rank, "pool_size")
        self.strides = _standard_tuple(pool_size if strides is None else strides, self._rank, "strides",
                                       allow_zero=True)
        self.padding = _standard_padding(padding)
        self.data_format = _standard_data_format(data_format)

    def call(self, inputs):
        first = self.data_format == "channels_first"
        x = _to_channels_last(inputs) if first else inputs
        pool = tf.nn.max_pool if self._mode == "max" else tf.nn.avg_pool
        y = pool(x, self.pool_size, self.strides, self.padding.upper())
        return _to_channels_first(y) if first else y


class MaxPooling1D(_Pooling):
    """``keras.layers.MaxPooling1D``."""

    _rank, _mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """``keras.layers.MaxPooling2D``."""

    _rank, _mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(_Pooling):
    """``keras.layers.MaxPooling3D``."""

    _rank, _mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """``keras.layers.AveragePooling1D``."""

    _rank, _mode = 1, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(_Pooling):
    """``keras.layers.AveragePooling2D``."""

    _rank, _mode = 2, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling3D(_Pooling):
    """``keras.layers.AveragePooling3D``."""

    _rank, _mode = 3, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


# --- global pooling ----------------------------------------------------------------------


class _GlobalPooling(Layer):
    """``tf.reduce_max`` / Keras's ``ops.mean`` (``_ops_mean``: float16 and bfloat16 averaged in
    float32 and cast back; a float16 ``reduce_mean`` is an ulp off under a mixed policy) over
    the spatial axes."""

    _xlate_config_attrs = ("data_format",)  # get_config: as normalized

    _rank = None
    _mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standard_data_format(data_format)
        self.keepdims = keepdims

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return list(range(start, start + self._rank))

    def call(self, inputs):
        if self._mode == "max":
            return tf.reduce_max(inputs, axis=self._axes(), keepdims=self.keepdims)
        return _ops_mean(inputs, axis=self._axes(), keepdims=self.keepdims)  # Keras's layer calls ops.mean


class GlobalAveragePooling1D(_GlobalPooling):
    """``keras.layers.GlobalAveragePooling1D``; with a ``mask`` (``[batch, steps]``), the mean
    of the unmasked steps, as Keras computes it."""

    _rank, _mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = self._axes()[0]
        keep = tf.expand_dims(tf.cast(mask, tf.bool), 2 if steps == 1 else 1)
        total = tf.reduce_sum(tf.where(keep, inputs, tf.zeros_like(inputs)), axis=steps, keepdims=self.keepdims)
        return total / tf.reduce_sum(tf.cast(keep, inputs.dtype), axis=steps, keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling):
    """``keras.layers.GlobalAveragePooling2D``."""

    _rank, _mode = 2, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(_GlobalPooling):
    """``keras.layers.GlobalAveragePooling3D``."""

    _rank, _mode = 3, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling1D(_GlobalPooling):
    """``keras.layers.GlobalMaxPooling1D``."""

    _rank, _mode = 1, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalPooling):
    """``keras.layers.GlobalMaxPooling2D``."""

    _rank, _mode = 2, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(_GlobalPooling):
    """``keras.layers.GlobalMaxPooling3D``."""

    _rank, _mode = 3, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


# --- adaptive pooling --------------------------------------------------------------------


def _adaptive_windows(size, out):
    """PyTorch's adaptive windows on one axis: output cell ``i`` pools
    ``[floor(i * size / out), ceil((i + 1) * size / out))``. Every window has ``small`` or
    ``small + 1`` elements (``small = ceil(size / out)``): returns those two lengths and, per
    cell, its start and whether its window is the long one."""
    small = -(-size // out)
    starts, long = [], []
    for i in range(out):
        start = min(i * size // out, size - 1)
        end = min(-(-(i + 1) * size // out), size)
        starts.append(start)
        long.append(end - start == small + 1)
    return small, small + 1, starts, long


def _adaptive_pool_axis(x, axis, out, mode):
    """Adaptive pooling of a channels-last tensor along one spatial axis, Keras's way: pool
    with the short and the long window at stride 1 (``tf.nn.avg_pool``/``max_pool``), then
    gather each output cell from the pooling of its window length at its start."""
    size = x.shape[axis]
    if size is None:
        raise ValueError("Input spatial dimensions must be statically known for adaptive pooling")
    small, big, starts, long = _adaptive_windows(int(size), out)
    pool = tf.nn.max_pool if mode == "max" else tf.nn.avg_pool
    rank = x.shape.rank - 2

    def pooled(window):
        ksize = [window if a == axis else 1 for a in range(1, rank + 1)]
        return pool(x, ksize, 1, "VALID")

    short = pooled(small)
    if not any(long):
        return tf.gather(short, starts, axis=axis)
    offset = int(size) - small + 1  # where the long-window results start after concatenation
    both = tf.concat([short, pooled(big)], axis=axis)
    return tf.gather(both, [s + offset if is_long else s for s, is_long in zip(starts, long)], axis=axis)


class _AdaptivePooling(Layer):
    """Keras's adaptive pooling: ``output_size`` cells per spatial axis, whatever the input
    size; the axes are pooled one after another (height, then width, ...), as Keras does."""

    _rank = None
    _mode = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self._rank
        elif not (isinstance(output_size, (tuple, list)) and len(output_size) == self._rank):
            raise TypeError(f"`output_size` must be an integer or a tuple of {self._rank} integers. "
                            f"Received: {output_size}")
        self.output_size = tuple(int(v) for v in output_size)
        self.data_format = _standard_data_format(data_format)

    def call(self, inputs):
        first = self.data_format == "channels_first"
        x = _to_channels_last(inputs) if first else inputs
        for axis, out in enumerate(self.output_size, start=1):
            x = _adaptive_pool_axis(x, axis, out, self._mode)
        return _to_channels_first(x) if first else x


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """``keras.layers.AdaptiveAveragePooling1D``."""

    _rank, _mode = 1, "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """``keras.layers.AdaptiveAveragePooling2D``."""

    _rank, _mode = 2, "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """``keras.layers.AdaptiveAveragePooling3D``."""

    _rank, _mode = 3, "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """``keras.layers.AdaptiveMaxPooling1D``."""

    _rank, _mode = 1, "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """``keras.layers.AdaptiveMaxPooling2D``."""

    _rank, _mode = 2, "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """``keras.layers.AdaptiveMaxPooling3D``."""

    _rank, _mode = 3, "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)
