"""The ContrastLimitedAdaptiveHistogramEqualization runtime class (``tfr_augmentation.py``)
against Keras 3: the same output (values and dtype, ``atol = 1e-3`` on values up to 255;
measured 0) for float and integer images, value ranges, clip limits (0 = no clipping), tile
grids that do not divide the image (symmetric padding), single images and channels-first
images, in inference and training alike (it is not random)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers  # noqa: E402

pytestmark = pytest.mark.tf

CASES = [
    ("()", (2, 16, 16, 3), "float32"),
    ("(clip_limit=2.0, tile_grid_size=(3, 4))", (2, 13, 18, 1), "float32"),
    ("(value_range=(0, 1), clip_limit=0, tile_grid_size=(2, 2))", (2, 9, 7, 3), "float32"),
    ("(tile_grid_size=(4, 4), data_format='channels_first')", (2, 3, 12, 10), "float32"),
    ("(tile_grid_size=(2, 3))", (10, 11, 3), "int32"),
]


@pytest.mark.parametrize("args, shape, dtype", CASES)
def test_clahe_matches_keras(args: str, shape, dtype: str) -> None:  # type: ignore[no-untyped-def]
    expr = "layers.ContrastLimitedAdaptiveHistogramEqualization" + args
    k = eval(expr, {"layers": keras.layers})
    t = eval(expr, {"layers": layers()})
    rng = np.random.default_rng(len(args))
    scale = 1.0 if "(0, 1)" in args else 255.0
    x = (rng.uniform(0, 1, shape) ** 2 * scale).astype(dtype) if dtype == "float32" else rng.integers(0, 200, shape).astype(dtype)
    for training in (False, True):
        expected, got = np.asarray(k(x, training=training)), np.asarray(t(x, training=training))
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-3 * scale / 255.0, rtol=0)
    assert np.max(np.abs(expected.astype("float64") - x)) > 0.1 * scale / 255.0  # it changed the image
