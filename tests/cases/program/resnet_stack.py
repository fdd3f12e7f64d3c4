"""A residual network written the way keras.applications writes them: block functions
called with tensors, a stack function passed as an argument (`stack_fn`), the batch
normalization axis from the backend's image data format, names built with f-strings, and
`include_top`/`pooling` branches."""

from keras import backend, layers
from keras import models

# xlate-case: {"models": {"model": [32, 32, 3], "features": [32, 32, 3]}}


def residual_block(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    if conv_shortcut:
        shortcut = layers.Conv2D(2 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x

    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)

    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)

    x = layers.Conv2D(2 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_3_bn")(x)

    x = layers.Add(name=f"{name}_add")([shortcut, x])
    x = layers.Activation("relu", name=f"{name}_out")(x)
    return x


def stack(x, filters, blocks, stride1=2, name=None):
    x = residual_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet(stack_fn, input_shape, include_top=True, pooling=None, classes=10, name="resnet"):
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    img_input = layers.Input(shape=input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(16, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    x = stack_fn(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    return models.Model(img_input, x, name=name)


def TinyResNet(input_shape=(32, 32, 3), **kwargs):
    def stack_fn(x):
        x = stack(x, 8, 2, stride1=1, name="conv2")
        return stack(x, 16, 2, name="conv3")

    return ResNet(stack_fn, input_shape, **kwargs)


model = TinyResNet()
features = TinyResNet(include_top=False, pooling="max", name="features")
# output
"""A residual network written the way keras.applications writes them: block functions
called with tensors, a stack function passed as an argument (`stack_fn`), the batch
normalization axis from the backend's image data format, names built with f-strings, and
`include_top`/`pooling` branches."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"model": [32, 32, 3], "features": [32, 32, 3]}}


def residual_block(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    bn_axis = 3 if image_data_format() == "channels_last" else 1
    if conv_shortcut:
        shortcut = Conv2D(2 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x

    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)

    x = Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)

    x = Conv2D(2 * filters, 1, name=f"{name}_3_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_3_bn")(x)

    x = Add(name=f"{name}_add")([shortcut, x])
    x = Activation("relu", name=f"{name}_out")(x)
    return x


def stack(x, filters, blocks, stride1=2, name=None):
    x = residual_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet(stack_fn, input_shape, include_top=True, pooling=None, classes=10, name="resnet"):
    bn_axis = 3 if image_data_format() == "channels_last" else 1
    def ResNet_graph():
        img_input = Input(shape=input_shape)
        x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
        x = Conv2D(16, 7, strides=2, name="conv1_conv")(x)
        x = BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="conv1_bn")(x)
        x = Activation("relu", name="conv1_relu")(x)
        x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
        x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)

        x = stack_fn(x)

        if include_top:
            x = GlobalAveragePooling2D(name="avg_pool")(x)
            x = Dense(classes, activation="softmax", name="predictions")(x)
        else:
            if pooling == "avg":
                x = GlobalAveragePooling2D(name="avg_pool")(x)
            elif pooling == "max":
                x = GlobalMaxPooling2D(name="max_pool")(x)
        return img_input, x

    return Model(ResNet_graph, name=name)


def TinyResNet(input_shape=(32, 32, 3), **kwargs):
    def stack_fn(x):
        x = stack(x, 8, 2, stride1=1, name="conv2")
        return stack(x, 16, 2, name="conv3")

    return ResNet(stack_fn, input_shape, **kwargs)


model = TinyResNet()
features = TinyResNet(include_top=False, pooling="max", name="features")
