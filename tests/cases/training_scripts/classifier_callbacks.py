"""A classifier trained keras-io style: a functional builder, a CosineDecay schedule,
EarlyStopping(restore_best_weights), ModelCheckpoint(save_best_only, weights only),
ReduceLROnPlateau, CSVLogger, TerminateOnNaN and a custom Callback."""
import json
import os
import sys
import tempfile

import numpy as np
import keras
from keras import layers

num_classes = 3
rng = np.random.default_rng(7)
x_train = rng.normal(size=(96, 6)).astype("float32")
y_train = (x_train[:, 0] + x_train[:, 1] > 0).astype("int64") + (x_train[:, 2] > 1).astype("int64")


def build_model(hidden_units):
    inputs = keras.Input(shape=(6,))
    x = inputs
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


class EpochCounter(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(round(logs["val_loss"], 5))


model = build_model([16, 8])
model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
schedule = keras.optimizers.schedules.CosineDecay(0.05, decay_steps=30, alpha=0.1)
model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
folder = tempfile.mkdtemp()
counter = EpochCounter()
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(os.path.join(folder, "best.weights.h5"), save_best_only=True,
                                    save_weights_only=True),
    keras.callbacks.CSVLogger(os.path.join(folder, "log.csv")),
    keras.callbacks.TerminateOnNaN(),
    counter,
]
history = model.fit(x_train, y_train, batch_size=16, epochs=3, validation_split=0.25, shuffle=False, verbose=0,
                    callbacks=callbacks)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history2 = model.fit(x_train, y_train, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0,
                     callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)])
loss, accuracy = model.evaluate(x_train, y_train, verbose=0)
json.dump({"history": history.history, "history2": history2.history, "val_losses": counter.seen,
           "loss": loss, "accuracy": accuracy}, sys.stdout)
