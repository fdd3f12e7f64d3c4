"""``xlate verify`` never dies with the code it runs, and never feeds a model the wrong rank.

The crash tests use code that really kills its process (``os.abort()``, ``SIGSEGV``,
``SIGKILL``, ``os._exit``, a hang): no mocks. The child process that runs it dies; the
command reports a FAIL line naming the model and the step, and verifies the other models.

Ranks: under oneDNN a ``tf.nn.conv2d`` on an input of the wrong rank aborts the process in
C++ (``Check failed: index >= 0 && index < num_total_dims``) on CPUs with AVX-512, so the
probed shapes are checked to have the rank the code shows, whatever the CPU.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from xlate_cli import run_xlate as xlate

from kerastf_xlate.cli import InputShape, main
from kerastf_xlate.verify_process import Job, prepare, verify_jobs

REPO = Path(__file__).resolve().parent.parent
TF_EXAMPLES = sorted((REPO / "examples").glob("tf_*.py"))
KERAS_EXAMPLES = sorted(p for p in (REPO / "examples").glob("*.py") if not p.name.startswith("tf_"))
TOTF_CASES = sorted((REPO / "tests" / "cases" / "totf").glob("*.py"))

ABORTS = '''\
import os

import tensorflow as tf


class Crashy(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([4, 3]))
        self.b = tf.Variable(tf.zeros([3]))

    def __call__(self, x):
        os.abort()
        return tf.matmul(x, self.w) + self.b


class Fine(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([4, 3]))
        self.b = tf.Variable(tf.zeros([3]))

    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b


crashy = Crashy()
fine = Fine()
'''


def _keras_killer(statement: str, imports: str = "import os\nimport signal\n") -> str:
    """A Keras subclass that declares no input (verify derives it: Dense, rank 1) and dies
    in its forward pass, then a model that works."""
    return (
        f"{imports}\nimport keras\nfrom keras import layers\n\n\n"
        "class Killer(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.d = layers.Dense(3)\n\n"
        "    def call(self, x):\n"
        f"        {statement}\n"
        "        return self.d(x)\n\n\n"
        "first = Killer()\n"
        "second = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])\n"
    )


def _job(path: Path, to_keras: bool) -> Job:
    job, message, status = prepare(str(path), to_keras, None)
    assert job is not None, (status, message)
    return job


def _lines(report: Any) -> list[tuple[str, str, bool, str]]:
    return [(o.name, o.mode, o.ok, o.detail) for o in report.outcomes]


# ------------------------------------------------------------------------------ crashes


@pytest.mark.tf
def test_an_abort_is_a_fail_line_and_the_other_model_is_verified(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(ABORTS)
    proc = xlate("verify", "--to-keras", "m.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert "FAIL crashy: process killed by SIGABRT while probing input shape (4,)" in lines, lines
    assert any(line.startswith("PASS fine [inference] max |diff| = ") for line in lines), lines
    assert lines[-1].startswith("1 passed, 1 failed")


@pytest.mark.tf
def test_every_way_of_dying_costs_only_its_model(tmp_path: Path) -> None:
    """Signal, SIGKILL (as the out-of-memory killer sends it), exit without a word, a hang
    past the stage timeout, SystemExit at module level: each is one FAIL with its reason, and
    the next model and the next file are still verified (one child after another)."""
    cases = {
        "segv.py": _keras_killer("os.kill(os.getpid(), signal.SIGSEGV)"),
        "sigkill.py": _keras_killer("os.kill(os.getpid(), signal.SIGKILL)"),
        "exits.py": _keras_killer("os._exit(0)"),
        "hangs.py": _keras_killer("time.sleep(3600)", imports="import time\n"),
        "module_exits.py": "import sys\n\nimport keras\n\nmodel = keras.Sequential([keras.Input(shape=(2,)), "
                           "keras.layers.Dense(1)])\nsys.exit('bye')\n",
    }
    jobs = []
    for name, source in cases.items():
        (tmp_path / name).write_text(source)
        jobs.append(_job(tmp_path / name, to_keras=False))
    out = tmp_path / "child-output.txt"
    with out.open("w") as sink:
        reports = verify_jobs(jobs, timeout=45, output=sink)
    by_file = {Path(r.path).name: r for r in reports}
    reasons = {
        "segv.py": "process killed by SIGSEGV while probing input shape (",
        "sigkill.py": "process killed by SIGKILL (out of memory?) while probing input shape (",
        "exits.py": "process exited with status 0 while probing input shape (",
        "hangs.py": "process stopped after 45 s without progress (timeout) while probing input shape (",
    }
    for name, reason in reasons.items():
        (crash, *rest) = _lines(by_file[name])
        assert crash[:3] == ("first", "crashed", False) and crash[3].startswith(reason), (name, crash)
        assert [r[:3] for r in rest] == [("second", "inference", True), ("second", "training", True)], (name, rest)
    ((name, mode, ok, detail),) = _lines(by_file["module_exits.py"])
    assert (mode, ok) == ("error", False) and detail == "executing it raised SystemExit: bye"
    assert "Traceback" not in out.read_text()


# ------------------------------------------------------------------------------ ranks


@pytest.mark.tf
@pytest.mark.parametrize("path", TF_EXAMPLES, ids=lambda p: p.stem)
def test_probed_shapes_have_the_rank_the_code_shows(path: Path) -> None:
    """Every shape verify feeds the original has the rank of its first op (conv2d: 3 axes
    without the batch), on any CPU: recorded from the steps verify announces."""
    from kerastf_xlate.tokeras.verify import plan_to_keras

    probed: list[str] = []
    plan = plan_to_keras(path.read_text(), str(path), stage=lambda model, what: probed.append(what))
    assert plan.names
    for name in plan.names:
        results = plan.run(name)
        assert results and all(r.ok for r in results), results
    shapes = [w.removeprefix("probing input shape ") for w in probed if w.startswith("probing")]
    expected = {"tf_convnet": ["(28, 28, 1)"], "tf_space_to_depth": ["(28, 28, 3)"], "tf_mlp": ["(784,)"],
                "tf_keras_ops": ["(28, 28, 1)"]}
    assert shapes == expected[path.stem], shapes


@pytest.mark.tf
def test_guessed_ranks_from_the_first_op() -> None:
    import keras
    import tensorflow as tf

    from kerastf_xlate.verify import exec_source
    from kerastf_xlate.verify_shapes import guess_input

    source = '''
import keras
import tensorflow as tf
from keras import layers

SIZE = 6 * 6


class Pool1(tf.Module):
    def __call__(self, x):
        return tf.nn.max_pool1d(tf.nn.relu(x * 2.0), 2, 2, "VALID")


class Conv3(tf.Module):
    def __init__(self):
        super().__init__()
        self.k = tf.Variable(tf.zeros([3, 3, 3, 5, 8]))

    def __call__(self, x):
        h = tf.cast(x, tf.float32) / 255.0
        return tf.nn.conv3d(h, self.k, [1, 1, 1, 1, 1], "SAME")


class Flat(tf.Module):
    def __call__(self, x):
        return tf.reshape(x, [-1, SIZE])


class Lookup(tf.Module):
    def __init__(self):
        super().__init__()
        self.table = tf.Variable(tf.zeros([50, 4]))

    def __call__(self, ids):
        return tf.nn.embedding_lookup(self.table, ids)


class Outer(tf.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Conv3(), Pool1()]

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.scale = layers.Rescaling(0.5)
        self.conv = layers.Conv1D(4, 3)

    def call(self, x):
        return self.conv(self.scale(x))


class Signed(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 5, 2], tf.float32)])
    def __call__(self, x):
        return x


pool1, conv3, flat, lookup, outer, sub, signed = Pool1(), Conv3(), Flat(), Lookup(), Outer(), Sub(), Signed()
'''
    ns = exec_source(source, "__guess__")
    got = {k: guess_input(ns[k], source) for k in ("pool1", "conv3", "flat", "lookup", "outer", "sub", "signed")}
    assert (got["pool1"].rank, got["pool1"].candidates()[0]) == (2, (28, 3))
    assert (got["conv3"].rank, got["conv3"].last, got["conv3"].candidates()[0]) == (4, 5, (28, 28, 28, 5))
    assert got["flat"].candidates() == [(36,), (6, 6)]
    assert (got["lookup"].dtype, got["lookup"].high, got["lookup"].rank) == ("int32", 50, 1)
    assert got["outer"].rank == 4 and got["outer"].last == 5  # the first block of the loop
    assert (got["sub"].rank, got["sub"].why) == (2, "Conv1D")  # through the rank-keeping Rescaling
    assert got["signed"].candidates() == [(5, 2)]
    for g in got.values():  # every candidate has the derived rank
        assert all(len(s) == g.rank for s in g.candidates() if g.rank is not None)
    del keras, tf


@pytest.mark.tf
def test_a_subclass_built_with_build_verifies() -> None:
    """``model.build((None, 28, 28, 1))`` marks a subclass built without building its
    layers; verify calls it once before moving weights (was: "expected 10 arrays, got 0")."""
    from kerastf_xlate.totf import translate
    from kerastf_xlate.verify import verify_source

    source = (REPO / "tests" / "cases" / "verify" / "subclass_build.py").read_text()
    translated, _ = translate(source, "m.py")
    results = verify_source(source, translated, "m.py")
    assert [r.mode for r in results] == ["inference", "training"] and all(r.ok for r in results), results


@pytest.mark.tf
@pytest.mark.parametrize("onednn", ["0", "1"])
def test_examples_and_cases_never_crash_verify(onednn: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``xlate verify`` on every example (to-keras for the tf_ ones) and every whole-file
    to-tf case, with oneDNN on and off, in child processes: nothing crashes, all pass."""
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", onednn)
    jobs = [_job(p, True) for p in TF_EXAMPLES] + [_job(p, False) for p in KERAS_EXAMPLES]
    for case in TOTF_CASES + sorted((REPO / "tests" / "cases" / "verify").glob("*.py")):
        path = tmp_path / case.name
        path.write_text(case.read_text().split("\n# output\n")[0])
        job, _, status = prepare(str(path), False, None)
        if job is not None:  # None: nothing to translate (a case that stays as it is)
            jobs.append(job)
    reports = verify_jobs(jobs)
    for r in reports:
        bad = [o for o in r.outcomes if not o.ok]
        assert r.outcomes and not bad, (r.path, bad, r.note)


