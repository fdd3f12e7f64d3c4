"""A small U-Net: the encoder keeps its skip connections in a list, the decoder pops them
while upsampling (transposed convolutions and upsampling) and concatenates."""

import keras
from keras import layers

# xlate-case: {"models": {"model": [32, 32, 3]}}

FILTERS = (8, 16, 32)


def conv_block(x, filters):
    for _ in range(2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    return x


def build_unet(img_size=(32, 32), num_classes=3, filters=FILTERS):
    inputs = keras.Input(shape=img_size + (3,))
    skips = []
    x = inputs
    for f in filters:
        x = conv_block(x, f)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = conv_block(x, filters[-1] * 2)
    for f in reversed(filters):
        if f == filters[0]:
            x = layers.UpSampling2D(2)(x)
        else:
            x = layers.Conv2DTranspose(f, 2, strides=2, padding="same")(x)
        x = layers.Concatenate()([x, skips.pop()])
        x = conv_block(x, f)
    outputs = layers.Conv2D(num_classes, 1, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="unet")


model = build_unet()
# output
"""A small U-Net: the encoder keeps its skip connections in a list, the decoder pops them
while upsampling (transposed convolutions and upsampling) and concatenates."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"model": [32, 32, 3]}}

FILTERS = (8, 16, 32)


def conv_block(x, filters):
    for _ in range(2):
        x = Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = BatchNormalization()(x)
        x = ReLU()(x)
    return x


def build_unet(img_size=(32, 32), num_classes=3, filters=FILTERS):
    def build_unet_graph():
        inputs = Input(shape=img_size + (3,))
        skips = []
        x = inputs
        for f in filters:
            x = conv_block(x, f)
            skips.append(x)
            x = MaxPooling2D(2)(x)
        x = conv_block(x, filters[-1] * 2)
        for f in reversed(filters):
            if f == filters[0]:
                x = UpSampling2D(2)(x)
            else:
                x = Conv2DTranspose(f, 2, strides=2, padding="same")(x)
            x = Concatenate()([x, skips.pop()])
            x = conv_block(x, f)
        outputs = Conv2D(num_classes, 1, activation="softmax")(x)
        return inputs, outputs

    return Model(build_unet_graph, name="unet")


model = build_unet()
