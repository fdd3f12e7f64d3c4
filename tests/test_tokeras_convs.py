"""``xlate to-keras`` on transposed convolutions, 1-D depthwise / separable convolutions and
EinsumDense (:mod:`kerastf_xlate.tokeras.weighted_extra`).

Static cases (before, after), in the style of ``tests/test_tokeras.py``: hand-written
``tf.Module`` code, what ``xlate to-tf`` writes (with and without its ``input_signature``),
and no-op cases that must come back byte for byte with their diagnostics. The tests marked
``tf`` execute the original and the translation with the same weights (atol = rtol = 1e-5).
"""

from __future__ import annotations

import pytest
from test_tokeras import assert_translates, src

from kerastf_xlate.layers.einsum import einsum_out_shape, split_equation
from kerastf_xlate.tokeras import translate, translate_full
from kerastf_xlate.tokeras.shapes import Unbuildable, out_shape
from kerastf_xlate.totf import translate as to_tf

# ------------------------------------------------------------------------------ hand-written modules

CASES = [
    pytest.param(
        """
            import tensorflow as tf


            class Up(tf.Module):
                def __init__(self, filters=16):
                    super().__init__()
                    self.w = tf.Variable(tf.random.normal([3, 3, filters, 8], stddev=0.02))
                    self.b = tf.Variable(tf.zeros([filters]))

                def __call__(self, x):
                    y = tf.nn.conv2d_transpose(x, self.w, [tf.shape(x)[0], 28, 28, self.w.shape[2]], [1, 2, 2, 1], 'SAME')
                    return tf.nn.relu(y + self.b)
        """,
        """
            import keras
            from keras import layers


            class Up(keras.Model):
                def __init__(self, filters=16):
                    super().__init__()
                    self.conv2d_transpose = layers.Conv2DTranspose(filters, 3, strides=2, padding='same', activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.02))

                def call(self, x, training=False):
                    return self.conv2d_transpose(x)
        """,
        id="conv2d_transpose-list-shape",
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Up1D(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.k1 = tf.Variable(tf.random.normal([4, 8, 3]))
                    self.k3 = tf.Variable(tf.random.normal([2, 2, 2, 5, 8]))
                    self.b3 = tf.Variable(tf.zeros([5]))

                def __call__(self, x, v):
                    y = tf.nn.conv1d_transpose(x, self.k1, tf.stack([tf.shape(x)[0], tf.shape(x)[1] * 2, 8]), 2)
                    z = tf.nn.conv_transpose(v, self.k3, [tf.shape(v)[0], (tf.shape(v)[1] - 1) * 1 + 2, 2 + v.shape[2] - 1, tf.shape(v)[3] + 1, 5], strides=1, padding='VALID')
                    z = tf.nn.bias_add(z, self.b3)
                    return y, z
        """,
        """
            import keras
            from keras import layers


            class Up1D(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.conv1d_transpose = layers.Conv1DTranspose(8, 4, strides=2, padding='same', use_bias=False, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0))
                    self.conv3d_transpose = layers.Conv3DTranspose(5, 2, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0))

                def call(self, x, v, training=False):
                    y = self.conv1d_transpose(x)
                    z = self.conv3d_transpose(v)
                    return y, z
        """,
        id="conv_transpose-dynamic-sizes",
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Seq(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.dw = tf.Variable(tf.random.normal([5, 4, 2], stddev=0.1))
                    self.dw_b = tf.Variable(tf.zeros([8]))
                    self.sep_d = tf.Variable(tf.random.normal([3, 8, 1], stddev=0.1))
                    self.sep_p = tf.Variable(tf.random.normal([1, 8, 16], stddev=0.1))

                def __call__(self, x):
                    h = tf.squeeze(tf.nn.depthwise_conv2d(tf.expand_dims(x, axis=1), self.dw[None], [1, 2, 2, 1], 'SAME'), axis=[1])
                    h = tf.nn.elu(h + self.dw_b)
                    return tf.squeeze(tf.nn.separable_conv2d(h[:, None], tf.expand_dims(self.sep_d, 0), self.sep_p[tf.newaxis], strides=[1, 1, 1, 1], padding='VALID', dilations=[1, 2]), 1)
        """,
        """
            import keras
            from keras import layers


            class Seq(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.dw = layers.DepthwiseConv1D(5, strides=2, padding='same', depth_multiplier=2, activation='elu', depthwise_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
                    self.sep = layers.SeparableConv1D(16, 3, dilation_rate=2, use_bias=False, depthwise_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1), pointwise_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

                def call(self, x, training=False):
                    h = self.dw(x)
                    return self.sep(h)
        """,
        id="depthwise-separable-1d",
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Heads(tf.Module):
                def __init__(self, heads=4, head_dim=8):
                    super().__init__()
                    self.q = tf.Variable(tf.random.normal([32, heads, head_dim], stddev=0.02))
                    self.q_bias = tf.Variable(tf.zeros([heads, head_dim]))
                    self.o = tf.Variable(tf.random.normal([heads, head_dim, 32], stddev=0.02))
                    self.o_bias = tf.Variable(tf.zeros([32]))
                    self.t = tf.Variable(tf.random.normal([32, 6]))
                    self.t_bias = tf.Variable(tf.zeros([10, 1]))

                def __call__(self, x):
                    q = self.q_bias + tf.einsum('abc,cde->abde', x, self.q)
                    out = tf.nn.bias_add(tf.einsum('abcd,cde->abe', q, self.o), self.o_bias)
                    t = tf.add(tf.einsum('...tc,cd->...td', out, self.t), self.t_bias)
                    return tf.nn.softmax(t)
        """,
        """
            import keras
            from keras import layers


            class Heads(keras.Model):
                def __init__(self, heads=4, head_dim=8):
                    super().__init__()
                    self.einsum_dense = layers.EinsumDense('abc,cde->abde', (None, heads, head_dim), bias_axes='de', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.02))
                    self.einsum_dense_1 = layers.EinsumDense('abcd,cde->abe', (None, 32), bias_axes='e', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.02))
                    self.einsum_dense_2 = layers.EinsumDense('...tc,cd->...td', (10, 6), activation='softmax', bias_axes='t', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0))

                def call(self, x, training=False):
                    q = self.einsum_dense(x)
                    out = self.einsum_dense_1(q)
                    return self.einsum_dense_2(out)
        """,
        id="einsum-dense-biases",
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Proj(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.w = tf.Variable(tf.random.normal([7, 3]))

                def __call__(self, x):
                    y = tf.einsum("ab,bc->ac", x, self.w)
                    return tf.nn.relu(y)
        """,
        """
            import keras
            from keras import layers


            class Proj(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.einsum_dense = layers.EinsumDense("ab,bc->ac", 3, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0))

                def call(self, x, training=False):
                    return self.einsum_dense(x)
        """,
        id="einsum-dense-no-bias",
    ),
]


