# Every import style in one file; each flagged line is expected in mixed_imports.expected.
import keras
import keras.layers as kl
import keras_core as kc
import tensorflow as tf
from keras import layers
from keras.layers import Conv2D as C
from tensorflow import keras as tfk
from tensorflow.keras import layers as tfl
from tensorflow.keras.layers import FlaxLayer as CL

a = keras.layers.FlaxLayer(8, 3)
b = kl.JaxLayer(8, 3)
c = C(16, 3, dtype="int8")
d = tf.keras.layers.JaxLayer(8, 3, return_sequences=True)
e = tfk.layers.Bidirectional(layers.FlaxLayer(4, 3))
f = tfl.Dense(4, lora_rank=4)
g = CL(8, 3)
h = kc.layers.JaxLayer(4, 3)
i = layers.Dense(4, activation="relu")  # clean
j = layers.Conv1D(4, 3, padding="causal")  # the bundled Conv1D takes it: nothing to say


def build(layers):
    # `layers` is a parameter here: not the Keras module
    return layers.FlaxLayer(8, 3)


class Block(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.rnn = layers.FlaxLayer(4, 3, dropout=0.1)
        self.proj = layers.Dense(4, kernel_constraint="non_neg", lora_rank=rank)

    def call(self, x):
        return self.proj(self.rnn(x))
# --- expected (line:col: code) ---
# 12:5: XL101
# 13:5: XL101
# 14:20: XL201
# 15:5: XL101
# 16:30: XL101
# 17:28: XL202
# 18:5: XL101
# 19:5: XL101
# 32:20: XL101
# 33:76: XL202
