"""Static values of source code: literals, the one "not a literal" value, and names.

Every reader of a literal in the project goes through :func:`literal` and compares with
:data:`UNKNOWN` (one sentinel: a value found by one module can be checked by another).
"""

from __future__ import annotations

import ast
import keyword
import re
from typing import Any, Final


class _Unknown:
    """The value of an expression that is not a literal (the singleton :data:`UNKNOWN`)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return True


UNKNOWN: Final = _Unknown()

_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


def literal(node: ast.AST | str | None) -> Any:
    """The Python value of a literal expression (a node, or source text), or UNKNOWN."""
    if node is None:
        return UNKNOWN
    try:
        return ast.literal_eval(node)
    except _LITERAL_ERRORS:
        return UNKNOWN


def literal_or(source: ast.AST | str | None, default: Any = None, unknown: Any = None) -> Any:
    """:func:`literal`, with ``default`` for a missing value and ``unknown`` for a non-literal."""
    if source is None:
        return default
    value = literal(source)
    return unknown if value is UNKNOWN else value


def is_int(v: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(v, int) and not isinstance(v, bool)


class Unsupported(Exception):
    """This use of a layer (or an initializer, an argument value) cannot be translated faithfully."""


def snake(name: str) -> str:
    """Keras's layer-name convention: ``Conv2D`` -> ``conv2d``, ``BatchNormalization`` -> ``batch_normalization``."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class Namer:
    """Unique identifiers as Keras makes layer names: ``conv2d``, ``conv2d_1``, ... (a name not
    usable as an identifier is made one), never one of ``taken`` or ``reserved``."""

    def __init__(self, taken: set[str] | None = None, reserved: frozenset[str] = frozenset()) -> None:
        self.taken = set(taken or ())
        self.reserved = reserved
        self.counts: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "layer"
        if base[0].isdigit():
            base = "_" + base
        if keyword.iskeyword(base):  # Lambda -> `lambda`: not usable as `self.lambda`
            base += "_layer"
        n = self.counts.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            n += 1
            if name not in self.taken and name not in self.reserved:
                self.counts[base] = n
                self.taken.add(name)
                return name

    def peek(self, base: str) -> str:
        """The name ``self(base)`` would give, without taking it (``base`` an identifier)."""
        n = self.counts.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            if name not in self.taken and name not in self.reserved:
                return name
            n += 1