@pytest.mark.parametrize("before, after", CASES)
def test_translation(before: str, after: str) -> None:
    assert_translates(before, after)


def test_weight_order_is_keras_order() -> None:
    """Roles are Keras's weight names, so the variables transfer in get_weights() order."""
    units = {u.name: u for u in translate_full(src(CASES[2].values[0]), "t.py").units}
    assert units["Seq"].weight_order == ["dw", "dw_b", "sep_d", "sep_p"]
    units = {u.name: u for u in translate_full(src(CASES[3].values[0]), "t.py").units}
    assert units["Heads"].weight_order == ["q", "q_bias", "o", "o_bias", "t", "t_bias"]
    assert units["Heads"].input_hint == {"cls": "EinsumDense", "rank": 1, "last": 32}


# ------------------------------------------------------------------------------ what to-tf writes

KERAS = [
    pytest.param("layers.Conv2DTranspose(8, (3, 2), strides=(2, 1), padding='same', activation='relu')", "(5, 6, 3)", id="conv2d-transpose"),
    pytest.param("layers.Conv3DTranspose(2, 2, strides=2, use_bias=False)", "(3, 3, 2, 1)", id="conv3d-transpose"),
    pytest.param("layers.SeparableConv1D(4, 3, dilation_rate=2, depth_multiplier=2, use_bias=False)", "(12, 3)", id="separable1d"),
    pytest.param("layers.DepthwiseConv1D(3, strides=2, padding='same', activation='tanh')", "(9, 2)", id="depthwise1d"),
    pytest.param("layers.EinsumDense('abcd,de->abce', (3, 4, 5), bias_axes='be')", "(3, 4, 2)", id="einsum-broadcast-bias"),
    pytest.param("layers.EinsumDense('...b,bc->...c', 3, bias_axes='c', kernel_initializer='he_normal')", "(5, 4)", id="einsum-ellipsis"),
]


def _sequential(layer: str, shape: str) -> str:
    return f"import keras\nfrom keras import layers\n\nmodel = keras.Sequential(\n    [\n        keras.Input(shape={shape}),\n        {layer},\n    ]\n)\n"


@pytest.mark.parametrize("layer, shape", KERAS)
def test_to_tf_output_comes_back(layer: str, shape: str) -> None:
    """to-keras(to-tf(F)) is F again (nothing reported), and to-tf of it is the same text."""
    source = _sequential(layer, shape)
    t, _ = to_tf(source, "f.py")
    k, diags = translate(t, "t.py")
    assert k == source and not diags
    assert to_tf(k, "k.py")[0] == t


