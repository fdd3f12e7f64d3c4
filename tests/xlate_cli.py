"""Run the ``xlate`` command line in a subprocess, as users, editors and CI do (a helper
for the CLI tests, not a test module)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_xlate(*args: str, cwd: Path, stdin: str | bytes | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m kerastf_xlate ARGS`` with text output; ``stdin`` is sent as UTF-8 text or bytes."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", *args], cwd=cwd, input=data, capture_output=True,
                          timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())
