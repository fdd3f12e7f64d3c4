"""Copy the runtime definitions a translated file needs into it (a small tree-shaker).

The runtime (``src/kerastf_xlate/runtime/tfr_*.py``) is real Python that imports TensorFlow;
this module only reads it as text: it finds every top-level definition, the names each one
reads, and emits the definitions a set of names needs, with their dependencies, in the
runtime's own order (base classes before the classes that extend them).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "runtime"
FIRST = ("tfr_base.py", "tfr_initializers.py", "tfr_activations.py")
BANNER = "# --- TensorFlow layers written out by xlate to-tf (Keras's semantics, no Keras) ---"
END = "# --- end of the layers written out by xlate to-tf ---"


@dataclass(frozen=True)
class Definition:
    """One top-level statement of a runtime file: the names it binds and reads, its source."""

    file: str
    index: int
    binds: frozenset[str]
    reads: frozenset[str]
    source: str


@dataclass(frozen=True)
class Runtime:
    definitions: tuple[Definition, ...]
    imports: tuple[str, ...]  # import statements of the runtime files (other than tensorflow and siblings)

    @functools.cached_property
    def by_name(self) -> dict[str, Definition]:
        out: dict[str, Definition] = {}
        for d in self.definitions:
            for name in d.binds:
                if name in out and out[name] is not d:
                    raise ValueError(f"runtime: `{name}` is defined in {out[name].file} and again in {d.file}")
                out[name] = d
        return out

    @property
    def public(self) -> frozenset[str]:
        """Names user code may refer to (classes and functions not starting with ``_``)."""
        return frozenset(n for n in self.by_name if not n.startswith("_"))

    def closure(self, names: set[str]) -> list[Definition]:
        """The definitions ``names`` need, transitively, in runtime order."""
        todo = [n for n in names if n in self.by_name]
        seen: set[int] = set()
        chosen: list[Definition] = []
        while todo:
            d = self.by_name[todo.pop()]
            if id(d) in seen:
                continue
            seen.add(id(d))
            chosen.append(d)
            todo.extend(n for n in d.reads if n in self.by_name)
        order = {id(d): i for i, d in enumerate(self.definitions)}
        return sorted(chosen, key=lambda d: order[id(d)])

    def source(self, names: set[str], banner: bool = True, bound: frozenset[tuple[str, str, str | None]] = frozenset()) -> str:
        """The block of definitions for ``names`` (empty when none is a runtime name), with
        the runtime's imports they use, except those made already (:func:`import_keys` of
        the user's imports before the block)."""
        chosen = self.closure(names)
        if not chosen:
            return ""
        used_imports = [imp for imp in self.imports if _import_used(imp, chosen) and not import_keys(ast.parse(imp).body[0]) <= bound]
        parts = [BANNER] if banner else []
        if used_imports:
            parts.append("\n".join(used_imports))
        text = "\n".join(parts) + ("\n\n\n" if parts else "") + "\n\n\n".join(d.source for d in chosen) + "\n"
        return text + ("\n\n" + END + "\n" if banner else "")


def import_keys(stmt: ast.stmt) -> set[tuple[str, str, str | None]]:
    """What an import statement binds, one key per alias: ``("", "math", None)`` for
    ``import math``, ``("tensorflow", "Module", "M")`` for ``from tensorflow import Module as M``."""
    if isinstance(stmt, ast.Import):
        return {("", a.name, a.asname) for a in stmt.names}
    if isinstance(stmt, ast.ImportFrom) and not stmt.level:
        return {(stmt.module or "", a.name, a.asname) for a in stmt.names}
    return set()


def import_binds(imp: str) -> dict[str, tuple[str, str, str | None]]:
    """The names a runtime import statement binds, each with its key (:func:`import_keys`)."""
    stmt = ast.parse(imp).body[0]
    out: dict[str, tuple[str, str, str | None]] = {}
    for key in import_keys(stmt):
        module, name, asname = key
        out[asname or (name.split(".")[0] if not module else name)] = key
    return out


