"""A name read by a model's layers and changed before the model statement.

The flat form writes one ``tf.Module`` class per model, made at the model statement: its
``__init__`` reads the layers' arguments then. When a statement between a layer and the
model statement changes a name the layer reads (``width = width * 2`` between two graph
statements, ``sizes.append(9)`` between two ``model.add``), the class would read the later
value and build other shapes than Keras (found by the fragments helper, 2026-12-03: the first
``Dense(width)`` got 8 units instead of 4). The flat form now refuses such a graph, and the
program form, which keeps the statements in order, translates it. Both are executed here.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import run_both, tf_, user_code

FUNCTIONAL = textwrap.dedent("""\
    import keras
    from keras import layers
    width = 4
    inputs = keras.Input(shape=(3,))
    features = layers.Dense(width, activation="relu")(inputs)
    width = width * 2
    x = layers.Dense(width)(features)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    width = 100
    """)

SEQUENTIAL = textwrap.dedent("""\
    import keras
    from keras import layers
    sizes = [4, 6]
    model = keras.Sequential()
    model.add(layers.Dense(sizes[0], activation="relu", input_shape=(3,)))
    sizes.append(9)
    model.add(layers.Dense(sizes[-1]))
    """)

REPORT = textwrap.dedent("""\
    import json
    import numpy as np
    rng = np.random.default_rng(0)
    weights = [rng.uniform(-0.8, 0.8, size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)  # perturbed: no zero biases
    data = rng.normal(size=(5, 3)).astype("float32")
    json.dump({"shapes": [list(w.shape) for w in weights], "outputs": np.asarray(model(data)).tolist()},
              open(OUT, "w"))
    """)


@pytest.mark.parametrize("script", [FUNCTIONAL, SEQUENTIAL], ids=["functional", "sequential"])
def test_a_name_changed_before_the_model_statement_keeps_the_order(script: str, tmp_path: Path) -> None:
    import numpy as np

    out, diags = tf_(script + REPORT)
    assert "class Model(tf.Module)" not in out, "the flat form would read the later value"
    code = user_code(out)
    assert "keras." not in code and "layers.Dense" not in code, (code, diags)
    keras_run, tf_run = run_both(tmp_path, script + REPORT, out)
    assert tf_run["shapes"] == keras_run["shapes"], (tf_run["shapes"], keras_run["shapes"])
    diff = float(np.max(np.abs(np.asarray(keras_run["outputs"]) - np.asarray(tf_run["outputs"]))))
    assert diff <= 1e-6, diff  # float32, same weights and formula


@pytest.mark.parametrize("between", ["tf.random.set_seed(0)", "print(width)", "other = width * 2"])
def test_statements_that_change_nothing_the_layers_read_keep_the_flat_form(between: str) -> None:
    script = textwrap.dedent(f"""\
        import keras
        import tensorflow as tf
        from keras import layers
        width = 4
        inputs = keras.Input(shape=(3,))
        features = layers.Dense(width, activation=tf.nn.relu)(inputs)
        {between}
        outputs = layers.Dense(2)(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        """)
    out, _ = tf_(script)
    assert "class Model(tf.Module)" in out, out[-1500:]
