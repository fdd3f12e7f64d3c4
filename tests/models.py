"""Keras sources and inputs for a rule example: shared by the execution round trips.

``model_source`` writes the one-layer Keras model of a rule example (a ``keras.Sequential``
for one input, a functional ``keras.Model`` for several, the example itself for the
structural ``Model`` / ``Sequential`` rules); ``make_inputs`` the random inputs it runs on.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest

from kerastf_xlate.rules import Example, Rule


def _shapes(ex: Example) -> list[tuple[int, ...]]:
    """The example's input shapes (one per input, without the batch axis)."""
    shape = ex.input_shape
    if shape and all(isinstance(s, tuple) for s in shape):
        return [tuple(s) for s in shape]
    return [tuple(shape)]


def _input(shape: tuple[int, ...], dtype: str) -> str:
    return f"keras.Input(shape={shape!r}, dtype={dtype!r})"


def _flatten_graph(expr: ast.expr, stmts: list[str], counter: list[int]) -> str:
    """Unnest ``layers.X(...)(layers.Y(...)(i))`` / ``i := keras.Input(...)`` into one
    statement per layer application (the functional form the translator follows)."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.NamedExpr):
        stmts.append(f"{expr.target.id} = {ast.unparse(expr.value)}")
        return expr.target.id
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Call):
        args = [ast.Name(_flatten_graph(a, stmts, counter)) for a in expr.args]
        call = ast.Call(func=expr.func, args=args, keywords=expr.keywords)
        counter[0] += 1
        name = f"t{counter[0]}"
        stmts.append(f"{name} = {ast.unparse(call)}")
        return name
    if isinstance(expr, (ast.List, ast.Tuple)):
        return "[" + ", ".join(_flatten_graph(e, stmts, counter) for e in expr.elts) + "]"
    raise ValueError(f"cannot unnest {ast.unparse(expr)}")


def model_source(rule: Rule, ex: Example) -> str:
    """Keras source binding ``model`` to a model that applies the example."""
    head = "import keras\nfrom keras import layers\n\n"
    shapes = _shapes(ex)
    dtype = ex.input_dtype
    if rule.layer == "Sequential":
        call = ast.parse(ex.keras, mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.args[0], ast.List)
        elements = [_input(shapes[0], dtype)] + [ast.unparse(e) for e in call.args[0].elts]
        return head + "model = keras.Sequential([" + ", ".join(elements) + "])\n"
    if rule.layer == "Model":
        call = ast.parse(ex.keras, mode="eval").body
        assert isinstance(call, ast.Call) and len(call.args) == 2
        stmts: list[str] = []
        counter = [0]
        ins = _flatten_graph(call.args[0], stmts, counter)
        outs = _flatten_graph(call.args[1], stmts, counter)
        return head + "\n".join(stmts) + f"\nmodel = keras.Model({ins}, {outs})\n"
    if len(shapes) == 1:
        return head + f"model = keras.Sequential([{_input(shapes[0], dtype)}, {ex.keras}])\n"
    names = [f"in{i}" for i in range(len(shapes))]
    lines = [f"{n} = {_input(s, dtype)}" for n, s in zip(names, shapes)]
    lines.append(f"out = {ex.keras}([{', '.join(names)}])")
    lines.append(f"model = keras.Model([{', '.join(names)}], out)")
    return head + "\n".join(lines) + "\n"


# string inputs: words, phrases with case and punctuation, the empty string; ``input_range``
# takes the first n of them
_WORDS = ["the", "cat", "sat", "on", "mat", "The Cat!", "a dog ran", "", "hello, world", "zebra"]


def make_inputs(ex: Example, seed: int = 0, batch: int = 2) -> Any:
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in _shapes(ex):
        full = (batch,) + shape
        if ex.input_dtype == "float32":
            arrays.append(rng.standard_normal(full).astype("float32"))
        elif ex.input_dtype in ("int32", "int64"):
            arrays.append(rng.integers(0, ex.input_range, size=full).astype(ex.input_dtype))
        elif ex.input_dtype == "string":
            words = np.array(_WORDS[: ex.input_range])
            arrays.append(words[rng.integers(0, len(words), size=full)])
        else:
            raise NotImplementedError(f"inputs of dtype {ex.input_dtype}")
    return arrays[0] if len(arrays) == 1 else arrays
