"""Apply to-tf's statement edits (:class:`.records.ReplaceStatement`, :class:`.records.RemoveStatement`) with LibCST.

Edits are keyed by the ``(line, column)`` where a statement starts (from ``ast``); LibCST's
``PositionProvider`` finds the same statements, so everything not edited is reproduced
byte-for-byte by LibCST's lossless round trip. LibCST only sees the top-level statements
an edit touches (:mod:`.splice`); the rest of the file is copied.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from kerastf_xlate.edit.records import RemoveStatement, ReplaceStatement, StatementEdits
from kerastf_xlate.edit.splice import Source, Window
from kerastf_xlate.sources import with_newline


class _Apply(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: StatementEdits, default_indent: str, newline: str = "\n") -> None:
        super().__init__()
        self.newline = newline
        self.edits = edits
        self.applied: set[tuple[int, int]] = set()
        self.default_indent = default_indent

    def _key(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node).start
        return (pos.line, pos.column)

    def _edit(self, original: cst.BaseStatement, updated: cst.BaseStatement) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        key = self._key(original)
        edit = self.edits.by_key.get(key)
        if isinstance(edit, ReplaceStatement):
            self.applied.add(key)
            parsed = cst.parse_module(with_newline(edit.code, self.newline))
            new = parsed.body
            if not new:
                return cst.RemovalSentinel.REMOVE
            # comments at the top of the new code are the module header when parsed alone
            header = [ln for ln in parsed.header if ln.comment is not None]
            # the replaced statement's comments and blank lines stay above the new code
            first = new[0].with_changes(leading_lines=list(original.leading_lines) + header + list(new[0].leading_lines))  # type: ignore[attr-defined]
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
        if isinstance(edit, RemoveStatement):
            self.applied.add(key)
            return cst.RemovalSentinel.REMOVE
        return updated

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        return self._edit(original, updated)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        return self._edit(original, updated)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        return self._edit(original, updated)


def apply_statement_edits(source: Source, edits: StatementEdits) -> set[tuple[int, int]]:
    """Apply ``edits`` to ``source``; return the keys of the statements found."""
    keys = edits.keys()
    applied: set[tuple[int, int]] = set()

    def edit(module: cst.Module, window: Window) -> cst.Module:
        local = StatementEdits({(ln, col): _moved(e, ln) for (line, col), e in edits.by_key.items() if (ln := window.local(line))})
        tr = _Apply(local, module.default_indent, module.default_newline)
        new = MetadataWrapper(module, unsafe_skip_copy=True).visit(tr)
        applied.update((line + window.offset, col) for line, col in tr.applied)
        return new

    source.rewrite({g for line, _ in keys if (g := source.group_at(line)) is not None}, edit)
    return applied


def _moved(edit: ReplaceStatement | RemoveStatement, line: int) -> ReplaceStatement | RemoveStatement:
    """The same edit at another line (the line in a piece handed to LibCST)."""
    if isinstance(edit, ReplaceStatement):
        return ReplaceStatement(line, edit.col, edit.code)
    return RemoveStatement(line, edit.col)
