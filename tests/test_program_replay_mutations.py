"""What a graph function's runs after the first see (totf/program/replay.py, graphs.py).

The graph function runs again at every call of the model; Keras ran the building code once.
Two ways a later run saw something else, both found by ``realcode_models.py --scripts`` on a
collection of idiomatic model builders:

1. An object made before the graph that its run changes in place.

Found by ``realcode_models.py --scripts`` on a collection of idiomatic model builders: a
module-level dict of ResNet sizes, a `learner(x, groups[50])` helper that takes its first stage
with `groups.pop(0)`. Keras runs that once; the translated graph function ran again at the
model's first call, popped again, built another network and raised ("the graph function made a
ReLU where its first run made a Conv2D"). Such a model stayed Keras (XL301, naming the change).
Now (2026-12-07) the graph function takes each such object that a name of its own scope holds
as an argument, `groups=fresh(groups, "groups")`: the first run changes the object itself, as
Keras's one run did, and every later run a copy of it as it was before; the model computes what
Keras computes and the program sees the configuration as Keras left it. A change through a
global the helper reads itself, or to the instance a method is called on, still keeps the model
(the graph function cannot hand those a copy). A list made in the graph's own run (a U-Net's
skips) changes freely, and its model is translated and computes what Keras computes.

2. A name the graph reads that the model statement itself rebinds: a Siamese network calls the
twin Sequential bound to `model`, then `model = Model(inputs=[left, right], ...)`; at the first
call the graph function read `model` again, now the Siamese model, and called itself with one
input ("functional expects 2 input(s), got 1"). Such a name is captured by value now, as the
names later statements rebind were.

The programs are our own, after those shapes.
"""

from __future__ import annotations

import textwrap

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

# the stages of a configuration popped by a helper of the graph
POPPED = textwrap.dedent("""\
    import keras
    from keras import layers


    def stage(x, filters, blocks, strides=1):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", activation="relu")(x)
        for _ in range(blocks):
            x = layers.add([x, layers.Conv2D(filters, 3, padding="same")(x)])
        return x


    def learner(x, groups):
        filters, blocks = groups.pop(0)
        x = stage(x, filters, blocks)
        for filters, blocks in groups:
            x = stage(x, filters, blocks, strides=2)
        return x


    sizes = {18: [(4, 1), (8, 1)], 34: [(4, 2), (8, 2)]}

    inputs = keras.Input(shape=(8, 8, 3))
    x = learner(inputs, sizes[18])
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    """)

# a U-Net's skip list made in the graph's run, changed by its helpers
SKIPS = textwrap.dedent("""\
    import keras
    from keras import layers


    def down(x, filters, skips):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        skips.append(x)
        return layers.MaxPooling2D()(x)


    def up(x, filters, skips):
        x = layers.UpSampling2D()(x)
        x = layers.concatenate([x, skips.pop()])
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


    def unet(size=8, depth=2):
        inputs = keras.Input((size, size, 3))
        skips = []
        x = inputs
        for i in range(depth):
            x = down(x, 4 * (i + 1), skips)
        x = layers.Conv2D(8, 3, padding="same")(x)
        for i in reversed(range(depth)):
            x = up(x, 4 * (i + 1), skips)
        x = layers.add([x, x])
        return keras.Model(inputs, layers.Conv2D(1, 1)(x))


    model = unet()
    """)

SKIPS_TAIL = textwrap.dedent("""\
    moved(model)
    x = np.random.default_rng(1).uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    json.dump({"y": arrays(model(x, training=False)), "y2": arrays(model(x, training=False))}, open(OUT, "w"))
    """)


POPPED_TAIL = textwrap.dedent("""\
    moved(model)
    x = np.random.default_rng(1).uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    json.dump({"y": arrays(model(x, training=False)), "y2": arrays(model(x, training=True)),
               "n": len(model.get_weights()), "sizes": arrays(sizes[18]), "other": arrays(sizes[34])}, open(OUT, "w"))
    """)


def test_a_configuration_popped_by_the_graph_is_given_as_a_fresh_copy() -> None:
    out, diags = tf_(POPPED)
    code = user_code(out)
    assert "keras" not in code, diags
    assert 'def model_graph(sizes=fresh(sizes, "sizes")):' in code, code
    assert not any("in place" in d for d in diags), diags


@pytest.mark.tf
def test_the_popped_configuration_model_computes_what_keras_computes(tmp_path) -> None:
    """Two calls of the model (each runs the graph function again), its weights, and the
    configuration after them: popped once, as Keras's one run left it."""
    out, _ = tf_(POPPED)
    keras_run, ours = run_both(tmp_path, script_head(12) + POPPED + POPPED_TAIL, script_head(12) + out + POPPED_TAIL)
    assert keras_run["n"] == ours["n"] == 10
    assert keras_run["sizes"] == ours["sizes"] == [[8, 1]]
    assert keras_run["other"] == ours["other"]
    worst = max(max_diff(keras_run[k], ours[k]) for k in ("y", "y2"))
    print(f"worst |tf - keras| = {worst:.3g}")
    assert worst <= 1e-5


