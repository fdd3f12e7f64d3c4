"""A plain float64 Q-network (a TF 2 book port's, written here after reading it): raised with
dtype='float64' layers and model. Executed in test_tokeras_instance_vars.py."""
import numpy as np
import tensorflow as tf


class QNetwork(object):

    def __init__(self, input_dim, h1_dim, output_dim):
        self.W1 = tf.Variable(tf.random.normal([input_dim, h1_dim], dtype=tf.double))
        self.b1 = tf.Variable(tf.constant(0.1, shape=[h1_dim], dtype=tf.double))
        self.W2 = tf.Variable(tf.random.normal([h1_dim, output_dim], dtype=tf.double))
        self.b2 = tf.Variable(tf.constant(0.1, shape=[output_dim], dtype=tf.double))

    def __call__(self, x):
        h1 = tf.nn.relu(tf.matmul(x, self.W1) + self.b1)
        return tf.matmul(h1, self.W2) + self.b2


model = QNetwork(4, 6, 3)
optimizer = tf.keras.optimizers.Adagrad(0.1)
states = np.random.default_rng(3).normal(size=(5, 4))  # float64, as the environment gives them
targets = np.random.default_rng(4).normal(size=(5, 3))
losses = []
for _ in range(3):
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(tf.square(targets - model(states)))
    grads = t.gradient(loss, [model.W1, model.b1, model.W2, model.b2])
    optimizer.apply_gradients(zip(grads, [model.W1, model.b1, model.W2, model.b2]))
    losses.append(float(loss))
q_values = model(states).numpy()
dtype = str(model.W1.dtype)
# output
"""A plain float64 Q-network (a TF 2 book port's, written here after reading it): raised with
dtype='float64' layers and model. Executed in test_tokeras_instance_vars.py."""
import numpy as np
import tensorflow as tf


class QNetwork(tf.keras.Model):

    def __init__(self, input_dim, h1_dim, output_dim):
        super().__init__(dtype='float64')
        self.dense = tf.keras.layers.Dense(h1_dim, activation='relu', kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0), bias_initializer=tf.keras.initializers.Constant(0.1), dtype='float64')
        self.dense.build((None, input_dim))
        self.dense_1 = tf.keras.layers.Dense(output_dim, kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0), bias_initializer=tf.keras.initializers.Constant(0.1), dtype='float64')
        self.dense_1.build((None, h1_dim))

    def call(self, x, training=False):
        h1 = self.dense(x)
        return self.dense_1(h1)

    @property
    def W1(self):
        """`W1` as the program reads it: the `tf.Variable` of `self.dense.kernel`."""
        return self.dense.kernel.value

    @property
    def b1(self):
        """`b1` as the program reads it: the `tf.Variable` of `self.dense.bias`."""
        return self.dense.bias.value

    @property
    def W2(self):
        """`W2` as the program reads it: the `tf.Variable` of `self.dense_1.kernel`."""
        return self.dense_1.kernel.value

    @property
    def b2(self):
        """`b2` as the program reads it: the `tf.Variable` of `self.dense_1.bias`."""
        return self.dense_1.bias.value


model = QNetwork(4, 6, 3)
optimizer = tf.keras.optimizers.Adagrad(0.1)
states = np.random.default_rng(3).normal(size=(5, 4))  # float64, as the environment gives them
targets = np.random.default_rng(4).normal(size=(5, 3))
losses = []
for _ in range(3):
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(tf.square(targets - model(states)))
    grads = t.gradient(loss, [model.W1, model.b1, model.W2, model.b2])
    optimizer.apply_gradients(zip(grads, [model.W1, model.b1, model.W2, model.b2]))
    losses.append(float(loss))
q_values = model(states).numpy()
dtype = str(model.W1.dtype)
# diagnostics
