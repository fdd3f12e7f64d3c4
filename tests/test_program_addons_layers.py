"""TensorFlow Addons' layers in the program form: ``tfa.layers.InstanceNormalization``,
``tfa.layers.GroupNormalization``, ``tfa.layers.GELU`` and the adaptive poolings become the runtime classes of
``runtime/tfr_addons_layers.py`` (translate.py ``_ADDONS_LAYERS``).

The programs are written after the ways public example code uses them (a builder function
``x = tfa.layers.InstanceNormalization(gamma_initializer=...)(x)``, ``block.add(...)`` on a
Sequential, ``tfa.layers.GELU()`` in a Sequential's list inside a layer subclass, the class
imported from ``tensorflow_addons.layers``, a compiled model trained with ``fit``).

tfa cannot be installed here (it needs tf.keras 2), so the Keras program runs with a small
stand-in ``tensorflow_addons`` package written into ``tmp_path`` (FAKE_TFA): Keras 3 classes
computing what tfa's source computes (``tensorflow_addons/layers/normalizations.py``,
``layers/gelu.py``, ``activations/gelu.py``). tfa's GroupNormalization is Keras 3's
GroupNormalization (same reshape into groups, moments over the group's channels and the
other non-batch axes, ``epsilon=1e-3``, ``groups=32`` by default, gamma then beta), for
``axis=-1`` and positive axes, the ones used here; tfa's InstanceNormalization is it with
``groups=-1`` forced; tfa's GELU is ``gelu(x, approximate=True)`` by default (Keras 3's
activation defaults to True as well, ``tf.nn.gelu`` to False: the stand-in passes it). The
translation must not import it: it runs after the stand-in is taken off ``sys.path`` and out
of ``sys.modules``.

Both programs run with the Keras model's weights perturbed (gamma and beta away from 1 and
0) and moved into the translation. Tolerance: ``|tf - keras| <= 1e-5 * max(1, |keras|)``
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

from runtime_ns import perturbed
from test_program_cases import user_part
from test_program_training_runs import move_perturbed
from test_runtime_training import close

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

FAKE_TFA = {
    "__init__.py": "from tensorflow_addons import activations, layers\n",
    "activations.py": textwrap.dedent('''\
        import keras


        def gelu(x, approximate=True):  # tfa: tf.nn.gelu(x, approximate), approximate=True by default
            return keras.activations.gelu(x, approximate=approximate)
        '''),
    "layers.py": textwrap.dedent('''\
        import keras

        from tensorflow_addons.activations import gelu


        class GroupNormalization(keras.layers.GroupNormalization):
            """tfa's signature and defaults; Keras 3's computation (the same for axis -1 or > 0)."""

            def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                         gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                         beta_constraint=None, gamma_constraint=None, **kwargs):
                assert axis == -1 or axis > 0, "the stand-in is tfa's only for these axes"
                super().__init__(groups=groups, axis=axis, epsilon=epsilon, center=center, scale=scale,
                                 beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                                 beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                                 beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, **kwargs)


        class InstanceNormalization(GroupNormalization):
            def __init__(self, **kwargs):
                kwargs["groups"] = -1  # tfa overwrites a given one
                super().__init__(**kwargs)


        class GELU(keras.layers.Layer):
            def __init__(self, approximate=True, **kwargs):
                super().__init__(**kwargs)
                self.approximate = approximate
                self.supports_masking = True

            def call(self, inputs):
                return gelu(inputs, approximate=self.approximate)


        def _adaptive(kind, rank):
            """tfa's adaptive pooling where each spatial size divides into `output_size` bins
            (tfa's tf.split raises otherwise): Keras's pooling with pool size = stride = size /
            bins, a computation of its own (the translation splits and reduces, as tfa does)."""
            pooling = getattr(keras.layers, f"{kind}Pooling{rank}D")

            class Adaptive(keras.layers.Layer):
                def __init__(self, output_size, data_format=None, **kwargs):
                    super().__init__(**kwargs)
                    self.output_size = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
                    self.data_format = data_format or "channels_last"

                def call(self, inputs):
                    first = 1 if self.data_format == "channels_last" else 2
                    sizes = inputs.shape[first:first + rank]
                    assert all(s % b == 0 for s, b in zip(sizes, self.output_size)), "the stand-in needs divisible sizes"
                    pool = tuple(s // b for s, b in zip(sizes, self.output_size))
                    return pooling(pool, pool, data_format=self.data_format)(inputs)

            Adaptive.__name__ = f"Adaptive{kind}Pooling{rank}D"
            return Adaptive


        AdaptiveAveragePooling1D, AdaptiveAveragePooling2D = _adaptive("Average", 1), _adaptive("Average", 2)
        AdaptiveMaxPooling2D, AdaptiveMaxPooling3D = _adaptive("Max", 2), _adaptive("Max", 3)
        '''),
}

# a CycleGAN-like generator: a builder function, a residual add, the weights' initializers
BUILDER = '''
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
import tensorflow_addons as tfa

keras.backend.clear_session()
kernel_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)
gamma_init = keras.initializers.RandomNormal(mean=1.0, stddev=0.02)


def conv_block(x, filters, use_norm=True):
    x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=kernel_init)(x)
    if use_norm:
        x = tfa.layers.InstanceNormalization(gamma_initializer=gamma_init)(x)
    return layers.LeakyReLU(0.2)(x)


inputs = keras.Input(shape=(8, 8, 3))
x = conv_block(inputs, 8)
skip = x
x = conv_block(x, 8)
x = layers.add([x, skip])
x = tfa.layers.GroupNormalization(groups=4, epsilon=1e-5)(x)
x = tfa.layers.InstanceNormalization(center=False, epsilon=1e-5)(x)
x = tfa.layers.GroupNormalization()(layers.Conv2D(32, 1)(x))
outputs = layers.Conv2D(3, 1, activation="tanh")(x)
model = keras.Model(inputs, outputs, name="generator")


def run(data):
    return [model(data, training=True), model(data)]
'''

# channels first and sequences: a positive axis, rank 3, InstanceNormalization imported by name
AXES = '''
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow_addons.layers import GroupNormalization, InstanceNormalization

image = keras.Input(shape=(4, 5, 6))  # channels first: axis 1
a = GroupNormalization(groups=2, axis=1)(image)
a = InstanceNormalization(axis=1, scale=False)(a)
a = layers.Dense(3)(layers.Permute((2, 3, 1))(a))  # (Keras's CPU channels_first convolution is off here)
sequence = keras.Input(shape=(7, 6))
b = InstanceNormalization()(layers.Dense(6)(sequence))
b = GroupNormalization(groups=3, axis=2)(b)
model = keras.Model([image, sequence], [a, b])


def run(data):
    return model(data)
'''

# a GauGAN-like block made with Sequential.add, and GELU (both forms) in a Sequential's list
SEQUENTIAL = '''
from tensorflow import keras
from tensorflow.keras import layers
import tensorflow_addons as tfa


def downsample(channels, apply_norm=True):
    block = keras.Sequential()
    block.add(layers.Conv2D(channels, 3, strides=2, padding="same"))
    if apply_norm:
        block.add(tfa.layers.InstanceNormalization())
    block.add(layers.LeakyReLU(0.2))
    return block


encoder = keras.Sequential([keras.Input((8, 8, 3)), downsample(8), downsample(16)])
head = keras.Sequential([keras.Input((6,)), layers.Dense(16), tfa.layers.GELU(), layers.Dense(8),
                         tfa.layers.GELU(approximate=False), layers.Dense(2)])
# the blocks made in a functional graph, which the translation runs again on every call
image = keras.Input((8, 8, 3))
features = downsample(16)(downsample(8, apply_norm=False)(image))
discriminator = keras.Model(image, layers.Conv2D(1, 2)(features))


def run(data):
    return [encoder(data[0]), head(data[1] * 3.0), discriminator(data[0], training=True), discriminator(data[0])]
'''

# an MLP-Mixer-like layer subclass holding Sequentials with GELU, in a functional model
SUBCLASS = '''
from tensorflow import keras
from tensorflow.keras import layers
import tensorflow_addons as tfa


class MixerBlock(layers.Layer):
    def __init__(self, tokens, channels, **kwargs):
        super().__init__(**kwargs)
        self.token_mlp = keras.Sequential([layers.Dense(tokens), tfa.layers.GELU(), layers.Dense(tokens)])
        self.channel_mlp = keras.Sequential([layers.Dense(channels), tfa.layers.GELU(), layers.Dense(channels)])
        self.norm = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        x = self.norm(inputs)
        x = inputs + keras.ops.transpose(self.token_mlp(keras.ops.transpose(x, (0, 2, 1))), (0, 2, 1))
        return x + self.channel_mlp(self.norm(x))


inputs = keras.Input((5, 4))
outputs = MixerBlock(5, 4)(MixerBlock(5, 4)(inputs))
model = keras.Model(inputs, outputs)


def run(data):
    return model(data)
'''

# trained: regularizers (a loss Keras adds) and a constraint (applied after each update)
TRAINING = '''
from tensorflow import keras
from tensorflow.keras import layers
import tensorflow_addons as tfa

model = keras.Sequential([
    keras.Input((4, 4, 2)),
    layers.Conv2D(4, 3, padding="same"),
    tfa.layers.InstanceNormalization(gamma_regularizer=keras.regularizers.l2(1e-2), beta_constraint=keras.constraints.MaxNorm(0.5)),
    tfa.layers.GELU(),
    tfa.layers.GroupNormalization(groups=2, beta_regularizer="l2"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")


def run(data):
    history = model.fit(data[0], data[1], epochs=3, batch_size=4, shuffle=False, verbose=0)
    return [history.history["loss"], model.predict(data[0], verbose=0), [float(l) for l in model.losses]]
'''

# a RegNet-like model zoo's squeeze-and-excitation block, a subclass holding tfa's adaptive
# pooling to one bin, and a pyramid of poolings to several bins (1D, 2D, 3D; channels first)
ADAPTIVE = '''
import tensorflow as tf
import tensorflow_addons as tfa
from tensorflow.keras import layers


class SE(tf.keras.layers.Layer):
    def __init__(self, channels, ratio):
        super().__init__()
        self.avg_pool = tfa.layers.AdaptiveAveragePooling2D(output_size=(1, 1))
        self.fc1 = layers.Conv2D(channels // ratio, 1, activation="relu")
        self.fc2 = layers.Conv2D(channels, 1, activation="sigmoid")

    def call(self, inputs):
        return inputs * self.fc2(self.fc1(self.avg_pool(inputs)))


image = tf.keras.Input((8, 12, 4))
x = SE(4, 2)(layers.Conv2D(4, 3, padding="same")(image))
pyramid = [layers.Flatten()(tfa.layers.AdaptiveMaxPooling2D(bins)(x)) for bins in (1, 2, (4, 3))]
first = layers.Flatten()(tfa.layers.AdaptiveMaxPooling2D(2, data_format="channels_first")(layers.Permute((3, 1, 2))(x)))
sequence = tf.keras.Input((6, 3))
s = tfa.layers.AdaptiveAveragePooling1D(3)(layers.Dense(4)(sequence))
volume = tf.keras.Input((4, 4, 2, 2))
v = tfa.layers.AdaptiveMaxPooling3D((2, 1, 2))(volume)
model = tf.keras.Model([image, sequence, volume],
                       [layers.concatenate(pyramid + [first]), s, layers.Flatten()(v)])


def run(data):
    return model(data)
'''

CASES: dict[str, tuple[str, list[str], Any]] = {
    "adaptive": (ADAPTIVE, ["model"], [(2, 8, 12, 4), (2, 6, 3), (2, 4, 4, 2, 2)]),
    "builder": (BUILDER, ["model"], (3, 8, 8, 3)),
    "axes": (AXES, ["model"], [(2, 4, 5, 6), (2, 7, 6)]),
    "sequential": (SEQUENTIAL, ["encoder", "head", "discriminator"], [(2, 8, 8, 3), (3, 6)]),
    "subclass": (SUBCLASS, ["model"], (2, 5, 4)),
    "training": (TRAINING, ["model"], [(8, 4, 4, 2), (8, 1)]),
}


def _arrays(shapes: Any, rng: Any) -> Any:
    if isinstance(shapes, list):
        return [_arrays(s, rng) for s in shapes]
    return rng.uniform(-1, 1, size=shapes).astype("float32")


def _exec(source: str, name: str) -> dict[str, Any]:
    from kerastf_xlate.verify import exec_source

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return exec_source(source, name, f"{name}.py")


def _fake_tfa(tmp_path: Path) -> Path:
    root = tmp_path / "fake_tfa"
    (root / "tensorflow_addons").mkdir(parents=True)
    for name, text in FAKE_TFA.items():
        (root / "tensorflow_addons" / name).write_text(text)
    return root


def _forget_tfa() -> None:
    for name in [n for n in sys.modules if n == "tensorflow_addons" or n.startswith("tensorflow_addons.")]:
        del sys.modules[name]


def _translated(source: str, case: str) -> str:
    out, diags = translate(source, f"{case}.py")
    assert BANNER in out, f"{case}: not in the program form: " + "; ".join(f"{d.code} {d.message}" for d in diags)
    user = user_part(out)
    assert "tensorflow_addons" not in out and "tfa" not in user, f"{case}: TensorFlow Addons left:\n{user}"
    assert not re.search(r"\b(keras|layers)\.\w", user), f"{case}: Keras code left:\n{user}"
    again, _ = translate(out, f"{case}.py")
    assert again == out, f"{case}: a second to-tf changes the file"
    return out


@pytest.mark.tf
@pytest.mark.parametrize("case", list(CASES))
def test_addons_layers_run_like_tfa(case: str, tmp_path: Path, monkeypatch: Any) -> None:
    import keras
    import numpy as np

    source, names, shapes = CASES[case]
    out = _translated(source, case)
    data = _arrays(shapes, np.random.default_rng(0))
    fake = str(_fake_tfa(tmp_path))
    monkeypatch.chdir(tmp_path)
    sys.path.insert(0, fake)
    try:
        keras.utils.set_random_seed(0)
        original = _exec(source, f"__addons_{case}_keras__")
    finally:
        sys.path.remove(fake)
        _forget_tfa()
    translated = _exec(out, f"__addons_{case}_tf__")
    assert "tensorflow_addons" not in sys.modules
    move_perturbed(original, translated, names)
    for name in names:
        assert [w.shape for w in translated[name].weights] == [w.shape for w in original[name].weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = original["run"](data)
        got = translated["run"](data)
    worst = close(expected, got, f"{case}: run()")
    if case == "builder":  # made after clear_session: tfa's automatic names, counted as Keras counts
        assert [layer.name for layer in translated["model"].layers] == [layer.name for layer in original["model"].layers]
        assert "instance_normalization_2" in [layer.name for layer in translated["model"].layers]
    for name in names:
        worst = max(worst, close(original[name].get_weights(), translated[name].get_weights(), f"{case}: {name} weights"))
    print(f"{case}: worst |tf - keras| = {worst:.3g}")


# no tfa: a Sequential a builder makes with add() inside a functional graph, which the
# translated model runs again on each call (the runtime's Sequential.add added the layers
# again on each replay: the second call crashed); seen in GauGAN's encoder
SEQUENTIAL_ADD = '''
import keras
from keras import layers


def block(units, norm=True):
    b = keras.Sequential()
    b.add(layers.Dense(units))
    if norm:
        b.add(layers.LayerNormalization())
    b.add(layers.ReLU())
    return b


inputs = keras.Input((3,))
outputs = block(2, norm=False)(block(4)(inputs))
model = keras.Model(inputs, outputs)


def run(data):
    return [model(data), model(data * 2.0), [len(layer.layers) for layer in model.layers[1:]]]
'''


@pytest.mark.tf
def test_a_sequential_built_with_add_in_a_graph_runs_again() -> None:
    import numpy as np

    out, diags = translate(SEQUENTIAL_ADD, "seqadd.py")
    assert BANNER in out, diags
    original = _exec(SEQUENTIAL_ADD, "__seqadd_keras__")
    translated = _exec(out, "__seqadd_tf__")
    moved = perturbed(original["model"].get_weights(), seed=2)
    original["model"].set_weights(moved)
    translated["model"].set_weights(moved)
    data = np.random.default_rng(0).uniform(-1, 1, (4, 3)).astype("float32")
    worst = close(original["run"](data), translated["run"](data), "seqadd")
    print(f"seqadd: worst |tf - keras| = {worst:.3g}")


def test_the_arguments_are_kept_as_written() -> None:
    """The class is replaced, its arguments stay as the user wrote them (the builder's run
    above also compares the layers' automatic names, tfa's ``instance_normalization_1``...)."""
    out = _translated(BUILDER, "builder")
    assert "AddonsInstanceNormalization(gamma_initializer=gamma_init)" in out
    assert "AddonsGroupNormalization(groups=4, epsilon=1e-5)" in out


@pytest.mark.tf
def test_instance_normalization_with_an_axis_before_the_last_is_tfa_s() -> None:
    """tfa (0.12 on) does not reshape into groups when each group is one channel, and finds
    the reduced axes from ``axis`` on the input's own axes: for ``axis=-2`` of a rank-4
    input that pops the first spatial axis, so it normalizes over axes 2 and 3 (the channel
    axis itself and the last), with gamma and beta along axis 2. The runtime keeps that
    (computed here with NumPy from tfa's steps); the stand-in above could not show it."""
    import numpy as np
    import tensorflow as tf
    from runtime_ns import runtime

    rt = runtime()
    layer = rt["AddonsInstanceNormalization"](axis=-2)
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5)).astype("float32")
    layer(tf.constant(x))
    gamma = np.linspace(0.5, 1.5, 4).astype("float32")
    beta = np.linspace(-0.3, 0.3, 4).astype("float32")
    layer.set_weights([gamma, beta])
    got = layer(tf.constant(x)).numpy()
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(1, 1, 4, 1) + beta.reshape(1, 1, 4, 1)
    worst = float(np.max(np.abs(got - expected)))
    assert worst <= 1e-5, worst
    assert layer.name.startswith("instance_normalization")


