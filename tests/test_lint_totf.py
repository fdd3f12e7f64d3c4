"""``xlate lint`` reports what ``xlate to-tf`` would report (issue #20).

Lint's own findings are about layers and arguments; the reasons to-tf keeps a whole model as
Keras (XL301..XL310) come from to-tf's analysis, which lint runs (statically: it never imports
TensorFlow or Keras). These tests hold lint to to-tf's report, and check that the kept-as-Keras
reasons obey ``--select``/``--ignore``, ``# noqa`` and notebooks' cell positions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xlate_cli import run_xlate as xlate

from kerastf_xlate.config import Config
from kerastf_xlate.lint import lint_text as layer_lint
from kerastf_xlate.lint import suppressed
from kerastf_xlate.lint_totf import _totf_or_none as module_totf
from kerastf_xlate.lint_totf import lint_bytes, lint_text, totf_diagnostics
from kerastf_xlate.rules import default_rules
from kerastf_xlate.totf import translate

RULES = default_rules()
CASES = Path(__file__).parent / "cases"
BUILDER = (CASES / "lint" / "kept_builder_loop.py").read_text(encoding="utf-8").partition("# --- expected")[0]


def _where(diags) -> list[tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    return sorted((d.line, d.col, d.code) for d in diags)


def test_a_builder_with_a_loop_was_silent_and_is_now_reported() -> None:
    # a builder with a loop and Keras callbacks: to-tf keeps it all as Keras
    assert layer_lint(BUILDER, "m.py", RULES, Config()) == []  # the layer-level lint alone sees nothing
    got = lint_text(BUILDER, "m.py", RULES, Config())
    assert _where(got) == _where(d for d in totf_diagnostics(BUILDER, "m.py", RULES))
    # the callback and the Keras file; not the `for` that binds `x` (line 8): only the flat form
    # cannot follow it, and the program form, which can, names what stopped it
    assert [(d.line, d.code) for d in got] == [(16, "XL305"), (17, "XL306")]


@pytest.mark.parametrize("case", sorted((CASES / "lint").glob("*.py")) + sorted((CASES / "program").glob("*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_lint_reports_what_to_tf_reports(case: Path) -> None:
    """Every kept-as-Keras reason of to-tf, and a layer finding (XL1xx/XL2xx) exactly where
    to-tf reports one: not the flat form's limits where the program form translates the layer
    (tests/cases/lint/agree_*.py are written for this)."""
    text = case.read_text(encoding="utf-8").partition("# --- expected")[0]
    _, diags = translate(text, case.name, rules=RULES)
    lines = text.splitlines()
    # what a noqa comment silences is the only difference
    totf = {(d.line, d.col, d.code) for d in diags if not suppressed(lines[d.line - 1], d.code)}
    lint = {(d.line, d.col, d.code) for d in lint_text(text, case.name, RULES, Config())}
    assert {t for t in totf if t[2] >= "XL3"} <= lint
    assert {t for t in lint if t[2] >= "XL3"} <= totf
    assert {t for t in lint if t[2] < "XL3"} == {t for t in totf if "XL1" <= t[2] < "XL3"}


def test_select_and_ignore_apply_to_kept_as_keras_reasons() -> None:
    assert {d.code for d in lint_text(BUILDER, "m.py", RULES, Config())} == {"XL305", "XL306"}
    assert {d.code for d in lint_text(BUILDER, "m.py", RULES, Config(ignore=("XL305",)))} == {"XL306"}
    assert {d.code for d in lint_text(BUILDER, "m.py", RULES, Config(select=("XL1", "XL2")))} == set()


def test_reporting_no_code_to_tf_decides_skips_to_tf(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import kerastf_xlate.lint_totf as module

    def boom(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("to-tf's analysis ran although no code it decides is reported")

    monkeypatch.setattr(module, "_totf_or_none", boom)
    assert lint_text(BUILDER, "m.py", RULES, Config(ignore=("XL1", "XL2", "XL3"))) == []
    assert lint_text(BUILDER, "m.py", RULES, Config(select=("XL001",))) == []
    with pytest.raises(AssertionError, match="to-tf's analysis ran"):  # the layer findings are to-tf's to decide too
        lint_text(BUILDER, "m.py", RULES, Config(select=("XL1", "XL2")))


def test_noqa_silences_a_kept_as_keras_reason() -> None:
    noisy = BUILDER.replace('backup_dir="backup")])', 'backup_dir="backup")])  # noqa: XL305')
    assert 16 not in {d.line for d in lint_text(noisy, "m.py", RULES, Config())}
    other = BUILDER.replace('backup_dir="backup")])', 'backup_dir="backup")])  # noqa: XL101')
    assert (16, "XL305") in {(d.line, d.code) for d in lint_text(other, "m.py", RULES, Config())}


def test_a_layer_is_reported_once_not_again_by_the_program_form() -> None:
    # the program form names a removed layer as XL101 ("no TensorFlow layer class"); to-tf and
    # lint report it once, as the flat form and lint do: XL102
    code = ("import keras\nfrom keras import layers\n\ninputs = keras.Input((2,))\n"
            "model = keras.Model(inputs, layers.CategoryCrossing()(inputs))\n")
    for got in (_where(totf_diagnostics(code, "m.py", RULES)), _where(lint_text(code, "m.py", RULES, Config()))):
        assert (5, 28, "XL102") in got and not any(c == "XL101" for _, _, c in got), got


def test_a_file_without_a_model_does_not_load_to_tf() -> None:
    # without a unit to-tf may keep, and without an argument whose fate depends on the form to-tf
    # translates with, lint's own findings are what to-tf says (tests/test_static_imports.py: lint
    # on such a file does not even import LibCST)
    assert totf_diagnostics("from keras import layers\nrnn = layers.ConvLSTM1D(2)\n", "m.py", RULES) == []
    assert module_totf("from keras import layers\nrnn = layers.FlaxLayer(2)\n", "m.py", RULES, False) is None
    assert module_totf("from keras import layers\nc = layers.Conv1D(2, 3, groups=2)\n", "m.py", RULES, True) == []


def test_notebook_positions_are_relative_to_the_cell() -> None:
    head, _, rest = BUILDER.partition("\n\n\n")
    doc = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# the model"},
                     {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": head},
                     {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": rest}],
           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = lint_bytes("nb.ipynb", json.dumps(doc).encode(), RULES, Config())
    assert result.error is None
    assert [(d.cell, d.line, d.col, d.code) for d in result.diagnostics][:2] == [(3, 12, 39, "XL305"), (3, 13, 0, "XL306")]


def test_cli_exit_status_and_select(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.xlate]\n", encoding="utf-8")
    (tmp_path / "m.py").write_text(BUILDER, encoding="utf-8")
    proc = xlate("lint", "m.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("m.py:16:40: XL305 "), proc.stdout
    proc = xlate("lint", "m.py", "--ignore", "XL3", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr


def test_without_to_tf_lint_reports_what_blocks_the_program_form(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the layer-level lint alone (no to-tf: it failed, or a caller passes none) reports what
    # to-tf's program form cannot take either, not the flat form's limits
    code = ("import keras\nfrom keras import layers\n\n"
            "model = keras.Sequential([layers.Conv1D(4, 3, groups=2), layers.Dense(2, lora_rank=4)])\n")
    alone = _where(layer_lint(code, "m.py", RULES, Config()))
    assert alone == [(4, 83, "XL202")]

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a translator bug")

    import kerastf_xlate.totf as totf_module

    monkeypatch.setattr(totf_module, "translate", boom)
    assert _where(lint_text(code, "m.py", RULES, Config())) == alone
