"""``xlate to-tf --report FILE``: a Markdown summary of a run a team can plan from.

For every file: whether it was translated, how many Keras layer calls it had and how many
are still Keras calls in the output. For the whole run: the codes that kept code as Keras,
ranked by the layer calls kept in the files where each occurs (what fixing every cause in
those files would free: an upper bound for one code when a file has several), and every
file's status. Layer calls are counted statically, with lint's resolver, in the input and
in the output (the program form's TensorFlow classes are not Keras calls any more).
"""

from __future__ import annotations

import ast
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kerastf_xlate.codes import CODES
from kerastf_xlate.resolve import find_uses
from kerastf_xlate.rules import RuleSet
from kerastf_xlate.runner import TransformResult
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, SourceError, decode, read_notebook

_STRUCTURAL = {"Input", "InputLayer", "Model", "Sequential", "Layer"}


@dataclass(frozen=True)
class FileSummary:
    path: str
    status: str  # translated | unchanged | error
    calls: int  # Keras layer calls in the input
    kept: int  # Keras layer calls still in the output
    codes: tuple[str, ...]  # the codes reported for the file, each once, in order
    error: str = ""


def layer_calls(path: str, data: bytes | None, rules: RuleSet) -> int:
    """How many calls of Keras layers (not Input/Model/Sequential) ``data`` makes."""
    if not data:
        return 0
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            _, cells = read_notebook(path, data)
            texts = [c.source for c in cells]
        else:
            texts = [decode(path, data).text]
    except SourceError:
        return 0
    count = 0
    known = set(rules.by_name)
    for text in texts:
        if "keras" not in text:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        count += sum(1 for u in find_uses(tree, known) if u.call is not None and u.layer not in _STRUCTURAL)
    return count


def summarise(results: Iterable[TransformResult], rules: RuleSet) -> list[FileSummary]:
    out = []
    for r in results:
        codes = tuple(dict.fromkeys(d.code for d in sorted(r.diagnostics)))
        calls = layer_calls(r.path, r.original, rules)
        if r.output is None:
            out.append(FileSummary(r.path, "error", calls, calls, codes, r.error or ""))
            continue
        kept = layer_calls(r.path, r.output, rules) if r.changed else calls
        out.append(FileSummary(r.path, "translated" if r.changed else "unchanged", calls, min(kept, calls), codes,
                               r.error or ""))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(files: list[FileSummary], command: str = "xlate to-tf") -> str:
    """The report (Markdown)."""
    total = sum(f.calls for f in files)
    kept = sum(f.kept for f in files)
    translated = sum(1 for f in files if f.status == "translated")
    errors = sum(1 for f in files if f.status == "error")
    with_keras = [f for f in files if f.calls]
    lines = [
        f"# `{command}` report",
        "",
        f"- Files: {len(files)}; translated: {translated}; unchanged: {len(files) - translated - errors}; "
        f"not processed (errors): {errors}.",
        f"- Files with Keras layer calls: {len(with_keras)}.",
        f"- Keras layer calls: {total}; translated: {total - kept}; still Keras: {kept}"
        + (f" ({100 * (total - kept) / total:.0f}% translated)." if total else "."),
        "",
        "## What keeps code as Keras",
        "",
    ]
    freed: Counter[str] = Counter()
    where: dict[str, list[str]] = defaultdict(list)
    for f in files:
        for code in f.codes:
            freed[code] += f.kept
            where[code].append(f.path)
    ranked = sorted(freed, key=lambda c: (-freed[c], c))
    if ranked:
        lines += [
            "Codes ranked by the Keras layer calls still in the files where they occur (fixing every cause in those "
            "files would free that many; `xlate codes CODE` explains a code).",
            "",
            "| code | what | files | layer calls still Keras in them |",
            "|---|---|---|---|",
        ]
        for code in ranked:
            info = CODES.get(code)
            lines.append(f"| {code} | {_cell(info.name if info else '')} | {len(where[code])} | {freed[code]} |")
    else:
        lines.append("Nothing was reported.")
    lines += ["", "## Files", "", "| file | status | layer calls | still Keras | codes |", "|---|---|---|---|---|"]
    for f in sorted(files, key=lambda f: f.path):
        status = f.status if not f.error else f"{f.status}: {f.error}"
        lines.append(f"| {_cell(f.path)} | {_cell(status)} | {f.calls} | {f.kept} | {', '.join(f.codes)} |")
    return "\n".join(lines) + "\n"
