"""A GAN discriminator whose convolutions and head are spectrally normalized, as GAN examples
write it: a training call normalizes each kernel in place (power iteration), an inference
call reads the kernels the last training call wrote."""

import keras
from keras import layers

# xlate-case: {"models": {"discriminator": [8, 8, 3]}}


def build_discriminator(widths=(8, 16)):
    model = keras.Sequential([keras.Input((8, 8, 3))], name="discriminator")
    for width in widths:
        model.add(layers.SpectralNormalization(layers.Conv2D(width, 3, strides=2, padding="same")))
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.SpectralNormalization(layers.Dense(1), power_iterations=2))
    return model


discriminator = build_discriminator()
# output
"""A GAN discriminator whose convolutions and head are spectrally normalized, as GAN examples
write it: a training call normalizes each kernel in place (power iteration), an inference
call reads the kernels the last training call wrote."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"discriminator": [8, 8, 3]}}


def build_discriminator(widths=(8, 16)):
    model = Sequential([InputLayer((8, 8, 3))], name="discriminator")
    for width in widths:
        model.add(SpectralNormalization(Conv2D(width, 3, strides=2, padding="same")))
        model.add(LeakyReLU(0.2))
    model.add(GlobalAveragePooling2D())
    model.add(SpectralNormalization(Dense(1), power_iterations=2))
    return model


discriminator = build_discriminator()
