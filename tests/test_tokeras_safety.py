"""to-keras never rewrites an op into a layer it cannot show is the same computation.

Each recogniser whose layer fixes its input's rank, axes or batch axis (global pooling,
``Reshape`` after ``-1``, ``Concatenate`` on axis 0, ``Dense`` on a non-float32 variable)
has a negative case (the op stays, with an XL501 / XL503 report) beside a positive one (the
code shows the rank or sizes, the layer is written). Plus the regression for to-tf's output
with two compiled ``Sequential`` models bound to the same name (issue #17).
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.tokeras import translate
from kerastf_xlate.totf import translate as to_tf


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def keras_class(body: str, init: str = "self.d = keras.layers.Dense(4)") -> str:
    """A Keras model whose ``call`` is ``body`` (lines separated by ``\n        ``)."""
    return ("import tensorflow as tf\nfrom tensorflow import keras\n\n\nclass M(keras.Model):\n"
            "    def __init__(self):\n        super().__init__()\n"
            f"        {init}\n\n    def call(self, x):\n        {body}\n")


# (id, code in `call`, the __init__ line, a layer that must NOT appear, what must stay)
NEGATIVE = [
    ("reduce_max_rank2_keepdims", "return tf.reduce_max(self.d(x), axis=1, keepdims=True)", None,
     "GlobalMaxPooling1D", "tf.reduce_max"),
    ("reduce_mean_rank2", "return tf.reduce_mean(self.d(x), axis=1)", None, "GlobalAveragePooling1D", "tf.reduce_mean"),
    ("reduce_mean_axes12_rank3", "return tf.reduce_mean(self.c(x), axis=[1, 2])", "self.c = keras.layers.Conv1D(4, 3)",
     "GlobalAveragePooling2D", "tf.reduce_mean"),
    ("reduce_mean_rank_unknown", "return tf.reduce_mean(x, axis=[1, 2])", None, "GlobalAveragePooling2D", "tf.reduce_mean"),
    ("reduce_max_rank_of_a_conditional",
     "h = self.c(x) if False else x\n        return tf.reduce_max(h, axis=1)", "self.c = keras.layers.Conv1D(4, 3)",
     "GlobalMaxPooling1D", "tf.reduce_max"),
    ("reshape_folds_batch", "return tf.reshape(self.d(x), [-1, 1])", None, "Reshape", "tf.reshape"),
    ("reshape_sizes_unknown", "return tf.reshape(self.c(x), [-1, 64])", "self.c = keras.layers.Conv2D(4, 3)",
     "Reshape", "tf.reshape"),
    ("concat_batch_axis", "h = self.d(x)\n        return tf.concat([h, h], axis=0)", None, "Concatenate", "tf.concat"),
    ("transpose_batch_moved", "return tf.transpose(self.d(x), [1, 0])", None, "Permute", "tf.transpose"),
    ("transpose_all", "return tf.transpose(self.d(x))", None, "Permute", "tf.transpose"),
    ("matmul_transposed", "h = self.d(x)\n        return tf.matmul(h, h, transpose_b=True)", None, "self.dense", "tf.matmul"),
]

POSITIVE = [
    ("reduce_max_rank3", "return tf.reduce_max(self.c(x), axis=1)", "self.c = keras.layers.Conv1D(4, 3)",
     "GlobalMaxPooling1D()"),
    ("reduce_mean_rank4_keepdims", "h = tf.nn.relu(self.c(x))\n        return tf.reduce_mean(h, axis=[1, 2], keepdims=True)",
     "self.c = keras.layers.Conv2D(4, 3)", "GlobalAveragePooling2D(keepdims=True)"),
    ("reshape_batch_kept", "h = self.d(x)\n        return tf.reshape(h, [tf.shape(h)[0], 2, 2])", None, "Reshape((2, 2))"),
    ("concat_last_axis", "h = self.d(x)\n        return tf.concat([h, h], axis=-1)", None, "Concatenate()"),
    ("transpose_batch_first", "return tf.transpose(self.c(x), [0, 2, 1])", "self.c = keras.layers.Conv1D(4, 3)",
     "Permute((2, 1))"),
]


@pytest.mark.parametrize("body, init, layer, kept", [p[1:] for p in NEGATIVE], ids=[p[0] for p in NEGATIVE])
def test_op_stays_when_semantics_are_not_shown(body: str, init: str | None, layer: str, kept: str) -> None:
    before = keras_class(body, init or "self.d = keras.layers.Dense(4)")
    out, diags = translate(before, "m.py")
    assert layer not in out
    assert kept in out
    compile(out, "m.py", "exec")


@pytest.mark.parametrize("body, init, layer", [p[1:] for p in POSITIVE], ids=[p[0] for p in POSITIVE])
def test_layer_written_when_semantics_are_shown(body: str, init: str | None, layer: str) -> None:
    out, _ = translate(keras_class(body, init or "self.d = keras.layers.Dense(4)"), "m.py")
    assert f"keras.layers.{layer}" in out


def test_refused_pooling_is_reported() -> None:
    _, diags = translate(keras_class("return tf.reduce_max(self.d(x), axis=1, keepdims=True)"), "m.py")
    assert [(d.code, d.line) for d in diags] == [("XL501", 11)]
    assert "rank-3" in diags[0].message


FUNCTIONAL = src("""
    import tensorflow as tf
    from tensorflow import keras


    def build():
        inputs = keras.Input(shape=(28, 28, 1))
        x = keras.layers.Conv2D(8, 3)(inputs)
        x = tf.reshape(x, [-1, 26 * 26 * 8])
        q = keras.layers.Dense(4)(x)
        m = tf.reduce_max(q, axis=1, keepdims=True)
        return keras.Model(inputs, m)
