"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, UnitNormalization, and the preprocessing layer Normalization.

The formulas and the order of operations are Keras 3's (``keras/src/layers/normalization``
and ``keras/src/ops/nn.py``): where Keras's TensorFlow backend calls
``tf.nn.batch_normalization`` / ``tf.nn.moments``, so does this file, which keeps results
equal to Keras's to float32 rounding. Keras's defaults differ from TensorFlow habits:
``epsilon=1e-3`` and ``momentum=0.99`` for BatchNormalization.
"""

import tensorflow as tf
from tfr_base import Layer, _unique_name, initializers_get
from tfr_constraints import constraints_get
from tfr_regularizers import regularizers_get


class BatchNormalization(Layer):
    """``keras.layers.BatchNormalization`` over the features of ``axis`` (an int, as Keras
    requires; negative counts from the end).

    Inference: ``tf.nn.batch_normalization`` with the moving statistics. Training (when the
    layer is trainable): the batch's ``tf.nn.moments`` over every other axis, and the moving
    statistics become ``moving * momentum + batch * (1 - momentum)``. ``call(..., mask=)``
    (a Keras mask of the input's rank minus one) leaves masked steps out of the batch
    statistics. Weights in Keras's order: gamma, beta, moving_mean, moving_variance.
    ``renorm=True`` is not translated."""

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.beta_regularizer = regularizers_get(beta_regularizer)
        self.beta_constraint = constraints_get(beta_constraint)
        self.gamma_regularizer = regularizers_get(gamma_regularizer)
        self.gamma_constraint = constraints_get(gamma_constraint)
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not translated")
        # synchronized=True only changes anything across replicas of a tf.distribute strategy
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers_get(beta_initializer)
        self.gamma_initializer = initializers_get(gamma_initializer)
        self.moving_mean_initializer = initializers_get(moving_mean_initializer)
        self.moving_variance_initializer = initializers_get(moving_variance_initializer)
        self.gamma = self.beta = None

    def build(self, input_shape):
        shape = (input_shape[self.axis],)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer, regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                        name="gamma", autocast=False)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        name="beta", autocast=False)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean", autocast=False)
        self.moving_variance = self.add_weight(shape=shape, initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance", autocast=False)
        rank = len(input_shape)
        self._reduction_axes = [i for i in range(rank) if i != self.axis % rank]
        self.built = True

    def call(self, inputs, training=None, mask=None):
        mask = None if mask is None else tf.convert_to_tensor(mask)
        if mask is not None and mask.shape.rank != inputs.shape.rank - 1:
            raise ValueError(f"The mask should have one dimension less than the inputs: mask.shape={mask.shape}, "
                             f"inputs.shape={inputs.shape}")
        # as Keras: half-precision inputs are normalized in float32, the output is in the compute dtype
        dtype = tf.float64 if inputs.dtype == tf.float64 else tf.float32
        inputs = tf.cast(inputs, dtype)
        moving_mean, moving_variance = tf.cast(self.moving_mean, dtype), tf.cast(self.moving_variance, dtype)
        if training and self.trainable:
            mean, variance = self._moments(inputs, mask)
            self.moving_mean.assign(tf.cast(moving_mean * self.momentum + mean * (1.0 - self.momentum),
                                            self.moving_mean.dtype))
            moved = self._moving_variance_of(variance, inputs)
            self.moving_variance.assign(tf.cast(moving_variance * self.momentum + moved * (1.0 - self.momentum),
                                                self.moving_variance.dtype))
        else:
            mean, variance = moving_mean, moving_variance
        gamma = None if self.gamma is None else tf.cast(self.gamma, dtype)
        beta = None if self.beta is None else tf.cast(self.beta, dtype)
        if self.axis != -1:
            # the statistics are vectors along `axis`: shape them to broadcast against the input
            shape = [1] * inputs.shape.rank
            shape[self.axis] = mean.shape[0]
            mean, variance = tf.reshape(mean, shape), tf.reshape(variance, shape)
            gamma = None if gamma is None else tf.reshape(gamma, shape)
            beta = None if beta is None else tf.reshape(beta, shape)
        return tf.cast(tf.nn.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                                 variance_epsilon=self.epsilon), self.compute_dtype)

    def _moving_variance_of(self, variance, inputs):
        """The batch variance the moving variance moves towards: Keras 3's, the biased one."""
        return variance

    def _moments(self, inputs, mask):
        if mask is None:
            return tf.nn.moments(inputs, axes=self._reduction_axes)
        # Keras's masked moments: weighted by the mask, with its epsilon (1e-7) in the count
        keep = tf.broadcast_to(tf.expand_dims(tf.cast(mask, tf.bool), -1), tf.shape(inputs))
        weights = tf.reduce_sum(tf.cast(keep, inputs.dtype), self._reduction_axes, keepdims=True)
        mean = tf.reduce_sum(tf.where(keep, inputs, tf.zeros_like(inputs)), self._reduction_axes,
                             keepdims=True) / (weights + 1e-7)
        squares = tf.square(tf.where(keep, inputs - mean, tf.zeros_like(inputs)))
        variance = tf.reduce_sum(squares, self._reduction_axes, keepdims=True) / (weights + 1e-7)
        return tf.squeeze(mean), tf.squeeze(variance)


class TFKeras2BatchNormalization(BatchNormalization):
    """tf.keras 2's ``BatchNormalization``, for a tf.keras 2 program (one with ``hub.KerasLayer``
    or TensorFlow Addons): Keras 3's, except where tf.keras 2 ran its fused kernel (a float16,
    bfloat16 or float32 input of rank 4 or 5 normalized over its first or last feature axis,
    ``fused`` not False). There the moving variance moves towards the unbiased batch variance
    (``n / (n - 1)`` times the biased one, ``n`` the values per feature in the batch; the batch
    itself is normalized with the biased one), and a mask is ignored, as the kernel ignores it
    (tf-keras 2.21's ``_fused_batch_norm``; ``_bessels_correction_test_only`` keeps the
    kernel's variance). Named ``batch_normalization`` as tf.keras 2 names it."""

    def __init__(self, *args, fused=None, **kwargs):
        kwargs["name"] = kwargs.get("name") or _unique_name("batch_normalization")
        super().__init__(*args, **kwargs)
        self.fused = fused

    def _fused(self, inputs):
        rank = inputs.shape.rank
        return (self.fused is not False and rank in (4, 5) and self.axis % rank in (1, rank - 1)
                and inputs.dtype != tf.float64)

    def _moving_variance_of(self, variance, inputs):
        if not self._fused(inputs):
            return variance
        n = tf.cast(tf.size(inputs) // tf.size(variance), variance.dtype)
        return variance * n / (n - 1.0)

    def _moments(self, inputs, mask):
        return super()._moments(inputs, None if self._fused(inputs) else mask)


def _norm_axes(axis, input_shape):
    """Keras's axes of a Layer/RMS normalization: the list as given, sorted (negative axes
    sort before positive ones, as in Keras), and the weight shape they make."""
    axes = sorted(axis) if isinstance(axis, (list, tuple)) else [axis]
    return axes, tuple(input_shape[a] for a in axes)


class LayerNormalization(Layer):
    """``keras.layers.LayerNormalization`` over ``axis`` (an int or a list) of each sample:
    ``tf.nn.moments`` then ``tf.nn.batch_normalization`` with gamma and beta, which is
    Keras's ``x * inv + (beta - mean * inv)`` with ``inv = rsqrt(var + eps) * gamma``.

    TRAP: for several axes Keras reshapes gamma/beta (shaped by the sorted axes) to the
    input's broadcast shape, which mixes up their elements when the sorted list has negative
    axes before positive ones (``[-1, 1]``): kept here, to give Keras's numbers.
    ``rms_scaling=True`` (deprecated in Keras) divides by the standard deviation, not the RMS."""

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        self.beta_regularizer = regularizers_get(beta_regularizer)
        self.beta_constraint = constraints_get(beta_constraint)
        self.gamma_regularizer = regularizers_get(gamma_regularizer)
        self.gamma_constraint = constraints_get(gamma_constraint)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', got {axis!r}")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers_get(beta_initializer)
        self.gamma_initializer = initializers_get(gamma_initializer)

    def build(self, input_shape):
        self.axis, shape = _norm_axes(self.axis, input_shape)
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer, regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                        name="gamma", autocast=False)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        name="beta", autocast=False)
        self.built = True

    def call(self, inputs):
        # as Keras: half-precision inputs are normalized in float32, the output is in the compute dtype
        dtype = tf.float64 if inputs.dtype == tf.float64 else tf.float32
        inputs = tf.cast(inputs, dtype)
        return tf.cast(self._normalize(inputs, dtype), self.compute_dtype)

    def _normalize(self, inputs, dtype):
        rank = inputs.shape.rank
        gamma = None if self.gamma is None else tf.cast(self.gamma, dtype)
        beta = None if self.beta is None else tf.cast(self.beta, dtype)
        if self.axis != [rank - 1] and len(self.axis) != rank:
            broadcast = [1] * rank
            for a in self.axis:
                broadcast[a] = inputs.shape[a]
            gamma = None if gamma is None else tf.reshape(gamma, broadcast)
            beta = None if beta is None else tf.reshape(beta, broadcast)
        if self.rms_scaling:
            variance = tf.math.reduce_variance(inputs, axis=self.axis, keepdims=True)
            outputs = inputs * tf.math.rsqrt(variance + self.epsilon)
            return outputs if gamma is None else outputs * gamma
        mean, variance = tf.nn.moments(inputs, axes=self.axis, keepdims=True)
        return tf.nn.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                         variance_epsilon=self.epsilon)


