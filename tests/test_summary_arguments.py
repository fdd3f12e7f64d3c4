"""``model.summary(...)`` with Keras's arguments (issue #13): a book's denoising-autoencoder
notebook writes ``model.summary(positions=[.3, .6, .75, 1.])``, others ``line_length=100`` or
a ``print_fn`` collecting the lines. The translated model's ``summary`` took ``print_fn`` only
(the program form) or nothing (the flat form) and raised TypeError where Keras printed
(found by ``bench/realcode_models.py --scripts``). Both now take Keras's signature: the layout
arguments change nothing, ``print_fn`` gets the lines, ``layer_range`` selects layers."""

from __future__ import annotations

import pytest
from program_text import run_both, tf_

BODY = """\
model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, name="first"), keras.layers.Dense(2, name="last")])
model.summary(line_length=100, positions=[0.3, 0.6, 0.75, 1.0], expand_nested=True, show_trainable=True)
lines = []
model.summary(print_fn=lambda line, **kwargs: lines.append(line))
json.dump({"printed": bool(lines), "weights": len(model.get_weights())}, open(OUT, "w"))
"""
HEAD = "import json\nfrom tensorflow import keras\n\n"
FLAT = HEAD + BODY
PROGRAM = HEAD + "def count(m):\n    return len(m.layers)\n\n" + BODY.replace("lines = []\n", "lines = []\nprint(count(model))\n")


@pytest.mark.tf
@pytest.mark.parametrize("script", [FLAT, PROGRAM], ids=["flat", "program"])
def test_summary_takes_keras_arguments(tmp_path, script: str) -> None:  # type: ignore[no-untyped-def]
    out, _ = tf_(script)
    assert ("class Model(tf.Module)" in out) == (script is FLAT)
    keras_report, tf_report = run_both(tmp_path, script, out)
    assert keras_report == tf_report == {"printed": True, "weights": 4}
