"""``[tool.xlate]`` configuration, read from the nearest ``pyproject.toml`` above a file.

Keys (hyphens or underscores): ``select``, ``ignore`` (code prefixes), ``exclude``,
``extend-exclude`` (globs), ``per-file-ignores`` (glob -> codes). An unknown key or a wrong
type is a :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KNOWN_KEYS = ("select", "ignore", "exclude", "extend-exclude", "per-file-ignores")


class ConfigError(Exception):
    def __init__(self, path: str, key: str, problem: str) -> None:
        super().__init__(f"{path}: [tool.xlate] key '{key}': {problem}")


@dataclass(frozen=True)
class Config:
    root: str | None = None  # directory holding the pyproject.toml, None for defaults
    select: tuple[str, ...] = ("XL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    def enabled(self, code: str, path: str | None = None) -> bool:
        """Is ``code`` reported for ``path``? Between ``select`` and ``ignore`` the longest
        matching prefix wins; ``per-file-ignores`` then remove codes for matching files,
        however specific the selection (as in Ruff)."""
        sel = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ign = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        if sel < 0 or sel <= ign:
            return False
        if path is not None and self.per_file_ignores:
            rel = self.relative(path)
            for pattern, codes in self.per_file_ignores:
                if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern):
                    if any(code.startswith(p) for p in codes):
                        return False
        return True

    def relative(self, path: str) -> str:
        if self.root is None:
            return path.replace(os.sep, "/")
        try:
            return os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        except ValueError:
            return path.replace(os.sep, "/")

    def excludes(self, path: str) -> bool:
        from kerastf_xlate.sources import is_excluded

        return bool(self.exclude) and is_excluded(self.relative(path), self.exclude)


def _codes(path: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, key, "expected a list of code prefixes")
    return tuple(value)


def parse_config(path: str, table: Any) -> Config:
    if not isinstance(table, dict):
        raise ConfigError(path, "tool.xlate", "expected a table")
    norm = {}
    for key, value in table.items():
        k = key.replace("_", "-")
        if k not in KNOWN_KEYS:
            raise ConfigError(path, key, f"unknown key (known: {', '.join(KNOWN_KEYS)})")
        norm[k] = value
    exclude: tuple[str, ...] = ()
    for k in ("exclude", "extend-exclude"):
        if k in norm:
            exclude += _codes(path, k, norm[k])
    pfi = norm.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(path, "per-file-ignores", "expected a table of glob = [codes]")
    return Config(
        root=os.path.dirname(os.path.abspath(path)),
        select=_codes(path, "select", norm["select"]) if "select" in norm else ("XL",),
        ignore=_codes(path, "ignore", norm["ignore"]) if "ignore" in norm else (),
        exclude=exclude,
        per_file_ignores=tuple((g, _codes(path, f"per-file-ignores.{g}", c)) for g, c in pfi.items()),
    )


@lru_cache(maxsize=256)
def _config_in(directory: str) -> Config | None:
    candidate = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(candidate):
        try:
            with open(candidate, "rb") as fh:
                doc = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(candidate, "-", f"cannot read: {exc}") from None
        table = doc.get("tool", {}).get("xlate")
        if table is not None:
            return parse_config(candidate, table)
    parent = os.path.dirname(directory)
    if parent == directory:
        return None
    return _config_in(parent)


def find_config(path: str | None) -> Config:
    """The configuration governing ``path`` (a file or directory; cwd when None)."""
    start = os.path.abspath(path or os.getcwd())
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return _config_in(start) or Config()


def load_config_file(path: str) -> Config:
    """An explicit ``--config FILE`` (a pyproject.toml or a bare xlate.toml)."""
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    table = doc.get("tool", {}).get("xlate", doc if "tool" not in doc else {})
    return parse_config(path, table)
