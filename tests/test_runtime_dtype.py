"""Runtime layers under Keras's dtype policies, against Keras (tfr_dtype.py, tfr_base.py).

For each layer the program form translates with any ``dtype=`` (``args.POLICY_LAYERS``) and
each policy (``args.POLICY_DTYPES``): the variables' dtypes, the outputs' dtype and values in
inference and training (BatchNormalization's statistics updated) with the same perturbed
weights. Inputs are float32 (cast by the layer, as Keras's ``Layer.__call__`` casts them).
A user ``Layer`` subclass passing ``dtype=self.dtype_policy`` down checks the autocast scope
(a float32 sub-layer inside a mixed one, variables read in the compute dtype).

Tolerances, by compute dtype (values are O(1)): float32 atol = rtol = 1e-5; float64 1e-6
(Keras's LayerNormalization computes less exactly than float64 allows); float16 1e-2 and
bfloat16 5e-2 (an ulp of 1 is 2**-10 and 2**-7: summing in another order moves a result by
a few ulps). The worst difference of each case is printed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers, perturbed, policy_params, runtime, runtime_of

from kerastf_xlate.args import POLICY_LAYERS

pytestmark = pytest.mark.tf

TOLERANCE = {"float32": 1e-5, "float64": 1e-6, "float16": 1e-2, "bfloat16": 5e-2}

# layer expression (the policy is added as ``dtype=``), input: a shape (float32 normals), a
# list of shapes (several inputs), ("int", vocab, shape) for token ids, or ("args", shapes) for
# several positional arguments; then keywords of the call, if any
CASES: dict[str, tuple[Any, ...]] = {
    "Dense": ("Dense(5, activation='gelu')", (3, 4)),
    "Conv2D": ("Conv2D(3, 3, padding='same', activation='relu')", (6, 6, 2)),
    "Conv1D": ("Conv1D(3, 2, strides=2)", (8, 2)),
    "Conv2DTranspose": ("Conv2DTranspose(3, 2, strides=2)", (4, 4, 2)),
    "DepthwiseConv2D": ("DepthwiseConv2D(3, padding='same')", (5, 5, 2)),
    "EinsumDense": ("EinsumDense('abc,cd->abd', output_shape=(None, 5), bias_axes='d')", (3, 4)),
    "LayerNormalization": ("LayerNormalization(epsilon=1e-5)", (3, 6)),
    "BatchNormalization": ("BatchNormalization(momentum=0.8)", (5, 5, 3)),
    "GroupNormalization": ("GroupNormalization(groups=2)", (4, 4)),
    "Embedding": ("Embedding(11, 4)", ("int", 11, (6,))),
    "Dropout": ("Dropout(0.0)", (3, 4)),
    "Activation": ("Activation('swish')", (3, 4)),
    "ReLU": ("ReLU(max_value=1.5)", (3, 4)),
    "LeakyReLU": ("LeakyReLU(negative_slope=0.2)", (3, 4)),
    "Softmax": ("Softmax()", (3, 4)),
    "Identity": ("Identity()", (3, 4)),
    "Flatten": ("Flatten()", (3, 4)),
    "Reshape": ("Reshape((12,))", (3, 4)),
    "ZeroPadding2D": ("ZeroPadding2D(1)", (3, 3, 2)),
    "UpSampling2D": ("UpSampling2D(2)", (3, 3, 2)),
    "MaxPooling2D": ("MaxPooling2D(2)", (4, 4, 2)),
    "AveragePooling2D": ("AveragePooling2D(2)", (4, 4, 2)),
    "GlobalAveragePooling2D": ("GlobalAveragePooling2D()", (4, 4, 2)),
    "GlobalAveragePooling1D": ("GlobalAveragePooling1D()", (4, 2)),
    "Add": ("Add()", [(3, 4), (3, 4)]),
    "Multiply": ("Multiply()", [(3, 4), (3, 4)]),
    "Concatenate": ("Concatenate()", [(3, 4), (3, 2)]),
    "DepthwiseConv1D": ("DepthwiseConv1D(3, padding='same', depth_multiplier=2)", (6, 2)),
    "MaxPooling1D": ("MaxPooling1D(2)", (4, 2)),
    "AveragePooling1D": ("AveragePooling1D(2)", (4, 2)),
    "GlobalMaxPooling1D": ("GlobalMaxPooling1D()", (4, 2)),
    "GlobalMaxPooling2D": ("GlobalMaxPooling2D()", (4, 4, 2)),
    "GlobalAveragePooling3D": ("GlobalAveragePooling3D()", (2, 2, 2, 2)),
    "Cropping2D": ("Cropping2D(1)", (4, 4, 2)),
    "UpSampling1D": ("UpSampling1D(2)", (3, 2)),
    "ZeroPadding1D": ("ZeroPadding1D(1)", (3, 2)),
    "Permute": ("Permute((2, 1))", (3, 4)),
    "RepeatVector": ("RepeatVector(3)", (4,)),
    "Subtract": ("Subtract()", [(3, 4), (3, 4)]),
    "Average": ("Average()", [(3, 4), (3, 4)]),
    "Maximum": ("Maximum()", [(3, 4), (3, 4)]),
    "SeparableConv2D": ("SeparableConv2D(3, 3, padding='same')", (5, 5, 2)),
    "Conv1DTranspose": ("Conv1DTranspose(3, 2, strides=2)", (4, 2)),
    "Conv3D": ("Conv3D(2, 2)", (3, 3, 3, 2)),
    "PReLU": ("PReLU()", (3, 4)),
    "ELU": ("ELU()", (3, 4)),
    "SpatialDropout1D": ("SpatialDropout1D(0.0)", (4, 2)),
    "Rescaling": ("Rescaling(1.0 / 255, offset=-1.0)", (3, 4)),
    "Normalization": ("Normalization(mean=[0.5, 1.0, -1.0, 2.0], variance=[1.0, 4.0, 0.25, 2.0])", (3, 4)),
    # Keras's fused attention path (4-D projections, no dropout) and its einsum path (scores returned)
    "MultiHeadAttention": ("MultiHeadAttention(2, 3)", ("args", [(5, 4), (6, 4)])),
    "MultiHeadAttention-scores": ("MultiHeadAttention(2, 3, attention_axes=(1,))", ("args", [(5, 4), (6, 4)]),
                                  {"return_attention_scores": True}),
    # recurrent layers (NLP notebooks under a mixed policy); a bfloat16 recurrent kernel fails
    # in Keras (its orthogonal initializer's QR has no bfloat16 kernel) and so in the runtime
    "LSTM": ("LSTM(3)", (4, 2)),
    "LSTM-states": ("LSTM(3, return_sequences=True, return_state=True)", (4, 2)),
    "GRU": ("GRU(3)", (4, 2)),
    "GRU-v1": ("GRU(3, reset_after=False, return_sequences=True)", (4, 2)),
    "SimpleRNN": ("SimpleRNN(3, return_sequences=True)", (4, 2)),
    "ConvLSTM2D": ("ConvLSTM2D(2, 3)", (3, 5, 5, 2)),
    # more layers the notebooks make under a mixed policy (checked 2026-12-05)
    "Lambda": ("Lambda(lambda t: t * 2.0 + 1.0)", (3, 4)),
    "Conv2D-groups": ("Conv2D(4, 3, groups=2)", (5, 5, 4)),
    "Conv3DTranspose": ("Conv3DTranspose(2, 2)", (3, 3, 3, 2)),
    "SeparableConv1D": ("SeparableConv1D(3, 2, padding='same')", (6, 2)),
    "GlobalMaxPooling3D": ("GlobalMaxPooling3D()", (2, 2, 2, 2)),
    "Cropping1D": ("Cropping1D(1)", (5, 2)),
    "Cropping3D": ("Cropping3D(1)", (4, 4, 4, 2)),
    "ZeroPadding3D": ("ZeroPadding3D(1)", (2, 2, 2, 2)),
    "UpSampling3D": ("UpSampling3D(2)", (2, 2, 2, 2)),
    "SpatialDropout2D": ("SpatialDropout2D(0.0)", (4, 4, 2)),
    "SpatialDropout3D": ("SpatialDropout3D(0.0)", (2, 2, 2, 2)),
    "GaussianNoise": ("GaussianNoise(0.0)", (3, 4)),
    "GaussianDropout": ("GaussianDropout(0.0)", (3, 4)),
    "AlphaDropout": ("AlphaDropout(0.0)", (3, 4)),
    "ActivityRegularization": ("ActivityRegularization()", (3, 4)),
    "Minimum": ("Minimum()", [(3, 4), (3, 4)]),
    "Dot": ("Dot(axes=1)", [(3, 4), (3, 4)]),
    "UnitNormalization": ("UnitNormalization()", (3, 4)),
    "Attention": ("Attention()", [(3, 4), (5, 4)]),
    "AdditiveAttention": ("AdditiveAttention()", [(3, 4), (5, 4)]),
    "Masking": ("Masking()", (3, 4)),
}
# (layer, policy) where Keras raises, and the runtime must raise the same error
RAISES = {(name, "bfloat16"): "InvalidArgumentError" for name in ("LSTM", "GRU", "SimpleRNN", "ConvLSTM2D")}


def _inputs(kind: Any, seed: int = 0) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    if isinstance(kind, tuple) and kind and kind[0] == "args":
        return tuple(rng.normal(size=(2, *s)).astype("float32") for s in kind[1])
    if isinstance(kind, tuple) and kind and kind[0] == "int":
        return rng.integers(0, kind[1], (2, *kind[2])).astype("int32")
    if isinstance(kind, list):
        return [rng.normal(size=(2, *s)).astype("float32") for s in kind]
    return rng.normal(size=(2, *kind)).astype("float32")


def _compare(a: Any, b: Any, tol: float) -> float:
    import numpy as np
    import tensorflow as tf

    worst = 0.0
    for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b), strict=True):
        x = np.asarray(tf.cast(x, tf.float64))
        y = np.asarray(tf.cast(y, tf.float64))
        assert x.shape == y.shape
        if x.size:
            worst = max(worst, float(np.max(np.abs(x - y))))
        np.testing.assert_allclose(y, x, atol=tol, rtol=tol)
    return worst


def _policy_dtypes(policy: str) -> tuple[str, str]:
    """(compute, variable) dtype of a policy name."""
    return {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}.get(policy, (policy, policy))


def check_layer(name: str, policy: str) -> float:
    import keras
    import tensorflow as tf

    expr, kind, *rest = CASES[name]
    kwargs = rest[0] if rest else {}
    call = f"{expr[:-1]}{', ' if not expr.endswith('()') else ''}dtype={policy!r})"
    keras.utils.set_random_seed(0)
    k = eval(f"layers.{call}", {"layers": keras.layers})
    t = eval(f"layers.{call}", {"layers": layers()})
    x = _inputs(kind)
    tx = tf.nest.map_structure(tf.convert_to_tensor, x)
    args, targs = (x, tx) if isinstance(x, tuple) else ((x,), (tx,))
    raises = RAISES.get((name.split("-")[0], policy))
    if raises is not None:
        errors = []
        for layer, given in ((k, args), (t, targs)):
            try:
                layer(*given, **kwargs)
            except Exception as e:  # the error's class is what is compared
                errors.append(type(e).__name__)
            else:
                errors.append(None)
        assert errors == [raises, raises], errors
        print(f"{name} {policy}: raises {raises} in Keras and in the runtime")
        return 0.0
    k(*args, **kwargs), t(*targs, **kwargs)
    compute, variable = _policy_dtypes(policy)
    assert (t.compute_dtype, t.variable_dtype, t.dtype) == (k.compute_dtype, k.variable_dtype, k.dtype)
    assert [v.dtype.name for v in t.weights] == [str(v.dtype) for v in k.weights]
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    tol = TOLERANCE[compute]
    worst = 0.0
    for training in (False, True):
        ko, to = k(*args, training=training, **kwargs), t(*targs, training=training, **kwargs)
        for a, b in zip(tf.nest.flatten(ko), tf.nest.flatten(to), strict=True):
            assert tf.as_dtype(b.dtype).name == tf.as_dtype(a.dtype).name == compute, (b.dtype, a.dtype)
        worst = max(worst, _compare(ko, to, tol))
    worst = max(worst, _compare(k.get_weights(), t.get_weights(), tol))
    print(f"{name} {policy}: worst max |diff| = {worst:.3g} (tolerance {tol})")
    return worst


# the fast subset: the layers and policies of the brief, the rest is marked slow
FAST = {"Dense", "Conv2D", "LayerNormalization", "BatchNormalization", "Embedding", "Dropout", "LSTM"}
FAST_POLICIES = {"float32", "float64", "mixed_float16"}


@pytest.mark.parametrize("name, policy", policy_params(CASES, FAST, FAST_POLICIES))
def test_layer_follows_the_policy(name: str, policy: str) -> None:
    check_layer(name, policy)


def test_every_policy_layer_is_checked() -> None:
    """``POLICY_LAYERS`` (what the program form translates with any dtype) is what this file
    checks, with the image preprocessing layers of tests/test_runtime_augmentation_policy.py and
    TextVectorization (tests/test_runtime_text_policy.py)."""
    from test_runtime_augmentation_policy import CASES as IMAGE_CASES
    from test_runtime_text_policy import CASES as TEXT_CASES

    assert not set(IMAGE_CASES) & {name.split("-")[0] for name in CASES}
    assert set(POLICY_LAYERS) == {name.split("-")[0] for name in CASES} | set(IMAGE_CASES) | set(TEXT_CASES)


def test_policy_objects() -> None:
    """``DTypePolicy`` as Keras's: names, dtypes, equality, a layer's policy given to another."""
    import keras

    ns = runtime()
    for name in ("float32", "float64", "mixed_float16", "mixed_bfloat16", "bfloat16"):
        ours, theirs = ns["DTypePolicy"](name), keras.DTypePolicy(name)
        assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (theirs.name, theirs.compute_dtype, theirs.variable_dtype)
    assert ns["DTypePolicy"]("mixed_float16") == ns["DTypePolicy"]("mixed_float16") != ns["DTypePolicy"]("float16")
    layer = ns["Dense"](3, dtype="mixed_float16")
    assert ns["Dense"](3, dtype=layer.dtype_policy).dtype_policy is layer.dtype_policy
    assert ns["Dense"](3).dtype_policy.name == "float32"
    with pytest.raises(ValueError):
        ns["DTypePolicy"]("float17")
    with pytest.raises(NotImplementedError):
        ns["Dense"](3, dtype="int8_from_float32")


SUBCLASS = '''
class Block(Layer):
    """A block passing its policy down, with its own weight read in its compute dtype."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = Dense(units, activation="relu", dtype=self.dtype_policy)
        self.norm = LayerNormalization(dtype=self.dtype_policy)
        self.head = Dense(2, dtype="float32")  # a float32 island inside a mixed block

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", dtype=self.variable_dtype, name="scale")
        self.offset = self.add_weight(shape=(self.units,), initializer="zeros", name="offset")

    def call(self, inputs, training=None):
        x = self.norm(self.dense(inputs)) * self.scale + self.offset
        return x, self.head(x), self.scale + 0.0
