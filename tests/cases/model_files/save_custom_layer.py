"""A functional model with a custom layer of the file's own, saved by a training function and
loaded back with custom_objects naming that class, as Keras needs."""
import json
import sys

import numpy as np
import keras
from keras import layers


class Scale(layers.Layer):
    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, inputs):
        return inputs * self.gain * self.initial

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


def train_and_save(net, data, labels):
    net.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    result = net.fit(data, labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
    net.save("scaled_model.keras")
    return result


rng = np.random.default_rng(3)
data = rng.normal(size=(40, 4)).astype("float32")
labels = (data.sum(axis=1, keepdims=True) > 0).astype("float32")
inputs = keras.Input(shape=(4,))
x = layers.Dense(6, activation="relu")(inputs)
x = Scale(0.5)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
net = keras.Model(inputs, outputs)
net.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") + 0.1 for w in net.get_weights()])
history = train_and_save(net, data, labels)

loaded = keras.models.load_model("scaled_model.keras", custom_objects={"Scale": Scale})
json.dump({"history": history.history, "evaluated": loaded.evaluate(data, labels, verbose=0),
           "predicted": loaded.predict(data[:6], verbose=0).tolist()}, sys.stdout)
