"""The runtime training layer (``runtime/tfr_training.py`` and its optimizers, schedules,
losses, metrics and callbacks) against Keras: the same model, the same perturbed initial
weights, the same batches (``shuffle=False``), trained both ways.

Tolerance: float32 arithmetic in the same order, so ``max|tf - keras| <= 1e-5 * max(1, |keras|)``
for every History value, ``evaluate`` result and weight (the worst seen is 0 to a few ulps; a
few optimizers round differently by ~1e-7). Randomness (``shuffle=True``) is tested by
properties. Every test trains 2-3 epochs on 40-60 samples.
"""

from __future__ import annotations

import functools
import os
import types
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed

pytestmark = pytest.mark.tf

TOL = 1e-5


@functools.lru_cache(maxsize=1)
def rt() -> Any:
    """The runtime as a translated training script holds it (the training layer installed)."""
    from kerastf_xlate.totf.program.bundle import load_runtime

    runtime = load_runtime()
    source = "import tensorflow as tf\n" + runtime.source(set(runtime.public) | {"_TRAINING"})
    namespace: dict[str, Any] = {"__name__": "xlate_training_runtime"}
    exec(compile(source, "<xlate runtime bundle>", "exec"), namespace)
    return types.SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def data(n: int = 48, features: int = 4, classes: int = 3, seed: int = 0) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = rng.integers(0, classes, size=(n,))
    return x, y


def twins(out: int = 3, activation: str | None = "softmax", seed: int = 0) -> tuple[Any, Any]:
    """A Keras Sequential and its runtime twin with the same perturbed weights."""
    import keras

    keras.utils.set_random_seed(seed)
    k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(out, activation=activation)])
    t = rt().Sequential([rt().Input((4,)), rt().Dense(8, activation="relu"), rt().Dense(out, activation=activation)])
    weights = perturbed(k.get_weights(), seed=seed)
    k.set_weights(weights)
    t.set_weights(weights)
    return k, t


def close(a: Any, b: Any, what: str = "") -> float:
    """Assert nested numbers/arrays agree within TOL (relative to max(1, |a|)); the worst difference."""
    import numpy as np

    if isinstance(a, dict):
        assert list(a) == list(b), f"{what}: keys {list(a)} != {list(b)}"
        return max([close(a[k], b[k], f"{what}[{k}]") for k in a] + [0.0])
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{what}: {len(a)} != {len(b)} entries"
        return max([close(x, y, f"{what}[{i}]") for i, (x, y) in enumerate(zip(a, b))] + [0.0])
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = max(1.0, float(np.max(np.abs(a))) if a.size else 1.0)
    assert diff <= TOL * scale, f"{what}: differs by {diff} (scale {scale})"
    return diff


def train_both(make_optimizer: str, loss: Any = "sparse_categorical_crossentropy", metrics: Any = ("accuracy",),
               out: int = 3, activation: str | None = "softmax", y: Any = None, epochs: int = 3, **fit: Any) -> None:
    """Compile and fit the twins with the optimizer expression (on ``opt``) and compare everything."""
    import keras

    x, labels = data(classes=out if out > 1 else 2)
    y = labels if y is None else y
    k, t = twins(out, activation)
    k.compile(optimizer=eval(make_optimizer, {"opt": keras.optimizers, "sch": keras.optimizers.schedules}),
              loss=loss, metrics=list(metrics))
    t.compile(optimizer=eval(make_optimizer, {"opt": rt(), "sch": rt()}), loss=loss, metrics=list(metrics))
    hk = k.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0, **fit)
    ht = t.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0, **fit)
    close(hk.history, ht.history, "history")
    assert ht.epoch == hk.epoch
    close(k.get_weights(), t.get_weights(), "weights")
    close(k.evaluate(x, y, verbose=0), t.evaluate(x, y, verbose=0), "evaluate")
    close(k.evaluate(x, y, verbose=0, return_dict=True), t.evaluate(x, y, verbose=0, return_dict=True), "evaluate dict")
    close(k.predict(x[:10], verbose=0), t.predict(x[:10], verbose=0), "predict")


