"""``xlate to-keras`` on GroupNormalization, Normalization, CenterCrop, Resizing,
CategoryEncoding and non-nearest UpSampling2D (``layers/normalization_extra.py``,
``layers/preprocessing.py``, the shape markers of ``layerkit/recognise.py``).

Static cases (nothing imports TensorFlow or Keras): what ``xlate to-tf`` writes for these
layers in a Sequential (pinned in to-tf's layout by :data:`_SEQUENTIAL`; the rule examples
themselves go through to-tf here too, and are executed in ``tests/test_tokeras_roundtrip.py``),
hand-written variants, and code that must not become these layers. Every translation is run
twice (a second run changes nothing); no-op cases come back byte for byte. One execution
test (marked ``tf``) runs a hand-written module against its translation (atol = rtol = 1e-5).
"""

from __future__ import annotations

import pytest
from models import model_source
from test_tokeras import assert_translates, src

from kerastf_xlate.rules import default_rules
from kerastf_xlate.tokeras import translate, translate_full
from kerastf_xlate.totf import translate as to_tf

_SEQUENTIAL = '''\
import tensorflow as tf


class Model(tf.Module):
    """Translated by xlate to-tf from a keras.Sequential; runs without Keras."""

    input_signature = [tf.TensorSpec([None, {shape}], tf.float32)]  # the Keras model's inputs, batch axis first

    def __init__(self, name=None):
        super().__init__(name=name)
{init}
    def __call__(self, inputs, training=False):
        x = inputs
{body}        return x


model = Model()
'''


def to_tf_model(shape: str, body: list[str], init: list[str] = ()) -> str:  # type: ignore[assignment]
    """A Sequential as to-tf writes it: ``body`` are the statements of ``__call__``."""
    return _SEQUENTIAL.format(shape=shape, init="".join(f"        {s}\n" for s in init),
                              body="".join(f"        {s}\n" for s in body))


def sequential(shape: str, *layers: str) -> str:
    items = "".join(f"        {x},\n" for x in (f"keras.Input(shape=({shape}))",) + layers)
    return f"import keras\nfrom keras import layers\n\nmodel = keras.Sequential(\n    [\n{items}    ]\n)\n"


_GROUP_NORM = [
    "gn_shape = tf.shape(x)",
    "gn_grouped = tf.reshape(x, [-1, 8, 2, 2])",
    "gn_mean, gn_variance = tf.nn.moments(gn_grouped, axes=[1, 3], keepdims=True)",
    "x = tf.nn.batch_normalization(gn_grouped, gn_mean, gn_variance, offset=None, scale=None, variance_epsilon=0.001)",
    "x = tf.reshape(x, gn_shape)",
]
_RESIZING = [
    "resizing_dtype = x.dtype",
    "x = tf.image.resize(x, [4, 5], method='area', antialias=True)",
    "if x.dtype != resizing_dtype:",
    "    if resizing_dtype.is_integer:",
    "        x = tf.round(x)",
    "    x = tf.dtypes.saturate_cast(x, resizing_dtype)",
]

TO_TF_CASES = [
    pytest.param(
        to_tf_model("7, 6, 3", ["x = tf.cast(x, tf.float32)[:, 1:5, 1:5, :]",
                                "x = tf.image.resize(x, [8, 12], method='bicubic', antialias=False)"]),
        sequential("7, 6, 3", "layers.CenterCrop(4, 4)", "layers.UpSampling2D(size=(2, 3), interpolation='bicubic')"),
        id="center_crop_then_upsampling_sized_from_the_input",
    ),
    pytest.param(
        to_tf_model("3, 4, 2", ["x = tf.image.resize(tf.cast(x, tf.float32)[:, 0:3, 0:3, :], [5, 5], method='bilinear', antialias=False)"]),
        sequential("3, 4, 2", "layers.CenterCrop(5, 5)"),
        id="center_crop_of_a_smaller_image",
    ),
    pytest.param(
        to_tf_model("2, 3", ["normalization_mean = tf.reshape(tf.constant([1.0, 2.0], tf.float32), [1, 2, 1])",
                             "normalization_std = tf.maximum(tf.sqrt(tf.reshape(tf.constant([4.0, 9.0], tf.float32), [1, 2, 1])), 1e-07)",
                             "x = normalization_mean + tf.cast(x, tf.float32) * normalization_std",
                             "x = tf.one_hot(tf.cast(x, tf.int64), 4, dtype=tf.float32)"]),
        sequential("2, 3", "layers.Normalization(axis=-2, mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)",
                   "layers.CategoryEncoding(num_tokens=4, output_mode='one_hot')"),
        id="normalization_on_a_middle_axis_then_one_hot_of_a_last_axis_not_1",
    ),
    pytest.param(
        to_tf_model("8, 4", _GROUP_NORM),
        sequential("8, 4", "layers.GroupNormalization(groups=2, center=False, scale=False, name='gn')"),
        id="group_norm_without_weights_named_by_its_temporaries",
    ),
]


