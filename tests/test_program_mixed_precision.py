"""A program that sets Keras's global dtype policy (``mixed_precision.set_global_policy(
"mixed_float16")``, ``keras.config.set_dtype_policy``), the first cell of GPU training
notebooks, in the program form.

The setter becomes the runtime's (``_config_set_dtype_policy``, tfr_dtype.py): layers made
after it without a ``dtype`` take the policy, a model's ``compile`` wraps its optimizer in a
``LossScaleOptimizer`` for ``mixed_float16`` as Keras's does, ``clear_session`` resets it as
Keras's clears its global state. The file translates only when every layer it makes has a class
checked against Keras under every float policy (``args.POLICY_LAYERS``); another layer or a tfa
layer keeps its model (XL201), and so does a keras.applications builder under a policy other than
the mixed ones it was run under (tests/test_program_applications_policy.py).

The program runs both ways in its own processes (the policy is process state): the layers'
compute and variable dtypes, the optimizer and its loss scale are Keras's, and the losses,
predictions and weights after ``fit`` (SGD with momentum, 8 steps) agree within 1e-3 absolute,
float16's resolution at 1 (measured: 1.8e-4 on predictions, 1.6e-4 on weights; in float32 the
same program's predictions differ from float16 ones by more, so ignoring the policy fails).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import max_diff, run_both, tf_, user_code

PROGRAM = textwrap.dedent('''\
    import json
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras
    from tensorflow.keras import layers, mixed_precision

    mixed_precision.set_global_policy("mixed_float16")


    def build():
        inputs = keras.Input(shape=(8, 8, 3))
        x = layers.Conv2D(6, 3, padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(3)(x)
        outputs = layers.Activation("softmax", dtype="float32")(x)
        return keras.Model(inputs, outputs)


    model = build()
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") + (1.0 if i in (3, 4) else 0.0)
                       for i, w in enumerate(model.get_weights())])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = rng.normal(size=(32, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 3, 32)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    report = {
        "optimizer": type(model.optimizer).__name__,
        "scale": float(np.asarray(model.optimizer.dynamic_scale)),
        "policy": mixed_precision.global_policy().name,
        "dtypes": [(layer.compute_dtype, layer.variable_dtype, str(layer.dtype_policy)) for layer in model.layers],
        "loss": history.history["loss"],
        "predict": model.predict(x[:4], verbose=0).tolist(),
        "weights": [w.tolist() for w in model.get_weights()],
    }
    keras.backend.clear_session()
    report["after_clear_session"] = mixed_precision.global_policy().name
    json.dump(report, open(OUT, "w"))
''')


@pytest.mark.tf
def test_a_mixed_float16_program_trains_like_keras(tmp_path: Path) -> None:
    out, diags = tf_(PROGRAM)
    assert '_config_set_dtype_policy("mixed_float16")' in out, diags
    assert "mixed_precision" not in user_code(out).replace("mixed_precision.global_policy", ""), diags
    expected, got = _runs(tmp_path, PROGRAM, out, ("optimizer", "scale", "policy", "dtypes", "after_clear_session"),
                          "mixed_float16 program")
    assert expected["optimizer"] == "LossScaleOptimizer" and expected["policy"] == "mixed_float16"


def _runs(tmp_path: Path, program: str, out: str, same: tuple[str, ...], what: str) -> tuple[dict, dict]:
    """Both runs' reports: the ``same`` keys equal, the losses, predictions and weights within
    1e-3 (the worst difference printed)."""
    expected, got = run_both(tmp_path, program, out)
    for key in same:
        assert expected[key] == got[key], (key, expected[key], got[key])
    worst = max(max_diff(expected["loss"], got["loss"]), max_diff(expected["predict"], got["predict"]),
                *(max_diff(a, b) for a, b in zip(expected["weights"], got["weights"], strict=True)))
    print(f"\n{what}: worst |tf - keras| {worst:.1e} (tolerance 1e-3)")
    assert worst <= 1e-3
    return expected, got


# an NLP notebook's text classifier under the policy (TextVectorization, Embedding, recurrent
# layers, a float32 head): the same comparison; the tolerance as above
TEXT_PROGRAM = textwrap.dedent('''\
    import json
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras import layers, mixed_precision
    from tensorflow.keras.layers import TextVectorization

    mixed_precision.set_global_policy(policy="mixed_float16")

    train_sentences = np.array(["the cat sat on the mat", "a dog ran far away", "the dog sat", "cats and dogs ran",
                                "a mat on the floor", "far away the cat sat"] * 4)
    train_labels = np.array([0, 1, 1, 0, 0, 1] * 4)
    text_vectorizer = TextVectorization(max_tokens=30, output_mode="int", output_sequence_length=6)
    text_vectorizer.adapt(train_sentences)
    embedding = layers.Embedding(input_dim=30, output_dim=8, embeddings_initializer="uniform", name="embedding_1")

    inputs = layers.Input(shape=(1,), dtype="string")
    x = text_vectorizer(inputs)
    x = embedding(x)
    x = layers.LSTM(6, return_sequences=True)(x)
    x = layers.Bidirectional(layers.GRU(5))(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype=tf.float32)(x)
    model = tf.keras.Model(inputs, outputs, name="model_lstm")
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()])
    model.compile(loss="binary_crossentropy", optimizer=tf.keras.optimizers.SGD(0.05), metrics=["accuracy"])
    train_dataset = tf.data.Dataset.from_tensor_slices((train_sentences, train_labels)).batch(8)
    history = model.fit(train_dataset, epochs=2, verbose=0)
    report = {
        "optimizer": type(model.optimizer).__name__,
        "dtypes": [(layer.compute_dtype, layer.variable_dtype) for layer in model.layers],
        "loss": history.history["loss"],
        "predict": model.predict(tf.constant(train_sentences[:6]), verbose=0).tolist(),
        "weights": [w.tolist() for w in model.get_weights()],
    }
    json.dump(report, open(OUT, "w"))
''')


@pytest.mark.tf
def test_a_mixed_float16_text_model_trains_like_keras(tmp_path: Path) -> None:
    out, diags = tf_(TEXT_PROGRAM)
    assert '_config_set_dtype_policy(policy="mixed_float16")' in out, diags
    assert "keras" not in user_code(out).replace("tf.keras", ""), diags
    expected, _ = _runs(tmp_path, TEXT_PROGRAM, out, ("optimizer", "dtypes"), "mixed_float16 text model")
    assert ["string", "string"] in expected["dtypes"] and ["float16", "float32"] in expected["dtypes"]


@pytest.mark.parametrize("line, what", [
    ("x = layers.ConvLSTM1D(4, 3)(layers.Reshape((8, 6, 4))(x))",
     "`ConvLSTM1D` under the global dtype policy set at line 4"),
    ("x = layers.MaxPooling3D(1)(layers.Reshape((2, 2, 3, 9))(x))", "`MaxPooling3D` under the global dtype policy set at line 4"),
])
def test_a_layer_not_checked_under_every_policy_keeps_the_model(line: str, what: str) -> None:
    src = textwrap.dedent(f"""\
        import keras
        from keras import layers

        keras.mixed_precision.set_global_policy("mixed_float16")
        inputs = keras.Input((8, 8, 3))
        x = layers.Conv2D(3, 3)(inputs)
        {line}
        model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
        """)
    out, diags = tf_(src)
    assert "model = keras.Model(" in out, diags
    assert any(d.startswith("XL201") and what in d for d in diags), diags


def test_applications_under_a_policy_they_were_not_run_under_keep_the_model() -> None:
    src = textwrap.dedent("""\
        import keras
        from keras import layers

        keras.config.set_dtype_policy("bfloat16")
        base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
        inputs = keras.Input((32, 32, 3))
        model = keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(base(inputs))))
        """)
    out, diags = tf_(src)
    assert out == src and any(d.startswith("XL201") and "checked under mixed_bfloat16, mixed_float16 only" in d for d in diags), diags


def test_float32_spelled_out_translates_to_nothing() -> None:
    out, _ = tf_(PROGRAM.replace('"mixed_float16")', '"float32")'))
    assert "_config_set_dtype_policy" not in out and "\nNone\n" in out
