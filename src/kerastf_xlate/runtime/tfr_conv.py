"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

Kernels have Keras's layouts, so ``set_weights(keras_layer.get_weights())`` works:
``[*kernel_size, in_channels // groups, filters]`` for convolutions,
``[*kernel_size, filters, in_channels]`` for transposed ones,
``[*kernel_size, in_channels, depth_multiplier]`` for depthwise kernels and
``[1..., in_channels * depth_multiplier, filters]`` for pointwise ones.

``data_format="channels_first"`` is computed channels-last between two transposes (exact:
TensorFlow's CPU kernels only take NHWC, and Keras itself does the same for depthwise convs).
"""

import tensorflow as tf
from tfr_activations import activations_get
from tfr_base import Layer, initializers_get
from tfr_constraints import constraints_get
from tfr_regularizers import regularizers_get

# --- argument handling and layouts shared by the convolution and pooling layers ----------


def _standard_tuple(value, n, name, allow_zero=False):
    """Keras's ``standardize_tuple``: an int repeated ``n`` times, or ``n`` ints."""
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}") from None
        if len(values) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}")
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        raise ValueError(f"The `{name}` argument must be {'>= 0' if allow_zero else '> 0'}. Received {name}={value}")
    return values


def _standard_data_format(data_format):
    """``None`` is Keras's default ``image_data_format()``, "channels_last" (a translated
    program has no ``keras.json`` to read)."""
    value = "channels_last" if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', 'channels_last'. "
                         f"Received: data_format={data_format}")
    return value


def _standard_padding(padding, allow_causal=False):
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. Received: padding={padding}")
    return value


def _to_channels_last(x):
    """``[N, C, *spatial]`` -> ``[N, *spatial, C]``."""
    rank = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, rank)) + [1])


def _to_channels_first(x):
    """``[N, *spatial, C]`` -> ``[N, C, *spatial]``."""
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


def _spatial_sizes(x):
    """The spatial sizes of a channels-last tensor: Python ints where known, else scalars."""
    static = x.shape.as_list()[1:-1]
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(x)
    return [d if d is not None else dynamic[i + 1] for i, d in enumerate(static)]


def _convolution(x, kernel, strides, padding, dilations):
    """A channels-last convolution, as Keras's ``tf.nn.convolution`` computes it.

    Dilated: ``tf.nn.convolution`` itself (it goes through space-to-batch, which TensorFlow's
    CPU kernels can run and differentiate; a dilated ``conv2d``/``conv3d`` they cannot).
    Otherwise the op it runs, ``tf.nn.conv1d``/``conv2d``/``conv3d``, called directly: its
    eager 3-D gradient fails on TensorFlow 2.21 when reached through ``tf.nn.convolution``."""
    padding = padding.upper()
    if max(dilations) > 1:
        return tf.nn.convolution(x, kernel, strides=strides, padding=padding, dilations=dilations)
    rank = x.shape.rank - 2
    if rank == 1:
        return tf.nn.conv1d(x, kernel, strides[0], padding)
    if rank == 2:
        return tf.nn.conv2d(x, kernel, strides, padding)
    return tf.nn.conv3d(x, kernel, [1, *strides, 1], padding, data_format="NDHWC")


def _nonnegative(value):
    return tf.maximum(value, 0) if tf.is_tensor(value) else max(value, 0)


