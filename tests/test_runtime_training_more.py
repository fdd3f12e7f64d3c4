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
    keras_events, tf_events = logs["keras"], logs["tf"]
    assert sorted(keras_events) == sorted(tf_events)
    tags = {tag for _, tag, _ in keras_events}
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss",
            "evaluation_loss_vs_iterations", "sequential/dense/kernel/histogram"} <= tags, tags
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
    for bad in ({"write_images": True}, {"profile_batch": 2}, {"embeddings_freq": 1}):
        with pytest.raises(NotImplementedError):
            rt().TensorBoard(log_dir=str(tmp_path), **bad)
