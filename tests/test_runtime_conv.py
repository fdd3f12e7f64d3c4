"""The convolution runtime classes (src/kerastf_xlate/runtime/tfr_conv.py) against Keras, on
what the rule examples cannot hold: groups, causal padding, channels_first, output_padding,
dilated transposes, strides with dilations, unknown dimensions, gradients, signatures.

Weights are Keras's, perturbed, moved with ``set_weights``; tolerance ``atol = 1e-5``
(float32). Where TensorFlow's CPU kernels refuse what Keras asks of them (channels_first
1-D/2-D convolutions, dilated transposed convolutions), Keras computes the reference in an
equivalent form the CPU takes (``tests/runtime_compare.py``); unequal depthwise strides, which
TensorFlow refuses on every device, are checked against the stride-1 output subsampled.
"""

from __future__ import annotations

import inspect
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_compare import Reference, build_and_move, compare, compare_gradients, inputs_for, make_pair
from runtime_ns import layers

pytestmark = pytest.mark.tf

CONV = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D",
        "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]

CASES = [
    # Conv1D: causal padding (with dilation and with strides), groups, channels_first
    ("layers.Conv1D(3, 3, padding='causal')", [7, 2], False),
    ("layers.Conv1D(3, 2, padding='causal', dilation_rate=3, activation='relu')", [9, 2], False),
    ("layers.Conv1D(4, 3, strides=2, padding='causal')", [10, 3], False),
    ("layers.Conv1D(6, 3, groups=3, padding='same')", [8, 6], False),
    ("layers.Conv1D(6, 3, groups=2, strides=2)", [9, 4], False),
    ("layers.Conv1D(4, 3, data_format='channels_first', padding='same')", [3, 8], True),
    ("layers.Conv1D(4, 2, data_format='channels_first', padding='causal', dilation_rate=2)", [3, 8], True),
    # Conv2D: groups (split, and one input channel per group = depthwise), channels_first
    ("layers.Conv2D(4, 3, groups=2)", [6, 6, 4], False),
    ("layers.Conv2D(6, (3, 2), groups=3, strides=(2, 1), padding='same')", [7, 6, 6], False),
    ("layers.Conv2D(6, 3, groups=3, dilation_rate=2, padding='same')", [8, 8, 3], False),
    ("layers.Conv2D(3, 3, groups=3, strides=(1, 2))", [7, 7, 3], False),
    ("layers.Conv2D(4, 3, data_format='channels_first', strides=2, padding='same', activation='tanh')", [3, 7, 7],
     True),
    ("layers.Conv2D(4, 3, groups=2, data_format='channels_first')", [4, 6, 6], True),
    ("layers.Conv2D(2, 3, kernel_initializer='he_uniform', bias_initializer='ones')", [5, 5, 2], False),
    # Conv3D: groups (TensorFlow's CPU kernel has none), channels_first, dilation
    ("layers.Conv3D(4, 2, groups=2)", [4, 4, 4, 4], False),
    ("layers.Conv3D(3, 2, data_format='channels_first', padding='same')", [2, 4, 5, 4], False),
    # Keras 3.15.1 on TensorFlow 2.21's CPU adds the bias along the last axis when its size
    # equals `filters` (channels_first, "same"): the reference is Keras's channels_last layer
    ("layers.Conv3D(3, 2, data_format='channels_first', padding='same')", [2, 4, 5, 3], True),
    ("layers.Conv2D(4, 3, data_format='channels_first', strides=2, padding='same')", [3, 7, 7], True),
    ("layers.Conv3D(2, 2, dilation_rate=(1, 2, 2))", [4, 5, 5, 2], False),
    # transposed: output_padding, dilation, channels_first
    ("layers.Conv1DTranspose(3, 3, strides=2, output_padding=1)", [5, 2], False),
    ("layers.Conv1DTranspose(3, 4, strides=3, padding='same', output_padding=2)", [5, 2], False),
    ("layers.Conv1DTranspose(3, 3, dilation_rate=2)", [6, 2], True),
    ("layers.Conv1DTranspose(3, 3, dilation_rate=2, padding='same')", [6, 2], True),
    ("layers.Conv1DTranspose(2, 3, strides=2, data_format='channels_first')", [3, 5], True),
    ("layers.Conv2DTranspose(2, 3, strides=2, output_padding=1)", [4, 4, 3], False),
    ("layers.Conv2DTranspose(2, (3, 2), strides=(2, 3), padding='same', output_padding=(1, 2))", [4, 3, 2], False),
    ("layers.Conv2DTranspose(2, 2, strides=2, padding='valid')", [3, 3, 2], False),
    ("layers.Conv2DTranspose(2, 1, strides=3)", [3, 3, 2], False),
    ("layers.Conv2DTranspose(3, 3, dilation_rate=2)", [5, 5, 2], True),
    ("layers.Conv2DTranspose(3, 3, dilation_rate=(2, 3), padding='same')", [5, 6, 2], True),
    ("layers.Conv2DTranspose(3, 4, dilation_rate=2, padding='same', output_padding=0)", [5, 6, 2], True),
    ("layers.Conv2DTranspose(3, 3, strides=2, padding='same', data_format='channels_first')", [2, 4, 5], True),
    ("layers.Conv3DTranspose(2, 2, strides=(1, 2, 2), output_padding=(0, 1, 0))", [3, 3, 3, 2], False),
    ("layers.Conv3DTranspose(2, 3, dilation_rate=2, padding='same')", [4, 4, 4, 1], True),
    ("layers.Conv3DTranspose(2, 2, strides=2, data_format='channels_first')", [2, 3, 3, 3], True),
    # depthwise: dilation, strides with dilation (decomposed, as Keras does), channels_first
    ("layers.DepthwiseConv1D(3, dilation_rate=2, depth_multiplier=2)", [9, 3], False),
    ("layers.DepthwiseConv1D(3, strides=2, dilation_rate=2, padding='same')", [9, 3], False),
    ("layers.DepthwiseConv1D(3, strides=3, dilation_rate=2)", [12, 2], False),
    ("layers.DepthwiseConv1D(3, data_format='channels_first', padding='same')", [3, 8], False),
    ("layers.DepthwiseConv2D(3, dilation_rate=2, padding='same')", [7, 7, 2], False),
    ("layers.DepthwiseConv2D(3, strides=2, dilation_rate=2, padding='same', depth_multiplier=2)", [9, 8, 2], False),
    ("layers.DepthwiseConv2D((2, 3), strides=2, dilation_rate=(2, 1))", [9, 9, 3], False),
    ("layers.DepthwiseConv2D(3, data_format='channels_first', depth_multiplier=2)", [3, 6, 6], False),
    # separable: dilation, strides with dilation, channels_first
    ("layers.SeparableConv1D(4, 3, dilation_rate=2)", [9, 3], False),
    ("layers.SeparableConv1D(4, 3, strides=2, dilation_rate=2, padding='same')", [9, 3], False),
    ("layers.SeparableConv1D(4, 3, data_format='channels_first', depth_multiplier=2)", [3, 8], False),
    ("layers.SeparableConv2D(4, 3, dilation_rate=2, padding='same')", [7, 7, 2], False),
    ("layers.SeparableConv2D(4, 3, strides=2, dilation_rate=2, padding='same', depth_multiplier=2)", [9, 9, 2],
     False),
    ("layers.SeparableConv2D(4, 3, data_format='channels_first', padding='same')", [3, 6, 6], False),
]


