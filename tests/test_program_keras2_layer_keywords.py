"""Keywords only Keras 2's base Layer took (issue #13; found by ``bench/realcode_models.py
--scripts``): ``GRU(..., batch_input_shape=[batch, None, n])`` (a book's stateful RNN),
``Dense(..., batch_size=32)``, ``LSTM(..., input_length=10)``. Keras 3 raises ValueError on
them ("Unrecognized keyword arguments passed to GRU"); the translation read them as Keras 2
did and ran, silently. Now XL102 says so at each (docs/design.md, "Keras 2 programs (XL102)").
A file spelled from standalone `keras` is then a Keras 2 program (what Keras 2 versions compute
differently keeps its model Keras); one spelled through tf.keras only runs under tf.keras 2 of
TensorFlow 2, whose other layers mean what Keras 3's do, and is not made one (a notebook's one
stateful cell would keep every model of the notebook). Our own program in that shape runs under
Keras 2 (tf-keras) and translated, from the same perturbed weights; tolerance 1e-5, the worst
difference is printed.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerastf_xlate.totf import translate

# spelled through tf.keras only: the reference is tf.keras 2 (TensorFlow 2.x), whose LSTM and GRU
# defaults are Keras 3's, so they need not be given (standalone Keras 2.0-2.2's were not)
PROGRAM = """\
from tensorflow import keras

model = keras.models.Sequential([
    keras.layers.GRU(6, return_sequences=True, batch_input_shape=[4, None, 3]),
    keras.layers.LSTM(5, input_length=7),
    keras.layers.Dense(2),
])
"""

TAIL = """\
DATA = np.random.default_rng(2).normal(0, 1, (4, 7, 3)).astype('float32')
report = {}
"""


def test_the_keywords_are_said() -> None:
    out, diags = translate(PROGRAM, "m.py")
    notes = sorted(d.message.split("`")[1] for d in diags if d.code == "XL102")
    assert notes == ["GRU(batch_input_shape=...)", "LSTM(input_length=...)"], diags
    assert not [d for d in diags if d.code != "XL102"], diags
    assert "keras.layers" not in out.split("# --- end of the layers written out by xlate to-tf ---")[-1]
    assert translate(out, "m.py")[0] == out  # a second run changes nothing


@pytest.mark.parametrize("keyword", ["batch_input_shape=[4, None, 3]", "batch_size=4"])
def test_keras3_refuses_them(keyword: str) -> None:
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to GRU"):
        eval(f"keras.layers.GRU(6, {keyword})", {"keras": keras})


def test_spelled_from_standalone_keras_the_recurrent_defaults_are_tf_keras2s() -> None:
    # read as tf.keras 2 runs the program (tests/test_program_keras2_recurrent.py), with a note;
    # a program only standalone Keras 2.0-2.3 ran keeps the model
    src = PROGRAM.replace("from tensorflow import keras", "import keras")
    out, diags = translate(src, "m.py")
    assert out != src
    assert any("`GRU` without `recurrent_activation=` or `reset_after=` is read as tf.keras 2" in d.message
               for d in diags), diags
    src = src.replace("import keras\n", "import keras\nfrom keras.backend.tensorflow_backend import set_session\n")
    out, diags = translate(src, "m.py")
    assert out == src
    assert any("`GRU`'s default `recurrent_activation` differs between Keras 2 versions" in d.message for d in diags)


def test_the_layers_that_take_them_stay_keras3_programs() -> None:
    src = ("import keras\n\nmodel = keras.Sequential([keras.layers.InputLayer(batch_input_shape=(None, 7)),\n"
           "                           keras.layers.Embedding(20, 4, input_length=7), keras.layers.Flatten()])\n")
    _, diags = translate(src, "m.py")
    assert not [d for d in diags if d.code == "XL102"], diags


@pytest.mark.tf
def test_executed_as_keras2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from program_text import run_keras2_both

    out, _ = translate(PROGRAM, "m.py")
    keras2, ours = run_keras2_both(tmp_path, PROGRAM, out, TAIL, seed=5)
    worst = float(np.max(np.abs(np.asarray(keras2["y"]) - np.asarray(ours["y"]))))
    print(f"worst |tf - keras 2| = {worst:.3g}")
    assert np.asarray(ours["y"]).shape == (4, 2) and worst <= 1e-5, worst
