"""The one diagnostic record, and the output formats that view it.

Every finding of every command (lint, to-tf, to-keras, LSP) is a :class:`Diagnostic`.
Formats are pure functions of a list of them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from kerastf_xlate.codes import CODES, Severity

__all__ = ["Diagnostic", "Fix", "Severity", "render"]


@dataclass(frozen=True, order=True)
class Fix:
    """A textual replacement for the diagnostic's range (used by editors)."""

    replacement: str
    description: str = ""


@functools.total_ordering
@dataclass(frozen=True)
class Diagnostic:
    """One finding at one place. Lines are 1-based, columns 0-based (in characters) in this
    record; every output format prints columns 1-based.

    ``cell`` is the 1-based notebook cell for ``.ipynb`` files (lines are then relative
    to the cell), ``None`` otherwise.
    """

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = Severity.WARNING
    end_line: int | None = None
    end_col: int | None = None
    cell: int | None = None
    fix: Fix | None = field(default=None, compare=False)

    def _key(self) -> tuple:
        # a notebook's positions are relative to a cell: order by cell first
        return (self.path, self.cell or 0, self.line, self.col, self.code, self.message)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Diagnostic):
            return NotImplemented
        return self._key() < other._key()

    @property
    def location(self) -> str:
        if self.cell is not None:
            return f"{self.path}:cell {self.cell}:{self.line}:{self.col + 1}"
        return f"{self.path}:{self.line}:{self.col + 1}"

    def to_dict(self) -> dict[str, object]:
        """The JSON record (``--format json``, docs/output.md): lines and columns 1-based, as
        the text, GitHub and SARIF formats print them (Ruff's convention); ``end_col`` is the
        column just after the range."""
        data = asdict(self)
        data["severity"] = self.severity.value
        data["col"] = self.col + 1
        if self.end_col is not None:
            data["end_col"] = self.end_col + 1
        return data


def format_text(diags: Iterable[Diagnostic]) -> str:
    """``path:line:col: CODE message`` — what editors' problem matchers read."""
    return "".join(f"{d.location}: {d.code} {d.message}\n" for d in diags)


def format_json(diags: Iterable[Diagnostic]) -> str:
    """A JSON array of :meth:`Diagnostic.to_dict` records (1-based lines and columns)."""
    return json.dumps([d.to_dict() for d in diags], indent=2) + "\n"


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def format_github(diags: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands (annotations on the pull request)."""
    out = []
    for d in diags:
        level = {"error": "error", "warning": "warning", "info": "notice"}[d.severity.value]
        title = f"{d.code}" + (f" (cell {d.cell})" if d.cell is not None else "")
        out.append(
            f"::{level} file={d.path},line={d.line},col={d.col + 1},title={title}::"
            f"{_gh_escape(d.code + ' ' + d.message)}\n"
        )
    return "".join(out)


def format_sarif(diags: Iterable[Diagnostic], tool_version: str) -> str:
    """SARIF 2.1.0, one run, one rule entry per code that occurs."""
    diags = list(diags)
    used = sorted({d.code for d in diags})
    rules = []
    for code in used:
        info = CODES.get(code)
        rules.append(
            {
                "id": code,
                "name": info.name if info else code,
                "shortDescription": {"text": info.summary if info else code},
                "helpUri": f"https://github.com/kerastf-xlate/kerastf-xlate/blob/main/docs/codes.md#{code.lower()}",
            }
        )
    results = []
    for d in diags:
        region: dict[str, int] = {"startLine": d.line, "startColumn": d.col + 1}
        if d.end_line is not None and d.end_col is not None:
            region.update(endLine=d.end_line, endColumn=d.end_col + 1)
        result: dict[str, object] = {
            "ruleId": d.code,
            "level": {"error": "error", "warning": "warning", "info": "note"}[d.severity.value],
            "message": {"text": d.message},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": d.path}, "region": region}}
            ],
        }
        if d.cell is not None:
            result["properties"] = {"cell": d.cell}
        results.append(result)
    doc = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kerastf-xlate",
                        "version": tool_version,
                        "informationUri": "https://github.com/kerastf-xlate/kerastf-xlate",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


FORMATS = ("text", "json", "github", "sarif")


def render(diags: list[Diagnostic], fmt: str, tool_version: str) -> str:
    if fmt == "text":
        return format_text(diags)
    if fmt == "json":
        return format_json(diags)
    if fmt == "github":
        return format_github(diags)
    if fmt == "sarif":
        return format_sarif(diags, tool_version)
    raise ValueError(f"unknown format {fmt!r}")
