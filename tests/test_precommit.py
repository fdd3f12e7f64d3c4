"""The published pre-commit hook, run by the real ``pre-commit``.

A copy of this working tree is committed into a temporary git repository that serves as the
hook repository (``repo: <path>`` + ``rev: <sha>``, the same form as a GitHub URL), so
pre-commit clones it and pip-installs the package into its own environment, exactly as a
user's pre-commit does. A throw-away project then installs the git hook and tries two
commits: one with a flagged Keras layer (refused) and a clean one (accepted).

Needs git and network access to PyPI (pre-commit pip-installs the package and its build
backend); it is marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# What a pip install of the package needs from the working tree (see pyproject.toml).
PACKAGE_FILES = ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src", "rules"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def run(cmd: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture()
def git_env(tmp_path: Path) -> dict[str, str]:
    """Git and pre-commit isolated from the user's configuration and caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def git_init(path: Path, env: dict[str, str]) -> None:
    run(["git", "init", "-q", "-b", "main", str(path)], cwd=path.parent, env=env)
    run(["git", "config", "commit.gpgsign", "false"], cwd=path, env=env)


def make_hook_repo(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in PACKAGE_FILES:
        src = REPO / name
        assert src.exists(), f"{src} is missing"
        if src.is_dir():
            shutil.copytree(src, hook_repo / name, ignore=ignore)
        else:
            shutil.copy2(src, hook_repo / name)
    git_init(hook_repo, env)
    run(["git", "add", "-A"], cwd=hook_repo, env=env)
    run(["git", "commit", "-q", "-m", "hook repository snapshot"], cwd=hook_repo, env=env)
    sha = run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env).stdout.strip()
    return hook_repo, sha


def test_precommit_hook_refuses_flagged_commit_and_accepts_clean(tmp_path: Path, git_env: dict[str, str]) -> None:
    hook_repo, sha = make_hook_repo(tmp_path, git_env)
    project = tmp_path / "project"
    project.mkdir()
    git_init(project, git_env)
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hook_repo}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "      - id: xlate-lint\n"
    )
    pre_commit = [sys.executable, "-m", "pre_commit"]
    run(pre_commit + ["install"], cwd=project, env=git_env)
    run(["git", "add", ".pre-commit-config.yaml"], cwd=project, env=git_env)
    run(["git", "commit", "-q", "-m", "add pre-commit"], cwd=project, env=git_env)

    (project / "model.py").write_text("from keras import layers\n\nencoder = layers.FlaxLayer(32)\n")
    run(["git", "add", "model.py"], cwd=project, env=git_env)
    refused = run(["git", "commit", "-m", "add an FlaxLayer"], cwd=project, env=git_env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "xlate lint" in output and "Failed" in output, output
    assert "model.py:3:11: XL101 `FlaxLayer` has no TensorFlow low-level counterpart" in output, output
    log = run(["git", "log", "--format=%s"], cwd=project, env=git_env).stdout.split("\n")
    assert "add an FlaxLayer" not in log

    (project / "model.py").write_text("from keras import layers\n\nencoder = layers.Dense(32, activation='relu')\n")
    run(["git", "add", "model.py"], cwd=project, env=git_env)
    accepted = run(["git", "commit", "-m", "add a Dense"], cwd=project, env=git_env, check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    assert run(["git", "log", "-1", "--format=%s"], cwd=project, env=git_env).stdout.strip() == "add a Dense"