def _kept(source: str) -> list[tuple[str, str]]:
    out, diags = translate(source, "kept.py")
    assert out == source, "the file must stay as it is"
    return [(d.code, d.message) for d in diags]


@pytest.mark.parametrize("call, why", [
    ('tfa.layers.InstanceNormalization(dtype="float16")', "only float32"),
    ("tfa.layers.GroupNormalization(groups=2, dtype=policy)", "only float32"),
    ("tfa.layers.GELU(**options)", "cannot read"),
    ("tfa.layers.GroupNormalization(*args)", "cannot read"),
    ("tfa.layers.InstanceNormalization(dynamic=True)", "does not take"),
    ("tfa.layers.GELU(weights=[])", "does not take"),
])
def test_an_argument_the_translation_cannot_reproduce_keeps_the_model(call: str, why: str) -> None:
    source = textwrap.dedent(f'''\
        from tensorflow import keras
        import tensorflow_addons as tfa

        policy, options, args = "mixed_float16", {{}}, (2,)
        model = keras.Sequential([keras.Input((4, 4, 2)), {call}])
        ''')
    reasons = _kept(source)
    assert any(code == "XL201" and why in message for code, message in reasons), reasons


def test_float32_dtype_is_translated() -> None:
    source = textwrap.dedent('''\
        import tensorflow as tf
        from tensorflow import keras
        import tensorflow_addons as tfa

        model = keras.Sequential([keras.Input((4, 2)), tfa.layers.GELU(dtype="float32"),
                                  tfa.layers.InstanceNormalization(dtype=tf.float32, name="norm")])
        ''')
    out = _translated(source, "float32")
    assert 'AddonsInstanceNormalization(dtype=tf.float32, name="norm")' in out


