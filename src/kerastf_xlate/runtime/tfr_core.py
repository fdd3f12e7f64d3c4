"""Core layers: Dense, Activation, Dropout, Flatten, Identity, Embedding, EinsumDense, Lambda."""

import inspect
import re

import tensorflow as tf
from tfr_activations import activations_get
from tfr_base import Layer, initializers_get
from tfr_constraints import constraints_get
from tfr_initializers import VarianceScaling
from tfr_regularizers import regularizers_get


def _no_regularizer(layer, **kwargs):
    """Constraints (and other arguments listed) change weights in ways a translation does not carry."""
    for key, value in kwargs.items():
        if value is not None:
            raise NotImplementedError(f"{type(layer).__name__}({key}=...) is not translated")


class Dense(Layer):
    """``keras.layers.Dense``: ``activation(x @ kernel + bias)``, contracting the last axis."""

    supports_masking = True  # the input's Keras mask passes through, as in Keras

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        if not isinstance(units, int) or units <= 0:  # as Keras 3: `units=np.prod(shape)` (a NumPy int) raises
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: units={units}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _no_regularizer(self, lora_rank=lora_rank)
        self.units = int(units)
        self.kernel_regularizer = regularizers_get(kernel_regularizer)
        self.kernel_constraint = constraints_get(kernel_constraint)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.bias_constraint = constraints_get(bias_constraint)
        self.activation = activations_get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers_get(kernel_initializer)
        self.bias_initializer = initializers_get(bias_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias") if self.use_bias else None
        self.built = True

    def call(self, inputs):
        if not inputs.dtype.is_floating:  # keras.ops.matmul promotes: int64 x float32 -> float32
            inputs = tf.cast(inputs, self.compute_dtype)
        if inputs.shape.rank == 2:
            x = tf.matmul(inputs, self.kernel)
        else:
            x = tf.tensordot(inputs, self.kernel, axes=1)
        if self.bias is not None:
            x = tf.nn.bias_add(x, self.bias)
        # `layer.activation = None` after construction (Grad-CAM's last layer): linear, as in Keras
        return self.activation(x) if self.activation is not None else x


class Activation(Layer):
    """``keras.layers.Activation``."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations_get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class Identity(Layer):
    supports_masking = True

    def call(self, inputs):
        return inputs


class Dropout(Layer):
    """``keras.layers.Dropout``: the identity in inference; in training, ``tf.nn.dropout``
    (``rate=1`` gives zeros, as in Keras: ``tf.nn.dropout`` refuses it)."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout rate must be in [0, 1], got {rate}")
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return tf.zeros_like(inputs)
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


