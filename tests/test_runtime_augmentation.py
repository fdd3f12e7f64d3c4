"""The random augmentation runtime classes (``src/kerastf_xlate/runtime/tfr_augmentation.py``)
against Keras 3.

TensorFlow's and Keras's random generators differ, so training mode is tested by what
must hold whatever the draws:

- inference is Keras's output exactly (values, shape and dtype), for batches, single
  images, float/int dtypes and channels-first images, and the training flag resolves as in
  Keras (``layer(x)`` and ``model(x)`` augment, ``training=False`` does not);
- training outputs have Keras's shape and dtype; zero strength is the identity;
- a transformation of fixed strength (``factor=(a, a)``) gives Keras's pixels, and
  Keras's OWN random draws (``get_random_transformation``) applied by the runtime class
  give Keras's pixels (``atol = 1e-4`` on values up to 255, i.e. float32 rounding);
- the runtime's draws have Keras's distribution (bounds, mean, spread, probabilities) over
  thousands of draws, compared with Keras's draws at 5 standard errors;
- seeds reproduce, every call draws anew (also under ``tf.function`` and in ``tf.data``),
  a batch gets one draw per image (one crop window per batch for ``RandomCrop``).
"""

from __future__ import annotations

import math
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers, runtime  # noqa: E402

pytestmark = pytest.mark.tf

ATOL = 1e-4  # pixel values up to 255 in float32


def both(expr: str):  # type: ignore[no-untyped-def]
    """The Keras layer and the runtime layer of one expression."""
    return eval(expr, {"layers": keras.layers}), eval(expr, {"layers": layers()})


def images(shape, dtype="float32", seed=0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, shape).astype(dtype)


LAYERS = [
    "layers.RandomFlip()",
    "layers.RandomFlip('horizontal', seed=3)",
    "layers.RandomFlip('vertical')",
    "layers.RandomRotation(0.2)",
    "layers.RandomRotation((-0.1, 0.3), fill_mode='constant', interpolation='nearest', fill_value=9.0)",
    "layers.RandomZoom(0.3)",
    "layers.RandomZoom((-0.2, 0.1), (0.1, 0.4), fill_mode='wrap')",
    "layers.RandomTranslation(0.2, 0.1)",
    "layers.RandomTranslation((-0.3, 0.0), 0.25, fill_mode='nearest')",
    "layers.RandomCrop(3, 4)",
    "layers.RandomCrop(9, 9)",
    "layers.RandomContrast(0.5)",
    "layers.RandomContrast((0.2, 0.4), value_range=(0, 1))",
    "layers.RandomBrightness(0.3)",
    "layers.RandomBrightness((-0.2, 0.1), value_range=(10, 200))",
    "layers.RandomGrayscale()",
    "layers.RandomInvert()",
    "layers.Solarization(0.3, 0.6)",
    "layers.RandomPosterization(5)",
    "layers.AutoContrast()",
    "layers.RandomColorDegeneration(0.5)",
    "layers.RandomSaturation(0.5)",
    "layers.RandomHue(0.4)",
    "layers.RandomSharpness(0.6)",
    "layers.RandomShear(0.3, 0.2)",
    "layers.RandomGaussianBlur(0.8, kernel_size=5)",
    "layers.RandomErasing(0.7)",
    "layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2, saturation_factor=0.3, hue_factor=0.1)",
    "layers.Equalization(bins=64)",
    "layers.RandomPerspective(0.7, scale=0.5)",
    "layers.RandAugment(num_ops=3)",
]
INPUTS = [
    ("batch float32", (3, 7, 8, 3), "float32", {}),
    ("batch float64", (2, 6, 6, 2), "float64", {}),
    ("batch int32", (2, 6, 7, 3), "int32", {}),
    ("single uint8", (6, 7, 3), "uint8", {}),
    ("single float32", (7, 5, 1), "float32", {}),
    ("channels_first", (2, 3, 6, 7), "float32", {"data_format": "channels_first"}),
]
_TAKES_DATA_FORMAT = ("RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomGrayscale",
                      "RandomInvert", "RandomPosterization", "RandomColorDegeneration", "RandomSaturation", "RandomHue",
                      "RandomSharpness", "RandomShear", "RandomGaussianBlur", "RandomErasing", "Equalization",
                      "RandomPerspective")


