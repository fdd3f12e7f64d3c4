"""Runtime regularization layers: random in training, so tested by the properties that hold
(TensorFlow's and Keras's generators differ): the identity in inference, exactly; shapes;
which values can occur; the statistics over many draws (tolerances stated per test, a few
standard errors of the estimate); seeds reproducible. And the refusals.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers
from runtime_pairs import rand

pytestmark = pytest.mark.tf

RANDOM = [
    ("layers.Dropout(0.3)", (4, 5)),
    ("layers.SpatialDropout1D(0.3)", (4, 5)),
    ("layers.SpatialDropout2D(0.3)", (4, 5, 3)),
    ("layers.SpatialDropout3D(0.3)", (2, 3, 4, 3)),
    ("layers.GaussianDropout(0.3)", (4, 5)),
    ("layers.GaussianNoise(0.3)", (4, 5)),
    ("layers.AlphaDropout(0.3)", (4, 5)),
    ("layers.ActivityRegularization()", (4, 5)),
]


def make(expr: str):  # type: ignore[no-untyped-def]
    return eval(expr, {"layers": layers()})


@pytest.mark.parametrize("expr, shape", RANDOM, ids=[e for e, _ in RANDOM])
def test_identity_in_inference_and_shape_in_training(expr: str, shape: tuple[int, ...]) -> None:
    import numpy as np

    layer = make(expr)
    x = rand(8, *shape)
    for out in (layer(x), layer(x, training=False)):
        assert np.array_equal(np.asarray(out), x)
    y = layer(x, training=True)
    assert tuple(y.shape) == x.shape and y.dtype.name == "float32"


@pytest.mark.parametrize("name, rank", [("SpatialDropout1D", 3), ("SpatialDropout2D", 4), ("SpatialDropout3D", 5)])
def test_spatial_dropout_drops_whole_feature_maps(name: str, rank: int) -> None:
    """Each (sample, channel) map is all zeros or all x / (1 - rate); about `rate` of the
    maps are dropped (2000 maps: standard error 0.01, tolerance 0.05)."""
    import numpy as np

    rate = 0.4
    layer = getattr(layers(), name)(rate)
    x = np.ones((200,) + (3,) * (rank - 2) + (10,), "float32")
    y = np.asarray(layer(x, training=True))
    maps = np.moveaxis(y, -1, 1).reshape(200, 10, -1)
    kept = maps[..., 0] != 0
    assert np.allclose(maps[kept], 1 / (1 - rate)) and np.all(maps[~kept] == 0)
    assert np.all(maps == maps[..., :1])  # one draw per map
    assert abs((~kept).mean() - rate) < 0.05


def test_gaussian_noise_and_dropout_statistics() -> None:
    """Over 100,000 draws (standard error of the mean 0.002-0.003): GaussianNoise adds noise
    of mean 0 and std `stddev`; GaussianDropout multiplies by noise of mean 1 and std
    sqrt(rate / (1 - rate))."""
    import numpy as np

    x = np.full((1000, 100), 2.0, "float32")
    noise = np.asarray(layers().GaussianNoise(0.5)(x, training=True)) - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    factor = np.asarray(layers().GaussianDropout(0.2)(x, training=True)) / x
    assert abs(factor.mean() - 1.0) < 0.01 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.01


def test_alpha_dropout_values_and_statistics() -> None:
    """Dropped units are a * (-alpha * scale) + b, kept ones a * x + b; on standard normal
    inputs the mean and variance stay about 0 and 1 (100,000 draws: tolerance 0.02)."""
    import numpy as np

    rate = 0.2
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    alpha_p = -alpha * scale
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    x = np.random.default_rng(0).standard_normal((1000, 100)).astype("float32")
    y = np.asarray(layers().AlphaDropout(rate)(x, training=True))
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-6)
    assert np.allclose(y[~dropped], a * x[~dropped] + b, atol=1e-5)
    assert abs(dropped.mean() - rate) < 0.01
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1.0) < 0.02


def test_alpha_dropout_noise_shape() -> None:
    import numpy as np

    y = np.asarray(layers().AlphaDropout(0.5, noise_shape=(None, 1, 4))(np.ones((50, 6, 4), "float32"),
                                                                        training=True))
    assert np.all(y == y[:, :1, :])  # one draw along the axis of size 1


def test_seeded_layers_repeat_after_resetting_the_global_seed() -> None:
    """With the global seed reset, a layer's seed alone fixes its draws: an unseeded random
    op run before it (which would shift an unseeded layer's draws) changes nothing."""
    import numpy as np
    import tensorflow as tf

    x = np.ones((4, 6, 3), "float32")
    runs = []
    for other_draw_first in (False, True):
        tf.random.set_seed(7)
        if other_draw_first:
            tf.random.uniform((3,))
        runs.append([np.asarray(make(e)(x, training=True)) for e in
                     ("layers.SpatialDropout1D(0.5, seed=1)", "layers.GaussianNoise(0.5, seed=2)",
                      "layers.GaussianDropout(0.5, seed=3)", "layers.AlphaDropout(0.5, seed=4)")])
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def test_refusals_and_bounds() -> None:
    with pytest.raises(NotImplementedError):
        layers().SpatialDropout2D(0.5, data_format="channels_first")
    for bad in ("layers.GaussianNoise(1.5)", "layers.GaussianDropout(-0.1)", "layers.AlphaDropout(2.0)",
                "layers.SpatialDropout1D(1.2)"):
        with pytest.raises(ValueError):
            make(bad)


def test_rate_zero_and_one() -> None:
    import numpy as np

    x = rand(3, 4, 2)
    assert np.array_equal(np.asarray(layers().SpatialDropout1D(0.0)(x, training=True)), x)
    assert np.all(np.asarray(layers().SpatialDropout1D(1.0)(x, training=True)) == 0.0)
    assert np.array_equal(np.asarray(layers().GaussianNoise(0.0)(x, training=True)), x)
