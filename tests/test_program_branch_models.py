"""Models built in the branches of an ``if`` on graph statements made before it (issue #13;
docs/design.md, "Models built in the branches of an `if`").

A library's compiled builder and many tutorials build a shared trunk, then choose the head in
an ``if``, each branch ending in its own ``keras.Model(input_layer, output_layer)`` and
``compile``; the names are read again after the ``if`` (``input_layer.shape``). The graph
before the ``if`` becomes a part function where it stands; each branch's graph function calls
it first. Our own builders in that shape, executed both ways: every branch's model built with
Keras and translated, weights perturbed and moved, outputs compared in inference and after a
training step (tolerance ``1e-5 * (1 + max |keras|)`` per array; the worst difference is
printed); the lines the builder prints compared too.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

BUILDER = textwrap.dedent("""\
    def compiled(num_classes, regression=False, width=6):
        width = width + 2
        input_layer = keras.Input(shape=(5, 3))
        x = layers.Conv1D(width, 2, padding="causal", activation="relu")(input_layer)
        x = layers.BatchNormalization()(x)
        x = layers.GlobalAveragePooling1D()(x)
        print("x.shape=", x.shape)

        def get_opt():
            return keras.optimizers.Adam(0.01)

        if not regression:
            width = 100  # not the trunk's width: the trunk reads it before the `if`
            x = layers.Dense(num_classes)(x)
            x = layers.Activation("softmax")(x)
            output_layer = x
            model = keras.Model(input_layer, output_layer)
            model.compile(get_opt(), loss="sparse_categorical_crossentropy")
        else:
            x = layers.Dense(1)(x)
            output_layer = x
            model = keras.Model(input_layer, output_layer)
            model.compile(get_opt(), loss="mse")
        print("model.x =", input_layer.shape, "model.y =", output_layer.shape)
        return model


    """)

# an `elif` chain, a branch whose model statement comes first (no statement of its own)
CHAIN = textwrap.dedent("""\
    def heads(kind):
        inputs = keras.Input(shape=(4,))
        h = layers.Dense(6, activation="tanh")(inputs)
        if kind == "plain":
            model = keras.Model(inputs, h)
        elif kind == "two":
            out = layers.Dense(2)(h)
            model = keras.Model(inputs, out)
        else:
            model = keras.Model(inputs, layers.Dense(3)(layers.Dropout(0.5)(h)))
        return model


    """)

RUN = textwrap.dedent("""\
    rng2 = np.random.default_rng(7)
    report = {}
    for regression in (False, True):
        m = compiled(4, regression=regression)
        moved(m)
        x = rng2.standard_normal((6, 5, 3)).astype("float32")
        y = rng2.integers(0, 4, (6,)) if not regression else rng2.standard_normal((6, 1)).astype("float32")
        report[str(regression)] = {"weights": [list(w.shape) for w in m.get_weights()], "before": arrays(m(x)),
                                   "loss": float(np.asarray(m.train_on_batch(x, y))), "after": arrays(m(x))}
    for kind in ("plain", "two", "other"):
        m = heads(kind)
        moved(m)
        x = rng2.standard_normal((3, 4)).astype("float32")
        report[kind] = {"weights": [list(w.shape) for w in m.get_weights()], "out": arrays(m(x))}
    json.dump(report, open(OUT, "w"))
    """)

SCRIPT = script_head(3) + BUILDER + CHAIN + RUN


def test_the_graph_before_the_if_becomes_a_part() -> None:
    out, diags = tf_(SCRIPT)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras.Model" not in code and "layers." not in code, diags
    assert ("    width = width + 2\n    def compiled_graph_part1(width=width):\n"
            "        input_layer = Input(shape=(5, 3))\n") in code, code
    assert '        print("x.shape=", x.shape)\n        return input_layer, x\n\n    def get_opt():\n' in code
    assert ("        def model_graph():\n            input_layer, x = compiled_graph_part1()\n"
            "            x = Dense(num_classes)(x)\n") in code
    assert '        input_layer, output_layer = model.traced("input_layer", "output_layer")\n' in code
    assert "        def model_graph_2():\n            h, inputs = heads_graph_part1()\n            return inputs, h\n" in code
    assert tf_(out)[0] == out  # a second run changes nothing


@pytest.mark.tf
def test_each_branch_model_runs_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert "keras.Model" not in user_code(translated), diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    # the test reads what it means to: each branch built its own head, and training moved it
    assert keras_report["True"]["weights"][-1] == [1] and keras_report["False"]["weights"][-1] == [4]
    assert [len(keras_report[k]["weights"]) for k in ("plain", "two", "other")] == [2, 4, 4]
    assert keras_report["True"]["before"] != keras_report["True"]["after"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"worst difference {worst:.2e}")


@pytest.mark.tf
def test_the_builder_prints_the_same_lines(tmp_path: Path) -> None:
    script = script_head(3) + BUILDER + "compiled(3)\ncompiled(3, regression=True)\njson.dump({}, open(OUT, 'w'))\n"
    translated, _ = tf_(script)
    assert "keras.Model" not in user_code(translated)
    import subprocess
    import sys

    printed = []
    for name, text in (("k.py", script), ("t.py", translated)):
        (tmp_path / name).write_text("OUT = 'o.json'\n" + text)
        proc = subprocess.run([sys.executable, name], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        printed.append([ln for ln in proc.stdout.splitlines() if ln.startswith(("x.shape", "model.x"))])
    assert printed[0] == printed[1] and len(printed[0]) == 4, printed


@pytest.mark.parametrize("change, why", [
    # an Input made only under a condition before the `if`
    (("    x = layers.BatchNormalization()(x)\n",
      "    x = layers.BatchNormalization()(x)\n    if width > 7:\n        extra = keras.Input(shape=(1,))\n"),
     "makes an `Input` inside the model's graph that the model does not take"),
    # a name of the graph before the `if` read by a branch that builds no model
    (("    if not regression:\n", "    if num_classes == 0:\n        print(x)\n    elif not regression:\n"),
     "is read outside the models' graphs"),
    # read after the `if` while a branch builds no model (it would be unbound on that path)
    (("    else:\n        x = layers.Dense(1)(x)\n        output_layer = x\n"
      "        model = keras.Model(input_layer, output_layer)\n        model.compile(get_opt(), loss=\"mse\")\n",
      "    else:\n        raise ValueError(regression)\n"),
     "is read outside the models' graphs"),
    # a model after the `if` on the same graph (it would take the statements into its own graph too)
    (('    print("model.x =", input_layer.shape, "model.y =", output_layer.shape)\n',
      '    probe = keras.Model(input_layer, layers.Dense(3)(input_layer))\n'),
     "after the `if`, is built on the same graph"),
    # one branch's graph unpacks a TensorFlow op on its tensors in Python (tf.keras 2's
    # TFOpLambda; a traced tensor cannot be unpacked): both models stay Keras
    (("        x = layers.Dense(1)(x)\n",
      "        x = layers.Dense(len([d for d in tf.shape(x)]) - 2)(x)\n"),
     "shared with a model of another branch"),
])
def test_what_stays_keras(change: tuple[str, str], why: str) -> None:
    old, new = change
    assert old in BUILDER, old
    builder = BUILDER.replace(old, new)
    out, diags = tf_(script_head(3) + "import tensorflow as tf\n" + builder)
    assert any(why in d for d in diags), diags
    assert "def compiled_graph_part1" not in out


def test_two_ifs_on_one_graph_stay_keras_whole() -> None:
    """Two `if`s each building a model on the same graph: neither's statements may move into a
    part the other's models also need (they stay Keras, said at both; nothing is half moved)."""
    src = textwrap.dedent("""\
        import keras
        from keras import layers


        def build(a, b):
            inp = keras.Input((4,))
            x = layers.Dense(3)(inp)
            if a:
                m1 = keras.Model(inp, layers.Dense(2)(x))
            else:
                m1 = None
            if b:
                m2 = keras.Model(inp, layers.Dense(1)(x))
            else:
                m2 = None
            return m1, m2
        """)
    out, diags = tf_(src)
    assert out == src
    assert not [d for d in diags if "internal" in d], diags
    assert any("after the `if`, is built on the same graph" in d for d in diags), diags
    assert any("the statements before it build the model at line 9" in d for d in diags), diags
