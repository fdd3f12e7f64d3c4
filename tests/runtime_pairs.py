"""A Keras layer and its runtime twin on the same inputs and weights (not a test module).

Used by the ``tests/test_runtime_<family>.py`` files for the cases a rule example cannot
state (call arguments, masks, dtypes, several calls). ``pair(expr)`` builds the layer both
ways from one expression; ``moved(k, t)`` perturbs the Keras weights (zero biases and unit
statistics hide mistakes) and loads them into both; ``max_diff`` compares nested outputs.
Tolerance: float32, ``ATOL = RTOL = 1e-5`` as in tests/test_runtime_layers.py.
"""

from __future__ import annotations

from typing import Any

from runtime_ns import layers, perturbed

ATOL = RTOL = 1e-5


def pair(expr: str) -> tuple[Any, Any]:
    """``(keras_layer, runtime_layer)`` from an expression on ``layers``."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    k = eval(expr, {"layers": keras.layers, "keras": keras})
    t = eval(expr, {"layers": layers(), "tf": tf})
    return k, t


def moved(k: Any, t: Any, seed: int = 0) -> None:
    """Perturb the (built) Keras layer's weights and load them into both layers."""
    weights = perturbed(k.get_weights(), seed=seed)
    k.set_weights(weights)
    t.set_weights(weights)


def max_diff(a: Any, b: Any) -> float:
    import numpy as np
    import tensorflow as tf

    fa, fb = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(fa) == len(fb), (len(fa), len(fb))
    worst = 0.0
    for x, y in zip(fa, fb):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, (x.shape, y.shape)
        assert x.dtype == y.dtype, (x.dtype, y.dtype)
        if x.size:
            worst = max(worst, float(np.max(np.abs(x.astype("float64") - y.astype("float64")))))
    return worst


def close(a: Any, b: Any) -> float:
    """Assert ``a`` and ``b`` agree within the tolerance; return the worst difference."""
    import numpy as np
    import tensorflow as tf

    diff = max_diff(a, b)
    for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
        assert np.allclose(np.asarray(x, "float64"), np.asarray(y, "float64"), atol=ATOL, rtol=RTOL), diff
    return diff


def rand(*shape: int, seed: int = 0) -> Any:
    import numpy as np

    return np.random.default_rng(seed).standard_normal(shape).astype("float32")
