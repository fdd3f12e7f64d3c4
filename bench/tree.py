"""Directory runs of ``to-tf`` on the real-code corpus: each repository translated as one program.

``bench/realcode.py`` translates every file on its own, so it cannot see what a directory run
does across files: the grouping that keeps files sharing model code all translated or all
Keras (``kerastf_xlate.tree.reconcile``) and the second phase that translates subclasses of
translated classes of other files (docs/design.md, "Class hierarchies over several files").
This script runs, per repository, on its files as they are (nothing is copied or written
there; nothing is executed):

- **per file**: every file translated alone, as ``realcode.py`` does (through the runner,
  whose safety net leaves a file that fails its checks as it was);
- **tree, one phase**: those results made consistent across the files (the grouping only);
- **second phase, ungrouped**: the subclasses of translated classes of other files translated
  again knowing their bases, before the grouping (what the grouping then has to keep whole);
- **tree**: the directory run as ``xlate to-tf DIR`` does it (second phase, then grouping).

and counts Keras layer constructor calls before and after with ``realcode.py``'s counter.
``--dir PATH`` runs any directory as one repository (a fuller checkout of a library).

    python bench/tree.py --only keras-team+keras-hub --json /tmp/tree.json > /tmp/tree.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realcode import DEFAULT_CORPUS, _rules, layer_calls, parse_or_none, program_text

from kerastf_xlate.runner import TransformResult, run_parallel, transform_file
from kerastf_xlate.sources import iter_files
from kerastf_xlate.totf import make_transform
from kerastf_xlate.tree import reconcile, second_phase


def _calls(path: str, data: bytes | None) -> int:
    if data is None:
        return 0
    text = program_text(path, data)
    tree = parse_or_none(text) if text is not None else None
    return layer_calls(tree, _rules()).n_all if tree is not None else 0


def _worker(path: str) -> TransformResult:
    return transform_file(path, make_transform())


def run_repo(root: str, jobs: int) -> dict[str, Any]:
    files = [f for f in iter_files([root], (), []) if os.path.realpath(f).startswith(os.path.realpath(root))]
    start = time.perf_counter()
    alone: list[TransformResult] = run_parallel(_worker, files, jobs)  # type: ignore[assignment]
    t_alone = time.perf_counter() - start
    start = time.perf_counter()
    grouped = reconcile(alone, [root])
    t_grouped = time.perf_counter() - start
    start = time.perf_counter()
    phase2 = second_phase(alone, [root], partial(make_transform))
    whole = reconcile(phase2, [root])
    t_whole = time.perf_counter() - start
    rows = []
    for a, g, p2, w in zip(alone, grouped, phase2, whole):
        before = _calls(a.path, a.original)

        def after(r: TransformResult, before: int = before) -> int:
            return _calls(r.path, r.output) if r.output is not None and r.changed else before

        rows.append({"path": os.path.relpath(a.path, root), "before": before, "alone": before - after(a),
                     "one_phase": before - after(g), "ungrouped": before - after(p2), "tree": before - after(w),
                     "retranslated": p2 is not a,
                     "reasons": Counter(_reason(d.message) for d in p2.diagnostics if d.code in ("XL201", "XL203", "XL301", "XL310"))
                     .most_common(3)})
    total = {k: sum(r[k] for r in rows) for k in ("before", "alone", "one_phase", "ungrouped", "tree")}
    total["retranslated"] = sum(r["retranslated"] for r in rows)
    return {"root": root, "files": len(rows), "rows": rows, "total": total,
            "seconds": {"alone": round(t_alone, 1), "one_phase": round(t_grouped, 1), "second_phase": round(t_whole, 1)}}


def _reason(message: str) -> str:
    """A diagnostic's message without its particulars (quoted code), to count reasons."""
    return re.sub(r"`[^`]*`", "`…`", message)[:100]


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "n/a"


def render(repos: list[dict[str, Any]]) -> str:
    out = ["| repository | files | layer calls | per file | tree, one phase | second phase, ungrouped (files) | tree |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in repos:
        t = r["total"]
        out.append(f"| {os.path.basename(r['root'].rstrip('/'))} | {r['files']} | {t['before']} | "
                   f"{t['alone']} ({_pct(t['alone'], t['before'])}) | {t['one_phase']} ({_pct(t['one_phase'], t['before'])}) | "
                   f"{t['ungrouped']} ({_pct(t['ungrouped'], t['before'])}; {t['retranslated']}) | "
                   f"{t['tree']} ({_pct(t['tree'], t['before'])}) |")
    out.append("")
    for r in repos:
        again = [row for row in r["rows"] if row["retranslated"]]
        if again:
            kept = Counter(reason for row in again if row["ungrouped"] < row["before"] for reason, _ in row["reasons"])
            done = sum(1 for row in again if row["ungrouped"] == row["before"])
            out.append(f"Second phase in {os.path.basename(r['root'].rstrip('/'))}: {len(again)} files translated again "
                       f"knowing their bases, {done} of them wholly; what keeps the others (files):")
            out += [f"- {n} × {reason}" for reason, n in kept.most_common(12)]
            out.append("")
    for r in repos:
        changed = [row for row in r["rows"] if row["tree"] != row["alone"]]
        if changed:
            out.append(f"Files whose figure the directory run changes in {os.path.basename(r['root'].rstrip('/'))} "
                       "(removed: per file -> tree):")
            out += [f"- {row['path']}: {row['alone']} -> {row['tree']} of {row['before']}" for row in changed]
            out.append("")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--only", action="append", help="repository folder substring (repeatable)")
    ap.add_argument("--dir", action="append", default=[], help="a directory to run as one repository (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--json", help="write every file's figures here")
    args = ap.parse_args(argv)
    roots = list(args.dir)
    if args.only or not roots:
        roots += [os.path.join(args.corpus, d) for d in sorted(os.listdir(args.corpus))
                  if os.path.isdir(os.path.join(args.corpus, d)) and (not args.only or any(o in d for o in args.only))]
    repos = []
    for root in roots:
        repos.append(run_repo(root, args.jobs))
        if args.json:  # after every repository: a long run interrupted keeps what it measured
            Path(args.json).write_text(json.dumps(repos, indent=1))
    sys.stdout.write(render(repos))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
