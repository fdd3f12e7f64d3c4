"""A Keras 2 style custom training step (keras-io's "customizing what happens in fit"
before Keras 3): `self.compiled_loss(..., regularization_losses=self.losses)` and
`self.compiled_metrics.update_state(...)`, the shims Keras 3 keeps for such code, with a
compiled metric; the logs come from `self.metrics`."""
import json
import sys

import numpy as np
import keras
import tensorflow as tf
from keras import layers

rng = np.random.default_rng(11)
x = rng.normal(size=(64, 6)).astype("float32")
y = rng.integers(0, 3, size=(64,)).astype("int64")


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = keras.Input(shape=(6,))
hidden = layers.Dense(8, activation="relu")(inputs)
outputs = layers.Dense(3, activation="softmax")(hidden)
model = CustomModel(inputs, outputs)
model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
json.dump({"history": history.history}, sys.stdout)
