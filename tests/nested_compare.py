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
