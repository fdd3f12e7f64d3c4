"""A layer made in a functional graph and called there on values that do not come from the
model's inputs (keras-io's positional embeddings: ``layers.Embedding(n, d)(tf.range(n))``).

Keras 3 runs such a call once, eagerly, while it builds the model: the result is a constant of
the graph and the layer is no node of it, so its weights are not the model's and never train.
The translated graph function would call the layer on every run with its weights tracked (one
weight array more: ``set_weights(keras_model.get_weights())`` fails, and training differs), a
silent wrong translation found by running keras-io's mlp_image_classification (FNet). Such a
model stays Keras (XL301); calls on graph values, however they are reached, are not affected.
"""

from __future__ import annotations

import textwrap

import pytest
from program_text import tf_

from kerastf_xlate.totf.program.bundle import BANNER

POSITIONAL = """\
import tensorflow as tf
import keras
from keras import layers

inputs = keras.Input((4, 3))
x = layers.Dense(3)(inputs)
positions = tf.range(start=0, limit=4, delta=1)
x = x + layers.Embedding(input_dim=4, output_dim=3)(positions)
model = keras.Model(inputs, x)
"""


@pytest.mark.tf
def test_keras_makes_a_constant_of_a_layer_called_on_a_constant() -> None:
    """The premise, on the installed Keras: the Embedding's weights are not the model's."""
    namespace: dict = {}
    exec(POSITIONAL, namespace)
    assert len(namespace["model"].weights) == 2  # the Dense's kernel and bias only


@pytest.mark.parametrize("graph", [
    POSITIONAL,
    # made first, called later; in a builder function
    POSITIONAL.replace("x = x + layers.Embedding(input_dim=4, output_dim=3)(positions)",
                       "embed = layers.Embedding(input_dim=4, output_dim=3)\nx = x + embed(positions)"),
    "import numpy as np\nimport keras\nfrom keras import layers\n\n\ndef build(n):\n    inputs = keras.Input((n,))\n"
    "    bias = layers.Dense(n)(np.ones((1, n), 'float32'))\n    return keras.Model(inputs, layers.Dense(n)(inputs) + bias)\n\n\n"
    "model = build(3)\n",
    # in a helper function the graph calls, on a module-level size (keras-io's movielens transformer)
    textwrap.dedent("""\
        import tensorflow as tf
        import keras
        from keras import layers

        LENGTH = 4


        def encode(features):
            embed = layers.Embedding(LENGTH, 3)
            positions = tf.range(start=0, limit=LENGTH, delta=1)
            return features + embed(positions)


        inputs = keras.Input((LENGTH, 3))
        model = keras.Model(inputs, encode(layers.Dense(3)(inputs)))
        """),
])
def test_a_layer_called_on_a_constant_keeps_the_model(graph: str) -> None:
    out, diags = tf_(graph)
    assert out == graph
    assert any(d.startswith("XL301") and "calls a layer on values that do not come from the model's inputs" in d
               for d in diags), diags


@pytest.mark.parametrize("graph", [
    # on graph values reached through another model, ops, comprehensions, lists and loops
    """\
    import tensorflow as tf
    import keras
    from keras import layers

    base = keras.Sequential([keras.Input((4,)), layers.Dense(4)])
    inputs = keras.Input((4,))
    h = base(inputs)
    zeros = tf.zeros_like(h)
    heads = [layers.Dense(2)(t) for t in [h, zeros]]
    skips = []
    for _ in range(2):
        h = layers.Dense(4)(h)
        skips.append(h)
    merged = layers.Concatenate()(heads + [layers.Dense(1)(s) for s in skips])
    model = keras.Model(inputs, merged)
    """,
    # Inputs made by a function; helpers whose parameters are graph values
    """\
    import tensorflow as tf
    import keras
    from keras import layers


    def make_inputs():
        return {"a": keras.Input((3,), name="a"), "b": keras.Input((3,), name="b")}


    def mlp(h, units):
        first = h[:, :2]
        return layers.Dense(units)(tf.concat([first, h], axis=-1))


    def build():
        inputs = make_inputs()
        joined = layers.Concatenate()([inputs["a"], inputs["b"]])
        return keras.Model(inputs, mlp(joined, 2))


    model = build()
    """,
])
def test_layers_called_on_graph_values_are_translated(graph: str) -> None:
    out, diags = tf_(textwrap.dedent(graph))
    assert BANNER in out, diags
    assert not any("calls a layer on values that do not come" in d for d in diags), diags
