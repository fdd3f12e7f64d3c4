"""Training programs translated by ``xlate to-tf`` and run both ways, as real scripts run.

Each case is a small Keras program written after reading real training scripts (GANs that
freeze a discriminator, ...): it binds its models at module level and defines
``run(data)``, the script's training loop on the arrays it is given, returning what the
script prints or keeps (``train_on_batch`` results, histories). The test translates it
(program form, no Keras model code left), executes both versions, moves every named model's
Keras weights, perturbed, into the translation, runs both loops on the same random data
and compares the returned values and every named model's weights afterwards.

Tolerance: float32 in the same order, ``|tf - keras| <= 1e-5 * max(1, |keras|)``
(``tests/test_runtime_training.close``); the worst difference of each case is printed.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed
from test_program_cases import user_part
from test_runtime_training import close

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

pytestmark = pytest.mark.tf

# a generator and a discriminator, each a functional model over a Sequential built with .add;
# the discriminator compiled, then frozen, then the combined model compiled (the Keras-GAN shape)
GAN_FROZEN_AFTER_COMPILE = '''
import numpy as np
from keras.layers import Input, Dense, LeakyReLU, BatchNormalization, Reshape, Flatten
from keras.models import Sequential, Model
from keras.optimizers import Adam

LATENT, SHAPE = 6, (3, 2, 1)


def make_generator():
    body = Sequential()
    body.add(Dense(10, input_dim=LATENT))
    body.add(LeakyReLU(0.2))
    body.add(BatchNormalization(momentum=0.7))
    body.add(Dense(int(np.prod(SHAPE)), activation="tanh"))
    body.add(Reshape(SHAPE))
    z = Input(shape=(LATENT,))
    return Model(z, body(z))


def make_discriminator():
    body = Sequential()
    body.add(Flatten(input_shape=SHAPE))
    body.add(Dense(8))
    body.add(LeakyReLU(0.2))
    body.add(Dense(1, activation="sigmoid"))
    image = Input(shape=SHAPE)
    return Model(image, body(image))


opt = Adam(0.01, 0.5)
discriminator = make_discriminator()
discriminator.compile(loss="binary_crossentropy", optimizer=opt, metrics=["accuracy"])
generator = make_generator()
z = Input(shape=(LATENT,))
discriminator.trainable = False
combined = Model(z, discriminator(generator(z)))
combined.compile(loss="binary_crossentropy", optimizer=opt)


def run(data):
    out = []
    for real, noise in zip(data["real"], data["noise"]):
        ones, zeros = np.ones((len(real), 1)), np.zeros((len(real), 1))
        fake = generator.predict(noise, verbose=0)
        d_real = discriminator.train_on_batch(real, ones)
        d_fake = discriminator.train_on_batch(fake, zeros)
        g = combined.train_on_batch(noise, ones)
        out.append((d_real, d_fake, g))
    return out
'''

# the same models, the discriminator frozen and unfrozen around each step, with its own optimizer
GAN_TOGGLED = GAN_FROZEN_AFTER_COMPILE.replace(
    'discriminator.compile(loss="binary_crossentropy", optimizer=opt, metrics=["accuracy"])',
    'discriminator.compile(loss="binary_crossentropy", optimizer=Adam(0.02, 0.5), metrics=["accuracy"])',
).replace(
    "        d_real = discriminator.train_on_batch(real, ones)",
    "        discriminator.trainable = True\n        d_real = discriminator.train_on_batch(real, ones)",
).replace(
    "        g = combined.train_on_batch(noise, ones)",
    "        discriminator.trainable = False\n        g = combined.train_on_batch(noise, ones)",
)

# stacked GRU/LSTM with recurrent dropout, fit with a checkpoint and loaded back (the Jena
# forecasting notebooks); lr 0 keeps the moved weights, so the reloaded model is comparable
RNN_CHECKPOINT = '''
from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(5, 3))
x = layers.GRU(4, recurrent_dropout=0.5, return_sequences=True, unroll=True)(inputs)
x = layers.LSTM(4, dropout=0.2, recurrent_dropout=0.5, unroll=True)(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.RMSprop(0.0), loss="mse", metrics=["mae"])


def run(data):
    check = keras.callbacks.ModelCheckpoint("forecast.keras", monitor="loss", save_best_only=True)
    model.fit(data["x"], data["y"], epochs=1, batch_size=4, callbacks=[check], verbose=0)
    best = keras.models.load_model("forecast.keras")
    return best.evaluate(data["x"], data["y"], verbose=0), best.predict(data["x"], verbose=0)
'''

# TensorFlow's own names of Keras namespaces (tf.metrics, tf.losses, tf.optimizers) in compile (the
# TensorFlow text classification tutorial): the metric object stayed Keras and was logged as "metric"
TF_ALIASES = '''
import tensorflow as tf
from tensorflow.keras import layers

model = tf.keras.Sequential([layers.Input((6,)), layers.Dense(5, activation="relu"), layers.Dense(1)])
model.compile(loss=tf.losses.BinaryCrossentropy(from_logits=True), optimizer=tf.optimizers.Adam(0.01),
              metrics=[tf.metrics.BinaryAccuracy(threshold=0.2), tf.metrics.AUC(from_logits=True)])


def run(data):
    labels = (data["y"] > 0).astype("float32")
    history = model.fit(data["x"], labels, batch_size=8, epochs=2, shuffle=False,
                        validation_data=(data["x"][:8], labels[:8]), verbose=0)
    return history.history
'''

# transfer learning on a saved model (Hands-On ML ch. 11): save, load_model, clone_model of the
# loaded model (which failed: the loaded copy's variables had lost their initializers), its
# weights set from the loaded one, its layers reused in a new Sequential with the others frozen
CLONE_LOADED = '''
import tensorflow as tf

model_a = tf.keras.Sequential([tf.keras.layers.Input((6,)), tf.keras.layers.Dense(5, activation="relu"),
                               tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(3)])
model_a.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="sgd")


def run(data):
    labels = (data["y"][:, 0] > 0).astype("int32")
    model_a.save("model_a.keras")
    loaded = tf.keras.models.load_model("model_a.keras")
    clone = tf.keras.models.clone_model(loaded)
    clone.set_weights(loaded.get_weights())
    again = tf.keras.models.clone_model(clone)
    on_a = tf.keras.Sequential(clone.layers[:-1])
    on_a.add(clone.layers[-1])
    for layer in on_a.layers[:-1]:
        layer.trainable = False
    on_a.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                 optimizer=tf.keras.optimizers.SGD(0.05), metrics=["accuracy"])
    history = on_a.fit(data["x"], labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return (loaded.evaluate(data["x"], labels, verbose=0), history.history, on_a.predict(data["x"], verbose=0),
            [w.shape for w in again.get_weights()], len(again.trainable_weights))
'''

# a whole-model checkpoint read back with load_weights (the 3D CT-scan classification example's
# shape): the translation writes a TensorFlow checkpoint at the path and load_weights reads
# the model's variables from it, as Keras reads the weights of its .h5 / .keras file
CHECKPOINT_LOAD_WEIGHTS = '''
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu"), layers.Dense(1)])
model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.2), metrics=["mae"])
best_h5 = keras.callbacks.ModelCheckpoint("best.h5", save_best_only=True, monitor="val_loss")
last = keras.callbacks.ModelCheckpoint("last.keras")


def run(data):
    history = model.fit(data["x"], data["y"], epochs=3, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(data["x"][:8], data["y"][:8]), callbacks=[best_h5, last])
    after = model.predict(data["x"], verbose=0)
    model.load_weights("best.h5")
    best = model.predict(data["x"], verbose=0)
    model.load_weights("last.keras")
    return history.history, after, best, model.predict(data["x"], verbose=0)
'''

GAN_DATA = {"real": [(6, 3, 2, 1)] * 3, "noise": [(6, 6)] * 3}

CASES = {
    # the translation crashed in apply_gradients (no trainable weights); Keras warns and trains nothing
    "gan_frozen_after_compile": (GAN_FROZEN_AFTER_COMPILE, ["generator", "discriminator"], GAN_DATA),
    "gan_toggled": (GAN_TOGGLED, ["generator", "discriminator"], GAN_DATA),
    # load_model crashed copying the cells' dropout masks (graph tensors) kept tracked after the step
    "rnn_checkpoint": (RNN_CHECKPOINT, ["model"], {"x": (8, 5, 3), "y": (8, 1)}),
    "tf_aliases": (TF_ALIASES, ["model"], {"x": (24, 6), "y": (24, 1)}),
    "clone_loaded": (CLONE_LOADED, ["model_a"], {"x": (24, 6), "y": (24, 1)}),
    "checkpoint_load_weights": (CHECKPOINT_LOAD_WEIGHTS, ["model"], {"x": (24, 6), "y": (24, 1)}),
}


def _arrays(shapes: Any, rng: Any) -> Any:
    if isinstance(shapes, dict):
        return {k: _arrays(v, rng) for k, v in shapes.items()}
    if isinstance(shapes, list):
        return [_arrays(s, rng) for s in shapes]
    return rng.uniform(-1, 1, size=shapes).astype("float32")


def exec_both_moved(source: str, out: str, case: str, names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the Keras program and its translation (random seed 0), then move each named Keras
    model's weights, perturbed, into both: (the Keras namespace, the translation's)."""
    import keras

    keras.utils.set_random_seed(0)
    original = _exec(source, f"__{case}_keras__")
    translated = _exec(out, f"__{case}_tf__")
    move_perturbed(original, translated, names)
    return original, translated