def _reference(expr: str, needed: bool) -> str | None:
    """The CPU-friendly form of Keras's computation a case needs (see runtime_compare.py)."""
    if not needed:
        return None
    return "channels_last" if "channels_first" in expr else "undilated"


@pytest.mark.parametrize("expr, shape, needed", CASES, ids=[c[0].removeprefix("layers.") for c in CASES])
def test_matches_keras(expr: str, shape: list[int], needed: bool) -> None:
    compare(expr, shape, reference=_reference(expr, needed))


def test_unequal_depthwise_strides_are_computed() -> None:
    """TensorFlow's depthwise kernel (and so Keras on TensorFlow) refuses strides that differ
    per axis; the runtime computes them at stride 1 and subsamples: the result is the
    stride-1 output subsampled (for "valid" padding)."""
    import numpy as np

    for expr in ["layers.DepthwiseConv2D((3, 2), strides=(1, 2), depth_multiplier=2)",
                 "layers.SeparableConv2D(3, (3, 2), strides=(2, 1))"]:
        k_layer, t_layer = make_pair(expr)
        x = inputs_for([7, 8, 3])
        t_out = t_layer(x)
        unit = eval(expr.replace("strides=(1, 2)", "strides=1").replace("strides=(2, 1)", "strides=1"),
                    {"layers": layers()})
        unit(x)
        unit.set_weights(t_layer.get_weights())
        full = unit(x).numpy()
        step = (1, 2) if "(1, 2)" in expr else (2, 1)
        np.testing.assert_allclose(t_out.numpy(), full[:, :: step[0], :: step[1], :], atol=1e-6)


