"""A small text classifier: token ids padded with zeros, an embedding that masks the padding,
a bidirectional LSTM over the sequence, a GRU reading its masked outputs, and a softmax head.
A second model tags every step: Masking over float features, a stacked recurrent layer and
a TimeDistributed head."""

import keras
from keras import layers

# xlate-case: {"models": {"classifier": [7], "tagger": [6, 3]}, "int_inputs": {"classifier": 20}}

VOCAB = 20


def build_classifier(vocab, dim=8, units=6, classes=3):
    ids = keras.Input((None,), dtype="int32")
    x = layers.Embedding(vocab, dim, mask_zero=True)(ids)
    x = layers.Bidirectional(layers.LSTM(units, return_sequences=True))(x)
    x = layers.GRU(units)(x)
    return keras.Model(ids, layers.Dense(classes, activation="softmax")(x), name="classifier")


def build_tagger(features, tags=4):
    model = keras.Sequential(name="tagger")
    model.add(keras.Input((None, features)))
    model.add(layers.Masking(mask_value=0.0))
    model.add(layers.RNN([layers.GRUCell(5), layers.LSTMCell(4)], return_sequences=True))
    model.add(layers.TimeDistributed(layers.Dense(tags)))
    return model


classifier = build_classifier(VOCAB)
tagger = build_tagger(3)
# output
"""A small text classifier: token ids padded with zeros, an embedding that masks the padding,
a bidirectional LSTM over the sequence, a GRU reading its masked outputs, and a softmax head.
A second model tags every step: Masking over float features, a stacked recurrent layer and
a TimeDistributed head."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"classifier": [7], "tagger": [6, 3]}, "int_inputs": {"classifier": 20}}

VOCAB = 20


def build_classifier(vocab, dim=8, units=6, classes=3):
    def build_classifier_graph():
        ids = Input((None,), dtype="int32")
        x = Embedding(vocab, dim, mask_zero=True)(ids)
        x = Bidirectional(LSTM(units, return_sequences=True))(x)
        x = GRU(units)(x)
        return ids, Dense(classes, activation="softmax")(x)

    return Model(build_classifier_graph, name="classifier")


def build_tagger(features, tags=4):
    model = Sequential(name="tagger")
    model.add(Input((None, features)))
    model.add(Masking(mask_value=0.0))
    model.add(RNN([GRUCell(5), LSTMCell(4)], return_sequences=True))
    model.add(TimeDistributed(Dense(tags)))
    return model


classifier = build_classifier(VOCAB)
tagger = build_tagger(3)
