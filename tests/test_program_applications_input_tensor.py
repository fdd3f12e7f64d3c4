"""A ``keras.applications`` builder given a declared ``Input`` as ``input_tensor=``
(docs/design.md, "A backbone given its input").

Transfer-learning code makes the image input first and hands it to the backbone:
``inputs = Input(shape)``, ``base = ResNet50(include_top=False, input_tensor=inputs)``, then a
head on ``base.output`` (or on ``base.get_layer(...).output``, for a segmentation decoder), and
``Model(inputs, outputs)`` or ``Model(base.input, outputs)``. Keras builds the backbone's graph
on that ``Input`` itself (``base.input`` *is* ``inputs``), so the head's model is on part of
the backbone's graph. The translated builder declares the input again in its graph function
(the runtime's ``is_keras_tensor`` and ``get_source_inputs`` give Keras's answers for a
declared input), and ``Model(inputs, ...)`` is written ``Model(base.input, ...)``.

Executed against Keras with the same perturbed weights moved in Keras's order.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

# the four ways real code writes it; each model gets weights from one generator, in its own
# `get_weights()` order, so the translation's get the same values only in Keras's order
FORMS = textwrap.dedent("""\
    # the builder alone on the Input (its top included)
    image = keras.layers.Input(shape=(32, 32, 3), name="image")
    alone = keras.applications.MobileNetV2(input_tensor=image, weights=None, classes=4, alpha=0.35)

    # a head on base.output, the model from base.input
    inputs = keras.Input(shape=(32, 32, 3))
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=inputs, alpha=0.35)
    x = layers.GlobalAveragePooling2D()(base.output)
    head = keras.Model(inputs=base.input, outputs=layers.Dense(3)(x))

    # in a builder function, the model from the Input itself, the backbone frozen
    def create_model():
        input_layer = keras.layers.Input(shape=(32, 32, 3))
        backbone = keras.applications.MobileNetV2(input_tensor=input_layer, weights=None, include_top=False, alpha=0.35)
        backbone.trainable = False
        y = layers.GlobalAveragePooling2D()(backbone.output)
        y = layers.Dense(2, activation="softmax")(y)
        return keras.Model(inputs=input_layer, outputs=y)

    frozen = create_model()

    # a decoder on inner layers' outputs (a segmentation network)
    pixels = keras.Input(shape=(32, 32, 3), name="pixels")
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_tensor=pixels)
    f3 = vgg.get_layer("block3_pool").output
    f4 = vgg.get_layer("block4_pool").output
    up = layers.UpSampling2D(2)(layers.Conv2D(8, 1)(f4))
    decoder = keras.Model([pixels], layers.Concatenate()([layers.Conv2D(8, 1)(f3), up]))
    """)

RUN = textwrap.dedent("""\
    report = {}
    images = rng.uniform(0, 1, size=(2, 32, 32, 3)).astype("float32")
    for key, model in [("alone", alone), ("head", head), ("frozen", frozen), ("decoder", decoder)]:
        moved(model)
        report[key] = {"inference": arrays(model(images)), "training": arrays(model(images, training=True)),
                       "weights": len(model.weights), "trainable": len(model.trainable_weights),
                       "layers": [layer.name for layer in model.layers]}
    import tensorflow as tf
    with tf.GradientTape() as tape:  # a training step's gradients and BatchNormalization updates
        loss = tf.reduce_mean((head(images, training=True) - 1.0) ** 2)
    report["gradients"] = [arrays(g) for g in tape.gradient(loss, head.trainable_weights)]
    report["statistics"] = [arrays(w) for w in head.non_trainable_weights]
    json.dump(report, open(OUT, "w"))
    """)


def test_every_form_leaves_keras_and_is_stable() -> None:
    out, diags = tf_(script_head(0) + FORMS)
    code = user_code(out)
    assert "keras.applications" not in code and "layers." not in code, (code, diags)
    assert [d for d in diags if not d.startswith("XL309")] == [], diags
    # the Input itself is written as the backbone's input, which Keras's is
    assert "return backbone.input, y" in code and "return [vgg.input]," in code, code
    assert "base = _xlate_keras_app_mobilenet_v2.MobileNetV2(include_top=False, weights=None, input_tensor=inputs" in code
    again, _ = tf_(out)
    assert again == out, "a second run changes nothing"


@pytest.mark.tf
def test_the_models_compute_keras_s_outputs_with_moved_weights(tmp_path: Path) -> None:
    """Outputs in inference and training mode (BatchNormalization's batch statistics), the
    weights, the layers, and the head's gradients and moving statistics after a training call:
    equal within 1e-5 (relative, for the gradients)."""
    script = script_head(0) + FORMS + RUN
    translated, diags = tf_(script)
    keras_report, tf_report = run_both(tmp_path, script, translated)
    for key in ("alone", "head", "frozen", "decoder"):
        k, t = keras_report[key], tf_report[key]
        assert (t["weights"], t["trainable"], t["layers"]) == (k["weights"], k["trainable"], k["layers"]), key
        for mode in ("inference", "training"):
            assert max_diff(k[mode], 0) > 1e-3, "the test reads real outputs"
            assert max_diff(k[mode], t[mode]) <= 1e-5, (key, mode)
    assert keras_report["frozen"]["trainable"] == 2 and keras_report["alone"]["layers"][0] == "image"
    assert len(keras_report["gradients"]) == len(tf_report["gradients"]) == keras_report["head"]["trainable"]
    for k, t in zip(keras_report["gradients"], tf_report["gradients"]):
        assert max_diff(k, t) <= 1e-5 * max(1.0, max_diff(k, 0))
    for k, t in zip(keras_report["statistics"], tf_report["statistics"]):
        assert max_diff(k, t) <= 1e-5 * max(1.0, max_diff(k, 0))


KEPT = {
    # the backbone on a tensor computed from the Input: its graph starts before the builder
    "derived": """
        inputs = keras.Input(shape=(32, 32, 3))
        x = layers.Rescaling(1 / 255)(inputs)
        model = keras.applications.MobileNetV2(input_tensor=x, weights=None, classes=3)
        """,
    # the Input read again by the head (a skip from the image): not only the backbone's input there
    "skip": """
        inp = keras.Input(shape=(32, 32, 3))
        base = keras.applications.VGG16(include_top=False, weights=None, input_tensor=inp)
        small = layers.AveragePooling2D(32)(inp)
        model = keras.Model(inp, layers.Concatenate()([layers.Flatten()(small), layers.Flatten()(base.output)]))
        """,
    # one Input given to two backbones: the model is on two graphs
    "two": """
        inp = keras.Input(shape=(32, 32, 3))
        a = keras.applications.VGG16(include_top=False, weights=None, input_tensor=inp)
        b = keras.applications.VGG19(include_top=False, weights=None, input_tensor=inp)
        model = keras.Model(inp, layers.Average()([a.output, b.output]))
        """,
}


WHY = {
    "derived": "is computed into the `input_tensor` of `keras.applications.MobileNetV2`: a builder given a tensor "
               "computed from an `Input` is not translated",
    "skip": "its graph reads `base.output`",
    "two": "its graph reads `a.output`",
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_what_is_not_followed_stays_keras_with_a_reason(name: str) -> None:
    out, diags = tf_("import keras\nfrom keras import layers\n" + textwrap.dedent(KEPT[name]))
    assert "keras.applications." in user_code(out) and "layers." in user_code(out), out
    assert any(d.startswith("XL301") and WHY[name] in d for d in diags), diags


@pytest.mark.tf
def test_the_runtime_answers_keras_s_questions_on_a_declared_input() -> None:
    """Outside a graph function a declared input is a symbolic tensor (the builders read its
    shape to choose their default size, as Keras reads the KerasTensor's); its source inputs
    are itself; another tensor is not followed back."""
    from runtime_ns import runtime

    ns = runtime()
    declared = ns["Input"](shape=(32, 32, 3))
    assert ns["is_keras_tensor"](declared) is True
    assert ns["get_source_inputs"](declared) == [declared]
    assert ns["is_keras_tensor"](ns["tf"].ones((1, 2))) is False
    # a name the model's statement bound, read after it (Keras's KerasTensor there)

    def graph():
        x = ns["Input"](shape=(3,))
        h = ns["Dense"](2)(x)
        return x, h, {"h": h}

    assert ns["is_keras_tensor"](ns["Model"](graph).traced("h")) is True
    with pytest.raises(NotImplementedError, match="get_source_inputs"):
        ns["get_source_inputs"](ns["tf"].ones((1, 2)))
