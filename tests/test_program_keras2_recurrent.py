"""A Keras 2 program's LSTM and GRU without their version-dependent keywords: tf.keras 2's.

Standalone Keras 2.0-2.2 made LSTM and GRU with ``recurrent_activation="hard_sigmoid"`` (Keras
2's ``0.2 x + 0.5``), and GRU with ``reset_after=False`` up to 2.3; tf.keras 2 (from TensorFlow
2.0) and so every Keras 2 from 2.4 on (tf.keras under Keras 2's module paths) have Keras 3's
defaults: ``"sigmoid"``, ``reset_after=True``. Such a model was kept as Keras (XL102) until
2026-12-08; it is now read as tf.keras 2 runs it, as a Keras 2 program's BatchNormalization
is (docs/design.md, "Which Keras 2 runs the program"), with an XL102 note; a program only
standalone Keras 2.0-2.3 ran (Keras 1's keywords, a TensorFlow 1 backend module) still keeps
it. ConvLSTM2D had "hard_sigmoid" in every tf.keras 2 and stays kept.

Executed under tf-keras and translated, from the same perturbed weights, three full-batch steps
of Adam; tolerance 1e-5 absolute on every weight after training and on the inference output,
the worst difference printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import keras2_shared_start, keras2_trained_worst, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

PROGRAM = """\
import json
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Embedding, Bidirectional
from keras.layers.recurrent import LSTM, GRU

model = Sequential()
model.add(Embedding(20, 6, input_length=7))
model.add(Bidirectional(LSTM(5, return_sequences=True)))
model.add(GRU(4))
model.add(Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy")
"""

TAIL = """\
rng = np.random.default_rng(3)
x = rng.integers(0, 20, (8, 7))
y = rng.integers(0, 2, (8, 1)).astype("float32")
""" + keras2_shared_start("rng.standard_normal(w.shape) * 0.4") + """\
model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()],
           "y": np.asarray(model.predict(x, verbose=0)).tolist(), "keras": hasattr(model, "to_json")}, open(OUT, "w"))
"""


def test_a_keras2_programs_lstm_and_gru_are_read_as_tf_keras2() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out, diags
    assert "model.add(GRU(4))" in user_code(out)
    notes = [d for d in diags if "is read as tf.keras 2 (Keras 2.4 and later" in d and "`LSTM` without" in d]
    assert len(notes) == 1 and notes[0].startswith("XL102"), diags


@pytest.mark.parametrize("standalone_only", [
    # Keras 1's keyword, which only standalone Keras 2.0-2.3's legacy interface renamed
    ("Dense(1, activation", "Dense(output_dim=1, activation"),
    # a module of the TensorFlow 1 backend
    ("import numpy as np\n", "import numpy as np\nfrom keras.backend.tensorflow_backend import set_session\n"),
])
def test_a_program_only_standalone_keras2_ran_keeps_its_recurrent_model(standalone_only: tuple[str, str]) -> None:
    out, diags = tf_(PROGRAM.replace(*standalone_only))
    assert BANNER not in out
    assert any("`LSTM`'s default `recurrent_activation` differs between Keras 2 versions" in d for d in diags), diags


def test_conv_lstm_keeps_its_model() -> None:
    # tf.keras 2's ConvLSTM2D kept "hard_sigmoid" (0.2 x + 0.5), Keras 3's is "sigmoid"
    source = PROGRAM.replace("from keras.layers.recurrent import LSTM, GRU",
                             "from keras.layers.recurrent import LSTM, GRU\nfrom keras.layers import ConvLSTM2D")
    source += "other = Sequential([ConvLSTM2D(2, 3, input_shape=(3, 5, 5, 1))])\n"
    out, diags = tf_(source)
    assert any("`ConvLSTM2D`'s default `recurrent_activation` differs" in d for d in diags), diags


@pytest.mark.tf
def test_a_keras2_recurrent_model_trains_as_under_tf_keras(tmp_path: Path) -> None:
    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, PROGRAM, translated, TAIL)
    print(f"\nKeras 2 program's LSTM and GRU, 3 steps: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
