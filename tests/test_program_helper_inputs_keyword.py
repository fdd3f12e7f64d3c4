"""Keras's functional merge helpers given their inputs by keyword
(`layers.multiply(inputs=[x, scale])`, a squeeze-and-excitation block's spelling in a model zoo):
the inputs are the helper's first argument, not an argument of the layer, so the call is
translated as `multiply([x, scale])` is. It was kept as Keras ("`Multiply(inputs=...)` is not an
argument the translation knows"), and with it every class using the block."""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

SOURCE = """\
class SqueezeExcite(keras.layers.Layer):
    def __init__(self, channels, r=4):
        super().__init__()
        self.pool = layers.GlobalAveragePooling2D()
        self.fc1 = layers.Dense(channels // r)
        self.fc2 = layers.Dense(channels)

    def call(self, inputs):
        s = self.fc2(keras.activations.relu(self.fc1(self.pool(inputs))))
        s = keras.ops.expand_dims(keras.ops.expand_dims(keras.activations.sigmoid(s), 1), 1)
        return layers.multiply(inputs=[inputs, s])


inputs = keras.Input((6, 6, 8))
x = layers.Conv2D(8, 3, padding="same")(inputs)
x = SqueezeExcite(8)(x)
y = layers.add(inputs=[x, inputs])
z = layers.concatenate(inputs=[x, y], axis=-1)
model = keras.Model(inputs, layers.Dense(3)(layers.Flatten()(z)))
"""

RUN = """
moved(model)
x = rng.standard_normal((2, 6, 6, 8)).astype("float32")
with open(OUT, "w") as f:
    json.dump({"out": arrays(model(x)), "n": len(model.get_weights())}, f)
"""


def test_helpers_given_inputs_by_keyword_are_translated() -> None:
    out, diags = tf_(script_head(0) + SOURCE)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code.split("rng = ")[1] and "layers." not in code.split("rng = ")[1], diags
    assert "multiply(inputs=[inputs, s])" in code and "add(inputs=[x, inputs])" in code
    assert not [d for d in diags if "XL201" in d], diags


@pytest.mark.tf
def test_helpers_given_inputs_by_keyword_run_as_keras(tmp_path: Path) -> None:
    source = script_head(3) + SOURCE + RUN
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["n"] == tf_report["n"] == 8
    worst = max_diff(keras_report["out"], tf_report["out"])
    assert worst <= 1e-5, worst
    print(f"\nmerge helpers given inputs= (moved weights): worst |tf - keras| {worst:.1e} (tolerance 1e-5)")