def test_a_tfa_layer_the_program_form_does_not_translate_keeps_the_model() -> None:
    """Other ``tensorflow_addons`` names are other package code: no crash, no translation, the
    tfa import stays."""
    source = textwrap.dedent('''\
        from tensorflow import keras
        import tensorflow_addons as tfa

        model = keras.Sequential([keras.Input((4,)), tfa.layers.WeightNormalization(keras.layers.Dense(8))])
        ''')
    out, diags = translate(source, "other.py")
    assert out == source and "Addons" not in out
    assert any(d.code.startswith("XL3") for d in diags), [(d.code, d.message) for d in diags]


# activation functions given as callables: tfa's gelu (approximate by default, not in
# names.ADDONS: other package code), keras.ops.gelu (approximate by default), the Keras
# activation (exact); the flat form wrote the first two as the exact GELU before
ACTIVATION_CALLABLES = '''
import keras
import tensorflow_addons as tfa

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation=tfa.activations.gelu),
                          keras.layers.Dense(8, activation=keras.ops.gelu),
                          keras.layers.Dense(3, activation=keras.activations.gelu)])
'''


@pytest.mark.tf
def test_activation_callables_of_tfa_and_keras_ops_keep_their_default(tmp_path: Path) -> None:
    """``activation=tfa.activations.gelu`` is called as it is (the translation keeps the tfa
    import), ``keras.ops.gelu`` is the tanh approximation; both programs run with the
    stand-in tfa, inputs scaled so that the two GELUs differ (by up to ~1e-3)."""
    import keras
    import numpy as np

    out, diags = translate(ACTIVATION_CALLABLES, "callables.py")
    assert "tfa.activations.gelu" in user_part(out) and out != ACTIVATION_CALLABLES, diags
    fake = str(_fake_tfa(tmp_path))
    sys.path.insert(0, fake)
    try:
        keras.utils.set_random_seed(0)
        original = _exec(ACTIVATION_CALLABLES, "__addons_callables_keras__")
        translated = _exec(out, "__addons_callables_tf__")
        moved = perturbed(original["model"].get_weights(), seed=3)
        original["model"].set_weights(moved)
        translated["model"].set_weights(moved)
        x = np.random.default_rng(0).uniform(-3, 3, (16, 4)).astype("float32")
        worst = close(np.asarray(original["model"](x)), np.asarray(translated["model"](x)), "callables")
    finally:
        sys.path.remove(fake)
        _forget_tfa()
    print(f"callables: worst |tf - keras| = {worst:.3g}")