def _pad_same(x, kernel_size, strides, dilations):
    """Pad a channels-last tensor as TensorFlow's "SAME" does for these strides (the extra
    element goes after), so that a "VALID" convolution at stride 1 followed by subsampling
    gives the "SAME" strided result."""
    paddings = [[0, 0]]
    for size, k, s, d in zip(_spatial_sizes(x), kernel_size, strides, dilations):
        effective = (k - 1) * d + 1
        out = (size + s - 1) // s
        total = _nonnegative((out - 1) * s + effective - size)
        paddings.append([total // 2, total - total // 2])
    paddings.append([0, 0])
    return tf.pad(x, paddings)


def _depthwise(x, kernel, strides, padding, dilations, pointwise=None):
    """Keras's depthwise (and, given ``pointwise``, separable) convolution of a channels-last
    tensor of rank 3 or 4 with ``tf.nn.depthwise_conv2d`` / ``tf.nn.separable_conv2d``.

    TensorFlow's depthwise kernel takes neither strides > 1 together with dilations > 1 nor
    different strides per axis: those run at stride 1 and are subsampled (Keras decomposes
    the first case the same way and fails on the second)."""
    one_d = x.shape.rank == 3
    if one_d:  # a 1-D convolution is a 2-D one over a height of 1
        x = tf.expand_dims(x, 1)
        kernel = tf.expand_dims(kernel, 0)
        if pointwise is not None:
            pointwise = tf.expand_dims(pointwise, 0)
        strides, dilations = (1,) + tuple(strides), (1,) + tuple(dilations)
    decompose = len(set(strides[one_d:])) > 1 or (max(strides) > 1 and max(dilations) > 1)
    if decompose:
        if padding == "same":
            x = _pad_same(x, kernel.shape[:2], strides, dilations)
        y = tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID", dilations=dilations)
        y = y[:, :: strides[0], :: strides[1], :]
        if pointwise is not None:
            y = tf.nn.conv2d(y, pointwise, 1, "VALID")
    else:
        # a 1-D stride repeats on the height of 1 (the kernel wants equal strides)
        step = strides[-1] if one_d else strides[0]
        if pointwise is None:
            y = tf.nn.depthwise_conv2d(x, kernel, [1, step, step, 1], padding.upper(), dilations=dilations)
        else:
            y = tf.nn.separable_conv2d(x, kernel, pointwise, [1, step, step, 1], padding.upper(),
                                       dilations=dilations)
    return tf.squeeze(y, [1]) if one_d else y


class _ConvBase(Layer):
    """What every convolution shares: arguments, the bias, the activation, channels_first."""

    _xlate_config_attrs = ("kernel_size", "strides", "dilation_rate", "data_format")  # get_config: as normalized

    _rank = None

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                 bias_initializer, allow_causal=False, **kwargs):
        lora_rank = kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(**kwargs)
        if lora_rank is not None:
            raise NotImplementedError(f"{type(self).__name__}(lora_rank=...) is not translated")
        rank = self._rank
        self.kernel_size = _standard_tuple(kernel_size, rank, "kernel_size")
        self.strides = _standard_tuple(strides, rank, "strides")
        self.dilation_rate = _standard_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = _standard_padding(padding, allow_causal)
        self.data_format = _standard_data_format(data_format)
        self.activation = activations_get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers_get(bias_initializer)
        self.bias = None

    def _input_channels(self, input_shape):
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        if channels is None:
            raise ValueError(f"{type(self).__name__}: the channel dimension of the inputs must be known")
        return int(channels)

    def _add_bias(self, size):
        if self.use_bias:
            self.bias = self.add_weight(shape=(size,), initializer=self.bias_initializer,
                                        regularizer=getattr(self, "bias_regularizer", None),
                                        constraint=getattr(self, "bias_constraint", None), name="bias")

    def call(self, inputs):
        first = self.data_format == "channels_first"
        x = _to_channels_last(inputs) if first else inputs
        y = self._convolve(x)
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias)
        if first:
            y = _to_channels_first(y)
        return self.activation(y) if self.activation is not None else y

    def _convolve(self, x):
        raise NotImplementedError


