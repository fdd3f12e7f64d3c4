"""The AugMix runtime class (``tfr_augmentation.py``) against Keras 3.

- inference is Keras's output exactly (float32, also for integer images);
- Keras's OWN draws (``get_random_transformation``: the chains' operations and each
  operation's parameters, the Dirichlet chain weights and the Beta blend weight), applied by
  the runtime class, give Keras's pixels (``atol = 1e-3`` on values up to 255; measured 0);
- the runtime's draws: chain weights sum to 1, the blend weight lies in [0, 1], outputs keep
  Keras's shape and dtype and stay in ``value_range``, also under ``tf.function`` (where the
  operations are drawn per call).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers  # noqa: E402
from test_runtime_augmentation import _keras_params  # noqa: E402

pytestmark = pytest.mark.tf

NAMES = ["random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
         "auto_contrast", "equalization", "random_brightness", "random_color_degeneration", "random_contrast",
         "random_sharpness"]
CLASSES = {"random_shear": "RandomShear", "random_translation": "RandomTranslation", "random_rotation": "RandomRotation",
           "random_posterization": "RandomPosterization", "solarization": "Solarization",
           "random_brightness": "RandomBrightness", "random_color_degeneration": "RandomColorDegeneration",
           "random_contrast": "RandomContrast", "random_sharpness": "RandomSharpness"}
EXPRS = ["AugMix()", "AugMix(num_chains=2, chain_depth=4, factor=0.6, alpha=0.5, all_ops=False, seed=3)",
         "AugMix(value_range=(0, 1), factor=0.9, interpolation='nearest')"]


def both(expr: str):  # type: ignore[no-untyped-def]
    return eval("layers." + expr, {"layers": keras.layers}), eval("layers." + expr, {"layers": layers()})


def batch(expr: str):  # type: ignore[no-untyped-def]
    scale = 1.0 if "(0, 1)" in expr else 255.0
    return tf.constant(np.random.default_rng(0).uniform(0, scale, (4, 7, 9, 3)).astype("float32"))


@pytest.mark.parametrize("expr", EXPRS)
def test_inference_and_keras_draws_match_keras(expr: str) -> None:
    k, t = both(expr)
    x = batch(expr)
    for images in (x, tf.cast(x, "int32")):
        expected, got = k(images, training=False), t(images, training=False)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    moved = 0.0
    for _ in range(4):
        tr = k.get_random_transformation(x, training=True)
        expected = np.asarray(k.transform_images(x, tr, training=True))
        chains = []
        for steps in tr["chain_transforms"]:
            chain = []
            for step in steps:
                index = NAMES.index(step["layer_name"])
                params: list = [None] * len(NAMES)
                if step["layer_name"] in CLASSES:
                    params[index] = _keras_params(CLASSES[step["layer_name"]], step["transformation"])
                chain.append((index, params))
            chains.append(chain)
        got = np.asarray(t._apply(x, (tr["chain_mixing_weights"], tr["weight_sample"], chains)))
        scale = float(np.max(np.asarray(x)))
        np.testing.assert_allclose(got, expected, atol=1e-3 * scale / 255.0, rtol=0)
        moved = max(moved, float(np.max(np.abs(expected - np.asarray(x)))) / scale)
    assert moved > 1e-3  # Keras's draws changed the images (the comparison is not of identities)


def test_runtime_draws_and_outputs() -> None:
    _, t = both("AugMix(seed=2)")
    x = batch("AugMix()")
    weights, weight, chains = t._draw(x)
    assert abs(float(tf.reduce_sum(weights)) - 1.0) < 1e-5 and 0.0 <= float(weight) <= 1.0
    assert len(chains) == 3 and all(len(steps) == 3 for steps in chains)
    out = np.asarray(t(x))
    assert out.shape == (4, 7, 9, 3) and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 255
    with pytest.raises(NotImplementedError):
        layers().AugMix(data_format="channels_first")


def test_every_call_draws_anew_under_tf_function() -> None:
    """A small AugMix (tracing one switch over the operations per step takes a while)."""
    _, t = both("AugMix(num_chains=1, chain_depth=2, all_ops=False, seed=2)")
    x = batch("AugMix()")
    traced = tf.function(lambda images: t(images))
    first, second = np.asarray(traced(x)), np.asarray(traced(x))
    assert not np.array_equal(first, second)
    assert first.min() >= 0 and first.max() <= 255
