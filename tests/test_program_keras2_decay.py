"""A Keras 2 optimizer's ``decay=`` is Keras 3's ``InverseTimeDecay`` schedule.

Keras 2 programs (GAN chapters, CIFAR-10 scripts) write ``Adam(lr=0.0002, beta_1=0.5,
decay=8e-8)`` and ``SGD(lr=0.1, momentum=0.9, decay=1e-6, nesterov=True)``. Every Keras 2 that
takes ``decay`` (standalone 2.0-2.3; tf.keras 2's OptimizerV2, 2.3 to 2.10) computes a step's
learning rate as ``lr / (1 + decay * iterations)``, the iterations counted before the step;
Keras 3 has no ``decay`` (tf.keras 2.11 and later raise on it), and its
``InverseTimeDecay(lr, 1, decay)`` schedule is that formula. Such a model was kept as Keras
(XL102) until 2026-12-08; Adam's and SGD's ``decay`` is now written as the schedule, unless a
callback sets the learning rate while training (Keras 2 applied the decay on top of it; a
schedule cannot be set).

Executed: the Keras 2 run under tf-keras with its ``legacy`` (OptimizerV2) Adam and SGD, which
take ``decay`` (tf-keras's default optimizers raise on it), and the translation, from the same
perturbed weights, eight full-batch steps with a decay large enough to matter (0.2: the eighth
step's rate is 0.38 of the first's); tolerance 1e-5 absolute on every weight, the worst
difference printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import KERAS2_PRELUDE, keras2_shared_start, keras2_trained_worst, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

# the Keras 2 that takes `decay`: tf-keras's OptimizerV2 classes under Keras 2's names
LEGACY = KERAS2_PRELUDE + """\
import keras.optimizers
keras.optimizers.Adam, keras.optimizers.SGD = keras.optimizers.legacy.Adam, keras.optimizers.legacy.SGD
"""

PROGRAM = """\
import json
import numpy as np
from keras.models import Sequential
from keras.layers.core import Dense
from keras.optimizers import Adam, SGD

model = Sequential()
model.add(Dense(4, input_shape=(3,), activation="tanh"))
model.add(Dense(1))
model.compile(optimizer=OPTIMIZER, loss="mse")
"""

TAIL = """\
rng = np.random.default_rng(7)
x = rng.normal(0, 1, (16, 3)).astype("float32")
y = rng.normal(0, 1, (16, 1)).astype("float32")
""" + keras2_shared_start('rng.standard_normal(w.shape) * 0.5') + """\
model.fit(x, y, epochs=8, batch_size=16, shuffle=False, verbose=0)
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()], "keras": hasattr(model, "to_json")},
          open(OUT, "w"))
"""

CASES = {
    "adam": ("Adam(lr=0.05, beta_1=0.5, decay=0.2)", "LegacyAdam(learning_rate=InverseTimeDecay(0.05, 1, 0.2), beta_1=0.5)"),
    "sgd-first": ("SGD(decay=0.2, momentum=0.9, nesterov=True)",
                  "SGD(learning_rate=InverseTimeDecay(0.01, 1, 0.2), momentum=0.9, nesterov=True)"),
    "sgd-positional": ("SGD(0.1, decay=0.2)", "SGD(InverseTimeDecay(0.1, 1, 0.2))"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_decay_is_written_as_the_schedule(case: str) -> None:
    optimizer, written = CASES[case]
    out, diags = tf_(PROGRAM.replace("OPTIMIZER", optimizer))
    assert BANNER in out, diags
    assert f"model.compile(optimizer={written}, " in user_code(out), user_code(out)
    assert tf_(out)[0] == out  # a second run changes nothing


def test_a_callback_setting_the_learning_rate_keeps_the_decayed_model() -> None:
    source = PROGRAM.replace("OPTIMIZER", CASES["adam"][0]) + (
        "from keras.callbacks import LearningRateScheduler\n"
        "model.fit(np.ones((4, 3)), np.ones((4, 1)), callbacks=[LearningRateScheduler(lambda e: 0.01)])\n")
    out, diags = tf_(source)
    assert BANNER not in out
    assert any("`Adam(decay=...)` is Keras 2's" in d for d in diags), diags


@pytest.mark.tf
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_decayed_optimizer_trains_as_under_keras2(tmp_path: Path, case: str) -> None:
    source = PROGRAM.replace("OPTIMIZER", CASES[case][0])
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, source, translated, TAIL, LEGACY)
    print(f"\nKeras 2 decay ({CASES[case][0]}), 8 steps: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
