"""Train a regression MLP with SGD (Nesterov momentum), validate, and checkpoint it.

Targets are a fixed nonlinear function of 10 features plus noise, generated with NumPy from
a fixed seed. The initial weights are drawn with NumPy too, so the Keras script and its
``xlate to-tf`` translation start from the same point and reach the same loss.

    python examples/training/regression_mlp.py
    xlate to-tf examples/training/regression_mlp.py -o /tmp/regression_tf.py && python /tmp/regression_tf.py
"""

import os
import tempfile

import numpy as np
import keras
from keras import layers

NUM_FEATURES = 10
LEARNING_RATE = 0.01

rng = np.random.default_rng(0)
w_true = rng.standard_normal((NUM_FEATURES, 1))


def make_data(n):
    x = rng.standard_normal((n, NUM_FEATURES)).astype("float32")
    y = np.tanh(x @ w_true) + 0.1 * x[:, :1] ** 2 + 0.05 * rng.standard_normal((n, 1))
    return x, y.astype("float32")


x_train, y_train = make_data(400)
x_val, y_val = make_data(100)

model = keras.Sequential([
    keras.Input(shape=(NUM_FEATURES,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="tanh"),
    layers.Dense(1),
])

# reproducible initial weights (kernels from NumPy; biases keep their zeros)
model(x_train[:1])
init = np.random.default_rng(1)
model.set_weights([init.normal(0.0, 0.3, w.shape).astype("float32") if w.ndim > 1 else w for w in model.get_weights()])

model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9, nesterov=True),
    loss="mse",
    metrics=["mae"],
)
history = model.fit(x_train, y_train, batch_size=32, epochs=5, validation_data=(x_val, y_val), shuffle=False, verbose=0)
for epoch, (loss, val_loss) in enumerate(zip(history.history["loss"], history.history["val_loss"])):
    print(f"epoch {epoch + 1}: loss {loss:.4f}  val_loss {val_loss:.4f}")

checkpoint = os.path.join(tempfile.mkdtemp(), "regression.weights.h5")
model.save_weights(checkpoint)
model.load_weights(checkpoint)
val_loss, val_mae = model.evaluate(x_val, y_val, batch_size=50, verbose=0)
print(f"final loss: {history.history['loss'][-1]:.6f}")
print(f"final val_loss: {val_loss:.6f}  val_mae: {val_mae:.6f}")
