"""``xlate lint``: report Keras layers that block a translation to TensorFlow.

Static: parses with the standard library's ``ast`` (fast, C-implemented), resolves names
with :mod:`kerastf_xlate.resolve`, checks arguments with :mod:`kerastf_xlate.args`. Never
imports TensorFlow or Keras, never runs the user's code.

A finding is reported where it blocks the translation ``to-tf`` does: held to to-tf's own
diagnostics when :mod:`kerastf_xlate.lint_totf` passes them (``Extra``), else only what
blocks the program form too (``Finding.program``).
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from kerastf_xlate.args import blockers, helper_call, short_message
from kerastf_xlate.codes import CODES
from kerastf_xlate.config import Config
from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.resolve import Use, find_uses
from kerastf_xlate.rules import Rule, RuleSet
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, Cell, SourceError, decode, read_bytes, read_notebook

_NOQA = re.compile(r"#\s*(?:noqa|xlate:\s*ignore)(?::\s*(?P<codes>[A-Z0-9, ]+)|\[(?P<codes2>[A-Z0-9, ]+)\])?", re.I)


# Deeper syntax trees are refused: LibCST's native parser (used by to-tf) overflows the
# C stack and kills the process (SIGSEGV) at a few thousand levels, e.g. ``1 + 1 + ...``
# 8,000 times, and the recursive visitors hit RecursionError. Real code stays under 50.
MAX_NESTING = 1500


def _too_deep(tree: ast.AST) -> ast.AST | None:
    """The first node nested deeper than ``MAX_NESTING`` (level by level, no recursion).

    This runs on every file, so ``ast.iter_child_nodes`` (two generators per node) is
    inlined: the same children in the same order, at half the cost."""
    node_type = ast.AST
    level: list[ast.AST] = [tree]
    for _ in range(MAX_NESTING):
        nxt: list[ast.AST] = []
        append = nxt.append
        for node in level:
            for name in node._fields:
                try:
                    value = getattr(node, name)
                except AttributeError:
                    continue
                if isinstance(value, node_type):
                    append(value)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, node_type):
                            append(item)
        if not nxt:
            return None
        level = nxt
    return level[0]


# ast.parse holds every token of the source until the whole tree is built: about as much
# memory again as the tree (80 MB per MB of source). A big source is parsed a piece at a
# time instead, cut where a line starts a top-level statement.
PIECE_CHARS = 1 << 18
_CUT = re.compile(r"\n(?=[A-Za-z_@])(?!(?:else|elif|except|finally)\b)")


def ast_parse(text: str, path: str) -> ast.Module:
    """``ast.parse(text)``, the same tree, a piece of about ``PIECE_CHARS`` at a time.

    A cut is a line that starts at column 0 with a name or ``@`` (not ``else``, ...). A
    piece that starts where a top-level statement does and parses alone ends where the
    tokenizer is between statements (an open bracket, string or backslash would have made
    it fail), so the line after it starts the next top-level statement, and top-level
    statements parse independently. Blank lines in front of a piece give its nodes their
    line numbers. When a piece fails (a cut inside a string, or a syntax error), it grows;
    when the last one fails, the whole text is parsed, for the error it reports.
    """
    if len(text) <= PIECE_CHARS or text.count("\r") != text.count("\r\n"):  # a lone CR ends a line too
        return ast.parse(text, filename=path)
    body: list[ast.stmt] = []
    start, line, want = 0, 1, PIECE_CHARS
    while start < len(text):
        cut = _CUT.search(text, start + want) if start + want < len(text) else None
        end = cut.start() + 1 if cut else len(text)
        try:
            piece = ast.parse("\n" * (line - 1) + text[start:end], filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            if end == len(text):
                return ast.parse(text, filename=path)
            want *= 2
            continue
        body += piece.body
        line += text.count("\n", start, end)
        start, want = end, PIECE_CHARS
    return ast.Module(body=body, type_ignores=[])


def parse(text: str, path: str) -> ast.Module:
    """``ast.parse`` with every failure turned into a one-line :class:`SourceError`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
            tree = ast_parse(text, path)
        deep = _too_deep(tree) if len(text) > MAX_NESTING else None
        if deep is not None:
            line = getattr(deep, "lineno", None)
            return _raise(SourceError(path, f"nested more than {MAX_NESTING} levels deep; too deeply nested to process safely",
                                      line, getattr(deep, "col_offset", 0) if line else None))
        return tree
    except SyntaxError as exc:
        msg = exc.msg
        if "print" in msg and "parentheses" in msg:
            msg += " (Python 2 code is not supported)"
        return _raise(SourceError(path, f"syntax error: {msg}", exc.lineno, (exc.offset or 1) - 1))
    except (RecursionError, MemoryError):
        return _raise(SourceError(path, "too deeply nested to parse"))
    except ValueError as exc:  # e.g. source code string cannot contain null bytes
        return _raise(SourceError(path, str(exc)))


def _raise(err: SourceError) -> ast.Module:
    raise err


_NEWLINE = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """The lines as Python numbers them (``str.splitlines`` also splits on form feeds,
    U+2028 and other characters that are not line breaks for the tokenizer)."""
    return _NEWLINE.split(text)