@pytest.mark.parametrize("before, after", TO_TF_CASES)
def test_to_tf_form(before: str, after: str) -> None:
    assert_translates(before, after)


def _rule_examples() -> list[tuple[str, str]]:
    rules = default_rules()
    layers = ["GroupNormalization", "Normalization", "CenterCrop", "Resizing", "CategoryEncoding", "UpSampling2D"]
    return [(f"{name}-{i}", model_source(rules.get(name), ex)) for name in layers for i, ex in enumerate(rules.get(name).examples)]


@pytest.mark.parametrize("case, source", _rule_examples(), ids=[c for c, _ in _rule_examples()])
def test_rule_examples_come_back_statically(case: str, source: str) -> None:
    """to-tf(to-keras(to-tf(F))) is to-tf(F) and nothing stays TensorFlow (the executed
    version of this is tests/test_tokeras_roundtrip.py)."""
    t, _ = to_tf(source, f"{case}.py")
    full = translate_full(t, f"{case}_tf.py")
    assert not [d.code for d in full.diagnostics], full.text
    assert "class Model" not in full.text and "tf." not in full.text
    assert to_tf(full.text, f"{case}_keras.py")[0] == t


def test_subclass_layer_methods_come_back() -> None:
    """to-tf's one-layer methods of a subclass (GroupNormalization of unknown rank, its
    Normalization, Resizing and UpSampling2D forms) become the layers again."""
    keras_source = src('''
        import keras
        from keras import layers


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.gn = layers.GroupNormalization(groups=2)
                self.norm = layers.Normalization(mean=2.0, variance=4.0)
                self.rs = layers.Resizing(4, 5)
                self.up = layers.UpSampling2D(size=(2, 3), interpolation='bilinear')

            def call(self, x, training=False):
                x = self.gn(x)
                x = self.norm(x)
                x = self.rs(x)
                return self.up(x)
    ''')
    t, _ = to_tf(keras_source, "net.py")
    assert "def gn(self, x" in t and "gn_rank, gn_channels = len(x.shape)" in t  # the form for an unknown rank
    k, diags = translate(t, "net_tf.py")
    assert not diags
    init = [ln.strip() for ln in k.splitlines() if ln.strip().startswith("self.") and " = layers." in ln]
    assert init == [ln.strip() for ln in keras_source.splitlines() if " = layers." in ln]
    assert to_tf(k, "net_keras.py")[0] == t


