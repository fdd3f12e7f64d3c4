"""to-keras: activations of Keras layers' outputs in plain functions (issue #17).

The keras-io style ``def conv_block(x): x = layers.Conv2D(...)(x); x = layers.BatchNormalization()(x);
return tf.nn.relu(x)`` has no ``keras.Input`` in sight: the function is called with a
KerasTensor or an eager tensor. An elementwise activation whose input is a name only ever
bound to a Keras layer's float output (of the global policy's dtype) is the activation layer
either way, provided the input carries no Keras mask (the layer passes a mask on, the op
drops it): a convolution's or a mask-free Embedding's output, or a layer applied to such
outputs only. Positive cases are executed eagerly, original and translation, with the same seeded
(non-trivial) initial weights; negative cases keep the op.
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.tokeras import translate

HEAD = "import tensorflow as tf\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n\n\n"
# weights that are not the trivial initial values (zero biases, unit BN statistics)
DENSE = 'layers.Dense({u}, bias_initializer="random_normal")'
BN = ('layers.BatchNormalization(beta_initializer="random_normal", gamma_initializer="random_uniform", '
      'moving_mean_initializer="random_normal", moving_variance_initializer=keras.initializers.RandomUniform(0.5, 1.5))')
CONV = 'layers.Conv2D(4, 3, padding="same", bias_initializer="random_normal")'

POSITIVE = {
    "conv_bn_relu": (f"""
        def f(block_input):
            x = {CONV}(block_input)
            x = {BN}(x)
            return tf.nn.relu(x)
        """, (2, 6, 6, 3), ["layers.ReLU()"]),
    "dense_chain": (f"""
        def f(x):
            c = layers.Conv1D(4, 1, bias_initializer="random_normal")(x)
            y = keras.layers.{DENSE.format(u=5)[7:]}(c)
            h = tf.nn.gelu(y)
            h = tf.nn.leaky_relu(h, alpha=0.1)
            z = tf.keras.layers.{DENSE.format(u=3)[7:]}(h)
            z = tf.nn.sigmoid(z)
            return tf.nn.swish(z)
        """, (4, 3, 7), ["Activation('gelu')", "LeakyReLU(negative_slope=0.1)", "Activation('sigmoid')", "Activation('silu')"]),
    "residual_loop": (f"""
        def f(inp, n=2):
            p = layers.Conv1D(6, 1, bias_initializer="random_normal")(inp)
            for _ in range(n):
                x = tf.nn.elu(p)
                x = {DENSE.format(u=6)}(x)
                x = layers.Add()([p, x])
                p = layers.LayerNormalization(beta_initializer="random_normal")(x)
            return tf.nn.tanh(p)
        """, (3, 5, 4), ["Activation('elu')", "Activation('tanh')"]),
    "embedding": ("""
        def f(ids):
            e = layers.Embedding(10, 4, embeddings_initializer="random_normal", mask_zero=False)(ids)
            e = layers.Dropout(0.5)(e)
            return tf.nn.softplus(e)
        """, "ids", ["Activation('softplus')"]),
}

NEGATIVE = {
    # a Dense on the argument: a Keras mask the argument carries would reach the new layer
    "dense_of_parameter": """
        def f(x):
            y = layers.Dense(3)(x)
            return tf.nn.relu(y)
        """,
    # an Embedding that makes a mask
    "embedding_mask_zero": """
        def f(ids):
            e = layers.Embedding(10, 4, mask_zero=True)(ids)
            return tf.nn.relu(e)
        """,
    # the function's own argument: its dtype and kind are not shown
    "parameter": """
        def f(x):
            y = layers.Dense(3)(x)
            return tf.nn.relu(x) + y
        """,
    # a float64 layer: the new layer would compute in float32
    "layer_dtype": """
        def f(x):
            y = layers.Conv1D(3, 1, dtype="float64")(x)
            return tf.nn.relu(y)
        """,
    # bound once to a layer's output and once to something else
    "rebound_cast": """
        def f(x):
            y = layers.Conv1D(3, 1)(x)
            y = tf.cast(y, tf.float64)
            return tf.nn.relu(y)
        """,
    # an expression of a layer's output, not the output itself
    "scaled": """
        def f(x):
            y = layers.Conv1D(3, 1)(x)
            return tf.nn.relu(2.0 * y)
        """,
    # a merge of a layer's output with a parameter (its dtype is the parameter's)
    "merge_with_parameter": """
        def f(x):
            y = layers.Conv1D(3, 1)(x)
            z = layers.Add()([y, x])
            return tf.nn.relu(z)
        """,
    # bound in a loop's target
    "loop_target": """
        def f(xs):
            for y in [layers.Conv1D(3, 1)(x) for x in xs]:
                pass
            return tf.nn.relu(y)
        """,
    # a method: the layer-class path owns it
    "method": """
        class M:
            def f(self, x):
                y = layers.Conv1D(3, 1)(x)
                return tf.nn.relu(y)
        """,
    # softmax over an axis: not elementwise
    "softmax": """
        def f(x):
            y = layers.Conv1D(3, 1)(x)
            return tf.nn.softmax(y, axis=0)
        """,
}


def _run(code: str, shape: tuple[int, ...] | str):  # type: ignore[no-untyped-def]
    import keras
    import numpy as np

    ns: dict = {}
    exec(compile(code, "m.py", "exec"), ns)
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 10, size=(3, 5)) if shape == "ids" else rng.normal(size=shape).astype("float32")
    return np.asarray(ns["f"](x))


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_activation_of_layer_output_is_raised_and_equal(name: str) -> None:
    body, shape, layers_written = POSITIVE[name]
    before = HEAD + textwrap.dedent(body).lstrip("\n")
    after, diags = translate(before, "m.py")
    for layer in layers_written:
        assert layer in after, after
    assert "tf.nn." not in after
    assert translate(after, "m.py")[0] == after  # a second run changes nothing
    import numpy as np

    want, got = _run(before, shape), _run(after, shape)
    assert np.isfinite(want).all() and want.shape == got.shape
    worst = float(np.max(np.abs(want - got)))
    assert worst <= 1e-6, worst  # tolerance 1e-6 (float32, same kernels); observed 0.0


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_op_on_other_values_stays(name: str) -> None:
    before = HEAD + textwrap.dedent(NEGATIVE[name]).lstrip("\n")
    after, _ = translate(before, "m.py")
    assert after == before


def test_why_a_mask_blocks_the_rewrite() -> None:
    """The premise of the mask rule, executed: an activation layer passes an Embedding's mask
    on, the TensorFlow op drops it (so a downstream RNN would see different inputs)."""
    import keras
    import numpy as np
    import tensorflow as tf

    e = keras.layers.Embedding(10, 4, mask_zero=True)(np.array([[1, 2, 0]]))
    assert getattr(keras.layers.ReLU()(e), "_keras_mask", None) is not None
    assert getattr(tf.nn.relu(e), "_keras_mask", None) is None
