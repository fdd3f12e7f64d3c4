"""Keras 3's "customizing what happens in fit" style: a `keras.Model` subclass that only
overrides `train_step` and `test_step`, built functionally (`CustomModel(inputs, outputs)`),
whose steps call `self.compute_loss` and loop over `self.metrics` (the loss tracker and the
compiled metrics, updated from the first batch on)."""
import json
import sys

import numpy as np
import keras
import tensorflow as tf
from keras import layers

rng = np.random.default_rng(21)
x = rng.normal(size=(48, 5)).astype("float32")
y = rng.normal(size=(48, 1)).astype("float32")


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = keras.Input(shape=(5,))
hidden = layers.Dense(8, activation="tanh")(inputs)
outputs = layers.Dense(1)(hidden)
model = CustomModel(inputs, outputs)
model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0, validation_data=(x[:16], y[:16]))
result = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
json.dump({"history": history.history, "evaluate": result}, sys.stdout)
