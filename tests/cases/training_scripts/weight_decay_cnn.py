"""A small CNN trained with L2 weight decay on every kernel (the common real-world pattern
`kernel_regularizer=regularizers.l2(weight_decay)`), a string regularizer, a regularized
BatchNormalization, an activity regularizer and a max-norm constraint on the head; SGD with
momentum, then evaluate."""
import json
import sys

import numpy as np
import keras
from keras import constraints, layers, regularizers

weight_decay = 5e-4
rng = np.random.default_rng(21)
images = rng.normal(size=(48, 8, 8, 1)).astype("float32")
labels = (images[:, :4, :4, 0].mean(axis=(1, 2)) > 0).astype("int64") + (images[:, 4:, 4:, 0].mean(axis=(1, 2)) > 0)


def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", kernel_regularizer=regularizers.l2(weight_decay))(x)
    x = layers.BatchNormalization(gamma_regularizer=regularizers.l2(weight_decay),
                                  beta_regularizer=regularizers.l2(weight_decay))(x)
    x = layers.Activation("relu")(x)
    return layers.MaxPooling2D()(x)


inputs = keras.Input(shape=(8, 8, 1))
x = conv_block(inputs, 4)
x = conv_block(x, 6)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu", kernel_regularizer="l2", bias_regularizer=regularizers.l1(1e-3),
                 activity_regularizer=regularizers.l1_l2(l1=1e-4, l2=1e-3), kernel_constraint=constraints.max_norm(1.0))(x)
outputs = layers.Dense(3, activation="softmax", kernel_regularizer=regularizers.L1L2(l1=1e-4, l2=weight_decay))(x)
model = keras.Model(inputs, outputs)
# vectors (biases, BatchNormalization's gamma, beta and statistics) positive: a variance must be
model.set_weights([(rng.normal(0.0, 0.3, w.shape) if w.ndim > 1 else 0.5 + np.abs(rng.normal(0.0, 0.3, w.shape)))
                   .astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(images, labels, batch_size=12, epochs=3, validation_split=0.25, shuffle=False, verbose=0)
results = model.evaluate(images, labels, verbose=0, return_dict=True)
model(images[:12])  # an eager call: the activity loss of this batch, then the weight penalties
penalties = [float(v) for v in model.losses]
json.dump({"history": history.history, "evaluate": results, "penalties": penalties}, sys.stdout)
