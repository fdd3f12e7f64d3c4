"""More of the runtime training layer against Keras (issue #16): the TensorBoard callback's
event files, the optimizers Ftrl, Adafactor and LossScaleOptimizer, EMA (``use_ema``),
``loss_scale_factor``, the confusion-count metrics (TruePositives...), the IoU metrics, and
metric classes named by strings in ``compile``.

Same method and tolerance as ``tests/test_runtime_training.py`` (whose helpers it uses): the
same model, perturbed weights and batches both ways; ``|tf - keras| <= 1e-5 * max(1, |keras|)``
for every number; each test prints nothing and takes a few seconds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from test_runtime_training import close, data, rt, train_both, twins

pytestmark = pytest.mark.tf


# --- TensorBoard ------------------------------------------------------------------------------


def _events(log_dir: Path) -> dict[tuple[str, str, int], Any]:
    """Every summary value under ``log_dir``: (run, tag, step) -> the tensor as a NumPy array."""
    import tensorflow as tf

    out = {}
    for path in sorted(log_dir.rglob("events.out.tfevents.*")):
        run = path.parent.relative_to(log_dir).as_posix()
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                out[(run, value.tag, int(event.step))] = tf.make_ndarray(value.tensor)
    return out


def test_tensorboard_writes_keras_scalars_and_histograms(tmp_path: Path) -> None:
    """The same runs, tags, steps and values as Keras's callback: epoch and validation
    scalars, the learning rate, evaluation-vs-iterations, batch scalars every 2 batches, weight
    histograms every epoch (the graph is not written: ``write_graph=False`` on both sides)."""
    pytest.importorskip("tensorboard")  # tf.summary's writers, Keras's callback's and the runtime's
    import keras

    x, y = data()
    k, t = twins()
    for model, mod in ((k, keras), (t, rt())):
        model.compile(optimizer=mod.optimizers.Adam(0.01) if mod is keras else mod.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = {}
    for name, model, mod in (("keras", k, keras.callbacks), ("tf", t, rt())):
        board = mod.TensorBoard(log_dir=str(tmp_path / name), histogram_freq=1, update_freq=2, write_graph=False)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_split=0.25, callbacks=[board])
        logs[name] = _events(tmp_path / name)

    def by_position(events: dict, model: object) -> dict:
        """Histogram tags name the model and its layers by their automatic names, which depend
        on what the test process built before: compared by position instead."""
        names = {model.name: "model"} | {layer.name: f"layer{i}" for i, layer in enumerate(model.layers)}  # type: ignore[attr-defined]

        def tag(t: str) -> str:
            parts = t.split("/")
            return "/".join(names.get(p, p) if i < 2 else p for i, p in enumerate(parts)) if len(parts) > 2 else t
        return {(run, tag(t), step): v for (run, t, step), v in events.items()}

    keras_events, tf_events = by_position(logs["keras"], k), by_position(logs["tf"], t)
    assert sorted(keras_events) == sorted(tf_events)
    tags = {tag for _, tag, _ in keras_events}
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss",
            "evaluation_loss_vs_iterations", "model/layer0/kernel/histogram"} <= tags, tags
    worst = max(close(keras_events[key], tf_events[key], str(key)) for key in keras_events)
    assert worst <= 1e-5


def test_tensorboard_epoch_only_and_unsupported_arguments(tmp_path: Path) -> None:
    """``update_freq="epoch"`` writes no batch scalars; the graph is skipped; what the runtime
    does not write (images, profiler, projector) raises rather than being silently dropped."""
    pytest.importorskip("tensorboard")
    x, y = data()
    _, t = twins()
    t.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    t.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[rt().TensorBoard(log_dir=str(tmp_path))])
    events = _events(tmp_path)
    assert {(run, tag) for run, tag, _ in events} == {("train", "epoch_loss"), ("train", "epoch_learning_rate")}
    for bad in ({"write_images": True}, {"embeddings_freq": 1}):
        with pytest.raises(NotImplementedError):
            rt().TensorBoard(log_dir=str(tmp_path), **bad)


def test_tensorboard_profile_batch_traces_the_batches_keras_traces(tmp_path: Path) -> None:
    """``profile_batch``: the TensorFlow profiler traces the same batches into the same place
    (``log_dir/train/plugins/profile/<run>/*.xplane.pb``) and the traced graphs are exported
    under the same tag and step (``batch_<stop>``); the batch scalars are Keras's. Both ways
    count batches over the whole ``fit`` (the range crosses an epoch). The values Keras checks
    are refused the same way."""
    pytest.importorskip("tensorboard")
    import keras

    x, y = data()
    k, t = twins()
    k.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    t.compile(optimizer=rt().SGD(0.01), loss="sparse_categorical_crossentropy")
    found = {}
    for name, model, mod in (("keras", k, keras.callbacks), ("tf", t, rt())):
        board = mod.TensorBoard(log_dir=str(tmp_path / name), profile_batch="3,5", update_freq="batch", write_graph=False)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[board])
        profiles = sorted((tmp_path / name / "train" / "plugins" / "profile").glob("*/*.xplane.pb"))
        events = _events(tmp_path / name)
        graphs = {tag for _, tag, _ in events if tag.startswith("batch_") and tag[6:].isdigit()}
        found[name] = (len(profiles), graphs, {key: v for key, v in events.items() if key[1] == "batch_loss"})
    assert found["keras"][0] == found["tf"][0] == 1, found
    assert found["keras"][1] == found["tf"][1], found
    keras_loss, tf_loss = found["keras"][2], found["tf"][2]
    assert sorted(keras_loss) == sorted(tf_loss) and len(keras_loss) == 2 * len(x) // 16
    assert max(close(keras_loss[key], tf_loss[key], str(key)) for key in keras_loss) <= 1e-5
    for bad in ("3", (5, 3), -1, "a,b"):
        with pytest.raises(ValueError):
            keras.callbacks.TensorBoard(log_dir=str(tmp_path / "k"), profile_batch=bad)
        with pytest.raises(ValueError):
            rt().TensorBoard(log_dir=str(tmp_path / "t"), profile_batch=bad)


# --- optimizers: Ftrl, Adafactor, EMA, loss_scale_factor, LossScaleOptimizer -------------------

STEP_OPTIMIZERS = [
    "opt.Ftrl(0.1)",
    "opt.Ftrl(0.1, learning_rate_power=-0.3, l1_regularization_strength=0.01, l2_regularization_strength=0.02, "
    "l2_shrinkage_regularization_strength=0.05, beta=0.5, initial_accumulator_value=0.3)",
    "opt.Adafactor(0.05)",
    "opt.Adafactor(0.5, relative_step=False, clip_threshold=0.5, beta_2_decay=-0.6)",
    "opt.Adafactor(opt.schedules.ExponentialDecay(0.05, 2, 0.5))",
    "opt.Adam(0.01, use_ema=True, ema_momentum=0.9)",
    "opt.SGD(0.05, momentum=0.9, use_ema=True, ema_overwrite_frequency=2)",
    "opt.Ftrl(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)",
]


@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_optimizer_steps(optimizer: str) -> None:
    """Six updates of a matrix, a rank-1 and an embedding-style variable (an IndexedSlices
    gradient with a row seen twice), eagerly; then Keras's end-of-fit EMA overwrite."""
    import keras
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(4)
    start = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(4,)).astype("float32"),
             rng.normal(size=(5, 2)).astype("float32")]
    grads = [[rng.normal(size=s.shape).astype("float32") for s in start[:2]] + [rng.normal(size=(3, 2)).astype("float32")]
             for _ in range(6)]
    ends = []
    for mod, schedules in ((keras.optimizers, keras.optimizers.schedules), (rt(), rt())):
        opt = eval(optimizer, {"opt": types_ns(mod, schedules)})
        variables = [keras.Variable(v) if mod is keras.optimizers else tf.Variable(v) for v in start]
        for dense, vector, rows in grads:
            sparse = tf.IndexedSlices(tf.constant(rows), tf.constant([0, 3, 0]), tf.constant([5, 2]))
            opt.apply_gradients(zip([tf.constant(dense), tf.constant(vector), sparse], variables))
        ends.append([np.asarray(v) for v in variables])
        opt.finalize_variable_values(variables)
        ends.append([np.asarray(v) for v in variables])
    close(ends[:2], ends[2:], optimizer)


