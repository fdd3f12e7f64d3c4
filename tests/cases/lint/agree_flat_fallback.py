# A model on a base class from another file stays Keras as a whole; to-tf then reports what
# its flat form could not take as well, and lint says the same.
from keras import layers
from vision.base import Backbone


class Stem(Backbone):
    def __init__(self, pad, fmt):
        inputs = layers.Input((32, 32, 3))
        x = layers.Conv2D(8, 3, padding=pad, data_format=fmt)(inputs)
        x = layers.Conv2D(8, 3, groups=2, kernel_regularizer="l2")(x)
        super().__init__(inputs, x)
# --- expected (line:col: code) ---
# 9:18: XL301
# 10:41: XL203
# 10:58: XL203
# 11:40: XL201
# 11:62: XL202
