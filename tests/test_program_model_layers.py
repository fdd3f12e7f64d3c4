"""``model.layers`` of a translated functional model lists an InputLayer for each Input, where
Keras's depth order puts it, with Keras's names.

``layer.input`` / ``layer.output`` give the first call's tensors as Keras's first inbound node
does (shape and dtype: ``for layer in model.layers: print(layer.output.shape)`` failed at run
time with an AttributeError).

Real code indexes ``model.layers`` (``model.layers[1]``, ``for layer in model.layers[:-3]:
layer.trainable = False``, ``get_layer(index=0)``). Without the InputLayers every index was
off by one on a functional model: the wrong layers were frozen, silently.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import run_both, tf_, user_code

SCRIPT = textwrap.dedent("""\
    import json
    import keras
    from keras import layers

    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(6,))
    x = layers.Dense(8)(a)
    y = layers.Dense(8)(layers.Dense(5)(b))
    z = layers.Concatenate()([x, y])
    two = keras.Model([a, b], layers.Dense(2)(z))
    head = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])  # its InputLayer counts for names
    i = keras.Input(shape=(3,))
    h = layers.Dense(4, name="first")(i)
    residual = keras.Model(i, layers.Add()([h, layers.Dense(4)(i)]))
    for layer in residual.layers[:2]:
        layer.trainable = False
    report = {
        "two": [(type(layer).__name__, layer.name, layer.count_params()) for layer in two.layers],
        "residual": [layer.name for layer in residual.layers],
        "index0": residual.get_layer(index=0).name,
        "by_name": type(residual.get_layer("first")).__name__,
        "frozen": [layer.name for layer in residual.layers if not layer.trainable],
        "trainable_weights": len(residual.trainable_weights),
        "head": [layer.name for layer in head.layers],
        "weights": [w.shape[-1] for w in two.weights],
        # a functional model's output_names: the layers making its outputs (a Sequential has none)
        "output_names": [two.output_names, residual.output_names, hasattr(head, "output_names")],
        # Keras's layer.input / layer.output: the first call's tensors (a list for several)
        "io": [(layer.name, str([t.shape for t in layer.input] if isinstance(layer.input, list) else layer.input.shape),
                str(layer.output.shape), str(layer.output.dtype)) for layer in two.layers],
    }
    unused = layers.Dense(3)
    try:
        unused.output
    except AttributeError as e:
        report["never_called"] = str(e).replace(unused.name, "NAME")
    json.dump(report, open(OUT, "w"))
    """)


@pytest.mark.tf
def test_functional_model_layers_match_keras_with_their_input_layers(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert "layers.Dense" not in user_code(translated), diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    assert keras_report["frozen"] == [keras_report["residual"][0], "first"]  # the test reads what it means to
    assert "never been called" in keras_report["never_called"] and len(keras_report["io"]) == 7
    assert tf_report == keras_report
