"""A model on part of a base model that an ``if``/``elif``/``else`` chain chooses
(graphs._branches_bind_model; docs/design.md, "A model on part of a model bound elsewhere").

Style-transfer and perceptual-loss code picks its feature extractor by name: ``if arch ==
"vgg19": vgg = VGG19(...)`` ``elif arch == "vgg16": vgg = VGG16(...)`` ``else: raise
ValueError(arch)``, sometimes importing the builder inside the branch, then ``keras.Model(vgg.input,
[vgg.get_layer(n).output for n in names])``, in a function or in a method of a subclassed model.
Each branch binds a model whose graph the runtime's sub-models replay, so whichever ran, the
graph function takes the object it holds. The programs below are written after that shape; each
runs both ways with every weight perturbed and moved, in inference and in training (the
extractor's BatchNormalization statistics), tolerance ``|tf - keras| <= 1e-5 * max(1, |keras|)``
(tests/test_runtime_training.close).
"""

from __future__ import annotations

import os
import re
import warnings

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from test_program_cases import user_part
from test_program_training_runs import move_perturbed
from test_runtime_training import close

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

# builders of the file: the base is a functional model each branch makes
BUILDERS = '''
import keras
from keras import layers


def small_cnn():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Conv2D(6, 3, strides=2, name="c2")(layers.ReLU()(x))
    return keras.Model(inputs, layers.GlobalAveragePooling2D()(x))


def wide_cnn():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(8, 1, name="w1")(inputs)
    x = layers.BatchNormalization(name="bn_w")(x)
    return keras.Model(inputs, layers.Flatten()(layers.Conv2D(2, 3, name="w2")(x)))


def features(kind, names):
    if kind == "small":
        base = small_cnn()
    elif kind == "wide":
        base = wide_cnn()
    else:
        raise ValueError(f"unknown {kind}")
    outputs = [base.get_layer(name).output for name in names]
    return keras.Model(base.input, outputs)


small = features("small", ["c1", "bn1", "c2"])
wide = features("wide", ["bn_w"])


def run(data):
    return [small(data), small(data, training=True), wide(data, training=True), wide(data)]
'''

# an encoder subclass importing the keras.applications builder inside its branch
ENCODER = '''
import tensorflow as tf


class Encoder(tf.keras.Model):
    def __init__(self, arch, output_layers):
        super().__init__()
        self.model = None
        self.build_model(arch, output_layers)

    def build_model(self, arch, output_layers):
        if arch.lower() == "mobilenet":
            from tensorflow.keras.applications import MobileNet
            base = MobileNet(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.25)
        elif arch.lower() == "mobilenetv2":
            from tensorflow.keras.applications import MobileNetV2
            base = MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.35)
        else:
            raise ValueError(f"Unsupported {arch}")
        outputs = [base.get_layer(layer).output for layer in output_layers]
        self.model = tf.keras.Model(base.input, outputs)

    def call(self, inputs):
        return self.model(inputs)


encoder = Encoder("MobileNetV2", ["block_1_expand_relu", "block_3_project_BN"])


def run(data):
    return [encoder(data), encoder(data, training=True)]
'''

CASES: dict[str, tuple[str, list[str], tuple[int, ...]]] = {
    "builders": (BUILDERS, ["small", "wide"], (2, 8, 8, 3)),
    "encoder": (ENCODER, ["encoder"], (2, 32, 32, 3)),
}


def run_translated_and_keras(source: str, case: str, names: list[str], shape: tuple[int, ...]) -> None:
    """Translate ``source`` (it must come out in the program form without Keras, and a second
    run must change nothing), run it and the original with ``names``' weights perturbed and
    moved, and compare ``run(data)`` and the weights after it; prints the worst difference.
    Shared with tests/test_program_submodel_attribute_base.py."""
    import keras
    import numpy as np

    from kerastf_xlate.verify import exec_source

    out, diags = translate(source, f"{case}.py")
    assert BANNER in out, "; ".join(f"{d.code} {d.message}" for d in diags)
    assert not re.search(r"\b(keras|layers)\.\w", user_part(out)), user_part(out)
    assert translate(out, f"{case}.py")[0] == out
    keras.utils.set_random_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = exec_source(source, f"__{case}_keras__", f"__{case}_keras__.py")
        translated = exec_source(out, f"__{case}_tf__", f"__{case}_tf__.py")
    move_perturbed(original, translated, names)
    data = np.random.default_rng(0).uniform(0, 1, size=shape).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worst = close(original["run"](data), translated["run"](data), f"{case}: run()")
    for name in names:
        worst = max(worst, close(original[name].get_weights(), translated[name].get_weights(), f"{case}: {name}"))
    print(f"{case}: worst |tf - keras| = {worst:.3g}")


@pytest.mark.tf
@pytest.mark.parametrize("case", list(CASES))
def test_a_model_on_a_base_chosen_by_branches_runs_like_keras(case: str) -> None:
    source, names, shape = CASES[case]
    run_translated_and_keras(source, case, names, shape)


HEAD = BUILDERS.split("def features")[0]


@pytest.mark.parametrize("chain, why", [
    # no else: the name may still hold what an earlier statement bound
    ("    base = wide_cnn()\n    if kind == 'small':\n        base = small_cnn()\n",
     "`base` is bound by `if kind == 'small':`"),
    # a branch binding a model that stays Keras (read from a file)
    ("    if kind == 'small':\n        base = small_cnn()\n    else:\n"
     "        base = keras.models.load_model('m.keras')\n",
     "`base` is bound by `if kind == 'small':`"),
    # every branch raises: nothing is bound
    ("    if kind == 'small':\n        raise ValueError(kind)\n    else:\n        raise KeyError(kind)\n",
     "they are another model's tensors"),
])
def test_a_branch_that_does_not_bind_a_followed_model_keeps_it(chain: str, why: str) -> None:
    source = (HEAD + "def features(kind):\n" + chain
              + "    return keras.Model(base.input, base.get_layer('c1').output)\n\n\nm = features('small')\n")
    out, diags = translate(source, "m.py")
    assert "    return keras.Model(base.input, base.get_layer('c1').output)\n" in out  # that model stays Keras
    assert any(d.code == "XL301" and why in d.message for d in diags), [d.message for d in diags]
