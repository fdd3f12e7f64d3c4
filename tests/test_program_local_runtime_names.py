"""A builder whose locals take the names of Keras layers (issue #13): a course notebook writes
``Conv2D = functools.partial(tf.keras.layers.Conv2D, padding='same', activation='relu')`` (and
``Dense = ...``, ``BatchNormalization = tf.keras.layers.BatchNormalization``) inside its builder.

The translation writes the runtime's class where the file names Keras's, and it wrote
``Conv2D = functools.partial(Conv2D, ...)``: inside that function ``Conv2D`` is the local
being bound, so the translated builder raised UnboundLocalError (found by
``bench/realcode_models.py --scripts``). A runtime name bound by a function or class body of
the file is now renamed like a module-level one (``TFConv2D``).

Our own builder after that notebook; executed both ways with the same perturbed weights
(tolerance 1e-5; the worst difference is printed).
"""

from __future__ import annotations

import numpy as np
import pytest
from program_text import run_both, tf_

SCRIPT = """\
import functools
import json
import numpy as np
import tensorflow as tf

n_filters = 4


def make_standard_classifier(n_outputs=1):
    Conv2D = functools.partial(tf.keras.layers.Conv2D, padding="same", activation="relu")
    BatchNormalization = tf.keras.layers.BatchNormalization
    Flatten = tf.keras.layers.Flatten
    Dense = functools.partial(tf.keras.layers.Dense, activation="relu")
    return tf.keras.Sequential([
        tf.keras.Input(shape=(16, 16, 3)),
        Conv2D(filters=1 * n_filters, kernel_size=5, strides=2), BatchNormalization(),
        Conv2D(filters=2 * n_filters, kernel_size=3, strides=2), BatchNormalization(),
        Flatten(), Dense(16), Dense(n_outputs, activation=None)])


model = make_standard_classifier()
rng = np.random.default_rng(2)
model.set_weights([(rng.standard_normal(w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
                    else rng.uniform(0.1, 0.5, w.shape)).astype("float32") for w in model.get_weights()])
x = rng.uniform(0, 1, size=(2, 16, 16, 3)).astype("float32")
json.dump({"out": np.asarray(model(x)).tolist(), "train": np.asarray(model(x, training=True)).tolist()}, open(OUT, "w"))
"""


def test_the_runtime_classes_take_other_names() -> None:
    out, _ = tf_(SCRIPT)
    assert "Conv2D = functools.partial(TFConv2D, " in out and "Dense = functools.partial(TFDense, " in out
    assert "BatchNormalization = TFBatchNormalization" in out


@pytest.mark.tf
def test_executed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, _ = tf_(SCRIPT)
    keras_report, tf_report = run_both(tmp_path, SCRIPT, out)
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("out", "train"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