class _Conv(_ConvBase):
    """``Conv1D``/``Conv2D``/``Conv3D``: ``tf.nn.conv1d``/``conv2d``/``conv3d``, Keras's kernel layout
    ``[*kernel_size, in_channels // groups, filters]``.

    Grouped convolutions: TensorFlow's CPU kernels fail on them (3-D, and the gradient of
    1-D/2-D), so each group is convolved on its own and the outputs are concatenated in
    group order; when every group is one input channel (1-D/2-D), it is a depthwise
    convolution with the kernel reshaped to ``[*kernel_size, in_channels, filters // groups]``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, allow_causal=self._rank == 1, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.kernel_regularizer = regularizers_get(kernel_regularizer)
        self.kernel_constraint = constraints_get(kernel_constraint)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.bias_constraint = constraints_get(bias_constraint)
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_initializer = initializers_get(kernel_initializer)
        if self.filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`: {filters}")
        if self.groups <= 0 or self.filters % self.groups:
            raise ValueError(f"The number of filters ({filters}) must be evenly divisible by groups ({groups})")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"The number of input channels ({channels}) must be evenly divisible by the number "
                             f"of groups ({self.groups})")
        self.kernel = self.add_weight(shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel")
        self._add_bias(self.filters)
        self.built = True

    def _convolve(self, x):
        padding = self.padding
        if padding == "causal":  # Conv1D: pad the past only, then a valid convolution
            x = tf.pad(x, [[0, 0], [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0], [0, 0]])
            padding = "valid"
        kernel = self.kernel
        if self.groups == 1:
            return _convolution(x, kernel, self.strides, padding, self.dilation_rate)
        channels = int(kernel.shape[-2]) * self.groups
        if kernel.shape[-2] == 1 and self._rank <= 2:
            depthwise = tf.reshape(kernel, self.kernel_size + (channels, self.filters // channels))
            return _depthwise(x, depthwise, self.strides, padding, self.dilation_rate)
        pairs = zip(tf.split(x, self.groups, axis=-1), tf.split(kernel, self.groups, axis=-1))
        outputs = [_convolution(xg, kg, self.strides, padding, self.dilation_rate) for xg, kg in pairs]
        return tf.concat(outputs, axis=-1)


class Conv1D(_Conv):
    """``keras.layers.Conv1D`` (``padding="causal"`` pads ``dilation_rate * (kernel_size - 1)``
    steps before the sequence, as Keras does)."""

    _rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2D(_Conv):
    """``keras.layers.Conv2D``."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3D(_Conv):
    """``keras.layers.Conv3D``."""

    _rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# --- transposed convolutions --------------------------------------------------------------


def _transpose_output_size(size, kernel, stride, padding, output_padding, dilation):
    """Keras's output length of a transposed convolution (``size`` may be a scalar tensor)."""
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return (size - 1) * stride + effective + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + effective % 2 + output_padding


