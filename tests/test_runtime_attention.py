"""Runtime attention layers against Keras beyond the rule examples: every call argument
(masks, ``use_causal_mask``, ``return_attention_scores``, ``attention_mask``, ``training``),
the masks Keras takes from ``Embedding(mask_zero=True)``, query steps with nothing to attend
to on both of Keras's computation paths, unknown sizes under ``tf.function``, dropout in
training (exactly at rate 1, by its properties otherwise), and MultiHeadAttention inside a
translated functional model. Tolerance: float32, atol = rtol = 1e-5 (tests/runtime_pairs.py).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers
from runtime_pairs import close, moved, pair, rand

pytestmark = pytest.mark.tf


def _masks(seed: int = 1):  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(seed)
    q_mask = rng.random((2, 3)) > 0.3
    v_mask = rng.random((2, 4)) > 0.3
    q_mask[0, 0] = v_mask[1, :] = True
    v_mask[0, :] = [True, False, False, True]
    attention_mask = rng.random((2, 3, 4)) > 0.4
    attention_mask[0, 1, :] = False  # a query step with nothing to attend to
    return q_mask, v_mask, attention_mask


# ---------------------------------------------------------------------------- Attention


@pytest.mark.parametrize("expr", ["layers.Attention()", "layers.Attention(use_scale=True, score_mode='concat')",
                                  "layers.AdditiveAttention()", "layers.AdditiveAttention(use_scale=False)"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_call_arguments(expr: str, causal: bool, masked: bool) -> None:
    k, t = pair(expr)
    q, v, key = rand(2, 3, 4), rand(2, 4, 4, seed=1), rand(2, 4, 4, seed=2)
    k([q, v, key]), t([q, v, key])
    moved(k, t)
    q_mask, v_mask, _ = _masks()
    kwargs = {"use_causal_mask": causal, "return_attention_scores": True}
    if masked:
        kwargs["mask"] = [q_mask, v_mask]
    close(k([q, v, key], **kwargs), t([q, v, key], **kwargs))
    close(k([q, v], **kwargs), t([q, v], **kwargs))
    if masked:
        assert t.compute_mask([q, v], [q_mask, v_mask]).numpy().tolist() == q_mask.tolist()
    assert t.compute_mask([q, v], None) is None


def test_attention_dropout_in_training() -> None:
    """Rate 1 drops every weight (zeros, as Keras); rate 0.5 keeps weights scaled by 2."""
    import numpy as np

    k, t = pair("layers.Attention(dropout=1.0)")
    q, v = rand(2, 3, 4), rand(2, 5, 4, seed=1)
    close(k([q, v], training=True), t([q, v], training=True))
    close(k([q, v], training=False), t([q, v], training=False))
    half = layers().Attention(dropout=0.5)
    plain, w = layers().Attention()([q, v], return_attention_scores=True)
    out, dropped = half([q, v], training=True, return_attention_scores=True)
    dropped, w = np.asarray(dropped), np.asarray(w)
    assert np.allclose(dropped[dropped != 0], 2 * w[dropped != 0], atol=1e-6)
    assert np.allclose(np.asarray(out), np.matmul(dropped, v), atol=1e-5)


# ---------------------------------------------------------------------------- MultiHeadAttention


CALLS = {
    "plain": {},
    "scores": {"return_attention_scores": True},
    "causal": {"use_causal_mask": True},
    "causal+scores": {"use_causal_mask": True, "return_attention_scores": True},
    "attention_mask": {"attention_mask": "am"},
    "attention_mask+scores": {"attention_mask": "am", "return_attention_scores": True},
    "input_masks": {"query_mask": "qm", "value_mask": "vm"},
    "input_masks+causal+scores": {"query_mask": "qm", "value_mask": "vm", "use_causal_mask": True,
                                  "return_attention_scores": True},
    "all": {"query_mask": "qm", "value_mask": "vm", "key_mask": "vm", "attention_mask": "am",
            "use_causal_mask": True},
}


def _call_kwargs(spec: dict) -> dict:  # type: ignore[type-arg]
    q_mask, v_mask, attention_mask = _masks()
    named = {"qm": q_mask, "vm": v_mask, "am": attention_mask}
    return {key: named.get(value, value) if isinstance(value, str) else value for key, value in spec.items()}


@pytest.mark.parametrize("expr", ["layers.MultiHeadAttention(2, 4)",
                                  "layers.MultiHeadAttention(2, 3, value_dim=5, dropout=0.3, output_shape=7)",
                                  "layers.GroupQueryAttention(3, 4, 2)",
                                  "layers.GroupQueryAttention(3, 4, 1, dropout=0.2, use_gate=True)"])
@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_multi_head_call_arguments(expr: str, call: str) -> None:
    """Keras reads the inputs' masks from the tensors (its MultiHeadAttention even overwrites
    a query_mask argument with the query's), so they are attached there as a Keras model
    does; the runtime layer takes them as arguments."""
    import tensorflow as tf
    from keras.src.backend.common.masking import set_keras_mask

    k, t = pair(expr)
    q, v, key = rand(2, 3, 6), rand(2, 4, 6, seed=1), rand(2, 4, 5, seed=2)
    k(q, v, key), t(q, v, key)
    moved(k, t)
    kwargs = _call_kwargs(CALLS[call])
    tensors = [tf.constant(a) for a in (q, v, key)]
    for tensor, arg in zip(tensors, ("query_mask", "value_mask", "key_mask")):
        if arg in kwargs:
            set_keras_mask(tensor, tf.constant(kwargs[arg]))
    expected = k(*tensors, **{a: b for a, b in kwargs.items() if a not in ("query_mask", "value_mask", "key_mask")})
    close(expected, t(q, v, key, **kwargs))


def test_multi_head_masks_from_embedding() -> None:
    """A Keras model whose query and value come from Embedding(mask_zero=True), against the
    runtime layers given Embedding.compute_mask as the masks: padded query steps (nothing to
    attend to) included, on both computation paths."""
    import keras
    import numpy as np

    ids_q = np.array([[3, 5, 0, 0], [1, 0, 0, 0]], "int32")
    ids_v = np.array([[2, 2, 4, 0, 0], [0, 0, 0, 0, 0]], "int32")  # the second value is all padding
    for dropout in (0.0, 0.25):
        keras.utils.set_random_seed(0)
        emb = keras.layers.Embedding(6, 8, mask_zero=True)
        mha = keras.layers.MultiHeadAttention(2, 4, dropout=dropout)
        iq, iv = keras.Input((4,), dtype="int32"), keras.Input((5,), dtype="int32")
        model = keras.Model([iq, iv], mha(emb(iq), emb(iv)))
        weights = [w for w in model.get_weights()]
        t_emb, t_mha = layers().Embedding(6, 8, mask_zero=True), layers().MultiHeadAttention(2, 4, dropout=dropout)
        q, v = t_emb(ids_q), t_emb(ids_v)
        out = t_mha(q, v, query_mask=t_emb.compute_mask(ids_q), value_mask=t_emb.compute_mask(ids_v))
        assert [w.shape for w in t_emb.get_weights() + t_mha.get_weights()] == [w.shape for w in weights]
        from runtime_ns import perturbed

        moved_weights = perturbed(weights, seed=3)
        model.set_weights(moved_weights)
        t_emb.set_weights(moved_weights[:1])
        t_mha.set_weights(moved_weights[1:])
        q, v = t_emb(ids_q), t_emb(ids_v)
        out = t_mha(q, v, query_mask=t_emb.compute_mask(ids_q), value_mask=t_emb.compute_mask(ids_v))
        close(model([ids_q, ids_v]), out)


def test_multi_head_dropout_in_training() -> None:
    """Rate 1 drops every attention weight: Keras and the runtime both give the output
    projection's bias alone. Rate 0.5: the output stays finite and differs from inference."""
    import numpy as np

    k, t = pair("layers.MultiHeadAttention(2, 4, dropout=1.0)")
    q, v = rand(2, 3, 6), rand(2, 4, 6, seed=1)
    k(q, v), t(q, v)
    moved(k, t)
    close(k(q, v, training=True), t(q, v, training=True))
    close(k(q, v, training=False), t(q, v, training=False))
    half = layers().MultiHeadAttention(2, 4, dropout=0.5)
    train, infer = np.asarray(half(q, v, training=True)), np.asarray(half(q, v))
    assert np.all(np.isfinite(train)) and not np.allclose(train, infer)


