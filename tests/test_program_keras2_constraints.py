"""Keras 2's legacy constraint aliases (issue #13; corpus24's Keras 2 course scripts:
``from keras.constraints import maxnorm``; ``Dense(..., kernel_constraint=maxnorm(3))``).

Keras 2 (2.0-2.3's own ``keras/constraints.py``, and 2.4's over tf.keras's classes) kept
``maxnorm``, ``nonneg`` and ``unitnorm`` as aliases of ``max_norm``, ``non_neg``, ``unit_norm``
(``MaxNorm``...), which Keras 3 has under those names only. They kept the model until
2026-12-08 ("not in the keras_api table"); now each is read as the name it is
(``names.KERAS2_CONSTRAINT_ALIASES``), with XL102's note. Keras 2's and Keras 3's ``MaxNorm``
are one formula (``w * clip(n, 0, m) / (eps + n)``, ``n`` the norm over ``axis=0``).

Executed under tf-keras (with the aliases, as Keras 2.4 had them) and translated, from the
same perturbed weights, five SGD steps at a rate that makes the constraint clip; tolerance 1e-5
absolute on the weights after training and the outputs, the worst printed.
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
from keras.layers import Dense
from keras.constraints import maxnorm, nonneg
from keras.optimizers import SGD

model = Sequential()
model.add(Dense(6, input_dim=4, activation="tanh", kernel_constraint=maxnorm(1.5)))
model.add(Dense(1, kernel_constraint=nonneg()))
model.compile(loss="mse", optimizer=SGD(learning_rate=0.5))
"""

TAIL = """\
rng = np.random.default_rng(6)
x = rng.normal(size=(8, 4)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32") * 3
""" + keras2_shared_start("rng.normal(0, 0.6, w.shape)") + """\
model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0)
norms = np.sqrt((model.get_weights()[0] ** 2).sum(axis=0))
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()], "norms": norms.tolist(),
           "y": np.asarray(model.predict(x, verbose=0)).tolist(), "keras": hasattr(model, "to_json")}, open(OUT, "w"))
"""


def test_the_legacy_aliases_are_keras3s_names() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out, diags
    code = user_code(out)
    assert "kernel_constraint=MaxNorm(max_value=1.5)" in code and "kernel_constraint=NonNeg()" in code, code
    assert any("`keras.constraints.maxnorm` is Keras 2's (Keras 3's `keras.constraints` has no `maxnorm`): read as "
               "`keras.constraints.max_norm`" in d for d in diags), diags


@pytest.mark.tf
def test_a_keras2_constraint_trains_as_under_keras2(tmp_path: Path) -> None:
    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, PROGRAM, translated, TAIL)
    import json

    import numpy as np

    norms = json.loads((tmp_path / "run" / "keras_run.json").read_text())["norms"]
    assert np.max(norms) == pytest.approx(1.5, abs=1e-4)  # the constraint clipped
    print(f"\nKeras 2 constraint aliases, 5 steps: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
