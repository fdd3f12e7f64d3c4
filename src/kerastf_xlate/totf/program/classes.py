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
# a model class whose ``__init__`` (or a base's) does not pass ``super().__init__``'s arguments on
# unchanged: a subclass's ``super().__init__(inputs, outputs)`` would not reach the runtime's
# ``Model`` as the graph function
MODEL_OWN_INIT = "keras.Model+__init__"

# local name -> MODEL, MODEL_OWN_INIT or LAYER: classes of other files of the run, translated
# there, that this file imports (set by a directory run's second phase for one file's translation)
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
    if MODEL in kinds:
        kinds = kinds + (MODEL_OWN_INIT,)
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


def _own_forward_pass(cls: ast.ClassDef) -> bool:
    """``cls`` defines ``call`` or ``build``: a Keras functional model whose class does runs
    that instead of (or before) its graph, which the translation does not follow."""
    return any(isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name in ("call", "build") for f in cls.body)


def forwards(cls: ast.ClassDef) -> bool:
    """``cls`` passes what ``super().__init__`` is given on to its base unchanged, and has no
    forward pass of its own: it has no ``__init__``, or one taking ``*args`` and ``**kwargs`` that reads them only to call
    ``super().__init__(*args, **kwargs)`` (other keywords beside them, as keras-hub's
    ``Backbone.__init__(self, *args, dtype=None, **kwargs)``)."""
    if _own_forward_pass(cls):
        return False  # the graph would not be what a call runs
    init = next((f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == "__init__"), None)
    if init is None:
        return True
    a = init.args
    if a.vararg is None or a.kwarg is None or len(a.posonlyargs) + len(a.args) != 1:
        return False
    star, starstar = a.vararg.arg, a.kwarg.arg
    calls = [n for n in ast.walk(init) if isinstance(n, ast.Call) and is_super_init(n)]
    if len(calls) != 1:
        return False
    call = calls[0]
    if not (len(call.args) == 1 and isinstance(call.args[0], ast.Starred) and isinstance(call.args[0].value, ast.Name)
            and call.args[0].value.id == star):
        return False
    if not any(k.arg is None and isinstance(k.value, ast.Name) and k.value.id == starstar for k in call.keywords) \
            or any(k.arg in ("inputs", "outputs") for k in call.keywords):
        return False
    passed = {id(call.args[0].value)} | {id(k.value) for k in call.keywords if k.arg is None}
    return not any(isinstance(n, ast.Name) and n.id in (star, starstar) and id(n) not in passed for n in ast.walk(init))


def _reaches_model_unchanged(name: str, classes: dict[str, ast.ClassDef], direct: set[int],
                             seen: frozenset[str] = frozenset()) -> bool:
    """Every base of class ``name`` on the way to ``keras.Model`` forwards the arguments."""
    c = classes.get(name)
    if c is None or name in seen:
        return False
    outside = imported_bases()
    for b in c.bases:
        if id(b) in direct:
            return True
        if isinstance(b, ast.Name) and b.id in classes and b.id != name:
            if forwards(classes[b.id]) and _reaches_model_unchanged(b.id, classes, direct, seen | {name}):
                return True
        elif isinstance(b, ast.Name) and outside.get(b.id) == MODEL:
            return True
    return False


def super_init_calls(tree: ast.Module, refs: list[Ref]) -> list[Ref]:
    """``super().__init__(inputs=..., outputs=..., ...)`` (or two positional arguments) in the
    ``__init__`` of a model class of the file whose bases pass it on unchanged to
    ``keras.Model``, as model statements."""
    models = subclasses(tree, refs)
    direct = {id(r.node) for r in refs if r.role == "base" and r.name == MODEL}
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    out: list[Ref] = []
    for c in classes.values():
        if c.name not in models or _own_forward_pass(c) or not _reaches_model_unchanged(c.name, classes, direct):
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
