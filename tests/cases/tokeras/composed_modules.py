"""tf.Module classes composed of other modules (the style of TensorFlow's guide to modules):
an affine module with its own variables, a container holding two of them, and a container
of containers. The containers hold raised layers, so they become Keras models (or layers)
too: a Keras model does not track the variables of a tf.Module attribute."""
import tensorflow as tf


class Affine(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.kernel = tf.Variable(tf.random.normal([n_in, n_out], stddev=0.1), name="kernel")
        self.bias = tf.Variable(tf.zeros([n_out]), name="bias")

    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.kernel) + self.bias)


class TwoLayers(tf.Module):
    def __init__(self, n_in, hidden, n_out, name=None):
        super().__init__(name=name)
        self.first = Affine(n_in, hidden)
        self.second = Affine(hidden, n_out)

    def __call__(self, x):
        h = self.first(x)
        return self.second(h)


class Tower(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.body = TwoLayers(3, 5, 4)
        self.head = Affine(4, 2)

    def __call__(self, x):
        return self.head(self.body(x))


tower = Tower(name="tower")
# output
"""tf.Module classes composed of other modules (the style of TensorFlow's guide to modules):
an affine module with its own variables, a container holding two of them, and a container
of containers. The containers hold raised layers, so they become Keras models (or layers)
too: a Keras model does not track the variables of a tf.Module attribute."""
import keras
from keras import layers


class Affine(keras.layers.Layer):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.dense = layers.Dense(n_out, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

    def call(self, x, training=False):
        return self.dense(x)


class TwoLayers(keras.layers.Layer):
    def __init__(self, n_in, hidden, n_out, name=None):
        super().__init__(name=name)
        self.first = Affine(n_in, hidden)
        self.second = Affine(hidden, n_out)

    def call(self, x, training=False):
        h = self.first(x)
        return self.second(h)


class Tower(keras.Model):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.body = TwoLayers(3, 5, 4)
        self.head = Affine(4, 2)

    def call(self, x, training=False):
        return self.head(self.body(x))


tower = Tower(name="tower")
# diagnostics