def _with_kwargs(expr: str, kwargs: dict) -> str:  # type: ignore[type-arg]
    if not kwargs:
        return expr
    extra = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return expr[:-1] + (", " if not expr.endswith("()") else "") + extra + ")"


def _cases():  # type: ignore[no-untyped-def]
    for expr in LAYERS:
        for label, shape, dtype, kwargs in INPUTS:
            if kwargs and not expr.startswith(tuple(f"layers.{n}" for n in _TAKES_DATA_FORMAT)):
                continue
            yield pytest.param(_with_kwargs(expr, kwargs), shape, dtype, id=f"{expr}-{label}")


# --- inference: exactly Keras ----------------------------------------------------------------


@pytest.mark.parametrize("expr, shape, dtype", list(_cases()))
def test_inference_is_exactly_keras(expr: str, shape, dtype) -> None:  # type: ignore[no-untyped-def]
    k_layer, t_layer = both(expr)
    x = images(shape, dtype)
    expected = k_layer(x, training=False)
    got = t_layer(x, training=False)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    if "AutoContrast" not in expr:  # not random: it applies in inference too, as in Keras
        # and it is the input (cast as Keras casts)
        np.testing.assert_array_equal(np.asarray(got), x.astype(np.asarray(expected).dtype))


@pytest.mark.parametrize("expr, shape, dtype", list(_cases()))
def test_training_output_has_keras_shape_and_dtype(expr: str, shape, dtype) -> None:  # type: ignore[no-untyped-def]
    k_layer, t_layer = both(expr)
    x = images(shape, dtype)
    try:
        expected = k_layer(x, training=True)
    except Exception:  # Keras itself fails (RandomContrast on integer images): nothing to match
        pytest.skip("Keras raises on this input in training")
    got = t_layer(x, training=True)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    lo, hi = (0, 255) if "value_range=(0, 1)" not in expr else (0, 1)
    if "value_range" in expr or "Contrast" in expr or "Brightness" in expr:
        assert float(tf.reduce_min(got)) >= lo - 1e-6 and float(tf.reduce_max(got)) <= max(hi, 255) + 1e-6


def test_training_flag_resolves_as_in_keras() -> None:
    """``layer(x)`` trains (Keras's ``call(..., training=True)`` default); ``training=False``
    and a model called with ``training=False`` do not; a model called without it does."""
    ns = runtime()
    x = images((16, 5, 5, 1))
    for build in (lambda L: L.RandomFlip("horizontal", seed=1), lambda L: L.RandomRotation(0.3, seed=1)):
        k_layer, t_layer = build(keras.layers), build(layers())
        for layer in (k_layer, t_layer):
            assert not np.array_equal(np.asarray(layer(x)), x), type(layer)
            np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    k_model = keras.Sequential([keras.Input((5, 5, 1)), keras.layers.RandomFlip("horizontal")])
    t_model = ns["Sequential"]([ns["Input"]((5, 5, 1)), ns["RandomFlip"]("horizontal")])
    for model in (k_model, t_model):
        assert not np.array_equal(np.asarray(model(x)), x)
        np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
    np.testing.assert_array_equal(k_model.predict(x, verbose=0), x)

    def graph():
        inputs = ns["Input"]((5, 5, 1))
        return inputs, ns["RandomFlip"]("horizontal")(inputs)

    functional = ns["Model"](graph)
    assert not np.array_equal(np.asarray(functional(x)), x)
    np.testing.assert_array_equal(np.asarray(functional(x, training=False)), x)


def test_augmentation_layers_have_no_weights_and_keep_a_models_weight_order() -> None:
    ns = runtime()
    k_model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.RandomFlip(), keras.layers.RandomRotation(0.1),
                                keras.layers.Flatten(), keras.layers.Dense(4)])
    t_model = ns["Sequential"]([ns["Input"]((6, 6, 3)), ns["RandomFlip"](), ns["RandomRotation"](0.1),
                                ns["Flatten"](), ns["Dense"](4)])
    for expr in LAYERS:
        k_layer, t_layer = both(expr)
        k_layer(images((1, 9, 9, 3)))
        t_layer(images((1, 9, 9, 3)))
        assert k_layer.get_weights() == [] and t_layer.get_weights() == []
    weights = [w + 0.1 for w in k_model.get_weights()]
    k_model.set_weights(weights)
    t_model.set_weights(weights)
    x = images((2, 6, 6, 3))
    np.testing.assert_allclose(np.asarray(t_model(x, training=False)), k_model.predict(x, verbose=0), atol=1e-3)


