"""Custom layers: weights made in `build` with `add_weight`, a `call` written with
TensorFlow ops, sub-layers made in `__init__`, `get_config`, and Keras's registration
decorator (which has no meaning without Keras and goes)."""

import keras
import tensorflow as tf
from keras import layers

# xlate-case: {"models": {"model": [10], "scaled": [5, 6]}}


@keras.saving.register_keras_serializable(package="demo")
class LayerScale(layers.Layer):
    def __init__(self, init_value, dim, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value
        self.dim = dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.dim,), initializer=keras.initializers.Constant(self.init_value), trainable=True, name="gamma"
        )

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = super().get_config()
        config.update({"init_value": self.init_value, "dim": self.dim})
        return config


class GatedDense(layers.Layer):
    """A dense layer gated by a learned sigmoid, with its own bias."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.value = layers.Dense(units)
        self.gate = layers.Dense(units, activation="sigmoid")

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.units,), initializer="random_normal", name="bias")

    def call(self, inputs):
        return tf.multiply(self.value(inputs), self.gate(inputs)) + self.bias


def build(units=16):
    inputs = keras.Input((10,))
    x = GatedDense(units)(inputs)
    x = LayerScale(0.1, units)(x)
    x = layers.Activation("relu")(x)
    return keras.Model(inputs, layers.Dense(3)(x))


model = build()
scaled = keras.Sequential([keras.Input((5, 6)), layers.Dense(4), LayerScale(1e-2, 4)])
# output
"""Custom layers: weights made in `build` with `add_weight`, a `call` written with
TensorFlow ops, sub-layers made in `__init__`, `get_config`, and Keras's registration
decorator (which has no meaning without Keras and goes)."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"model": [10], "scaled": [5, 6]}}


class LayerScale(Layer):
    def __init__(self, init_value, dim, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value
        self.dim = dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.dim,), initializer=Constant(self.init_value), trainable=True, name="gamma"
        )

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = super().get_config()
        config.update({"init_value": self.init_value, "dim": self.dim})
        return config


class GatedDense(Layer):
    """A dense layer gated by a learned sigmoid, with its own bias."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.value = Dense(units)
        self.gate = Dense(units, activation="sigmoid")

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.units,), initializer="random_normal", name="bias")

    def call(self, inputs):
        return tf.multiply(self.value(inputs), self.gate(inputs)) + self.bias


def build(units=16):
    def build_graph():
        inputs = Input((10,))
        x = GatedDense(units)(inputs)
        x = LayerScale(0.1, units)(x)
        x = Activation("relu")(x)
        return inputs, Dense(3)(x)

    return Model(build_graph)


model = build()
scaled = Sequential([Input((5, 6)), Dense(4), LayerScale(1e-2, 4)])
