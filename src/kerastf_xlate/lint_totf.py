"""``xlate lint`` as users run it: what ``to-tf`` would report, in lint's terms.

:mod:`kerastf_xlate.lint` finds the layers and arguments that may block a translation; which
of them block the translation ``to-tf`` actually does depends on the form it chooses (the
flat form writes some values inline that the program form's bundled classes take as they
are: ``Conv1D(groups=4)``), and the reasons it keeps a whole model, class or program as Keras
(XL301..XL311: a builder it cannot follow, a Keras-only API on the model, training code it
cannot reproduce...) come from its own analysis. This module runs that analysis (static, like
lint: to-tf never imports TensorFlow or Keras nor runs the user's code) and hands its
diagnostics to lint, which reports a layer finding where to-tf reports it and filters
everything with the configuration and ``# noqa`` comments like its own.

It sits above both engines (lint is below to-tf in the package's layers), and is what the
command line and the language server call.
"""

from __future__ import annotations

import re

from kerastf_xlate.codes import CODES
from kerastf_xlate.config import Config
from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.lint import Extra, FileResult
from kerastf_xlate.lint import lint_bytes as _lint_bytes
from kerastf_xlate.lint import lint_text as _lint_text
from kerastf_xlate.rules import RuleSet

__all__ = ["lint_bytes", "lint_text", "totf_diagnostics"]


# What to-tf translates as a unit, and so may keep as Keras with a reason: a model, an Input,
# a Layer or Model subclass. A source without any of these words has nothing of that kind;
# to-tf's word on its layer calls matters only where lint found an argument that may block a
# translation (XL2xx: the form to-tf chooses decides). Otherwise lint does not load to-tf (nor
# LibCST) at all, which keeps it fast on every keystroke in an editor.
_UNIT_WORDS = re.compile(r"\b(?:Model|Sequential|Input|InputLayer|Layer)\b")


def totf_diagnostics(text: str, path: str, rules: RuleSet | None = None) -> list[Diagnostic]:
    """What ``xlate to-tf`` reports for ``text`` (its diagnostics; the translation is dropped).

    A failure of the translator (its own parser refusing what ``ast`` took, a bug) is
    ``to-tf``'s to report; this then gives no diagnostics."""
    return _totf_or_none(text, path, rules, False) or []


def _totf_or_none(text: str, path: str, rules: RuleSet | None, arguments: bool) -> list[Diagnostic] | None:
    """:func:`totf_diagnostics`, or None when to-tf's analysis did not run or failed (lint then
    reports its own findings that block the program form); ``arguments``: lint found an
    argument that may block a translation (``lint.Extra``)."""
    if not arguments and not _UNIT_WORDS.search(text):
        return None
    from kerastf_xlate.totf import translate

    try:
        _, diags = translate(text, path, rules=rules)
    except Exception:  # see totf_diagnostics: never a traceback from lint
        return None
    return diags


# the codes to-tf's analysis decides: its layer findings (XL1xx, XL2xx) and its reasons for
# keeping code as Keras (XL3xx)
_TOTF_CODES = tuple(c for c in CODES if c.startswith(("XL1", "XL2", "XL3")))


def _extra(path: str, rules: RuleSet, config: Config) -> Extra | None:
    """to-tf's analysis, unless the configuration reports none of the codes it decides for
    ``path`` (``--select XL001``, which never loads to-tf)."""
    if not any(config.enabled(c, path) for c in _TOTF_CODES):
        return None
    return lambda t, p, arguments: _totf_or_none(t, p, rules, arguments)


def lint_text(text: str, path: str, rules: RuleSet, config: Config, cell: int | None = None) -> list[Diagnostic]:
    """:func:`kerastf_xlate.lint.lint_text` held to what to-tf reports."""
    return _lint_text(text, path, rules, config, cell, extra=_extra(path, rules, config))


def lint_bytes(path: str, data: bytes, rules: RuleSet, config: Config) -> FileResult:
    """:func:`kerastf_xlate.lint.lint_bytes` held to what to-tf reports."""
    return _lint_bytes(path, data, rules, config, extra=_extra(path, rules, config))
