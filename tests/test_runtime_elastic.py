"""The RandomElasticTransform runtime class (``tfr_augmentation.py``) against Keras 3.

- inference is Keras's output exactly (float and integer images, both data formats);
- Keras's OWN draws (``get_random_transformation``: which images deform and the strength),
  with the field's seed given as an int (Keras then draws the field from ``[seed, 0]``, as
  the runtime does), applied by the runtime class give Keras's pixels (``atol = 1e-3`` on
  values up to 255; measured 0);
- the runtime's draws: images deform with the probability drawn from ``factor``, the strength
  lies in ``scale``; zero factor is the identity; outputs stay in ``value_range``.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers  # noqa: E402

pytestmark = pytest.mark.tf

EXPRS = ["RandomElasticTransform()",
         "RandomElasticTransform(0.5, scale=(0.2, 0.6), interpolation='nearest', fill_mode='constant', fill_value=3.0, "
         "value_range=(10, 200), seed=2)",
         "RandomElasticTransform(data_format='channels_first', fill_mode='wrap')"]


def batch(expr: str):  # type: ignore[no-untyped-def]
    x = np.random.default_rng(0).uniform(0, 255, (3, 12, 10, 3)).astype("float32")
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2))) if "channels_first" in expr else x


@pytest.mark.parametrize("expr", EXPRS)
def test_inference_and_keras_draws_match_keras(expr: str) -> None:
    k = eval("layers." + expr, {"layers": keras.layers})
    t = eval("layers." + expr, {"layers": layers()})
    x = batch(expr)
    for dtype in ("float32", "int32"):
        expected, got = k(x.astype(dtype), training=False), t(x.astype(dtype), training=False)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    moved = 0.0
    for seed in (7, 8, 9):
        tr = dict(k.get_random_transformation(x, training=True))
        tr["seed"] = seed
        expected = np.asarray(k.transform_images(tf.constant(x), tr, training=True))
        got = np.asarray(t._apply(tf.constant(x), (tr["apply_transform"], tr["distortion_factor"],
                                                   tf.constant([seed, 0], tf.int32))))
        np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)
        moved = max(moved, float(np.max(np.abs(expected - np.clip(x, *t.value_range)))))
    assert moved > 0.1  # some draw deformed an image (the comparison is not of identities)


def test_runtime_draws() -> None:
    t = layers().RandomElasticTransform(0.6, scale=(0.3, 0.5), seed=4)
    x = tf.constant(np.random.default_rng(1).uniform(0, 255, (400, 4, 4, 1)).astype("float32"))
    apply, strength, _ = t._draw(x)
    rate = float(np.mean(np.asarray(apply)))
    assert abs(rate - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 400)  # P(u < p), p ~ U(0, 0.6): 0.3
    assert 0.3 <= float(strength) < 0.5
    out = np.asarray(t(x[:8]))
    assert out.shape == (8, 4, 4, 1) and out.min() >= 0 and out.max() <= 255
    still = layers().RandomElasticTransform(0.0)
    np.testing.assert_array_equal(np.asarray(still(x[:4])), np.asarray(x[:4]))
