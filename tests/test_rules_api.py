"""The rule loader (``kerastf_xlate.rules``) and ``xlate rules``.

Malformed rule files must give one line naming the file and the key, from the API and from
every CLI command that loads rules (exit 2, no traceback). Each broken case starts from a
copy of the real rules directory with one file damaged, pointed to by ``XLATE_RULES_DIR``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from xlate_cli import run_xlate

from kerastf_xlate.rules import RuleError, default_rules, load_rules, rules_dir

REPO = Path(__file__).resolve().parent.parent
RULES = default_rules()
EXAMPLE = REPO / "examples" / "lstm_tagger.py"


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"test setup: {old!r} not in the rule file"
        return text.replace(old, new, 1)

    return edit


def _drop_table(text: str, header: str) -> str:
    """Remove a TOML table (its header line and the lines up to the next blank line)."""
    before, _, rest = text.partition(header + "\n")
    assert rest, f"test setup: no {header} table"
    return before + rest.split("\n\n", 1)[1]


# (id, file to damage, edit of its text, expected file name in the message, expected key, problem)
BROKEN = [
    ("invalid-toml", "Dense.toml", lambda t: t + "\n[args.units\n", "Dense.toml", "-", "invalid TOML"),
    ("unknown-top-key", "Dense.toml", lambda t: "colour = 'blue'\n" + t, "Dense.toml", "colour", "unknown key"),
    ("unknown-arg-key", "Conv2D.toml", _replace('[args.padding]\n', '[args.padding]\nmeaning = "x"\n'),
     "Conv2D.toml", "args.padding.meaning", "unknown key"),
    ("missing-summary", "Dense.toml", lambda t: "\n".join(ln for ln in t.splitlines() if not ln.startswith("summary =")),
     "Dense.toml", "summary", "missing"),
    ("missing-layer", "Flatten.toml", _replace('layer = "Flatten"\n', ""), "Flatten.toml", "layer", "missing"),
    ("missing-counterpart-symbols", "Flatten.toml", _replace('symbols = ["tf.reshape", "tf.shape"]\n', ""),
     "Flatten.toml", "symbols", "missing"),
    ("wrong-type", "Dense.toml", _replace('names = ["Dense"]', 'names = "Dense"'), "Dense.toml", "names", "expected list"),
    ("unknown-status", "Dense.toml", _replace('status = "translated"', 'status = "maybe"'), "Dense.toml", "status",
     "unknown status"),
    ("translated-without-counterpart", "Flatten.toml", lambda t: _drop_table(t, "[counterpart]"),
     "Flatten.toml", "counterpart", "required when status is 'translated'"),
    ("none-with-counterpart", "FlaxLayer.toml",
     _replace("[none]\n", '[counterpart]\ntf = "tf.scan"\nsymbols = ["tf.scan"]\ncall = "x"\n\n[none]\n'),
     "FlaxLayer.toml", "counterpart", "contradicts status 'none'"),
    ("translated-with-none", "Flatten.toml", lambda t: t + '\n[none]\nreason = "r"\ninstead = "i"\n',
     "Flatten.toml", "none", "contradicts status 'translated'"),
    ("status-translated-on-a-none-rule", "FlaxLayer.toml", _replace('status = "none"', 'status = "translated"'),
     "FlaxLayer.toml", "counterpart", "required when status is 'translated'"),
    ("duplicate-name", "Dense.toml", _replace('names = ["Dense"]', 'names = ["Dense", "Conv2D"]'),
     "Dense.toml", "names", "'Conv2D' is already claimed by Conv2D.toml"),
    ("layer-not-file-name", "Dense.toml", _replace('layer = "Dense"', 'layer = "Dens"'), "Dense.toml", "layer",
     "does not match the file name"),
    ("bad-default-literal", "Conv2D.toml", _replace('default = "(1, 1)"', 'default = "(1, 1"'), "Conv2D.toml",
     "args.strides.default", "not a Python literal"),
    ("bad-call-placeholder", "Flatten.toml", _replace('call = "tf.reshape({x}', 'call = "tf.reshape({y}'),
     "Flatten.toml", "counterpart.call", "placeholder {y}"),
    ("unknown-category", "Dense.toml", _replace('category = "Core"', 'category = "Misc"'), "Dense.toml", "category",
     "unknown category"),
]


def broken_dir(tmp_path: Path, filename: str, edit: Callable[[str], str]) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target, ignore=shutil.ignore_patterns("*.md"))
    path = target / filename
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


@pytest.mark.parametrize("filename, edit, shown, key, problem", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_rule_file_names_file_and_key(tmp_path: Path, filename: str, edit: Callable[[str], str],
                                             shown: str, key: str, problem: str) -> None:
    directory = broken_dir(tmp_path, filename, edit)
    with pytest.raises(RuleError) as info:
        load_rules(directory)
    err = info.value
    assert err.key == key
    assert problem in err.problem
    assert Path(err.path).name == shown
    assert str(err).startswith(err.path + ": key '" + key + "': ")
    assert "\n" not in str(err).strip()


def xlate(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_xlate(*args, cwd=REPO, env=env, stdin=stdin)


CLI_BROKEN = ["invalid-toml", "unknown-top-key", "missing-summary", "none-with-counterpart", "duplicate-name"]


@pytest.mark.parametrize("case", CLI_BROKEN)
@pytest.mark.parametrize(
    "command",
    [["lint", str(EXAMPLE)], ["rules"], ["lint", "-"], ["to-tf", str(EXAMPLE)], ["to-keras", str(EXAMPLE)]],
    ids=["lint", "rules", "lint-stdin", "to-tf", "to-keras"],
)
def test_cli_reports_broken_rules_in_one_line(tmp_path: Path, case: str, command: list[str]) -> None:
    _, filename, edit, shown, key, _ = next(b for b in BROKEN if b[0] == case)
    directory = broken_dir(tmp_path, filename, edit)
    proc = xlate(*command, env={"XLATE_RULES_DIR": str(directory)}, stdin="import keras\n")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("error: broken rule file: ")
    assert f"{shown}: key '{key}'" in lines[0]


def test_cli_reports_missing_rules_directory(tmp_path: Path) -> None:
    proc = xlate("lint", str(EXAMPLE), env={"XLATE_RULES_DIR": str(tmp_path / "nowhere")})
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "rules directory not found" in proc.stderr


# ------------------------------------------------------------------------------ the loaded set


def test_every_rule_file_loads() -> None:
    files = sorted(p.stem for p in rules_dir().glob("*.toml"))
    assert [r.layer for r in RULES] == files
    assert len(RULES) == len(files) >= 150


def test_lookup_by_name_alias_and_function() -> None:
    assert RULES.get("Conv2D") is RULES.get("Convolution2D")
    add = RULES.get("add")
    assert add is not None and add.layer == "Add"
    assert RULES.get("Input") is RULES.get("InputLayer")
    assert RULES.get("NoSuchLayer") is None


def test_xlate_rules_dir_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLATE_RULES_DIR", str(tmp_path))
    assert rules_dir() == tmp_path
    (tmp_path / "Identity.toml").write_text((REPO / "rules" / "Identity.toml").read_text())
    only = load_rules()
    assert [r.layer for r in only] == ["Identity"]


def test_rule_fields_are_typed() -> None:
    conv = RULES.get("Conv2D")
    assert conv is not None
    padding = conv.arg("padding")
    assert padding is not None and padding.default_value() == "valid" and padding.values["same"] == "SAME"
    assert conv.arg("filters") is not None and conv.arg("filters").required  # type: ignore[union-attr]
    mix_up = RULES.get("FlaxLayer")
    assert mix_up is not None and not mix_up.has_counterpart and mix_up.reason and mix_up.instead


# ------------------------------------------------------------------------------ xlate rules


def test_xlate_rules_lists_every_rule() -> None:
    proc = xlate("rules")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["layer", "category", "status", "counterpart", "/", "why", "none"]
    listed = {line.split()[0] for line in lines[1:] if line.strip() and not line.startswith(f"{len(RULES)} rules")}
    assert listed == {r.layer for r in RULES}
    n_cp = sum(r.has_counterpart for r in RULES)
    assert lines[-1] == f"{len(RULES)} rules: {n_cp} with a counterpart, {len(RULES) - n_cp} without."


def test_xlate_rules_json() -> None:
    proc = xlate("rules", "--format", "json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert {d["layer"] for d in data} == {r.layer for r in RULES}
    flatten = next(d for d in data if d["layer"] == "Flatten")
    assert flatten["status"] == "translated" and "tf.reshape" in flatten["symbols"]
    mix_up = next(d for d in data if d["layer"] == "FlaxLayer")
    assert mix_up["counterpart"] is None and mix_up["reason"]
    assert set(flatten) >= {"layer", "names", "functions", "category", "status", "counterpart", "symbols",
                            "reason", "instead", "replaced_by", "seed_rows", "summary"}


def test_xlate_rules_status_filter() -> None:
    proc = xlate("rules", "--format", "json", "--status", "removed")
    assert {d["layer"] for d in json.loads(proc.stdout)} == {r.layer for r in RULES if r.status == "removed"}


def test_xlate_rules_markdown_covers_every_seed_row_and_rule() -> None:
    proc = xlate("rules", "--format", "markdown")
    assert proc.returncode == 0
    seeded, _, others = proc.stdout.partition("## Keras 3 layers beyond the seed table")
    for rule in RULES:
        assert f"| `{rule.layer}` |" in (seeded if rule.seed_rows else others), rule.layer
