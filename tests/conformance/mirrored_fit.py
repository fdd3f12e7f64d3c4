"""A classifier trained with `fit` under a tf.distribute strategy, as keras-io scripts do
(`with strategy.scope():` around the model and `compile`, `fit` after it).

XLATE_STRATEGY picks the strategy: "mirrored" (two logical CPU devices), "one_device" or
"default". The weights are set from a NumPy generator; the History, the evaluate results
and the final weights are printed as one JSON line.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf
from keras import layers

MODE = os.environ.get("XLATE_STRATEGY", "mirrored")
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
if MODE == "mirrored":
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
elif MODE == "one_device":
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
else:
    strategy = tf.distribute.get_strategy()
BATCH_PER_REPLICA = 8
GLOBAL_BATCH = BATCH_PER_REPLICA * 2  # the same global batch whatever the strategy

rng = np.random.default_rng(0)
x = rng.standard_normal((100, 12)).astype("float32")  # 100 samples: the last batch (after the split) is uneven
y = (x[:, :3].sum(axis=1) > 0).astype("int64") + (x[:, 3] > 1).astype("int64")

with strategy.scope():
    model = keras.Sequential([
        keras.Input(shape=(12,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(8, activation="tanh"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])

weights = [rng.normal(0.0, 0.3, w.shape).astype("float32") for w in model.get_weights()]
model.set_weights(weights)
history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=4, validation_split=0.2, shuffle=False, verbose=0)
results = model.evaluate(x[:40], y[:40], batch_size=GLOBAL_BATCH, verbose=0)
print(json.dumps({"history": history.history, "evaluate": results,
                  "weights": [np.asarray(w).ravel().tolist() for w in model.get_weights()]}))
