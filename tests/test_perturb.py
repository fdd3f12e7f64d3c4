"""kerastf_xlate.testing.perturb: every weight moves, deterministically, variances stay
positive; and the point of it: a wrong weight order that fresh weights hide is caught."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kerastf_xlate.testing.perturb import perturb_weights, perturbed

SRC = Path(__file__).resolve().parent.parent / "src"


def _fresh() -> list[np.ndarray]:
    """What a fresh Keras model holds: a random kernel, zero bias, BatchNorm's ones and
    zeros, a LayerScale of 1e-6, an integer counter."""
    rng = np.random.default_rng(0)
    return [rng.normal(0, 0.05, (3, 3, 4, 8)).astype("float32"), np.zeros(8, "float32"),
            np.ones(8, "float32"), np.zeros(8, "float32"), np.zeros(8, "float32"), np.ones(8, "float32"),
            np.full(8, 1e-6, "float32"), np.zeros((), "int64"), np.zeros(0, "float32")]


def test_every_weight_changes_and_keeps_dtype_and_shape() -> None:
    before = _fresh()
    after = perturbed(before, seed=1)
    for a, b in zip(before, after):
        assert a.shape == b.shape and a.dtype == b.dtype
        if np.issubdtype(a.dtype, np.floating):
            assert np.all(a != b), "an element kept its value"
        else:
            assert np.array_equal(a, b)  # counters are not weights to perturb
    assert all(not np.shares_memory(a, b) for a, b in zip(before, after))


def test_deterministic_per_seed() -> None:
    a, b, c = perturbed(_fresh(), seed=3), perturbed(_fresh(), seed=3), perturbed(_fresh(), seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_positive_arrays_stay_positive_and_leave_one() -> None:
    variance = np.ones(1000, "float32")
    tiny = np.full(1000, 1e-6, "float32")  # LayerScale's initial value
    new_variance, new_tiny = perturbed([variance, tiny], seed=0)
    assert np.all(new_variance > 0) and not np.any(new_variance == 1)
    assert 0.1 < float(np.std(new_variance)) < 1  # a real spread, not a nudge
    assert np.all(new_tiny >= 0.01)  # lifted: a branch scaled by 1e-6 would stay invisible


def test_zeros_get_noise_and_kernels_keep_their_scale() -> None:
    kernel = np.random.default_rng(0).normal(0, 0.01, (64, 64)).astype("float32")
    new_bias, new_kernel = perturbed([np.zeros(1000, "float32"), kernel], seed=0)
    assert 0.05 < float(np.std(new_bias)) < 0.2
    # noise on the kernel's own scale: a deep network's activations keep their size
    assert 1.0 < float(np.std(new_kernel)) / float(np.std(kernel)) < 1.1


def test_importing_it_imports_no_tensorflow_keras_or_numpy() -> None:
    code = ("import sys, kerastf_xlate.testing.perturb; "
            "bad = [m for m in ('tensorflow', 'keras', 'numpy') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(SRC)})


@pytest.mark.tf
def test_perturb_weights_on_a_keras_model_and_on_its_translation() -> None:
    import keras
    from runtime_ns import layers

    k = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(5, 3), keras.layers.BatchNormalization()])
    T = layers()
    t = T.Sequential([T.Input((4, 4, 3)), T.Conv2D(5, 3), T.BatchNormalization()])
    before = k.get_weights()
    moved = perturb_weights(k, seed=2)
    assert all(np.all(a != b) for a, b in zip(before, k.get_weights()))
    assert all(np.array_equal(a, b) for a, b in zip(moved, k.get_weights()))
    assert float(np.min(k.layers[1].moving_variance.numpy())) > 0
    t_before = t.get_weights()
    perturb_weights(t, seed=2)  # the same on the TensorFlow side (variables of a tf.Module)
    assert all(np.all(a != b) for a, b in zip(t_before, t.get_weights()))


@pytest.mark.tf
@pytest.mark.parametrize("swap", [(1, 2), (0, 3)], ids=["beta<->moving_mean", "gamma<->moving_variance"])
def test_negative_control_a_wrong_weight_order_is_caught_only_after_perturbation(swap: tuple[int, int]) -> None:
    """BatchNormalization's weights are [gamma, beta, moving_mean, moving_variance]: fresh,
    beta and the mean are both zeros and gamma and the variance both ones, so a translation
    that read them in the wrong order would pass a comparison of fresh weights. Perturbed,
    the same mistake is caught (tolerance 1e-4 * max(1, max|out|))."""
    from runtime_compare import inputs_for, make_pair

    x = inputs_for((6, 5), seed=0)

    def worst(weights: list[np.ndarray]) -> float:
        k_layer, t_layer = make_pair("layers.BatchNormalization()")
        k_layer.build(x.shape)
        t_layer(x)
        k_layer.set_weights(weights)
        wrong = list(weights)
        i, j = swap
        wrong[i], wrong[j] = wrong[j], wrong[i]
        t_layer.set_weights(wrong)  # the mistake: the translation's order differs
        a, b = np.asarray(k_layer(x, training=False)), np.asarray(t_layer(x, training=False))
        return float(np.max(np.abs(a - b))) / max(1.0, float(np.max(np.abs(a))))

    fresh = [np.ones(5, "float32"), np.zeros(5, "float32"), np.zeros(5, "float32"), np.ones(5, "float32")]
    assert worst(fresh) <= 1e-4  # invisible without perturbation
    assert worst(perturbed(fresh, seed=0)) > 1e-2  # caught
