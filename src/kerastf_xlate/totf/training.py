"""Keras training API on translated models -> TensorFlow training code (placeholder).

:func:`plan_training` is called by the translator when a model's instance is used with
Keras APIs that a ``tf.Module`` lacks (``compile``, ``fit``, ``evaluate``, ``predict``,
``save_weights``...). It returns the statement replacements that turn those uses into
TensorFlow code, or raises :class:`~kerastf_xlate.totf.common.Blocked` when it cannot, in
which case the model stays Keras (XL303).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kerastf_xlate.totf.common import Blocked


@dataclass
class TrainingPlan:
    replace: dict[int, tuple[ast.stmt, str]] = field(default_factory=dict)  # id(stmt) -> (stmt, new code)
    remove: list[ast.stmt] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)  # module-level helper sources (deduplicated by the caller)


def plan_training(tree: ast.Module, names: set[str], scope: list[ast.AST], lines: list[str],
                  first_bad: tuple[str, ast.AST]) -> TrainingPlan:
    """Plan the TensorFlow replacement of every Keras-API use of ``names`` in ``scope``."""
    attr, node = first_bad
    raise Blocked(f"`.{attr}` is a Keras API that a tf.Module lacks", node)