# --- training: fixed strength and Keras's own draws give Keras's pixels -----------------------

FIXED = [
    "layers.RandomRotation((0.1, 0.1))",
    "layers.RandomRotation((-0.35, -0.35), fill_mode='constant', fill_value=7.0)",
    "layers.RandomRotation((0.5, 0.5), interpolation='nearest', fill_mode='wrap')",
    "layers.RandomRotation((0.05, 0.05), fill_mode='nearest', data_format='channels_first')",
    "layers.RandomZoom((0.4, 0.4))",
    "layers.RandomZoom((-0.4, -0.4), (0.25, 0.25), fill_mode='constant', interpolation='nearest')",
    "layers.RandomTranslation((0.3, 0.3), (-0.2, -0.2))",
    "layers.RandomTranslation((-0.5, -0.5), (0.5, 0.5), fill_mode='wrap', data_format='channels_first')",
    "layers.RandomBrightness((0.2, 0.2))",
    "layers.RandomBrightness((-0.4, -0.4), value_range=(0, 100))",
    "layers.RandomCrop(9, 7)",
    "layers.RandomCrop(5, 8)",
    "layers.RandomCrop(7, 8)",
]
COLOUR_FIXED = [
    "layers.RandomGrayscale(1.0)",
    "layers.RandomGrayscale(1.0, data_format='channels_first')",
    "layers.Solarization(value_range=(0, 100))",
    "layers.RandomPosterization((3, 3))",
    "layers.RandomPosterization((6, 6), data_format='channels_first')",
    "layers.AutoContrast(value_range=(0, 100))",
    "layers.RandomColorDegeneration((0.7, 0.7))",
    "layers.RandomColorDegeneration((-0.3, -0.3), data_format='channels_first')",
    "layers.RandomSaturation((0.35, 0.35))",
    "layers.RandomSaturation((-0.6, -0.6), data_format='channels_first')",
    "layers.RandomHue(0.0, data_format='channels_first')",
    "layers.RandomSharpness((0.1, 0.1))",
    "layers.RandomSharpness((0.9, 0.9), data_format='channels_first')",
    "layers.RandomShear(0.0, 0.0, data_format='channels_first')",
    "layers.RandomGaussianBlur((1.0, 1.0), sigma=(0.6, 0.6))",
    "layers.RandomGaussianBlur((1.0, 1.0), kernel_size=(3, 5), sigma=(0.4, 0.4), data_format='channels_first')",
    "layers.RandomColorJitter(brightness_factor=(0.1, 0.1), contrast_factor=(0.0, 0.0), saturation_factor=(0.3, 0.3))",
    "layers.Equalization()",
    "layers.Equalization(value_range=(0, 100), bins=20, data_format='channels_first')",
]


@pytest.mark.parametrize("expr", FIXED)
@pytest.mark.parametrize("shape, dtype", [((3, 7, 8, 3), "float32"), ((7, 8, 2), "float32"), ((2, 7, 8, 3), "int32")],
                         ids=["batch", "single", "int"])
def test_fixed_strength_matches_keras(expr: str, shape, dtype) -> None:  # type: ignore[no-untyped-def]
    k_layer, t_layer = both(expr)
    x = images(shape, dtype)
    expected = np.asarray(k_layer(x, training=True))
    got = np.asarray(t_layer(x, training=True))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("expr", COLOUR_FIXED)
@pytest.mark.parametrize("shape, dtype", [((3, 7, 8, 3), "float32"), ((7, 8, 3), "float32"), ((2, 7, 8, 3), "int32")],
                         ids=["batch", "single", "int"])
