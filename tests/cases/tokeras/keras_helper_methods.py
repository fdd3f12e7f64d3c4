"""Keras models whose forward pass is spread over helper methods that call TensorFlow ops
(`encode` / `decode_logits` applied in `call`, a `_block` applied twice), the style of many
TF 2 tutorials. The ops of the methods `call` applies become layers; a method outside the
forward pass (`decode`, `train_step`) keeps its ops, and a row maximum of rank-2 scores is no
pooling layer."""
import tensorflow as tf
from tensorflow import keras


class AutoEncoder(keras.Model):
    def __init__(self, hidden=16, code=4, image_size=36):
        super().__init__()
        self.fc1 = keras.layers.Dense(hidden)
        self.fc2 = keras.layers.Dense(code)
        self.fc3 = keras.layers.Dense(hidden)
        self.fc4 = keras.layers.Dense(image_size)

    def encode(self, x):
        h = tf.nn.relu(self.fc1(x))
        return self.fc2(h)

    def decode_logits(self, z):
        h = tf.nn.elu(self.fc3(z))
        return self.fc4(h)

    def decode(self, z):
        return tf.nn.sigmoid(self.decode_logits(z))

    def call(self, inputs, training=None):
        z = self.encode(inputs)
        return self.decode_logits(z)


class ConvTower(keras.Model):
    def __init__(self, classes=5):
        super().__init__()
        self.conv1 = keras.layers.Conv2D(6, 3, padding="same")
        self.conv2 = keras.layers.Conv2D(8, 3, padding="same")
        self.head = keras.layers.Dense(classes)

    def _block(self, conv, x):
        x = tf.nn.relu(conv(x))
        return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME")

    def scores(self, x):
        h = self._block(self.conv1, x)
        h = self._block(self.conv2, h)
        h = tf.reduce_mean(h, axis=[1, 2])
        logits = self.head(h)
        return logits - tf.reduce_max(logits, axis=1, keepdims=True)

    def call(self, x):
        return tf.nn.log_softmax(self.scores(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, self(x)))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


autoencoder = AutoEncoder()
tower = ConvTower()
# output
"""Keras models whose forward pass is spread over helper methods that call TensorFlow ops
(`encode` / `decode_logits` applied in `call`, a `_block` applied twice), the style of many
TF 2 tutorials. The ops of the methods `call` applies become layers; a method outside the
forward pass (`decode`, `train_step`) keeps its ops, and a row maximum of rank-2 scores is no
pooling layer."""
import tensorflow as tf
from tensorflow import keras


class AutoEncoder(keras.Model):
    def __init__(self, hidden=16, code=4, image_size=36):
        super().__init__()
        self.fc1 = keras.layers.Dense(hidden)
        self.fc2 = keras.layers.Dense(code)
        self.fc3 = keras.layers.Dense(hidden)
        self.fc4 = keras.layers.Dense(image_size)
        self.relu = keras.layers.ReLU()
        self.activation = keras.layers.Activation('elu')

    def encode(self, x):
        h = self.relu(self.fc1(x))
        return self.fc2(h)

    def decode_logits(self, z):
        h = self.activation(self.fc3(z))
        return self.fc4(h)

    def decode(self, z):
        return tf.nn.sigmoid(self.decode_logits(z))

    def call(self, inputs, training=None):
        z = self.encode(inputs)
        return self.decode_logits(z)


class ConvTower(keras.Model):
    def __init__(self, classes=5):
        super().__init__()
        self.conv1 = keras.layers.Conv2D(6, 3, padding="same")
        self.conv2 = keras.layers.Conv2D(8, 3, padding="same")
        self.head = keras.layers.Dense(classes)
        self.activation = keras.layers.Activation('log_softmax')
        self.relu = keras.layers.ReLU()
        self.max_pooling2d = keras.layers.MaxPooling2D(pool_size=2, padding='same')

    def _block(self, conv, x):
        x = self.relu(conv(x))
        return self.max_pooling2d(x)

    def scores(self, x):
        h = self._block(self.conv1, x)
        h = self._block(self.conv2, h)
        h = tf.reduce_mean(h, axis=[1, 2])
        logits = self.head(h)
        return logits - tf.reduce_max(logits, axis=1, keepdims=True)

    def call(self, x):
        return self.activation(self.scores(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, self(x)))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


autoencoder = AutoEncoder()
tower = ConvTower()
# diagnostics
# 48:13: XL501
# 50:25: XL501
