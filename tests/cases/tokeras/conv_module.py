import tensorflow as tf


class ConvNet(tf.Module):
    def __init__(self):
        super().__init__()
        self.kernel = tf.Variable(tf.random.normal([3, 3, 1, 8], stddev=0.1))
        self.bias = tf.Variable(tf.zeros([8]))
        self.dense = tf.Variable(tf.random.normal([8, 10], stddev=0.1))

    def __call__(self, images):
        x = tf.nn.conv2d(images, self.kernel, strides=1, padding="SAME")
        x = tf.nn.bias_add(x, self.bias)
        x = tf.nn.relu(x)
        x = tf.nn.max_pool2d(x, ksize=2, strides=2, padding="VALID")
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.matmul(x, self.dense)
# output
import keras
from keras import layers


class ConvNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv2d = layers.Conv2D(8, 3, padding='same', activation='relu', kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))
        self.max_pooling2d = layers.MaxPooling2D(pool_size=2)
        self.global_average_pooling2d = layers.GlobalAveragePooling2D()
        self.dense = layers.Dense(10, use_bias=False, kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1))

    def call(self, images, training=False):
        x = self.conv2d(images)
        x = self.max_pooling2d(x)
        x = self.global_average_pooling2d(x)
        return self.dense(x)
# diagnostics
