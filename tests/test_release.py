"""The release procedure (CHANGELOG.md, "Releasing"): the version is written once, the
command prints it, the changelog has a section for it, and every pre-commit snippet names
a version the changelog has (a snippet naming a version that was never released cannot be
used as written)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from xlate_cli import run_xlate as xlate

import kerastf_xlate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
SNIPPETS = ["README.md", "docs/editors.md", ".pre-commit-hooks.yaml"]


def changelog_versions() -> list[str]:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", text, flags=re.M)


def test_the_version_is_written_in_one_place() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/kerastf_xlate/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", kerastf_xlate.__version__)


def test_xlate_version(tmp_path: Path) -> None:
    proc = xlate("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == f"xlate, version {kerastf_xlate.__version__}\n", proc


def test_the_changelog_has_a_section_for_the_version() -> None:
    versions = changelog_versions()
    assert versions, "CHANGELOG.md has no `## [X.Y.Z] - YYYY-MM-DD` section"
    assert versions[0] == kerastf_xlate.__version__, "the newest released section is the package's version"


def test_pre_commit_snippets_name_a_version_of_the_changelog() -> None:
    versions = set(changelog_versions())
    for name in SNIPPETS:
        revs = re.findall(r"rev: v(\S+)", (REPO / name).read_text(encoding="utf-8"))
        assert revs, f"{name}: no pre-commit snippet with `rev: vX.Y.Z`"
        for rev in revs:
            assert rev in versions, f"{name}: `rev: v{rev}` is not a version in CHANGELOG.md ({sorted(versions)})"
