"""A TensorFlow op's result read in Python while a model's graph is built (issue #13). A ConvNeXt
library writes its stochastic-depth rates as ``dp_rates = [x for x in tf.linspace(0.0,
drop_path_rate, sum(depths))]`` between the ``Input`` and the model statement. Keras runs those
statements once, eagerly, and the op gives an eager tensor that Python iterates; the translation
moves them into the graph function, which the runtime traces, where iterating the symbolic
result raised ``OperatorNotAllowedInGraphError`` (bench/realcode_models.py found it). Such an op,
given Python values only, now runs eagerly in the translation too (the runtime's ``eagerly``,
``tf.init_scope``), so it gives the same eager tensor; an op given a graph tensor (tf.keras 2's
TFOpLambda), or one in a function of the file that is also called elsewhere, keeps the model
Keras (XL301). Our own cases, written after reading the pattern; the translated ones are executed
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

BUILDER = script_head(17) + textwrap.dedent("""\
    import tensorflow as tf


    class Scaled(layers.Layer):
        # a stochastic-depth layer's inference path: scaled by its keep rate, given as a tensor
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, x):
            return x * (1.0 - self.rate)


    def build(depths=(2, 1), rate=0.3):
        inputs = keras.Input((6,))
        x = inputs
        rates = RATES
        k = 0
        for depth in depths:
            for _ in range(depth):
                x = layers.Dense(4, activation="relu")(x)
                x = Scaled(rates[k])(x)
                k += 1
        return keras.Model(inputs, layers.Dense(2)(x))


    model = build()
    moved(model)
    data = rng.normal(size=(8, 6)).astype("float32")
    traced = tf.function(lambda d: model(d))  # later runs of the graph inside a user's trace
    json.dump({"out": arrays(model(data)), "traced": arrays(traced(data)), "rates": [float(layer.rate) for layer in model.layers
                                                      if isinstance(layer, Scaled)]}, open(OUT, "w"))
    """)


def _executed(tmp_path: Path, text: str) -> str:
    translated, diags = translate(text, "m.py")
    code = user_code(translated)
    assert "keras.Model" not in code and "layers.Dense" not in code, (code, [d.message for d in diags])
    keras_report, tf_report = run_both(tmp_path, text, translated)
    assert len(keras_report["rates"]) == 3 and keras_report["rates"][1] > 0
    assert tf_report["rates"] == keras_report["rates"]
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("out", "traced"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
    return code


@pytest.mark.tf
@pytest.mark.parametrize("rates, written", [
    # what Python iterates is the eager tensor's list, made in the eager context too
    ("[x for x in tf.linspace(0.0, rate, sum(depths))]",
     "[x for x in eagerly(lambda: list(tf.linspace(0.0, rate, sum(depths))))]"),
    ("list(tf.linspace(0.0, rate, sum(depths)))", "eagerly(lambda: list(tf.linspace(0.0, rate, sum(depths))))"),
    ("tf.linspace(0.0, rate, sum(depths)).numpy()", "eagerly(lambda: tf.linspace(0.0, rate, sum(depths))).numpy()"),
    ("np.asarray(tf.linspace(0.0, rate, sum(depths)))", "np.asarray(eagerly(lambda: tf.linspace(0.0, rate, sum(depths))))"),
    ("[r for _, r in zip(range(9), tf.linspace(0.0, rate, sum(depths)))]",
     "zip(range(9), eagerly(lambda: list(tf.linspace(0.0, rate, sum(depths)))))"),
])
def test_executed_an_op_on_python_values_read_in_python_runs_eagerly(tmp_path: Path, rates: str, written: str) -> None:
    code = _executed(tmp_path, BUILDER.replace("RATES", rates))
    assert written in code, code


@pytest.mark.tf
def test_executed_a_name_bound_to_the_op_and_a_helper_only_the_graph_calls(tmp_path: Path) -> None:
    text = BUILDER.replace("rates = RATES", "grid = tf.linspace(0.0, rate, sum(depths))\n    rates = [v for v in grid]")
    code = _executed(tmp_path, text)
    assert "grid = eagerly(lambda: tf.linspace(0.0, rate, sum(depths)))" in code, code
    assert "rates = [v for v in eagerly(lambda: list(grid))]" in code, code
    text = BUILDER.replace("rates = RATES", "rates = drop_rates(rate, sum(depths))")
    text = text.replace("def build(", "def drop_rates(rate, n):\n    return [v for v in tf.linspace(0.0, rate, n)]\n\n\ndef build(")
    code = _executed(tmp_path, text)
    assert "return [v for v in eagerly(lambda: list(tf.linspace(0.0, rate, n)))]" in code, code


def test_the_translation_is_stable() -> None:
    text = BUILDER.replace("RATES", "[x for x in tf.linspace(0.0, rate, sum(depths))]")
    once, _ = translate(text, "m.py")
    twice, _ = translate(once, "m.py")
    assert twice == once


def test_a_helper_also_called_elsewhere_keeps_the_model() -> None:
    """A function of the file called outside the graph too may run in the user's own traced
    function, where the eager op could not take its arguments."""
    text = BUILDER.replace("rates = RATES", "rates = drop_rates(rate, sum(depths))")
    text = text.replace("def build(", "def drop_rates(rate, n):\n    return [float(v) for v in tf.linspace(0.0, rate, n)]\n\n\ndef build(")
    text += "print(drop_rates(0.1, 4))\n"
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.code == "XL301" and d.message.startswith(
        "`tf.linspace(0.0, rate, n)` reads a TensorFlow op's result in Python while the model's graph is built "
        "(in `drop_rates`), in a function also called elsewhere") for d in diags), diags


@pytest.mark.parametrize("where", ["region", "helper"])
def test_an_op_on_a_graph_tensor_read_in_python_keeps_the_model(where: str) -> None:
    """``n, h, w, c = tf.shape(x)`` on a graph tensor: tf.keras 2's TFOpLambda gave a KerasTensor
    Python could unpack; Keras 3 raises, and a traced tensor cannot be unpacked."""
    if where == "region":
        text = BUILDER.replace("x = inputs\n", "x = inputs\n    n, d = tf.shape(x)\n")
    else:
        text = BUILDER.replace("x = inputs\n", "x = inputs\n    d = width(x)\n")
        text = text.replace("def build(", "def width(t):\n    n, d = tf.shape(t)\n    return d\n\n\ndef build(")
    text = text.replace("rates = RATES", "rates = [0.1, 0.2, 0.3]")
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.code == "XL301" and "reads in Python a TensorFlow op's result on the graph's tensors" in d.message
               for d in diags), diags


def test_an_op_on_the_graphs_tensors_or_a_list_of_tensors_is_not_a_python_read() -> None:
    """``red, green, blue = tf.split(..., value=inputs)`` (a VGG written for tf.keras 2, whose
    TFOpLambda made it a layer): a list Python unpacks in a traced function too."""
    text = BUILDER.replace("x = inputs\n", "a, b = tf.split(inputs, 2, axis=-1)\n    x = tf.concat([b, a], axis=-1)\n")
    text = text.replace("rates = RATES", "rates = [0.1, 0.2, 0.3]")
    out, diags = translate(text, "m.py")
    assert not any("TensorFlow op's result" in d.message for d in diags), diags
    assert "eagerly(" not in user_code(out)


@pytest.mark.tf
def test_executed_the_same_rates_from_numpy_translate(tmp_path: Path) -> None:
    code = _executed(tmp_path, BUILDER.replace("RATES", "[float(x) for x in np.linspace(0.0, rate, sum(depths))]"))
    assert "eagerly(" not in code