HAND_WRITTEN = [
    pytest.param(
        """
            import tensorflow as tf


            class Block(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.w = tf.Variable(tf.random.normal([3, 3, 3, 8], stddev=0.1))
                    self.gamma = tf.Variable(tf.random.uniform([8], 0.5, 1.5))
                    self.beta = tf.Variable(tf.zeros([8]))

                def __call__(self, x):
                    x = tf.nn.conv2d(x, self.w, 1, 'SAME')
                    shape = tf.shape(x)
                    g = tf.reshape(x, [-1, shape[1], shape[2], 4, 2])
                    mean, var = tf.nn.moments(g, axes=[1, 2, 4], keepdims=True)
                    y = tf.nn.batch_normalization(g, mean, var, offset=tf.reshape(self.beta, [1, 1, 1, 4, 2]),
                                                  scale=tf.reshape(self.gamma, [1, 1, 1, 4, 2]), variance_epsilon=1e-5)
                    x = tf.reshape(y, shape)
                    x = tf.image.resize(x, [16, 16], method=tf.image.ResizeMethod.BICUBIC)
                    return tf.image.resize(x, [tf.shape(x)[1] * 2, tf.shape(x)[2] * 2])
        """,
        """
            import keras
            from keras import layers


            class Block(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.conv2d = layers.Conv2D(8, 3, padding='same', use_bias=False, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
                    self.group_normalization = layers.GroupNormalization(groups=4, epsilon=1e-05, gamma_initializer=keras.initializers.RandomUniform(minval=0.5, maxval=1.5))
                    self.resizing = layers.Resizing(16, 16, interpolation='bicubic')
                    self.up_sampling2d = layers.UpSampling2D(size=2, interpolation='bilinear')

                def call(self, x, training=False):
                    x = self.conv2d(x)
                    x = self.group_normalization(x)
                    x = self.resizing(x)
                    return self.up_sampling2d(x)
        """,
        id="module_group_norm_resize_upsampling",
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf

            SIZE = 16

            ids = keras.Input(shape=(4,), dtype="int32")
            counts = tf.math.bincount(ids, minlength=10, maxlength=10, dtype=tf.float32, axis=-1, binary_output=True)
            images = keras.Input(shape=(32, 32, 3))
            small = tf.image.resize(images, [SIZE, SIZE], antialias=True)
            scaled = (small - tf.constant([0.5, 0.4, 0.3])) / tf.maximum(tf.sqrt(tf.constant([0.1, 0.2, 0.3])), 1e-07)
            model = keras.Model([ids, images], [counts, scaled])
        """,
        """
            import keras

            SIZE = 16

            ids = keras.Input(shape=(4,), dtype="int32")
            counts = keras.layers.CategoryEncoding(num_tokens=10)(ids)
            images = keras.Input(shape=(32, 32, 3))
            small = keras.layers.Resizing(SIZE, SIZE, antialias=True)(images)
            scaled = keras.layers.Normalization(mean=[0.5, 0.4, 0.3], variance=[0.1, 0.2, 0.3])(small)
            model = keras.Model([ids, images], [counts, scaled])
        """,
        id="functional_bincount_resize_normalization",
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf


            class Up(keras.layers.Layer):
                def call(self, x):
                    counts = tf.math.bincount(x, minlength=4, maxlength=4, dtype=tf.float32, axis=-1)
                    return tf.image.resize(counts[:, None, :, None], [tf.shape(x)[1] * 3, tf.shape(x)[2] * 3], method='lanczos3')
        """,
        """
            import keras
            import tensorflow as tf


            class Up(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.category_encoding = keras.layers.CategoryEncoding(num_tokens=4, output_mode='count')

                def call(self, x):
                    counts = self.category_encoding(x)
                    return tf.image.resize(counts[:, None, :, None], [tf.shape(x)[1] * 3, tf.shape(x)[2] * 3], method='lanczos3')
        """,
        id="keras_layer_call_bincount_and_an_upsampling_of_another_tensor",
    ),
]


@pytest.mark.parametrize("before, after", HAND_WRITTEN)
def test_hand_written(before: str, after: str) -> None:
    assert_translates(src(before), after)


_MODULE = '''\
import tensorflow as tf


class Prep(tf.Module):
    def __init__(self):
        super().__init__()

    def __call__(self, x):
        return {expr}
'''

NOOPS = [
    # Keras drops a last axis of 1 before one_hot: nothing here says whether there is one
    _MODULE.format(expr="tf.one_hot(x, 10)"),
    _MODULE.format(expr="tf.one_hot(tf.cast(tf.squeeze(x, -1), tf.int64), 5, dtype=tf.float32)"),  # to-tf's form: its code only
    _MODULE.format(expr="tf.image.resize(x, [224, 224], preserve_aspect_ratio=True)"),
    _MODULE.format(expr="tf.image.resize(x, tf.shape(x)[1:3] * 2)"),
    _MODULE.format(expr="tf.image.resize(x, [8, 8], method='gaussian')"),
    _MODULE.format(expr="tf.image.resize(x, [tf.shape(x)[1] * 2, tf.shape(x)[2] * 2], method='nearest')"),
    _MODULE.format(expr="tf.image.resize(x, [tf.shape(x)[1] * 2, tf.shape(x)[2] * 2], antialias=True)"),
    # Normalization floors the standard deviation at 1e-7; in a subclass Keras loses its statistics
    _MODULE.format(expr="(x - tf.constant(2.0)) / tf.sqrt(tf.constant(4.0))"),
    _MODULE.format(expr="(x - tf.constant(2.0)) / tf.maximum(tf.sqrt(tf.constant(4.0)), 1e-07)"),
    _MODULE.format(expr="(x - tf.constant(2)) / tf.maximum(tf.sqrt(tf.constant(4)), 1e-07)"),
    _MODULE.format(expr="tf.math.bincount(x, minlength=5, maxlength=5, axis=-1)"),  # int32 counts
    _MODULE.format(expr="tf.math.bincount(x, minlength=5, maxlength=6, dtype=tf.float32, axis=-1)"),
    # the forms whose meaning depends on the input's static shape: to-tf's code only
    _MODULE.format(expr="tf.cast(x, tf.float32)[:, 1:5, 1:5, :]"),
    _MODULE.format(expr="tf.reduce_sum(tf.one_hot(tf.cast(x, tf.int64), 5, dtype=tf.float32), axis=1)"),
    # a group normalization whose scale does not line up with the groups
    src('''
        import tensorflow as tf


        class GN(tf.Module):
            def __init__(self):
                super().__init__()
                self.gamma = tf.Variable(tf.ones([8]))

            def __call__(self, x):
                shape = tf.shape(x)
                g = tf.reshape(x, [-1, shape[1], 4, 2])
                mean, var = tf.nn.moments(g, axes=[1, 3], keepdims=True)
                y = tf.nn.batch_normalization(g, mean, var, offset=None, scale=tf.reshape(self.gamma, [1, 1, 2, 4]), variance_epsilon=1e-5)
                x = tf.reshape(y, shape)
                return x
    '''),
    # to-tf's code: a window that is not centred in the input, a size that is no multiple of it,
    # counts summed over the ids of a rank-2 input (Keras counts them with bincount: differs on rank 1)
    to_tf_model("6, 6, 3", ["x = tf.cast(x, tf.float32)[:, 0:4, 1:5, :]"]),
    to_tf_model("3, 4, 1", ["x = tf.image.resize(x, [7, 12], method='bilinear', antialias=False)"]),
    to_tf_model("3", ["x = tf.reduce_sum(tf.one_hot(tf.cast(x, tf.int64), 5, dtype=tf.float32), axis=1)"]),
]


