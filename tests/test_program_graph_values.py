"""Graph regions as real code writes them (issue #13; docs/design.md, "Graph fragments").

- Consecutive notebook fragments rebind ``inputs``/``x``/``residual``, and the model after
  them builds its graph with a helper ``def`` and a ``for`` loop that binds ``residual``
  before reading it on every pass: the graph function does not take ``residual`` from
  outside, so the fragments before it still move into their functions (they stayed Keras).
- A builder method reads plain values off a graph tensor's static shape
  (``patch = x.shape[1]``) and returns them with the model: bound from the traced run as
  themselves (the model stayed Keras).
- The model statement rebinds a name the graph bound (``model = layers.Dense(...)`` in the
  graph, then ``model = keras.Model(...)``): later reads are of the model, nothing leaks.

Executed against Keras with the same perturbed weights; cases that cannot be shown equal
stay Keras with the reason.
"""

from __future__ import annotations

import contextlib
import io
import os
import textwrap

import pytest
from program_text import tf_, user_code

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SOURCE = textwrap.dedent("""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(8, 8, 3))
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    residual = x
    x = layers.Conv2D(6, 3, padding="same")(x)
    residual = layers.Conv2D(6, 1)(residual)
    x = layers.add([x, residual])
    print("fragment:", x.shape)

    inputs = keras.Input(shape=(8, 8, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)

    def residual_block(x, filters, pooling=False):
        residual = x
        x = layers.Conv2D(filters, 3, padding="same")(x)
        if pooling:
            x = layers.MaxPooling2D(2, padding="same")(x)
            residual = layers.Conv2D(filters, 1, strides=2)(residual)
        elif filters != residual.shape[-1]:
            residual = layers.Conv2D(filters, 1)(residual)
        return layers.add([x, residual])

    x = residual_block(x, 4, pooling=True)
    for size in [4, 8]:
        residual = x
        x = layers.BatchNormalization()(x)
        x = layers.Conv2D(size, 3, padding="same")(x)
        residual = layers.Conv2D(size, 1)(residual)
        x = layers.add([x, residual])
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs=inputs, outputs=outputs)


    class Builder:
        def __init__(self, size):
            self.size = size
            self.patch, self.model = self.build()

        def build(self):
            image = keras.Input(shape=(self.size, self.size, 3), name="image")
            mask = keras.Input(shape=(self.size, self.size, 1), name="mask")
            x = layers.Concatenate()([image, mask])
            x = layers.Conv2D(5, 3, strides=2, padding="same")(x)
            patch = x.shape[1]
            channels = int(x.shape[-1])
            grid = tuple(x.shape[1:3])
            out = layers.Conv2D(1, 3, padding="same")(x)
            model = keras.Model([image, mask], [out, x])
            print("grid:", grid, channels, len(x.shape))
            return patch, model


    def build_head(width):
        inputs = keras.Input(shape=(4,))
        model = layers.Dense(width, name="trunk")
        x = model(inputs)
        model = keras.Model(inputs, layers.Dense(2)(x))
        print("weights:", len(model.weights))
        return model


    builder = Builder(8)
    head = build_head(3)
    """)


def test_the_graphs_translate() -> None:
    out, diags = tf_(SOURCE)
    code = user_code(out)
    assert "keras" not in code, diags
    assert "def graph_fragment():\n    inputs = Input(shape=(8, 8, 3))\n" in code
    assert "def model_graph():\n" in code, "the graph takes nothing from outside (no `residual=residual`)"
    assert '        channels, grid, patch, x = model.traced("channels", "grid", "patch", "x")\n' in code
    assert "    def model_graph_2():\n        inputs = Input(shape=(4,))\n" in code
    assert "traced" not in code.partition("def build_head")[2]
    again, _ = tf_(out)
    assert again == out, "a second run changes nothing"


def test_a_name_a_loop_reads_before_binding_it_is_still_taken_from_outside() -> None:
    """The precise reading must not drop a name the loop does read first: ``scale`` starts
    from its value before the graph on every run."""
    src = SOURCE.replace("for size in [4, 8]:\n    residual = x\n",
                         "for size in [4, 8]:\n    scale = scale + 1\n    residual = x\n")
    src = src.replace("\ninputs = keras.Input(shape=(8, 8, 3))\nx = layers.Rescaling",
                      "\nscale = 2\ninputs = keras.Input(shape=(8, 8, 3))\nx = layers.Rescaling")
    assert src.count("scale") == 3
    out, diags = tf_(src)
    code = user_code(out)
    assert "keras" not in code, diags
    assert "def model_graph(scale=scale):\n" in code


