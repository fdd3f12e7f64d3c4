"""A model on part of a model an instance holds (graphs._attribute_base_blocker; docs/design.md,
"A model on part of a model bound elsewhere").

GAN and transfer-learning classes keep their models on ``self`` and build one on part of another
in a later method: a semi-supervised GAN's ``_create_gan(self)`` returns
``Model(self.generator.input, self.discriminator(self.generator.output))``; a U-Net class takes
``self.pretrained_model.get_layer(name).output`` for its down stack. Such a model is followed when
``self.<attr>`` is stored once in the file, by a plain assignment in the class's ``__init__``, of
a model the translation makes (a method or function of the file returning a functional model, a
``keras.applications`` builder). The programs below are written after those classes; each runs
both ways with every weight perturbed and moved, in inference and in training (the combined
model trained with ``train_on_batch`` while the discriminator is frozen, as the GAN trains it),
tolerance ``|tf - keras| <= 1e-5 * max(1, |keras|)`` (tests/test_runtime_training.close).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from test_program_cases import user_part
from test_program_submodel_chosen_base import run_translated_and_keras

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

# a semi-supervised GAN class: the combined model on the generator's graph, trained
SSGAN = '''
from tensorflow.keras.layers import Input, Dense, LeakyReLU, BatchNormalization
from tensorflow.keras.models import Model
from tensorflow.keras.optimizers import Adam


class SSGAN(object):
    def __init__(self, latent_size=6):
        self.latent_size = latent_size
        self.discriminator = self._create_discriminator()
        self.discriminator.compile(loss="binary_crossentropy",
                                   optimizer=Adam(learning_rate=1e-2))
        self.generator = self._create_generator()
        self.gan = self._create_gan()
        self.gan.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=1e-2))

    def _create_discriminator(self):
        input = Input(shape=(4,))
        x = LeakyReLU(negative_slope=0.2)(Dense(8)(input))
        return Model(input, Dense(1, activation="sigmoid")(x))

    def _create_generator(self):
        input = Input(shape=(self.latent_size,))
        x = BatchNormalization()(Dense(8)(input))
        output = Dense(4, activation="tanh")(LeakyReLU(negative_slope=0.2)(x))
        return Model(input, output)

    def _create_gan(self):
        self.discriminator.trainable = False
        output = self.discriminator(self.generator.output)

        return Model(self.generator.input, output)


ssgan = SSGAN()
gan, generator, discriminator = ssgan.gan, ssgan.generator, ssgan.discriminator


def run(data):
    import numpy as np
    before = [gan(data), generator(data, training=True)]
    losses = [float(ssgan.gan.train_on_batch(data, np.ones((len(data), 1)))) for _ in range(2)]
    return before + [losses, gan(data), generator(data)]
'''

# a U-Net class whose down stack is a model on part of a keras.applications backbone
UNET = '''
import tensorflow as tf
from tensorflow.keras.applications import MobileNetV2
from tensorflow.keras.layers import Concatenate, Conv2D, Conv2DTranspose, Input
from tensorflow.keras.models import Model


class UNet(object):
    def __init__(self, input_size=(32, 32, 3), output_channels=2):
        self.input_size = input_size
        self.output_channels = output_channels
        self.pretrained_model = MobileNetV2(input_shape=self.input_size, include_top=False, weights=None,
                                            alpha=0.35)
        self.target_layers = ["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu"]
        self.model = self._create_model()

    def _create_model(self):
        layers = [self.pretrained_model.get_layer(l).output for l in self.target_layers]
        down_stack = Model(inputs=self.pretrained_model.input, outputs=layers)
        down_stack.trainable = False
        inputs = Input(shape=self.input_size)
        skips = down_stack(inputs)
        x = skips[-1]
        for skip in reversed(skips[:-1]):
            x = Conv2DTranspose(8, 3, strides=2, padding="same")(x)
            x = Concatenate()([x, skip])
        output = Conv2DTranspose(self.output_channels, 3, strides=2, padding="same")(x)
        return Model(inputs, output)


unet = UNet()
model = unet.model


def run(data):
    return [model(data), model(data, training=True)]
'''

CASES: dict[str, tuple[str, list[str], tuple[int, ...]]] = {
    "ssgan": (SSGAN, ["generator", "discriminator"], (5, 6)),
    "unet": (UNET, ["model"], (2, 32, 32, 3)),
}


@pytest.mark.tf
@pytest.mark.parametrize("case", list(CASES))
def test_a_model_on_part_of_an_instances_model_runs_like_keras(case: str) -> None:
    source, names, shape = CASES[case]
    run_translated_and_keras(source, case, names, shape)


_CLASS = '''
from tensorflow.keras.layers import Input, Dense
from tensorflow.keras.models import Model


def build():
    inputs = Input(shape=(4,))
    return Model(inputs, Dense(2, name="d")(inputs))


class Probe:
    def __init__(self):
        self.base = build()
{extra_init}
    def probe(self):
        return Model(self.base.input, self.base.get_layer("d").output)
{extra}

p = Probe()
m = p.probe()
'''


@pytest.mark.parametrize("extra_init, extra, why", [
    # stored twice: which model the graph reads is not known
    ("", "\n    def reset(self):\n        self.base = build()\n", "`self.base` is stored 2 times in the file"),
    # stored from outside the class
    ("", "", "`self.base` is stored 2 times in the file"),
    # a model that stays Keras (read from a file)
    ("        self.base = None\n", "", "`self.base` is stored 2 times"),
    # setattr anywhere: any attribute may change
    ("        setattr(self, 'name', 'probe')\n", "", "the file calls `setattr`"),
    # a subclass may store another model there
    ("", "\n\nclass Other(Probe):\n    pass\n", "`Probe` is defined more than once or subclassed in the file"),
])
def test_an_instances_model_the_translator_cannot_follow_keeps_the_model(extra_init: str, extra: str,
                                                                           why: str) -> None:
    source = _CLASS.format(extra_init=extra_init, extra=extra)
    if why.endswith("2 times in the file") and not extra:
        source += "p.base = build()\n"
    out, diags = translate(source, "m.py")
    assert '        return Model(self.base.input, self.base.get_layer("d").output)\n' in out  # kept
    assert any(d.code == "XL301" and why in d.message for d in diags), [d.message for d in diags]


def test_the_graph_functions_step_is_the_files_first_block_not_a_continuation_line() -> None:
    """The indentation step a graph function's body takes is the file's first indented block's,
    as the tokenizer sees it: a file opening with `def pick(feats,` and its continuation lines
    under the bracket gave 27 columns (the semi-supervised GAN recipe)."""
    source = ("from tensorflow.keras.layers import Input, Dense\nfrom tensorflow.keras.models import Model\n\n\n"
              "def pick(feats,\n         labels):\n    return feats\n\n\n"
              "def build(n):\n    inputs = Input(shape=(4,))\n    x = inputs\n    for _ in range(n):\n"
              "        x = Dense(2)(x)\n    return Model(inputs, x)\n\n\nm = build(2)\n")
    out, diags = translate(source, "m.py")
    assert BANNER in out, [d.message for d in diags]
    assert "def build(n):\n    def build_graph():\n        inputs = Input(shape=(4,))\n" in user_part(out)
