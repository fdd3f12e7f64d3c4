"""``tf.saved_model.save(model, path)`` on translated models (runtime ``Model._default_save_signature``).

A Keras model saved with TensorFlow's own ``tf.saved_model.save`` gets a ``serving_default``
signature: one argument ``inputs`` (a functional model's Inputs, a Sequential's declared
input or first call, a subclassed model's first call with its batch size), outputs named
``output_0``... or by the output dict's keys. Serving code (TF Serving, ``saved_model_cli``,
``loaded.signatures["serving_default"]``) reads exactly that. The translated model is a
``tf.Module``, so TensorFlow saves it too; these tests check it exports the same signature
and that the reloaded signature computes what Keras's does, with moved, perturbed weights.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from program_text import run_both, tf_, user_code

SCRIPT = textwrap.dedent("""\
    import json
    import numpy as np
    import tensorflow as tf
    import keras
    from keras import layers

    rng = np.random.default_rng(0)

    def perturb(model):  # no zero biases or unit BatchNorm statistics
        for w in model.weights:
            w.assign(rng.uniform(-0.9, 0.9, size=w.shape).astype("float32") + (1.5 if "variance" in w.name else 0.0))

    a = keras.Input(shape=(4,), name="features")
    b = keras.Input(shape=(2,), name="extra")
    h = layers.Dense(5, activation="relu")(layers.Concatenate()([a, b]))
    h = layers.BatchNormalization()(h)
    functional = keras.Model([a, b], [layers.Dense(3)(h), layers.Dense(1, activation="sigmoid")(h)])

    declared = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
    called = keras.Sequential([layers.Dense(3, activation="relu"), layers.Dense(2)])
    called(np.zeros((5, 6), "float32"))


    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(4, activation="relu")
            self.out = layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))


    subclassed = Subclassed()
    subclassed(np.zeros((5, 6), "float32"))

    x4 = rng.normal(size=(5, 4)).astype("float32")
    x2 = rng.normal(size=(5, 2)).astype("float32")
    x6 = rng.normal(size=(5, 6)).astype("float32")
    report = {}
    for name, model, args in [("functional", functional, {"inputs": x4, "inputs_1": x2}),
                              ("declared", declared, {"inputs": x6}), ("called", called, {"inputs": x6}),
                              ("subclassed", subclassed, {"inputs": x6})]:
        perturb(model)
        path = f"saved_{name}"
        tf.saved_model.save(model, path)
        serving = tf.saved_model.load(path).signatures["serving_default"]
        _, kwargs = serving.structured_input_signature
        outputs = serving(**{k: tf.constant(v) for k, v in args.items()})
        report[name] = {
            "inputs": sorted((k, s.shape.as_list(), s.dtype.name) for k, s in kwargs.items()),
            "outputs": {k: np.asarray(v).tolist() for k, v in outputs.items()},
        }
    json.dump(report, open(OUT, "w"))
    """)


def test_saved_model_save_of_a_translated_model_is_translated() -> None:
    out, diags = tf_(SCRIPT)
    code = user_code(out)
    assert "tf.saved_model.save(model, path)" in code and "keras." not in code.replace("import keras", ""), code
    assert not [d for d in diags if d.startswith(("XL301", "XL303", "XL306"))], diags


def test_saved_model_signature_and_outputs_match_keras(tmp_path: Path) -> None:
    import numpy as np

    out, _ = tf_(SCRIPT)
    keras_run, tf_run = run_both(tmp_path, SCRIPT, out)
    worst = 0.0
    for name, k in keras_run.items():
        t = tf_run[name]
        assert t["inputs"] == k["inputs"], (name, t["inputs"], k["inputs"])
        assert sorted(t["outputs"]) == sorted(k["outputs"]), (name, sorted(t["outputs"]), sorted(k["outputs"]))
        for key in k["outputs"]:
            worst = max(worst, float(np.max(np.abs(np.asarray(k["outputs"][key]) - np.asarray(t["outputs"][key])))))
    assert worst <= 1e-5, worst  # float32, same weights; BatchNormalization in inference
