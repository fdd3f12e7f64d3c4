"""Arrays one axis short of the model's declared input, given to ``fit``/``predict``/
``evaluate`` (issue #13). The course's first program trains ``Sequential([Dense(units=1,
input_shape=[1])])`` on ``xs = np.array([-1.0, 0.0, ...])`` of shape ``(6,)``: Keras's model
adjusts the rank of each input to its declared one (``Functional._adjust_input_rank``: an
axis of 1 added, or an extra last axis of 1 removed). The translated training loop called the
module on the batch as it was, and its ``matmul`` raised "Shape must be rank 2 but is rank 1"
(found by ``bench/realcode_models.py --scripts`` on two course repositories).

Our own script after that pattern, executed both ways from the same starting weights
(tolerance 1e-4 after five SGD epochs on one batch; the worst difference is printed).
"""

from __future__ import annotations

import numpy as np
import pytest
from program_text import run_both, tf_

SCRIPT = """\
import json
import numpy as np
import tensorflow as tf
from tensorflow import keras

model = tf.keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])])
model.compile(optimizer='sgd', loss='mean_squared_error', metrics=['mae'])
model.set_weights([np.array([[0.3]], dtype="float32"), np.array([0.1], dtype="float32")])
xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], dtype=float)
ys = np.array([-3.0, -1.0, 1.0, 3.0, 5.0, 7.0], dtype=float)
history = model.fit(xs, ys, epochs=5, verbose=0)
json.dump({"loss": history.history["loss"], "predicted": np.asarray(model.predict(np.array([10.0]), verbose=0)).tolist(),
           "evaluated": model.evaluate(xs, ys, verbose=0)},
          open(OUT, "w"))
"""


def test_the_translation_is_the_flat_training_loop() -> None:
    out, _ = tf_(SCRIPT)
    assert "_fit(model, xs, ys" in out and "def _model_call(" in out


@pytest.mark.tf
def test_executed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, _ = tf_(SCRIPT)
    keras_report, tf_report = run_both(tmp_path, SCRIPT, out)
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k], dtype="float64") - np.asarray(tf_report[k], dtype="float64"))))
                for k in ("loss", "predicted", "evaluated"))
    print(f"worst difference {worst:.3g}")
    assert np.shape(tf_report["predicted"]) == (1, 1)
    assert worst <= 1e-4, (keras_report, tf_report)
