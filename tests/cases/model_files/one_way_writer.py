"""A script that writes model files for another program and never reads them back: the best
epoch with ModelCheckpoint(save_best_only=True), one file per epoch (`{epoch:02d}` in the
path), and the final model with model.save. The translation writes TensorFlow checkpoints at
those paths (XL311); one_way_reader.py reads them back in another process."""
import json
import sys

import numpy as np
import keras
from keras import layers


def build():
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(10, activation="tanh")(inputs)
    h = layers.BatchNormalization()(h)
    return keras.Model(inputs, layers.Dense(1)(h))


rng = np.random.default_rng(23)
x_train = rng.normal(size=(80, 6)).astype("float32")
y_train = (x_train[:, :1] * 0.7 - x_train[:, 1:2] + 0.1 * rng.normal(size=(80, 1))).astype("float32")
x_val = rng.normal(size=(24, 6)).astype("float32")
y_val = (x_val[:, :1] * 0.7 - x_val[:, 1:2]).astype("float32")

model = build()
weights = [rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()]
weights[5] = np.abs(weights[5]) + 0.5  # moving variance
model.set_weights(weights)
model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
callbacks = [keras.callbacks.ModelCheckpoint("best_model.keras", save_best_only=True),
             keras.callbacks.ModelCheckpoint("epoch_{epoch:02d}.keras")]
history = model.fit(x_train, y_train, batch_size=16, epochs=4, validation_data=(x_val, y_val), shuffle=False,
                    verbose=0, callbacks=callbacks)
model.save("final_model.keras")
json.dump({"history": history.history, "final": model.predict(x_val, verbose=0).tolist()}, sys.stdout)
