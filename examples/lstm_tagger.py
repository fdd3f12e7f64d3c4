"""A sequence tagger (one label per token) with an LSTM encoder.

The LSTM has no single TensorFlow op: ``xlate to-tf`` writes the program form, where it
becomes a TensorFlow ``LSTM`` class (a ``tf.while_loop`` over time with Keras's weights).

    xlate lint examples/lstm_tagger.py
    xlate to-tf examples/lstm_tagger.py
"""

import keras
from keras import layers

VOCAB_SIZE = 2000
MAX_LEN = 40
NUM_TAGS = 9  # e.g. BIO tags for 4 entity types

words = keras.Input(shape=(MAX_LEN,), dtype="int32", name="words")
x = layers.Embedding(VOCAB_SIZE, 32)(words)
x = layers.LSTM(64, return_sequences=True)(x)
x = layers.Dropout(0.1)(x)
tags = layers.Dense(NUM_TAGS, activation="softmax", name="tags")(x)

model = keras.Model(inputs=words, outputs=tags, name="lstm_tagger")

if __name__ == "__main__":
    model.summary()
