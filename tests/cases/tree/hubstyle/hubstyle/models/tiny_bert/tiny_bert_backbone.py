"""A small text encoder: token, segment and position embeddings, then residual blocks."""

import keras

from hubstyle.layers.position_embedding import PositionEmbedding
from hubstyle.layers.residual_block import ResidualBlock
from hubstyle.models.backbone import Backbone


def tiny_bert_initializer(stddev=0.02):
    return keras.initializers.TruncatedNormal(stddev=stddev)


class TinyBertBackbone(Backbone):
    def __init__(self, vocabulary_size, num_layers, hidden_dim, intermediate_dim, dropout=0.1,
                 max_sequence_length=16, num_segments=2, dtype=None, **kwargs):
        # === Layers ===
        self.token_embedding = keras.layers.Embedding(
            vocabulary_size, hidden_dim, embeddings_initializer=tiny_bert_initializer(), dtype=dtype,
            name="token_embedding")
        self.position_embedding = PositionEmbedding(
            sequence_length=max_sequence_length, initializer=tiny_bert_initializer(), dtype=dtype,
            name="position_embedding")
        self.segment_embedding = keras.layers.Embedding(
            num_segments, hidden_dim, embeddings_initializer=tiny_bert_initializer(), dtype=dtype,
            name="segment_embedding")
        self.embeddings_add = keras.layers.Add(dtype=dtype, name="embeddings_add")
        self.embeddings_layer_norm = keras.layers.LayerNormalization(epsilon=1e-12, dtype=dtype,
                                                                     name="embeddings_layer_norm")
        self.embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.transformer_layers = []
        for i in range(num_layers):
            self.transformer_layers.append(
                ResidualBlock(hidden_dim, intermediate_dim, dropout=dropout, dtype=dtype, name=f"block_{i}"))
        self.pooled_dense = keras.layers.Dense(hidden_dim, activation="tanh", dtype=dtype, name="pooled_dense")

        # === Functional Model ===
        token_id_input = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        segment_id_input = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        tokens = self.token_embedding(token_id_input)
        positions = self.position_embedding(tokens)
        segments = self.segment_embedding(segment_id_input)
        x = self.embeddings_add((tokens, positions, segments))
        x = self.embeddings_layer_norm(x)
        x = self.embeddings_dropout(x)
        for transformer_layer in self.transformer_layers:
            x = transformer_layer(x)
        sequence_output = x
        cls_token_index = 0
        pooled_output = self.pooled_dense(x[:, cls_token_index, :])
        super().__init__(
            inputs={"token_ids": token_id_input, "segment_ids": segment_id_input},
            outputs={"sequence_output": sequence_output, "pooled_output": pooled_output},
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.cls_token_index = cls_token_index

    def get_config(self):
        config = super().get_config()
        config.update({
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "max_sequence_length": self.max_sequence_length,
            "num_segments": self.num_segments,
        })
        return config
