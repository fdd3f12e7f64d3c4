"""A small residual image backbone whose stages are made by a helper function."""

import keras
from keras import layers

from hubstyle.models.backbone import Backbone


def apply_stage(x, filters, stride, name, dtype=None):
    shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, dtype=dtype, name=f"{name}_proj")(x)
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, dtype=dtype, name=f"{name}_conv1")(x)
    x = layers.BatchNormalization(epsilon=1e-5, dtype=dtype, name=f"{name}_bn1")(x)
    x = layers.Activation("relu", dtype=dtype, name=f"{name}_relu1")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, dtype=dtype, name=f"{name}_conv2")(x)
    x = layers.BatchNormalization(epsilon=1e-5, dtype=dtype, name=f"{name}_bn2")(x)
    x = layers.Add(dtype=dtype, name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", dtype=dtype, name=f"{name}_out")(x)


class TinyResNetBackbone(Backbone):
    def __init__(self, stackwise_num_filters, stackwise_strides, image_shape=(None, None, 3), dtype=None, **kwargs):
        # === Functional Model ===
        image_input = layers.Input(shape=image_shape)
        x = layers.Conv2D(8, 3, padding="same", dtype=dtype, name="stem_conv")(image_input)
        for i, (filters, stride) in enumerate(zip(stackwise_num_filters, stackwise_strides)):
            x = apply_stage(x, filters, stride, name=f"stage{i}", dtype=dtype)
        super().__init__(inputs=image_input, outputs=x, dtype=dtype, **kwargs)

        # === Config ===
        self.stackwise_num_filters = stackwise_num_filters
        self.stackwise_strides = stackwise_strides
        self.image_shape = image_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stackwise_num_filters": self.stackwise_num_filters,
                       "stackwise_strides": self.stackwise_strides, "image_shape": self.image_shape})
        return config
