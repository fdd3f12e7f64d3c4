"""Keras 2's scikit-learn wrappers on translated models (issue #13; corpus24's Keras 2 course
scripts: ``KerasClassifier(build_fn=create_model, epochs=..., batch_size=...)`` given to
``cross_val_score`` or ``GridSearchCV``).

``keras.wrappers.scikit_learn`` is Keras 2's (tf.keras 2's to TensorFlow 2.11, re-exported by
Keras 2.4 and later; Keras 3 has none), so a file using it is a Keras 2 program. Until
2026-12-08 the name had no translation and kept the file's models (XL301). The runtime's
``KerasClassifier`` and ``KerasRegressor`` (runtime/tfr_sklearn.py) are tf.keras 2's wrappers
on the translated model: ``fit`` calls ``build_fn`` with the parameters it takes, maps the
labels to class indices (one-hot for a categorical cross-entropy), fits with the parameters
``fit`` takes; ``predict`` thresholds or takes the argmax and maps back to the labels,
``predict_proba`` stacks ``1 - p, p`` for one output, ``score`` is the evaluated accuracy
(the regressor's: minus the loss).

The installed Keras 2 (tf-keras) no longer has the wrappers, so the reference is the builder's
model under tf-keras driven by those steps, written here from Keras 2's wrapper source
(2.2.4's, and tf.keras 2's ``score``, which also takes the name ``accuracy``). The builder sets
perturbed weights itself, so both runs start equal; tolerance 1e-5 absolute on the weights
after training, the probabilities and the score; the classes are equal; worst printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import KERAS2_PRELUDE, run_both, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

PROGRAM = """\
import json
import numpy as np
from keras.models import Sequential
from keras.layers import Dense
from keras.wrappers.scikit_learn import KerasClassifier, KerasRegressor


