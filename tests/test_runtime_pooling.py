"""The pooling runtime classes (src/kerastf_xlate/runtime/tfr_pooling.py) against Keras, on
what the rule examples cannot hold: channels_first, "same" averages at the borders, masks,
adaptive pooling over many sizes (and against the definition it implements), signatures.

Tolerance ``atol = 1e-5`` (float32).
"""

from __future__ import annotations

import inspect
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_compare import compare, inputs_for, make_pair
from runtime_ns import layers

pytestmark = pytest.mark.tf

POOLING = [f"{kind}Pooling{r}D" for kind in ("Max", "Average", "GlobalMax", "GlobalAverage", "AdaptiveMax",
                                              "AdaptiveAverage") for r in (1, 2, 3)]

CASES = [
    ("layers.MaxPooling1D(3, strides=2, padding='same', data_format='channels_first')", [2, 9]),
    ("layers.AveragePooling1D(3, strides=2, padding='same')", [9, 2]),
    ("layers.AveragePooling1D(2, data_format='channels_first')", [3, 8]),
    ("layers.MaxPooling2D((3, 2), strides=(2, 1), padding='same', data_format='channels_first')", [2, 7, 6]),
    ("layers.AveragePooling2D(3, strides=2, padding='same')", [7, 8, 2]),
    ("layers.AveragePooling2D((2, 3), strides=(1, 2), padding='same', data_format='channels_first')", [3, 5, 7]),
    ("layers.MaxPooling3D(2, strides=(1, 2, 2), data_format='channels_first')", [2, 3, 4, 5]),
    ("layers.AveragePooling3D(3, strides=2, padding='same', data_format='channels_first')", [2, 5, 4, 5]),
    ("layers.GlobalAveragePooling1D(data_format='channels_first')", [3, 7]),
    ("layers.GlobalMaxPooling1D(data_format='channels_first', keepdims=True)", [3, 7]),
    ("layers.GlobalAveragePooling2D(data_format='channels_first', keepdims=True)", [3, 4, 5]),
    ("layers.GlobalMaxPooling2D(data_format='channels_first')", [3, 4, 5]),
    ("layers.GlobalAveragePooling3D(data_format='channels_first')", [2, 3, 4, 2]),
    ("layers.GlobalMaxPooling3D(data_format='channels_first', keepdims=True)", [2, 3, 4, 2]),
]


@pytest.mark.parametrize("expr, shape", CASES, ids=[c[0].removeprefix("layers.") for c in CASES])
def test_matches_keras(expr: str, shape: list[int]) -> None:
    compare(expr, shape)


def test_same_average_counts_only_the_input() -> None:
    """Average pooling with padding="same" divides by the elements inside the input (Keras's
    tf.nn.avg_pool): on all-ones inputs every output, borders included, is exactly 1."""
    import numpy as np

    for expr, shape in [("layers.AveragePooling1D(3, strides=2, padding='same')", (2, 6, 1)),
                        ("layers.AveragePooling2D(3, strides=2, padding='same')", (2, 6, 5, 1)),
                        ("layers.AveragePooling3D(2, strides=1, padding='same', data_format='channels_first')",
                         (2, 1, 3, 3, 3))]:
        k_layer, t_layer = make_pair(expr)
        ones = np.ones(shape, "float32")
        np.testing.assert_array_equal(t_layer(ones).numpy(), 1.0)
        np.testing.assert_array_equal(np.asarray(k_layer(ones)), 1.0)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_1d_with_a_mask(keepdims: bool, data_format: str) -> None:
    """With a mask, GlobalAveragePooling1D averages the unmasked steps (as Keras)."""
    import numpy as np

    mask = np.array([[True, True, False, True, False, False], [False, True, True, True, True, True]])
    shape = [6, 3] if data_format == "channels_last" else [3, 6]
    compare(f"layers.GlobalAveragePooling1D(data_format={data_format!r}, keepdims={keepdims})", shape, mask=mask)


ADAPTIVE_1D = [(10, 4), (7, 5), (7, 3), (5, 8), (6, 6), (9, 1), (1, 1), (1, 3), (13, 4), (12, 5)]


