"""Reading sources faithfully, finding files, and notebooks.

Reading keeps everything needed to write a file back byte-for-byte: the encoding (PEP 263
cookie or BOM) and the original line endings. Any problem becomes a :class:`SourceError`
with the path (and line where there is one); callers report it and go on with other files.
"""

from __future__ import annotations

import codecs
import contextvars
import fnmatch
import io
import json
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from kerastf_xlate.ipysyntax import CellReading, read_cell, restore

PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIX = ".ipynb"

# True while a translator's output goes through it again to check that a second run changes
# nothing (runner._check_output): only that run's text is used, so work that gives nothing
# but diagnostics may be skipped.
STABILITY_CHECK: contextvars.ContextVar[bool] = contextvars.ContextVar("xlate_stability_check", default=False)

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages",
)


class SourceError(Exception):
    """A file that cannot be read or parsed. ``str()`` is the one-line message."""

    def __init__(self, path: str, message: str, line: int | None = None, col: int | None = None) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.col = col
        where = path if line is None else f"{path}:{line}:{(col or 0) + 1}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Results cross process boundaries (``-j``); the default Exception pickling would
        # call ``__init__`` with the message only, fail in the parent's result thread and
        # leave multiprocessing.Pool.map waiting forever.
        return (type(self), (self.path, self.message, self.line, self.col))


@dataclass(frozen=True)
class Source:
    """A decoded Python source and how to encode it back."""

    path: str
    text: str
    encoding: str  # codec name; "utf-8-sig" when the file had a BOM

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


def newline_of(text: str) -> str:
    """The file's line break: its first one, as LibCST takes it; ``\n`` when it has none."""
    m = re.search(r"\r\n?|\n", text)
    return m.group(0) if m else "\n"


def with_newline(code: str, newline: str) -> str:
    """Generated code (written with ``\n``) in the file's own line ending."""
    return code if newline == "\n" else code.replace("\r\n", "\n").replace("\n", newline)