class GroupNormalization(Layer):
    """``keras.layers.GroupNormalization``: the channels of ``axis`` split into ``groups``
    (``-1``: one per channel, instance normalization), each normalized over its channels and
    all non-batch axes of a sample; then per-channel gamma and beta. The input is reshaped
    to ``[..., groups, channels // groups, ...]`` as Keras does."""

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(f"groups must be a positive integer or -1 (instance normalization), got {groups!r}")
        super().__init__(**kwargs)
        self.beta_regularizer = regularizers_get(beta_regularizer)
        self.beta_constraint = constraints_get(beta_constraint)
        self.gamma_regularizer = regularizers_get(gamma_regularizer)
        self.gamma_constraint = constraints_get(gamma_constraint)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers_get(beta_initializer)
        self.gamma_initializer = initializers_get(gamma_initializer)

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of the input must have a known size, got shape {input_shape}")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(f"groups ({self.groups}) must divide the number of channels ({dim})")
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=(dim,), initializer=self.gamma_initializer, regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                        name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=(dim,), initializer=self.beta_initializer, regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        name="beta")
        self.built = True

    def call(self, inputs):
        shape = tf.shape(inputs)
        channels = inputs.shape[self.axis]
        group_shape = [-1] + [shape[i] if d is None else d for i, d in enumerate(inputs.shape) if i > 0]
        group_shape[self.axis] = channels // self.groups
        group_shape.insert(self.axis, self.groups)  # [..., groups, channels // groups, ...]
        grouped = tf.reshape(inputs, group_shape)
        # reduce over every axis of a sample but the groups one
        axes = list(range(1, len(group_shape)))
        axes.pop(-2 if self.axis == -1 else self.axis - 1)
        mean, variance = tf.nn.moments(grouped, axes=axes, keepdims=True)
        broadcast = [1] * inputs.shape.rank
        broadcast[self.axis] = channels // self.groups
        broadcast.insert(self.axis, self.groups)
        gamma = None if self.gamma is None else tf.reshape(self.gamma, broadcast)
        beta = None if self.beta is None else tf.reshape(self.beta, broadcast)
        outputs = tf.nn.batch_normalization(grouped, mean, variance, offset=beta, scale=gamma,
                                            variance_epsilon=self.epsilon)
        return tf.reshape(outputs, shape)


