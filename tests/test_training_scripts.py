"""Whole training scripts in the styles of real ones (keras-io examples), translated by
``xlate to-tf`` into the program form and run without Keras, against Keras.

Each ``tests/cases/training_scripts/*.py`` sets its own weights from a NumPy generator,
trains with ``shuffle=False`` and prints its History (and ``evaluate`` results) as JSON. The
test translates it (no XL30x, no Keras import left, a second run changes nothing), runs the
original with Keras and the translation with a ``keras`` package that raises ImportError on
the path (both at once, in child processes), and compares every number: the whole loss
trajectories, not only the final loss. Randomness (the GAN's latent vectors, the VAE's
sampling) comes from ``keras.random`` with a ``SeedGenerator``, which the runtime draws bit for
bit as Keras does. Tolerance: ``|tf - keras| <= 1e-4 * max(1, |keras|)`` (float32 over a
few dozen steps); the worst difference is printed.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nested_compare import worst_relative

pytestmark = pytest.mark.tf

SCRIPTS = sorted((Path(__file__).parent / "cases" / "training_scripts").glob("*.py"))
TOL = 1e-4


def _start(path: Path, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env_extra}
    return subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=path.parent)


def _finish(proc: subprocess.Popen) -> Any:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_trains_without_keras_like_keras(script: Path, tmp_path: Path) -> None:
    from kerastf_xlate.totf import translate

    source = script.read_text(encoding="utf-8")
    translated, diags = translate(source, str(script))
    assert not [d for d in diags if d.code.startswith(("XL30", "XL1", "XL2"))], diags
    tree = ast.parse(translated)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "keras" not in imported
    assert "_TRAINING = _install_training(Model, Layer)" in translated
    again, _ = translate(translated, str(script))
    assert again == translated, "a second to-tf run must change nothing"

    fake = tmp_path / "fake"
    (fake / "keras").mkdir(parents=True)
    (fake / "keras" / "__init__.py").write_text("raise ImportError('keras must not be imported')\n")
    converted_path = tmp_path / script.name
    converted_path.write_text(translated, encoding="utf-8")
    runs = [_start(script, {}), _start(converted_path, {"PYTHONPATH": str(fake)})]
    original, converted = (_finish(p) for p in runs)
    worst = worst_relative(original, converted, TOL)
    final = original["history"]
    last = {k: round(v[-1], 5) for k, v in final.items() if not k.startswith("val_")}
    print(f"\n{script.stem}: keras final {last}; worst relative difference {worst:.1e}")
