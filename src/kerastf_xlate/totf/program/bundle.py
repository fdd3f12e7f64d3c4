"""Copy the runtime definitions a translated file needs into it (a small tree-shaker).

The runtime (``src/kerastf_xlate/runtime/tfr_*.py``) is real Python that imports TensorFlow;
this module only reads it as text: it finds every top-level definition, the names each one
reads, and emits the definitions a set of names needs, with their dependencies, in the
runtime's own order (base classes before the classes that extend them).
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from dataclasses import dataclass
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "runtime"
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
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

    def source(self, names: set[str], banner: bool = True, bound: frozenset[tuple[str, str, str | None]] = frozenset(),
               rename: dict[str, str] | None = None) -> str:
        """The block of definitions for ``names`` (empty when none is a runtime name), with
        the runtime's imports they use, except those made already (:func:`import_keys` of
        the user's imports before the block). ``rename`` (:func:`rename_plan`) gives some
        of the block's names another name, everywhere in the block: the file binds them to
        something of its own."""
        chosen = self.closure(names)
        if not chosen:
            return ""
        rename = rename or {}
        used_imports = [rename_import(imp, rename) for imp in self.imports if _import_used(imp, chosen)]
        used_imports = [imp for imp in used_imports if not import_keys(ast.parse(imp).body[0]) <= bound]
        parts = [BANNER] if banner else []
        if used_imports:
            parts.append("\n".join(used_imports))
        # builtins the file binds to values of its own, renamed in the block: bound to the builtins
        shadowed = sorted((old, new) for old, new in rename.items() if old in BUILTIN_NAMES and old not in self.by_name)
        if shadowed:
            parts.append("import builtins as _xlate_builtins  # the file binds these names to values of its own\n"
                         + "\n".join(f"{new} = _xlate_builtins.{old}" for old, new in shadowed))
        sources = [rename_source(d.source, rename) if rename.keys() & (d.reads | d.binds) else d.source for d in chosen]
        text = "\n".join(parts) + ("\n\n\n" if parts else "") + "\n\n\n".join(sources) + "\n"
        return text + ("\n\n" + END + "\n" if banner else "")


def new_name(name: str, taken: set[str] | frozenset[str]) -> str:
    """The name a runtime definition takes when the user's file binds ``name`` itself:
    ``Dense`` -> ``TFDense``, ``epsilon`` -> ``tf_epsilon``, ``_ops_mean`` -> ``_ops_mean_tf``
    (then ``_2``, ``_3``... while that is taken too). Deterministic, so a second run gives
    the same file."""
    if name.startswith("_"):
        base = name + "_tf"
    elif name[:1].isupper():
        base = "TF" + name
    else:
        base = "tf_" + name
    out, i = base, 1
    while out in taken:
        i += 1
        out = f"{base}_{i}"
    return out


def rename_plan(names: set[str] | frozenset[str], taken: set[str] | frozenset[str]) -> dict[str, str]:
    """A new name for each of ``names``, none of them in ``taken`` nor another's new name."""
    out: dict[str, str] = {}
    used = set(taken)
    for name in sorted(names):
        out[name] = new_name(name, used)
        used.add(out[name])
    return out


def rename_import(imp: str, rename: dict[str, str]) -> str:
    """A runtime import statement binding its renamed names under their new names
    (``import re`` -> ``import re as tf_re``)."""
    stmt = ast.parse(imp).body[0]
    if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return imp
    changed = False
    aliases = []
    for a in stmt.names:
        local = a.asname or (a.name if isinstance(stmt, ast.ImportFrom) else a.name.split(".")[0])
        if local in rename and (isinstance(stmt, ast.ImportFrom) or a.asname or "." not in a.name):
            aliases.append(f"{a.name} as {rename[local]}")
            changed = True
        else:
            aliases.append(a.name + (f" as {a.asname}" if a.asname else ""))
    if not changed:
        return imp
    if isinstance(stmt, ast.ImportFrom):
        return f"from {'.' * stmt.level}{stmt.module or ''} import {', '.join(aliases)}"
    return f"import {', '.join(aliases)}"


