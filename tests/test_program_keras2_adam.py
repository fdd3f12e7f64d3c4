"""A Keras 2 program's Adam is Keras 2's: an embedding's sparse gradient summed, then squared.

Every Keras 2 sums an ``IndexedSlices`` gradient's repeated rows before Adam squares it:
standalone Keras 2.0-2.3 (TensorFlow 1 made the gradient dense before ``K.square``), tf.keras 2's
OptimizerV2 and the optimizers of 2.11-2.15 (``_deduplicate_sparse_grad``). Keras 3's Adam
squares slice by slice. A text model's embedding trained on a batch with a repeated token moves
otherwise (measured here before the fix: 3e-3 after three steps, the Dense weights 2e-6). A
Keras 2 program (spelled with Keras 2's names: ``keras.layers.embeddings``) got Keras 3's Adam
until 2026-12-08; it now gets the runtime's ``LegacyAdam``, as a tf.keras 2 program (hub, tfa)
did, for the arguments that class takes (``lr=`` is renamed ``learning_rate=``); an optimizer the
translation does not see made (a builder's parameter that may hold ``"adam"``) keeps the model
Keras in a file with an Embedding.

Executed under tf-keras (the last Keras 2) and translated, from the same perturbed weights,
three full-batch steps; tolerance 1e-6 absolute on every weight after training, the worst
difference printed. (Executed with ``learning_rate=``: tf-keras 2.11 and later ignore Keras 2's
``lr=`` with a warning, where Keras 2.0-2.10 honoured it, as the translation does.)
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
from keras.layers import Dense, Flatten
from keras.layers.embeddings import Embedding
from keras.optimizers import Adam

model = Sequential()
model.add(Embedding(20, 4, input_length=6))
model.add(Flatten())
model.add(Dense(1, activation="sigmoid"))
model.compile(optimizer=OPTIMIZER, loss="binary_crossentropy")
"""

TAIL = """\
rng = np.random.default_rng(5)
x = rng.integers(0, 20, (16, 6))  # 96 lookups of 20 rows: repeated in every batch
y = rng.integers(0, 2, (16, 1)).astype("float32")
""" + keras2_shared_start('rng.standard_normal(w.shape) * 0.3') + """\
model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()], "keras": hasattr(model, "to_json")},
          open(OUT, "w"))
"""


def program(optimizer: str) -> str:
    return PROGRAM.replace("OPTIMIZER", optimizer)


@pytest.mark.parametrize("optimizer, written", [('"adam"', "LegacyAdam()"),
                                                ("Adam(lr=0.01)", "LegacyAdam(learning_rate=0.01)")])
def test_adam_of_a_keras2_program_is_the_legacy_update(optimizer: str, written: str) -> None:
    out, diags = tf_(program(optimizer))
    assert BANNER in out, diags
    assert f"model.compile(optimizer={written}, " in user_code(out), user_code(out)


def test_an_optimizer_not_seen_made_keeps_a_keras2_text_model() -> None:
    source = program("optimizer").replace("model = Sequential()", "optimizer = 'adam' if len('x') else 'sgd'\n"
                                                                  "optimizer = optimizer\nmodel = Sequential()")
    source = source.replace("optimizer = 'adam' if len('x') else 'sgd'\n", "def pick():\n    return 'adam'\n\n"
                                                                       "optimizer = pick()\n")
    out, diags = tf_(source)
    assert BANNER not in out
    assert any("`optimizer` may be the string 'adam'" in d for d in diags), diags


def test_adam_given_what_the_legacy_class_does_not_take_keeps_the_model() -> None:
    out, diags = tf_(program("Adam(lr=0.01, clipnorm=1.0)"))
    assert BANNER not in out
    assert any("a Keras 2 program" in d and "Keras 2's Adam is translated with" in d for d in diags), diags


@pytest.mark.tf
@pytest.mark.parametrize("optimizer", ['"adam"', "Adam(learning_rate=0.01)"])
def test_a_keras2_text_model_trains_as_under_keras2(tmp_path: Path, optimizer: str) -> None:
    source = program(optimizer)
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, source, translated, TAIL)
    print(f"\nKeras 2 text model, Adam ({optimizer}), 3 steps: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL


def test_an_optimizer_made_in_the_file_and_bound_to_a_name_is_seen() -> None:
    # `optimizer = Adam(...)` then `compile(optimizer=optimizer)` (a tfa optimizer likewise)
    source = program("optimizer").replace("model = Sequential()", "optimizer = Adam(lr=0.01)\nmodel = Sequential()")
    out, diags = tf_(source)
    assert BANNER in out, diags
    assert "optimizer = LegacyAdam(learning_rate=0.01)" in user_code(out)
