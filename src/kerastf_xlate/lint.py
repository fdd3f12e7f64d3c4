"""``xlate lint``: report Keras layers that block a translation to TensorFlow.

Static: parses with the standard library's ``ast`` (fast, C-implemented), resolves names
with :mod:`kerastf_xlate.resolve`, checks arguments with :mod:`kerastf_xlate.args`. Never
imports TensorFlow or Keras, never runs the user's code.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

from kerastf_xlate.args import blockers
from kerastf_xlate.codes import CODES
from kerastf_xlate.config import Config
from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.resolve import Use, find_uses
from kerastf_xlate.rules import Rule, RuleSet
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, SourceError, decode, read_bytes, read_notebook

_NOQA = re.compile(r"#\s*(?:noqa|xlate:\s*ignore)(?::\s*(?P<codes>[A-Z0-9, ]+)|\[(?P<codes2>[A-Z0-9, ]+)\])?", re.I)


def parse(text: str, path: str) -> ast.Module:
    """``ast.parse`` with every failure turned into a one-line :class:`SourceError`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
            return ast.parse(text, filename=path)
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
    """(code, message) for a use of a layer with no counterpart."""
    if rule.status == "removed":
        repl = f" Replaced by `{rule.replaced_by}`." if rule.replaced_by else ""
        return "XL102", f"`{rule.layer}` is not in Keras 3: {rule.reason}{repl} Instead: {rule.instead}"
    return "XL101", f"`{rule.layer}` has no TensorFlow low-level counterpart: {rule.reason} Instead: {rule.instead}"


@dataclass
class Finding:
    code: str
    message: str
    node: ast.AST


def findings_for_uses(uses: list[Use], rules: RuleSet) -> list[Finding]:
    """The lint findings for resolved layer uses (shared by lint and to-tf)."""
    out: list[Finding] = []
    for use in uses:
        rule = rules.get(use.layer)
        if rule is None:
            continue
        if rule.status in ("none", "removed"):
            code, message = rule_message(rule)
            out.append(Finding(code, message, use.node))
        elif use.call is not None and rule.status == "translated":
            for b in blockers(rule, use.call):
                out.append(Finding(b.code, b.message, b.node))
    return out


def lint_text(text: str, path: str, rules: RuleSet, config: Config, cell: int | None = None) -> list[Diagnostic]:
    """Lint one Python source. Raises :class:`SourceError` when it does not parse."""
    tree = parse(text, path)
    if "keras" not in text:  # no import of keras can exist: nothing to resolve
        return []
    uses = find_uses(tree, set(rules.by_name))
    if not uses:
        return []
    lines = text.splitlines()
    diags = []
    for f in findings_for_uses(uses, rules):
        node = f.node
        line = node.lineno  # type: ignore[attr-defined]
        src_line = lines[line - 1] if line - 1 < len(lines) else ""
        if not config.enabled(f.code, path) or suppressed(src_line, f.code):
            continue
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        info = CODES.get(f.code)
        diags.append(
            Diagnostic(
                path=path,
                line=line,
                col=char_col(lines, line, node.col_offset),  # type: ignore[attr-defined]
                code=f.code,
                message=f.message,
                severity=info.severity if info else Severity.WARNING,
                end_line=end_line,
                end_col=char_col(lines, end_line, end_col) if end_line and end_col is not None else None,
                cell=cell,
            )
        )
    return sorted(diags)


def source_error_diagnostic(err: SourceError, cell: int | None = None) -> Diagnostic:
    return Diagnostic(err.path, err.line or 1, err.col or 0, "XL001", err.message, Severity.ERROR, cell=cell)


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: SourceError | None = None


def lint_bytes(path: str, data: bytes, rules: RuleSet, config: Config) -> FileResult:
    """Lint a file's bytes (a ``.py`` source or an ``.ipynb`` notebook, cell by cell)."""
    result = FileResult(path)
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            _, cells = read_notebook(path, data)
            for cell in cells:
                try:
                    result.diagnostics += lint_text(cell.source, path, rules, config, cell=cell.index)
                except SourceError as err:
                    where = f"cell {cell.index}" + (f":{err.line}:{(err.col or 0) + 1}" if err.line else "")
                    result.error = SourceError(path, f"{where}: {err.message}")
                    result.diagnostics.append(source_error_diagnostic(err, cell.index))
        else:
            result.diagnostics = lint_text(decode(path, data).text, path, rules, config)
    except SourceError as err:
        result.error = err
    return result


def lint_file(path: str, rules: RuleSet, config: Config) -> FileResult:
    try:
        data = read_bytes(path)
    except SourceError as err:
        return FileResult(path, error=err)
    return lint_bytes(path, data, rules, config)
