"""Progress on a terminal, never in pipes or CI logs (issue #20).

``verify`` and directory runs of ``to-tf``, ``to-keras`` and ``lint`` draw a bar on stderr
when it is a terminal (here: a pseudo-terminal), the report is text, ``-q`` is not given and
``CI`` is not set. A pipe gets nothing of it: not the bar, not a label.
"""

from __future__ import annotations

import io
import os
import pty
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kerastf_xlate.runner import run_parallel

ROOT = Path(__file__).resolve().parent.parent
MODEL = textwrap.dedent("""\
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    """)
BAR = "] "  # the end of the bar, before the position (`[####----]  3/10`)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update({"PYTHONPATH": str(ROOT / "src"), "TERM": "xterm", "TF_CPP_MIN_LOG_LEVEL": "3", **extra})
    return env


def _run(args: list[str], cwd: Path, tty: bool, **env: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``xlate ARGS``, stderr on a pseudo-terminal or a pipe."""
    cmd = [sys.executable, "-m", "kerastf_xlate", *args]
    if not tty:
        proc = subprocess.run(cmd, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=600)
        return proc.returncode, proc.stdout, proc.stderr
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, cwd=cwd, env=_env(**env), stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    out, _ = p.communicate(timeout=600)
    return p.returncode, out.decode(), err.decode(errors="replace")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    for i in range(9):
        (root / "src" / f"m{i}.py").parent.mkdir(exist_ok=True)
        (root / "src" / f"m{i}.py").write_text(MODEL)
    return root


def test_directory_translation_shows_a_bar_on_a_terminal(tree: Path) -> None:
    shutil.rmtree(tree / "out", ignore_errors=True)
    status, out, err = _run(["to-tf", "src", "-o", "out", "-j", "1"], tree, tty=True)
    assert status == 0, err
    assert "xlate to-tf" in err and "9/9" in err and BAR in err
    assert out == ""  # the bar never goes to stdout
    assert len(list((tree / "out").glob("*.py"))) == 9


def test_no_bar_in_a_pipe(tree: Path) -> None:
    shutil.rmtree(tree / "out", ignore_errors=True)
    status, out, err = _run(["to-tf", "src", "-o", "out", "-j", "1"], tree, tty=False)
    assert status == 0
    assert "xlate to-tf" not in err and "\r" not in err and "9/9" not in err


@pytest.mark.parametrize(("extra", "env"), [
    (["--format", "json"], {}),
    (["--format", "github"], {}),
    (["-q"], {}),
    ([], {"CI": "true"}),
    ([], {"TERM": "dumb"}),
], ids=["json", "github", "quiet", "CI", "dumb-terminal"])
def test_no_bar_for_machines_or_when_asked(tree: Path, extra: list[str], env: dict[str, str]) -> None:
    shutil.rmtree(tree / "out", ignore_errors=True)
    status, _, err = _run(["to-tf", "src", "-o", "out", "-j", "1", *extra], tree, tty=True, **env)
    assert status == 0, err
    assert "xlate to-tf" not in err and "9/9" not in err


def test_no_bar_for_one_file(tree: Path) -> None:
    status, out, err = _run(["to-tf", "src/m0.py"], tree, tty=True)
    assert status == 0 and "class Model(tf.Module)" in out
    assert "xlate to-tf" not in err


def test_to_keras_and_lint_directory_runs_show_a_bar(tree: Path) -> None:
    status, _, err = _run(["lint", "src", "-j", "1"], tree, tty=True)
    assert status == 0, err
    assert "xlate lint" in err and "9/9" in err
    status, _, err = _run(["lint", "src", "-j", "1"], tree, tty=False)
    assert "xlate lint" not in err and "\r" not in err
    status, _, err = _run(["lint", "src", "-j", "1", "--format", "json"], tree, tty=True)
    assert "xlate lint" not in err
    status, _, err = _run(["lint", "src/m0.py"], tree, tty=True)
    assert "xlate lint" not in err
    shutil.rmtree(tree / "back", ignore_errors=True)
    status, _, err = _run(["to-keras", "src", "-o", "back", "-j", "1"], tree, tty=True)
    assert status == 0, err
    assert "xlate to-keras" in err and "9/9" in err


class _Seen:
    def __init__(self) -> None:
        self.updates: list[tuple[int, int]] = []
        self.closed = False

    def update(self, done: int, total: int) -> None:
        self.updates.append((done, total))

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_parallel_reports_every_path_in_order(jobs: int) -> None:
    seen = _Seen()
    paths = [f"p{i}" for i in range(9)]
    assert run_parallel(str.upper, paths, jobs, seen) == [p.upper() for p in paths]
    assert seen.updates == [(i, 9) for i in range(10)]


@pytest.mark.tf
def test_verify_shows_models_on_a_terminal_only(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(MODEL + "other = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(2)])\n")
    status, out, err = _run(["verify", "m.py"], tmp_path, tty=True)
    assert status == 0, out + err
    assert "xlate verify: models" in err and "2/2" in err
    assert "passed, 0 failed" in out
    # in a pipe: tests/test_verify_isolation.py runs verify that way (and no bar is drawn
    # where stderr is no terminal: test_no_bar_in_a_pipe, the same check)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_makes_way_for_other_output_and_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """verify closes the bar to let the user's prints through; the next update draws it again
    at the right position. In-process, on a fake terminal."""
    from kerastf_xlate import cli

    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    bar = cli._progress("xlate verify: models", "text")
    assert bar is not None
    bar.update(0, 0)  # no total yet: nothing drawn
    assert fake.getvalue() == ""
    bar.update(0, 3)
    bar.update(1, 3)
    bar.close()
    fake.write("a print of the user's code\n")
    bar.update(2, 3)
    bar.update(3, 3)
    bar.close()
    out = fake.getvalue()
    assert "xlate verify: models" in out and "1/3" in out and "3/3" in out
    assert out.index("1/3") < out.index("a print of the user's code\n") < out.index("2/3")
    assert cli._progress("x", "json") is None and cli._progress("x", "text", quiet=True) is None
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or file
    assert cli._progress("x", "text") is None
