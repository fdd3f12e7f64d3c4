"""keras-contrib's ``InstanceNormalization`` in the program form: it becomes the runtime's
``ContribInstanceNormalization`` (runtime/tfr_addons_layers.py; names.CONTRIB).

keras-contrib is the add-on package of standalone Keras 2; GAN programs of that time (CycleGAN,
pix2pix and their copies in books and courses) normalize with its ``InstanceNormalization``,
imported from the package, from ``keras_contrib.layers.normalization`` (before its 2019 split)
or from ``...normalization.instancenormalization``. The programs below are written after those
programs' shapes: a builder of down- and up-sampling helpers with skip connections, the layer
given ``axis=3``, ``axis=-1`` or nothing (``axis=None``: one mean and deviation per sample), a
sequence model, and a generator trained with ``fit``.

keras-contrib cannot be installed here (it needs standalone Keras 2), so the Keras program runs
with a stand-in ``keras_contrib`` package written into ``tmp_path`` (FAKE_CONTRIB): a Keras 3
layer computing what keras-contrib's source computes (``keras_contrib/layers/normalization/
instancenormalization.py``): the mean and the *biased standard deviation plus epsilon* over every
non-batch axis but ``axis``, ``(x - mean) / (std + epsilon)``, then ``gamma`` and ``beta`` of shape
``(channels,)`` (``(1,)`` for ``axis=None``) reshaped to broadcast. The translation must not import
it: it runs after the stand-in is taken off ``sys.path`` and out of ``sys.modules``.

Every program runs with the Keras model's weights perturbed (gamma and beta away from 1 and 0)
and moved into the translation. Tolerance: ``|tf - keras| <= 1e-5 * max(1, |keras|)``
(``tests/test_runtime_training.close``); the worst difference is printed.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from test_program_addons_layers import _arrays, _exec
from test_program_cases import user_part
from test_program_training_runs import move_perturbed
from test_runtime_training import close

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

_LAYER = textwrap.dedent('''\
    import keras
    from keras import ops


    class InstanceNormalization(keras.layers.Layer):
        """keras-contrib's signature, weights and computation, on Keras 3."""

        def __init__(self, axis=None, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                     gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                     beta_constraint=None, gamma_constraint=None, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True
            self.axis, self.epsilon, self.center, self.scale = axis, epsilon, center, scale
            self.beta_initializer = keras.initializers.get(beta_initializer)
            self.gamma_initializer = keras.initializers.get(gamma_initializer)
            self.beta_regularizer = keras.regularizers.get(beta_regularizer)
            self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)
            self.beta_constraint = keras.constraints.get(beta_constraint)
            self.gamma_constraint = keras.constraints.get(gamma_constraint)

        def build(self, input_shape):
            shape = (1,) if self.axis is None else (input_shape[self.axis],)
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint) if self.scale else None
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint) if self.center else None

        def call(self, inputs):
            rank = len(inputs.shape)
            axes = list(range(rank))
            if self.axis is not None:
                del axes[self.axis]
            del axes[0]
            mean = ops.mean(inputs, axes, keepdims=True)
            std = ops.sqrt(ops.mean(ops.square(inputs - mean), axes, keepdims=True)) + self.epsilon
            normed = (inputs - mean) / std
            broadcast = [1] * rank
            if self.axis is not None:
                broadcast[self.axis] = inputs.shape[self.axis]
            if self.scale:
                normed = normed * ops.reshape(self.gamma, broadcast)
            if self.center:
                normed = normed + ops.reshape(self.beta, broadcast)
            return normed
    ''')

FAKE_CONTRIB = {
    "keras_contrib/__init__.py": "from keras_contrib import layers\n",
    "keras_contrib/layers/__init__.py": "from keras_contrib.layers.normalization.instancenormalization import "
                                        "InstanceNormalization\n",
    "keras_contrib/layers/normalization/__init__.py": "from .instancenormalization import InstanceNormalization\n",
    "keras_contrib/layers/normalization/instancenormalization.py": _LAYER,
}

# a CycleGAN generator of a GAN collection: helpers, skip connections, the split module's path
CYCLEGAN = '''
from keras.layers import Input, Concatenate, Dropout
from keras.layers import LeakyReLU
from keras.layers import UpSampling2D, Conv2D
from keras.models import Model
from keras_contrib.layers.normalization.instancenormalization import InstanceNormalization


