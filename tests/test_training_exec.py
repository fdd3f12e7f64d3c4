"""Train Keras models and their ``to-tf`` translations side by side (executes TensorFlow/Keras).

Each case is a whole script: data from NumPy with fixed seeds, initial weights drawn with
NumPy and loaded with ``set_weights`` (so both start from the same point), ``compile``,
``fit`` on fixed batches (``shuffle=False``) for 3 epochs of 4-5 steps, ``evaluate`` and
``predict``. The Keras script runs as written; the translation runs without Keras calls.

Tolerance: ``1e-5`` relative, per weight tensor ``max|tf - keras| <= 1e-5 * max|keras|``
(the same for the History values, the evaluate results and the predictions). Each test
prints the worst relative difference it saw (``pytest -s``).

The example scripts in ``examples/training/`` are run in subprocesses: the original with
Keras, the translation with a ``keras`` package on ``PYTHONPATH`` that raises ImportError,
and their final losses are compared.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

RTOL = 1e-5
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "training").glob("*.py"))

DENSE = """
inputs = keras.Input(shape=(6,))
hidden = layers.Dense(8, activation="relu")(inputs)
outputs = layers.Dense({units}, activation={activation!r})(hidden)
model = keras.Model(inputs, outputs)
"""
EMBEDDING = """
model = keras.Sequential([
    keras.Input(shape=(7,), dtype="int32"),
    layers.Embedding(12, 4),
    layers.GlobalAveragePooling1D(),
    layers.Dense(1, activation="sigmoid"),
])
"""
DATA = {
    "sparse": "y = rng.integers(0, 3, size=(70,))",
    "onehot": "y = np.eye(3, dtype='float32')[rng.integers(0, 3, size=(70,))]",
    "binary": "y = rng.integers(0, 2, size=(70, 1)).astype('float32')",
    "binary_flat": "y = rng.integers(0, 2, size=(70,)).astype('float32')",
    "regression": "y = (x[:, :1] * 2 - x[:, 1:2]).astype('float64')",
}
SCRIPT = """
import numpy as np
import keras
from keras import layers

