"""Image preprocessing and augmentation runtime layers under Keras's dtype policies, against
Keras 3 (tfr_augmentation.py, tfr_preprocessing.py).

The layers of transfer-learning code that sets ``mixed_precision.set_global_policy(
"mixed_float16")`` before its ``data_augmentation`` Sequential. For each layer in
:data:`CASES` (which are in ``args.POLICY_LAYERS``) and each policy (``args.POLICY_DTYPES``):
the compute/variable dtypes, then for images in [0, 255] as float32, float64, uint8 and int32
(a batch, and one float32 image):

- inference (``training=False``): Keras's output dtype and values;
- training with a transformation of fixed strength (``RandomRotation((a, a))``, RandomCrop's
  target not smaller than the image on a side: Keras's crop-and-resize): Keras's dtype and values;
- training with Keras's OWN random draws: Keras's ``get_random_transformation`` is replaced
  by the draw made once, the runtime class's ``_draw`` by the same draw (``_keras_params``),
  and both layers are called as a program calls them (TF's and Keras's generators differ, so
  this is how random training is compared; see tests/test_runtime_augmentation.py).

Keras raises on integer images in RandomContrast's training when called eagerly (nothing to
compare; the runtime computes them in float32, tests/test_runtime_augmentation.py). Inside a
TensorFlow graph Keras converts every input to the compute dtype first (the tests at the end).

Tolerance, absolute, by the output's dtype, for values up to 255: one ulp at 255 (float16 has
11 significant bits, so values in [128, 256) are 0.125 apart; bfloat16 8 bits, 1.0 apart);
float32 1e-4 (as tests/test_runtime_augmentation.py); float64 1e-9; integers exact. The same
ops run on the same dtypes in both, so the measured differences are 0 (printed per case).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers, policy_params  # noqa: E402
from test_runtime_augmentation import _keras_params  # noqa: E402

from kerastf_xlate.args import POLICY_LAYERS  # noqa: E402

pytestmark = pytest.mark.tf

TOLERANCE = {"float16": 0.125, "bfloat16": 1.0, "float32": 1e-4, "float64": 1e-9}

# layer: (expressions checked in inference and with Keras's draws, expressions of fixed strength
# checked in training); the policy is added as ``dtype=``
CASES: dict[str, tuple[list[str], list[str]]] = {
    "RandomFlip": (["RandomFlip()", "RandomFlip('horizontal')"], []),
    "RandomRotation": (["RandomRotation(0.2)", "RandomRotation(0.1, fill_mode='constant', fill_value=9.0)"],
                       ["RandomRotation((0.1, 0.1))", "RandomRotation((-0.3, -0.3), interpolation='nearest')"]),
    "RandomZoom": (["RandomZoom(0.2)", "RandomZoom((-0.3, 0.2), (0.1, 0.3), fill_mode='wrap')"],
                   ["RandomZoom((0.3, 0.3))", "RandomZoom((-0.25, -0.25), (0.2, 0.2), fill_mode='constant')"]),
    "RandomTranslation": (["RandomTranslation(0.2, 0.1)"],
                          ["RandomTranslation((0.25, 0.25), (-0.15, -0.15))",
                           "RandomTranslation((-0.1, -0.1), (0.3, 0.3), fill_mode='nearest', interpolation='nearest')"]),
    "RandomCrop": (["RandomCrop(5, 6)"], ["RandomCrop(8, 8)", "RandomCrop(12, 4)"]),
    "RandomContrast": (["RandomContrast(0.4)", "RandomContrast((0.3, 0.6), value_range=(10, 240))"], []),
    "RandomBrightness": (["RandomBrightness(0.3)"],
                         ["RandomBrightness((0.2, 0.2))", "RandomBrightness((-0.3, -0.3), value_range=(0, 200))"]),
    "Resizing": (["Resizing(6, 5)", "Resizing(11, 13, interpolation='nearest')", "Resizing(5, 5, crop_to_aspect_ratio=True)",
                  "Resizing(6, 4, pad_to_aspect_ratio=True, fill_value=3)", "Resizing(12, 12, interpolation='bicubic')"],
                 []),
    "CenterCrop": (["CenterCrop(5, 6)", "CenterCrop(10, 6)"], []),
}
_RANDOM = {"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomContrast",
           "RandomBrightness"}
INPUTS = [((2, 8, 9, 3), "float32"), ((8, 9, 3), "float32"), ((2, 8, 9, 3), "float64"), ((2, 8, 9, 3), "uint8"),
          ((2, 8, 9, 3), "int32")]


def _images(shape: tuple[int, ...], dtype: str, seed: int = 0) -> Any:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(dtype)


def _policy_dtypes(policy: str) -> tuple[str, str]:
    """(compute, variable) dtype of a policy name."""
    return {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}.get(policy, (policy, policy))


def _both(expr: str, policy: str) -> tuple[Any, Any]:
    call = f"{expr[:-1]}{', ' if not expr.endswith('()') else ''}dtype={policy!r})"
    return eval(f"layers.{call}", {"layers": keras.layers}), eval(f"layers.{call}", {"layers": layers()})


def _same(expected: Any, got: Any, what: str) -> float:
    """Keras's output and the runtime's: shape, dtype, values within the dtype's tolerance;
    the worst absolute difference."""
    expected_dtype, got_dtype = tf.as_dtype(expected.dtype).name, tf.as_dtype(got.dtype).name
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    assert got_dtype == expected_dtype, (what, got_dtype, expected_dtype)
    a = np.asarray(tf.cast(expected, tf.float64))
    b = np.asarray(tf.cast(got, tf.float64))
    tol = TOLERANCE.get(expected_dtype, 0.0)
    np.testing.assert_allclose(b, a, atol=tol, rtol=0, err_msg=what)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _keras_raises(layer: Any, x: Any) -> bool:
    try:
        layer(x, training=True)
    except Exception:  # Keras itself fails (RandomContrast on integer images): nothing to match
        return True
    return False


def check_layer(name: str, policy: str) -> float:
    random_exprs, fixed_exprs = CASES[name]
    compute, variable = _policy_dtypes(policy)
    worst = 0.0
    for expr in random_exprs + fixed_exprs:
        k, t = _both(expr, policy)
        assert (tf.as_dtype(t.compute_dtype).name, tf.as_dtype(t.variable_dtype).name, tf.as_dtype(t.dtype).name) == (
            k.compute_dtype, k.variable_dtype, k.dtype) == (compute, variable, variable), expr
        for shape, dtype in INPUTS:
            x = _images(shape, dtype)
            what = f"{expr} {policy} {dtype}{shape}"
            if expr in random_exprs:
                worst = max(worst, _same(k(x, training=False), t(tf.constant(x), training=False), what + " inference"))
            if name not in _RANDOM or _keras_raises(k, x):
                continue
            if expr in fixed_exprs:
                worst = max(worst, _same(k(x, training=True), t(tf.constant(x), training=True), what + " fixed"))
                continue
            # Keras's own draws, made once, used by both layers' ordinary calls
            batch = x if len(shape) == 4 else x[None]
            transformation = k.get_random_transformation(tf.cast(batch, compute), training=True)
            params = _keras_params(name, transformation)
            k.get_random_transformation = lambda *args, _t=transformation, **kwargs: _t
            t._draw = lambda images, _p=params: _p
            worst = max(worst, _same(k(x, training=True), t(tf.constant(x), training=True), what + " Keras's draws"))
            del k.get_random_transformation, t._draw
    print(f"{name} {policy}: worst max |diff| = {worst:.3g}")
    return worst


# the fast subset: mixed_float16 (the notebooks' policy) and float32 for three layers
FAST = {"RandomFlip", "RandomRotation", "Resizing"}
FAST_POLICIES = {"float32", "mixed_float16"}


@pytest.mark.parametrize("name, policy", policy_params(CASES, FAST, FAST_POLICIES))
def test_layer_follows_the_policy(name: str, policy: str) -> None:
    check_layer(name, policy)


def test_the_cases_are_policy_layers() -> None:
    """Every layer checked here is one the program form translates under any policy
    (tests/test_runtime_dtype.py's ``test_every_policy_layer_is_checked`` counts these)."""
    assert set(CASES) <= set(POLICY_LAYERS)


# --- inside a TensorFlow graph: Keras's DataLayer converts every input first -------------------


def _in_graph(layer: Any, x: Any, training: bool, where: str) -> Any:
    """``layer(x)`` in a ``tf.data`` map or a ``tf.function``."""
    if where == "tf.data":
        dataset = tf.data.Dataset.from_tensors(x).map(lambda images: layer(images, training=training))
        return next(iter(dataset))
    return tf.function(lambda images: layer(images, training=training))(tf.constant(x))


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
@pytest.mark.parametrize("where", ["tf.data", "tf.function"])
def test_inside_a_graph_every_input_takes_the_compute_dtype(policy: str, where: str) -> None:
    """In a ``tf.data`` map or a ``tf.function`` (``fit``'s and ``predict``'s steps), Keras's
    ``DataLayer.__call__`` converts every input, integer images included, to the compute
    dtype before the layer's own rules: uint8 images come out of Resizing and RandomBrightness
    as floats there (eagerly they stay uint8), RandomCrop's inference returns them converted.
    Inference, and training at fixed strength; dtypes and values (tolerance as above)."""
    worst = 0.0
    for name, (random_exprs, fixed_exprs) in CASES.items():
        for expr in random_exprs[:1] + fixed_exprs:
            k, t = _both(expr, policy)
            for dtype in ("uint8", "float32", "float64"):
                x = _images((2, 8, 9, 3), dtype)
                modes = [False] if expr in random_exprs and name in _RANDOM else [False, True]
                for training in modes:
                    what = f"{expr} {policy} {dtype} {where} training={training}"
                    worst = max(worst, _same(_in_graph(k, x, training, where), _in_graph(t, x, training, where), what))
    print(f"in a graph, {policy} {where}: worst max |diff| = {worst:.3g}")


def test_a_dict_in_a_tf_data_map_is_converted_whole() -> None:
    """Keras's dict input ``{"images", "labels"}`` in a ``tf.data`` map: labels are converted too."""
    for policy in ("float32", "mixed_float16"):
        k, t = _both("RandomBrightness((0.1, 0.1))", policy)
        data = {"images": _images((2, 8, 9, 3), "uint8"), "labels": np.array([1, 2], "int32")}
        for training in (False, True):
            theirs, ours = (next(iter(tf.data.Dataset.from_tensors(data).map(
                lambda d, layer=layer, training=training: layer(d, training=training)))) for layer in (k, t))
            assert sorted(ours) == sorted(theirs)
            for key in theirs:
                _same(theirs[key], ours[key], f"{policy} {key} training={training}")


def test_a_models_predict_converts_as_keras_does() -> None:
    """A model whose graph holds Resizing on uint8 Inputs (or RandomCrop on float32 ones under
    mixed_float16): Keras's eager ``model(x)`` keeps the input dtype, its ``predict`` (a
    ``tf.function``) converts; the runtime's model does the same."""
    import types

    from kerastf_xlate.totf.program.bundle import load_runtime

    ns: dict[str, Any] = {"__name__": "xlate_training_runtime"}
    rt = load_runtime()
    exec(compile("import tensorflow as tf\n" + rt.source({"Model", "Input", "Resizing", "RandomCrop", "RandomBrightness",
                                                          "_TRAINING", "_config_set_dtype_policy"}), "<bundle>", "exec"), ns)
    ours = types.SimpleNamespace(**ns)
    x = _images((4, 8, 9, 3), "uint8")
    try:
        for policy in ("float32", "mixed_float16"):
            keras.config.set_dtype_policy(policy)
            ours._config_set_dtype_policy(policy)
            for expr, input_dtype in (("Resizing(6, 5)", "uint8"), ("RandomCrop(4, 5)", "float32"),
                                      ("RandomBrightness(0.2)", "uint8")):
                inputs = keras.Input((8, 9, 3), dtype=input_dtype)
                theirs = keras.Model(inputs, eval(f"layers.{expr}", {"layers": keras.layers})(inputs))

                def graph(expr: str = expr, input_dtype: str = input_dtype) -> Any:
                    inputs = ours.Input((8, 9, 3), dtype=input_dtype)
                    return inputs, eval(f"layers.{expr}", {"layers": ours})(inputs)

                mine = ours.Model(graph)
                _same(theirs(x, training=False), mine(x, training=False), f"{expr} {policy} model(x)")
                _same(theirs.predict(x, verbose=0), mine.predict(x, verbose=0), f"{expr} {policy} predict")
    finally:
        keras.config.set_dtype_policy("float32")
        ours._config_set_dtype_policy("float32")
