"""Structured-data models whose Inputs come from a helper function: `create_model_inputs()`
fills a dict of named Inputs in a loop, `encode_inputs(inputs)` turns it into one
feature tensor, and two builders (a plain network and a two-branch one) call both. A
builder's graph function starts at the statement calling the input-making helper."""

import keras
from keras import layers

# xlate-case: {"models": {"plain": [[1], [3], [2]], "branches": [[1], [3], [2]]}}

FEATURES = {"age": 1, "history": 3, "income": 2}


def create_model_inputs():
    inputs = {}
    for name, width in FEATURES.items():
        inputs[name] = keras.Input(shape=(width,), name=name)
    return inputs


def encode_inputs(inputs):
    encoded = []
    for name in sorted(inputs):
        encoded.append(layers.Dense(4, activation="tanh", name=f"encode_{name}")(inputs[name]))
    return layers.concatenate(encoded)


def create_plain_model(units):
    inputs = create_model_inputs()
    features = encode_inputs(inputs)
    features = layers.BatchNormalization()(features)
    x = layers.Dense(units, activation="relu")(features)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def create_branch_model(units):
    inputs = create_model_inputs()
    features = encode_inputs(inputs)
    wide = layers.Dense(units)(features)
    deep = features
    for width in (units, units // 2):
        deep = layers.Dense(width, activation="relu")(deep)
        deep = layers.BatchNormalization()(deep)
    merged = layers.concatenate([wide, deep])
    return keras.Model(inputs, layers.Dense(2)(merged))


plain = create_plain_model(8)
branches = create_branch_model(8)
# output
"""Structured-data models whose Inputs come from a helper function: `create_model_inputs()`
fills a dict of named Inputs in a loop, `encode_inputs(inputs)` turns it into one
feature tensor, and two builders (a plain network and a two-branch one) call both. A
builder's graph function starts at the statement calling the input-making helper."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"plain": [[1], [3], [2]], "branches": [[1], [3], [2]]}}

FEATURES = {"age": 1, "history": 3, "income": 2}


def create_model_inputs():
    inputs = {}
    for name, width in FEATURES.items():
        inputs[name] = Input(shape=(width,), name=name)
    return inputs


def encode_inputs(inputs):
    encoded = []
    for name in sorted(inputs):
        encoded.append(Dense(4, activation="tanh", name=f"encode_{name}")(inputs[name]))
    return concatenate(encoded)


def create_plain_model(units):
    def create_plain_model_graph():
        inputs = create_model_inputs()
        features = encode_inputs(inputs)
        features = BatchNormalization()(features)
        x = Dense(units, activation="relu")(features)
        outputs = Dense(1, activation="sigmoid")(x)
        return inputs, outputs

    return Model(create_plain_model_graph)


def create_branch_model(units):
    def create_branch_model_graph():
        inputs = create_model_inputs()
        features = encode_inputs(inputs)
        wide = Dense(units)(features)
        deep = features
        for width in (units, units // 2):
            deep = Dense(width, activation="relu")(deep)
            deep = BatchNormalization()(deep)
        merged = concatenate([wide, deep])
        return inputs, Dense(2)(merged)

    return Model(create_branch_model_graph)


plain = create_plain_model(8)
branches = create_branch_model(8)
