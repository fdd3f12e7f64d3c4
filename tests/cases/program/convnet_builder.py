"""An image classifier built by a function, in the style of the Keras examples: an entry
block, a loop over filter sizes with separable convolutions and residual projections added
with `layers.add`, and a head chosen by the number of classes."""

import keras
from keras import layers

# xlate-case: {"models": {"model": [32, 32, 3]}, "training": False}


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(128, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=(32, 32, 3), num_classes=2)
# output
"""An image classifier built by a function, in the style of the Keras examples: an entry
block, a loop over filter sizes with separable convolutions and residual projections added
with `layers.add`, and a head chosen by the number of classes."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"model": [32, 32, 3]}, "training": False}


def make_model(input_shape, num_classes):
    def make_model_graph():
        inputs = Input(shape=input_shape)

        # Entry block
        x = Rescaling(1.0 / 255)(inputs)
        x = Conv2D(16, 3, strides=2, padding="same")(x)
        x = BatchNormalization()(x)
        x = Activation("relu")(x)

        previous_block_activation = x  # Set aside residual

        for size in [32, 64]:
            x = Activation("relu")(x)
            x = SeparableConv2D(size, 3, padding="same")(x)
            x = BatchNormalization()(x)

            x = Activation("relu")(x)
            x = SeparableConv2D(size, 3, padding="same")(x)
            x = BatchNormalization()(x)

            x = MaxPooling2D(3, strides=2, padding="same")(x)

            # Project residual
            residual = Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
            x = add([x, residual])  # Add back residual
            previous_block_activation = x  # Set aside next residual

        x = SeparableConv2D(128, 3, padding="same")(x)
        x = BatchNormalization()(x)
        x = Activation("relu")(x)

        x = GlobalAveragePooling2D()(x)
        if num_classes == 2:
            units = 1
        else:
            units = num_classes

        x = Dropout(0.25)(x)
        outputs = Dense(units, activation=None)(x)
        return inputs, outputs

    return Model(make_model_graph)


model = make_model(input_shape=(32, 32, 3), num_classes=2)
