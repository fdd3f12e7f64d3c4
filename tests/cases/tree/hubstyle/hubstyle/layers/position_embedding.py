"""A learned position embedding, sliced to the sequence length of its input."""

import keras
from keras import ops


class PositionEmbedding(keras.layers.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, inputs_shape):
        feature_size = inputs_shape[-1]
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=[self.sequence_length, feature_size],
            initializer=self.initializer,
            trainable=True,
        )
        self.built = True

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        positions = ops.slice(self.position_embeddings, (0, 0), (length, ops.shape(inputs)[-1]))
        return ops.broadcast_to(positions, ops.shape(inputs))

    def get_config(self):
        config = super().get_config()
        config.update({"sequence_length": self.sequence_length})
        return config