def test_a_tfa_program_is_tf_keras_2s() -> None:
    # tfa runs on tf.keras 2 only: its BatchNormalization and Adam are tf.keras 2's (the moving
    # variance of the fused kernel, an embedding gradient's rows summed), and what tf.keras 2
    # does otherwise than Keras 3 keeps the models (the RMSprop of a version)
    program = textwrap.dedent("""\
        import numpy as np
        import tensorflow as tf
        import tensorflow_addons as tfa

        model = tf.keras.Sequential([
            tf.keras.layers.Conv2D(4, 3, input_shape=(8, 8, 3)),
            tf.keras.layers.BatchNormalization(),
            tfa.layers.GELU(),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(2),
        ])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.zeros((2, 8, 8, 3)), np.zeros((2, 2)))
        """)
    out, diags = translate(program, "m.py")
    user = user_part(out)
    assert "TFKeras2BatchNormalization()," in user and 'model.compile(optimizer=LegacyAdam(), loss="mse")' in user, \
        [d.message for d in diags]
    rmsprop = program.replace('optimizer="adam"', 'optimizer="rmsprop"')
    out, diags = translate(rmsprop, "m.py")
    assert out == rmsprop
    assert any("(a tf.keras 2 program, for its TensorFlow Addons): the optimizer 'rmsprop''s update differs"
               in d.message for d in diags), [d.message for d in diags]