OPTIMIZERS = [
    "opt.SGD(0.05)",
    "opt.SGD(0.05, momentum=0.9)",
    "opt.SGD(0.05, momentum=0.9, nesterov=True, global_clipnorm=1.0, weight_decay=0.01)",
    "opt.Adam(0.01)",
    "opt.Adam(0.01, amsgrad=True, clipnorm=0.5)",
    "opt.AdamW(0.01)",
    "opt.RMSprop(0.01)",
    "opt.RMSprop(0.01, momentum=0.5, centered=True, clipvalue=0.1)",
    "opt.Adagrad(0.1)",
    "opt.Adadelta(1.0)",
    "opt.Adamax(0.01)",
    "opt.Nadam(0.01, clipnorm=1.0)",
    "opt.Lion(0.003)",
    "opt.Lion(0.003, weight_decay=0.1)",
    "'adam'",
    "'rmsprop'",
]


FAST_OPTIMIZERS = {OPTIMIZERS[2], OPTIMIZERS[4], OPTIMIZERS[11], OPTIMIZERS[13]}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_optimizer_steps(optimizer: str) -> None:
    """Six updates of a dense and an embedding-style (IndexedSlices, a row seen twice)
    gradient, eagerly, learning rate from a schedule or a number."""
    import keras
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(4)
    start = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")]
    grads = [(rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(3, 2)).astype("float32")) for _ in range(6)]
    ends = []
    for mod in (keras.optimizers, rt()):
        opt = eval(optimizer, {"opt": mod})
        if isinstance(opt, str):
            opt = mod.get(opt) if mod is keras.optimizers else rt().optimizers_get(opt)
        if mod is keras.optimizers:
            variables = [keras.Variable(v) for v in start]
        else:
            variables = [tf.Variable(v) for v in start]
        for dense, rows in grads:
            sparse = tf.IndexedSlices(tf.constant(rows), tf.constant([0, 3, 0]), tf.constant([5, 2]))
            opt.apply_gradients(zip([tf.constant(dense), sparse], variables))
        ends.append([np.asarray(v) for v in variables])
    close(ends[0], ends[1], optimizer)


@pytest.mark.parametrize("optimizer", [pytest.param(o, marks=() if o in FAST_OPTIMIZERS else pytest.mark.slow)
                                       for o in OPTIMIZERS])
def test_optimizer_trajectory(optimizer: str) -> None:
    train_both(optimizer, validation_split=0.25)


SCHEDULES = [
    "sch.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5)",
    "sch.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5, staircase=True)",
    "sch.PiecewiseConstantDecay([2, 5], [0.05, 0.02, 0.005])",
    "sch.PolynomialDecay(0.05, decay_steps=6, end_learning_rate=0.001, power=2.0)",
    "sch.PolynomialDecay(0.05, decay_steps=4, cycle=True)",
    "sch.InverseTimeDecay(0.05, decay_steps=2, decay_rate=0.7)",
    "sch.CosineDecay(0.05, decay_steps=7, alpha=0.1)",
    "sch.CosineDecay(0.0, decay_steps=5, warmup_target=0.05, warmup_steps=3)",
    "sch.CosineDecayRestarts(0.05, first_decay_steps=3)",
    "sch.CosineDecayRestarts(0.05, first_decay_steps=3, t_mul=1.0, m_mul=0.5)",
]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_schedule_values(schedule: str) -> None:
    import keras

    k = eval(schedule, {"sch": keras.optimizers.schedules})
    t = eval(schedule, {"sch": rt()})
    close([float(k(step)) for step in range(20)], [float(t(step)) for step in range(20)], "schedule")


@pytest.mark.parametrize("schedule", [pytest.param(s, marks=() if i in (0, 8) else pytest.mark.slow)
                                      for i, s in enumerate(SCHEDULES)])
def test_schedule_in_training(schedule: str) -> None:
    train_both(f"opt.SGD(learning_rate={schedule}, momentum=0.5)", epochs=2)


def test_custom_learning_rate_schedule() -> None:
    """A LearningRateSchedule subclass written against each base, used by Adam."""
    import keras

    def make(base: type) -> Any:
        class WarmUp(base):  # type: ignore[misc, valid-type]
            def __init__(self, peak: float, steps: int) -> None:
                self.peak, self.steps = peak, steps

            def __call__(self, step: Any) -> Any:
                import tensorflow as tf

                step = tf.cast(step, "float32")
                return self.peak * tf.minimum(1.0, (step + 1.0) / self.steps)

        return WarmUp(0.02, 4)

    keras_schedule = make(keras.optimizers.schedules.LearningRateSchedule)
    runtime_schedule = make(rt().LearningRateSchedule)
    x, y = data()
    k, t = twins()
    k.compile(keras.optimizers.Adam(keras_schedule), "sparse_categorical_crossentropy")
    t.compile(rt().Adam(runtime_schedule), "sparse_categorical_crossentropy")
    close(k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history,
          t.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history)
    close(k.get_weights(), t.get_weights())


