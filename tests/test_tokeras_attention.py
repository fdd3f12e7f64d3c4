"""``xlate to-keras`` on Dot, Attention and AdditiveAttention (``layers/dot.py``, ``layers/attention.py``).

Static cases (nothing imports TensorFlow or Keras): what ``xlate to-tf`` writes for these
layers in a functional model (pinned in to-tf's layout by :func:`to_tf_model`, so a change in
to-tf's output shows up in ``tests/test_tokeras_roundtrip.py`` rather than silently here),
hand-written variants, and forms that must not become these layers. Every translation is run
twice (a second run changes nothing); no-op cases come back byte for byte. One execution test
(marked ``tf``) runs a hand-written attention module against its translation.
"""

from __future__ import annotations

import pytest
from test_tokeras import assert_translates, src

from kerastf_xlate.tokeras import translate, translate_full

_TO_TF = '''\
import tensorflow as tf


def _variance_scaling(shape, scale, mode, distribution):
    limit = (6.0 / sum(shape)) ** 0.5
    return tf.random.uniform(shape, -limit, limit)


class Model(tf.Module):
    """Translated by xlate to-tf from a functional keras.Model; runs without Keras."""

    input_signature = [[{specs}]]  # the Keras model's inputs, batch axis first

    def __init__(self, name=None):
        super().__init__(name=name)
{init}
    def __call__(self, inputs, training=False):
        {ins} = inputs
{body}        return out

    def ordered_variables(self):
        """The variables in the order of the Keras model's ``get_weights()``."""
        variables = [{order}]
        return variables


model = Model()
'''


def to_tf_model(shapes: list[tuple[int, ...]], body: list[str], init: tuple[str, ...] = (), order: str = "") -> str:
    """A functional model as ``xlate to-tf`` writes it: inputs ``in0, in1, ...`` of these
    shapes, ``__call__`` lines ending with ``out``, ``__init__`` lines, ordered_variables."""
    specs = ", ".join(f"tf.TensorSpec({[None, *s]!r}, tf.float32)" for s in shapes)
    ins = ", ".join(f"in{i}" for i in range(len(shapes)))

    def lines(ls: list[str] | tuple[str, ...]) -> str:
        return "".join(f"        {ln}\n" for ln in ls)

    return _TO_TF.format(specs=specs, init=lines(init), body=lines(body), ins=ins, order=order)


def functional(shapes: list[tuple[int, ...]], layer: str) -> str:
    """The Keras functional model to-keras writes for one layer on ``in0, in1, ...``."""
    names = [f"in{i}" for i in range(len(shapes))]
    head = "import keras\nfrom keras import layers\n\n"
    ins = "".join(f"{n} = keras.Input(shape={s!r})\n" for n, s in zip(names, shapes))
    return head + ins + f"out = {layer}([{', '.join(names)}])\nmodel = keras.Model([{', '.join(names)}], out)\n"


# ------------------------------------------------------------------------------ what to-tf writes

_DOT_R3 = [(3, 4), (5, 4)]
_DOT_R4 = [(2, 3, 4), (5, 4)]
_NORM = "{t} = {t} * tf.minimum(tf.math.rsqrt(tf.reduce_sum(tf.square({t}), axis={a}, keepdims=True)), 10000000.0)"
_SQUASH_X = ["dot_x_shape = tf.shape(dot_x)", "dot_x = tf.reshape(dot_x, [dot_x_shape[0], -1, dot_x_shape[-1]])"]
_UNSQUASH = ["dot_out_shape = tf.shape(out)",
             "out = tf.reshape(out, tf.concat([dot_x_shape[:1], dot_x_shape[1:-1], dot_out_shape[-1:]], 0))"]
_SCORES_CONCAT = "tf.reduce_sum(tf.math.tanh({s}tf.expand_dims(in0, -2) + tf.expand_dims(in1, -3){e}), axis=-1)"