{model}
rng = np.random.default_rng(0)
x = {x}
{data}
model(x[:1])
init = np.random.default_rng(1)
model.set_weights([init.normal(0.0, 0.4, w.shape).astype("float32") if w.ndim > 1 else w for w in model.get_weights()])
model.compile({compile})
history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_split=0.2)
result = model.evaluate(x, y, batch_size=32, verbose=0)
prediction = model.predict(x[:5], verbose=0)
"""
DENSE_X = "rng.standard_normal((70, 6)).astype('float32')"
TOKENS_X = "rng.integers(0, 12, size=(70, 7))"  # 7 tokens from 12: rows repeat in every batch

OPTIMIZERS = {
    "sgd": "keras.optimizers.SGD(0.05)",
    "sgd_momentum": "keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)",
    "sgd_nesterov_global_clipnorm_decay": "keras.optimizers.SGD(0.05, momentum=0.8, nesterov=True, global_clipnorm=0.5, weight_decay=0.01)",
    "adam": "keras.optimizers.Adam(learning_rate=0.01)",
    "adam_string": '"adam"',
    "adam_amsgrad_clipnorm": "keras.optimizers.Adam(0.01, beta_1=0.8, amsgrad=True, clipnorm=0.5)",
    "adamw": "keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.05)",
    "rmsprop": "keras.optimizers.RMSprop(0.01)",
    "rmsprop_centered_momentum_clipvalue": "keras.optimizers.RMSprop(0.005, rho=0.8, momentum=0.5, centered=True, clipvalue=0.1)",
}
LOSSES = {
    # name: (model, data, loss and metrics)
    "sparse_categorical_crossentropy": (DENSE.format(units=3, activation="softmax"), "sparse",
                                        'loss="sparse_categorical_crossentropy", metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)]'),
    "sparse_categorical_crossentropy_logits": (DENSE.format(units=3, activation="linear"), "sparse",
                                               'loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"]'),
    "categorical_crossentropy": (DENSE.format(units=3, activation="softmax"), "onehot",
                                 'loss="categorical_crossentropy", metrics=["accuracy", "top_k_categorical_accuracy"]'),
    "categorical_crossentropy_logits_smoothing": (DENSE.format(units=3, activation="linear"), "onehot",
                                                  "loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), "
                                                  'metrics=[keras.metrics.CategoricalAccuracy(name="cat")]'),
    "crossentropy_auto": (DENSE.format(units=3, activation="softmax"), "sparse", 'loss="crossentropy", metrics=["accuracy"]'),
    "binary_crossentropy": (DENSE.format(units=1, activation="sigmoid"), "binary", 'loss="binary_crossentropy", metrics=["accuracy"]'),
    "binary_crossentropy_logits_smoothing": (DENSE.format(units=1, activation="linear"), "binary_flat",
                                             "loss=keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), "
                                             "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"),
    "binary_crossentropy_auc": (DENSE.format(units=1, activation="sigmoid"), "binary",
                                'loss="binary_crossentropy", metrics=["AUC", keras.metrics.AUC(num_thresholds=20, name="auc20")]'),
    "binary_crossentropy_logits_auc": (DENSE.format(units=1, activation="linear"), "binary_flat",
                                       "loss=keras.losses.BinaryCrossentropy(from_logits=True), "
                                       "metrics=[keras.metrics.AUC(from_logits=True, name=\"auc\")]"),
    "mean_squared_error": (DENSE.format(units=1, activation="linear"), "regression", 'loss="mse", metrics=["mae"]'),
    "mean_absolute_error": (DENSE.format(units=1, activation="linear"), "regression",
                            "loss=keras.losses.MeanAbsoluteError(), metrics=[keras.metrics.MeanSquaredError()]"),
    "mean_squared_error_sum": (DENSE.format(units=1, activation="linear"), "regression",
                               'loss=keras.losses.MeanSquaredError(reduction="sum")'),
}


def _relative(a, b) -> float:  # type: ignore[no-untyped-def]
    import numpy as np

    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-6)
    return float(np.max(np.abs(a - b))) / scale if a.size else 0.0


def _compare(script: str, fit_call: str = "_fit(model, x, y") -> float:
    """Run the Keras script and its translation; return the worst relative difference."""
    from kerastf_xlate import verify
    from kerastf_xlate.totf import translate

    translated, diags = translate(script, "train.py")
    assert not [d for d in diags if d.code.startswith("XL30")], diags
    assert "import keras" not in translated and fit_call in translated
    import keras

    keras.backend.clear_session()  # metric names (auc, auc_1, ...) are unique per session
    keras_ns = verify.exec_source(script, "__keras_train__")
    tf_ns = verify.exec_source(translated, "__tf_train__")
    worst = 0.0
    k_weights, t_weights = keras_ns["model"].get_weights(), tf_ns["model"].get_weights()
    assert len(k_weights) == len(t_weights)
    for k, t in zip(k_weights, t_weights):
        worst = max(worst, _relative(t, k))
    k_hist, t_hist = keras_ns["history"].history, tf_ns["history"].history
    assert sorted(k_hist) == sorted(t_hist), (k_hist, t_hist)
    for key in k_hist:
        assert len(k_hist[key]) == len(t_hist[key]) == 3
        worst = max(worst, _relative(t_hist[key], k_hist[key]))
    worst = max(worst, _relative(tf_ns["result"], keras_ns["result"]))
    assert type(tf_ns["result"]) is type(keras_ns["result"])
    worst = max(worst, _relative(tf_ns["prediction"], keras_ns["prediction"]))
    assert type(tf_ns["prediction"]).__name__ == "ndarray"
    assert tf_ns["history"].epoch == keras_ns["history"].epoch
    return worst


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_trajectory_matches_keras(name: str) -> None:
    model, data, loss = LOSSES["sparse_categorical_crossentropy"]
    script = SCRIPT.format(model=model, x=DENSE_X, data=DATA[data], compile=f"optimizer={OPTIMIZERS[name]}, {loss}")
    worst = _compare(script)
    print(f"\noptimizer {name}: worst relative difference {worst:.2e}")
    assert worst <= RTOL


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_trajectory_matches_keras(name: str) -> None:
    model, data, loss = LOSSES[name]
    script = SCRIPT.format(model=model, x=DENSE_X, data=DATA[data], compile=f"optimizer=keras.optimizers.Adam(0.02), {loss}")
    worst = _compare(script)
    print(f"\nloss {name}: worst relative difference {worst:.2e}")
    assert worst <= RTOL


@pytest.mark.parametrize("optimizer", ["keras.optimizers.Adam(0.05)", "keras.optimizers.RMSprop(0.02, momentum=0.3)",
                                       "keras.optimizers.SGD(0.5, momentum=0.9)", "keras.optimizers.Adam(0.05, global_clipnorm=0.05)"])
def test_embedding_sparse_gradients_match_keras(optimizer: str) -> None:
    """An embedding's gradient is IndexedSlices with repeated rows; Keras squares it slice by slice."""
    script = SCRIPT.format(model=EMBEDDING, x=TOKENS_X, data=DATA["binary"],
                           compile=f'optimizer={optimizer}, loss="binary_crossentropy", metrics=["accuracy"]')
    worst = _compare(script)
    print(f"\nembedding with {optimizer}: worst relative difference {worst:.2e}")
    assert worst <= RTOL


