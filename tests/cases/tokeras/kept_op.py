"""An op without a Keras layer stays a TensorFlow op in the Keras model, reported (XL501)."""
import tensorflow as tf


class Blocks(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.ones([12, 3]))

    def __call__(self, x):
        x = tf.nn.space_to_depth(x, 2)
        return tf.tensordot(x, self.w, axes=1)
# output
"""An op without a Keras layer stays a TensorFlow op in the Keras model, reported (XL501)."""
import tensorflow as tf
import keras
from keras import layers


class Blocks(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3, use_bias=False, kernel_initializer='ones')

    def call(self, x, training=False):
        x = tf.nn.space_to_depth(x, 2)
        return self.dense(x)
# diagnostics
# 11:13: XL501
