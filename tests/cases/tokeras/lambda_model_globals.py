"""Softmax regression with the model a lambda over two module-level variables (the style of
the shortest TF 2 tutorials), trained with a GradientTape over `[W, b]`. The lambda becomes a
Keras model bound to the same name; the loss lambda reads no variable and stays."""
import tensorflow as tf

n_features = 8
n_classes = 3

# weights start at zero, as in the tutorials
W = tf.Variable(tf.zeros([n_features, n_classes]))
b = tf.Variable(tf.zeros([n_classes]))

model = lambda x: tf.nn.softmax(tf.matmul(x, W) + b)
compute_loss = lambda y, p: tf.reduce_mean(-tf.reduce_sum(y * tf.math.log(p + 1e-7), axis=1))
optimizer = tf.optimizers.Adam(0.05)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = compute_loss(y, model(x))
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss
# output
"""Softmax regression with the model a lambda over two module-level variables (the style of
the shortest TF 2 tutorials), trained with a GradientTape over `[W, b]`. The lambda becomes a
Keras model bound to the same name; the loss lambda reads no variable and stays."""
import tensorflow as tf
import keras
from keras import layers

n_features = 8
n_classes = 3

class Model(keras.Model):
    """`model` with its weights (raised by xlate to-keras). The original variables load
    with ``model.set_weights([W, b])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(n_classes, activation='softmax', kernel_initializer='zeros')

    def call(self, x, training=False):
        return self.dense(x)


model = Model()
compute_loss = lambda y, p: tf.reduce_mean(-tf.reduce_sum(y * tf.math.log(p + 1e-7), axis=1))
optimizer = tf.optimizers.Adam(0.05)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = compute_loss(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
# diagnostics
