"""Keras's ``keras.random`` in TensorFlow: the same stateless draws, bit for bit.

Keras's TensorFlow backend draws every random number with TensorFlow's *stateless* ops
(``tf.random.stateless_normal`` ...) from a seed pair: ``[seed, 0]`` for an integer seed, the
state of a :class:`SeedGenerator` (advanced by ``[0, 1]`` per draw) for a generator, the
global generator's state (advanced by a fixed affine map) for ``seed=None``. The pair is
reduced modulo ``2**31 - 2`` to int32. Doing the same here gives identical numbers for integer
seeds and for a ``SeedGenerator`` built with the same seed and drawn in the same order;
``seed=None`` starts from a random state in both, so those draws agree in distribution only.
"""

import random as _python_random

import tensorflow as tf
from tfr_base import _STATE


class SeedGenerator:
    """``keras.random.SeedGenerator``: a ``[seed, 0]`` int64 state that each draw advances.

    The state is a non-trainable ``tf.Variable``; like Keras's it is not among a layer's
    ``weights`` (Keras lists it in ``variables`` only).
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs.pop("backend", None) is not None or kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or "seed_generator"
        self._initial_seed = seed
        if seed is None:
            seed = _python_random.randint(1, int(1e9))
        if not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        with tf.init_scope():
            self.state = tf.Variable([seed, 0], dtype=tf.int64, trainable=False, name="seed_generator_state")

    def next(self, ordered=True):
        """The seed pair for the next draw (``ordered=False`` is the global generator's step)."""
        value = self.state * 1
        if ordered:
            self.state.assign_add(tf.constant([0, 1], tf.int64))
        else:
            self.state.assign((self.state + 1) * 5387 % 933199)
        return value

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}


def _random_global_state():
    """The global generator of ``seed=None`` draws (a list holding it once made), shared by
    every copy of the runtime in the process, as Keras's global SeedGenerator is."""
    if not hasattr(_STATE, "seed_generators"):
        _STATE.seed_generators = []
    return _STATE.seed_generators


def _random_seed(seed):
    """The int32 seed pair of a draw, as Keras's ``draw_seed`` then ``_cast_seed``."""
    if isinstance(seed, SeedGenerator):
        pair = seed.next()
    elif isinstance(seed, int) and not isinstance(seed, bool):
        pair = tf.constant([seed, 0], tf.int64)
    elif seed is None:
        generators = _random_global_state()
        if not generators:
            generators.append(SeedGenerator())
        pair = generators[0].next(ordered=False)
    else:
        raise ValueError(f"Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                         f"Received: seed={seed} (of type {type(seed)})")
    return tf.cast(tf.math.floormod(pair, tf.int32.max - 1), tf.int32)


def _random_dtype(dtype):
    return "float32" if dtype is None else getattr(dtype, "name", dtype)


def _random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return tf.random.stateless_normal(shape, mean=mean, stddev=stddev, dtype=_random_dtype(dtype),
                                      seed=_random_seed(seed))


def _random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _random_dtype(dtype)
    if not tf.as_dtype(dtype).is_floating:
        raise ValueError(f"`keras.random.uniform` requires a floating point `dtype`. Received: dtype={dtype} ")
    return tf.random.stateless_uniform(shape, minval=tf.cast(minval, dtype), maxval=tf.cast(maxval, dtype),
                                       dtype=dtype, seed=_random_seed(seed))


def _random_truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return tf.random.stateless_truncated_normal(shape, mean=mean, stddev=stddev, dtype=_random_dtype(dtype),
                                                seed=_random_seed(seed))


def _random_randint(shape, minval, maxval, dtype="int32", seed=None):
    dtype = getattr(dtype, "name", dtype)
    if not tf.as_dtype(dtype).is_integer:
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype} ")
    draw = dtype if dtype in ("int32", "int64") else "int64"
    out = tf.random.stateless_uniform(shape, minval=minval, maxval=maxval, dtype=draw, seed=_random_seed(seed))
    return tf.cast(out, dtype)


def _random_categorical(logits, num_samples, dtype="int32", seed=None):
    out = tf.random.stateless_categorical(logits, num_samples, seed=_random_seed(seed))
    return tf.cast(out, dtype)


def _random_dropout(inputs, rate, noise_shape=None, seed=None):
    """``keras.random.dropout``: the kept values scaled by ``1 / (1 - rate)``; ``None`` in
    ``noise_shape`` takes the input's size."""
    if rate == 1.0:
        return tf.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    seed = _random_seed(seed)
    shape = tf.shape(inputs)
    if noise_shape is not None:
        shape = [shape[i] if d is None else d for i, d in enumerate(noise_shape)]
    return tf.nn.experimental.stateless_dropout(inputs, rate=rate, noise_shape=shape, seed=seed)


def _random_shuffle(x, axis=0, seed=None):
    seed = _random_seed(seed)
    order = tf.argsort(tf.random.stateless_uniform([tf.shape(x)[axis]], seed=seed))
    return tf.gather(x, order, axis=axis)


def _random_gamma(shape, alpha, dtype=None, seed=None):
    dtype = _random_dtype(dtype)
    draw = "float32" if dtype == "bfloat16" else dtype
    return tf.cast(tf.random.stateless_gamma(shape, alpha=alpha, dtype=draw, seed=_random_seed(seed)), dtype)


def _random_binomial(shape, counts, probabilities, dtype=None, seed=None):
    dtype = _random_dtype(dtype)
    draw = "float32" if dtype == "bfloat16" else dtype
    out = tf.random.stateless_binomial(shape=shape, seed=_random_seed(seed), counts=counts, probs=probabilities,
                                       output_dtype=draw)
    return tf.cast(out, dtype)


def _random_beta(shape, alpha, beta, dtype=None, seed=None):
    """Two gamma draws (the second seeded 12 above the first, as Keras does): X / (X + Y)."""
    dtype = _random_dtype(dtype)
    draw = "float32" if dtype == "bfloat16" else dtype
    first = _random_seed(seed)
    second = first + 12
    alpha = tf.broadcast_to(tf.convert_to_tensor(alpha, dtype=draw), shape)
    beta = tf.broadcast_to(tf.convert_to_tensor(beta, dtype=draw), shape)
    a = tf.cast(tf.random.stateless_gamma(shape=shape, seed=first, alpha=alpha, dtype=draw), dtype)
    b = tf.cast(tf.random.stateless_gamma(shape=shape, seed=second, alpha=beta, dtype=draw), dtype)
    return a / (a + b)
