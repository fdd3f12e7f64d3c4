"""Every ``[[examples]]`` entry of every translated rule, executed: Keras vs its translation.

For each example a one-layer Keras model is written as source (a ``keras.Sequential`` for one
input, a functional ``keras.Model`` for several), translated with ``xlate to-tf``, and both
versions are executed on the same weights and inputs (``kerastf_xlate.verify.compare``): in
inference mode always, in training mode too when the example says ``training = true``.
Tolerance: float32, ``atol = rtol = 1e-5``. The structural ``Model`` / ``Sequential``
examples run the same way. The worst difference per example and per rule is printed at the
end of the session (``tests/conftest.py``).
"""

from __future__ import annotations

import ast
import os
import re
import time
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from models import make_inputs, model_source

from kerastf_xlate.activations import ACTIVATION_SYMBOLS
from kerastf_xlate.initializers import INIT_SYMBOLS
from kerastf_xlate.layers import emitters
from kerastf_xlate.rules import Example, Rule, default_rules
from kerastf_xlate.totf import translate

pytestmark = pytest.mark.tf

ATOL = RTOL = 1e-5
RULES = default_rules()
TRANSLATED = [r for r in RULES if r.status == "translated"]
FLAT = [r for r in TRANSLATED if not r.program_only]  # program-only rules run in tests/test_runtime_layers.py
STRUCTURAL = [r for r in RULES if r.status == "structural" and r.examples]

CASES = [(rule, i, ex) for rule in FLAT + STRUCTURAL for i, ex in enumerate(rule.examples)]
IDS = [f"{rule.layer}-{i}" for rule, i, _ in CASES]

# tf attributes that are dtypes, not APIs (they need no entry in counterpart.symbols)
_DTYPES = {"tf.float16", "tf.float32", "tf.float64", "tf.bfloat16", "tf.int8", "tf.int16", "tf.int32",
           "tf.int64", "tf.uint8", "tf.uint16", "tf.uint32", "tf.uint64", "tf.bool", "tf.string"}
_ENGINE_SYMBOLS = {"tf.Variable", *INIT_SYMBOLS}  # lazily created variables are written in __call__


# ------------------------------------------------------------------------------ checks


def _call_body(translated: str) -> str:
    """Source of the generated class's ``__call__`` (what the handlers wrote)."""
    tree = ast.parse(translated)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__call__":
            return ast.get_source_segment(translated, node) or ""
    raise AssertionError("no __call__ in the translation")


def emitted_symbols(translated: str) -> set[str]:
    found = set(re.findall(r"(?<![\w.])tf(?:\.\w+)+", _call_body(translated)))
    return {s for s in found if s not in _DTYPES}


def allowed_symbols(rule: Rule, ex: Example) -> set[str]:
    rules = [rule]
    if rule.status == "structural":
        rules = [RULES.get(n) for n in re.findall(r"\blayers\.(\w+)\(", ex.keras)]  # type: ignore[misc]
    out = set(_ENGINE_SYMBOLS) | set(ACTIVATION_SYMBOLS)
    for r in rules:
        assert r is not None
        out |= set(r.symbols)
    return out


def translate_example(rule: Rule, ex: Example, case_id: str) -> tuple[str, str]:
    source = model_source(rule, ex)
    translated, diags = translate(source, f"{case_id}.py")
    problems = [f"{d.code}: {d.message}" for d in diags if d.code.startswith("XL3") or d.code in ("XL101", "XL102")]
    assert not problems, f"{case_id} was not translated:\n" + "\n".join(problems) + "\n" + source
    assert translated != source, f"{case_id}: nothing was translated"
    assert not re.search(r"^\s*(import keras|from keras)", translated, re.M), \
        f"{case_id}: the translation still imports keras\n{translated}"
    assert not re.search(r"\b(keras|layers)\.", _call_body(translated)), f"{case_id}: a Keras layer is left\n{translated}"
    return source, translated


def run_pair(source: str, translated: str, case_id: str) -> tuple[Any, Any]:
    """Execute both sources (fresh Keras session) and return (keras model, tf module)."""
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    from kerastf_xlate.verify import exec_source

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    original = exec_source(source, "__roundtrip_keras__", f"{case_id}.py")
    tf.random.set_seed(0)
    converted = exec_source(translated, "__roundtrip_tf__", f"{case_id}.py (translated)")
    model, module = original["model"], converted["model"]
    assert isinstance(model, keras.Model)
    assert isinstance(module, tf.Module), f"{case_id}: `model` is not a tf.Module in the translation"
    return model, module