FUNCTIONAL = """\
import keras
from keras import layers

inputs = keras.Input(shape=(6, 6, 3))
x = layers.Conv2DTranspose(4, 3, strides=2)(inputs)
x = layers.Reshape((169, 4))(x)
x = layers.EinsumDense('abc,cd->abd', (169, 2), bias_axes='d')(x)
x = layers.DepthwiseConv1D(3, padding='same')(x)
x = layers.Flatten()(x)
outputs = layers.Dense(3)(x)
model = keras.Model(inputs, outputs)
"""


@pytest.mark.parametrize("signature", [True, False], ids=["with-signature", "without-signature"])
def test_functional_model_comes_back(signature: bool) -> None:
    """Without to-tf's input_signature the keras.Input comes from the shapes: the transposed
    convolution's literal output size gives the input's, and the EinsumDense gets the size
    (169) its output_shape leaves to the input from the propagated shape."""
    t, _ = to_tf(FUNCTIONAL, "f.py")
    if not signature:
        t = "".join(ln for ln in t.splitlines(True) if "input_signature = " not in ln)
    k, diags = translate(t, "t.py")
    assert k == FUNCTIONAL and not diags


# ------------------------------------------------------------------------------ what stays TensorFlow

NOOP = """\
import tensorflow as tf


class Odd(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.normal([3, 3, 8, 4]))
        self.k = tf.Variable(tf.random.normal([4, 3]))
        self.d = tf.Variable(tf.random.normal([3, 5, 1]))

    def __call__(self, x):
        a = tf.nn.conv2d_transpose(x, self.w, [tf.shape(x)[0], 13, 13, 8], strides=2, padding='SAME')  # not Keras's size
        b = tf.nn.conv2d_transpose(x, self.w, [32, 14, 14, 8], strides=2, padding='SAME')  # a fixed batch
        c = tf.nn.conv2d_transpose(x, self.w, [tf.shape(x)[0], 14, 14, 4], strides=2, padding='SAME')  # channels
        d = tf.einsum('cd,bc->bd', self.k, x)  # kernel first
        e = tf.einsum('bc,cd->bd', x, self.k, optimize='greedy')
        f = tf.einsum('bcc,cd->bd', x, self.k)  # a diagonal
        g = tf.squeeze(tf.nn.depthwise_conv2d(tf.expand_dims(x, 1), self.d[None], strides=[1, 1, 1, 1], padding='SAME'))
        h = tf.nn.conv2d_transpose(x, self.w, [tf.shape(c)[0], 14, 14, 8], strides=2, padding='SAME')  # another batch
        i = tf.nn.conv2d_transpose(x, self.w, [tf.shape(x)[0], tf.shape(x)[1] * 2 - 1, 14, 8], strides=2, padding='SAME')
        return a, b, c, d, e, f, g, h, i
"""


def test_unrecognised_ops_stay_byte_for_byte() -> None:
    out, diags = translate(NOOP, "n.py")
    assert out == NOOP
    assert [(d.line, d.code) for d in diags] == [(4, "XL502")] + [(n, "XL501") for n in (12, 13, 14, 18, 19, 20)]


NOOPS = [
    pytest.param("import tensorflow as tf\n\n\ndef up(x, w):\n    return tf.nn.conv2d_transpose(x, w, [tf.shape(x)[0], 8, 8, 3], 2)\n",
                 id="function-not-module"),
    pytest.param("import tensorflow as tf\n\ny = tf.einsum('ab,bc->ac', tf.ones([2, 3]), tf.ones([3, 4]))\n", id="module-level-einsum"),
]


@pytest.mark.parametrize("source", NOOPS)
def test_noop(source: str) -> None:
    out, _ = translate(source, "n.py")
    assert out == source


# ------------------------------------------------------------------------------ shapes

def test_split_equation_follows_keras() -> None:
    assert split_equation("ab,bc->ac") is not None and split_equation("ab,bc->ac").sized == "c"  # type: ignore[union-attr]
    left = split_equation("...b,bc->...c")
    assert left is not None and left.ellipsis == "left" and left.sized == "c" and left.input_axis("b") == -1
    assert split_equation("ab...,bc->ac...").ellipsis == "right"  # type: ignore[union-attr]
    for bad in ("ab,bc -> ac", "aab,bc->ac", "ab,bc->ad", "ab,ac->ac", "ab,bcd->ac", 3):
        assert split_equation(bad) is None, bad


