"""The TensorFlow runtime of translated programs, loaded for tests (not a test module).

The runtime sources (``src/kerastf_xlate/runtime/tfr_*.py``) are executed the way a
translated file holds them: one block from the bundler, in one namespace. ``runtime()``
gives that namespace (every public name), and ``layers()`` an object whose attributes are its
layer classes, so ``eval("layers.Conv2D(4, 3)", {"layers": layers()})`` builds the
TensorFlow twin of a Keras layer expression.
"""

from __future__ import annotations

import functools
import types
from typing import Any


@functools.lru_cache(maxsize=1)
def runtime() -> dict[str, Any]:
    from kerastf_xlate.totf.program.bundle import load_runtime

    rt = load_runtime()
    source = "import tensorflow as tf\n" + rt.source(set(rt.public))
    namespace: dict[str, Any] = {"__name__": "xlate_runtime"}
    exec(compile(source, "<xlate runtime bundle>", "exec"), namespace)
    return namespace


def layers() -> Any:
    ns = runtime()
    base = ns["Layer"]
    out = types.SimpleNamespace()
    for name, value in ns.items():
        if isinstance(value, type) and issubclass(value, base) and not name.startswith("_"):
            setattr(out, name, value)
    for name in ("Input", "InputLayer"):
        setattr(out, name, ns[name])
    return out


def perturbed(weights: list[Any], seed: int = 0) -> list[Any]:
    """Keras's initial weights moved away from their initial values (zero biases and unit
    BatchNorm statistics hide mistakes): ``kerastf_xlate.testing.perturb.perturbed``."""
    from kerastf_xlate.testing.perturb import perturbed as perturbed_arrays

    return perturbed_arrays(weights, seed=seed)


def runtime_of(names: set[str], module: str) -> Any:
    """The runtime block that defines ``names`` (and what they need), executed as module
    ``module``: an object whose attributes are its top-level names."""
    from kerastf_xlate.totf.program.bundle import load_runtime

    source = "import tensorflow as tf\n" + load_runtime().source(set(names))
    namespace: dict[str, Any] = {"__name__": module}
    exec(compile(source, "<xlate runtime bundle>", "exec"), namespace)
    return types.SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def policy_params(cases: Any, fast: set[str], fast_policies: set[str]) -> list[Any]:
    """``pytest.param(name, policy)`` for every case name and every float dtype policy
    (``args.POLICY_DTYPES``), marked ``slow`` outside the ``fast`` names and policies."""
    import pytest

    from kerastf_xlate.args import POLICY_DTYPES

    return [pytest.param(name, policy, marks=[] if name in fast and policy in fast_policies else [pytest.mark.slow],
                         id=f"{name}-{policy}")
            for name in sorted(cases) for policy in sorted(POLICY_DTYPES)]
