"""Translating a notebook: its code cells are one program, a broken cell costs only itself.

The cells run as one program (a name imported in one cell is used in the next), so they are
translated together: joined into one module with a sentinel line before each cell, then cut
apart again (kerastf_xlate.sources). A cell that does not parse (or a pasted ``>>>`` session,
Python we cannot rewrite) is left byte for byte and reported as ``path:cell N:line:col``;
the other cells are still translated. Since the program spans the cells, the translation must
not change what such a cell uses: the names it mentions that the other cells bind are handed,
in its place, to a call the translators cannot see into (``cell_7_does_not_parse(model,
keras)``), so they keep those objects as they are and say why (e.g. XL303). If the translation
still changes one of them, the notebook is left untranslated and the error says so.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.ipysyntax import MARK
from kerastf_xlate.sources import (
    Cell,
    SourceError,
    cell_of,
    guard_call,
    join_cells,
    notebook_cells,
    split_cells,
    split_chunks,
    write_notebook_cells,
)
from kerastf_xlate.syntax import bound_in

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def syntax_error(code: str) -> tuple[int, int, str] | None:
    """(line, col, message) of the first syntax error of ``code``, None when it parses."""
    try:
        compile(code, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, max((exc.offset or 1) - 1, 0), f"syntax error: {exc.msg}"
    except (ValueError, MemoryError, RecursionError) as exc:
        return 1, 0, f"cannot parse: {type(exc).__name__}"
    return None


def _statements(cells: list[Cell]) -> Iterator[ast.stmt]:
    """The top-level statements of the cells that parse."""
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        yield from tree.body


def _bound_names(cells: list[Cell]) -> set[str]:
    """Names the cells bind in the notebook's namespace (assignments, definitions, imports, loops)."""
    names: set[str] = set()
    for stmt in _statements(cells):
        names |= bound_in(stmt, deletes=False)
    return names


def _bindings(text: str) -> dict[str, list[ast.stmt]]:
    """The top-level statements of ``text`` that bind each name."""
    out: dict[str, list[ast.stmt]] = {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return out
    for stmt in tree.body:
        for n in bound_in(stmt, deletes=False):
            out.setdefault(n, []).append(stmt)
    return out


def transform_notebook(path: str, data: bytes, transform: Callable[[str, str], tuple[str, list[Diagnostic]]],
                       transform_text: Callable[..., tuple[str, list[Diagnostic]]]) -> tuple[bytes, list[Diagnostic], list[str]]:
    """(output bytes, diagnostics, one-line errors) for a notebook; the output keeps every
    cell that was not translated byte for byte."""
    doc, cells, blocking = notebook_cells(path, data)
    cells = _with_ipython_reads(cells)
    broken: dict[int, tuple[int, int, str]] = {}
    for cell in cells:
        err = syntax_error(cell.source)
        if err is not None:
            broken[cell.index] = (err[0], cell.column(err[0], err[1]), err[2])
    for _ in range(len(cells) + 1):
        good = [c for c in cells if c.index not in broken]
        stop = {c.index: c.source for c in cells if c.index in broken}
        stop.update({i: text for i, text in blocking.items()})
        bound = _bound_names(good)
        guards = {i: sorted(set(_NAME.findall(text)) & bound) for i, text in stop.items()}
        pieces = _with_guards(good, guards, broken)
        joined, starts = join_cells(pieces)
        try:
            new, diags = transform_text(joined, path, transform)
        except SourceError as err:
            if err.line is None:
                raise
            index, line = cell_of(err.line, starts)
            if index in broken or index not in {c.index for c in good}:
                raise SourceError(path, f"cell {index}: {err.message}", line, err.col) from None
            broken[index] = (line, err.col or 0, err.message)  # the translator's parser refuses it
            continue
        break
    else:  # pragma: no cover - every cell refused, one at a time
        raise SourceError(path, "no cell could be translated")
    errors = [f"{path}:cell {i}:{line}:{col + 1}: {msg}; cell left as it is, the other cells are translated"
              for i, (line, col, msg) in sorted(broken.items())]
    out_diags = []
    by_index = {c.index: c for c in good}
    for d in diags:
        index, line = cell_of(d.line, starts)
        end_line = None if d.end_line is None else cell_of(d.end_line, starts)[1]
        col, end_col = d.col, d.end_col
        if index in by_index:  # columns as the cell is written (an indented cell)
            col = by_index[index].column(line, col)
            end_col = None if end_col is None or end_line is None else by_index[index].column(end_line, end_col)
        out_diags.append(Diagnostic(d.path, line, col, d.code, d.message, d.severity, end_line, end_col, index, d.fix))
    if new == joined:
        return data, out_diags, errors
    chunks, _ = split_chunks(new)
    touched = _touched(joined, new, {n for names in guards.values() for n in names})
    changed_guard = any(chunks.get(i) != [guard_call(i, names, i in broken)] for i, names in guards.items() if names)
    if touched or changed_guard:
        which = ", ".join(f"`{n}`" for n in sorted(touched)) or "what it mentions"
        errors = [e.replace("; cell left as it is, the other cells are translated", "; cell left as it is")
                  for e in errors]
        for i in sorted(guards):
            if not guards[i]:
                continue
            errors.append(f"{path}:cell {i}: {'does not parse' if i in broken else 'is a pasted session'} and "
                          f"mentions {which}, which the translation would change; notebook left untranslated")
        return data, out_diags, errors
    new_sources = split_cells(new, good)
    if not new_sources:
        return data, out_diags, errors
    try:
        return splice_sources(data, new_sources), out_diags, errors
    except (_Unreadable, ValueError, IndexError):  # JSON json.loads reads but our scanner does not
        return write_notebook_cells(doc, new_sources, data), out_diags, errors


# line magics that evaluate Python of the notebook's namespace (``%time model(x)``); the others
# (``%pip``, ``%matplotlib``, ``%load_ext``...) take words, not Python names
_PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug", "store", "xdel", "pinfo", "pinfo2", "pdef", "pdoc",
                                 "psource", "page", "who", "whos"})
