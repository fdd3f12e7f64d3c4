"""A small convolutional network written with ``tf.nn`` ops in ``tf.Module`` s.

Two blocks of convolution + bias + ReLU + max pooling (the first with batch normalization
written out: ``tf.nn.moments``, moving averages, ``tf.nn.batch_normalization``), then a
reshape to a flat vector, a dense layer with dropout while training, and the logits. The
blocks are sub-modules of the network.

    xlate to-keras examples/tf_convnet.py
    xlate verify --to-keras examples/tf_convnet.py
"""

import tensorflow as tf


class ConvBlock(tf.Module):
    """conv3x3 -> (batch norm) -> ReLU -> 2x2 max pooling."""

    def __init__(self, in_channels, filters, batch_norm=False, name=None):
        super().__init__(name=name)
        self.kernel = tf.Variable(tf.random.truncated_normal([3, 3, in_channels, filters], stddev=0.1))
        self.bias = tf.Variable(tf.zeros([filters]))
        self.batch_norm = batch_norm
        self.gamma = tf.Variable(tf.ones([filters]))
        self.beta = tf.Variable(tf.zeros([filters]))
        self.moving_mean = tf.Variable(tf.zeros([filters]), trainable=False)
        self.moving_var = tf.Variable(tf.ones([filters]), trainable=False)

    def __call__(self, x, training=False):
        x = tf.nn.conv2d(x, self.kernel, strides=1, padding="SAME")
        x = tf.nn.bias_add(x, self.bias)
        if training:
            mean, variance = tf.nn.moments(x, axes=[0, 1, 2])
            self.moving_mean.assign(self.moving_mean * 0.9 + mean * 0.1)
            self.moving_var.assign(self.moving_var * 0.9 + variance * 0.1)
        else:
            mean, variance = self.moving_mean, self.moving_var
        x = tf.nn.batch_normalization(x, mean, variance, self.beta, self.gamma, 1e-3)
        x = tf.nn.relu(x)
        return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME")


class ConvNet(tf.Module):
    """28x28x1 images -> two conv blocks -> dense 128 (dropout) -> 10 logits."""

    def __init__(self, num_classes=10, name=None):
        super().__init__(name=name)
        self.block1 = ConvBlock(1, 16)
        self.conv2_w = tf.Variable(tf.random.truncated_normal([3, 3, 16, 32], stddev=0.1))
        self.conv2_b = tf.Variable(tf.constant(0.1, shape=[32]))
        self.fc_w = tf.Variable(tf.random.truncated_normal([7 * 7 * 32, 128], stddev=0.05))
        self.fc_b = tf.Variable(tf.zeros([128]))
        self.out_w = tf.Variable(tf.random.truncated_normal([128, num_classes], stddev=0.05))
        self.out_b = tf.Variable(tf.zeros([num_classes]))

    def __call__(self, images, training=False):
        x = self.block1(images, training=training)
        x = tf.nn.relu(tf.nn.conv2d(x, self.conv2_w, strides=[1, 1, 1, 1], padding="SAME") + self.conv2_b)
        x = tf.nn.max_pool2d(x, 2, 2, "SAME")
        x = tf.reshape(x, [-1, 7 * 7 * 32])
        x = tf.nn.relu(tf.matmul(x, self.fc_w) + self.fc_b)
        if training:
            x = tf.nn.dropout(x, rate=0.5)
        return tf.matmul(x, self.out_w) + self.out_b


model = ConvNet()

if __name__ == "__main__":
    print(model(tf.zeros([2, 28, 28, 1])).shape)