def test_what_only_standalone_keras_2_read_otherwise_does_not_keep_a_tfa_program() -> None:
    # a convolution's third positional argument is the strides in tf.keras 2 as in Keras 3 (only
    # Keras 2.0-2.2's legacy interface read a kernel size there); a class's own `compile` takes
    # its own keywords (a GAN's optimizers), which are no Keras 2 training arguments
    program = textwrap.dedent("""\
        import tensorflow as tf
        import tensorflow_addons as tfa
        from tensorflow import keras
        from tensorflow.keras import layers


        class GAN(keras.Model):
            def __init__(self, generator):
                super().__init__()
                self.generator = generator

            def compile(self, gen_optimizer, gen_loss_fn):
                super().compile()
                self.gen_optimizer = gen_optimizer
                self.gen_loss_fn = gen_loss_fn

            def call(self, x):
                return self.generator(x)


        generator = keras.Sequential([
            layers.Conv2D(4, 3, 2, padding="same", input_shape=(8, 8, 3)),
            tfa.layers.InstanceNormalization(),
            layers.UpSampling2D(interpolation="bilinear"),
        ])
        gan = GAN(generator)
        gan.compile(gen_optimizer=keras.optimizers.Adam(2e-4), gen_loss_fn=keras.losses.MeanSquaredError())
        """)
    out, diags = translate(program, "m.py")
    assert out != program, [d.message for d in diags]
    assert "Conv2D(4, 3, 2, padding=\"same\"" in user_part(out)
