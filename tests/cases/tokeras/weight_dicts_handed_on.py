"""The model function and the training step both take the weight dicts as parameters (the
training step under its own names, `W` and `B`), and the program hands the module's dicts
down at every call: `run_optimization(x, y, weights, biases)` gives them to
`neural_net(x, W, B)`."""
import tensorflow as tf

num_classes = 3
random_normal = tf.initializers.RandomNormal(stddev=0.5)

weights = {
    "h1": tf.Variable(random_normal([6, 8])),
    "out": tf.Variable(random_normal([8, num_classes])),
}
biases = {
    "b1": tf.Variable(random_normal([8])),
    "out": tf.Variable(random_normal([num_classes])),
}


def neural_net(x, weights, biases):
    layer_1 = tf.add(tf.matmul(x, weights["h1"]), biases["b1"])
    layer_1 = tf.nn.sigmoid(layer_1)
    out_layer = tf.matmul(layer_1, weights["out"]) + biases["out"]
    return tf.nn.softmax(out_layer)


def cross_entropy(y_pred, y_true):
    y_true = tf.one_hot(y_true, depth=num_classes)
    y_pred = tf.clip_by_value(y_pred, 1e-9, 1.0)
    return tf.reduce_mean(-tf.reduce_sum(y_true * tf.math.log(y_pred)))


optimizer = tf.optimizers.SGD(learning_rate=0.05)


def run_optimization(x, y, W, B):
    with tf.GradientTape() as g:
        pred = neural_net(x, W, B)
        loss = cross_entropy(pred, y)
    trainable_variables = list(W.values()) + list(B.values())
    gradients = g.gradient(loss, trainable_variables)
    optimizer.apply_gradients(zip(gradients, trainable_variables))
    return loss


def train(x, y, steps):
    for _ in range(steps):
        run_optimization(x, y, weights, biases)
    return neural_net(x, weights, biases)
# output
"""The model function and the training step both take the weight dicts as parameters (the
training step under its own names, `W` and `B`), and the program hands the module's dicts
down at every call: `run_optimization(x, y, weights, biases)` gives them to
`neural_net(x, W, B)`."""
import tensorflow as tf
import keras
from keras import layers

num_classes = 3
random_normal = tf.initializers.RandomNormal(stddev=0.5)


class NeuralNet(keras.Model):
    """`neural_net` with its weights (raised by xlate to-keras). The original variables load
    with ``neural_net.set_weights([weights['h1'], biases['b1'], weights['out'], biases['out']])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(8, activation='sigmoid', kernel_initializer=tf.initializers.RandomNormal(stddev=0.5), bias_initializer=tf.initializers.RandomNormal(stddev=0.5))
        self.dense_1 = layers.Dense(num_classes, activation='softmax', kernel_initializer=tf.initializers.RandomNormal(stddev=0.5), bias_initializer=tf.initializers.RandomNormal(stddev=0.5))

    def call(self, x, training=False):
        layer_1 = self.dense(x)
        return self.dense_1(layer_1)


neural_net = NeuralNet()


def cross_entropy(y_pred, y_true):
    y_true = tf.one_hot(y_true, depth=num_classes)
    y_pred = tf.clip_by_value(y_pred, 1e-9, 1.0)
    return tf.reduce_mean(-tf.reduce_sum(y_true * tf.math.log(y_pred)))


optimizer = tf.optimizers.SGD(learning_rate=0.05)


def run_optimization(x, y):
    with tf.GradientTape() as g:
        pred = neural_net(x)
        loss = cross_entropy(pred, y)
    trainable_variables = neural_net.trainable_variables
    gradients = g.gradient(loss, trainable_variables)
    optimizer.apply_gradients(zip(gradients, trainable_variables))
    return loss


def train(x, y, steps):
    for _ in range(steps):
        run_optimization(x, y)
    return neural_net(x)
# diagnostics
