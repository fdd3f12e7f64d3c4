"""Keras layers whose weights are sized by the input in ``build`` (``width = input_shape[-1]``,
a kernel ``(width * 2, width)``: keras-io's Antirectifier style): the Dense they hold is
created, and built with the original's input size, in ``build`` (tokeras/module_build.py).

Executed: both layers are built by one call, the original's weights perturbed and moved in
``UnitInfo.weight_order``; atol = rtol = 1e-5, the worst difference printed. The input the
original rejects (the wrong width after a concatenation along the batch axis) is rejected by
the raised layer too. Beside them, the classes that must keep their weights (tf.Variables,
which Keras 3 does not track, among them), and the bias whose size is not the kernel's
units (which may broadcast), in ``build`` and in ``__init__``.
"""

from __future__ import annotations

from typing import Any

import pytest
from tokeras_exec import raised_matches

from kerastf_xlate.tokeras.engine import translate_full

SOURCE = '''import keras
import tensorflow as tf
from keras import layers


class Halves(layers.Layer):
    """Positive and negative parts side by side, mixed back to the input's width."""

    def __init__(self, initializer="glorot_normal", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        size = input_shape[-1]
        self.mix = self.add_weight(shape=(2 * size, size), initializer=self.initializer, name="mix", trainable=True)
        self.built = True

    def call(self, inputs):
        both = tf.concat([tf.nn.relu(inputs), tf.nn.relu(-inputs)], axis=-1)
        return tf.matmul(both, self.mix)


class Square(layers.Layer):
    """A square map with a bias, width from the input."""

    def __init__(self, scale=0.1):
        super().__init__()
        self.scale = scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=[input_shape[-1], input_shape[-1]],
                                 initializer=keras.initializers.RandomNormal(stddev=self.scale), name="w")
        self.b = self.add_weight(shape=[input_shape[-1]], initializer="zeros", name="b")

    def call(self, x):
        return tf.nn.sigmoid(tf.matmul(x, self.w) + self.b)


halves = Halves()
square = Square()
'''


def test_layers_sized_by_the_input_are_created_in_build() -> None:
    r = translate_full(SOURCE, "h.py")
    assert not r.diagnostics and "add_weight" not in r.text
    assert ("    def build(self, input_shape):\n        size = input_shape[-1]\n"
            "        self.dense = layers.Dense(size, use_bias=False, kernel_initializer=self.initializer)\n"
            "        self.dense.build((None, 2 * size))\n        self.built = True\n") in r.text
    assert ("    def build(self, input_shape):\n        self.dense = layers.Dense(input_shape[-1], activation='sigmoid', "
            "kernel_initializer=keras.initializers.RandomNormal(stddev=self.scale))\n"
            "        self.dense.build((None, input_shape[-1]))\n") in r.text
    units = {u.name: u for u in r.units}
    assert units["Halves"].weight_order == ["mix"] and units["Square"].weight_order == ["w", "b"]
    assert translate_full(r.text, "h.py").text == r.text


