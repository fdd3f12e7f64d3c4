"""Views of the rule table for ``xlate rules``: plain text, Markdown (docs/mapping.md), JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable

from kerastf_xlate.rules import CATEGORIES, Rule


def _ordered(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (CATEGORIES.index(r.category), r.layer))


def _counterpart(rule: Rule) -> str:
    if rule.has_counterpart:
        return rule.tf or ""
    if rule.status == "removed":
        return "removed in Keras 3" + (f" (use {rule.replaced_by})" if rule.replaced_by else "")
    return "none"


def render_table(rules: Iterable[Rule]) -> str:
    rows = [(r.layer, r.category, r.status, _counterpart(r) if r.has_counterpart else f"{_counterpart(r)}: {r.reason}") for r in _ordered(rules)]
    w0 = max((len(r[0]) for r in rows), default=5)
    w1 = max((len(r[1]) for r in rows), default=8)
    w2 = max((len(r[2]) for r in rows), default=6)
    lines = [f"{'layer':<{w0}}  {'category':<{w1}}  {'status':<{w2}}  counterpart / why none"]
    lines += [f"{a:<{w0}}  {b:<{w1}}  {c:<{w2}}  {d}" for a, b, c, d in rows]
    translated = sum(1 for r in rows if r[2] in ("translated", "structural"))
    lines.append(f"\n{len(rows)} rules: {translated} with a counterpart, {len(rows) - translated} without.")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rules: Iterable[Rule]) -> str:
    """The corrected seed table (every seed row) followed by the Keras 3 layers it lacked."""
    rules = _ordered(rules)
    seeded = [r for r in rules if r.seed_rows]
    others = [r for r in rules if not r.seed_rows]
    head = (
        "| category | Keras layer | aliases | TensorFlow counterpart | notes |\n"
        "|---|---|---|---|---|\n"
    )

    def row(r: Rule) -> str:
        aliases = ", ".join(n for n in r.names + r.functions if n != r.layer)
        if r.has_counterpart:
            cp = f"`{_md(r.tf or '')}`"
            notes = _md(r.summary)
        else:
            cp = _md(_counterpart(r))
            notes = _md(f"{r.reason} Instead: {r.instead}")
        return f"| {r.category} | `{r.layer}` | {aliases} | {cp} | {notes} |\n"

    n_cp = sum(1 for r in rules if r.has_counterpart)
    gone = ", ".join(
        f"`{r.layer}`" + (f" (use `{r.replaced_by}`)" if r.replaced_by else "")
        for r in sorted(seeded, key=lambda r: r.layer) if r.status == "removed"
    )
    parts = [
        "# Keras layer ↔ TensorFlow mapping\n\n",
        "<!-- Written by `xlate rules --format markdown` from rules/*.toml; tests/test_docs.py keeps it in sync. -->\n\n",
        f"{len(rules)} rules: {n_cp} with a TensorFlow counterpart, {len(rules) - n_cp} without.\n\n",
        "## The seed table, corrected\n\n",
        "Every row of the project's seed mapping table. Corrections: `Flatten` keeps the batch axis "
        "(`tf.reshape(x, [tf.shape(x)[0], -1])`, not `tf.reshape(w, [-1])`); the second "
        f"\"Conv2DTranspose Layer\" row is `Conv3DTranspose`; these are gone from Keras 3: {gone}.\n\n",
        head,
        *[row(r) for r in seeded],
        "\n## Keras 3 layers beyond the seed table\n\n",
        head,
        *[row(r) for r in others],
    ]
    return "".join(parts)


def render_detail(rule: Rule) -> str:
    """Everything the rule says about one layer (``xlate rules LAYER``): what XL101/XL102
    messages point to for the why and the what-instead."""
    lines = [f"{rule.layer} ({rule.category}; status: {rule.status})"]
    aliases = [n for n in rule.names + rule.functions if n != rule.layer]
    if aliases:
        lines.append(f"  also spelled: {', '.join(aliases)}")
    lines.append(f"  TensorFlow counterpart: {_counterpart(rule)}")
    if rule.has_counterpart and rule.summary:
        lines.append(f"  {rule.summary}")
    if rule.reason:
        lines.append(f"  why: {rule.reason}")
    if rule.replaced_by:
        lines.append(f"  replaced by: {rule.replaced_by}")
    if rule.instead:
        lines.append(f"  instead: {rule.instead}")
    blocking = [a for a in rule.args if a.blocks]
    if blocking:
        lines.append("  arguments that keep it as Keras when set:")
        lines += [f"    {a.name}: {a.blocks}" for a in blocking]
    limited = [a for a in rule.args if a.values or a.supported]
    if limited:
        lines.append("  arguments translated only for some values:")
        lines += [f"    {a.name}: {', '.join(map(repr, a.values)) if a.values else ', '.join(a.supported or ())}" for a in limited]
    lines.append(f"  rule file: rules/{rule.path.replace(chr(92), '/').rsplit('/', 1)[-1]}")
    return "\n".join(lines) + "\n"


def render_json(rules: Iterable[Rule]) -> str:
    out = []
    for r in _ordered(rules):
        out.append({
            "layer": r.layer, "names": list(r.names), "functions": list(r.functions),
            "category": r.category, "status": r.status, "counterpart": r.tf,
            "symbols": list(r.symbols), "reason": r.reason, "instead": r.instead,
            "replaced_by": r.replaced_by, "seed_rows": list(r.seed_rows), "summary": r.summary,
        })
    return json.dumps(out, indent=2) + "\n"
