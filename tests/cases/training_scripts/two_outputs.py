"""A two-output model: a loss dict, loss_weights, per-output metrics and sample_weight; then
class_weight on a single-output classifier (a model of its own: a model built on another
model's tensors is not translated yet)."""
import json
import sys

import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(11)
features = rng.normal(size=(64, 5)).astype("float32")
kind = (features[:, 0] > 0).astype("int64") + (features[:, 1] > 0.5).astype("int64")
size = (features[:, 2:3] * 2.0 + 0.5).astype("float32")
weights = np.where(kind == 2, 2.0, 1.0).astype("float32")

inputs = keras.Input(shape=(5,), name="features")
trunk = layers.Dense(12, activation="relu", name="trunk")(inputs)
kind_out = layers.Dense(3, activation="softmax", name="kind")(trunk)
size_out = layers.Dense(1, name="size")(trunk)
model = keras.Model(inputs=inputs, outputs=[kind_out, size_out])
model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
              loss={"kind": "sparse_categorical_crossentropy", "size": keras.losses.Huber(delta=0.5)},
              loss_weights={"kind": 1.0, "size": 0.5},
              metrics={"kind": ["accuracy"], "size": [keras.metrics.MeanAbsoluteError(name="mae")]})
history = model.fit(features, [kind, size], sample_weight=weights, batch_size=16, epochs=3, validation_split=0.25,
                    shuffle=False, verbose=0)
results = model.evaluate(features, {"kind": kind, "size": size}, verbose=0, return_dict=True)

classifier_inputs = keras.Input(shape=(5,))
classifier_hidden = layers.Dense(8, activation="relu")(classifier_inputs)
classifier = keras.Model(classifier_inputs, layers.Dense(3, activation="softmax")(classifier_hidden))
classifier.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in classifier.get_weights()])
classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history2 = classifier.fit(features, kind, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, batch_size=16, epochs=2,
                          shuffle=False, verbose=0)
json.dump({"history": history.history, "evaluate": results, "history2": history2.history}, sys.stdout)
