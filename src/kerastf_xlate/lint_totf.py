"""``xlate lint`` as users run it: lint's findings plus what ``to-tf`` would report.

:mod:`kerastf_xlate.lint` reports the layers and arguments that block a translation; the
reasons ``to-tf`` keeps a whole model, class or program as Keras (XL301..XL310: a builder
it cannot follow, a Keras-only API on the model, training code it cannot reproduce...) come
from to-tf's own analysis. This module runs that analysis (static, like lint: to-tf never
imports TensorFlow or Keras nor runs the user's code) and hands its diagnostics to lint,
which filters them with the configuration and ``# noqa`` comments like its own.

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
# a Layer or Model subclass. A source without any of these words has nothing of that kind,
# and lint's own findings are all to-tf would say about its layer calls; lint then does not
# load to-tf (nor LibCST) at all, which keeps it fast on every keystroke in an editor.
_UNIT_WORDS = re.compile(r"\b(?:Model|Sequential|Input|InputLayer|Layer)\b")


def totf_diagnostics(text: str, path: str, rules: RuleSet | None = None) -> list[Diagnostic]:
    """What ``xlate to-tf`` reports for ``text`` (its diagnostics; the translation is dropped).

    A failure of the translator (its own parser refusing what ``ast`` took, a bug) is
    ``to-tf``'s to report; lint then reports its own findings only."""
    if not _UNIT_WORDS.search(text):
        return []
    from kerastf_xlate.totf import translate

    try:
        _, diags = translate(text, path, rules=rules)
    except Exception:  # see the docstring: never a traceback from lint
        return []
    return diags


_KEPT_CODES = tuple(c for c in CODES if c.startswith("XL3"))


def _extra(path: str, rules: RuleSet, config: Config) -> Extra | None:
    """to-tf's analysis, unless the configuration reports none of its XL3xx codes for
    ``path`` (``--ignore XL3``: the layer-level lint alone, which never loads to-tf)."""
    if not any(config.enabled(c, path) for c in _KEPT_CODES):
        return None
    return lambda t, p: totf_diagnostics(t, p, rules)


def lint_text(text: str, path: str, rules: RuleSet, config: Config, cell: int | None = None) -> list[Diagnostic]:
    """:func:`kerastf_xlate.lint.lint_text` with to-tf's reasons for keeping models as Keras."""
    return _lint_text(text, path, rules, config, cell, extra=_extra(path, rules, config))


def lint_bytes(path: str, data: bytes, rules: RuleSet, config: Config) -> FileResult:
    """:func:`kerastf_xlate.lint.lint_bytes` with to-tf's reasons for keeping models as Keras."""
    return _lint_bytes(path, data, rules, config, extra=_extra(path, rules, config))
