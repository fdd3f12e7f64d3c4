"""Unit tests of ``xlate to-keras`` (static: nothing here imports TensorFlow or Keras,
except the tests marked ``tf``).

Cases are (before, after) sources, LibCST-style; every case is also run a second time to
check that a translation is stable (a second run changes nothing). No-op cases must come
back byte for byte. Diagnostic cases list the codes to-keras must report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kerastf_xlate.config import Config
from kerastf_xlate.rules import default_rules
from kerastf_xlate.tokeras import lint_bytes, translate, translate_full

REPO = Path(__file__).resolve().parent.parent


def src(text: str) -> str:
    """A dedented triple-quoted source: no leading newline, no indentation of the closing quotes."""
    text = textwrap.dedent(text)
    return (text[1:] if text.startswith("\n") else text).rstrip(" ")


def assert_translates(before: str, after: str) -> None:
    got, _ = translate(src(before), "t.py")
    assert got == src(after)
    again, _ = translate(got, "t.py")
    assert again == got, "a second run changed the output"


CASES = [
    pytest.param(
        """
            import tensorflow as tf


            class MLP(tf.Module):
                def __init__(self, hidden=32):
                    super().__init__()
                    self.w1 = tf.Variable(tf.random.normal([784, hidden], stddev=0.1))
                    self.b1 = tf.Variable(tf.zeros([hidden]))
                    self.w2 = tf.Variable(tf.random.normal([hidden, 10], stddev=0.1))
                    self.b2 = tf.Variable(tf.zeros([10]))

                def __call__(self, x):
                    h = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
                    return tf.nn.softmax(h @ self.w2 + self.b2)
        """,
        """
            import keras
            from keras import layers


            class MLP(keras.Model):
                def __init__(self, hidden=32):
                    super().__init__()
                    self.dense = layers.Dense(hidden, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
                    self.dense_1 = layers.Dense(10, activation='softmax', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

                def call(self, x, training=False):
                    h = self.dense(x)
                    return self.dense_1(h)
        """,
        id='dense_nested',
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Layer(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.dense_kernel = tf.Variable(tf.zeros([4, 3]), name="dense/kernel")
                    self.dense_bias = tf.Variable(tf.zeros([3]), name="dense/bias")

                def __call__(self, x, training=False):
                    x = tf.matmul(x, self.dense_kernel)
                    x = tf.nn.bias_add(x, self.dense_bias)
                    x = tf.math.tanh(x)
                    return x
        """,
        """
            import keras
            from keras import layers


            class Layer(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.dense = layers.Dense(3, activation='tanh', kernel_initializer='zeros')

                def call(self, x, training=False):
                    x = self.dense(x)
                    return x
        """,
        id='dense_statements',
    ),
    pytest.param(
        """
            import tensorflow as tf


            class ConvNet(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.conv_w = tf.Variable(tf.random.truncated_normal([5, 5, 1, 8], stddev=0.1))
                    self.conv_b = tf.Variable(tf.constant(0.1, shape=[8]))

                def __call__(self, x):
                    x = tf.nn.conv2d(x, self.conv_w, strides=[1, 2, 2, 1], padding="SAME")
                    x = tf.nn.relu(tf.nn.bias_add(x, self.conv_b))
                    x = tf.nn.avg_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
                    return tf.reshape(x, [tf.shape(x)[0], -1])
        """,
        """
            import keras
            from keras import layers


            class ConvNet(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.conv = layers.Conv2D(8, 5, strides=2, padding='same', activation='relu', kernel_initializer=keras.initializers.TruncatedNormal(mean=0.0, stddev=0.1), bias_initializer=keras.initializers.Constant(0.1))
                    self.average_pooling2d = layers.AveragePooling2D(2)
                    self.flatten = layers.Flatten()

                def call(self, x, training=False):
                    x = self.conv(x)
                    x = self.average_pooling2d(x)
                    return self.flatten(x)
        """,
        id='conv_pool_flatten',
    ),
    pytest.param(
        """
            import tensorflow as tf


            class TextCNN(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.embeddings = tf.Variable(tf.random.uniform([1000, 16], -0.05, 0.05))
                    self.kernel = tf.Variable(tf.zeros([5, 16, 32]))

                def __call__(self, ids):
                    x = tf.nn.embedding_lookup(self.embeddings, ids)
                    x = tf.nn.relu(tf.nn.conv1d(x, self.kernel, stride=1, padding="VALID"))
                    return tf.reduce_max(x, axis=1)
        """,
        """
            import keras
            from keras import layers


            class TextCNN(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.embedding = layers.Embedding(1000, 16)
                    self.conv1d = layers.Conv1D(32, 5, activation='relu', use_bias=False, kernel_initializer='zeros')
                    self.global_max_pooling1d = layers.GlobalMaxPooling1D()

                def call(self, ids, training=False):
                    x = self.embedding(ids)
                    x = self.conv1d(x)
                    return self.global_max_pooling1d(x)
        """,
        id='conv1d_global_pool',
    ),
    pytest.param(
        """
            import tensorflow as tf


            class BN(tf.Module):
                def __init__(self, channels):
                    super().__init__()
                    self.gamma = tf.Variable(tf.ones([channels]))
                    self.beta = tf.Variable(tf.zeros([channels]))
                    self.moving_mean = tf.Variable(tf.zeros([channels]), trainable=False)
                    self.moving_var = tf.Variable(tf.ones([channels]), trainable=False)

                def __call__(self, x, training=False):
                    if training:
                        mean, var = tf.nn.moments(x, axes=[0, 1, 2])
                        self.moving_mean.assign(0.9 * self.moving_mean + 0.1 * mean)
                        self.moving_var.assign(0.9 * self.moving_var + 0.1 * var)
                    else:
                        mean, var = self.moving_mean, self.moving_var
                    return tf.nn.batch_normalization(x, mean, var, self.beta, self.gamma, 1e-5)
        """,
        """
            import keras
            from keras import layers


            class BN(keras.Model):
                def __init__(self, channels):
                    super().__init__()
                    self.batch_normalization = layers.BatchNormalization(momentum=0.9, epsilon=1e-05)

                def call(self, x, training=False):
                    return self.batch_normalization(x, training=training)
        """,
        id='batch_norm_training',
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Block(tf.Module):
                def __init__(self, dim):
                    super().__init__()
                    self.g = tf.Variable(tf.ones([dim]))
                    self.b = tf.Variable(tf.zeros([dim]))

                def __call__(self, x, training=False):
                    mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
                    y = tf.nn.batch_normalization(x, mean, var, offset=self.b, scale=self.g, variance_epsilon=1e-6)
                    y = tf.nn.dropout(y, rate=0.1) if training else y
                    return tf.concat([x, y], axis=-1)
        """,
        """
            import keras
            from keras import layers


            class Block(keras.Model):
                def __init__(self, dim):
                    super().__init__()
                    self.layer_normalization = layers.LayerNormalization(epsilon=1e-06)
                    self.dropout = layers.Dropout(0.1)
                    self.concatenate = layers.Concatenate()

                def call(self, x, training=False):
                    y = self.layer_normalization(x)
                    y = self.dropout(y, training=training)
                    return self.concatenate([x, y])
        """,
        id='layer_norm_dropout',
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Net(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.w = tf.Variable(tf.zeros([3, 3, 4, 4]))

                def __call__(self, x, training=False):
                    y = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
                    y = tf.nn.conv2d(y, self.w, 1, "VALID")
                    if training:
                        y = tf.nn.dropout(y, rate=0.3)
                    y = tf.add_n([x, y])
                    return tf.reshape(y, [-1, 8 * 8 * 4])
        """,
        # the input's sizes are unknown, so `tf.reshape(y, [-1, 256])` may fold the batch
        # axis (it is Reshape only for 8x8x4 inputs): it stays
        """
            import tensorflow as tf
            import keras
            from keras import layers


            class Net(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.zero_padding2d = layers.ZeroPadding2D(padding=1)
                    self.conv2d = layers.Conv2D(4, 3, use_bias=False, kernel_initializer='zeros')
                    self.dropout = layers.Dropout(0.3)
                    self.add = layers.Add()

                def call(self, x, training=False):
                    y = self.zero_padding2d(x)
                    y = self.conv2d(y)
                    y = self.dropout(y, training=training)
                    y = self.add([x, y])
                    return tf.reshape(y, [-1, 8 * 8 * 4])
        """,
        id='reshape_pad_merge',
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf
            from keras import layers


            class Head(layers.Layer):
                def __init__(self, units, **kwargs):
                    super().__init__(**kwargs)
                    self.proj = layers.Dense(units)

                def call(self, x):
                    x = tf.reduce_mean(x, axis=[1, 2])
                    return tf.nn.softmax(self.proj(x))
        """,
        # `x`'s rank is unknown: on a rank-3 input this reduce is no GlobalAveragePooling2D
        """
            import keras
            import tensorflow as tf
            from keras import layers


            class Head(layers.Layer):
                def __init__(self, units, **kwargs):
                    super().__init__(**kwargs)
                    self.proj = layers.Dense(units)
                    self.softmax = layers.Softmax()

                def call(self, x):
                    x = tf.reduce_mean(x, axis=[1, 2])
                    return self.softmax(self.proj(x))
        """,
        id='keras_layer_call_rank_unknown',
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf
            from keras import layers


            class Head(layers.Layer):
                def __init__(self, units, **kwargs):
                    super().__init__(**kwargs)
                    self.conv = layers.Conv2D(8, 3)
                    self.proj = layers.Dense(units)

                def call(self, x):
                    x = tf.reduce_mean(self.conv(x), axis=[1, 2])
                    return tf.nn.softmax(self.proj(x))
        """,
        """
            import keras
            from keras import layers


            class Head(layers.Layer):
                def __init__(self, units, **kwargs):
                    super().__init__(**kwargs)
                    self.conv = layers.Conv2D(8, 3)
                    self.proj = layers.Dense(units)
                    self.global_average_pooling2d = layers.GlobalAveragePooling2D()
                    self.softmax = layers.Softmax()

                def call(self, x):
                    x = self.global_average_pooling2d(self.conv(x))
                    return self.softmax(self.proj(x))
        """,
        id='keras_layer_call',
    ),
    pytest.param(
        """
            import tensorflow as tf
            from tensorflow import keras


            class Pool(keras.layers.Layer):
                def call(self, x):
                    return tf.nn.max_pool2d(x, 3, 2, "SAME")
        """,
        """
            from tensorflow import keras


            class Pool(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.max_pooling2d = keras.layers.MaxPooling2D(pool_size=3, strides=2, padding='same')

                def call(self, x):
                    return self.max_pooling2d(x)
        """,
        id='keras_layer_without_init',
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf
            from keras import layers


            def build_model():
                inputs = keras.Input(shape=(32, 32, 3))
                x = layers.Conv2D(16, 3)(inputs)
                x = tf.nn.relu(x)
                y = layers.Conv2D(16, 3)(inputs)
                x = tf.concat([x, tf.nn.sigmoid(y)], axis=-1)
                x = tf.reduce_mean(x, axis=[1, 2])
                outputs = layers.Dense(10)(x)
                return keras.Model(inputs, outputs)
        """,
        """
            import keras
            from keras import layers


            def build_model():
                inputs = keras.Input(shape=(32, 32, 3))
                x = layers.Conv2D(16, 3)(inputs)
                x = layers.ReLU()(x)
                y = layers.Conv2D(16, 3)(inputs)
                x = layers.Concatenate()([x, layers.Activation('sigmoid')(y)])
                x = layers.GlobalAveragePooling2D()(x)
                outputs = layers.Dense(10)(x)
                return keras.Model(inputs, outputs)
        """,
        id='functional_builder',
    ),
    pytest.param(
        # a variable that is no layer's weight would stay a tf.Variable, which a Keras 3 model
        # does not track (its trainable_variables, fit and get_weights would leave it out):
        # the class stays a tf.Module (XL502)
        """
            import tensorflow as tf


            class Regularised(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.w = tf.Variable(tf.zeros([8, 2]))
                    self.temperature = tf.Variable(1.0)

                def __call__(self, x):
                    return tf.matmul(x, self.w) / self.temperature

                def l2(self):
                    return tf.nn.l2_loss(self.w)
        """,
        """
            import tensorflow as tf


            class Regularised(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.w = tf.Variable(tf.zeros([8, 2]))
                    self.temperature = tf.Variable(1.0)

                def __call__(self, x):
                    return tf.matmul(x, self.w) / self.temperature

                def l2(self):
                    return tf.nn.l2_loss(self.w)
        """,
        id='variable_elsewhere',
    ),
]


@pytest.mark.parametrize("before, after", CASES)
def test_translation(before: str, after: str) -> None:
    assert_translates(before, after)


# ------------------------------------------------------------------------------ xlate to-tf's own output

# What `xlate to-tf` writes for a Sequential (examples like this one are regenerated by the
# round-trip tests; this copy pins the parsing of that form).
TO_TF_SEQUENTIAL = """\
    import tensorflow as tf


    # Keras's default initializers, written out by xlate to-tf.
    def _fans(shape):
        if len(shape) < 1:
            return 1, 1
        return shape[-2], shape[-1]


    def _variance_scaling(shape, scale, mode, distribution):
        fan_in, fan_out = _fans(shape)
        return tf.random.uniform(shape, -1.0, 1.0)


    class Model(tf.Module):
        '''Translated by xlate to-tf from a keras.Sequential; runs without Keras.'''

        # Comments from the Keras model this class replaces:
        # regularise

        def __init__(self, name=None):
            super().__init__(name=name)
            self.conv2d_kernel = tf.Variable(_variance_scaling([3, 3, 1, 32], 1.0, 'fan_avg', 'uniform'), name='conv2d/kernel')
            self.conv2d_bias = tf.Variable(tf.zeros([32]), name='conv2d/bias')
            self.head_kernel = tf.Variable(_variance_scaling([5408, 10], 1.0, 'fan_avg', 'uniform'), name='head/kernel')
            self.head_bias = tf.Variable(tf.zeros([10]), name='head/bias')

        def __call__(self, inputs, training=False):
            x = inputs
            x = tf.nn.conv2d(x, self.conv2d_kernel, strides=1, padding='VALID')
            x = tf.nn.bias_add(x, self.conv2d_bias)
            x = tf.nn.relu(x)
            x = tf.nn.max_pool2d(x, ksize=2, strides=2, padding='VALID')
            x = tf.reshape(x, [tf.shape(x)[0], -1])
            if training:
                x = tf.nn.dropout(x, rate=0.5)
            x = tf.matmul(x, self.head_kernel)
            x = tf.nn.bias_add(x, self.head_bias)
            x = tf.nn.softmax(x, axis=-1)
            return x

        def ordered_variables(self):
            '''The variables in the order of the Keras model's ``get_weights()``.'''
            variables = [self.conv2d_kernel, self.conv2d_bias, self.head_kernel, self.head_bias]
            return variables

        def get_weights(self):
            return [v.numpy() for v in self.ordered_variables()]


    model = Model()
    """


def test_to_tf_sequential_comes_back_as_a_sequential() -> None:
    # the input size is recovered from the head's kernel (5408 = 13 * 13 * 32: 28x28 inputs),
    # the layer name from the variables' names, the comment from the class
    assert_translates(TO_TF_SEQUENTIAL, """\
        import keras
        from keras import layers

        model = keras.Sequential(
            [
                # regularise
                keras.Input(shape=(28, 28, 1)),
                layers.Conv2D(32, 3, activation='relu'),
                layers.MaxPooling2D(pool_size=2),
                layers.Flatten(),
                layers.Dropout(0.5),
                layers.Dense(10, activation='softmax', name='head'),
            ]
        )
        """)


def test_to_tf_sequential_weight_order_is_ordered_variables() -> None:
    result = translate_full(src(TO_TF_SEQUENTIAL), "t.py")
    [unit] = result.units
    assert (unit.kind, unit.instance) == ("sequential", "model")
    assert unit.weight_order == ["conv2d_kernel", "conv2d_bias", "head_kernel", "head_bias"]


# ------------------------------------------------------------------------------ no-ops

NOOPS = [
    pytest.param("import numpy as np\n\nx = np.zeros(3)  # no TensorFlow at all\n", id="no-tensorflow"),
    pytest.param("import tensorflow as tf\n\n\ndef f(x):\n    return tf.nn.relu(x) * 2\n", id="plain-function"),
    pytest.param("import tensorflow as tf\n\nw = tf.Variable(tf.zeros([3]))\ny = tf.nn.relu(w)\n", id="module-level-ops"),
    pytest.param((REPO / "examples" / "subclassed_model.py").read_text() if (REPO / "examples" / "subclassed_model.py").exists()
                 else "import keras\n", id="keras-only"),
    pytest.param("import tensorflow as tf\n\n\nclass Counter(tf.Module):\n    def __init__(self):\n        super().__init__()\n"
                 "        self.n = 0\n\n    def __call__(self):\n        self.n += 1\n        return self.n\n", id="module-without-ops"),
    pytest.param("# -*- coding: utf-8 -*-\r\nimport tensorflow as tf\r\n\r\n\r\ndef g(x):\r\n    return tf.nn.softmax(x)  # é\r\n",
                 id="crlf-and-unicode"),
]


@pytest.mark.parametrize("source", NOOPS)
def test_noop(source: str) -> None:
    out, _ = translate(source, "n.py")
    assert out == source


@pytest.mark.parametrize("example", ["cnn_functional.py", "subclassed_model.py", "training/regression_mlp.py"])
def test_crlf_file_stays_crlf(example: str) -> None:
    """A CRLF file's new lines (layers, the Keras model, compile/fit, imports) are CRLF too,
    and it is the LF translation with CRLF line breaks."""
    from kerastf_xlate.totf import translate as to_tf

    lf, _ = to_tf((REPO / "examples" / example).read_text(), "e.py")
    crlf = lf.replace("\n", "\r\n")
    out, _ = translate(crlf, "e.py")
    assert out != crlf
    assert "\n" not in out.replace("\r\n", ""), "a line ends in a bare LF"
    assert out == translate(lf, "e.py")[0].replace("\n", "\r\n")


def test_code_around_a_translation_is_kept_byte_for_byte() -> None:
    before = src("""\
        #!/usr/bin/env python
        \"\"\"Docstring.\"\"\"
        import tensorflow as tf   # keep   this   spacing

        CONST = {'a' : 1}


        class Lin(tf.Module):
            def __init__(self):
                super().__init__()
                # the weights
                self.w = tf.Variable(tf.zeros([2, 3]))

            def __call__(self, x):
                return tf.matmul(x, self.w)  # project


        def helper( a,b ):
            return tf.nn.relu( a+b )   # untouched
        """)
    out, _ = translate(before, "t.py")
    assert out.startswith("#!/usr/bin/env python\n\"\"\"Docstring.\"\"\"\nimport tensorflow as tf   # keep   this   spacing\n")
    assert out.endswith("\n\ndef helper( a,b ):\n    return tf.nn.relu( a+b )   # untouched\n")
    assert "CONST = {'a' : 1}\n" in out
    assert "        # the weights\n        self.dense = layers.Dense(3, use_bias=False, kernel_initializer='zeros')\n" in out
    assert "        return self.dense(x)  # project\n" in out


# ------------------------------------------------------------------------------ what is kept, and said

DIAGNOSTICS = [
    pytest.param("""\
        import tensorflow as tf


        class S2D(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.zeros([3, 3, 3, 8]))

            def __call__(self, x):
                x = tf.nn.conv2d(x, self.w, 1, "SAME")
                return tf.nn.space_to_depth(x, 2)
        """, [(11, "XL501")], id="space_to_depth"),
    pytest.param("""\
        import tensorflow as tf


        class Drop(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.zeros([4, 4]))

            def __call__(self, x):
                return tf.nn.dropout(tf.matmul(x, self.w), rate=0.5)
        """, [(10, "XL501")], id="dropout-without-training-flag"),
    pytest.param("""\
        import tensorflow as tf


        class Scaled(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.zeros([4, 4]))
                self.scale = tf.Variable(1.0)

            def __call__(self, x):
                return tf.matmul(x, self.w) * self.scale
        """, [(8, "XL502")], id="variable-kept"),
    pytest.param("""\
        import tensorflow as tf


        class Stack(tf.Module):
            def __init__(self, n):
                super().__init__()
                self.ws = [tf.Variable(tf.zeros([4, 4])) for _ in range(n)]

            def __call__(self, x):
                for w in self.ws:
                    x = tf.nn.relu(tf.matmul(x, w))
                return x
        """, [(7, "XL502")], id="variables-in-a-list"),
    pytest.param("""\
        import keras
        import tensorflow as tf


        def build():
            inputs = keras.Input(shape=(8, 8, 4))
            x = tf.nn.depth_to_space(inputs, 2)
            return keras.Model(inputs, x)
        """, [(7, "XL501")], id="functional-op-without-layer"),
    pytest.param("""\
        import tensorflow as tf


        class S2D(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.zeros([3, 3, 3, 8]))

            def __call__(self, x):
                x = tf.nn.conv2d(x, self.w, 1, "SAME")
                return tf.nn.space_to_depth(x, 2)  # noqa: XL501
        """, [], id="noqa"),
]


@pytest.mark.parametrize("source, expected", DIAGNOSTICS)
def test_diagnostics(source: str, expected: list[tuple[int, str]]) -> None:
    _, diags = translate(src(source), "d.py")
    assert [(d.line, d.code) for d in diags] == expected


def test_lint_to_keras_reports_without_translating() -> None:
    source = src(DIAGNOSTICS[0].values[0]).encode()
    result = lint_bytes("d.py", source, default_rules(), Config())
    assert [(d.line, d.col, d.code) for d in result.diagnostics] == [(11, 15, "XL501")]
    ignored = lint_bytes("d.py", source, default_rules(), Config(ignore=("XL5",)))
    assert ignored.diagnostics == []


def test_weight_order_of_nested_modules() -> None:
    path = REPO / "examples" / "tf_convnet.py"
    units = {u.name: u for u in translate_full(path.read_text(), str(path)).units}
    assert units["ConvBlock"].weight_order == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_var"]
    assert units["ConvNet"].weight_order == [
        "block1.kernel", "block1.bias", "block1.gamma", "block1.beta", "block1.moving_mean", "block1.moving_var",
        "conv2_w", "conv2_b", "fc_w", "fc_b", "out_w", "out_b",
    ]


# ------------------------------------------------------------------------------ command line


def xlate(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kerastf_xlate", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_cli_check_inplace_and_second_run(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text(src(CASES[0].values[0]))
    assert xlate("to-keras", "--check", str(f)).returncode == 1
    assert xlate("to-keras", "--in-place", "-q", str(f)).returncode == 0
    assert f.read_text() == src(CASES[0].values[1])
    assert xlate("to-keras", "--check", str(f)).returncode == 0


def test_cli_stdin_and_lint(tmp_path: Path) -> None:
    proc = xlate("to-keras", "-", "--stdin-filename", "s.py", stdin=src(DIAGNOSTICS[0].values[0]))
    assert proc.returncode == 0
    assert "class S2D(keras.Model):" in proc.stdout
    assert "s.py:11:16: XL501" in proc.stderr
    lint = xlate("lint", "--to-keras", "-", "--stdin-filename", "s.py", stdin=src(DIAGNOSTICS[0].values[0]))
    assert lint.returncode == 1 and "s.py:11:16: XL501" in lint.stdout


def test_cli_notebook(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["import tensorflow as tf"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["A model"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": src(CASES[0].values[0]).split("\n", 3)[3].splitlines(keepends=True)},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    out = tmp_path / "out.ipynb"
    proc = xlate("to-keras", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    code = ["".join(c["source"]) for c in json.loads(out.read_text())["cells"] if c["cell_type"] == "code"]
    assert "import keras" in code[0] and "from keras import layers" in code[0]
    assert "class MLP(keras.Model):" in code[1] and "self.dense_1 = layers.Dense(10" in code[1]
    assert xlate("to-keras", "--check", str(out)).returncode == 0


# ------------------------------------------------------------------------------ executed (TensorFlow)

TF_EXAMPLES = sorted((REPO / "examples").glob("tf_*.py"))


@pytest.mark.tf
@pytest.mark.parametrize("path", TF_EXAMPLES, ids=lambda p: p.stem)
def test_examples_verify(path: Path) -> None:
    """As ``xlate verify --to-keras`` runs them: in a child process, so that a native crash
    of TensorFlow (an abort under oneDNN) is a failed test, not the end of the test run."""
    from kerastf_xlate.verify_process import prepare, verify_jobs

    job, message, _ = prepare(str(path), True, None)
    assert job is not None, message
    (report,) = verify_jobs([job])
    results = report.outcomes
    assert results, f"{path.name}: nothing compared ({report.note})"
    bad = [r for r in results if not r.ok]
    assert not bad, bad
    print(f"{path.name}: worst max |diff| = {max(r.max_abs_diff for r in results):.3g}")


@pytest.mark.tf
def test_batch_norm_training_updates_the_same_statistics() -> None:
    from kerastf_xlate.tokeras import verify_to_keras

    source = src(CASES[4].values[0]) + "\n\nmodel = BN(3)\n"
    results = verify_to_keras(source, "bn.py", input_shape=(5, 5, 3))
    assert [r.mode for r in results] == ["inference", "training"]
    assert all(r.ok for r in results), results
