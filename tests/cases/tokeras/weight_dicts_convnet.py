"""A convolutional network in the tutorial style of TensorFlow 2 notebooks: weights and
biases in dicts of tf.Variable, wrapper helpers called with them, the model a function, and
a GradientTape step over the dicts' values."""
import tensorflow as tf

num_classes = 10
learning_rate = 0.001

weights = {
    # 3x3 conv, 1 input channel, 8 filters
    "wc1": tf.Variable(tf.random.normal([3, 3, 1, 8], stddev=0.1)),
    "wc2": tf.Variable(tf.random.normal([3, 3, 8, 16], stddev=0.1)),
    # fully connected, 7*7*16 inputs
    "wd1": tf.Variable(tf.random.normal([7 * 7 * 16, 32], stddev=0.1)),
    "out": tf.Variable(tf.random.normal([32, num_classes], stddev=0.1)),
}
biases = {
    "bc1": tf.Variable(tf.zeros([8])),
    "bc2": tf.Variable(tf.zeros([16])),
    "bd1": tf.Variable(tf.zeros([32])),
    "out": tf.Variable(tf.zeros([num_classes])),
}


def conv2d(x, W, b, strides=1):
    # convolution, bias and relu in one wrapper
    x = tf.nn.conv2d(x, W, strides=[1, strides, strides, 1], padding="SAME")
    x = tf.nn.bias_add(x, b)
    return tf.nn.relu(x)


def maxpool2d(x, k=2):
    return tf.nn.max_pool2d(x, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding="SAME")


def conv_net(x):
    conv1 = conv2d(x, weights["wc1"], biases["bc1"])
    conv1 = maxpool2d(conv1, k=2)
    conv2 = conv2d(conv1, weights["wc2"], biases["bc2"])
    conv2 = maxpool2d(conv2, k=2)
    fc1 = tf.reshape(conv2, [-1, weights["wd1"].get_shape().as_list()[0]])
    fc1 = tf.add(tf.matmul(fc1, weights["wd1"]), biases["bd1"])
    fc1 = tf.nn.relu(fc1)
    out = tf.add(tf.matmul(fc1, weights["out"]), biases["out"])
    return tf.nn.softmax(out)


def cross_entropy(y_pred, y_true):
    y_true = tf.one_hot(y_true, depth=num_classes)
    y_pred = tf.clip_by_value(y_pred, 1e-9, 1.0)
    return tf.reduce_mean(-tf.reduce_sum(y_true * tf.math.log(y_pred)))


optimizer = tf.optimizers.Adam(learning_rate)


def run_optimization(x, y):
    with tf.GradientTape() as g:
        pred = conv_net(x)
        loss = cross_entropy(pred, y)
    trainable_variables = list(weights.values()) + list(biases.values())
    gradients = g.gradient(loss, trainable_variables)
    optimizer.apply_gradients(zip(gradients, trainable_variables))
    return loss
# output
"""A convolutional network in the tutorial style of TensorFlow 2 notebooks: weights and
biases in dicts of tf.Variable, wrapper helpers called with them, the model a function, and
a GradientTape step over the dicts' values."""
import tensorflow as tf
import keras
from keras import layers

num_classes = 10
learning_rate = 0.001


class ConvNet(keras.Model):
    """`conv_net` with its weights (raised by xlate to-keras). The original variables load
    with ``conv_net.set_weights([weights['wc1'], biases['bc1'], weights['wc2'], biases['bc2'], weights['wd1'], biases['bd1'], weights['out'], biases['out']])`` after one call has built the layers."""

    def __init__(self):
        super().__init__()
        self.conv2d = layers.Conv2D(8, 3, padding='same', activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.max_pooling2d = layers.MaxPooling2D(pool_size=2, padding='same')
        self.conv2d_1 = layers.Conv2D(16, 3, padding='same', activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.max_pooling2d_1 = layers.MaxPooling2D(pool_size=2, padding='same')
        self.dense = layers.Dense(32, activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.dense_1 = layers.Dense(num_classes, activation='softmax', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

    def call(self, x, training=False):
        conv1 = self.conv2d(x)
        conv1 = self.max_pooling2d(conv1)
        conv2 = self.conv2d_1(conv1)
        conv2 = self.max_pooling2d_1(conv2)
        fc1 = tf.reshape(conv2, [-1, 7 * 7 * 16])
        fc1 = self.dense(fc1)
        return self.dense_1(fc1)


conv_net = ConvNet()


def cross_entropy(y_pred, y_true):
    y_true = tf.one_hot(y_true, depth=num_classes)
    y_pred = tf.clip_by_value(y_pred, 1e-9, 1.0)
    return tf.reduce_mean(-tf.reduce_sum(y_true * tf.math.log(y_pred)))


optimizer = tf.optimizers.Adam(learning_rate)


def run_optimization(x, y):
    with tf.GradientTape() as g:
        pred = conv_net(x)
        loss = cross_entropy(pred, y)
    trainable_variables = conv_net.trainable_variables
    gradients = g.gradient(loss, trainable_variables)
    optimizer.apply_gradients(zip(gradients, trainable_variables))
    return loss
# diagnostics
# 36:1: XL501
