"""Modules that create their variables on the first call (the TensorFlow guides' style)."""

import tensorflow as tf


class LazyDense(tf.Module):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        self.ready = False
        self.units = units

    def __call__(self, x):
        # the input's width is known on the first call only
        if not self.ready:
            width = x.shape[-1]
            start = tf.random.normal([width, self.units], stddev=0.1)
            self.kernel = tf.Variable(start, name="kernel")
            self.bias = tf.Variable(tf.zeros([self.units]), name="bias")
            self.ready = True
        return tf.nn.relu(tf.matmul(x, self.kernel) + self.bias)


class LazyConv(tf.Module):
    def __init__(self, filters):
        super().__init__()
        self.filters = filters
        self.has_weights = False

    def __call__(self, x):
        if not self.has_weights:
            self.k = tf.Variable(tf.random.truncated_normal([3, 3, x.shape[-1], self.filters], stddev=0.2))
            self.c = tf.Variable(tf.zeros([self.filters]))
            self.has_weights = True
        y = tf.nn.conv2d(x, self.k, strides=1, padding="SAME")
        return tf.nn.max_pool2d(tf.nn.relu(tf.nn.bias_add(y, self.c)), 2, 2, "VALID")


class Scorer(tf.Module):
    def __init__(self, classes):
        self.built = False
        self.classes = classes

    @tf.function
    def __call__(self, x):
        if not self.built:
            self.in_dim = x.shape[1]
            w0 = tf.random.uniform(shape=[self.in_dim, self.classes], seed=3)
            self.w = tf.Variable(w0)
            self.b = tf.Variable(tf.zeros(shape=[self.classes]))
            self.built = True
        return tf.nn.softmax(tf.add(tf.matmul(x, self.w), self.b))


class Net(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.conv = LazyConv(4)
        self.hidden = LazyDense(16)
        self.out = Scorer(3)

    def __call__(self, images):
        h = tf.reshape(self.conv(images), [tf.shape(images)[0], -1])
        return self.out(self.hidden(h))


net = Net(name="net")
scorer = Scorer(5)
# output
"""Modules that create their variables on the first call (the TensorFlow guides' style)."""

import tensorflow as tf
import keras
from keras import layers


class LazyDense(keras.layers.Layer):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        self.units = units
        self.dense = layers.Dense(self.units, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

    def call(self, x, training=False):
        # the input's width is known on the first call only
        return self.dense(x)


class LazyConv(keras.layers.Layer):
    def __init__(self, filters):
        super().__init__()
        self.filters = filters
        self.conv2d = layers.Conv2D(self.filters, 3, padding='same', activation='relu', kernel_initializer=keras.initializers.TruncatedNormal(mean=0.0, stddev=0.2))
        self.max_pooling2d = layers.MaxPooling2D(pool_size=2)

    def call(self, x, training=False):
        return self.max_pooling2d(self.conv2d(x))


class Scorer(keras.layers.Layer):
    def __init__(self, classes):
        super().__init__()
        self.classes = classes
        self.dense = layers.Dense(self.classes, activation='softmax', kernel_initializer=keras.initializers.RandomUniform(minval=0.0, maxval=1.0, seed=3))

    def call(self, x, training=False):
        return self.dense(x)


class Net(keras.Model):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.conv = LazyConv(4)
        self.hidden = LazyDense(16)
        self.out = Scorer(3)

    def call(self, images, training=False):
        h = tf.reshape(self.conv(images), [tf.shape(images)[0], -1])
        return self.out(self.hidden(h))


net = Net(name="net")
scorer = Scorer(5)
# diagnostics
