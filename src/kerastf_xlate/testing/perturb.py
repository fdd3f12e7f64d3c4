"""Weights moved away from their initial values before they are compared.

A freshly built model hides mistakes: zero biases and BatchNorm betas make a dropped bias
invisible, unit moving variances and gammas make a swapped ``gamma``/``moving_variance``
invisible, zero moving means make a mean that is never subtracted invisible, LayerScale's
``1e-6`` makes a whole residual branch invisible. Execution tests therefore perturb every
weight, deterministically per seed, before moving the weights from Keras to the
translation:

- an array that is all positive (variances, scales, ``gamma`` at 1, LayerScale at ``1e-6``)
  stays positive and moves off its value: multiplied by ``exp(N(0, 0.25))``, or, when its
  values are tiny (below ``1e-3``), replaced by ``0.01 + |N(0, 0.1)|`` (a LayerScale of
  ``1e-6`` would otherwise keep its branch invisible);
- any other array gets additive noise on its own scale: ``N(0, 0.2 * std)``, or
  ``N(0, 0.1)`` when all its values are equal (zero biases, betas, moving means), so a
  deep network's activations keep their scale (noise proportional to the spread of a
  random kernel, not an absolute amount that would double a small kernel);
- every element changes: an element that rounds back to its old value is moved one ulp up;
- integer and boolean arrays (counters, seeds) are left as they are.

Nothing here imports TensorFlow or Keras: it works on NumPy arrays, and on any model with
``get_weights`` / ``set_weights`` (a Keras model, a layer, a translated ``tf.Module``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

POSITIVE_SIGMA = 0.25  # log-normal factor on positive arrays
RELATIVE_SIGMA = 0.2   # additive noise on other arrays, times their standard deviation
CONSTANT_SIGMA = 0.1   # additive noise on arrays whose values are all equal (zeros)
TINY = 1e-3            # positive arrays below this are lifted, not scaled


def perturbed(weights: Sequence[Any], seed: int = 0) -> list[Any]:
    """``weights`` (arrays, e.g. ``model.get_weights()``) perturbed as the module says; the
    same seed gives the same arrays."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for w in weights:
        w = np.asarray(w)
        if not np.issubdtype(w.dtype, np.floating) or w.size == 0:
            out.append(w.copy())
            continue
        w64 = w.astype("float64")
        noise = rng.normal(0.0, 1.0, size=w.shape)
        if np.all(w64 > 0):
            if float(np.max(w64)) < TINY:
                new = w64 + 0.01 + np.abs(noise) * CONSTANT_SIGMA
            else:
                new = w64 * np.exp(noise * POSITIVE_SIGMA)
        else:
            spread = float(np.std(w64))
            sigma = RELATIVE_SIGMA * spread if spread > 0 else CONSTANT_SIGMA
            new = w64 + noise * sigma
        new = new.astype(w.dtype)
        same = new == w
        if np.any(same):
            new[same] = np.nextafter(w[same], np.array(np.inf, dtype=w.dtype))
        out.append(new)
    return out


def perturb_weights(model: Any, seed: int = 0) -> list[Any]:
    """Perturb every weight of ``model`` in place (anything with ``get_weights`` and
    ``set_weights``: a Keras model or layer, a module written by ``xlate to-tf``) and return
    the arrays it now holds, in its ``get_weights()`` order. Build the model first: a model
    whose variables are made on the first call has none before it."""
    moved = perturbed(model.get_weights(), seed=seed)
    model.set_weights(moved)
    return moved
