# A builder with a loop: to-tf's program form translates the model, so the flat form's limits
# (causal padding, groups, a regularizer) say nothing; the LoRA adapter beside it still blocks.
import keras
from keras import layers


def build(widths):
    inputs = keras.Input((64, 3))
    x = layers.Conv1D(8, 3, padding="causal", kernel_regularizer="l2")(inputs)
    for width in widths:
        x = layers.Conv1D(width, 3, groups=2, data_format="channels_last")(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(4)(x)
    return keras.Model(inputs, outputs)


model = build([16, 32])
adapter = layers.Dense(4, lora_rank=4)
# --- expected (line:col: code) ---
# 18:37: XL202
