"""A later model on an earlier model's graph names that also reads tensors of that model's
layers (docs/design.md, "A later model on some of an earlier graph's Inputs"; issue #13).

A book's "adding an output to a functional model": ``features = model.layers[4].output``,
a new head on it, and ``keras.Model(inputs=[title, body], outputs=[priority, department,
difficulty])`` on the earlier graph's Inputs and output names. In Keras all of these are
tensors of one graph: the new model holds only the nodes its outputs need, each once. The
translation gives the earlier graph's names and its layers' tensors from one replay of its
nodes, as far as they need; a node before the cut that the new model does not need runs with
its effects undone.

The execution test runs a Keras script and its translation: weights perturbed (biases and
BatchNormalization statistics away from their initial values, in each model's own
``get_weights()`` order, so a wrong order puts values in the wrong places or fails on a
shape); outputs in inference and in training; BatchNormalization statistics after each
training call (a layer past the cut must not update, one in the sub-model must, and a node
run twice would update twice). Tolerance: ``1e-5 * (1 + max |keras|)`` per array; the worst
difference is printed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

SCRIPT = script_head(11) + textwrap.dedent("""\
    title = keras.Input(shape=(6,), name="title")
    body = keras.Input(shape=(5,), name="body")
    t_proj = layers.Dense(3, name="t_proj")(title)
    joined = layers.Concatenate(name="cat")([t_proj, body])
    h = layers.Dense(8, activation="relu", name="dense_features")(joined)
    h = layers.BatchNormalization(name="bn")(h)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(h)
    tail = layers.BatchNormalization(name="bn_tail")(layers.Dense(4, name="pre_dept")(h))
    department = layers.Dense(3, activation="softmax", name="department")(tail)
    model = keras.Model(inputs=[title, body], outputs=[priority, department], name="tickets")
    moved(model)

    # a new output on a hidden layer, beside the earlier outputs (a layer found by position)
    features = model.layers[4].output
    difficulty = layers.Dense(2, activation="softmax", name="difficulty")(features)
    new_model = keras.Model(inputs=[title, body], outputs=[priority, department, difficulty])
    moved(new_model)

    # only the earlier Inputs and a layer's output: `bn_tail` is past the cut
    probe = keras.Model([title, body], layers.Dense(2, name="probe_head")(model.get_layer("bn").output))
    moved(probe)

    # a layer's input (the tensors its first call took) and an output of the earlier model
    layer = model.get_layer("department")
    pre = keras.Model([title, body], [priority, layer.input, model.outputs[1]])

    # on one of the two Inputs: a name of the earlier graph and its layer's output, both from
    # the title branch (a layer past the join needs `body`: DISCONNECTED below)
    title_only = keras.Model(title, [t_proj, layers.Dense(2, name="t_head")(model.get_layer("t_proj").output)])
    moved(title_only)

    # several layers' outputs, by a comprehension over the earlier model's layers
    taps = keras.Model([title, body], {tap.name: tap.output for tap in model.layers[3:6]})

    x = [rng.standard_normal((4, 6)).astype("float32"), rng.standard_normal((4, 5)).astype("float32")]
    stats = lambda: {n: arrays(model.get_layer(n).moving_mean) for n in ("bn", "bn_tail")}
    report = {"before": stats()}
    for name, m in [("new_model", new_model), ("probe", probe), ("pre", pre), ("taps", taps)]:
        report[name] = {
            "layers": [layer.name for layer in m.layers],
            "weights": [list(w.shape) for w in m.get_weights()],
            "inference": arrays(m(x)),
            "training": arrays(m(x, training=True)),
            "after": stats(),
        }
    report["title_only"] = {"layers": [layer.name for layer in title_only.layers],
                            "inference": arrays(title_only(x[0])), "training": arrays(title_only(x[0], training=True))}
    report["predict"] = arrays(new_model.predict(x, verbose=0))
    json.dump(report, open(OUT, "w"))
    """)


def test_later_models_reading_an_earlier_models_layers_translate() -> None:
    out, diags = tf_(SCRIPT)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras.Model" not in code and "layers." not in code, diags
    assert ("def new_model_graph(body=body, department=department, model=model, priority=priority, title=title):\n"
            "    features = model.layers[4].output\n") in code
    assert "def probe_graph(body=body, model=model, title=title):\n" in code


@pytest.mark.tf
def test_later_models_reading_an_earlier_models_layers_run_as_keras_ones(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    # the test reads what it means to: Keras runs `bn` once per training call of new_model,
    # and never `bn_tail` for the probe (past its cut)
    assert keras_report["new_model"]["after"]["bn"] != keras_report["before"]["bn"]
    assert keras_report["probe"]["after"]["bn_tail"] == keras_report["new_model"]["after"]["bn_tail"]
    assert keras_report["probe"]["after"]["bn"] != keras_report["new_model"]["after"]["bn"]
    assert "bn_tail" not in keras_report["probe"]["layers"] and "difficulty" in keras_report["new_model"]["layers"]
    assert len(keras_report["pre"]["inference"]) == 3
    assert keras_report["title_only"]["layers"] == ["title", "t_proj", "t_head"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"worst difference {worst:.2e}")


@pytest.mark.tf
def test_a_layer_past_the_inputs_taken_is_a_disconnected_graph_both_ways(tmp_path: Path) -> None:
    """``keras.Model(title, model.get_layer("cat").output)``: the join needs ``body``, an Input
    the model does not take; Keras raises ``ValueError`` building it, and so does the
    translation (not a model on made-up inputs)."""
    script = SCRIPT.partition("# a new output on a hidden layer")[0] + (
        'broken = keras.Model(title, layers.Dense(2)(model.get_layer("cat").output))\n')
    translated, diags = tf_(script)
    assert BANNER in translated and "def broken_graph(model=model, title=title):" in translated, diags
    for name, text in (("keras_run", script), ("tf_run", translated)):
        (tmp_path / f"{name}.py").write_text(f"OUT = {name!r} + '.json'\n" + text)
        proc = subprocess.run([sys.executable, f"{name}.py"], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode != 0 and "ValueError" in proc.stderr, (name, proc.stderr[-2000:])


BUILDER = script_head(5) + textwrap.dedent("""\
    class TinyResNet:
        \"\"\"A plain class building a functional model in its ``__call__``, with helper methods.\"\"\"

        def __init__(self, width=4):
            self.width = width

        def block(self, x, filters):
            skip = x
            x = layers.Conv2D(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.Add()([x, skip])
            return layers.Activation("relu")(x)

        def __call__(self, shape=(8, 8, 3)):
            x_input = layers.Input(shape)
            x = layers.Conv2D(self.width, 3, padding="same")(x_input)
            for _ in range(2):
                x = self.block(x, self.width)
            x = layers.GlobalAveragePooling2D()(x)
            return keras.Model(inputs=x_input, outputs=x, name="tiny")

    class Factory:
        def build(self, units):
            inputs = keras.Input(shape=(5,))
            return keras.Model(inputs, layers.Dense(units, name="proj")(inputs))

    def build_twin():
        net = TinyResNet(width=4)()
        last = net.layers[-1].output
        x = layers.Dense(6, name="projector")(last)
        x = layers.BatchNormalization(name="projector_bn")(x)
        return keras.Model(net.input, x)

    twin = build_twin()
    moved(twin)
    made = Factory().build(3)
    moved(made)
    widened = keras.Model(made.input, layers.Dense(2, name="extra")(made.get_layer("proj").output))
    moved(widened)

    images = rng.standard_normal((2, 8, 8, 3)).astype("float32")
    rows = rng.standard_normal((2, 5)).astype("float32")
    json.dump({
        "twin": arrays(twin(images)), "twin_training": arrays(twin(images, training=True)),
        "twin_layers": [layer.name for layer in twin.layers],
        "twin_weights": [list(w.shape) for w in twin.get_weights()],
        "widened": arrays(widened(rows)),
    }, open(OUT, "w"))
    """)


def test_a_model_on_a_model_a_builder_class_makes_translates() -> None:
    """``resnet = ResNet34()()`` (a plain class's ``__call__`` returning a functional model),
    ``Factory().build(3)``: the source of a model on part of its graph is a translated model."""
    out, diags = tf_(BUILDER)
    assert BANNER in out and "keras.Model" not in user_code(out), diags
    assert "    def build_twin_graph(net=net):\n" in user_code(out)


@pytest.mark.tf
def test_a_model_on_a_model_a_builder_class_makes_runs_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(BUILDER)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, BUILDER, translated)
    assert "projector_bn" in keras_report["twin_layers"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"worst difference {worst:.2e}")


KERAS2_LOSS = textwrap.dedent("""\
    import keras
    import tensorflow as tf
    from keras import layers

    inputs = keras.Input(shape=(4,))
    mean = layers.Dense(2)(inputs)
    log_var = layers.Dense(2)(inputs)
    vae = keras.Model(inputs, [mean, log_var])
    latent_loss = -0.5 * tf.reduce_sum(1 + log_var - tf.exp(log_var) - tf.square(mean), axis=-1)
    vae.add_loss(tf.reduce_mean(latent_loss))
    """)


def test_a_graph_tensor_given_to_a_tensorflow_function_after_its_model_is_said_to_fail_in_keras3() -> None:
    """A Keras 2 VAE's latent loss written with ``tf`` functions on the encoder's graph tensors,
    after the model: kept, and the reason says Keras 3 itself raises there."""
    out, diags = tf_(KERAS2_LOSS)
    assert out == KERAS2_LOSS
    assert any("`log_var`, made while building the model, is used after it" in d and "`tf.reduce_sum` on it" in d
               and "Keras 3 itself raises" in d for d in diags), diags
    # not said of a Keras API under `tf.` (`tf.keras.layers.Dense()(h)` works on a KerasTensor)
    other = KERAS2_LOSS.replace("latent_loss = -0.5 * tf.reduce_sum(1 + log_var - tf.exp(log_var) - tf.square(mean), axis=-1)\n"
                                "vae.add_loss(tf.reduce_mean(latent_loss))\n", "extra = tf.keras.layers.Dense(1)(log_var)\n")
    _, diags = tf_(other)
    assert any("`log_var`, made while building the model, is used after it" in d for d in diags), diags
    assert not any("Keras 3 itself raises" in d for d in diags), diags


@pytest.mark.tf
def test_keras3_raises_on_that_graph_tensor(tmp_path: Path) -> None:
    """What the reason says, checked on Keras: the original raises ``ValueError`` (KerasTensor)."""
    (tmp_path / "k.py").write_text(KERAS2_LOSS)
    proc = subprocess.run([sys.executable, "k.py"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "ValueError" in proc.stderr and "KerasTensor" in proc.stderr, proc.stderr[-2000:]


HEADER = "import keras\nfrom keras import layers\n"
EARLIER = ("inputs = keras.Input(shape=(3,))\nh = layers.Dense(4, name='h')(inputs)\n"
           "out = layers.Dense(1)(h)\nmodel = keras.Model(inputs, out)\n")


@pytest.mark.parametrize("src, why", [
    # an earlier name computed between layers: no node gives it, so no replay can
    (EARLIER.replace("out = layers.Dense(1)(h)", "out = layers.Dense(1)(h) * 2.0")
     + "extra = layers.Dense(2)(model.layers[1].output)\nnew_model = keras.Model(inputs, [out, extra])\n",
     "its graph reads `model.layers[1].output`, a graph tensor of a layer or model the translator does not follow"),
    # another model's layer: the graph takes the earlier graph's names, not that model's
    (EARLIER + "other = keras.Model(inputs, layers.Dense(2, name='o')(inputs))\n"
     "extra = layers.Dense(2)(other.get_layer('o').output)\nnew_model = keras.Model(inputs, [out, extra])\n",
     "its graph reads `other.get_layer('o').output`"),
    # the earlier model rebound before the later one: which model's layers, is not the graph's
    (EARLIER + "model = keras.Sequential([layers.Dense(2)])\n"
     "extra = layers.Dense(2)(model.layers[0].output)\nnew_model = keras.Model(inputs, [out, extra])\n",
     "its graph reads `model.layers[0].output`"),
    # a name bound to one of its layers, then to another layer: which layer, is not known
    (EARLIER + "layer = model.get_layer('h')\nlayer = layers.Dense(2)\n"
     "extra = layers.Dense(2)(layer.output)\nnew_model = keras.Model(inputs, [out, extra])\n",
     "its graph reads `layer.output`"),
    # a builder class with a base class: which method runs is not read from the file
    ("class Maker(Base):\n    def __call__(self):\n        i = keras.Input(shape=(3,))\n"
     "        return keras.Model(i, layers.Dense(2, name='d')(i))\n\n"
     "net = Maker()()\nprobe = keras.Model(net.input, net.get_layer('d').output)\n",
     "`net` is bound by `net = Maker()()`, not a translated functional model"),
])
def test_what_stays_keras(src: str, why: str) -> None:
    src = HEADER + src
    out, diags = tf_(src)
    assert BANNER not in out and out == src, "kept byte for byte"
    assert any(why in d for d in diags), diags