def types_ns(mod: Any, schedules: Any) -> Any:
    """``opt.X`` for the optimizers and ``opt.schedules.X`` for the schedules of ``mod``."""
    import types

    ns = types.SimpleNamespace(**{k: getattr(mod, k) for k in dir(mod) if not k.startswith("_")})
    ns.schedules = schedules
    return ns


@pytest.mark.parametrize("optimizer", [
    "opt.Ftrl(0.2, l1_regularization_strength=0.001)",
    "opt.Adafactor(0.05)",
    "opt.Adam(0.01, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=4)",
    "opt.SGD(0.05, loss_scale_factor=128.0)",
    "opt.LossScaleOptimizer(opt.Adam(0.01), initial_scale=2.0 ** 10, dynamic_growth_steps=2)",
])
def test_optimizer_trajectory(optimizer: str) -> None:
    """fit/evaluate/predict both ways: EMA's averages written over the weights at the end of fit,
    the loss scaled in train_step and the gradients unscaled in apply."""
    train_both(optimizer, validation_split=0.25)


def test_loss_scale_optimizer_skips_non_finite_steps() -> None:
    """Steps with an infinite or NaN gradient are skipped and halve the scale; every
    ``dynamic_growth_steps`` finite steps double it; the gradients are divided by the scale."""
    import keras
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(5)
    start = rng.normal(size=(3, 2)).astype("float32")
    steps = [rng.normal(size=(3, 2)).astype("float32") * 1000 for _ in range(7)]
    steps[1][0, 0], steps[4][2, 1] = np.inf, np.nan
    ends = []
    for mod in (keras.optimizers, rt()):
        opt = mod.LossScaleOptimizer(mod.SGD(0.1, momentum=0.5), initial_scale=1024.0, dynamic_growth_steps=2)
        variable = keras.Variable(start) if mod is keras.optimizers else tf.Variable(start)
        trace = []
        for grad in steps:
            opt.apply_gradients([(tf.constant(grad), variable)])
            trace.append([np.asarray(variable), float(np.asarray(opt.dynamic_scale)), int(np.asarray(opt.iterations))])
        ends.append(trace)
        assert float(np.asarray(opt.scale_loss(tf.constant(2.0)))) == 2.0 * trace[-1][1]
    close(ends[0], ends[1], "LossScaleOptimizer")
    assert [s for _, s, _ in ends[1]] == [1024.0, 512.0, 512.0, 1024.0, 512.0, 512.0, 1024.0]


