"""Read a notebook cell the way IPython does: which lines are IPython-only, which are Python.

IPython turns a cell into Python in fixed steps (``IPython.core.inputtransformer2``, the
reference; IPython is not a dependency, the tests compare against it): drop leading blank
lines and the indentation common to all lines; a first line ``%%name`` makes the whole
cell a cell magic; then, one at a time and re-tokenising after each, it rewrites the
earliest of: ``x = %magic`` and ``x = !cmd``; a *logical* line whose first token is
``%``, ``!``, ``!!``, ``?``, ``??``, ``,``, ``;`` or ``/`` (with its backslash
continuation lines); a logical line ending in ``name?`` / ``name??`` (help). Because it
works on tokens, a ``?`` or ``%`` inside a string, a comment or open brackets is Python.
Finally a cell that is *one line* after that goes through the prefilter, where automagic
runs ``ls -la`` or ``pip install x`` as ``%ls`` / ``%pip`` when that word is a magic.

:func:`read_cell` mirrors those steps and returns the cell as Python with the same lines:
every IPython-only line becomes a placeholder (``pass  # xlate:magic:N``, or
``x = None  # xlate:magic:N`` for an assignment), the common indentation is removed, and
the body of a cell magic that runs its body as Python in the notebook's namespace
(``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``, ``%%debug``) is read like a cell
under its (masked) first line. :func:`restore` puts the original lines back into
(translated) code.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field

MARK = "# xlate:magic:"
_MARK_RE = re.compile(r"# xlate:magic:(\d+)[ \t]*$")

# Cell magics whose body IPython runs as Python code in the user's namespace (see the
# IPython docs of each; %%timeit runs it in a function, repeatedly, globals = the
# notebook's). Every other cell magic (%%bash, %%writefile, %%html, %%javascript, %%latex,
# %%script, %%python3 in a subprocess, ...) is not Python of this notebook.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})

# Line magics (and the shell aliases registered as magics) of an IPython kernel: a
# one-line cell starting with one of them runs it (automagic), e.g. `pip install x`.
AUTOMAGICS = frozenset("""
alias alias_magic autoawait autocall automagic autosave bookmark cat cd clear code_wrap colors conda config
connect_info cp debug dhist dirs doctest_mode ed edit env gui hist history killbgscripts ldir less lf lk ll load
load_ext loadpy logoff logon logstart logstate logstop ls lsmagic lx macro magic man mamba matplotlib micromamba
mkdir more mv notebook page pastebin pdb pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource
pushd pwd pycat pylab qtconsole quickref recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run save
sc set_env sx system tb time timeit uv unalias unload_ext who who_ls whos xdel xmode
""".split())

_ESCAPES = {"!", "?", "%", ",", ";", "/"}
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_CLASSIC_PROMPT = re.compile(r"^\s*>>>")
_IPY_PROMPT = re.compile(r"^(((\[nav\]|\[ins\])?\ )?In\ \[\d+\]:\ |\s*\.{3,}:\ ?)")
_CELL_MAGIC = re.compile(r"%%(\S*)")
_SPLIT = re.compile(r"^(\s*)([,;/%]|!!?|\?\??)?\s*(%{0,2}[\w\.\*]*)(.*?$|$)")


@dataclass(frozen=True)
class CellReading:
    """One cell as Python: ``code`` has the cell's lines, IPython-only ones as placeholders."""

    kind: str  # "python"; "foreign": not Python (a %%bash cell, ...); "prompt": pasted >>> / In [1]: session
    code: str
    margin: str = ""  # indentation removed from every line that is not blank
    originals: dict[int, str] = field(default_factory=dict)  # 0-based line -> its original text (masked)
    magic: str | None = None  # the cell magic's name, for a cell magic
    automagic: bool = False  # a one-line cell run as a magic (``pip install x``): it must stay one line
    # the margin is the first line's, removed from the lines starting with it (IPython 7's reading;
    # :func:`read_cell`): those lines, 0-based
    first_line: frozenset[int] | None = None

    @property
    def masked(self) -> tuple[tuple[int, str], ...]:
        return tuple(sorted(self.originals.items()))


