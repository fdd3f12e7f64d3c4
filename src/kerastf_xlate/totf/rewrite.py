"""Apply statement-level edits with LibCST, and manage imports and helper functions.

Edits are keyed by the ``(line, column)`` where a statement starts (from ``ast``); LibCST's
``PositionProvider`` finds the same statements, so everything not edited is reproduced
byte-for-byte by LibCST's lossless round trip. LibCST only sees the top-level statements
an edit touches (:mod:`.splice`); the rest of the file is copied.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from kerastf_xlate.resolve import keras_import_names
from kerastf_xlate.sources import with_newline
from kerastf_xlate.totf.splice import Source, Window


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
            parsed = cst.parse_module(with_newline(self.edits.replace[key], self.newline))
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


def apply_edits(source: Source, edits: Edits) -> set[tuple[int, int]]:
    """Apply ``edits`` to ``source``; return the keys of the statements found."""
    keys = set(edits.replace) | edits.remove
    applied: set[tuple[int, int]] = set()

    def edit(module: cst.Module, window: Window) -> cst.Module:
        local = Edits({(ln, col): code for (line, col), code in edits.replace.items() if (ln := window.local(line))},
                      {(ln, col) for line, col in edits.remove if (ln := window.local(line))})
        tr = _Apply(local, module.default_indent, module.default_newline)
        new = MetadataWrapper(module, unsafe_skip_copy=True).visit(tr)
        applied.update((line + window.offset, col) for line, col in tr.applied)
        return new

    source.rewrite({g for line, _ in keys if (g := source.group_at(line)) is not None}, edit)
    return applied


def _is_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Import, ast.ImportFrom))


def import_anchor(lines: list[list[ast.stmt]]) -> int:
    """Index of the first top-level line (its statements) before which new imports/helpers
    go: after the leading run of docstring, ``from __future__`` and imports (top-level,
    unconditional); a line that mixes an import with anything else ends the run."""
    idx = 0
    for i, stmts in enumerate(lines):
        first = stmts[0]
        if i == 0 and len(stmts) == 1 and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            idx = 1
            continue
        if all(_is_import(stmt) for stmt in stmts):
            idx = i + 1
            continue
        break
    return idx


def unused_keras_imports(source: Source) -> list[tuple[ast.stmt, int, list[str]]]:
    """Top-level Keras import statements (with their line shift) and which of their
    aliases nothing reads any more."""
    imports = [(stmt, shift, names) for stmt, shift in source.statements() if (names := keras_import_names(stmt))]
    loads = source.names_loaded({n for _, _, names in imports for n in names})
    out = []
    for stmt, shift, names in imports:
        unused = [n for n in names if n not in loads]
        if unused:
            out.append((stmt, shift, unused))
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


def drop_unused_keras_imports(source: Source) -> None:
    """Remove the Keras import aliases nothing reads any more (whole lines when empty)."""
    found = unused_keras_imports(source)
    if not found:
        return
    targets = {stmt.lineno + shift: set(names) for stmt, shift, names in found}

    def edit(module: cst.Module, window: Window) -> cst.Module:
        local = {ln: names for line, names in targets.items() if (ln := window.local(line))}
        return MetadataWrapper(module, unsafe_skip_copy=True).visit(_DropAliases(local))

    source.rewrite({g for line in targets if (g := source.group_at(line)) is not None}, edit)


def _blank_lines(n: int) -> list[cst.EmptyLine]:
    return [cst.EmptyLine() for _ in range(n)]


def insert_after_imports(source: Source, block: str) -> None:
    """Insert top-level statements after the leading imports (LibCST keeps the rest as is).

    Blank lines follow PEP 8: none before the block at the top of a file, two between a
    function or class and its neighbours.
    """
    # groups, not ast statements: LibCST's body has one statement per line (`import a; import b`)
    idx = import_anchor([g.nodes for g in source.groups])
    n = len(source.groups)

    def edit(module: cst.Module, window: Window) -> cst.Module:
        return _insert(module, window.body_position(idx) if idx < n else len(module.body), block)

    source.rewrite({min(idx, n - 1)} if n else {0}, edit)


def _insert(module: cst.Module, idx: int, block: str) -> cst.Module:
    """``module`` with ``block``'s statements inserted before ``module.body[idx]``."""
    parsed = cst.parse_module(with_newline(block, module.default_newline))
    new_body = list(parsed.body)
    body = list(module.body)
    if not new_body:
        return module
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
    return module.with_changes(body=body[:idx] + new_body + body[idx:], header=header)
