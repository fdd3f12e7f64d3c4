"""``xlate lint`` end to end, as a user (or an editor, CI, pre-commit) runs it.

Output formats, exit statuses (0 clean, 1 findings, 2 usage or unreadable/unparsable files
while the other files are still linted), inputs (files, directories, '-'), configuration.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from xlate_cli import run_xlate as xlate

FLAGGED = "from keras import layers\n\nrnn = layers.FlaxLayer(4)\n"
CLEAN = "from keras import layers\n\ndense = layers.Dense(4, activation='relu')\n"
TEXT_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>XL\d{3}) (?P<message>\S.*)$")


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def where(stdout: str) -> list[tuple[str, int, int, str]]:
    out = []
    for line in stdout.splitlines():
        m = TEXT_LINE.match(line)
        assert m, f"not `path:line:col: CODE message`: {line!r}"
        out.append((m["path"], int(m["line"]), int(m["col"]), m["code"]))
    return out


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A directory with an empty [tool.xlate] so no configuration above it applies."""
    write(tmp_path, "pyproject.toml", "[tool.xlate]\n")
    return tmp_path


# ------------------------------------------------------------------------------ formats and exit status


def test_text_format_and_exit_1(project: Path) -> None:
    write(project, "m.py", FLAGGED)
    proc = xlate("lint", "m.py", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert where(proc.stdout) == [("m.py", 3, 7, "XL101")]
    assert "`FlaxLayer` has no TensorFlow low-level counterpart" in proc.stdout
    assert proc.stderr == ""


def test_clean_file_exit_0(project: Path) -> None:
    write(project, "m.py", CLEAN)
    proc = xlate("lint", "m.py", cwd=project)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_exit_zero_flag(project: Path) -> None:
    write(project, "m.py", FLAGGED)
    proc = xlate("lint", "--exit-zero", "m.py", cwd=project)
    assert proc.returncode == 0 and where(proc.stdout) == [("m.py", 3, 7, "XL101")]


def test_json_format(project: Path) -> None:
    # a class on a base from another file stays Keras, so to-tf's flat form judges its layers
    write(project, "m.py", FLAGGED + "from mylib import Backbone\n\n\nclass Net(Backbone):\n"
          "    def __init__(self, pad):\n        inputs = layers.Input((8,))\n"
          "        super().__init__(inputs, layers.Conv2D(4, 3, padding=pad)(inputs))\n")
    proc = xlate("lint", "--format", "json", "m.py", cwd=project)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert [(d["path"], d["line"], d["col"], d["code"], d["severity"]) for d in data] == [
        ("m.py", 3, 7, "XL101", "warning"),  # 1-based columns, as the text format prints them
        ("m.py", 9, 18, "XL301", "warning"),
        ("m.py", 10, 62, "XL203", "info"),
    ]
    assert data[0]["end_line"] == 3 and data[0]["end_col"] == 23 and data[0]["cell"] is None
    assert data[0]["message"].startswith("`FlaxLayer` has no TensorFlow")


def test_github_format(project: Path) -> None:
    write(project, "m.py", FLAGGED)
    proc = xlate("lint", "--format", "github", "m.py", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::warning file=m.py,line=3,col=7,title=XL101::XL101 `FlaxLayer` has no")
    assert proc.stdout.count("\n") == 1


def test_sarif_format(project: Path) -> None:
    write(project, "m.py", FLAGGED)
    proc = xlate("lint", "--format", "sarif", "m.py", cwd=project)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "kerastf-xlate"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["XL101"]
    (result,) = run["results"]
    assert result["ruleId"] == "XL101" and result["level"] == "warning"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "m.py"
    assert loc["region"] == {"startLine": 3, "startColumn": 7, "endLine": 3, "endColumn": 23}


def test_empty_json_and_sarif_when_clean(project: Path) -> None:
    write(project, "m.py", CLEAN)
    assert json.loads(xlate("lint", "--format", "json", "m.py", cwd=project).stdout) == []
    assert json.loads(xlate("lint", "--format", "sarif", "m.py", cwd=project).stdout)["runs"][0]["results"] == []


# ------------------------------------------------------------------------------ bad inputs: exit 2, the rest still linted


def test_syntax_error_reported_and_other_files_linted(project: Path) -> None:
    write(project, "bad.py", "from keras import layers\ndef f(:\n    pass\n")
    write(project, "good.py", FLAGGED)
    proc = xlate("lint", "bad.py", "good.py", cwd=project)
    assert proc.returncode == 2
    assert where(proc.stdout) == [("good.py", 3, 7, "XL101")]
    assert proc.stderr.splitlines() == ["error: bad.py:2:7: syntax error: invalid syntax"]


def test_errors_become_xl001_in_machine_formats(project: Path) -> None:
    write(project, "bad.py", "def f(:\n")
    write(project, "good.py", FLAGGED)
    proc = xlate("lint", "--format", "json", "bad.py", "good.py", cwd=project)
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert [(d["path"], d["line"], d["code"], d["severity"]) for d in data] == [
        ("bad.py", 1, "XL001", "error"),
        ("good.py", 3, "XL101", "warning"),
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"print 'hello'\n", "Python 2 code is not supported"),
        (b"x = 1\n\xff\xfe = 2\n", "cannot decode as utf-8"),
        (b"x = 1\0\n", "null byte"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "encoding"),
    ],
    ids=["python2", "undecodable", "null-byte", "unknown-encoding"],
)
def test_unparsable_files(project: Path, content: bytes, message: str) -> None:
    write(project, "bad.py", content)
    write(project, "good.py", FLAGGED)
    proc = xlate("lint", ".", cwd=project)
    assert proc.returncode == 2
    assert [w[0] for w in where(proc.stdout)] == ["./good.py"]
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: ./bad.py") and message in line and "Traceback" not in proc.stderr


