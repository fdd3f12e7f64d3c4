"""The Pipeline runtime class (``tfr_pipeline.py``) against Keras 3: masks reach the next
layer (an Embedding's ``mask_zero`` mask makes the LSTM skip padding), the training flag
reaches the layers (Dropout and BatchNormalization), weights come in the list's order, and
dict inputs reach the layers as they are. Tolerance ``atol = rtol = 1e-5`` (float32)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers, perturbed  # noqa: E402

pytestmark = pytest.mark.tf


def both(expr: str):  # type: ignore[no-untyped-def]
    return eval(expr, {"layers": keras.layers}), eval(expr, {"layers": layers()})


def test_masks_flow_through_the_pipeline() -> None:
    k, t = both("layers.Pipeline([layers.Embedding(6, 3, mask_zero=True), layers.LSTM(2)])")
    x = np.array([[1, 2, 0, 0], [3, 4, 5, 0]], dtype="int32")
    k(x)
    t(x)
    moved = perturbed(k.get_weights())
    assert [w.shape for w in k.get_weights()] == [w.shape for w in t.get_weights()]
    k.set_weights(moved)
    t.set_weights(moved)
    expected, got = np.asarray(k(x)), np.asarray(t(x))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    # without the mask the padded steps change the state: the comparison can fail
    unmasked = layers().LSTM(2)
    unmasked(tf.zeros((2, 4, 3)))
    unmasked.set_weights(moved[1:])
    embedded = tf.gather(tf.constant(moved[0]), x)
    assert np.max(np.abs(np.asarray(unmasked(embedded)) - expected)) > 1e-3


def test_the_training_flag_reaches_the_layers() -> None:
    _, t = both("layers.Pipeline([layers.Dropout(0.5, seed=1)])")
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(np.asarray(t(x, training=False)), x)
    trained = np.asarray(t(x))  # Pipeline.call defaults to training=True, as Keras's
    assert (trained == 0).any() and set(np.unique(trained)) <= {0.0, 2.0}


def test_dicts_reach_the_layers() -> None:
    k, t = both("layers.Pipeline([layers.MixUp(), layers.RandomFlip()])")
    data = {"images": np.random.default_rng(0).uniform(0, 255, (3, 5, 5, 3)).astype("float32"),
            "labels": np.eye(3, dtype="float32")}
    for training in (False, True):
        expected = k(dict(data), training=training)
        got = t(dict(data), training=training)
        assert sorted(got) == sorted(expected) == ["images", "labels"]
        for key in expected:
            assert got[key].shape == expected[key].shape and got[key].dtype == expected[key].dtype
        if not training:
            for key in expected:
                np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(expected[key]))
    # a flip alone leaves the labels as they are
    _, flip = both("layers.RandomFlip()")
    out = flip(dict(data))
    np.testing.assert_array_equal(np.asarray(out["labels"]), data["labels"])
    with pytest.raises(NotImplementedError):
        flip({"images": data["images"], "segmentation_masks": data["images"]})
