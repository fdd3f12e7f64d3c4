"""Convolutional LSTM layers: ConvLSTM1D, ConvLSTM2D, ConvLSTM3D.

Keras 3's ``keras/src/layers/rnn/conv_lstm.py`` step for step: an LSTM whose gate products
are convolutions. The gates ``i, f, c, o`` sit side by side on the kernels' last axis, so
Keras's weights move unchanged: ``kernel`` ``(*kernel_size, in_channels, 4 * filters)``,
``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``
(the forget gate's quarter starts at one with ``unit_forget_bias``). The input is convolved
with the layer's ``strides``, ``padding`` and ``dilation_rate``, the carried state at stride 1
with "same" padding. The loop over time is the recurrent runtime's ``RNN`` (tfr_recurrent.py):
masks, ``go_backwards``, ``return_sequences``, ``return_state``, ``initial_state``,
``stateful`` and ``unroll`` behave as for ``LSTM``.

Dropout, as Keras: four masks for the input and four for the state (one per gate), drawn once
per call from the cell's ``SeedGenerator`` in Keras's order (the same numbers for an integer
seed), applied in training for ``0 < rate < 1``; each gate then has its own convolution.
Without dropout one convolution of the whole kernel computes the four gates (the same sums).
``data_format="channels_first"`` is computed channels-last between two transposes, as the
convolution layers do (tfr_conv.py).
"""

import tensorflow as tf
from tfr_activations import activations_get
from tfr_base import Layer, initializers_get
from tfr_constraints import constraints_get
from tfr_conv import _convolution, _standard_data_format, _standard_padding, _standard_tuple, _to_channels_first, _to_channels_last
from tfr_random import SeedGenerator
from tfr_recurrent import RNN, _DropoutRNNCell
from tfr_regularizers import regularizers_get


def _conv_lstm_output_size(size, kernel, stride, padding, dilation):
    """One spatial size of a convolution's output (Keras's ``compute_conv_output_shape``)."""
    if padding == "same":
        return (size - 1) // stride + 1
    return (size - dilation * (kernel - 1) - 1) // stride + 1


class _ConvLSTMCell(Layer, _DropoutRNNCell):
    """Keras's ``ConvLSTMCell``: one step, ``h, [h, c]`` from ``x, [h_tm1, c_tm1]``::

        i = recurrent_activation(conv(x, kernel_i) + bias_i + conv_same(h_tm1, recurrent_kernel_i))
        f = recurrent_activation(conv(x, kernel_f) + bias_f + conv_same(h_tm1, recurrent_kernel_f))
        c = f * c_tm1 + i * activation(conv(x, kernel_c) + bias_c + conv_same(h_tm1, recurrent_kernel_c))
        o = recurrent_activation(conv(x, kernel_o) + bias_o + conv_same(h_tm1, recurrent_kernel_o))
        h = o * activation(c)
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if rank > 3:
            raise ValueError(f"Rank {rank} convolutions are not currently implemented. Received: rank={rank}")
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        self.rank = rank
        self.filters = filters
        self.kernel_size = _standard_tuple(kernel_size, rank, "kernel_size")
        self.strides = _standard_tuple(strides, rank, "strides", allow_zero=True)
        self.padding = _standard_padding(padding)
        self.data_format = _standard_data_format(data_format)
        self.dilation_rate = _standard_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please provide "
                             f"`strides=1` or `dilation_rate=1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations_get(activation)
        self.recurrent_activation = activations_get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers_get(kernel_initializer)
        self.recurrent_initializer = initializers_get(recurrent_initializer)
        self.bias_initializer = initializers_get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers_get(kernel_regularizer)
        self.recurrent_regularizer = regularizers_get(recurrent_regularizer)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.kernel_constraint = constraints_get(kernel_constraint)
        self.recurrent_constraint = constraints_get(recurrent_constraint)
        self.bias_constraint = constraints_get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.dropout_mask_count = 4
        self.state_size = -1  # as Keras: the states' shape is known once the input's is

    def build(self, input_shape):
        first = self.data_format == "channels_first"
        self.spatial_dims = tuple(input_shape[2:] if first else input_shape[1:-1])
        if None in self.spatial_dims:
            raise ValueError(f"ConvLSTM layers only support static input shapes for the spatial dimension. Received "
                             f"invalid input shape: input_shape={tuple(input_shape)}")
        channels = input_shape[1] if first else input_shape[-1]
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs (last axis) should be defined. Found None. Full "
                             f"input shape received: input_shape={tuple(input_shape)}")
        self.input_dim = int(channels)
        sizes = tuple(_conv_lstm_output_size(n, k, s, self.padding, d) for n, k, s, d in
                      zip(self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate))
        # one sample's output (and state) shape: the loop's zero output has it
        self.output_size = (self.filters,) + sizes if first else sizes + (self.filters,)
        f = self.filters
        self.kernel = self.add_weight(shape=self.kernel_size + (self.input_dim, 4 * f), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=self.kernel_size + (f, 4 * f), initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                def bias_initializer(shape, dtype=None):
                    return tf.concat([init((f,), dtype=dtype), tf.ones((f,), dtype=dtype), init((2 * f,), dtype=dtype)], 0)
            else:
                bias_initializer = init
            self.bias = self.add_weight(shape=(4 * f,), initializer=bias_initializer, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        else:
            self.bias = None
        self.built = True

    def get_initial_state(self, batch_size=None):
        shape = [batch_size] + list(self.output_size)
        return [tf.zeros(shape, dtype=self.compute_dtype), tf.zeros(shape, dtype=self.compute_dtype)]

    def input_conv(self, x, kernel, bias=None):
        """``x`` convolved with the layer's strides, padding and dilation, plus ``bias``."""
        first = self.data_format == "channels_first"
        y = _convolution(_to_channels_last(x) if first else x, kernel, self.strides, self.padding, self.dilation_rate)
        if bias is not None:
            y = y + bias
        return _to_channels_first(y) if first else y

    def recurrent_conv(self, h, kernel):
        """The state convolved at stride 1 with "same" padding (its shape is kept)."""
        first = self.data_format == "channels_first"
        ones = (1,) * self.rank
        y = _convolution(_to_channels_last(h) if first else h, kernel, ones, "same", ones)
        return _to_channels_first(y) if first else y

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        f = self.filters
        dp = self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
        rdp = self.get_recurrent_dropout_mask(h_tm1) if training and 0.0 < self.recurrent_dropout < 1.0 else None
        if dp is None and rdp is None:
            # one convolution computes the four gates side by side
            z = self.input_conv(inputs, self.kernel, self.bias) + self.recurrent_conv(h_tm1, self.recurrent_kernel)
            axis = 1 if self.data_format == "channels_first" else -1
            z_i, z_f, z_c, z_o = tf.split(z, 4, axis=axis)
        else:
            # a dropout mask per gate: each gate convolves its own masked input and state
            gates = []
            for k in range(4):
                bias = self.bias[k * f:(k + 1) * f] if self.bias is not None else None
                x_k = self.input_conv(inputs * dp[k] if dp else inputs, self.kernel[..., k * f:(k + 1) * f], bias)
                h_k = self.recurrent_conv(h_tm1 * rdp[k] if rdp else h_tm1, self.recurrent_kernel[..., k * f:(k + 1) * f])
                gates.append(x_k + h_k)
            z_i, z_f, z_c, z_o = gates
        i = self.recurrent_activation(z_i)
        f_gate = self.recurrent_activation(z_f)
        c = f_gate * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]


