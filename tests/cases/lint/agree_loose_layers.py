# Layer calls outside any model: to-tf's program form takes each one its bundled class
# honours (groups, regularizers, constraints, a data_format it cannot read, an Embedding's
# initial weights), and keeps the others; lint reports exactly those.
from keras import layers

grouped = layers.Conv1D(16, 5, groups=4)
decayed = layers.Dense(32, kernel_regularizer="l2", bias_constraint="non_neg")
formatted = layers.Conv2D(8, 3, data_format=image_format)
adapted = layers.Dense(32, lora_rank=8)
attention = layers.MultiHeadAttention(num_heads=2, key_dim=8, kernel_constraint="max_norm")
quantized = layers.Dense(32, dtype="int8")
embedded = layers.Embedding(100, 8, weights=[table])
# --- expected (line:col: code) ---
# 9:38: XL202
# 10:81: XL202
# 11:36: XL201