LOSSES = [
    ("'sparse_categorical_crossentropy'", 3, "softmax", "int"),
    ("loss.SparseCategoricalCrossentropy(from_logits=True)", 3, None, "int"),
    ("'categorical_crossentropy'", 3, "softmax", "onehot"),
    ("loss.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)", 3, None, "onehot"),
    ("'crossentropy'", 3, "softmax", "int"),
    ("'binary_crossentropy'", 1, "sigmoid", "binary"),
    ("loss.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)", 1, None, "binary"),
    ("loss.BinaryFocalCrossentropy(gamma=2.0, apply_class_balancing=True)", 1, "sigmoid", "binary"),
    ("'mse'", 1, None, "real"),
    ("'mae'", 1, None, "real"),
    ("loss.MeanSquaredError(reduction='sum')", 1, None, "real"),
    ("loss.MeanAbsoluteError(reduction='mean_with_sample_weight')", 1, None, "real"),
    ("loss.Huber(delta=0.5)", 1, None, "real"),
    ("loss.LogCosh()", 1, None, "real"),
    ("'mape'", 1, None, "real"),
    ("'msle'", 1, "softplus", "positive"),
    ("'poisson'", 1, "softplus", "positive"),
    ("loss.Hinge()", 1, "tanh", "binary"),
    ("loss.SquaredHinge()", 1, "tanh", "binary"),
    ("loss.CategoricalHinge()", 3, None, "onehot"),
    ("loss.KLDivergence()", 3, "softmax", "onehot"),
    ("loss.CosineSimilarity()", 3, None, "onehot"),
]


def _targets(kind: str, n: int = 48) -> Any:
    import numpy as np

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=(n,))
    return {"int": labels, "onehot": np.eye(3, dtype="float32")[labels],
            "binary": rng.integers(0, 2, size=(n, 1)).astype("float32"),
            "real": rng.normal(size=(n, 1)).astype("float32"),
            "positive": rng.uniform(0.1, 2.0, size=(n, 1)).astype("float32")}[kind]


@pytest.mark.parametrize("loss, out, activation, kind", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_values_with_sample_weight(loss: str, out: int, activation: str | None, kind: str) -> None:
    """Each loss on outputs of the twin model (so softmax/sigmoid outputs are real ones), with
    and without per-sample weights, eagerly."""
    import keras
    import numpy as np

    x, _ = data()
    y = _targets(kind)
    weights = np.linspace(0.2, 2.0, len(x)).astype("float32")
    k, t = twins(out, activation)
    pred = np.asarray(k(x))
    kl = eval(loss, {"loss": keras.losses})
    tl = eval(loss, {"loss": rt()})
    if kl == "crossentropy":
        pytest.skip("'crossentropy' is a compile() spelling, not a loss name (trained below)")
    if isinstance(kl, str):
        kl, tl = keras.losses.get(kl), rt().losses_get(tl)
    if not isinstance(kl, keras.losses.Loss):  # a loss function: per-sample values, no weights
        close(np.asarray(kl(y, pred)), tl(y, pred).numpy(), loss)
        return
    for sw in (None, weights):
        expected = np.asarray(kl(y, pred, sample_weight=sw) if sw is not None else kl(y, pred))
        got = (tl(y, pred, sample_weight=sw) if sw is not None else tl(y, pred)).numpy()
        close(expected, got, loss)


@pytest.mark.parametrize("loss, out, activation, kind",
                         [pytest.param(*c, marks=() if i in (0, 3, 7, 11) else pytest.mark.slow)
                          for i, c in enumerate(LOSSES)], ids=[c[0] for c in LOSSES])
def test_loss_trajectory_with_sample_weight(loss: str, out: int, activation: str | None, kind: str) -> None:
    import keras
    import numpy as np

    x, _ = data()
    y = _targets(kind)
    weights = np.linspace(0.2, 2.0, len(x)).astype("float32")
    k, t = twins(out, activation)
    k.compile(keras.optimizers.SGD(0.05), eval(loss, {"loss": keras.losses}))
    t.compile(rt().SGD(0.05), eval(loss, {"loss": rt()}))
    hk = k.fit(x, y, sample_weight=weights, batch_size=16, epochs=2, shuffle=False, verbose=0)
    ht = t.fit(x, y, sample_weight=weights, batch_size=16, epochs=2, shuffle=False, verbose=0)
    close(hk.history, ht.history)
    close(k.get_weights(), t.get_weights())


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None])
def test_loss_object_reductions(reduction: str | None) -> None:
    import keras
    import numpy as np

    rng = np.random.default_rng(2)
    y_true = rng.normal(size=(6, 3)).astype("float32")
    y_pred = rng.normal(size=(6, 3)).astype("float32")
    weight = rng.uniform(0, 2, size=(6,)).astype("float32")
    for name in ("MeanSquaredError", "MeanAbsoluteError", "Huber", "LogCosh"):
        k = getattr(keras.losses, name)(reduction=reduction)
        t = getattr(rt(), name)(reduction=reduction)
        close(np.asarray(k(y_true, y_pred, sample_weight=weight)), t(y_true, y_pred, sample_weight=weight).numpy(), name)
        close(np.asarray(k(y_true, y_pred)), t(y_true, y_pred).numpy(), name)


