"""The lookup and text runtime classes (``src/kerastf_xlate/runtime/tfr_lookup.py``) against
Keras 3: state moved the documented ways, outputs compared exactly.

A Keras layer is built (and adapted where it learns), its state moves to the runtime class
by each documented route — the constructor's ``vocabulary=`` / ``idf_weights=`` /
``bin_boundaries=`` from ``get_vocabulary()`` / ``idf_weights`` / ``bin_boundaries``,
``set_vocabulary()``, a vocabulary file, or ``adapt()`` run the same way on the same data —
and both layers run on inputs with in-vocabulary, OOV and mask values. Integer outputs
must be equal; float outputs (tf_idf, IDF weights, quantile boundaries) within
``1e-6``, relative.
"""

from __future__ import annotations

import os
import string

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers, runtime  # noqa: E402

pytestmark = pytest.mark.tf

RTOL = 1e-6

DOCS = np.array([["the", "cat", "sat"], ["the", "dog", "ran"], ["a", "cat", "and", "a", "dog"][:3],
                 ["the", "end", "the"], ["cat", "cat", "zebra"]])
PROBE = np.array([["the", "cat", "unknown"], ["", "dog", "zebra"], ["[UNK]", "a", "sat"]])
INT_DOCS = np.array([[3, 5, 5, 9], [1, 3, 3, 3], [7, 5, 0, 2]])
INT_PROBE = np.array([[3, 5, 42, 0], [-1, 9, 1, 100]])


def both(expr: str):  # type: ignore[no-untyped-def]
    return eval(expr, {"layers": keras.layers, "tf": tf}), eval(expr, {"layers": layers(), "tf": tf})


def same(k_out, t_out) -> None:  # type: ignore[no-untyped-def]
    if isinstance(k_out, tf.RaggedTensor) or isinstance(t_out, tf.RaggedTensor):
        assert isinstance(k_out, tf.RaggedTensor) and isinstance(t_out, tf.RaggedTensor)
        assert k_out.to_list() == t_out.to_list()
        return
    k, t = np.asarray(k_out), np.asarray(t_out)
    assert k.shape == t.shape, (k.shape, t.shape)
    assert tf.as_dtype(k_out.dtype) == tf.as_dtype(t_out.dtype), (k_out.dtype, t_out.dtype)
    if k.dtype.kind == "f":
        np.testing.assert_allclose(t, k, rtol=RTOL, atol=1e-7)
    else:
        np.testing.assert_array_equal(t, k)


def _text(vocabulary):  # type: ignore[no-untyped-def]
    return [v.decode() if isinstance(v, bytes) else str(v) for v in vocabulary]


# --- StringLookup / IntegerLookup: state moves ------------------------------------------------

STRING_CONFIGS = [
    "layers.StringLookup({})",
    "layers.StringLookup(mask_token='', {})",
    "layers.StringLookup(num_oov_indices=3, {})",
    "layers.StringLookup(num_oov_indices=2, salt=(4, 9), {})",
    "layers.StringLookup(max_tokens=5, output_mode='multi_hot', {})",
    "layers.StringLookup(output_mode='count', mask_token='', {})",
    "layers.StringLookup(output_mode='one_hot', {})",
    "layers.StringLookup(max_tokens=8, pad_to_max_tokens=True, output_mode='count', {})",
    "layers.StringLookup(output_mode='tf_idf', {})",
    "layers.StringLookup(max_tokens=6, pad_to_max_tokens=True, output_mode='tf_idf', num_oov_indices=2, {})",
    "layers.StringLookup(num_oov_indices=0, oov_token='?', {})",
]


def _state_kwargs(k_layer) -> str:  # type: ignore[no-untyped-def]
    """The runtime constructor's keyword arguments that carry the adapted Keras layer's state."""
    vocabulary = _text(k_layer.get_vocabulary())
    kwargs = f"vocabulary={vocabulary!r}"
    if k_layer.output_mode == "tf_idf":
        kwargs += f", idf_weights={np.asarray(k_layer.idf_weights).tolist()!r}"
    return kwargs


