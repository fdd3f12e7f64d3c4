"""Data-driven lint tests.

1. Every ``[[lint]]`` case of every rule file (``rules/*.toml``), one test each, with ids
   like ``LSTM-0``: the codes ``xlate lint`` reports must be exactly the ones listed.
2. Whole-file cases in ``tests/cases/lint/*.py``: the source, then a marker line and the
   expected findings as ``# LINE:COL: CODE`` comments (1-based, as ``xlate lint`` prints
   them). ``XLATE_REGEN=1 pytest tests/test_lint_cases.py`` rewrites the expectations after a
   deliberate change; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kerastf_xlate.config import Config
from kerastf_xlate.lint_totf import lint_text
from kerastf_xlate.rules import default_rules

RULES = default_rules()
CASES = [(rule, i, case) for rule in RULES for i, case in enumerate(rule.lint)]
FILES = sorted((Path(__file__).parent / "cases" / "lint").glob("*.py"))
MARK = "# --- expected (line:col: code) ---\n"


@pytest.mark.parametrize("rule, index, case", CASES, ids=[f"{r.layer}-{i}" for r, i, _ in CASES])
def test_rule_lint_case(rule, index, case) -> None:  # type: ignore[no-untyped-def]
    diags = lint_text(case.code, f"{rule.layer}_{index}.py", RULES, Config())
    assert sorted(d.code for d in diags) == sorted(case.codes), case.code


@pytest.mark.parametrize("rule", [r for r in RULES if r.status in ("none", "removed")], ids=lambda r: r.layer)
def test_every_layer_without_counterpart_has_a_flagging_case(rule) -> None:  # type: ignore[no-untyped-def]
    expected = "XL102" if rule.status == "removed" else "XL101"
    assert any(expected in case.codes for case in rule.lint), f"{rule.path}: add a [[lint]] case producing {expected}"


@pytest.mark.parametrize("rule", [r for r in RULES if any(a.blocks for a in r.args)], ids=lambda r: r.layer)
def test_a_blocking_argument_is_reported_xl202_where_it_blocks_to_tf(rule) -> None:  # type: ignore[no-untyped-def]
    """Generated cases: an argument marked ``blocks`` is reported when set, at its value, when
    to-tf's program form cannot take it either (``Dense(lora_rank=...)``); one whose bundled
    class honours it (the rule's ``flat_only``: ``Dense(kernel_regularizer=...)``) is not."""
    for spec in (a for a in rule.args if a.blocks):
        name = rule.functions[0] if rule.layer == "InputLayer" else rule.layer
        code = f"from keras import layers\nlayers.{name}({spec.name}=custom)\n"
        diags = lint_text(code, "t.py", RULES, Config())
        blocks = not spec.flat_only and rule.status == "translated"
        assert [(d.code, d.line, d.col) for d in diags if d.code == "XL202"] == [
            ("XL202", 2, len(f"layers.{name}({spec.name}="))
        ] * blocks, spec.name


def expectations(diags) -> str:  # type: ignore[no-untyped-def]
    return "".join(f"# {d.line}:{d.col + 1}: {d.code}\n" for d in diags)


@pytest.mark.parametrize("case", FILES, ids=[f.stem for f in FILES])
def test_whole_file_case(case: Path) -> None:
    source, _, expected = case.read_text(encoding="utf-8").partition(MARK)
    got = expectations(lint_text(source, case.name, RULES, Config()))
    if os.environ.get("XLATE_REGEN"):
        case.write_text(source + MARK + got, encoding="utf-8")
        pytest.skip("regenerated")
    assert got == expected


def test_whole_file_cases_exist() -> None:
    assert FILES, "tests/cases/lint/*.py went missing"