def test_tf_data_input_matches_keras() -> None:
    """fit/evaluate/predict on a tf.data.Dataset of float64 features (cast like Keras does)."""
    model, _, loss = LOSSES["sparse_categorical_crossentropy"]
    script = SCRIPT.format(model=model, x="rng.standard_normal((70, 6))", data=DATA["sparse"],
                           compile=f"optimizer=keras.optimizers.Adam(0.02), {loss}")
    script = "import tensorflow as tf\n" + script.replace(
        "history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_split=0.2)",
        "data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)\n"
        "history = model.fit(data, epochs=3, verbose=0, validation_data=data.take(2))").replace(
        "model.predict(x[:5], verbose=0)", "model.predict(data.take(1), verbose=0)").replace(
        "model(x[:1])", "model(x[:1].astype('float32'))")
    worst = _compare(script, fit_call="_fit(model, data")
    print(f"\ntf.data input: worst relative difference {worst:.2e}")
    assert worst <= RTOL


# ---------------------------------------------------------------- whole scripts

_NUMBER_LINE = re.compile(r"^(final [\w ]+|test loss|held-out loss|predicted classes|scores).*$", re.M)


def _start(path: Path, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env_extra}
    return subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=path.parent)


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return out


def _numbers(line: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_script_trains_without_keras_to_the_same_loss(example: Path, tmp_path: Path) -> None:
    from kerastf_xlate.totf import translate

    source = example.read_text(encoding="utf-8")
    translated, diags = translate(source, str(example))
    assert not [d for d in diags if d.code.startswith("XL30")], diags
    assert "import keras" not in translated and "from keras" not in translated
    calls = [n.func.attr for n in ast.walk(ast.parse(translated)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert not {"fit", "compile", "evaluate", "predict", "save_weights", "load_weights"} & set(calls)
    again, _ = translate(translated, str(example))
    assert again == translated, "a second to-tf run must change nothing"

    fake = tmp_path / "fake"
    (fake / "keras").mkdir(parents=True)
    (fake / "keras" / "__init__.py").write_text("raise ImportError('keras must not be imported')\n")
    script = tmp_path / example.name
    script.write_text(translated, encoding="utf-8")

    # both at once (they are independent): the Keras original, and the translation without Keras
    runs = [_start(example, {}), _start(script, {"PYTHONPATH": str(fake)})]
    original, converted = (_finish(p) for p in runs)
    k_lines = _NUMBER_LINE.findall(original)
    t_lines = _NUMBER_LINE.findall(converted)
    k_final = [ln for ln in original.splitlines() if ln.startswith("final loss:")]
    t_final = [ln for ln in converted.splitlines() if ln.startswith("final loss:")]
    assert len(k_final) == len(t_final) == 1, (original, converted)
    worst = 0.0
    for k_line, t_line in zip(original.splitlines(), converted.splitlines()):
        if k_line.startswith(("final ", "test loss", "held-out loss", "scores", "predicted classes")):
            k_vals, t_vals = _numbers(k_line), _numbers(t_line)
            assert len(k_vals) == len(t_vals), (k_line, t_line)
            for k, t in zip(k_vals, t_vals):
                worst = max(worst, abs(k - t) / max(abs(k), 1e-3))
    print(f"\n{example.name}: final loss keras {k_final[0][12:]} / tf {t_final[0][12:]}, worst relative {worst:.1e}")
    assert k_lines and len(k_lines) == len(t_lines)
    assert worst <= 1e-4  # printed with 4-6 decimals
    assert textwrap.dedent(k_final[0]) == textwrap.dedent(t_final[0])


# ---------------------------------------------------------------- the formulas on their own


@pytest.fixture(scope="module")
def runtime():  # type: ignore[no-untyped-def]
    import tensorflow as tf

    from kerastf_xlate.totf.training import runtime as rt

    rt.tf = tf  # the template uses the `tf` of the script it is copied into
    return rt


def test_losses_and_metrics_on_clipped_probabilities_match_keras(runtime) -> None:  # type: ignore[no-untyped-def]
    """Probabilities that are not a softmax/sigmoid output (no logits to recover): Keras clips
    them to [1e-7, 1 - 1e-7] (and renormalises categorical ones); so must the translation."""
    import keras
    import numpy as np

    rng = np.random.default_rng(3)
    probs = rng.random((9, 4)).astype("float32")
    probs[0, 0], probs[1] = 0.0, [1.0, 0.0, 0.0, 0.0]  # exactly 0 and 1: the clip matters
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, 9)]
    labels = onehot.argmax(-1)
    binary_p = rng.random((9, 1)).astype("float32")
    binary_p[0, 0], binary_p[1, 0] = 0.0, 1.0
    binary_y = rng.integers(0, 2, (9, 1)).astype("float32")
    cases = [
        (runtime._categorical_crossentropy, keras.losses.CategoricalCrossentropy(), onehot, probs),
        (lambda a, b: runtime._categorical_crossentropy(a, b, label_smoothing=0.2),
         keras.losses.CategoricalCrossentropy(label_smoothing=0.2), onehot, probs),
        (runtime._sparse_categorical_crossentropy, keras.losses.SparseCategoricalCrossentropy(), labels, probs),
        (runtime._binary_crossentropy, keras.losses.BinaryCrossentropy(), binary_y, binary_p),
        (runtime._mean_squared_error, keras.losses.MeanSquaredError(), onehot, probs),
        (runtime._mean_absolute_error, keras.losses.MeanAbsoluteError(), onehot, probs),
        (lambda a, b: runtime._mean_squared_error(a, b, reduction="sum"), keras.losses.MeanSquaredError(reduction="sum"),
         onehot, probs),
    ]
    worst = 0.0
    for ours, theirs, y_true, y_pred in cases:
        worst = max(worst, _relative(ours(y_true, y_pred), theirs(y_true, y_pred)))
    metrics = [
        (runtime._sparse_categorical_accuracy, keras.metrics.sparse_categorical_accuracy, labels, probs),
        (runtime._categorical_accuracy, keras.metrics.categorical_accuracy, onehot, probs),
        (runtime._binary_accuracy, keras.metrics.binary_accuracy, binary_y, binary_p),
        (lambda a, b: runtime._top_k_categorical_accuracy(a, b, k=2),
         lambda a, b: keras.metrics.top_k_categorical_accuracy(a, b, k=2), onehot, probs),
        (lambda a, b: runtime._sparse_top_k_categorical_accuracy(a, b, k=2),
         lambda a, b: keras.metrics.sparse_top_k_categorical_accuracy(a, b, k=2), labels, probs),
    ]
    for ours, theirs, y_true, y_pred in metrics:
        np.testing.assert_array_equal(np.asarray(ours(y_true, y_pred)), np.asarray(theirs(y_true, y_pred)))
    print(f"\nlosses on clipped probabilities: worst relative difference {worst:.2e}")
    assert worst <= RTOL
