"""Functional subclasses, as model libraries write them: a base `Backbone(keras.Model)` taking
`*args, dtype=None, **kwargs` with `get_config`/`from_config` and a property, and backbones
that make their layers on `self`, build the graph from `keras.Input`s in `__init__` and hand
it to the base with `super().__init__(inputs=..., outputs=..., dtype=dtype, **kwargs)`
(dict inputs and outputs, a value made in the graph read after it), and a classifier task
on a backbone."""

import keras
from keras import layers



class Backbone(keras.Model):
    def __init__(self, *args, dtype=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialized = True

    @property
    def token_embedding(self):
        return getattr(self, "_token_embedding", None)

    @token_embedding.setter
    def token_embedding(self, value):
        self._token_embedding = value

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class TinyEncoder(Backbone):
    def __init__(self, vocabulary_size, hidden_dim, num_layers, dropout=0.0, dtype=None, **kwargs):
        # === Layers ===
        self.token_embedding = layers.Embedding(vocabulary_size, hidden_dim, dtype=dtype, name="token_embedding")
        self.segment_embedding = layers.Embedding(2, hidden_dim, dtype=dtype, name="segment_embedding")
        self.embeddings_add = layers.Add(dtype=dtype, name="embeddings_add")
        self.embeddings_norm = layers.LayerNormalization(epsilon=1e-12, dtype=dtype, name="embeddings_norm")
        self.blocks = []
        for i in range(num_layers):
            self.blocks.append(layers.Dense(hidden_dim, activation="gelu", dtype=dtype, name=f"block_{i}"))
        self.pooled_dense = layers.Dense(hidden_dim, activation="tanh", dtype=dtype, name="pooled_dense")

        # === Functional Model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        x = self.embeddings_add((self.token_embedding(token_ids), self.segment_embedding(segment_ids)))
        x = self.embeddings_norm(x)
        for block in self.blocks:
            x = x + block(x)
        cls_token_index = 0
        pooled = self.pooled_dense(x[:, cls_token_index, :])
        super().__init__(
            inputs={"token_ids": token_ids, "segment_ids": segment_ids},
            outputs={"sequence_output": x, "pooled_output": pooled},
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.cls_token_index = cls_token_index

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary_size": self.vocabulary_size, "hidden_dim": self.hidden_dim,
                       "num_layers": self.num_layers})
        return config


class TinyConvNet(Backbone):
    def __init__(self, filters, image_shape=(None, None, 3), dtype=None, **kwargs):
        image_input = keras.Input(shape=image_shape)
        x = image_input
        for f in filters:
            x = layers.Conv2D(f, 3, padding="same", use_bias=False, dtype=dtype)(x)
            x = layers.BatchNormalization(dtype=dtype)(x)
            x = layers.ReLU(dtype=dtype)(x)
        super().__init__(inputs=image_input, outputs=x, dtype=dtype, **kwargs)
        self.filters = filters


class TextClassifier(keras.Model):
    def __init__(self, backbone, num_classes, **kwargs):
        self.backbone = backbone
        self.output_dense = layers.Dense(num_classes, name="logits")
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        pooled = self.backbone({"token_ids": token_ids, "segment_ids": segment_ids})["pooled_output"]
        outputs = self.output_dense(pooled)
        super().__init__(inputs={"token_ids": token_ids, "segment_ids": segment_ids}, outputs=outputs, **kwargs)
        self.num_classes = num_classes


encoder = TinyEncoder(vocabulary_size=20, hidden_dim=8, num_layers=2)
convnet = TinyConvNet(filters=[4, 6])
classifier = TextClassifier(TinyEncoder(vocabulary_size=20, hidden_dim=8, num_layers=1), num_classes=3)
