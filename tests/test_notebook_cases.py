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
BROKEN = {"broken_cell": 5}  # notebook -> its cell that does not parse (as in IPython)


def _code_cells(data: bytes) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in json.loads(data)["cells"] if c["cell_type"] == "code"]


def _parses_as_ipython(cell: str) -> bool:
    """What IPython runs for the cell (static transforms, then automagic for one-line cells) parses."""
    from IPython.core.interactiveshell import InteractiveShell

    try:
        ast.parse(InteractiveShell.instance().transform_cell(cell))
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_notebook_lints_without_syntax_errors(path: Path) -> None:
    result = lint_bytes(str(path), path.read_bytes(), default_rules(), Config())
    syntax = [d.cell for d in result.diagnostics if d.code == "XL001"]
    if path.stem in BROKEN:
        assert syntax == [BROKEN[path.stem]] and result.error is not None
        return
    assert result.error is None, result.error
    assert not syntax, result.diagnostics


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_notebook_translates_and_keeps_every_ipython_line(path: Path) -> None:
    pytest.importorskip("IPython")
    from kerastf_xlate.totf import make_transform

    data = path.read_bytes()
    result = transform_bytes(str(path), data, make_transform())
    if path.stem in BROKEN:
        assert result.error is not None and result.error.startswith(f"{path}:cell {BROKEN[path.stem]}:"), result.error
    else:
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
        else:
            assert new == old, "a cell that does not parse must stay as it is"
        new_lines = new.splitlines(keepends=True)
        at = 0
        for _, line in reading.masked:  # IPython-only lines, byte for byte and in order
            assert line in new_lines[at:], (line, new)
            at = new_lines.index(line, at) + 1
    for old_cell, new_cell in zip(json.loads(data)["cells"], json.loads(result.output)["cells"]):
        if old_cell["cell_type"] != "code":
            assert old_cell == new_cell


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_notebook_goes_back_with_to_keras(path: Path) -> None:
    """to-keras reads the same forms: on to-tf's output it never skips the notebook, and
    every IPython-only line is still there, byte for byte."""
    from kerastf_xlate.tokeras import make_transform as to_keras
    from kerastf_xlate.totf import make_transform as to_tf

    data = transform_bytes(str(path), path.read_bytes(), to_tf()).output
    assert data is not None
    result = transform_bytes(str(path), data, to_keras())
    assert result.output is not None
    assert result.error is None or path.stem in BROKEN, result.error
    for old, new in zip(_code_cells(data), _code_cells(result.output)):
        reading = read_cell(old)
        new_lines = new.splitlines(keepends=True)
        for _, line in reading.masked:
            assert line in new_lines, (line, new)


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


def test_a_broken_cell_costs_only_itself(tmp_path: Path) -> None:
    """``to-tf -o``: exit 2 and the error names the cell, but the notebook is written with
    the other cells translated; the model the broken cell mentions is kept as Keras (the
    translation must not change what that cell uses) and the diagnostic says why."""
    from xlate_cli import run_xlate as xlate

    path = Path(__file__).parent / "cases" / "notebooks" / "broken_cell.ipynb"
    proc = xlate("to-tf", str(path), "-o", str(tmp_path / "out.ipynb"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"error: {path}:cell 5:1:7: syntax error: invalid syntax; cell left as it is, the other cells are " \
           "translated" in proc.stderr.splitlines()
    assert f"{path}:cell 5:1:23: XL303 model kept as Keras: `other` is passed to `cell_5_does_not_parse(...)`" \
        in proc.stderr
    before, after = _code_cells(path.read_bytes()), _code_cells((tmp_path / "out.ipynb").read_bytes())
    assert after[3] == before[3] == "def f(:\n    return other\n"
    assert "class Model(tf.Module)" in after[1] and after[2] == before[2]  # `other` stays Keras


def test_when_the_translation_would_change_what_a_broken_cell_uses_nothing_changes() -> None:
    """to-keras turns the class of ``model`` into a keras.Model whatever uses it; the broken
    cell reads ``model.w1``: the notebook is left as it is, and the error says why."""
    pytest.importorskip("libcst")
    from kerastf_xlate.tokeras import make_transform

    source = (Path(__file__).parent.parent / "examples" / "tf_mlp.py").read_text().split("\n\ndef train_step")[0]
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
                     for s in (source, "model.w1 +\n", "y = 1\n")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    data = json.dumps(doc, indent=1).encode()
    result = transform_bytes("nb.ipynb", data, make_transform())
    assert result.output == data
    assert result.error == ("nb.ipynb:cell 2:1:11: syntax error: invalid syntax; cell left as it is\nerror: "
                            "nb.ipynb:cell 2: does not parse and mentions `model`, which the translation would change; "
                            "notebook left untranslated")


@pytest.mark.parametrize("first", ["%%time\nimport keras\nfrom keras import layers\n", "pip install keras\n"])
def test_new_imports_never_go_before_a_cell_magic_or_into_an_automagic_cell(first: str) -> None:
    from kerastf_xlate.totf import make_transform

    cells = [first, "import keras\nfrom keras import layers\n" if first.startswith("pip") else "x = 1\n",
             'model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(2)])\n']
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
                     for s in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = transform_bytes("nb.ipynb", json.dumps(doc).encode(), make_transform())
    assert result.error is None and result.output is not None
    after = _code_cells(result.output)
    assert after[0].startswith(first.splitlines()[0] + "\n")  # %%time stays the first line
    assert "tensorflow" not in after[0] and (after[0] == first or first.startswith("%%"))  # pip ...: one line
    assert "import tensorflow as tf" in after[1] and "(tf.Module)" in after[2]


def test_positions_in_an_indented_cell_are_as_written() -> None:
    """A cell indented by two spaces is read dedented (as IPython does); reported columns
    still count the indentation, for findings and for syntax errors."""
    cells = ["  from keras import layers\n  rnn = layers.FlaxLayer(2)\n", " def f(:\n  pass\n"]
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
                     for s in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = lint_bytes("nb.ipynb", json.dumps(doc).encode(), default_rules(), Config())
    assert [(d.cell, d.line, d.col, d.end_col, d.code) for d in result.diagnostics] == [
        (1, 2, 8, 24, "XL101"), (2, 1, 7, None, "XL001")]
    assert str(result.error) == "nb.ipynb: cell 2:1:8: syntax error: invalid syntax"
