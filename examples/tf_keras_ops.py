"""Keras layers whose ``call`` uses stateless ``tf.nn`` ops instead of Keras layers.

``ConvBlock`` applies ``tf.nn.relu``, ``tf.nn.max_pool2d`` and ``tf.nn.dropout`` around a
Keras ``Conv2D``; the classifier pools with ``tf.reduce_mean`` and ends in
``tf.nn.softmax``. ``xlate to-keras`` turns each op into the matching layer, created in
``__init__`` and called in ``call``.

    xlate to-keras examples/tf_keras_ops.py
    xlate verify --to-keras examples/tf_keras_ops.py
"""

import keras
import tensorflow as tf
from keras import layers


class ConvBlock(layers.Layer):
    """Conv2D, then ReLU and 2x2 max pooling written as TensorFlow ops."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, padding="same")

    def call(self, x, training=None):
        x = tf.nn.relu(self.conv(x))
        x = tf.nn.max_pool2d(x, ksize=2, strides=2, padding="VALID")
        if training:
            x = tf.nn.dropout(x, rate=0.1)
        return x


class Classifier(keras.Model):
    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.block1 = ConvBlock(16)
        self.block2 = ConvBlock(32)
        self.head = layers.Dense(num_classes)

    def call(self, x, training=False):
        x = self.block1(x, training=training)
        x = self.block2(x, training=training)
        x = tf.reduce_mean(x, axis=[1, 2])  # global average pooling
        return tf.nn.softmax(self.head(x))


model = Classifier()
model(keras.ops.zeros((1, 28, 28, 1)))  # builds the weights

if __name__ == "__main__":
    model.summary()
