"""The round trip of the program form on real code (issues #15 and #17).

    PYTHONPATH=src python bench/roundtrip.py [--json OUT] [--limit N] FILE_OR_DIR ...

For each file that ``to-tf`` changes (a notebook's code cells joined, magics dropped, as
``bench/tokeras_share.py`` reads it): which form it wrote (flat, or the program form with its
runtime block); whether ``to-keras`` raised it (the output has no runtime block) or kept it
(XL504, with the reason); whether ``to-tf(to-keras(to-tf(F))) == to-tf(F)`` byte for byte
(the fixed point); whether a second ``to-keras`` changes nothing. Static: nothing is executed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from kerastf_xlate.sources import SourceError
from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf
from kerastf_xlate.totf.program.bundle import BANNER

sys.path.insert(0, str(Path(__file__).parent))
from tokeras_share import source_of


def files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix in (".py", ".ipynb") and q.is_file())
        else:
            out.append(p)
    return out


def one(p: Path) -> dict | None:
    try:
        text = source_of(p)
        if "/tests/cases/" in f"/{p}":  # a whole-file case: its input, without the expected output
            text = text.partition("\n# output\n")[0] + "\n"
        once, _ = to_tf(text, str(p))
    except (SyntaxError, SourceError, UnicodeDecodeError, ValueError):
        return None
    if once == text:
        return None
    rec: dict = {"path": str(p), "program": BANNER in once}
    try:
        back, diags = to_keras(once, str(p))
        twice, _ = to_tf(back, str(p))
        third, _ = to_keras(back, str(p))
    except SourceError as exc:
        rec["error"] = str(exc)
        return rec
    rec["raised"] = back != once
    rec["raised_program"] = rec["program"] and BANNER not in back
    rec["fixed_point"] = twice == once
    rec["idempotent"] = third == back
    rec["kept"] = [re.sub(r"`[^`]*`", "`…`", d.message) for d in diags if d.code == "XL504"]
    return rec


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--json")
    ap.add_argument("--limit", type=int, default=0, help="stop after N files that to-tf changes")
    ap.add_argument("--sample", type=int, default=0, help="a random sample of N of the files (seeded)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    records = []
    paths = files(args.paths)
    if args.sample:
        paths = sorted(random.Random(args.seed).sample(paths, min(args.sample, len(paths))))
    for p in paths:
        rec = one(p)
        if rec is None:
            continue
        records.append(rec)
        print(f"{len(records)} {p}: {'program' if rec['program'] else 'flat'} raised={rec.get('raised_program')} "
              f"fixed={rec.get('fixed_point')} idempotent={rec.get('idempotent')}", file=sys.stderr, flush=True)
        if not rec.get("fixed_point", False) or not rec.get("idempotent", False):
            print(f"{'error' if 'error' in rec else 'differs'} {p}", file=sys.stderr)
        if args.limit and len(records) >= args.limit:
            break
    n = len(records)
    program = [r for r in records if r["program"]]
    fixed = sum(1 for r in records if r.get("fixed_point"))
    idem = sum(1 for r in records if r.get("idempotent"))
    raised = sum(1 for r in program if r.get("raised_program"))
    print(f"files to-tf changes: {n} (program form: {len(program)}, flat: {n - len(program)})")
    print(f"fixed point to-tf(to-keras(to-tf(F))) == to-tf(F): {fixed}/{n}")
    print(f"second to-keras changes nothing: {idem}/{n}")
    print(f"program form raised to Keras: {raised}/{len(program)}")
    reasons = Counter(m for r in program for m in r.get("kept", []))
    for m, c in reasons.most_common():
        print(f"  kept ({c}): {m}")
    errors = [r for r in records if "error" in r]
    print(f"errors: {len(errors)}")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
