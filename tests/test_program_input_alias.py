"""A model whose inputs are a name aliasing an earlier model's ``Input`` (issue #13).

A generative-models book's autoencoders build the encoder, then the decoder, then the whole:
``model_input = encoder_input``, ``model_output = decoder(encoder_output)``,
``Model(model_input, model_output)``. The alias is the same object as the encoder's ``Input``,
so Keras builds the whole on the encoder's graph; the translation reads the alias as that
``Input`` (a name bound once in the model's graph, by a plain ``name = other`` to a name the
graph does not bind). Written after reading such code, not copied.

The execution test runs the script and its translation: weights perturbed through the whole
model's own ``get_weights()`` order (kernels scaled by fan-in, vectors in [0.1, 0.5]), then
outputs of the whole and of the encoder in inference and in training, and the
BatchNormalization statistics after a training call. Tolerance ``1e-5 * (1 + max |keras|)``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

SCRIPT = script_head(29) + textwrap.dedent("""\
    encoder_input = keras.Input(shape=(6,), name="encoder_input")
    x = layers.Dense(5, activation="relu")(encoder_input)
    x = layers.BatchNormalization()(x)
    encoder_output = layers.Dense(2, name="code")(x)
    encoder = keras.Model(encoder_input, encoder_output)

    decoder_input = keras.Input(shape=(2,), name="decoder_input")
    y = layers.Dense(5, activation="tanh")(decoder_input)
    decoder_output = layers.Dense(6, activation="sigmoid")(y)
    decoder = keras.Model(decoder_input, decoder_output)

    model_input = encoder_input
    model_output = decoder(encoder_output)
    autoencoder = keras.Model(model_input, model_output)
    moved(autoencoder)

    data = rng.uniform(0, 1, (4, 6)).astype("float32")
    report = {
        "inference": arrays(autoencoder(data, training=False)),
        "codes": arrays(encoder(data, training=False)),
        "training": arrays(autoencoder(data, training=True)),
        "weights": arrays(autoencoder.get_weights()),
        "n": len(autoencoder.get_weights()),
    }
    json.dump(report, open(OUT, "w"))
    """)


def test_an_alias_of_an_earlier_input_is_that_input() -> None:
    out, diags = tf_(SCRIPT)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras.Model" not in code and "layers." not in code, diags
    assert "model_input = encoder_input" in code


@pytest.mark.parametrize("change, why", [
    # the alias rebound in the graph: not one object any more
    ("model_input = encoder_input\n", "model_input = encoder_input\nmodel_input = decoder_input\n"),
    # an alias of a name the graph itself binds
    ("model_input = encoder_input\n", "encoder_copy = encoder_input\nmodel_input = encoder_copy\n"),
])
def test_an_alias_that_is_not_plainly_the_input_stays_keras(change: str, why: str) -> None:
    out, diags = tf_(SCRIPT.replace(change, why))
    assert "autoencoder = keras.Model(model_input, model_output)" in user_code(out), diags
    assert any("model_input" in d or "encoder_input" in d for d in diags), diags


@pytest.mark.tf
def test_the_aliased_model_matches_keras(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    assert keras_report["n"] == tf_report["n"] == 12
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nan aliased Input: worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")
