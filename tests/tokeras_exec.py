"""Executing a to-keras case: the original and the raised source side by side, the original's
variables perturbed and moved into the raised layer in its documented weight order."""

from __future__ import annotations

from typing import Any

from kerastf_xlate.tokeras.engine import translate_full
from kerastf_xlate.tokeras.units import Result


def executed_both(source: str, path: str) -> tuple[Result, dict[str, Any], dict[str, Any]]:
    """The to-keras translation of ``source``, and the namespaces the original and the raised
    source leave when executed."""
    result = translate_full(source, path)
    original: dict[str, Any] = {}
    exec(compile(source, path, "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(result.text, path, "exec"), translated)
    return result, original, translated


def raised_matches(source: str, instance: str, shape: tuple[int, ...], seed: int, path: str = "case.py") -> float:
    """Run ``instance`` of ``source`` and of its to-keras translation on one input of ``shape``,
    perturb the original's variables (normal noise, scale 0.5), load them into the raised layer
    by ``UnitInfo.weight_order`` and assert the outputs agree (atol = rtol = 1e-5); the worst
    difference."""
    import numpy as np
    import tensorflow as tf

    result, original, translated = executed_both(source, path)
    a, b = original[instance], translated[instance]
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=shape).astype("float32"))
    a(x)
    b(x)
    unit = next(u for u in result.units if u.name == type(a).__name__)
    paths = [getattr(a, p) for p in unit.weight_order]
    assert len(paths) == len(a.trainable_variables) == len(b.trainable_variables)
    for v in paths:
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    b.set_weights([v.numpy() for v in paths])
    want, got = np.asarray(a(x)), np.asarray(b(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    worst = float(np.max(np.abs(got - want)))
    print(f"{instance}: worst max |diff| = {worst:.3g}")
    return worst
