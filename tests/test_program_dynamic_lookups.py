"""Names looked up while a model's code runs (issue #13, "never emit code that fails"): a U-Net
library picks its layers by name, ``activation_func = eval(activation)`` then
``activation_func(name=...)(X)``, in block helpers its builders call.

Translated, the helper's ``eval`` still gave Keras's class (the file keeps its Keras imports
where it looks names up), which made Keras variables inside the runtime's traced graph
function: the output raised "tf.function only supports singleton tf.Variables" where the
original ran. Now ``eval``, ``exec``, ``globals``, ``locals``, ``vars`` and ``__import__`` in a
graph region, a translated class, what a ``Sequential`` is given, or a function of the file they
call (transitively) keep that
code Keras with XL301. Elsewhere (a configuration read with ``eval`` at module level) they do
not. Our own cases, written after reading the pattern; the one that translates is executed
against Keras with moved, perturbed weights (tolerance 1e-5; the worst difference is printed).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from program_text import run_both, script_head, user_code

from kerastf_xlate.totf import translate

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HELPER = textwrap.dedent("""\
    import numpy as np
    from tensorflow.keras.layers import BatchNormalization, Dense, Input, ReLU
    from tensorflow.keras.models import Model


    def block(x, units, norm="BatchNormalization"):
        x = Dense(units)(x)
        layer = eval(norm)
        return layer()(x)


    def build(units=(5, 3)):
        IN = Input((4,))
        x = IN
        for n in units:
            x = block(x, n)
        return Model([IN], [x])


    model = build()
    print(model.predict(np.ones((2, 4)), verbose=0))
    """)

SUBCLASS = textwrap.dedent("""\
    import keras
    from keras import layers


    class Block(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)
            self.norm = self.make("BatchNormalization")

        def make(self, name):
            return vars(layers)[name]()

        def call(self, x):
            return self.norm(self.dense(x))


    inputs = keras.Input((4,))
    model = keras.Model(inputs, Block(3)(inputs))
    """)


SEQUENTIAL = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), eval("layers.BatchNormalization")()])
    """)


@pytest.mark.parametrize("text, where", [(HELPER, "eval(norm)"), (SUBCLASS, "vars(layers)"),
                                         (SEQUENTIAL, "eval('layers.BatchNormalization')")])
def test_a_lookup_in_the_code_a_model_runs_keeps_it_keras(text: str, where: str) -> None:
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.code == "XL301" and d.message.startswith(f"`{where}` looks a name up") for d in diags), diags


def test_a_lookup_in_the_same_graph_region_keeps_it_keras() -> None:
    text = HELPER.replace("x = block(x, n)", "x = eval('ReLU')()(Dense(n)(x))")
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.message.startswith("`eval('ReLU')` looks a name up") for d in diags), diags


ELSEWHERE = script_head(13) + textwrap.dedent("""\
    config = eval("{'units': 3, 'act': 'relu'}")
    inputs = keras.Input((4,))
    x = layers.Dense(config["units"], activation=config["act"])(inputs)
    model = keras.Model(inputs, layers.BatchNormalization()(x))
    moved(model)
    data = rng.normal(size=(8, 4)).astype("float32")
    json.dump({"out": arrays(model(data)), "train": arrays(model(data, training=True))}, open(OUT, "w"))
    """)


@pytest.mark.tf
def test_executed_a_lookup_outside_the_model_code_does_not_keep_it(tmp_path: Path) -> None:
    translated, diags = translate(ELSEWHERE, "m.py")
    code = user_code(translated)
    assert "keras.Model" not in code and "layers.Dense" not in code, (code, diags)
    keras_report, tf_report = run_both(tmp_path, ELSEWHERE, translated)
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("out", "train"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
