"""A network with ops Keras has no layer for, written in a ``tf.Module``.

``tf.nn.space_to_depth`` (moves 2x2 spatial blocks into channels) has no Keras layer.
``xlate to-keras`` raises the convolution, pooling and dense parts to layers and keeps the
rest as TensorFlow code inside the Keras model's ``call`` (and says so: XL501 for the op).
A learned ``temperature`` (a ``tf.Variable`` that is no layer's weight) would keep the whole
class a ``tf.Module`` (XL502): a Keras 3 model does not track a ``tf.Variable`` it holds, so
its ``trainable_variables``, ``fit`` and ``get_weights`` would leave it out. The temperature
here is fixed.

    xlate lint --to-keras examples/tf_space_to_depth.py
    xlate to-keras examples/tf_space_to_depth.py
    xlate verify --to-keras examples/tf_space_to_depth.py
"""

import tensorflow as tf


class SpaceToDepthNet(tf.Module):
    def __init__(self, num_classes=10, name=None):
        super().__init__(name=name)
        self.stem_w = tf.Variable(tf.random.normal([3, 3, 3, 8], stddev=0.1))
        self.stem_b = tf.Variable(tf.zeros([8]))
        self.head_w = tf.Variable(tf.random.normal([32, num_classes], stddev=0.1))
        self.head_b = tf.Variable(tf.zeros([num_classes]))
        self.temperature = 1.5

    def __call__(self, x):
        x = tf.nn.relu(tf.nn.conv2d(x, self.stem_w, 1, "SAME") + self.stem_b)
        x = tf.nn.space_to_depth(x, 2)  # 8 channels -> 32
        x = tf.reduce_mean(x, axis=[1, 2])
        logits = tf.matmul(x, self.head_w) + self.head_b
        return tf.nn.softmax(logits / self.temperature)


model = SpaceToDepthNet()

if __name__ == "__main__":
    print(model(tf.zeros([2, 32, 32, 3])).shape)
