"""Keras 2's engine modules' base classes (issue #13; corpus24's Keras 2 course notebooks and
attention layers: ``from keras.engine.topology import Layer``, ``from keras.engine import
InputSpec``).

Keras 2.0-2.1 kept ``Layer`` and ``InputSpec`` in ``keras.engine.topology``, 2.2-2.3 in
``keras.engine.base_layer``, both re-exported by ``keras.engine`` and ``keras.layers``: the
same classes as ``keras.layers.Layer``, ``keras.layers.InputSpec``. Until 2026-12-08 only the
``keras.layers`` spelling was read so; a custom layer on the engine's spelling kept its model
(XL102 "is Keras 2's, not in Keras 3"). Now each is read as the name it is (``names.KERAS2_ENGINE_CLASSES``),
with XL102's note, and the Keras 2 checks of a custom layer apply as for ``keras.layers.Layer``
(a positional ``add_weight(name, shape)`` still keeps the model).

Executed under tf-keras and translated, from the same perturbed weights (a non-trainable weight
made before the kernel: Keras 2 and Keras 3 both list a layer's trainable weights first), three
full-batch steps of SGD; tolerance 1e-5 absolute on the weights after training and the inference
output, the worst printed.
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
from keras import backend as K
from keras.engine.topology import Layer, InputSpec
from keras.layers import Input, Dense
from keras.models import Model


class ScaledProjection(Layer):
    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(ScaledProjection, self).__init__(**kwargs)

    def build(self, input_shape):
        self.input_spec = InputSpec(min_ndim=2)
        self.scale = self.add_weight(name="scale", shape=(self.output_dim,), initializer="ones", trainable=False)
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                      initializer="uniform", trainable=True)
        super(ScaledProjection, self).build(input_shape)

    def call(self, x):
        return K.tanh(K.dot(x, self.kernel)) * self.scale

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


inp = Input((3,))
model = Model(inp, Dense(2)(ScaledProjection(4)(inp)))
model.compile(optimizer="sgd", loss="mse")
"""

TAIL = """\
rng = np.random.default_rng(4)
x = rng.normal(size=(8, 3)).astype("float32")
y = rng.normal(size=(8, 2)).astype("float32")
""" + keras2_shared_start("rng.normal(0, 0.5, w.shape) + (1 if w.shape == (4,) else 0)") + """\
model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
json.dump({"w": [np.asarray(w).tolist() for w in model.get_weights()],
           "y": np.asarray(model.predict(x, verbose=0)).tolist(), "keras": hasattr(model, "to_json")}, open(OUT, "w"))
"""


@pytest.mark.parametrize("spelling", ["keras.engine.topology", "keras.engine", "keras.engine.base_layer"])
def test_the_engines_base_classes_are_keras_layers(spelling: str) -> None:
    source = PROGRAM.replace("from keras.engine.topology import", f"from {spelling} import")
    out, diags = tf_(source)
    assert BANNER in out, diags
    assert "from keras" not in user_code(out)
    assert any(f"`{spelling}.Layer` is Keras 2's" in d and "read as `keras.layers.Layer`" in d for d in diags), diags


def test_a_positional_add_weight_still_keeps_the_model() -> None:
    source = PROGRAM.replace('self.add_weight(name="scale", shape=', 'self.add_weight("scale", ')
    out, diags = tf_(source)
    assert BANNER not in out, diags


@pytest.mark.tf
def test_a_keras2_engine_layer_trains_as_under_tf_keras(tmp_path: Path) -> None:
    translated, diags = tf_(PROGRAM)
    assert BANNER in translated, diags
    worst = keras2_trained_worst(tmp_path, PROGRAM, translated, TAIL)
    print(f"\nKeras 2 engine Layer, 3 steps: worst |tf - keras 2| {worst:.1e} (tolerance {ATOL})")
    assert worst <= ATOL
