"""Apply statement-level edits with LibCST, and manage imports and helper functions.

Edits are keyed by the ``(line, column)`` where a statement starts (from ``ast``); LibCST's
``PositionProvider`` finds the same statements, so everything not edited is reproduced
byte-for-byte by LibCST's lossless round trip.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


@dataclass
class Edits:
    replace: dict[tuple[int, int], str] = field(default_factory=dict)  # statement start -> new code
    remove: set[tuple[int, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.replace or self.remove)


class _Apply(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Edits, default_indent: str, newline: str = "\n") -> None:
        super().__init__()
        self.newline = newline
        self.edits = edits
        self.applied: set[tuple[int, int]] = set()
        self.default_indent = default_indent

    def _key(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node).start
        return (pos.line, pos.column)

    def _edit(self, original: cst.BaseStatement, updated: cst.BaseStatement):  # type: ignore[no-untyped-def]
        key = self._key(original)
        if key in self.edits.replace:
            self.applied.add(key)
            parsed = cst.parse_module(_with_newline(self.edits.replace[key], self.newline))
            new = parsed.body
            if not new:
                return cst.RemovalSentinel.REMOVE
            # comments at the top of the new code are the module header when parsed alone
            header = [ln for ln in parsed.header if ln.comment is not None]
            # the replaced statement's comments and blank lines stay above the new code
            first = new[0].with_changes(leading_lines=list(original.leading_lines) + header + list(new[0].leading_lines))
            # blank lines between inserted statements carry no indentation
            new = [first] + [s.with_changes(leading_lines=[ln.with_changes(indent=False) if ln.comment is None else ln
                                                           for ln in s.leading_lines]) for s in new[1:]]
            if isinstance(first, (cst.ClassDef, cst.FunctionDef)):
                # PEP 8: two blank lines before a top-level class, one inside a block
                want = 2 if self.get_metadata(PositionProvider, original).start.column == 0 else 1
                lead = list(first.leading_lines)
                blanks = 0
                for ln in lead:
                    if ln.comment is not None:
                        break
                    blanks += 1
                if blanks < want:
                    lead = [cst.EmptyLine(indent=False)] * (want - blanks) + lead
                first = first.with_changes(leading_lines=lead)
            return cst.FlattenSentinel([first, *new[1:]])
        if key in self.edits.remove:
            self.applied.add(key)
            return cst.RemovalSentinel.REMOVE
        return updated

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):  # type: ignore[no-untyped-def,override]
        return self._edit(original, updated)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef):  # type: ignore[no-untyped-def,override]
        return self._edit(original, updated)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):  # type: ignore[no-untyped-def,override]
        return self._edit(original, updated)


def apply_edits(module: cst.Module, edits: Edits) -> tuple[cst.Module, set[tuple[int, int]]]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    tr = _Apply(edits, module.default_indent, module.default_newline)
    new = wrapper.visit(tr)
    return new, tr.applied


def _with_newline(code: str, newline: str) -> str:
    """Generated code (written with ``\\n``) in the file's own line ending."""
    if newline == "\n":
        return code
    return code.replace("\r\n", "\n").replace("\n", newline)


def _is_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Import, ast.ImportFrom))


def import_anchor(tree: ast.Module) -> int:
    """Index in ``tree.body`` after which new imports/helpers go: after the leading run of
    docstring, ``from __future__`` and imports (top-level, unconditional)."""
    idx = 0
    for i, stmt in enumerate(tree.body):
        if i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            idx = 1
            continue
        if _is_import(stmt):
            idx = i + 1
            continue
        break
    return idx


