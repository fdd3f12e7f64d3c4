"""Whole-notebook cases: one small notebook per IPython form, translated and checked.

Each notebook in ``tests/cases/notebooks/`` holds a Keras model and one IPython form
(line and cell magics, shell lines with continuations, help, automagic, indented cells, ...).
Each is linted (no cell is reported as a syntax error) and translated with ``to-tf`` (never
skipped; the model becomes a ``tf.Module``), and in the output every code cell still parses
as IPython (``TransformerManager().transform_cell`` then ``ast.parse``), every IPython-only
line is kept byte for byte and in order, and cells that are not Python are untouched.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from kerastf_xlate.config import Config
from kerastf_xlate.ipysyntax import read_cell
from kerastf_xlate.lint import lint_bytes
from kerastf_xlate.rules import default_rules
from kerastf_xlate.runner import transform_bytes

CASES = sorted((Path(__file__).parent / "cases" / "notebooks").glob("*.ipynb"))


def _code_cells(data: bytes) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in json.loads(data)["cells"] if c["cell_type"] == "code"]


def _parses_as_ipython(cell: str) -> bool:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        ast.parse(TransformerManager().transform_cell(cell))
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_notebook_lints_without_syntax_errors(path: Path) -> None:
    result = lint_bytes(str(path), path.read_bytes(), default_rules(), Config())
    assert result.error is None, result.error
    assert not [d for d in result.diagnostics if d.code == "XL001"], result.diagnostics


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_notebook_translates_and_keeps_every_ipython_line(path: Path) -> None:
    pytest.importorskip("IPython")
    from kerastf_xlate.totf import make_transform

    data = path.read_bytes()
    result = transform_bytes(str(path), data, make_transform())
    assert result.error is None, result.error
    assert result.output is not None and result.changed, "the notebook's model was not translated"
    before, after = _code_cells(data), _code_cells(result.output)
    assert len(before) == len(after)
    assert any("(tf.Module)" in c for c in after)
    for old, new in zip(before, after):
        reading = read_cell(old)
        assert read_cell(new).kind == reading.kind
        if reading.kind != "python":
            assert new == old, "a cell that is not Python must stay as it is"
            continue
        if _parses_as_ipython(old):
            assert _parses_as_ipython(new), new
        new_lines = new.splitlines(keepends=True)
        at = 0
        for _, line in reading.masked:  # IPython-only lines, byte for byte and in order
            assert line in new_lines[at:], (line, new)
            at = new_lines.index(line, at) + 1
    for old_cell, new_cell in zip(json.loads(data)["cells"], json.loads(result.output)["cells"]):
        if old_cell["cell_type"] != "code":
            assert old_cell == new_cell


RUN_CELLS = r'''
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
for i, cell in enumerate(json.load(open(sys.argv[1]))["cells"], 1):
    if cell["cell_type"] != "code":
        continue
    result = shell.run_cell("".join(cell["source"]), silent=True)
    if not result.success:
        print(f"cell {i} failed: {result.error_before_exec or result.error_in_exec!r}")
        sys.exit(1)
print("ok")
'''


@pytest.mark.tf
def test_translated_training_in_a_time_cell_runs_in_ipython(tmp_path: Path) -> None:
    """The motivating bug: to-tf translated the model but not the compile/fit in a %%time
    cell, and the notebook failed at run time. Both notebooks run in IPython here."""
    pytest.importorskip("IPython")
    import subprocess
    import sys

    from kerastf_xlate.totf import make_transform

    path = Path(__file__).parent / "cases" / "notebooks" / "cell_magic_time.ipynb"
    result = transform_bytes(str(path), path.read_bytes(), make_transform())
    assert result.output is not None and result.error is None, result.error
    fit_cell = _code_cells(result.output)[2]
    assert fit_cell.startswith("%%time\n") and "model.compile(" not in fit_cell.replace("# model.compile(", "")
    (tmp_path / "out.ipynb").write_bytes(result.output)
    for nb in (path, tmp_path / "out.ipynb"):
        proc = subprocess.run([sys.executable, "-c", RUN_CELLS, str(nb)], capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)
        assert proc.stdout.strip().endswith("ok"), (nb.name, proc.stdout[-2000:], proc.stderr[-2000:])
