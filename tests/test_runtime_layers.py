"""The TensorFlow layer classes of translated programs, against Keras, rule example by example.

Every ``[[examples]]`` entry of a rule whose layer has a runtime class (``Conv2D`` in
``src/kerastf_xlate/runtime/``) is built twice — the Keras layer from the example's
expression, and the same expression with ``layers`` bound to the runtime classes — on the
same input. The Keras layer's weights are perturbed (noise on each array's own scale) and
moved into the runtime layer with ``set_weights``; both are compared in inference mode, and
in training mode when the example says ``training = true`` (outputs and updated weights).
Tolerance: float32, ``atol = rtol = 1e-5``; the worst difference per rule is printed at the end
of the session (``tests/conftest.py``).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from models import make_inputs
from runtime_compare import Definition, keras_pools_an_empty_window
from runtime_ns import layers, perturbed, runtime

from kerastf_xlate.rules import Example, Rule, default_rules

pytestmark = pytest.mark.tf

ATOL = RTOL = 1e-5
RULES = default_rules()
LAYER_RULES = [r for r in RULES if r.status in ("translated", "none") and r.layer not in ("InputLayer",)]
CASES = [(rule, i, ex) for rule in LAYER_RULES for i, ex in enumerate(rule.examples)]
IDS = [f"{rule.layer}-{i}" for rule, i, _ in CASES]


def _has_runtime_class(rule: Rule) -> bool:
    return rule.layer in runtime()


def _max_diff(a, b) -> float:  # type: ignore[no-untyped-def]
    import numpy as np

    if isinstance(a, (list, tuple)):
        return max((_max_diff(x, y) for x, y in zip(a, b)), default=0.0)
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def apply(layer, x, **kwargs):  # type: ignore[no-untyped-def]
    """Call a layer on an example's inputs: several inputs go as one list (``Attention``,
    ``Concatenate``) or, when ``call`` takes them as separate arguments
    (``MultiHeadAttention(query, value, key)``), one by one."""
    import inspect

    if isinstance(x, list) and next(iter(inspect.signature(layer.call).parameters)) != "inputs":
        return layer(*x, **kwargs)
    return layer(x, **kwargs)


def build_pair(rule: Rule, example: Example):  # type: ignore[no-untyped-def]
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    k_layer = eval(example.keras, {"layers": keras.layers, "keras": keras})
    t_layer = eval(example.keras, {"layers": layers(), "keras": None, "tf": tf})
    x = make_inputs(example)
    if keras_pools_an_empty_window(k_layer, x):
        k_layer = Definition(k_layer)
    k_out = apply(k_layer, x)
    t_out = apply(t_layer, tf.nest.map_structure(tf.convert_to_tensor, x))
    return k_layer, t_layer, x, k_out, t_out


@pytest.mark.parametrize("rule, index, example", CASES, ids=IDS)
def test_runtime_layer_matches_keras(rule: Rule, index: int, example: Example, runtime_report: dict) -> None:  # type: ignore[type-arg]
    import numpy as np
    import tensorflow as tf

    if not _has_runtime_class(rule):
        pytest.skip(f"{rule.layer} has no runtime class yet")
    k_layer, t_layer, x, _, _ = build_pair(rule, example)
    kw = k_layer.get_weights()
    tw = t_layer.get_weights()
    assert [w.shape for w in kw] == [w.shape for w in tw], "weights differ in number, order or shape"
    moved = perturbed(kw, seed=index)
    k_layer.set_weights(moved)
    t_layer.set_weights(moved)
    tx = tf.nest.map_structure(tf.convert_to_tensor, x)
    diff = _max_diff(apply(k_layer, x, training=False), apply(t_layer, tx, training=False))
    if example.training:
        diff = max(diff, _max_diff(apply(k_layer, x, training=True), apply(t_layer, tx, training=True)))
        diff = max(diff, _max_diff(k_layer.get_weights(), t_layer.get_weights()))
    runtime_report[rule.layer] = max(runtime_report.get(rule.layer, 0.0), diff)
    assert np.isfinite(diff) and diff <= ATOL + RTOL, f"{rule.layer}-{index}: max |diff| = {diff:.3g}"


def test_runtime_harness_detects_a_wrong_weight() -> None:
    """Negative control: the comparison above fails once a moved weight is nudged."""
    rule = RULES.get("Dense")
    assert rule is not None
    k_layer, t_layer, x, _, _ = build_pair(rule, rule.examples[0])
    moved = perturbed(k_layer.get_weights())
    k_layer.set_weights(moved)
    moved[0] = moved[0] + 1e-3
    t_layer.set_weights(moved)
    assert _max_diff(k_layer(x), t_layer(x)) > ATOL + RTOL


def test_every_translated_rule_has_a_runtime_class() -> None:
    missing = [r.layer for r in RULES if r.status == "translated" and not _has_runtime_class(r)]
    assert not missing, f"translated rules without a runtime class: {missing}"
