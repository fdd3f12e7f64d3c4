"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and
Keras's functional helpers (``add([a, b])``, ``concatenate([a, b], axis=1)``, ...).

Trap: Keras does not broadcast inputs of different ranks the NumPy way. When the first call's
inputs differ in rank, every input of lower rank gets new axes at position 1 (after the
batch axis) until the ranks match, so ``[batch, 4]`` merged with ``[batch, 3, 4]`` becomes
``[batch, 1, 4]``. The layer decides this on its first call, as Keras's ``build`` does.

Keras masks (``mask_zero`` embeddings, ``Masking``) are not carried by the translated
program's tensors, so the masked forms of Maximum/Minimum/Multiply do not arise.
"""

import tensorflow as tf
from tfr_base import Layer


class _Merge(Layer):
    """Element-wise merge of a list of tensors, with Keras's rank alignment."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: {input_shape}")
        self._reshape_required = len({len(s) for s in input_shape}) > 1
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: inputs={inputs}")
        inputs = list(inputs)
        if self._reshape_required:
            rank = max(x.shape.rank for x in inputs)
            aligned = []
            for x in inputs:
                for _ in range(rank - x.shape.rank):
                    x = tf.expand_dims(x, 1)
                aligned.append(x)
            inputs = aligned
        return self._merge(inputs)

    def _merge(self, inputs):
        raise NotImplementedError


class Add(_Merge):
    """``keras.layers.Add``: the sum, added left to right."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.add(out, x)
        return out


class Subtract(_Merge):
    """``keras.layers.Subtract``: ``inputs[0] - inputs[1]`` (exactly two inputs)."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: {input_shape}")

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: {inputs}")
        return tf.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """``keras.layers.Multiply``: the product, left to right."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.multiply(out, x)
        return out


class Average(_Merge):
    """``keras.layers.Average``: the sum left to right, divided by the number of inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.add(out, x)
        return out / len(inputs)


class Maximum(_Merge):
    """``keras.layers.Maximum``."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.maximum(out, x)
        return out


class Minimum(_Merge):
    """``keras.layers.Minimum``."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.minimum(out, x)
        return out


class Concatenate(_Merge):
    """``keras.layers.Concatenate``: ``tf.concat`` (no rank alignment, as in Keras)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of at least 1 input. "
                             f"Received: input_shape={input_shape}")
        self._reshape_required = False
        self.built = True

    def _merge(self, inputs):
        return tf.concat(inputs, axis=self.axis)


def _dims(x):
    """The shape of x: Python ints where known, else scalars."""
    static = x.shape.as_list()
    if None not in static:
        return static
    dynamic = tf.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def _batch_dot(x, y, axes):
    """Keras's ``batch_dot`` for one contraction axis per input (batch axis 0 excluded):
    the result holds x's other axes, then y's. Computed with ``tf.matmul`` on
    ``[batch, rows, k] @ [batch, k, cols]`` as Keras does."""
    x_rank, y_rank = x.shape.rank, y.shape.rank
    if x_rank < 2 or y_rank < 2:
        raise ValueError(f"Cannot do batch_dot on inputs of rank < 2: {x.shape} and {y.shape}")
    ax, ay = axes
    x_was_2d, y_was_2d = x_rank == 2, y_rank == 2
    if x_was_2d:
        x, ax, x_rank = tf.expand_dims(x, 1), ax + 1, 3
    if y_was_2d:
        y, y_rank = tf.expand_dims(y, 2), 3
    if ax != x_rank - 1:  # the contracted axis of x goes last
        x = tf.transpose(x, [a for a in range(x_rank) if a != ax] + [ax])
    if ay != 1:  # the contracted axis of y goes right after the batch axis
        y = tf.transpose(y, [0, ay] + [a for a in range(1, y_rank) if a != ay])
    xd, yd = _dims(x), _dims(y)
    out = tf.matmul(x if x_rank == 3 else tf.reshape(x, [xd[0], -1, xd[-1]]),
                    y if y_rank == 3 else tf.reshape(y, [yd[0], yd[1], -1]))
    if x_rank > 3 or y_rank > 3:
        out = tf.reshape(out, [xd[0]] + xd[1:-1] + yd[2:])
    if x_was_2d:
        return tf.squeeze(out, 1)
    if y_was_2d:
        return tf.squeeze(out, -1)
    return out


class Dot(_Merge):
    """``keras.layers.Dot``: the batched dot product of two inputs along ``axes``; with
    ``normalize=True`` each input is first L2-normalized along its axis
    (``x * rsqrt(max(sum(x**2), 1e-14))``: Keras's ``x * min(rsqrt(sum(x**2)), 1 / 1e-7)``)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)) or len(axes) != 2 or \
                    not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Invalid format for argument `axes`: an int or two ints. Received: axes={axes}")
        self.axes = axes
        self.normalize = normalize

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: {input_shape}")
        self._reshape_required = False
        self.built = True

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        x, y = inputs
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        axes = [a % t.shape.rank if a < 0 else a for a, t in zip(pair, (x, y))]
        if 0 in axes:
            raise ValueError("Cannot perform batch_dot over axis 0")
        if self.normalize:
            x = tf.math.l2_normalize(x, axis=axes[0], epsilon=1e-14)
            y = tf.math.l2_normalize(y, axis=axes[1], epsilon=1e-14)
        return _batch_dot(x, y, axes)


# --- Keras's functional helpers: keras.layers.add([a, b]) is Add()([a, b]) ---------------


def add(inputs, **kwargs):
    """``keras.layers.add``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``keras.layers.subtract``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``keras.layers.multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``keras.layers.average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``keras.layers.maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``keras.layers.minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``keras.layers.concatenate``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """``keras.layers.dot``."""
    return Dot(axes=axes, **kwargs)(inputs)
