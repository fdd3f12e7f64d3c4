"""The round trip Keras -> ``xlate to-tf`` -> ``xlate to-keras``, executed.

For every example of every rule with a counterpart (a one-layer ``Sequential``, a functional
model for layers with several inputs, the structural ``Model`` / ``Sequential`` examples as
they are: ``tests/models.py``) and every Keras program in ``examples/``:

1. ``T = to-tf(F)`` and ``K = to-keras(T)``; to-tf translates F, to-keras translates T whole
   (no XL5xx finding: nothing stays TensorFlow) and a second to-keras run changes nothing;
2. F, T and K are executed; the weights go F -> T (``T.set_weights(F.get_weights())``) ->
   K (``K.set_weights(T.get_weights())``: K lists its weights in the order of T's
   ``ordered_variables()``, see docs/to-keras.md); K's outputs must equal F's (atol = rtol =
   1e-5) in inference mode, and in training mode too where the rule example asks for it
   (the updated variables too);
3. stability: ``to-tf(K)`` is ``T`` again, character for character.

The worst difference over all cases is in the terminal summary (``tests/conftest.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from models import make_inputs, model_source

from kerastf_xlate.rules import Example, Rule, default_rules
from kerastf_xlate.tokeras import translate_full
from kerastf_xlate.totf import translate as to_tf

pytestmark = pytest.mark.tf

ATOL = RTOL = 1e-5
RULES = default_rules()
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
# every program of examples/ that binds `model` (the training scripts: tests/test_tokeras_training.py;
# the hand-written TensorFlow ones, which to-tf leaves as they are: test_tokeras.py test_examples_verify)
# lstm_tagger is left out: its LSTM makes to-tf write the program form (bundled runtime classes),
# which to-keras does not raise back (XL502), as for the program-only rules below
KERAS_EXAMPLES = ["cnn_functional", "mlp_sequential", "subclassed_model", "text_classifier", "tf_keras_ops"]
# F whose own to-keras translation is not F: tf_keras_ops.py is Keras code calling tf ops, which
# to-keras raises to layers (what it is an example of), so K has layers where T kept the ops
NOT_A_FIXED_POINT = {"tf_keras_ops"}

_UNITS: dict[str, Any] = {}


def _rule_cases() -> list[tuple[str, Rule, Example]]:
    """Every example of every rule with a counterpart: the translated layers (one-layer
    Sequential, or a functional model for several inputs) and the structural Model /
    Sequential rules (their example is the whole model)."""
    return [(f"{rule.layer}-{i}", rule, ex) for rule in RULES if rule.status in ("translated", "structural")
            and not rule.program_only for i, ex in enumerate(rule.examples)]


RULE_CASES = _rule_cases()


def inputs_for(shape: tuple[int, ...], dtype: str = "float32", high: int = 10, seed: int = 0, batch: int = 2) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    full = (batch,) + tuple(shape)
    if dtype == "float32":
        return rng.standard_normal(full).astype("float32")
    return rng.integers(0, high, size=full).astype(dtype)


def _arrays(out: Any) -> list[Any]:
    import numpy as np

    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def roundtrip(case: str, source: str) -> tuple[str, str, str, list[str]]:
    """(T, K, to-tf(K), codes to-keras reported)."""
    t, diags = to_tf(source, f"{case}.py")
    assert t != source and not any(d.code in ("XL301", "XL303") for d in diags), \
        f"{case}: to-tf keeps the model as Keras ({[d.code for d in diags]})"
    full = translate_full(t, f"{case}_tf.py")
    k, kdiags = full.text, full.diagnostics
    codes = sorted({d.code for d in kdiags})
    assert k != t, f"{case}: to-keras keeps the model as TensorFlow ({', '.join(codes)})\n{t}"
    assert not codes, f"{case}: to-keras reports {codes}: something stays TensorFlow\n{k}"
    k2 = translate_full(k, f"{case}_keras.py").text
    assert k2 == k, f"{case}: a second to-keras run changes the output"
    t2, _ = to_tf(k, f"{case}_keras.py")
    _UNITS[case] = full.units
    return t, k, t2, sorted({d.code for d in kdiags})


def execute(case: str, source: str, t: str, k: str, inputs: Any, training: bool) -> float:
    """Run F, T and K with the weights moved F -> T -> K; the worst |F - K|."""
    import keras
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.verify import exec_source

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    f_ns = exec_source(source, "__rt_f__", f"{case}.py")
    t_ns = exec_source(t, "__rt_t__", f"{case}_tf.py")
    k_ns = exec_source(k, "__rt_k__", f"{case}_keras.py")
    f_model, module, k_model = f_ns["model"], t_ns["model"], k_ns["model"]
    assert isinstance(k_model, keras.Model), f"{case}: `model` is not a Keras model after to-keras"
    if not f_model.built:
        f_model(inputs)
    module([tf.convert_to_tensor(i) for i in inputs] if isinstance(inputs, list) else tf.convert_to_tensor(inputs), training=False)
    module.set_weights(f_model.get_weights())
    if not k_model.built or not k_model.weights:
        k_model(inputs, training=False)
    from kerastf_xlate.tokeras.verify import transfer

    units = [u for u in _UNITS[case] if u.instance == "model" or u.name == type(module).__name__]
    assert len(units) == 1, (case, _UNITS[case])
    transfer(module, k_model, units[0])
    worst = 0.0
    for mode in ([False, True] if training else [False]):
        outs_f, outs_k = _arrays(f_model(inputs, training=mode)), _arrays(k_model(inputs, training=mode))
        assert len(outs_f) == len(outs_k), (case, len(outs_f), len(outs_k))
        for a, b in zip(outs_f, outs_k):
            assert a.shape == b.shape, (case, a.shape, b.shape)
            worst = max(worst, float(np.max(np.abs(a - b))) if a.size else 0.0)
            assert np.allclose(a, b, atol=ATOL, rtol=RTOL), f"{case}: Keras and to-keras(to-tf(.)) differ by {worst:.3g}\n{k}"
    if training:  # updated variables (moving statistics): F's i-th weight is T's i-th variable
        unit = units[0]
        k_weights = k_model.get_weights()
        for wa, var in zip(f_model.get_weights(), module.ordered_variables()):
            attr = next(a for a in unit.weight_order + unit.kept_vars if getattr(module, a) is var)
            wb = k_weights[unit.weight_order.index(attr)] if attr in unit.weight_order else getattr(k_model, attr)
            assert np.allclose(wa, np.asarray(wb), atol=ATOL, rtol=RTOL), f"{case}: updated weight {attr} differs"
    return worst


def _check_stable(case: str, t: str, t2: str) -> None:
    """``to-tf(to-keras(T))`` is ``T``, character for character."""
    if t2 == t:
        return
    import difflib

    diff = "".join(difflib.unified_diff(t.splitlines(True), t2.splitlines(True), "to-tf(F)", "to-tf(to-keras(to-tf(F)))"))
    pytest.fail(f"{case}: the round trip is not stable\n{diff}")


@pytest.mark.parametrize("case, rule, example", RULE_CASES, ids=[c for c, _, _ in RULE_CASES])
def test_rule_example_roundtrip(case: str, rule: Rule, example: Example, tokeras_report: dict[str, Any]) -> None:
    source = model_source(rule, example)
    t, k, t2, codes = roundtrip(case, source)
    inputs = make_inputs(example)
    worst = execute(case, source, t, k, inputs, example.training)
    tokeras_report[case] = (worst, t == t2)
    _check_stable(case, t, t2)


@pytest.mark.parametrize("name", KERAS_EXAMPLES)
def test_keras_example_roundtrip(name: str, tokeras_report: dict[str, Any]) -> None:
    path = EXAMPLES_DIR / f"{name}.py"
    if not path.exists():
        pytest.skip(f"examples/{name}.py is not there yet")
    source = path.read_text()
    t, k, t2, codes = roundtrip(name, source)
    import keras

    from kerastf_xlate.verify import exec_source, random_inputs

    keras.utils.set_random_seed(0)
    model = exec_source(source, "__rt_shape__", str(path))["model"]
    if not model.built:
        model(inputs_for((16,)))  # a subclass that declares nothing: 16 features
    inputs = random_inputs(model, None, seed=0)
    worst = execute(name, source, t, k, inputs, training=False)
    tokeras_report[name] = (worst, t == t2)
    if name not in NOT_A_FIXED_POINT:
        _check_stable(name, t, t2)


def test_harness_detects_a_perturbed_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: once one moved weight is off by 1e-3, the comparison fails."""
    from kerastf_xlate.tokeras import verify as tokeras_verify

    rule = RULES.get("Dense")
    assert rule is not None
    source = model_source(rule, rule.examples[0])
    t, k, _, _ = roundtrip("Dense-perturbed", source)
    real = tokeras_verify.transfer

    def transfer_then_perturb(module: Any, k_model: Any, unit: Any) -> None:
        real(module, k_model, unit)
        kernel = k_model.weights[0]
        kernel.assign(kernel + 1e-3)

    monkeypatch.setattr(tokeras_verify, "transfer", transfer_then_perturb)
    with pytest.raises(AssertionError, match="differ by"):
        execute("Dense-perturbed", source, t, k, make_inputs(rule.examples[0]), training=False)
