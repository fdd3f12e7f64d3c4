"""``keras.utils.plot_model`` / ``model_to_dot`` given a translated model (runtime
``tfr_plot.py``).

Book notebooks and tutorials draw every model they build; that call kept the model Keras
(XL303 "is given a translated model"). The translated diagram is compared with Keras's own
``model_to_dot`` through pydot (no Graphviz needed to build the graph): the same nodes with
the same labels, and the same edges, except that Keras draws its operations on KerasTensors
(``h * 2.0``) as nodes of their own, which the translation folds into the edge between the
layers around them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import run_both, tf_, user_code

MODELS = textwrap.dedent("""\
    import json
    import keras
    from keras import layers
    from keras.utils import plot_model

    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(6,))
    x = layers.Dense(8, activation="relu")(a)
    y = layers.Dense(8)(layers.Dense(5, activation="tanh")(b))
    z = layers.Concatenate()([x, y])
    two = keras.Model([a, b], layers.Dense(2, activation="softmax")(z))
    two.layers[2].trainable = False
    seq = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="swish"), layers.Dropout(0.1)])
    i = keras.Input(shape=(3,))
    h = layers.Dense(4)(i)
    ops = keras.Model(i, layers.Dense(2)(h * 2.0 + h))


    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)


    sub = Sub()
    sub(keras.ops.ones((1, 3)))
    """)

SCRIPT = MODELS + textwrap.dedent("""\


    def graph(model):
        dot = keras.utils.model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_names=True,
                                       show_layer_activations=True, show_trainable=True)
        labels = {n.get_name().strip('"'): n.get("label") for n in dot.get_nodes() if n.get("label") is not None}
        edges = {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in dot.get_edges()}
        # fold nodes that are not layers of the model (Keras's operations) into their edges
        kept = {str(id(layer)) for layer in getattr(model, "layers", [])} | {str(id(model))}
        for node in [n for n in labels if n not in kept]:
            into = {s for s, d in edges if d == node}
            out = {d for s, d in edges if s == node}
            edges = {(s, d) for s, d in edges if node not in (s, d)} | {(s, d) for s in into for d in out}
            del labels[node]
        return sorted(labels.values()), sorted((labels[s], labels[d]) for s, d in edges)


    json.dump({name: graph(m) for name, m in [("two", two), ("seq", seq), ("ops", ops), ("sub", sub)]},
              open(OUT, "w"))
    """)


def test_plot_model_and_model_to_dot_are_translated() -> None:
    out, diags = tf_(MODELS + 'plot_model(two, "two.png", show_shapes=True)\n'
                     'keras.utils.plot_model(seq, to_file="seq.png")\nprint(keras.utils.model_to_dot(ops))\n')
    code = user_code(out)
    assert 'plot_model(two, "two.png", show_shapes=True)' in code and "print(model_to_dot(ops))" in code, code
    assert "import keras" not in code and "from keras" not in code, code
    assert not [d for d in diags if d.startswith(("XL301", "XL303"))], diags


def _run_both(tmp_path: Path, script: str) -> tuple[dict, dict]:
    translated, diags = tf_(script)
    assert "import keras" not in user_code(translated), diags
    return run_both(tmp_path, script, translated)


@pytest.mark.tf
def test_the_translated_diagram_is_keras_s(tmp_path: Path) -> None:
    pytest.importorskip("pydot")
    keras_report, tf_report = _run_both(tmp_path, SCRIPT)
    assert len(keras_report["two"][0]) == 7 and len(keras_report["two"][1]) == 6  # the test reads a real graph
    assert any("Non-trainable" in label for label in keras_report["two"][0])
    for name in ("two", "seq", "ops", "sub"):
        assert tf_report[name] == keras_report[name], name


@pytest.mark.tf
def test_without_pydot_plot_model_fails_as_keras_does(tmp_path: Path) -> None:
    """Keras raises ImportError outside a notebook when pydot is missing (and prints the
    message in one): the translation says the same."""
    script = ("import sys\nfor m in ('pydot', 'pydot_ng', 'pydotplus'):\n    sys.modules[m] = None\n" + MODELS
              + textwrap.dedent("""\
                  try:
                      plot_model(two, "two.png")
                  except ImportError as e:
                      json.dump({"error": str(e)}, open(OUT, "w"))
                  """))
    keras_report, tf_report = _run_both(tmp_path, script)
    assert tf_report == keras_report and "pydot" in keras_report["error"]


@pytest.mark.parametrize("spelling", ["tensorflow.python.keras.utils.vis_utils", "keras.utils.vis_utils"])
def test_plot_model_from_vis_utils(spelling: str) -> None:
    # tf.keras 2's private module and Keras 2's: the same function (corpus24's course notebooks)
    source = textwrap.dedent(f"""\
        import tensorflow as tf
        from {spelling} import plot_model

        inputs = tf.keras.Input(shape=(4,))
        model = tf.keras.Model(inputs, tf.keras.layers.Dense(2)(inputs))
        plot_model(model, show_shapes=True, to_file="model.png")
        """)
    out, diags = tf_(source)
    assert "model = Model(model_graph)" in user_code(out), diags
    assert "vis_utils" not in user_code(out)