def _import_used(imp: str, chosen: list[Definition]) -> bool:
    node = ast.parse(imp).body[0]
    names = {(a.asname or a.name).split(".")[0] for a in node.names}  # type: ignore[attr-defined]
    return any(names & d.reads for d in chosen)


def _reads(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


def _binds(node: ast.stmt) -> frozenset[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return frozenset({node.name})
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return frozenset(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset()


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "".join(lines[first - 1 : node.end_lineno]).rstrip("\n")


@functools.lru_cache(maxsize=4)
def load_runtime(directory: Path = RUNTIME_DIR) -> Runtime:
    """The runtime's definitions, through an on-disk cache beside the rule table's (reading
    them parses every runtime file: most of the first translation's time in a fresh process,
    which is every ``xlate lint`` and ``xlate to-tf`` run). ``XLATE_NO_CACHE=1`` reads them."""
    import os

    if os.environ.get("XLATE_NO_CACHE"):
        return _load_runtime(directory)
    from kerastf_xlate.rules import _cache_key, cache_dir

    key = _cache_key(directory)  # the directory's files, the package version, Python's
    try:
        me = os.stat(__file__)
    except OSError:
        key = None
    if key is None:
        return _load_runtime(directory)
    import hashlib

    digest = hashlib.blake2b(key[0] + repr((_RUNTIME_CACHE_FORMAT, me.st_size, me.st_mtime_ns)).encode(), digest_size=20).digest()
    path = os.path.join(cache_dir(), "runtime-" + hashlib.blake2b(str(directory).encode("utf-8", "surrogatepass"),
                                                                  digest_size=8).hexdigest() + ".marshal")
    cached = _read_runtime(path, digest)
    if cached is not None:
        return cached
    runtime = _load_runtime(directory)
    if not key[1]:  # a file changed in the last seconds: do not keep what may be half-written
        _write_runtime(path, digest, runtime)
    return runtime


_RUNTIME_CACHE_FORMAT = 1


def _read_runtime(path: str, digest: bytes) -> Runtime | None:
    import marshal

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if data[: len(digest)] != digest:
            return None
        defs, imports = marshal.loads(data[len(digest):])
        return Runtime(tuple(Definition(f, i, frozenset(b), frozenset(r), src) for f, i, b, r, src in defs), tuple(imports))
    except Exception:  # a corrupt or foreign cache file is ignored, never fatal
        return None


def _write_runtime(path: str, digest: bytes, runtime: Runtime) -> None:
    import marshal
    import os

    from kerastf_xlate.writer import atomic_write

    try:
        defs = tuple((d.file, d.index, tuple(sorted(d.binds)), tuple(sorted(d.reads)), d.source) for d in runtime.definitions)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, digest + marshal.dumps((defs, tuple(runtime.imports))))
    except Exception:  # an unwritable cache directory: just don't cache
        pass


def _load_runtime(directory: Path) -> Runtime:
    files = sorted(p.name for p in directory.glob("tfr_*.py"))
    ordered = [f for f in FIRST if f in files] + [f for f in files if f not in FIRST]
    siblings = {f[:-3] for f in files}
    definitions: list[Definition] = []
    imports: list[str] = []
    for name in ordered:
        text = (directory / name).read_text(encoding="utf-8")
        tree = ast.parse(text, str(directory / name))
        lines = text.splitlines(keepends=True)
        for i, stmt in enumerate(tree.body):
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                continue  # the file's docstring
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                if isinstance(stmt, ast.ImportFrom) and stmt.module in siblings:
                    continue
                src = _segment(lines, stmt)
                if src != "import tensorflow as tf" and src not in imports:
                    imports.append(src)
                continue
            definitions.append(Definition(name, i, _binds(stmt), _reads(stmt), _segment(lines, stmt)))
    return Runtime(tuple(definitions), tuple(imports))
