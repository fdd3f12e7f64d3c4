"""A preprocessing layer adapted while its model's graph is built (issue #13).

Structured-data tutorials adapt a ``Normalization`` (or a lookup) between the ``Input``
and the ``keras.Model`` statement, or in a helper (``get_normalization_layer(name, ds)``) the
graph calls. The program form moves those statements into the graph function, which runs once
(traced) when the model is made and again on every call. Keras adapts once, before the model
exists. So:

- the runtime adapts once, eagerly, when the model is made, and a call of the model (a replay
  of the graph function, which gets the same layer back) does not adapt again: it used to
  recompute the statistics from the data on every call, overwriting weights set since (a
  ``set_weights`` from the Keras model, a ``load_weights``);
- data the graph itself makes (a ``dataset.map(...)`` in the helper) exists only in the traced
  construction and cannot be read eagerly: such a model stayed Keras, with the reason (it used
  to be translated and crash when the model was made). Since 2026-12-07 a pipeline made only
  from values the graph does not make (a dataset the helper is given, a feature name) is made
  eagerly, as Keras made it (``eagerly(lambda: dataset.map(...))``); the model is translated
  (tests/test_program_adapt_pipelines.py executes such programs). Data made from the graph's
  own tensors still keeps the model.

Executed both ways; tolerance ``1e-5 * max(1, |keras|)``; the worst difference is printed.
"""

from __future__ import annotations

import os
import textwrap

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerastf_xlate.totf import translate

ADAPT_IN_GRAPH = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras import layers

    data = np.random.default_rng(0).normal(size=(64, 3)).astype("float32") * 3 + 1
    columns = {"age": np.abs(data[:, 0]) * 10, "fare": np.abs(data[:, 1]) * 7}
    inputs = tf.keras.Input(shape=(3,))
    age = tf.keras.Input(shape=(1,))
    norm = layers.Normalization()
    norm.adapt(data)
    age_norm = layers.Normalization(axis=None)
    age_norm.adapt(np.concatenate([v for _, v in sorted(columns.items())]))
    x = layers.Concatenate()([norm(inputs), age_norm(age)])
    outputs = layers.Dense(2)(x)
    model = tf.keras.Model([inputs, age], outputs)
    """)

ADAPT_IN_HELPER = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(({"a": np.ones((8, 1), "float32")}, np.ones(8))).batch(4)


    def get_normalization_layer(name, dataset):
        normalizer = tf.keras.layers.Normalization(axis=None)
        normalizer.adapt(dataset.map(lambda x, y: x[name]))
        return normalizer


    col = tf.keras.Input(shape=(1,), name="a")
    encoded = get_normalization_layer("a", ds)(col)
    model = tf.keras.Model({"a": col}, tf.keras.layers.Dense(1)(encoded))
    """)


def test_a_pipeline_the_graph_makes_from_outside_values_for_adapt_is_made_eagerly() -> None:
    out, diags = translate(ADAPT_IN_HELPER, "m.py")
    assert "normalizer.adapt(eagerly(lambda: dataset.map(lambda x, y: x[name])))" in out, diags
    assert not any("adapts a layer" in d.message for d in diags), diags


def test_data_the_graph_makes_from_its_own_tensors_for_adapt_keeps_the_model_keras() -> None:
    """A helper given another of the graph's tensors builds its data from it: symbolic in the
    graph function, no data to adapt on, so the model stays Keras with the reason."""
    source = ADAPT_IN_HELPER.replace("def get_normalization_layer(name, dataset):", "def get_normalization_layer(name, dataset, other):") \
        .replace("normalizer.adapt(dataset.map(lambda x, y: x[name]))", "normalizer.adapt(other * 2.0)") \
        .replace('get_normalization_layer("a", ds)(col)', 'get_normalization_layer("a", ds, col)(col)')
    out, diags = translate(source, "m.py")
    assert out == source
    assert [(d.code, d.line) for d in diags if "adapts a layer while the model's graph is built" in d.message] \
        == [("XL301", 9)], diags
    assert "(in `get_normalization_layer`)" in next(d.message for d in diags if d.line == 9)


@pytest.mark.tf
def test_a_layer_adapted_in_the_graph_is_adapted_once_and_keeps_the_weights_set_since() -> None:
    import keras
    import numpy as np
    import tensorflow as tf
    from runtime_ns import perturbed
    from test_runtime_training import close

    out, diags = translate(ADAPT_IN_GRAPH, "m.py")
    assert "model = Model(" in out and "layers." not in out.rpartition("# --- end")[2], diags
    namespaces = []
    for source, name in ((ADAPT_IN_GRAPH, "__adapt_keras__"), (out, "__adapt_tf__")):
        namespace: dict = {"__name__": name}
        exec(compile(source, f"{name}.py", "exec"), namespace)
        namespaces.append(namespace)
    original, translated = namespaces[0]["model"], namespaces[1]["model"]
    assert isinstance(translated, tf.Module) and not isinstance(translated, keras.layers.Layer)
    rng = np.random.default_rng(2)
    x = [rng.normal(size=(5, 3)).astype("float32"), rng.uniform(0, 30, (5, 1)).astype("float32")]
    # adapted as Keras adapted: the same statistics give the same outputs
    translated.set_weights(original.get_weights())
    worst = close(original(x).numpy(), translated(x).numpy(), "adapted")
    # adapted once: the data changed since does not reach a later call (a replay of the graph
    # function); the layer's statistics stay those of the construction, as Keras's
    for namespace in namespaces:
        namespace["data"] *= 3.0
    for _ in range(2):
        worst = max(worst, close(original(x).numpy(), translated(x).numpy(), "after the data changed"))
    close(original.get_weights(), translated.get_weights(), "weights after the calls")
    # the weights moved into the translation are what it computes with (a Keras Normalization
    # keeps computing with the statistics it adapted: set_weights does not reach them)
    moved = perturbed(original.get_weights(), seed=3)
    translated.set_weights(moved)
    translated(x)
    close(moved, translated.get_weights(), "moved weights after a call")
    print(f"worst |tf - keras| = {worst:.3g}")
