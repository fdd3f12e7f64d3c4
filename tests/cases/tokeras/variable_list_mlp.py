"""A two-layer perceptron whose weights are one module-level list of tf.Variables, indexed in
the model function (`params[0]`), and trained with a GradientTape over the list itself; a
decay loop over the list after each step."""
import tensorflow as tf

n_in, n_hidden, n_out = 5, 7, 3

params = [
    tf.Variable(tf.random.normal([n_in, n_hidden], stddev=0.4)),
    tf.Variable(tf.random.normal([n_hidden], stddev=0.1)),
    tf.Variable(tf.random.normal([n_hidden, n_out], stddev=0.4)),
    tf.Variable(tf.random.normal([n_out], stddev=0.1)),
]


def model(x):
    hidden = tf.nn.relu(tf.matmul(x, params[0]) + params[1])
    return tf.nn.softmax(tf.matmul(hidden, params[2]) + params[3])


optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y, model(x)))
    grads = tape.gradient(loss, params)
    optimizer.apply_gradients(zip(grads, params))
    for p in params:
        p.assign(p * 0.999)
    return loss
# output
"""A two-layer perceptron whose weights are one module-level list of tf.Variables, indexed in
the model function (`params[0]`), and trained with a GradientTape over the list itself; a
decay loop over the list after each step."""
import tensorflow as tf

n_in, n_hidden, n_out = 5, 7, 3


class Model(tf.keras.Model):
    """`model` with its weights (raised by xlate to-keras). The original variables load
    with ``model.set_weights([params[0], params[1], params[2], params[3]])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(n_hidden, activation='relu', kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.4), bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.dense_1 = tf.keras.layers.Dense(n_out, kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.4), bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

    def call(self, x, training=False):
        hidden = self.dense(x)
        return tf.nn.softmax(self.dense_1(hidden))


model = Model()


optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y, model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    for p in model.trainable_variables:
        p.assign(p * 0.999)
    return loss
# diagnostics
# 16:1: XL501
