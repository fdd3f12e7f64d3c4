"""Text edits at exact positions of the original source, applied in one pass.

Positions come from ``ast`` (1-based lines, UTF-8 byte columns) and are turned into character
offsets of the text once. Edits never overlap, except that insertions (zero-width) at the
same offset as another edit go first, in the order they were made.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    start: int  # character offsets into the original text
    end: int
    text: str
    order: int = 0


class Positions:
    """Character offsets of (line, byte column) positions in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln))

    def offset(self, line: int, byte_col: int) -> int:
        if line - 1 >= len(self.lines):
            return len(self.text)
        row = self.lines[line - 1]
        prefix = row.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")
        return self.starts[line - 1] + len(prefix)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def segment(self, node: ast.AST) -> str:
        a, b = self.span(node)
        return self.text[a:b]


class EditList:
    def __init__(self, pos: Positions) -> None:
        self.pos = pos
        self.edits: list[Edit] = []

    def replace(self, start: int, end: int, text: str) -> None:
        self.edits.append(Edit(start, end, text, len(self.edits)))

    def replace_node(self, node: ast.AST, text: str) -> None:
        a, b = self.pos.span(node)
        self.replace(a, b, text)

    def insert(self, offset: int, text: str) -> None:
        self.replace(offset, offset, text)

    def take(self, start: int, end: int) -> str:
        """The text of [start, end) with the edits inside it applied; those edits are taken
        out of the list (the text is moving elsewhere)."""
        inner = [e for e in self.edits if start <= e.start and e.end <= end and not (e.start == e.end == end)]
        self.edits = [e for e in self.edits if e not in inner]
        text = self.pos.text
        out: list[str] = []
        at = start
        for e in sorted(inner, key=lambda e: (e.start, e.end != e.start, e.order)):
            out.append(text[at : e.start])
            out.append(e.text)
            at = e.end
        out.append(text[at:end])
        return "".join(out)

    def covered(self, start: int, end: int) -> bool:
        """Some non-empty edit already covers [start, end)."""
        return any(e.start <= start and end <= e.end and e.start < e.end for e in self.edits)

    def apply(self) -> str:
        text = self.pos.text
        ordered = sorted(self.edits, key=lambda e: (e.start, e.end != e.start, e.order))
        out: list[str] = []
        at = 0
        for e in ordered:
            if e.start < at:
                if e.start == e.end and e.start >= at - 0:
                    pass
                raise ValueError(f"overlapping edits at offset {e.start}")
            out.append(text[at : e.start])
            out.append(e.text)
            at = e.end
        out.append(text[at:])
        return "".join(out)
