import keras
from keras import layers

inputs = keras.Input(shape=(8,))
hidden = layers.Dense(4, activation="tanh")(inputs)
outputs = layers.Dense(1)(hidden)
model = keras.Model(inputs, outputs)
config = model.to_json()  # Keras's own model format: a plain-TF module has none
# --- expected (line:col: code) ---
# 8:10: XL303
