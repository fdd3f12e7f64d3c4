"""An MNIST-style convolutional classifier built with the Keras functional API.

28x28 grayscale images in, 10 class probabilities out: two conv blocks
(Conv2D -> BatchNormalization -> MaxPooling2D), then a dropout-regularised dense head.

    xlate to-tf examples/cnn_functional.py      # the same model as a tf.Module
    xlate verify examples/cnn_functional.py     # run both and compare outputs
"""

import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)

inputs = keras.Input(shape=INPUT_SHAPE, name="image")
x = layers.Conv2D(32, kernel_size=3, padding="same", activation="relu")(inputs)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(64, kernel_size=(3, 3), activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D(pool_size=(2, 2))(x)
x = layers.Flatten()(x)
x = layers.Dropout(0.5)(x)
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.3)(x)
outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)

model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_cnn")

if __name__ == "__main__":
    model.summary()
