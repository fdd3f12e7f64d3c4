"""A two-layer network whose model function takes its weights as parameters under its own
names (`forward(inputs, W1, B1, W2, B2)`), every call giving it the module's tf.Variable
globals; trained with a GradientTape over the list of globals."""
import tensorflow as tf

w1 = tf.Variable(tf.random.truncated_normal([4, 7], stddev=0.5))
b1 = tf.Variable(tf.random.truncated_normal([7], stddev=0.1))
w2 = tf.Variable(tf.random.truncated_normal([7, 2], stddev=0.5))
b2 = tf.Variable(tf.random.truncated_normal([2], stddev=0.1))


def forward(inputs, W1, B1, W2, B2):
    hidden = tf.nn.tanh(inputs @ W1 + B1)
    return tf.nn.softmax(hidden @ W2 + B2)


lr = 0.1


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(forward(x, w1, b1, w2, b2) - y))
    grads = tape.gradient(loss, [w1, b1, w2, b2])
    for v, g in zip([w1, b1, w2, b2], grads):
        v.assign_sub(lr * g)
    return loss
# output
"""A two-layer network whose model function takes its weights as parameters under its own
names (`forward(inputs, W1, B1, W2, B2)`), every call giving it the module's tf.Variable
globals; trained with a GradientTape over the list of globals."""
import tensorflow as tf
import keras
from keras import layers


class Forward(keras.Model):
    """`forward` with its weights (raised by xlate to-keras). The original variables load
    with ``forward.set_weights([w1, b1, w2, b2])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(7, activation='tanh', kernel_initializer=keras.initializers.TruncatedNormal(mean=0.0, stddev=0.5), bias_initializer=keras.initializers.TruncatedNormal(mean=0.0, stddev=0.1))
        self.dense_1 = layers.Dense(2, activation='softmax', kernel_initializer=keras.initializers.TruncatedNormal(mean=0.0, stddev=0.5), bias_initializer=keras.initializers.TruncatedNormal(mean=0.0, stddev=0.1))

    def call(self, inputs, training=False):
        hidden = self.dense(inputs)
        return self.dense_1(hidden)


forward = Forward()


lr = 0.1


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(forward(x) - y))
    grads = tape.gradient(loss, forward.trainable_variables)
    for v, g in zip(forward.trainable_variables, grads):
        v.assign_sub(lr * g)
    return loss
# diagnostics