def read_cell(text: str, first_line: bool = True) -> CellReading:
    """The Python IPython runs for ``text``, line for line (see the module docstring).

    IPython 9.1 and later (2025, ipython/ipython#14822) remove the indentation common to every
    line; IPython 7 to 9.0 (Colab's for years) removed the *first* line's indentation from each
    line starting with it. A cell whose first line alone is indented (`` def build():`` above
    lines at column 0) is Python only in the second reading, and an IndentationError in the
    first: it is read so when the first reading does not compile and the second does;
    :func:`restore` writes it back so that each reading gives what it gave (IPython 7 to 9.0
    the translated code, 9.1 the same error)."""
    lines = text.splitlines(keepends=True)
    if _has_prompts(lines):
        return CellReading("prompt", text)
    reading = _read(lines, text, _margin(lines))
    first = next((ln for ln in lines if ln.strip()), "")
    indent = _indent(first)
    if not first_line or reading.kind != "python" or reading.magic is not None \
            or len(indent) <= len(reading.margin) or _compiles(reading.code):
        return reading
    stripped = frozenset(i for i, ln in enumerate(lines) if ln.startswith(indent) and ln.strip())
    other = _read(lines, text, indent, stripped)
    if other.kind != "python" or other.magic is not None or not _compiles(other.code):
        return reading
    return CellReading("python", other.code, indent, other.originals, automagic=other.automagic, first_line=stripped)


