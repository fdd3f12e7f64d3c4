"""A two-layer perceptron with its weights in module-level tf.Variable globals (the style of
the logistic-regression tutorials), trained with a GradientTape over the list of globals."""
import tensorflow as tf

n_inputs = 6
n_hidden = 5
n_outputs = 3

# hidden layer
W1 = tf.Variable(tf.random.normal([n_inputs, n_hidden], stddev=0.3), name="W1")
b1 = tf.Variable(tf.zeros([n_hidden]), name="b1")
# output layer
W2 = tf.Variable(tf.random.normal([n_hidden, n_outputs], stddev=0.3), name="W2")
b2 = tf.Variable(tf.zeros([n_outputs]), name="b2")


def mlp(x):
    hidden = tf.nn.sigmoid(tf.matmul(x, W1) + b1)
    return tf.matmul(hidden, W2) + b2


optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(mlp(x) - y))
    grads = tape.gradient(loss, [W1, b1, W2, b2])
    optimizer.apply_gradients(zip(grads, [W1, b1, W2, b2]))
    return loss
# output
"""A two-layer perceptron with its weights in module-level tf.Variable globals (the style of
the logistic-regression tutorials), trained with a GradientTape over the list of globals."""
import tensorflow as tf
import keras
from keras import layers

n_inputs = 6
n_hidden = 5
n_outputs = 3


class Mlp(keras.Model):
    """`mlp` with its weights (raised by xlate to-keras). The original variables load
    with ``mlp.set_weights([W1, b1, W2, b2])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(n_hidden, activation='sigmoid', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.3))
        self.dense_1 = layers.Dense(n_outputs, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.3))

    def call(self, x, training=False):
        hidden = self.dense(x)
        return self.dense_1(hidden)


mlp = Mlp()


optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(mlp(x) - y))
    grads = tape.gradient(loss, mlp.trainable_variables)
    optimizer.apply_gradients(zip(grads, mlp.trainable_variables))
    return loss
# diagnostics
