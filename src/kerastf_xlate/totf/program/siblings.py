"""A model given to a function of the program's own other modules (issue #13).

Programs hand their models to helpers of their own folder or package:
``gan.plot_images(generator, ...)``, ``from vae_utils import morph_faces`` then
``morph_faces(data, vae)``, ``mdl.lab3.save_video_of_model(model, ...)``. The translated model
reaches code this file does not hold, so the translation used to keep every such model Keras
("defined outside this file: what it does with it cannot be checked").

Where that module is a Python file the program imports from its own folder, it is read and
parsed (never imported or run) and the function is judged as the file's own functions are:

- the module is found as Python finds it when the program runs from its folder: a relative
  import from the file's package; an absolute one in the file's folder, then up to three folders
  above it (a notebook run from the repository root imports ``notebooks.utils``); the first
  file found is the module, and a name it does not define at top level is not followed;
- in the function, and in the functions of its module it hands the model to, each read of the
  model is an attribute the translated model has (not one of
  :data:`~kerastf_xlate.totf.program.models.KERAS_ONLY`), a call of it, an unpacking or an alias
  (``generator, discriminator, adversarial = models``), or an argument to a function of that
  module, to another module found the same way (two modules deep at most), or to the standard
  library, NumPy or TensorFlow;
- the function neither returns nor stores the model (the caller would hold a value the
  translation does not follow), and names no Keras API (``type(layer) == Conv2D`` compares
  with Keras's class, which the translated model's layers are not).

Anything else keeps the model Keras, with what was found and where. Nothing here changes
the other module: a helper that works on the model through the APIs the runtime gives works
on the translated model as it did on Keras's.
"""

from __future__ import annotations

import ast
import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from kerastf_xlate.totf.program.imported import import_bindings, is_keras

# the folder of the file being translated (None: from stdin, or no file): where its modules are
_FOLDER: ContextVar[str | None] = ContextVar("xlate_program_folder", default=None)
# modules whose functions take a translated model as they take a Keras one (or do not care)
_SAFE = {"tensorflow", "numpy", "tf", "np"} | set(sys.stdlib_module_names)
_PARENTS = 3  # folders above the file's that an absolute import may be found from
_DEPTH = 2  # modules followed from the file
# builtins that give nothing of the model back (not `list`, `zip`, `getattr`, ...)
_INERT_BUILTINS = {"print", "len", "isinstance", "id", "type", "repr", "str", "hasattr", "callable", "format", "hash"}


@contextlib.contextmanager
def program_folder(path: str | None) -> Iterator[None]:
    """Translate one file knowing where it is (its modules are read from there)."""
    folder = os.path.dirname(os.path.abspath(path)) if path and os.path.isfile(path) else None
    token = _FOLDER.set(folder)
    try:
        yield
    finally:
        _FOLDER.reset(token)


@dataclass(frozen=True)
class _Module:
    path: str
    tree: ast.Module
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
    keras_names: frozenset[str]  # top-level names bound to Keras (imports)
    bindings: dict[str, tuple[str, str, int]]  # its imports (import_bindings, everywhere)
    defined: frozenset[str]  # the names it binds (a builtin it rebinds is not inert)


_PARSED: dict[tuple[str, int, int], _Module | None] = {}


def _module_at(path: str) -> _Module | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (path, st.st_mtime_ns, st.st_size)
    if key in _PARSED:
        return _PARSED[key]
    found: _Module | None = None
    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        tree = None
    if tree is not None:
        functions = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        bindings = import_bindings(tree, everywhere=True)
        keras_names = frozenset(n for n, (m, name, level) in bindings.items()
                                if level == 0 and (is_keras(m) or is_keras(f"{m}.{name}")))
        found = _Module(path, tree, functions, keras_names, bindings, frozenset(_defined(tree)))
    if len(_PARSED) > 256:
        _PARSED.clear()
    _PARSED[key] = found
    return found


