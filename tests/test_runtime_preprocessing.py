"""Runtime preprocessing layers against Keras beyond the rule examples: Resizing's crop and
pad to the aspect ratio, integer images, one image, Keras's dict of images and masks;
CenterCrop with unknown sizes and upscaling; CategoryEncoding's count weights and ranks;
Rescaling of integers. Tolerance: float32, atol = rtol = 1e-5 (tests/runtime_pairs.py).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers
from runtime_pairs import close, pair, rand

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("expr, shape", [
    ("layers.Resizing(4, 6, crop_to_aspect_ratio=True)", (8, 5, 3)),
    ("layers.Resizing(6, 3, crop_to_aspect_ratio=True, interpolation='nearest')", (5, 8, 2)),
    ("layers.Resizing(4, 6, pad_to_aspect_ratio=True)", (8, 5, 3)),
    ("layers.Resizing(6, 4, pad_to_aspect_ratio=True, fill_value=2.0)", (5, 9, 1)),
    ("layers.Resizing(5, 5, pad_to_aspect_ratio=True, interpolation='area')", (5, 5, 2)),
    ("layers.Resizing(7, 3, interpolation='lanczos5')", (4, 6, 2)),
])
def test_resizing_aspect_ratio(expr: str, shape: tuple[int, ...]) -> None:
    k, t = pair(expr)
    x = rand(2, *shape)
    close(k(x), t(x))
    close(k(x[0]), t(x[0]))  # one image


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_resizing_integer_images(interpolation: str) -> None:
    import numpy as np

    k, t = pair(f"layers.Resizing(5, 3, interpolation={interpolation!r})")
    x = np.random.default_rng(0).integers(0, 256, (2, 4, 6, 3)).astype("uint8")
    out = t(x)
    assert out.dtype.name == "uint8"
    close(k(x), out)


def test_resizing_dict_of_images_and_masks() -> None:
    import numpy as np

    k, t = pair("layers.Resizing(3, 5)")
    data = {"images": rand(2, 6, 4, 3), "segmentation_masks": np.arange(48, dtype="float32").reshape(2, 6, 4, 1),
            "labels": np.array([1, 2])}
    ko, to = k(dict(data)), t(dict(data))
    assert set(ko) == set(to)
    for key in ko:
        close(ko[key], to[key])
    with pytest.raises(NotImplementedError):
        t({"images": data["images"], "bounding_boxes": {"boxes": np.zeros((2, 1, 4)), "labels": np.zeros((2, 1))}})


@pytest.mark.parametrize("size, shape", [((4, 4), (6, 6, 3)), ((6, 3), (4, 5, 2)), ((3, 7), (5, 4, 1)),
                                         ((5, 5), (5, 5, 2))])
def test_center_crop_known_and_unknown_sizes(size: tuple[int, int], shape: tuple[int, ...]) -> None:
    import tensorflow as tf

    k, t = pair(f"layers.CenterCrop{size}")
    x = rand(2, *shape)
    close(k(x), t(x))
    close(k(x[1]), t(x[1]))
    if size[0] <= shape[0] and size[1] <= shape[1]:
        # unknown height and width: a slice, as Keras does when it cannot compare sizes
        spec = tf.TensorSpec((None, None, None, shape[2]), tf.float32)
        close(k(x), tf.function(t.__call__, input_signature=[spec])(x))


def test_center_crop_casts_integers() -> None:
    import numpy as np

    k, t = pair("layers.CenterCrop(2, 2)")
    x = np.arange(32, dtype="int32").reshape(2, 4, 4, 1)
    assert t(x).dtype.name == "float32"
    close(k(x), t(x))


@pytest.mark.parametrize("expr, ids", [
    ("layers.CategoryEncoding(num_tokens=4, output_mode='binary')", [[0, 3, 3], [1, 1, 2]]),
    ("layers.CategoryEncoding(num_tokens=4, output_mode='multi_hot')", [[[0, 3], [3, 1]], [[1, 1], [2, 0]]]),
    ("layers.CategoryEncoding(num_tokens=4, output_mode='count')", [[[0, 3], [3, 1]], [[1, 1], [2, 0]]]),
    ("layers.CategoryEncoding(num_tokens=4, output_mode='one_hot')", [[[0], [3]], [[1], [2]]]),
    ("layers.CategoryEncoding(num_tokens=5, output_mode='multi_hot')", [3, 0, 4]),
    ("layers.CategoryEncoding(num_tokens=5, output_mode='one_hot')", 3),
])
def test_category_encoding_ranks(expr: str, ids) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    k, t = pair(expr)
    x = np.asarray(ids, "int32")
    close(k(x), t(x))


def test_category_encoding_count_weights() -> None:
    import numpy as np

    k, t = pair("layers.CategoryEncoding(num_tokens=4, output_mode='count')")
    x = np.array([[0, 3, 3], [1, 1, 2]], "int32")
    w = rand(2, 3)
    close(k(x, count_weights=w), t(x, count_weights=w))
    with pytest.raises(ValueError):
        layers().CategoryEncoding(num_tokens=4)(x, count_weights=w)
    with pytest.raises(NotImplementedError):
        layers().CategoryEncoding(num_tokens=4, sparse=True)


def test_rescaling_integers_and_lists() -> None:
    import numpy as np

    k, t = pair("layers.Rescaling(scale=[1 / 255, 2 / 255, 1.0], offset=-0.5)")
    x = np.random.default_rng(0).integers(0, 256, (2, 3, 3, 3)).astype("uint8")
    out = t(x)
    assert out.dtype.name == "float32"
    close(k(x), out)