@pytest.mark.parametrize("expr", ["layers.MultiHeadAttention(2, 4)", "layers.MultiHeadAttention(2, 4, dropout=0.1)",
                                  "layers.GroupQueryAttention(4, 4, 2)"])
def test_multi_head_unknown_sizes_under_tf_function(expr: str) -> None:
    import tensorflow as tf

    k, t = pair(expr)
    q, v = rand(2, 3, 6), rand(2, 5, 6, seed=1)
    k(q, v), t(q, v)
    moved(k, t)
    spec = tf.TensorSpec((None, None, 6), tf.float32)
    traced = tf.function(lambda a, b: t(a, b, use_causal_mask=True), input_signature=[spec, spec])
    close(k(q, v, use_causal_mask=True), traced(q, v))


def test_multi_head_attention_over_two_axes_with_a_mask() -> None:
    import numpy as np

    k, t = pair("layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))")
    q, v = rand(2, 3, 2, 5), rand(2, 4, 2, 5, seed=1)
    k(q, v), t(q, v)
    moved(k, t)
    mask = np.random.default_rng(0).random((2, 3, 2, 4, 2)) > 0.3
    for scores in (False, True):
        close(k(q, v, attention_mask=mask, return_attention_scores=scores),
              t(q, v, attention_mask=mask, return_attention_scores=scores))


