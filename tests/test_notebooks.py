"""Notebooks (``.ipynb``) are linted cell by cell as the kernel runs them: names imported
in one cell are seen by the cells below, positions are relative to each cell (cells are
numbered from 1 among all cells, as editors show them), IPython magics are skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


from kerastf_xlate.config import Config
from kerastf_xlate.lint import lint_bytes
from kerastf_xlate.rules import default_rules

from xlate_cli import run_xlate as xlate

RULES = default_rules()


def notebook(*cells: tuple[str, str | list[str]]) -> bytes:
    doc: dict[str, Any] = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for kind, source in cells:
        cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            cell.update(outputs=[], execution_count=None)
        doc["cells"].append(cell)
    return json.dumps(doc, indent=1).encode()


def lint(data: bytes) -> tuple[list[tuple[int | None, int, int, str]], str | None]:
    result = lint_bytes("nb.ipynb", data, RULES, Config())
    return [(d.cell, d.line, d.col, d.code) for d in result.diagnostics], (str(result.error) if result.error else None)


def test_imports_carry_across_cells_and_positions_are_cell_relative() -> None:
    data = notebook(
        ("markdown", ["# A model\n"]),
        ("code", ["import keras\n", "from keras import layers\n"]),
        ("code", "x = 1\n\nrnn = layers.JaxLayer(8)\n"),
        ("code", ["conv = layers.Conv2D(\n", "    8, 3, dtype='int8')\n"]),
    )
    assert lint(data) == ([(3, 3, 6, "XL101"), (4, 2, 16, "XL201")], None)


def test_magics_are_skipped_and_python_cell_magic_bodies_linted() -> None:
    data = notebook(
        ("code", ["%matplotlib inline\n", "!pip install keras\n", "from keras import layers\n"]),
        ("code", ["%%time\n", "layers.FlaxLayer(2)\n"]),  # %%time runs its body as Python: linted
        ("code", ["%%bash\n", "layers.FlaxLayer(2)\n"]),  # not Python
        ("code", ["model_help = layers.FlaxLayer?\n", "%timeit layers.Dense(2)\n", "layers.FlaxLayer(2)\n"]),
    )
    assert lint(data) == ([(2, 2, 0, "XL101"), (4, 3, 0, "XL101")], None)


def test_a_broken_cell_is_reported_and_the_others_linted() -> None:
    data = notebook(
        ("code", "from keras import layers\n"),
        ("code", "def f(:\n"),
        ("code", "layers.FlaxLayer(2)\n"),
    )
    diags, error = lint(data)
    assert diags == [(2, 1, 6, "XL001"), (3, 1, 0, "XL101")]
    assert error == "nb.ipynb: cell 2:1:7: syntax error: invalid syntax"


def test_suppression_in_a_cell() -> None:
    data = notebook(("code", "from keras import layers\nlayers.FlaxLayer(2)  # noqa: XL101\nlayers.JaxLayer(2)\n"))
    assert lint(data)[0] == [(1, 3, 0, "XL101")]


def test_shadowing_in_a_later_cell() -> None:
    data = notebook(("code", "from keras import layers\n"), ("code", "layers = my_layers\n"), ("code", "layers.FlaxLayer(1)\n"))
    assert lint(data) == ([], None)


def test_invalid_notebooks() -> None:
    assert lint(b"{not json")[1] == "nb.ipynb:1:2: invalid notebook JSON: Expecting property name enclosed in double quotes"
    assert lint(b'{"cells": 3}')[1] == "nb.ipynb: invalid notebook: no 'cells' list"
    assert lint(notebook()) == ([], None)


def test_cli_text_json_github_sarif(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.xlate]\n")
    (tmp_path / "nb.ipynb").write_bytes(notebook(
        ("markdown", "text"),
        ("code", "from tensorflow.keras import layers\n"),
        ("code", "a = 1\nlayers.JaxLayer(4)\n"),
    ))
    text = xlate("lint", "nb.ipynb", cwd=tmp_path)
    assert text.returncode == 1
    assert text.stdout.startswith("nb.ipynb:cell 3:2:1: XL101 `JaxLayer` has no TensorFlow")
    (d,) = json.loads(xlate("lint", "--format", "json", "nb.ipynb", cwd=tmp_path).stdout)
    assert (d["cell"], d["line"], d["col"]) == (3, 2, 1)
    github = xlate("lint", "--format", "github", "nb.ipynb", cwd=tmp_path).stdout
    assert github.startswith("::warning file=nb.ipynb,line=2,col=1,title=XL101 (cell 3)::")
    (result,) = json.loads(xlate("lint", "--format", "sarif", "nb.ipynb", cwd=tmp_path).stdout)["runs"][0]["results"]
    assert result["properties"] == {"cell": 3}


def test_cli_broken_notebook_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.xlate]\n")
    (tmp_path / "bad.ipynb").write_text("{")
    (tmp_path / "good.py").write_text("from keras import layers\nlayers.FlaxLayer(1)\n")
    proc = xlate("lint", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.startswith("./good.py:2:1: XL101")
    assert proc.stderr.startswith("error: ./bad.ipynb:1:2: invalid notebook JSON")


def test_a_cell_only_ipython_7_reads_is_translated_and_written_back_for_both(tmp_path: Path) -> None:
    """A Colab notebook's cell whose first line alone is indented (`` def make_model():`` above
    lines at column 0; a GAN book's notebooks have them): IPython 7 to 9.0 (Colab's) removed the first
    line's indentation from each line starting with it and ran the cell; IPython 9.1 and later
    remove the common indentation (none) and raise IndentationError. Before, the cell was a
    broken one and the notebook, whose names it mentions, was left untranslated. Now it is read
    as IPython 7 read it, translated, and written back so that IPython 7 reads the translated
    code and IPython 9.1 fails on it as it did on the original."""
    from IPython.core.inputtransformer2 import TransformerManager

    from kerastf_xlate.ipysyntax import read_cell
    from kerastf_xlate.runner import transform_bytes
    from kerastf_xlate.totf import make_transform

    cell = (" def make_model(units):\n    inputs = keras.Input((4,))\n"
            "    return keras.Model(inputs, keras.layers.Dense(units)(inputs))\n\nmodel = make_model(2)\n")
    data = notebook(("code", "import keras\nimport numpy as np\n"), ("code", cell),
                    ("code", "y = model(np.ones((1, 4)))\n"))
    result = transform_bytes("nb.ipynb", data, make_transform())
    assert result.error is None and result.output is not None, result.error
    cells = ["".join(c["source"]) for c in json.loads(result.output)["cells"]]
    new = next(c for c in cells if "make_model(units)" in c)
    assert new.startswith(" def make_model(units):\n") and "keras" not in new
    ipython7 = "".join(ln[1:] if ln.startswith(" ") else ln for ln in new.splitlines(keepends=True))
    compile(ipython7, "<ipython 7>", "exec")  # IPython 7's reading is the translated code
    assert read_cell(new).code == ipython7
    for text in (cell, new):  # IPython 9.1's reading fails on both
        try:
            compile(TransformerManager().transform_cell(text), "<ipython 9.1>", "exec")
        except SyntaxError:
            continue
        raise AssertionError(f"IPython 9.1 reads it:\n{text}")