def build_generator(img_shape, gf=4, channels=3):
    def conv2d(layer_input, filters, f_size=4):
        d = Conv2D(filters, kernel_size=f_size, strides=2, padding='same')(layer_input)
        d = LeakyReLU(alpha=0.2)(d)
        d = InstanceNormalization()(d)
        return d

    def deconv2d(layer_input, skip_input, filters, f_size=4, dropout_rate=0):
        u = UpSampling2D(size=2)(layer_input)
        u = Conv2D(filters, kernel_size=f_size, strides=1, padding='same', activation='relu')(u)
        if dropout_rate:
            u = Dropout(dropout_rate)(u)
        u = InstanceNormalization(axis=-1)(u)
        u = Concatenate()([u, skip_input])
        return u

    d0 = Input(shape=img_shape)
    d1 = conv2d(d0, gf)
    d2 = conv2d(d1, gf * 2)
    d3 = conv2d(d2, gf * 4)
    u1 = deconv2d(d3, d2, gf * 2)
    u2 = deconv2d(u1, d1, gf)
    u3 = UpSampling2D(size=2)(u2)
    output_img = Conv2D(channels, kernel_size=4, strides=1, padding='same', activation='tanh')(u3)
    return Model(d0, output_img)


def build_discriminator(img_shape, df=4):
    img = Input(shape=img_shape)
    d = Conv2D(df, kernel_size=4, strides=2, padding='same')(img)
    d = LeakyReLU(alpha=0.2)(d)
    d = Conv2D(df * 2, kernel_size=4, strides=2, padding='same')(d)
    d = InstanceNormalization(axis=3, center=True, epsilon=1e-5)(d)
    d = LeakyReLU(alpha=0.2)(d)
    return Model(img, Conv2D(1, kernel_size=4, strides=1, padding='same')(d))


g_AB = build_generator((16, 16, 3))
d_A = build_discriminator((16, 16, 3))


def run(data):
    return [g_AB(data), d_A(data), d_A(g_AB(data, training=True))]
'''

# the package's own path and a sequence: axis None and a positional axis on rank 3
SEQUENCE = '''
import keras
from keras_contrib.layers import InstanceNormalization

inputs = keras.Input((6, 5))
x = keras.layers.Dense(4)(inputs)
a = InstanceNormalization(2, 1e-4)(x)
b = InstanceNormalization(scale=False)(x)
c = InstanceNormalization(axis=1, center=False)(keras.layers.Dense(3)(x))
model = keras.Model(inputs, [a, b, c])


def run(data):
    return model(data * 3.0)
'''

# trained with fit: a regularizer (a loss Keras adds) and a constraint (applied after updates)
TRAINING = '''
from keras.models import Sequential
from keras.layers import Conv2D, Flatten, Dense, Input
from keras import regularizers
from keras.constraints import MaxNorm
from keras.optimizers import Adam
from keras_contrib.layers.normalization import InstanceNormalization

model = Sequential([
    Input((4, 4, 2)),
    Conv2D(4, 3, padding='same'),
    InstanceNormalization(axis=-1, gamma_regularizer=regularizers.l2(1e-2), beta_constraint=MaxNorm(0.5)),
    Flatten(),
    Dense(1),
])
model.compile(optimizer=Adam(0.01), loss='mse')


def run(data):
    history = model.fit(data[0], data[1], epochs=3, batch_size=4, shuffle=False, verbose=0)
    return [history.history['loss'], model.predict(data[0], verbose=0), [float(l) for l in model.losses]]
