"""One check per conformance property. Each takes (subject, module, x) and raises
AssertionError when the property does not hold; it leaves the module as it found it.

Tolerances (float32): outputs recomputed by the same ops (a traced function, a reloaded
SavedModel, a restored checkpoint, a deep copy) must match to ``EXACT``; XLA fuses and
reorders ops, so its outputs match to ``XLA``.
"""

from __future__ import annotations

import copy
import tempfile
from typing import Any

from conformance import subjects as S

EXACT = 1e-6  # atol = rtol
XLA = 1e-4    # atol = rtol


def _max_diff(a: Any, b: Any) -> float:
    import numpy as np
    import tensorflow as tf

    fa, fb = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(fa) == len(fb), (len(fa), len(fb))
    worst = 0.0
    for x, y in zip(fa, fb):
        x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
        assert x.shape == y.shape, (x.shape, y.shape)
        if x.size:
            worst = max(worst, float(np.max(np.abs(x - y) / (1.0 + np.abs(x)))))
    return worst


def assert_close(a: Any, b: Any, tol: float, what: str) -> float:
    worst = _max_diff(a, b)
    assert worst <= tol, f"{what}: max |diff| / (1 + |a|) = {worst:.3g} > {tol}"
    return worst


def eager(module: Any, x: Any) -> Any:
    return module(x, training=False)


def function(subject: S.Subject, module: Any, x: Any) -> float:
    """``tf.function`` traces once for calls with the same shapes, and computes what eager does."""
    import tensorflow as tf

    f = tf.function(lambda inputs: module(inputs, training=False))
    first = f(x)
    second = f(S.inputs(subject, module, seed=1))
    assert f.experimental_get_tracing_count() == 1, f"traced {f.experimental_get_tracing_count()} times for one shape"
    assert _max_diff(first, second) > 0, "two different inputs gave the same output: the check cannot fail"
    return assert_close(eager(module, x), first, EXACT, "tf.function against eager")


def xla(subject: S.Subject, module: Any, x: Any) -> float:
    """``tf.function(jit_compile=True)`` compiles and gives the eager outputs."""
    import tensorflow as tf

    f = tf.function(lambda inputs: module(inputs, training=False), jit_compile=True)
    return assert_close(eager(module, x), f(x), XLA, "XLA against eager")


def saved_model(subject: S.Subject, module: Any, x: Any) -> float:
    """Exports with a serving function from ``input_signature`` and reloads to the same outputs."""
    import tensorflow as tf

    holder = tf.Module()
    holder.model = module
    holder.serve = tf.function(lambda inputs: module(inputs, training=False),
                               input_signature=S.signature(subject, module))
    with tempfile.TemporaryDirectory() as d:
        tf.saved_model.save(holder, d, signatures=holder.serve.get_concrete_function())
        reloaded = tf.saved_model.load(d)
        worst = assert_close(eager(module, x), reloaded.serve(x), EXACT, "reloaded SavedModel against the module")
        assert "serving_default" in reloaded.signatures
    return worst


def checkpoint(subject: S.Subject, module: Any, x: Any) -> float:
    """Saves with ``tf.train.Checkpoint``, restores after every variable was moved, and gives
    the outputs of before."""
    import tensorflow as tf

    before = eager(module, x)
    ckpt = tf.train.Checkpoint(model=module)
    with tempfile.TemporaryDirectory() as d:
        path = ckpt.write(f"{d}/ckpt")
        for v in module.variables:
            if v.dtype.is_floating:
                v.assign_add(tf.ones_like(v) * 0.5)
        assert _max_diff(before, eager(module, x)) > 1e-3, "moving the variables did not change the outputs"
        tf.train.Checkpoint(model=module).read(path).assert_existing_objects_matched()
    return assert_close(before, eager(module, x), EXACT, "restored checkpoint against the saved module")


def deepcopy(subject: S.Subject, module: Any, x: Any) -> float:
    """``copy.deepcopy`` gives a module with the same outputs and variables of its own."""
    import tensorflow as tf

    before = eager(module, x)
    twin = copy.deepcopy(module)
    worst = assert_close(before, eager(twin, x), EXACT, "deep copy against the module")
    assert len(twin.variables) == len(module.variables)
    shared = {id(v) for v in module.variables} & {id(v) for v in twin.variables}
    assert not shared, f"{len(shared)} variables shared with the copy"
    for v in twin.variables:
        if v.dtype.is_floating:
            v.assign_add(tf.ones_like(v) * 0.5)
    assert _max_diff(before, eager(twin, x)) > 1e-3, "moving the copy's variables did not change its outputs"
    assert_close(before, eager(module, x), 0.0, "the module after its copy was changed")
    return worst


LOCAL = {"function": function, "xla": xla, "saved_model": saved_model, "checkpoint": checkpoint,
         "deepcopy": deepcopy}
ALL = [*LOCAL, "distribute"]
