"""``xlate to-keras``: raise TensorFlow low-level code (tf.nn, tf.Module) back to Keras layers.

Static: parses with ``ast``, never imports TensorFlow or Keras (only :func:`verify_to_keras`
does, inside the function).
"""

from __future__ import annotations

from typing import Any

from kerastf_xlate.tokeras.engine import make_transform, translate, translate_full
from kerastf_xlate.tokeras.report import lint_bytes as _lint_bytes

__all__ = ["make_transform", "translate", "translate_full", "lint_bytes", "verify_to_keras"]


def lint_bytes(path: str, data: bytes, rules: Any, config: Any) -> Any:
    """``xlate lint --to-keras`` of one file's bytes."""
    return _lint_bytes(path, data, rules, config)


def verify_to_keras(source: str, path: str, atol: float = 1e-5, rtol: float = 1e-5,
                    input_shape: tuple[int, ...] | None = None, seed: int = 0) -> list[Any]:
    from kerastf_xlate.tokeras.verify import verify_to_keras as impl

    return impl(source, path, atol=atol, rtol=rtol, input_shape=input_shape, seed=seed)