TO_TF_CASES = [
    pytest.param(to_tf_model([(4,), (4,)], ["dot_x = in0", "dot_y = in1", "dot_x = tf.expand_dims(dot_x, 1)",
                                            "dot_y = tf.expand_dims(dot_y, 2)", "out = tf.matmul(dot_x, dot_y)",
                                            "out = tf.squeeze(out, 1)"]),
                 functional([(4,), (4,)], "layers.Dot(1)"), id="dot-vectors"),
    pytest.param(to_tf_model(_DOT_R3, ["dot_x = in0", "dot_y = in1", "dot_y = tf.transpose(dot_y, [0, 2, 1])",
                                       "out = tf.matmul(dot_x, dot_y)"]),
                 functional(_DOT_R3, "layers.Dot(2)"), id="dot-last-axes"),
    pytest.param(to_tf_model([(3, 4), (3, 5)], ["dot_x = in0", "dot_y = in1", "dot_x = tf.transpose(dot_x, [0, 2, 1])",
                                                "out = tf.matmul(dot_x, dot_y)"]),
                 functional([(3, 4), (3, 5)], "layers.Dot(1)"), id="dot-first-axes"),
    pytest.param(to_tf_model(_DOT_R4, ["dot_x = in0", "dot_y = in1", _NORM.format(t="dot_x", a=3), _NORM.format(t="dot_y", a=2),
                                       "dot_y = tf.transpose(dot_y, [0, 2, 1])", *_SQUASH_X, "out = tf.matmul(dot_x, dot_y)",
                                       *_UNSQUASH]),
                 functional(_DOT_R4, "layers.Dot((3, 2), normalize=True)"), id="dot-normalize-rank4"),
    # rank 4 and rank 5 inputs contracted on their last axis are written alike: axis -1
    pytest.param(to_tf_model(_DOT_R4, ["dot_x = in0", "dot_y = in1", "dot_y = tf.transpose(dot_y, [0, 2, 1])", *_SQUASH_X,
                                       "out = tf.matmul(dot_x, dot_y)", *_UNSQUASH]),
                 functional(_DOT_R4, "layers.Dot((-1, 2))"), id="dot-rank-not-shown"),
    pytest.param(to_tf_model(_DOT_R3, ["sim_x = in0", "sim_y = in1", "sim_y = tf.transpose(sim_y, [0, 2, 1])",
                                       "out = tf.matmul(sim_x, sim_y)"]),
                 functional(_DOT_R3, "layers.Dot(2, name='sim')"), id="dot-named"),
    pytest.param(to_tf_model(_DOT_R3, ["attention_weights = tf.nn.softmax(tf.matmul(in0, in1, transpose_b=True), axis=-1)",
                                       "out = tf.matmul(attention_weights, in1)"]),
                 functional(_DOT_R3, "layers.Attention()"), id="attention"),
    pytest.param(to_tf_model([(3, 4), (5, 4), (5, 4)],
                             ["attention_weights = tf.nn.softmax(tf.matmul(in0, in2, transpose_b=True) * self.attention_scale, axis=-1)",
                              "out = tf.matmul(attention_weights, in1)"],
                             ("self.attention_scale = tf.Variable(tf.ones([]), name='attention/scale')",), "self.attention_scale"),
                 functional([(3, 4), (5, 4), (5, 4)], "layers.Attention(use_scale=True)"), id="attention-scale-key"),
    pytest.param(to_tf_model(_DOT_R3, [f"attention_weights = tf.nn.softmax(self.attention_concat_score_weight * "
                                       f"{_SCORES_CONCAT.format(s='self.attention_scale * (', e=')')}, axis=-1)",
                                       "out = tf.matmul(attention_weights, in1)"],
                             ("self.attention_scale = tf.Variable(tf.ones([]), name='attention/scale')",
                              "self.attention_concat_score_weight = tf.Variable(tf.ones([]), name='attention/concat_score_weight')"),
                             "self.attention_scale, self.attention_concat_score_weight"),
                 functional(_DOT_R3, "layers.Attention(use_scale=True, score_mode='concat')"), id="attention-concat-scale"),
    pytest.param(to_tf_model(_DOT_R3, ["attention_weights = tf.nn.softmax(tf.matmul(in0, in1, transpose_b=True), axis=-1)",
                                       "if training:", "    attention_weights = tf.nn.dropout(attention_weights, rate=0.1, seed=3)",
                                       "out = tf.matmul(attention_weights, in1)"]),
                 functional(_DOT_R3, "layers.Attention(dropout=0.1, seed=3)"), id="attention-dropout"),
    pytest.param(to_tf_model(_DOT_R3, ["attention_weights = tf.nn.softmax(tf.matmul(in0, in1, transpose_b=True), axis=-1)",
                                       "if training:", "    attention_weights = tf.zeros_like(attention_weights)",
                                       "out = tf.matmul(attention_weights, in1)"]),
                 functional(_DOT_R3, "layers.Attention(dropout=1.0)"), id="attention-dropout-all"),
    pytest.param(to_tf_model(_DOT_R3, ["additive_attention_weights = tf.nn.softmax(tf.reduce_sum(self.additive_attention_scale * "
                                       "tf.math.tanh(tf.expand_dims(in0, -2) + tf.expand_dims(in1, -3)), axis=-1), axis=-1)",
                                       "out = tf.matmul(additive_attention_weights, in1)"],
                             ("self.additive_attention_scale = tf.Variable(_variance_scaling([4], 1.0, 'fan_avg', 'uniform'), "
                              "name='additive_attention/scale')",), "self.additive_attention_scale"),
                 functional(_DOT_R3, "layers.AdditiveAttention()"), id="additive-attention"),
    pytest.param(to_tf_model(_DOT_R3, [f"additive_attention_weights = tf.nn.softmax({_SCORES_CONCAT.format(s='', e='')}, axis=-1)",
                                       "out = tf.matmul(additive_attention_weights, in1)"]),
                 functional(_DOT_R3, "layers.AdditiveAttention(use_scale=False)"), id="additive-attention-no-scale"),
]


