"""A program-form model (a block helper, a custom layer with `add_weight` and a regularizer)
trained with `fit` under a tf.distribute strategy, as keras-io scripts write it: the strategy
made first, `with strategy.scope():` around building and `compile`, `fit` on a `tf.data`
pipeline after it, with a callback, per-replica gradient clipping and a weighted metric.

XLATE_STRATEGY picks the strategy: "mirrored" (two logical CPU devices), "one_device",
"default" or "multi_worker" (a MultiWorkerMirroredStrategy of one worker, TF_CONFIG set
below); XLATE_CLIPNORM=none trains without clipping. The weights are set from a NumPy generator; the History, the evaluate results, the
predictions and the final weights are printed as one JSON line.
"""

import json
import os
import socket

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
elif MODE == "multi_worker":
    with socket.socket() as free:  # a port of its own: runs in parallel must not share one
        free.bind(("localhost", 0))
        port = free.getsockname()[1]
    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"localhost:{port}"]},
                                          "task": {"type": "worker", "index": 0}})
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
else:
    strategy = tf.distribute.get_strategy()
print("Number of replicas:", strategy.num_replicas_in_sync)
GLOBAL_BATCH = 16  # the same global batch whatever the strategy
# clipped on each replica before the sum (as Keras does): "none" compares with one device
CLIPNORM = None if os.environ.get("XLATE_CLIPNORM") == "none" else 0.5


class Scale(layers.Layer):
    """A learned per-feature scale, penalised towards one."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        self.add_loss(1e-3 * tf.reduce_sum(tf.square(self.scale - 1.0)))
        return inputs * self.scale


def dense_block(x, units):
    x = layers.Dense(units, kernel_regularizer=keras.regularizers.l2(1e-3))(x)
    return layers.Activation("relu")(x)


def build_model():
    inputs = keras.Input(shape=(12,))
    x = Scale()(inputs)
    for units in (16, 8):
        x = dense_block(x, units)
    outputs = layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs)


class Record(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.seen_epochs = epoch + 1


rng = np.random.default_rng(0)
x = rng.standard_normal((100, 12)).astype("float32")  # 80 training samples: 5 batches; 20 validation: one uneven
y = (x[:, :3].sum(axis=1) > 0).astype("int64") + (x[:, 3] > 1).astype("int64")
train = tf.data.Dataset.from_tensor_slices((x[:80], y[:80])).batch(GLOBAL_BATCH)
val = tf.data.Dataset.from_tensor_slices((x[80:], y[80:])).batch(GLOBAL_BATCH)

with strategy.scope():
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, clipnorm=CLIPNORM),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=[keras.metrics.SparseCategoricalCrossentropy(name="xent")])

weights = [rng.normal(0.0, 0.3, w.shape).astype("float32") + (1.0 if w.shape == (12,) else 0.0)
           for w in model.get_weights()]
model.set_weights(weights)
history = model.fit(train, epochs=4, validation_data=val, callbacks=[Record()], verbose=0)
results = model.evaluate(x[:40], y[:40], batch_size=GLOBAL_BATCH, verbose=0)
predicted = model.predict(x[:20], batch_size=GLOBAL_BATCH, verbose=0)
print(json.dumps({"history": history.history, "evaluate": results, "predict": np.asarray(predicted).ravel().tolist(),
                  "epochs": model.seen_epochs,
                  "weights": [np.asarray(w).ravel().tolist() for w in model.get_weights()]}))