class _ConvLSTM(RNN):
    """What ConvLSTM1D/2D/3D share: an RNN of a ``_ConvLSTMCell`` named ``conv_lstm_cell``;
    the states are ``[h, c]``, each of the output's per-step shape."""

    _rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, **kwargs):
        cell = _ConvLSTMCell(self._rank, filters, kernel_size, strides=strides, padding=padding,
                             data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                             recurrent_activation=recurrent_activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell",
                             dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape and isinstance(sequences_shape[0], (tuple, list)):
            sequences_shape = sequences_shape[0]
        if len(sequences_shape) != self._rank + 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"ndim={self._rank + 3}, found ndim={len(sequences_shape)}. Full shape received: "
                             f"{tuple(sequences_shape)}")
        super().build(sequences_shape, initial_state_shape)

    def compute_mask(self, inputs, mask):
        mask = tf.nest.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    @property
    def filters(self):
        return self.cell.filters

    @property
    def kernel_size(self):
        return self.cell.kernel_size

    @property
    def strides(self):
        return self.cell.strides

    @property
    def padding(self):
        return self.cell.padding

    @property
    def data_format(self):
        return self.cell.data_format

    @property
    def dilation_rate(self):
        return self.cell.dilation_rate

    @property
    def activation(self):
        return self.cell.activation

    @property
    def recurrent_activation(self):
        return self.cell.recurrent_activation

    @property
    def use_bias(self):
        return self.cell.use_bias

    @property
    def unit_forget_bias(self):
        return self.cell.unit_forget_bias

    @property
    def dropout(self):
        return self.cell.dropout

    @property
    def recurrent_dropout(self):
        return self.cell.recurrent_dropout


class ConvLSTM1D(_ConvLSTM):
    """``keras.layers.ConvLSTM1D``: inputs ``(batch, time, steps, channels)``, convolutions
    ``tf.nn.conv1d``."""

    _rank = 1


class ConvLSTM2D(_ConvLSTM):
    """``keras.layers.ConvLSTM2D``: inputs ``(batch, time, rows, cols, channels)``, convolutions
    ``tf.nn.conv2d``."""

    _rank = 2


class ConvLSTM3D(_ConvLSTM):
    """``keras.layers.ConvLSTM3D``: inputs ``(batch, time, dim1, dim2, dim3, channels)``,
    convolutions ``tf.nn.conv3d``."""

    _rank = 3