def decode(path: str, data: bytes) -> Source:
    """Decode bytes as Python does (BOM, PEP 263 cookie, default UTF-8)."""
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise SourceError(path, "source contains a null byte", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        msg = exc.msg if hasattr(exc, "msg") else str(exc)
        if msg.startswith("invalid or missing encoding declaration"):
            # No cookie and the first two lines are not UTF-8: say which byte, not "bad
            # declaration" (there is none).
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as err:
                line = data[: err.start].count(b"\n") + 1
                raise SourceError(path, f"cannot decode as utf-8: invalid byte 0x{data[err.start]:02x}", line) from None
        raise SourceError(path, f"bad encoding declaration: {msg}") from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SourceError(path, f"unknown encoding {encoding!r}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, f"cannot decode as {encoding}: invalid byte 0x{data[exc.start]:02x}", line) from None
    if encoding == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    return Source(path, text, encoding)


def read_bytes(path: str) -> bytes:
    """Read a regular file; FIFOs, devices and directories are refused without blocking."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SourceError(path, _os_message(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(path, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(path, "not a regular file (FIFO, socket or device); skipped")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise SourceError(path, _os_message(exc)) from None


def _os_message(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links (symlink loop)"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)


def read_source(path: str) -> Source:
    return decode(path, read_bytes(path))


# --------------------------------------------------------------------------- notebooks

@dataclass(frozen=True)
class Cell:
    """A code cell as the Python IPython runs (see kerastf_xlate.ipysyntax)."""

    index: int  # 1-based among all cells, as editors number them
    source: str  # the code with IPython-only lines masked and the common indentation removed (same lines)
    magics: tuple[tuple[int, str], ...]  # (0-based line, original text) masked in ``source``
    reading: CellReading | None = None

    def column(self, line: int, col: int) -> int:
        """The column in the cell as written of a column in ``source`` (1-based line): the
        indentation removed from an indented cell is added back."""
        margin = self.reading.margin if self.reading is not None else ""
        if self.reading is not None and self.reading.first_line is not None:
            return col + len(margin) if (line - 1) in self.reading.first_line and (line - 1) not in dict(self.magics) \
                else col
        return col + len(margin) if margin and (line - 1) not in dict(self.magics) else col

    def restore(self, code: str) -> str:
        """(Translated) code of this cell with its IPython lines and indentation put back."""
        return restore(code, self.reading) if self.reading is not None else code


def _cell_text(cell: dict) -> str:  # type: ignore[type-arg]
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _load_notebook(path: str, data: bytes | None) -> dict:  # type: ignore[type-arg]
    raw = read_bytes(path) if data is None else data
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"notebook is not UTF-8: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise SourceError(path, f"invalid notebook JSON: {exc.msg}", exc.lineno, exc.colno - 1) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise SourceError(path, "invalid notebook: no 'cells' list")
    return doc


def notebook_cells(path: str, data: bytes | None = None) -> tuple[dict, list[Cell], dict[int, str]]:  # type: ignore[type-arg]
    """The JSON document, its Python code cells, and the cells that run Python we cannot
    rewrite (a pasted ``>>>`` session: cell index -> text). Cell magics whose body is not
    Python (``%%bash``) are in neither."""
    doc = _load_notebook(path, data)
    cells = []
    blocking: dict[int, str] = {}
    for i, cell in enumerate(doc["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = _cell_text(cell)
        reading = read_cell(text)
        if reading.kind == "python":
            cells.append(Cell(i, reading.code, reading.masked, reading))
        elif reading.kind == "prompt":
            blocking[i] = text
    return doc, cells, blocking


def read_notebook(path: str, data: bytes | None = None) -> tuple[dict, list[Cell]]:  # type: ignore[type-arg]
    """Parse an ``.ipynb`` file into its JSON document and its Python code cells."""
    doc, cells, _ = notebook_cells(path, data)
    return doc, cells


# the call a notebook's translation writes in place of a cell it cannot translate (one that does
# not parse, or a pasted `>>>` session), handing it the names the cell mentions, so the
# translators keep those objects as they are (notebooks.py); its name says which cell and why
_GUARD_RE = re.compile(r"cell_(\d+)_(does_not_parse|is_a_pasted_session)")


def guard_call(index: int, names: list[str], broken: bool) -> str:
    """The guard line of cell ``index`` (``broken``: it does not parse; else a pasted session)."""
    return f"cell_{index}_{'does_not_parse' if broken else 'is_a_pasted_session'}({', '.join(names)})\n"


def guarded_cell(callee: str) -> tuple[int, bool] | None:
    """``(index, broken)`` when ``callee`` names such a guard call, else None."""
    found = _GUARD_RE.fullmatch(callee)
    return None if found is None else (int(found.group(1)), found.group(2) == "does_not_parse")


_SENTINEL = "__xlate_cell__({})"
_SENTINEL_RE = re.compile(r"^__xlate_cell__\((\d+)\)$")


def join_cells(cells: list[Cell]) -> tuple[str, list[tuple[int, int]]]:
    """One module from a notebook's code cells, so names imported in one cell resolve in
    the others (as when the notebook runs). Each cell is preceded by a sentinel statement
    line; returns the text and, per cell, (cell index, 1-based line where its code starts)."""
    parts: list[str] = []
    starts: list[tuple[int, int]] = []
    line = 1
    for cell in cells:
        parts.append(_SENTINEL.format(cell.index) + "\n")
        line += 1
        starts.append((cell.index, line))
        src = cell.source if cell.source.endswith("\n") or not cell.source else cell.source + "\n"
        parts.append(src)
        line += src.count("\n")
    return "".join(parts), starts


def notebook_program(path: str, data: bytes) -> str | None:
    """A notebook's code cells that parse, joined (:func:`join_cells`): the program it runs, as
    the tree pass and the benchmarks read it. None when the notebook cannot be read."""
    import ast

    try:
        _, cells, _ = notebook_cells(path, data)
    except SourceError:
        return None
    good = []
    for c in cells:
        try:
            ast.parse(c.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        good.append(c)
    return join_cells(good)[0]


def cell_of(line: int, starts: list[tuple[int, int]]) -> tuple[int, int]:
    """(cell index, cell-relative 1-based line) of a line of the joined text."""
    found = starts[0] if starts else (1, 1)
    for start in starts:
        if start[1] <= line:
            found = start
    return found[0], max(1, line - found[1] + 1)


def split_chunks(text: str) -> tuple[dict[int, list[str]], list[str]]:
    """The lines of joined text after each cell's sentinel, and the lines before the first."""
    chunks: dict[int, list[str]] = {}
    current: int | None = None
    prefix: list[str] = []
    for line in text.splitlines(keepends=True):
        m = _SENTINEL_RE.match(line.rstrip("\r\n"))
        if m:
            current = int(m.group(1))
            chunks[current] = []
            continue
        (prefix if current is None else chunks[current]).append(line)
    return chunks, prefix


def split_cells(text: str, cells: list[Cell]) -> dict[int, str]:
    """Cut translated joined text back into cells; code before the first sentinel (new
    imports, helpers) goes to the first code cell. Returns only the cells that changed,
    with their IPython lines and indentation put back."""
    chunks, prefix = split_chunks(text)
    out: dict[int, str] = {}
    # new imports and helpers go into the first plain cell: not before a %%magic line, not
    # into a one-line automagic cell (``pip install x`` runs as %pip only alone)
    host = next((c.index for c in cells if c.reading is None or (c.reading.magic is None and not c.reading.automagic)),
                cells[0].index if cells else None)
    for cell in cells:
        new = "".join(chunks.get(cell.index, []))
        if cell.index == host and prefix:
            new = "".join(prefix) + new
        if not cell.source.endswith("\n") and new.endswith("\n"):
            new = new[:-1]
        if new != cell.source:
            out[cell.index] = cell.restore(new)
    return out


def write_notebook_cells(doc: dict, new_sources: dict[int, str], original: bytes | None = None) -> bytes:  # type: ignore[type-arg]
    """The notebook JSON with the given cells' sources replaced (1-based indices), written
    again as a whole (kerastf_xlate.notebooks.splice_sources changes only those bytes; this
    is for JSON it cannot follow): the original's indentation, source form and escaping."""
    for i, cell in enumerate(doc["cells"], start=1):
        if i in new_sources:
            text = new_sources[i]
            cell["source"] = text if isinstance(cell.get("source"), str) else text.splitlines(keepends=True)
    raw = (original or b"").decode("utf-8-sig", errors="replace")
    m = re.search(r"\n([ \t]+)\S", raw)
    indent: str | int | None = m.group(1) if m else (1 if not raw else None)
    ascii_only = bool(raw) and raw.isascii() and "\\u" in raw
    out = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    return (out + "\n" if not raw or raw.endswith("\n") else out).encode("utf-8")


# --------------------------------------------------------------------------- discovery


def is_excluded(path: str, patterns: tuple[str, ...]) -> bool:
    """Match gitignore-like globs against the path and each of its parts."""
    norm = path.replace(os.sep, "/").lstrip("./") if path not in (".", "./") else path
    parts = norm.split("/")
    for pat in patterns:
        if fnmatch.fnmatch(norm, pat) or fnmatch.fnmatch(norm, pat.rstrip("/") + "/*"):
            return True
        if "/" not in pat.rstrip("/") and any(fnmatch.fnmatch(p, pat.rstrip("/")) for p in parts):
            return True
    return False


def iter_files(
    paths: list[str], exclude: tuple[str, ...] = (), errors: list[SourceError] | None = None,
    suffixes: tuple[str, ...] = PYTHON_SUFFIXES + (NOTEBOOK_SUFFIX,),
) -> Iterator[str]:
    """Yield the files to process, in a stable order.

    Explicit file arguments are always yielded (errors surface when they are read).
    Directories are walked without following symbolic links to directories (no loops),
    skipping ``DEFAULT_EXCLUDES`` and the ``exclude`` globs. Unreadable directories are
    recorded in ``errors`` and the walk goes on.
    """
    seen: set[str] = set()
    for arg in paths:
        if os.path.isdir(arg) and not os.path.islink(arg.rstrip("/")):
            yield from _walk(arg, exclude, errors, suffixes, seen)
        elif os.path.isdir(arg):  # a symlink to a directory named explicitly: walk it
            yield from _walk(arg, exclude, errors, suffixes, seen)
        else:
            if arg not in seen:
                seen.add(arg)
                yield arg


def _walk(root: str, exclude: tuple[str, ...], errors: list[SourceError] | None,
          suffixes: tuple[str, ...], seen: set[str]) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        if errors is not None:
            errors.append(SourceError(root, _os_message(exc)))
        return
    for entry in entries:
        path = entry.path
        if entry.name in DEFAULT_EXCLUDES or is_excluded(path, exclude):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(path, exclude, errors, suffixes, seen)
                continue
            if entry.is_symlink():
                # A link to a file is processed through its own path; links to directories
                # (possible loops, or escapes out of the tree) are not followed.
                if os.path.isdir(path):
                    continue
        except OSError:
            pass
        if path.endswith(suffixes) and path not in seen:
            seen.add(path)
            yield path


def relpath_for_config(path: str) -> str:
    return str(Path(path)).replace(os.sep, "/")
