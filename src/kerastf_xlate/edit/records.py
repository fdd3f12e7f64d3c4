"""Typed edits: what a translation changes in a source, as frozen records.

- :class:`SpanEdit`: replace characters ``start:end`` of the text by ``text`` (an insertion
  when ``start == end``, a deletion when ``text == ""``); to-keras's edits;
- :class:`ReplaceStatement` / :class:`RemoveStatement`: a whole statement, keyed by the line
  and (character) column where it starts; to-tf's edits, applied with LibCST
  (:mod:`.statements`) on the top-level statements they touch only (:mod:`.splice`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kerastf_xlate.sources import with_newline


@dataclass(frozen=True)
class SpanEdit:
    """Replace characters ``start:end`` of the original text by ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ReplaceStatement:
    """Replace the statement that starts at ``(line, col)`` by ``code`` (top-level code at
    column 0: it takes the statement's indentation)."""

    line: int
    col: int
    code: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.line, self.col)


@dataclass(frozen=True)
class RemoveStatement:
    """Remove the statement that starts at ``(line, col)``."""

    line: int
    col: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.line, self.col)


StatementEdit = ReplaceStatement | RemoveStatement


@dataclass
class SpanEdits:
    """Non-overlapping :class:`SpanEdit` s of one text."""

    spans: list[SpanEdit] = field(default_factory=list)

    def add(self, edit: SpanEdit) -> None:
        self.spans.append(edit)

    def extend(self, edits: list[SpanEdit]) -> None:
        self.spans.extend(edits)

    def apply(self, text: str, newline: str = "\n") -> str:
        """The text with every span replaced; the new text's line breaks become ``newline``
        (the file's own, so a CRLF file stays CRLF). Spans are applied from the end, so the
        offsets of the others stay valid."""
        out = text
        last = len(text) + 1
        for e in sorted(self.spans, key=lambda s: (s.start, s.end), reverse=True):
            if e.end > last:
                raise ValueError("overlapping edits")
            out = out[: e.start] + with_newline(e.text, newline) + out[e.end :]
            last = e.start
        return out

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __iter__(self) -> Iterator[SpanEdit]:
        return iter(self.spans)


@dataclass
class StatementEdits:
    """The statement edits of one to-tf translation, one per statement."""

    by_key: dict[tuple[int, int], StatementEdit] = field(default_factory=dict)

    def replace(self, line: int, col: int, code: str) -> None:
        self.by_key[(line, col)] = ReplaceStatement(line, col, code)

    def remove(self, line: int, col: int) -> None:
        if (line, col) not in self.by_key:  # a replacement wins over a removal of the same statement
            self.by_key[(line, col)] = RemoveStatement(line, col)

    def keys(self) -> set[tuple[int, int]]:
        return set(self.by_key)

    def __iter__(self) -> Iterator[StatementEdit]:
        return iter(self.by_key.values())

    def __bool__(self) -> bool:
        return bool(self.by_key)


def relative_continuations(code: str, indent: str) -> str:
    """A statement's source copied from the file (its first line from the statement's column,
    its continuation lines as the file indents them), as a :class:`ReplaceStatement` takes it:
    LibCST puts the block's indentation before each continuation line of the new code, so the
    file's ``indent`` comes off them first (else a rewrite inside a block would move them right
    by one level on every run). Lines inside a string that spans lines are text: left as they are."""
    if not indent or "\n" not in code:
        return code
    import io
    import tokenize

    inside: set[int] = set()  # 1-based lines that start inside a multi-line string
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
            elif getattr(tokenize, "FSTRING_MIDDLE", None) == tok.type and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return code
    lines = code.split("\n")
    for i in range(1, len(lines)):
        if i + 1 not in inside and lines[i].startswith(indent):
            lines[i] = lines[i][len(indent):]
    return "\n".join(lines)
