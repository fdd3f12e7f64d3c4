"""``input_shape`` and ``output_shape`` of translated models (issue #13).

Generative examples check a generator's shape after each ``add`` (``assert
model.output_shape == (None, 7, 7, 128)``), size a latent vector from a model
(``generator.input_shape[-1]``, ``encoder.output_shape[1]``) or an array from a model's
input (``np.zeros((n,) + model.input_shape[1:])``). The runtime's functional ``Model`` and
``Sequential`` give them as Keras 3 does: a functional model's Inputs' and outputs' shapes
(one tuple for one, else a list); a Sequential's declared input (an ``Input`` entry,
``input_shape=`` on its first layer, ``model.build(shape)``) or, without one, the shape of
its first call, and its layers' output shape for it. The execution test compares the shapes
and the outputs (weights perturbed and moved from Keras, tolerance 1e-5) with Keras's.
"""

from __future__ import annotations

import os

import pytest
from program_text import tf_

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

SOURCE = """
import numpy as np
import keras
from keras import layers


def upsampler(noise_dim):
    model = keras.Sequential()
    model.add(layers.Dense(3 * 3 * 5, use_bias=False, input_shape=(noise_dim,)))
    model.add(layers.BatchNormalization())
    model.add(layers.Reshape((3, 3, 5)))
    assert model.output_shape == (None, 3, 3, 5)
    model.add(layers.Conv2DTranspose(4, 3, strides=2, padding="same"))
    assert model.output_shape == (None, 6, 6, 4), model.output_shape
    model.add(layers.Conv2D(2, 3, padding="valid", activation="tanh"))
    return model


gen = upsampler(7)
probe_in = keras.Input(shape=(6, 6, 2), name="image")
side_in = keras.Input(shape=(3,), name="side")
h = layers.GlobalAveragePooling2D()(layers.Conv2D(5, 2)(probe_in))
scores = layers.Dense(1)(layers.Concatenate()([h, side_in]))
critic = keras.Model([probe_in, side_in], [scores, h])

tower = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(6, activation="relu"), layers.Dense(4)])
built = keras.Sequential([layers.Dense(3)])
built.build((None, 5))
called = keras.Sequential([layers.Dense(2), layers.Dense(3)])
called(np.ones((4, 6), dtype="float32"))

latent_dim = gen.input_shape[-1]
feature_width = tower.output_shape[1]
batch = np.zeros((2,) + critic.input_shape[0][1:], dtype="float32")
shapes = {
    "gen": (gen.input_shape, gen.output_shape),
    "critic": (critic.input_shape, critic.output_shape),
    "tower": (tower.input_shape, tower.output_shape),
    "built": (built.input_shape, built.output_shape),
    "called": (called.input_shape, called.output_shape),
    "sizes": (latent_dim, feature_width, batch.shape),
}
"""


def test_shapes_of_translated_models_are_not_keras_only() -> None:
    out, diags = tf_(SOURCE)
    assert BANNER in out, diags
    assert "keras" not in out.partition("# --- end of the layers")[2], "every model translated"
    assert "assert model.output_shape == (None, 3, 3, 5)\n" in out
    assert "latent_dim = gen.input_shape[-1]\n" in out
    again, _ = tf_(out)
    assert again == out, "a second run changes nothing"
    compile(out, "t.py", "exec")


def test_a_subclass_model_still_keeps_its_input_shape_keras() -> None:
    """A subclassed Keras model has no ``input_shape``; ``self.input_shape`` in one stays a blocker."""
    src = """
        import keras
        from keras import layers

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = layers.Dense(2)

            def call(self, x):
                print(self.input_shape)
                return self.dense(x)

        net = Net()
        """
    out, diags = tf_(src)
    assert BANNER not in out
    assert any("self.input_shape" in d for d in diags), diags


@pytest.mark.tf
def test_shapes_and_outputs_match_keras() -> None:
    import keras
    import numpy as np
    import tensorflow as tf
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, _ = tf_(SOURCE)
    keras.backend.clear_session()
    original = _exec(SOURCE, "__shapes_keras__")
    translated = _exec(out, "__shapes_tf__")
    assert translated["shapes"] == original["shapes"]
    for name in ("gen", "critic", "tower", "built", "called"):
        assert type(translated[name]).__module__ == "__shapes_tf__", name
    rng = np.random.default_rng(3)
    inputs = {
        "gen": rng.standard_normal((2, 7)).astype("float32"),
        "critic": [rng.standard_normal((2, 6, 6, 2)).astype("float32"), rng.standard_normal((2, 3)).astype("float32")],
        "tower": rng.standard_normal((2, 8)).astype("float32"),
        "built": rng.standard_normal((2, 5)).astype("float32"),
        "called": rng.standard_normal((2, 6)).astype("float32"),
    }
    worst = 0.0
    for name, x in inputs.items():
        moved = perturbed(original[name].get_weights(), seed=len(name))
        original[name].set_weights(moved)
        translated[name].set_weights(moved)
        for training in (False, True):
            diff, close = _compare(original[name](x, training=training),
                                   translated[name](tf.nest.map_structure(tf.convert_to_tensor, x), training=training))
            assert close, (name, training, diff)
            worst = max(worst, diff)
    print(f"worst difference {worst:.2e} (tolerance {ATOL})")


def test_a_model_on_part_of_a_translated_graph_takes_its_base() -> None:
    """Was kept Keras; now a graph function taking the base model (tests/test_program_submodels.py)."""
    src = """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(4,))
        hidden = layers.Dense(3, name="hidden")(inputs)
        model = keras.Model(inputs, layers.Dense(2)(hidden))
        probe = keras.Model(model.input, model.get_layer("hidden").output)
        """
    out, diags = tf_(src)
    assert BANNER in out, diags
    assert 'def probe_graph(model=model):\n    return model.input, model.get_layer("hidden").output\n' in out
