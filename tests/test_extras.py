"""The extras install beside what a user has (issue #20; README, "Installing").

``[verify]`` requires ``tensorflow``, never ``tensorflow-cpu``: the two distributions hold
the same ``tensorflow`` package, and one installed beside the other overwrites its files. The
fast test reads ``pyproject.toml`` so that the choice cannot silently revert; the slow one
installs the extra into a virtual environment that already has ``tensorflow`` and checks that
``import tensorflow`` still works (it needs PyPI and minutes: ``pytest -m slow``; it skips,
saying why, where PyPI cannot be reached).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# distributions that install the `tensorflow` import package besides `tensorflow` itself
OTHER_TF_DISTRIBUTIONS = {"tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tensorflow-macos", "tf-nightly", "tf-nightly-cpu"}


def _extras() -> dict[str, list[str]]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["optional-dependencies"]  # type: ignore[no-any-return]


def _name(requirement: str) -> str:
    """The canonical distribution name of a requirement (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def test_verify_extra_requires_tensorflow_not_another_distribution() -> None:
    extras = _extras()
    names = {_name(r) for r in extras["verify"]}
    assert "tensorflow" in names, extras["verify"]
    assert "keras" in names
    every = {_name(r) for reqs in extras.values() for r in reqs}
    assert not every & OTHER_TF_DISTRIBUTIONS, f"an extra installs a second TensorFlow distribution: {every & OTHER_TF_DISTRIBUTIONS}"


def test_test_extra_brings_the_verify_extra() -> None:
    """CI installs `.[test]`: the suite runs on the `tensorflow` users get."""
    test = _extras()["test"]
    selves = [r for r in test if _name(r) == "kerastf-xlate"]
    assert selves and "verify" in re.sub(r"\s", "", selves[0]).split("[", 1)[1].split("]")[0].split(","), test


def test_readme_documents_the_choice() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Installing", 1)[1].split("\n## ", 1)[0]
    assert "'kerastf-xlate[verify]'" in section and "`tensorflow-cpu`" in section and "overwrites" in section


# ------------------------------------------------------------------------------ installed (slow)


def _pypi_reachable(python: str) -> str | None:
    """None when pip can reach the package index; else why not."""
    try:
        proc = subprocess.run([python, "-m", "pip", "index", "versions", "tensorflow"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"pip could not ask PyPI ({exc})"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"PyPI is unreachable from here: `pip index versions tensorflow` failed ({last})"
    return None


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_verify_extra_keeps_an_installed_tensorflow_importable(tmp_path: Path) -> None:
    """A venv with `tensorflow` (what a GPU user has); installing `.[verify]` into it must add
    no second TensorFlow distribution and leave `import tensorflow` working. Downloads
    TensorFlow from PyPI (minutes; pip's cache helps the next run)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    why = _pypi_reachable(python)
    if why is not None:
        pytest.skip(why)
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", TF_CPP_MIN_LOG_LEVEL="3")

    def pip(*args: str) -> str:
        proc = subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True, timeout=3000, env=env)
        assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout

    pip("install", "tensorflow>=2.16")
    before = _distributions(python, env)
    assert "tensorflow" in before
    pip("install", f"{ROOT}[verify]")
    after = _distributions(python, env)
    assert not set(after) & OTHER_TF_DISTRIBUTIONS, f"installed beside tensorflow: {set(after) & OTHER_TF_DISTRIBUTIONS}"
    assert after["tensorflow"] == before["tensorflow"], "the user's tensorflow was replaced"
    pip("check")
    proc = subprocess.run([python, "-c", "import tensorflow as tf, keras; print(tf.__version__, float(tf.reduce_sum(tf.ones([2, 3]))))"],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == "6.0"


def _distributions(python: str, env: dict[str, str]) -> dict[str, str]:
    proc = subprocess.run([python, "-m", "pip", "list", "--format", "freeze"], capture_output=True, text=True, timeout=300,
                          env=env, check=True)
    out = {}
    for line in proc.stdout.splitlines():
        name, _, version = line.partition("==")
        out[_name(name)] = version
    return out
