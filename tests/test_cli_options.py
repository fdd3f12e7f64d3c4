"""No command-line option value produces a traceback.

Random strings go to every option of every command that takes a value; the command must end
with exit status 0, 1 or 2 and a message, never an uncaught exception. Everything runs
in-process with click's CliRunner, inside a temporary directory; ``verify`` is given a file
with nothing to translate, so it never gets as far as starting TensorFlow.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kerastf_xlate.cli import main

MODEL = "import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])\n"

# (command, option, the other arguments)
OPTIONS = [
    ("lint", "--format", ["m.py"]),
    ("lint", "--stdin-filename", ["-"]),
    ("lint", "--config", ["m.py"]),
    ("lint", "--select", ["m.py"]),
    ("lint", "--ignore", ["m.py"]),
    ("lint", "--jobs", ["m.py"]),
    ("lint", "PATH", []),
    ("rules", "--format", []),
    ("rules", "--status", []),
    ("codes", "--format", []),
    ("to-tf", "--input-shape", ["m.py"]),
    ("to-tf", "--output", ["m.py"]),
    ("to-tf", "--stdin-filename", ["-"]),
    ("to-tf", "--jobs", ["m.py"]),
    ("to-tf", "PATH", ["--diff"]),
    ("to-keras", "--output", ["m.py"]),
    ("to-keras", "--stdin-filename", ["-"]),
    ("to-keras", "--jobs", ["m.py"]),
    ("verify", "--input-shape", ["plain.py"]),
    ("verify", "--atol", ["plain.py"]),
    ("verify", "--rtol", ["plain.py"]),
    ("verify", "--seed", ["plain.py"]),
    ("verify", "PATH", []),
]

VALUES = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789,()[] -.eE+naif", max_size=20),  # near-numbers and near-shapes
    st.sampled_from(["", "-", "--", "nan", "inf", "-inf", "1e400", "-1", "0", "(28,28,1)", "28,28,1", "[1]",
                     "\x00", "a\x00b", "\udcff", "💥", "x" * 300, "m.py", "plain.py", ".", "..", "json", "sarif"]),
)


def _safe_path(value: str) -> str:
    """Random paths stay inside the temporary directory (the tests run as root)."""
    value = value.lstrip("/\\~")
    assume(".." not in value.replace("\\", "/").split("/"))
    return value


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("options")
    (d / "m.py").write_text(MODEL)
    (d / "plain.py").write_text("x = 1\n")
    (d / "pyproject.toml").write_text("[tool.xlate]\n")
    return d


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.sampled_from(OPTIONS), VALUES)
def test_no_option_value_gives_a_traceback(workdir: Path, option: tuple[str, str, list[str]], value: str) -> None:
    command, name, rest = option
    if name in ("--output", "--config", "PATH", "--stdin-filename"):
        value = _safe_path(value)
    args = [command, *rest, value] if name == "PATH" else [command, *rest, name, value]
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        result = CliRunner().invoke(main, args, input=MODEL)
    finally:
        os.chdir(cwd)
        for p in workdir.iterdir():  # what -o wrote
            if p.name not in ("m.py", "plain.py", "pyproject.toml"):
                if p.is_dir() and not p.is_symlink():
                    import shutil

                    shutil.rmtree(p)
                else:
                    p.unlink()
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output, (args, result.output)
    if result.exit_code == 2:
        assert result.output.strip(), (args, "exit 2 without a message")