def test_apply_without_gradients_is_a_no_op() -> None:
    """``optimizer.apply([], [])`` (a frozen model's gradients in a custom loop) does nothing
    and counts no step, as Keras's ``apply``; later steps are the same both ways."""
    import keras
    import numpy as np
    import tensorflow as tf

    start = np.random.default_rng(6).normal(size=(2, 3)).astype("float32")
    ends = []
    for mod in (keras.optimizers, rt()):
        opt = mod.Adam(0.1)
        variable = keras.Variable(start) if mod is keras.optimizers else tf.Variable(start)
        assert opt.apply([], []) is None
        assert int(np.asarray(opt.iterations)) == 0
        opt.apply([tf.constant(start * 2)], [variable])
        opt.apply([], [])
        ends.append([np.asarray(variable), int(np.asarray(opt.iterations))])
    close(ends[0], ends[1], "apply([]) then a step")


# --- metrics: confusion counts, IoU, class names as strings ------------------------------------

METRICS = [
    ("metric.TruePositives()", "binary"),
    ("metric.FalsePositives(thresholds=0.3)", "binary"),
    ("metric.TrueNegatives(thresholds=[0.2, 0.7])", "binary"),
    ("metric.FalseNegatives(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])", "binary"),  # evenly spaced: Keras's buckets
    ("metric.TruePositives(thresholds=[0.0, 0.5, 1.0])", "edges"),
    ("metric.IoU(num_classes=3, target_class_ids=[0, 2])", "classes"),
    ("metric.MeanIoU(num_classes=3)", "classes"),
    ("metric.MeanIoU(num_classes=3, ignore_class=1, sparse_y_pred=False)", "scores"),
    ("metric.BinaryIoU(target_class_ids=[1], threshold=0.4)", "binary"),
    ("metric.OneHotIoU(num_classes=3, target_class_ids=[1])", "onehot"),
    ("metric.OneHotMeanIoU(num_classes=3)", "onehot"),
]


