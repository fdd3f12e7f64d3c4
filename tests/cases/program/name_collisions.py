"""The file's own names are names of the TensorFlow layers it needs: a custom layer called
`Dense`, a model class called `Model`, a module-level `epsilon` and a function `gelu`. The
layers written out by to-tf take other names (`TFDense`, `TFModel`, ...) there and where the
translation writes them, and keep Keras's class names for automatic layer names."""

import keras
from keras import layers

# xlate-case: {"models": {"model": [6], "wrapped": [6]}}

epsilon = 1e-3


def gelu(x):
    return x * keras.ops.sigmoid(1.702 * x)


class Dense(layers.Layer):
    """A dense layer with a learned output scale (not Keras's Dense)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation="gelu")
        self.units = units

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")

    def call(self, x):
        return self.inner(x) * self.scale + epsilon


def build(width=8):
    inputs = keras.Input((6,))
    x = Dense(width)(inputs)
    x = layers.Dense(width, activation=gelu)(x)
    x = layers.LayerNormalization(epsilon=epsilon)(x)
    outputs = layers.Dense(3)(x)
    return keras.Model(inputs, outputs)


class Model(keras.Model):
    def __init__(self):
        super().__init__()
        self.body = build()
        self.head = layers.Dense(2)

    def call(self, x):
        return self.head(self.body(x))


model = build()
wrapped = Model()
# output
"""The file's own names are names of the TensorFlow layers it needs: a custom layer called
`Dense`, a model class called `Model`, a module-level `epsilon` and a function `gelu`. The
layers written out by to-tf take other names (`TFDense`, `TFModel`, ...) there and where the
translation writes them, and keep Keras's class names for automatic layer names."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"model": [6], "wrapped": [6]}}

epsilon = 1e-3


def gelu(x):
    return x * _ops_sigmoid(1.702 * x)


class Dense(Layer):
    """A dense layer with a learned output scale (not Keras's Dense)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = TFDense(units, activation="gelu")
        self.units = units

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")

    def call(self, x):
        return self.inner(x) * self.scale + epsilon


def build(width=8):
    def build_graph():
        inputs = Input((6,))
        x = Dense(width)(inputs)
        x = TFDense(width, activation=gelu)(x)
        x = LayerNormalization(epsilon=epsilon)(x)
        outputs = TFDense(3)(x)
        return inputs, outputs

    return TFModel(build_graph)


class Model(TFModel):
    def __init__(self):
        super().__init__()
        self.body = build()
        self.head = TFDense(2)

    def call(self, x):
        return self.head(self.body(x))


model = build()
wrapped = Model()
