"""Callbacks made by another module (a course's ``helper_functions.create_tensorboard_callback``,
a project's ``make_callbacks()``) given to a translated model's ``fit``.

The translation cannot see what such a helper returns. Keras's own callbacks are what it
returns in the code we read, and they now run on the translated model as on Keras's: the
runtime ``Model`` has what they read (``train_function``, each variable's ``path``,
``save_weights(overwrite=...)``, ``save``). The model is translated and the callback's module
named in an XL311 note (where a Keras ``ModelCheckpoint`` writes, the translation writes
TensorFlow checkpoints). Before, such a model was kept as Keras (XL305), or, where the
callbacks were a list concatenation or ``fit``'s sixth positional argument, translated and
then crashed in ``fit`` (``model.train_function``).

Each program is run both ways on the same data, with the Keras model's weights perturbed and
moved into the translation, the helper module importable by both. Compared: ``fit``'s history
(learning rates included), the weights after training (EarlyStopping restores the best),
what the program reads back from the checkpoint it wrote, the CSV log's numbers, and that
TensorBoard wrote event files. Tolerance: ``|tf - keras| <= 1e-5 * max(1, |keras|)``
(``tests/test_runtime_training.close``); the worst difference is printed.
"""

from __future__ import annotations

import csv
import os
import re
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed
from test_program_cases import user_part
from test_runtime_training import close

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

pytestmark = pytest.mark.tf

# the helper module: Keras's built-in callbacks, made by functions (as course helpers write them)
HELPERS = textwrap.dedent('''\
    import tensorflow as tf


    def create_tensorboard_callback(dir_name, experiment_name):
        return tf.keras.callbacks.TensorBoard(log_dir=dir_name + "/" + experiment_name, histogram_freq=1)


    def make_callbacks(folder, patience=1):
        return [tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
                tf.keras.callbacks.ModelCheckpoint(folder + "/best.weights.h5", monitor="val_loss",
                                                   save_weights_only=True, save_best_only=True),
                tf.keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_lr=1e-4),
                tf.keras.callbacks.CSVLogger(folder + "/log.csv"),
                tf.keras.callbacks.TerminateOnNaN()]


    def schedule():
        return tf.keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.8)


    class StopAtLoss(tf.keras.callbacks.Callback):
        """A user callback class of the helper module: reads the model's optimizer, stops training."""

        def __init__(self, threshold):
            super().__init__()
            self.threshold = threshold
            self.rates = []

        def on_epoch_end(self, epoch, logs=None):
            self.rates.append(float(self.model.optimizer.learning_rate.numpy()))
            if logs["loss"] < self.threshold:
                self.model.stop_training = True
    ''')

# the helpers' callbacks in a list concatenation, given by keyword; the best weights read back
CONCATENATED = '''
import tensorflow as tf
from helper_functions import create_tensorboard_callback, make_callbacks, schedule

model = tf.keras.Sequential([tf.keras.Input((6,)), tf.keras.layers.Dense(8, activation="relu"),
                             tf.keras.layers.Dense(1)])
model.compile(loss="mse", optimizer=tf.keras.optimizers.Adam(0.3), metrics=["mae"])


def run(data):
    history = model.fit(data["x"], data["y"], epochs=6, batch_size=8, shuffle=False, validation_split=0.25, verbose=0,
                        callbacks=[create_tensorboard_callback("logs", "run"), schedule()] + make_callbacks("out"))
    after = model.get_weights()
    model.load_weights("out/best.weights.h5")
    return history.history, after, model.predict(data["x"], verbose=0)
'''

# a list built with append at module level, given as fit's sixth positional argument; a
# functional model; a callback class of the helper module
POSITIONAL = '''
import tensorflow as tf
from tensorflow.keras import layers
import helper_functions

callbacks = helper_functions.make_callbacks("out", patience=2)
stopper = helper_functions.StopAtLoss(0.05)
callbacks.append(stopper)

inputs = tf.keras.Input(shape=(6,))
x = layers.Dense(8, activation="tanh")(inputs)
outputs = layers.Dense(1)(layers.Dropout(0.0)(x))
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer=tf.keras.optimizers.SGD(0.5, momentum=0.9), loss="mae")


def run(data):
    history = model.fit(data["x"], data["y"], 8, 5, 0, callbacks, validation_data=(data["x"][:8], data["y"][:8]),
                        shuffle=False)
    return history.history, stopper.rates, history.epoch
'''

CASES = {"concatenated": CONCATENATED, "positional": POSITIONAL}


def _exec(source: str, name: str) -> dict[str, Any]:
    from kerastf_xlate.verify import exec_source

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return exec_source(source, name, f"{name}.py")


def _csv_numbers(path: Path) -> dict[str, list[float]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


@pytest.mark.parametrize("case", list(CASES))
def test_outside_callbacks_run_on_the_translated_model_as_on_keras(case: str, tmp_path: Path, monkeypatch: Any) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    (tmp_path / "helper_functions.py").write_text(HELPERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    source = CASES[case]
    out, diags = translate(source, f"{case}.py")
    assert BANNER in out, f"{case}: not in the program form: " + "; ".join(f"{d.code} {d.message}" for d in diags)
    assert not re.search(r"\b(keras|layers)\.\w", user_part(out).replace("tf.keras.callbacks", "")), case
    notes = [d for d in diags if d.code == "XL311" and "defined outside this file" in d.message]
    assert notes and not any(d.code == "XL305" for d in diags), diags

    rng = np.random.default_rng(0)
    data = {"x": rng.uniform(-1, 1, (32, 6)).astype("float32"), "y": rng.uniform(-1, 1, (32, 1)).astype("float32")}
    results, models, logs = [], [], []
    for side, text in (("keras", source), ("tf", out)):
        folder = tmp_path / side
        (folder / "out").mkdir(parents=True)
        monkeypatch.chdir(folder)
        keras.utils.set_random_seed(0)
        namespace = _exec(text, f"__{case}_{side}__")
        model = namespace["model"]
        if side == "keras":
            moved = perturbed(model.get_weights(), seed=1)
        else:
            assert isinstance(model, tf.Module) and not isinstance(model, keras.layers.Layer), "still Keras"
        model.set_weights(moved)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results.append(namespace["run"](data))
        models.append(model.get_weights())
        logs.append(_csv_numbers(folder / "out" / "log.csv"))
        if case == "concatenated":
            events = list((folder / "logs" / "run").rglob("events.out.tfevents.*"))
            assert {p.parent.name for p in events} == {"train", "validation"}, events
    worst = close(results[0], results[1], f"{case}: run()")
    worst = max(worst, close(models[0], models[1], f"{case}: weights"), close(logs[0], logs[1], f"{case}: CSV log"))
    # the test reads what it means to: EarlyStopping stopped (and restored), ReduceLROnPlateau acted
    history = results[0][0]
    assert 2 <= len(history["loss"]) < 5 and len(set(history["learning_rate"])) == (1 if case == "concatenated" else 2), \
        history
    print(f"{case}: worst |tf - keras| = {worst:.3g}; epochs run {len(history['loss'])}")
