"""Keras's initializers in TensorFlow: the same formulas, the same defaults.

Random draws come from TensorFlow's generators, so values are not bit-identical to Keras's
(weights are moved with ``set_weights`` when they must match); the distributions are the
same.
"""

import functools
import math

import tensorflow as tf


def _fans(shape, input_axes=None, output_axes=None):
    """Keras's fan-in / fan-out: the product over the given input / output axes (EinsumDense
    kernels), else the receptive field multiplies the last two axes."""
    if input_axes is not None and output_axes is not None:
        fan_in = fan_out = 1
        for axis in input_axes:
            fan_in *= shape[axis]
        for axis in output_axes:
            fan_out *= shape[axis]
        return fan_in, fan_out
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


def _eager_constructor(cls):
    """A user's subclass's ``__init__`` run eagerly (``tf.init_scope``), as Keras builds a
    functional model eagerly: a tensor it keeps (``self.eye = tf.eye(n)`` in a regularizer
    made while a model's graph function is traced) outlives that trace."""
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, "_xlate_eager", False):
        return

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        with tf.init_scope():
            init(self, *args, **kwargs)

    __init__._xlate_eager = True
    cls.__init__ = __init__


class Initializer:
    """Base of the initializers: ``initializer(shape, dtype) -> tensor``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _eager_constructor(cls)

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return tf.zeros(shape, dtype=dtype or tf.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return tf.ones(shape, dtype=dtype or tf.float32)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def get_config(self):
        return {"value": self.value}

    def __call__(self, shape, dtype=None):
        return tf.broadcast_to(tf.cast(self.value, dtype or tf.float32), shape)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}

    def __call__(self, shape, dtype=None):
        return tf.random.normal(shape, self.mean, self.stddev, dtype=dtype or tf.float32, seed=self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}

    def __call__(self, shape, dtype=None):
        return tf.random.uniform(shape, self.minval, self.maxval, dtype=dtype or tf.float32, seed=self.seed)


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}

    def __call__(self, shape, dtype=None):
        return tf.random.truncated_normal(shape, self.mean, self.stddev, dtype=dtype or tf.float32, seed=self.seed)


class VarianceScaling(Initializer):
    """``keras.initializers.VarianceScaling`` (the Glorot, He and LeCun ones are special cases)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.input_axes, self.output_axes = input_axes, output_axes

    def with_axes(self, input_axes, output_axes):
        """The same initializer counting fans over these kernel axes (as EinsumDense asks)."""
        return VarianceScaling(self.scale, self.mode, self.distribution, self.seed, input_axes, output_axes)

    def get_config(self):
        config = {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}
        if type(self) is VarianceScaling:  # the Glorot, He and LeCun ones take only these
            config.update(scale=self.scale, mode=self.mode, distribution=self.distribution)
        return config

    def __call__(self, shape, dtype=None):
        shape = [int(d) for d in shape]
        fan_in, fan_out = _fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        dtype = dtype or tf.float32
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return tf.random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return tf.random.normal(shape, 0.0, math.sqrt(variance), dtype=dtype, seed=self.seed)
        stddev = math.sqrt(variance) / 0.87962566103423978  # Keras's truncated normal correction
        return tf.random.truncated_normal(shape, 0.0, stddev, dtype=dtype, seed=self.seed)


class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)


class HeUniform(VarianceScaling):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)


class HeNormal(VarianceScaling):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


class LecunUniform(VarianceScaling):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "uniform", seed, input_axes, output_axes)


class LecunNormal(VarianceScaling):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


class Orthogonal(Initializer):
    """``keras.initializers.Orthogonal``: a (semi-)orthogonal matrix, reshaped."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}

    def __call__(self, shape, dtype=None):
        shape = [int(d) for d in shape]
        rows = 1
        for d in shape[:-1]:
            rows *= d
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        # in the variable's dtype, as Keras: its QR has no bfloat16 kernel, and a bfloat16
        # recurrent kernel fails there in Keras too (the same InvalidArgumentError)
        a = tf.random.normal(flat, dtype=tf.as_dtype(dtype or tf.float32), seed=self.seed)
        q, r = tf.linalg.qr(a)
        q *= tf.sign(tf.linalg.diag_part(r))
        if rows < cols:
            q = tf.transpose(q)
        return tf.cast(self.gain * tf.reshape(q, shape), dtype or tf.float32)


class IdentityInitializer(Initializer):
    """``keras.initializers.Identity`` (named apart from the ``Identity`` layer)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def get_config(self):
        return {"gain": self.gain}

    def __call__(self, shape, dtype=None):
        return self.gain * tf.eye(shape[0], shape[1], dtype=dtype or tf.float32)


_INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "randomnormal": RandomNormal, "randomuniform": RandomUniform,
    "truncatednormal": TruncatedNormal, "variancescaling": VarianceScaling, "glorotuniform": GlorotUniform,
    "glorotnormal": GlorotNormal, "heuniform": HeUniform, "henormal": HeNormal, "lecununiform": LecunUniform,
    "lecunnormal": LecunNormal, "orthogonal": Orthogonal, "identity": IdentityInitializer,
    "identityinitializer": IdentityInitializer, "orthogonalinitializer": Orthogonal,
    # Keras's aliases
    "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
}