@pytest.mark.parametrize("config", STRING_CONFIGS)
@pytest.mark.parametrize("route", ["constructor", "set_vocabulary", "adapt"])
def test_string_lookup_state_moves_from_keras(config: str, route: str) -> None:
    k_layer = eval(config.format("").replace(", )", ")"), {"layers": keras.layers})
    k_layer.adapt(DOCS)
    ns = runtime()
    if route == "constructor":
        t_layer = eval(config.format(_state_kwargs(k_layer)), {"layers": layers()})
    elif route == "set_vocabulary":
        t_layer = eval(config.format("").replace(", )", ")"), {"layers": layers()})
        idf = np.asarray(k_layer.idf_weights) if k_layer.output_mode == "tf_idf" else None
        t_layer.set_vocabulary(k_layer.get_vocabulary(), idf_weights=idf)
    else:
        t_layer = eval(config.format("").replace(", )", ")"), {"layers": layers()})
        t_layer.adapt(DOCS)
    assert isinstance(t_layer, ns["StringLookup"])
    assert t_layer.get_vocabulary() == _text(k_layer.get_vocabulary())
    assert t_layer.get_vocabulary(include_special_tokens=False) == _text(k_layer.get_vocabulary(False))
    assert t_layer.vocabulary_size() == k_layer.vocabulary_size()
    assert t_layer.get_weights() == k_layer.get_weights() == []
    if k_layer.output_mode == "tf_idf":
        np.testing.assert_allclose(np.asarray(t_layer.idf_weights), np.asarray(k_layer.idf_weights), rtol=RTOL)
    probe = DOCS if k_layer.num_oov_indices == 0 else PROBE
    same(k_layer(probe), t_layer(probe))
    same(k_layer(probe[0]), t_layer(probe[0]))  # rank 1: one vector in the bincount modes


def test_num_oov_indices_zero_rejects_oov_tokens_in_both() -> None:
    k_layer, t_layer = both("layers.StringLookup(vocabulary=['a', 'b'], num_oov_indices=0)")
    for layer in (k_layer, t_layer):
        with pytest.raises(tf.errors.InvalidArgumentError):
            layer(np.array(["a", "zzz"]))


INT_CONFIGS = [
    "layers.IntegerLookup({})",
    "layers.IntegerLookup(mask_token=0, {})",
    "layers.IntegerLookup(num_oov_indices=4, mask_token=0, {})",
    "layers.IntegerLookup(num_oov_indices=3, oov_method='farmhash', {})",
    "layers.IntegerLookup(num_oov_indices=3, oov_method='farmhash', salt=21, {})",
    "layers.IntegerLookup(output_mode='multi_hot', max_tokens=4, {})",
    "layers.IntegerLookup(output_mode='tf_idf', mask_token=0, {})",
]


@pytest.mark.parametrize("config", INT_CONFIGS)
@pytest.mark.parametrize("route", ["constructor", "adapt"])
def test_integer_lookup_state_moves_from_keras(config: str, route: str) -> None:
    k_layer = eval(config.format("").replace(", )", ")"), {"layers": keras.layers})
    k_layer.adapt(INT_DOCS)
    if route == "constructor":
        vocabulary = [int(v) for v in k_layer.get_vocabulary()]
        extra = f"vocabulary={vocabulary!r}"
        if k_layer.output_mode == "tf_idf":
            extra += f", idf_weights={np.asarray(k_layer.idf_weights).tolist()!r}"
        t_layer = eval(config.format(extra), {"layers": layers()})
    else:
        t_layer = eval(config.format("").replace(", )", ")"), {"layers": layers()})
        t_layer.adapt(INT_DOCS)
    assert t_layer.get_vocabulary() == [int(v) for v in k_layer.get_vocabulary()]
    for probe in (INT_PROBE, INT_PROBE.astype("int32"), INT_PROBE[1]):
        same(k_layer(probe), t_layer(probe))


def test_invert_round_trips_as_keras() -> None:
    vocabulary = ["the", "cat", "dog"]
    for kwargs in ("", "mask_token='', ", "num_oov_indices=2, oov_token='<oov>', "):
        forward = both(f"layers.StringLookup({kwargs}vocabulary={vocabulary!r})")
        back = both(f"layers.StringLookup({kwargs}vocabulary={vocabulary!r}, invert=True)")
        ids = forward[0](PROBE)
        same(ids, forward[1](PROBE))
        k_out, t_out = back[0](ids), back[1](ids)
        assert np.asarray(k_out).tolist() == np.asarray(t_out).tolist() and t_out.dtype == tf.string
    k_layer, t_layer = both("layers.IntegerLookup(vocabulary=[10, 20, 30], mask_token=0, invert=True)")
    ids = np.array([[0, 1, 2, 3, 4, 9]])
    same(k_layer(ids), t_layer(ids))


