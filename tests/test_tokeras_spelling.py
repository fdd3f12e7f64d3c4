"""to-keras writes Keras the way the file already does: a file that reaches Keras only as
``tf.keras`` gets ``tf.keras.Model`` / ``tf.keras.layers.Dense`` and no new import; a file
that imports ``keras`` (or nothing of Keras) gets ``keras.`` as before. Found by the
real-code benchmark (bench/realcode.py): outputs mixing ``keras.`` and ``tf.keras.``."""

from __future__ import annotations

import ast
import textwrap

from kerastf_xlate.tokeras import translate

MODULE = textwrap.dedent("""
    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.random.normal([4, 3]), name="w")
            self.b = tf.Variable(tf.zeros([3]), name="b")

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)


    model = Affine()
    """)


def to_keras(src: str) -> str:
    out, _ = translate(src, "t.py")
    ast.parse(out)
    return out


def test_a_file_that_says_tf_keras_gets_tf_keras() -> None:
    out = to_keras("import tensorflow as tf\n" + MODULE + "opt = tf.keras.optimizers.Adam(1e-3)\n")
    assert "class Affine(tf.keras.Model):" in out
    assert "tf.keras.layers.Dense(3" in out
    assert "import keras" not in out and "from keras" not in out
    assert to_keras(out) == out


def test_the_files_own_name_for_tensorflow_is_used() -> None:
    out = to_keras("import tensorflow as tff\n" + MODULE.replace("tf.", "tff.") + "opt = tff.keras.optimizers.Adam()\n")
    assert "class Affine(tff.keras.Model):" in out and "import keras" not in out


def test_a_file_without_keras_gets_keras_as_before() -> None:
    out = to_keras("import tensorflow as tf\n" + MODULE)
    assert "import keras\n" in out and "class Affine(keras.Model):" in out and "tf.keras" not in out


def test_a_file_that_imports_keras_keeps_its_spelling() -> None:
    out = to_keras("import tensorflow as tf\nimport keras\n" + MODULE + "opt = tf.keras.optimizers.Adam()\n")
    assert "class Affine(keras.Model):" in out and out.count("import keras\n") == 1