def test_fixed_strength_colour_layers_match_keras(expr: str, shape, dtype) -> None:  # type: ignore[no-untyped-def]
    """Colour layers at fixed strength (RGB images, channels-first ones transposed)."""
    k_layer, t_layer = both(expr)
    x = images(shape, dtype)
    if "channels_first" in expr:
        x = np.moveaxis(x, -1, -3)
    try:
        expected = np.asarray(k_layer(x, training=True))
    except Exception:  # Keras raises (RandomSaturation on integer images)
        pytest.skip("Keras raises on this input in training")
    got = np.asarray(t_layer(x, training=True))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)


def test_zero_strength_is_the_identity() -> None:
    x = images((4, 7, 6, 3))
    for expr in ("layers.RandomRotation(0.0)", "layers.RandomZoom(0.0)", "layers.RandomTranslation(0.0, 0.0)",
                 "layers.RandomBrightness(0.0)", "layers.RandomContrast(0.0)", "layers.RandomCrop(7, 6)"):
        for layer in both(expr):
            np.testing.assert_allclose(np.asarray(layer(x, training=True)), x, atol=ATOL, rtol=0, err_msg=expr)


def _keras_params(name: str, transformation):  # type: ignore[no-untyped-def]
    """Keras's transformation dict as the runtime class's ``_apply`` parameters."""
    if name == "RandomFlip":
        return transformation["flips"]
    if name == "RandomRotation":
        return transformation["angle"]
    if name == "RandomZoom":
        return transformation["height_zoom"], transformation["width_zoom"]
    if name == "RandomTranslation":
        t = transformation["translations"]
        return t[:, 1:], t[:, 0:1]
    if name == "RandomContrast":
        return transformation["contrast_factor"]
    if name == "RandomBrightness":
        return transformation["rgb_delta"]
    if name == "RandomCrop":
        return transformation
    if name == "RandomGrayscale":
        return transformation
    keys = {"RandomInvert": ["apply_inversion"], "Solarization": ["additions", "thresholds"],
            "RandomPosterization": ["shift_factor"], "RandomColorDegeneration": ["factor"], "RandomSaturation": ["factor"],
            "RandomHue": ["factor"], "RandomSharpness": ["factor"], "RandomShear": ["shear_factor"],
            "RandomGaussianBlur": ["should_apply_blur", "blur_factor"],
            "RandomErasing": ["apply_erasing", "batch_masks", "fill_value"],
            "RandomPerspective": ["apply_perspective", "start_points", "end_points"]}[name]
    values = tuple(transformation[k] for k in keys)
    return values[0] if len(values) == 1 else values


RANDOM = [
    "layers.RandomFlip()",
    "layers.RandomFlip('horizontal')",
    "layers.RandomFlip('vertical')",
    "layers.RandomRotation(0.5)",
    "layers.RandomRotation((-0.2, 0.1), fill_mode='constant', interpolation='nearest', fill_value=3.0)",
    "layers.RandomZoom(0.5)",
    "layers.RandomZoom((-0.3, 0.6), (0.2, 0.3), fill_mode='wrap')",
    "layers.RandomTranslation(0.4, 0.3)",
    "layers.RandomTranslation((0.0, 0.5), (-0.5, 0.0), fill_mode='nearest', interpolation='nearest')",
    "layers.RandomContrast(0.8)",
    "layers.RandomContrast((0.5, 0.5), value_range=(20, 230))",
    "layers.RandomBrightness(0.5)",
    "layers.RandomBrightness((-0.1, 0.6), value_range=(0, 100))",
    "layers.RandomCrop(4, 5)",
    "layers.RandomGrayscale(0.5)",
    "layers.RandomInvert()",
    "layers.RandomInvert(0.8, value_range=(0, 300))",
    "layers.Solarization(0.5, 0.5)",
    "layers.Solarization((0.1, 0.3), 0.8, value_range=(0, 100))",
    "layers.RandomPosterization(4)",
    "layers.RandomPosterization((2, 6), value_range=(0, 100))",
    "layers.RandomColorDegeneration(0.5)",
    "layers.RandomSaturation(0.5)",
    "layers.RandomSaturation((0.2, 0.9), value_range=(0, 1))",
    "layers.RandomHue(0.5)",
    "layers.RandomHue((0.2, 0.7), value_range=(0, 100))",
    "layers.RandomSharpness(0.5)",
    "layers.RandomShear(0.3, 0.2)",
    "layers.RandomShear((0.1, 0.4), 0.0, fill_mode='constant', interpolation='nearest')",
    "layers.RandomGaussianBlur()",
    "layers.RandomGaussianBlur(0.7, kernel_size=(3, 5), sigma=(0.3, 0.8))",
    "layers.RandomErasing()",
    "layers.RandomErasing(0.9, scale=(0.1, 0.5), fill_value=(10, 20, 30))",
    "layers.RandomErasing(fill_value=100.0)",
    "layers.RandomPerspective()",
    "layers.RandomPerspective(0.6, scale=0.4, interpolation='nearest', fill_value=9.0)",
]