@pytest.mark.parametrize("source", NOOPS)
def test_noop(source: str) -> None:
    out, _ = translate(source, "n.py")
    assert out == source


def test_resizing_block_in_a_sequence_with_another_layer_is_one_layer() -> None:
    before = to_tf_model("6, 6, 3", _RESIZING + ["x = tf.nn.relu(x)"])
    assert_translates(before, sequential("6, 6, 3", "layers.Resizing(4, 5, interpolation='area', antialias=True)", "layers.ReLU()"))


def test_center_crop_needs_the_input_shape() -> None:
    """Without ``input_signature`` the crop's offsets cannot be checked: it stays."""
    before = to_tf_model("6, 6, 3", ["x = tf.cast(x, tf.float32)[:, 1:5, 1:5, :]"])
    before = before.replace("    input_signature = [tf.TensorSpec([None, 6, 6, 3], tf.float32)]  # the Keras model's inputs, batch axis first\n\n", "")
    out, diags = translate(before, "c.py")
    assert out == before and [d.code for d in diags] == ["XL502"]


def test_group_norm_without_signature_recovers_the_input_shape() -> None:
    """The grouped reshape shows the input's rank and static sizes."""
    t, _ = to_tf("import keras\nfrom keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(6, 6, 4)), "
                 "layers.GroupNormalization(groups=2)])\n", "g.py")
    bare = "\n".join(ln for ln in t.splitlines() if "input_signature = " not in ln) + "\n"
    k, diags = translate(bare, "g_tf.py")
    assert not diags and "keras.Input(shape=(6, 6, 4))" in k and "layers.GroupNormalization(groups=2)" in k


EXECUTED = src('''
    import tensorflow as tf


    class Prep(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.random.normal([3, 3, 3, 8], stddev=0.1))
            self.gamma = tf.Variable(tf.random.uniform([8], 0.5, 1.5))
            self.beta = tf.Variable(tf.random.uniform([8], -0.5, 0.5))

        def __call__(self, x):
            x = tf.nn.conv2d(x, self.w, 1, 'SAME')
            shape = tf.shape(x)
            g = tf.reshape(x, [-1, shape[1], shape[2], 4, 2])
            mean, var = tf.nn.moments(g, axes=[1, 2, 4], keepdims=True)
            y = tf.nn.batch_normalization(g, mean, var, offset=tf.reshape(self.beta, [1, 1, 1, 4, 2]),
                                          scale=tf.reshape(self.gamma, [1, 1, 1, 4, 2]), variance_epsilon=1e-5)
            x = tf.reshape(y, shape)
            x = tf.image.resize(x, [5, 7], method='bicubic', antialias=True)
            return tf.image.resize(x, [tf.shape(x)[1] * 2, tf.shape(x)[2] * 3], method='bilinear')


    model = Prep()
''')


@pytest.mark.tf
def test_hand_written_module_runs_with_the_same_outputs() -> None:
    """The translated Keras model, with the module's variables moved across in Keras's order,
    computes what the module computes (atol = rtol = 1e-5)."""
    from kerastf_xlate.tokeras import verify_to_keras

    text, diags = translate(EXECUTED, "prep.py")
    assert not diags and "tf." not in text.split("class Prep", 1)[1]
    results = verify_to_keras(EXECUTED, "prep.py", atol=1e-5, rtol=1e-5, input_shape=(9, 6, 3))
    assert results and all(r.ok for r in results), results
    print(f"hand-written preprocessing module: worst max |diff| = {max(r.max_abs_diff for r in results):.3g}")