def move_perturbed(original: dict[str, Any], translated: dict[str, Any], names: list[str]) -> None:
    """Each named Keras model's weights, perturbed (seed: its position), set into it and into
    its translation, which must hold no Keras layer."""
    import keras
    import tensorflow as tf

    for i, name in enumerate(names):
        model, module = original[name], translated[name]
        assert isinstance(module, tf.Module) and not isinstance(module, keras.layers.Layer), f"{name} is still Keras"
        moved = perturbed(model.get_weights(), seed=i)
        model.set_weights(moved)
        module.set_weights(moved)


def _exec(source: str, name: str) -> dict[str, Any]:
    from kerastf_xlate.verify import exec_source

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return exec_source(source, name, f"{name}.py")


@pytest.mark.parametrize("case", list(CASES))
def test_training_program_runs_like_keras(case: str, tmp_path: Any, monkeypatch: Any) -> None:
    import numpy as np

    source, names, shapes = CASES[case]
    out, diags = translate(source, f"{case}.py")
    assert BANNER in out, f"{case}: not in the program form: " + "; ".join(f"{d.code} {d.message}" for d in diags)
    left = re.search(r"\b(keras|layers|tf\.(metrics|losses|optimizers))\.\w", user_part(out))
    assert not left, f"{case}: Keras code left in the translation: {left}"
    original, translated = exec_both_moved(source, out, case, names)
    data = _arrays(shapes, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d in ("keras", "tf"):  # the programs write their files in the current directory
            (tmp_path / d).mkdir()
        monkeypatch.chdir(tmp_path / "keras")
        expected = original["run"](data)
        monkeypatch.chdir(tmp_path / "tf")
        got = translated["run"](data)
    worst = close(expected, got, f"{case}: run()")
    for name in names:
        worst = max(worst, close(original[name].get_weights(), translated[name].get_weights(), f"{case}: {name} weights"))
    print(f"{case}: worst |tf - keras| = {worst:.3g}")
