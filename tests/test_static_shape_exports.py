"""A static shape read while one model is built and used by the next (autoencoders, VAEs).

Convolutional autoencoders in books and courses write the encoder's last feature-map shape
down while the encoder's graph is built and build the decoder from it::

    shape_before_flattening = K.int_shape(x)[1:]          # or shape = K.int_shape(x)
    ...
    x = layers.Dense(int(np.prod(shape_before_flattening)))(decoder_input)
    x = layers.Reshape(shape_before_flattening)(x)

``int_shape`` gives a tuple of Python ints and None, a value and not a graph tensor: the
translated encoder's traced run gives the same tuple (the table writes ``tuple(x.shape)``),
and the program reads it as a plain value after the model statement, the decoder's graph
included. Before, such a name was taken for a graph tensor of the encoder and all three
models stayed Keras.

Executed both ways with weights perturbed in each model's ``get_weights()`` order; tolerance
``1e-5 * (1 + max |keras|)`` per array, the worst difference printed. ``x.shape[1:]`` alone
(a TensorShape in TensorFlow, a tuple in Keras) is still not taken for a plain value.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

BODY = {
    # the shape after the last convolution, without the batch axis, for the decoder's Dense and Reshape
    "int_shape_slice": """\
        encoder_input = layers.Input(shape=(12, 12, 1), name="encoder_input")
        x = layers.Conv2D(4, 3, strides=2, activation="relu", padding="same")(encoder_input)
        x = layers.Conv2D(6, 3, strides=2, activation="relu", padding="same")(x)
        shape_before_flattening = K.int_shape(x)[1:]
        x = layers.Flatten()(x)
        encoder_output = layers.Dense(2, name="encoder_output")(x)
        encoder = keras.Model(encoder_input, encoder_output)

        decoder_input = layers.Input(shape=(2,), name="decoder_input")
        x = layers.Dense(int(np.prod(shape_before_flattening)))(decoder_input)
        x = layers.Reshape(shape_before_flattening)(x)
        x = layers.Conv2DTranspose(6, 3, strides=2, activation="relu", padding="same")(x)
        x = layers.Conv2DTranspose(4, 3, strides=2, activation="relu", padding="same")(x)
        decoder_output = layers.Conv2D(1, 3, activation="sigmoid", padding="same", name="decoder_output")(x)
        decoder = keras.Model(decoder_input, decoder_output)

        model = keras.Model(encoder_input, decoder(encoder_output))
        shown = list(shape_before_flattening)
        in_shape = (12, 12, 1)
        """,
    # the whole shape, its items multiplied for the Dense and packed again for the Reshape
    "int_shape_items": """\
        inputs = layers.Input(shape=(8, 8, 2))
        x = layers.Conv2D(5, 3, strides=2, padding="same")(inputs)
        shape = K.int_shape(x)
        x = layers.Flatten()(x)
        latent = layers.Dense(3)(x)
        encoder = keras.Model(inputs, latent)

        latent_inputs = layers.Input(shape=(3,))
        x = layers.Dense(shape[1] * shape[2] * shape[3])(latent_inputs)
        x = layers.Reshape((shape[1], shape[2], shape[3]))(x)
        outputs = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(x)
        decoder = keras.Model(latent_inputs, outputs)

        model = keras.Model(inputs, decoder(encoder(inputs)))
        shown = [int(shape[0] is None), *shape[1:]]
        in_shape = (8, 8, 2)
        """,
    # a number the encoder's loop changes in place from a literal, read again by the decoder's
    # loop (the VAE chapters: `filters *= 2` going down, `filters //= 2` coming back up)
    "filters_in_place": """\
        filters = 4
        inputs = layers.Input(shape=(8, 8, 1))
        x = inputs
        for i in range(2):
            filters *= 2
            x = layers.Conv2D(filters=filters, kernel_size=3, strides=2, activation="relu", padding="same")(x)
            filters = filters + 1
        shape = K.int_shape(x)
        x = layers.Flatten()(x)
        latent = layers.Dense(2)(x)
        encoder = keras.Model(inputs, latent)

        latent_inputs = layers.Input(shape=(2,))
        x = layers.Dense(shape[1] * shape[2] * shape[3])(latent_inputs)
        x = layers.Reshape((shape[1], shape[2], shape[3]))(x)
        for i in range(2):
            x = layers.Conv2DTranspose(filters=filters, kernel_size=3, strides=2, activation="relu", padding="same")(x)
            filters = int(filters / 2)
        outputs = layers.Conv2DTranspose(1, 3, padding="same")(x)
        decoder = keras.Model(latent_inputs, outputs)

        model = keras.Model(inputs, decoder(encoder(inputs)))
        shown = list(shape[1:])
        in_shape = (8, 8, 1)
        """,
    # a literal the builder writes down in the encoder's region
    "literal": """\
        inputs = layers.Input(shape=(8,))
        target = (2, 3)
        code = layers.Dense(4)(inputs)
        encoder = keras.Model(inputs, code)

        code_in = layers.Input(shape=(4,))
        x = layers.Dense(target[0] * target[1])(code_in)
        out = layers.Reshape(target)(x)
        decoder = keras.Model(code_in, out)

        model = keras.Model(inputs, decoder(encoder(inputs)))
        shown = list(target)
        in_shape = (8,)
        """,
}


def script(body: str) -> str:
    head = script_head(53) + "import tensorflow as tf\nK = tf.keras.backend\n\n"
    return head + textwrap.dedent(body) + textwrap.dedent("""\
        for m in (encoder, decoder):
            moved(m)
        x = rng.standard_normal((3,) + in_shape).astype("float32")
        json.dump({"out": arrays(model(x)), "code": arrays(encoder(x)), "shown": arrays(shown),
                   "weights": [list(w.shape) for w in model.get_weights()]}, open(OUT, "w"))
        """)


def test_a_plain_value_of_the_encoders_graph_is_read_by_the_decoder() -> None:
    out, diags = tf_(script(BODY["int_shape_slice"]))
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code, diags
    assert 'shape_before_flattening = tuple(x.shape)[1:]' in code
    assert 'encoder.traced("encoder_input", "encoder_output", "shape_before_flattening")' in code
    assert "x = Reshape(shape_before_flattening)(x)" in code, code


def test_a_tensor_shape_alone_is_not_taken_for_a_plain_value() -> None:
    # TensorFlow's `x.shape[1:]` is a TensorShape where Keras's is a tuple: the models stay Keras
    body = BODY["int_shape_slice"].replace("K.int_shape(x)[1:]", "x.shape[1:]")
    out, diags = tf_(script(body))
    assert BANNER not in out
    assert any("`shape_before_flattening`, made while building the model, is used after it" in d for d in diags), diags


def test_a_number_changed_in_place_from_an_unknown_value_keeps_the_models() -> None:
    # the encoder's `filters` starts from a value the translator cannot show is a number
    body = BODY["filters_in_place"].replace("filters = 4\n", "filters = int(sys.argv[0] != '') * 4\n")
    out, diags = tf_("import sys\n" + script(body))
    assert BANNER not in out
    assert any("`filters`, made while building the model, is used after it" in d for d in diags), diags


@pytest.mark.tf
@pytest.mark.parametrize("case", sorted(BODY))
def test_an_autoencoder_built_from_a_static_shape_runs_as_keras(tmp_path: Path, case: str) -> None:
    source = script(BODY[case])
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    assert "keras." not in user_code(translated), diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["shown"] == tf_report["shown"]
    assert keras_report["weights"] == tf_report["weights"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nstatic shape read by a later model ({case}): worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


@pytest.mark.tf
def test_a_numpy_integer_for_dense_units_raises_as_in_keras(tmp_path: Path) -> None:
    # the books' `layers.Dense(np.prod(shape_before_flattening))` (Keras 2): Keras 3's Dense
    # takes a Python int only, and the translated Dense raises the same ValueError
    import subprocess
    import sys

    source = script(BODY["int_shape_slice"].replace("int(np.prod(shape_before_flattening))",
                                                    "np.prod(shape_before_flattening)"))
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    errors = []
    for name, text in (("keras_run", source), ("tf_run", translated)):
        (tmp_path / f"{name}.py").write_text(f"OUT = {name!r} + '.json'\n" + text)
        proc = subprocess.run([sys.executable, f"{name}.py"], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode != 0
        errors.append(proc.stderr.strip().splitlines()[-1])
    assert errors[0] == errors[1] == ("ValueError: Received an invalid value for `units`, expected a positive integer. "
                                      "Received: units=54"), errors