def test_vocabulary_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "vocab.txt"
    path.write_text("the\ncat\ndog\nzebra\n", encoding="utf-8")
    for expr in (f"layers.StringLookup(vocabulary={str(path)!r})",
                 f"layers.StringLookup(vocabulary={str(path)!r}, mask_token='', num_oov_indices=2)",
                 f"layers.StringLookup(vocabulary={str(path)!r}, output_mode='multi_hot')"):
        k_layer, t_layer = both(expr)
        assert t_layer.get_vocabulary() == _text(k_layer.get_vocabulary())
        same(k_layer(PROBE), t_layer(PROBE))
    k_layer, t_layer = both(f"layers.StringLookup(vocabulary={str(path)!r}, invert=True)")
    ids = np.array([0, 1, 2, 3, 4, 5, 8])
    assert np.asarray(k_layer(ids)).tolist() == np.asarray(t_layer(ids)).tolist()


def test_adapt_on_datasets_iterables_and_steps() -> None:
    ds = tf.data.Dataset.from_tensor_slices(DOCS).batch(2)
    for data, steps in ((ds, None), (ds, 2), (iter([DOCS[:2], DOCS[2:]]), None), (DOCS.ravel(), None),
                        (list(DOCS.ravel()), None)):
        data_k = data
        data_t = data
        if hasattr(data, "__next__"):
            data_k, data_t = iter([DOCS[:2], DOCS[2:]]), iter([DOCS[:2], DOCS[2:]])
        k_layer, t_layer = both("layers.StringLookup(output_mode='tf_idf')")
        k_layer.adapt(data_k, steps=steps)
        t_layer.adapt(data_t, steps=steps)
        assert t_layer.get_vocabulary() == _text(k_layer.get_vocabulary())
        np.testing.assert_allclose(np.asarray(t_layer.idf_weights), np.asarray(k_layer.idf_weights), rtol=RTOL)
        same(k_layer(PROBE), t_layer(PROBE))


def test_ragged_sparse_and_graph_inputs() -> None:
    k_layer, t_layer = both("layers.StringLookup(vocabulary=['the', 'cat', 'dog'], num_oov_indices=2)")
    ragged = tf.ragged.constant([["the", "cat", "fish"], ["dog"]])
    same(k_layer(ragged), t_layer(ragged))
    sparse = tf.sparse.from_dense(tf.constant([["the", ""], ["", "bird"]]))
    k_out, t_out = k_layer(sparse), t_layer(sparse)
    np.testing.assert_array_equal(tf.sparse.to_dense(t_out).numpy(), tf.sparse.to_dense(k_out).numpy())
    graph = tf.function(lambda x: t_layer(x))
    same(k_layer(PROBE), graph(tf.constant(PROBE)))
    ds = tf.data.Dataset.from_tensor_slices(PROBE).map(lambda x: t_layer(x))
    np.testing.assert_array_equal(np.stack([b.numpy() for b in ds]), np.asarray(k_layer(PROBE)))


def test_vocabulary_errors_as_keras() -> None:
    cases = [
        ("layers.StringLookup(vocabulary=['a', 'b', 'a'])", ValueError),
        ("layers.StringLookup(vocabulary=['a', ''], mask_token='')", ValueError),
        ("layers.StringLookup(vocabulary=['a', '[UNK]'], invert=True)", ValueError),
        ("layers.StringLookup(vocabulary=['a'], output_mode='multi_hot', invert=True)", ValueError),
        ("layers.StringLookup(vocabulary=['a', 'b', 'c'], max_tokens=3)", ValueError),
        ("layers.StringLookup(vocabulary=['a'], output_mode='tf_idf')", ValueError),
        ("layers.IntegerLookup(vocabulary=[1], salt=3)", ValueError),
        ("layers.StringLookup(max_tokens=1)", ValueError),
    ]
    for expr, error in cases:
        for ns in (keras.layers, layers()):
            with pytest.raises(error):
                eval(expr, {"layers": ns})
    for ns in (keras.layers, layers()):
        with pytest.raises(ValueError):
            ns.StringLookup(vocabulary=["a"]).adapt(DOCS)  # a static vocabulary cannot be adapted
        with pytest.raises(RuntimeError):
            ns.StringLookup(output_mode="multi_hot")(PROBE)  # no vocabulary, no depth
    with pytest.raises(NotImplementedError):
        layers().StringLookup(vocabulary=["a"], output_mode="multi_hot", sparse=True)