def find_module(module: str, level: int, folder: str) -> str | None:
    """The file of ``module`` (``level`` dots before it) imported from a file in ``folder``, as
    Python finds it when the program runs from there (also the tree pass's rule, tree.py)."""
    parts = [p for p in module.split(".") if p]
    if level:
        bases = [folder]
        for _ in range(level - 1):
            bases = [os.path.dirname(bases[0])]
    else:
        bases = [folder]
        for _ in range(_PARENTS):
            up = os.path.dirname(bases[-1])
            if up == bases[-1]:
                break
            bases.append(up)
    for base in bases:
        p = os.path.join(base, *parts) if parts else base
        if parts and os.path.isfile(p + ".py"):
            return p + ".py"
        if os.path.isfile(os.path.join(p, "__init__.py")):
            return os.path.join(p, "__init__.py")
    return None


@dataclass(frozen=True)
class Callee:
    """A function of another module of the program, as a call in ``tree`` names it."""

    label: str  # where it is, for a message: `lib/gan.py`, line 120
    module: _Module
    func: ast.FunctionDef | ast.AsyncFunctionDef
    folder: str


def resolve(func: ast.expr, tree: ast.Module, folder: str | None = None) -> Callee | None:
    """The function ``func`` (the callee of a call in ``tree``) names, when it is defined at the
    top level of a Python module the program imports from its own folder; else None."""
    folder = folder if folder is not None else _FOLDER.get()
    if folder is None:
        return None
    path = ast.unparse(func).split(".")
    if not all(p.isidentifier() for p in path):
        return None
    bindings = import_bindings(tree, everywhere=True)
    candidates: list[tuple[str, int, str]] = []  # (module, level, function name)
    root = path[0]
    if root in bindings:
        module, name, level = bindings[root]
        dotted = [*([p for p in module.split(".") if p]), *([name] if name and name != "*" else []), *path[1:]]
        if len(dotted) < 2 and not level:
            return None
        candidates.append((".".join(dotted[:-1]), level, dotted[-1]))
    elif len(path) == 1:
        # `from nmt_utils import *` then `plot_attention_map(model, ...)`
        for stmt in ast.walk(tree):
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                candidates.append((stmt.module or "", stmt.level, root))
    for module, level, name in candidates:
        if not level and (module.split(".")[0] in _SAFE or is_keras(module)):
            continue
        found = find_module(module, level, folder)
        if found is None:
            continue
        mod = _module_at(found)
        if mod is not None and name in mod.functions:
            f = mod.functions[name]
            return Callee(f"`{os.path.relpath(found, folder)}`, line {f.lineno}", mod, f, os.path.dirname(found))
    return None


def reads_attributes(tree: ast.Module, attrs: set[str] | frozenset[str]) -> bool:
    """Whether a module of the program's own that ``tree`` calls a function of (or one that
    module calls a function of: as deep as :func:`judge` follows a model) reads one of ``attrs``
    anywhere: the runtime parts a model given to such a helper needs (its ``predict``, from the
    training layer) are not named in the file itself."""
    folder = _FOLDER.get()
    if folder is None:
        return False
    todo: list[tuple[ast.Module, str, int]] = [(tree, folder, 0)]
    seen: set[str] = set()
    while todo:
        here, where, depth = todo.pop()
        bindings = import_bindings(here, everywhere=True)
        star = any(isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names) for s in ast.walk(here))
        tried: set[str] = set()
        for n in ast.walk(here):
            if not isinstance(n, ast.Call):
                continue
            root: ast.AST = n.func
            while isinstance(root, ast.Attribute):
                root = root.value
            text = ast.unparse(n.func) if isinstance(root, ast.Name) and (root.id in bindings or star) else None
            if text is None or text in tried:
                continue  # (a function of an imported module, named once: resolved once)
            tried.add(text)
            callee = resolve(n.func, here, where)
            if callee is None or callee.module.path in seen:
                continue
            seen.add(callee.module.path)
            if any(isinstance(a, ast.Attribute) and a.attr in attrs for a in ast.walk(callee.module.tree)):
                return True
            if depth + 1 < _DEPTH:
                todo.append((callee.module.tree, callee.folder, depth + 1))
    return False


def given_params(call: ast.Call, func: ast.FunctionDef | ast.AsyncFunctionDef, given: list[ast.expr]) -> list[str] | None:
    """The parameters of ``func`` that ``call`` binds to the expressions ``given``; None when one
    of them goes to ``*args``/``**kwargs`` or to no parameter."""
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    kwonly = {a.arg for a in func.args.kwonlyargs}
    out: list[str] = []
    for i, a in enumerate(call.args):
        if any(a is g for g in given):
            if isinstance(a, ast.Starred) or i >= len(params):
                return None
            out.append(params[i])
    for k in call.keywords:
        if any(k.value is g for g in given):
            if k.arg is None or k.arg not in params and k.arg not in kwonly:
                return None
            out.append(k.arg)
    return out