def tf_alias(tree: ast.Module) -> str | None:
    """The name ``tensorflow`` is imported as at module level (``tf``), if any."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.name == "tensorflow":
                    return a.asname or "tensorflow"
    return None


def unused_keras_imports(tree: ast.Module) -> list[tuple[ast.stmt, list[str]]]:
    """Top-level keras import statements and which of their aliases nothing uses any more."""
    loads: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            loads.add(node.id)
    # names exported via __all__ count as used
    out = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            mods = [a for a in stmt.names if a.name.split(".")[0] in ("keras", "tf_keras", "keras_core")]
            unused = [a.asname or a.name.split(".")[0] for a in mods if (a.asname or a.name.split(".")[0]) not in loads]
            if unused:
                out.append((stmt, unused))
        elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
            m = stmt.module
            if m.split(".")[0] in ("keras", "tf_keras", "keras_core") or m.startswith("tensorflow.keras") or (m == "tensorflow" and any(a.name == "keras" for a in stmt.names)):
                cand = [a for a in stmt.names if a.name != "*"]
                if m == "tensorflow":
                    cand = [a for a in cand if a.name == "keras"]
                unused = [a.asname or a.name for a in cand if (a.asname or a.name) not in loads]
                if unused:
                    out.append((stmt, unused))
    return out


class _DropAliases(cst.CSTTransformer):
    """Remove the named aliases from the given top-level import lines (whole line if empty)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: dict[int, set[str]]) -> None:
        super().__init__()
        self.targets = targets  # line -> bound names to drop

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):  # type: ignore[no-untyped-def,override]
        line = self.get_metadata(PositionProvider, original).start.line
        drop = self.targets.get(line)
        if not drop or len(updated.body) != 1:
            return updated
        stmt = updated.body[0]
        if not isinstance(stmt, (cst.Import, cst.ImportFrom)) or isinstance(stmt.names, cst.ImportStar):
            return updated

        def bound(alias: cst.ImportAlias) -> str:
            if alias.asname is not None:
                return alias.asname.name.value  # type: ignore[union-attr]
            code = cst.Module([]).code_for_node(alias.name)
            return code.split(".")[0]

        keep = [a for a in stmt.names if bound(a) not in drop]
        if not keep:
            return cst.RemovalSentinel.REMOVE
        if len(keep) == len(stmt.names):
            return updated
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(body=[stmt.with_changes(names=keep)])


def drop_unused_keras_imports(code: str) -> str:
    tree = ast.parse(code)
    found = unused_keras_imports(tree)
    if not found:
        return code
    targets = {stmt.lineno: set(names) for stmt, names in found}
    module = cst.parse_module(code)
    return MetadataWrapper(module, unsafe_skip_copy=True).visit(_DropAliases(targets)).code


def _blank_lines(n: int) -> list[cst.EmptyLine]:
    return [cst.EmptyLine() for _ in range(n)]


def insert_after_imports(code: str, block: str) -> str:
    """Insert top-level statements after the leading imports (LibCST keeps the rest as is).

    Blank lines follow PEP 8: none before the block at the top of a file, two between a
    function or class and its neighbours.
    """
    tree = ast.parse(code)
    idx = import_anchor(tree)
    module = cst.parse_module(code)
    parsed = cst.parse_module(_with_newline(block, module.default_newline))
    new_body = list(parsed.body)
    body = list(module.body)
    if not new_body:
        return code
    first_leading = [ln for ln in list(parsed.header) + list(new_body[0].leading_lines) if ln.comment is not None]
    if idx and isinstance(new_body[0], (cst.ClassDef, cst.FunctionDef)):
        first_leading = _blank_lines(2) + first_leading
    new_body[0] = new_body[0].with_changes(leading_lines=first_leading)
    if idx < len(body):
        nxt = body[idx]
        comments = [ln for ln in nxt.leading_lines if ln.comment is not None]
        want = 2 if isinstance(nxt, (cst.ClassDef, cst.FunctionDef)) or isinstance(new_body[-1], (cst.ClassDef, cst.FunctionDef)) else 1
        body[idx] = nxt.with_changes(leading_lines=_blank_lines(want) + comments)
    header = list(module.header)
    if idx == 0:
        # keep the file's header comments (shebang, encoding, license) above the new code,
        # without the blank lines that belonged to a removed first statement
        while header and header[0].comment is None:
            header.pop(0)
        while header and header[-1].comment is None:
            header.pop()
        if header:
            header.append(cst.EmptyLine())
    return module.with_changes(body=body[:idx] + new_body + body[idx:], header=header).code