def test_lookups_keep_a_models_weight_order() -> None:
    """No weights, as in Keras: ``set_weights(keras_model.get_weights())`` lines up."""
    ns = runtime()
    boundaries = [-0.5, 0.0, 0.7]
    k_model = keras.Sequential([keras.Input((3,)), keras.layers.Discretization(boundaries, output_mode="one_hot"),
                                keras.layers.Flatten(), keras.layers.Dense(2)])
    t_model = ns["Sequential"]([ns["Input"]((3,)), ns["Discretization"](boundaries, output_mode="one_hot"),
                                ns["Flatten"](), ns["Dense"](2)])
    weights = [w + 0.25 for w in k_model.get_weights()]
    k_model.set_weights(weights)
    t_model.set_weights(weights)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(t_model(x)), k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


# --- Hashing and HashedCrossing: bit-identical hashes -----------------------------------------


def _random_strings(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    alphabet = list(string.ascii_letters + string.digits + " _-é中")
    return np.array(["".join(rng.choice(alphabet, size=rng.integers(0, 12))) for _ in range(n)])


@pytest.mark.parametrize("expr", [
    "layers.Hashing(1)", "layers.Hashing(97)", "layers.Hashing(13, salt=5)", "layers.Hashing(13, salt=[123, 456])",
    "layers.Hashing(10, mask_value='')", "layers.Hashing(10, mask_value=3)", "layers.Hashing(1, mask_value='')",
    "layers.Hashing(6, output_mode='multi_hot')", "layers.Hashing(6, output_mode='count', salt=1)",
    "layers.Hashing(6, output_mode='one_hot')", "layers.Hashing(9, dtype='int32')",
])
def test_hashing_is_bit_identical(expr: str) -> None:
    k_layer, t_layer = both(expr)
    strings = _random_strings(300).reshape(100, 3)
    ints = np.random.default_rng(1).integers(-1000, 1000, size=(100, 3))
    floats = np.random.default_rng(2).normal(scale=50, size=(100, 3))
    for x in (strings, ints, ints.astype("int32"), floats, strings[:, :1], strings[0]):
        if "one_hot" in expr and x.ndim == 2 and x.shape[-1] != 1:
            continue
        try:
            expected = k_layer(x)
        except (TypeError, ValueError, tf.errors.InvalidArgumentError):  # a mask value of the other type
            with pytest.raises((TypeError, ValueError, tf.errors.InvalidArgumentError)):
                t_layer(x)
            continue
        same(expected, t_layer(x))


def test_hashed_crossing_is_bit_identical() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 50, size=(64,))
    b = _random_strings(64, seed=4)
    c = rng.integers(-5, 5, size=(64,)).astype("int32")
    for expr in ("layers.HashedCrossing(1000)", "layers.HashedCrossing(7, output_mode='one_hot')"):
        k_layer, t_layer = both(expr)
        for inputs in ([a, b], [a, b, c], [a[:, None], b[:, None]], [a[0], b[0]]):
            same(k_layer(inputs), t_layer(inputs))


# --- Discretization -------------------------------------------------------------------------


