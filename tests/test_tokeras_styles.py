"""Whole-file cases in the styles people write TensorFlow 2 in, executed: the original and its
Keras translation run on the same input with the original's variables.

How the variables move: ``translate_full(...).units`` gives, per raised class, the original
variables (attribute paths, sub-modules expanded: ``body.first.kernel``) in the order of the
Keras model's ``get_weights()``; ``keras_model.set_weights([module.<path> for path in
order])`` after one call builds it (``kerastf_xlate.tokeras.verify.transfer``). Every
variable is perturbed first (no zero biases), tolerance atol = rtol = 1e-5, worst difference
printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kerastf_xlate.tokeras.engine import translate_full

CASES = Path(__file__).parent / "cases" / "tokeras"


def _source(name: str) -> str:
    return (CASES / name).read_text().split("# output\n")[0]


def _perturb(module: Any, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    for v in module.trainable_variables:
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype(v.dtype.as_numpy_dtype))


def run_both(name: str, instance: str, shape: tuple[int, ...]) -> float:
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.tokeras.verify import transfer

    source = _source(name)
    result = translate_full(source, name)
    original: dict[str, Any] = {}
    exec(compile(source, name, "exec"), original)  # noqa: S102 - the test's own case file
    translated: dict[str, Any] = {}
    exec(compile(result.text, name, "exec"), translated)  # noqa: S102
    module, model = original[instance], translated[instance]
    _perturb(module)
    x = tf.constant(np.random.default_rng(1).normal(size=(2, *shape)).astype("float32"))
    model(x)  # builds the Keras layers
    unit = next(u for u in result.units if u.name == type(module).__name__)
    transfer(module, model, unit)
    assert len(model.get_weights()) == len(module.trainable_variables)
    want, got = np.asarray(module(x)), np.asarray(model(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    return float(np.max(np.abs(got - want)))


def test_composed_modules_are_raised_whole() -> None:
    out = translate_full(_source("composed_modules.py"), "c.py").text
    assert "(tf.Module)" not in out and "class Tower(keras.Model)" in out
    assert "class TwoLayers(keras.layers.Layer)" in out


def test_composed_modules_weight_order() -> None:
    units = {u.name: u for u in translate_full(_source("composed_modules.py"), "c.py").units}
    assert units["Tower"].weight_order == ["body.first.kernel", "body.first.bias", "body.second.kernel",
                                           "body.second.bias", "head.kernel", "head.bias"]


@pytest.mark.tf
def test_composed_modules_run_with_the_same_outputs() -> None:
    worst = run_both("composed_modules.py", "tower", (3,))
    print(f"composed_modules: worst max |diff| = {worst:.3g}")
