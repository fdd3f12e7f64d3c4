"""A tf.Module MLP written by hand: Dense layers with their bias and activation, dropout."""
import tensorflow as tf

HIDDEN = 32


class MLP(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.w1 = tf.Variable(tf.random.normal([16, HIDDEN], stddev=0.05), name="w1")
        self.b1 = tf.Variable(tf.zeros([HIDDEN]), name="b1")
        self.w2 = tf.Variable(tf.random.normal([HIDDEN, 4], stddev=0.05), name="w2")
        self.b2 = tf.Variable(tf.zeros([4]), name="b2")

    def __call__(self, x, training=False):
        h = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)  # hidden layer
        if training:
            h = tf.nn.dropout(h, rate=0.2)
        return tf.matmul(h, self.w2) + self.b2


model = MLP()
# output
"""A tf.Module MLP written by hand: Dense layers with their bias and activation, dropout."""
import keras
from keras import layers

HIDDEN = 32


class MLP(keras.Model):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense = layers.Dense(HIDDEN, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.05))
        self.dropout = layers.Dropout(0.2)
        self.dense_1 = layers.Dense(4, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.05))

    def call(self, x, training=False):
        h = self.dense(x)  # hidden layer
        h = self.dropout(h, training=training)
        return self.dense_1(h)


model = MLP()
# diagnostics
