"""The on-disk rule-table cache returns exactly what parsing returns, and never a stale table."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kerastf_xlate import rules as R


@pytest.fixture()
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    src = R.rules_dir()
    dst = tmp_path / "rules"
    dst.mkdir()
    for name in ("Dense.toml", "LSTM.toml", "Conv2D.toml", "Dropout.toml"):
        shutil.copyfile(src / name, dst / name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("XLATE_NO_CACHE", raising=False)
    monkeypatch.setattr(R, "_RACY_SECONDS", -60.0)  # files just written count as settled
    return dst


def _same(a: R.RuleSet, b: R.RuleSet) -> None:
    assert a.rules == b.rules
    assert list(a.by_name) == list(b.by_name)
    assert all(a.by_name[k] == b.by_name[k] for k in a.by_name)
    assert [type(r) for r in a.rules] == [type(r) for r in b.rules]


def test_cache_written_then_used(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = R.load_rules_cached(rules_copy)
    _same(first, R.load_rules(rules_copy))
    assert os.path.exists(R._cache_file(rules_copy))

    def boom(directory: Path | None = None) -> R.RuleSet:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(R, "load_rules", boom)
    _same(R.load_rules_cached(rules_copy), first)


def test_edit_invalidates(rules_copy: Path) -> None:
    R.load_rules_cached(rules_copy)
    path = rules_copy / "Dense.toml"
    text = path.read_text()
    path.write_text(text.replace('summary = "', 'summary = "EDITED ', 1))
    got = R.load_rules_cached(rules_copy)
    assert got.get("Dense").summary.startswith("EDITED ")
    _same(got, R.load_rules(rules_copy))


def test_added_and_removed_files_invalidate(rules_copy: Path) -> None:
    assert R.load_rules_cached(rules_copy).get("GRU") is None
    shutil.copyfile(R.rules_dir() / "GRU.toml", rules_copy / "GRU.toml")
    assert R.load_rules_cached(rules_copy).get("GRU") is not None
    (rules_copy / "GRU.toml").unlink()
    assert R.load_rules_cached(rules_copy).get("GRU") is None


def test_broken_rule_raises_as_without_cache(rules_copy: Path) -> None:
    R.load_rules_cached(rules_copy)
    (rules_copy / "Dense.toml").write_text('layer = "Dense"\n')
    with pytest.raises(R.RuleError) as cached:
        R.load_rules_cached(rules_copy)
    with pytest.raises(R.RuleError) as plain:
        R.load_rules(rules_copy)
    assert str(cached.value) == str(plain.value)


def test_corrupt_cache_file_is_ignored(rules_copy: Path) -> None:
    R.load_rules_cached(rules_copy)
    Path(R._cache_file(rules_copy)).write_bytes(b"\0" * 64)
    _same(R.load_rules_cached(rules_copy), R.load_rules(rules_copy))


def test_unwritable_cache_dir_falls_back(rules_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    _same(R.load_rules_cached(rules_copy), R.load_rules(rules_copy))


def test_recent_files_are_not_cached(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "_RACY_SECONDS", 3600.0)
    R.load_rules_cached(rules_copy)
    assert not os.path.exists(R._cache_file(rules_copy))


def test_no_cache_env(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLATE_NO_CACHE", "1")
    R.load_rules_cached(rules_copy)
    assert not os.path.exists(R._cache_file(rules_copy))


def test_default_rules_match_a_fresh_parse() -> None:
    _same(R.default_rules(), R.load_rules())
