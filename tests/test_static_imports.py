"""The static commands never import TensorFlow or Keras.

``lint``, ``to-tf`` and ``to-keras`` must work (and start fast) without the [verify] extra.
A fresh interpreter imports every static module of the package, runs ``xlate lint`` and
``xlate to-tf`` (and ``xlate to-keras`` where it exists) in-process on the examples, and
then checks that neither ``tensorflow`` nor ``keras`` was imported, or even attempted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import importlib, importlib.util, json, pkgutil, sys

HEAVY = ("tensorflow", "keras", "tf_keras", "keras_core", "jax", "torch")
attempts = []

class Recorder:
    """Records every attempt to import a heavy package (even one caught by try/except)."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            attempts.append(name)
        return None

sys.meta_path.insert(0, Recorder())

import kerastf_xlate
from kerastf_xlate import cli, lint, totf  # noqa: F401

skip = ("verify", "lsp", "testing")
modules = []
for info in pkgutil.walk_packages(kerastf_xlate.__path__, "kerastf_xlate."):
    if any(part in info.name for part in skip):
        continue
    importlib.import_module(info.name)
    modules.append(info.name)

example, keras_example, out_dir = sys.argv[1:4]
commands = [["lint", example], ["to-tf", example, "-o", out_dir + "/out_tf.py"]]
if importlib.util.find_spec("kerastf_xlate.tokeras") is not None and keras_example:
    commands.append(["to-keras", keras_example, "-o", out_dir + "/out_keras.py"])
codes = []
for args in commands:
    try:
        cli.main(args, standalone_mode=False)
        codes.append(0)
    except SystemExit as exc:
        codes.append(exc.code)
print(json.dumps({
    "attempts": attempts,
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY),
    "modules": modules,
    "commands": [a[0] for a in commands],
    "codes": codes,
}))
'''


def test_static_commands_never_import_tensorflow_or_keras(tmp_path: Path) -> None:
    example = REPO / "examples" / "lstm_tagger.py"
    tf_examples = sorted((REPO / "examples").glob("tf_*.py"))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(example), str(tf_examples[0]) if tf_examples else "", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"kerastf_xlate.cli", "kerastf_xlate.lint", "kerastf_xlate.totf"} <= set(report["modules"])
    assert report["commands"][:2] == ["lint", "to-tf"]
    assert report["codes"][0] == 0, "lstm_tagger.py lints clean (its LSTM is translated in the program form)"
    assert report["codes"][1] in (0, 1), proc.stderr
    assert (tmp_path / "out_tf.py").is_file()
    if "to-keras" in report["commands"]:
        assert report["codes"][2] in (0, 1), proc.stderr
        assert (tmp_path / "out_keras.py").is_file()
    assert report["attempts"] == [], f"tried to import {report['attempts']}"
    assert report["loaded"] == []


def test_lint_starts_without_libcst(tmp_path: Path) -> None:
    """`xlate lint` is what editors run on every keystroke: it does not even load LibCST."""
    script = (
        "import sys\n"
        "from kerastf_xlate import cli\n"
        "try:\n"
        "    cli.main(['lint', '-', '--stdin-filename', 'm.py'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('libcst', 'tensorflow', 'keras') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], input="from keras import layers\nlayers.FlaxLayer(2)\n",
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"
    assert "m.py:2:1: XL101" in proc.stdout
