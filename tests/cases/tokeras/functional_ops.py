"""TensorFlow ops applied to a functional model's tensors become layers (Keras 3 rejects a
KerasTensor passed to a TensorFlow op)."""
import keras
import tensorflow as tf
from keras import layers


def build():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, 3)(inputs)
    x = tf.nn.relu(x)
    x = tf.reshape(x, [-1, 26 * 26 * 8])
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs)
# output
"""TensorFlow ops applied to a functional model's tensors become layers (Keras 3 rejects a
KerasTensor passed to a TensorFlow op)."""
import keras
from keras import layers


def build():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, 3)(inputs)
    x = layers.ReLU()(x)
    x = layers.Reshape((26 * 26 * 8,))(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs)
# diagnostics