def judge(callee: Callee, params: list[str], keras_only: frozenset[str] | set[str], depth: int = 0,
          seen: set[tuple[str, str, str]] | None = None) -> str | None:
    """Why the model given to ``params`` of ``callee`` must stay Keras; None when every use of
    it there works on the translated model."""
    seen = seen if seen is not None else set()
    mod, func = callee.module, callee.func
    for p in params:
        key = (mod.path, func.name, p)
        if key in seen:
            continue
        seen.add(key)
        why = _judge_param(callee, p, keras_only, depth, seen)
        if why is not None:
            return why
    return None


def _judge_param(callee: Callee, param: str, keras_only: frozenset[str] | set[str], depth: int,
                 seen: set[tuple[str, str, str]]) -> str | None:
    mod, func = callee.module, callee.func
    where = f"`{func.name}` ({callee.label})"
    parents = {id(c): p for p in ast.walk(func) for c in ast.iter_child_nodes(p)}
    for n in ast.walk(func):
        if (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in mod.keras_names
                or isinstance(n, ast.Attribute) and n.attr == "keras") and not _data_utility(n, mod, parents):
            return f"{where} names a Keras API (`{ast.unparse(n)[:40]}`) where it takes the model"
    names = {param}
    # aliases and unpackings, to a fixed point: `x = model`, `g, d, a = models`, `m = models[0]`
    for _ in range(4):
        before = len(names)
        for n in ast.walk(func):
            if isinstance(n, ast.Assign) and _holds(n.value, names):
                for t in n.targets:
                    for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                        if isinstance(e, ast.Name):
                            names.add(e.id)
                        else:
                            return f"{where} stores the model (`{ast.unparse(n)[:50]}`)"
            elif isinstance(n, (ast.For, ast.comprehension)) and _holds(n.iter, names) and isinstance(n.target, ast.Name):
                names.add(n.target.id)
        if len(names) == before:
            break
    for n in ast.walk(func):
        if not (isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)):
            continue
        up = parents.get(id(n))
        while isinstance(up, ast.Subscript) and up.value is not None and _holds(up.value, names):
            up = parents.get(id(up))  # `models[0]`: one of them
        if isinstance(up, ast.Attribute):
            chain = up
            attrs = [chain.attr]
            while isinstance(parents.get(id(chain)), ast.Attribute):
                chain = parents[id(chain)]  # type: ignore[assignment]
                attrs.append(chain.attr)
            bad = next((a for a in attrs if a in keras_only), None)
            if bad is not None:
                return f"{where} reads `{ast.unparse(chain)[:50]}`, a Keras model API the translated model does not have"
            continue
        if isinstance(up, ast.Call) and up.func is n:
            continue  # the model called on its input
        if isinstance(up, (ast.Assign, ast.For, ast.comprehension)):
            continue  # an alias or an unpacking, followed above
        if isinstance(up, (ast.Return, ast.Yield, ast.YieldFrom)) or _returned(n, parents):
            return f"{where} returns the model: what its caller does with it then is not followed"
        if isinstance(up, ast.Call) or isinstance(up, ast.keyword) and isinstance(parents.get(id(up)), ast.Call):
            call = up if isinstance(up, ast.Call) else parents[id(up)]
            assert isinstance(call, ast.Call)
            why = _given_on(callee, call, n, keras_only, depth, seen)
            if why is not None:
                return why
            continue
        if isinstance(up, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.JoinedStr, ast.FormattedValue)):
            continue  # `model is None`, `f"{model}"`
        return f"{where} uses the model in `{ast.unparse(up)[:50] if up is not None else param}`, which is not followed"
    return None


# Keras's data utilities (below a Keras root): functions of arrays, files and datasets, which a
# helper may call beside the model it is given (a course's `predict_and_sample` one-hot encodes
# the model's predictions with `to_categorical`). A class compared with the model's layers, a
# backend function or `plot_model` is not one of them; the model given to any of them is judged
# where it is given (a Keras function is not followed, so that keeps it Keras).
_DATA_UTILITIES = ("utils.to_categorical", "utils.np_utils.to_categorical", "utils.normalize", "utils.np_utils.normalize",
                   "utils.pad_sequences", "utils.load_img", "utils.img_to_array", "utils.array_to_img", "utils.save_img",
                   "utils.image_dataset_from_directory", "utils.text_dataset_from_directory",
                   "utils.timeseries_dataset_from_array", "utils.audio_dataset_from_directory", "utils.get_file",
                   "utils.data_utils.get_file", "preprocessing.image.", "preprocessing.sequence.", "preprocessing.text.",
                   "datasets.")


def _data_utility(node: ast.Name | ast.Attribute, mod: _Module, parents: dict[int, ast.AST]) -> bool:
    """``node`` (a name bound to Keras, or a ``.keras`` attribute) starts the dotted path of one of
    Keras's :data:`_DATA_UTILITIES`: ``to_categorical`` imported from ``tensorflow.keras.utils``,
    ``keras.preprocessing.sequence.pad_sequences``, ``tf.keras.utils.to_categorical``."""
    if isinstance(node, ast.Name):
        module, name, _ = mod.bindings[node.id]
        parts = [*module.split("."), *([name] if name else [])]
    else:
        parts = ["keras"]
    up: ast.AST = node
    while isinstance(parents.get(id(up)), ast.Attribute):
        up = parents[id(up)]
        parts.append(up.attr)  # type: ignore[attr-defined]
    below = next((parts[i + 1:] for i in range(len(parts) - 1, -1, -1) if parts[i] in ("keras", "tf_keras")), [])
    if below[:1] in (["src"], ["api"]):
        below = below[1:]
    path = ".".join(below)
    return bool(path) and any(path.startswith(u) if u.endswith(".") else path == u for u in _DATA_UTILITIES)


def _holds(expr: ast.AST | None, names: set[str]) -> bool:
    """``expr`` is one of ``names`` or an item of one (``models[0]``)."""
    if isinstance(expr, ast.Name):
        return expr.id in names
    if isinstance(expr, ast.Subscript):
        return _holds(expr.value, names)
    return False


def _returned(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    up = parents.get(id(node))
    while up is not None and not isinstance(up, ast.stmt):
        if isinstance(up, (ast.Call, ast.Lambda)):
            return False
        up = parents.get(id(up))
    return isinstance(up, ast.Return)


def _given_on(callee: Callee, call: ast.Call, arg: ast.AST, keras_only: frozenset[str] | set[str], depth: int,
              seen: set[tuple[str, str, str]]) -> str | None:
    """The model is an argument of ``call`` inside ``callee``'s function."""
    mod = callee.module
    where = f"`{callee.func.name}` ({callee.label})"
    f = call.func
    if isinstance(f, ast.Name) and f.id in mod.functions:
        target = mod.functions[f.id]
        params = given_params(call, target, [arg])  # type: ignore[list-item]
        if params is None:
            return f"{where} gives the model to `{f.id}` in a way that is not followed"
        return judge(Callee(f"`{os.path.basename(mod.path)}`, line {target.lineno}", mod, target, callee.folder),
                     params, keras_only, depth, seen)
    root = f
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(f, ast.Name) and f.id in _INERT_BUILTINS and f.id not in mod.defined:
        return None  # `print(model)`, `len(models)`, `isinstance(model, tuple)`: nothing of it comes back
    if isinstance(root, ast.Name) and root.id in mod.bindings:
        module, _, level = mod.bindings[root.id]
        keras = root.id in mod.keras_names or any(isinstance(a, ast.Attribute) and a.attr == "keras" for a in ast.walk(f))
        if not level and module.split(".")[0] in _SAFE and not keras:
            return None  # (a Keras function given the model, `tf.keras.utils.to_categorical(model)`, is not followed)
        if depth + 1 < _DEPTH:
            other = resolve(f, mod.tree, callee.folder)
            if other is not None:
                params = given_params(call, other.func, [arg])  # type: ignore[list-item]
                if params is not None:
                    return judge(other, params, keras_only, depth + 1, seen)
    return f"{where} gives the model to `{ast.unparse(f)[:40]}`, which is not followed"


def _defined(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | {
        s.name for s in ast.walk(tree) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