class RMSNormalization(Layer):
    """``keras.layers.RMSNormalization``: ``x * rsqrt(mean(x**2, axis) + epsilon) * scale``
    (epsilon 1e-6; no centering, no bias)."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        self.axis, shape = _norm_axes(self.axis, input_shape)
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        inv_rms = tf.math.rsqrt(tf.reduce_mean(tf.square(inputs), axis=self.axis, keepdims=True) + self.epsilon)
        return inputs * inv_rms * self.scale


class UnitNormalization(Layer):
    """``keras.layers.UnitNormalization``: each sample scaled to unit L2 norm along ``axis``.
    Keras caps ``1 / norm`` at 1e12; ``tf.math.l2_normalize`` with epsilon 1e-24 (on the
    squared norm) is the same computation."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"axis must be an int or a list/tuple of ints, got {axis!r}")

    def call(self, inputs):
        return tf.math.l2_normalize(inputs, axis=self.axis, epsilon=1e-24)


class Normalization(Layer):
    """``keras.layers.Normalization``: ``(x - mean) / max(sqrt(variance), 1e-7)``, or
    ``x * max(sqrt(variance), 1e-7) + mean`` with ``invert=True``; one statistic per position
    of the kept ``axis`` (``None``: one for all).

    Given ``mean`` and ``variance``, they are constants, as in Keras. Without them Keras
    computes them with ``adapt(data)`` and keeps them as non-trainable weights ``mean``,
    ``variance`` and ``count`` (int64; Keras never updates it): so does this layer, and
    ``set_weights(keras_layer.get_weights())`` or :meth:`adapt` fills them. (Keras's own layer
    reads a copy of the weights taken at ``adapt``/load time, so its ``set_weights`` alone
    does not change its outputs; here the weights are read on every call.)"""

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.mean = self.variance = None  # set by build (and adapt), as Keras's finalize_state does
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set")

    def build(self, input_shape):
        rank = len(input_shape)
        if any(a < -rank or a >= rank for a in self.axis):
            raise ValueError(f"All `axis` values must be in [-ndim, ndim): ndim={rank}, axis={self.axis}")
        self._keep_axis = tuple(sorted(a % rank for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(f"All `axis` values to be kept must have a known size: axis {a} of {input_shape}")
        self._reduce_axis = tuple(a for a in range(rank) if a not in self._keep_axis)
        self._broadcast_shape = [input_shape[a] if a in self._keep_axis else 1 for a in range(rank)]
        stats_shape = tuple(input_shape[a] for a in self._keep_axis)
        self._stats_shape = stats_shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=stats_shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=stats_shape, initializer="ones", trainable=False,
                                                  name="variance")
            self.count = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False, name="count")
        else:
            self.mean, self.variance = (self._given(v, rank) for v in (self.input_mean, self.input_variance))
        self.built = True
        self._finalize_state()

    def _finalize_state(self):
        """Keras's ``finalize_state`` (after build and adapt): ``mean`` and ``variance`` are the
        adapted statistics shaped to broadcast, in the compute dtype (a program reads them to
        invert the normalization: ``normalizer.mean + x * normalizer.variance ** 0.5``)."""
        if self.input_mean is None and self.built:
            self.mean = tf.cast(tf.reshape(self.adapt_mean, self._broadcast_shape), self.compute_dtype)
            self.variance = tf.cast(tf.reshape(self.adapt_variance, self._broadcast_shape), self.compute_dtype)

    def _given(self, value, rank):
        """A given mean/variance broadcast to the input: its axes are the last kept axes."""
        value = tf.cast(tf.convert_to_tensor(value), self.dtype)
        if value.shape.rank:
            expanded = [1] * rank
            for i in range(1, value.shape.rank + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = tf.reshape(value, expanded)
        return tf.broadcast_to(value, self._broadcast_shape)

    def call(self, inputs):
        dtype = self.compute_dtype  # Keras computes in it, the statistics cast to it
        inputs = tf.cast(inputs, dtype)
        if self.input_mean is None:
            mean = tf.reshape(self.adapt_mean, self._broadcast_shape)
            variance = tf.reshape(self.adapt_variance, self._broadcast_shape)
        else:
            mean, variance = self.mean, self.variance
        mean, variance = tf.cast(mean, dtype), tf.cast(variance, dtype)
        std = tf.maximum(tf.sqrt(variance), tf.cast(1e-7, dtype))  # Keras's backend.epsilon()
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def adapt(self, data):
        """Compute the mean and variance of ``data`` (an array or tensor, a ``tf.data.Dataset``
        of batches, or an iterable of batches) over every axis but ``axis``, as Keras does
        (batches are combined with Keras's running-average formula)."""
        if self.input_mean is not None:
            raise ValueError("adapt() is for a Normalization layer made without mean and variance")
        if hasattr(data, "shape") and not isinstance(data, tf.data.Dataset):
            data = tf.cast(tf.convert_to_tensor(data), self.dtype)
            if not self.built:
                self._build_for(data)
            mean, variance = tf.nn.moments(data, axes=list(self._reduce_axis))
        else:
            mean = variance = None
            total = 0
            for batch in data:
                if isinstance(batch, (tuple, list)):
                    batch = batch[0]  # (x, y) pairs: the features
                batch = tf.cast(tf.convert_to_tensor(batch), self.dtype)
                if not self.built:
                    self._build_for(batch)
                if mean is None:
                    mean, variance = tf.zeros(self._stats_shape), tf.zeros(self._stats_shape)
                batch_mean, batch_variance = tf.nn.moments(batch, axes=list(self._reduce_axis))
                count = 1
                for a in self._reduce_axis:
                    count *= int(batch.shape[a])
                total += count
                w = float(count) / total
                new_mean = mean * (1.0 - w) + batch_mean * w
                variance = ((variance + (mean - new_mean) ** 2) * (1.0 - w)
                            + (batch_variance + (batch_mean - new_mean) ** 2) * w)
                mean = new_mean
            if mean is None:
                raise ValueError("adapt() received no batches")
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(variance)
        self._finalize_state()
