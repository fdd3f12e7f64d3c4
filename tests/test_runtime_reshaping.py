"""The reshaping runtime classes (src/kerastf_xlate/runtime/tfr_reshaping.py) against Keras, on
what the rule examples cannot hold: channels_first, the other resize interpolations, unknown
dimensions, signatures. These layers only move, copy, pad or interpolate: tolerance
``atol = 1e-5`` (float32), most cases are exact.
"""

from __future__ import annotations

import inspect
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_compare import build_and_move, compare, inputs_for, make_pair
from runtime_ns import layers

pytestmark = pytest.mark.tf

RESHAPING = ["Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D",
             "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]

CASES = [
    ("layers.Reshape((-1,))", [3, 4, 2]),
    ("layers.Reshape((2, -1, 3))", [4, 6]),
    ("layers.Permute((3, 1, 2, 4))", [2, 3, 4, 5]),
    ("layers.RepeatVector(1)", [3]),
    ("layers.Cropping1D((0, 2))", [6, 3]),
    ("layers.Cropping1D(2)", [6, 3]),
    ("layers.Cropping2D(((0, 1), (2, 1)), data_format='channels_first')", [2, 5, 6]),
    ("layers.Cropping2D((1, 2))", [5, 6, 2]),
    ("layers.Cropping3D(((1, 0), (0, 2), (1, 1)), data_format='channels_first')", [2, 4, 5, 6]),
    ("layers.Cropping3D(1)", [4, 4, 4, 1]),
    ("layers.ZeroPadding1D((2, 0), data_format='channels_first')", [3, 4]),
    ("layers.ZeroPadding2D(((0, 2), (1, 0)), data_format='channels_first')", [2, 3, 3]),
    ("layers.ZeroPadding2D((1, 2))", [3, 3, 2]),
    ("layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)), data_format='channels_first')", [2, 2, 3, 2]),
    ("layers.ZeroPadding3D(1)", [2, 2, 2, 1]),
    ("layers.UpSampling2D((2, 3), data_format='channels_first')", [2, 3, 4]),
    ("layers.UpSampling2D(2, interpolation='bilinear', data_format='channels_first')", [2, 3, 4]),
    ("layers.UpSampling2D((3, 2), interpolation='bicubic')", [4, 3, 2]),
    ("layers.UpSampling2D(2, interpolation='area')", [3, 4, 2]),
    ("layers.UpSampling2D(2, interpolation='lanczos3')", [4, 4, 1]),
    ("layers.UpSampling2D((2, 2), interpolation='lanczos5')", [5, 4, 1]),
    ("layers.UpSampling2D(2, interpolation='NEAREST')", [3, 3, 1]),
    ("layers.UpSampling3D((2, 1, 3), data_format='channels_first')", [2, 2, 3, 2]),
]


@pytest.mark.parametrize("expr, shape", CASES, ids=[c[0].removeprefix("layers.") for c in CASES])
def test_matches_keras(expr: str, shape: list[int]) -> None:
    compare(expr, shape)


UNKNOWN_DIMS = [
    ("layers.Reshape((-1, 2))", [6, 4], [None, None, 4]),
    ("layers.Reshape((3, 8))", [6, 4], [None, 6, 4]),
    ("layers.Cropping2D(((1, 2), (0, 1)))", [6, 5, 2], [None, None, None, 2]),
    ("layers.UpSampling2D(2, interpolation='bilinear')", [3, 4, 2], [None, None, None, 2]),
    ("layers.UpSampling1D(3)", [4, 2], [None, None, 2]),
    ("layers.ZeroPadding2D(1)", [3, 3, 1], [None, None, None, 1]),
    ("layers.RepeatVector(3)", [5], [None, 5]),
]


@pytest.mark.parametrize("expr, shape, spec", UNKNOWN_DIMS, ids=[c[0].removeprefix("layers.") for c in UNKNOWN_DIMS])
def test_unknown_dimensions(expr: str, shape: list[int], spec: list[int | None]) -> None:
    """Traced with unknown sizes (a graph function's Input(shape=(None, ...))), the classes
    compute what Keras computes on the concrete input."""
    import numpy as np
    import tensorflow as tf

    k_layer, t_layer = make_pair(expr)
    x = inputs_for(shape)
    build_and_move(k_layer, t_layer, x)
    traced = tf.function(lambda v: t_layer(v), input_signature=[tf.TensorSpec(spec, tf.float32)])
    np.testing.assert_allclose(traced(x).numpy(), np.asarray(k_layer(x)), atol=1e-6)


def test_reshape_with_an_empty_batch() -> None:
    """The -1 is resolved from the static shape, as Keras does: a batch of 0 still reshapes."""
    import numpy as np

    _, t_layer = make_pair("layers.Reshape((-1, 2))")
    assert t_layer(np.zeros((0, 3, 4), "float32")).shape == (0, 6, 2)


def test_arguments_are_checked() -> None:
    ns = {"layers": layers()}
    for expr in ["layers.Reshape((-1, -1))", "layers.Permute((1, 3))", "layers.UpSampling2D(interpolation='cubic')",
                 "layers.Cropping2D(((1, 1), (1, 1), (1, 1)))", "layers.ZeroPadding2D(data_format='nchw')",
                 "layers.RepeatVector(0)"]:
        with pytest.raises(ValueError):
            eval(expr, ns)
    for expr in ["layers.RepeatVector(2.0)", "layers.UpSampling1D(True)"]:
        with pytest.raises(TypeError):
            eval(expr, ns)
    layer = eval("layers.Cropping1D((3, 3))", ns)
    with pytest.raises(ValueError):
        layer(inputs_for([6, 2]))


@pytest.mark.parametrize("name", RESHAPING)
def test_signature_is_keras(name: str) -> None:
    import keras

    ours = inspect.signature(getattr(layers(), name).__init__).parameters
    theirs = inspect.signature(getattr(keras.layers, name).__init__).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
