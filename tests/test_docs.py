"""The documentation is kept in sync with the code (Black's discipline).

- docs/mapping.md is ``xlate rules --format markdown``; docs/codes.md is
  ``xlate codes --format markdown``. After changing a rule or a code, regenerate them:
  ``xlate rules --format markdown > docs/mapping.md`` and
  ``xlate codes --format markdown > docs/codes.md``.
- The README links both, its Quick start test command is exactly the one .ci/run runs,
  and its ``console`` blocks for lint/rules/codes are re-run and must match.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from xlate_cli import run_xlate

from kerastf_xlate import codes, table
from kerastf_xlate.rules import default_rules

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
MAPPING = REPO / "docs" / "mapping.md"
CODES = REPO / "docs" / "codes.md"
CI = REPO / ".ci" / "run"


def fenced_blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)


def test_mapping_md_is_generated_from_the_rules() -> None:
    expected = table.render_markdown(default_rules())
    assert MAPPING.read_text(encoding="utf-8") == expected, "run: xlate rules --format markdown > docs/mapping.md"


def test_codes_md_is_generated_from_the_codes() -> None:
    assert CODES.read_text(encoding="utf-8") == codes.render_markdown(), "run: xlate codes --format markdown > docs/codes.md"


def xlate_cli(*args: str) -> str:
    proc = run_xlate(*args, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cli_markdown_matches_the_files() -> None:
    assert xlate_cli("rules", "--format", "markdown") == MAPPING.read_text(encoding="utf-8")
    assert xlate_cli("codes", "--format", "markdown") == CODES.read_text(encoding="utf-8")


def test_codes_md_documents_every_code() -> None:
    text = CODES.read_text(encoding="utf-8")
    for code in codes.CODES:
        assert f"\n## {code}\n" in text
        for part in ("What it does", "Why", "Example", "Fix"):
            assert f"### {part}" in text


def test_mapping_md_lists_every_rule() -> None:
    text = MAPPING.read_text(encoding="utf-8")
    for rule in default_rules():
        assert f"| `{rule.layer}` |" in text, rule.layer


def test_readme_links_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    for target in ("docs/mapping.md", "docs/codes.md"):
        assert f"]({target})" in text, f"README.md must link {target}"
        assert (REPO / target).is_file()


def ci_test_command() -> str:
    lines = [ln for ln in CI.read_text().splitlines() if "pytest" in ln and not ln.lstrip().startswith("#")]
    commands = [ln.split(" || ")[0].strip() for ln in lines if "pip install" in ln]
    assert len(commands) == 1, f".ci/run should run one install-and-test command, found {commands}"
    return commands[0]


def test_readme_quick_start_commands() -> None:
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    first, second = [b.strip() for b in fenced_blocks(section, "sh")][:2]
    assert first == "python -m venv .venv && .venv/bin/pip install . && .venv/bin/xlate to-tf examples/cnn_functional.py"
    assert second == ci_test_command(), "the README's test command must be exactly what .ci/run runs"


def test_ci_script_fails_when_no_test_is_collected() -> None:
    text = CI.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r'"\$status" -eq 5 \]; then\n(?:.*\n)*?\s+exit 1', text)
    assert os.access(CI, os.X_OK), ".ci/run must be executable"


CHECKED = re.compile(r"^\$ (?:printf .* \| )?xlate (?:lint|rules|codes)\b")


def readme_console_runs() -> list[tuple[str, str]]:
    runs = []
    for block in fenced_blocks(README.read_text(encoding="utf-8"), "console"):
        command, _, output = block.partition("\n")
        if CHECKED.match(command):
            runs.append((command[2:], output))
    return runs


@pytest.mark.parametrize("command, output", readme_console_runs(), ids=lambda v: v.split("\n")[0][:40])
def test_readme_console_output_is_real(command: str, output: str) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.stderr == ""
    assert proc.stdout == output, f"update the README block for `{command}`"


def test_readme_console_blocks_are_checked() -> None:
    assert len(readme_console_runs()) >= 3
