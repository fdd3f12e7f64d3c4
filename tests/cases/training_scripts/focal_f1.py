"""A custom focal loss (keras.losses.Loss subclass), an F1 metric (keras.metrics.Metric
subclass with add_weight), Nadam with clipnorm, and a layer adding a penalty with add_loss."""
import json
import sys

import numpy as np
import keras
from keras import layers, ops

rng = np.random.default_rng(13)
x = rng.normal(size=(80, 6)).astype("float32")
y = (x[:, 0] * x[:, 1] + 0.3 * x[:, 2] > 0.2).astype("float32").reshape(-1, 1)


class FocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, alpha=0.25, name="focal_loss"):
        super().__init__(name=name)
        self.gamma = gamma
        self.alpha = alpha

    def call(self, y_true, y_pred):
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        alpha_t = y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)
        return ops.mean(-alpha_t * ops.power(1.0 - p_t, self.gamma) * ops.log(p_t), axis=-1)


class F1Score(keras.metrics.Metric):
    def __init__(self, name="f1", threshold=0.5, **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_weight(name="tp", initializer="zeros")
        self.fp = self.add_weight(name="fp", initializer="zeros")
        self.fn = self.add_weight(name="fn", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = ops.cast(y_pred > self.threshold, "float32")
        y_true = ops.cast(y_true, "float32")
        self.tp.assign_add(ops.sum(predicted * y_true))
        self.fp.assign_add(ops.sum(predicted * (1.0 - y_true)))
        self.fn.assign_add(ops.sum((1.0 - predicted) * y_true))

    def result(self):
        precision = self.tp / (self.tp + self.fp + 1e-7)
        recall = self.tp / (self.tp + self.fn + 1e-7)
        return 2.0 * precision * recall / (precision + recall + 1e-7)

    def reset_state(self):
        for v in (self.tp, self.fp, self.fn):
            v.assign(0.0)


class Penalty(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


inputs = keras.Input(shape=(6,))
h = layers.Dense(10, activation="relu")(inputs)
h = Penalty(0.01)(h)
outputs = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inputs, outputs)
model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.Nadam(learning_rate=0.01, clipnorm=1.0), loss=FocalLoss(gamma=2.0),
              metrics=[F1Score(), keras.metrics.AUC(name="auc"), "accuracy"])
history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, shuffle=False, verbose=0)
json.dump({"history": history.history, "evaluate": model.evaluate(x, y, verbose=0)}, sys.stdout)