METRICS = [
    ("metric.Mean()", "values"),
    ("metric.Sum()", "values"),
    ("metric.Accuracy()", "labels"),
    ("metric.BinaryAccuracy(threshold=0.6)", "binary"),
    ("metric.CategoricalAccuracy()", "onehot"),
    ("metric.SparseCategoricalAccuracy()", "sparse"),
    ("metric.TopKCategoricalAccuracy(k=2)", "onehot"),
    ("metric.SparseTopKCategoricalAccuracy(k=2)", "sparse"),
    ("metric.RootMeanSquaredError()", "real"),
    ("metric.Precision()", "binary"),
    ("metric.Recall()", "binary"),
    ("metric.AUC()", "binary"),
    ("metric.AUC(num_thresholds=17, from_logits=True)", "logits"),
    ("metric.AUC(curve='PR')", "binary"),  # the imbalanced-data tutorial's PR AUC
    ("metric.AUC(num_thresholds=9, curve='PR', from_logits=True)", "logits"),
]


@pytest.mark.parametrize("expr, kind", METRICS, ids=[m[0] for m in METRICS])
def test_metric_states(expr: str, kind: str) -> None:
    """Two weighted batches and one unweighted, the result after each, then reset."""
    import keras
    import numpy as np

    rng = np.random.default_rng(3)
    k = eval(expr, {"metric": keras.metrics})
    t = eval(expr.replace("metric.", "metric.", 1), {"metric": rt()})
    for i in range(3):
        probs = rng.dirichlet(np.ones(3), size=8).astype("float32")
        labels = rng.integers(0, 3, size=(8,))
        args = {"values": (rng.normal(size=(8, 2)).astype("float32"),),
                "labels": (labels, rng.integers(0, 3, size=(8,))),
                "binary": (rng.integers(0, 2, size=(8, 1)), rng.uniform(size=(8, 1)).astype("float32")),
                "logits": (rng.integers(0, 2, size=(8, 1)), rng.normal(size=(8, 1)).astype("float32") * 3),
                "onehot": (np.eye(3)[labels], probs), "sparse": (labels, probs),
                "real": (rng.normal(size=(8, 1)), rng.normal(size=(8, 1)))}[kind]
        weight = None if i == 2 else rng.uniform(0, 2, size=(8,)).astype("float32")
        k.update_state(*args, sample_weight=weight)
        t.update_state(*args, sample_weight=weight)
        close(float(k.result()), float(t.result()), f"{expr} batch {i}")
    k.reset_state()
    t.reset_state()
    close(float(k.result()), float(t.result()), "after reset")


def test_metrics_in_fit_named_and_weighted() -> None:
    """Metric strings, objects and functions; weighted_metrics get the sample weights."""
    import keras
    import numpy as np

    x, _ = data()
    y = _targets("binary")
    sw = np.linspace(0.5, 1.5, len(x)).astype("float32")

    def compile_fit(m: Any, mod: Any, opt: Any) -> Any:
        m.compile(opt.Adam(0.01), "binary_crossentropy",
                  metrics=["accuracy", mod.AUC(name="auc"), mod.Precision(name="precision"), "mse"],
                  weighted_metrics=["accuracy"])
        return m.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0)

    k, t = twins(1, "sigmoid")
    hk = compile_fit(k, keras.metrics, keras.optimizers)
    ht = compile_fit(t, rt(), rt())
    close(hk.history, ht.history)


