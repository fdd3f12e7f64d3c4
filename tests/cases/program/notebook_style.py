"""Notebook-style code at module level: a graph built with a loop at the top level, trained
with compile/fit, then an unrelated object named `model` (not Keras) with its own `fit`."""

import numpy as np
import keras
from keras import layers

# xlate-case: {"models": {"net": [6]}}

inputs = keras.Input(shape=(6,))
x = inputs
for width in (32, 16):
    x = layers.Dense(width, activation="relu")(x)
outputs = layers.Dense(1)(x)
net = keras.Model(inputs, outputs)
net.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")

rng = np.random.default_rng(0)
features = rng.normal(size=(32, 6)).astype("float32")
target = features @ rng.normal(size=(6, 1)).astype("float32")
net.fit(features, target, epochs=1, batch_size=8, verbose=0)


class MeanModel:
    """Not Keras: predicts the mean target."""

    def fit(self, x, y):
        self.mean = float(np.mean(y))
        return self


model = MeanModel()
model.fit(features, target)
# output
"""Notebook-style code at module level: a graph built with a loop at the top level, trained
with compile/fit, then an unrelated object named `model` (not Keras) with its own `fit`."""

import numpy as np

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"net": [6]}}

def net_graph():
    inputs = Input(shape=(6,))
    x = inputs
    for width in (32, 16):
        x = Dense(width, activation="relu")(x)
    outputs = Dense(1)(x)
    return inputs, outputs

net = Model(net_graph)
net.compile(optimizer=Adam(1e-3), loss="mse")

rng = np.random.default_rng(0)
features = rng.normal(size=(32, 6)).astype("float32")
target = features @ rng.normal(size=(6, 1)).astype("float32")
net.fit(features, target, epochs=1, batch_size=8, verbose=0)


class MeanModel:
    """Not Keras: predicts the mean target."""

    def fit(self, x, y):
        self.mean = float(np.mean(y))
        return self


model = MeanModel()
model.fit(features, target)