@pytest.mark.parametrize("num_bins, epsilon", [(4, 0.01), (10, 0.01), (3, 0.1), (5, 0.5), (2, 0.001)])
def test_discretization_adapt_matches_keras(num_bins: int, epsilon: float) -> None:
    rng = np.random.default_rng(num_bins)
    data = [rng.normal(size=(500,)), rng.exponential(size=(77, 3)), np.arange(20.0),
            tf.data.Dataset.from_tensor_slices(rng.uniform(size=(300, 2)).astype("float32")).batch(64)]
    for d in data:
        k_layer, t_layer = both(f"layers.Discretization(num_bins={num_bins}, epsilon={epsilon})")
        k_layer.adapt(d)
        t_layer.adapt(d)
        assert len(t_layer.bin_boundaries) == len(k_layer.bin_boundaries)
        np.testing.assert_allclose(t_layer.bin_boundaries, k_layer.bin_boundaries, rtol=RTOL, atol=1e-7)
        probe = rng.normal(size=(50, 4)).astype("float32")
        same(k_layer(probe), t_layer(probe))
        moved = layers().Discretization(bin_boundaries=k_layer.bin_boundaries)
        same(k_layer(probe), moved(probe))


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_outputs(mode: str) -> None:
    k_layer, t_layer = both(f"layers.Discretization([-1.0, 0.0, 0.5, 2.0], output_mode={mode!r})")
    x = np.array([[-3.0, -1.0, 0.0, 0.25], [0.5, 1.9, 2.0, 5.0]], dtype="float32")
    for probe in (x, x.astype("float64"), x.astype("int32"), x[:, :1], x[0]):
        same(k_layer(probe), t_layer(probe))


# --- TextVectorization ----------------------------------------------------------------------

CORPUS = np.array(["The cat sat on the mat.", "The DOG ran -- fast!", "a cat, a dog; the end", "Café au lait?",
                   "cats & dogs: 100% fun", "", "the the the"])
QUERIES = np.array(["the cat ran", "Zebra!", "", "a dog sat on a cat", "café", "the mat, the end."])


def _lower_keep_digits(x):  # type: ignore[no-untyped-def]
    return tf.strings.regex_replace(tf.strings.lower(x), "[^a-z0-9 ]", "")


def _split_on_comma(x):  # type: ignore[no-untyped-def]
    return tf.strings.split(x, sep=",")


TEXT_CONFIGS = [
    "layers.TextVectorization()",
    "layers.TextVectorization(max_tokens=6, output_sequence_length=4)",
    "layers.TextVectorization(ngrams=2, output_sequence_length=10)",
    "layers.TextVectorization(ngrams=(1, 3), output_mode='multi_hot', max_tokens=12, pad_to_max_tokens=True)",
    "layers.TextVectorization(standardize='lower', output_mode='count')",
    "layers.TextVectorization(standardize='strip_punctuation', ragged=True)",
    "layers.TextVectorization(split='character', output_mode='tf_idf', max_tokens=15)",
    "layers.TextVectorization(output_mode='tf_idf', ngrams=2)",
    "layers.TextVectorization(standardize=None, split=None, output_sequence_length=2)",
    "layers.TextVectorization(standardize=_lower_keep_digits, split=_split_on_comma)",
]


@pytest.mark.parametrize("config", TEXT_CONFIGS)
@pytest.mark.parametrize("route", ["adapt", "constructor", "set_vocabulary"])
def test_text_vectorization_matches_keras(config: str, route: str) -> None:
    env = {"tf": tf, "_lower_keep_digits": _lower_keep_digits, "_split_on_comma": _split_on_comma}
    k_layer = eval(config, {"layers": keras.layers, **env})
    k_layer.adapt(tf.data.Dataset.from_tensor_slices(CORPUS).batch(3))
    tf_idf = "tf_idf" in config
    if route == "adapt":
        t_layer = eval(config, {"layers": layers(), **env})
        t_layer.adapt(tf.data.Dataset.from_tensor_slices(CORPUS).batch(3))
    elif route == "constructor":
        kwargs = f"vocabulary={_text(k_layer.get_vocabulary())!r}"
        if tf_idf:
            kwargs += f", idf_weights={np.asarray(k_layer._lookup_layer.idf_weights).tolist()!r}"
        t_layer = eval(config[:-1] + (", " if not config.endswith("()") else "") + kwargs + ")",
                       {"layers": layers(), **env})
    else:
        t_layer = eval(config, {"layers": layers(), **env})
        idf = np.asarray(k_layer._lookup_layer.idf_weights) if tf_idf else None
        t_layer.set_vocabulary(k_layer.get_vocabulary(), idf_weights=idf)
    assert t_layer.get_vocabulary() == _text(k_layer.get_vocabulary())
    assert t_layer.vocabulary_size() == k_layer.vocabulary_size()
    assert t_layer.get_weights() == []
    queries = QUERIES if "split=None" not in config else QUERIES[:, None]
    same(k_layer(queries), t_layer(queries))
    if "split=None" not in config:
        same(k_layer(queries[:, None]), t_layer(queries[:, None]))
        same(k_layer(list(queries)), t_layer(list(queries)))