""")


def test_functional_shapes_come_from_the_input() -> None:
    """The sizes a functional model shows (Input 28x28x1, Conv2D 3x3 valid: 26x26x8) prove the
    reshape keeps the batch axis; the Dense output is rank 2, so the reduce is no pooling."""
    out, diags = translate(FUNCTIONAL, "f.py")
    assert "keras.layers.Reshape((26 * 26 * 8,))(x)" in out
    assert "m = tf.reduce_max(q, axis=1, keepdims=True)" in out
    assert "GlobalMaxPooling" not in out
    assert any(d.code == "XL501" and d.line == 10 for d in diags)


def test_float64_variable_is_no_layer_weight() -> None:
    before = src("""
        import tensorflow as tf


        class Net(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.random.normal([4, 2], dtype=tf.float64))
                self.v = tf.Variable(tf.random.normal([4, 2]), dtype=tf.float64)
                self.u = tf.Variable(tf.random.normal([4, 2]))

            def __call__(self, x):
                return tf.matmul(x, self.w) + tf.matmul(x, self.v) + tf.matmul(x, self.u)
    """)
    out, diags = translate(before, "n.py")
    assert out.count("Dense(") <= 1
    assert "tf.matmul(x, self.w)" in out and "tf.matmul(x, self.v)" in out


TWO_SEQUENTIALS = src("""
    from tensorflow import keras
    from tensorflow.keras import layers

    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(4, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")

    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(2),
    ])
    model.compile(optimizer="sgd", loss="mse")
""")


def test_two_compiled_sequentials_under_one_name() -> None:
    """Issue #17: to-keras of this file's to-tf output raised 'overlapping edits' (each
    class's plan took both compile steps of `model`)."""
    tf_code, _ = to_tf(TWO_SEQUENTIALS, "two.py")
    back, diags = translate(tf_code, "two.py")
    assert back.count("keras.Sequential(") == 2
    assert back.count('model.compile(optimizer="adam", loss="mean_squared_error")') == 1
    assert back.count('model.compile(optimizer="sgd", loss="mean_squared_error")') == 1
    assert "tf.Module" not in back and not diags
    assert to_tf(back, "two.py")[0] == tf_code


MODEL_AND_FACTORY = '''from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1)


def build_model():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse")
    return model


for i in range(2):
    model = build_model()
    model.fit(x, y, epochs=2)
    print(model.evaluate(x, y))
'''


def test_a_model_name_rebound_by_a_factory_function() -> None:
    """Issue #17 (a book notebook's k-fold loop): `model = build_model()` after a module-level
    `model = keras.Sequential(...)` made both classes take the loop's `_fit(model, ...)`
    ('overlapping edits'). The loop's calls belong to the class `build_model` makes."""
    tf_code, _ = to_tf(MODEL_AND_FACTORY, "k.py")
    assert "\n_fit(model, x, y, epochs=1)" in tf_code and "    _fit(model, x, y, epochs=2)" in tf_code
    back, diags = translate(tf_code, "k.py")
    assert back.count("keras.Sequential(") == 2 and "tf.Module" not in back and not diags
    assert back.count("model.fit(x, y, epochs=") == 2 and "model.evaluate(x, y)" in back
    assert to_tf(back, "k.py")[0] == tf_code


def test_rank_after_a_global_pooling_layer_without_arguments() -> None:
    """`keras.layers.GlobalAveragePooling2D()` (no argument at all) made the rank reader index
    an empty argument list (IndexError: the whole file was left untouched as an internal error).
    Its output has rank 2, so the `tf.reduce_max` over axis 1 is a row maximum and stays."""
    source = textwrap.dedent('''\
        import tensorflow as tf
        from tensorflow import keras


        class Head(keras.Model):
            def __init__(self):
                super().__init__()
                self.pool = keras.layers.GlobalAveragePooling2D()
                self.dense = keras.layers.Dense(3)

            def call(self, x):
                h = self.pool(x)
                h = tf.reduce_max(h, axis=1, keepdims=True) + h
                return tf.nn.relu(self.dense(h))
        ''')
    out, diags = translate(source, "h.py")
    assert "return self.relu(self.dense(h))" in out and "self.relu = keras.layers.ReLU()" in out
    assert "h = tf.reduce_max(h, axis=1, keepdims=True) + h" in out
