"""The round trip on real code: ``to-tf(to-keras(to-tf(F))) == to-tf(F)`` (issue #17).

    PYTHONPATH=src python bench/tokeras_fixed_point.py FILE.py|FILE.ipynb ...

For each file that ``to-tf`` changes (a notebook's code cells joined, magics dropped, as
``bench/tokeras_share.py`` reads it), whether translating the result back with ``to-keras``
and again with ``to-tf`` gives the same text, character for character. Prints the first
lines of each difference, each internal error, and the count. Static (nothing is executed).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from kerastf_xlate.sources import SourceError
from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf

sys.path.insert(0, str(Path(__file__).parent))
from tokeras_share import source_of


def main(paths: list[str]) -> None:
    n = same = 0
    for p in map(Path, paths):
        try:
            text = source_of(p)
            once, _ = to_tf(text, str(p))
        except (SyntaxError, SourceError):
            continue
        if once == text:
            continue
        n += 1
        try:
            back, _ = to_keras(once, str(p))
            twice, _ = to_tf(back, str(p))
        except SourceError as exc:
            print(f"error  {p}: {exc}")
            continue
        if twice == once:
            same += 1
            continue
        diff = list(difflib.unified_diff(once.splitlines(), twice.splitlines(), lineterm="", n=0))
        print(f"differs {p} ({len(diff)} diff lines)")
        print("\n".join("    " + line for line in diff[2:12]))
    print(f"fixed point: {same}/{n} files to-tf changes")


if __name__ == "__main__":
    main(sys.argv[1:])
