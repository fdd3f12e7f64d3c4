"""A 1-D convolutional text classifier over integer token ids.

Token ids (already vectorized, padded to SEQUENCE_LENGTH) -> Embedding -> Conv1D ->
global max pooling -> dense head with a sigmoid output (binary sentiment).

    xlate to-tf examples/text_classifier.py
"""

import keras
from keras import layers

VOCAB_SIZE = 5000
SEQUENCE_LENGTH = 100
EMBEDDING_DIM = 64

token_ids = keras.Input(shape=(SEQUENCE_LENGTH,), dtype="int32", name="token_ids")
x = layers.Embedding(VOCAB_SIZE, EMBEDDING_DIM)(token_ids)
x = layers.Dropout(0.25)(x)
x = layers.Conv1D(128, 5, padding="valid", activation="relu", strides=1)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(64, activation="relu")(x)
x = layers.Dropout(0.25)(x)
score = layers.Dense(1, activation="sigmoid", name="score")(x)

model = keras.Model(token_ids, score, name="text_cnn")

if __name__ == "__main__":
    model.summary()
