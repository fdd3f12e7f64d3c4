"""Models a builder method stores on the instance, built one from another's graph names.

A generative-models book writes its autoencoders and VAEs as classes whose ``_build`` method
makes three models and keeps them on the instance::

    encoder_input = Input(...)
    ...                                    # the encoder's graph
    shape_before_flattening = K.int_shape(x)[1:]
    encoder_output = Dense(z_dim)(x)
    self.encoder = Model(encoder_input, encoder_output)
    ...                                    # the decoder's graph, from shape_before_flattening
    self.decoder = Model(decoder_input, decoder_output)
    model_input = encoder_input
    model_output = self.decoder(encoder_output)
    self.model = Model(model_input, model_output)

The names the encoder's graph binds and the method reads after ``self.encoder = ...`` are read
from the traced run, as for ``encoder = Model(...)``: ``... = self.encoder.traced(...)``, right
after the statement that stores it. Before, only a model bound to a plain name exported them,
and all three models stayed Keras. Each graph function is named after the attribute
(``encoder_graph``).

Executed both ways with weights perturbed in each model's ``get_weights()`` order; tolerance
``1e-5 * (1 + max |keras|)`` per array, the worst difference printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

CLASS = """\
    class Autoencoder:
        def __init__(self, input_dim, filters, z_dim):
            self.input_dim = input_dim
            self.filters = filters
            self.z_dim = z_dim
            self._build()

        def _build(self):
            encoder_input = layers.Input(shape=self.input_dim, name="encoder_input")
            x = encoder_input
            for i, f in enumerate(self.filters):
                x = layers.Conv2D(f, 3, strides=2, padding="same", name="encoder_conv_" + str(i))(x)
                x = layers.LeakyReLU()(x)
            shape_before_flattening = K.int_shape(x)[1:]
            x = layers.Flatten()(x)
            encoder_output = layers.Dense(self.z_dim, name="encoder_output")(x)
            self.encoder = keras.Model(encoder_input, encoder_output)

            decoder_input = layers.Input(shape=(self.z_dim,), name="decoder_input")
            x = layers.Dense(int(np.prod(shape_before_flattening)))(decoder_input)
            x = layers.Reshape(shape_before_flattening)(x)
            for i, f in enumerate(reversed(self.filters)):
                x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", name="decoder_conv_t_" + str(i))(x)
                x = layers.LeakyReLU()(x)
            decoder_output = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
            self.decoder = keras.Model(decoder_input, decoder_output)

            model_input = encoder_input
            model_output = self.decoder(encoder_output)
            self.model = keras.Model(model_input, model_output)
    """


def script(cls: str = CLASS) -> str:
    head = script_head(57) + "import tensorflow as tf\nK = tf.keras.backend\n\n"
    return head + textwrap.dedent(cls) + textwrap.dedent("""\

        ae = Autoencoder((16, 16, 1), [4, 6], 3)
        for m in (ae.encoder, ae.decoder):
            moved(m)
        x = rng.uniform(0, 1, (2, 16, 16, 1)).astype("float32")
        json.dump({"out": arrays(ae.model(x)), "code": arrays(ae.encoder(x)),
                   "weights": [list(w.shape) for w in ae.model.get_weights()]}, open(OUT, "w"))
        """)


def test_the_names_are_read_back_from_the_model_the_instance_holds() -> None:
    out, diags = tf_(script())
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code, diags
    assert "self.encoder = Model(encoder_graph)" in code, code
    assert ('encoder_input, encoder_output, shape_before_flattening = '
            'self.encoder.traced("encoder_input", "encoder_output", "shape_before_flattening")') in code, code
    assert "self.decoder = Model(decoder_graph)" in code
    assert "def model_graph(encoder_input=encoder_input, encoder_output=encoder_output):" in code


def test_a_model_held_deeper_than_one_attribute_stays_keras() -> None:
    # `self.models.encoder = ...`: read back through two attributes: not followed
    cls = CLASS.replace("self.encoder = keras.Model", "self.models.encoder = keras.Model").replace(
        "self._build()", "self.models = type('M', (), {})()\n        self._build()")
    out, diags = tf_(script(cls).replace("ae.encoder", "ae.models.encoder"))
    assert any("`encoder_input`, made while building the model, is used after it" in d for d in diags), diags


@pytest.mark.tf
def test_an_autoencoder_class_runs_as_keras(tmp_path: Path) -> None:
    source = script()
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["weights"] == tf_report["weights"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nan autoencoder class's models on self: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")
