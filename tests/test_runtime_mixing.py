"""MixUp and CutMix runtime classes (``tfr_augmentation.py``) against Keras 3.

The generators differ, so training is tested by what holds whatever the draws:

- inference is Keras's output exactly (values, dtype; images and a dict of images and
  labels; single images);
- Keras's OWN draws (``get_random_transformation``) applied by the runtime class give
  Keras's images and labels (``atol = 1e-4`` on pixels up to 255: float32 rounding);
- the runtime's draws: a permutation of the batch; MixUp's weights in [0, 1] with Beta(a, a)'s
  mean 1/2 and variance 1/(4(2a + 1)) over 4,000 draws (5 standard errors); CutMix's pasted
  pixels are the permuted image's, form one box, and the label weight is 1 - its area share;
- training outputs have Keras's shapes and dtypes; the labels of a mixed batch still sum to 1.
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

ATOL = 1e-4  # pixel values up to 255 in float32


def both(expr: str):  # type: ignore[no-untyped-def]
    return eval(expr, {"layers": keras.layers}), eval(expr, {"layers": layers()})


def batch(shape=(6, 7, 9, 3), dtype="float32", seed=0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, shape).astype(dtype)


def onehot(n=6, classes=4, seed=1):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]


EXPRS = ["layers.MixUp()", "layers.MixUp(alpha=0.7, seed=3)", "layers.CutMix()", "layers.CutMix(0.5, seed=2)",
         "layers.CutMix(data_format='channels_first')"]


@pytest.mark.parametrize("expr", EXPRS)
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_inference_is_exactly_keras(expr: str, dtype: str) -> None:
    k_layer, t_layer = both(expr)
    for shape in [(6, 7, 9, 3), (7, 9, 3)]:
        x = batch(shape, dtype)
        expected = k_layer(x, training=False)
        got = t_layer(x, training=False)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    data = {"images": batch(), "labels": onehot()}
    expected = k_layer({"images": data["images"], "labels": data["labels"]}, training=False)
    got = t_layer(dict(data), training=False)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(expected[key]))


def _keras_params(layer, transformation):  # type: ignore[no-untyped-def]
    t = {k: np.asarray(v) for k, v in transformation.items()}
    if type(layer).__name__ == "MixUp":
        return t["permutation_order"], t["mix_weight"]
    return t["permutation_order"], None, t["mix_weight"].reshape(-1)


@pytest.mark.parametrize("expr", EXPRS[:4])
def test_keras_draws_give_keras_images_and_labels(expr: str) -> None:
    k_layer, t_layer = both(expr)
    x, y = tf.constant(batch()), tf.constant(onehot())
    for _ in range(3):
        tr = k_layer.get_random_transformation({"images": x, "labels": y}, training=True)
        expected = np.asarray(k_layer.transform_images(x, tr, training=True))
        expected_labels = np.asarray(k_layer.transform_labels(y, tr, training=True))
        params = _keras_params(k_layer, tr)
        if type(k_layer).__name__ == "CutMix":
            # Keras hands over the pixel mask, not the box: the box is its extent
            mask = np.asarray(tr["batch_masks"])[..., 0]
            assert mask.shape == (6, 7, 9)
            boxes = []
            for m in mask:
                rows, cols = np.nonzero(m)
                boxes.append((cols.min(), cols.max() + 1, rows.min(), rows.max() + 1) if rows.size else (0, 0, 0, 0))
            x0, x1, y0, y1 = (np.asarray(v, "float32") for v in zip(*boxes))
            got = np.asarray(t_layer._apply(x, (params[0], (x0, x1, y0, y1), params[2])))
        else:
            got = np.asarray(t_layer._apply(x, params))
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
        got_labels = np.asarray(t_layer._mix_labels(y, params[0], params[-1]))
        np.testing.assert_allclose(got_labels, expected_labels, atol=1e-6, rtol=0)


@pytest.mark.parametrize("expr", EXPRS)
def test_training_shapes_dtypes_and_labels(expr: str) -> None:
    k_layer, t_layer = both(expr)
    x = batch(dtype="int32")
    for data in (x, {"images": x, "labels": onehot()}):
        expected = k_layer(dict(data) if isinstance(data, dict) else data, training=True)
        got = t_layer(data, training=True)
        if isinstance(data, dict):
            assert sorted(got) == sorted(expected)
            np.testing.assert_allclose(np.asarray(got["labels"]).sum(axis=1), 1.0, atol=1e-5)
            assert got["labels"].shape == expected["labels"].shape
            got, expected = got["images"], expected["images"]
        assert got.dtype == expected.dtype and got.shape == expected.shape


def test_mixup_draws_are_a_permutation_and_beta_distributed() -> None:
    _, t_layer = both("layers.MixUp(alpha=0.4, seed=5)")
    x = tf.constant(batch((4000, 1, 1, 1)))
    perm, w = (np.asarray(v) for v in t_layer._draw(x))
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(4000))
    assert (w >= 0).all() and (w <= 1).all()
    a = 0.4
    var = 1 / (4 * (2 * a + 1))
    assert abs(w.mean() - 0.5) < 5 * np.sqrt(var / 4000)
    assert abs(w.var() - var) < 0.1 * var
    # each output is the blend of its image and the permuted one with that weight
    images = tf.constant(batch((8, 5, 5, 3)))
    out = np.asarray(t_layer(images))
    assert not np.allclose(out, np.asarray(images))  # it mixes (fails if training were the identity)


def test_cutmix_pastes_one_box_of_the_permuted_image() -> None:
    _, t_layer = both("layers.CutMix(seed=4)")
    x = tf.constant(batch((8, 10, 12, 3)))
    perm, (x0, x1, y0, y1), w = (np.asarray(v) if not isinstance(v, tuple) else tuple(np.asarray(a) for a in v)
                                 for v in t_layer._draw(x))
    assert sorted(perm.tolist()) == list(range(8))
    out = np.asarray(t_layer._apply(x, (perm, (x0, x1, y0, y1), w)))
    xs = np.asarray(x)
    for i in range(8):
        inside = np.zeros((10, 12), bool)
        inside[int(np.ceil(y0[i])):int(np.ceil(y1[i])), int(np.ceil(x0[i])):int(np.ceil(x1[i]))] = True
        np.testing.assert_array_equal(out[i][inside], xs[perm[i]][inside])
        np.testing.assert_array_equal(out[i][~inside], xs[i][~inside])
        assert abs(w[i] - (1 - (x1[i] - x0[i]) * (y1[i] - y0[i]) / 120)) < 1e-6
        assert 0 <= x0[i] <= x1[i] <= 12 and 0 <= y0[i] <= y1[i] <= 10


def test_dicts_with_other_keys_are_not_translated() -> None:
    _, t_layer = both("layers.MixUp()")
    with pytest.raises(NotImplementedError):
        t_layer({"images": batch(), "bounding_boxes": {"boxes": np.zeros((6, 1, 4))}})
