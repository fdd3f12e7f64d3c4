"""The best epoch checkpointed with ModelCheckpoint(save_best_only=True) to a `.keras` path
held in a name, loaded back with load_model, evaluated and trained on (the optimizer's state
comes back with it, not the state of the training after the checkpoint); the model that saved
is not touched by the copy's training."""
import json
import sys

import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(11)
x_train = rng.normal(size=(80, 6)).astype("float32")
y_train = (x_train[:, :1] * 0.7 - x_train[:, 1:2] + 0.1 * rng.normal(size=(80, 1))).astype("float32")
x_val = rng.normal(size=(24, 6)).astype("float32")
y_val = (x_val[:, :1] * 0.7 - x_val[:, 1:2]).astype("float32")

inputs = keras.Input(shape=(6,))
h = layers.Dense(10, activation="tanh")(inputs)
h = layers.BatchNormalization()(h)
outputs = layers.Dense(1)(h)
model = keras.Model(inputs, outputs)
weights = [rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()]
weights[5] = np.abs(weights[5]) + 0.5  # moving variance
model.set_weights(weights)
model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse", metrics=["mae"])

best_path = "best_regressor.keras"
callbacks = [keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True)]
history = model.fit(x_train, y_train, batch_size=16, epochs=4, validation_data=(x_val, y_val), shuffle=False,
                    verbose=0, callbacks=callbacks)
tuned = model.fit(x_train, y_train, batch_size=16, epochs=2, shuffle=False, verbose=0)  # past the checkpoint
trained = model.predict(x_val, verbose=0)
first = model

model = keras.models.load_model(best_path)
loaded_eval = model.evaluate(x_val, y_val, verbose=0)
loaded_pred = model.predict(x_val, verbose=0)
more = model.fit(x_train, y_train, batch_size=16, epochs=2, shuffle=False, verbose=0)
json.dump({"history": history.history, "tuned": tuned.history, "trained": trained.tolist(), "loaded_eval": loaded_eval,
           "loaded_pred": loaded_pred.tolist(), "more": more.history,
           "iterations": int(model.optimizer.iterations.numpy()),
           "first_after": first.predict(x_val, verbose=0).tolist()}, sys.stdout)