@pytest.mark.parametrize("before, after", TO_TF_CASES)
def test_to_tf_form(before: str, after: str) -> None:
    assert_translates(before, after)


def test_learned_scales_become_the_layer_weights_in_keras_order() -> None:
    result = translate_full(TO_TF_CASES[8].values[0], "t.py")
    [unit] = result.units
    assert (unit.kind, unit.instance) == ("functional", "model")
    assert unit.weight_order == ["attention_scale", "attention_concat_score_weight"]
    assert not result.diagnostics


# ------------------------------------------------------------------------------ hand-written code

HAND_WRITTEN = [
    pytest.param(
        """
            import tensorflow as tf


            class Block(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.w = tf.Variable(tf.zeros([4, 4]))
                    self.temperature = tf.Variable(1.0)

                def __call__(self, x, memory):
                    q = tf.matmul(x, self.w)
                    scores = tf.matmul(q, memory, transpose_b=True)
                    weights = tf.nn.softmax(scores)
                    context = tf.matmul(weights, memory)
                    scaled = tf.nn.softmax(tf.matmul(context, memory, transpose_b=True) * self.temperature, axis=-1)
                    return tf.matmul(scaled, memory)
        """,
        """
            import keras
            from keras import layers


            class Block(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.dense = layers.Dense(4, use_bias=False, kernel_initializer='zeros')
                    self.attention = layers.Attention()
                    self.attention_1 = layers.Attention(use_scale=True)

                def call(self, x, memory, training=False):
                    q = self.dense(x)
                    context = self.attention([q, memory])
                    return self.attention_1([context, memory])
        """,
        id="module-scaled-dot-product",
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf

            q = keras.Input(shape=(3, 4))
            v = keras.Input(shape=(5, 4))
            w = tf.nn.softmax(tf.matmul(q, v, transpose_b=True))
            out = tf.matmul(w, v)
            model = keras.Model([q, v], out)
        """,
        """
            import keras

            q = keras.Input(shape=(3, 4))
            v = keras.Input(shape=(5, 4))
            out = keras.layers.Attention()([q, v])
            model = keras.Model([q, v], out)
        """,
        id="functional-keras-code",
    ),
    pytest.param(
        """
            import keras
            import tensorflow as tf


            class Cross(keras.layers.Layer):
                def call(self, inputs):
                    q, k, v = inputs
                    return tf.matmul(tf.nn.softmax(tf.matmul(q, k, transpose_b=True), axis=-1), v)
        """,
        """
            import keras


            class Cross(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.attention = keras.layers.Attention()

                def call(self, inputs):
                    q, k, v = inputs
                    return self.attention([q, v, k])
        """,
        id="keras-layer-inline-key",
    ),
    pytest.param(
        """
            import tensorflow as tf


            class Mix(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.gain = tf.Variable(tf.ones([]))

                def __call__(self, q, v, training=False):
                    w = tf.nn.softmax(self.gain * tf.reduce_sum(tf.tanh(tf.expand_dims(q, -2) + tf.expand_dims(v, -3)), axis=-1))
                    if training:
                        w = tf.nn.dropout(w, rate=0.25)
                    out = tf.matmul(w, v)
                    return out
        """,
        """
            import keras
            from keras import layers


            class Mix(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.attention = layers.Attention(score_mode='concat', dropout=0.25)

                def call(self, q, v, training=False):
                    out = self.attention([q, v], training=training)
                    return out
        """,
        id="module-concat-dropout",
    ),
    # not Attention: Keras's Attention has no 1/sqrt(d), and a scale that does not start at 1
    # would change the model; the scale, a tf.Variable no layer's weight, keeps the class a
    # tf.Module (a Keras model would not track it)
    pytest.param(
        """
            import tensorflow as tf


            class Scaled(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = tf.Variable(0.5)

                def __call__(self, q, v):
                    w = tf.nn.softmax(tf.matmul(q, v, transpose_b=True) / tf.sqrt(4.0))
                    u = tf.nn.softmax(tf.matmul(q, v, transpose_b=True) * self.scale)
                    return tf.matmul(w, v) + tf.matmul(u, v)
        """,
        """
            import tensorflow as tf


            class Scaled(tf.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = tf.Variable(0.5)

                def __call__(self, q, v):
                    w = tf.nn.softmax(tf.matmul(q, v, transpose_b=True) / tf.sqrt(4.0))
                    u = tf.nn.softmax(tf.matmul(q, v, transpose_b=True) * self.scale)
                    return tf.matmul(w, v) + tf.matmul(u, v)
        """,
        id="not-attention-scaled",
    ),
]


@pytest.mark.parametrize("before, after", HAND_WRITTEN)
def test_hand_written(before: str, after: str) -> None:
    assert_translates(src(before), after)


# ------------------------------------------------------------------------------ no-ops

_DOT_VECTORS = ["dot_x = in0", "dot_y = in1", "dot_x = tf.expand_dims(dot_x, 1)", "dot_y = tf.expand_dims(dot_y, 2)",
                "out = tf.matmul(dot_x, dot_y)", "out = tf.squeeze(out, 1)"]
_DOT_TAMPERED = _DOT_VECTORS[:2] + [_NORM.format(t="dot_x", a=1).replace("10000000.0", "1e6"), _NORM.format(t="dot_y", a=1)] + _DOT_VECTORS[2:]

NOOPS = [
    # not exactly what to-tf writes for a Dot (another epsilon): nothing is a Keras layer
    pytest.param(to_tf_model([(4,), (4,)], _DOT_TAMPERED), id="dot-other-epsilon"),
    # a temporary of the sequence is read after it
    pytest.param(to_tf_model([(4,), (4,)], _DOT_VECTORS + ["out = tf.matmul(out, dot_x)"]), id="dot-temporary-read-after"),
    # the Dot sequence without its last statement (to-tf squeezes what it expanded)
    pytest.param(to_tf_model([(4,), (4,)], _DOT_VECTORS[:-1]), id="dot-incomplete"),
    # scores without a softmax are no layer
    pytest.param(src("""
        import keras
        import tensorflow as tf

        q = keras.Input(shape=(3, 4))
        v = keras.Input(shape=(5, 4))
        out = tf.matmul(tf.matmul(q, v, transpose_b=True), v)
        model = keras.Model([q, v], out)
        """), id="no-softmax"),
]


@pytest.mark.parametrize("source", NOOPS)
def test_noop(source: str) -> None:
    out, _ = translate(source, "n.py")
    assert out == source


# ------------------------------------------------------------------------------ execution

EXECUTED = src("""
    import tensorflow as tf


    class Block(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.random.normal([4, 4]))
            self.temperature = tf.Variable(1.0)
            self.gain = tf.Variable(tf.ones([]))

        def __call__(self, inputs):
            x, memory = inputs
            q = tf.matmul(x, self.w)
            scores = tf.matmul(q, memory, transpose_b=True) * self.temperature
            weights = tf.nn.softmax(scores)
            context = tf.matmul(weights, memory)
            mix = tf.nn.softmax(self.gain * tf.reduce_sum(tf.tanh(tf.expand_dims(context, -2) + tf.expand_dims(memory, -3)), axis=-1))
            return tf.matmul(mix, memory)


    model = Block()
    """)


@pytest.mark.tf
def test_hand_written_attention_runs_with_the_same_outputs() -> None:
    """The translation of a hand-written module (Dense, Attention with a learned scale,
    concat Attention) gives the original's outputs once the variables are moved across in
    the weight order: |diff| <= 1e-5 + 1e-5 * |expected| (float32)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.tokeras.verify import transfer
    from kerastf_xlate.verify import exec_source

    result = translate_full(EXECUTED, "block.py")
    assert not result.diagnostics
    assert "layers.Attention(use_scale=True)" in result.text and "layers.Attention(score_mode='concat')" in result.text
    [unit] = [u for u in result.units if u.name == "Block"]
    assert unit.weight_order == ["w", "temperature", "gain"]
    keras.utils.set_random_seed(0)
    original = exec_source(EXECUTED, "__att_tf__", "block.py")["model"]
    original.temperature.assign(0.7)  # not the initial values: the transfer must carry them
    original.gain.assign(1.3)
    translated = exec_source(result.text, "__att_keras__", "block_keras.py")["model"]
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((2, 3, 4)).astype("float32"), rng.standard_normal((2, 5, 4)).astype("float32")]
    translated(inputs)
    transfer(original, translated, unit)
    expected = np.asarray(original([tf.convert_to_tensor(i) for i in inputs]))
    got = np.asarray(translated(inputs, training=False))
    assert got.shape == expected.shape == (2, 3, 4)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