def rename_source(source: str, rename: dict[str, str]) -> str:
    """``source`` (one top-level definition) with every reference to a module-level name of
    ``rename`` renamed; a name a function binds locally (a parameter, an assignment, an
    import) is that function's own and stays, and so do attributes, keywords and strings.
    A renamed class or function keeps its ``__name__`` (Keras's automatic layer names, a
    loss's name and ``summary()`` read it): a line after the definition restores it."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    spans: list[tuple[int, int, str]] = []
    restore: list[tuple[str, str]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name in rename:
            line = lines[stmt.lineno - 1]
            m = re.search(r"\b(?:def|class)\s+(" + re.escape(stmt.name) + r")\b", line[len(line.encode("utf-8")[:stmt.col_offset].decode("utf-8", errors="ignore")):])
            if m is None:  # pragma: no cover - a def's name is on its own line
                raise ValueError(f"runtime: cannot find the name of `{stmt.name}`")
            at = offset(stmt.lineno, stmt.col_offset) + m.start(1)
            spans.append((at, at + len(stmt.name), rename[stmt.name]))
            restore.append((rename[stmt.name], stmt.name))
    for node in _global_names(tree, set(rename)):
        a = offset(node.lineno, node.col_offset)
        spans.append((a, a + len(node.id), rename[node.id]))
    for g in ast.walk(tree):  # `global Dense` names the module's binding
        if isinstance(g, ast.Global) and set(g.names) & set(rename):
            a = offset(g.lineno, g.col_offset)
            b = offset(g.end_lineno or g.lineno, g.end_col_offset or 0)
            for m in re.finditer(r"\b\w+\b", source[a:b]):
                if m.group() in rename and m.start() > 0:
                    spans.append((a + m.start(), a + m.end(), rename[m.group()]))
    out = source
    for a, b, text in sorted(spans, reverse=True):
        out = out[:a] + text + out[b:]
    for new, old in restore:
        out += f"\n{new}.__name__ = {new}.__qualname__ = {old!r}  # the file defines its own `{old}`"
    return out


def _global_names(tree: ast.Module, names: set[str]) -> list[ast.Name]:
    """The ``ast.Name`` nodes of ``tree`` that refer to a module-level name of ``names``."""
    found: list[ast.Name] = []

    def local_names(fn: ast.AST) -> set[str]:
        """What a function (or lambda, comprehension) binds in its own scope."""
        out: set[str] = set()
        declared_global: set[str] = set()
        args = getattr(fn, "args", None)
        if isinstance(args, ast.arguments):
            for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if a is not None:
                    out.add(a.arg)
        if isinstance(fn, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for g in fn.generators:
                out |= {n.id for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            return out
        body = fn.body if isinstance(fn.body, list) else [fn.body]  # type: ignore[attr-defined]
        todo: list[ast.AST] = list(body)
        while todo:
            n = todo.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
                todo.extend(n.decorator_list)
                continue
            if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue
            if isinstance(n, ast.Global):
                declared_global |= set(n.names)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                out.add(n.id)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                out |= {(a.asname or a.name).split(".")[0] for a in n.names}
            elif isinstance(n, ast.ExceptHandler) and n.name:
                out.add(n.name)
            todo.extend(ast.iter_child_nodes(n))
        return out - declared_global

    def visit(node: ast.AST, shadowed: frozenset[str]) -> None:
        if isinstance(node, ast.Name):
            if node.id in names and node.id not in shadowed:
                found.append(node)
            return
        scoped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        if isinstance(node, scoped):
            # decorators, defaults and annotations run in the enclosing scope
            outer: list[ast.AST] = list(getattr(node, "decorator_list", []))
            args = getattr(node, "args", None)
            if isinstance(args, ast.arguments):
                outer += args.defaults + [d for d in args.kw_defaults if d is not None]
                outer += [a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs if a.annotation is not None]
            returns = getattr(node, "returns", None)
            if returns is not None:
                outer.append(returns)
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                outer.append(node.generators[0].iter)
            for o in outer:
                visit(o, shadowed)
            inner = shadowed | local_names(node)
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                parts: list[ast.AST] = [node.elt] if not isinstance(node, ast.DictComp) else [node.key, node.value]
                for i, g in enumerate(node.generators):
                    parts += ([] if i == 0 else [g.iter]) + list(g.ifs)
            else:
                parts = list(node.body) if isinstance(node.body, list) else [node.body]
            for p in parts:
                visit(p, frozenset(inner))
            return
        if isinstance(node, ast.ClassDef):
            for o in [*node.decorator_list, *node.bases, *node.keywords]:
                visit(o, shadowed)
            # names the class body binds are its own (methods are attributes)
            own = {n.id for s in node.body for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                   and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
            own |= {s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
            for s in node.body:
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(s, shadowed)  # a method does not see the class body's names
                else:
                    visit(s, shadowed | own)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, shadowed)

    for stmt in tree.body:
        visit(stmt, frozenset())
    return found


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
