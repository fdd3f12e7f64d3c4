"""Programs of the shapes that broke when translated real code was run (runreal5), run both ways.

Found by translating real programs (keras-io examples, TensorFlow tutorials, book chapters),
running the model code of the original and of the translation on small random data with the
Keras weights perturbed and moved, and comparing. Each case below is a small program written
here after the pattern, not the real code: it binds its models at module level and defines
``run(data)``, returning what such a script prints or keeps. The test translates it (program
form), executes both versions, moves every named model's Keras weights, perturbed, into the
translation, runs both and compares what ``run`` returns and the weights afterwards.

Numbers are compared with ``|tf - keras| <= 1e-5 * max(1, |keras|)``
(``tests/test_runtime_training.close``); strings, tuples, booleans and dict key orders must be
equal. The worst numeric difference of each case is printed.
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
from test_program_training_runs import _arrays, _exec, exec_both_moved
from test_runtime_training import close

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

pytestmark = pytest.mark.tf

# a script that picks layers by their config (ConvMixer's kernel visualisation: the index of
# each DepthwiseConv2D whose config says kernel_size == (5, 5)) and prints them; the runtime
# gave the arguments as written (5, None), so no layer was picked
CONFIG_VALUES = '''
from tensorflow import keras
from tensorflow.keras import layers


def block(x, width, size):
    y = layers.DepthwiseConv2D(kernel_size=size, padding="same")(x)
    x = layers.Add()([layers.Activation("gelu")(y), x])
    return layers.Conv2D(width, kernel_size=1)(x)


inputs = keras.Input((8, 8, 3))
x = layers.Conv2D(4, 2, strides=2)(inputs)
x = block(x, 4, 5)
x = block(x, 4, 3)
x = layers.ZeroPadding2D(1)(x)
x = layers.MaxPooling2D(2)(x)
x = layers.UpSampling2D(2)(x)
x = layers.Cropping2D(1)(x)
x = layers.Reshape([-1])(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)


def run(data):
    picked, values = [], []
    for i, layer in enumerate(model.layers):
        config = layer.get_config()
        if isinstance(layer, layers.DepthwiseConv2D) and config["kernel_size"] == (5, 5):
            picked.append((i, repr(layer)))
        for key in ("strides", "pool_size", "size", "padding", "cropping", "data_format", "dilation_rate", "target_shape"):
            if key in config:
                values.append((layer.name, key, config[key]))
    kernel = model.layers[picked[0][0]].get_weights()[0]
    return {"picked": picked, "values": values, "kernel": kernel, "repr": repr(model),
            "out": model.predict(data["x"], verbose=0)}
'''

# a distiller (keras-io knowledge distillation): its train_step and test_step return
# {m.name: m.result() for m in self.metrics} (the compiled metrics one nested dict) plus their
# own losses; Keras's logs are sorted by those top-level keys, the nested dict in place
NESTED_LOGS = '''
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.2, temperature=4):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def train_step(self, data):
        x, y = data
        soft = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            pred = self.student(x, training=True)
            hard_loss = self.student_loss_fn(y, pred)
            soft_loss = self.distillation_loss_fn(tf.nn.softmax(soft / self.temperature, axis=1),
                                                  tf.nn.softmax(pred / self.temperature, axis=1))
            loss = self.alpha * hard_loss + (1 - self.alpha) * soft_loss
        grads = tape.gradient(loss, self.student.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.student.trainable_variables))
        self.compiled_metrics.update_state(y, pred)
        out = {m.name: m.result() for m in self.metrics}
        out.update({"student_loss": hard_loss, "distillation_loss": soft_loss})
        return out

    def test_step(self, data):
        x, y = data
        pred = self.student(x, training=False)
        self.compiled_metrics.update_state(y, pred)
        out = {m.name: m.result() for m in self.metrics}
        out["student_loss"] = self.student_loss_fn(y, pred)
        return out


teacher = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(4)], name="teacher")
student = keras.Sequential([keras.Input((6,)), layers.Dense(4)], name="student")
distiller = Distiller(student=student, teacher=teacher)
distiller.compile(optimizer=keras.optimizers.Adam(0.01), metrics=[keras.metrics.SparseCategoricalAccuracy()],
                  student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  distillation_loss_fn=keras.losses.KLDivergence())


def run(data):
    labels = (data["y"][:, 0] > 0).astype("int32") + (data["y"][:, 0] > 0.5).astype("int32")
    history = distiller.fit(data["x"], labels, epochs=2, batch_size=8, shuffle=False, verbose=0,
                            validation_data=(data["x"][:8], labels[:8]))
    scores = distiller.evaluate(data["x"], labels, verbose=0, return_dict=True)
    return {"keys": list(history.history), "history": history.history, "eval_keys": list(scores), "eval": scores}
'''

# twin towers on Input((6, 6, 1)) given (n, 6, 6) arrays (keras-io's siamese contrastive
# example feeds pairs[:, 0] to an Input((28, 28, 1))): Keras's Functional adds the last axis,
# the runtime gave the rank-3 batch to Conv2D, which failed; a Sequential on Input((5, 1))
# likewise; an extra last axis of size 1 is dropped
INPUT_RANK = '''
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def distance(pair):
    a, b = pair
    return tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(a - b), axis=1, keepdims=True), 1e-7))


image = layers.Input((6, 6, 1))
x = layers.BatchNormalization()(image)
x = layers.Conv2D(3, 3, activation="tanh")(x)
x = layers.AveragePooling2D(2)(x)
x = layers.Flatten()(x)
tower = keras.Model(image, layers.Dense(4, activation="tanh")(x))
left, right = layers.Input((6, 6, 1)), layers.Input((6, 6, 1))
joined = layers.Lambda(distance)([tower(left), tower(right)])
siamese = keras.Model([left, right], layers.Dense(1, activation="sigmoid")(layers.BatchNormalization()(joined)))
siamese.compile(loss="binary_crossentropy", optimizer=keras.optimizers.RMSprop(0.01), metrics=["accuracy"])
series = keras.Sequential([keras.Input((5, 1)), layers.Conv1D(2, 3), layers.Flatten(), layers.Dense(1)])
series.compile(loss="mse", optimizer="sgd")


def run(data):
    a, b = data["a"], data["b"]
    labels = (data["y"][:, 0] > 0).astype("float32")
    history = siamese.fit([a, b], labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    steps = series.fit(data["s"], data["y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    return (history.history, siamese.evaluate([a, b], labels, verbose=0), siamese.predict([a, b], verbose=0),
            tower(a[:2]), steps.history, series.predict(data["s"], verbose=0), tower(a[:2, :, :, None, None]))
'''

# a custom regularizer keeping a tensor made in its constructor (PointNet's orthogonal
# regularizer, self.eye = tf.eye(n)), made inside the function that builds the model: the
# runtime traces a functional model's graph, and the tensor belonged to that trace
GRAPH_MADE_REGULARIZER = '''
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Orthogonal(keras.regularizers.Regularizer):
    def __init__(self, n, factor=0.01):
        self.n = n
        self.factor = factor
        self.eye = tf.eye(n)

    def __call__(self, x):
        x = tf.reshape(x, (-1, self.n, self.n))
        gram = tf.reshape(tf.tensordot(x, x, axes=(2, 2)), (-1, self.n, self.n))
        return tf.reduce_sum(self.factor * tf.square(gram - self.eye))


class Shifted(keras.constraints.Constraint):
    def __init__(self, low):
        self.low = tf.constant(low)

    def __call__(self, w):
        return tf.maximum(w, self.low)


def transform(points, n):
    x = layers.Conv1D(8, 1, activation="relu")(points)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(n * n, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(np.eye(n).flatten()),
                     activity_regularizer=Orthogonal(n), kernel_constraint=Shifted(-0.5))(x)
    return layers.Dot(axes=(2, 1))([points, layers.Reshape((n, n))(x)])


points = keras.Input((7, 3))
x = transform(points, 3)
x = layers.Conv1D(4, 1, activation="relu")(x)
outputs = layers.Dense(2, activation="softmax")(layers.GlobalMaxPooling1D()(x))
model = keras.Model(points, outputs)
model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.01),
              metrics=["sparse_categorical_accuracy"])


def run(data):
    labels = (data["y"][:, 0] > 0).astype("int32")
    history = model.fit(data["p"], labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return history.history, model.evaluate(data["p"], labels, verbose=0), model.predict(data["p"], verbose=0)
'''

# a notebook that clears the session before each new model and asks for a layer by its automatic
# name (Hands-On ML ch. 10: model.get_layer("dense")): clear_session was kept as Keras, which
# reset Keras's counters but not the runtime's, so the translated layer was dense_3
CLEAR_SESSION = '''
import tensorflow as tf

tf.random.set_seed(42)
first = tf.keras.Sequential([tf.keras.layers.Input((5,)), tf.keras.layers.Dense(4), tf.keras.layers.Dense(2)])
tf.keras.backend.clear_session()
model = tf.keras.Sequential([tf.keras.layers.Input((5,)), tf.keras.layers.Dense(4, activation="relu"),
                             tf.keras.layers.Dense(3)])
hidden = model.layers[0]


def run(data):
    return {"names": [layer.name for layer in model.layers], "model": model.name,
            "same": model.get_layer("dense") is hidden, "units": model.get_layer("dense_1").units,
            "out": model.predict(data["x"], verbose=0)}
'''

CASES = {
    "config_values": (CONFIG_VALUES, ["model"], {"x": (4, 8, 8, 3)}),
    "nested_logs": (NESTED_LOGS, ["teacher", "student"], {"x": (24, 6), "y": (24, 1)}),
    "input_rank": (INPUT_RANK, ["siamese", "series"], {"a": (12, 6, 6), "b": (12, 6, 6), "y": (12, 1), "s": (12, 5)}),
    "graph_made_regularizer": (GRAPH_MADE_REGULARIZER, ["model"], {"p": (12, 7, 3), "y": (12, 1)}),
    "clear_session": (CLEAR_SESSION, ["model"], {"x": (6, 5)}),
}


def same(a: Any, b: Any, what: str) -> float:
    """Numbers within ``close``'s tolerance; strings, booleans, None, dict keys (in order) equal."""
    if isinstance(a, dict):
        assert list(a) == list(b), f"{what}: keys {list(a)} != {list(b)}"
        return max([same(a[k], b[k], f"{what}[{k}]") for k in a] + [0.0])
    if isinstance(a, (list, tuple)) and any(isinstance(v, (str, bool, type(None), list, tuple, dict)) for v in a):
        assert type(a) is type(b) and len(a) == len(b), f"{what}: {a!r} != {b!r}"
        return max([same(x, y, f"{what}[{i}]") for i, (x, y) in enumerate(zip(a, b))] + [0.0])
    if isinstance(a, (str, bool, type(None))):
        assert a == b, f"{what}: {a!r} != {b!r}"
        return 0.0
    if isinstance(a, tuple):
        assert a == b, f"{what}: {a!r} != {b!r}"
        return 0.0
    return close(a, b, what)


