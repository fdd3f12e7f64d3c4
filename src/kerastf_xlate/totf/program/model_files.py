"""Model files a program writes and reads back itself (docs/design.md, "Model files a
program writes and reads back").

A file that writes a Keras model file (``model.save(path)``, ``keras.models.save_model(model,
path)``, ``keras.callbacks.ModelCheckpoint(path)`` without ``save_weights_only``) and later
reads the same path with ``keras.models.load_model(path)`` is translated as a whole: the
writers write a TensorFlow checkpoint at the path and ``load_model`` gives a copy of the
model that wrote it (runtime/tfr_model_files.py). This module decides, statically, which
paths are such *round trips*:

- the path is a string literal, or a name bound once in the file to one, ending in
  ``.keras``, ``.h5`` or ``.hdf5`` (the suffixes Keras saves a whole model under;
  ``ModelCheckpoint``: ``.keras`` or ``.h5``) and without ``{...}`` formatting;
- every writer and every reader of the path in the file is translated (none is in code kept
  as Keras; each ``.save`` is called on a translated model, with no other argument than
  ``overwrite=True``), and every reader comes after a writer in the file;
- the path is used nowhere else (``os.path.exists(path)``, a copy, a shell line read it as a
  file: a TensorFlow checkpoint is not the Keras archive they expect).

A model file written and never read back is a file for other programs (Keras's
``load_model``, a server): it stays a Keras file, and the model that writes it stays Keras,
with a message that says so.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from kerastf_xlate.totf.program.names import Ref

_SAVE_FUNCTIONS = ("keras.models.save_model", "keras.saving.save_model")
_LOAD_FUNCTIONS = ("keras.models.load_model", "keras.saving.load_model")
FILE_FUNCTIONS = _SAVE_FUNCTIONS + _LOAD_FUNCTIONS
_CHECKPOINT = "keras.callbacks.ModelCheckpoint"
_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
_CHECKPOINT_SUFFIXES = (".keras", ".h5")


@dataclass
class ModelFiles:
    """The writers and readers of the round-trip paths (ids of their nodes), and why each
    other writer stays Keras."""

    saves: set[int] = field(default_factory=set)  # `.save` Attribute nodes
    save_functions: set[int] = field(default_factory=set)  # `keras.models.save_model` reference nodes
    save_calls: set[int] = field(default_factory=set)  # their Call nodes
    checkpoints: set[int] = field(default_factory=set)  # ModelCheckpoint Call nodes
    checkpoint_args: dict[int, set[int]] = field(default_factory=dict)  # every ModelCheckpoint Call -> its save_weights_only
    readers: set[int] = field(default_factory=set)  # `load_model` reference nodes
    notes: list[tuple[ast.AST, str]] = field(default_factory=list)  # (node, message) of each translated writer/reader
    kept: dict[int, str] = field(default_factory=dict)  # writer or reader node id -> why it stays a Keras file


@dataclass
class _Access:
    kind: str  # "save" | "save_model" | "checkpoint" | "load"
    node: ast.AST  # the node whose id is recorded (see ModelFiles)
    call: ast.Call
    path: str | None
    path_node: ast.expr | None
    why: str | None = None  # why this access cannot be translated, when it cannot


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _string_bindings(tree: ast.Module) -> dict[str, str | None]:
    """Names bound exactly once in the file, at module level, to a string literal (the
    others map to None)."""
    counts: dict[str, int] = {}
    for n in ast.walk(tree):
        bound = None
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound = n.id
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = n.name
        elif isinstance(n, ast.arg):
            bound = n.arg
        elif isinstance(n, ast.alias):
            bound = (n.asname or n.name).split(".")[0]
        if bound is not None:
            counts[bound] = counts.get(bound, 0) + 1
    out: dict[str, str | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            name = stmt.targets[0].id
            out[name] = stmt.value.value if counts.get(name) == 1 else None
    return out


def _resolve(node: ast.expr | None, strings: dict[str, str | None]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return strings.get(node.id)
    return None


_UNREADABLE = object()


def _literal(node: ast.expr | None) -> object:
    """The value of a literal argument (None when absent), or ``_UNREADABLE``."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNREADABLE


def _show(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def plan_model_files(tree: ast.Module, refs: list[Ref], kept: Callable[[ast.AST | None], bool],
                     model_saves: set[int]) -> ModelFiles:
    """The round trips of the file. ``refs`` are the Keras references outside kept code;
    ``kept(node)`` says whether a node is in code kept as Keras; ``model_saves`` holds the ids
    of the ``.save`` Attribute nodes whose receiver is a translated model."""
    strings = _string_bindings(tree)
    by_ref = {id(r.call): r for r in refs if r.call is not None and r.role == "call"}
    accesses: list[_Access] = []
    # every `.save(...)` call and every Keras writer/reader, translated or not
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        ref = by_ref.get(id(n))
        name = ref.name if ref is not None else None
        if isinstance(n.func, ast.Attribute) and n.func.attr == "save" and ref is None:
            path_node = _argument(n, 0, "filepath")
            access = _Access("save", n.func, n, _resolve(path_node, strings), path_node)
            extra = [k.arg for k in n.keywords if k.arg not in ("filepath", "overwrite")]
            if kept(n):
                access.why = "which is in code kept as Keras"
            elif id(n.func) not in model_saves:
                access.why = "which is not a translated model's `save`"
            elif len(n.args) > 1 or extra or _literal(_argument(n, 1, "overwrite")) not in (None, True):
                access.why = "whose arguments the translation does not reproduce"
            accesses.append(access)
        elif name in _SAVE_FUNCTIONS and ref is not None:
            path_node = _argument(n, 1, "filepath")
            access = _Access("save_model", ref.node, n, _resolve(path_node, strings), path_node)
            model = _argument(n, 0, "model")
            extra = [k.arg for k in n.keywords if k.arg not in ("model", "filepath", "overwrite")]
            if not isinstance(model, ast.Name) or len(n.args) > 2 or extra \
                    or _literal(_argument(n, 2, "overwrite")) not in (None, True):
                access.why = "whose arguments the translation does not reproduce"
            accesses.append(access)
        elif name == _CHECKPOINT and ref is not None:
            path_node = _argument(n, 0, "filepath")
            weights_only = _literal(_argument(n, 4, "save_weights_only"))
            if weights_only is True:
                continue  # a weights checkpoint (translated as such)
            access = _Access("checkpoint", n, n, _resolve(path_node, strings), path_node)
            if weights_only is not None and weights_only is not False:
                access.why = "whose `save_weights_only` is not a literal"
            elif any(k.arg is None for k in n.keywords):
                access.why = "whose arguments cannot be read"
            accesses.append(access)
        elif name in _LOAD_FUNCTIONS and ref is not None:
            path_node = _argument(n, 0, "filepath")
            accesses.append(_Access("load", ref.node, n, _resolve(path_node, strings), path_node))
    # Keras writers and readers in kept code (their references are not in `refs`)
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and kept(n) and id(n) not in by_ref:
            func = ast.unparse(n.func)
            if func.endswith(("load_model", "save_model", "ModelCheckpoint")):
                position = 1 if func.endswith("save_model") else 0
                path_node = _argument(n, position, "filepath")
                kind = "load" if func.endswith("load_model") else "kept"
                accesses.append(_Access(kind, n, n, _resolve(path_node, strings), path_node, "which is in code kept as Keras"))
    out = ModelFiles()
    paths: dict[str, list[_Access]] = {}
    for a in accesses:
        if a.path is not None:
            paths.setdefault(a.path, []).append(a)
    for a in accesses:
        if a.kind == "checkpoint":
            flag = _argument(a.call, 4, "save_weights_only")
            out.checkpoint_args[id(a.call)] = set() if flag is None else {id(flag)}
    path_nodes = {id(a.path_node) for a in accesses if a.path_node is not None}
    other_uses = _other_uses(tree, paths, strings, path_nodes)
    for path, group in paths.items():
        writers = [a for a in group if a.kind != "load"]
        readers = [a for a in group if a.kind == "load"]
        why = _why_not(path, writers, readers, other_uses.get(path))
        if why is not None:
            for a in group:
                out.kept[id(a.node)] = why
                for arg in out.checkpoint_args.get(id(a.call), ()) if a.kind == "checkpoint" else ():
                    out.kept[arg] = why
            continue
        for w in writers:
            {"save": out.saves, "save_model": out.save_functions, "checkpoint": out.checkpoints}[w.kind].add(id(w.node))
            if w.kind == "save_model":
                out.save_calls.add(id(w.call))
            out.notes.append((w.call, f"`{_show(w.call)}` writes the model as a TensorFlow checkpoint (`{path}.index`, "
                                      f"`{path}.data-*`; not a Keras file), which the translated "
                                      f"`{_show(readers[0].call)}` reads back"))
        for r in readers:
            out.readers.add(id(r.node))
            state = ("the weights read from it, uncompiled" if _literal(_argument(r.call, 2, "compile")) is False
                     else "the weights and optimizer state read from it, compiled as it was")
            out.notes.append((r.call, f"`{_show(r.call)}` is translated: a new model like the one "
                                      f"`{_show(writers[0].call)}` saved, with {state}"))
    for a in accesses:
        if a.path is None:
            out.kept[id(a.node)] = "its path is not a string the translation can read"
            for arg in out.checkpoint_args.get(id(a.call), ()) if a.kind == "checkpoint" else ():
                out.kept[arg] = out.kept[id(a.node)]
    return out


def _why_not(path: str, writers: list[_Access], readers: list[_Access], other: ast.AST | None) -> str | None:
    """Why the accesses of ``path`` cannot be translated as a round trip, or None."""
    if not readers:
        return "this file never reads it back with `load_model`: a file for other programs stays a Keras file"
    if not writers:
        return "no model of this file writes it: it is a Keras file, which only Keras reads"
    if "{" in path:
        return "its name is formatted per epoch"
    suffixes = _CHECKPOINT_SUFFIXES if any(w.kind == "checkpoint" for w in writers) else _MODEL_SUFFIXES
    if not path.endswith(suffixes):
        return f"`{path}` does not end in {' or '.join(suffixes)} (a Keras 3 model file)"
    first = min(w.call.lineno for w in writers)
    early = [r for r in readers if r.call.lineno <= first]
    if early:
        return f"`{_show(early[0].call)}` may read it before this file writes it"
    if other is not None:
        return f"`{path}` is also used otherwise (`{_show(other)}`)"
    for a in writers + readers:
        if a.why is not None:
            verb = "read" if a.kind == "load" else "written"
            return f"`{path}` is also {verb} by `{_show(a.call)}`, {a.why}"
    return None


def _other_uses(tree: ast.Module, paths: dict[str, list[_Access]], strings: dict[str, str | None],
                path_nodes: set[int]) -> dict[str, ast.AST]:
    """A use of each path other than as a writer's or reader's path argument (the literal
    elsewhere, or the name bound to it read elsewhere): the call it is given to, or itself."""
    out: dict[str, ast.AST] = {}
    definitions = {id(s.value) for s in tree.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                   and isinstance(s.targets[0], ast.Name) and strings.get(s.targets[0].id) is not None}
    parents: dict[int, ast.AST] = {}
    for n in ast.walk(tree):
        for c in ast.iter_child_nodes(n):
            parents[id(c)] = n
        if id(n) in path_nodes or id(n) in definitions:
            continue
        value = None
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            value = n.value
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            value = strings.get(n.id)
        if value is not None and value in paths:
            parent = parents.get(id(n))
            if isinstance(parent, ast.keyword):
                parent = parents.get(id(parent))
            out.setdefault(value, parent if isinstance(parent, ast.Call) else n)
    return out
