"""Another program reading the files one_way_writer.py wrote, with the call XL311 names: the
same model built again and `load_weights(path)` (Keras reads the weights out of its archive;
the translation reads the TensorFlow checkpoint its writer wrote)."""
import json
import sys

import numpy as np
import keras
from keras import layers


def build():
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(10, activation="tanh")(inputs)
    h = layers.BatchNormalization()(h)
    return keras.Model(inputs, layers.Dense(1)(h))


x_val = np.random.default_rng(5).normal(size=(24, 6)).astype("float32")
out = {}
for path in ["best_model.keras", "epoch_02.keras", "final_model.keras"]:
    model = build()
    model.load_weights(path)
    out[path] = model.predict(x_val, verbose=0).tolist()
json.dump(out, sys.stdout)
