"""Every weight-like ``tf.Variable`` that to-keras leaves as it was gets a reason (XL503).

to-keras raises the variables of tf.Module subclasses, of Keras layers holding tf.Variables,
and of tutorial programs whose model function reads its weights (those paths report what
they keep). Variables outside them used to stay without a word; the shapes below are the
ones public notebooks have (a plain class holding its weights, weights handed to the model
function as arguments, a computation at module level, TensorFlow 1 graph code). Nothing in
the code changes.
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.tokeras.engine import translate


def _reasons(text: str) -> dict[str, str]:
    out, diags = translate(text, "m.py")
    assert out == text  # a reason only: the code stays byte for byte
    return {d.message.split(" stays ")[0].strip("`"): d.message for d in diags if d.code == "XL503"}


def test_a_plain_class_holding_its_weights() -> None:
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        class NaiveDense:
            def __init__(self, n_in, n_out, activation):
                self.activation = activation
                self.W = tf.Variable(tf.random.uniform((n_in, n_out), minval=0, maxval=1e-1))
                self.b = tf.Variable(tf.zeros((n_out,)))
                self.seen = tf.Variable(tf.zeros(()))  # not applied as a weight: not reported

            def __call__(self, inputs):
                return self.activation(tf.matmul(inputs, self.W) + self.b)
        """))
    # (raised since 2026-12-06 where every variable is a layer's weight: tests/test_tokeras_instance_vars.py)
    assert set(got) == {"self.W", "self.b"}, got
    assert "`NaiveDense`, a plain class, which is not raised: `self.seen` is not the weight of a layer" in got["self.W"]


def test_a_class_of_object_is_a_plain_class() -> None:
    """``class Model(object):`` (a book's TF 2 port of TF 1 code) was not reported at all;
    raised now, it is reported when it is kept (here: its `seen` counter is no layer weight)."""
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        class Model(object):
            def __init__(self):
                self.W = tf.Variable(tf.random.normal([4, 3]))
                self.b = tf.Variable(tf.zeros([3]))

                self.seen = tf.Variable(tf.random.normal([3]))

            def __call__(self, x):
                return tf.nn.relu(tf.matmul(x, self.W) + self.b) * self.seen
        """))
    assert set(got) == {"self.W", "self.b"} and "`Model`, a plain class, which is not raised" in got["self.W"], got


def test_weights_given_to_the_model_function_as_arguments() -> None:
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf

        W = tf.Variable(initial_value=tf.random.uniform(shape=(2, 1)))
        b = tf.Variable(initial_value=tf.zeros(shape=(1,)))
        step = tf.Variable(0)  # a literal: a counter, not a weight
        frozen = tf.Variable(tf.ones((2, 1)), trainable=False)


        def model(inputs, W, b):
            return tf.matmul(inputs, W) + b


        def train(inputs, targets):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(targets - model(inputs, W, b)))
            gw, gb = tape.gradient(loss, [W, b])
            W.assign_sub(gw * 0.1)
            b.assign_sub(gb * 0.1)
            return model(inputs, W, frozen)
        """))
    assert set(got) == {"W", "b"}, got
    assert "given to `model(...)` as an argument" in got["W"]


def test_weights_applied_at_module_level() -> None:
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf

        w = tf.Variable(tf.random.normal((3, 2)), name="w")
        b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
        x = [[1.0, 2.0, 3.0]]
        with tf.GradientTape() as tape:
            y = x @ w + b
            loss = tf.reduce_mean(y ** 2)
        """))
    assert set(got) == {"w", "b"}, got
    assert "applied at module level" in got["w"]


def test_tensorflow_1_graph_code() -> None:
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf

        x = tf.compat.v1.placeholder(tf.float32, [None, 784])
        W = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))
        y = tf.nn.softmax(tf.matmul(x, W) + b)
        """))
    assert set(got) == {"W", "b"}, got
    assert "TensorFlow 1 graph code (`tf.compat.v1.placeholder`)" in got["W"]


@pytest.mark.parametrize("text", [
    "import tensorflow as tf\nv = tf.Variable(3.0)\nwith tf.GradientTape() as t:\n    y = v * v\n",
    "import tensorflow as tf\nv = tf.Variable(tf.ones((2, 2)))\nprint(v.numpy())\n",
])
def test_variables_not_used_as_weights_are_not_reported(text: str) -> None:
    assert _reasons(text) == {}


