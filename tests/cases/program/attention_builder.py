"""Attention models built by functions: a Transformer-style encoder (a loop over blocks of
causal self-attention, residual `+` and layer normalization, a feed-forward helper), and a
cross-attention model with two inputs of different lengths (grouped-query attention,
batch normalization, a learned activation)."""

import keras
from keras import layers

# xlate-case: {"models": {"encoder": [6, 8], "cross": [[5, 8], [7, 8]]}}


def feed_forward(x, hidden):
    h = layers.Dense(hidden, activation="gelu")(x)
    return layers.Dense(x.shape[-1])(h)


def encoder_block(x, heads, hidden):
    attn = layers.MultiHeadAttention(num_heads=heads, key_dim=x.shape[-1] // heads)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization(epsilon=1e-6)(x + attn)
    return layers.LayerNormalization(epsilon=1e-6)(x + feed_forward(x, hidden))


def build_encoder(seq_len, dim, depth=2, heads=2):
    inputs = keras.Input((seq_len, dim))
    x = layers.Dense(dim)(inputs)
    for _ in range(depth):
        x = encoder_block(x, heads, 2 * dim)
    x = layers.Attention(use_scale=True)([x, x])
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x), name="encoder")


def build_cross(q_len, kv_len, dim):
    query = keras.Input((q_len, dim))
    memory = keras.Input((kv_len, dim))
    x = layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)(query, memory)
    x = layers.BatchNormalization()(x)
    x = layers.PReLU(shared_axes=[1])(x)
    return keras.Model([query, memory], layers.Softmax(axis=1)(x))


encoder = build_encoder(6, 8)
cross = build_cross(5, 7, 8)
# output
"""Attention models built by functions: a Transformer-style encoder (a loop over blocks of
causal self-attention, residual `+` and layer normalization, a feed-forward helper), and a
cross-attention model with two inputs of different lengths (grouped-query attention,
batch normalization, a learned activation)."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"encoder": [6, 8], "cross": [[5, 8], [7, 8]]}}


def feed_forward(x, hidden):
    h = Dense(hidden, activation="gelu")(x)
    return Dense(x.shape[-1])(h)


def encoder_block(x, heads, hidden):
    attn = MultiHeadAttention(num_heads=heads, key_dim=x.shape[-1] // heads)(x, x, use_causal_mask=True)
    x = LayerNormalization(epsilon=1e-6)(x + attn)
    return LayerNormalization(epsilon=1e-6)(x + feed_forward(x, hidden))


def build_encoder(seq_len, dim, depth=2, heads=2):
    def build_encoder_graph():
        inputs = Input((seq_len, dim))
        x = Dense(dim)(inputs)
        for _ in range(depth):
            x = encoder_block(x, heads, 2 * dim)
        x = Attention(use_scale=True)([x, x])
        x = Flatten()(x)
        return inputs, Dense(3, activation="softmax")(x)

    return Model(build_encoder_graph, name="encoder")


def build_cross(q_len, kv_len, dim):
    def build_cross_graph():
        query = Input((q_len, dim))
        memory = Input((kv_len, dim))
        x = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)(query, memory)
        x = BatchNormalization()(x)
        x = PReLU(shared_axes=[1])(x)
        return [query, memory], Softmax(axis=1)(x)

    return Model(build_cross_graph)


encoder = build_encoder(6, 8)
cross = build_cross(5, 7, 8)
