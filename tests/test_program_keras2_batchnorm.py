"""A Keras 2 program that trains BatchNormalization is read as tf.keras 2 runs it.

Keras 2 was several programs: standalone Keras 2.0-2.3 on TensorFlow 1 (2.1.3-2.3 moved the
moving variance with ``n / (n - 1 - epsilon)`` times the fused kernel's already unbiased
variance), and from Keras 2.4 on, tf.keras under Keras 2's module paths (Keras-2.4.3 keeps
``keras.layers.normalization``, ``keras.engine.topology``, ``keras.backend`` as modules
re-exporting ``tensorflow.keras``): the fused kernel's unbiased variance for a 4-D input, the
biased one elsewhere. Keras 3 uses the biased one. Such a program was kept as Keras (XL102)
until 2026-12-08. It is now read as tf.keras 2 runs it (the runtime's
``TFKeras2BatchNormalization``, as in a hub or tfa program), which is how it runs with a
TensorFlow 2 and how tf-keras, the tests' and ``xlate verify``'s Keras 2, runs it; an XL102 note
says so. A program only standalone Keras 2.0-2.3 ran (Keras 1's keywords, a TensorFlow 1
backend module) still keeps its model.

Executed under tf-keras and translated, from the same perturbed weights (BatchNormalization's
statistics included), five full-batch steps of Adam; tolerance 1e-5 absolute on every weight
after training (the moving statistics included) and on the inference output, the worst
difference printed. The layers before each BatchNormalization have no bias: its gradient is
rounding noise, which Adam turns into steps of the learning rate's size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import keras2_shared_start, keras2_trained_worst, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

# a 4-D BatchNormalization (tf.keras 2's fused kernel) and a 2-D one (its plain moments)
PROGRAM = """\
import json
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Flatten, Activation
from keras.layers.convolutional import Conv2D
from keras.layers.normalization import BatchNormalization

model = Sequential()
model.add(Conv2D(4, (3, 3), padding="same", use_bias=False, input_shape=(4, 4, 2)))
model.add(BatchNormalization(momentum=0.5))
model.add(Activation("relu"))
model.add(Flatten())
model.add(Dense(5, use_bias=False))
model.add(BatchNormalization(momentum=0.9))
model.add(Activation("relu"))
model.add(Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy")
"""

TAIL = """\
rng = np.random.default_rng(11)
x = rng.uniform(0, 1, (6, 4, 4, 2)).astype("float32")
y = rng.integers(0, 2, (6, 1)).astype("float32")
""" + keras2_shared_start("rng.standard_normal(w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1 "
                          "else rng.uniform(0.1, 0.5, w.shape)") + """\
model.fit(x, y, epochs=5, batch_size=6, shuffle=False, verbose=0)
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()],
           "y": np.asarray(model.predict(x, verbose=0)).tolist(), "keras": hasattr(model, "to_json")}, open(OUT, "w"))
"""


def test_a_keras2_program_that_trains_batchnorm_is_read_as_tf_keras2() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out, diags
    assert user_code(out).count("model.add(TFKeras2BatchNormalization(") == 2
    notes = [d for d in diags if "read as tf.keras 2 (Keras 2.4 and later" in d]
    assert len(notes) == 1 and notes[0].startswith("XL102"), diags


@pytest.mark.parametrize("standalone_only", [
    # Keras 1's keyword, which only standalone Keras 2.0-2.3's legacy interface renamed
    ('padding="same", use_bias', 'border_mode="same", use_bias'),
    # a module of the TensorFlow 1 backend
    ("import numpy as np\n", "import numpy as np\nfrom keras.backend.tensorflow_backend import set_session\n"),
])
def test_a_program_only_standalone_keras2_ran_keeps_its_model(standalone_only: tuple[str, str]) -> None:
    out, diags = tf_(PROGRAM.replace(*standalone_only))
    assert BANNER not in out
    assert any("Keras 2's BatchNormalization updates its moving variance with the unbiased batch variance" in d
               and "the program ran under standalone Keras 2.0-2.3 only (" in d for d in diags), diags


@pytest.mark.tf
def test_a_keras2_program_trains_batchnorm_as_under_tf_keras(tmp_path: Path) -> None:
    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, PROGRAM, translated, TAIL)
    print(f"\nKeras 2 program training BatchNormalization, 5 steps: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