@pytest.mark.parametrize("expr, kind", METRICS, ids=[m[0] for m in METRICS])
def test_metric_states(expr: str, kind: str) -> None:
    """Two weighted batches and one unweighted, the result after each, then reset; the name."""
    import keras
    import numpy as np

    rng = np.random.default_rng(3)
    k = eval(expr, {"metric": keras.metrics})
    t = eval(expr, {"metric": rt()})
    assert k.name == t.name or k.name.startswith(t.name + "_")  # Keras numbers unnamed metrics per process
    for i in range(3):
        labels = rng.integers(0, 3, size=(8, 4))
        scores = rng.dirichlet(np.ones(3), size=(8, 4)).astype("float32")
        args = {"binary": (rng.integers(0, 2, size=(8, 1)), rng.uniform(size=(8, 1)).astype("float32")),
                "edges": (rng.integers(0, 2, size=(8, 1)), rng.choice([0.0, 0.5, 1.0, 0.2], size=(8, 1)).astype("float32")),
                "classes": (labels, rng.integers(0, 3, size=(8, 4))),
                "scores": (labels, scores),
                "onehot": (np.eye(3)[labels].astype("float32"), scores)}[kind]
        weight = None if i == 2 else rng.integers(0, 3, size=(8, 1 if kind in ("binary", "edges") else 4))
        if weight is not None and kind in ("binary", "edges"):
            weight = weight.astype("float32") * 0.7
        k.update_state(*args, sample_weight=weight)
        t.update_state(*args, sample_weight=weight)
        close(np.asarray(k.result()), np.asarray(t.result()), f"{expr} batch {i}")
    k.reset_state()
    t.reset_state()
    close(np.asarray(k.result()), np.asarray(t.result()), "after reset")


def test_metric_names_as_strings_in_fit() -> None:
    """``metrics=["Accuracy", "TruePositives", "false_negatives", ...]``: the class Keras's
    ``metrics.get`` finds by its name (``"Accuracy"`` is ``"accuracy"``, picked from the shapes),
    named by the string."""
    train_both("opt.Adam(0.01)", loss="binary_crossentropy",
               metrics=("Accuracy", "TruePositives", "false_negatives", "FalsePositives", "BinaryAccuracy",
                        "RootMeanSquaredError"),
               out=1, activation="sigmoid", validation_split=0.25)


def test_iou_and_confusion_metric_objects_in_fit() -> None:
    import keras

    x, y = data()
    k, t = twins()
    for model, mod in ((k, keras.metrics), (t, rt())):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=[mod.MeanIoU(num_classes=3, sparse_y_pred=False, name="miou"),
                               mod.IoU(3, [1], sparse_y_pred=False, name="iou_1")])
    hk = k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    ht = t.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    close(hk.history, ht.history, "history")
    close(k.evaluate(x, y, verbose=0), t.evaluate(x, y, verbose=0), "evaluate")