@pytest.mark.parametrize("expr", RANDOM)
def test_keras_draws_give_keras_pixels(expr: str) -> None:
    """Keras's own random transformation, applied by the runtime class's ``_apply``, gives
    the pixels Keras's ``transform_images`` gives: the formulas agree for every draw."""
    k_layer, t_layer = both(expr)
    name = type(k_layer).__name__
    x = tf.constant(images((6, 7, 9, 3)))
    for _ in range(3):
        transformation = k_layer.get_random_transformation(x, training=True)
        expected = np.asarray(k_layer.transform_images(x, transformation, training=True))
        got = np.asarray(t_layer._apply(x, _keras_params(name, transformation)))
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)


_RANDAUGMENT_OPS = ["random_shear", "random_translation", "random_rotation", "random_brightness",
                    "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                    "solarization", "auto_contrast", "equalization"]
_RANDAUGMENT_CLASSES = {"random_shear": "RandomShear", "random_translation": "RandomTranslation",
                        "random_rotation": "RandomRotation", "random_brightness": "RandomBrightness",
                        "random_color_degeneration": "RandomColorDegeneration", "random_contrast": "RandomContrast",
                        "random_sharpness": "RandomSharpness", "random_posterization": "RandomPosterization",
                        "solarization": "Solarization"}


@pytest.mark.parametrize("expr", ["layers.RandAugment()",
                                  "layers.RandAugment(value_range=(0, 1), num_ops=3, factor=0.8, interpolation='nearest')",
                                  "layers.RandAugment(num_ops=4, factor=1.0)"])
def test_randaugment_applies_keras_draws_as_keras(expr: str) -> None:
    """Keras's op choices and every sub-layer's draws, applied by the runtime class."""
    k_layer, t_layer = both(expr)
    scale = 1.0 if "(0, 1)" in expr else 255.0
    x = tf.constant(images((4, 7, 9, 3)) / 255.0 * scale)
    for _ in range(4):
        tr = k_layer.get_random_transformation(x, training=True)
        expected = np.asarray(k_layer.transform_images(x, tr, training=True))
        params = [_keras_params(_RANDAUGMENT_CLASSES[n], tr["transforms"][n]) if n in _RANDAUGMENT_CLASSES else None
                  for n in _RANDAUGMENT_OPS]
        got = np.asarray(t_layer._apply(x, (tr["layer_idxes"], params)))
        np.testing.assert_allclose(got, expected, atol=ATOL * scale / 255.0 + 1e-6, rtol=0)
    choices = np.stack([np.asarray(t_layer._aug_uniform([t_layer.num_ops], 0, 11, dtype=tf.int32)) for _ in range(150)])
    counts = np.bincount(choices.ravel(), minlength=11)
    assert counts.min() > 0 and counts.max() < 3 * counts.mean(), counts  # every op is chosen, roughly evenly


# --- the distribution of the draws --------------------------------------------------------------

N = 4000


def _summary(values):  # type: ignore[no-untyped-def]
    v = np.asarray(values, dtype="float64").ravel()
    return v.min(), v.max(), v.mean(), v.std()


def _same_distribution(ours, theirs, lo: float, hi: float) -> None:  # type: ignore[no-untyped-def]
    """Both samples lie in [lo, hi] and have the same mean and spread (5 standard errors)."""
    o_min, o_max, o_mean, o_std = _summary(ours)
    t_min, t_max, t_mean, t_std = _summary(theirs)
    width = hi - lo
    for v_min, v_max in ((o_min, o_max), (t_min, t_max)):
        assert lo - 1e-4 * max(1.0, abs(lo)) <= v_min and v_max <= hi + 1e-4 * max(1.0, abs(hi))
        if width > 0:  # a continuous uniform sample of N reaches near both ends
            assert v_min < lo + 0.01 * width and v_max > hi - 0.01 * width
    n = np.asarray(ours).size
    tol = 5 * (o_std + t_std + 1e-12) / math.sqrt(n)
    assert abs(o_mean - t_mean) < 2 * tol, (o_mean, t_mean)
    assert abs(o_std - t_std) < 0.05 * max(t_std, 1e-9) + 1e-9, (o_std, t_std)


def _draws(expr: str, shape=(N, 4, 5, 1)):  # type: ignore[no-untyped-def]
    k_layer, t_layer = both(expr)
    x = tf.constant(images(shape))
    return k_layer, t_layer, x, k_layer.get_random_transformation(x, training=True), t_layer._draw(x)


def test_flip_probability_is_one_half_and_both_flips_share_one_draw() -> None:
    _, t_layer, x, k_tr, t_flips = _draws("layers.RandomFlip()")
    for flips in (k_tr["flips"], t_flips):
        assert abs(float(np.mean(np.asarray(flips))) - 0.5) < 5 * 0.5 / math.sqrt(N)
    out = np.asarray(t_layer(x, training=True))
    xs = np.asarray(x)
    both_ways = xs[:, ::-1, ::-1, :]
    same = np.all(out == xs, axis=(1, 2, 3))
    turned = np.all(out == both_ways, axis=(1, 2, 3))
    assert np.all(same | turned), "horizontal_and_vertical flips an image one way only"
    assert 0.4 < turned.mean() < 0.6


@pytest.mark.parametrize("factor", ["0.2", "(-0.1, 0.3)", "(0.25, 0.5)"])
def test_rotation_angles_are_distributed_as_keras(factor: str) -> None:
    k_layer, _, _, k_tr, t_angle = _draws(f"layers.RandomRotation({factor})")
    lo, hi = (k * 360.0 for k in k_layer.factor)
    _same_distribution(t_angle, k_tr["angle"], lo, hi)


@pytest.mark.parametrize("args", ["0.3", "(-0.2, 0.5), (0.1, 0.2)", "(0.0, 0.0), 0.4"])
def test_zoom_factors_are_distributed_as_keras(args: str) -> None:
    k_layer, _, _, k_tr, (t_h, t_w) = _draws(f"layers.RandomZoom({args})")
    _same_distribution(t_h, k_tr["height_zoom"], 1 + k_layer.height_lower, 1 + k_layer.height_upper)
    if k_layer.width_factor is None:
        np.testing.assert_array_equal(np.asarray(t_h), np.asarray(t_w))
        np.testing.assert_array_equal(np.asarray(k_tr["height_zoom"]), np.asarray(k_tr["width_zoom"]))
    else:
        _same_distribution(t_w, k_tr["width_zoom"], 1 + k_layer.width_lower, 1 + k_layer.width_upper)


@pytest.mark.parametrize("args", ["0.2, 0.3", "(-0.5, 0.1), (0.2, 0.25)"])
def test_translations_are_distributed_as_keras(args: str) -> None:
    k_layer, _, x, k_tr, (t_dy, t_dx) = _draws(f"layers.RandomTranslation({args})")
    height, width = x.shape[1], x.shape[2]
    k_t = np.asarray(k_tr["translations"])
    _same_distribution(t_dy, k_t[:, 1], k_layer.height_lower * height, k_layer.height_upper * height)
    _same_distribution(t_dx, k_t[:, 0], k_layer.width_lower * width, k_layer.width_upper * width)


@pytest.mark.parametrize("factor, lo, hi", [("0.5", 1.0, 1.5), ("(0.5, 0.5)", 0.5, 1.5), ("(0.2, 0.7)", 0.8, 1.7)])
def test_contrast_factors_are_distributed_as_keras(factor: str, lo: float, hi: float) -> None:
    """Including Keras's trap: ``factor=f`` draws from [1, 1 + f], not [1 - f, 1 + f]."""
    _, _, _, k_tr, t_factor = _draws(f"layers.RandomContrast({factor})")
    _same_distribution(t_factor, k_tr["contrast_factor"], lo, hi)


@pytest.mark.parametrize("args, lo, hi", [("0.5", -127.5, 127.5), ("(-0.1, 0.3), value_range=(0, 1)", -0.1, 0.3)])
def test_brightness_deltas_are_distributed_as_keras(args: str, lo: float, hi: float) -> None:
    _, _, _, k_tr, t_delta = _draws(f"layers.RandomBrightness({args})")
    _same_distribution(t_delta, k_tr["rgb_delta"], lo, hi)


def test_crop_corners_are_uniform_and_shared_by_the_batch() -> None:
    k_layer, t_layer = both("layers.RandomCrop(3, 4)")
    x = tf.constant(images((2, 6, 8, 1)))  # 4 x 5 corner positions
    counts = {"keras": np.zeros((4, 5)), "runtime": np.zeros((4, 5))}
    draws = 1000
    for _ in range(draws):
        top, left = k_layer.get_random_transformation(x, training=True)
        counts["keras"][int(top), int(left)] += 1
        top, left = t_layer._draw(x)
        counts["runtime"][int(top), int(left)] += 1
    for who, c in counts.items():
        expected = draws / c.size
        assert c.min() > 0, who
        chi2 = float(((c - expected) ** 2 / expected).sum())
        assert chi2 < 60, (who, chi2)  # 19 degrees of freedom: p < 1e-5 above 50
    same = tf.constant(np.repeat(images((1, 6, 8, 1)), 4, axis=0))
    out = np.asarray(t_layer(same, training=True))
    assert all(np.array_equal(out[0], out[i]) for i in range(4)), "one window for the whole batch"


DRAWN = [
    "layers.RandomGrayscale(0.3)",
    "layers.RandomInvert()",
    "layers.RandomInvert(0.6)",
    "layers.Solarization((0.2, 0.4), (0.1, 0.9))",
    "layers.RandomPosterization((2, 7))",
    "layers.RandomColorDegeneration((-0.3, 0.8))",
    "layers.RandomSaturation(0.5)",
    "layers.RandomHue(0.6)",
    "layers.RandomSharpness((0.2, 0.9))",
    "layers.RandomShear((0.1, 0.4), 0.3)",
    "layers.RandomGaussianBlur(0.6, sigma=(0.2, 0.9))",
    "layers.RandomErasing(0.7, scale=(0.05, 0.4))",
    "layers.RandomPerspective(0.6, scale=0.7)",
]


@pytest.mark.parametrize("expr", DRAWN)
def test_colour_and_shear_draws_are_distributed_as_keras(expr: str) -> None:
    """Every parameter of the runtime's draw against Keras's over 4000 images: probabilities,
    means and spreads at 5 standard errors (bounds only for per-call parameters)."""
    k_layer, t_layer = both(expr)
    x = tf.constant(images((N, 4, 5, 3)))
    name = type(k_layer).__name__
    theirs = tf.nest.flatten(_keras_params(name, k_layer.get_random_transformation(x, training=True)))
    ours = tf.nest.flatten(t_layer._draw(x))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        o = np.asarray(o, dtype="float64").ravel()
        t = np.asarray(t, dtype="float64").ravel()
        assert o.size == t.size
        if o.size < 100:  # one value per call (the blur's sigma)
            continue
        slack = 0.02 * (t.max() - t.min()) + 1e-6
        assert t.min() - slack <= o.min() and o.max() <= t.max() + slack, (expr, o.min(), o.max(), t.min(), t.max())
        tol = 5 * (o.std() + t.std() + 1e-12) / math.sqrt(min(o.size, N))
        assert abs(o.mean() - t.mean()) < 2 * tol, (expr, o.mean(), t.mean())
        assert abs(o.std() - t.std()) < 0.08 * t.std() + 1e-9, (expr, o.std(), t.std())


# --- draws: per image, seeds, tf.function, tf.data ------------------------------------------


def test_one_draw_per_image_and_single_images() -> None:
    same = np.repeat(images((1, 6, 6, 1)), 8, axis=0)
    for expr in ("layers.RandomRotation(0.4)", "layers.RandomZoom(0.4)", "layers.RandomTranslation(0.3, 0.3)",
                 "layers.RandomBrightness(0.4)"):
        for layer in both(expr):
            out = np.asarray(layer(same, training=True))
            assert len({out[i].tobytes() for i in range(8)}) > 1, expr
            single = layer(same[0], training=True)
            assert single.shape == same[0].shape


def test_seeds_reproduce_and_every_call_draws_anew() -> None:
    ns = runtime()
    x = images((4, 6, 6, 2))
    a, b, c = ns["RandomRotation"](0.3, seed=5), ns["RandomRotation"](0.3, seed=5), ns["RandomRotation"](0.3, seed=6)
    first, second = np.asarray(a(x)), np.asarray(a(x))
    assert not np.array_equal(first, second), "a second call drew the same transformation"
    np.testing.assert_array_equal(first, np.asarray(b(x)))
    np.testing.assert_array_equal(second, np.asarray(b(x)))
    assert not np.array_equal(first, np.asarray(c(x)))
    unseeded = [np.asarray(ns["RandomRotation"](0.3)(x)) for _ in range(2)]
    assert not np.array_equal(*unseeded)


def test_every_call_draws_anew_under_tf_function_and_in_tf_data() -> None:
    ns = runtime()
    x = images((3, 6, 6, 1))
    layer = ns["RandomTranslation"](0.3, 0.3, seed=1)
    step = tf.function(lambda t: layer(t, training=True))
    outs = [np.asarray(step(x)) for _ in range(3)]
    assert not np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[1], outs[2])
    flip = ns["RandomFlip"]("horizontal", seed=2)
    ds = tf.data.Dataset.from_tensor_slices(np.repeat(images((1, 4, 5, 1)), 64, axis=0)).batch(8)
    ds = ds.map(lambda t: flip(t, training=True))
    batches = np.concatenate([b.numpy() for b in ds])
    assert len({b.tobytes() for b in batches}) == 2, "tf.data: every image is the image or its mirror, both occur"


