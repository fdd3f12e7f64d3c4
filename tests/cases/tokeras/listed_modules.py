"""A module that applies, in a loop, the list of modules it is given (the style of
TensorFlow's core guides): raised to a Keras layer holding the list, which Keras tracks."""

import tensorflow as tf


def uniform_init(shape):
    rows, cols = shape
    bound = tf.sqrt(6.0 / tf.cast(rows + cols, tf.float32))
    return tf.random.uniform(shape=(rows, cols), minval=-bound, maxval=bound)


class Affine(tf.Module):
    def __init__(self, units, init=uniform_init, act=tf.identity):
        self.units = units
        self.init = init
        self.act = act
        self.built = False

    def __call__(self, x):
        if not self.built:
            self.rows = x.shape[1]
            self.w = tf.Variable(self.init(shape=(self.rows, self.units)))
            self.b = tf.Variable(tf.zeros(shape=(self.units,)))
            self.built = True
        return self.act(tf.add(tf.matmul(x, self.w), self.b))


class Stack(tf.Module):
    def __init__(self, layers):
        self.layers = layers

    @tf.function
    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


stack = Stack([Affine(16, act=tf.nn.relu), Affine(8, act=tf.nn.tanh), Affine(3)])
# output
"""A module that applies, in a loop, the list of modules it is given (the style of
TensorFlow's core guides): raised to a Keras layer holding the list, which Keras tracks."""

import tensorflow as tf
import keras
from keras import layers


def uniform_init(shape):
    rows, cols = shape
    bound = tf.sqrt(6.0 / tf.cast(rows + cols, tf.float32))
    return tf.random.uniform(shape=(rows, cols), minval=-bound, maxval=bound)


class Affine(keras.Model):
    def __init__(self, units, init=uniform_init, act=tf.identity):
        super().__init__()
        self.units = units
        self.init = init
        self.act = act
        self.dense = layers.Dense(self.units, kernel_initializer=lambda shape, dtype=None: self.init(shape=shape))

    def call(self, x, training=False):
        return self.act(self.dense(x))


class Stack(keras.layers.Layer):
    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def call(self, x, training=False):
        for layer in self.layers:
            x = layer(x)
        return x


stack = Stack([Affine(16, act=tf.nn.relu), Affine(8, act=tf.nn.tanh), Affine(3)])
# diagnostics
