"""A file that binds a builtin's name at module level (issue #13): a course notebook shows
softmax with ``sum = tf.reduce_sum(outputs)`` before it trains its model; others write
``max = 3``, ``len = ...``, ``filter = 32``. Keras's code runs in Keras's modules, untouched by
that. The translation's TensorFlow code runs in the file's own namespace, so its calls of
``sum(...)`` got the file's tensor ("'EagerTensor' object is not callable" in the translated
optimizer; found by ``bench/realcode_models.py --scripts``).

Now the program form's block names those builtins otherwise (``tf_sum = builtins.sum``,
bound by the block, used by its code), and a file the flat form would translate goes to the
program form (the flat form's generated code is not renamed). Our own scripts after that
notebook, executed both ways from the same weights (tolerance 1e-5 after one epoch of Adam;
the worst difference is printed)."""

from __future__ import annotations

import numpy as np
import pytest
from program_text import run_both, tf_

BODY = """\
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Flatten(),
                             tf.keras.layers.Dense(3, activation=tf.nn.relu), tf.keras.layers.Dense(2, activation=tf.nn.softmax)])
rng = np.random.default_rng(1)
model.set_weights([(rng.standard_normal(w.shape) / 2 if w.ndim > 1 else rng.uniform(0.1, 0.5, w.shape)).astype("float32")
                   for w in model.get_weights()])
outputs = tf.nn.softmax(np.array([[1.0, 3.0, 4.0, 2.0]]))
sum = tf.reduce_sum(outputs)
max = 3
len = 5
model.compile(optimizer=tf.keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
x = rng.normal(size=(8, 4)).astype("float32")
y = np.arange(8) % 2
model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
json.dump({"out": np.asarray(model.predict(x, verbose=0)).tolist()}, open(OUT, "w"))
"""
HEAD = "import json\nimport numpy as np\nimport tensorflow as tf\n\n"
FLAT = HEAD + BODY
PROGRAM = HEAD + "def layer_count(m):\n    return len(m.layers)\n\n" + BODY.replace("max = 3\n", "max = 3\nprint(layer_count(model))\n")


@pytest.mark.parametrize("script", [FLAT, PROGRAM], ids=["flat", "program"])
def test_the_block_names_the_builtins_otherwise(script: str) -> None:
    out, _ = tf_(script)
    assert "class Model(tf.Module)" not in out
    assert "tf_sum = _xlate_builtins.sum" in out and "tf_len = _xlate_builtins.len" in out
    assert out == tf_(out)[0]  # a second run changes nothing


@pytest.mark.tf
@pytest.mark.parametrize("script", [FLAT, PROGRAM], ids=["flat", "program"])
def test_executed(tmp_path, script: str) -> None:  # type: ignore[no-untyped-def]
    out, _ = tf_(script)
    keras_report, tf_report = run_both(tmp_path, script, out)
    worst = float(np.max(np.abs(np.asarray(keras_report["out"]) - np.asarray(tf_report["out"]))))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
