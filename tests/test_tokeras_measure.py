"""bench/realcode.py's static classification of weight variables and layer-like ops (issue #17):
what counts as a layer's weight or a layer, on small cases written here after the styles of
public tutorials (nothing is executed)."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("realcode_measure", ROOT / "bench" / "realcode.py")
assert _spec is not None and _spec.loader is not None
rc = importlib.util.module_from_spec(_spec)
sys.modules["realcode_measure"] = rc
_spec.loader.exec_module(rc)


def use(code: str):  # type: ignore[no-untyped-def]
    return rc.weight_use(ast.parse("import tensorflow as tf\n" + textwrap.dedent(code)))


def test_weight_dicts_through_a_model_function_and_a_helper() -> None:
    w = use("""
        rn = tf.initializers.RandomNormal()
        weights = {"wc1": tf.Variable(rn([5, 5, 1, 32])), "out": tf.Variable(rn([32, 10]))}
        biases = {"bc1": tf.Variable(tf.zeros([32])), "out": tf.Variable(tf.zeros([10]))}
        unused = tf.Variable(tf.zeros([3]))

        def conv2d(x, W, b):
            x = tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")
            return tf.nn.relu(tf.nn.bias_add(x, b))

        def maxpool2d(x, k=2):
            return tf.nn.max_pool(x, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding="SAME")

        def conv_net(x):
            h = maxpool2d(conv2d(x, weights["wc1"], biases["bc1"]))
            h = tf.reduce_mean(h, axis=[1, 2])
            return tf.nn.softmax(tf.matmul(h, weights["out"]) + biases["out"])

        def loss(pred, y):
            return tf.reduce_mean(tf.nn.softmax(pred) * y)
        """)
    assert sum(w.variables.values()) == 4 and sum(w.all_variables.values()) == 5
    assert "tf.Variable(tf.zeros([3]))" not in w.variables
    assert set(w.ops) == {"tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')", "tf.nn.bias_add(x, b)",
                          "tf.nn.relu(tf.nn.bias_add(x, b))", "tf.nn.max_pool(x, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding='SAME')",
                          "tf.matmul(h, weights['out'])", "tf.nn.softmax(tf.matmul(h, weights['out']) + biases['out'])"}
    assert "tf.nn.softmax(pred)" in w.all_ops  # in a loss: not a layer


def test_module_attributes_and_lazy_creation() -> None:
    w = use("""
        class Dense(tf.Module):
            def __init__(self, out_features):
                self.out_features = out_features
                self.built = False

            def __call__(self, x):
                if not self.built:
                    self.w = tf.Variable(tf.random.normal([x.shape[-1], self.out_features]))
                    self.b = tf.Variable(tf.zeros([self.out_features]))
                    self.built = True
                return tf.nn.relu(x @ self.w + self.b)
        """)
    assert sum(w.variables.values()) == 2
    assert set(w.ops) == {"x @ self.w", "tf.nn.relu(x @ self.w + self.b)"}


def test_demos_images_and_products_of_tensors_are_not_weights_or_layers() -> None:
    w = use("""
        x = tf.Variable(3.0)
        a = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        b = tf.constant([[1.0], [2.0]])
        print(tf.matmul(a, b))
        step = tf.Variable(tf.zeros([]), trainable=False)
        queue = tf.Variable(tf.random.normal([8, 4]), trainable=False)
        image = tf.Variable(tf.random.uniform([1, 8, 8, 3]))

        def gram(t):
            f = tf.reshape(t, [-1, 3])
            return tf.matmul(f, f, transpose_a=True)

        def similarity(z):
            return tf.matmul(z, queue, transpose_b=True)

        def style_loss(model):
            return tf.reduce_sum(gram(model(image)))
        """)
    assert not w.variables and sum(w.all_variables.values()) == 5
    assert not w.ops


def test_rebinding_reads_the_binding_before_the_use() -> None:
    w = use("""
        W = tf.Variable(tf.random.uniform((2, 2)))
        y = tf.matmul(tf.ones((1, 2)), W)
        W = tf.Variable(tf.random.uniform((2, 2)), name="other")
        print(W)
        """)
    assert list(w.variables) == ["tf.Variable(tf.random.uniform((2, 2)))"]


def test_still_there_counts_by_text_and_multiplicity() -> None:
    from collections import Counter

    assert rc.still_there(Counter({"a": 2, "b": 1}), Counter({"a": 1, "c": 5})) == 1
