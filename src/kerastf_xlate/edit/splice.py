"""Run LibCST on the top-level statements an edit touches, and copy the rest of the text.

LibCST (parse, position metadata, codegen) costs about 1 GB and tens of seconds per MB of
source. A translation edits a few top-level statements (the model, its training code, the
imports), so :class:`Source` cuts the text where top-level statements start (known from
``ast``), hands each run of touched statements to LibCST alone, and keeps every other line
as it is: in a 5 MB file with a small model, LibCST sees the model's few lines.

A piece parsed alone must come out exactly as it would from the whole file. What LibCST
takes from the surroundings, and how a piece gets the same:

- the module's default newline (its first line ending) and indentation (its first INDENT
  token), which new code is written with: a piece that does not start the file starts
  with ``if 1:`` / indent / ``pass`` written with the file's own; one that does start it
  is a prefix of the file, and the ``if 1:`` block it ends with (below) supplies the
  indentation when the file's first INDENT comes later;
- which comment and blank lines above a statement are its own (``leading_lines``: they go
  when it is removed) and which close the indented block before it (its ``footer``: lines
  up to the last one indented at the block's level). After a simple statement, or when no
  line in between is indented, they are all the statement's: the piece goes on with
  ``pass`` and the lines in between. Otherwise it goes on with the previous statement;
- the statement after the run: the ``if 1:`` block at column 0, where the real one is.

Text that ast and LibCST might split differently (a lone CR, a form feed, a backslash
continuation at a cut, what ``tokenize`` rejects) is handed to LibCST whole, as it
always was. Each pass re-detects the defaults from its input, as parsing it whole did.
One difference is on purpose: text outside the pieces no longer goes through LibCST's round
trip, which loses a whitespace-only line at the end of a file without a final newline.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import itertools
import re
import tokenize
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import libcst as cst

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # lines as ast and LibCST number them
_NEWLINE = re.compile(r"\r\n?|\n")  # LibCST's default newline: the first of these
_LINE_END = re.compile(r"(?:\r\n?|\n)\Z")
_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
             ast.With, ast.AsyncWith, ast.Try, ast.Match) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line endings (``\\r\\n``, ``\\r`` or ``\\n``)."""
    return _LINE.findall(text)


@dataclass
class Group:
    """Top-level statements that share lines (``a = 1; b = 2`` is one group), which LibCST
    sees as one statement. ``start``/``end``: their lines (1-based, decorators included) in
    the current text; a node's line there is its ``lineno + shift``."""

    start: int
    end: int
    nodes: list[ast.stmt]
    shift: int


@dataclass(frozen=True)
class Window:
    """Where a piece handed to LibCST lies: piece line = text line - ``offset``; it holds
    text lines ``first``..``last``; group ``group0`` (the run's first) is
    ``module.body[body_index]``, and the groups after it follow one to one."""

    offset: int
    first: int
    last: int
    body_index: int
    group0: int

    def body_position(self, group: int) -> int:
        """Index in the piece's ``module.body`` of group ``group`` (one of the run's)."""
        return self.body_index + group - self.group0

    def local(self, line: int) -> int | None:
        """The piece's line for a text line, or None when the piece does not hold it."""
        return line - self.offset if self.first <= line <= self.last else None


Edit = Callable[[cst.Module, Window], cst.Module]


def groups_of(body: list[ast.stmt], shift: int = 0) -> list[Group]:
    """The top-level statements of a module, grouped by the lines they share."""
    groups: list[Group] = []
    for stmt in body:
        decorators = getattr(stmt, "decorator_list", None) or ()
        start = min([stmt.lineno] + [d.lineno for d in decorators]) + shift
        end = (stmt.end_lineno or stmt.lineno) + shift
        if groups and start <= groups[-1].end:
            groups[-1].end = max(groups[-1].end, end)
            groups[-1].nodes.append(stmt)
        else:
            groups.append(Group(start, end, [stmt], shift))
    return groups