@pytest.mark.parametrize("mode", ["Average", "Max"])
@pytest.mark.parametrize("size, out", ADAPTIVE_1D, ids=[f"{a}to{b}" for a, b in ADAPTIVE_1D])
def test_adaptive_1d_over_sizes(mode: str, size: int, out: int) -> None:
    """Keras's result and the definition (cell i pools [floor(i*n/o), ceil((i+1)*n/o))), for
    windows of one length, two lengths, more cells than inputs, one cell."""
    import numpy as np

    _, t_layer = make_pair(f"layers.Adaptive{mode}Pooling1D({out})")
    x = inputs_for([size, 3])
    got = t_layer(x).numpy()
    reduce = np.mean if mode == "Average" else np.max
    expected = np.stack([reduce(x[:, (i * size) // out: -((-(i + 1) * size) // out)], axis=1) for i in range(out)],
                        axis=1)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    compare(f"layers.Adaptive{mode}Pooling1D({out})", [size, 3])


ADAPTIVE = [
    ("layers.AdaptiveAveragePooling2D((3, 4))", [7, 9, 2]),
    ("layers.AdaptiveMaxPooling2D((5, 2), data_format='channels_first')", [2, 8, 7]),
    ("layers.AdaptiveAveragePooling2D((6, 3))", [4, 6, 1]),
    ("layers.AdaptiveMaxPooling2D(3)", [3, 3, 2]),
    ("layers.AdaptiveAveragePooling3D((2, 3, 4), data_format='channels_first')", [2, 5, 7, 9]),
    ("layers.AdaptiveMaxPooling3D((3, 1, 2))", [4, 5, 6, 2]),
    ("layers.AdaptiveAveragePooling1D(3, data_format='channels_first')", [4, 10]),
]


@pytest.mark.parametrize("expr, shape", ADAPTIVE, ids=[c[0].removeprefix("layers.") for c in ADAPTIVE])
def test_adaptive_matches_keras(expr: str, shape: list[int]) -> None:
    compare(expr, shape)


def test_adaptive_2d_is_the_definition() -> None:
    import numpy as np

    _, t_layer = make_pair("layers.AdaptiveAveragePooling2D((3, 4))")
    x = inputs_for([7, 9, 2])
    got = t_layer(x).numpy()

    def window(i: int, n: int, o: int) -> slice:
        return slice((i * n) // o, -((-(i + 1) * n) // o))

    expected = np.zeros((2, 3, 4, 2))
    for i in range(3):
        for j in range(4):
            expected[:, i, j] = x[:, window(i, 7, 3), window(j, 9, 4)].mean(axis=(1, 2))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_adaptive_needs_static_spatial_sizes() -> None:
    import tensorflow as tf

    _, t_layer = make_pair("layers.AdaptiveMaxPooling2D(2)")
    traced = tf.function(lambda v: t_layer(v), input_signature=[tf.TensorSpec([None, None, 5, 2])])
    with pytest.raises(ValueError, match="statically known"):
        traced.get_concrete_function()


def test_pooling_has_no_weights_and_arguments_are_checked() -> None:
    ns = {"layers": layers()}
    layer = eval("layers.MaxPooling2D()", ns)
    layer(inputs_for([4, 4, 1]))
    assert layer.weights == [] and layer.strides == (2, 2)
    for expr in ["layers.MaxPooling2D(2, padding='causal')", "layers.AveragePooling1D(2, data_format='nhwc')",
                 "layers.GlobalMaxPooling2D(data_format='channels_middle')"]:
        with pytest.raises(ValueError):
            eval(expr, ns)
    with pytest.raises(TypeError):
        eval("layers.AdaptiveAveragePooling2D((2, 2, 2))", ns)


@pytest.mark.parametrize("name", POOLING)
def test_signature_is_keras(name: str) -> None:
    import keras

    ours = inspect.signature(getattr(layers(), name).__init__).parameters
    theirs = inspect.signature(getattr(keras.layers, name).__init__).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
