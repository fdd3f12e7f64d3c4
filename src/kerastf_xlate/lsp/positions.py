"""Lines and positions as LSP counts them.

LSP lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (as Python's tokenizer and ``ast`` count them;
``str.splitlines`` also splits at form feeds and other separators, which would shift every
line after one). Characters are counted in the negotiated position encoding: UTF-16 code
units by default, UTF-8 bytes or code points when the client asks for them. Our own
records (:class:`~kerastf_xlate.diagnostics.Diagnostic`) use 1-based lines and 0-based
code-point columns; ``ast`` uses UTF-8 byte columns.
"""

from __future__ import annotations

import re

from lsprotocol import types

_BREAK = re.compile(r"\r\n|\r|\n")
_SPLIT_KEEP = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def split_lines(text: str) -> list[str]:
    """The LSP lines of ``text`` without their terminators (``"a\\n"`` has two: ``a`` and ``""``)."""
    return _BREAK.split(text)


def split_lines_keepends(text: str) -> list[str]:
    """Lines with their terminators; no empty last entry when ``text`` ends with a newline."""
    parts = _SPLIT_KEEP.split(text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def eol_of(text: str) -> str:
    """The document's line terminator (the first one found; ``\\n`` when there is none)."""
    m = _BREAK.search(text)
    return m.group(0) if m else "\n"


def units(s: str, encoding: str = UTF16) -> int:
    """Length of ``s`` in the client's code units."""
    if s.isascii():
        return len(s)
    if encoding == UTF8:
        return len(s.encode("utf-8", errors="surrogatepass"))
    if encoding == UTF32:
        return len(s)
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def to_codepoints(line: str, character: int, encoding: str = UTF16) -> int:
    """A client ``character`` offset on ``line`` as a code-point index (clamped to the line)."""
    if line.isascii() or encoding == UTF32:
        return max(0, min(character, len(line)))
    count = 0
    for i, c in enumerate(line):
        if count >= character:
            return i
        if encoding == UTF8:
            count += len(c.encode("utf-8", errors="surrogatepass"))
        else:
            count += 2 if ord(c) > 0xFFFF else 1
    return len(line)


def byte_to_codepoint(line: str, byte_col: int) -> int:
    """An ``ast`` column (UTF-8 bytes) on ``line`` as a code-point index."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


class Lines:
    """A document's LSP lines plus conversions between our positions and the client's."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.lines = split_lines(text)
        self.encoding = encoding

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, index: int) -> str:
        """Line ``index`` (0-based), or ``""`` past the end."""
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def position(self, line0: int, col: int) -> types.Position:
        """0-based line and code-point column -> client position (clamped into the document)."""
        if line0 >= len(self.lines):
            last = len(self.lines) - 1
            return types.Position(line=last, character=units(self.lines[last], self.encoding))
        line0 = max(line0, 0)
        text = self.lines[line0]
        col = max(0, min(col, len(text)))
        return types.Position(line=line0, character=units(text[:col], self.encoding))

    def ast_position(self, lineno: int, byte_col: int) -> types.Position:
        """An ``ast`` position (1-based line, UTF-8 byte column) -> client position."""
        return self.position(lineno - 1, byte_to_codepoint(self.line(lineno - 1), byte_col))

    def node_range(self, node: object) -> types.Range:
        start = self.ast_position(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        end_col = getattr(node, "end_col_offset", None)
        end = self.ast_position(end_line, end_col) if end_col is not None else start
        return types.Range(start=start, end=end)

    def codepoints(self, pos: types.Position) -> tuple[int, int]:
        """Client position -> (0-based line, code-point column), clamped."""
        line0 = max(0, min(pos.line, len(self.lines) - 1))
        character = pos.character if pos.line < len(self.lines) else units(self.lines[line0], self.encoding)
        return line0, to_codepoints(self.lines[line0], character, self.encoding)

    def end(self) -> types.Position:
        last = len(self.lines) - 1
        return types.Position(line=last, character=units(self.lines[last], self.encoding))


def contains(rng: types.Range, pos: types.Position) -> bool:
    """Is ``pos`` inside ``rng`` (both ends included, as a cursor touching a name is on it)."""
    start, end = (rng.start.line, rng.start.character), (rng.end.line, rng.end.character)
    return start <= (pos.line, pos.character) <= end


def overlaps(a: types.Range, b: types.Range) -> bool:
    a0, a1 = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b0, b1 = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a0 <= b1 and b0 <= a1
