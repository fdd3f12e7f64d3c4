"""The edits behind the code actions: suppress a code on a line, translate a whole file.
Pure functions of text (no pygls), run in worker threads. The inline rewrite of one layer
call is in :mod:`.inline`.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable

from lsprotocol import types

from kerastf_xlate.lint import suppressed
from kerastf_xlate.lsp.positions import Lines, split_lines_keepends, units

# The same comments `lint.suppressed` reads: a `noqa` comment listing XL codes, and `xlate: ignore[XL101, XL201]`.
_NOQA_LIST = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z0-9]+(?:\s*,\s*[A-Z0-9]+)*)", re.I)
_IGNORE_LIST = re.compile(r"#\s*xlate:\s*ignore\[(?P<codes>[A-Z0-9, ]*?)\s*\]", re.I)


# --------------------------------------------------------------------------- suppression


def _line_is_open(text: str, lines: Lines, line0: int) -> bool:
    """Does line ``line0`` end inside a string or with a backslash continuation?

    Appending a comment there would change the program (or break it).
    """
    line = lines.line(line0)
    if line.rstrip().endswith("\\"):
        return True
    if "'" not in line and '"' not in line:
        return False  # a string open at the end of the line must start on it
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.start[0] > line0 + 1:
                return False
            # only strings span lines (a triple-quoted string, or an f-string's parts)
            if tok.type not in (tokenize.NL, tokenize.NEWLINE) and tok.start[0] <= line0 + 1 < tok.end[0]:
                return True
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return True
    return False


def suppress_edit(text: str, lines: Lines, line0: int, code: str) -> types.TextEdit | None:
    """The edit that makes ``code`` suppressed on line ``line0`` (None when it cannot be done).

    Extends an existing ``# noqa: ...`` or ``# xlate: ignore[...]`` list, else appends
    ``  # noqa: CODE``. The new line is checked with lint's own reader of these comments.
    """
    line = lines.line(line0)
    if suppressed(line, code) or _line_is_open(text, lines, line0):
        return None
    before = _codes_in(line)
    candidates: list[tuple[int, int, str]] = []  # (start, end, replacement) in code points
    for pattern in (_NOQA_LIST, _IGNORE_LIST):
        m = pattern.search(line)
        if m and m.group("codes").strip():
            end = m.start("codes") + len(m.group("codes").rstrip())
            candidates.append((end, end, f", {code}"))
    stripped = len(line.rstrip())
    candidates.append((stripped, len(line), f"  # noqa: {code}"))
    for start, end, new in candidates:
        new_line = line[:start] + new + line[end:]
        if suppressed(new_line, code) and all(suppressed(new_line, c) for c in before):
            return types.TextEdit(
                range=types.Range(start=lines.position(line0, start), end=lines.position(line0, end)),
                new_text=new,
            )
    return None


def _codes_in(line: str) -> list[str]:
    out: list[str] = []
    for pattern in (_NOQA_LIST, _IGNORE_LIST):
        for m in pattern.finditer(line):
            out += [c.strip() for c in m.group("codes").split(",") if c.strip()]
    return out


# --------------------------------------------------------------------------- whole files


def replace_edit(old: str, new: str, encoding: str = "utf-16") -> types.TextEdit | None:
    """One edit turning ``old`` into ``new`` that spans the changed lines only (None if equal)."""
    if old == new:
        return None
    a, b = split_lines_keepends(old), split_lines_keepends(new)
    p = 0
    while p < len(a) and p < len(b) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    if s:
        end = types.Position(line=len(a) - s, character=0)
    elif a and not a[-1].endswith(("\n", "\r")):
        end = types.Position(line=len(a) - 1, character=units(a[-1], encoding))
    else:
        end = types.Position(line=len(a), character=0)
    start = types.Position(line=p, character=0)
    return types.TextEdit(range=types.Range(start=start, end=end), new_text="".join(b[p : len(b) - s]))


Transform = Callable[[str, str], "tuple[str, list]"]


def to_tf_transform() -> Transform:
    from kerastf_xlate.totf import make_transform

    return make_transform()


def to_keras_transform() -> Transform | None:
    """``kerastf_xlate.tokeras``'s transform, when that module exists."""
    try:
        from kerastf_xlate.tokeras import make_transform
    except ImportError:
        return None
    return make_transform()


def to_keras_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("kerastf_xlate.tokeras") is not None
    except (ImportError, ValueError):
        return False


def translate_text(text: str, path: str, transform: Transform) -> tuple[str, list]:
    """Run a translator with the CLI's safety checks (the output parses, a second run is a no-op)."""
    from kerastf_xlate.runner import transform_text

    return transform_text(text, path, transform)  # type: ignore[arg-type]