_ASSIGNED = re.compile(r"^[A-Za-z_][\w.]*\s*=\s*")


def _ipython_line_names(line: str) -> list[str]:
    """Names an IPython-only line may read: a Python line magic's argument
    (``%time model(x)``), a help line (``model?``), an autocall line (``/f x``), a shell line
    that interpolates Python (``!echo {path}``, ``$name``). Shell commands and other magics
    take words, not names."""
    text = line.strip()
    m = _ASSIGNED.match(text)
    body = text[m.end():] if m else text
    if body.startswith("%%"):
        return []  # a cell magic's first line: its body is read as Python
    if body.startswith("!"):
        if "{" not in body and "$" not in body:
            return []
    elif body.startswith("%"):
        magic = _NAME.match(body[1:])
        if magic is None or magic.group(0) not in _PYTHON_LINE_MAGICS:
            return []
        body = body[1 + magic.end():]
    elif not (body.endswith("?") or body.startswith(("?", ",", ";", "/"))):
        return []  # a one-line automagic cell (``pip install x``)
    return list(dict.fromkeys(_NAME.findall(body)))


def _with_ipython_reads(cells: list[Cell]) -> list[Cell]:
    """The cells with each IPython-only line that reads an imported name (``%timeit
    keras.ops.sum(y)``) shown to the translator as reading it: its placeholder ``pass  #
    xlate:magic:N`` becomes ``keras  # xlate:magic:N`` (``t = None`` becomes ``t = keras``),
    so that the import stays while the notebook needs it. The placeholder's code is never
    written back: the original line replaces the whole placeholder line."""
    imported: set[str] = set()
    for stmt in _statements(cells):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imported |= bound_in(stmt, deletes=False)
    out = []
    for cell in cells:
        lines = cell.source.splitlines(keepends=True)
        changed = False
        for i, original in cell.magics:
            names = [n for n in _ipython_line_names(original) if n in imported]
            if not names or i >= len(lines) or MARK not in lines[i]:
                continue
            at = lines[i].index(MARK)
            code = lines[i][:at].rstrip()
            for word in ("pass", "None"):
                if code.endswith(word):
                    lines[i] = code[: len(code) - len(word)] + ", ".join(names) + "  " + lines[i][at:]
                    changed = True
                    break
        out.append(dataclasses.replace(cell, source="".join(lines)) if changed else cell)
    return out


def _with_guards(good: list[Cell], guards: dict[int, list[str]], broken: dict[int, Any]) -> list[Cell]:
    """The good cells, and in each blocking cell's place a call that uses what it mentions."""
    pieces = list(good)
    for index, names in guards.items():
        if names:
            pieces.append(Cell(index, guard_call(index, names, index in broken), ()))
    return sorted(pieces, key=lambda c: c.index)


def _touched(old: str, new: str, names: set[str]) -> set[str]:
    """Which of ``names`` the translation changes: a statement that binds one of them, or
    binds a name those statements use (``model = MLP()`` depends on ``class MLP``), is
    not the same after the translation."""
    if not names:
        return set()
    before, after = _bindings(old), _bindings(new)

    def text(stmts: list[ast.stmt]) -> list[str]:
        return [ast.unparse(s) for s in stmts]

    touched = set()
    for name in names:
        seen, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n in seen or n not in before:
                continue
            seen.add(n)
            if text(before[n]) != text(after.get(n, [])):
                touched.add(name)
                break
            for stmt in before[n]:
                todo += [x.id for x in ast.walk(stmt) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load)]
    return touched