def test_standardize_strips_exactly_keras_punctuation() -> None:
    text = string.punctuation + " ÀÉÎ õü ¿¡ — “quoted” ½ Tab\tNew\nline"
    vocabulary = sorted(set(text.split()) | set(text.lower().split()))
    k_layer, t_layer = both(f"layers.TextVectorization(vocabulary={vocabulary!r}, split=None, "
                            "output_sequence_length=1)")
    k_pre = k_layer._preprocess(tf.constant([text]))
    t_pre = t_layer._preprocess(tf.constant([text]))
    assert k_pre.numpy().tolist() == t_pre.numpy().tolist()
    for standardize in ("lower", "strip_punctuation"):
        k_layer, t_layer = both(f"layers.TextVectorization(standardize={standardize!r}, vocabulary=['a'])")
        assert k_layer._preprocess(tf.constant([text])).to_list() == t_layer._preprocess(tf.constant([text])).to_list()


def test_text_vectorization_in_a_graph_and_a_dataset() -> None:
    k_layer, t_layer = both("layers.TextVectorization(max_tokens=10, output_sequence_length=5)")
    k_layer.adapt(CORPUS)
    t_layer.adapt(CORPUS)
    ds = tf.data.Dataset.from_tensor_slices(QUERIES).batch(2).map(t_layer)
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in ds]), np.asarray(k_layer(QUERIES)))
    graph = tf.function(t_layer, input_signature=[tf.TensorSpec([None], tf.string)])
    np.testing.assert_array_equal(graph(tf.constant(QUERIES)).numpy(), np.asarray(k_layer(QUERIES)))


TEXT_PROGRAM = '''
import keras
import numpy as np
from keras import layers

texts = np.array(["The cat sat on the mat.", "the dog ran!", "a cat, a dog"])
vectorize_layer = layers.TextVectorization(max_tokens=12, output_mode="int", output_sequence_length=5)
vectorize_layer.adapt(texts)
lookup = layers.StringLookup(vocabulary=["red", "green", "blue"], num_oov_indices=2)

text_in = keras.Input(shape=(1,), dtype="string")
colour_in = keras.Input(shape=(1,), dtype="string")
x = layers.Flatten()(layers.Discretization([2.0, 5.0], output_mode="one_hot")(vectorize_layer(text_in)))
c = layers.Flatten()(layers.Hashing(3, output_mode="one_hot")(lookup(colour_in)))
outputs = layers.Dense(2)(layers.Concatenate()([x, c]))
model = keras.Model([text_in, colour_in], outputs)
'''


def test_translated_program_with_text_and_lookups_matches_keras() -> None:
    """``xlate to-tf`` of a model that vectorizes text (``adapt`` run the same way in the
    translation) and looks up categories: Keras's outputs on in-vocabulary and OOV strings."""
    from kerastf_xlate.totf import translate

    translated, _ = translate(TEXT_PROGRAM, "text.py")
    assert "class TextVectorization(" in translated and "layers." not in translated.split("end of the layers")[-1]
    k_ns: dict = {}
    t_ns: dict = {}
    exec(compile(TEXT_PROGRAM, "text.py", "exec"), k_ns)
    exec(compile(translated, "text_tf.py", "exec"), t_ns)
    k_model, t_model = k_ns["model"], t_ns["model"]
    assert t_ns["vectorize_layer"].get_vocabulary() == _text(k_ns["vectorize_layer"].get_vocabulary())
    weights = [w + 0.05 for w in k_model.get_weights()]
    k_model.set_weights(weights)
    t_model.set_weights(weights)
    inputs = [tf.constant([["the cat ran"], ["Zebra!"], [""]]), tf.constant([["red"], ["purple"], ["blue"]])]
    np.testing.assert_allclose(np.asarray(t_model(inputs)), np.asarray(k_model(inputs)), rtol=1e-5, atol=1e-5)
