"""Which classes of a file are Keras ``Model``/``Layer`` subclasses, across the files of a run.

A class is a model (or layer) class when one of its bases is ``keras.Model`` (``Layer``), a
class of the file that is one, or a class another file of the same run defines and
translates (docs/design.md, "Class hierarchies over several files"). What the other files
define is known only to a directory run (:mod:`kerastf_xlate.tree`): its second phase
translates a file with :func:`imported_bases` set to the names the file imports of such
classes; a file translated on its own has none.

A functional subclass builds its graph in its constructor and hands it to the base,
``super().__init__(inputs=..., outputs=..., **kwargs)`` (keras-hub's backbones): that call
is a model statement (:func:`super_init_calls`), whose graph function the runtime ``Model``
takes as ``super().__init__(graph, **kwargs)``.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar

from kerastf_xlate.totf.program.names import Ref

MODEL, LAYER = "keras.Model", "keras.layers.Layer"

# local name -> MODEL or LAYER: classes of other files of the run, translated there, that this
# file imports (set by a directory run's second phase for one file's translation)
_IMPORTED: ContextVar[Mapping[str, str] | None] = ContextVar("xlate_imported_bases", default=None)


def imported_bases() -> Mapping[str, str]:
    """The names this translation takes as translated Keras classes of other files."""
    return _IMPORTED.get() or {}


@contextlib.contextmanager
def importing(bases: Mapping[str, str]) -> Iterator[None]:
    """Translate with ``bases`` (local name -> kind) as :func:`imported_bases`."""
    token = _IMPORTED.set(dict(bases))
    try:
        yield
    finally:
        _IMPORTED.reset(token)


def _imported_names(tree: ast.Module) -> set[str]:
    """Names bound at module level by ``from ... import`` (the only way a base reaches here)."""
    return {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}


def subclasses(tree: ast.Module, refs: list[Ref], kinds: tuple[str, ...] = (MODEL,)) -> set[str]:
    """Names of the file's classes whose bases reach a Keras class of ``kinds``: directly,
    through a class of the file, or through an imported class of another file of the run."""
    direct = {id(r.node) for r in refs if r.role == "base" and r.name in kinds}
    outside = {name for name, kind in imported_bases().items() if kind in kinds} & _imported_names(tree)
    classes = [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]
    found = {c.name for c in classes if any(id(b) in direct or (isinstance(b, ast.Name) and b.id in outside)
                                            for b in c.bases)}
    changed = True
    while changed:
        changed = False
        for c in classes:
            if c.name not in found and any(isinstance(b, ast.Name) and b.id in found for b in c.bases):
                found.add(c.name)
                changed = True
    return found


def is_super_init(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "super" and not f.value.args)


def super_init_calls(tree: ast.Module, refs: list[Ref]) -> list[Ref]:
    """``super().__init__(inputs=..., outputs=..., ...)`` (or two positional arguments) in the
    ``__init__`` of a model class of the file, as model statements."""
    models = subclasses(tree, refs)
    out: list[Ref] = []
    for c in ast.walk(tree):
        if not (isinstance(c, ast.ClassDef) and c.name in models):
            continue
        for f in c.body:
            if not (isinstance(f, ast.FunctionDef) and f.name == "__init__"):
                continue
            for n in ast.walk(f):
                if isinstance(n, ast.Call) and is_super_init(n):
                    kw = {k.arg for k in n.keywords}
                    positional = [a for a in n.args[:2] if not isinstance(a, ast.Starred)]
                    if {"inputs", "outputs"} <= kw or len(positional) == 2:
                        out.append(Ref(n.func, MODEL, MODEL, n, "call"))
    return out