def create_model(hidden=8, classes=1, loss="binary_crossentropy"):
    model = Sequential()
    model.add(Dense(hidden, input_dim=4, activation="relu"))
    model.add(Dense(classes, activation="sigmoid" if classes == 1 else "softmax"))
    model.compile(loss=loss, optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def create_regressor():
    model = Sequential([Dense(6, input_dim=4, activation="tanh"), Dense(1)])
    model.compile(loss="mean_squared_error", optimizer="sgd")
    rng = np.random.default_rng(2)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def classifier(epochs=3, **params):
    return KerasClassifier(build_fn=create_model, epochs=epochs, batch_size=8, shuffle=False, verbose=0, **params)


def regressor():
    return KerasRegressor(build_fn=create_regressor, epochs=2, batch_size=6, shuffle=False, verbose=0)
"""

DATA = """\
rng = np.random.default_rng(0)
X = rng.normal(size=(24, 4)).astype("float32")
binary = np.where(X[:, 0] > 0, 7, 3)  # labels that are not 0 and 1
three = np.digitize(X[:, 1], [-0.4, 0.4])  # integer labels of a softmax with categorical cross-entropy
target = X @ np.array([0.5, -1.0, 0.3, 2.0], "float32")
report = {}
"""

TRANSLATED_TAIL = DATA + """\
for key, labels, params in (("binary", binary, {"hidden": 5, "epochs": 40}),
                            ("three", three, {"classes": 3, "loss": "categorical_crossentropy"})):
    est = classifier(**params)
    est = type(est)(**est.get_params())  # as scikit-learn's clone makes it
    est.fit(X, labels)
    report[key] = {"w": [w.tolist() for w in est.model.get_weights()], "classes": est.predict(X).tolist(),
                   "proba": est.predict_proba(X).tolist(), "score": float(est.score(X, labels))}
reg = regressor()
reg.fit(X, target)
report["reg"] = {"w": [w.tolist() for w in reg.model.get_weights()], "pred": reg.predict(X).tolist(),
                 "score": float(reg.score(X, target))}
json.dump({**report, "keras": hasattr(est.model, "to_json")}, open(OUT, "w"))
"""

# Keras 2's wrapper steps on the builder's model (tf-keras)
REFERENCE_TAIL = DATA + """\
for key, labels, params in (("binary", binary, {"hidden": 5, "epochs": 40}),
                            ("three", three, {"classes": 3, "loss": "categorical_crossentropy"})):
    epochs = params.pop("epochs", 3)
    model = create_model(**params)
    classes_ = np.unique(labels)
    y = np.searchsorted(classes_, labels)
    fit_y = np.eye(len(classes_), dtype="float32")[y] if params.get("loss") == "categorical_crossentropy" else y
    model.fit(X, fit_y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    proba = model.predict(X, verbose=0)
    picked = proba.argmax(axis=-1) if proba.shape[-1] > 1 else (proba > 0.5).astype("int32")
    loss, accuracy = model.evaluate(X, fit_y, verbose=0)
    report[key] = {"w": [w.tolist() for w in model.get_weights()], "classes": classes_[picked].tolist(),
                   "proba": (np.hstack([1 - proba, proba]) if proba.shape[1] == 1 else proba).tolist(),
                   "score": float(accuracy)}
model = create_regressor()
model.fit(X, target, epochs=2, batch_size=6, shuffle=False, verbose=0)
report["reg"] = {"w": [w.tolist() for w in model.get_weights()], "pred": np.squeeze(model.predict(X, verbose=0)).tolist(),
                 "score": -float(model.evaluate(X, target, verbose=0))}
json.dump({**report, "keras": hasattr(model, "to_json")}, open(OUT, "w"))
"""


def test_the_wrappers_are_translated_in_a_keras2_program() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out, diags
    code = user_code(out)
    assert "from keras" not in code and "import KerasClassifier" not in code
    assert "model.compile(loss=loss, optimizer=LegacyAdam(), " in code  # a Keras 2 program (tf.keras 2's Adam)
    assert "class KerasClassifier(" in out and "class KerasRegressor(" in out
    assert translate_again(out) == out


def translate_again(out: str) -> str:
    return tf_(out)[0]


def test_an_optimizer_the_caller_chooses_keeps_the_model() -> None:
    # a grid search over optimizers: the builder's parameter may be "rmsprop", whose update
    # differs between Keras 2 versions and Keras 3
    source = PROGRAM.replace('def create_model(hidden=8, classes=1, loss="binary_crossentropy"):',
                             'def create_model(hidden=8, classes=1, loss="binary_crossentropy", optimizer="adam"):')
    source = source.replace('optimizer="adam", metrics', "optimizer=optimizer, metrics")
    out, diags = tf_(source)
    assert "model.compile(loss=loss, optimizer=optimizer, metrics" in user_code(out)
    assert any("`optimizer` may be" in d and d.startswith("XL102") for d in diags), diags


@pytest.mark.tf
def test_the_wrappers_fit_predict_and_score_as_keras2s(tmp_path: Path) -> None:
    import numpy as np

    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    reference = PROGRAM.replace("from keras.wrappers.scikit_learn import KerasClassifier, KerasRegressor\n", "")
    reference = reference.partition("\n\ndef classifier(")[0] + "\n"
    keras2, ours = run_both(tmp_path, KERAS2_PRELUDE + reference + REFERENCE_TAIL, translated + TRANSLATED_TAIL)
    assert keras2["keras"] and not ours["keras"]
    worst = 0.0
    for key in ("binary", "three", "reg"):
        for part in ("w", "proba", "pred", "score"):
            if part in keras2[key]:
                a, b = keras2[key][part], ours[key][part]
                pairs = zip(a, b) if part == "w" else [(a, b)]
                worst = max(worst, *(float(np.max(np.abs(np.asarray(p) - np.asarray(q)))) for p, q in pairs))
        if "classes" in keras2[key]:
            assert keras2[key]["classes"] == ours[key]["classes"], key
    assert sorted(set(np.ravel(ours["binary"]["classes"]))) == [3, 7]
    print(f"\nscikit-learn wrappers: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL


BUILDER = """\
from keras.models import Sequential
from keras.layers.core import Dense
{embedding}

def build(optimizer={default}):
    model = Sequential([{first}Dense(1, input_dim=4)])
    model.compile(loss="mse", optimizer=optimizer)
    return model

{calls}
"""


@pytest.mark.parametrize("default, calls, embedding, kept", [
    ('"adam"', "a = build()\nb = build('sgd')", False, False),  # every value seen, and one update in every Keras
    ('"adam"', "a = build()\nb = build(optimizer='rmsprop')", False, True),  # RMSprop's update differs
    ('"rmsprop"', "a = build('adam')", False, False),  # the default is never used
    ('"rmsprop"', "a = build()", False, True),
    ('"adam"', "a = build()", True, True),  # Adam on an Embedding's sparse gradient (LegacyAdam only where written)
    ('"sgd"', "a = build()", True, False),
    ('"adam"', "a = build()\nfns = [build]", False, True),  # the function is given away: its callers are not seen
    ('"adam"', "opt = 'rmsprop'\na = build(opt)", False, True),
    ('"adam"', "", False, True),  # never called here: another module may call it with anything
])
def test_a_keras2_builders_optimizer_parameter(default: str, calls: str, embedding: bool, kept: bool) -> None:
    # (the cases with the model: the builder's is kept where its optimizer may differ)
    source = BUILDER.format(default=default, calls=calls,
                            embedding="from keras.layers import Embedding\n" if embedding else "",
                            first="Embedding(20, 4, input_length=4), " if embedding else "")
    source = source.replace("input_dim=4)", "input_dim=4)" if not embedding else ")")
    out, diags = tf_(source)
    assert (BANNER not in out) == kept, diags
    if kept:
        assert any("`optimizer` may be" in d and d.startswith("XL102") for d in diags), diags


@pytest.mark.parametrize("rate, kept", [("0.001", False), ("1e-3", False), ("0.01", True), ("rate", True)])
def test_lr_of_a_tf_keras2_programs_adam(rate: str, kept: bool) -> None:
    # tf.keras 2.0-2.10 read `lr=`, 2.11 and later ignore it and keep the default 0.001: only
    # the default is the same rate in every tf.keras 2
    source = PROGRAM.replace("from keras.", "from tensorflow.keras.").replace(
        'optimizer="adam"', f"optimizer=keras.optimizers.Adam(lr={rate})").replace(
        "import numpy as np\n", "import numpy as np\nfrom tensorflow import keras\nrate = 0.001\n")
    out, diags = tf_(source)
    assert (f"keras.optimizers.Adam(lr={rate})" in user_code(out)) == kept, diags
    if kept:
        assert any("2.11 and later ignore it" in d for d in diags), diags
    else:
        assert f"LegacyAdam(learning_rate={rate})" in user_code(out)


@pytest.mark.parametrize("value, kept", [("Adam(lr=2e-4, beta_1=0.5)", False), ("'rmsprop'", True)])
def test_an_optimizer_held_on_an_attribute(value: str, kept: bool) -> None:
    # a GAN class's `self.OPTIMIZER = Adam(...)` given to its models' `compile`: seen where the
    # file gives every attribute of that name an optimizer it makes (or a string that means one update)
    source = f"""\\
from keras.models import Sequential
from keras.layers.core import Dense
from keras.optimizers import Adam


class Generator:
    def __init__(self):
        self.OPTIMIZER = {value}
        self.model = Sequential([Dense(1, input_dim=4)])
        self.model.compile(loss="mse", optimizer=self.OPTIMIZER)


g = Generator()
"""
    out, diags = tf_(source)
    assert (BANNER not in out) == kept, diags


@pytest.mark.parametrize("value, kept", [("optimizers.get('sgd')", False), ("optimizers.get('rmsprop')", True)])
def test_an_optimizer_by_name_through_get(value: str, kept: bool) -> None:
    source = f"""\\
from keras import optimizers
from keras.models import Sequential
from keras.layers.core import Dense

model = Sequential([Dense(1, input_dim=4)])
model.compile(loss="mse", optimizer={value})
"""
    out, diags = tf_(source)
    assert (BANNER not in out) == kept, diags


def test_a_methods_optimizer_parameter_is_not_followed() -> None:
    # `self.build("rmsprop")` calls it through an attribute: its callers are not all seen
    source = """\
from keras.models import Sequential
from keras.layers.core import Dense


class Trainer:
    def build(self, optimizer="adam"):
        model = Sequential([Dense(1, input_dim=4)])
        model.compile(loss="mse", optimizer=optimizer)
        return model

    def run(self):
        return self.build("rmsprop")
"""
    out, diags = tf_(source)
    assert BANNER not in out
    assert any("`optimizer` may be" in d for d in diags), diags
