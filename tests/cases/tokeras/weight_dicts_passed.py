"""A perceptron in the style of the TensorFlow 1 examples ported to TensorFlow 2: the weights
in dicts, the model a function that takes them as parameters (`multilayer_perceptron(x,
weights, biases)`), every call giving it the same dicts; a GradientTape step over the dicts'
values, and an evaluation call by keyword."""
import tensorflow as tf

n_input = 6
n_hidden_1 = 8
n_hidden_2 = 5
n_classes = 3

# Store layers weight & bias
weights = {
    "h1": tf.Variable(tf.random.normal([n_input, n_hidden_1], stddev=0.4)),
    "h2": tf.Variable(tf.random.normal([n_hidden_1, n_hidden_2], stddev=0.4)),
    "out": tf.Variable(tf.random.normal([n_hidden_2, n_classes], stddev=0.4)),
}
biases = {
    "b1": tf.Variable(tf.random.normal([n_hidden_1], stddev=0.1)),
    "b2": tf.Variable(tf.random.normal([n_hidden_2], stddev=0.1)),
    "out": tf.Variable(tf.random.normal([n_classes], stddev=0.1)),
}


# Create model
def multilayer_perceptron(x, weights, biases):
    # Hidden layer with RELU activation
    layer_1 = tf.add(tf.matmul(x, weights["h1"]), biases["b1"])
    layer_1 = tf.nn.relu(layer_1)
    # Hidden layer with RELU activation
    layer_2 = tf.add(tf.matmul(layer_1, weights["h2"]), biases["b2"])
    layer_2 = tf.nn.relu(layer_2)
    # Output layer with linear activation
    out_layer = tf.matmul(layer_2, weights["out"]) + biases["out"]
    return out_layer


optimizer = tf.optimizers.Adam(0.01)


def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = multilayer_perceptron(x, weights, biases)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    variables = list(weights.values()) + list(biases.values())
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss


def accuracy(x, y):
    pred = multilayer_perceptron(x, weights=weights, biases=biases)
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, 1), tf.cast(y, tf.int64)), tf.float32))
# output
"""A perceptron in the style of the TensorFlow 1 examples ported to TensorFlow 2: the weights
in dicts, the model a function that takes them as parameters (`multilayer_perceptron(x,
weights, biases)`), every call giving it the same dicts; a GradientTape step over the dicts'
values, and an evaluation call by keyword."""
import tensorflow as tf
import keras
from keras import layers

n_input = 6
n_hidden_1 = 8
n_hidden_2 = 5
n_classes = 3


# Create model
class MultilayerPerceptron(keras.Model):
    """`multilayer_perceptron` with its weights (raised by xlate to-keras). The original variables load
    with ``multilayer_perceptron.set_weights([weights['h1'], biases['b1'], weights['h2'], biases['b2'], weights['out'], biases['out']])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(n_hidden_1, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.4), bias_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.dense_1 = layers.Dense(n_hidden_2, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.4), bias_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.dense_2 = layers.Dense(n_classes, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.4), bias_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

    def call(self, x, training=False):
        # Hidden layer with RELU activation
        layer_1 = self.dense(x)
        # Hidden layer with RELU activation
        layer_2 = self.dense_1(layer_1)
        # Output layer with linear activation
        out_layer = self.dense_2(layer_2)
        return out_layer


multilayer_perceptron = MultilayerPerceptron()


optimizer = tf.optimizers.Adam(0.01)


def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = multilayer_perceptron(x)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    variables = multilayer_perceptron.trainable_variables
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss


def accuracy(x, y):
    pred = multilayer_perceptron(x)
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, 1), tf.cast(y, tf.int64)), tf.float32))
# diagnostics
