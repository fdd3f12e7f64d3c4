"""Keras layer vs runtime class on the same input and weights (not a test module).

Shared by the family tests of the runtime classes (``tests/test_runtime_<family>.py``) for
cases the rule ``[[examples]]`` cannot hold: arguments the flat translator blocks
(``groups``, ``channels_first``, ...), several calls, masks, unknown dimensions, gradients.

TensorFlow's CPU kernels refuse some of what Keras computes on GPU (channels_first 1-D/2-D
convolutions, dilated transposed convolutions). There the reference is Keras computing the
same thing in a form the CPU takes (XLA is no reference: on this TensorFlow, XLA's CPU
channels_first convolution with a bias and "same" strides gives wrong numbers):

- ``reference="channels_last"``: the Keras layer of the same config with
  ``data_format="channels_last"`` and the same weights (the kernel layout does not depend on
  the data format), on the transposed input, its output transposed back;
- ``reference="undilated"``: a transposed convolution with dilation ``d`` is the same layer
  with its kernel spread out (``(k - 1) * d + 1`` taps, zeros between) and no dilation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from runtime_ns import layers, perturbed

ATOL = 1e-5


def inputs_for(shapes: Any, seed: int = 0, batch: int = 2) -> Any:
    """Random float32 inputs, one per shape (``shapes`` a shape or a list of shapes)."""
    rng = np.random.default_rng(seed)
    if shapes and isinstance(shapes[0], (list, tuple)):
        return [rng.normal(size=(batch, *s)).astype("float32") for s in shapes]
    return rng.normal(size=(batch, *shapes)).astype("float32")


def make_pair(expr: str) -> tuple[Any, Any]:
    """The Keras layer and the runtime layer of one ``layers.X(...)`` expression."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    k_layer = eval(expr, {"layers": keras.layers, "keras": keras})
    t_layer = eval(expr, {"layers": layers(), "tf": tf})
    return k_layer, t_layer


def build_and_move(k_layer: Any, t_layer: Any, x: Any, seed: int = 0) -> None:
    """Build both layers on ``x`` and give both the same perturbed Keras weights."""
    import tensorflow as tf

    shapes = [tuple(a.shape) for a in x] if isinstance(x, list) else tuple(x.shape)
    k_layer.build(shapes)
    t_layer(tf.nest.map_structure(tf.convert_to_tensor, x))
    kw = k_layer.get_weights()
    tw = t_layer.get_weights()
    assert [w.shape for w in kw] == [w.shape for w in tw], "weights differ in number, order or shape"
    moved = perturbed(kw, seed=seed)
    k_layer.set_weights(moved)
    t_layer.set_weights(moved)


