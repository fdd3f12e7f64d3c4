"""``[tool.xlate]`` in the nearest pyproject.toml: keys, precedence, errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kerastf_xlate.config import Config, ConfigError, find_config, load_config_file, parse_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_defaults_select_everything() -> None:
    cfg = Config()
    assert all(cfg.enabled(c) for c in ("XL001", "XL101", "XL201", "XL203"))
    assert not cfg.excludes("a/b.py")


@pytest.mark.parametrize(
    "select, ignore, enabled, disabled",
    [
        (["XL"], [], ["XL101", "XL202"], []),
        (["XL1"], [], ["XL101", "XL102"], ["XL201"]),
        (["XL"], ["XL2"], ["XL101"], ["XL201", "XL202", "XL203"]),
        (["XL"], ["XL203"], ["XL201", "XL202"], ["XL203"]),
        # the longest matching prefix wins: select XL203 back out of an ignored XL2
        (["XL", "XL203"], ["XL2"], ["XL203", "XL101"], ["XL201"]),
        (["XL2"], ["XL"], ["XL201"], ["XL101"]),
    ],
)
def test_select_and_ignore_prefixes(select: list[str], ignore: list[str], enabled: list[str], disabled: list[str]) -> None:
    cfg = Config(select=tuple(select), ignore=tuple(ignore))
    assert [c for c in enabled if cfg.enabled(c)] == enabled
    assert [c for c in disabled if cfg.enabled(c)] == []


def test_nearest_pyproject_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", """
        [tool.xlate]
        ignore = ["XL101"]
    """)
    write(tmp_path / "pkg" / "pyproject.toml", """
        [tool.xlate]
        ignore = ["XL2"]
    """)
    write(tmp_path / "other" / "pyproject.toml", """
        [project]
        name = "no-xlate-table-here"
    """)
    inner = find_config(str(tmp_path / "pkg" / "sub" / "m.py"))
    assert inner.ignore == ("XL2",) and inner.root == str(tmp_path / "pkg")
    # a pyproject.toml without [tool.xlate] does not stop the search upwards
    other = find_config(str(tmp_path / "other" / "m.py"))
    assert other.ignore == ("XL101",) and other.root == str(tmp_path)
    assert find_config(str(tmp_path / "pkg")).ignore == ("XL2",)


def test_no_config_anywhere_gives_defaults(tmp_path: Path) -> None:
    # tmp_path sits under the system temp directory, which has no pyproject.toml with [tool.xlate]
    assert find_config(str(tmp_path / "x.py")).select == ("XL",)


def test_all_keys_and_both_spellings(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", """
        [tool.xlate]
        select = ["XL1", "XL2"]
        ignore = ["XL203"]
        exclude = ["generated/*"]
        extend_exclude = ["legacy"]

        [tool.xlate.per-file-ignores]
        "tests/*" = ["XL101"]
        "conftest.py" = ["XL"]
    """)
    cfg = find_config(str(path))
    assert cfg.select == ("XL1", "XL2") and cfg.ignore == ("XL203",)
    assert cfg.exclude == ("generated/*", "legacy")
    assert cfg.excludes(str(tmp_path / "generated" / "m.py"))
    assert cfg.excludes(str(tmp_path / "pkg" / "legacy" / "m.py"))
    assert not cfg.excludes(str(tmp_path / "pkg" / "m.py"))
    assert not cfg.enabled("XL101", str(tmp_path / "tests" / "test_m.py"))
    assert cfg.enabled("XL102", str(tmp_path / "tests" / "test_m.py"))
    assert cfg.enabled("XL101", str(tmp_path / "src" / "m.py"))
    # a bare file-name pattern matches in every directory, and wins over a longer select
    assert not cfg.enabled("XL201", str(tmp_path / "deep" / "er" / "conftest.py"))
    assert cfg.enabled("XL201", str(tmp_path / "deep" / "er" / "other.py"))


@pytest.mark.parametrize(
    "table, key, problem",
    [
        ('colour = "blue"', "colour", "unknown key"),
        ('selct = ["XL1"]', "selct", "unknown key"),
        ('select = "XL1"', "select", "expected a list"),
        ("ignore = [1]", "ignore", "expected a list"),
        ('exclude = "build"', "exclude", "expected a list"),
        ('per-file-ignores = ["x"]', "per-file-ignores", "expected a table"),
        ('[tool.xlate.per-file-ignores]\n"a.py" = "XL1"', "per-file-ignores.a.py", "expected a list"),
    ],
)
def test_bad_keys_are_errors_naming_file_and_key(tmp_path: Path, table: str, key: str, problem: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.xlate]\n" + table + "\n")
    with pytest.raises(ConfigError) as info:
        find_config(str(tmp_path / "m.py"))
    message = str(info.value)
    assert message.startswith(f"{path}: [tool.xlate] key '{key}': ")
    assert problem in message


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.xlate\n")
    with pytest.raises(ConfigError, match="cannot read"):
        find_config(str(tmp_path / "m.py"))


def test_explicit_config_file(tmp_path: Path) -> None:
    bare = write(tmp_path / "xlate.toml", """
        ignore = ["XL101"]
    """)
    assert load_config_file(str(bare)).ignore == ("XL101",)
    project = write(tmp_path / "pyproject.toml", """
        [tool.xlate]
        select = ["XL2"]
    """)
    assert load_config_file(str(project)).select == ("XL2",)


def test_parse_config_rejects_non_table() -> None:
    with pytest.raises(ConfigError, match="expected a table"):
        parse_config("pyproject.toml", ["XL1"])