def char_col(lines: list[str], lineno: int, byte_col: int) -> int:
    """``ast`` columns are UTF-8 byte offsets; editors want characters."""
    if lineno - 1 >= len(lines):
        return byte_col
    line = lines[lineno - 1]
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


def suppressed(line: str, code: str) -> bool:
    """``# noqa``, ``# noqa: XL101``, ``# xlate: ignore[XL101]`` on the line."""
    if "#" not in line:
        return False
    for m in _NOQA.finditer(line):
        codes = m.group("codes") or m.group("codes2")
        if not codes:
            return True
        if any(code.startswith(c.strip()) for c in codes.split(",") if c.strip()):
            return True
    return False


def rule_message(rule: Rule) -> tuple[str, str]:
    """(code, message) for a use of a layer with no counterpart: one short sentence; why, and
    what to do instead, is the rule's to say (``xlate rules LAYER``), as Ruff's ``ruff rule``."""
    if rule.status == "removed":
        repl = f"; use `{rule.replaced_by}`" if rule.replaced_by else ""
        return "XL102", short_message(f"`{rule.layer}` is not in Keras 3{repl} (see `xlate rules {rule.layer}`)",
                                      f"`{rule.layer}` is not in Keras 3{repl}")
    return "XL101", short_message(f"`{rule.layer}` has no TensorFlow low-level counterpart (see `xlate rules {rule.layer}`)",
                                  f"`{rule.layer}` has no TensorFlow low-level counterpart (`xlate rules` says why)")


@dataclass
class Finding:
    code: str
    message: str
    node: ast.AST
    # whether it also blocks the program form (``Blocker.blocks_program_form``): False for a
    # limit of the flat form alone (``Conv1D(groups=4)``), which to-tf's bundled class takes
    program: bool = True


def findings_for_uses(uses: list[Use], rules: RuleSet) -> list[Finding]:
    """The findings for resolved layer uses, in the flat form's terms (shared by lint and
    to-tf's flat form; ``Finding.program`` says which also block the program form)."""
    out: list[Finding] = []
    for use in uses:
        rule = rules.get(use.layer)
        if rule is None:
            continue
        if rule.status in ("none", "removed"):
            code, message = rule_message(rule)
            out.append(Finding(code, message, use.node))
        elif use.call is not None and rule.has_counterpart:
            # (a functional helper's inputs are its first argument, not the layer's)
            for b in blockers(rule, helper_call(use.call) if use.layer[:1].islower() else use.call):
                out.append(Finding(b.code, b.message, b.node, b.blocks_program_form))
    return out


# What to-tf reports for the same source, from a layer above this one: ``(text, path,
# arguments) -> diagnostics``, or None when to-tf's analysis did not run (``xlate lint`` passes
# it, see :mod:`kerastf_xlate.lint_totf`); ``arguments`` says whether lint found an argument
# that may block a translation (XL2xx), whose fate depends on the form to-tf translates with.
# Positions are in ``text``. Lint reports a layer finding (XL1xx/XL2xx) of its own only where
# to-tf reports the same code at the same place, in lint's words and range, and to-tf's other
# diagnostics as they are; all filtered with the configuration and suppression comments.
# Without to-tf's diagnostics, lint reports the findings that block the program form
# (``Finding.program``), the form to-tf translates with when the flat form cannot.
Extra = Callable[[str, str, bool], list[Diagnostic] | None]


def lint_text(text: str, path: str, rules: RuleSet, config: Config, cell: int | None = None,
              extra: Extra | None = None) -> list[Diagnostic]:
    """Lint one Python source. Raises :class:`SourceError` when it does not parse."""
    tree = parse(text, path)
    if "keras" not in text:  # no import of keras can exist: nothing to resolve
        return []
    lines = source_lines(text)
    more = None if extra is None else lambda arguments: extra(text, path, arguments)
    return _diagnose(tree, path, rules, config, lambda line: (cell, line, lines[line - 1] if line - 1 < len(lines) else ""), more)


