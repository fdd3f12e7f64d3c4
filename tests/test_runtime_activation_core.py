"""Runtime activation and core layers against Keras beyond the rule examples: ReLU's
options together, Softmax over several axes and with masks, Embedding's index handling and
mask, EinsumDense's equation forms and initializer fans, Lambda's arguments, Dropout(rate=1);
and the runtime as a whole: constructor signatures equal to Keras's, no public name defined
twice, initializer names. Tolerance: float32, atol = rtol = 1e-5 (tests/runtime_pairs.py).
"""

from __future__ import annotations

import inspect
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers, runtime
from runtime_pairs import close, moved, pair, rand

pytestmark = pytest.mark.tf

MINE = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Embedding", "EinsumDense", "Lambda", "BatchNormalization",
        "LayerNormalization", "GroupNormalization", "RMSNormalization", "UnitNormalization", "Normalization",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
        "AlphaDropout", "ActivityRegularization", "Rescaling", "Resizing", "CenterCrop", "CategoryEncoding",
        "Attention", "AdditiveAttention", "MultiHeadAttention", "GroupQueryAttention", "Dropout"]


@pytest.mark.parametrize("name", MINE)
def test_constructor_signature_is_keras(name: str) -> None:
    """Same argument names, order and defaults as the installed Keras (``**kwargs`` aside)."""
    import keras

    def params(cls):  # type: ignore[no-untyped-def]
        return [(p.name, p.default) for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind is not p.VAR_KEYWORD]

    assert params(getattr(layers(), name)) == params(getattr(keras.layers, name))


def test_no_public_name_is_defined_twice() -> None:
    from kerastf_xlate.totf.program.bundle import load_runtime

    seen: dict[str, str] = {}
    twice = []
    for d in load_runtime().definitions:
        for name in d.binds:
            if not name.startswith("_"):
                if name in seen:
                    twice.append((name, seen[name], d.file))
                seen[name] = d.file
    assert not twice


def test_initializer_names() -> None:
    """Keras's aliases resolve; ``identity`` is the initializer, not the Identity layer."""
    import tensorflow as tf

    get = runtime()["initializers_get"]
    assert float(tf.reduce_max(tf.abs(get("uniform")((100,))))) <= 0.05
    assert float(tf.math.reduce_std(get("normal")((2000,)))) == pytest.approx(0.05, rel=0.1)
    assert tf.reduce_all(get("one")((2,)) == 1.0) and tf.reduce_all(get("zero")((2,)) == 0.0)
    assert get("identity")((2, 2)).numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert get("IdentityInitializer")((2, 2)).numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]


# ---------------------------------------------------------------------------- activations


@pytest.mark.parametrize("expr", [
    "layers.ReLU(max_value=6.0, negative_slope=0.1)",
    "layers.ReLU(max_value=2.0, threshold=0.5)",
    "layers.ReLU(max_value=6, negative_slope=0.2, threshold=0.3)",
    "layers.ReLU(threshold=1.0)",
    "layers.LeakyReLU(alpha=0.05)",
    "layers.ELU(alpha=0.0)",
])
def test_activation_options(expr: str) -> None:
    k, t = pair(expr)
    x = (rand(3, 7) * 4).astype("float32")
    x[0, :3] = [0.5, 6.0, 2.0]  # the edges
    close(k(x), t(x))


def test_relu_rejects_what_keras_rejects() -> None:
    for bad in ("layers.ReLU(max_value=-1.0)", "layers.ReLU(negative_slope=-0.1)", "layers.LeakyReLU(-1.0)"):
        with pytest.raises(ValueError):
            eval(bad, {"layers": layers()})


def test_prelu_weight_follows_the_input() -> None:
    k, t = pair("layers.PReLU(shared_axes=[1, 3])")
    x = rand(2, 3, 4, 5)
    k(x), t(x)
    moved(k, t)
    assert [w.shape for w in t.get_weights()] == [(1, 4, 1)]
    close(k(x), t(x))


@pytest.mark.parametrize("axis", [[1, 2], (2,), [-1, -2], -2, None])
def test_softmax_axes(axis) -> None:  # type: ignore[no-untyped-def]
    k, t = pair(f"layers.Softmax(axis={axis!r})")
    x = rand(2, 3, 4)
    close(k(x), t(x))


@pytest.mark.parametrize("kind", ["bool", "float", "broadcast", "all_masked"])
def test_softmax_mask(kind: str) -> None:
    import numpy as np

    k, t = pair("layers.Softmax()")
    x = rand(2, 3, 4)
    mask = np.random.default_rng(1).random((2, 3, 4)) > 0.4
    if kind == "float":
        mask = mask.astype("float32") * 0.9
    elif kind == "broadcast":
        mask = mask[:, :1, :]
    elif kind == "all_masked":
        mask[0, 1, :] = False
    out = t(x, mask=mask)
    close(k(x, mask=mask), out)
    if kind == "all_masked":  # zeros, not a uniform distribution
        assert np.all(np.asarray(out)[0, 1] == 0.0)


# ---------------------------------------------------------------------------- Embedding


