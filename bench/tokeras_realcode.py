"""to-keras alone on the real-code corpus: weight variables and layer-like ops raised, per repository.

    PYTHONPATH=src python bench/tokeras_realcode.py [--json OUT.json] [--out DIR] [--only REPO]

The same files and the same counting as ``bench/realcode.py``'s to-keras part (files that use
plain TensorFlow; ``tf.Variable(...)`` calls and layer-like op calls before and after; crashes,
unstable and unparsable outputs), without to-tf, lint and ruff: about 20 s for the whole
corpus instead of many minutes. ``--out DIR`` keeps each changed file's translation (to read
what was raised, or what stays). Nothing of the corpus is executed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realcode as rc

from kerastf_xlate.tokeras import make_transform


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=rc.DEFAULT_CORPUS)
    ap.add_argument("--only", action="append", help="only repositories whose folder contains this (repeatable)")
    ap.add_argument("--json", help="per-file records and per-repo totals")
    ap.add_argument("--out", help="write each changed file's translation under DIR/<repo>/<path>")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    records = []
    by_repo: dict[str, Counter[str]] = {}
    for repo, path in rc.list_files(args.corpus, args.only, None, 0):
        full = os.path.join(args.corpus, repo, path)
        data = Path(full).read_bytes()
        text = rc.program_text(full, data)
        tree = rc.parse_or_none(text) if text is not None else None
        if tree is None:
            continue
        use = rc.tf_use(tree)
        if not use.plain_tf:
            continue
        wuse = rc.weight_use(tree)
        res = rc.run_translator(full, data, make_transform())
        after = use
        wafter = wuse
        if res.output is not None and res.output != data:
            new_text = rc.program_text(full, res.output)
            new_tree = rc.parse_or_none(new_text) if new_text is not None else None
            if new_tree is not None:
                after = rc.tf_use(new_tree)
                wafter = rc.weight_use(new_tree)
            if args.out:
                dest = os.path.join(args.out, repo, path)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                Path(dest).write_bytes(res.output)
        records.append({"repo": repo, "path": path, "vars_before": use.variables, "vars_after": after.variables,
                        "ops_before": use.n_ops, "ops_after": after.n_ops, "ops_left": dict(after.ops),
                        "wvars_before": sum(wuse.variables.values()), "wvars_after": rc.still_there(wuse.variables, wafter.all_variables),
                        "wops_before": sum(wuse.ops.values()), "wops_after": rc.still_there(wuse.ops, wafter.all_ops),
                        "wvars": sorted(wuse.variables), "wops": sorted(wuse.ops),
                        "wvars_left": sorted(k for k in wuse.variables if wafter.all_variables[k]),
                        "wops_left": sorted(k for k in wuse.ops if wafter.all_ops[k]),
                        "diagnostics": res.diagnostics, "crash": res.crash, "unstable": res.unstable,
                        "unparsable": res.unparsable})
        c = by_repo.setdefault(repo, Counter())
        c["files"] += 1
        for k in ("vars_before", "vars_after", "ops_before", "ops_after", "wvars_before", "wvars_after", "wops_before", "wops_after"):
            c[k] += records[-1][k]
        c["crash"] += bool(res.crash)
        c["unstable"] += res.unstable
        c["unparsable"] += res.unparsable
    total: Counter[str] = Counter()
    for c in by_repo.values():
        total.update(c)
    print("| repo | files | tf.Variable | raised | layer-like ops | raised | weight variables | raised | "
          "layer-like ops (classified) | raised | crashes | unstable | unparsable |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c in [*sorted(by_repo.items()), ("**total**", total)]:
        v, o = c["vars_before"] - c["vars_after"], c["ops_before"] - c["ops_after"]
        wv, wo = c["wvars_before"] - c["wvars_after"], c["wops_before"] - c["wops_after"]
        print(f"| {name} | {c['files']} | {c['vars_before']} | {v} ({rc._pct(v, c['vars_before'])}) | {c['ops_before']} | "
              f"{o} ({rc._pct(o, c['ops_before'])}) | {c['wvars_before']} | {wv} ({rc._pct(wv, c['wvars_before'])}) | "
              f"{c['wops_before']} | {wo} ({rc._pct(wo, c['wops_before'])}) | {c['crash']} | {c['unstable']} | {c['unparsable']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"by_repo": by_repo, "total": total, "files": records}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