def _diagnose(tree: ast.Module, path: str, rules: RuleSet, config: Config,
              locate: Callable[[int], tuple[int | None, int, str]],
              totf: Callable[[bool], list[Diagnostic] | None] | None = None) -> list[Diagnostic]:
    """Diagnostics for a parsed tree; ``locate(line)`` gives (cell, line in the cell, its text);
    ``totf`` gives to-tf's diagnostics (``Extra`` on this source; positions in the tree's numbering)."""
    uses = find_uses(tree, set(rules.by_name))
    findings = findings_for_uses(uses, rules)
    more = totf(any(f.code.startswith("XL2") for f in findings)) if totf is not None else None
    diags = []
    # the layer findings to-tf reports (tree numbering): lint says the same, no more (see ``Extra``)
    totf_says = None if more is None else {(d.line, d.col, d.code) for d in more if "XL1" <= d.code < "XL3"}
    layer_found: set[tuple[int, int, str]] = set()  # lint's findings that to-tf reports too, shown or not
    for f in findings:
        node = f.node
        cell, line, src_line = locate(node.lineno)  # type: ignore[attr-defined]
        where = (node.lineno, char_col([src_line], 1, node.col_offset), f.code)  # type: ignore[attr-defined]
        # not what blocks the translation to-tf does (its bundled class takes `groups=4`)
        if (where not in totf_says) if totf_says is not None else not f.program:
            continue
        layer_found.add(where)
        if not config.enabled(f.code, path) or suppressed(src_line, f.code):
            continue
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        end_text = ""
        if end_line is not None:
            _, rel_end, end_text = locate(end_line)
            end_line = rel_end
        info = CODES.get(f.code)
        diags.append(
            Diagnostic(
                path=path,
                line=line,
                col=char_col([src_line], 1, node.col_offset),  # type: ignore[attr-defined]
                code=f.code,
                message=f.message,
                severity=info.severity if info else Severity.WARNING,
                end_line=end_line,
                end_col=char_col([end_text], 1, end_col) if end_line and end_col is not None else None,
                cell=cell,
            )
        )
    # a layer finding lint has said already is said once, in lint's words and range
    seen: set[tuple[int, int, str]] = set(layer_found)
    for d in more or ():
        cell, line, src_line = locate(d.line)
        if (d.line, d.col, d.code) in seen or not config.enabled(d.code, path) or suppressed(src_line, d.code):
            continue
        seen.add((d.line, d.col, d.code))
        end_line = locate(d.end_line)[1] if d.end_line is not None else None
        diags.append(dataclasses.replace(d, path=path, line=line, end_line=end_line, cell=cell))
    return sorted(diags)


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: SourceError | None = None


def lint_notebook(path: str, data: bytes, rules: RuleSet, config: Config, extra: Extra | None = None) -> FileResult:
    """Lint a notebook as the kernel runs it: names imported in one cell are seen by the
    cells below. Positions are relative to each cell; a cell that does not parse is
    reported (XL001) and the other cells are still linted."""
    result = FileResult(path)
    _, cells = read_notebook(path, data)
    body: list[ast.stmt] = []
    starts: list[int] = []  # first line of each parsed cell in the joined numbering, minus 1
    texts: list[tuple[int, list[str]]] = []  # (cell index, its lines)
    offset = 0
    joined: list[str] = []  # the parsed cells' text, in the joined numbering (for ``extra``)
    for cell in cells:
        try:
            tree = parse(cell.source, path)
        except SourceError as err:
            where = f"cell {cell.index}" + (f":{err.line}:{cell.column(err.line, err.col or 0) + 1}" if err.line else "")
            result.error = SourceError(path, f"{where}: {err.message}")
            result.diagnostics.append(source_error_diagnostic(err, cell.index))
            continue
        lines = source_lines(cell.source)
        ast.increment_lineno(tree, offset)
        body += tree.body
        starts.append(offset)
        texts.append((cell.index, lines))
        joined.append(cell.source)
        offset += len(lines)
    if body and any("keras" in cell.source for cell in cells):

        def locate(line: int) -> tuple[int | None, int, str]:
            i = bisect.bisect_right(starts, line - 1) - 1
            index, lines = texts[i]
            rel = line - starts[i]
            return index, rel, lines[rel - 1] if rel - 1 < len(lines) else ""

        text = "\n".join(joined)
        more = None if extra is None else lambda arguments: extra(text, path, arguments)
        result.diagnostics += _diagnose(ast.Module(body=body, type_ignores=[]), path, rules, config, locate, more)
    by_index = {c.index: c for c in cells}  # columns as the cell is written (an indented cell)
    result.diagnostics = sorted(_in_cell(d, by_index.get(d.cell) if d.cell is not None else None) for d in result.diagnostics)
    return result


def _in_cell(d: Diagnostic, cell: Cell | None) -> Diagnostic:
    if cell is None:
        return d
    end_col = None if d.end_col is None or d.end_line is None else cell.column(d.end_line, d.end_col)
    return dataclasses.replace(d, col=cell.column(d.line, d.col), end_col=end_col)


def source_error_diagnostic(err: SourceError, cell: int | None = None) -> Diagnostic:
    return Diagnostic(err.path, err.line or 1, err.col or 0, "XL001", err.message, Severity.ERROR, cell=cell)


def lint_bytes(path: str, data: bytes, rules: RuleSet, config: Config, extra: Extra | None = None) -> FileResult:
    """Lint a file's bytes (a ``.py`` source or an ``.ipynb`` notebook)."""
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            return lint_notebook(path, data, rules, config, extra)
        return FileResult(path, lint_text(decode(path, data).text, path, rules, config, extra=extra))
    except SourceError as err:
        return FileResult(path, error=err)
    except RecursionError:  # a visitor on a (legal) deep tree: report, never a traceback
        return FileResult(path, error=SourceError(path, "too deeply nested to lint"))


def lint_file(path: str, rules: RuleSet, config: Config, extra: Extra | None = None) -> FileResult:
    try:
        data = read_bytes(path)
    except SourceError as err:
        return FileResult(path, error=err)
    return lint_bytes(path, data, rules, config, extra)
