"""``xlate verify`` on a Keras 2 program (totf/program/keras2.py): its original runs under Keras 2
only, so the child that executes it makes ``import keras`` tf-keras (testing/keras2.py) and runs
the translation beside it. The comparison can fail: a translation changed by hand is caught. In
a mixed run a Keras 2 program gets a child of its own."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest
from xlate_cli import run_xlate as xlate

from kerastf_xlate.verify_process import prepare, verify_jobs

KERAS2 = """\
import numpy as np
from keras.models import Sequential
from keras.layers.core import Dense, Activation
from keras.layers.convolutional import Conv2D
from keras.layers.pooling import GlobalAveragePooling2D
from keras.layers.normalization import BatchNormalization

model = Sequential()
model.add(Conv2D(4, (3, 3), input_shape=(8, 8, 3)))
model.add(BatchNormalization())
model.add(Activation('relu'))
model.add(GlobalAveragePooling2D())
model.add(Dense(3, activation='softmax'))
"""

KERAS3 = """\
import keras
from keras import layers

model = keras.Sequential([keras.Input((5,)), layers.Dense(2)])
"""


@pytest.mark.tf
def test_verify_runs_a_keras2_program_under_keras2(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(KERAS2)
    proc = xlate("verify", "m.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "under Keras 2 (tf-keras: a Keras 2 program)" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("2 passed, 0 failed"), proc.stdout


@pytest.mark.tf
def test_verify_of_keras2_catches_a_wrong_translation_and_keeps_keras3_files_apart(tmp_path: Path) -> None:
    (tmp_path / "k2.py").write_text(KERAS2)
    (tmp_path / "k3.py").write_text(KERAS3)
    k2, _, _ = prepare(str(tmp_path / "k2.py"), False, None)
    k3, _, _ = prepare(str(tmp_path / "k3.py"), False, None)
    assert k2 is not None and k2.keras2 and k3 is not None and not k3.keras2
    assert k2.translated is not None and "activation='softmax'" in k2.translated
    wrong_job = dataclasses.replace(k2, translated=k2.translated.replace("activation='softmax'", "activation='sigmoid'"))
    wrong, fine = verify_jobs([wrong_job, k3])
    assert wrong.outcomes and not all(o.ok for o in wrong.outcomes), wrong.outcomes
    assert fine.outcomes and all(o.ok for o in fine.outcomes), fine.outcomes


def test_verify_says_what_a_keras2_program_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.py").write_text(KERAS2)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf_keras" else real(name, *a))
    job, message, status = prepare(str(tmp_path / "m.py"), False, None)
    assert job is None and status == 2
    assert "a Keras 2 program" in message and "pip install tf-keras" in message and "m.py" in message
