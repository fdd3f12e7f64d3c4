"""Keras layers whose ``add_weight`` carries a regularizer or a constraint (the keras-io graph
attention style: ``regularizer=self.kernel_regularizer`` beside
``initializer=self.kernel_initializer``, both read from ``__init__``; a feed-forward block
with ``constraint=``): the weight is raised to a layer whose argument of the same role
carries it (``kernel_regularizer``, ``bias_constraint``), so the model's ``losses`` and the
projection after each optimizer step are the original's.

Executed both ways: the original layer and its raised translation on the same inputs, the
original's weights perturbed (no zero biases) and moved by ``UnitInfo.weight_order``; outputs,
regularization losses and the weights after one optimizer step compared with
atol = rtol = 1e-5 (worst difference printed). Cases written here after reading the styles;
no third-party code.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest
from tokeras_exec import executed_both

from kerastf_xlate.layerkit.recognise import LayerSpec, Var, extras_placed
from kerastf_xlate.tokeras.engine import translate_full

GRAPH_ATTENTION = '''\
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class EdgeAttention(layers.Layer):
    def __init__(self, units, kernel_initializer="glorot_uniform", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[0][-1], self.units),
            trainable=True,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.score_kernel = self.add_weight(
            shape=(self.units * 2, 1),
            trainable=True,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="score_kernel",
        )
        self.built = True

    def call(self, inputs):
        nodes, pairs = inputs
        projected = tf.matmul(nodes, self.kernel)
        both = tf.gather(projected, pairs)
        both = tf.reshape(both, (tf.shape(pairs)[0], -1))
        scores = tf.nn.leaky_relu(tf.matmul(both, self.score_kernel))
        scores = tf.squeeze(scores, -1)
        weights = tf.math.exp(tf.clip_by_value(scores, -2.0, 2.0))
        neighbours = tf.gather(projected, pairs[:, 1])
        return tf.math.unsorted_segment_sum(neighbours * weights[:, None], pairs[:, 0], num_segments=tf.shape(nodes)[0])


layer = EdgeAttention(4, kernel_regularizer=keras.regularizers.L2(0.01))
'''

FEED_FORWARD = '''\
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class FeedForward(layers.Layer):
    def __init__(self, units, kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        self.w1 = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                  regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="w1")
        self.b1 = self.add_weight(shape=(self.units,), initializer="zeros",
                                  regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="b1")
        super().build(input_shape)

    def call(self, x):
        return tf.nn.relu(tf.matmul(x, self.w1) + self.b1)


layer = FeedForward(5, kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02),
                    bias_regularizer=keras.regularizers.L2(0.03),
                    kernel_constraint=keras.constraints.MaxNorm(0.5),
                    bias_constraint=keras.constraints.NonNeg())
'''


def test_regularized_kernels_are_raised_with_their_regularizer() -> None:
    out = translate_full(GRAPH_ATTENTION, "g.py").text
    assert "add_weight" not in out and "tf.matmul" not in out
    # the kernel's rows are the first input's width as build reads it: built there with it
    assert "self.dense.build((None, input_shape[0][-1]))" in out.split("def call")[0].split("def build")[1]
    assert out.count("kernel_regularizer=self.kernel_regularizer") == 2
    assert out.count("kernel_initializer=self.kernel_initializer") == 2
    assert translate_full(out, "g.py").text == out


def test_constraints_and_bias_regularizers_go_to_their_own_arguments() -> None:
    out = translate_full(FEED_FORWARD, "f.py").text
    assert "add_weight" not in out
    for arg in ("kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"):
        assert f"{arg}=self.{arg}" in out
    assert translate_full(out, "f.py").text == out


def test_a_regularizer_of_none_as_written_is_none() -> None:
    source = FEED_FORWARD.replace("regularizer=self.bias_regularizer", "regularizer=None")
    out = translate_full(source, "f.py").text
    dense = next(line for line in out.splitlines() if "layers.Dense(" in line)
    assert "bias_regularizer" not in dense and "kernel_regularizer=self.kernel_regularizer" in dense


def test_a_regularizer_no_layer_argument_carries_keeps_the_weight() -> None:
    """The check every match passes: a weight's regularizer or constraint that found no
    argument of the layer (a family whose recogniser does not place it) is not the layer's."""
    call = ast.parse("self.add_weight(shape=(3, 4), regularizer=r)").body[0].value  # type: ignore[attr-defined]
    kernel = Var("w", ast.Pass(), call, None, None, extras=(("regularizer", "r"),))
    spec = LayerSpec("Dense", {"units": "4"}, {"kernel": kernel})
    assert not extras_placed(spec)
    spec.placed.add(("w", "regularizer"))
    assert extras_placed(spec)
    assert extras_placed(LayerSpec("Dense", {"units": "4"}, {"kernel": Var("v", ast.Pass(), call, None, None)}))


def test_a_regularizer_passed_positionally_or_another_keyword_keeps_the_class() -> None:
    source = FEED_FORWARD.replace('name="w1"', 'name="w1", aggregation="none"')
    out = translate_full(source, "f.py").text
    assert "self.w1 = self.add_weight(" in out