def _compiles(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _read(lines: list[str], text: str, margin: str, stripped: frozenset[int] | None = None) -> CellReading:
    """:func:`read_cell`'s steps with ``margin`` removed from every line that is not blank, or
    only from the lines of ``stripped``."""
    body = [ln[len(margin):] if ln.strip() and (stripped is None or i in stripped) else ln
            for i, ln in enumerate(lines)]
    first = next((i for i, ln in enumerate(body) if ln.strip()), None)
    originals: dict[int, str] = {}
    if first is not None and body[first].startswith("%%") and not re.match(r"%%\w+\?", body[first]):
        name = _CELL_MAGIC.match(body[first]).group(1)  # type: ignore[union-attr]
        if name not in PYTHON_CELL_MAGICS:
            return CellReading("foreign", text, magic=name)
        # the body is read as a cell of its own (IPython's magic calls transform_cell on it)
        inner = read_cell("".join(body[first + 1:]), first_line=False)  # (IPython 9.1's reading only)
        if inner.kind != "python":
            return CellReading("foreign", text, magic=name)
        originals[first] = lines[first]
        head = [_placeholder("", first, _ending(lines[first]))]
        inner_lines = inner.code.splitlines(keepends=True)
        code = "".join(body[:first]) + "".join(head) + "".join(_shift(inner_lines, first + 1))
        for i in inner.originals:
            originals[first + 1 + i] = lines[first + 1 + i]
        return CellReading("python", code, margin + inner.margin, originals, magic=name)
    body, spans = _token_transforms(body)
    for start, end in spans:
        for i in range(start, end + 1):
            originals[i] = lines[i]
    if first is not None and _ipython_line_count(lines, first, spans) == 1:
        i = first
        if i not in originals and _automagic(body[i]):
            originals[i] = lines[i]
            body[i] = _placeholder(_indent(body[i]), i, _ending(body[i]))
            return CellReading("python", "".join(body), margin, originals, automagic=True)
    return CellReading("python", "".join(body), margin, originals)


def _shift(lines: list[str], offset: int) -> list[str]:
    """Renumber an inner reading's placeholders by ``offset`` lines."""
    out = []
    for ln in lines:
        m = _MARK_RE.search(ln.rstrip("\r\n"))
        if m:
            ln = ln[: m.start()] + f"{MARK}{int(m.group(1)) + offset}" + ln[len(ln.rstrip("\r\n")):]
        out.append(ln)
    return out


def restore(code: str, reading: CellReading) -> str:
    """``code`` (the reading's code, perhaps translated) with the original IPython lines put
    back and the removed indentation added again."""
    if reading.kind != "python":
        return code
    lines = code.splitlines(keepends=True)
    # IPython 7's reading: a line of the reading's own code (matched by content) gets the margin
    # back where it had it, so an unchanged line comes out as it was
    had_margin: dict[int, bool] = {}
    if reading.first_line is not None:
        ours = reading.code.splitlines(keepends=True)
        for a, b, size in difflib.SequenceMatcher(None, ours, lines, autojunk=False).get_matching_blocks():
            had_margin.update((b + k, a + k in reading.first_line) for k in range(size))
    out = []
    first = True
    for j, ln in enumerate(lines):
        m = _MARK_RE.search(ln.rstrip("\r\n"))
        if m and int(m.group(1)) in reading.originals:
            out.append(reading.originals[int(m.group(1))])
        elif ln.strip() and (reading.first_line is None or had_margin.get(j, first or ln[:1] in (" ", "\t"))):
            # (IPython 7's reading, on a line the translation wrote: the first line's margin, and on
            # every indented line, which IPython 7 strips again; a line at column 0 stays there)
            out.append(reading.margin + ln)
        else:
            out.append(ln)
        first = first and not ln.strip()
    return "".join(out)


# ------------------------------------------------------------------------------ the steps


def _has_prompts(lines: list[str]) -> bool:
    """A pasted interactive session (``>>> `` or ``In [1]: ``), which IPython strips."""
    if not lines:
        return False
    if _IPY_PROMPT.match(lines[0]) or (len(lines) > 1 and _IPY_PROMPT.match(lines[1])):
        return True
    in_string = _string_lines(lines)
    return any(_CLASSIC_PROMPT.match(ln) and not s for ln, s in zip(lines, in_string))


def _string_lines(lines: list[str]) -> list[bool]:
    """Which lines start inside a triple-quoted string (by tokens; all False if it does not tokenize)."""
    inside = [False] * len(lines)
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                for r in range(tok.start[0], tok.end[0]):
                    inside[r] = True  # rows after the first (0-based r = 1-based row r+1)
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside


def _margin(lines: list[str]) -> str:
    """The indentation common to every line that is not blank (textwrap.dedent's)."""
    probe = "".join(ln if ln.strip() else "\n" for ln in lines)
    dedented = textwrap.dedent(probe)
    for a, b in zip(probe.splitlines(), dedented.splitlines()):
        if a.strip():
            return a[: len(a) - len(b)]
    return ""


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _placeholder(indent: str, index: int, ending: str, lhs: str | None = None) -> str:
    if lhs is not None:
        return f"{lhs}None  {MARK}{index}{ending}"
    return f"{indent}pass  {MARK}{index}{ending}"


def _tokens_by_line(lines: list[str]) -> list[list[tokenize.TokenInfo]]:
    """IPython's make_tokens_by_line: tokens grouped by logical line (brackets join lines)."""
    groups: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    try:
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            groups[-1].append(tok)
            if tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and depth <= 0):
                groups.append([])
            elif tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}" and depth > 0:
                depth -= 1
    except (tokenize.TokenError, SyntaxError, StopIteration):
        pass  # an unterminated string or bracket: what was read so far
    if not groups[-1]:
        groups.pop()
    return groups