@pytest.mark.parametrize("case", list(CASES))
def test_real_shape_runs_like_keras(case: str, tmp_path: Any, monkeypatch: Any) -> None:
    import keras
    import numpy as np

    source, names, shapes = CASES[case]
    out, diags = translate(source, f"{case}.py")
    assert BANNER in out, f"{case}: not in the program form: " + "; ".join(f"{d.code} {d.message}" for d in diags)
    left = re.search(r"\b(keras|layers)\.(layers|Model|Sequential|Input)\b", user_part(out))
    assert not left, f"{case}: Keras model code left in the translation: {left}"
    keras.backend.clear_session()  # Keras's automatic names counted from zero, as in a fresh process
    import sys

    state = sys.modules.get("_xlate_tf_state")  # and the runtime's, shared by the translations this process ran
    if state is not None:
        with state.uid_lock:
            state.uids.clear()
    original, translated = exec_both_moved(source, out, case, names)
    data = _arrays(shapes, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.chdir(tmp_path)
        expected = original["run"](data)
        got = translated["run"](data)
    worst = same(expected, got, f"{case}: run()")
    for name in names:
        worst = max(worst, close(original[name].get_weights(), translated[name].get_weights(), f"{case}: {name} weights"))
    print(f"{case}: worst |tf - keras| = {worst:.3g}")


# two models' calls in one statement (a script printing both models' predictions on one line):
# each model's translation rewrote its own calls in the statement and the last one written won,
# leaving the other model's `.evaluate(...)` on a tf.Module that has none
ONE_STATEMENT = '''
from tensorflow import keras
from tensorflow.keras import layers

wide = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu"), layers.Dense(2)])
deep = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="tanh"), layers.Dense(4), layers.Dense(2)])
wide.compile(loss="mse", optimizer="sgd")
deep.compile(loss="mse", optimizer="sgd")


def run(data):
    return (wide.evaluate(data["x"], data["y"], verbose=0), deep.evaluate(data["x"], data["y"], verbose=0),
            [wide.predict(data["x"], verbose=0), deep.predict(data["x"], verbose=0)])
'''


def test_two_models_in_one_statement_run_like_keras() -> None:
    import keras
    import numpy as np

    out, _ = translate(ONE_STATEMENT, "one_statement.py")
    body = out[out.index("def run(data):"):]
    assert ".evaluate(" not in body and ".predict(" not in body, body
    again, _ = translate(out, "one_statement.py")
    assert again == out, "a second run must change nothing"
    keras.utils.set_random_seed(0)
    original = _exec(ONE_STATEMENT, "__one_statement_keras__")
    translated = _exec(out, "__one_statement_tf__")
    for i, name in enumerate(["wide", "deep"]):
        moved = perturbed(original[name].get_weights(), seed=i)
        original[name].set_weights(moved)
        translated[name].set_weights(moved)
    data = _arrays({"x": (10, 6), "y": (10, 2)}, np.random.default_rng(0))
    worst = close(original["run"](data), translated["run"](data), "one statement")
    print(f"one statement: worst |tf - keras| = {worst:.3g}")
