"""A plain class holding its weights (a TF 2 book port's CNN, written here after reading it):
raised to a Keras model; the helper taking the weights is substituted; the variables the
training code reads on the instance become properties. Executed in test_tokeras_instance_vars.py."""
import numpy as np
import tensorflow as tf

names = ["cat", "dog", "bird"]


class SmallConvNet(object):

    def __init__(self):
        self.W1 = tf.Variable(tf.random.normal([3, 3, 1, 6], dtype=tf.float32), dtype=tf.float32)  # first conv
        self.b1 = tf.Variable(tf.random.normal([6], dtype=tf.float32), dtype=tf.float32)
        self.W2 = tf.Variable(tf.random.normal([3, 3, 6, 4], dtype=tf.float32), dtype=tf.float32)
        self.b2 = tf.Variable(tf.random.normal([4], dtype=tf.float32), dtype=tf.float32)
        self.W3 = tf.Variable(tf.random.normal([2 * 2 * 4, 10], dtype=tf.float32), dtype=tf.float32)
        self.b3 = tf.Variable(tf.random.normal([10], dtype=tf.float32), dtype=tf.float32)
        self.W_out = tf.Variable(tf.random.normal([10, len(names)], dtype=tf.float32), dtype=tf.float32)
        self.b_out = tf.Variable(tf.random.normal([len(names)], dtype=tf.float32), dtype=tf.float32)

    def __call__(self, x):
        x_reshaped = tf.reshape(x, shape=[-1, 8, 8, 1])
        conv_out1 = self.__conv_layer(x_reshaped, self.W1, self.b1)
        pool1 = self.__maxpool_layer(conv_out1)
        norm1 = tf.nn.lrn(pool1, 2, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
        conv_out2 = self.__conv_layer(norm1, self.W2, self.b2)
        pool2 = self.__maxpool_layer(conv_out2)
        flat = tf.reshape(pool2, [-1, self.W3.get_shape().as_list()[0]])
        local = tf.add(tf.matmul(flat, self.W3), self.b3)
        local_out = tf.nn.relu(local)
        return tf.add(tf.matmul(local_out, self.W_out), self.b_out)

    def __conv_layer(self, x, W, b):
        conv = tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")
        conv_with_b = tf.nn.bias_add(conv, b)
        conv_out = tf.nn.relu(conv_with_b)
        return conv_out

    def __maxpool_layer(self, conv, k=2):
        return tf.nn.max_pool(conv, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding="SAME")


def loss(logits, labels):
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=labels))


optimizer = tf.keras.optimizers.Adam(0.01)


def train_step(model, inputs, outputs):
    with tf.GradientTape() as t:
        current_loss = loss(model(inputs), outputs)
    params = [model.W1, model.b1, model.W2, model.b2, model.W3, model.b3, model.W_out, model.b_out]
    grads = t.gradient(current_loss, params)
    optimizer.apply_gradients(zip(grads, params))
    return current_loss


model = SmallConvNet()
ckpt = tf.train.Checkpoint(W1=model.W1, b1=model.b1)
data = np.random.default_rng(0).normal(size=(6, 64)).astype(np.float32)
labels = tf.one_hot([0, 1, 2, 0, 1, 2], len(names))
losses = [float(train_step(model, data, labels)) for _ in range(3)]
logits = model(data).numpy()
first_filter = model.W1.numpy()
sizes = model.W3.shape.as_list()
# output
"""A plain class holding its weights (a TF 2 book port's CNN, written here after reading it):
raised to a Keras model; the helper taking the weights is substituted; the variables the
training code reads on the instance become properties. Executed in test_tokeras_instance_vars.py."""
import numpy as np
import tensorflow as tf

names = ["cat", "dog", "bird"]


class SmallConvNet(tf.keras.Model):

    def __init__(self):
        super().__init__()
        self.conv2d = tf.keras.layers.Conv2D(6, 3, padding='same', activation='relu', kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0), bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0))
        self.conv2d.build((None, None, None, 1))
        self.conv2d_1 = tf.keras.layers.Conv2D(4, 3, padding='same', activation='relu', kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0), bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0))
        self.conv2d_1.build((None, None, None, 6))
        self.dense = tf.keras.layers.Dense(10, activation='relu', kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0), bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0))
        self.dense.build((None, 2 * 2 * 4))
        self.dense_1 = tf.keras.layers.Dense(len(names), kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0), bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0))
        self.dense_1.build((None, 10))

    def call(self, x, training=False):
        x_reshaped = tf.reshape(x, shape=[-1, 8, 8, 1])
        conv_out1 = self.conv2d(x_reshaped)
        pool1 = self.__maxpool_layer(conv_out1)
        norm1 = tf.nn.lrn(pool1, 2, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
        conv_out2 = self.conv2d_1(norm1)
        pool2 = self.__maxpool_layer(conv_out2)
        flat = tf.reshape(pool2, [-1, self.dense.kernel.value.get_shape().as_list()[0]])
        local_out = self.dense(flat)
        return self.dense_1(local_out)

    def __maxpool_layer(self, conv, k=2):
        return tf.nn.max_pool(conv, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding="SAME")

    @property
    def W1(self):
        """`W1` as the program reads it: the `tf.Variable` of `self.conv2d.kernel`."""
        return self.conv2d.kernel.value

    @property
    def b1(self):
        """`b1` as the program reads it: the `tf.Variable` of `self.conv2d.bias`."""
        return self.conv2d.bias.value

    @property
    def W2(self):
        """`W2` as the program reads it: the `tf.Variable` of `self.conv2d_1.kernel`."""
        return self.conv2d_1.kernel.value

    @property
    def b2(self):
        """`b2` as the program reads it: the `tf.Variable` of `self.conv2d_1.bias`."""
        return self.conv2d_1.bias.value

    @property
    def W3(self):
        """`W3` as the program reads it: the `tf.Variable` of `self.dense.kernel`."""
        return self.dense.kernel.value

    @property
    def b3(self):
        """`b3` as the program reads it: the `tf.Variable` of `self.dense.bias`."""
        return self.dense.bias.value

    @property
    def W_out(self):
        """`W_out` as the program reads it: the `tf.Variable` of `self.dense_1.kernel`."""
        return self.dense_1.kernel.value

    @property
    def b_out(self):
        """`b_out` as the program reads it: the `tf.Variable` of `self.dense_1.bias`."""
        return self.dense_1.bias.value


def loss(logits, labels):
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=labels))


optimizer = tf.keras.optimizers.Adam(0.01)


def train_step(model, inputs, outputs):
    with tf.GradientTape() as t:
        current_loss = loss(model(inputs), outputs)
    params = [model.W1, model.b1, model.W2, model.b2, model.W3, model.b3, model.W_out, model.b_out]
    grads = t.gradient(current_loss, params)
    optimizer.apply_gradients(zip(grads, params))
    return current_loss


model = SmallConvNet()
ckpt = tf.train.Checkpoint(W1=model.W1, b1=model.b1)
data = np.random.default_rng(0).normal(size=(6, 64)).astype(np.float32)
labels = tf.one_hot([0, 1, 2, 0, 1, 2], len(names))
losses = [float(train_step(model, data, labels)) for _ in range(3)]
logits = model(data).numpy()
first_filter = model.W1.numpy()
sizes = model.W3.shape.as_list()
# diagnostics
# 23:22: XL501
# 26:17: XL501
# 29:16: XL501
# 41:16: XL501
