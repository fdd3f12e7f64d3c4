"""A transfer-learning program under ``mixed_precision.set_global_policy("mixed_float16")``
with a ``data_augmentation`` Sequential of Keras's random image layers inside a functional
model (Resizing, CenterCrop, Rescaling, Conv2D, BatchNormalization, pooling, Dense, a float32
softmax), in the program form: it translates (no Keras left in the user's code) and runs both
ways in separate processes (the policy is process state; tests/program_text.py's ``run_both``).

TF's and Keras's random generators differ, so the randomly augmented model is trained a few
steps (it must run), then given moved weights and compared in inference (``predict`` on float
and uint8 images, ``model(x, training=False)``); a second model whose augmentation has fixed
strength (``RandomRotation((a, a))`` ...) is trained both ways and compared (losses,
predictions, weights). Compared: every layer's compute/variable dtype and policy (the
augmentation layers inside the Sequential too), the optimizer (LossScaleOptimizer), the
training output's dtype, and the fixed-strength pixels (float16, one float16 ulp at 255 =
0.125; measured 0; the same program under float32 differs from them by 0.14). Model outputs:
1e-3 absolute, float16's resolution at 1 as in tests/test_program_mixed_precision.py
(measured 2.4e-4).
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

    IMG_SIZE = 16

    data_augmentation = keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.2),
        layers.RandomZoom(0.2),
        layers.RandomTranslation(0.1, 0.1),
        layers.RandomContrast(0.2),
        layers.RandomBrightness(0.1),
    ], name="data_augmentation")

    # the same kinds of transforms at fixed strength, so that training can be compared
    fixed_augmentation = keras.Sequential([
        layers.RandomRotation((0.05, 0.05)),
        layers.RandomZoom((0.1, 0.1)),
        layers.RandomTranslation((0.1, 0.1), (-0.1, -0.1)),
        layers.RandomBrightness((0.1, 0.1)),
        layers.RandomContrast(0.0),
    ], name="fixed_augmentation")


    def build(augmentation):
        inputs = layers.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
        x = layers.Resizing(18, 18)(inputs)
        x = layers.CenterCrop(IMG_SIZE, IMG_SIZE)(x)
        x = augmentation(x)
        x = layers.Rescaling(1.0 / 255)(x)
        x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(3)(x)
        outputs = layers.Activation("softmax", dtype=tf.float32)(x)
        return keras.Model(inputs, outputs)


    rng = np.random.default_rng(0)


    def moved(model):
        """New weights for every variable: kernels scaled by their fan-in, vectors in [0.1, 0.5]."""
        def value(w):
            if w.ndim > 1:
                return rng.standard_normal(w.shape) / np.sqrt(np.prod(w.shape[:-1]))
            return rng.uniform(0.1, 0.5, w.shape)
        model.set_weights([value(w).astype("float32") for w in model.get_weights()])


    def dtypes(model):
        out = []
        for layer in model.layers:
            out.append((type(layer).__name__, layer.compute_dtype, layer.variable_dtype, layer.dtype_policy.name))
            out.extend((type(inner).__name__, inner.compute_dtype, inner.variable_dtype, inner.dtype_policy.name)
                       for inner in getattr(layer, "layers", []))
        return out


    x = rng.uniform(0, 255, (32, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
    y = rng.integers(0, 3, 32)

    # random augmentation: trained a few steps (draws differ), then compared in inference
    model = build(data_augmentation)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    moved(model)
    augmented = data_augmentation(x[:4], training=True)
    pixels = fixed_augmentation(x[:4], training=True)
    report = {
        "dtypes": dtypes(model),
        "optimizer": type(model.optimizer).__name__,
        "augmented": [augmented.dtype.name, list(augmented.shape)],
        "pixels": [pixels.dtype.name, np.asarray(pixels, "float32").tolist()],
        "predict": model.predict(x[:8], verbose=0).tolist(),
        "predict_uint8": model.predict(x[:8].astype("uint8"), verbose=0).tolist(),
        "call": np.asarray(model(x[:8], training=False)).tolist(),
    }

    # fixed-strength augmentation: the same training both ways
    fixed = build(fixed_augmentation)
    moved(fixed)
    fixed.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    history = fixed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    report.update({
        "fixed_dtypes": dtypes(fixed),
        "fixed_loss": history.history["loss"],
        "fixed_predict": fixed.predict(x[:8], verbose=0).tolist(),
        "fixed_weights": [w.tolist() for w in fixed.get_weights()],
    })
    json.dump(report, open(OUT, "w"))
''')


@pytest.mark.tf
def test_a_mixed_float16_augmentation_program_matches_keras(tmp_path: Path) -> None:
    out, diags = tf_(PROGRAM)
    assert not any(d.startswith("XL201") for d in diags), diags
    assert '_config_set_dtype_policy("mixed_float16")' in out, diags
    assert "keras" not in user_code(out), diags
    expected, got = run_both(tmp_path, PROGRAM, out)
    for key in ("dtypes", "fixed_dtypes", "optimizer", "augmented"):
        assert expected[key] == got[key], (key, expected[key], got[key])
    assert expected["optimizer"] == "LossScaleOptimizer" and expected["augmented"][0] == "float16"
    assert ["RandomZoom", "float16", "float32", "mixed_float16"] in expected["dtypes"]
    assert expected["pixels"][0] == got["pixels"][0] == "float16"
    pixels = max_diff(expected["pixels"][1], got["pixels"][1])
    worst = max(*(max_diff(expected[k], got[k]) for k in ("predict", "predict_uint8", "call", "fixed_loss", "fixed_predict")),
                *(max_diff(a, b) for a, b in zip(expected["fixed_weights"], got["fixed_weights"], strict=True)))
    print(f"\naugmentation under mixed_float16: pixels {pixels:.3g} (tolerance 0.125), "
          f"outputs and weights {worst:.2e} (tolerance 1e-3)")
    assert pixels <= 0.125 and worst <= 1e-3


def test_the_experimental_preprocessing_spelling_translates() -> None:
    """tf.keras 2's ``layers.experimental.preprocessing`` names, under a global policy."""
    src = textwrap.dedent("""\
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers, mixed_precision
        from tensorflow.keras.layers.experimental import preprocessing

        mixed_precision.set_global_policy("mixed_float16")
        data_augmentation = keras.Sequential([
            preprocessing.RandomFlip("horizontal"),
            preprocessing.RandomRotation(0.1),
            preprocessing.RandomZoom(0.1),
            preprocessing.RandomTranslation(0.1, 0.1),
            preprocessing.RandomContrast(0.1),
            layers.RandomBrightness(0.1),
            preprocessing.Rescaling(1.0 / 255),
        ], name="data_augmentation")
        inputs = layers.Input(shape=(40, 40, 3))
        x = preprocessing.Resizing(36, 36)(inputs)
        x = preprocessing.CenterCrop(34, 34)(x)
        x = preprocessing.RandomCrop(32, 32)(data_augmentation(x))
        x = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3)(x))
        outputs = layers.Activation("softmax", dtype=tf.float32)(layers.Dense(2)(x))
        model = keras.Model(inputs, outputs)
        """)
    out, diags = tf_(src)
    assert not any(d.startswith("XL2") for d in diags), diags
    code = user_code(out)
    assert "keras" not in code and "preprocessing" not in code, code
    assert "RandomCrop(32, 32)" in code and "CenterCrop(34, 34)" in code


@pytest.mark.parametrize("layer", ["RandomGrayscale()", "RandomSharpness(0.2)"])
def test_an_augmentation_layer_not_checked_under_policies_keeps_the_model(layer: str) -> None:
    src = textwrap.dedent(f"""\
        import keras
        from keras import layers

        keras.mixed_precision.set_global_policy("mixed_float16")
        augment = keras.Sequential([layers.RandomFlip(), layers.{layer}])
        inputs = keras.Input((8, 8, 3))
        model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(augment(inputs))))
        """)
    out, diags = tf_(src)
    name = layer.split("(")[0]
    assert "model = keras.Model(" in out, diags
    assert any(d.startswith("XL201") and f"`{name}` under the global dtype policy set at line 4" in d for d in diags), diags