def _first_indent(lines: list[str], groups: list[Group]) -> str | None:
    """LibCST's default indentation: the first INDENT token's, else four spaces; None when
    ``tokenize`` fails on the way.

    Only a compound statement can hold one; each is tokenized until its first INDENT."""
    for g in groups:
        if not isinstance(g.nodes[-1], _COMPOUND):
            continue
        readline = io.StringIO("".join(lines[g.start - 1 : g.end])).readline
        try:
            for tok in tokenize.generate_tokens(readline):
                if tok.type == tokenize.INDENT:
                    return tok.string
        except (tokenize.TokenError, SyntaxError):
            return None
    return "    "


@functools.lru_cache(maxsize=64)
def _words(names: frozenset[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:{})\b".format("|".join(re.escape(n) for n in sorted(names))))


def _clean_gap(lines: list[str]) -> bool:
    """Only blank and comment lines (anything else means a continuation: cut elsewhere)."""
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines)


class Source:
    """The text being rewritten: its lines and top-level statement groups, kept up to date
    as pieces are rewritten."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        self.lines = split_lines(text)
        self.groups = groups_of(tree.body)
        # a lone CR or a form feed: ast and LibCST may count lines or columns differently
        self.whole = "\x0c" in text or text.count("\r") != text.count("\r\n")
        self._ascii = text.isascii()
        self._starts: list[int] | None = None
        self._offsets: list[int] | None = None  # where each line starts in the text
        self._text: str | None = text
        self._detect()

    def _detect(self) -> None:
        """LibCST's defaults for the current text (a rewrite can change them: each pass
        used to parse the previous one's output whole)."""
        match = next((m for ln in self.lines if (m := _NEWLINE.search(ln))), None)
        self.newline = match.group(0) if match else "\n"
        indent = None if self.whole else _first_indent(self.lines, self.groups)
        self.whole = self.whole or indent is None
        self.indent = indent or "    "

    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self.lines)
        return self._text

    def statements(self) -> list[tuple[ast.stmt, int]]:
        """Every top-level statement, with the shift to add to its line numbers."""
        return [(stmt, g.shift) for g in self.groups for stmt in g.nodes]

    def group_at(self, line: int) -> int | None:
        """Index of the group holding ``line``, if any."""
        if self._starts is None:
            self._starts = [g.start for g in self.groups]
        i = bisect.bisect_right(self._starts, line) - 1
        return i if i >= 0 and self.groups[i].start <= line <= self.groups[i].end else None

    def mentioning(self, names: Iterable[str]) -> list[ast.stmt]:
        """The top-level statements, in order, whose text holds one of ``names`` as a word:
        the only ones where an ``ast.Name`` (or a def, class or ``global``) with that
        name can be. All of them in non-ASCII text, which may spell an identifier in
        one of its NFKC variants."""
        names = set(names)
        if not self._ascii:
            return [stmt for stmt, _ in self.statements()]
        if not names:
            return []
        text = self.text()
        if self._offsets is None:
            self._offsets = list(itertools.accumulate((len(ln) for ln in self.lines), initial=0))
        hit: set[int] = set()
        for m in _words(frozenset(names)).finditer(text):
            g = self.group_at(bisect.bisect_right(self._offsets, m.start()))
            if g is not None:
                hit.add(g)
        return [stmt for g in sorted(hit) for stmt in self.groups[g].nodes]

    def mentions(self, node: ast.stmt, names: set[str]) -> bool:
        """Whether the lines of statement ``node`` (at any depth; not yet rewritten) may hold
        one of ``names``: as :meth:`mentioning`, for one statement."""
        if not self._ascii:
            return True
        decorators = getattr(node, "decorator_list", None) or ()
        first = min([node.lineno] + [d.lineno for d in decorators])
        chunk = "".join(self.lines[first - 1 : node.end_lineno or node.lineno])
        return _words(frozenset(names)).search(chunk) is not None

    def names_loaded(self, names: set[str]) -> set[str]:
        """Which of ``names`` some ``ast.Name`` reads (or deletes) anywhere in the text."""
        found: set[str] = set()
        if not names:
            return found
        for stmt in self.mentioning(names):
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and n.id in names and not isinstance(n.ctx, ast.Store):
                    found.add(n.id)
        return found

    def rewrite(self, targets: Iterable[int], edit: Edit) -> None:
        """Run ``edit`` on the LibCST module of each run of consecutive target groups
        (of the whole text when it has no statements); every other line stays as it is."""
        wanted = sorted(set(targets))
        if not wanted:
            return
        n = len(self.groups)
        runs: list[tuple[int, int]] = []
        for i in wanted:
            if runs and i == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        cuts = [self._cut(a, b) for a, b in runs]
        if self.whole or not n or any(c is None for c in cuts):
            runs, cuts = [(0, n - 1)], [(1, len(self.lines), "", "", 0)]
        out_lines: list[str] = []
        out_groups: list[Group] = []
        done_line, done_group = 0, 0  # old lines / groups copied or rewritten so far
        for (a, b), cut in zip(runs, cuts):
            first, last, prefix, suffix, first_group = cut  # type: ignore[misc]
            self._copy(done_line, first - 1, done_group, first_group, out_lines, out_groups)
            piece = prefix + "".join(self.lines[first - 1 : last]) + suffix
            window = Window(first - 1 - prefix.count(self.newline), first, last, 2 if prefix else 0, a)
            module = edit(cst.parse_module(piece), window)
            code = module.code
            if prefix and not module.has_trailing_newline and code + self.newline == prefix:
                # everything after the prefix went, and so did the file's missing last line
                # ending: LibCST drops the line ending before it, here the prefix's
                code, out_lines[-1] = prefix, _LINE_END.sub("", out_lines[-1])
            if not (code.startswith(prefix) and code.endswith(suffix)):  # pragma: no cover - LibCST keeps unedited nodes
                raise RuntimeError("a rewritten piece lost its context statements")
            new = code[len(prefix) : len(code) - len(suffix)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(new)
            out_groups += groups_of(tree.body, len(out_lines))
            out_lines += split_lines(new)
            self._ascii = self._ascii and new.isascii()
            done_line, done_group = last, b + 1
        self._copy(done_line, len(self.lines), done_group, n, out_lines, out_groups)
        self.lines, self.groups, self._starts, self._offsets, self._text = out_lines, out_groups, None, None, None
        self._detect()

    def _copy(self, line0: int, line1: int, group0: int, group1: int, out_lines: list[str], out_groups: list[Group]) -> None:
        """Append old lines ``line0``..``line1`` (0-based, end excluded) and old groups
        ``group0``..``group1`` as they are, their line numbers moved to where they land."""
        delta = len(out_lines) - line0
        out_lines += self.lines[line0:line1]
        for g in self.groups[group0:group1]:
            g.start, g.end, g.shift = g.start + delta, g.end + delta, g.shift + delta
            out_groups.append(g)

    def _cut(self, a: int, b: int) -> tuple[int, int, str, str, int] | None:
        """(first line, last line, prefix, suffix, first group) of the piece for groups
        ``a``..``b``; None where the cut is not safe."""
        nl, groups = self.newline, self.groups
        block = f"if 1:{nl}{self.indent}pass{nl}"
        if a == 0:
            first, prefix, first_group = 1, "", 0
        else:
            prev = groups[a - 1]
            gap = self.lines[prev.end : groups[a].start - 1]
            if not _clean_gap(gap) or self.lines[prev.end - 1].rstrip("\r\n").endswith("\\"):
                return None
            if isinstance(prev.nodes[-1], _COMPOUND) and any(ln[:1] in (" ", "\t") for ln in gap):
                first, prefix, first_group = prev.start, block, a - 1  # its block's footer may take some
            else:
                first, prefix, first_group = prev.end + 1, block + f"pass{nl}", a
        if b + 1 < len(groups):
            last, suffix = groups[b + 1].start - 1, block
            if not _clean_gap(self.lines[groups[b].end : last]) or self.lines[groups[b].end - 1].rstrip("\r\n").endswith("\\"):
                return None
        else:
            last, suffix = len(self.lines), ""
        return first, last, prefix, suffix, first_group
