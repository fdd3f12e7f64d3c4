"""Runtime SpectralNormalization against Keras (src/kerastf_xlate/runtime/tfr_spectral_normalization.py).

The Keras wrapper and its runtime twin are built from one expression, Keras's weights perturbed
and moved into both; then a sequence of calls (training calls normalize the wrapped kernel in
place and move vector_u; inference calls read what the last training call wrote) is compared
call by call: the outputs and every weight after each call. Tolerance: atol = rtol = 1e-5
(float32); the worst difference is printed at the end of the session (tests/conftest.py).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed
from runtime_pairs import close, max_diff, pair, rand

pytestmark = pytest.mark.tf

CALLS = [False, True, True, False, True, False]


def _moved(expr: str, x: Any) -> tuple[Any, Any]:
    k, t = pair(expr)
    k(x), t(x)
    assert [w.path.split("/")[-1] for w in k.weights] == [v.name.split("/")[-1].split(":")[0] for v in t.weights]
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    t.set_weights(weights)
    return k, t


@pytest.mark.parametrize("expr, shape", [
    ("layers.SpectralNormalization(layers.Dense(3))", (4, 5)),
    ("layers.SpectralNormalization(layers.Conv2D(3, 2), power_iterations=2)", (2, 5, 5, 2)),
    ("layers.SpectralNormalization(layers.Embedding(7, 4))", None),
    ("layers.SpectralNormalization(layers.Conv1D(2, 3, use_bias=False), power_iterations=4)", (3, 6, 2)),
])
def test_calls_in_sequence_as_keras(expr: str, shape: tuple[int, ...] | None, runtime_report: dict[str, float]) -> None:
    import numpy as np

    x = rand(*shape) if shape else np.array([[1, 2, 6], [0, 3, 3]], "int32")
    k, t = _moved(expr, x)
    start = k.get_weights()
    worst = 0.0
    for training in CALLS:
        worst = max(worst, close(k(x, training=training), t(x, training=training)))
        worst = max(worst, close(k.get_weights(), t.get_weights()))
    runtime_report["SpectralNormalization [spectral tests]"] = max(
        runtime_report.get("SpectralNormalization [spectral tests]", 0.0), worst)
    assert max_diff(k.get_weights()[:2], start[:2]) > 1e-4  # kernel and vector_u moved: the test is not idle


def test_an_all_zero_kernel_is_left_as_it_is(runtime_report: dict[str, float]) -> None:
    import numpy as np

    x = rand(4, 5)
    k, t = _moved("layers.SpectralNormalization(layers.Dense(3))", x)
    weights = k.get_weights()
    weights[0] = np.zeros_like(weights[0])
    k.set_weights(weights)
    t.set_weights(weights)
    close(k(x, training=True), t(x, training=True))
    close(k.get_weights(), t.get_weights())
    assert max_diff(t.get_weights(), weights) == 0.0


def test_in_a_tf_function_and_a_negative_control() -> None:
    import tensorflow as tf

    x = rand(4, 5)
    k, t = _moved("layers.SpectralNormalization(layers.Dense(3), power_iterations=2)", x)
    step = tf.function(lambda a: t(a, training=True))
    for _ in range(2):
        close(k(x, training=True), step(x))
    close(k.get_weights(), t.get_weights())
    weights = k.get_weights()
    weights[1] = weights[1] + 1e-2  # vector_u nudged: the next training call differs
    t.set_weights(weights)
    with pytest.raises(AssertionError):
        close(k(x, training=True), t(x, training=True))
