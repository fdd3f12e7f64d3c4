"""Inputs made outside the graph: a builder given its caller's ``Input``s (docs/design.md,
"Inputs made outside the graph"; issue #13).

Books and course code build GANs and super-resolution models so: the caller makes
``inputs = Input(...)``, a builder ``build_generator(inputs, ...)`` ends in ``return
Model(inputs, x)``, and the combined model is ``Model(inputs, discriminator(generator(inputs)))``
on the same Input. The scripts below are written after reading such code (a GAN book's
chapters, a super-resolution tutorial), not copied.

The execution tests run each script and its translation in their own processes: weights
perturbed (kernels scaled by their fan-in, biases and BatchNormalization statistics in
[0.1, 0.5], in each model's own ``get_weights()`` order), a few GAN training steps
(``train_on_batch`` of the discriminator, then of the combined model with the discriminator
frozen), predictions before and after. Tolerance: ``1e-5 * (1 + max |keras|)`` per array
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

# a GAN book's form: builders given the caller's Inputs, the combined model on the generator's
GAN = script_head(61) + textwrap.dedent("""\
    from keras.layers import Activation, BatchNormalization, Conv2D, Conv2DTranspose, Dense, Flatten, Input
    from keras.layers import LeakyReLU, Reshape
    from keras.models import Model
    from keras.optimizers import RMSprop


    def build_generator(inputs, image_size):
        image_resize = image_size // 4
        kernel_size = 3
        layer_filters = [8, 4, 1]
        x = Dense(image_resize * image_resize * layer_filters[0])(inputs)
        x = Reshape((image_resize, image_resize, layer_filters[0]))(x)
        for filters in layer_filters:
            strides = 2 if filters > layer_filters[-1] else 1
            x = BatchNormalization()(x)
            x = Activation("relu")(x)
            x = Conv2DTranspose(filters=filters, kernel_size=kernel_size, strides=strides, padding="same")(x)
        x = Activation("sigmoid")(x)
        generator = Model(inputs, x, name="generator")
        return generator


    def build_discriminator(inputs):
        kernel_size = 3
        x = inputs
        for filters in [4, 8]:
            x = LeakyReLU(negative_slope=0.2)(x)
            x = Conv2D(filters=filters, kernel_size=kernel_size, strides=2, padding="same")(x)
        x = Flatten()(x)
        x = Dense(1)(x)
        x = Activation("sigmoid")(x)
        discriminator = Model(inputs, x, name="discriminator")
        return discriminator


    def build_models(latent_size=6, image_size=8):
        input_shape = (image_size, image_size, 1)
        inputs = Input(shape=input_shape, name="discriminator_input")
        discriminator = build_discriminator(inputs)
        discriminator.compile(loss="binary_crossentropy", optimizer=RMSprop(learning_rate=2e-4), metrics=["accuracy"])
        input_shape = (latent_size,)
        inputs = Input(shape=input_shape, name="z_input")
        generator = build_generator(inputs, image_size)
        discriminator.trainable = False
        adversarial = Model(inputs, discriminator(generator(inputs)), name="adversarial")
        adversarial.compile(loss="binary_crossentropy", optimizer=RMSprop(learning_rate=1e-4), metrics=["accuracy"])
        return generator, discriminator, adversarial


    generator, discriminator, adversarial = build_models()
    moved(discriminator)
    moved(generator)
    noise = rng.uniform(-1.0, 1.0, size=(4, 6)).astype("float32")
    real = rng.uniform(0, 1, (4, 8, 8, 1)).astype("float32")
    before = {"g": arrays(generator.predict(noise, verbose=0)), "a": arrays(adversarial.predict(noise, verbose=0)),
              "d": arrays(discriminator(real))}
    losses = []
    for step in range(3):
        fake = generator.predict(noise, verbose=0)
        x = np.concatenate((real, fake))
        y = np.ones([8, 1], dtype="float32")
        y[4:, :] = 0.0
        losses.append(arrays(discriminator.train_on_batch(x, y)))
        y = np.ones([4, 1], dtype="float32")
        losses.append(arrays(adversarial.train_on_batch(noise, y)))
    json.dump({
        "before": before, "losses": losses,
        "g": arrays(generator.predict(noise, verbose=0)), "a": arrays(adversarial.predict(noise, verbose=0)),
        "d": arrays(discriminator(real)), "g_training": arrays(generator(noise, training=True)),
        "layers": [type(layer).__name__.replace("Functional", "Model") for layer in adversarial.layers],
        "names": [layer.name for layer in adversarial.layers],
        "weights": [list(w.shape) for w in adversarial.get_weights()],
        "trainable": len(adversarial.trainable_weights),
        "input_names": [layer.name for layer in generator.layers[:1] + discriminator.layers[:1]],
    }, open(OUT, "w"))
    """)

# a super-resolution tutorial's form: the combined model takes two declared inputs, given to two
# builders and to a third builder that makes the combined model from the first two models
SRGAN = script_head(62) + textwrap.dedent("""\
    from keras.layers import Add, BatchNormalization, Conv2D, Dense, Flatten, Input, LeakyReLU, PReLU, UpSampling2D
    from keras.models import Model


    def res_block(ip):
        res_model = Conv2D(4, (3, 3), padding="same")(ip)
        res_model = BatchNormalization(momentum=0.5)(res_model)
        res_model = PReLU(shared_axes=[1, 2])(res_model)
        res_model = Conv2D(4, (3, 3), padding="same")(res_model)
        res_model = BatchNormalization(momentum=0.5)(res_model)
        return Add()([ip, res_model])


    def upscale_block(ip):
        up_model = Conv2D(8, (3, 3), padding="same")(ip)
        up_model = UpSampling2D(size=2)(up_model)
        up_model = PReLU(shared_axes=[1, 2])(up_model)
        return up_model


    def create_gen(gen_ip, num_res_block):
        layers = Conv2D(4, (9, 9), padding="same")(gen_ip)
        layers = PReLU(shared_axes=[1, 2])(layers)
        temp = layers
        for i in range(num_res_block):
            layers = res_block(layers)
        layers = Conv2D(4, (3, 3), padding="same")(layers)
        layers = BatchNormalization(momentum=0.5)(layers)
        layers = Add()([layers, temp])
        layers = upscale_block(layers)
        op = Conv2D(3, (9, 9), padding="same")(layers)
        return Model(inputs=gen_ip, outputs=op)


    def discriminator_block(ip, filters, strides=1, bn=True):
        disc_model = Conv2D(filters, (3, 3), strides=strides, padding="same")(ip)
        if bn:
            disc_model = BatchNormalization(momentum=0.8)(disc_model)
        disc_model = LeakyReLU(negative_slope=0.2)(disc_model)
        return disc_model


    def create_disc(disc_ip):
        df = 4
        d1 = discriminator_block(disc_ip, df, bn=False)
        d2 = discriminator_block(d1, df, strides=2)
        d3 = discriminator_block(d2, df * 2)
        d5 = Flatten()(d3)
        d6 = Dense(8)(d5)
        d7 = LeakyReLU(negative_slope=0.2)(d6)
        validity = Dense(1, activation="sigmoid")(d7)
        return Model(disc_ip, validity)


    def create_comb(gen_model, disc_model, lr_ip, hr_ip):
        gen_img = gen_model(lr_ip)
        disc_model.trainable = False
        validity = disc_model(gen_img)
        return Model(inputs=[lr_ip, hr_ip], outputs=[validity, gen_img])


    lr_ip = Input(shape=(6, 6, 3))
    hr_ip = Input(shape=(12, 12, 3))
    generator = create_gen(lr_ip, num_res_block=2)
    discriminator = create_disc(hr_ip)
    discriminator.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    gan_model = create_comb(generator, discriminator, lr_ip, hr_ip)
    gan_model.compile(loss=["binary_crossentropy", "mse"], loss_weights=[1e-3, 1], optimizer="adam")
    moved(generator)
    moved(discriminator)
    lr = rng.uniform(0, 1, (2, 6, 6, 3)).astype("float32")
    hr = rng.uniform(0, 1, (2, 12, 12, 3)).astype("float32")
    fake = generator.predict_on_batch(lr)
    d_loss = discriminator.train_on_batch(np.concatenate([fake, hr]), np.array([[0], [0], [1], [1]], "float32"))
    g_loss = gan_model.train_on_batch([lr, hr], [np.ones((2, 1), "float32"), hr])
    json.dump({
        "d_loss": arrays(d_loss), "g_loss": arrays(g_loss),
        "gan": arrays(gan_model.predict([lr, hr], verbose=0)),
        "gen_training": arrays(generator(lr, training=True)),
        "layers": [type(layer).__name__.replace("Functional", "Model") for layer in gan_model.layers],
        "weights": [list(w.shape) for w in gan_model.get_weights()],
        "inputs": [list(s) if s[0] is not None else list(s[1:]) for s in [gan_model.input_shape[0][1:], gan_model.input_shape[1][1:]]],
    }, open(OUT, "w"))
    """)


# one builder given the caller's Input making two models on it (an encoder, and the autoencoder
# on the encoder and a decoder with an Input of its own)
AUTOENCODER = script_head(63) + textwrap.dedent("""\
    def build_autoencoder(inputs, latent_dim=3):
        x = layers.Dense(8, activation="relu")(inputs)
        x = layers.BatchNormalization()(x)
        z = layers.Dense(latent_dim)(x)
        encoder = keras.Model(inputs, z, name="encoder")
        latent = keras.Input(shape=(latent_dim,))
        y = layers.Dense(8, activation="relu")(latent)
        y = layers.Dense(6)(y)
        decoder = keras.Model(latent, y, name="decoder")
        autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="ae")
        return encoder, decoder, autoencoder


    inputs = keras.Input(shape=(6,), name="x")
    encoder, decoder, autoencoder = build_autoencoder(inputs)
    moved(autoencoder)
    autoencoder.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(16, 6)).astype("float32")
    history = autoencoder.fit(x, x, epochs=2, batch_size=8, shuffle=False, verbose=0)
    json.dump({"loss": history.history["loss"], "z": arrays(encoder(x[:3])), "ae": arrays(autoencoder(x[:3])),
               "layers": [type(layer).__name__.replace("Functional", "Model") for layer in autoencoder.layers],
               "names": [layer.name for layer in autoencoder.layers + encoder.layers],
               "weights": [list(w.shape) for w in autoencoder.get_weights()]}, open(OUT, "w"))
    """)


# a domain-transfer GAN notebook's form (2026-12-07): the combined model's two Inputs are made
# first, then the two generators and two discriminators are built by builders of their own (each
# model statement at the caller), then the combined model on calls of them: another model
# statement stands between the Inputs and their first read, so they are declared inputs
DUAL_GAN = script_head(64) + textwrap.dedent("""\
    source_a = keras.Input(shape=(6,))
    source_b = keras.Input(shape=(6,))


    def make_generator():
        image = keras.Input(shape=(6,))
        x = layers.Dense(8, activation="relu")(image)
        x = layers.BatchNormalization()(x)
        return image, layers.Dense(6, activation="tanh")(x)


    def make_discriminator():
        image = keras.Input(shape=(6,))
        x = layers.Dense(4)(image)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        return image, layers.Dense(1, activation="sigmoid")(x)


    image, translated = make_generator()
    generator_ab = keras.Model(inputs=image, outputs=translated)
    image, translated = make_generator()
    generator_ba = keras.Model(inputs=image, outputs=translated)
    image, verdict = make_discriminator()
    discriminator_a = keras.Model(inputs=image, outputs=verdict)
    image, verdict = make_discriminator()
    discriminator_b = keras.Model(inputs=image, outputs=verdict)
    moved(generator_ab)
    moved(generator_ba)
    moved(discriminator_a)
    moved(discriminator_b)
    discriminator_a.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=2e-3))
    discriminator_b.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=2e-3))

    fake_b = generator_ab(source_a)
    fake_a = generator_ba(source_b)
    back_a = generator_ba(fake_b)
    discriminator_a.trainable = False
    discriminator_b.trainable = False
    dual_gan = keras.Model(inputs=[source_a, source_b], outputs=[discriminator_a(fake_a), discriminator_b(fake_b), back_a])
    dual_gan.compile(loss=["mse", "mse", "mae"], optimizer=keras.optimizers.Adam(learning_rate=2e-3))

    a = rng.normal(size=(4, 6)).astype("float32")
    b = rng.normal(size=(4, 6)).astype("float32")
    d_losses, g_losses = [], []
    for step in range(3):
        d_losses.append(arrays(discriminator_a.train_on_batch(a, np.ones((4, 1), "float32"))))
        g_losses.append(arrays(dual_gan.train_on_batch([a, b], [np.ones((4, 1), "float32"), np.ones((4, 1), "float32"), a])))
    json.dump({
        "d_losses": d_losses, "g_losses": g_losses, "gan": arrays(dual_gan([a, b])), "gan_training": arrays(dual_gan([a, b], training=True)),
        "layers": [type(layer).__name__.replace("Functional", "Model") for layer in dual_gan.layers],
        "weights": [list(w.shape) for w in dual_gan.get_weights()],
        "trainable": len(dual_gan.trainable_weights),
    }, open(OUT, "w"))
    """)


@pytest.mark.parametrize("script", [GAN, SRGAN, AUTOENCODER, DUAL_GAN], ids=["gan", "srgan", "autoencoder", "dual-gan"])
def test_models_on_their_callers_inputs_translate(script: str) -> None:
    out, diags = tf_(script)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code.replace("tf.keras", ""), diags
    assert "= Input(tensor=" in code
    assert tf_(out)[0] == out  # a second run changes nothing


def test_each_graph_declares_the_callers_input_again() -> None:
    out, diags = tf_(GAN)
    code = user_code(out)
    assert "    def generator_graph(inputs=inputs):\n        inputs = Input(tensor=inputs)\n" in code, code
    # the builder calls and the discriminator's freezing stay outside the combined graph
    assert ("    discriminator.trainable = False\n    def adversarial_graph(inputs=inputs):\n"
            "        inputs = Input(tensor=inputs)\n        return inputs, discriminator(generator(inputs))\n") in code, code
    assert '    inputs = Input(shape=input_shape, name="z_input")\n    generator = build_generator(inputs, image_size)\n' in code


@pytest.mark.tf
@pytest.mark.parametrize("script", [GAN, SRGAN, AUTOENCODER, DUAL_GAN], ids=["gan", "srgan", "autoencoder", "dual-gan"])
def test_models_on_their_callers_inputs_run_as_keras(tmp_path: Path, script: str) -> None:
    translated, diags = tf_(script)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, script, translated)
    assert keras_report["layers"][0] == "InputLayer"
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nmodels on their caller's Inputs, trained a few steps: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


# --- what keeps such a model Keras: the declared Input used for something else, or the builder
# given something else (each says why; the translation would not be Keras's there)

_BUILDER = """\
    from tensorflow import keras
    from tensorflow.keras import layers


    def build_head(features):
        x = layers.Dense(8, activation="relu")(features)
        return keras.Model(features, x, name="head")


    """

KEPT = {
    # a VAE's loss on the Input: a KerasTensor in Keras, a declared input here
    "read_elsewhere": ("""\
        inputs = keras.Input(shape=(6,))
        head = build_head(inputs)
        loss = keras.ops.mean(inputs)
        """, "`inputs` is used at line 12 (`loss = keras.ops.mean(inputs)`) other than to build models from it"),
    # the builder given a graph tensor: a model on part of the caller's graph, not on an Input
    "tensor_argument": ("""\
        inputs = keras.Input(shape=(6,))
        h = layers.Dense(4)(inputs)
        head = build_head(h)
        model = keras.Model(inputs, head(h))
        """, "`build_head` is called at line 12 with `h` for `features`"),
    # the builder is not called in the file: its callers are unknown
    "not_called": ("", "`build_head` is not called in this file"),
    # the builder is a value (called elsewhere, with anything)
    "builder_as_value": ("""\
        builders = [build_head]
        inputs = keras.Input(shape=(6,))
        head = build_head(inputs)
        """, "`build_head` is used other than by calling it"),
    # a function of the scope reads the Input (when it runs is not known)
    "read_by_a_function": ("""\
        inputs = keras.Input(shape=(6,))
        head = build_head(inputs)


        def penalty(y_true, y_pred):
            return keras.ops.mean(inputs) + y_true
        """, "`inputs` is read by a function or class defined in its scope"),
    # the model call's other arguments stay outside the graph function: a KerasTensor's name there
    "read_by_the_model_call": ("""\
        def build_named(features):
            return keras.Model(features, layers.Dense(2)(features), name=features.name)


        inputs = keras.Input(shape=(6,))
        head = build_head(inputs)
        named = build_named(inputs)
        """, "`features` is used at line"),
    # the name also holds a graph tensor
    "rebound": ("""\
        inputs = keras.Input(shape=(6,))
        head = build_head(inputs)
        inputs = layers.Dense(6)(inputs)
        """, "`inputs` is also bound to something else than an `Input`"),
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_builder_given_anything_else_stays_keras_and_says_why(name: str) -> None:
    extra, why = KEPT[name]
    out, diags = tf_(textwrap.dedent(_BUILDER) + textwrap.dedent(extra))
    assert "Input(tensor=" not in out
    assert any(why in d and "a model built from its caller's `Input`s is not translated here" in d for d in diags), diags


# shapes and dtypes of a declared input are Python values in Keras too; a builder given the
# same Input twice makes two models on one InputLayer (Keras then refuses the combined model
# whose two sub-models share a name, as the translation does)
SHAPES = """\
    from tensorflow import keras
    from tensorflow.keras import layers


    def build_head(features, units, name):
        print(features.shape)
        x = layers.Dense(units, activation="relu")(features)
        x = layers.Dense(features.shape[-1])(x)
        return keras.Model(features, x, name=name)


    inputs = keras.Input(shape=(6,))
    head = build_head(inputs, units=4, name="a")
    head2 = build_head(units=3, features=inputs, name="b")
    both = keras.Model(inputs, head2(head(inputs)))
    print(inputs.shape, inputs.dtype)
    """


def test_shape_reads_and_keyword_arguments_keep_the_input_declared() -> None:
    out, diags = tf_(SHAPES)
    code = user_code(out)
    assert BANNER in out, diags
    assert code.count("= Input(tensor=") == 2, code
    assert "def both_graph(inputs=inputs):\n    inputs = Input(tensor=inputs)\n    return inputs, head2(head(inputs))\n" in code


@pytest.mark.tf
def test_a_functional_model_whose_layers_share_a_name_raises_as_keras(tmp_path: Path) -> None:
    script = SHAPES.replace('name="b"', 'name="a"') + "\n"
    script = textwrap.dedent(script).replace("both = keras.Model", "try:\n    both = keras.Model").replace(
        "print(inputs.shape, inputs.dtype)", "except ValueError as e:\n    error = str(e)\n")
    script = "import json\n" + script + "json.dump({'error': error}, open(OUT, 'w'))\n"
    translated, diags = tf_(script)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, script, translated)
    assert keras_report == tf_report
    assert "is used 2 times in the model" in keras_report["error"]


# a notebook's form: the Inputs and the builders' calls in one cell, the combined model in the next
NOTEBOOK_CELLS = [
    "import numpy as np\nfrom tensorflow import keras\nfrom tensorflow.keras import layers",
    "def make_generator(z, out_dim):\n    h = layers.Dense(8, activation='relu')(z)\n    h = layers.Dense(out_dim)(h)\n"
    "    return keras.Model(z, h, name='gen')",
    "def make_critic(x):\n    h = layers.Dense(8)(x)\n    h = layers.LeakyReLU()(h)\n"
    "    return keras.Model(x, layers.Dense(1)(h), name='critic')",
    "z_in = keras.Input((4,), name='z')\nx_in = keras.Input((6,), name='x')\ngen = make_generator(z_in, 6)\n"
    "critic = make_critic(x_in)\ncritic.compile(optimizer='adam', loss='mse')",
    "critic.trainable = False\ncombined = keras.Model(z_in, critic(gen(z_in)))\n"
    "combined.compile(optimizer='adam', loss='mse')",
    "z_in.shape",
]


def test_a_notebooks_declared_inputs_translate_cell_by_cell(tmp_path: Path) -> None:
    import json

    from kerastf_xlate.runner import transform_bytes
    from kerastf_xlate.totf import make_transform

    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                    for c in NOTEBOOK_CELLS], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "gan.ipynb"
    path.write_text(json.dumps(nb))
    result = transform_bytes(str(path), path.read_bytes(), make_transform())
    assert result.output is not None and result.error is None, result.error
    cells = ["".join(c["source"]) for c in json.loads(result.output)["cells"]]
    assert cells[3].startswith("z_in = Input((4,), name='z')\n"), cells[3]
    assert cells[4].startswith("critic.trainable = False\ndef combined_graph(z_in=z_in):\n    z_in = Input(tensor=z_in)\n"), cells[4]
    assert cells[5] == "z_in.shape"


# not DUAL_GAN: its graph needs statements on both sides of the discriminators' freezing, so the
# graph function stands before those lines and to-keras, which does not move statements, keeps
# the file (XL504); a second to-tf run of it changes nothing (test_models_on_their_callers_inputs_translate)
@pytest.mark.parametrize("script", [GAN, SRGAN, AUTOENCODER], ids=["gan", "srgan", "autoencoder"])
def test_the_round_trip_of_declared_inputs_is_a_fixed_point(script: str) -> None:
    """to-keras drops the `x = Input(tensor=x)` lines with the graph functions, and to-tf of
    what it raises gives the translation back byte for byte."""
    from kerastf_xlate.tokeras import translate as to_keras

    translated, _ = tf_(script)
    raised, diags = to_keras(translated, "t.py")
    assert not [d for d in diags if d.code == "XL504"], [d.message for d in diags]
    assert "Input(tensor=" not in raised and "_graph" not in raised.replace("graph_", "")
    again, _ = tf_(raised)
    assert again == translated
