"""Layer calls anywhere an expression can stand: nested inside arguments and lists (a
squeeze-and-excitation gate), several inputs given as a list, outputs as a list and as a
dict, and a layer shared by two branches."""

import keras
from keras import layers

# xlate-case: {"models": {"two_towers": [[8], [8]], "heads": [[12]], "named": [[12]]}}


def se_gate(x, ratio=4):
    channels = x.shape[-1]
    s = layers.GlobalAveragePooling1D()(layers.Reshape((1, channels))(x))
    s = layers.Dense(channels // ratio, activation="relu")(s)
    return layers.Multiply()([x, layers.Dense(channels, activation="sigmoid")(s)])


def towers():
    left, right = keras.Input((8,)), keras.Input((8,))
    shared = layers.Dense(16, activation="tanh")
    merged = layers.Concatenate()([shared(left), shared(right)])
    return keras.Model([left, right], layers.Dense(1)(se_gate(merged)))


def multi_head():
    inputs = keras.Input((12,))
    h = layers.Dense(24, activation="relu")(inputs)
    return keras.Model(inputs=inputs, outputs=[layers.Dense(3)(h), layers.Dense(1, activation="sigmoid")(h)])


def named_outputs():
    inputs = keras.Input((12,))
    h = se_gate(layers.Dense(16)(inputs))
    return keras.Model(inputs, {"score": layers.Dense(1)(h), "logits": layers.Dense(5)(h)})


two_towers = towers()
heads = multi_head()
named = named_outputs()
# output
"""Layer calls anywhere an expression can stand: nested inside arguments and lists (a
squeeze-and-excitation gate), several inputs given as a list, outputs as a list and as a
dict, and a layer shared by two branches."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"two_towers": [[8], [8]], "heads": [[12]], "named": [[12]]}}


def se_gate(x, ratio=4):
    channels = x.shape[-1]
    s = GlobalAveragePooling1D()(Reshape((1, channels))(x))
    s = Dense(channels // ratio, activation="relu")(s)
    return Multiply()([x, Dense(channels, activation="sigmoid")(s)])


def towers():
    def towers_graph():
        left, right = Input((8,)), Input((8,))
        shared = Dense(16, activation="tanh")
        merged = Concatenate()([shared(left), shared(right)])
        return [left, right], Dense(1)(se_gate(merged))

    return Model(towers_graph)


def multi_head():
    def multi_head_graph():
        inputs = Input((12,))
        h = Dense(24, activation="relu")(inputs)
        return inputs, [Dense(3)(h), Dense(1, activation="sigmoid")(h)]

    return Model(multi_head_graph)


def named_outputs():
    def named_outputs_graph():
        inputs = Input((12,))
        h = se_gate(Dense(16)(inputs))
        return inputs, {"score": Dense(1)(h), "logits": Dense(5)(h)}

    return Model(named_outputs_graph)


two_towers = towers()
heads = multi_head()
named = named_outputs()
