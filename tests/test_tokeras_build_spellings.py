"""Keras layers whose ``build`` only creates ``add_weight``s, in the spellings older Keras code
uses: ``super(<the class>, self).build(input_shape)`` last (Python 2's spelling of
``super().build(input_shape)``) and the shape as ``tf.TensorShape((rows, units))`` (which
``add_weight`` reads as the tuple of its dims). Raised like the ``super().build`` / tuple
forms (tests/test_tokeras_first_call.py): a Dense held by the layer, ``build`` gone.

Executed: the original layer is built by one call, its weights perturbed (no zero biases),
the raised layer built by one call and given the original's weights in
``UnitInfo.weight_order``; atol = rtol = 1e-5, the worst difference printed. Beside them,
the spellings that are not the same call and must keep the weights (the class's stateless
ops are raised all the same, by the ``call`` rewriting).
"""

from __future__ import annotations

import pytest
from tokeras_exec import raised_matches

from kerastf_xlate.tokeras.engine import translate_full

SOURCE = '''import tensorflow as tf
from tensorflow.keras import layers


class Squash(layers.Layer):
    """tanh(x W + b), weights made in build (Python 2 spellings)."""

    def __init__(self, size, **kwargs):
        self.size = size
        super(Squash, self).__init__(**kwargs)

    def build(self, input_shape):
        dims = tf.TensorShape((input_shape[1], self.size))
        self.w = self.add_weight(name="w", shape=dims, initializer=tf.initializers.RandomNormal, trainable=True)
        self.b = self.add_weight(name="b", shape=[self.size])
        super(Squash, self).build(input_shape)

    def call(self, inputs):
        h = tf.matmul(inputs, self.w)
        h = h + self.b
        return tf.nn.tanh(h)

    def get_config(self):
        config = super(Squash, self).get_config()
        config["size"] = self.size
        return config


class Project(layers.Layer):
    def __init__(self, size):
        super(Project, self).__init__()
        self.size = size

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=tf.TensorShape([input_shape[-1], self.size]), initializer="random_normal")
        super(Project, self).build(input_shape)

    def call(self, x):
        return tf.matmul(x, self.kernel)


squash = Squash(5)
project = Project(3)
'''


def test_python2_spellings_are_raised() -> None:
    r = translate_full(SOURCE, "s.py")
    assert not r.diagnostics
    assert "def build(" not in r.text and "add_weight" not in r.text and "tf.matmul" not in r.text
    assert ("self.dense = layers.Dense(self.size, activation='tanh', kernel_initializer=tf.initializers.RandomNormal, "
            "bias_initializer='glorot_uniform')") in r.text
    assert "self.dense = layers.Dense(self.size, use_bias=False, kernel_initializer='random_normal')" in r.text
    assert "def get_config(self):\n        config = super(Squash, self).get_config()" in r.text  # stays
    units = {u.name: u for u in r.units}
    assert units["Squash"].weight_order == ["w", "b"] and units["Project"].weight_order == ["kernel"]
    assert translate_full(r.text, "s.py").text == r.text


@pytest.mark.tf
@pytest.mark.parametrize("instance", ["squash", "project"])
def test_python2_spellings_run_with_the_same_outputs(instance: str) -> None:
    raised_matches(SOURCE, instance, (4, 6), seed=3, path="s.py")


@pytest.mark.parametrize(("old", "new"), [
    # another class's super: the MRO lookup starts elsewhere, not the same call
    ("super(Squash, self).build(input_shape)", "super(Project, self).build(input_shape)"),
    # super's build called with something else than build's own argument
    ("super(Squash, self).build(input_shape)", "super(Squash, self).build([None, 6])"),
    # a TensorShape of a name (not the dims written out) or with more arguments
    ("dims = tf.TensorShape((input_shape[1], self.size))", "dims = tf.TensorShape(input_shape)"),
    # a positional add_weight argument: the name in Keras 2, the shape in Keras 3
    ('self.add_weight(name="b", shape=[self.size])', 'self.add_weight("b", shape=[self.size])'),
])
def test_spellings_that_stay(old: str, new: str) -> None:
    assert old in SOURCE
    source = SOURCE.replace(old, new)
    out = translate_full(source, "s.py").text
    squash = out[out.index("class Squash"):out.index("class Project")]
    was = source[source.index("class Squash"):source.index("class Project")]
    build = was[was.index("    def build"):was.index("    def call")]
    assert build in squash and "h = tf.matmul(inputs, self.w)\n        h = h + self.b\n" in squash  # the weights stay
    assert "self.kernel = self.add_weight" not in out  # Project is raised all the same