def test_a_configuration_a_helper_reads_as_its_global_keeps_the_model() -> None:
    """The helper pops from the module's list itself: no argument of the graph function holds it."""
    program = POPPED.replace("def learner(x, groups):\n    filters, blocks = groups.pop(0)",
                             "def learner(x, groups):\n    filters, blocks = sizes[18].pop(0)")
    out, diags = tf_(program)
    assert out == program, user_code(out)
    said = [d for d in diags if "sizes[18].pop(0)" in d]
    assert said and said[0].startswith("XL301 `sizes[18].pop(0)` (in `learner`) changes `sizes`, made before"), diags


def test_a_list_made_before_the_input_and_appended_to_by_the_graph_is_given_fresh() -> None:
    program = SKIPS.replace("    inputs = keras.Input((size, size, 3))\n    skips = []\n",
                            "    skips = []\n    inputs = keras.Input((size, size, 3))\n")
    out, diags = tf_(program)
    assert 'def unet_graph(skips=fresh(skips, "skips")):' in user_code(out), user_code(out)
    assert not any("in place" in d for d in diags), diags


@pytest.mark.tf
def test_the_unet_with_a_skip_list_made_before_its_input_computes_what_keras_computes(tmp_path) -> None:
    program = SKIPS.replace("    inputs = keras.Input((size, size, 3))\n    skips = []\n",
                            "    skips = []\n    inputs = keras.Input((size, size, 3))\n")
    out, _ = tf_(program)
    keras_run, ours = run_both(tmp_path, script_head(8) + program + SKIPS_TAIL, script_head(8) + out + SKIPS_TAIL)
    worst = max(max_diff(keras_run[k], ours[k]) for k in ("y", "y2"))
    print(f"worst |tf - keras| = {worst:.3g}")
    assert worst <= 1e-5


def _unets() -> dict[str, str]:
    return {"skip-list": SKIPS, "closures": CLOSURES}


@pytest.mark.parametrize("name", ["skip-list", "closures"])
def test_a_list_made_in_the_graphs_run_changes_freely(name: str) -> None:
    out, diags = tf_(_unets()[name])
    assert "keras" not in user_code(out), diags
    assert not any("in place" in d for d in diags), diags


@pytest.mark.tf
@pytest.mark.parametrize("name", ["skip-list", "closures"])
def test_the_unet_with_its_skip_list_computes_what_keras_computes(tmp_path, name: str) -> None:
    program = _unets()[name]
    out, _ = tf_(program)
    keras_run, ours = run_both(tmp_path, script_head(8) + program + SKIPS_TAIL, script_head(8) + out + SKIPS_TAIL)
    worst = max(max_diff(keras_run[k], ours[k]) for k in ("y", "y2"))
    print(f"worst |tf - keras| = {worst:.3g}")
    assert worst <= 1e-5


# a Siamese network: the twin Sequential bound to `model`, the network bound to `model` after it
SIAMESE = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 3)), layers.Flatten(),
                              layers.Dense(5)])
    left_input = keras.Input((8, 8, 3))
    right_input = keras.Input((8, 8, 3))
    left = model(left_input)
    right = model(right_input)
    distance = layers.Lambda(lambda t: keras.ops.abs(t[0] - t[1]))([left, right])
    outputs = layers.Dense(1, activation="sigmoid")(distance)
    model = keras.Model(inputs=[left_input, right_input], outputs=outputs)
    """)

SIAMESE_TAIL = textwrap.dedent("""\
    moved(model)
    rng_x = np.random.default_rng(1)
    a = rng_x.uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    b = rng_x.uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    json.dump({"n": len(model.get_weights()), "y": arrays(model([a, b], training=False)),
               "y2": arrays(model([b, a], training=False))}, open(OUT, "w"))
    """)


def test_a_name_the_model_statement_rebinds_is_captured_by_value() -> None:
    out, diags = tf_(SIAMESE)
    assert "keras" not in user_code(out).replace("keras.ops", ""), diags
    assert "def model_graph(model=model):" in out, user_code(out)


@pytest.mark.tf
def test_the_siamese_network_computes_what_keras_computes(tmp_path) -> None:
    out, _ = tf_(SIAMESE)
    keras_run, ours = run_both(tmp_path, script_head(10) + SIAMESE + SIAMESE_TAIL, script_head(10) + out + SIAMESE_TAIL)
    assert keras_run["n"] == ours["n"] == 6
    worst = max(max_diff(keras_run[k], ours[k]) for k in ("y", "y2"))
    print(f"worst |tf - keras| = {worst:.3g}")
    assert worst <= 1e-5


# block builders returning closures that take `[x, skips]` and grow the skip list made in the
# graph's run (the shape of a diffusion example's U-Net: the first version of the check walked
# the closure's body as the builder's and took the unpacked `skips` for a global)
CLOSURES = textwrap.dedent("""\
    import keras
    from keras import layers


    def DownBlock(width):
        def apply(x):
            x, skips = x
            x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
            skips.append(x)
            return layers.AveragePooling2D(pool_size=2)(x)

        return apply


    def UpBlock(width):
        def apply(x):
            x, skips = x
            x = layers.UpSampling2D(size=2)(x)
            x = layers.Concatenate()([x, skips.pop()])
            return layers.Conv2D(width, 3, padding="same")(x)

        return apply


    def get_network(size, widths):
        images = keras.Input(shape=(size, size, 3))
        x = images
        skips = []
        for width in widths:
            x = DownBlock(width)([x, skips])
        for width in reversed(widths):
            x = UpBlock(width)([x, skips])
        return keras.Model(images, layers.Conv2D(3, 1)(x))


    model = get_network(8, [4, 6])
    """)