# ------------------------------------------------------------------------------ the command line


@pytest.mark.tf
def test_input_shape_in_parentheses_is_accepted_by_verify(tmp_path: Path) -> None:
    source = (REPO / "tests" / "cases" / "verify" / "subclass_build.py").read_text()
    (tmp_path / "m.py").write_text(source.replace("model.build((None, 28, 28, 1))\n", ""))
    proc = xlate("verify", "m.py", "--input-shape", "(28, 28, 1)", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("2 passed, 0 failed")


@pytest.mark.parametrize("text, shape", [
    ("28,28,1", (28, 28, 1)), ("(28,28,1)", (28, 28, 1)), ("[28, 28, 1]", (28, 28, 1)), (" 8 ", (8,)),
    ("(8,)", (8,)), ("16,", (16,)),
])
def test_input_shape_forms(text: str, shape: tuple[int, ...]) -> None:
    assert InputShape().convert(text, None, None) == shape


@pytest.mark.parametrize("text", ["", "()", "28x28", "(28,28", "28,,1", "-1,28", "0,3", "1.5", "a,b", "((28,))",
                                  "٣,٣", "1" * 12, ",".join(["2"] * 9), "[28, 28)"])
@pytest.mark.parametrize("command", ["verify", "to-tf"])
def test_bad_input_shapes_are_usage_errors(tmp_path: Path, text: str, command: str) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, [command, str(tmp_path / "m.py"), "--input-shape", text])
    assert result.exit_code == 2, result.output
    assert "--input-shape" in result.output and "is not a shape" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_that_does_not_translate_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import keras\ndef f(:\n")
    (tmp_path / "nothing.py").write_text("x = 1\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": []}))
    runner = CliRunner()
    bad = runner.invoke(main, ["verify", str(tmp_path / "bad.py")])
    assert bad.exit_code == 2 and bad.exception is None or isinstance(bad.exception, SystemExit)
    assert bad.output.strip().startswith(f"error: {tmp_path / 'bad.py'}:2:") and "syntax error" in bad.output
    nothing = runner.invoke(main, ["verify", "--to-keras", str(tmp_path / "nothing.py")])
    assert nothing.exit_code == 1 and "nothing was translated" in nothing.output
    nb = runner.invoke(main, ["verify", str(tmp_path / "nb.ipynb")])
    assert nb.exit_code == 2 and "takes a Python file" in nb.output


def test_a_translator_bug_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kerastf_xlate.totf as totf

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(totf, "translate", broken)
    (tmp_path / "m.py").write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(2)])\n")
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "m.py")])
    assert result.exit_code == 2 and "internal error while translating: KeyError: 'boom'" in result.output
    assert "Traceback" not in result.output


def test_verify_options_are_checked_before_tensorflow_is_imported(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "m.py").write_text("x = 1\n")
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom kerastf_xlate.cli import main\n"
        "for args in (['--atol', 'nan'], ['--rtol', '-1'], ['--seed', '-3'], ['--input-shape', '(2,'], "
        "['--atol', 'x']):\n"
        "    r = CliRunner().invoke(main, ['verify', sys.argv[1], *args])\n"
        "    assert r.exit_code == 2, (args, r.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'numpy')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.py")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
