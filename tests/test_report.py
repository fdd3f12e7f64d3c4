"""``xlate to-tf --report FILE`` (issue #20): the Markdown summary of a directory run."""

from __future__ import annotations

import shutil
from pathlib import Path

from xlate_cli import run_xlate as xlate

from kerastf_xlate.codes import Severity
from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.report import render_markdown, summarise
from kerastf_xlate.rules import default_rules
from kerastf_xlate.runner import TransformResult

ROOT = Path(__file__).resolve().parent.parent
RULES = default_rules()
KERAS = b"import keras\nfrom keras import layers\n\ninputs = keras.Input((4,))\nx = layers.Dense(3)(inputs)\nx = layers.LSTM(2)(x)\nmodel = keras.Model(inputs, x)\n"


def diag(path: str, line: int, code: str) -> Diagnostic:
    return Diagnostic(path, line, 0, code, "m", Severity.WARNING)


def test_counts_and_ranking() -> None:
    half = KERAS.replace(b"x = layers.Dense(3)(inputs)", b"x = Dense(3)(inputs)")  # as if Dense were translated
    results = [
        TransformResult("a.py", KERAS, half, (diag("a.py", 6, "XL101"),)),
        TransformResult("b.py", KERAS, KERAS, (diag("b.py", 5, "XL301"), diag("b.py", 6, "XL101"), diag("b.py", 7, "XL301"))),
        TransformResult("c.py", b"x = (", None, (), "c.py:1:6: syntax error"),
    ]
    files = summarise(results, RULES)
    assert [(f.path, f.status, f.calls, f.kept, f.codes) for f in files] == [
        ("a.py", "translated", 2, 1, ("XL101",)),
        ("b.py", "unchanged", 2, 2, ("XL301", "XL101")),
        ("c.py", "error", 0, 0, ()),
    ]
    text = render_markdown(files)
    assert "- Keras layer calls: 4; translated: 1; still Keras: 3 (25% translated)." in text
    rows = [line for line in text.splitlines() if line.startswith("| XL")]
    assert rows == ["| XL101 | no-tf-counterpart | 2 | 3 |", "| XL301 | model-kept-as-keras | 1 | 2 |"]
    assert "| c.py | error: c.py:1:6: syntax error | 0 | 0 |  |" in text


def test_cli_report_on_a_tree(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    shutil.copy(ROOT / "examples/cnn_functional.py", tree / "cnn.py")
    shutil.copy(ROOT / "tests/cases/lint/kept_builder_loop.py", tree / "sub" / "loop.py")
    proc = xlate("to-tf", "tree", "-o", "out", "--report", "report.md", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "- Files: 2; translated: 1; unchanged: 1; not processed (errors): 0." in text
    assert "| tree/cnn.py | translated | 11 | 0 |  |" in text
    assert "| tree/sub/loop.py | unchanged | 2 | 2 | XL305, XL306 |" in text
    assert [line.split(" | ")[0] for line in text.splitlines() if line.startswith("| XL")] == ["| XL305", "| XL306"]