@pytest.mark.parametrize("loss, metrics", [("MAE", ["MSE", "MAPE", "msle"]), ("MSE", ["MAE", "MSLE", "mape"]),
                                           ("MAPE", ["mean_absolute_percentage_error"]), ("MSLE", ["mae"])])
def test_upper_case_loss_and_metric_aliases(loss: str, metrics: list[str]) -> None:
    """Keras 3's aliases (`loss="MAE"`, `metrics=["MSE", "mape"]`, as a course's notebooks
    write them): the same losses, history keys and values."""
    import keras

    x, _ = data()
    y = _targets("positive")  # (MAPE and MSLE read positive targets)
    k, t = twins(1, None)
    k.compile(keras.optimizers.SGD(0.01), loss, metrics=metrics)
    t.compile(rt().SGD(0.01), loss, metrics=metrics)
    hk = k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    ht = t.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert sorted(hk) == sorted(ht) == sorted(["loss", *metrics]), (hk, ht)
    close(hk, ht)


def test_every_name_the_static_check_lets_through_is_one_the_runtime_takes() -> None:
    """training_checks.py's LOSS_NAMES / METRIC_NAMES are what a translated `compile` may be
    given: each must resolve in the runtime (or else the translation raises where Keras ran)."""
    from kerastf_xlate.totf.program.training_checks import LOSS_NAMES, METRIC_NAMES

    r = rt()
    special = {"crossentropy", "ce", "accuracy", "acc"}
    missing = [n for n in sorted(LOSS_NAMES - special) if not _resolves(r.losses_get, n)]
    missing += [n for n in sorted(METRIC_NAMES - special) if not _resolves(r.metrics_get, n)]
    assert not missing, missing


def _resolves(get: Any, name: str) -> bool:
    try:
        return get(name) is not None
    except ValueError:
        return False


def test_class_weight() -> None:
    train_both("opt.Adam(0.01)", class_weight={0: 1.0, 1: 3.0, 2: 0.5}, epochs=2)


