"""The static commands never execute user code.

Every input here writes a marker file when its module body runs, when it is imported, or
when a module it imports is imported; ``keras`` and ``tensorflow`` are shadowed by modules
that write a marker too (first on PYTHONPATH), so importing them would also show. lint,
to-tf and to-keras (command line and engine functions) run over all of it; no marker may
appear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

XLATE = str(Path(sys.executable).with_name("xlate"))


def _marker_code(marker: Path, what: str) -> str:
    return f"open({str(marker / what)!r}, 'w').write('executed')\n"


def _tokeras() -> object | None:
    try:
        import kerastf_xlate.tokeras as tokeras
    except ImportError:
        return None
    return tokeras


@pytest.fixture()
def hostile_tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(project directory, shadow directory for PYTHONPATH, marker directory)."""
    marker = tmp_path / "markers"
    marker.mkdir()
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "keras.py").write_text(
        _marker_code(marker, "keras-imported")
        + "class _Any:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
        + "layers = _Any()\nSequential = Input = Model = lambda *a, **k: None\n"
    )
    (shadow / "tensorflow.py").write_text(_marker_code(marker, "tensorflow-imported"))
    (project / "helper.py").write_text(_marker_code(marker, "helper-imported"))
    (project / "pkg" / "__init__.py").write_text(_marker_code(marker, "pkg-init"))
    (project / "conftest.py").write_text(_marker_code(marker, "conftest"))
    (project / "setup.py").write_text(_marker_code(marker, "setup"))
    (project / "model.py").write_text(
        "import helper\nimport pkg\n"
        + _marker_code(marker, "model-body")
        + "import keras\nfrom keras import layers\n"
        + 'model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")])\n'
        + "if __name__ == '__main__':\n    " + _marker_code(marker, "model-main")
        + f"x = __import__('os').system('touch {marker / 'model-system'}')\n"
    )
    (project / "functional.py").write_text(
        "import keras\nfrom keras import layers\n"
        + _marker_code(marker, "functional-body")
        + "inputs = keras.Input(shape=(4,))\noutputs = layers.Dense(2)(inputs)\nmodel = keras.Model(inputs, outputs)\n"
    )
    (project / "subclass.py").write_text(
        "import keras\nfrom keras import layers\n"
        "class Net(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        " + _marker_code(marker, "subclass-init")
        + "        self.d = layers.Dense(2)\n"
        "    def call(self, x, training=False):\n"
        "        " + _marker_code(marker, "subclass-call")
        + "        return self.d(x)\n"
        "model = Net()\n"
    )
    (project / "tf_module.py").write_text(
        "import tensorflow as tf\nimport helper\n"
        + _marker_code(marker, "tf-module-body")
        + "class Block(tf.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        " + _marker_code(marker, "tf-module-init")
        + "        self.w = tf.Variable(tf.zeros([4, 3]))\n"
        "        self.b = tf.Variable(tf.zeros([3]))\n"
        "    def __call__(self, x):\n"
        "        return tf.nn.relu(tf.matmul(x, self.w) + self.b)\n"
        "block = Block()\n"
    )
    (project / "decorated.py").write_text(
        "import keras\n"
        + f"@__import__('builtins').exec({_marker_code(marker, 'decorator')!r})\n"
        "def f():\n    pass\n"
        + f"class C(metaclass=exec({_marker_code(marker, 'metaclass')!r})):\n    pass\n"
        "layer = keras.layers.Dense(3)\n"
    )
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": ["import keras\n", _marker_code(marker, "notebook-cell"),
                        'model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])\n']},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": [f"!touch {marker / 'notebook-shell'}\n", f"%run {project / 'model.py'}\n"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    (project / "notebook.ipynb").write_text(json.dumps(nb))
    return project, shadow, marker


def _markers(marker: Path) -> list[str]:
    return sorted(p.name for p in marker.iterdir())


def test_the_markers_work(hostile_tree: tuple[Path, Path, Path]) -> None:
    """Sanity check: running the inputs does write the markers (so their absence means something)."""
    project, shadow, marker = hostile_tree
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(project)])}
    subprocess.run([sys.executable, "model.py"], cwd=project, env=env, check=True, capture_output=True, timeout=60)
    assert {"keras-imported", "helper-imported", "pkg-init", "model-body", "model-main", "model-system"} <= set(_markers(marker))


def test_static_commands_never_execute_user_code(hostile_tree: tuple[Path, Path, Path]) -> None:
    project, shadow, marker = hostile_tree
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join([str(shadow), str(project)])}
    cmd = [XLATE] if os.path.exists(XLATE) else [sys.executable, "-m", "kerastf_xlate"]
    runs = [
        ["lint", "."], ["lint", "-j", "1", "."], ["lint", "--format", "json", "."],
        ["to-tf", "--diff", "."], ["to-tf", "--check", "."], ["to-tf", ".", "-o", "../out_tf"],
        ["to-tf", "model.py"], ["to-tf", "-", "--stdin-filename", "model.py"],
    ]
    if _tokeras() is not None:
        runs += [["lint", "--to-keras", "."], ["to-keras", "--diff", "."], ["to-keras", ".", "-o", "../out_keras"]]
    for args in runs:
        stdin = (project / "model.py").read_bytes() if "-" in args else None
        proc = subprocess.run([*cmd, *args], cwd=project, env=env, input=stdin, capture_output=True, timeout=120)
        assert b"Traceback" not in proc.stderr, (args, proc.stderr.decode())
        assert proc.returncode in (0, 1, 2), (args, proc.returncode)
        assert _markers(marker) == [], f"`xlate {' '.join(args)}` executed user code: {_markers(marker)}"
    assert b"tf.Module" in (project.parent / "out_tf" / "model.py").read_bytes()  # it did translate
    # in place, last (it rewrites the project)
    proc = subprocess.run([*cmd, "to-tf", "--in-place", "."], cwd=project, env=env, capture_output=True, timeout=120)
    assert proc.returncode in (0, 1, 2)
    assert _markers(marker) == []


def test_engine_functions_never_execute_user_code(hostile_tree: tuple[Path, Path, Path]) -> None:
    from kerastf_xlate.config import Config
    from kerastf_xlate.lint import lint_bytes
    from kerastf_xlate.rules import default_rules
    from kerastf_xlate.runner import transform_bytes
    from kerastf_xlate.totf import make_transform

    project, _, marker = hostile_tree
    tokeras = _tokeras()
    transforms = [make_transform()] + ([tokeras.make_transform()] if tokeras is not None else [])  # type: ignore[attr-defined]
    changed = 0
    for path in sorted(project.rglob("*")):
        if path.suffix not in (".py", ".ipynb"):
            continue
        data = path.read_bytes()
        lint_bytes(str(path), data, default_rules(), Config())
        if tokeras is not None:
            tokeras.lint_bytes(str(path), data, default_rules(), Config())  # type: ignore[attr-defined]
        for transform in transforms:
            result = transform_bytes(str(path), data, transform)
            changed += result.changed
        assert _markers(marker) == [], f"{path.name}: {_markers(marker)}"
    assert changed >= 3  # model.py, functional.py, subclass.py (and the notebook) were translated
