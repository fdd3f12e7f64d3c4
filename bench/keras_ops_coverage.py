"""How much of ``keras.ops`` the table translates, and how much of what real code uses (not a test).

Every public function of ``keras.ops``, ``keras.ops.nn``, ``keras.ops.numpy``,
``keras.ops.linalg`` and ``keras.ops.image`` of the installed Keras (one function counted once,
under its ``keras.ops`` name; ``keras.ops.image.*`` and ``keras.ops.linalg.*`` only there), looked
up in ``rules/keras_api/ops.toml``: ``translated`` (a template or a runtime helper, executed against
Keras by tests/test_keras_api.py), ``not-yet`` (could be translated, is not yet) or ``blocked``
(nothing in TensorFlow means the same; the entry says why). Then the static uses in a corpus of
real code (every ``.py`` and ``.ipynb`` file, each Keras reference resolved through its imports
as the program form resolves it, for every Keras root: ``keras``, ``tf.keras``, ``keras.src``...),
per function. With ``--all`` the other namespaces of the table (``keras.backend``,
``keras.activations``, ``keras.random``...) are counted too, for what real code uses.

    PYTHONPATH=src python bench/keras_ops_coverage.py [--corpus /work/corpus] [--json out.json] [--all]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SUBSPACES = ("nn", "numpy", "linalg", "image")


def public_ops() -> list[str]:
    """Every public ``keras.ops`` function once: ``keras.ops.mean``, ``keras.ops.image.resize``."""
    import keras

    names: set[str] = set()
    top = {n for n in dir(keras.ops) if not n.startswith("_") and not inspect.ismodule(getattr(keras.ops, n))}
    names.update(f"keras.ops.{n}" for n in top)
    for sub in SUBSPACES:
        mod = getattr(keras.ops, sub)
        for n in dir(mod):
            if n.startswith("_") or inspect.ismodule(getattr(mod, n)):
                continue
            if n in top and getattr(keras.ops, n) is getattr(mod, n):
                continue  # keras.ops.nn.relu is keras.ops.relu
            names.add(f"keras.ops.{sub}.{n}")
    return sorted(names)


def corpus_uses(root: Path, prefixes: tuple[str, ...]) -> tuple[Counter[str], Counter[str]]:
    """(uses, files) per canonical Keras name under ``prefixes``, over the corpus's files."""
    from realcode import parse_or_none, program_text

    from kerastf_xlate.totf.program.names import keras_refs

    uses: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".ipynb") or not path.is_file():
            continue
        text = program_text(str(path), path.read_bytes())
        tree = parse_or_none(text) if text is not None else None
        if tree is None:
            continue
        seen = set()
        for ref in keras_refs(tree):
            if ref.name.startswith(prefixes) and ref.role in ("call", "value"):
                uses[ref.name] += 1
                seen.add(ref.name)
        for name in seen:
            files[name] += 1
    return uses, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="/work/corpus", help="directory of real code (default /work/corpus)")
    parser.add_argument("--json", help="write the per-function figures to this file")
    parser.add_argument("--all", action="store_true", help="also count the table's other namespaces in the corpus")
    args = parser.parse_args(argv)

    from kerastf_xlate.totf.program.keras_api import default_api

    table = default_api()
    names = public_ops()
    status: dict[str, str] = {}
    for n in names:
        e = table.get(n)
        status[n] = e.status if e is not None else "no entry"
    prefixes = ("keras.",) if args.all else ("keras.ops.",)
    uses, files = corpus_uses(Path(args.corpus), prefixes)
    public = set(names)
    for counter in (uses, files):  # keras.ops.nn.softmax is keras.ops.softmax: one function, counted once
        for n in list(counter):
            parts = n.split(".")
            if n.startswith("keras.ops.") and n not in public and len(parts) == 4 and parts[2] in SUBSPACES:
                short = f"keras.ops.{parts[3]}"
                if short in public:
                    counter[short] += counter.pop(n)

    def entry_status(n: str) -> str:
        e = table.get(n)
        if e is not None:
            return e.status
        # real code can name what Keras does not export (keras.ops.random.uniform raises AttributeError)
        return "no entry" if n in public else "not in Keras"

    # a Keras name real code uses, of the table's namespaces (ops, or all with --all)
    spaces = ("keras.ops.",) if not args.all else tuple(f"{ns}." for ns in table.namespaces)
    used = sorted((n for n in uses if n.startswith(spaces) and (table.get(n) is not None or n.startswith("keras.ops."))),
                  key=lambda n: (-uses[n], n))
    counts = Counter(status.values())
    total = len(names)
    print("# keras.ops coverage\n")
    print(f"Public keras.ops functions of the installed Keras: {total}")
    for s in ("translated", "not-yet", "blocked", "no entry"):
        print(f"- {s}: {counts.get(s, 0)}")
    print(f"\nShare translated: {counts.get('translated', 0)}/{total} = {100 * counts.get('translated', 0) / total:.1f}%")
    ops_used = [n for n in used if n.startswith("keras.ops.") and n in public]
    ops_used_ok = [n for n in ops_used if entry_status(n) == "translated"]
    n_uses = sum(uses[n] for n in ops_used)
    n_uses_ok = sum(uses[n] for n in ops_used_ok)
    print(f"\nkeras.ops functions used in the corpus: {len(ops_used)} ({n_uses} uses); "
          f"translated: {len(ops_used_ok)}/{len(ops_used)} functions, {n_uses_ok}/{n_uses} uses")
    print("\n| function | status | uses | files |\n|---|---|---|---|")
    for n in used:
        print(f"| `{n}` | {entry_status(n)} | {uses[n]} | {files[n]} |")
    missing = [n for n in names if status[n] != "translated"]
    print("\nNot translated (every public keras.ops function):\n")
    for n in missing:
        e = table.get(n)
        print(f"- `{n}` ({status[n]}, {uses.get(n, 0)} uses): {e.blocks if e is not None else ''}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "total": total, "status": status, "counts": dict(counts),
            "uses": {n: uses[n] for n in used}, "files": {n: files[n] for n in used},
            "used_status": {n: entry_status(n) for n in used},
        }, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