def test_unsupported_inputs_and_arguments_raise() -> None:
    ns = runtime()
    with pytest.raises(NotImplementedError):
        ns["RandomFlip"]()({"images": images((1, 4, 4, 3)), "bounding_boxes": images((1, 2, 4))})
    with pytest.raises(ValueError):
        ns["RandomFlip"]()(images((4, 4)))
    with pytest.raises(ValueError):
        ns["RandomRotation"](1.5)
    with pytest.raises(ValueError):
        ns["RandomZoom"](-1.0)
    with pytest.raises(NotImplementedError):
        ns["RandomTranslation"](0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError):
        ns["RandomContrast"](-0.1)
    crop = ns["RandomCrop"](2, 2)
    with pytest.raises(NotImplementedError):
        ns["RandomColorJitter"](brightness_factor=0.1, data_format="channels_first")
    with pytest.raises(ValueError, match="fully defined"):
        tf.function(lambda t: crop(t, training=True)).get_concrete_function(tf.TensorSpec([None, None, None, 1]))


# --- a whole program through xlate to-tf ---------------------------------------------------

AUGMENTED_PROGRAM = '''
import keras
from keras import layers

data_augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                      layers.RandomZoom(0.1), layers.RandomContrast(0.2)])


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs)


model = make_model((8, 8, 3), 4)
'''


def test_translated_program_with_augmentation_matches_keras() -> None:
    """``xlate to-tf`` of the usual ``data_augmentation = keras.Sequential([...])`` model:
    the same weights, Keras's inference outputs, and training that augments."""
    from kerastf_xlate.totf import translate

    translated, _ = translate(AUGMENTED_PROGRAM, "augmented.py")
    assert "import keras" not in translated and "class RandomFlip(" in translated
    k_ns: dict = {}
    t_ns: dict = {}
    exec(compile(AUGMENTED_PROGRAM, "augmented.py", "exec"), k_ns)
    exec(compile(translated, "augmented_tf.py", "exec"), t_ns)
    k_model, t_model = k_ns["model"], t_ns["model"]
    weights = [w + 0.05 for w in k_model.get_weights()]
    k_model.set_weights(weights)
    t_model.set_weights(weights)
    x = images((3, 8, 8, 3))
    inference = np.asarray(t_model(x, training=False))
    np.testing.assert_allclose(inference, k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert not np.allclose(np.asarray(t_model(x, training=True)), inference)
    assert not np.allclose(np.asarray(t_model(x)), inference)  # a model called without `training` trains, as Keras