def test_embedding_index_handling_and_mask() -> None:
    import numpy as np

    k, t = pair("layers.Embedding(6, 3, mask_zero=True)")
    ids = np.array([[0, 2, -1, 5], [-6, 1, 0, 3]], "int64")
    k(ids), t(ids)
    moved(k, t)
    close(k(ids), t(ids))
    floats = np.array([[0.0, 2.7, 5.2]], "float32")  # cast to int32 (truncated), as Keras
    close(k(floats), t(floats))
    assert t.compute_mask(ids).numpy().tolist() == np.asarray(k.compute_mask(ids)).tolist()
    _, plain = pair("layers.Embedding(6, 3)")
    assert plain.compute_mask(ids) is None


def test_embedding_weights_argument() -> None:
    import numpy as np

    table = rand(4, 2)
    k, t = pair("layers.Embedding(4, 2, weights=[__import__('numpy').arange(8, dtype='float32').reshape(4, 2)])")
    ids = np.array([[3, 0]])
    close(k(ids), t(ids))
    t.set_weights([table])
    assert np.allclose(t(ids), table[[3, 0]][None])


# ---------------------------------------------------------------------------- EinsumDense


@pytest.mark.parametrize("expr, shape", [
    ("layers.EinsumDense('...b,bc->...c', 3, bias_axes='c')", (2, 3, 4, 5)),
    ("layers.EinsumDense('abc,cd->abd', (4, 3), bias_axes='b')", (2, 4, 5)),
    ("layers.EinsumDense('abc,cde->abde', (4, 2, 3), bias_axes='bd')", (2, 4, 5)),
    ("layers.EinsumDense('ab...,bc->ac...', (3, 4), bias_axes='c', activation='tanh')", (2, 5, 4)),
    ("layers.EinsumDense('abcd,cde->abe', (None, 6), bias_axes='e')", (2, 3, 4, 5)),
])
def test_einsum_dense_equations(expr: str, shape: tuple[int, ...]) -> None:
    k, t = pair(expr)
    x = rand(*shape)
    k(x), t(x)
    assert [w.shape for w in k.get_weights()] == [w.shape for w in t.get_weights()]
    moved(k, t)
    close(k(x), t(x))


def test_einsum_dense_kernel_fans_follow_the_equation() -> None:
    """Glorot-uniform over the equation's input (64) and output (8 x 16) axes: limit
    sqrt(6 / 192) = 0.177, not the convolution-style fans' sqrt(6 / 1536) = 0.0625."""
    import numpy as np

    _, t = pair("layers.EinsumDense('ab,bcd->acd', (8, 16))")
    t(rand(1, 64))
    kernel = np.abs(t.get_weights()[0])
    assert kernel.max() <= np.sqrt(6 / 192) + 1e-6
    assert kernel.max() > 0.15


# ---------------------------------------------------------------------------- Lambda, Dropout


def test_lambda_arguments_mask_and_training() -> None:
    import numpy as np

    # the function is user code: called with `arguments`, and mask/training when it takes them
    def scaled(x, factor, mask=None, training=None):  # type: ignore[no-untyped-def]
        y = x * factor
        if mask is not None:
            y = y * mask[..., None]
        return y + (1.0 if training else 0.0)

    x = rand(2, 3, 4)
    mask = np.array([[1, 1, 0], [1, 0, 0]], "float32")
    import keras

    k = keras.layers.Lambda(scaled, arguments={"factor": 3.0}, mask=lambda inputs, mask: mask)
    t = layers().Lambda(scaled, arguments={"factor": 3.0}, mask=lambda inputs, mask: mask)
    for training in (False, True):
        close(k(x, mask=mask, training=training), t(x, mask=mask, training=training))
    assert t.compute_mask(x, "m") == "m"
    assert layers().Lambda(lambda v: v, mask="fixed").compute_mask(x) == "fixed"


def test_dropout_rate_one_and_bounds() -> None:
    import numpy as np

    k, t = pair("layers.Dropout(1.0)")
    x = rand(3, 4)
    assert np.all(np.asarray(t(x, training=True)) == 0.0)
    close(k(x, training=True), t(x, training=True))
    assert np.array_equal(np.asarray(t(x, training=False)), x)
    with pytest.raises(ValueError):
        layers().Dropout(1.5)


def test_each_class_bundles_alone() -> None:
    """The bundler's closure of one class is enough to run it: its first rule example, from
    a namespace holding only what ``xlate to-tf`` would write for that class."""
    import tensorflow as tf
    from models import make_inputs
    from test_runtime_layers import apply

    from kerastf_xlate.rules import default_rules
    from kerastf_xlate.totf.program.bundle import load_runtime

    rules = default_rules()
    rt = load_runtime()
    for name in MINE:
        example = rules.get(name).examples[0]
        ns: dict = {"__name__": f"bundle_{name}"}  # type: ignore[type-arg]
        exec(compile("import tensorflow as tf\n" + rt.source({name}), f"<{name}>", "exec"), ns)
        layer = eval(example.keras, {"layers": type("L", (), ns)})
        x = make_inputs(example)
        out = apply(layer, tf.nest.map_structure(tf.convert_to_tensor, x))
        assert all(tf.reduce_all(tf.math.is_finite(tf.cast(o, tf.float32))) for o in tf.nest.flatten(out)), name
