"""bench/realcode_models.py's training-mode comparison: two models with the same weights called
twice in training mode pass when they compute the same, and fail when the moving statistics
move differently (a BatchNormalization with another momentum stands for a wrong update: 1% of
the way to the batch's statistics is too little to see against the weights themselves, so the
bench compares what the calls changed)."""

from __future__ import annotations

import pytest
from bench_module import load_bench

models_bench = load_bench("realcode_models")


def _pair(momentum: float, dropout: float = 0.0):  # type: ignore[no-untyped-def]
    import keras
    import numpy as np

    from kerastf_xlate.testing.perturb import perturbed

    def make(m: float):  # type: ignore[no-untyped-def]
        inputs = keras.Input((6, 6, 3))
        x = keras.layers.Conv2D(4, 3)(inputs)
        x = keras.layers.BatchNormalization(momentum=m)(x)
        x = keras.layers.Dropout(dropout)(x) if dropout else x
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))

    k, t = make(0.99), make(momentum)
    moved = perturbed(k.get_weights(), seed=3)
    k.set_weights(moved)
    t.set_weights(moved)
    x = np.random.default_rng(0).uniform(0, 1, (4, 6, 6, 3)).astype("float32")
    return k, t, x, moved


@pytest.mark.parametrize("momentum, status", [(0.99, "pass"), (0.9899, "FAIL")])
def test_training_calls_and_what_they_change(momentum: float, status: str) -> None:
    k, t, x, moved = _pair(momentum)
    out = models_bench._compare_training({}, k, t, x, moved)
    assert out["status"] == status, out
    if status == "pass":
        assert out["training"] == "compared" and out["weights_diff"] < 1e-6
    else:
        assert "moving statistics" in out["why"]


def test_a_model_random_in_training_is_not_compared() -> None:
    k, t, x, moved = _pair(0.5, dropout=0.5)
    out = models_bench._compare_training({}, k, t, x, moved)
    assert out["status"] == "pass" and out["training"].startswith("skip: random in training")
