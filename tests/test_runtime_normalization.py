"""Runtime normalization layers against Keras beyond the rule examples: BatchNormalization's
axes, masked batch statistics, frozen layers and training updates; LayerNormalization's
several axes (Keras's reshape of gamma/beta kept) and rms_scaling; UnitNormalization at zero;
the preprocessing Normalization made without mean/variance (Keras's weights, adapt()).
Tolerance: float32, atol = rtol = 1e-5 (tests/runtime_pairs.py).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers
from runtime_pairs import close, max_diff, moved, pair, rand

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("expr, shape", [
    ("layers.BatchNormalization(axis=1, momentum=0.5)", (3, 4)),
    ("layers.BatchNormalization(axis=-3, center=False)", (3, 4, 2)),
    ("layers.BatchNormalization(axis=2, scale=False, epsilon=0.1)", (3, 4, 2)),
])
def test_batch_norm_axes_in_training(expr: str, shape: tuple[int, ...]) -> None:
    """Outputs in both modes and the moving statistics after two training steps."""
    k, t = pair(expr)
    x = rand(4, *shape)
    k(x), t(x)
    moved(k, t)
    close(k(x, training=False), t(x, training=False))
    for step in range(2):
        xs = rand(4, *shape, seed=step + 1)
        close(k(xs, training=True), t(xs, training=True))
    close(k.get_weights(), t.get_weights())
    close(k(x), t(x))


def test_batch_norm_masked_statistics() -> None:
    import numpy as np

    k, t = pair("layers.BatchNormalization(momentum=0.8)")
    x = rand(3, 5, 4)
    mask = np.random.default_rng(3).random((3, 5)) > 0.3
    k(x), t(x)
    moved(k, t)
    close(k(x, training=True, mask=mask), t(x, training=True, mask=mask))
    close(k.get_weights(), t.get_weights())


def test_batch_norm_frozen_uses_the_moving_statistics() -> None:
    k, t = pair("layers.BatchNormalization()")
    x = rand(4, 3)
    k(x), t(x)
    moved(k, t)
    k.trainable = t.trainable = False
    close(k(x, training=True), t(x, training=True))
    close(k.get_weights(), t.get_weights())
    assert t.trainable_weights == []


@pytest.mark.parametrize("expr", [
    "layers.BatchNormalization()",
    "layers.BatchNormalization(axis=3, center=False, epsilon=1.001e-5)",  # ResNet's
    "layers.BatchNormalization(scale=False, epsilon=0.1)",
    "layers.BatchNormalization(axis=1)",
])
def test_batch_norm_images_in_inference_are_kerass_bits(expr: str) -> None:
    """Inference on NHWC images gives Keras's float32 result bit for bit, as Keras's
    ``tf.nn.batch_normalization`` computes it (``x * inv + (beta - mean * inv)``). A fused
    kernel (``fused_batch_norm``) is ~3x faster per layer but rounds differently, and deep
    builders amplify that: EfficientNetB0 in ``bench/applications.py`` moves by 42% when
    Keras's own input moves by 2e-7 (bench/README.md, 2026-12-03 speed2). The frozen
    layer's training call and the input gradient agree within the tolerance."""
    import tensorflow as tf

    k, t = pair(expr)
    x = rand(2, 5, 4, 3) * 3 + 2  # a mean and a spread of their own: the statistics matter
    k(x), t(x)
    moved(k, t)
    assert max_diff(k(x), t(x)) == 0.0
    assert max_diff(tf.function(lambda v: k(v, training=False))(x), tf.function(lambda v: t(v, training=False))(x)) == 0.0
    close(k(x, training=True), t(x, training=True))  # batch statistics
    k.trainable = t.trainable = False
    close(k(x, training=True), t(x, training=True))  # frozen: the moving statistics
    grads = []
    for layer in (k, t):
        v = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.reduce_sum(tf.sin(layer(v, training=False)))
        grads.append(tape.gradient(y, v))
    close(grads[0], grads[1])


def test_batch_norm_refusals() -> None:
    with pytest.raises(NotImplementedError):
        layers().BatchNormalization(renorm=True)
    with pytest.raises(TypeError):  # Keras's int(axis) refuses a list too
        layers().BatchNormalization(axis=[1, 2])