@pytest.mark.parametrize("change, why", [
    # a TensorShape is not Keras's tuple: a shape itself is not a plain value
    ("        grid = tuple(x.shape[1:3])\n", "        grid = x.shape\n"),
    # a shape dimension taken by a name: not shown to be static
    ("        patch = x.shape[1]\n", "        patch = x.shape[self.size // 8]\n"),
])
def test_what_cannot_be_shown_equal_stays_keras(change: str, why: str) -> None:
    src = SOURCE.replace(change, why)
    assert src != SOURCE
    out, diags = tf_(src)
    assert any("XL301" in d and ("symbolic input outside any model graph" in d or "is used after it" in d)
               for d in diags), diags
    assert "keras.Input" in user_code(out)


@pytest.mark.tf
def test_the_translation_computes_like_keras() -> None:
    """Same printed shapes and values; with the same perturbed weights, the same outputs
    (tolerance 1e-5 absolute and relative)."""
    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, diags = tf_(SOURCE)
    assert "keras" not in user_code(out), diags
    runs = []
    for source, name in ((SOURCE, "__graph_values_keras__"), (out, "__graph_values_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            runs.append((_exec(source, name), buffer.getvalue()))
    (keras_ns, keras_printed), (tf_ns, tf_printed) = runs
    assert type(tf_ns["model"]).__module__ == "__graph_values_tf__" != type(keras_ns["model"]).__module__
    assert keras_printed == tf_printed
    assert "fragment: (None, 6, 6, 6)" in tf_printed and "grid: (4, 4) 5 4" in tf_printed
    assert tf_ns["builder"].patch == keras_ns["builder"].patch == 4
    rng = np.random.default_rng(3)
    worst = 0.0
    for seed, (key, inputs) in enumerate((
            ("model", [rng.uniform(0, 255, (2, 8, 8, 3)).astype("float32")]),
            ("builder", [rng.standard_normal((2, 8, 8, 3)).astype("float32"),
                         rng.standard_normal((2, 8, 8, 1)).astype("float32")]),
            ("head", [rng.standard_normal((2, 4)).astype("float32")]))):
        original, translated = keras_ns[key], tf_ns[key]
        if key == "builder":
            original, translated = original.model, translated.model
        assert len(original.weights) == len(translated.weights) > 0
        moved = perturbed(original.get_weights(), seed=seed)
        original.set_weights(moved)
        translated.set_weights(moved)
        x = inputs if len(inputs) > 1 else inputs[0]
        for training in (False, True):
            diff, close = _compare(original(x, training=training), translated(x, training=training))
            assert close, (key, training, diff)
            worst = max(worst, diff)
    print(f"worst difference {worst:.2e} (tolerance 1e-5)")


IMPORT_AFTER = textwrap.dedent("""
    import sys
    import keras
    from keras import layers

    inputs = keras.Input(shape=(4,))
    output = layers.Dense(2)(inputs)
    model = keras.Model(inputs, output)
    if "google.colab" in sys.modules:
        from google.colab import output
        output.serve_kernel_port_as_window(6006)
    """)


def test_an_import_rebinding_a_graph_name_is_not_a_read_of_it() -> None:
    out, diags = tf_(IMPORT_AFTER)
    assert "keras" not in user_code(out), diags
    assert "traced" not in user_code(out)
    # read before the import rebinds it: the graph tensor itself is used
    src = IMPORT_AFTER.replace("    from google.colab import output\n    output.serve_kernel_port_as_window(6006)\n",
                               "    output.serve_kernel_port_as_window(6006)\n    from google.colab import output\n")
    assert src != IMPORT_AFTER
    out, diags = tf_(src)
    assert any("`output`, made while building the model, is used after it" in d for d in diags), diags


IN_WITH = textwrap.dedent("""
    import tensorflow as tf
    import keras
    from keras import layers

    with tf.device("/CPU:0"):
        inputs = keras.Input(shape=(4,))
        dense = layers.Dense(3)
        hidden = dense(inputs)
        width = hidden.shape[-1]
        model = keras.Model(inputs, layers.Dense(2)(hidden))
    print(width, len(dense.weights))
    """)


def test_a_graph_inside_a_with_block_binds_what_is_read_after_it() -> None:
    out, diags = tf_(IN_WITH)
    code = user_code(out)
    assert "keras" not in code, diags
    assert '    dense, width = model.traced("dense", "width")\nprint(width, len(dense.weights))\n' in code
    # a context manager that may swallow an exception: the names may not be bound after it
    out, diags = tf_(IN_WITH.replace('tf.device("/CPU:0")', "contextlib.suppress(ValueError)"))
    assert any("is used after it" in d for d in diags), diags


@pytest.mark.tf
def test_a_graph_inside_a_with_block_computes_like_keras() -> None:
    """Same printed values; the same outputs with the same perturbed weights (1e-5)."""
    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, _ = tf_(IN_WITH)
    runs = []
    for source, name in ((IN_WITH, "__in_with_keras__"), (out, "__in_with_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            runs.append((_exec(source, name), buffer.getvalue()))
    (keras_ns, keras_printed), (tf_ns, tf_printed) = runs
    assert keras_printed == tf_printed == "3 2\n"
    assert type(tf_ns["model"]).__module__ == "__in_with_tf__"
    moved = perturbed(keras_ns["model"].get_weights(), seed=7)
    keras_ns["model"].set_weights(moved)
    tf_ns["model"].set_weights(moved)
    x = np.random.default_rng(8).standard_normal((3, 4)).astype("float32")
    diff, close = _compare(keras_ns["model"](x), tf_ns["model"](x))
    assert close, diff
    assert tf_ns["dense"] is tf_ns["model"].layers[1]
    print(f"worst difference {diff:.2e} (tolerance 1e-5)")


# a stage loop over literal widths binds the last stage's tensor and width, read after the model
# (an architecture notebook printing the last stage): the loop surely runs, so the graph always
# binds them, and they come back from the traced run (it was refused: "does not always bind it")
STAGES = textwrap.dedent("""
    import keras
    from keras import layers


    def build():
        inp = keras.Input((4,))
        x = inp
        for units in [8, 6]:
            features = layers.Dense(units, activation="relu")(x)
            x = layers.BatchNormalization()(features)
        for i in range(2):
            last = layers.Dense(5 - i)(x)
        model = keras.Model(inp, layers.Dense(2)(last))
        print("last stage:", features.shape, units, i, last.shape)
        return model


    model = build()
    """)


def test_names_a_loop_over_literals_binds_are_bound_after_the_model() -> None:
    out, diags = tf_(STAGES)
    code = user_code(out)
    assert "keras" not in code, diags
    assert '    features, i, last, units = model.traced("features", "i", "last", "units")\n' in code, code


@pytest.mark.parametrize("change", [
    ("for units in [8, 6]:", "for units in sizes:"),  # the loop may not run
    ("for i in range(2):", "for i in range(0):"),  # it does not run
    ("        last = layers.Dense(5 - i)(x)\n", "        last = layers.Dense(5 - i)(x)\n        break\n"),
])
def test_names_a_loop_may_not_bind_still_keep_the_model(change: tuple[str, str]) -> None:
    src = STAGES.replace(*change).replace("def build():", "def build(sizes=(8, 6)):")
    assert src != STAGES.replace("def build():", "def build(sizes=(8, 6)):")
    out, diags = tf_(src)
    assert any("and the graph does not always bind it" in d for d in diags), diags
    assert "keras.Model" in user_code(out)


@pytest.mark.tf
def test_names_a_loop_over_literals_binds_compute_like_keras() -> None:
    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, _ = tf_(STAGES)
    runs = []
    for source, name in ((STAGES, "__graph_stages_keras__"), (out, "__graph_stages_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            runs.append((_exec(source, name), buffer.getvalue()))
    (keras_ns, keras_printed), (tf_ns, tf_printed) = runs
    assert keras_printed == tf_printed == "last stage: (None, 6) 6 1 (None, 4)\n"
    original, translated = keras_ns["model"], tf_ns["model"]
    moved = perturbed(original.get_weights(), seed=2)
    original.set_weights(moved)
    translated.set_weights(moved)
    x = np.random.default_rng(4).standard_normal((3, 4)).astype("float32")
    for training in (False, True):
        diff, close = _compare(original(x, training=training), translated(x, training=training))
        assert close, (training, diff)
    print(f"worst difference {diff:.2e} (tolerance 1e-5)")
