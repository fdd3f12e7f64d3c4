"""A model not built yet (its first layer declares no input shape) in the flat translation
(issue #13): Keras 3's ``summary()`` shows such a model with "0 (unbuilt)" parameters and its
``get_weights()`` is ``[]``; the translated module's raised "call the module once first", so a
script that shows its model before training failed where the original ran. Now both behave
as Keras's; after the first call the module is built and they give its variables.

Our own script, after the tutorial pattern `model = Sequential([...]); model.summary()`;
executed both ways (weights moved after the first call; tolerance 1e-5, the worst difference
is printed)."""

from __future__ import annotations

import numpy as np
import pytest
from program_text import run_both, tf_

SCRIPT = """\
import json
import numpy as np
from tensorflow import keras

rng = np.random.default_rng(3)
model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
model.summary()
before = len(model.get_weights())
x = rng.uniform(0, 1, size=(3, 5)).astype("float32")
model(x)
model.summary()
model.set_weights([(rng.standard_normal(w.shape) / np.sqrt(w.shape[0]) if w.ndim > 1 else rng.uniform(0.1, 0.5, w.shape))
                   .astype("float32") for w in model.get_weights()])
json.dump({"before": before, "after": [list(w.shape) for w in model.get_weights()], "out": np.asarray(model(x)).tolist()},
          open(OUT, "w"))
"""


def test_the_translation_is_flat() -> None:
    out, _ = tf_(SCRIPT)
    assert "class Model(tf.Module)" in out and "created on the first call" in out


@pytest.mark.tf
def test_executed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, _ = tf_(SCRIPT)
    keras_report, tf_report = run_both(tmp_path, SCRIPT, out)
    assert tf_report["before"] == keras_report["before"] == 0
    assert tf_report["after"] == keras_report["after"] == [[5, 4], [4], [4, 2], [2]]
    worst = float(np.max(np.abs(np.asarray(keras_report["out"]) - np.asarray(tf_report["out"]))))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
