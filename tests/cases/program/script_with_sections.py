"""Title: a script in sections (the keras.io layout): a title docstring, then a second bare
string before the imports, Keras's short layer names (MaxPool2D, AvgPool2D, GlobalAvgPool2D),
`Model` imported by name and used as a base class, a constructor and in isinstance."""

"""## Setup"""

import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import Model, layers

# xlate-case: {"models": {"net": [12, 12, 3], "head": [6]}}

"""## A small convnet"""


def conv_block(x, filters):
    for _ in range(2):
        x = layers.Convolution2D(filters, 3, padding="same", activation="relu")(x)
    return layers.MaxPool2D()(x)


width = int(math.sqrt(16))
inputs = keras.Input(shape=(12, 12, 3))
x = conv_block(inputs, width)
x = layers.AvgPool2D(pool_size=3, strides=1, padding="same")(x)
x = layers.GlobalAvgPool2D()(x)
outputs = layers.Dense(5)(x)
net = Model(inputs, outputs)


class Head(Model):
    def __init__(self, units):
        super().__init__()
        self.hidden = layers.Dense(units, activation="tanh")
        self.out = layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


head = Head(4)
assert isinstance(net, Model) and isinstance(head, Model)
print(tf.reduce_sum(tf.constant(np.ones(3))))
# output
"""Title: a script in sections (the keras.io layout): a title docstring, then a second bare
string before the imports, Keras's short layer names (MaxPool2D, AvgPool2D, GlobalAvgPool2D),
`Model` imported by name and used as a base class, a constructor and in isinstance."""

"""## Setup"""

import math

import numpy as np
import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"net": [12, 12, 3], "head": [6]}}

"""## A small convnet"""


def conv_block(x, filters):
    for _ in range(2):
        x = Conv2D(filters, 3, padding="same", activation="relu")(x)
    return MaxPooling2D()(x)


width = int(math.sqrt(16))
def net_graph():
    inputs = Input(shape=(12, 12, 3))
    x = conv_block(inputs, width)
    x = AveragePooling2D(pool_size=3, strides=1, padding="same")(x)
    x = GlobalAveragePooling2D()(x)
    outputs = Dense(5)(x)
    return inputs, outputs

net = Model(net_graph)


class Head(Model):
    def __init__(self, units):
        super().__init__()
        self.hidden = Dense(units, activation="tanh")
        self.out = Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


head = Head(4)
assert isinstance(net, Model) and isinstance(head, Model)
print(tf.reduce_sum(tf.constant(np.ones(3))))
