"""A multilayer perceptron for tabular data, as a Keras ``Sequential`` model.

The first layers are given to the constructor, the rest appended with ``model.add``,
as in most tutorials.

    xlate to-tf examples/mlp_sequential.py
"""

import keras
from keras import layers

NUM_FEATURES = 20
NUM_CLASSES = 3

model = keras.Sequential(
    [
        keras.Input(shape=(NUM_FEATURES,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.2),
    ],
    name="tabular_mlp",
)
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dropout(0.2))
model.add(layers.Dense(NUM_CLASSES, activation="softmax"))

if __name__ == "__main__":
    model.summary()
