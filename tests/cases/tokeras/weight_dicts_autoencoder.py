"""An autoencoder in the dict style: one dict of weights and one of biases shared by two model
functions, each applying its own keys; the training step updates both. Each function becomes
its own Keras model, and the step's list of variables the two models' variables."""
import tensorflow as tf

n_in = 12
n_code = 4

weights = {
    "enc": tf.Variable(tf.random.normal([n_in, n_code], stddev=0.2)),
    "dec": tf.Variable(tf.random.normal([n_code, n_in], stddev=0.2)),
}
biases = {
    "enc": tf.Variable(tf.zeros([n_code])),
    "dec": tf.Variable(tf.zeros([n_in])),
}


def encoder(x):
    return tf.nn.sigmoid(tf.add(tf.matmul(x, weights["enc"]), biases["enc"]))


def decoder(code):
    return tf.nn.sigmoid(tf.add(tf.matmul(code, weights["dec"]), biases["dec"]))


optimizer = tf.optimizers.Adam(0.01)


def run_optimization(x):
    with tf.GradientTape() as g:
        loss = tf.reduce_mean(tf.square(decoder(encoder(x)) - x))
    trainable_variables = list(weights.values()) + list(biases.values())
    gradients = g.gradient(loss, trainable_variables)
    optimizer.apply_gradients(zip(gradients, trainable_variables))
    return loss
# output
"""An autoencoder in the dict style: one dict of weights and one of biases shared by two model
functions, each applying its own keys; the training step updates both. Each function becomes
its own Keras model, and the step's list of variables the two models' variables."""
import tensorflow as tf
import keras
from keras import layers

n_in = 12
n_code = 4


class Encoder(keras.Model):
    """`encoder` with its weights (raised by xlate to-keras). The original variables load
    with ``encoder.set_weights([weights['enc'], biases['enc']])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(n_code, activation='sigmoid', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.2))

    def call(self, x, training=False):
        return self.dense(x)


encoder = Encoder()


class Decoder(keras.Model):
    """`decoder` with its weights (raised by xlate to-keras). The original variables load
    with ``decoder.set_weights([weights['dec'], biases['dec']])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(n_in, activation='sigmoid', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.2))

    def call(self, code, training=False):
        return self.dense(code)


decoder = Decoder()


optimizer = tf.optimizers.Adam(0.01)


def run_optimization(x):
    with tf.GradientTape() as g:
        loss = tf.reduce_mean(tf.square(decoder(encoder(x)) - x))
    trainable_variables = encoder.trainable_variables + decoder.trainable_variables
    gradients = g.gradient(loss, trainable_variables)
    optimizer.apply_gradients(zip(gradients, trainable_variables))
    return loss
# diagnostics