def _both(source: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    result = translate_full(source, "h.py")
    original: dict[str, Any] = {}
    exec(compile(source, "h.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(result.text, "h.py", "exec"), translated)
    return original, translated, result


@pytest.mark.tf
@pytest.mark.parametrize("instance", ["halves", "square"])
def test_layers_created_in_build_run_with_the_same_outputs(instance: str) -> None:
    raised_matches(SOURCE, instance, (3, 2, 4), seed=5, path="h.py")  # rank 3: tf.matmul broadcasts the kernel


@pytest.mark.tf
def test_the_input_the_original_rejects_is_rejected() -> None:
    """Concatenated along the batch axis, the mixed tensor has the input's width, not twice
    it: the original's matmul fails, and so does the raised layer (built on the original's
    size), rather than a Dense that would build itself on what it gets."""
    import numpy as np
    import tensorflow as tf

    source = SOURCE.replace("axis=-1)", "axis=0)")
    assert source != SOURCE
    original, translated, result = _both(source)
    assert "self.dense.build((None, 2 * size))" in result.text and "tf.concat(" in result.text
    x = tf.constant(np.ones((2, 3), "float32"))
    for layer in (original["halves"], translated["halves"]):
        with pytest.raises(Exception):  # noqa: B017 (TensorFlow's InvalidArgumentError, Keras's ValueError)
            layer(x)


@pytest.mark.parametrize(("old", "new"), [
    # no __init__ of its own: the one to-keras writes for the stateless ops would let a
    # second run raise the weights (an unstable translation)
    ('''    def __init__(self, initializer="glorot_normal", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

''', ""),
    # a size read from a local bound after the variable
    ("        size = input_shape[-1]\n        self.mix = self.add_weight(shape=(2 * size, size)",
     "        size = input_shape[-1]\n        self.mix = self.add_weight(shape=(2 * late, size)"),
    # build does something else too
    ("        self.built = True\n", "        print(input_shape)\n"),
])
def test_classes_that_keep_their_weights(old: str, new: str) -> None:
    assert old in SOURCE
    source = SOURCE.replace(old, new)
    if "late" in new:
        source = source.replace("self.built = True", "late = size")
    out = translate_full(source, "h.py").text
    halves = out[out.index("class Halves"):out.index("class Square")]
    assert "self.mix = self.add_weight" in halves and "tf.matmul(both, self.mix)" in halves
    assert "self.w = self.add_weight" not in out  # Square is raised all the same
    assert translate_full(out, "h.py").text == out


def test_tf_variables_sized_by_the_input_stay() -> None:
    """Keras 3 does not track a tf.Variable attribute of a layer: the original's
    ``trainable_variables`` is empty (``fit`` trains nothing); a raised Dense would be trained."""
    source = SOURCE.replace('self.add_weight(shape=[input_shape[-1], input_shape[-1]],\n'
                            '                                 initializer=keras.initializers.RandomNormal(stddev=self.scale), name="w")',
                            'tf.Variable(tf.random.normal([input_shape[-1], input_shape[-1]], stddev=self.scale))')
    source = source.replace('self.add_weight(shape=[input_shape[-1]], initializer="zeros", name="b")',
                            "tf.Variable(tf.zeros([input_shape[-1]]))")
    assert source.count("tf.Variable(") == 2
    out = translate_full(source, "h.py").text
    square = out[out.index("class Square"):]
    assert square.count("tf.Variable(") == 2 and "tf.matmul(x, self.w) + self.b" in square
    assert "self.dense.build((None, 2 * size))" in out  # Halves is raised all the same


def test_a_bias_sized_otherwise_than_the_units_stays() -> None:
    """``self.n`` beside a kernel of ``input_shape[-1]`` units (in build) or ``n_out`` units
    (in __init__) may be 1 and broadcast: the original runs, with other weights than a Dense."""
    in_build = SOURCE.replace('shape=[input_shape[-1]], initializer="zeros"', 'shape=[self.n], initializer="zeros"').replace(
        "        self.scale = scale\n", "        self.scale = scale\n        self.n = 1\n")
    assert in_build != SOURCE
    out = translate_full(in_build, "h.py").text
    assert 'self.add_weight(shape=[self.n], initializer="zeros", name="b")' in out and "tf.matmul(x, self.w) + self.b" in out
    in_init = '''import tensorflow as tf


class Affine(tf.keras.layers.Layer):
    def __init__(self, n_in, n_out, n_bias):
        super().__init__()
        self.w = tf.Variable(tf.random.normal([n_in, n_out]))
        self.b = tf.Variable(tf.zeros([n_bias]))

    def call(self, x):
        return tf.matmul(x, self.w) + self.b


layer = Affine(3, 4, 1)
'''
    assert translate_full(in_init, "a.py").text == in_init


@pytest.mark.tf
def test_a_broadcast_bias_runs_in_the_original() -> None:
    """The premise of the test above: a bias of size 1 beside 4 units runs."""
    import numpy as np
    import tensorflow as tf

    out = tf.matmul(tf.ones((2, 3)), tf.ones((3, 4))) + tf.Variable(tf.zeros([1]))
    assert out.shape == (2, 4) and np.all(np.asarray(out) == 3.0)
