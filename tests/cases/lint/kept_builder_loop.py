import keras
from keras import layers


def build(sizes):
    inputs = keras.Input(shape=(16,))
    x = inputs
    for units in sizes:
        x = layers.Dense(units, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs)


model = build([32, 16])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, callbacks=[keras.callbacks.BackupAndRestore(backup_dir="backup")])
model.save("final.keras", zipped=False)
# --- expected (line:col: code) ---
# 16:40: XL305
# 17:1: XL306
