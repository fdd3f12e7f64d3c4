"""A Sequential whose first layer declares its input shape from a value known only at run time
(issue #13): tutorial scripts write ``model.add(Dense(16, input_dim=X.shape[1]))`` or
``input_shape=X_train.shape[1:]``, then ``model.summary()`` before training.

Keras builds such a model at construction, so ``summary()``, ``get_weights()`` and
``set_weights(...)`` work at once. The flat translation created the first kernel on the first
call only, and its ``summary()`` raised "call the module once first": the translated script
failed where the original ran (found by ``bench/realcode_models.py --scripts`` on a TF2/Keras
book's MNIST scripts). Now the module builds itself in ``__init__`` from that shape.

Our own script, written after reading those; executed both ways with the same perturbed
weights (tolerance 1e-5; the worst difference is printed).
"""

from __future__ import annotations

import numpy as np
import pytest
from program_text import run_both, tf_

SCRIPT = """\
import json
import numpy as np
from tensorflow import keras

rng = np.random.default_rng(5)
X = rng.uniform(0, 1, size=(6, 7)).astype("float32")
model = keras.models.Sequential()
model.add(keras.layers.Dense(5, input_dim=X.shape[1], activation="relu"))
model.add(keras.layers.Dense(3))
model.summary()
shapes = [list(w.shape) for w in model.get_weights()]
other = keras.Sequential([keras.layers.Dense(4, input_shape=X.shape[1:]), keras.layers.Dense(2, activation="tanh")])
other.summary()
# new weights in the model's own order: kernels scaled by their fan-in, biases in [0.1, 0.5]
model.set_weights([(rng.standard_normal(w.shape) / np.sqrt(w.shape[0]) if w.ndim > 1 else rng.uniform(0.1, 0.5, w.shape))
                   .astype("float32") for w in model.get_weights()])
other.set_weights([(rng.standard_normal(w.shape) / np.sqrt(w.shape[0]) if w.ndim > 1 else rng.uniform(0.1, 0.5, w.shape))
                   .astype("float32") for w in other.get_weights()])
json.dump({"shapes": shapes, "out": np.asarray(model(X)).tolist(), "other": np.asarray(other(X)).tolist()},
          open(OUT, "w"))
"""


def test_the_translation_builds_in_init() -> None:
    out, _ = tf_(SCRIPT)
    assert "self.build([None, *(X.shape[1],)])" in out
    assert "self.build([None, *(X.shape[1:])])" in out
    assert "class Model(tf.Module)" in out and "import keras" not in out and "from tensorflow import keras" not in out


@pytest.mark.tf
def test_executed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, _ = tf_(SCRIPT)
    keras_report, tf_report = run_both(tmp_path, SCRIPT, out)
    assert tf_report["shapes"] == keras_report["shapes"] == [[7, 5], [5], [5, 3], [3]]
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("out", "other"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
