"""A Sequential classifier saved with model.save to a legacy `.h5` path, loaded back twice:
compiled (evaluate, predict) and with compile=False (predict only)."""
import json
import sys

import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(5)
x = rng.normal(size=(64, 5)).astype("float32")
y = (x[:, 0] - x[:, 3] > 0).astype("int64") + (x[:, 1] > 0.8).astype("int64")

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(12, activation="relu"),
    layers.BatchNormalization(),
    layers.Dense(3, activation="softmax"),
])
weights = [rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()]
weights[5] = np.abs(weights[5]) + 0.5
model.set_weights(weights)
model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
model.save("classifier.h5")

restored = keras.models.load_model("classifier.h5")
evaluated = restored.evaluate(x, y, verbose=0)
predicted = restored.predict(x[:8], verbose=0)
bare = keras.models.load_model("classifier.h5", compile=False)
json.dump({"history": history.history, "evaluated": evaluated, "predicted": predicted.tolist(),
           "bare": bare.predict(x[:8], verbose=0).tolist()}, sys.stdout)