# ------------------------------------------------------------------------------ writing back

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Unreadable(Exception):
    pass


def _skip(s: str, i: int) -> int:
    return _WS.match(s, i).end()  # type: ignore[union-attr]


def _items(s: str, i: int, close: str) -> Iterator[tuple[str | None, int, int]]:
    """(key or None, value start, value end) of the object/array whose opening bracket is at ``i``."""
    i = _skip(s, i + 1)
    if s[i:i + 1] == close:
        return
    while True:
        key = None
        if close == "}":
            if s[i:i + 1] != '"':
                raise _Unreadable
            key, i = json.decoder.scanstring(s, i + 1)  # type: ignore[attr-defined]
            i = _skip(s, i)
            if s[i:i + 1] != ":":
                raise _Unreadable
            i = _skip(s, i + 1)
        _, end = _DECODER.raw_decode(s, i)
        yield key, i, end
        i = _skip(s, end)
        if s[i:i + 1] == ",":
            i = _skip(s, i + 1)
            continue
        if s[i:i + 1] != close:
            raise _Unreadable
        return


def _source_spans(s: str) -> list[tuple[int, int] | None]:
    """Per cell (in order), where its "source" value is in the notebook's text."""
    i = _skip(s, 0)
    if s[i:i + 1] != "{":
        raise _Unreadable
    cells_at = [start for key, start, _ in _items(s, i, "}") if key == "cells"]
    if not cells_at or s[cells_at[-1]] != "[":
        raise _Unreadable
    spans: list[tuple[int, int] | None] = []
    for _, start, _end in _items(s, cells_at[-1], "]"):
        found = None
        if s[start] == "{":
            for key, a, b in _items(s, start, "}"):
                if key == "source":
                    found = (a, b)
        spans.append(found)
    return spans


def splice_sources(data: bytes, new_sources: dict[int, str]) -> bytes:
    """The notebook's bytes with only the given cells' "source" values replaced (1-based
    cell numbers), each written as the original wrote it: a list of lines or one string, the
    same indentation, line breaks and escaping (``ensure_ascii`` or not). Everything else,
    other cells, outputs, metadata, key order and the final newline, stays byte for byte."""
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    spans = _source_spans(text)
    ascii_only = _ensure_ascii(text)
    pieces = []
    last = 0
    for index in sorted(new_sources):
        span = spans[index - 1] if 0 < index <= len(spans) else None
        if span is None:
            raise _Unreadable
        a, b = span
        pieces += [text[last:a], _write_source(text, a, b, new_sources[index], ascii_only)]
        last = b
    pieces.append(text[last:])
    out = "".join(pieces).encode("utf-8")
    return b"\xef\xbb\xbf" + out if bom else out


def _ensure_ascii(text: str) -> bool:
    """Did the writer escape non-ASCII characters (``\\u00e9``) rather than write them?"""
    if any(ord(c) > 127 for c in text):
        return False
    return bool(re.search(r"(?<!\\)(?:\\\\)*\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])", text))


def _write_source(text: str, a: int, b: int, source: str, ascii_only: bool) -> str:
    if text[a] == '"':  # one string
        return json.dumps(source, ensure_ascii=ascii_only)
    lines = [json.dumps(ln, ensure_ascii=ascii_only) for ln in source.splitlines(keepends=True)]
    items = list(_items(text, a, "]"))
    if len(items) >= 2:
        opening = text[a + 1:items[0][1]]
        separator = text[items[0][2]:items[1][1]]
        closing = text[items[-1][2]:b - 1]
    else:
        newline = "\r\n" if "\r\n" in text else "\n"
        line = text[text.rfind("\n", 0, a) + 1:a]
        key_indent = line[:len(line) - len(line.lstrip(" \t"))]
        unit = _indent_unit(text)
        if items:
            opening = text[a + 1:items[0][1]]
            closing = text[items[0][2]:b - 1]
        elif unit is None:
            opening, closing = "", ""
        else:
            opening, closing = newline + key_indent + unit, newline + key_indent
        separator = "," + (opening if "\n" in opening else " " if unit is None and not opening else opening)
    if not lines:
        return "[]"
    return "[" + opening + separator.join(lines) + closing + "]"


def _indent_unit(text: str) -> str | None:
    """The document's indentation step (the first indented line's), None when on one line."""
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else None
