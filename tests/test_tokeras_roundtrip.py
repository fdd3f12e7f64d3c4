"""The round trip Keras -> ``xlate to-tf`` -> ``xlate to-keras``, executed.

For every example of every translated rule (a one-layer ``Sequential``) and every Keras
program in ``examples/``:

1. ``T = to-tf(F)`` and ``K = to-keras(T)``;
2. F, T and K are executed; the weights go F -> T (``T.set_weights(F.get_weights())``) ->
   K (``K.set_weights(T.get_weights())``: K lists its weights in the order of T's
   ``ordered_variables()``, see docs/to-keras.md); K's outputs must equal F's (atol = rtol =
   1e-5) in inference mode, and in training mode too where the rule example asks for it;
3. stability: ``to-tf(K)`` must be ``T`` again, character for character, except for the cases
   listed in ``UNSTABLE`` with the reason, and those where to-keras reports an op it keeps as
   TensorFlow (XL501: K is then a ``keras.Model`` subclass around that op).

A model to-keras keeps whole as TensorFlow (it reports XL502: none of its ops is one it
raises) is an expected failure; a model to-tf keeps as Keras is skipped. Run with ``-s`` to
see the worst difference over all cases.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerastf_xlate.rules import Example, Rule, default_rules  # noqa: E402
from kerastf_xlate.tokeras import translate_full  # noqa: E402
from kerastf_xlate.totf import translate as to_tf  # noqa: E402

pytestmark = pytest.mark.tf

ATOL = RTOL = 1e-5
RULES = default_rules()
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
KERAS_EXAMPLES = ["cnn_functional", "mlp_sequential", "subclassed_model", "text_classifier", "lstm_tagger"]

# case -> why to-tf(to-keras(to-tf(F))) cannot be to-tf(F) character for character
_RANK = ("to-tf's translation does not show the input's rank (tf.tensordot / tf.nn.moments over axis -1 "
         "take any rank), so to-keras writes the Sequential without keras.Input (Keras builds it for "
         "whatever comes first); to-tf then creates the weights on the first call instead of in __init__")
UNSTABLE: dict[str, str] = {
    "Dense-2": _RANK, "Dense-3": _RANK,
    "LayerNormalization-0": _RANK, "LayerNormalization-1": _RANK, "LayerNormalization-3": _RANK,
    "RMSNormalization-0": _RANK, "RMSNormalization-1": _RANK,
}

_RESULTS: dict[str, tuple[float, bool]] = {}
_UNITS: dict[str, Any] = {}


def _shape_tuple(ex: Example) -> tuple[int, ...] | None:
    shape = ex.input_shape
    if shape and all(isinstance(s, tuple) for s in shape):
        return None  # several inputs: not a Sequential
    return tuple(shape)


def _rule_cases() -> list[tuple[str, Rule, Example]]:
    out = []
    for rule in RULES:
        if rule.status != "translated":
            continue
        for i, ex in enumerate(rule.examples):
            if _shape_tuple(ex) is not None:
                out.append((f"{rule.layer}-{i}", rule, ex))
    return out


RULE_CASES = _rule_cases()


def sequential_source(ex: Example) -> str:
    shape = _shape_tuple(ex)
    dtype = f", dtype={ex.input_dtype!r}" if ex.input_dtype != "float32" else ""
    return (f"import keras\nfrom keras import layers\n\n"
            f"model = keras.Sequential([keras.Input(shape={shape!r}{dtype}), {ex.keras}])\n")


def inputs_for(shape: tuple[int, ...], dtype: str = "float32", high: int = 10, seed: int = 0, batch: int = 2) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    full = (batch,) + tuple(shape)
    if dtype == "float32":
        return rng.standard_normal(full).astype("float32")
    return rng.integers(0, high, size=full).astype(dtype)


def roundtrip(case: str, source: str) -> tuple[str, str, str, list[str]]:
    """(T, K, to-tf(K), codes to-keras reported); the case is skipped when to-tf keeps Keras layers."""
    t, diags = to_tf(source, f"{case}.py")
    if t == source or any(d.code in ("XL301", "XL303") for d in diags):
        pytest.skip(f"{case}: to-tf keeps the model as Keras ({[d.code for d in diags]})")
    full = translate_full(t, f"{case}_tf.py")
    k, kdiags = full.text, full.diagnostics
    if k == t:
        codes = sorted({d.code for d in kdiags})
        assert codes and all(c.startswith("XL5") for c in codes), f"{case}: to-keras changed nothing and said nothing\n{t}"
        pytest.xfail(f"{case}: kept as TensorFlow code ({', '.join(codes)})")
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
    module(tf.convert_to_tensor(inputs), training=False)
    module.set_weights(f_model.get_weights())
    if not k_model.built or not k_model.weights:
        k_model(inputs, training=False)
    from kerastf_xlate.tokeras.verify import transfer

    units = [u for u in _UNITS[case] if u.instance == "model" or u.name == type(module).__name__]
    assert len(units) == 1, (case, _UNITS[case])
    transfer(module, k_model, units[0])
    worst = 0.0
    for mode in ([False, True] if training else [False]):
        a = np.asarray(f_model(inputs, training=mode))
        b = np.asarray(k_model(inputs, training=mode))
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


def _check_stable(case: str, t: str, t2: str, codes: list[str]) -> bool:
    """Stable, or unstable for a known reason: listed in UNSTABLE, or an op was kept as
    TensorFlow (XL501), so the result is a keras.Model subclass around it."""
    if t2 == t:
        assert case not in UNSTABLE, f"{case} is stable now: remove it from UNSTABLE"
        return True
    if case in UNSTABLE or "XL501" in codes:
        return False
    import difflib

    diff = "".join(difflib.unified_diff(t.splitlines(True), t2.splitlines(True), "to-tf(F)", "to-tf(to-keras(to-tf(F)))"))
    pytest.fail(f"{case}: the round trip is not stable\n{diff}")
    return False


@pytest.mark.parametrize("case, rule, example", RULE_CASES, ids=[c for c, _, _ in RULE_CASES])
def test_rule_example_roundtrip(case: str, rule: Rule, example: Example) -> None:
    source = sequential_source(example)
    t, k, t2, codes = roundtrip(case, source)
    shape = _shape_tuple(example)
    assert shape is not None
    inputs = inputs_for(shape, example.input_dtype, example.input_range)
    worst = execute(case, source, t, k, inputs, example.training)
    _RESULTS[case] = (worst, t == t2)
    _check_stable(case, t, t2, codes)


@pytest.mark.parametrize("name", KERAS_EXAMPLES)
def test_keras_example_roundtrip(name: str) -> None:
    path = EXAMPLES_DIR / f"{name}.py"
    if not path.exists():
        pytest.skip(f"examples/{name}.py is not there yet")
    source = path.read_text()
    t, k, t2, codes = roundtrip(name, source)
    import keras

    from kerastf_xlate.verify import exec_source

    keras.utils.set_random_seed(0)
    model = exec_source(source, "__rt_shape__", str(path))["model"]
    spec = model.inputs[0] if getattr(model, "inputs", None) else None
    if spec is not None:
        shape = tuple(3 if d is None else d for d in spec.shape[1:])
        dtype = str(spec.dtype)
    else:
        shape, dtype = (16,), "float32"
    inputs = inputs_for(shape, dtype, 10)
    worst = execute(name, source, t, k, inputs, training=False)
    _RESULTS[name] = (worst, t == t2)
    _check_stable(name, t, t2, codes)


def test_zz_report() -> None:
    """Print the worst difference (runs last in this module)."""
    if not _RESULTS:
        pytest.skip("no round trip ran")
    worst_case = max(_RESULTS, key=lambda c: _RESULTS[c][0])
    unstable = sorted(c for c, (_, s) in _RESULTS.items() if not s)
    print(f"\nto-keras round trip: {len(_RESULTS)} cases, worst max |diff| = {_RESULTS[worst_case][0]:.3g} ({worst_case}); "
          f"textually stable: {len(_RESULTS) - len(unstable)}; known unstable: {unstable}")