def keras_pools_an_empty_window(k_layer: Any, x: Any) -> bool:
    """Keras's adaptive pooling pools every axis with two window lengths, ``ceil(n / out)`` and
    one more, at stride 1 and "VALID" padding; where the longer one exceeds the axis (one
    output cell: ``AdaptiveMaxPooling2D(1)``) that pooling is empty, and on CPUs with AVX-512
    oneDNN's kernel kills the process (SIGFPE) instead of raising. The runtime class pools
    only the window lengths it uses."""
    if not type(k_layer).__name__.startswith("Adaptive"):
        return False
    shape = np.shape(x)
    spatial = shape[1:-1] if k_layer.data_format == "channels_last" else shape[2:]
    return any(-(-n // out) + 1 > n for n, out in zip(spatial, k_layer.output_size))


def adaptive_definition(k_layer: Any, x: Any) -> Any:
    """What Keras's adaptive pooling computes, from its definition (PyTorch's): cell ``i`` of
    an axis of ``n`` reduces ``[floor(i*n/out), ceil((i+1)*n/out))``; axes one after another."""
    x = np.asarray(x)
    first = k_layer.data_format == "channels_first"
    if first:
        x = np.moveaxis(x, 1, -1)
    reduce = np.max if "Max" in type(k_layer).__name__ else np.mean
    for axis, out in enumerate(k_layer.output_size, start=1):
        n = x.shape[axis]
        cells = [reduce(np.take(x, range(i * n // out, -(-(i + 1) * n // out)), axis=axis), axis=axis, keepdims=True)
                 for i in range(out)]
        x = np.concatenate(cells, axis=axis)
    return np.moveaxis(x, -1, 1) if first else x


class Definition:
    """Stands for a weightless Keras adaptive pooling layer that would kill the process: its
    definition, with the layer's (empty) weights."""

    def __init__(self, k_layer: Any) -> None:
        self.k_layer = k_layer

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        return adaptive_definition(self.k_layer, x)

    def call(self, inputs: Any) -> Any:
        return self(inputs)

    def get_weights(self) -> list[Any]:
        assert not self.k_layer.weights
        return []

    def set_weights(self, weights: list[Any]) -> None:
        assert not weights


class Reference:
    """Computes what ``k_layer`` computes, directly or through a CPU-friendly equivalent
    (or, where Keras's own computation would kill the process, from the definition)."""

    def __init__(self, k_layer: Any, x: Any, reference: str | None = None) -> None:
        import tensorflow as tf

        self.into: Any = lambda v: v
        self.back: Any = lambda v: v
        self.dilation: tuple[int, ...] | None = None
        if reference is None:
            self.layer = k_layer
            if keras_pools_an_empty_window(k_layer, x):
                self.layer = lambda v, **kwargs: adaptive_definition(k_layer, v)
            return
        config = k_layer.get_config()
        weights = k_layer.get_weights()
        kernel = weights[0]
        rank = kernel.ndim - 2
        if reference == "channels_last":
            assert config["data_format"] == "channels_first"
            config["data_format"] = "channels_last"
            to_last, to_first = (0, *range(2, rank + 2), 1), (0, rank + 1, *range(1, rank + 1))
            self.into = lambda v: tf.transpose(v, to_last)
            self.back = lambda v: tf.transpose(v, to_first)
        else:
            assert reference == "undilated"
            self.dilation = tuple(config["dilation_rate"])
            spread = np.zeros([(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], self.dilation)]
                              + list(kernel.shape[rank:]), kernel.dtype)
            spread[tuple(slice(None, None, d) for d in self.dilation)] = kernel
            config.update(kernel_size=spread.shape[:rank], dilation_rate=(1,) * rank)
            weights = [spread, *weights[1:]]
        self.layer = type(k_layer).from_config(config)
        self.layer.build(np.shape(self.into(x)))
        self.layer.set_weights(weights)

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        return self.back(self.layer(self.into(x), **kwargs))

    def weight_gradients(self, grads: list[Any]) -> list[Any]:
        """Gradients of the reference's weights as gradients of the original layer's."""
        if self.dilation is None:
            return grads
        kernel, *rest = grads
        return [np.asarray(kernel)[tuple(slice(None, None, d) for d in self.dilation)], *rest]


def max_diff(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def compare(expr: str, shapes: Any, reference: str | None = None, seed: int = 0, **call_kwargs: Any) -> float:
    """max |Keras - runtime| for ``expr`` on random inputs of ``shapes`` (asserted <= ATOL)."""
    import tensorflow as tf

    k_layer, t_layer = make_pair(expr)
    x = inputs_for(shapes, seed)
    build_and_move(k_layer, t_layer, x, seed)
    expected = Reference(k_layer, x, reference)(x, **call_kwargs)
    got = t_layer(tf.nest.map_structure(tf.convert_to_tensor, x), **call_kwargs)
    diff = max_diff(expected, got)
    assert diff <= ATOL, f"{expr} on {shapes}: max |diff| = {diff:.3g}"
    return diff


def compare_gradients(expr: str, shapes: Any, reference: str | None = None, seed: int = 0) -> float:
    """max |difference| of the gradients of ``sum(out ** 2)`` with respect to the input and
    every weight (training through the runtime class matches Keras), relative to their scale."""
    import tensorflow as tf

    k_layer, t_layer = make_pair(expr)
    x = inputs_for(shapes, seed)
    build_and_move(k_layer, t_layer, x, seed)
    ref = Reference(k_layer, x, reference)
    xt = tf.convert_to_tensor(x)

    def grads(fn: Any, variables: list[Any]) -> list[Any]:
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(tf.square(fn(xt)))
        return tape.gradient(loss, [xt, *variables])

    # Keras in a tf.function: eagerly, TensorFlow cannot differentiate Keras's XLA-compiled
    # grouped Conv3D (its gradient function reads an attribute the eager op lacks)
    expected_x, *expected_w = tf.function(lambda: grads(ref, [w.value for w in ref.layer.weights]))()
    expected = [expected_x, *ref.weight_gradients(expected_w)]
    got = grads(t_layer, list(t_layer.weights))  # the runtime class: eagerly
    diff = max(max_diff(a, b) for a, b in zip(expected, got))
    scale = max(float(np.max(np.abs(np.asarray(a)))) for a in expected)
    assert diff <= ATOL * max(1.0, scale), f"{expr}: gradients differ by {diff:.3g} (scale {scale:.3g})"
    return diff
