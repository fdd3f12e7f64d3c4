"""The user's constants, kept as names in generated code (issue #20).

``to-tf`` needs static values (a kernel's shape, an input's shape, a reshape target); when
the user named them (``KS = (3, 3)``, ``IMG_SHAPE = IMG_SIZE + (1,)``), the generated code
says the name (``[*KS, 1, 8]``, ``[None, *IMG_SHAPE]``) where the name is sure to mean that
constant, and ``to-keras`` reads the name back. This module holds what both directions share:

- :func:`constant_value`: the value of a constant expression over other constants (literals,
  ``+ - * //`` on ints, ``+`` on tuples, tuple displays); never a guess;
- :class:`NamedItem`: one item of a named tuple; it computes as the int, and a run of all the
  items of one tuple in order is written ``*NAME`` (:func:`spread_name`);
- :func:`file_constants`: the tuple constants of a file as ``to-keras`` may read them: bound
  once in the whole file, at module level, so that every mention means that value.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from kerastf_xlate.static import UNKNOWN, is_int, literal


class NamedItem(int):
    """Item ``index`` of the module constant ``name`` (a tuple of ``length`` ints)."""

    name: str
    index: int
    length: int

    def __new__(cls, value: int, name: str, index: int, length: int) -> NamedItem:
        obj = super().__new__(cls, value)
        obj.name, obj.index, obj.length = name, index, length
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (NamedItem, (int(self), self.name, self.index, self.length))


def named_tuple(value: Any, name: str) -> Any:
    """A tuple (or list) of ints with its items as :class:`NamedItem` of ``name``; any other
    value as it is."""
    if type(value) not in (tuple, list) or not value or not all(is_int(v) for v in value):
        return value
    n = len(value)
    return type(value)(NamedItem(int(v), name, i, n) for i, v in enumerate(value))


def spread_name(values: Sequence[Any]) -> str | None:
    """The constant's name when ``values`` are exactly its items, in order (``KS`` for the
    kernel size read from ``KS = (3, 3)``); else None."""
    if not values or not all(isinstance(v, NamedItem) for v in values):
        return None
    first = values[0]
    if len(values) != first.length:
        return None
    if all(v.name == first.name and v.index == i for i, v in enumerate(values)):
        return first.name
    return None


_INT_OPS: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
}


def constant_value(node: ast.AST | None, lookup: Callable[[str], Any]) -> Any:
    """The value of ``node`` when it is a literal, or a constant expression over names
    ``lookup`` knows (UNKNOWN for any other): ``IMG_SIZE + (3,)``, ``7 * 7 * filters``,
    ``(rows, cols, 1)``, ``-1``. Plain ints and tuples: what an item was named is dropped."""
    value = literal(node)
    if value is not UNKNOWN or node is None:
        return value
    if isinstance(node, ast.Name):
        got = lookup(node.id)
        if got is UNKNOWN:
            return UNKNOWN
        return tuple(int(v) if is_int(v) else v for v in got) if isinstance(got, tuple) else (int(got) if is_int(got) else got)
    if isinstance(node, ast.Tuple):
        items = [constant_value(e, lookup) for e in node.elts]
        return UNKNOWN if any(i is UNKNOWN for i in items) else tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = constant_value(node.operand, lookup)
        return -v if is_int(v) else UNKNOWN
    if isinstance(node, ast.BinOp):
        a, b = constant_value(node.left, lookup), constant_value(node.right, lookup)
        if is_int(a) and is_int(b):
            if isinstance(node.op, ast.FloorDiv):
                return a // b if b != 0 else UNKNOWN
            op = _INT_OPS.get(type(node.op))
            return op(a, b) if op is not None else UNKNOWN
        if isinstance(a, tuple) and isinstance(b, tuple) and isinstance(node.op, ast.Add):
            return a + b
    return UNKNOWN


def binding_counts(tree: ast.AST) -> dict[str, int]:
    """How often each name is bound anywhere in ``tree``, in any way (assignment, deletion,
    parameter, import, def, handler, pattern; ``global`` / ``nonlocal`` count twice)."""
    out: dict[str, int] = {}

    def add(name: str | None, n: int = 1) -> None:
        if name:
            out[name] = out.get(name, 0) + n

    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            add(n.id)
        elif isinstance(n, ast.arg):
            add(n.arg, 2)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(n.name, 2)
        elif isinstance(n, ast.alias):
            add((n.asname or n.name).split(".")[0], 2)
        elif isinstance(n, ast.ExceptHandler):
            add(n.name, 2)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)):
            add(n.name, 2)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            for name in n.names:
                add(name, 2)
    return out


_FILE_CONSTANTS: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, ...]]] = weakref.WeakKeyDictionary()


def file_constants(owner: Any, body: list[ast.stmt]) -> dict[str, tuple[int, ...]]:
    """The tuple-of-ints constants of a file (its module ``body``; a list counts as its tuple): names bound once in the
    whole file, by a module-level ``NAME = <constant expression>`` over earlier such
    constants. Every mention of one anywhere in the file means that value. Cached on
    ``owner`` (the file's ModuleNames)."""
    got = _FILE_CONSTANTS.get(owner)
    if got is not None:
        return got
    counts = binding_counts(ast.Module(body=body, type_ignores=[]))
    known: dict[str, Any] = {}
    for stmt in body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and counts.get(stmt.targets[0].id) == 1):
            value = constant_value(stmt.value, lambda name: known.get(name, UNKNOWN))
            if isinstance(value, list):
                value = tuple(value)  # KS = [3, 3]: `*KS` is the same items
            if value is not UNKNOWN and (is_int(value) or isinstance(value, tuple) and all(is_int(v) for v in value)):
                known[stmt.targets[0].id] = value
    out = {k: v for k, v in known.items() if isinstance(v, tuple) and v}
    _FILE_CONSTANTS[owner] = out
    return out


__all__ = ["NamedItem", "binding_counts", "constant_value", "file_constants", "named_tuple", "spread_name"]
