"""A model on part of another model's graph (docs/design.md, "Graph fragments, model shapes,
and models on part of another model's graph"; issue #13).

``keras.Model(base.input, base.get_layer("x").output)``, ``[layer.output for layer in
base.layers]``, transfer learning's ``h = base.output; ...; keras.Model(base.input, h)``:
Keras runs only the nodes between the inputs and the outputs, sharing base's layers. The
translation replays base's graph function only as far as the new model needs: layers past the
cut do not run, a layer before the cut outside the sub-model runs with its effects undone.

The execution tests run a Keras script and its translation: weights perturbed (biases and
BatchNormalization statistics away from their initial values) and set through each model's
``set_weights(get_weights())`` in its own order (a wrong order puts values in the wrong
places, or fails on a shape); outputs in inference and in training; BatchNormalization
statistics after a training call (only the sub-model's layers update). Tolerance 1e-5;
the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

HEAD = script_head(7) + "import tensorflow as tf\n\n"

RESIDUAL = HEAD + textwrap.dedent("""\
    def build_model():
        inputs = keras.Input(shape=(6, 6, 3), name="img")
        x = layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
        s = layers.BatchNormalization(name="bn_short")(layers.Conv2D(4, 1, name="short")(x))
        y = layers.BatchNormalization(name="bn_y")(layers.Conv2D(4, 3, padding="same", name="c2")(x))
        z = layers.Add(name="add")([s, y])
        z = layers.BatchNormalization(name="bn_after")(z)
        outputs = layers.Dense(2, name="head")(layers.GlobalAveragePooling2D()(z))
        return keras.Model(inputs, outputs)

    def build_pair():
        a = keras.Input(shape=(4,), name="a")
        b = keras.Input(shape=(3,), name="b")
        h = layers.Dense(5, name="ha")(a)
        j = layers.Concatenate(name="cat")([h, b])
        return keras.Model([a, b], [layers.Dense(2, name="o1")(j), layers.Dense(1, name="o2")(h)])

    # models on part of a model their function is given, or reads from the module: followed to
    # the calls, which give translated models (Grad-CAM's `[model.inputs]`, a list of a list)
    def gradcam(img, model, conv_name):
        grad_model = keras.Model([model.inputs], [model.get_layer(conv_name).output, model.output])
        with tf.GradientTape() as tape:
            conv, preds = grad_model(img)
            top = preds[:, 1]
        grads = tape.gradient(top, conv)
        return {"conv": arrays(conv), "grads": arrays(grads), "layers": [layer.name for layer in grad_model.layers]}

    def embed(x):
        return arrays(keras.Model(model.input, model.get_layer("c2").output)(x))

    def probe_pair(m, xs):
        # Keras 3: `m.input` is the list of both Inputs, `m.output` the list of both outputs
        inner = keras.Model(inputs=m.input, outputs=[m.get_layer("cat").output, m.outputs[1]])
        only_a = keras.Model(m.inputs[0], m.get_layer("ha").output)
        # a node beside the cut (`cat`, on `b`) comes before the wanted one: not run in Keras
        o2_of_a = keras.Model(m.inputs[0], m.get_layer("o2").output)
        whole = keras.Model(m.input, m.output)
        try:
            keras.Model(m.inputs[0], m.get_layer("o1").output)  # needs `b`: graph disconnected
            disconnected = "built"
        except ValueError:
            disconnected = "ValueError"
        return {"inner": arrays(inner(xs)), "only_a": arrays(only_a(xs[0])), "whole": arrays(whole(xs)),
                "o2_of_a": arrays(o2_of_a(xs[0])), "o2_of_a_training": arrays(o2_of_a(xs[0], training=True)),
                "only_a_weights": [list(w.shape) for w in only_a.get_weights()], "disconnected": disconnected}

    model = build_model()
    moved(model)

    # feature extractors: one layer's output (the shortcut beside the cut is not in it), several
    features = keras.Model(model.input, model.get_layer("bn_y").output)
    names = ["c1", "bn_y", "add"]
    outs = [model.get_layer(n).output for n in names]
    multi = keras.Model(inputs=model.inputs, outputs=outs)
    every = keras.Model(model.inputs, {layer.name: layer.output for layer in model.layers[1:]})
    last = model.get_layer("add")
    pair = keras.Model(model.inputs, [last.output, model.output])
    # transfer learning on a cut of the graph
    h = model.get_layer("add").output
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dense(3, name="new_head")(h)
    transfer = keras.Model(model.input, h)
    moved(transfer)
    # a layer's input: the tensors its first call took (one; a list for a merge layer); the
    # layer itself does not run
    penultimate = keras.Model(model.input, model.get_layer("head").input)
    merge_inputs = keras.Model(model.inputs, model.get_layer("add").input)
    # on part of a model that is on part of another: the layers' first nodes are model's
    inner = keras.Model(transfer.input, transfer.get_layer("c2").output)
    both = keras.Model(transfer.inputs, [transfer.get_layer("bn_y").output, transfer.output])

    x = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    # Grad-CAM drops the classifier's activation first (`None` is linear, in Keras's layers too)
    model.get_layer("head").activation = None
    model.get_layer("c2").activation = None
    report = {"gradcam": gradcam(x, model, "c2"), "embed": embed(x)}
    if x.ndim == 4:  # a model bound in an enclosing block
        report["enclosing"] = arrays(keras.Model(model.input, model.get_layer("c1").output)(x))
    duo = build_pair()
    moved(duo)
    report["duo"] = probe_pair(duo, [rng.standard_normal((2, 4)).astype("float32"),
                                       rng.standard_normal((2, 3)).astype("float32")])
    for name, m in [("features", features), ("multi", multi), ("every", every), ("pair", pair),
                    ("penultimate", penultimate), ("merge_inputs", merge_inputs),
                    ("transfer", transfer), ("inner", inner), ("both", both)]:
        report[name] = {
            "layers": [layer.name for layer in m.layers],
            "weights": [list(w.shape) for w in m.get_weights()],
            "inference": arrays(m(x)),
        }
    stats = lambda: {n: model.get_layer(n).moving_mean.numpy().tolist() for n in ("bn_short", "bn_y", "bn_after")}
    before = stats()
    report["features"]["predict"] = arrays(features.predict(x, verbose=0))  # a traced call
    report["features"]["training"] = arrays(features(x, training=True))
    report["after_features"] = stats()
    report["merge_inputs"]["training"] = arrays(merge_inputs(x, training=True))
    report["after_merge_inputs"] = stats()
    report["transfer"]["training"] = arrays(transfer(x, training=True))
    report["after_transfer"] = stats()
    report["both"]["training"] = arrays(both(x, training=True))  # bn_y's node runs once
    report["after_both"] = stats()
    report["before"] = before
    json.dump(report, open(OUT, "w"))
    """)

APPLICATION = HEAD + textwrap.dedent("""\
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    moved(vgg)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in ["block1_conv2", "block2_pool", "block3_conv1"]]
    extractor = keras.Model(vgg.input, outputs)

    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    base.trainable = False
    x = base.output
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(4, name="top")(x)
    classifier = keras.Model(base.input, x)
    moved(classifier)

    # Grad-CAM as the keras-io example writes it: the builder through an alias, the classifier's
    # activation dropped, the model given to a function that builds a model on part of it
    def gradcam(img, model, conv_name):
        grad_model = keras.Model([model.inputs], [model.get_layer(conv_name).output, model.output])
        with tf.GradientTape() as tape:
            conv, preds = grad_model(img)
            top = preds[:, 0]
        return arrays(tape.gradient(top, conv))

    model_builder = keras.applications.MobileNetV2
    net = model_builder(weights=None, input_shape=(32, 32, 3), alpha=0.35, classes=3)
    moved(net)
    net.layers[-1].activation = None

    images = rng.uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    json.dump({
        "gradcam": gradcam(images, net, "out_relu"),
        "extractor": arrays(extractor(images)),
        "extractor_layers": [layer.name for layer in extractor.layers],
        "classifier": arrays(classifier(images, training=True)),
        "classifier_weights": [list(w.shape) for w in classifier.get_weights()],
        "trainable": len(classifier.trainable_weights),
    }, open(OUT, "w"))
    """)


def _close(a, b) -> float:
    return worst_absolute(a, b, ATOL)


def test_submodels_translate_as_graph_functions_taking_their_base() -> None:
    out, diags = tf_(RESIDUAL)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras.Model" not in code and "layers." not in code, diags
    assert 'def features_graph(model=model):\n    return model.input, model.get_layer("bn_y").output\n' in code
    assert ("def transfer_graph(model=model):\n    h = model.get_layer(\"add\").output\n"
            "    h = GlobalAveragePooling2D()(h)\n") in code
    assert "names = [\"c1\", \"bn_y\", \"add\"]\ndef multi_graph(model=model):\n" in code  # `names` stays outside
    # the models on part of a model a function is given or reads: followed to its calls
    assert ("    def grad_model_graph(model=model):\n"
            "        return [model.inputs], [model.get_layer(conv_name).output, model.output]\n") in code
    assert "    def embed_graph(model=model):\n" in code
    assert "    def only_a_graph(m=m):\n" in code


BUILD = ("def build():\n    inputs = keras.Input(shape=(3,))\n    return keras.Model(inputs, layers.Dense(2, name='d')(inputs))\n"
         "\n")
PROBE = "def probe(model, x):\n    m = keras.Model(model.input, model.get_layer('d').output)\n    return m(x)\n\n"


def test_a_model_given_to_a_function_is_followed_to_its_calls() -> None:
    """The Grad-CAM example's form: the model a function is given is an application bound
    through an alias (``model_builder = keras.applications.xception.Xception``)."""
    src = ("import keras\n\n" + "def probe(model, name):\n"
           "    return keras.Model([model.inputs], [model.get_layer(name).output, model.output])\n\n"
           "model_builder = keras.applications.MobileNet\nmodel = model_builder(weights=None)\n"
           "model.layers[-1].activation = None\nprobe(model, 'conv_pw_13_relu')\n")
    out, diags = tf_(src)
    assert BANNER in out, diags
    assert "    def probe_graph(model=model):\n" in user_code(out), diags


@pytest.mark.parametrize("src, why", [
    # base is a parameter of a function nothing calls: which model it is, is not known
    ("def features(base):\n    return keras.Model(base.input, base.get_layer('c').output)\n",
     "`base` is a parameter of `features`, and `features` is not called in the file"),
    # ... given, at one of its calls, a model that stays Keras (read from a Keras file): a
    # translated graph function cannot replay a Keras model's graph
    (BUILD + PROBE + "model = build()\nprobe(model, 1)\nother = keras.models.load_model('m.keras')\nprobe(other, 2)\n",
     "`model` is a parameter of `probe`, and its call at line 14 gives `other`, bound by "
     "`other = keras.models.load_model('m.keras')`, not a translated functional model"),
    # ... passed on (called who knows where, with what)
    (BUILD + PROBE + "model = build()\nr = list(map(probe, [model], [1]))\n",
     "`probe` is used at line 12 other than by a direct call from the module's statements"),
    # ... called from another function: its caller's argument is not followed
    (BUILD + PROBE + "def main():\n    model = build()\n    probe(model, 1)\n",
     "`probe` is used at line 13 other than by a direct call"),
    # a method's parameter (a backbone's `__init__(self, image_encoder)`): callers not followed
    ("class A:\n    def __init__(self, enc):\n        self.m = keras.Model(enc.inputs, enc.layers[-2].output)\n",
     "`enc` is a parameter of `__init__`, a function the translator does not follow to its callers"),
    # a global the function reads, bound at its call to a Keras model
    ("def probe(x):\n    m = keras.Model(model.input, model.get_layer('d').output)\n    return m(x)\n\n"
     "model = keras.models.load_model('m.keras')\nprobe(1)\n",
     "`model` is a global name `probe` reads, and its call at line 8 gives `model`, bound by "
     "`model = keras.models.load_model('m.keras')`"),
    # a layer held in a name (Hvass's `layer_input = model.layers[0]`, then its `input`)
    (BUILD + "model = build()\nlayer_input = model.layers[0]\nm = keras.Model(layer_input.input, model.output)\n",
     "`layer_input` is a layer (`layer_input = model.layers[0]`)"),
    # a loop variable: each pass a different model
    (BUILD + "for model in [build(), build()]:\n    m = keras.Model(model.input, model.get_layer('d').output)\n",
     "`model` may be rebound around it"),
    # another model's layer's input (not followed)
    ("inputs = keras.Input(shape=(3,))\nmodel = keras.Model(inputs, layers.Dense(2, name='d')(inputs))\n"
     "other = keras.Model(inputs, layers.Dense(2, name='e')(inputs))\n"
     "probe = keras.Model(model.input, other.get_layer('e').input)\n",
     "`other.get_layer('e').input` is not a tensor of `model`'s graph the translator follows"),
    # base changed inside the graph: the graph function would do it on every call
    ("inputs = keras.Input(shape=(3,))\nmodel = keras.Model(inputs, layers.Dense(2, name='d')(inputs))\n"
     "h = model.output\nmodel.trainable = False\nprobe = keras.Model(model.input, layers.Dense(1)(h))\n",
     "`model` is changed inside the model's graph"),
    # (a new head on a trained model's hidden layer, in a model on the same Inputs, a book's
    # "adding an output to a functional model", is translated: tests/test_program_submodels4.py)
])
def test_what_stays_keras(src: str, why: str) -> None:
    src = "import keras\nfrom keras import layers\n" + src
    out, diags = tf_(src)
    assert BANNER not in out and out == src, "kept byte for byte"
    assert any(why in d for d in diags), diags


@pytest.mark.tf
def test_submodels_of_a_graph_run_as_keras_ones(tmp_path: Path) -> None:
    translated, diags = tf_(RESIDUAL)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, RESIDUAL, translated)
    # the test reads what it means to: the shortcut's statistics stay, the sub-model's move
    assert keras_report["after_features"]["bn_short"] == keras_report["before"]["bn_short"]
    assert keras_report["after_features"]["bn_after"] == keras_report["before"]["bn_after"]
    assert keras_report["after_features"]["bn_y"] != keras_report["before"]["bn_y"]
    assert keras_report["after_transfer"]["bn_short"] != keras_report["after_features"]["bn_short"]
    assert keras_report["features"]["layers"] == ["img", "c1", "c2", "bn_y"]
    assert [len(w) for w in keras_report["penultimate"]["weights"]] == [4, 1, 4, 1, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert len(keras_report["merge_inputs"]["inference"]) == 2  # the add layer's two inputs
    assert keras_report["after_merge_inputs"]["bn_after"] == keras_report["after_features"]["bn_after"]
    assert keras_report["duo"]["disconnected"] == "ValueError"
    assert keras_report["duo"]["only_a_weights"] == [[4, 5], [5]]  # only `ha` of the given model
    assert keras_report["gradcam"]["layers"] == ["img", "c1", "c2", "short", "bn_short", "bn_y", "add", "bn_after",
                                                 "global_average_pooling2d", "head"]
    assert any(abs(g) > 1e-3 for g in np.ravel(keras_report["gradcam"]["grads"]))
    worst = _close(keras_report, tf_report)
    print(f"worst difference {worst:.2e}")


@pytest.mark.tf
@pytest.mark.slow
def test_submodels_of_an_application_run_as_keras_ones(tmp_path: Path) -> None:
    translated, diags = tf_(APPLICATION)
    assert BANNER in translated and "keras.Model" not in user_code(translated), diags
    keras_report, tf_report = run_both(tmp_path, APPLICATION, translated)
    assert keras_report["trainable"] == 2  # the frozen base's layers are the classifier's too
    assert np.abs(np.asarray(keras_report["gradcam"])).max() > 1e-4  # gradients that mean something
    worst = _close(keras_report, tf_report)
    print(f"worst difference {worst:.2e}")
