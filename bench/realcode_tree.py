"""Real code a repository at a time: ``xlate to-tf REPO -o OUT``, the directory run.

``bench/realcode.py`` translates every file alone, as ``xlate to-tf model.py`` does. A user
with a repository may run ``xlate to-tf repo/`` instead: the run treats the tree as one
program (``kerastf_xlate/tree.py``): a file whose models are built with another file's blocks
translates when that file translates in the same run, and files sharing model code come out
all translated or all as they were. This script measures that, per repository of a corpus
made by ``realcode.py --export``:

- layer calls with a TensorFlow counterpart, before and after (counted as ``realcode.py``
  counts them, on the mirrored output tree);
- outputs that do not parse, and whether a second directory run over the output changes
  any file (it must not);
- ruff's F821 (undefined name) findings the outputs add to their originals;
- the command's exit status and time.

It runs the installed command (``python -m kerastf_xlate``) in a subprocess, reads only the
corpus and writes only under ``--out`` (a temporary folder by default). Nothing is executed
of the translated code: the executed checks are ``realcode_models.py`` and the tests.

    python bench/realcode_tree.py --corpus /work/corpus10 [--json out.json] [--only NAME]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realcode as rc

RUFF_F821 = "F821"


def _sources(folder: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [os.path.relpath(os.path.join(dirpath, f), folder) for f in sorted(filenames)
                if f.endswith((".py", rc.NOTEBOOK_SUFFIX))]
    return sorted(out)


def _tree(path: str) -> ast.Module | None:
    try:
        text = rc.program_text(path, Path(path).read_bytes())
    except OSError:
        return None
    return rc.parse_or_none(text) if text is not None else None


def _run(args: list[str]) -> tuple[int, float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", *args], capture_output=True, text=True)
    return proc.returncode, time.perf_counter() - start, proc.stderr[-2000:]


def _f821(paths: list[str], ruff: str) -> Counter[str]:
    found = rc.ruff_findings(paths, ruff)
    return Counter({p: sum(1 for m in ms if m.startswith(RUFF_F821)) for p, ms in found.items()})


def measure(repo_dir: str, work: str, jobs: int, ruff: str | None) -> dict[str, Any]:
    """One repository: translate it as a directory, count, check."""
    name = os.path.basename(repo_dir.rstrip(os.sep))
    out, again = os.path.join(work, name, "out"), os.path.join(work, name, "again")
    for d in (out, again):
        shutil.rmtree(d, ignore_errors=True)
    rec: dict[str, Any] = {"repo": name}
    rec["rc"], rec["seconds"], rec["stderr_tail"] = _run(["to-tf", repo_dir, "-o", out, "-q", "-j", str(jobs)])
    files = _sources(repo_dir)
    rules = rc._rules()
    before = after = changed = unparsable = 0
    changed_pairs: list[tuple[str, str]] = []
    for f in files:
        src, dst = os.path.join(repo_dir, f), os.path.join(out, f)
        t0 = _tree(src)
        if t0 is None:
            continue
        n0 = rc.layer_calls(t0, rules).n_counterpart
        before += n0
        if not os.path.exists(dst) or Path(dst).read_bytes() == Path(src).read_bytes():
            after += n0
            continue
        changed += 1
        changed_pairs.append((src, dst))
        t1 = _tree(dst)
        if t1 is None:
            unparsable += 1
            after += n0  # counted as kept: an output that does not parse is no translation
            continue
        after += rc.layer_calls(t1, rules).n_counterpart
    rec.update(files=len(files), calls=before, left=after, changed=changed, unparsable=unparsable)
    # a second run over the output changes nothing
    rec["rc_again"], _, _ = _run(["to-tf", out, "-o", again, "-q", "-j", str(jobs)])
    rec["unstable"] = sorted(f for f in _sources(out) if os.path.exists(os.path.join(again, f))
                             and Path(os.path.join(again, f)).read_bytes() != Path(os.path.join(out, f)).read_bytes())
    if ruff and changed_pairs:
        b = _f821([s for s, _ in changed_pairs], ruff)
        a = _f821([d for _, d in changed_pairs], ruff)
        rec["new_f821_files"] = sorted(os.path.relpath(s, repo_dir) for s, d in changed_pairs if a[d] > b[s])
    else:
        rec["new_f821_files"] = []
    return rec


def render(recs: list[dict[str, Any]], per_file: dict[str, tuple[int, int]]) -> str:
    head = ("| repo | files | layer calls (with counterpart) | gone, file by file | gone, directory run | files changed "
            "| unparsable | unstable | +F821 files | exit | s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    rows = []
    tot = Counter()
    for r in recs:
        gone = r["calls"] - r["left"]
        pf = per_file.get(r["repo"])
        pf_txt = f"{pf[1]} ({rc._pct(pf[1], pf[0])})" if pf else "-"
        rows.append(f"| {r['repo']} | {r['files']} | {r['calls']} | {pf_txt} | {gone} ({rc._pct(gone, r['calls'])}) "
                    f"| {r['changed']} | {r['unparsable']} | {len(r['unstable'])} | {len(r['new_f821_files'])} "
                    f"| {r['rc']} | {r['seconds']:.1f} |")
        tot.update(calls=r["calls"], gone=gone, files=r["files"], changed=r["changed"], unparsable=r["unparsable"],
                   unstable=len(r["unstable"]), f821=len(r["new_f821_files"]))
        if pf:
            tot.update(pf_calls=pf[0], pf_gone=pf[1])
    pf_tot = f"{tot['pf_gone']} ({rc._pct(tot['pf_gone'], tot['pf_calls'])})" if per_file else "-"
    rows.append(f"| **total** | {tot['files']} | {tot['calls']} | {pf_tot} | {tot['gone']} ({rc._pct(tot['gone'], tot['calls'])}) "
                f"| {tot['changed']} | {tot['unparsable']} | {tot['unstable']} | {tot['f821']} | | |")
    return head + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=rc.DEFAULT_CORPUS)
    ap.add_argument("--only", action="append", help="only repositories whose folder contains this (repeatable)")
    ap.add_argument("--out", help="where the output trees go (default: a temporary folder, removed)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", help="write the per-repository records here")
    ap.add_argument("--per-file", help="a realcode.py --json of the same corpus, for the file-by-file column")
    ap.add_argument("--ruff", default=shutil.which("ruff") or str(Path(sys.executable).with_name("ruff")))
    ap.add_argument("--no-ruff", action="store_true")
    args = ap.parse_args(argv)
    repos = [os.path.join(args.corpus, d) for d in sorted(os.listdir(args.corpus))
             if os.path.isdir(os.path.join(args.corpus, d)) and not d.startswith(".")
             and (not args.only or any(o.replace("/", "+") in d for o in args.only))]
    per_file: dict[str, tuple[int, int]] = {}
    if args.per_file:
        for f in json.loads(Path(args.per_file).read_text())["files"]:
            calls, left = f.get("cp_before", 0), f.get("cp_after", 0)
            c, g = per_file.get(f["repo"], (0, 0))
            per_file[f["repo"]] = (c + calls, g + calls - left)
    work = args.out or tempfile.mkdtemp(prefix="xlate-tree-")
    try:
        recs = [measure(r, work, args.jobs, None if args.no_ruff else args.ruff) for r in repos]
    finally:
        if not args.out:
            shutil.rmtree(work, ignore_errors=True)
    print(f"## Real code, a repository at a time: `xlate to-tf REPO -o OUT` ({args.corpus}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {rc._git_head()})\n")
    print(render(recs, per_file))
    for r in recs:
        if r["unstable"] or r["new_f821_files"] or r["rc"] not in (0, 1) or r["unparsable"]:
            print(f"- {r['repo']}: exit {r['rc']}, unstable {r['unstable'][:5]}, +F821 {r['new_f821_files'][:5]}, "
                  f"unparsable {r['unparsable']}; {r['stderr_tail'][-300:] if r['rc'] not in (0, 1) else ''}")
    if args.json:
        Path(args.json).write_text(json.dumps({"repos": recs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