def _short(name: str) -> str:
    """``conv2d/kernel:0`` -> ``kernel``."""
    return name.split("/")[-1].split(":")[0]


def check_weight_names(rule: Rule, model: Any, module: Any) -> None:
    """The module's variables are the Keras weights, in Keras order and with Keras names."""
    keras_names = [_short(w.path if hasattr(w, "path") else w.name) for w in model.weights]
    module_names = [_short(v.name) for v in module.ordered_variables()]
    assert module_names == keras_names, (module_names, keras_names)
    if rule.status == "translated":
        layer_names = [_short(w.name) for w in model.layers[-1].weights]
        assert [n for n in rule.weights if n in layer_names] == layer_names, \
            f"{rule.layer}: counterpart.weights {list(rule.weights)} do not give Keras's order {layer_names}"


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("rule, index, example", CASES, ids=IDS)
def test_rule_example_roundtrip(rule: Rule, index: int, example: Example, roundtrip_report: dict) -> None:  # type: ignore[type-arg]
    from kerastf_xlate.verify import compare

    case_id = f"{rule.layer}-{index}"
    start = time.perf_counter()
    source, translated = translate_example(rule, example, case_id)
    extra = emitted_symbols(translated) - allowed_symbols(rule, example)
    assert not extra, f"{case_id}: emits {sorted(extra)}, not listed in counterpart.symbols\n{_call_body(translated)}"
    model, module = run_pair(source, translated, case_id)
    inputs = make_inputs(example)
    results = compare(case_id, model, module, inputs, atol=ATOL, rtol=RTOL, training=example.training)
    check_weight_names(rule, model, module)
    worst = max(r.max_abs_diff for r in results)
    roundtrip_report[case_id] = {
        "rule": rule.layer, "worst": worst, "modes": [r.mode for r in results],
        "ok": all(r.ok for r in results), "seconds": time.perf_counter() - start,
    }
    failed = [f"{r.mode}: max |diff| = {r.max_abs_diff:.3g} {r.detail}" for r in results if not r.ok]
    assert not failed, f"{case_id}: Keras and the translation differ\n" + "\n".join(failed) + "\n" + _call_body(translated)
    assert [r.mode for r in results] == (["inference", "training"] if example.training else ["inference"])


def test_harness_detects_a_perturbed_weight() -> None:
    """Negative control: the same comparison fails once one translated weight is nudged."""
    from kerastf_xlate.verify import compare

    rule = RULES.get("Dense")
    assert rule is not None
    example = rule.examples[0]
    source, translated = translate_example(rule, example, "Dense-perturbed")
    model, module = run_pair(source, translated, "Dense-perturbed")
    inputs = make_inputs(example)
    assert all(r.ok for r in compare("clean", model, module, inputs, atol=ATOL, rtol=RTOL, training=False))

    load = module.set_weights

    def set_then_perturb(weights: list) -> None:  # type: ignore[type-arg]
        load(weights)
        kernel = module.ordered_variables()[0]
        kernel.assign_add(1e-3 * (kernel * 0 + 1))  # every entry of the kernel, by 1e-3

    module.set_weights = set_then_perturb
    results = compare("perturbed", model, module, inputs, atol=ATOL, rtol=RTOL, training=False)
    assert results and not any(r.ok for r in results), results
    assert results[0].max_abs_diff > ATOL


def test_every_translated_rule_has_examples_and_an_implementation() -> None:
    handlers = emitters()
    problems = []
    for rule in TRANSLATED:
        if len(rule.examples) < 2:
            problems.append(f"{rule.layer}: {len(rule.examples)} example(s), need >= 2")
        if rule.call is None and rule.handler not in handlers and not rule.program_only:
            problems.append(f"{rule.layer}: handler {rule.handler!r} does not exist")
        if rule.call is not None and rule.handler is not None:
            problems.append(f"{rule.layer}: both a handler and a call template")
    assert not problems, "\n".join(problems)
