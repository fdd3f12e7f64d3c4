"""A tabular model built by a function: a loop over layer sizes, a helper block, an
optional branch, a skip connection added with `+`, and dropout."""

import keras
from keras import layers

# xlate-case: {"models": {"model": [12], "wide": [12]}, "training": False}

HIDDEN = [64, 32]


def dense_block(x, units, dropout=0.1):
    x = layers.Dense(units, activation="relu")(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return x


def build_model(num_features, num_classes=3, hidden=HIDDEN, skip=True):
    inputs = keras.Input(shape=(num_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden):
        x = dense_block(x, units, dropout=0.1 * (i + 1))
    if skip:
        shortcut = layers.Dense(hidden[-1])(inputs)
        x = x + shortcut
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mlp")


model = build_model(12)
wide = build_model(12, num_classes=5, hidden=[128, 128, 64], skip=False)
# output
"""A tabular model built by a function: a loop over layer sizes, a helper block, an
optional branch, a skip connection added with `+`, and dropout."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"model": [12], "wide": [12]}, "training": False}

HIDDEN = [64, 32]


def dense_block(x, units, dropout=0.1):
    x = Dense(units, activation="relu")(x)
    if dropout:
        x = Dropout(dropout)(x)
    return x


def build_model(num_features, num_classes=3, hidden=HIDDEN, skip=True):
    def build_model_graph():
        inputs = Input(shape=(num_features,), name="features")
        x = inputs
        for i, units in enumerate(hidden):
            x = dense_block(x, units, dropout=0.1 * (i + 1))
        if skip:
            shortcut = Dense(hidden[-1])(inputs)
            x = x + shortcut
        outputs = Dense(num_classes, activation="softmax")(x)
        return inputs, outputs

    return Model(build_model_graph, name="mlp")


model = build_model(12)
wide = build_model(12, num_classes=5, hidden=[128, 128, 64], skip=False)
