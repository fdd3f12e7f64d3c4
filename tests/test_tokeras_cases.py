"""Whole-file cases of ``to-keras`` (Black's format, as ``tests/cases/totf`` for to-tf).

``tests/cases/tokeras/*.py``: the input, a line ``# output``, then the expected output and,
after a line ``# diagnostics``, one ``# LINE:COL: CODE`` comment per finding.
``XLATE_REGEN=1 pytest tests/test_tokeras_cases.py`` rewrites the expectations after a
deliberate change; review the diff before committing. Every case's output parses, and a
second run changes nothing.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from kerastf_xlate.tokeras import translate

CASES = sorted((Path(__file__).parent / "cases" / "tokeras").glob("*.py"))
MARK = "# output\n"
DIAGS = "# diagnostics\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_whole_file_case(case: Path) -> None:
    text = case.read_text()
    source, _, expected = text.partition(MARK)
    out, diags = translate(source, case.name)
    found = "".join(f"# {d.line}:{d.col + 1}: {d.code}\n" for d in diags)
    if os.environ.get("XLATE_REGEN"):
        case.write_text(source + MARK + out + DIAGS + found)
        pytest.skip("regenerated")
    expected_out, _, expected_diags = expected.partition(DIAGS)
    assert out == expected_out
    assert found == expected_diags
    ast.parse(out)
    again, _ = translate(out, case.name)
    assert again == out, "a second run must change nothing"
