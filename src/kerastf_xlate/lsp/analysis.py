"""What the server knows about one document: its diagnostics as LSP sees them, its Keras
layer uses, hovers. (The lint itself, with the configuration lookup, is in :mod:`.worker`.)

Everything here is plain Python over the standard library's ``ast`` and the project's
static engines (``lint``, ``resolve``, ``rules``); nothing imports TensorFlow or Keras,
and nothing here knows about pygls, so it runs in worker threads.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from lsprotocol import types

from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.lint import parse
from kerastf_xlate.lsp.positions import Lines
from kerastf_xlate.resolve import Use, find_uses, keras_layer_name
from kerastf_xlate.rules import Rule, RuleSet, default_rules
from kerastf_xlate.sources import SourceError

# Where `code.codeDescription.href` points (the same page SARIF output links to).
DOCS_URL = "https://github.com/kerastf-xlate/kerastf-xlate/blob/main/docs/codes.md"
SOURCE = "xlate"

SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


# --------------------------------------------------------------------------- diagnostics


def to_lsp(d: Diagnostic, lines: Lines) -> types.Diagnostic:
    """Our 1-based line / code-point column record as an LSP diagnostic."""
    start = lines.position(d.line - 1, d.col)
    if d.end_line is not None and d.end_col is not None:
        end = lines.position(d.end_line - 1, d.end_col)
    else:
        # no end (syntax errors): underline to the end of the line, at least one character
        text = lines.line(d.line - 1)
        end = lines.position(d.line - 1, len(text) if d.col < len(text) else d.col + 1)
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=d.message,
        severity=SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
        code=d.code,
        code_description=types.CodeDescription(href=f"{DOCS_URL}#{d.code.lower()}"),
        source=SOURCE,
    )


# --------------------------------------------------------------------------- layer uses


@dataclass
class Parsed:
    """A parsed document with its resolved Keras layer uses."""

    text: str
    tree: ast.Module
    uses: list[Use]
    lines: Lines
    _parents: dict[int, ast.AST] | None = None

    @property
    def parents(self) -> dict[int, ast.AST]:
        """id(node) -> parent node, built on first use."""
        if self._parents is None:
            parents: dict[int, ast.AST] = {}
            for node in ast.walk(self.tree):
                for child in ast.iter_child_nodes(node):
                    parents[id(child)] = node
            self._parents = parents
        return self._parents


def parse_document(text: str, path: str, encoding: str, rules: RuleSet | None = None) -> Parsed | None:
    """Parse and resolve; None when the document does not parse."""
    try:
        tree = parse(text, path)
        rules = rules or default_rules()
        uses = find_uses(tree, set(rules.by_name)) if "keras" in text else []
    except (SourceError, RecursionError):
        return None
    return Parsed(text, tree, uses, Lines(text, encoding))


@dataclass(frozen=True)
class LayerRef:
    rule: Rule
    qualname: str
    range: types.Range
    use: Use | None  # None for a name in an import statement


def layer_at(parsed: Parsed, pos: types.Position, rules: RuleSet | None = None) -> LayerRef | None:
    """The Keras layer named at ``pos``: a resolved use, or a name in a keras import."""
    from kerastf_xlate.lsp.positions import contains

    rules = rules or default_rules()
    best: LayerRef | None = None
    for use in parsed.uses:
        node = use.node
        if not (node.lineno - 1 <= pos.line <= (node.end_lineno or node.lineno) - 1):
            continue
        rule = rules.get(use.layer)
        rng = parsed.lines.node_range(node)
        if rule is None or not contains(rng, pos):
            continue
        if best is None or _size(rng) < _size(best.range):  # the innermost name
            best = LayerRef(rule, use.qualname, rng, use)
    if best is not None:
        return best
    for node in ast.walk(parsed.tree):  # type: ignore[assignment]
        if isinstance(node, ast.ImportFrom) and not node.level and node.lineno <= pos.line + 1 <= (node.end_lineno or node.lineno):
            for alias in node.names:
                qual = f"{node.module}.{alias.name}"
                layer = keras_layer_name(qual)
                rule = rules.get(layer) if layer else None
                if rule is None or not hasattr(alias, "lineno"):
                    continue
                rng = parsed.lines.node_range(alias)
                if contains(rng, pos):
                    return LayerRef(rule, qual, rng, None)
    return None


def _size(rng: types.Range) -> tuple[int, int]:
    return (rng.end.line - rng.start.line, rng.end.character - rng.start.character)


def hover_text(ref: LayerRef, markdown: bool = True) -> str:
    """The rule behind a layer: its TensorFlow counterpart and summary, or why there is none."""
    rule = ref.rule
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    bold = (lambda s: f"**{s}**") if markdown else (lambda s: s)
    name = ref.qualname
    parts: list[str] = []
    if rule.status in ("translated", "structural"):
        parts.append(f"{bold(code(name))} → TensorFlow: {code(rule.tf or '?')}")
        parts.append(rule.summary)
        if rule.status == "translated":
            parts.append("`xlate to-tf` rewrites it into TensorFlow low-level code." if markdown
                         else "xlate to-tf rewrites it into TensorFlow low-level code.")
        else:
            parts.append("Translated as part of the model structure (a tf.Module).")
    else:
        what = "is not in Keras 3" if rule.status == "removed" else "has no TensorFlow low-level counterpart"
        xl = "XL102" if rule.status == "removed" else "XL101"
        parts.append(f"{bold(code(name))} {what} ({xl})")
        parts.append(rule.summary)
        parts.append(f"{bold('Why:')} {rule.reason}")
        if rule.replaced_by:
            parts.append(f"{bold('Replaced by:')} {code(rule.replaced_by)}")
        parts.append(f"{bold('Instead:')} {rule.instead}")
    return "\n\n".join(p for p in parts if p)