class _ConvTranspose(_ConvBase):
    """``Conv{1,2,3}DTranspose``: ``tf.nn.conv_transpose`` (the gradient of the convolution),
    Keras's kernel layout ``[*kernel_size, filters, in_channels]`` and output size.

    Dilation (only with strides of 1, as Keras requires): TensorFlow's CPU kernels refuse it,
    so the transpose is written as the convolution it equals at stride 1 — the kernel flipped
    in space with its channel axes swapped, over the input padded by ``k_eff - 1 - p`` before
    (``p`` the padding the forward convolution would put before, ``k_eff`` the dilated kernel
    size)."""

    def __init__(self, filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate, activation,
                 use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, kernel_constraint, bias_constraint, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_regularizer = regularizers_get(kernel_regularizer)
        self.kernel_constraint = constraints_get(kernel_constraint)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.bias_constraint = constraints_get(bias_constraint)
        self.filters = int(filters)
        self.kernel_initializer = initializers_get(kernel_initializer)
        self.output_padding = None if output_padding is None else _standard_tuple(
            output_padding, self._rank, "output_padding", allow_zero=True)
        if self.filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`: {filters}")
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"`output_padding` must be strictly less than `strides`. Received: "
                             f"output_padding={self.output_padding}, strides={self.strides}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel")
        self._add_bias(self.filters)
        self.built = True

    def _output_sizes(self, x):
        paddings = self.output_padding or (None,) * self._rank
        return [_transpose_output_size(size, k, s, self.padding, p, d) for size, k, s, p, d in
                zip(_spatial_sizes(x), self.kernel_size, self.strides, paddings, self.dilation_rate)]

    def _convolve(self, x):
        sizes = self._output_sizes(x)
        if max(self.dilation_rate) == 1:
            output_shape = [tf.shape(x)[0]] + sizes + [self.filters]
            return tf.nn.conv_transpose(x, self.kernel, output_shape, self.strides, padding=self.padding.upper())
        rank = self._rank
        kernel = tf.reverse(self.kernel, axis=list(range(rank)))
        kernel = tf.transpose(kernel, list(range(rank)) + [rank + 1, rank])
        paddings = [[0, 0]]
        for size, out, k, d in zip(_spatial_sizes(x), sizes, self.kernel_size, self.dilation_rate):
            effective = (k - 1) * d + 1
            if self.padding == "same":
                if isinstance(size, int) and out != size:
                    raise ValueError(f"{type(self).__name__}: output size {out} is not the 'same' size of {size} "
                                     "(TensorFlow's transposed convolution refuses it)")
                before = _nonnegative(size - 1 + effective - out) // 2
            else:
                before = 0
            left = effective - 1 - before
            paddings.append([left, out + effective - 1 - size - left])
        paddings.append([0, 0])
        return _convolution(tf.pad(x, paddings), kernel, (1,) * rank, "valid", self.dilation_rate)


class Conv1DTranspose(_ConvTranspose):
    """``keras.layers.Conv1DTranspose``."""

    _rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    """``keras.layers.Conv2DTranspose``."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """``keras.layers.Conv3DTranspose`` (its ``data_format`` comes before ``output_padding``,
    unlike the 1-D and 2-D layers)."""

    _rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None, output_padding=None,
                 dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# --- depthwise and separable convolutions -------------------------------------------------


class _DepthwiseConv(_ConvBase):
    """``DepthwiseConv1D``/``DepthwiseConv2D``: ``tf.nn.depthwise_conv2d``; Keras names the
    kernel ``kernel``, shape ``[*kernel_size, in_channels, depth_multiplier]``; output channel
    ``c * depth_multiplier + m`` comes from input channel ``c``."""

    def __init__(self, kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                 use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                 activity_regularizer, depthwise_constraint, bias_constraint, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, activity_regularizer=activity_regularizer, **kwargs)
        self.depthwise_regularizer = regularizers_get(depthwise_regularizer)
        self.depthwise_constraint = constraints_get(depthwise_constraint)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.bias_constraint = constraints_get(bias_constraint)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = initializers_get(depthwise_initializer)
        if self.depth_multiplier <= 0:
            raise ValueError(f"Invalid value for argument `depth_multiplier`: {depth_multiplier}")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint, name="kernel")
        self._add_bias(channels * self.depth_multiplier)
        self.built = True

    def _convolve(self, x):
        return _depthwise(x, self.kernel, self.strides, self.padding, self.dilation_rate)


class DepthwiseConv1D(_DepthwiseConv):
    """``keras.layers.DepthwiseConv1D``."""

    _rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(_DepthwiseConv):
    """``keras.layers.DepthwiseConv2D``."""

    _rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class _SeparableConv(_ConvBase):
    """``SeparableConv1D``/``SeparableConv2D``: ``tf.nn.separable_conv2d`` (a depthwise
    convolution, then a pointwise one); weights ``depthwise_kernel``, ``pointwise_kernel``,
    ``bias`` in Keras's order."""

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier, activation,
                 use_bias, depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
                 pointwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
                 pointwise_constraint, bias_constraint, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, activity_regularizer=activity_regularizer, **kwargs)
        self.depthwise_regularizer = regularizers_get(depthwise_regularizer)
        self.depthwise_constraint = constraints_get(depthwise_constraint)
        self.pointwise_regularizer = regularizers_get(pointwise_regularizer)
        self.pointwise_constraint = constraints_get(pointwise_constraint)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.bias_constraint = constraints_get(bias_constraint)
        self.filters = int(filters)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = initializers_get(depthwise_initializer)
        self.pointwise_initializer = initializers_get(pointwise_initializer)
        if self.filters <= 0 or self.depth_multiplier <= 0:
            raise ValueError(f"Invalid value for `filters` ({filters}) or `depth_multiplier` ({depth_multiplier})")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                                                initializer=self.depthwise_initializer,
                                                regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self._rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint, name="pointwise_kernel")
        self._add_bias(self.filters)
        self.built = True

    def _convolve(self, x):
        return _depthwise(x, self.depthwise_kernel, self.strides, self.padding, self.dilation_rate,
                          pointwise=self.pointwise_kernel)


class SeparableConv1D(_SeparableConv):
    """``keras.layers.SeparableConv1D``."""

    _rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(_SeparableConv):
    """``keras.layers.SeparableConv2D``."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)