def test_out_shapes() -> None:
    assert out_shape("Conv2DTranspose", {"filters": "4", "kernel_size": "3", "strides": "2"}, [(None, 5, 6, 3)]) == (None, 11, 13, 4)
    assert out_shape("Conv1DTranspose", {"filters": "2", "kernel_size": "2", "strides": "3", "padding": "'valid'"}, [(None, 5, 3)]) == (None, 15, 2)
    assert out_shape("Conv3DTranspose", {"filters": "2", "kernel_size": "2", "strides": "2", "padding": "'same'"}, [(None, 3, None, 3, 1)]) == (None, 6, None, 6, 2)
    assert out_shape("DepthwiseConv1D", {"kernel_size": "3", "depth_multiplier": "2"}, [(None, 9, 2)]) == (None, 7, 4)
    assert out_shape("SeparableConv1D", {"filters": "5", "kernel_size": "3", "strides": "2", "padding": "'same'"}, [(None, 9, 2)]) == (None, 5, 5)
    args = {"equation": "'abc,cde->abde'", "output_shape": "(None, 2, 3)"}
    assert einsum_out_shape(args, (None, 5, 4)) == (None, 5, 2, 3)
    assert einsum_out_shape({"equation": "'...b,bc->...c'", "output_shape": "3"}, (None, 7, 5, 4)) == (None, 7, 5, 3)
    assert einsum_out_shape({"equation": "'ab...,bc->ac...'", "output_shape": "3"}, (None, 4, 6)) == (None, 3, 6)
    with pytest.raises(Unbuildable):
        einsum_out_shape(args, (None, 5, None))  # the kernel's input size is unknown
    with pytest.raises(Unbuildable):
        out_shape("Conv2DTranspose", {"filters": "4", "kernel_size": "3"}, [(None, 5, 3)])


# ------------------------------------------------------------------------------ execution

DECODER = """\
import tensorflow as tf


class Decoder(tf.Module):
    def __init__(self):
        super().__init__()
        self.up_w = tf.Variable(tf.random.normal([3, 3, 8, 4], stddev=0.05))
        self.up_b = tf.Variable(tf.random.normal([8]))
        self.up2_w = tf.Variable(tf.random.normal([2, 2, 5, 8], stddev=0.05))
        self.dw = tf.Variable(tf.random.normal([3, 5, 2], stddev=0.1))
        self.sep_dw = tf.Variable(tf.random.normal([3, 10, 1], stddev=0.1))
        self.sep_pw = tf.Variable(tf.random.normal([1, 10, 6], stddev=0.1))
        self.sep_b = tf.Variable(tf.random.normal([6]))
        self.proj = tf.Variable(tf.random.normal([6, 4, 3], stddev=0.05))
        self.proj_b = tf.Variable(tf.random.normal([4, 3]))

    def __call__(self, x):
        y = tf.nn.conv2d_transpose(x, self.up_w, [tf.shape(x)[0], 14, 14, 8], strides=2, padding='SAME')
        y = tf.nn.relu(y + self.up_b)
        y = tf.nn.conv2d_transpose(y, self.up2_w, tf.stack([tf.shape(y)[0], tf.shape(y)[1] + 1, tf.shape(y)[2] + 1, 5]), 1, 'VALID')
        y = tf.reshape(y, [tf.shape(y)[0], 15 * 15, 5])
        y = tf.squeeze(tf.nn.depthwise_conv2d(tf.expand_dims(y, 1), self.dw[None], strides=[1, 1, 1, 1], padding='SAME'), [1])
        y = tf.squeeze(tf.nn.separable_conv2d(y[:, None], tf.expand_dims(self.sep_dw, 0), tf.expand_dims(self.sep_pw, 0), [1, 2, 2, 1], 'VALID'), 1)
        y = tf.nn.bias_add(y, self.sep_b)
        return tf.nn.gelu(tf.einsum('btc,cde->btde', y, self.proj) + self.proj_b)


decoder = Decoder()
"""


def test_decoder_translates_whole() -> None:
    out, diags = translate(DECODER, "decoder.py")
    assert not diags and "tf." not in out
    for layer in ("Conv2DTranspose(8, 3, strides=2, padding='same', activation='relu'", "Conv2DTranspose(5, 2, use_bias=False",
                  "DepthwiseConv1D(3, padding='same', depth_multiplier=2, use_bias=False", "SeparableConv1D(6, 3, strides=2",
                  "EinsumDense('btc,cde->btde', (None, 4, 3), activation='gelu', bias_axes='de'"):
        assert f"layers.{layer}" in out, layer


@pytest.mark.tf
def test_decoder_runs_with_the_same_outputs() -> None:
    """Original and translation on the same input (verify finds 7x7x4) with the same
    weights moved across in Keras order: atol = rtol = 1e-5 (inference mode: the original
    takes no training flag)."""
    from kerastf_xlate.tokeras import verify_to_keras

    results = verify_to_keras(DECODER, "decoder.py", atol=1e-5, rtol=1e-5)
    assert [r.mode for r in results] == ["inference"] and all(r.ok for r in results), results
    print(f"decoder: worst max |diff| = {max(r.max_abs_diff for r in results):.3g}")
