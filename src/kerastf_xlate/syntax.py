"""Helpers on ``ast`` nodes: their exact source text (:class:`SourceText` maps ``ast``'s UTF-8
byte columns to character offsets), constant folding (:func:`const`), argument lookup
(:func:`kwarg`, :func:`only_args`) and structural comparison (:func:`same`).

Edits of the text are :class:`kerastf_xlate.edit.records.SpanEdit` s in character offsets
of the whole text.
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from typing import Any

from kerastf_xlate.static import UNKNOWN, literal


class SourceText:
    """A source with ``ast`` positions (UTF-8 byte columns) mapped to string offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln))

    def offset(self, line: int, byte_col: int) -> int:
        if line - 1 >= len(self.lines):
            return len(self.text)
        ln = self.lines[line - 1]
        if ln.isascii():
            return self.starts[line - 1] + byte_col
        return self.starts[line - 1] + len(ln.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def seg(self, node: ast.AST) -> str:
        a, b = self.span(node)
        return self.text[a:b]

    def line_span(self, stmt: ast.stmt) -> tuple[int, int]:
        """Whole lines of a statement, from its line start to after its last newline."""
        return self.starts[stmt.lineno - 1], self.starts[min(stmt.end_lineno or stmt.lineno, len(self.lines))]

    def indent_of(self, stmt: ast.stmt) -> str:
        line = self.lines[stmt.lineno - 1]
        return line[: len(line) - len(line.lstrip())]

    def owns_lines(self, stmt: ast.stmt) -> bool:
        """No other statement shares the statement's first or last line (``a = 1; b = 2``)."""
        a, b = self.span(stmt)
        start, end = self.line_span(stmt)
        before = self.text[start:a]
        after = self.text[b:end].strip()
        return not before.strip() and (not after or after.startswith("#"))


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}


def const(node: ast.AST | None) -> Any:
    """The value of a literal or of arithmetic on literals (``1.0 - 0.99``), or UNKNOWN."""
    value = literal(node)
    if value is not UNKNOWN or node is None:
        return value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = const(node.left), const(node.right)
        if _num(a) and _num(b):
            try:
                return _BINOPS[type(node.op)](a, b)
            except (ArithmeticError, ValueError, OverflowError):
                return UNKNOWN
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        a = const(node.operand)
        if _num(a):
            return -a
    return UNKNOWN


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same(a: ast.AST | None, b: ast.AST | None) -> bool:
    """Structural equality of two expressions (positions ignored)."""
    if a is None or b is None:
        return a is b
    return ast.dump(a) == ast.dump(b)


def name_of(node: ast.AST | None) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def is_name(node: ast.AST | None, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def assigned(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    """``name = value`` -> (name, value)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    return None


def tuple_assign(stmt: ast.stmt) -> tuple[str, str] | None:
    """``a, b = value`` -> (a, b)."""
    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple)
            and len(stmt.targets[0].elts) == 2 and all(isinstance(e, ast.Name) for e in stmt.targets[0].elts)):
        a, b = stmt.targets[0].elts
        return a.id, b.id  # type: ignore[attr-defined]
    return None


def self_attr(node: ast.AST | None, self_name: str = "self") -> str | None:
    """``self.x`` -> ``'x'``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == self_name:
        return node.attr
    return None


def kwarg(call: ast.Call, name: str, pos: int | None = None) -> ast.expr | None:
    """An argument by keyword, or by position when ``pos`` is given."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if pos is not None and pos < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: pos + 1]):
        return call.args[pos]
    return None


def only_args(call: ast.Call, names: list[str]) -> bool:
    """The call uses no starred arguments, at most ``len(names)`` positional ones, and only
    keywords from ``names`` (so nothing unknown changes the op's meaning)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or len(call.args) > len(names):
        return False
    for kw in call.keywords:
        if kw.arg is None or kw.arg not in names:
            return False
        if names.index(kw.arg) < len(call.args):
            return False  # given twice
    return True


def fmt(value: Any) -> str:
    """Python source of a literal value."""
    return repr(value)


def statement_lists(tree: ast.AST):
    """Every non-empty statement list in ``tree`` (bodies, ``else`` and ``finally`` blocks), in
    walk order."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def statement_of(node: ast.AST | None, parents: dict[int, ast.AST]) -> ast.stmt | None:
    """The statement holding ``node`` (itself if it is one), walking up ``parents``."""
    while node is not None and not isinstance(node, ast.stmt):
        node = parents.get(id(node))
    return node


def parents(tree: ast.AST) -> dict[int, ast.AST]:
    """Each node's parent, by ``id`` of the node."""
    out: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            out[id(child)] = node
    return out


def comments_by_line(text: str, first_line: int = 1) -> dict[int, str]:
    """Line -> comment text (``# ...``) for every comment in ``text``, which starts at
    line ``first_line`` of the source."""
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0] + first_line - 1] = tok.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def bound_in(stmt: ast.stmt, *, deletes: bool = True) -> set[str]:
    """Names a statement binds in its own scope (not inside nested functions, classes,
    lambdas or comprehensions): targets, imports, the names of ``def``/``class``; with
    ``deletes``, the names ``del`` unbinds too."""
    out: set[str] = set()
    todo: list[ast.AST] = [stmt]
    ctx = (ast.Store, ast.Del) if deletes else (ast.Store,)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            todo += n.decorator_list
            continue
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        if isinstance(n, ast.Name) and isinstance(n.ctx, ctx):
            out.add(n.id)
        todo += list(ast.iter_child_nodes(n))
    return out
