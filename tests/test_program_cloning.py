"""``keras.models.clone_model`` in the program form (runtime ``tfr_cloning.py``).

Keras clones a model layer by layer from each layer's config: same architecture and names,
new variables filled afresh by the initializers, no compile state. The translation copies
the translated model and fills every weight again with the initializer it was made with.
Real code clones a model to train a student from scratch (knowledge distillation), to keep
an exponential moving average of a network (diffusion models, GANs), or to copy weights
into a second model (`clone.set_weights(model.get_weights())`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import run_both, tf_, user_code

MODEL = textwrap.dedent("""\
    import json
    import numpy as np
    import keras
    from keras import layers

    inputs = keras.Input(shape=(4,))
    x = layers.Dense(8, activation="relu", bias_initializer="zeros")(inputs)
    x = layers.BatchNormalization()(x)
    outputs = layers.Dense(3)(x)
    model = keras.Model(inputs, outputs, name="net")
    """)


def test_clone_model_is_translated_and_its_result_is_a_translated_model() -> None:
    out, diags = tf_(MODEL + "clone = keras.models.clone_model(model)\nclone.compile(optimizer='sgd', loss='mse')\n")
    code = user_code(out)
    assert "clone = clone_model(model)" in code and "keras" not in code.replace("import keras", ""), code
    assert not [d for d in diags if d.startswith(("XL301", "XL303"))], diags


@pytest.mark.parametrize("call", [
    "keras.models.clone_model(model, clone_function=lambda layer: layer)",
    "keras.models.clone_model(model, input_tensors=[keras.Input(shape=(4,))])",
    "keras.models.clone_model(model, recursive=True)",
    "keras.models.clone_model(*[model])",
])
def test_clone_model_with_more_than_the_model_stays_keras(call: str) -> None:
    """Other arguments change what is copied: that statement and the model stay Keras."""
    out, diags = tf_(MODEL + f"clone = {call}\n")
    assert f"clone = {call}" in out, out[-800:]
    assert any(d.startswith("XL301") and "only `clone_model(model)`" in d for d in diags), diags


SCRIPT = MODEL + textwrap.dedent("""\
    rng = np.random.default_rng(0)
    for w in model.weights:  # perturbed: no zero biases or unit BatchNorm statistics
        w.assign(rng.uniform(0.5, 1.5, size=w.shape).astype("float32"))
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    model.fit(x, y, epochs=1, verbose=0)
    trained = [np.asarray(w) for w in model.weights]
    clone = keras.models.clone_model(model)
    report = {
        "names": [w.name for w in clone.weights] == [w.name for w in model.weights],
        "shapes": [list(w.shape) for w in clone.weights],
        # Keras names a functional clone's InputLayer after its KerasTensor ("keras_tensor")
        "layer_names": [layer.name for layer in clone.layers][1:],
        "model_name": clone.name,
        "shared": any(a is b for a, b in zip(clone.weights, model.weights)),
        # kernels are drawn afresh; biases and BatchNorm statistics are their initial values
        "fresh": [bool(np.any(np.asarray(c) != t)) for c, t in zip(clone.weights, trained)],
        "initial": [float(np.asarray(c).mean()) if i in (1, 2, 3, 4, 5, 7) else None
                    for i, c in enumerate(clone.weights)],
        "original_kept": all(np.array_equal(np.asarray(w), t) for w, t in zip(model.weights, trained)),
    }
    clone.set_weights(model.get_weights())
    report["same_outputs"] = float(np.max(np.abs(np.asarray(clone(x)) - np.asarray(model(x)))))
    clone.compile(optimizer="sgd", loss="mse")
    clone.fit(x, y, epochs=1, verbose=0)
    report["original_after_clone_fit"] = all(np.array_equal(np.asarray(w), t) for w, t in zip(model.weights, trained))
    report["predict"] = np.asarray(model.predict(x, verbose=0)).round(4).tolist()
    student = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(5, name="hidden"), layers.Dense(2)], name="student")
    scratch = keras.models.clone_model(student)
    report["student"] = [scratch.name, [layer.name for layer in scratch.layers][:1], [list(w.shape) for w in scratch.weights]]
    json.dump(report, open(OUT, "w"))
    """)


@pytest.mark.tf
def test_a_clone_has_keras_s_architecture_fresh_weights_and_no_compile_state(tmp_path: Path) -> None:
    """Executed: the translated script and the Keras script report the same facts about
    their clones; with the original's weights set, a clone gives the original's outputs
    exactly (worst difference 0 in both)."""
    translated, diags = tf_(SCRIPT)
    assert "clone_model(model)" in user_code(translated) and "keras.models.clone_model" not in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    assert tf_report["fresh"] == keras_report["fresh"] == [True] * 8, (keras_report, tf_report)  # none is the trained value
    assert tf_report["initial"] == keras_report["initial"], (keras_report, tf_report)  # zeros, ones, zeros, ones as initialized
    assert not tf_report["shared"] and tf_report["original_kept"] and tf_report["original_after_clone_fit"]
    assert tf_report["same_outputs"] == keras_report["same_outputs"] == 0.0
    for key in ("names", "shapes", "layer_names", "model_name", "student", "shared"):
        assert tf_report[key] == keras_report[key], key
    assert tf_report["predict"] == keras_report["predict"]
