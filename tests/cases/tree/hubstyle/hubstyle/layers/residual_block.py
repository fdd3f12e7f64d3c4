"""A two-layer feed-forward block with a residual connection and a layer norm."""

import keras
from keras import layers


class ResidualBlock(layers.Layer):
    def __init__(self, hidden_dim, intermediate_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.intermediate = layers.Dense(intermediate_dim, activation="relu", dtype=self.dtype_policy)
        self.output_dense = layers.Dense(hidden_dim, dtype=self.dtype_policy)
        self.dropout_layer = layers.Dropout(dropout, dtype=self.dtype_policy)
        self.norm = layers.LayerNormalization(epsilon=1e-6, dtype=self.dtype_policy)

    def call(self, x, training=None):
        y = self.output_dense(self.intermediate(x))
        y = self.dropout_layer(y, training=training)
        return self.norm(x + y)

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim, "intermediate_dim": self.intermediate_dim,
                       "dropout": self.dropout})
        return config
