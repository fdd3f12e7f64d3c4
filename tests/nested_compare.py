"""Comparing nested results (dicts and lists of numbers, as the executed scripts print them
in JSON) within a relative tolerance."""

from __future__ import annotations

from typing import Any


def worst_relative(a: Any, b: Any, tol: float, where: str = "") -> float:
    """The largest ``|a - b| / max(1, |a|)`` over the leaves; fails on a different structure or
    on a leaf over ``tol``, naming where."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        return max([worst_relative(a[k], b[k], tol, f"{where}.{k}") for k in a] + [0.0])
    if isinstance(a, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} values"
        return max([worst_relative(x, y, tol, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b))] + [0.0])
    diff = abs(float(a) - float(b)) / max(1.0, abs(float(a)))
    assert diff <= tol, f"{where}: {a} against {b}"
    return diff


def worst_absolute(a: Any, b: Any, atol: float, path: str = "") -> float:
    """The largest absolute difference between two reports whose leaves are arrays (nested
    lists of numbers), strings or empty lists; each array must agree within
    ``atol * (1 + max |a|)``. Fails on a different structure or a leaf over it, naming where."""
    import numpy as np

    if isinstance(a, dict):
        assert sorted(a) == sorted(b), path
        return max([worst_absolute(a[k], b[k], atol, f"{path}.{k}") for k in a] + [0.0])
    if isinstance(a, list) and a and isinstance(a[0], (list, dict, str)):
        assert len(a) == len(b), path
        return max([worst_absolute(x, y, atol, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b))] + [0.0])
    if isinstance(a, str) or isinstance(a, list) and not a:
        assert a == b, path
        return 0.0
    diff = float(np.max(np.abs(np.asarray(a, dtype="float64") - np.asarray(b, dtype="float64"))))
    assert diff <= atol * (1 + float(np.max(np.abs(a)))), (path, diff)
    return diff