GRADIENT_CASES = [
    ("layers.Conv2D(4, 3, groups=2, padding='same')", [6, 6, 4], False),  # Keras: XLA for groups on CPU
    ("layers.Conv1D(6, 3, groups=3, strides=2)", [9, 6], False),
    ("layers.Conv2DTranspose(3, 3, dilation_rate=2, padding='same')", [5, 5, 2], True),
    ("layers.Conv2DTranspose(3, 3, strides=2, output_padding=1)", [4, 4, 2], False),
    ("layers.DepthwiseConv2D(3, strides=2, dilation_rate=2, padding='same')", [9, 9, 2], False),
    ("layers.SeparableConv1D(4, 3, padding='same')", [8, 3], False),
    ("layers.Conv2D(4, 3, data_format='channels_first')", [3, 6, 6], True),
    ("layers.Conv3D(3, 2, strides=2, padding='same')", [4, 5, 4, 2], False),
    ("layers.Conv3DTranspose(2, 2, strides=2)", [3, 3, 3, 2], False),
    ("layers.Conv3DTranspose(2, 2, dilation_rate=2)", [3, 3, 3, 2], True),
    ("layers.Conv1DTranspose(2, 3, strides=2, padding='same')", [5, 2], False),
    ("layers.Conv1D(4, 3, padding='causal', dilation_rate=2)", [8, 2], False),
    ("layers.DepthwiseConv1D(3, strides=2, depth_multiplier=2)", [9, 2], False),
]


@pytest.mark.parametrize("expr, shape, needed", GRADIENT_CASES,
                         ids=[c[0].removeprefix("layers.") for c in GRADIENT_CASES])
def test_gradients_match_keras(expr: str, shape: list[int], needed: bool) -> None:
    """Training goes through the same computation: gradients of sum(out**2) with respect to
    the input and every weight agree (grouped convolutions and dilated transposes included,
    which TensorFlow's CPU kernels cannot differentiate natively)."""
    compare_gradients(expr, shape, reference=_reference(expr, needed))


def test_grouped_conv3d_gradient_is_the_numerical_one() -> None:
    """Keras cannot differentiate its grouped Conv3D on TensorFlow's CPU (the gradient of its
    XLA-compiled op fails), so the runtime's gradient (each group convolved on its own) is
    checked against central differences of its forward pass, which matches Keras's: the
    derivative along random directions of the input and of the kernel, in float64."""
    import numpy as np
    import tensorflow as tf

    compare("layers.Conv3D(4, 2, groups=2)", [3, 3, 3, 4])
    _, t_layer = make_pair("layers.Conv3D(4, 2, groups=2, dtype='float64')")
    x = tf.constant(inputs_for([3, 3, 3, 4], batch=1), tf.float64)
    t_layer(x)
    kernel = t_layer.kernel
    k0 = tf.identity(kernel)
    rng = np.random.default_rng(1)
    dx, dk = rng.normal(size=x.shape), rng.normal(size=kernel.shape)

    def loss(v):  # type: ignore[no-untyped-def]
        return tf.reduce_sum(tf.square(t_layer(v)))

    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(x)
    gx, gk = tape.gradient(value, [x, kernel])
    eps = 1e-5
    numeric_x = (loss(x + eps * dx) - loss(x - eps * dx)) / (2 * eps)
    kernel.assign(k0 + eps * dk)
    plus = loss(x)
    kernel.assign(k0 - eps * dk)
    minus = loss(x)
    kernel.assign(k0)
    numeric_k = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(float(tf.reduce_sum(gx * dx)), float(numeric_x), rtol=1e-6)
    np.testing.assert_allclose(float(tf.reduce_sum(gk * dk)), float(numeric_k), rtol=1e-6)


UNKNOWN_DIMS = [
    ("layers.Conv2DTranspose(2, 3, strides=2, padding='same')", [5, 4, 3]),
    ("layers.Conv1DTranspose(2, 3, dilation_rate=2)", [6, 3]),
    ("layers.DepthwiseConv2D(3, strides=2, dilation_rate=2, padding='same')", [9, 7, 2]),
    ("layers.Conv1D(2, 3, padding='causal', groups=2)", [7, 4]),
]