'''

CASES: dict[str, tuple[str, list[str], Any]] = {
    "cyclegan": (CYCLEGAN, ["g_AB", "d_A"], (2, 16, 16, 3)),
    "sequence": (SEQUENCE, ["model"], (3, 6, 5)),
    "training": (TRAINING, ["model"], [(8, 4, 4, 2), (8, 1)]),
}


def _fake_contrib(tmp_path: Path) -> Path:
    root = tmp_path / "fake_contrib"
    for name, text in FAKE_CONTRIB.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _forget_contrib() -> None:
    for name in [n for n in sys.modules if n == "keras_contrib" or n.startswith("keras_contrib.")]:
        del sys.modules[name]


def _translated(source: str, case: str) -> str:
    out, diags = translate(source, f"{case}.py")
    assert BANNER in out, f"{case}: not in the program form: " + "; ".join(f"{d.code} {d.message}" for d in diags)
    user = user_part(out)
    assert "keras_contrib" not in user and not re.search(r"^\s*(from|import) keras_contrib", out, re.M), \
        f"{case}: keras-contrib left:\n{user}"
    assert not re.search(r"\b(keras|layers)\.\w", user), f"{case}: Keras code left:\n{user}"
    again, _ = translate(out, f"{case}.py")
    assert again == out, f"{case}: a second to-tf changes the file"
    return out


@pytest.mark.tf
@pytest.mark.parametrize("case", list(CASES))
def test_contrib_instance_normalization_runs_like_keras_contrib(case: str, tmp_path: Path, monkeypatch: Any) -> None:
    import keras
    import numpy as np

    source, names, shapes = CASES[case]
    out = _translated(source, case)
    data = _arrays(shapes, np.random.default_rng(0))
    fake = str(_fake_contrib(tmp_path))
    monkeypatch.chdir(tmp_path)
    sys.path.insert(0, fake)
    try:
        keras.utils.set_random_seed(0)
        original = _exec(source, f"__contrib_{case}_keras__")
    finally:
        sys.path.remove(fake)
        _forget_contrib()
    translated = _exec(out, f"__contrib_{case}_tf__")
    assert "keras_contrib" not in sys.modules
    move_perturbed(original, translated, names)
    for name in names:
        assert [w.shape for w in translated[name].weights] == [w.shape for w in original[name].weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = original["run"](data)
        got = translated["run"](data)
    worst = close(expected, got, f"{case}: run()")
    for name in names:
        worst = max(worst, close(original[name].get_weights(), translated[name].get_weights(), f"{case}: {name} weights"))
    print(f"{case}: worst |tf - keras| = {worst:.3g}")


@pytest.mark.parametrize("call, why", [
    ("InstanceNormalization(weights=w)", "`keras_contrib.layers.InstanceNormalization(weights=...)`: a keyword"),
    ("InstanceNormalization(**options)", "`*args`, `**kwargs` or positional arguments"),
    ("InstanceNormalization(*range(12))", "`*args`, `**kwargs` or positional arguments"),
    ("InstanceNormalization(dtype='float16')", "only float32 keras-contrib layers are translated"),
])
def test_what_the_runtime_class_does_not_take_keeps_the_model(call: str, why: str) -> None:
    source = ("import keras\nfrom keras_contrib.layers import InstanceNormalization\n\nw, options = None, {}\n"
              f"inputs = keras.Input((4, 3))\nmodel = keras.Model(inputs, {call}(inputs))\n")
    out, diags = translate(source, "m.py")
    assert out == source
    assert any(d.code == "XL201" and why in d.message for d in diags), [d.message for d in diags]


def test_a_program_with_keras_contrib_is_a_keras_2_one() -> None:
    """keras-contrib runs on standalone Keras 2 only: what Keras 2 versions compute differently
    (here RMSprop's update) keeps the model, as in any Keras 2 program."""
    source = ("import keras\nfrom keras_contrib.layers import InstanceNormalization\n\n"
              "inputs = keras.Input((4, 3))\nmodel = keras.Model(inputs, InstanceNormalization()(inputs))\n"
              "model.compile(optimizer='rmsprop', loss='mse')\n")
    out, diags = translate(source, "m.py")
    assert out == source
    assert any(d.code == "XL102" and "rmsprop" in d.message for d in diags), [d.message for d in diags]
