"""``xlate lint --to-keras``: what ``to-keras`` would keep as TensorFlow, without translating.

The same analysis as the translation (so the two never disagree), with the translated text
thrown away; the diagnostics go through the file's configuration (select / ignore /
per-file-ignores) and ``# noqa`` comments like every other lint finding.
"""

from __future__ import annotations

from typing import Any

from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.lint import FileResult
from kerastf_xlate.sources import (
    NOTEBOOK_SUFFIX,
    SourceError,
    cell_of,
    decode,
    join_cells,
    read_notebook,
)
from kerastf_xlate.tokeras.engine import translate_full


def lint_bytes(path: str, data: bytes, rules: Any, config: Any) -> FileResult:
    """The to-keras diagnostics of a ``.py`` file or a notebook (its cells as one program)."""
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            _, cells = read_notebook(path, data)
            joined, starts = join_cells(cells)
            try:
                diags = translate_full(joined, path, rules).diagnostics
            except SourceError as err:
                if err.line is None:
                    raise
                cell, line = cell_of(err.line, starts)
                raise SourceError(path, f"cell {cell}: {err.message}", line, err.col) from None
            out = []
            for d in diags:
                cell, line = cell_of(d.line, starts)
                out.append(Diagnostic(d.path, line, d.col, d.code, d.message, d.severity, None, None, cell, d.fix))
            diags = out
        else:
            diags = translate_full(decode(path, data).text, path, rules).diagnostics
    except SourceError as err:
        return FileResult(path, error=err)
    except RecursionError:
        return FileResult(path, error=SourceError(path, "too deeply nested to analyse"))
    return FileResult(path, sorted(d for d in diags if config.enabled(d.code, path)))