'''


def _subclass(namespace: dict[str, Any]) -> type:
    scope = dict(namespace)
    exec(compile(SUBCLASS, "<block>", "exec"), scope)
    return scope["Block"]


WRAPPERS = {
    "Bidirectional": ("Bidirectional(L.LSTM(3, return_sequences=True))", (4, 3)),
    "Bidirectional-sum": ("Bidirectional(L.GRU(3), merge_mode='sum')", (4, 3)),
    "TimeDistributed": ("TimeDistributed(L.Dense(4))", (4, 3)),
    "TimeDistributed-conv": ("TimeDistributed(L.Conv2D(2, 3))", (3, 5, 5, 2)),
}


@pytest.mark.parametrize("name, policy", policy_params(WRAPPERS, {"Bidirectional", "TimeDistributed"}, {"mixed_float16"}))
def test_a_wrapper_follows_the_global_policy(name: str, policy: str) -> None:
    """``args.GLOBAL_POLICY_WRAPPERS`` under a global policy (the wrapped layer made under it
    too), as an NLP or video notebook that sets ``mixed_float16`` first makes them."""
    import keras
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.args import GLOBAL_POLICY_WRAPPERS

    assert name.split("-")[0] in GLOBAL_POLICY_WRAPPERS
    expr, shape = WRAPPERS[name]
    x = np.random.default_rng(3).normal(size=(2, *shape)).astype("float32")
    rt = runtime_of({"Bidirectional", "TimeDistributed", "LSTM", "GRU", "Dense", "Conv2D", "_config_set_dtype_policy"},
                    "xlate_wrapper_policy")
    wrapped = next((n for n in ("LSTM", "GRU") if f"L.{n}(" in expr), None)
    raises = RAISES.get((wrapped, policy))  # a recurrent kernel Keras cannot make in bfloat16
    made, errors = [], []
    for setter, namespace in ((keras.config.set_dtype_policy, keras.layers), (rt._config_set_dtype_policy, rt)):
        setter(policy)
        try:
            layer = eval("L." + expr, {"L": namespace})
            layer(x)
            made.append(layer)
        except Exception as e:
            if raises is None:
                raise
            errors.append(type(e).__name__)
        finally:
            setter("float32")
    if raises is not None:
        assert errors == [raises, raises], errors
        return
    k, t = made
    assert (t.compute_dtype, t.variable_dtype) == (k.compute_dtype, k.variable_dtype)
    assert [v.dtype.name for v in t.weights] == [str(v.dtype) for v in k.weights]
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    tol = TOLERANCE[_policy_dtypes(policy)[0]]
    worst = 0.0
    for training in (False, True):
        ko, to = k(x, training=training), t(x, training=training)
        assert tf.as_dtype(to.dtype) == tf.as_dtype(ko.dtype)
        worst = max(worst, _compare(ko, to, tol))
    print(f"{name} under the global policy {policy}: worst max |diff| = {worst:.3g} (tolerance {tol})")


@pytest.mark.parametrize("policy", ["float32", "float64", "mixed_float16"])
def test_subclass_passes_its_policy_down(policy: str) -> None:
    import keras
    import tensorflow as tf

    kb = _subclass({"Layer": keras.layers.Layer, "Dense": keras.layers.Dense,
                    "LayerNormalization": keras.layers.LayerNormalization})
    ns = runtime()
    tb = _subclass({"Layer": ns["Layer"], "Dense": ns["Dense"], "LayerNormalization": ns["LayerNormalization"]})
    keras.utils.set_random_seed(0)
    k, t = kb(4, dtype=policy), tb(4, dtype=policy)
    x = _inputs((3, 5))
    k(x), t(tf.constant(x))
    assert [v.dtype.name for v in t.weights] == [str(v.dtype) for v in k.weights]
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    (ky, kh, ks), (ty, th, ts) = k(x), t(tf.constant(x))
    compute = _policy_dtypes(policy)[0]
    # outputs in the compute dtype, a variable read in it, the float32 island's output in float32
    assert [v.dtype.name for v in (ky, kh, ks)] == [v.dtype.name for v in (ty, th, ts)] == [compute, "float32", compute]
    worst = max(_compare(ky, ty, TOLERANCE[compute]), _compare(kh, th, TOLERANCE[compute]), _compare(ks, ts, 0))
    print(f"Block {policy}: worst max |diff| = {worst:.3g}")


def test_compiling_a_mixed_float16_model_wraps_its_optimizer_as_keras_does() -> None:
    """Keras's ``compile`` wraps a mixed_float16 model's optimizer in a ``LossScaleOptimizer``
    (``auto_scale_loss``); the runtime's does the same, and not for a float32 model, an
    optimizer already wrapped, or ``auto_scale_loss=False``."""
    import keras

    from kerastf_xlate.totf.program.bundle import load_runtime

    rt = load_runtime()
    ns: dict[str, Any] = {"__name__": "xlate_training_runtime"}
    exec(compile("import tensorflow as tf\n" + rt.source({"Sequential", "Dense", "_TRAINING", "Adam", "LossScaleOptimizer",
                                                          "_config_set_dtype_policy"}), "<bundle>", "exec"), ns)
    cases = [("float32", {}), ("mixed_float16", {}), ("mixed_float16", {"auto_scale_loss": False}), ("mixed_bfloat16", {})]
    try:
        for policy, compile_kwargs in cases:  # the global policy, set both ways (restored below)
            keras.config.set_dtype_policy(policy)
            ns["_config_set_dtype_policy"](policy)
            theirs = keras.Sequential([keras.layers.Dense(2)])
            theirs.compile("adam", "mse", **compile_kwargs)
            ours = ns["Sequential"]([ns["Dense"](2)])
            ours.compile("adam", "mse", **compile_kwargs)
            assert ours.dtype_policy.name == theirs.dtype_policy.name == policy
            assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__, (policy, compile_kwargs)
            if type(theirs.optimizer).__name__ == "LossScaleOptimizer":
                assert type(ours.optimizer.inner_optimizer).__name__ == "Adam"
                assert ours.optimizer.name == theirs.optimizer.name
        wrapped = ns["LossScaleOptimizer"](ns["Adam"]())
        model = ns["Sequential"]([ns["Dense"](2)])
        model.compile(wrapped, "mse")
        assert model.optimizer is wrapped
    finally:
        keras.config.set_dtype_policy("float32")
        ns["_config_set_dtype_policy"]("float32")


def test_a_graph_model_converts_its_inputs_to_their_inputs_dtypes() -> None:
    """Keras's ``Functional`` converts each input to its ``Input``'s dtype before the graph
    runs: integer arrays fed to float32 Inputs (a notebook's `np.random.randint` features)
    become float32, and float ids fed to an int32 Input become int32; `predict` takes the
    list of inputs as one `x`. Same outputs, atol 1e-5."""
    import types

    import keras
    import numpy as np

    from kerastf_xlate.totf.program.bundle import load_runtime

    names = {"Model", "Input", "Dense", "Concatenate", "Flatten", "Embedding", "_TRAINING"}
    ns: dict[str, Any] = {"__name__": "xlate_training_runtime"}
    exec(compile("import tensorflow as tf\n" + load_runtime().source(names), "<bundle>", "exec"), ns)
    rt = types.SimpleNamespace(**{n: ns[n] for n in names})

    def keras_model() -> Any:
        a = keras.Input((4,))
        ids = keras.Input((3,), dtype="int32")
        x = keras.layers.Concatenate()([keras.layers.Dense(2)(a), keras.layers.Flatten()(keras.layers.Embedding(7, 2)(ids))])
        return keras.Model([a, ids], x)

    def graph() -> Any:
        a = rt.Input((4,))
        ids = rt.Input((3,), dtype="int32")
        x = rt.Concatenate()([rt.Dense(2)(a), rt.Flatten()(rt.Embedding(7, 2)(ids))])
        return [a, ids], x

    km = keras_model()
    tm = ns["Model"](graph)
    tm.set_weights(perturbed(km.get_weights()))
    km.set_weights(perturbed(km.get_weights()))
    rng = np.random.default_rng(3)
    features = rng.integers(0, 5, size=(6, 4))  # int64
    ids = rng.integers(0, 7, size=(6, 3)).astype("float64")
    want = np.asarray(km([features, ids]))
    got = np.asarray(tm([features, ids]))
    # `predict` of several inputs given as a list: one `x` (Keras's pack_x_y_sample_weight),
    # not (x, y, sample_weight)
    want_p, got_p = km.predict([features, ids], verbose=0), tm.predict([features, ids], verbose=0)
    # a Dense called on integers outside a graph model (a subclass's call): Keras's matmul
    # promotes them to float32
    kd, td = (next(layer for layer in m.layers if type(layer).__name__ == "Dense") for m in (km, tm))
    want_d, got_d = np.asarray(kd(features)), np.asarray(td(features))
    worst = max(float(np.max(np.abs(want - got))), float(np.max(np.abs(want_p - got_p))),
                float(np.max(np.abs(want_d - got_d))))
    print("worst difference", worst)
    assert got.dtype == want.dtype == got_d.dtype == np.float32 and got_p.shape == want_p.shape and worst <= 1e-5
