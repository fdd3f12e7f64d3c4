"""Train a small MNIST-style convnet on generated digits, then evaluate and predict.

The images are 16x16 grayscale "digits": each class is a fixed random stroke pattern plus
noise, generated with NumPy from a fixed seed, so the script runs in seconds and gives the
same numbers every time. The initial weights are drawn with NumPy too, so the Keras script
and its ``xlate to-tf`` translation start from the same point and reach the same loss.

    python examples/training/mnist_convnet.py
    xlate to-tf examples/training/mnist_convnet.py -o /tmp/mnist_tf.py && python /tmp/mnist_tf.py
"""

import numpy as np
import keras
from keras import layers

NUM_CLASSES = 10
IMAGE_SHAPE = (16, 16, 1)

# generated data: class templates + noise
rng = np.random.default_rng(0)
templates = (rng.random((NUM_CLASSES, *IMAGE_SHAPE)) > 0.7).astype("float32")
y_train = rng.integers(0, NUM_CLASSES, size=512)
x_train = templates[y_train] + 0.3 * rng.standard_normal((512, *IMAGE_SHAPE)).astype("float32")
y_test = rng.integers(0, NUM_CLASSES, size=128)
x_test = templates[y_test] + 0.3 * rng.standard_normal((128, *IMAGE_SHAPE)).astype("float32")

inputs = keras.Input(shape=IMAGE_SHAPE)
x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D(2)(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
model = keras.Model(inputs, outputs)

# reproducible initial weights (kernels from NumPy; biases and BatchNorm keep their constants)
model(x_train[:1])
init = np.random.default_rng(1)
model.set_weights([init.normal(0.0, 0.2, w.shape).astype("float32") if w.ndim > 1 else w for w in model.get_weights()])

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_split=0.1, shuffle=False, verbose=2)

test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
predicted = np.argmax(model.predict(x_test[:8], verbose=0), axis=-1)
print("predicted classes:", predicted.tolist())
print(f"final loss: {history.history['loss'][-1]:.6f}")
print(f"final val_loss: {history.history['val_loss'][-1]:.6f}")
print(f"test loss: {test_loss:.6f}  test accuracy: {test_accuracy:.4f}")