def test_missing_path(project: Path) -> None:
    write(project, "good.py", FLAGGED)
    proc = xlate("lint", "nope.py", "good.py", cwd=project)
    assert proc.returncode == 2
    assert where(proc.stdout) == [("good.py", 3, 7, "XL101")]
    assert proc.stderr.splitlines() == ["error: nope.py: no such file or directory"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    proc = xlate("lint", "pipe.py", cwd=project)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_unknown_option_is_usage_error(project: Path) -> None:
    proc = xlate("lint", "--formt", "json", cwd=project)
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_lint_never_runs_the_code(project: Path) -> None:
    write(project, "m.py", "import os\nos._exit(7)\nraise SystemExit(3)\n" + FLAGGED)
    proc = xlate("lint", "m.py", cwd=project)
    assert proc.returncode == 1 and where(proc.stdout) == [("m.py", 6, 7, "XL101")]


# ------------------------------------------------------------------------------ inputs


def test_directory_recursive_with_default_and_configured_excludes(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.xlate]\nexclude = ["generated/*", "legacy"]\n')
    for rel in ("a.py", "pkg/b.py", "pkg/sub/c.py", "pkg/legacy/d.py", "generated/e.py", ".venv/lib/f.py",
                "build/g.py", "pkg/__pycache__/h.py", "notes.txt"):
        write(project, rel, FLAGGED)
    proc = xlate("lint", ".", cwd=project)
    assert proc.returncode == 1
    assert [w[0] for w in where(proc.stdout)] == ["./a.py", "./pkg/b.py", "./pkg/sub/c.py"]
    # a file named explicitly is linted even inside an excluded directory
    assert where(xlate("lint", "generated/e.py", cwd=project).stdout) == [("generated/e.py", 3, 7, "XL101")]


def test_directory_includes_notebooks(project: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "source": FLAGGED, "metadata": {}, "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    write(project, "nb/analysis.ipynb", json.dumps(nb))
    proc = xlate("lint", "nb", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("nb/analysis.ipynb:cell 1:3:7: XL101 ")


def test_stdin_with_stdin_filename_and_its_configuration(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.xlate.per-file-ignores]\n"tests/*" = ["XL101"]\n')
    proc = xlate("lint", "-", "--stdin-filename", "src/model.py", cwd=project, stdin=FLAGGED)
    assert proc.returncode == 1 and where(proc.stdout) == [("src/model.py", 3, 7, "XL101")]
    proc = xlate("lint", "-", "--stdin-filename", "tests/test_model.py", cwd=project, stdin=FLAGGED)
    assert (proc.returncode, proc.stdout) == (0, "")
    proc = xlate("lint", "-", cwd=project, stdin=FLAGGED)
    assert proc.returncode == 1 and proc.stdout.startswith("<stdin>:3:7: XL101 ")


def test_stdin_notebook(project: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "source": ["from keras import layers\n"], "metadata": {}, "outputs": []},
                    {"cell_type": "code", "source": ["layers.JaxLayer(3)\n"], "metadata": {}, "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    proc = xlate("lint", "-", "--stdin-filename", "nb.ipynb", cwd=project, stdin=json.dumps(nb))
    assert proc.returncode == 1 and proc.stdout.startswith("nb.ipynb:cell 2:1:1: XL101 ")


def test_parallel_output_is_ordered_like_serial(project: Path) -> None:
    for i in range(12):
        write(project, f"m{i:02d}.py", "\n" * i + FLAGGED)
    serial = xlate("lint", "-j", "1", ".", cwd=project)
    parallel = xlate("lint", "-j", "3", ".", cwd=project)
    assert serial.returncode == parallel.returncode == 1
    assert parallel.stdout == serial.stdout
    assert len(where(serial.stdout)) == 12


# ------------------------------------------------------------------------------ selection and suppression


def test_select_and_ignore_options(project: Path) -> None:
    write(project, "m.py", FLAGGED + "d = layers.Dense(2, lora_rank=4)\n")
    codes = lambda *opts: [w[3] for w in where(xlate("lint", *opts, "m.py", cwd=project).stdout)]  # noqa: E731
    assert codes() == ["XL101", "XL202"]
    assert codes("--select", "XL2") == ["XL202"]
    assert codes("--ignore", "XL101") == ["XL202"]
    assert codes("--select", "XL1,XL2", "--ignore", "XL2") == ["XL101"]


def test_configuration_from_pyproject(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.xlate]\nignore = ["XL202"]\n')
    write(project, "m.py", FLAGGED + "d = layers.Dense(2, lora_rank=4)\n")
    assert [w[3] for w in where(xlate("lint", "m.py", cwd=project).stdout)] == ["XL101"]


def test_explicit_config_option(project: Path) -> None:
    write(project, "ci.toml", 'select = ["XL2"]\n')
    write(project, "m.py", FLAGGED + "d = layers.Dense(2, lora_rank=4)\n")
    assert [w[3] for w in where(xlate("lint", "--config", "ci.toml", "m.py", cwd=project).stdout)] == ["XL202"]


def test_bad_configuration_is_one_line_exit_2(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.xlate]\nselct = ["XL1"]\n')
    write(project, "m.py", FLAGGED)
    proc = xlate("lint", "m.py", cwd=project)
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: ") and "pyproject.toml: [tool.xlate] key 'selct': unknown key" in line


def test_suppression_comments(project: Path) -> None:
    write(project, "m.py", """\
        from keras import layers
        a = layers.FlaxLayer(4)  # noqa: XL101
        b = layers.FlaxLayer(4)  # xlate: ignore[XL101]
        c = layers.FlaxLayer(4)  # noqa: XL202
        d = layers.FlaxLayer(4)  # noqa
    """)
    assert where(xlate("lint", "m.py", cwd=project).stdout) == [("m.py", 4, 5, "XL101")]


def test_encodings_and_columns(project: Path) -> None:
    write(project, "latin.py", "# -*- coding: latin-1 -*-\nfrom keras import layers\ns = 'caf\xe9'; layers.FlaxLayer(2)\n"
          .encode("latin-1"))
    write(project, "bom.py", b"\xef\xbb\xbf" + FLAGGED.encode())
    write(project, "crlf.py", FLAGGED.replace("\n", "\r\n").encode())
    proc = xlate("lint", "latin.py", "bom.py", "crlf.py", cwd=project)
    assert where(proc.stdout) == [("bom.py", 3, 7, "XL101"), ("crlf.py", 3, 7, "XL101"), ("latin.py", 3, 13, "XL101")]


def test_force_exclude_applies_excludes_to_named_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """pre-commit names every staged file: --force-exclude keeps [tool.xlate] exclude working."""
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text('[tool.xlate]\nexclude = ["legacy/*"]\n')
    (tmp_path / "legacy").mkdir()
    bad = tmp_path / "legacy" / "old.py"
    bad.write_text("from keras import layers\nlayers.FlaxLayer(3)\n")

    def run(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run([sys.executable, "-m", "kerastf_xlate", "lint", *args], cwd=tmp_path,
                              capture_output=True, text=True, input=bad.read_text())

    assert run("legacy/old.py").returncode == 1
    assert run("--force-exclude", "legacy/old.py").returncode == 0
    assert run("--force-exclude", "-", "--stdin-filename", "legacy/old.py").returncode == 0
    assert run("-", "--stdin-filename", "legacy/old.py").returncode == 1
