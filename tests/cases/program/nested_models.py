"""Models inside models: a Sequential stem inside a functional graph, a functional backbone
called on a tensor inside another model, and a subclassed model holding a Sequential and a
list of blocks (layers created in a comprehension)."""

import keras
from keras import layers

# xlate-case: {"models": {"classifier": [16, 16, 3], "transformer_like": [6, 8]}}


def backbone(input_shape):
    inputs = keras.Input(input_shape)
    stem = keras.Sequential(
        [layers.Conv2D(8, 3, padding="same"), layers.BatchNormalization(), layers.ReLU()],
        name="stem",
    )
    x = stem(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(inputs, x, name="backbone")


def classifier_model(input_shape=(16, 16, 3), classes=4):
    base = backbone(input_shape)
    inputs = keras.Input(input_shape)
    features = base(inputs)
    x = layers.GlobalAveragePooling2D()(features)
    outputs = layers.Dense(classes)(x)
    return keras.Model(inputs, outputs)


class Block(layers.Layer):
    def __init__(self, dim, hidden, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.ffn = keras.Sequential([layers.Dense(hidden, activation="gelu"), layers.Dense(dim)])

    def call(self, x):
        return x + self.ffn(self.norm(x))


class Encoder(keras.Model):
    def __init__(self, dim=8, depth=3, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [Block(dim, 2 * dim, name=f"block_{i}") for i in range(depth)]
        self.head = layers.Dense(2)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(x[:, 0])


classifier = classifier_model()
transformer_like = Encoder()
# output
"""Models inside models: a Sequential stem inside a functional graph, a functional backbone
called on a tensor inside another model, and a subclassed model holding a Sequential and a
list of blocks (layers created in a comprehension)."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"classifier": [16, 16, 3], "transformer_like": [6, 8]}}


def backbone(input_shape):
    def backbone_graph():
        inputs = Input(input_shape)
        stem = Sequential(
            [Conv2D(8, 3, padding="same"), BatchNormalization(), ReLU()],
            name="stem",
        )
        x = stem(inputs)
        x = Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
        return inputs, x

    return Model(backbone_graph, name="backbone")


def classifier_model(input_shape=(16, 16, 3), classes=4):
    base = backbone(input_shape)
    def classifier_model_graph():
        inputs = Input(input_shape)
        features = base(inputs)
        x = GlobalAveragePooling2D()(features)
        outputs = Dense(classes)(x)
        return inputs, outputs

    return Model(classifier_model_graph)


class Block(Layer):
    def __init__(self, dim, hidden, **kwargs):
        super().__init__(**kwargs)
        self.norm = LayerNormalization(epsilon=1e-6)
        self.ffn = Sequential([Dense(hidden, activation="gelu"), Dense(dim)])

    def call(self, x):
        return x + self.ffn(self.norm(x))


class Encoder(Model):
    def __init__(self, dim=8, depth=3, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [Block(dim, 2 * dim, name=f"block_{i}") for i in range(depth)]
        self.head = Dense(2)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(x[:, 0])


classifier = classifier_model()
transformer_like = Encoder()
