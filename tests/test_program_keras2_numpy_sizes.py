"""A Keras 2 program's layer size computed by NumPy is read as Keras 2 read it: ``int(...)``.

GAN programs written for Keras 2 size a generator's last layer and a label embedding with
``np.prod(img_shape)``: a NumPy integer, which every Keras 2 took (tf-keras's Dense converts it
with ``int``, its Embedding shapes its weight from it) and Keras 3 raises on ("expected a
positive integer"), as the runtime does. Once such a program's models translated (its
BatchNormalization read as tf.keras 2's, 2026-12-08), the translation raised where Keras 2 ran
(found by ``bench/realcode_models.py`` on a GAN book's conditional GAN). In a Keras 2 program the
translation now writes ``int(...)`` around a size argument that is a NumPy function's result,
with an XL102 note; a Keras 3 program keeps Keras 3's error (tests/test_static_shape_exports.py).

Executed under tf-keras and translated, from the same perturbed weights; tolerance 1e-5 absolute
on the outputs, the worst difference printed.
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
from keras.layers import Dense, Embedding, Flatten, Input, Multiply, Reshape
from keras.layers.core import Activation
from keras.models import Model

img_shape = (4, 4, 1)
label = Input(shape=(1,), dtype="int32")
img = Input(shape=img_shape)
emb = Flatten()(Embedding(10, np.prod(img_shape), input_length=1)(label))
joined = Multiply()([Flatten()(img), emb])
out = Reshape(img_shape)(Dense(np.prod(img_shape))(joined))
model = Model([img, label], Activation("tanh")(out))
"""

TAIL = """\
rng = np.random.default_rng(3)
x = [rng.uniform(-1, 1, (3, 4, 4, 1)).astype("float32"), np.array([[2], [5], [9]], "int32")]
""" + keras2_shared_start('rng.standard_normal(w.shape) * 0.5') + """\
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()], "y": np.asarray(model(x)).tolist(),
           "keras": hasattr(model, "to_json")}, open(OUT, "w"))
"""


def test_numpy_sizes_of_a_keras2_program_are_written_as_ints() -> None:
    out, diags = tf_(PROGRAM)
    assert BANNER in out, diags
    code = user_code(out)
    assert "Embedding(10, int(np.prod(img_shape)), input_length=1)" in code
    assert "Dense(int(np.prod(img_shape)))" in code
    assert sum("is a NumPy integer, which Keras 2's" in d for d in diags) == 2, diags
    assert tf_(out)[0] == out  # a second run changes nothing


@pytest.mark.tf
def test_a_keras2_numpy_sized_model_runs_as_under_keras2(tmp_path: Path) -> None:
    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, PROGRAM, translated, TAIL)
    print(f"\nKeras 2 layers sized by NumPy: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
