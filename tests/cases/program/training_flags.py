"""The training flag as Keras 3 passes it. A sub-layer called with an explicit
`training=False` (a frozen BatchNormalization, as fine-tuning code writes) or `training=None`
writes that value into Keras's shared call context, and a later sibling called without the
argument inherits it: here both dropouts run in inference even when the model is called with
`training=True`. Also a functional model whose first layer gives its input back unchanged."""

import keras
from keras import layers

# xlate-case: {"models": {"frozen": [6], "explicit_none": [6], "passthrough": [6]}}


class FrozenNormHead(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(8)
        self.norm = layers.BatchNormalization()
        self.drop = layers.Dropout(0.5)
        self.head = layers.Dense(3)

    def call(self, x, training=None):
        x = self.dense(x)
        x = self.norm(x, training=False)  # frozen statistics
        x = self.drop(x)
        return self.head(x)


class ExplicitNone(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(8, activation="relu")
        self.first = layers.Dropout(0.4)
        self.second = layers.Dropout(0.4)
        self.head = layers.Dense(2)

    def call(self, x, training=None):
        x = self.first(self.dense(x), training=None)
        return self.head(self.second(x))


frozen = FrozenNormHead()
explicit_none = ExplicitNone()

inputs = keras.Input((6,))
x = layers.Identity()(inputs)
x = layers.Dense(4)(x)
passthrough = keras.Model(inputs, layers.BatchNormalization()(x))
# output
"""The training flag as Keras 3 passes it. A sub-layer called with an explicit
`training=False` (a frozen BatchNormalization, as fine-tuning code writes) or `training=None`
writes that value into Keras's shared call context, and a later sibling called without the
argument inherits it: here both dropouts run in inference even when the model is called with
`training=True`. Also a functional model whose first layer gives its input back unchanged."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"frozen": [6], "explicit_none": [6], "passthrough": [6]}}


class FrozenNormHead(Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = Dense(8)
        self.norm = BatchNormalization()
        self.drop = Dropout(0.5)
        self.head = Dense(3)

    def call(self, x, training=None):
        x = self.dense(x)
        x = self.norm(x, training=False)  # frozen statistics
        x = self.drop(x)
        return self.head(x)


class ExplicitNone(Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = Dense(8, activation="relu")
        self.first = Dropout(0.4)
        self.second = Dropout(0.4)
        self.head = Dense(2)

    def call(self, x, training=None):
        x = self.first(self.dense(x), training=None)
        return self.head(self.second(x))


frozen = FrozenNormHead()
explicit_none = ExplicitNone()

def passthrough_graph():
    inputs = Input((6,))
    x = Identity()(inputs)
    x = Dense(4)(x)
    return inputs, BatchNormalization()(x)

passthrough = Model(passthrough_graph)
