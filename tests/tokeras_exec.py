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


def run_perturbed(source: str, path: str = "case.py", seed: int = 0, scale: float = 0.3) -> tuple[dict[str, Any], list[Any]]:
    """Run ``source`` with each of its own ``tf.Variable(...)`` calls making a perturbed
    variable (normal noise of ``scale`` on the initial value: no zero bias, no unit scale);
    the namespace it leaves and the perturbed initial values, in creation order. Keras, which
    the program may use too, keeps the real class."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    made: list[Any] = []
    real = tf.Variable

    def variable(initial_value: Any, *args: Any, **kwargs: Any) -> Any:
        value = np.asarray(initial_value)
        value = value + rng.normal(0.0, scale, value.shape).astype(value.dtype)
        made.append(value)
        return real(value, *args, **kwargs)

    namespace: dict[str, Any] = {"__variable__": variable}
    exec(compile(source.replace("tf.Variable(", "__variable__("), path, "exec"), namespace)
    return namespace, made


def same(a: Any, b: Any, tol: float = 1e-5) -> float:
    """Assert ``b`` equals ``a`` within atol = rtol = ``tol``; the worst absolute difference."""
    import numpy as np

    x, y = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    np.testing.assert_allclose(y, x, atol=tol, rtol=tol)
    return float(np.max(np.abs(x - y))) if x.size else 0.0
