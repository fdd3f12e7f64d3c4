"""Library-style layers that take a dtype policy and pass it down: sub-layers made in
`build` with `dtype=self.dtype_policy` and built there by hand, blocks and norms appended to
lists in `__init__`, a weight made in the variable dtype and read in the compute dtype, a
float32 normalization at the end of a mixed-precision stack, and the same encoder made in
float32, float64 and mixed_float16 (variables float32, computation float16)."""

import keras
from keras import layers, ops

# xlate-case: {"models": {"encoder": [6, 8], "encoder64": [6, 8], "encoder16": [6, 8]}, "tolerance": {"encoder16": 0.02}}


class FeedForward(layers.Layer):
    def __init__(self, hidden_dim, output_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.dropout = dropout

    def build(self, input_shape):
        self.expand = layers.Dense(self.hidden_dim, activation="gelu", dtype=self.dtype_policy, name="expand")
        self.expand.build(input_shape)
        self.project = layers.Dense(self.output_dim, dtype=self.dtype_policy, name="project")
        self.project.build((None, None, self.hidden_dim))
        self.drop = layers.Dropout(self.dropout, dtype=self.dtype_policy, name="drop")
        self.built = True

    def call(self, inputs, training=None):
        return self.drop(self.project(self.expand(inputs)), training=training)


class Encoder(layers.Layer):
    def __init__(self, depth, width, hidden_dim, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.norms = []
        self.blocks = []
        for i in range(depth):
            self.norms.append(layers.LayerNormalization(epsilon=1e-5, dtype=self.dtype_policy, name=f"norm_{i}"))
            self.blocks.append(FeedForward(hidden_dim, width, dtype=self.dtype_policy, name=f"block_{i}"))
        # statistics in float32 whatever the policy, as mixed-precision models often end
        self.final_norm = layers.LayerNormalization(dtype="float32", name="final_norm")

    def build(self, input_shape):
        self.residual_scale = self.add_weight(
            shape=(self.width,), initializer="ones", dtype=self.variable_dtype, name="residual_scale"
        )
        self.built = True

    def call(self, inputs, training=None):
        x = ops.cast(inputs, self.compute_dtype)
        for norm, block in zip(self.norms, self.blocks):
            x = x + block(norm(x), training=training) * self.residual_scale
        return self.final_norm(x)


encoder = Encoder(2, 8, 16)
encoder64 = Encoder(2, 8, 16, dtype="float64")
encoder16 = Encoder(2, 8, 16, dtype="mixed_float16")
# output
"""Library-style layers that take a dtype policy and pass it down: sub-layers made in
`build` with `dtype=self.dtype_policy` and built there by hand, blocks and norms appended to
lists in `__init__`, a weight made in the variable dtype and read in the compute dtype, a
float32 normalization at the end of a mixed-precision stack, and the same encoder made in
float32, float64 and mixed_float16 (variables float32, computation float16)."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"encoder": [6, 8], "encoder64": [6, 8], "encoder16": [6, 8]}, "tolerance": {"encoder16": 0.02}}


class FeedForward(Layer):
    def __init__(self, hidden_dim, output_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.dropout = dropout

    def build(self, input_shape):
        self.expand = Dense(self.hidden_dim, activation="gelu", dtype=self.dtype_policy, name="expand")
        self.expand.build(input_shape)
        self.project = Dense(self.output_dim, dtype=self.dtype_policy, name="project")
        self.project.build((None, None, self.hidden_dim))
        self.drop = Dropout(self.dropout, dtype=self.dtype_policy, name="drop")
        self.built = True

    def call(self, inputs, training=None):
        return self.drop(self.project(self.expand(inputs)), training=training)


class Encoder(Layer):
    def __init__(self, depth, width, hidden_dim, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.norms = []
        self.blocks = []
        for i in range(depth):
            self.norms.append(LayerNormalization(epsilon=1e-5, dtype=self.dtype_policy, name=f"norm_{i}"))
            self.blocks.append(FeedForward(hidden_dim, width, dtype=self.dtype_policy, name=f"block_{i}"))
        # statistics in float32 whatever the policy, as mixed-precision models often end
        self.final_norm = LayerNormalization(dtype="float32", name="final_norm")

    def build(self, input_shape):
        self.residual_scale = self.add_weight(
            shape=(self.width,), initializer="ones", dtype=self.variable_dtype, name="residual_scale"
        )
        self.built = True

    def call(self, inputs, training=None):
        x = tf.cast(inputs, self.compute_dtype)
        for norm, block in zip(self.norms, self.blocks):
            x = x + block(norm(x), training=training) * self.residual_scale
        return self.final_norm(x)


encoder = Encoder(2, 8, 16)
encoder64 = Encoder(2, 8, 16, dtype="float64")
encoder16 = Encoder(2, 8, 16, dtype="mixed_float16")
