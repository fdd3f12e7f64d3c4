"""One to-tf translation as a value: everything its stages read and write.

Nothing here is module state: :func:`kerastf_xlate.totf.translate` builds a
:class:`TranslationContext` for each call and passes it down, so two translations (the
language server runs them on a thread pool) never see each other's constants, edits or
diagnostics.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.edit.records import StatementEdits
from kerastf_xlate.edit.splice import Source
from kerastf_xlate.lint import char_col
from kerastf_xlate.resolve import Use
from kerastf_xlate.rules import Rule, RuleSet
from kerastf_xlate.totf.common import NO_CONSTANTS
from kerastf_xlate.totf.training import TrainingPlan


@dataclass
class TranslationContext:
    """The state of one translation of one source."""

    text: str
    path: str
    rules: RuleSet
    input_shape: tuple[int, ...] | None = None
    # parse: the tree, its lines, the Keras layer uses and their rules
    tree: ast.Module = field(default_factory=lambda: ast.Module(body=[], type_ignores=[]))
    lines: list[str] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    refs: dict[int, tuple[Rule, bool]] = field(default_factory=dict)  # id(call) -> (rule, called as a functional helper)
    base_rules: dict[int, Rule] = field(default_factory=dict)  # id(reference) -> rule
    source: Source | None = None  # the text being rewritten, statement groups, name lookups
    constants: Mapping[str, Any] = field(default_factory=lambda: NO_CONSTANTS)  # module-level constants (``NUM_CLASSES = 10``)
    # every unit kind's own state, by kind name (see driver.UNIT_KINDS)
    units: dict[str, Any] = field(default_factory=dict)
    # output
    diags: list[Diagnostic] = field(default_factory=list)
    edits: StatementEdits = field(default_factory=StatementEdits)
    needs: set[str] = field(default_factory=set)  # initializer helpers the generated code calls
    plans: list[TrainingPlan] = field(default_factory=list)  # training code of translated units
    translated_any: bool = False
    result: tuple[str, list[Diagnostic]] | None = None  # set by a stage that ends the translation

    def diag(self, node: ast.AST | None, code: str, message: str) -> Diagnostic:
        """A diagnostic at ``node`` (the first line when None)."""
        line = getattr(node, "lineno", 1) or 1
        col = char_col(self.lines, line, getattr(node, "col_offset", 0) or 0)
        info = CODES.get(code)
        return Diagnostic(self.path, line, col, code, message, info.severity if info else Severity.WARNING)

    def report(self, node: ast.AST | None, code: str, message: str) -> None:
        self.diags.append(self.diag(node, code, message))

    def key(self, stmt: ast.stmt) -> tuple[int, int]:
        """Where a statement starts (line, character column): the key of its edit."""
        return (stmt.lineno, char_col(self.lines, stmt.lineno, stmt.col_offset))

    def finish(self, text: str | None = None, diags: list[Diagnostic] | None = None) -> None:
        """End the translation: ``text`` (the source unchanged when None) and the diagnostics."""
        self.result = (self.text if text is None else text, sorted(set(self.diags if diags is None else diags)))

    @property
    def src(self) -> Source:
        assert self.source is not None, "the parse stage sets the source"
        return self.source