def test_multi_head_attention_in_a_translated_functional_model() -> None:
    """Embedding -> self-attention -> Dense as a runtime graph function: the weights take
    Keras's order (set_weights from the Keras model) and the outputs agree."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    ids = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(10, 8, mask_zero=True)(ids)
    x = keras.layers.MultiHeadAttention(2, 4, name="mha")(x, x, use_causal_mask=True)
    k_model = keras.Model(ids, keras.layers.Dense(3)(x))

    L = layers()

    def graph():  # type: ignore[no-untyped-def]
        inp = L.Input((5,), dtype="int32")
        emb = L.Embedding(10, 8, mask_zero=True)
        h = emb(inp)
        mask = emb.compute_mask(inp)  # what the mask plumbing will pass on
        h = L.MultiHeadAttention(2, 4, name="mha")(h, h, query_mask=mask, value_mask=mask, use_causal_mask=True)
        return inp, L.Dense(3)(h)

    t_model = L.Model(graph)
    weights = k_model.get_weights()
    assert [w.shape for w in t_model.get_weights()] == [w.shape for w in weights]
    from runtime_ns import perturbed

    moved_weights = perturbed(weights, seed=5)
    k_model.set_weights(moved_weights)
    t_model.set_weights(moved_weights)
    data = np.array([[1, 4, 2, 0, 0], [3, 0, 0, 0, 0]], "int32")
    close(k_model(data), t_model(data))


def test_multi_head_refusals() -> None:
    L = layers()
    for kwargs in ({"kernel_regularizer": "l2"}, {"activity_regularizer": "l1"}, {"flash_attention": True},
                   {"bias_constraint": "non_neg"}):
        with pytest.raises(NotImplementedError):
            L.MultiHeadAttention(2, 4, **kwargs)
        with pytest.raises(NotImplementedError):
            L.GroupQueryAttention(4, 2, 1, **kwargs)
    with pytest.raises(ValueError):
        L.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError):
        L.GroupQueryAttention(4, 3, 2)
