"""A subclass that declares its input only through ``model.build(...)`` (the layers stay unbuilt)."""

import keras
from keras import layers


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(8, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.flat = layers.Flatten()
        self.bn = layers.BatchNormalization()
        self.d1 = layers.Dense(32, activation="relu")
        self.d2 = layers.Dense(10)

    def call(self, x, training=False):
        x = self.pool(self.conv(x))
        x = self.bn(x, training=training)
        return self.d2(self.d1(self.flat(x)))


model = Net()
model.build((None, 28, 28, 1))
