"""Sequential models grown with `add`, as older scripts and the DCGAN-style tutorials write
them: the first layer declares `input_shape=`, one model is built in a function and one at
module level, and one drops its last layer with `pop`."""

import tensorflow as tf
from tensorflow.keras import layers

# xlate-case: {"models": {"generator": [10], "classifier": [14, 14, 1]}}


def make_generator_model(noise_dim=10):
    model = tf.keras.Sequential()
    model.add(layers.Dense(7 * 7 * 8, use_bias=False, input_shape=(noise_dim,)))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Reshape((7, 7, 8)))
    model.add(layers.Conv2DTranspose(4, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"))
    return model


generator = make_generator_model()

classifier = tf.keras.Sequential()
classifier.add(layers.Conv2D(6, (3, 3), activation="relu", input_shape=(14, 14, 1)))
classifier.add(layers.MaxPooling2D((2, 2)))
classifier.add(layers.Flatten())
classifier.add(layers.Dense(16, activation="relu"))
classifier.add(layers.Dense(3))
classifier.add(layers.Softmax())
classifier.pop()
# output
"""Sequential models grown with `add`, as older scripts and the DCGAN-style tutorials write
them: the first layer declares `input_shape=`, one model is built in a function and one at
module level, and one drops its last layer with `pop`."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"generator": [10], "classifier": [14, 14, 1]}}


def make_generator_model(noise_dim=10):
    model = Sequential()
    model.add(Dense(7 * 7 * 8, use_bias=False, input_shape=(noise_dim,)))
    model.add(BatchNormalization())
    model.add(LeakyReLU())
    model.add(Reshape((7, 7, 8)))
    model.add(Conv2DTranspose(4, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    model.add(BatchNormalization())
    model.add(LeakyReLU())
    model.add(Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"))
    return model


generator = make_generator_model()

classifier = Sequential()
classifier.add(Conv2D(6, (3, 3), activation="relu", input_shape=(14, 14, 1)))
classifier.add(MaxPooling2D((2, 2)))
classifier.add(Flatten())
classifier.add(Dense(16, activation="relu"))
classifier.add(Dense(3))
classifier.add(Softmax())
classifier.pop()