CROSSED_WIDTHS = '''\
import tensorflow as tf
from tensorflow.keras import layers


class Mixer(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[1][-1], self.units), initializer="glorot_uniform", name="kernel")
        self.built = True

    def call(self, inputs):
        values, keys = inputs
        return tf.matmul(values, self.kernel) + tf.reduce_sum(keys, axis=-1, keepdims=True)


layer = Mixer(3)
'''


def test_a_size_read_off_another_input_is_built_in_build() -> None:
    """`input_shape[1][-1]` rows applied to the first input: the Dense is built in `build`
    with that size (created in `__init__` it would take the first input's width instead)."""
    out = translate_full(CROSSED_WIDTHS, "m.py").text
    assert "self.dense.build((None, input_shape[1][-1]))" in out and "add_weight" not in out


@pytest.mark.tf
def test_a_size_read_off_another_input_is_checked_as_before() -> None:
    """Equal widths: the same outputs; different widths: both raise (the original's matmul,
    the built Dense's input spec)."""
    import numpy as np
    import tensorflow as tf

    result, original, translated = executed_both(CROSSED_WIDTHS, "m.py")
    a, b = original["layer"], translated["layer"]
    rng = np.random.default_rng(7)
    pair = (tf.constant(rng.normal(size=(4, 5)).astype("float32")), tf.constant(rng.normal(size=(4, 5)).astype("float32")))
    a(pair)
    b(pair)
    _move(a, b, next(u for u in result.units if u.name == "Mixer"), rng)
    np.testing.assert_allclose(np.asarray(b(pair)), np.asarray(a(pair)), atol=1e-5, rtol=1e-5)
    a2, b2 = type(a)(3), type(b)(3)
    crossed = (tf.constant(rng.normal(size=(4, 5)).astype("float32")), tf.constant(rng.normal(size=(4, 6)).astype("float32")))
    for layer in (a2, b2):
        with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
            layer(crossed)


def _move(a: Any, b: Any, unit: Any, rng: Any) -> None:
    import numpy as np

    values = [getattr(a, p) for p in unit.weight_order]
    assert len(values) == len(a.trainable_variables) == len(b.trainable_variables)
    for v in values:
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    b.set_weights([np.asarray(v) for v in values])


@pytest.mark.tf
def test_graph_attention_runs_with_the_same_outputs_and_losses() -> None:
    import numpy as np
    import tensorflow as tf

    result, original, translated = executed_both(GRAPH_ATTENTION, "g.py")
    a, b = original["layer"], translated["layer"]
    rng = np.random.default_rng(3)
    nodes = tf.constant(rng.normal(size=(6, 3)).astype("float32"))
    pairs = tf.constant(np.array([[0, 1], [0, 2], [1, 3], [2, 4], [3, 5], [5, 0], [4, 4]], dtype="int32"))
    a((nodes, pairs))
    b((nodes, pairs))
    unit = next(u for u in result.units if u.name == "EdgeAttention")
    _move(a, b, unit, rng)
    want, got = np.asarray(a((nodes, pairs))), np.asarray(b((nodes, pairs)))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    la, lb = float(sum(a.losses)), float(sum(b.losses))
    assert len(a.losses) == len(b.losses) == 2 and la > 0
    np.testing.assert_allclose(lb, la, atol=1e-5, rtol=1e-5)
    print(f"graph attention: worst max |diff| = {np.max(np.abs(got - want)):.3g}, losses {la:.6g} / {lb:.6g}")


@pytest.mark.tf
def test_feed_forward_trains_the_same_with_constraints() -> None:
    """One SGD step on each, the same loss (outputs + the layer's regularization losses): the
    constraints project the updated weights in both (MaxNorm on the kernel, NonNeg on the
    bias: a bias moved below zero comes back to zero)."""
    import keras
    import numpy as np
    import tensorflow as tf

    result, original, translated = executed_both(FEED_FORWARD, "f.py")
    a, b = original["layer"], translated["layer"]
    rng = np.random.default_rng(5)
    x = tf.constant(rng.normal(size=(8, 3)).astype("float32"))
    a(x)
    b(x)
    unit = next(u for u in result.units if u.name == "FeedForward")
    _move(a, b, unit, rng)
    np.testing.assert_allclose(np.asarray(b(x)), np.asarray(a(x)), atol=1e-5, rtol=1e-5)
    worst = 0.0
    for layer in (a, b):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x)) + tf.add_n(layer.losses)
        grads = tape.gradient(loss, layer.trainable_variables)
        keras.optimizers.SGD(0.5).apply_gradients(zip(grads, layer.trainable_variables))
    order = {id(v): i for i, v in enumerate(getattr(a, p) for p in unit.weight_order)}
    moved = [np.asarray(v) for v in sorted(a.trainable_variables, key=lambda v: order[id(v)])]
    assert any(np.any(m == 0.0) for m in moved)  # NonNeg clipped part of the bias: the constraint ran
    for want, got in zip(moved, b.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
        worst = max(worst, float(np.max(np.abs(got - want))))
    np.testing.assert_allclose(np.asarray(b(x)), np.asarray(a(x)), atol=1e-5, rtol=1e-5)
    print(f"feed forward: worst max |diff| after one step = {worst:.3g}")
