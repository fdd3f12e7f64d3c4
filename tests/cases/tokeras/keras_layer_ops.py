"""TensorFlow ops inside a Keras layer's call become Keras layers created in __init__."""
import keras
import tensorflow as tf


class Head(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(8)

    def call(self, x):
        x = tf.nn.relu(self.proj(x))
        return tf.nn.softmax(x, axis=-1)
# output
"""TensorFlow ops inside a Keras layer's call become Keras layers created in __init__."""
import keras


class Head(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(8)
        self.relu = keras.layers.ReLU()
        self.softmax = keras.layers.Softmax()

    def call(self, x):
        x = self.relu(self.proj(x))
        return self.softmax(x)
# diagnostics
