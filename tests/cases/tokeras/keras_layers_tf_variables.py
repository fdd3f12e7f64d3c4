"""Keras layers holding tf.Variables (created in __init__, or in a build that only creates them) and a model of them."""

import tensorflow as tf


class Affine(tf.keras.layers.Layer):
    def __init__(self, n_in, n_out, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.random.normal([n_in, n_out], stddev=0.3), name="w")
        self.b = tf.Variable(tf.zeros([n_out]), name="b")

    def call(self, x):
        return tf.nn.tanh(tf.matmul(x, self.w) + self.b)


class Widthless(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        """The weights, once the input's width is known."""
        self.kernel = tf.Variable(tf.random.uniform([input_shape[-1], self.units], -0.1, 0.1), name="kernel")
        self.offset = tf.Variable(tf.zeros([self.units]), name="offset")

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel) + self.offset


class Weighted(tf.keras.layers.Layer):
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        width = input_shape[-1]
        self.w = self.add_weight(shape=(width, self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), name="b")

    def call(self, inputs):
        return tf.nn.elu(tf.matmul(inputs, self.w) + self.b)

    def get_config(self):
        return {"units": self.units}


class Head(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.body = Affine(6, 8)
        self.out = Widthless(3)
        self.extra = Weighted(5)

    def call(self, x):
        return tf.nn.softmax(self.extra(self.out(self.body(x))))


head = Head()
# output
"""Keras layers holding tf.Variables (created in __init__, or in a build that only creates them) and a model of them."""

import tensorflow as tf


class Affine(tf.keras.layers.Layer):
    def __init__(self, n_in, n_out, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.random.normal([n_in, n_out], stddev=0.3), name="w")
        self.b = tf.Variable(tf.zeros([n_out]), name="b")
        self.activation = tf.keras.layers.Activation('tanh')

    def call(self, x):
        return self.activation(tf.matmul(x, self.w) + self.b)


class Widthless(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        """The weights, once the input's width is known."""
        self.kernel = tf.Variable(tf.random.uniform([input_shape[-1], self.units], -0.1, 0.1), name="kernel")
        self.offset = tf.Variable(tf.zeros([self.units]), name="offset")

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel) + self.offset


class Weighted(tf.keras.layers.Layer):
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.dense = tf.keras.layers.Dense(self.units, activation='elu', kernel_initializer='random_normal', bias_initializer='glorot_uniform')

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        return {"units": self.units}


class Head(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.body = Affine(6, 8)
        self.out = Widthless(3)
        self.extra = Weighted(5)
        self.softmax = tf.keras.layers.Softmax()

    def call(self, x):
        return self.softmax(self.extra(self.out(self.body(x))))


head = Head()
# diagnostics
# 9:18: XL503
# 23:23: XL503
