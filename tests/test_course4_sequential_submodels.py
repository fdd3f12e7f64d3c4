"""A model on part of a Sequential's graph (docs/design.md, "A model on part of a Sequential";
issue #13, bench/corpus4.toml).

The course notebooks (DeepLearning.AI's TensorFlow course) train a ``Sequential`` whose first
entry declares the input (``keras.Input(shape)``, or ``input_shape=`` on the first layer) and
then show what each layer makes of an image: ``keras.Model(inputs=model.inputs,
outputs=[layer.output for layer in model.layers[1:]])``, ``predict`` on one image. Keras 3
builds such a Sequential at construction as a functional model on that Input and the layers in
order; the new model takes the sub-graph, sharing the (trained) layers. The translation gives
the runtime's Sequential the same graph, and the new model replays it as for a functional
source.

The execution tests run the scripts below (written after reading the course notebooks, not
copied) and their translations, each in its own process: weights perturbed (kernels scaled by
their fan-in, biases and BatchNormalization statistics in [0.1, 0.5], in the model's own
``get_weights()`` order), a short ``fit`` (no shuffling, no dropout in the trained model),
then the models on part of the Sequential in inference, and in training where BatchNormalization
must update inside the cut and not past it. Tolerance: ``1e-5 * (1 + max |keras|)`` per array
(float32 arithmetic in another order); the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

# the C1 W4 labs' form: an Input entry, `model.inputs`, the layers after the first
WITH_INPUT = script_head(41) + textwrap.dedent("""\
    model = keras.Sequential([
        keras.Input(shape=(12, 12, 3)),
        layers.Conv2D(4, (3, 3), activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2, 2),
        layers.Conv2D(6, (3, 3), activation="relu"),
        layers.BatchNormalization(),
        layers.Flatten(),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
                  metrics=["accuracy"])
    moved(model)
    images = rng.uniform(0, 1, (8, 12, 12, 3)).astype("float32")
    labels = (rng.uniform(0, 1, (8, 1)) > 0.5).astype("float32")
    history = model.fit(images, labels, epochs=2, batch_size=4, shuffle=False, verbose=0)

    successive_outputs = [layer.output for layer in model.layers[1:]]
    visualization_model = keras.models.Model(inputs=model.inputs, outputs=successive_outputs)
    successive_feature_maps = visualization_model.predict(images[:2], verbose=False)
    layer_names = [layer.name for layer in model.layers[1:]]

    # a cut after the first BatchNormalization: the second, past it, does not run
    probe = keras.Model(model.inputs, model.layers[2].output)
    stats = lambda: [arrays(model.layers[k].moving_mean) for k in (1, 4)]
    before = stats()
    probe_training = arrays(probe(images[:4], training=True))
    after = stats()
    json.dump({
        "loss": history.history["loss"],
        "layer_names": layer_names,
        "maps": arrays(successive_feature_maps),
        "shapes": [list(m.shape) for m in successive_feature_maps],
        "vis_layers": [type(layer).__name__ for layer in visualization_model.layers],
        "vis_names": [layer.name for layer in visualization_model.layers],
        "vis_weights": [list(w.shape) for w in visualization_model.get_weights()],
        "probe_layers": [type(layer).__name__ for layer in probe.layers],
        "probe": arrays(probe(images[:3])),
        "probe_training": probe_training,
        "bn_before": before, "bn_after": after,
        "model": arrays(model.predict(images[:3], verbose=0)),
    }, open(OUT, "w"))
    """)

# the older notebooks' form: `input_shape=` on the first layer, every layer, and the layers of
# some types only (they write `model.input`, which Keras 3's Sequential does not have before a
# call: KEPT below)
WITH_INPUT_SHAPE = script_head(43) + textwrap.dedent("""\
    import tensorflow as tf

    model = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(10, 10, 1)),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(5, activation="relu"),
        tf.keras.layers.Dense(3, activation="softmax"),
    ])
    moved(model)
    layer_outputs = [layer.output for layer in model.layers]
    activation_model = tf.keras.models.Model(inputs=model.inputs, outputs=layer_outputs)
    layers_to_visualize = [tf.keras.layers.Conv2D, tf.keras.layers.MaxPooling2D]
    conv_outputs = [layer.output for layer in model.layers if type(layer) in layers_to_visualize]
    conv_model = tf.keras.models.Model(inputs=model.inputs, outputs=conv_outputs)
    x = rng.uniform(0, 1, (2, 10, 10, 1)).astype("float32")
    panels = len(conv_outputs)  # the count of subplots: a graph list read after the model, its length only
    json.dump({
        "panels": panels,
        "all": arrays(activation_model.predict(x, verbose=0)),
        "conv": arrays(conv_model.predict(x, verbose=0)),
        "names": [layer.name for layer in activation_model.layers],
    }, open(OUT, "w"))
    """)


@pytest.mark.parametrize("script", [WITH_INPUT, WITH_INPUT_SHAPE], ids=["input", "input_shape"])
def test_a_model_on_part_of_a_declared_sequential_translates(script: str) -> None:
    out, diags = tf_(script)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code.replace("tf.keras", ""), diags
    assert "tf.keras" not in code, diags
    assert "_graph(model=model):" in code


@pytest.mark.tf
def test_a_model_on_part_of_a_sequential_with_an_input_runs_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(WITH_INPUT)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, WITH_INPUT, translated)
    # the test reads what it means to: the probe's training call updates the statistics, and
    # the visualization model holds every layer (the Sequential's InputLayer first)
    assert keras_report["bn_after"][0] != keras_report["bn_before"][0]
    assert keras_report["bn_after"][1] == keras_report["bn_before"][1]
    assert keras_report["vis_layers"][0] == "InputLayer" and len(keras_report["shapes"]) == 7
    assert keras_report["probe_layers"] == ["InputLayer", "Conv2D", "BatchNormalization", "MaxPooling2D"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nSequential with an Input entry, trained, models on part of it: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


@pytest.mark.tf
def test_a_model_on_part_of_a_sequential_with_input_shape_runs_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(WITH_INPUT_SHAPE)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, WITH_INPUT_SHAPE, translated)
    assert len(keras_report["conv"]) == 2 == keras_report["panels"] and len(keras_report["all"]) == 6
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nSequential with input_shape=, models on part of it: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


# a new head on a Sequential's `outputs` (tests/test_program_static.py kept it Keras before)
HEAD = script_head(45) + textwrap.dedent("""\
    base = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization()])
    moved(base)
    head = keras.Model(base.inputs, layers.Dense(2)(base.outputs[0]))
    moved(head)
    x = rng.standard_normal((5, 4)).astype("float32")
    json.dump({"head": arrays(head(x)), "training": arrays(head(x, training=True)),
               "bn": arrays(base.layers[1].moving_variance), "base": arrays(base(x)),
               "layers": [type(layer).__name__ for layer in head.layers],
               "weights": [list(w.shape) for w in head.get_weights()]}, open(OUT, "w"))
    """)


@pytest.mark.tf
def test_a_new_head_on_a_sequentials_outputs_runs_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(HEAD)
    assert BANNER in translated and "def head_graph(base=base):" in translated, diags
    keras_report, tf_report = run_both(tmp_path, HEAD, translated)
    assert keras_report["layers"] == ["InputLayer", "Dense", "BatchNormalization", "Dense"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nnew head on a Sequential's outputs, trained BN: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


# the books' and courses' form: `Sequential()` then `add`, the first layer declaring the input
# (Keras 3 rebuilds the graph on the same Input at each `add`: a layer's `output` is its first
# graph's, the layers before it on that Input); a second model of the same name, added to after
# the probe, is another object and does not keep the first
ADDED = script_head(49) + textwrap.dedent("""\
    model = keras.Sequential()
    model.add(layers.Conv2D(4, (3, 3), activation="relu", input_shape=(10, 10, 2)))
    model.add(layers.BatchNormalization())
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(5, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(3, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    moved(model)
    x = rng.uniform(0, 1, (4, 10, 10, 2)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    model.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)

    conv_layer_index = [0, 1, 3]
    outputs = [model.layers[i].output for i in conv_layer_index]
    model_short = keras.Model(inputs=model.inputs, outputs=outputs)
    feature_maps = model_short.predict(x[:2], verbose=0)

    stem = keras.Sequential(name="stem")
    stem.add(keras.Input((6,)))
    stem.add(layers.Dense(4, activation="relu"))
    stem.add(layers.Dense(2))
    moved(stem)
    hidden = keras.Model(stem.inputs, stem.layers[0].output)

    model = keras.Sequential()
    model.add(layers.Dense(3, input_shape=(6,)))
    model.add(layers.Dense(1))
    moved(model)
    v = rng.standard_normal((3, 6)).astype("float32")
    json.dump({"maps": arrays(feature_maps), "hidden": arrays(hidden(v)), "second": arrays(model(v)),
               "names": [type(layer).__name__ for layer in model_short.layers]}, open(OUT, "w"))
    """)


@pytest.mark.tf
def test_a_model_on_part_of_an_added_sequential_runs_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(ADDED)
    assert BANNER in translated, diags
    code = user_code(translated)
    assert "keras." not in code, diags
    assert "def model_short_graph(model=model):" in code and "def hidden_graph(stem=stem):" in code
    keras_report, tf_report = run_both(tmp_path, ADDED, translated)
    assert keras_report["names"] == ["InputLayer", "Conv2D", "BatchNormalization", "MaxPooling2D", "Conv2D"]
    assert len(keras_report["maps"]) == 3
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nSequential built by add, trained, models on part of it: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


# what stays Keras: a Sequential built otherwise, or changed after it is built
KEPT = {
    "added after": """\
        model = keras.Sequential()
        model.add(layers.Dense(4, input_shape=(3,)))
        model.add(layers.Dense(2))
        probe = keras.Model(model.inputs, model.layers[0].output)
        model.add(layers.Dense(1))
        """,
    "added in a loop": """\
        model = keras.Sequential()
        model.add(layers.Dense(4, input_shape=(3,)))
        for units in (3, 2):
            model.add(layers.Dense(units))
        probe = keras.Model(model.inputs, model.layers[0].output)
        """,
    "added without a declared input": """\
        model = keras.Sequential()
        model.add(layers.Dense(4))
        model.add(layers.Dense(2))
        model.build((None, 3))
        probe = keras.Model(model.inputs, model.layers[0].output)
        """,
    "no declared input": """\
        model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
        model.build((None, 3))
        probe = keras.Model(model.inputs, model.layers[0].output)
        """,
    "popped": """\
        model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
        model.pop()
        probe = keras.Model(model.inputs, model.layers[0].output)
        """,
    "only an Input": """\
        model = keras.Sequential([keras.Input((3,))])
        probe = keras.Model(model.inputs, model.outputs)
        """,
}
# (`keras.Model(model.input, ...)` on a Sequential never called on symbolic tensors: Keras 3 raises
# "has never been called and thus has no defined input"; it is read as tf.keras 2 read it, the
# Sequential's own input: tests/test_program_sequential_symbols.py)


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_model_on_a_sequential_built_otherwise_stays_keras(name: str) -> None:
    src = "import keras\nfrom keras import layers\n\n" + textwrap.dedent(KEPT[name])
    out, diags = tf_(src)
    assert "probe = keras.Model(model.input" in out, diags
    assert any(d.startswith("XL301 the model's inputs `model.input") and "are not `Input`s made before it" in d
               for d in diags), diags


SAVED = script_head(47) + textwrap.dedent("""\
    model = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    moved(model)
    config = model.to_json()  # Keras's own serialization: the Sequential stays Keras
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    x = rng.standard_normal((3, 5)).astype("float32")
    json.dump({"probe": arrays(probe(x))}, open(OUT, "w"))
    """)


@pytest.mark.tf
def test_a_model_on_a_sequential_kept_keras_stays_keras_and_runs(tmp_path: Path) -> None:
    """The Sequential stays Keras (``to_json``, Keras's own serialization): the
    model on part of it must stay Keras too, and the file runs as before."""
    translated, diags = tf_(SAVED)
    assert "probe = keras.Model(model.inputs, [layer.output for layer in model.layers])" in translated, diags
    keras_report, tf_report = run_both(tmp_path, SAVED, translated)
    assert worst_absolute(keras_report, tf_report, 0.0) == 0.0


# a graph name read after its model for its length: a list the graph builds (above) is followed,
# a tensor or a list changed after is not
LENGTHS = {
    "a tensor": ("""\
        inputs = keras.Input((3,))
        h = layers.Dense(4)(inputs)
        model = keras.Model(inputs, h)
        print(len(h))
        """, "`h`, made while building the model, is used after it"),
    "a list changed after": ("""\
        model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
        outs = [layer.output for layer in model.layers]
        probe = keras.Model(model.inputs, outs)
        outs.append(None)
        print(len(outs))
        """, "`outs`, made while building the model, is used after it"),
}


@pytest.mark.parametrize("name", sorted(LENGTHS))
def test_the_length_of_a_graph_value_that_is_no_list_keeps_the_model(name: str) -> None:
    src, reason = LENGTHS[name]
    out, diags = tf_("import keras\nfrom keras import layers\n\n" + textwrap.dedent(src))
    assert "keras.Model(" in out and any(reason in d for d in diags), diags
