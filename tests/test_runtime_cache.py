"""The on-disk cache of the runtime's definitions (to-tf's program form reads them on every
run; lint runs to-tf's analysis): the cached value equals a fresh read, a corrupt or stale
file is ignored, ``XLATE_NO_CACHE`` bypasses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerastf_xlate.totf.program import bundle


@pytest.fixture()
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("XLATE_NO_CACHE", raising=False)
    bundle.load_runtime.cache_clear()
    yield tmp_path
    bundle.load_runtime.cache_clear()


def test_cached_equals_fresh_and_survives_corruption(cache_home: Path) -> None:
    fresh = bundle._load_runtime(bundle.RUNTIME_DIR)
    first = bundle.load_runtime()
    (cached,) = (cache_home / "kerastf-xlate").glob("runtime-*.marshal")
    bundle.load_runtime.cache_clear()
    again = bundle.load_runtime()  # read from the file
    assert first == fresh and again == fresh and again.public == fresh.public
    cached.write_bytes(cached.read_bytes()[:40] + b"garbage")
    bundle.load_runtime.cache_clear()
    assert bundle.load_runtime() == fresh
    cached.write_bytes(b"\0" * 20 + cached.read_bytes()[20:])  # another digest: stale, ignored
    bundle.load_runtime.cache_clear()
    assert bundle.load_runtime() == fresh


def test_no_cache_reads_the_files(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLATE_NO_CACHE", "1")
    assert bundle.load_runtime() == bundle._load_runtime(bundle.RUNTIME_DIR)
    assert not (cache_home / "kerastf-xlate").exists()