def test_tf_data_and_validation_data() -> None:
    import tensorflow as tf

    x, y = data()
    train = tf.data.Dataset.from_tensor_slices((x[:36], y[:36])).batch(10)
    val = (x[36:], y[36:])
    import keras

    k, t = twins()
    k.compile(keras.optimizers.RMSprop(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    t.compile(rt().RMSprop(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    close(k.fit(train, epochs=2, validation_data=val, verbose=0).history,
          t.fit(train, epochs=2, validation_data=val, verbose=0).history)
    close(k.get_weights(), t.get_weights())
    close(k.evaluate(train, verbose=0), t.evaluate(train, verbose=0))


def test_train_on_batch_and_test_on_batch() -> None:
    import keras

    x, y = data()
    k, t = twins()
    k.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    t.compile(rt().Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    for i in range(3):
        batch = slice(16 * i, 16 * (i + 1))
        close(k.train_on_batch(x[batch], y[batch]), t.train_on_batch(x[batch], y[batch]), f"train_on_batch {i}")
    close(k.test_on_batch(x, y, return_dict=True), t.test_on_batch(x, y, return_dict=True))
    close(k.predict_on_batch(x[:5]), t.predict_on_batch(x[:5]))
    close(k.get_weights(), t.get_weights())


def test_shuffle_visits_every_sample_once_per_epoch() -> None:
    """shuffle=True draws a different order (tf.data's generator, not Keras's): every sample
    still counts once per epoch, so one epoch of a zero-learning-rate model reports the loss of
    the whole training set whatever the order."""
    import keras

    x, y = data()
    k, t = twins()
    k.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    t.compile(rt().SGD(0.0), "sparse_categorical_crossentropy")
    close(k.fit(x, y, batch_size=7, epochs=2, shuffle=True, verbose=0).history,
          t.fit(x, y, batch_size=7, epochs=2, shuffle=True, verbose=0).history)


# --- callbacks ---------------------------------------------------------------------------


def _recorder(base: type) -> Any:
    class Recorder(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[Any] = []

        def _log(self, hook: str, index: Any, logs: Any) -> None:
            self.calls.append((hook, index, {k: round(float(v), 4) for k, v in sorted((logs or {}).items())}))

        def on_train_begin(self, logs: Any = None) -> None:
            self._log("train_begin", None, logs)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._log("epoch_begin", epoch, logs)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._log("epoch_end", epoch, logs)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self._log("batch_end", batch, logs)

        def on_test_begin(self, logs: Any = None) -> None:
            self._log("test_begin", None, logs)

        def on_test_end(self, logs: Any = None) -> None:
            self._log("test_end", None, logs)

        def on_train_end(self, logs: Any = None) -> None:
            self._log("train_end", None, logs)

    return Recorder()


def test_callbacks_hooks_logs_and_rules(tmp_path: Any) -> None:
    """A custom Callback sees the same hooks and logs; EarlyStopping (restore_best_weights),
    ReduceLROnPlateau and CSVLogger act the same; ModelCheckpoint saves the same epochs."""
    import keras

    x, y = data(60)
    results = {}
    for side, mod, opt in (("keras", keras.callbacks, keras.optimizers), ("tf", rt(), rt())):
        k_or_t = twins()[0 if side == "keras" else 1]
        k_or_t.compile(opt.SGD(0.3, momentum=0.9), "sparse_categorical_crossentropy", metrics=["accuracy"])
        recorder = _recorder(mod.Callback)
        saved: list[int] = []
        checkpoint_dir = tmp_path / side
        callbacks = [
            recorder,
            mod.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.05),
            mod.EarlyStopping(monitor="val_accuracy", patience=2, restore_best_weights=True),
            mod.CSVLogger(str(tmp_path / f"{side}.csv")),
            mod.ModelCheckpoint(str(checkpoint_dir / "e{epoch}.weights.h5"), monitor="val_loss", save_best_only=True,
                                save_weights_only=True),
        ]
        history = k_or_t.fit(x, y, batch_size=16, epochs=8, validation_split=0.25, shuffle=False, verbose=0,
                             callbacks=callbacks)
        saved = sorted(int(p.name.split(".")[0][1:]) for p in checkpoint_dir.iterdir()
                       if p.name.endswith((".weights.h5", ".weights.h5.index")))
        results[side] = (recorder.calls, history.history, history.epoch, k_or_t.get_weights(),
                         (tmp_path / f"{side}.csv").read_text().splitlines()[0], saved)
    (kc, kh, ke, kw, kcsv, ks), (tc, th, te, tw, tcsv, ts) = results["keras"], results["tf"]
    assert [c[:2] for c in kc] == [c[:2] for c in tc]
    for a, b in zip(kc, tc):
        close(a[2], b[2], f"logs of {a[:2]}")
    close(kh, th)
    assert ke == te and len(ke) < 8, "EarlyStopping stops at the same epoch, before the last"
    close(kw, tw, "restored weights")
    assert kcsv == tcsv
    assert ks == ts and ks


@pytest.mark.parametrize("save_freq, best", [(3, False), (2, True)])
def test_model_checkpoint_every_n_batches(tmp_path: Any, save_freq: int, best: bool) -> None:
    """``ModelCheckpoint(save_freq=N)`` saves after the same batches as Keras (counted across
    epochs: 60 samples in batches of 16 is 4 batches an epoch), named by ``{epoch}`` and
    ``{batch}``, and what it saves last is the same weights. With ``save_best_only`` on a
    value the batch logs lack (``val_loss``), both warn and save every time."""
    import warnings

    import keras

    x, y = data(60)
    saved = {}
    for side, mod in (("keras", keras.callbacks), ("tf", rt())):
        model = twins()[0 if side == "keras" else 1]
        model.compile((keras.optimizers if side == "keras" else rt()).SGD(0.1), "sparse_categorical_crossentropy")
        where = tmp_path / side
        checkpoint = mod.ModelCheckpoint(str(where / "e{epoch}b{batch}.weights.h5"), save_weights_only=True,
                                         save_freq=save_freq, save_best_only=best)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[checkpoint])
        assert any("save best model only" in str(w.message) for w in caught) == best
        saved[side] = sorted({p.name.split(".")[0] for p in where.iterdir()})
        last = saved[side][-1] if side == "keras" else None
        if side == "keras":
            fresh = twins(seed=1)[0]
            fresh.load_weights(str(where / f"{last}.weights.h5"))
            keras_last = fresh.get_weights()
        else:
            fresh_tf = twins(seed=1)[1]
            fresh_tf.load_weights(str(where / f"{saved['keras'][-1]}.weights.h5"))
            close(keras_last, fresh_tf.get_weights(), "the last checkpoint")
    expected = {"e1b3", "e2b2", "e3b1", "e3b4"} if save_freq == 3 else {f"e{e}b{b}" for e in (1, 2, 3) for b in (2, 4)}
    assert saved["keras"] == saved["tf"] == sorted(expected)


def test_learning_rate_scheduler_and_terminate_on_nan() -> None:
    import keras
    import numpy as np

    x, y = data()
    histories = []
    for mod, opt, model in ((keras.callbacks, keras.optimizers, twins()[0]), (rt(), rt(), twins()[1])):
        model.compile(opt.SGD(0.1), "sparse_categorical_crossentropy")
        sched = mod.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
        histories.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[sched]).history)
        # one callback, not in a list, as Keras takes it (the TensorFlow simple_audio tutorial)
        stop = mod.EarlyStopping(monitor="loss", min_delta=10.0, patience=1)
        histories.append(model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0, callbacks=stop).history)
    close(histories[0], histories[2])
    close(histories[1], histories[3])
    assert len(histories[3]["loss"]) == 2  # stopped by the callback
    assert histories[2]["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    bad = _targets("real")
    bad[20] = np.nan
    _, t = twins(1, None)
    t.compile(rt().SGD(0.1), "mse")
    h = t.fit(x, bad, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[rt().TerminateOnNaN()])
    assert len(h.epoch) == 1 and np.isnan(h.history["loss"][0])


# --- models that train themselves ---------------------------------------------------------


def test_custom_train_step_with_trackers_and_metrics_property() -> None:
    """A Model subclass overriding compile, train_step, test_step and metrics (keras-io style)."""
    import keras
    import tensorflow as tf

    def make(base: Any, layers: Any, mean: Any, opt: Any) -> Any:
        class Regressor(base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                super().__init__()
                self.hidden = layers.Dense(8, activation="relu")
                self.out = layers.Dense(1)
                self.loss_tracker = mean(name="loss")
                self.mae_tracker = mean(name="mae")

            def call(self, inputs: Any, training: Any = None) -> Any:
                return self.out(self.hidden(inputs))

            def compile(self, optimizer: Any, scale: float) -> None:
                super().compile()
                self.opt = optimizer
                self.scale = scale

            @property
            def metrics(self) -> list[Any]:
                return [self.loss_tracker, self.mae_tracker]

            def train_step(self, data: Any) -> Any:
                x, y = data
                with tf.GradientTape() as tape:
                    pred = self(x, training=True)
                    loss = self.scale * tf.reduce_mean(tf.square(tf.cast(y, "float32") - pred[:, 0]))
                grads = tape.gradient(loss, self.trainable_weights)
                self.opt.apply_gradients(zip(grads, self.trainable_weights))
                self.loss_tracker.update_state(loss)
                self.mae_tracker.update_state(tf.abs(tf.cast(y, "float32") - pred[:, 0]))
                return {m.name: m.result() for m in self.metrics}

            def test_step(self, data: Any) -> Any:
                x, y = data
                pred = self(x, training=False)
                self.loss_tracker.update_state(self.scale * tf.reduce_mean(tf.square(tf.cast(y, "float32") - pred[:, 0])))
                self.mae_tracker.update_state(tf.abs(tf.cast(y, "float32") - pred[:, 0]))
                return {m.name: m.result() for m in self.metrics}

        model = Regressor()
        model.compile(opt.Adam(0.01), scale=0.5)
        return model

    x, _ = data()
    y = _targets("real")[:, 0]
    k = make(keras.Model, keras.layers, keras.metrics.Mean, keras.optimizers)
    t = make(rt().Model, rt(), rt().Mean, rt())
    k(x[:1])
    t(x[:1])
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    t.set_weights(weights)
    close(k.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0).history,
          t.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0).history)
    close(k.get_weights(), t.get_weights())
    close(k.evaluate(x, y, verbose=0), t.evaluate(x, y, verbose=0))


def test_add_loss_in_layers_and_model() -> None:
    """Losses added in call() by a custom layer join the compiled loss (and are not kept
    from one step to the next)."""
    import keras
    import tensorflow as tf

    def make(base_layer: Any, layers: Any, seq: Any, inp: Any) -> Any:
        class Penalised(base_layer):  # type: ignore[misc, valid-type]
            def call(self, inputs: Any) -> Any:
                self.add_loss(0.01 * tf.reduce_sum(tf.square(inputs)))
                return inputs

        return seq([inp((4,)), layers.Dense(8, activation="relu"), Penalised(), layers.Dense(3, activation="softmax")])

    k = make(keras.layers.Layer, keras.layers, keras.Sequential, keras.Input)
    t = make(rt().Layer, rt(), rt().Sequential, rt().Input)
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    t.set_weights(weights)
    x, y = data()
    k.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    t.compile(rt().Adam(0.01), "sparse_categorical_crossentropy")
    close(k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history,
          t.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history)
    close(k.get_weights(), t.get_weights())
    t(x[:4])
    assert len(t.losses) == 1


def test_subclassed_two_outputs_loss_trackers_named_by_loss() -> None:
    """A subclassed model returning a tuple has no output names: Keras names each output's loss
    tracker after its loss (``mse_loss``, ``categorical_crossentropy_loss``); the runtime
    named both ``None_loss``, one hiding the other in the logs (fchollet chapter07)."""
    import keras
    import numpy as np

    def twin(base: Any, layers: Any) -> Any:
        class Ticket(base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                super().__init__()
                self.mix = layers.Dense(8, activation="relu")
                self.score = layers.Dense(1, activation="sigmoid")
                self.kind = layers.Dense(3, activation="softmax")

            def call(self, inputs: Any) -> Any:
                hidden = self.mix(inputs)
                return self.score(hidden), self.kind(hidden)

        return Ticket()

    k, t = twin(keras.Model, keras.layers), twin(rt().Model, rt())
    x, labels = data()
    k(x[:2])
    t(x[:2])
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    t.set_weights(weights)
    score = np.linspace(0, 1, len(x)).astype("float32")[:, None]
    onehot = np.eye(3, dtype="float32")[labels]
    for m, mod in ((k, keras), (t, rt())):
        m.compile(mod.optimizers.RMSprop(0.01) if mod is keras else mod.RMSprop(0.01),
                  loss=["mse", mod.losses.CategoricalCrossentropy() if mod is keras else mod.CategoricalCrossentropy()],
                  metrics=[["mae"], ["accuracy"]])
    hk = k.fit(x, [score, onehot], batch_size=16, epochs=2, shuffle=False, verbose=0)
    ht = t.fit(x, [score, onehot], batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert "categorical_crossentropy_loss" in hk.history and "mse_loss" in hk.history
    close(hk.history, ht.history)
    close(k.get_weights(), t.get_weights())
    close(k.evaluate(x, [score, onehot], verbose=0, return_dict=True),
          t.evaluate(x, [score, onehot], verbose=0, return_dict=True))


def test_two_outputs_with_loss_dict_weights_and_metrics() -> None:
    import keras
    import numpy as np

    def graph(layers: Any, inp: Any) -> Any:
        inputs = inp((4,), name="features")
        hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
        kind = layers.Dense(3, activation="softmax", name="kind")(hidden)
        size = layers.Dense(1, name="size")(hidden)
        return inputs, [kind, size]

    k = keras.Model(*graph(keras.layers, keras.Input))
    t = rt().Model(lambda: graph(rt(), rt().Input))
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    t.set_weights(weights)
    x, labels = data()
    size = _targets("real")
    sw = np.linspace(0.5, 1.5, len(x)).astype("float32")
    for m, opt in ((k, keras.optimizers), (t, rt())):
        m.compile(opt.Adam(0.01), loss={"kind": "sparse_categorical_crossentropy", "size": "mse"},
                  loss_weights={"kind": 1.0, "size": 0.3}, metrics={"kind": ["accuracy"], "size": ["mae"]})
    # (Keras 3.15 fails on a dict of targets with one sample_weight array: the list form here)
    hk = k.fit(x, [labels, size], sample_weight=sw, batch_size=16, epochs=2, validation_split=0.25,
               shuffle=False, verbose=0)
    ht = t.fit(x, [labels, size], sample_weight=sw, batch_size=16, epochs=2, validation_split=0.25,
               shuffle=False, verbose=0)
    close(hk.history, ht.history)
    close(k.get_weights(), t.get_weights())
    close(k.evaluate(x, {"kind": labels, "size": size}, verbose=0),
          t.evaluate(x, {"kind": labels, "size": size}, verbose=0))
