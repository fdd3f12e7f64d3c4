"""Runtime ReversibleEmbedding against Keras (src/kerastf_xlate/runtime/tfr_reversible_embedding.py).

Both directions of one layer: the lookup (with its mask) and ``reverse=True`` (tied or
separate weights, ``reverse_dtype``, ``logit_soft_cap``), on Keras's perturbed weights moved
into the runtime class. Tolerance: atol = rtol = 1e-5 (float32; float16 reverse logits within
1e-3); the worst difference is printed at the end of the session (tests/conftest.py).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed
from runtime_pairs import close, max_diff, pair, rand

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("expr", [
    "layers.ReversibleEmbedding(7, 5)",
    "layers.ReversibleEmbedding(7, 5, tie_weights=False, mask_zero=True)",
    "layers.ReversibleEmbedding(7, 5, logit_soft_cap=0.5)",
    "layers.ReversibleEmbedding(7, 5, tie_weights=False, logit_soft_cap=2.0, reverse_dtype='float16')",
])
def test_both_directions_as_keras(expr: str, runtime_report: dict[str, float]) -> None:
    import numpy as np

    ids = np.array([[1, 2, 0, 6], [0, 3, 3, 5]], "int32")
    hidden = rand(2, 4, 5)
    k, t = pair(expr)
    k(ids), t(ids), k(hidden, reverse=True), t(hidden, reverse=True)
    assert [w.path.split("/")[-1] for w in k.weights] == [v.name.split("/")[-1].split(":")[0] for v in t.weights]
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    t.set_weights(weights)
    a, b = k(ids), t(ids)
    worst = close(a, b)
    assert (getattr(a, "_keras_mask", None) is None) == (getattr(b, "_keras_mask", None) is None)
    if getattr(a, "_keras_mask", None) is not None:
        assert np.array_equal(np.asarray(a._keras_mask), np.asarray(b._keras_mask))
    for x in (hidden, hidden[0]):
        ka, tb = k(x, reverse=True), t(x, reverse=True)
        assert ka.dtype == tb.dtype
        tol = 1e-3 if "float16" in expr else 1e-5
        diff = max_diff(ka, tb)
        assert np.allclose(np.asarray(ka, "float64"), np.asarray(tb, "float64"), atol=tol, rtol=tol), diff
        worst = max(worst, diff)
    runtime_report["ReversibleEmbedding [reversible tests]"] = max(
        runtime_report.get("ReversibleEmbedding [reversible tests]", 0.0), worst)


def test_the_comparison_detects_a_wrong_weight() -> None:
    hidden = rand(2, 4, 5)
    k, t = pair("layers.ReversibleEmbedding(7, 5, tie_weights=False)")
    k(hidden[..., 0].astype("int32")), t(hidden[..., 0].astype("int32"))
    weights = perturbed(k.get_weights())
    k.set_weights(weights)
    weights[1] = weights[1] + 1e-2  # the reverse projection only
    t.set_weights(weights)
    with pytest.raises(AssertionError):
        close(k(hidden, reverse=True), t(hidden, reverse=True))