def _assign_index(line: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for i, tok in enumerate(line):
        if tok.string == "=" and depth == 0:
            return i
        if tok.string in ("(", "[", "{"):
            depth += 1
        elif tok.string in (")", "]", "}") and depth > 0:
            depth -= 1
    return None


def _continued_end(lines: list[str], start: int) -> int:
    end = start
    while lines[end].endswith("\\\n"):
        end += 1
        if end >= len(lines):
            return end - 1
    return end


def _find(groups: list[list[tokenize.TokenInfo]]) -> list[tuple[int, int, int, str, int]]:
    """Candidates (line, col, priority, kind, last line) of IPython-only syntax: the first of
    each kind in the cell, as IPython's four token transformers find them."""
    found = []
    for line in groups:  # x = %magic
        i = _assign_index(line)
        if i is not None and len(line) >= i + 3 and line[i + 1].string == "%" and line[i + 2].type == tokenize.NAME:
            found.append((line[i + 1].start[0] - 1, line[i + 1].start[1], 10, "assign", 0))
            break
    bang = _system_assign(groups)
    if bang is not None:
        found.append((bang.start[0] - 1, bang.start[1], 10, "assign", 0))
    for line in groups:  # an escaped logical line: %magic, !cmd, ?obj, /f a b, ,f a b, ;f a b
        toks = [t for t in line if t.type not in (tokenize.INDENT, tokenize.DEDENT)]
        if toks and toks[0].string in _ESCAPES:
            found.append((toks[0].start[0] - 1, toks[0].start[1], 10, "escape", 0))
            break
    for line in groups:  # help: a logical line whose last token is ?
        if len(line) > 2 and line[-2].string == "?":
            toks = [t for t in line if t.type not in (tokenize.INDENT, tokenize.DEDENT)]
            found.append((toks[0].start[0] - 1, toks[0].start[1], 5, "help", line[-2].start[0] - 1))
            break
    return sorted(found, key=lambda c: (c[0], c[1], c[2]))


def _system_assign(groups: list[list[tokenize.TokenInfo]]) -> tokenize.TokenInfo | None:
    """The ``!`` of the first ``x = !cmd`` (an error token before Python 3.12, an operator after)."""
    for line in groups:
        i = _assign_index(line)
        if i is None or line[i].line.strip().startswith("=") or len(line) < i + 2:
            continue
        nxt = line[i + 1]
        if nxt.type == tokenize.OP and nxt.string == "!":
            return nxt
        j = i + 1
        while j < len(line) and line[j].type == tokenize.ERRORTOKEN:
            if line[j].string == "!":
                return line[j]
            if not line[j].string.isspace():
                break
            j += 1
    return None


def _token_transforms(lines: list[str]) -> tuple[list[str], list[tuple[int, int]]]:
    """Mask IPython's token-level syntax one at a time, earliest first, as IPython rewrites it."""
    lines = list(lines)
    spans: list[tuple[int, int]] = []
    for _ in range(500):
        groups = _tokens_by_line(lines)
        done = False
        for row, col, _prio, kind, last in _find(groups):
            if kind == "help":
                piece = "".join(lines[row:last + 1])[col:].rstrip("\r\n")
                if not _HELP_END.search(piece):
                    continue  # IPython's transform raises SyntaxError: the next candidate
                end = last
            else:
                end = _continued_end(lines, row)
            ending = _ending(lines[end]) or "\n"
            indent = lines[row][:col]
            if kind == "assign":
                lines[row] = _placeholder(indent, row, _ending(lines[row]) or ending, lhs=lines[row][:col])
            else:
                lines[row] = _placeholder(indent, row, _ending(lines[row]) or ending)
            for r in range(row + 1, end + 1):
                lines[r] = _placeholder(_indent(lines[row]), r, _ending(lines[r]) or "\n")
            spans.append((row, end))
            done = True
            break
        if not done:
            break
    return lines, spans


def _ipython_line_count(lines: list[str], first: int, spans: list[tuple[int, int]]) -> int:
    """How many lines IPython's transformed cell has (the prefilter runs on one-line cells)."""
    text = "".join(lines[first:])
    if not text.endswith("\n"):
        text += "\n"
    count = len(text.splitlines())
    return count - sum(end - start for start, end in spans)


def _automagic(line: str) -> bool:
    """``pip install x``, ``ls -la``, ``cd ..``: a magic's name first, and not Python."""
    stripped = line.strip()
    m = _SPLIT.match(stripped)
    if not m or m.group(2):
        return False
    word, rest = m.group(3), m.group(4).lstrip()
    if word.split(".", 1)[0] not in AUTOMAGICS or (rest[:1] in ("=", ",")):
        return False
    try:
        compile(stripped, "<cell>", "exec", dont_inherit=True)
    except SyntaxError:
        return True  # IPython runs it as %word; as Python it is an error
    except (ValueError, MemoryError, RecursionError):
        return False
    return False  # valid Python (``ls``, ``cd``): kept as Python, whatever it would do