@pytest.mark.parametrize("expr", [
    "layers.LayerNormalization(axis=[-1, 1])",  # gamma reshaped across the sorted axes, as Keras
    "layers.LayerNormalization(axis=(1, 2), center=False)",
    "layers.LayerNormalization(axis=1)",
    "layers.LayerNormalization(rms_scaling=True)",
    "layers.LayerNormalization(axis=[1, 2], rms_scaling=True, epsilon=0.01)",
])
def test_layer_norm_axes(expr: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's deprecation warning for rms_scaling
        k, t = pair(expr)
    x = rand(2, 3, 4)
    k(x), t(x)
    assert [w.shape for w in k.get_weights()] == [w.shape for w in t.get_weights()]
    moved(k, t)
    close(k(x), t(x))


@pytest.mark.parametrize("expr, shape", [
    ("layers.GroupNormalization(groups=2, axis=3)", (3, 2, 4)),
    ("layers.GroupNormalization(groups=3, axis=1, scale=False)", (6, 5)),
    ("layers.RMSNormalization(axis=(1, 2))", (3, 4)),
    ("layers.RMSNormalization(axis=1)", (4, 4)),
])
def test_group_and_rms_norm(expr: str, shape: tuple[int, ...]) -> None:
    k, t = pair(expr)
    x = rand(2, *shape)
    k(x), t(x)
    moved(k, t)
    close(k(x), t(x))


def test_unit_norm_at_zero_and_small() -> None:
    import numpy as np

    k, t = pair("layers.UnitNormalization(axis=[1, 2])")
    x = np.zeros((2, 3, 2), "float32")
    x[1] = 1e-8
    close(k(x), t(x))


# ---------------------------------------------------------------------------- Normalization


def test_normalization_without_statistics_has_kerass_weights() -> None:
    k, t = pair("layers.Normalization(axis=(1, 2))")
    x = rand(2, 3, 4)
    k.build(x.shape)
    t(x)
    assert [(w.path.split("/")[-1], tuple(w.shape), w.dtype, w.trainable) for w in k.weights] == \
        [(v.name.split("/")[-1].split(":")[0], tuple(v.shape), v.dtype.name, v.trainable) for v in t.weights]


@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_adapted(axis, invert: bool) -> None:  # type: ignore[no-untyped-def]
    """Keras adapts; its weights move into the runtime layer; the outputs agree. (Keras's own
    layer only reads its weights at adapt/load time, so they are moved once it has them.)"""
    k, t = pair(f"layers.Normalization(axis={axis!r}, invert={invert})")
    data = rand(20, 3, 4) * 3 + 1
    k.adapt(data)
    t(data[:1])
    t.set_weights(k.get_weights())
    close(k(data[:5]), t(data[:5]))


def test_normalization_adapt_matches_keras() -> None:
    import numpy as np
    import tensorflow as tf

    data = rand(30, 4) * 2 - 1
    k, t = pair("layers.Normalization()")
    k.adapt(data)
    t.adapt(data)  # an array
    close(k.get_weights(), t.get_weights())
    close(k(data), t(data))
    _, batches = pair("layers.Normalization(axis=None)")
    k2, _ = pair("layers.Normalization(axis=None)")
    k2.adapt(data)
    batches.adapt([data[:10], data[10:25], data[25:]])  # an iterable of batches: Keras's running formula
    close(k2.get_weights()[:2], batches.get_weights()[:2])
    _, from_dataset = pair("layers.Normalization()")
    from_dataset.adapt(tf.data.Dataset.from_tensor_slices(data).batch(7))
    assert np.allclose(from_dataset.get_weights()[0], k.get_weights()[0], atol=1e-5)
    assert np.allclose(from_dataset.get_weights()[1], k.get_weights()[1], atol=1e-5)


def test_normalization_mean_and_variance_attributes_are_kerass() -> None:
    """Keras's `finalize_state` sets `mean`/`variance` (broadcast, compute dtype) after build and
    adapt, None before: a diffusion notebook inverts its normalizer with `normalizer.mean + x *
    normalizer.variance ** 0.5` (found by --scripts: the runtime had no such attributes)."""
    data = rand(12, 4, 3) * 2 + 1
    k, t = pair("layers.Normalization()")
    assert k.mean is None and t.mean is None
    k.build(data.shape)
    t.build(data.shape)
    close(k.mean, t.mean)
    close(k.variance, t.variance)
    k.adapt(data)
    t.adapt(data)
    close(k.mean, t.mean)
    close(k.variance, t.variance)
    assert tuple(t.mean.shape) == tuple(k.mean.shape) == (1, 1, 3)


def test_normalization_given_statistics_broadcast() -> None:
    k, t = pair("layers.Normalization(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 9.0, 0.0])")
    x = rand(2, 3, 4)
    close(k(x), t(x))
    assert t.weights == []
