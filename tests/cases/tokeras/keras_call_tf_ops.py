"""A Keras model whose call mixes tf.keras layers with TensorFlow ops (the style of many TF 2
notebooks). The ops with a Keras layer of the same semantics become layers; the
`tf.reduce_max` over the rows of the rank-2 logits is no pooling layer and stays."""
import tensorflow as tf


class Encoder(tf.keras.Model):
    def __init__(self, units=16):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(8, 3, padding="same")
        self.proj = tf.keras.layers.Dense(units)

    def call(self, x, training=False):
        h = tf.nn.relu(self.conv(x))
        h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
        h = tf.reduce_mean(h, axis=[1, 2])  # the pooling shows rank 4
        if training:
            h = tf.nn.dropout(h, rate=0.2)
        logits = self.proj(h)
        top = tf.reduce_max(logits, axis=1, keepdims=True)  # rank 2: a row maximum
        return tf.nn.softmax(logits - top)


encoder = Encoder()
# output
"""A Keras model whose call mixes tf.keras layers with TensorFlow ops (the style of many TF 2
notebooks). The ops with a Keras layer of the same semantics become layers; the
`tf.reduce_max` over the rows of the rank-2 logits is no pooling layer and stays."""
import tensorflow as tf


class Encoder(tf.keras.Model):
    def __init__(self, units=16):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(8, 3, padding="same")
        self.proj = tf.keras.layers.Dense(units)
        self.relu = tf.keras.layers.ReLU()
        self.max_pooling2d = tf.keras.layers.MaxPooling2D(pool_size=2)
        self.global_average_pooling2d = tf.keras.layers.GlobalAveragePooling2D()
        self.dropout = tf.keras.layers.Dropout(0.2)
        self.softmax = tf.keras.layers.Softmax()

    def call(self, x, training=False):
        h = self.relu(self.conv(x))
        h = self.max_pooling2d(h)
        h = self.global_average_pooling2d(h)  # the pooling shows rank 4
        h = self.dropout(h, training=training)
        logits = self.proj(h)
        top = tf.reduce_max(logits, axis=1, keepdims=True)  # rank 2: a row maximum
        return self.softmax(logits - top)


encoder = Encoder()
# diagnostics
# 20:15: XL501
