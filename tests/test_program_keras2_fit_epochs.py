"""Keras 1's ``fit(nb_epoch=...)`` in a Keras 2 program (issue #13; corpus24's Keras 2 course
notebooks and older book scripts).

Standalone Keras 2.0-2.3's ``fit`` took ``nb_epoch`` as ``epochs`` (``epochs =
kwargs.pop('nb_epoch')``, with a warning; read in the 2.2.4 wheel); tf.keras 2 and Keras 3
raise on it. Until 2026-12-08 it kept the model ("is Keras 2's argument"). Now the keyword is
renamed ``epochs=`` with XL102's note, and it marks the program as one standalone Keras 2.0-2.3
ran (``keras2.standalone_only``): a BatchNormalization it trains keeps its model, as for
Keras 1's layer keywords. With ``epochs=`` given too, it stays kept (Keras 2 raised there).

Executed: the translation against the program as Keras 2.0-2.3 read it (``epochs=``) under
tf-keras, from the same perturbed weights; tolerance 1e-6 absolute, the worst printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import keras2_shared_start, keras2_trained_worst, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-6

PROGRAM = """\
import json
import numpy as np
from keras.models import Sequential
from keras.layers.core import Dense

model = Sequential()
model.add(Dense(4, input_dim=3, activation="tanh"))
model.add(Dense(1))
model.compile(loss="mse", optimizer="sgd")
rng = np.random.default_rng(8)
x = rng.normal(size=(8, 3)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
""" + keras2_shared_start("rng.normal(0, 0.5, w.shape)") + """\
model.fit(x, y, nb_epoch=3, batch_size=4, shuffle=False, verbose=0)
"""

TAIL = """\
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()], "keras": hasattr(model, "to_json")},
          open(OUT, "w"))
"""


def test_nb_epoch_is_read_as_epochs() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out, diags
    assert "model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)" in user_code(out)
    assert any(d.startswith("XL102 `fit(nb_epoch=...)` is Keras 1's name") for d in diags), diags


def test_with_epochs_too_it_keeps_the_model() -> None:
    out, diags = tf_(PROGRAM.replace("nb_epoch=3,", "nb_epoch=3, epochs=2,"))
    assert BANNER not in out
    assert any("`fit(nb_epoch=...)` is Keras 2's argument" in d for d in diags), diags


@pytest.mark.tf
def test_nb_epoch_trains_as_keras2_read_it(tmp_path: Path) -> None:
    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    as_read = PROGRAM.replace("nb_epoch=3", "epochs=3")  # what Keras 2.0-2.3's fit did with it
    worst = keras2_trained_worst(tmp_path, as_read, translated, TAIL)
    print(f"\nKeras 1's nb_epoch, 3 epochs: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
