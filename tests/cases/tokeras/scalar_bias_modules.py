"""Regressions whose bias is a scalar beside a kernel of one column (the style of
TensorFlow's core guides): a Dense(1), the scalar loading as its (1,) bias."""

import tensorflow as tf


class Regression(tf.Module):
    def __init__(self):
        self.built = False

    @tf.function
    def __call__(self, x):
        # the parameters are made on the first call, from the input's width
        if not self.built:
            w_start = tf.random.uniform(shape=[x.shape[-1], 1], seed=5)
            b_start = tf.random.uniform(shape=[], seed=5)
            self.w = tf.Variable(w_start)
            self.b = tf.Variable(b_start)
            self.built = True
        y = tf.add(tf.matmul(x, self.w), self.b)
        return tf.squeeze(y, axis=1)


class Classifier(tf.Module):
    def __init__(self):
        self.built = False

    def __call__(self, x, train=True):
        if not self.built:
            self.w = tf.Variable(tf.random.normal([x.shape[-1], 1], stddev=0.3))
            self.b = tf.Variable(0.0)
            self.built = True
        z = tf.squeeze(tf.matmul(x, self.w) + self.b, axis=1)
        if train:
            return z
        return tf.sigmoid(z)


regression = Regression()
classifier = Classifier()
# output
"""Regressions whose bias is a scalar beside a kernel of one column (the style of
TensorFlow's core guides): a Dense(1), the scalar loading as its (1,) bias."""

import tensorflow as tf
import keras
from keras import layers


class Regression(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1, kernel_initializer=keras.initializers.RandomUniform(minval=0.0, maxval=1.0, seed=5), bias_initializer=keras.initializers.RandomUniform(minval=0.0, maxval=1.0, seed=5))

    def call(self, x, training=False):
        # the parameters are made on the first call, from the input's width
        y = self.dense(x)
        return tf.squeeze(y, axis=1)


class Classifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.3))
        self.activation = layers.Activation('sigmoid')

    def call(self, x, train=True):
        z = tf.squeeze(self.dense(x), axis=1)
        if train:
            return z
        return self.activation(z)


regression = Regression()
classifier = Classifier()
# diagnostics