@pytest.mark.parametrize("expr, shape", UNKNOWN_DIMS, ids=[c[0].removeprefix("layers.") for c in UNKNOWN_DIMS])
def test_unknown_spatial_dimensions(expr: str, shape: list[int]) -> None:
    """Traced with unknown batch and spatial sizes (as a graph function's Input(shape=(None,
    None, c)) is), the classes compute what Keras computes on the concrete input."""
    import numpy as np
    import tensorflow as tf

    k_layer, t_layer = make_pair(expr)
    x = inputs_for(shape)
    build_and_move(k_layer, t_layer, x)
    expected = Reference(k_layer, x, _reference(expr, "Transpose" in expr and "dilation" in expr))(x)
    spec = tf.TensorSpec([None] * len(shape) + [shape[-1]], tf.float32)  # batch and spatial axes unknown
    traced = tf.function(lambda v: t_layer(v), input_signature=[spec])
    np.testing.assert_allclose(traced(x).numpy(), np.asarray(expected), atol=1e-5)


def test_weight_names_and_order_are_keras() -> None:
    """Variable names end in Keras's weight names, in Keras's order."""
    cases = [("layers.Conv2D(2, 3)", [5, 5, 2]), ("layers.Conv2D(2, 3, use_bias=False)", [5, 5, 2]),
             ("layers.Conv1DTranspose(2, 3)", [5, 2]), ("layers.DepthwiseConv2D(3)", [5, 5, 2]),
             ("layers.SeparableConv1D(2, 3)", [6, 2]), ("layers.SeparableConv2D(2, 3, use_bias=False)", [5, 5, 2])]
    for expr, shape in cases:
        k_layer, t_layer = make_pair(expr)
        x = inputs_for(shape)
        k_layer(x)
        t_layer(x)
        keras_names = [w.path.split("/")[-1] for w in k_layer.weights]
        names = [v.name.split("/")[-1].split(":")[0] for v in t_layer.weights]
        assert names == keras_names, (expr, names, keras_names)


def test_initializers_are_keras_where_deterministic() -> None:
    import numpy as np

    for expr, shape in [("layers.Conv2D(2, 3, kernel_initializer='ones', bias_initializer='zeros')", [4, 4, 2]),
                        ("layers.SeparableConv2D(2, 3, depthwise_initializer='ones', pointwise_initializer='zeros', "
                         "bias_initializer='ones')", [4, 4, 2]),
                        ("layers.Conv1DTranspose(2, 3, kernel_initializer={'class_name': 'Constant', "
                         "'config': {'value': 0.5}})", [4, 2])]:
        k_layer, t_layer = make_pair(expr)
        x = inputs_for(shape)
        k_layer(x)
        t_layer(x)
        for a, b in zip(k_layer.get_weights(), t_layer.get_weights()):
            np.testing.assert_array_equal(a, b)
    # random initializers: Keras's distribution (same scale), not the same draw
    k_layer, t_layer = make_pair("layers.Conv2D(64, 3, kernel_initializer='he_normal')")
    x = inputs_for([5, 5, 32])
    k_layer(x)
    t_layer(x)
    k_std, t_std = np.std(k_layer.get_weights()[0]), np.std(t_layer.get_weights()[0])
    assert abs(k_std - t_std) < 0.05 * k_std


def test_what_is_refused() -> None:
    ns = {"layers": layers()}
    for expr in ["layers.Conv2D(2, 3, lora_rank=2)"]:
        with pytest.raises(NotImplementedError):
            eval(expr, ns)
    for expr in ["layers.Conv2D(2, 3, strides=2, dilation_rate=2)", "layers.Conv2D(2, 3, padding='causal')",
                 "layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)", "layers.Conv2D(3, 3, groups=2)",
                 "layers.Conv2DTranspose(2, 3, strides=2, dilation_rate=2)"]:
        with pytest.raises(ValueError):
            eval(expr, ns)


@pytest.mark.parametrize("name", CONV)
def test_signature_is_keras(name: str) -> None:
    """Same argument names, order and defaults as the installed Keras constructor."""
    import keras

    ours = inspect.signature(getattr(layers(), name).__init__).parameters
    theirs = inspect.signature(getattr(keras.layers, name).__init__).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
