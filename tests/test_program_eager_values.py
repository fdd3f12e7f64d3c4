"""A TensorFlow op's result read in Python while a model's graph is built (issue #13, "never
emit code that fails"). A ConvNeXt library writes its stochastic-depth rates as
``dp_rates = [x for x in tf.linspace(0.0, drop_path_rate, sum(depths))]`` between the
``Input`` and the model statement. Keras runs those statements once, eagerly; the translation
moved them into the graph function, which the runtime traces, and iterating a symbolic tensor
raised ``OperatorNotAllowedInGraphError`` where the original ran (bench/realcode_models.py
found it). Such a statement keeps the model Keras now (XL301); the same rates from NumPy
translate. Our own cases, written after reading the pattern; the translated one is executed
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


    def build(depths=(2, 1), rate=0.3):
        inputs = keras.Input((6,))
        x = inputs
        rates = RATES
        k = 0
        for depth in depths:
            for _ in range(depth):
                x = layers.Dense(4, activation="relu")(x)
                x = layers.Dropout(float(rates[k]))(x)
                k += 1
        return keras.Model(inputs, layers.Dense(2)(x))


    model = build()
    moved(model)
    data = rng.normal(size=(8, 6)).astype("float32")
    json.dump({"out": arrays(model(data)), "rates": [layer.rate for layer in model.layers
                                                      if isinstance(layer, layers.Dropout)]}, open(OUT, "w"))
    """)


@pytest.mark.parametrize("rates, shown", [
    ("[x for x in tf.linspace(0.0, rate, sum(depths))]", "tf.linspace(0.0, rate, sum(depths))"),
    ("list(tf.linspace(0.0, rate, sum(depths)))", "list(tf.linspace(0.0, rate, sum(depths))"),
    ("tf.linspace(0.0, rate, sum(depths)).numpy()", "tf.linspace(0.0, rate, sum(depths)).nump"),
    ("np.asarray(tf.linspace(0.0, rate, sum(depths)))", "np.asarray(tf.linspace(0.0, rate, sum(de"),
])
def test_a_tensorflow_result_read_in_python_keeps_the_model(rates: str, shown: str) -> None:
    text = BUILDER.replace("RATES", rates)
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.code == "XL301" and d.message.startswith(f"`{shown}` reads a TensorFlow op's result in Python")
               for d in diags), diags


def test_a_name_bound_to_a_tensorflow_result_and_iterated_keeps_the_model() -> None:
    text = BUILDER.replace("rates = RATES", "grid = tf.linspace(0.0, rate, sum(depths))\n    rates = [float(v) for v in grid]")
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.message.startswith("`grid` reads a TensorFlow op's result in Python") for d in diags), diags


def test_a_helper_the_graph_calls_is_read_too() -> None:
    text = BUILDER.replace("rates = RATES", "rates = drop_rates(rate, sum(depths))")
    text = text.replace("def build(", "def drop_rates(rate, n):\n    return [float(v) for v in tf.linspace(0.0, rate, n)]\n\n\ndef build(")
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.message.startswith("`tf.linspace(0.0, rate, n)` reads a TensorFlow op's result in Python while the "
                                    "model's graph is built (in `drop_rates`)") for d in diags), diags


def test_an_op_on_the_graphs_tensors_or_a_list_of_tensors_is_not_a_python_read() -> None:
    """``red, green, blue = tf.split(..., value=inputs)`` (a VGG written for tf.keras 2, whose
    TFOpLambda made it a layer): symbolic in both, and a list Python unpacks in a traced
    function too."""
    text = BUILDER.replace("x = inputs\n", "a, b = tf.split(inputs, 2, axis=-1)\n    x = tf.concat([b, a], axis=-1)\n")
    text = text.replace("rates = RATES", "rates = [0.1, 0.2, 0.3]")
    _, diags = translate(text, "m.py")
    assert not any("reads a TensorFlow op's result" in d.message for d in diags), diags
    # a name the graph's statements bind to a Python value is not a graph tensor
    text = BUILDER.replace("rates = RATES", "n = sum(depths)\n    rates = [float(v) for v in tf.linspace(0.0, rate, n)]")
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.message.startswith("`tf.linspace(0.0, rate, n)` reads a TensorFlow op's result") for d in diags), diags


@pytest.mark.tf
def test_executed_the_same_rates_from_numpy_translate(tmp_path: Path) -> None:
    text = BUILDER.replace("RATES", "[float(x) for x in np.linspace(0.0, rate, sum(depths))]")
    translated, diags = translate(text, "m.py")
    code = user_code(translated)
    assert "keras.Model" not in code and "layers.Dense" not in code, (code, diags)
    keras_report, tf_report = run_both(tmp_path, text, translated)
    assert tf_report["rates"] == keras_report["rates"] and len(keras_report["rates"]) == 3
    worst = float(np.max(np.abs(np.asarray(keras_report["out"]) - np.asarray(tf_report["out"]))))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
