"""One output contract for every command (issue #20, docs/output.md).

The JSON record's shape (keys, types, 1-based lines and columns) is checked against a schema
written here, for lint, to-tf and to-keras; where a machine format goes; ``-o FILE`` with
several inputs; ``xlate verify``'s JSON records and its TensorFlow log filter (without
running TensorFlow: the records are built from a report).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xlate_cli import run_xlate as xlate

from kerastf_xlate.verify_process import FileReport, Outcome, json_records, machine_report, tf_log_removed

ROOT = Path(__file__).resolve().parent.parent
BUILDER = (ROOT / "tests/cases/lint/kept_builder_loop.py").read_text(encoding="utf-8").partition("# --- expected")[0]
FLAGGED = "from keras import layers\n\nrnn = layers.FlaxLayer(4)\n"
TF_MODULE = (ROOT / "examples/tf_space_to_depth.py").read_text(encoding="utf-8")

# the documented record: key -> (accepted types, may be null)
SCHEMA: dict[str, tuple[tuple[type, ...], bool]] = {
    "path": ((str,), False), "line": ((int,), False), "col": ((int,), False), "end_line": ((int,), True),
    "end_col": ((int,), True), "code": ((str,), False), "message": ((str,), False), "severity": ((str,), False),
    "cell": ((int,), True), "fix": ((dict,), True),
}


def check_records(data: object) -> list[dict]:  # type: ignore[type-arg]
    assert isinstance(data, list)
    for rec in data:
        assert isinstance(rec, dict) and set(rec) == set(SCHEMA), rec
        for key, (types, nullable) in SCHEMA.items():
            value = rec[key]
            assert (value is None and nullable) or (isinstance(value, types) and not isinstance(value, bool)), (key, rec)
        assert rec["line"] >= 1 and rec["col"] >= 1, rec
        assert rec["end_line"] is None or rec["end_line"] >= rec["line"]
        assert rec["end_col"] is None or rec["end_col"] >= 1
        assert rec["severity"] in ("error", "warning", "info")
        assert len(rec["code"]) == 5 and rec["code"].startswith("XL") and rec["code"][2:].isdigit()
        assert rec["message"] and "\n" not in rec["message"]  # (lint and to-tf keep it short: tests/test_messages.py)
    return data  # type: ignore[return-value]


def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.xlate]\n", encoding="utf-8")
    return tmp_path


def test_lint_json_is_1_based_like_the_text(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "m.py").write_text(FLAGGED, encoding="utf-8")
    text = xlate("lint", "m.py", cwd=root).stdout
    (rec,) = check_records(json.loads(xlate("lint", "--format", "json", "m.py", cwd=root).stdout))
    assert text.startswith(f"m.py:{rec['line']}:{rec['col']}: XL101 ")
    assert (rec["line"], rec["col"], rec["end_col"]) == (3, 7, 23)  # `layers.FlaxLayer` spans columns 7..22


def test_to_tf_json_with_output_goes_to_stdout(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "m.py").write_text(BUILDER, encoding="utf-8")
    proc = xlate("to-tf", "--format", "json", "m.py", "-o", "out.py", cwd=root)
    assert proc.returncode == 0, proc.stderr
    records = check_records(json.loads(proc.stdout))
    assert [(r["line"], r["col"], r["code"]) for r in records][:2] == [(16, 40, "XL305"), (17, 1, "XL306")]
    lint = check_records(json.loads(xlate("lint", "--format", "json", "m.py", cwd=root).stdout))
    assert lint == records  # lint reports what to-tf reports, in the same shape


def test_to_tf_json_goes_to_stderr_when_the_translation_is_printed(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "m.py").write_text(BUILDER, encoding="utf-8")
    proc = xlate("to-tf", "--format", "json", "m.py", cwd=root)
    assert proc.stdout == BUILDER  # kept as Keras: byte for byte
    assert {r["code"] for r in check_records(json.loads(proc.stderr))} == {"XL305", "XL306"}


def test_to_tf_json_reports_file_errors_as_xl001(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "m.py").write_text(BUILDER, encoding="utf-8")
    proc = xlate("to-tf", "--format", "json", "m.py", "missing.py", "-o", "out", cwd=root)
    assert proc.returncode == 2
    records = check_records(json.loads(proc.stdout))
    assert ("missing.py", "XL001", "error") in {(r["path"], r["code"], r["severity"]) for r in records}


def test_to_tf_github_and_sarif_formats(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "m.py").write_text(BUILDER, encoding="utf-8")
    proc = xlate("to-tf", "--format", "github", "m.py", "--check", cwd=root)
    assert proc.stdout.startswith("::warning file=m.py,line=16,col=40,title=XL305::XL305 "), proc.stdout
    sarif = json.loads(xlate("to-tf", "--format", "sarif", "m.py", "--check", cwd=root).stdout)
    region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (sarif["runs"][0]["results"][0]["ruleId"], region["startLine"], region["startColumn"]) == ("XL305", 16, 40)


def test_to_keras_json(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "t.py").write_text(TF_MODULE, encoding="utf-8")
    proc = xlate("to-keras", "--format", "sarif", "t.py", "-o", "out.py", cwd=root)
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0"
    proc = xlate("to-keras", "--format", "json", "t.py", "-o", "out.py", cwd=root)
    records = check_records(json.loads(proc.stdout))
    assert records and all(r["code"].startswith("XL5") and r["path"] == "t.py" for r in records), records
    assert len(sarif["runs"][0]["results"]) == len(records)


def test_output_file_with_several_inputs_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    for name in ("a.py", "b.py"):
        (root / name).write_text(FLAGGED, encoding="utf-8")
    proc = xlate("to-tf", "a.py", "b.py", "-o", "single.py", cwd=root)
    assert proc.returncode == 2
    assert "-o single.py names a file, but there are several inputs" in proc.stderr
    assert not (root / "single.py").exists()
    (root / "existing.txt").write_text("keep\n", encoding="utf-8")
    proc = xlate("to-keras", "a.py", "b.py", "-o", "existing.txt", cwd=root)
    assert proc.returncode == 2 and (root / "existing.txt").read_text(encoding="utf-8") == "keep\n"
    proc = xlate("to-tf", "a.py", "b.py", "-o", "outdir", cwd=root)  # a directory still works
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (root / "outdir").iterdir()) == ["a.py", "b.py"]


def test_verify_json_records() -> None:
    report = FileReport("m.py", [Outcome("model", "inference", 2.5e-7, True), Outcome("model", "training", 0.02, False, "loss"),
                                 Outcome("m.py", "crashed", float("inf"), False, "process killed by SIGKILL")])
    records = json_records(report, 1e-5, 1e-6)
    assert json.loads(json.dumps(records, allow_nan=False)) == records  # valid JSON: no Infinity
    assert records == [
        {"path": "m.py", "name": "model", "mode": "inference", "max_abs_diff": 2.5e-7, "atol": 1e-5, "rtol": 1e-6, "pass": True, "detail": ""},
        {"path": "m.py", "name": "model", "mode": "training", "max_abs_diff": 0.02, "atol": 1e-5, "rtol": 1e-6, "pass": False, "detail": "loss"},
        {"path": "m.py", "name": "m.py", "mode": "crashed", "max_abs_diff": None, "atol": 1e-5, "rtol": 1e-6, "pass": False,
         "detail": "process killed by SIGKILL"},
    ]


def test_verify_github_and_sarif_report_the_failing_models() -> None:
    report = FileReport("m.py", [Outcome("model", "inference", 2.5e-7, True), Outcome("model", "training", 0.02, False, "loss"),
                                 Outcome("m.py", "crashed", float("inf"), False, "process killed by SIGKILL")])
    github = machine_report(report, 1e-5, 1e-6, "github")
    assert github.splitlines() == [
        "::error file=m.py,title=xlate verify::model [training] differs from the original; max |diff| = 0.02 > tolerance "
        "atol=1e-05 rtol=1e-06; loss",
        "::error file=m.py,title=xlate verify::m.py [crashed] differs from the original; process killed by SIGKILL",
    ]
    sarif = json.loads(machine_report(report, 1e-5, 1e-6, "sarif", tool_version="9.9.9"))
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run["tool"]["driver"]["rules"][0]["id"] == "verify"
    assert [(r["ruleId"], r["level"], r["properties"]["name"], r["properties"]["mode"]) for r in run["results"]] == [
        ("verify", "error", "model", "training"), ("verify", "error", "m.py", "crashed")]
    assert run["results"][1]["properties"]["max_abs_diff"] is None  # valid JSON: no Infinity
    passing = FileReport("m.py", [Outcome("model", "inference", 0.0, True)])
    assert machine_report(passing, 1e-5, 1e-5, "github") == ""  # as a clean lint run: nothing
    assert json.loads(machine_report(passing, 1e-5, 1e-5, "sarif"))["runs"][0]["results"] == []


def test_verify_takes_every_format() -> None:
    from click.testing import CliRunner

    from kerastf_xlate.cli import main

    help_text = CliRunner().invoke(main, ["verify", "--help"]).output
    assert "[text|json|github|sarif]" in help_text


def test_verify_leaves_out_tensorflow_log_lines_only() -> None:
    noise = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796240574.649142   21828 port.cc:153] oneDNN custom operations are on. You may see slightly "
        "different numerical results. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
        "2024-01-01 10:00:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc:210] This TensorFlow binary is optimized\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.\n"
        "WARNING:absl:Compiled the loaded model, but the compiled metrics have yet to be built.\n"
    )
    user = "epoch 1: loss 0.25\nI0000 is my own line\nWARNING: check the data\n"
    assert tf_log_removed(noise + user + noise) == user


@pytest.mark.tf
def test_verify_json_on_the_command_line_is_quiet(tmp_path: Path) -> None:
    """End to end, with TensorFlow's C++ logging on (level 0): the JSON document is alone on
    stdout, and stderr has no absl / oneDNN line (``-v`` would show them)."""
    (tmp_path / "m.py").write_text((ROOT / "examples/mlp_sequential.py").read_text(encoding="utf-8"), encoding="utf-8")
    loud = {"TF_CPP_MIN_LOG_LEVEL": "0"}
    proc = xlate("verify", "--format", "json", "m.py", cwd=tmp_path, env=loud)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(r["name"], r["pass"]) for r in json.loads(proc.stdout)] == [("model", True)]
    assert "absl" not in proc.stderr and "oneDNN" not in proc.stderr and "I0000" not in proc.stderr, proc.stderr


def test_output_dash_is_standard_output(tmp_path: Path) -> None:
    """`-o -` prints the translation, as '-' reads standard input (it wrote a file named '-')."""
    root = project(tmp_path)
    (root / "m.py").write_text(BUILDER, encoding="utf-8")
    proc = xlate("to-tf", "m.py", "-o", "-", cwd=root)
    assert proc.returncode == 0 and proc.stdout == BUILDER, proc.stderr
    assert not (root / "-").exists()
    (root / "n.py").write_text(BUILDER, encoding="utf-8")
    several = xlate("to-tf", "m.py", "n.py", "-o", "-", cwd=root)
    assert several.returncode == 2 and "standard output" in several.stderr and not (root / "-").exists()
