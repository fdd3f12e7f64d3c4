"""Whole programs in the program form of ``xlate to-tf``, executed against Keras.

Each ``tests/cases/program/*.py`` is a Keras program written after reading real ones (a
builder with loops, helper blocks, nested models, custom layers, ...). The test translates
it, checks the translation is in the program form and holds no Keras model code, executes
both versions, and for every model it names (the ``# xlate-case:`` line: a dict with the
module-level names to compare and their input shapes without the batch axis) moves the Keras
weights, perturbed, into the translation and compares the outputs: in inference, and in
training mode (outputs and updated weights, e.g. BatchNormalization's statistics) unless the
case says ``"training": false`` (random layers). ``"int_inputs": {name: vocab}`` gives a model
token ids in ``[0, vocab)`` instead of normal floats. Tolerance: atol = rtol = 1e-5, float32,
unless ``"tolerance": {name: tol}`` gives a model computing in half precision its own; the
worst difference of each case is printed.

The expected translation of the user's code (the runtime block between its markers left
out) is kept after a ``# output`` line; ``XLATE_REGEN=1`` rewrites it after a deliberate
change (review the diff).
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER, END

CASES = sorted((Path(__file__).parent / "cases" / "program").glob("*.py"))
MARK = "# output\n"
ATOL = RTOL = 1e-5


def split_case(path: Path) -> tuple[str, str | None, dict[str, Any]]:
    text = path.read_text()
    source, sep, expected = text.partition(MARK)
    m = re.search(r"^# xlate-case: (.*)$", source, re.M)
    spec = ast.literal_eval(m.group(1)) if m else {}
    return source, (expected if sep else None), spec


def user_part(translated: str) -> str:
    """The translation without the runtime block (between its banner and end markers)."""
    start = translated.find(BANNER)
    if start < 0:
        return translated
    end = translated.find(END, start)
    return translated[:start] + "# (TensorFlow layers written out by xlate to-tf)\n" + translated[end + len(END) + 1 :]


def translate_case(path: Path) -> tuple[str, str]:
    source, expected, _ = split_case(path)
    out, diags = translate(source, path.name)
    problems = [f"{d.line}: {d.code} {d.message}" for d in diags if d.code not in ("XL309",)]
    assert BANNER in out, f"{path.name}: not translated in the program form\n" + "\n".join(problems)
    assert not re.search(r"\b(keras|layers)\.(layers|Model|Sequential|Input)\b", user_part(out)), f"{path.name}: Keras model code left"
    again, _ = translate(out, path.name)
    assert again == out, "a second run must change nothing"
    if os.environ.get("XLATE_REGEN"):
        path.write_text(source + MARK + user_part(out))
    elif expected is not None:
        assert user_part(out) == expected
    return source, out


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_program_case_static(case: Path) -> None:
    translate_case(case)


def _exec(source: str, name: str) -> dict[str, Any]:
    from kerastf_xlate.verify import exec_source

    return exec_source(source, name, f"{name}.py")


def _compare(a: Any, b: Any, tol: float = ATOL) -> tuple[float, bool]:
    """(max |a - b|, every element within atol + rtol * |a|, atol = rtol = tol), and the same dtypes."""
    import numpy as np
    import tensorflow as tf

    fa, fb = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(fa) == len(fb)
    worst, ok = 0.0, True
    for x, y in zip(fa, fb):
        assert tf.as_dtype(x.dtype).name == tf.as_dtype(y.dtype).name, (x.dtype, y.dtype)
        x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
        assert x.shape == y.shape, (x.shape, y.shape)
        if x.size:
            worst = max(worst, float(np.max(np.abs(x - y))))
            ok = ok and bool(np.allclose(y, x, atol=tol, rtol=tol))
    return worst, ok


def _no_keras_inside(obj: Any, seen: set[int] | None = None) -> list[str]:
    """Keras layers or variables anywhere in a translated model's attributes."""
    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    found = []
    if type(obj).__module__.startswith("keras"):
        return [type(obj).__name__]
    values = list(vars(obj).values()) if hasattr(obj, "__dict__") else []
    for v in values:
        if isinstance(v, (list, tuple)):
            for item in v:
                found += _no_keras_inside(item, seen) if hasattr(item, "__dict__") else []
        elif isinstance(v, dict):
            for item in v.values():
                found += _no_keras_inside(item, seen) if hasattr(item, "__dict__") else []
        elif hasattr(v, "__dict__") and not isinstance(v, type) and not callable(v) or hasattr(v, "weights"):
            found += _no_keras_inside(v, seen)
    return found


@pytest.mark.tf
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_program_case_runs_like_keras(case: Path) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    source, out = translate_case(case)
    _, _, spec = split_case(case)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    original = _exec(source, "__program_keras__")
    tf.random.set_seed(0)
    translated = _exec(out, "__program_tf__")
    names = spec.get("models", {})
    assert names, f"{case.name}: the case names no model to compare"
    worst, ok = 0.0, True
    rng = np.random.default_rng(0)
    for name, shape in names.items():
        model, module = original[name], translated[name]
        assert isinstance(model, keras.layers.Layer), f"{name} is not a Keras model in the original"
        assert isinstance(module, tf.Module) and not isinstance(module, keras.layers.Layer), f"{name} is still Keras"
        assert not _no_keras_inside(module), f"{name} holds Keras objects: {_no_keras_inside(module)}"
        shapes = shape if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)) else [shape]
        vocab = spec.get("int_inputs", {}).get(name)  # token ids in [0, vocab), zeros included (padding)
        xs = [rng.integers(0, vocab, (2, *s)).astype("int32") if vocab else rng.standard_normal((2, *s)).astype("float32")
              for s in shapes]
        x = xs[0] if len(xs) == 1 else xs
        model(x)  # build both
        module(tf.nest.map_structure(tf.convert_to_tensor, x))
        kw = model.get_weights()
        assert [w.shape for w in kw] == [tuple(w.shape) for w in module.get_weights()], f"{name}: weights differ"
        moved = perturbed(kw)
        model.set_weights(moved)
        module.set_weights(moved)
        pairs = [(model(x, training=False), module(x, training=False))]
        if spec.get("training", True):
            pairs.append((model(x, training=True), module(x, training=True)))
            pairs.append((model.get_weights(), module.get_weights()))
        for a, b in pairs:
            diff, close = _compare(a, b, spec.get("tolerance", {}).get(name, ATOL))
            worst, ok = max(worst, diff), ok and close
    print(f"{case.stem}: worst max |diff| = {worst:.3g}")
    assert ok, f"{case.stem}: outside atol = rtol = {ATOL}; max |diff| = {worst:.3g}"
