"""A regression network built by `add` (input_dim from the data), trained, saved under a path
put together with os.path.join from a folder name bound once, and loaded back from the same
expression (the course notebooks' `model.save(os.path.join(save_path, "network.h5"))`)."""
import json
import os
import sys

import numpy as np
import keras
from keras.models import Sequential, load_model
from keras.layers import Dense

save_path = "."
rng = np.random.default_rng(7)
x = rng.normal(size=(48, 3)).astype("float32")
y = (x[:, 0] * 2.0 - x[:, 2] + 0.5).astype("float32")

model = Sequential()
model.add(Dense(10, input_dim=x.shape[1], activation="relu"))
model.add(Dense(6, activation="relu"))
model.add(Dense(1))
model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(0.01))
history = model.fit(x, y, batch_size=12, epochs=3, shuffle=False, verbose=0)
model.save(os.path.join(save_path, "network.h5"))

model2 = load_model(os.path.join(save_path, "network.h5"))
pred = model2.predict(x[:6], verbose=0)
json.dump({"history": history.history, "pred": pred.tolist(),
           "evaluated": model2.evaluate(x, y, verbose=0)}, sys.stdout)