def test_weights_a_plain_class_gives_to_its_own_helper_methods() -> None:
    """A book's TF 2 port keeps its convolutions in private helper methods
    (``self.__conv_layer(x, self.W1, self.b1)``) and adds its biases with ``tf.add``: those
    weights were not reported."""
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        class SmallCNN(object):
            def __init__(self):
                self.W1 = tf.Variable(tf.random.normal([5, 5, 1, 8]))
                self.b1 = tf.Variable(tf.random.normal([8]))
                self.W_out = tf.Variable(tf.random.normal([8, 10]))
                self.b_out = tf.Variable(tf.random.normal([10]))

            def __call__(self, x):
                h = self.__conv_layer(x, self.W1, self.b1)
                h = tf.nn.lrn(h, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
                return tf.add(tf.matmul(tf.reduce_mean(h, axis=[1, 2]), self.W_out), self.b_out)

            def __conv_layer(self, x, W, b):
                return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME"), b))


        class Deeper(SmallCNN):  # (a subclass keeps the class: raised otherwise, test_tokeras_instance_vars.py)
            pass
        """))
    assert set(got) == {"self.W1", "self.b1", "self.W_out", "self.b_out"}, got
    assert "`SmallCNN`, a plain class, which is not raised: `Deeper` derives from it" in got["self.W1"]


def test_weights_a_function_makes_and_returns() -> None:
    """A book's MNIST forward pass (read in a TF 2 book's chapter on tensors): the weights are
    made in ``init_parameters`` and returned, unpacked by the caller and handed to the
    training function, which applies them. It used to say nothing (the reads were followed in
    the making function only)."""
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        def init_parameters():
            w1 = tf.Variable(tf.random.truncated_normal([784, 256], stddev=0.1))
            b1 = tf.Variable(tf.zeros([256]))
            w2 = tf.Variable(tf.random.truncated_normal([256, 10], stddev=0.1))
            b2 = tf.Variable(tf.zeros([10]))
            steps = tf.Variable(tf.zeros([]))  # never applied as a weight: not reported
            return w1, b1, w2, b2, steps


        def train_epoch(dataset, w1, b1, w2, b2, lr=0.001):
            for x, y in dataset:
                with tf.GradientTape() as tape:
                    h1 = tf.nn.relu(x @ w1 + b1)
                    out = h1 @ w2 + b2
                    loss = tf.reduce_mean(tf.square(y - out))
                grads = tape.gradient(loss, [w1, b1, w2, b2])
                for p, g in zip([w1, b1, w2, b2], grads):
                    p.assign_sub(lr * g)
            return loss


        def train(dataset, epochs):
            w1, b1, w2, b2, steps = init_parameters()
            for _ in range(epochs):
                train_epoch(dataset, w1, b1, w2, b2)
        """))
    assert set(got) == {"w1", "b1", "w2", "b2"}, got
    assert "`init_parameters` makes and returns it, and it is given to `train_epoch(...)`" in got["w1"]


def test_a_weight_factory_whose_callers_apply_it() -> None:
    """``def new_weights(shape): return tf.Variable(...)`` (a tutorial series' helpers), the
    layer helpers applying what it returns."""
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        def new_weights(shape):
            return tf.Variable(tf.random.truncated_normal(shape, stddev=0.05))


        def new_fc_layer(inputs, num_inputs, num_outputs):
            weights = new_weights(shape=[num_inputs, num_outputs])
            return tf.matmul(inputs, weights)
        """))
    assert list(got) == ["the tf.Variable `new_weights` returns"], got
    assert "it is applied in `new_fc_layer`" in got["the tf.Variable `new_weights` returns"]


def test_a_returned_variable_nobody_applies_is_not_reported() -> None:
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        def make_counter():
            c = tf.Variable(tf.zeros([3]))
            return c


        counter = make_counter()
        counter.assign_add(tf.ones([3]))
        """))
    assert got == {}


def test_a_keras_layer_whose_own_build_keeps_its_variables() -> None:
    """A Keras layer making ``tf.Variable``s in a ``build`` with an extra argument (a copy
    constructor, as in TensorFlow's compression tutorial): the Keras-class path leaves it
    and used to say nothing."""
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        class CustomDense(tf.keras.layers.Layer):
            def __init__(self, filters):
                super().__init__()
                self.filters = filters

            def build(self, input_shape, other=None):
                if other is None:
                    bias = tf.zeros((self.filters,))
                else:
                    bias = other.bias
                self.bias = tf.Variable(tf.cast(bias, self.variable_dtype), name="bias")

            def call(self, inputs):
                return tf.nn.bias_add(inputs, self.bias)
        """))
    assert set(got) == {"self.bias"}, got
    assert "held by `CustomDense`, a Keras class: Keras 3 does not track a tf.Variable" in got["self.bias"]


def test_weight_dicts_a_function_makes_and_hands_on() -> None:
    """`weights, biases = create_weights()` inside the training function, the dicts then given
    to the model function (a TF 2 script's layout): one reason per dict (it was silent)."""
    got = _reasons(textwrap.dedent("""\
        import tensorflow as tf


        def create_weights():
            weights = {
                "h": tf.Variable(tf.random.normal([4, 8])),
                "out": tf.Variable(tf.random.normal([8, 3])),
            }
            biases = {"b": tf.Variable(tf.zeros([8])), "out": tf.Variable(tf.zeros([3]))}
            return weights, biases


        def neural_net(x, weights, biases):
            hidden = tf.nn.sigmoid(tf.add(tf.matmul(x, weights["h"]), biases["b"]))
            return tf.matmul(hidden, weights["out"]) + biases["out"]


        def train(x):
            weights, biases = create_weights()
            return neural_net(x, weights, biases)
        """))
    assert set(got) == {"weights`, a dict of tf.Variables,", "biases`, a dict of tf.Variables,"}, got
    assert all("`create_weights` makes and returns it, and it is given to `neural_net(...)`" in m for m in got.values())
