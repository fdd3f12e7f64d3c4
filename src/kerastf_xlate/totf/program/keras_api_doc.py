"""docs/keras-api.md, generated from the keras_api table (``rules/keras_api/*.toml``).

Regenerate after editing the table::

    python -m kerastf_xlate.totf.program.keras_api_doc > docs/keras-api.md

tests/test_keras_api.py keeps the file in sync.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kerastf_xlate.totf.program.keras_api import ApiTable, Entry, default_api

_STATUS = {"translated": "translated", "blocked": "blocked", "not-yet": "not yet"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _translation(entry: Entry) -> str:
    if entry.blocks is not None:
        return ("not yet: " if entry.todo else "blocks: ") + _cell(entry.blocks.removeprefix("not translated yet: "))
    parts = []
    for t in entry.templates:
        when = " and ".join(c.text for c in t.when)
        parts.append(f"`{_cell(t.tf)}`" + (f" when {_cell(when)}" if when else ""))
    if entry.helper:
        parts.append(f"otherwise `{entry.helper}(...)`" if parts else f"`{entry.helper}(...)`")
    if not parts and entry.reference:
        parts.append(f"`{_cell(entry.reference)}`")
    return "; ".join(parts)


def _namespace(entry: Entry) -> str:
    """The namespace of the entry's file: its first name without the key (``image.resize``)."""
    first = entry.names[0]
    return first[: -len(entry.key) - 1] if first.endswith("." + entry.key) else first.rsplit(".", 1)[0]


def render_markdown(table: ApiTable | None = None) -> str:
    table = table or default_api()
    by_file: dict[str, list[Entry]] = {}
    for e in table:
        by_file.setdefault(Path(e.path).stem, []).append(e)
    out = [
        "# Keras functions as TensorFlow (`keras.ops`, `keras.activations`, `keras.random`, ...)",
        "",
        "Generated from `rules/keras_api/*.toml` by "
        "`python -m kerastf_xlate.totf.program.keras_api_doc > docs/keras-api.md`; do not edit by hand.",
        "",
        "The program form of `xlate to-tf` replaces each call of these functions by TensorFlow. A "
        "template (`tf.reduce_mean(x, axis=1)`) is used when its conditions hold for the call's "
        "arguments as written: literal values, and the dtypes the translator knows or assumes "
        "(`dtype(x, 'float')`: a floating tensor; `promotes(a, b)`: Keras's dtype promotion of the two "
        "operands is what TensorFlow does, i.e. nothing to promote). Otherwise the runtime helper is "
        "called with the arguments unchanged: it takes Keras's signature and reproduces Keras's "
        "result for every input (its source is copied into the translated file from "
        "`src/kerastf_xlate/runtime/tfr_ops.py` / `tfr_random.py`). Each entry is executed against "
        "Keras in `tests/test_keras_api.py` (float32 tolerance 1e-5 unless the entry says otherwise).",
        "",
        "Assumptions of a translated program: Keras's configuration keeps its defaults "
        "(`floatx()` float32, `epsilon()` 1e-07, `image_data_format()` channels_last); code that "
        "sets other values blocks.",
        "",
        "## Coverage",
        "",
        "| namespace | functions | translated | blocked | not yet |",
        "|---|---|---|---|---|",
    ]
    total = {"translated": 0, "blocked": 0, "not-yet": 0}
    for _name, entries in sorted(by_file.items()):
        counts = {k: sum(1 for e in entries if e.status == k) for k in total}
        for k in total:
            total[k] += counts[k]
        ns = _namespace(entries[0])
        out.append(f"| `{ns}` | {len(entries)} | {counts['translated']} | {counts['blocked']} | {counts['not-yet']} |")
    out.append(f"| all | {sum(total.values())} | {total['translated']} | {total['blocked']} | {total['not-yet']} |")
    out.append("")
    out.append("Each row is one function; its other names (`keras.ops.numpy.mean`, lower-case aliases) "
               "translate the same way.")
    for _name, entries in sorted(by_file.items()):
        first = entries[0]
        title = _namespace(first)
        out += ["", f"## `{title}` ({Path(first.path).name})", "",
                "| function | status | translation | notes |", "|---|---|---|---|"]
        for e in sorted(entries, key=lambda e: e.key):
            sig = f"{e.key}({e.signature})"
            notes = _cell(e.notes or "")
            loose = max((t.atol for t in e.tests), default=1e-5)
            if loose > 1e-5:
                notes = (notes + " " if notes else "") + f"(tested to atol {loose:g})"
            if any(not t.values for t in e.tests):
                notes = (notes + " " if notes else "") + "(random draws: tested for shape and dtype)"
            out.append(f"| `{_cell(sig)}` | {_STATUS[e.status]} | {_translation(e)} | {notes} |")
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(render_markdown())


if __name__ == "__main__":
    main()