class Embedding(Layer):
    """``keras.layers.Embedding``: row ``i`` of an ``(input_dim, output_dim)`` table for each
    index ``i``. As Keras's backend does: non-integer indices are cast to int32 and negative
    ones count from the end (``tf.gather``). With ``mask_zero=True`` the output's Keras mask is
    ``inputs != 0`` (:meth:`compute_mask`); index 0 still looks up row 0."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:  # Keras 3's words
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value} "
                                 f"(of type {type(value).__name__}).")
        kwargs.pop("input_length", None)  # deprecated in Keras 3, ignored there too
        super().__init__(**kwargs)
        _no_regularizer(self, lora_rank=lora_rank, quantization_config=quantization_config)
        self.embeddings_regularizer = regularizers_get(embeddings_regularizer)
        self.embeddings_constraint = constraints_get(embeddings_constraint)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers_get(embeddings_initializer)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint, name="embeddings")
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (tf.int32, tf.int64):
            inputs = tf.cast(inputs, tf.int32)
        indices = tf.where(inputs < 0, inputs + tf.cast(self.input_dim, inputs.dtype), inputs)
        return tf.gather(self.embeddings, indices, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return tf.not_equal(inputs, 0)


def _einsum_dense_shapes(equation, bias_axes, input_shape, output_shape):
    """Keras's reading of an EinsumDense equation: the kernel shape, the bias shape (or None),
    and which kernel axes are input and output units (for the initializer's fans).

    ``output_shape`` leaves out the batch axis; the ellipsis may stand first in the input and
    output (``...b,bc->...c``) or last (``ab...,bc->ac...``)."""
    plain = equation.replace("...", "0")
    for pattern, left in ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),  # noqa: B007 - read after the loop
                          (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, plain)
        if match:
            break
    else:
        raise ValueError(f"Invalid einsum equation {equation!r}: expected [X],[Y]->[Z], ...[X],[Y]->...[Z] "
                         f"or [X]...,[Y]->[Z]...")
    input_spec, weight_spec, output_spec = match.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    # the full output shape as Keras builds it: batch, elided axes, the given dims
    full = [input_shape[0]] + output_shape
    if elided > 0 and left:
        for i in range(1, elided):
            full.insert(1, input_shape[i])
    elif elided > 0:
        full += input_shape[len(input_shape) - elided:]
    if left:
        in_pos = {c: i + elided - len(input_shape) for i, c in enumerate(input_spec)}
        out_pos = {c: i + elided for i, c in enumerate(output_spec)}
    else:
        in_pos = {c: i for i, c in enumerate(input_spec)}
        out_pos = {c: i for i, c in enumerate(output_spec)}
    for c in input_spec:
        if c in out_pos and full[out_pos[c]] is not None and full[out_pos[c]] != input_shape[in_pos[c]]:
            raise ValueError(f"Input shape and output shape do not match at shared dimension {c!r}")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, c in enumerate(weight_spec):
        if c in out_pos:
            kernel_shape.append(full[out_pos[c]])
            output_axes.append(i)
        elif c in in_pos:
            kernel_shape.append(input_shape[in_pos[c]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension {c!r} is in neither the input nor the output of {equation!r}")
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension {c!r} is not part of the output spec {output_spec!r}")
        offset = elided if left else 0
        first = min(output_spec.find(c) for c in bias_axes)
        # from the first bias axis to the end of the output: its size on bias axes, 1 elsewhere
        bias_shape = [full[i + offset] if c in bias_axes else 1
                      for i, c in enumerate(output_spec) if i >= first]
        if not left:
            bias_shape += [1] * elided
    return kernel_shape, bias_shape, input_axes, output_axes


class EinsumDense(Layer):
    """``keras.layers.EinsumDense``: ``activation(tf.einsum(equation, x, kernel) + bias)``.

    ``output_shape`` leaves out the batch axis. The bias covers ``bias_axes`` (no bias when
    None, Keras's default). As in Keras, a variance-scaling kernel initializer (Glorot, He,
    LeCun...) counts fans over the kernel's input and output axes of the equation."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, gptq_unpacked_column_size=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        _no_regularizer(self, lora_rank=lora_rank, gptq_unpacked_column_size=gptq_unpacked_column_size, quantization_config=quantization_config)
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations_get(activation)
        self.kernel_initializer = initializers_get(kernel_initializer)
        self.bias_initializer = initializers_get(bias_initializer)
        self.kernel_regularizer = regularizers_get(kernel_regularizer)
        self.kernel_constraint = constraints_get(kernel_constraint)
        self.bias_regularizer = regularizers_get(bias_regularizer)
        self.bias_constraint = constraints_get(bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, input_axes, output_axes = _einsum_dense_shapes(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        init = self.kernel_initializer
        if isinstance(init, VarianceScaling) and (init.input_axes is None or init.output_axes is None):
            init = init.with_axes(input_axes, output_axes)
        self.kernel = self.add_weight(shape=kernel_shape, initializer=init, regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")
        self.built = True

    def call(self, inputs, training=None):
        x = tf.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x) if self.activation is not None else x


class Lambda(Layer):
    """``keras.layers.Lambda``: calls the user's ``function`` on the inputs, with
    ``arguments`` as keywords, and ``mask=``/``training=`` when the function takes them.
    The output's Keras mask is ``mask`` (a callable is called with ``(inputs, mask)``)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.getfullargspec(function).args
        except TypeError:
            params = []
        self._takes_training = "training" in params
        self._takes_mask = "mask" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask
