"""Code imported from other modules that a translated model's graph runs.

A graph function runs again on every call of the model, and each layer it makes must be the
one made at construction (docs/design.md, "Programs"): a function or class from another
module that makes Keras layers would make new ones each call. Such code is fine only when its
module is translated in the same run (the tree pass of ``to-tf`` checks that, see
:mod:`kerastf_xlate.tree`). This module lists, for one file, the imported names its
graph functions call, directly or through functions of the file.

A module is outside the run unless the run says otherwise (:func:`translating_modules`,
set by the tree pass for one file's translation): a graph calling code of a module outside
the run keeps its model as Keras (XL310), a file translated alone knows no other module.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from kerastf_xlate.syntax import parents as parent_map
from kerastf_xlate.totf.program.names import ROOTS, TRANSLATED_OUTSIDE, canonical

_BUILTINS = frozenset(dir(builtins))

# modules whose functions never make Keras layers (the standard library, NumPy, TensorFlow,
# data and plotting libraries)
_SAFE_ROOTS = set(getattr(sys, "stdlib_module_names", ())) | {
    "numpy", "tensorflow", "tf", "math", "scipy", "matplotlib", "pandas", "PIL", "cv2", "sklearn", "imageio",
    "tqdm", "IPython", "seaborn", "h5py", "yaml", "skimage", "tensorflow_datasets", "absl"}
# parts of packages that make no Keras layer: TensorFlow Probability's distributions and bijectors
_SAFE_PREFIXES = ("tensorflow_probability.distributions.", "tensorflow_probability.bijectors.")
# functions of outside packages known to compute on Python values only: keras-applications
# 1.0.8's input-shape check (Keras 2.2-2.3's `keras.applications.imagenet_utils._obtain_input_shape`,
# which model zoos import from that package directly; pure Python, no Keras import)
_PURE_FUNCTIONS = frozenset({"keras_applications.imagenet_utils._obtain_input_shape"})


@dataclass(frozen=True)
class Imported:
    node: ast.AST  # the call
    module: str  # absolute module name, or "." + name for relative imports
    name: str
    level: int
    graph: bool = True  # called in a graph (else it makes a model's layer outside one)


# the modules (as the file writes them: "." * level + module) that the run translates too
_IN_RUN: ContextVar[frozenset[str]] = ContextVar("xlate_modules_in_run", default=frozenset())


def in_run(module: str) -> bool:
    """Whether the run translates ``module`` (written as the file imports it) with this file."""
    return module in _IN_RUN.get()


@contextlib.contextmanager
def translating_modules(modules: Iterable[str]) -> Iterator[None]:
    """Translate one file knowing that the run translates ``modules`` too (:func:`in_run`)."""
    token = _IN_RUN.set(frozenset(modules))
    try:
        yield
    finally:
        _IN_RUN.reset(token)


def import_bindings(tree: ast.Module, everywhere: bool = False) -> dict[str, tuple[str, str, int]]:
    """Top-level name -> (module, imported name, relative level) for ``from M import N``
    and ``import M`` (name -> (M, "", 0)); with ``everywhere``, the imports inside functions
    and blocks too."""
    out: dict[str, tuple[str, str, int]] = {}
    for stmt in (ast.walk(tree) if everywhere else tree.body):
        if isinstance(stmt, ast.ImportFrom):
            for a in stmt.names:
                out[a.asname or a.name] = (stmt.module or "", a.name, stmt.level)
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                out[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], "", 0)
    return out


def is_keras(module: str) -> bool:
    return any(module == r or module.startswith(r + ".") for r in ROOTS)


def outside_call(call: ast.Call, bindings: dict[str, tuple[str, str, int]], graph: bool = True) -> Imported | None:
    """``call`` as a call of imported user code (not Keras, the standard library, NumPy or
    TensorFlow), or None."""
    root = _root(call.func)
    if not isinstance(root, ast.Name) or root.id not in bindings:
        return None
    module, name, level = bindings[root.id]
    if level == 0 and (is_keras(module) or module.split(".")[0] in _SAFE_ROOTS or _tensor_functions(module, name)):
        return None
    path = ast.unparse(call.func).split("(")[0]
    qual = ".".join([module, *([name] if name else []), *path.split(".")[1:]])
    if level == 0 and (qual.startswith(_SAFE_PREFIXES) or canonical(qual) in TRANSLATED_OUTSIDE):
        return None  # a translated TensorFlow Addons or Hub class is the file's own model code
    if level == 0 and qual in _PURE_FUNCTIONS:
        return None
    if level == 0 and not name and isinstance(call.func, ast.Attribute):
        name = call.func.attr
    return Imported(call, module, name or root.id, level, graph)


def star_modules(tree: ast.Module) -> list[tuple[str, int]]:
    """The modules the file star-imports that may bind user code: ``from blocks import *``
    (module, relative level); not Keras's, the standard library's, NumPy's or TensorFlow's."""
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names):
            module = n.module or ""
            if n.level == 0 and (is_keras(module) or module.split(".")[0] in _SAFE_ROOTS
                                 or module.split(".")[0] in _STAR_OUTSIDE):
                continue
            out.append((module, n.level))
    return out


# the methods a class's instance runs when a graph makes it and calls it
_RUN_WHEN_MADE = frozenset({"__init__", "__new__", "__call__", "call", "build", "__post_init__"})


def _tensor_functions(module: str, name: str) -> bool:
    """einops' functions (`rearrange`, `reduce`, `repeat`, `parse_shape`, ...), which compute on
    the tensors they are given with those tensors' own framework and make no layer; not its
    `einops.layers.keras` classes, which are Keras layers."""
    parts = module.split(".")
    return parts[0] == "einops" and "layers" not in parts and name != "layers"


# outside packages a star import of which binds translated classes only (tfa, hub; names.py)
_STAR_OUTSIDE = frozenset({"tensorflow_addons", "tensorflow_hub"})


def bound_anywhere(tree: ast.Module) -> set[str]:
    """Every name the file binds somewhere: assigned, a parameter, a definition, an import
    alias, an exception or loop target (a name it reads and binds nowhere comes from a star
    import, a builtin, or nowhere)."""
    out: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names if a.name != "*")
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.add(n.name)
    return out


def imported_calls(tree: ast.Module, regions: Sequence[Sequence[ast.AST]], holders: Sequence[ast.AST] = (),
                   up: dict[int, ast.AST] | None = None) -> list[Imported]:
    """Calls of imported user code that translated models run: in the graph regions
    (statements, and the model statement's inputs and outputs) and the functions of this file
    they call (transitively), with the calls there of an object such code made (``norm =
    tfa.layers.X()``, then ``norm(x)``); and in ``holders`` (``graph=False``: what makes a
    model's layers outside a graph, such as the arguments of a Keras layer or ``Sequential``).
    A name the file reads and binds nowhere, where it star-imports user code (``from blocks
    import *`` then ``ConvBlock(8)(x)``), is taken for that module's (each such module's): a
    Keras layer class of a module the run does not translate, called in a translated graph,
    made a model that holds it without its weights."""
    bindings = import_bindings(tree)
    stars = star_modules(tree)
    unbound: set[str] | None = None
    if stars:
        unbound_names = bound_anywhere(tree) | _BUILTINS
        unbound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                   and n.id not in unbound_names}

    def from_star(call: ast.Call, root: ast.Name, graph: bool) -> list[Imported]:
        if unbound is None or root.id not in unbound:
            return []
        return [Imported(call, module, root.id, level, graph) for module, level in stars]

    functions = {f.name: f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    # the file's classes: a graph making one runs its methods, and a class built on an imported
    # class (`class MyBlock(ConvBlock)`, ConvBlock another module's Keras layer) is that code
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    made: dict[str, Imported] = {}  # a name bound to what imported code made
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and (imp := outside_call(n.value, bindings)):
            made.update({t.id: imp for t in n.targets if isinstance(t, ast.Name)})
    # imported code used as a value (`build(ConvBlock)`, `BLOCKS = {"conv": ConvBlock}`): a graph
    # calling something it was given, or found in a container, may call it
    escaped = _escaped(tree, bindings, up)
    seen_funcs: set[str] = set()
    todo: list[ast.AST] = [s for region in regions for s in region]
    found: list[Imported] = []
    plain = set(functions) | set(classes) | set(bindings) | set(made) | _BUILTINS
    # what may hold such code where a graph calls it: a parameter of a function of the file, a
    # container's item, a name bound to an expression naming it (`Block = ConvBlock`)
    params: dict[int, set[str]] = {}  # a call -> the parameters of the functions around it
    if escaped:
        for f in ast.walk(tree):
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                names_of = {a.arg for a in (*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs)}
                for c in ast.walk(f):
                    if isinstance(c, ast.Call):
                        params.setdefault(id(c), set()).update(names_of)
    names = {e.name for e in escaped} | {e.name.rsplit(".", 1)[-1] for e in escaped}
    aliases = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign)
               and any(isinstance(m, (ast.Name, ast.Attribute)) and ast.unparse(m).rsplit(".", 1)[-1] in names
                       for m in ast.walk(n.value))
               for t in n.targets if isinstance(t, ast.Name)} if escaped else set()
    while todo:
        node = todo.pop()
        for n in ast.walk(node):
            if not isinstance(n, ast.Call) or isinstance(n.func, ast.Call):
                continue  # `mod.Layer()(x)`: the inner call says it
            root = n.func
            subscript = False
            while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
                subscript = subscript or isinstance(root, ast.Subscript)
                root = root.func if isinstance(root, ast.Call) else root.value
            if escaped and isinstance(root, ast.Name) and root.id not in plain \
                    and (subscript or root.id in params.get(id(n), ()) or root.id in aliases):
                # a parameter, a container's item, an alias
                found += [Imported(n, e.module, e.name, e.level, True) for e in escaped]
                continue
            if not isinstance(root, ast.Name):
                continue
            if root.id in classes and root.id not in functions:
                chain = [root.id]  # the class and the file's classes it is built on
                while chain:
                    name = chain.pop()
                    if name in seen_funcs:
                        continue
                    seen_funcs.add(name)
                    cls = classes[name]
                    # what making it (and calling it, as a layer) runs: not its other methods
                    todo.extend(m for m in cls.body if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                                or m.name in _RUN_WHEN_MADE)
                    for base in cls.bases:
                        probe = ast.copy_location(ast.Call(func=base, args=[], keywords=[]), n)
                        base_root = _root(base)
                        if isinstance(base_root, ast.Name) and base_root.id in classes and base_root is base:
                            chain.append(base_root.id)
                        elif (imp := outside_call(probe, bindings)) is not None:
                            found.append(Imported(n, imp.module, imp.name, imp.level, True))
                        elif isinstance(base_root, ast.Name):
                            found += from_star(n, base_root, True)
                continue
            if root.id in functions:
                if root.id not in seen_funcs:
                    seen_funcs.add(root.id)
                    todo.append(functions[root.id])
                continue
            if root.id in made and root.id not in bindings:  # made once, outside the graph
                m = made[root.id]
                found.append(Imported(n, m.module, m.name, m.level, graph=False))
            elif (imp := outside_call(n, bindings)) is not None:
                found.append(imp)
            else:
                found += from_star(n, root, True)
    seen = {id(i.node) for i in found}
    for holder in holders:
        for n in ast.walk(holder):
            if isinstance(n, ast.Call) and not isinstance(n.func, ast.Call) and id(n) not in seen:
                if (imp := outside_call(n, bindings, graph=False)) is not None:
                    seen.add(id(n))
                    found.append(imp)
                elif isinstance(root := _root(n.func), ast.Name) and (stars_found := from_star(n, root, False)):
                    seen.add(id(n))
                    found += stars_found
    return found


def _escaped(tree: ast.Module, bindings: dict[str, tuple[str, str, int]],
             up: dict[int, ast.AST] | None = None) -> list[Imported]:
    """Imported user code (not Keras, the standard library, NumPy or TensorFlow) that the file
    uses other than by calling it or naming it as a base class: passed, stored, aliased. Only
    what may make layers: a class (a CapWords name) or a function the file also calls; not a
    constant (`config.IMG_SIZE`, `from settings import BATCH`) or a module."""
    user = {name for name, (module, _, level) in bindings.items()
            if level or not (is_keras(module) or module.split(".")[0] in _SAFE_ROOTS)}
    if not user:
        return []
    if up is None:
        up = parent_map(tree)
    out: list[Imported] = []
    seen: set[str] = set()
    called = {ast.unparse(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call)}
    for n in ast.walk(tree):
        if not (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in user):
            continue
        top: ast.expr = n
        while isinstance(up.get(id(top)), ast.Attribute):
            top = up[id(top)]  # type: ignore[assignment]
        parent = up.get(id(top))
        if isinstance(parent, ast.Call) and parent.func is top or isinstance(parent, ast.ClassDef) \
                or isinstance(top, ast.Attribute) and not isinstance(top.ctx, ast.Load):
            continue
        text = ast.unparse(top)
        last = text.rsplit(".", 1)[-1]
        if not isinstance(top, ast.Attribute) and bindings[n.id][1] == "":
            continue  # a module (`import config`), not code
        if not ((last[:1].isupper() and not last.isupper()) or text in called):
            continue
        imp = outside_call(ast.Call(func=top, args=[], keywords=[]), bindings)
        if imp is not None and text not in seen:
            seen.add(text)
            out.append(imp)
    return out


def _root(func: ast.expr) -> ast.expr:
    while isinstance(func, (ast.Attribute, ast.Call)):
        func = func.value if isinstance(func, ast.Attribute) else func.func
    return func


# Builtins that look names up while the program runs: what they give (a Keras layer class
# named by a string, `eval(activation)()`) is nothing the translation saw
DYNAMIC_LOOKUPS = frozenset({"eval", "exec", "globals", "locals", "vars", "__import__"})


def functions_by_name(tree: ast.Module) -> dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method of ``tree`` by name (a call is followed by name: ``block(x)``,
    ``self.block(x)``; several definitions of one name are all followed)."""
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for f in ast.walk(tree):
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(f.name, []).append(f)
    return functions


def dynamic_lookups(tree: ast.Module, starts: Sequence[ast.AST]) -> list[ast.Call]:
    """The calls of :data:`DYNAMIC_LOOKUPS` in ``starts`` (graph regions, the bodies of the
    translated classes) and in the functions and methods of this file they call, transitively
    (by name: ``block(x)``, ``self.block(x)``), once each."""
    if not starts:
        return []  # (a file calling none of them: no walk of the whole module)
    functions = functions_by_name(tree)
    seen: set[str] = set()
    todo = list(starts)
    found: list[ast.Call] = []
    done: set[int] = set()
    while todo:
        node = todo.pop()
        for n in ast.walk(node):
            if not isinstance(n, ast.Call):
                continue
            if isinstance(n.func, ast.Name) and n.func.id in DYNAMIC_LOOKUPS and id(n) not in done:
                done.add(id(n))
                found.append(n)
                continue
            name = n.func.id if isinstance(n.func, ast.Name) else (
                n.func.attr if isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                and n.func.value.id in ("self", "cls") else None)
            if name in functions and name not in seen:
                seen.add(name)
                todo.extend(functions[name])
    return sorted(found, key=lambda c: (c.lineno, c.col_offset))


def loose_layer_functions(tree: ast.Module, layer_calls: Sequence[ast.AST], regions: Sequence[Sequence[ast.AST]],
                          up: dict[int, ast.AST]) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions of the file that call translated layers outside every model graph and
    fragment (``layer_calls``: the references of layers made and applied at once,
    ``Conv2D(...)(x)``; not a ``Sequential``'s list or an attribute): a library's head built on
    an encoder of another module (``img_input, levels = encoder(...)``, then ``Conv2D(...)(f5)``
    and ``get_segmentation_model(img_input, o)``). What they take or give may be that module's
    Keras tensors, so their imported calls count as a graph's (:func:`imported_calls`)."""
    inside = {id(n) for region in regions for s in region for n in ast.walk(s)}
    out: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in layer_calls:
        if id(node) in inside:
            continue
        f = up.get(id(node))
        while f is not None and not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            f = up.get(id(f))
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f not in out:
            out.append(f)
    # and a function of the file that hands one of those what imported code or a parameter it
    # calls gave, or hands what one of those gave to imported code (`_segnet`: `img_input, levels
    # = encoder(...)`, `o = segnet_decoder(levels[3], ...)`, `get_segmentation_model(img_input, o)`)
    bindings = import_bindings(tree)
    functions = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    grew = True
    while grew:
        grew = False
        names = {f.name for f in out}
        for f in functions:
            if f not in out and _hands_on(f, names, bindings):
                out.append(f)
                grew = True
    return out


def _hands_on(function: ast.FunctionDef | ast.AsyncFunctionDef, loose: set[str],
              bindings: dict[str, tuple[str, str, int]]) -> bool:
    """Whether ``function`` passes to a call of a ``loose`` function a value that a call of
    imported user code or of one of its parameters gave (through plain assignments), or passes
    what a ``loose`` function gave to imported user code."""
    params = {a.arg for a in function.args.posonlyargs + function.args.args + function.args.kwonlyargs}

    def reads(node: ast.AST, names: set[str]) -> bool:
        return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))

    outside: set[str] = set()  # names bound to what imported code or a parameter's call gave
    results: set[str] = set()  # names bound to what a loose function gave
    for stmt in ast.walk(function):
        if not isinstance(stmt, ast.Assign):
            continue
        targets = {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        value = stmt.value
        calls = [n for n in ast.walk(value) if isinstance(n, ast.Call)]
        if any(outside_call(c, bindings) or (isinstance(c.func, ast.Name) and c.func.id in params) for c in calls) \
                or reads(value, outside):
            outside |= targets
        if any(isinstance(c.func, ast.Name) and c.func.id in loose for c in calls) or reads(value, results):
            results |= targets
    for c in ast.walk(function):
        if not isinstance(c, ast.Call):
            continue
        args = [*c.args, *(k.value for k in c.keywords)]
        if isinstance(c.func, ast.Name) and c.func.id in loose and any(reads(a, outside) for a in args):
            return True
        if outside_call(c, bindings) and any(reads(a, results) for a in args):
            return True
    return False


def parameter_default_calls(function: ast.FunctionDef | ast.AsyncFunctionDef,
                            bindings: dict[str, tuple[str, str, int]]) -> list[Imported]:
    """Calls in ``function`` of a parameter whose default is imported user code
    (``def fcn_8(n_classes, encoder=vanilla_encoder)`` then ``encoder(...)``)."""
    a = function.args
    positional = a.posonlyargs + a.args
    defaults = dict(zip([p.arg for p in positional[len(positional) - len(a.defaults):]], a.defaults))
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    out = []
    for n in ast.walk(function):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and isinstance(defaults.get(n.func.id), ast.Name):
            imp = outside_call(ast.Call(func=defaults[n.func.id], args=[], keywords=[]), bindings)
            if imp is not None:
                out.append(Imported(n, imp.module, imp.name, imp.level, True))
    return out
