"""A Sequential's declared input in a list of its layers made before it (issue #13).

A collection of generative-model notebooks writes its encoders and decoders as lists of layers
headed by ``tf.keras.layers.InputLayer(input_shape=DIMS)``, made at module level and given to a
``tf.keras.Model`` subclass that builds ``tf.keras.Sequential(self.enc)`` (after
``self.__dict__.update(kwargs)``) and trains with its own ``tf.function`` steps. The
InputLayer outside a ``Sequential(...)`` call kept the program Keras ("a symbolic input outside
any model graph the translator follows"). The program below is written after that pattern, not
copied; it runs both ways with moved, perturbed weights and three training steps.
"""

from __future__ import annotations

import textwrap

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

PROGRAM = textwrap.dedent("""\
    import tensorflow as tf


    class AE(tf.keras.Model):
        def __init__(self, **kwargs):
            super(AE, self).__init__()
            self.__dict__.update(kwargs)
            self.enc = tf.keras.Sequential(self.enc)
            self.dec = tf.keras.Sequential()
            for layer in kwargs["dec"]:
                self.dec.add(layer)

        @tf.function
        def compute_loss(self, x):
            return tf.reduce_mean(tf.square(x - self.dec(self.enc(x))))

        @tf.function
        def compute_gradients(self, x):
            with tf.GradientTape() as tape:
                loss = self.compute_loss(x)
            return tape.gradient(loss, self.trainable_variables)

        def train(self, x):
            self.optimizer.apply_gradients(zip(self.compute_gradients(x), self.trainable_variables))


    DIMS = (8, 8, 1)
    encoder = [
        tf.keras.layers.InputLayer(input_shape=DIMS),
        tf.keras.layers.Conv2D(filters=4, kernel_size=3, strides=(2, 2), activation="relu"),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(units=3),
    ]
    decoder = [
        tf.keras.layers.InputLayer(input_shape=(3,)),
        tf.keras.layers.Dense(units=4 * 4 * 2, activation="relu"),
        tf.keras.layers.Reshape(target_shape=(4, 4, 2)),
        tf.keras.layers.Conv2DTranspose(filters=1, kernel_size=3, strides=(2, 2), padding="SAME", activation="sigmoid"),
    ]
    model = AE(enc=encoder, dec=decoder, optimizer=tf.keras.optimizers.Adam(1e-2))
    """)

TAIL = textwrap.dedent("""\
    count = len(model.get_weights())
    moved(model)
    x = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
    losses = []
    for _ in range(3):
        model.train(x)
        losses.append(float(model.compute_loss(x)))
    json.dump({"count": count, "losses": losses, "w": arrays(model.get_weights()),
               "layers": [len(model.enc.layers), len(model.dec.layers)]}, open(OUT, "w"))
    """)


def test_an_input_layer_heading_a_list_of_layers_translates() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out and not [d for d in diags if d.startswith("XL301")], diags
    assert "keras" not in user_code(out).replace("tf.keras", ""), diags
    assert tf_(out)[0] == out


@pytest.mark.parametrize("layers", [
    # not first: an InputLayer in the middle of a list is no declared input Keras takes
    "[tf.keras.layers.Dense(3), tf.keras.layers.InputLayer(input_shape=(3,))]",
    # `keras.Input` in a list: a functional model's inputs as often as a Sequential's
    "[tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(3)]",
])
def test_other_lists_holding_inputs_stay_keras(layers: str) -> None:
    text = f"import tensorflow as tf\n\nparts = {layers}\nmodel = tf.keras.Sequential(parts)\n"
    out, diags = tf_(text)
    assert out == text and any("symbolic input outside any model graph" in d for d in diags), diags


@pytest.mark.tf
def test_it_trains_as_keras_does(tmp_path) -> None:
    out, _ = tf_(PROGRAM)
    # the translation, every layer of it (without the InputLayers read as declared inputs, the
    # lists stayed Keras layers inside a translated subclass)
    assert BANNER in out and "keras" not in user_code(out).replace("tf.keras", "")
    keras_run, ours = run_both(tmp_path, script_head(7) + PROGRAM + TAIL, script_head(7) + out + TAIL)
    assert keras_run["count"] == ours["count"] == 8 and keras_run["layers"] == ours["layers"] == [3, 3]
    worst = max([max_diff(keras_run["losses"], ours["losses"])] +
                [max_diff(a, b) for a, b in zip(keras_run["w"], ours["w"])])
    print(f"worst |tf - keras| over three training steps = {worst:.3g}")
    assert worst <= 1e-5
