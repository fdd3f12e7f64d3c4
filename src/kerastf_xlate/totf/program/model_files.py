"""Model files a program writes and reads back itself (docs/design.md, "Model files a
program writes and reads back").

A file that writes a Keras model file (``model.save(path)``, ``keras.models.save_model(model,
path)``, ``keras.callbacks.ModelCheckpoint(path)`` without ``save_weights_only``) and later
reads the same path with ``keras.models.load_model(path)`` is translated as a whole: the
writers write a TensorFlow checkpoint at the path and ``load_model`` gives a copy of the
model that wrote it (runtime/tfr_model_files.py). This module decides, statically, which
paths are such *round trips*:

- the path is a string literal, or a name bound once in the file to one, or those put together
  (``os.path.join``, an f-string, ``+``), ending in
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
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kerastf_xlate.args import short_message
from kerastf_xlate.totf.program.names import Ref, bound_name

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
    calls: dict[int, tuple[ast.Call, str]] = field(default_factory=dict)  # node id of `kept` -> (its call, its kind)
    writes_kept: list[tuple[ast.AST, str]] = field(default_factory=list)  # weights writers that keep their model (why)


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


def _binding_counts(tree: ast.Module) -> dict[str, int]:
    """How many times each name is bound in the file (assignments, parameters, ``def``s, imports)."""
    counts: dict[str, int] = {}
    for n in ast.walk(tree):
        bound = bound_name(n)
        if bound is not None:
            counts[bound] = counts.get(bound, 0) + 1
    return counts


def _string_bindings(tree: ast.Module, counts: dict[str, int] | None = None) -> dict[str, str | None]:
    """Names bound exactly once in the file, at module level, to a string literal (the
    others map to None). ``counts``: :func:`_binding_counts` of the tree, when known."""
    counts = _binding_counts(tree) if counts is None else counts
    out: dict[str, str | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            name = stmt.targets[0].id
            out[name] = stmt.value.value if counts.get(name) == 1 else None
    if counts.get("os") == 1 and any(isinstance(s, ast.Import) and any(a.name == "os" and a.asname is None for a in s.names)
                                     for s in tree.body):
        out[_OS_MODULE] = "os"
    return out


# the key of `_string_bindings` that says `os` is the module (bound only by `import os`)
_OS_MODULE = " os"


def _resolve(node: ast.expr | None, strings: dict[str, str | None]) -> str | None:
    """The path ``node`` gives, when it is known statically: a string literal, a name bound
    once to one, or those put together by ``os.path.join(...)``, an f-string of such names, or
    ``+`` (``os.path.join(save_path, "network.h5")``, as course notebooks write it; joined as
    on POSIX: the string only matches a writer to its readers and names the file)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return strings.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                if v.conversion != -1 or v.format_spec is not None:
                    return None
                v = v.value
            part = _resolve(v, strings)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _resolve(node.left, strings), _resolve(node.right, strings)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Call) and not node.keywords and node.args and strings.get(_OS_MODULE) is not None \
            and ast.unparse(node.func) == "os.path.join" and not any(isinstance(a, ast.Starred) for a in node.args):
        pieces = [_resolve(a, strings) for a in node.args]
        known = [p for p in pieces if p is not None]
        return posixpath.join(*known) if len(known) == len(pieces) else None
    return None


_PERCENT_SPEC = re.compile(r"%[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[sdifgeExXorcaGF]")


def _expressions_bound_once(tree: ast.Module, counts: dict[str, int]) -> dict[str, ast.expr]:
    """Names bound exactly once in the file (``counts``: :func:`_binding_counts`), by a plain
    assignment, to their value."""
    return {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1
            for t in n.targets if isinstance(t, ast.Name) and counts.get(t.id) == 1}


def _pattern(node: ast.expr | None, strings: dict[str, str | None], values: dict[str, ast.expr],
             depth: int = 0) -> str | None:
    """A regular expression for the paths a string expression known only at run time may give
    (``"gen_e_" + str(e + 1) + ".h5"``, ``"disc_%04d.h5" % step``, an f-string, ``.format``,
    ``os.path.join``, a name bound once to one of those): its literal parts escaped, every part
    computed at run time ``.*``; None when ``node`` builds no string this way."""
    if node is None or depth > 8:
        return None
    known = _resolve(node, strings)
    if known is not None:
        return re.escape(known)

    def part(sub: ast.expr) -> str:
        found = _pattern(sub, strings, values, depth + 1)
        return ".*" if found is None else found

    if isinstance(node, ast.Name) and node.id in values:
        return _pattern(values[node.id], strings, values, depth + 1)
    if isinstance(node, ast.JoinedStr):
        return "".join(re.escape(v.value) if isinstance(v, ast.Constant) and isinstance(v.value, str) else ".*"
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pattern(node.left, strings, values, depth + 1), _pattern(node.right, strings, values, depth + 1)
        if left is None and right is None:
            return None
        return (left if left is not None else ".*") + (right if right is not None else ".*")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        return ".*".join(re.escape(x.replace("%%", "%")) for x in _PERCENT_SPEC.split(node.left.value))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        return "".join(".*" if x.startswith("{") else re.escape(x)
                       for x in re.split(r"(\{[^{}]*\})", node.func.value.value))
    if isinstance(node, ast.Call) and not node.keywords and node.args and strings.get(_OS_MODULE) is not None \
            and ast.unparse(node.func) == "os.path.join" and not any(isinstance(a, ast.Starred) for a in node.args):
        return re.escape("/").join(part(a) for a in node.args)
    return None


def _run_time_pattern(a: _Access, strings: dict[str, str | None], values: dict[str, ast.expr]) -> str | None:
    """The pattern of a writer's path computed at run time, when it ends in a literal name
    Keras saves a model under and has a literal part before that (so that it names files of its
    own, not any file)."""
    found = _pattern(a.path_node, strings, values)
    if found is None:
        return None
    suffixes = _CHECKPOINT_SUFFIXES if a.kind == "checkpoint" else _MODEL_SUFFIXES
    ending = next((re.escape(x) for x in suffixes if found.endswith(re.escape(x))), None)
    if ending is None or not found[: -len(ending)].replace(".*", ""):
        return None
    return found


def static_path(node: ast.expr | None, tree: ast.Module) -> str | None:
    """The path ``node`` gives when it is known statically (see :func:`_resolve`), or None."""
    return _resolve(node, _string_bindings(tree))


_UNREADABLE = object()


def _literal(node: ast.expr | None) -> object:
    """The value of a literal argument (None when absent), or ``_UNREADABLE``."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNREADABLE


def _extra_keywords(call: ast.Call, known: tuple[str, ...]) -> list[str | None]:
    """The keywords of a save other than ``known``, tf.keras 2's ``save_format`` (a string
    Keras 3 ignores for a model file's name and refuses otherwise, as the runtime does) and
    ``include_optimizer`` (both literals) aside."""
    out: list[str | None] = []
    for k in call.keywords:
        if k.arg in known:
            continue
        value = _literal(k.value)
        if (k.arg == "save_format" and isinstance(value, str)) or (k.arg == "include_optimizer" and isinstance(value, bool)):
            continue
        out.append(k.arg)
    return out


def _drops_optimizer(call: ast.Call) -> bool:
    return any(k.arg == "include_optimizer" and _literal(k.value) is not True for k in call.keywords)


def _callee(a: _Access) -> str:
    """How a message names a writer or reader briefly."""
    if a.kind == "checkpoint":
        return "ModelCheckpoint"
    text = ast.unparse(a.call.func)
    return text if a.kind == "save" and len(text) <= 30 else text.rsplit(".", 1)[-1]


def writer_message(call: ast.Call, kind: str, why: str) -> str:
    """Why a writer of a Keras model file stays Keras (XL305, XL306): the file stays a Keras
    file because ``why``."""
    if kind == "checkpoint":
        path = _argument(call, 0, "filepath")
        shown = f"ModelCheckpoint({ast.unparse(path) if path is not None else ''})"
        return short_message(f"model kept as Keras: `{shown}` without `save_weights_only` writes a Keras file {why}",
                             f"model kept as Keras: `ModelCheckpoint` without `save_weights_only` writes a Keras file {why}")
    callee = ast.unparse(call.func)
    return short_message(f"model kept as Keras: `{_show(call)}` writes a Keras model file {why}",
                         f"model kept as Keras: `{callee if len(callee) <= 30 else 'save'}` writes a Keras file {why}")


def _show(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def plan_model_files(tree: ast.Module, refs: list[Ref], kept: Callable[[ast.AST | None], bool],
                     model_saves: set[int], keep_keras_files: bool = False, tf_keras2: str | None = None) -> ModelFiles:
    """The round trips of the file, and the writers of files it never reads back. ``refs``
    are the Keras references outside kept code; ``kept(node)`` says whether a node is in code
    kept as Keras; ``model_saves`` holds the ids of the ``.save`` Attribute nodes whose
    receiver is a translated model. With ``keep_keras_files`` (``to-tf --keep-keras-files``)
    a file never read back stays a Keras file and its model stays Keras. With ``tf_keras2``
    (a tf.keras 2 program, and why: ``keras2.tf_keras2_program``) a writer at a name Keras 3 refuses
    stays Keras: tf.keras 2 wrote a SavedModel or a TensorFlow checkpoint there, where Keras 3
    and the translation raise."""
    counts = _binding_counts(tree)
    strings = _string_bindings(tree, counts)
    by_ref = {id(r.call): r for r in refs if r.call is not None and r.role == "call"}
    accesses: list[_Access] = []
    weights_notes: list[tuple[ast.AST, str]] = []  # weights writers at a name Keras 3 refuses
    # every `.save(...)` call and every Keras writer/reader, translated or not
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        ref = by_ref.get(id(n))
        name = ref.name if ref is not None else None
        if isinstance(n.func, ast.Attribute) and n.func.attr == "save_weights" and ref is None:
            if not kept(n) and _argument(n, 2, "max_shard_size") is None:
                weights_notes += _weights_name_note(n, "save_weights", _resolve(_argument(n, 0, "filepath"), strings),
                                                    tf_keras2)
        elif isinstance(n.func, ast.Attribute) and n.func.attr == "save" and ref is None:
            path_node = _argument(n, 0, "filepath")
            access = _Access("save", n.func, n, _resolve(path_node, strings), path_node)
            extra = _extra_keywords(n, ("filepath", "overwrite"))
            if kept(n):
                access.why = "also used by kept Keras code"
            elif id(n.func) not in model_saves:
                access.why = "also written by another `.save`"
            elif len(n.args) > 1 or extra or _literal(_argument(n, 1, "overwrite")) not in (None, True):
                access.why = "saved with untranslated arguments"
            accesses.append(access)
        elif name in _SAVE_FUNCTIONS and ref is not None:
            path_node = _argument(n, 1, "filepath")
            access = _Access("save_model", ref.node, n, _resolve(path_node, strings), path_node)
            model = _argument(n, 0, "model")
            extra = _extra_keywords(n, ("model", "filepath", "overwrite"))
            if not isinstance(model, ast.Name) or len(n.args) > 2 or extra \
                    or _literal(_argument(n, 2, "overwrite")) not in (None, True):
                access.why = "saved with untranslated arguments"
            accesses.append(access)
        elif name == _CHECKPOINT and ref is not None:
            path_node = _argument(n, 0, "filepath")
            weights_only = _literal(_argument(n, 4, "save_weights_only"))
            if weights_only is True:  # a weights checkpoint (translated as such)
                weights_notes += _weights_name_note(n, "ModelCheckpoint", _resolve(path_node, strings), tf_keras2)
                continue
            access = _Access("checkpoint", n, n, _resolve(path_node, strings), path_node)
            if weights_only is not None and weights_only is not False:
                access.why = "save_weights_only is not a literal"
            elif any(k.arg is None for k in n.keywords):
                access.why = "saved with unreadable arguments"
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
                accesses.append(_Access(kind, n, n, _resolve(path_node, strings), path_node, "also used by kept Keras code"))
    out = ModelFiles()
    paths: dict[str, list[_Access]] = {}
    for a in accesses:
        if a.path is not None:
            paths.setdefault(a.path, []).append(a)
    # a writer whose path is computed at run time (`generator.save("gen_e_" + str(e + 1) + ".h5")`)
    # writes the file a reader of a literal path that fits it reads back
    values = _expressions_bound_once(tree, counts)
    patterns = {id(a): p for a in accesses if a.path is None and a.kind in ("save", "save_model", "checkpoint")
                for p in [_run_time_pattern(a, strings, values)] if p is not None}
    matched: dict[int, list[str]] = {}  # id of such a writer -> the literal paths it may write
    for a in accesses:
        if id(a) in patterns:
            for path, group in paths.items():
                if any(r.kind == "load" for r in group) and re.fullmatch(patterns[id(a)], path):
                    group.append(a)
                    matched.setdefault(id(a), []).append(path)
    for a in accesses:
        if a.kind == "checkpoint":
            flag = _argument(a.call, 4, "save_weights_only")
            out.checkpoint_args[id(a.call)] = set() if flag is None else {id(flag)}
    path_nodes = {id(a.path_node) for a in accesses if a.path_node is not None}
    other_uses = _other_uses(tree, paths, strings, path_nodes, kept)
    one_way: list[tuple[_Access, str | None]] = []  # writers of a file nothing in the file reads back
    # a run-time writer of several read paths: kept with every group if one group is kept
    while True:
        changed = False
        for path, group in paths.items():
            why = _why_not(path, [a for a in group if a.kind != "load"], [a for a in group if a.kind == "load"],
                           other_uses.get(path))
            for a in group:
                if why is not None and id(a) in matched and a.why is None:
                    a.why, changed = why, True
        if not changed:
            break
    noted: set[int] = set()
    for path, group in paths.items():
        writers = [a for a in group if a.kind != "load"]
        readers = [a for a in group if a.kind == "load"]
        why = _why_not(path, writers, readers, other_uses.get(path))
        if why == "never loaded back in this file" and not keep_keras_files:
            why = next((w.why for w in writers if w.why is not None), None) or _other_use_why(other_uses.get(path))
            if why is None:
                one_way += [(w, path) for w in writers]
                continue
        if why is not None:
            _keep(out, group, why)
            continue
        for w in writers:
            _translate_writer(out, w)
            if id(w) in matched:
                if id(w) not in noted:
                    noted.add(id(w))
                    shown = ", ".join(f"`{x}`" for x in matched[id(w)])
                    out.notes.append((w.call, f"`{_callee(w)}` writes a TensorFlow checkpoint (not a Keras file) at a "
                                              f"path made at run time, for the `load_model` of {shown}"))
                continue
            out.notes.append((w.call, short_message(
                f"`{_show(w.call)}` writes a TensorFlow checkpoint at `{path}` (not a Keras file) for `load_model`",
                f"`{_callee(w)}` writes a TensorFlow checkpoint at `{path}` (not a Keras file) for `load_model`")))
        for r in readers:
            out.readers.add(id(r.node))
            state = ("its weights, uncompiled" if _literal(_argument(r.call, 2, "compile")) is False
                     else "its weights and optimizer state, compiled")
            out.notes.append((r.call, short_message(
                f"`{_show(r.call)}` gives a copy of the model saved at `{path}`, with {state}",
                short_message(f"`load_model` gives a copy of the model saved at `{path}`, with {state}",
                              f"`load_model` gives a copy of the model saved there, with {state}"))))
    unknown = [a for a in accesses if a.path is None and id(a) not in matched]
    if not keep_keras_files:
        one_way += [(a, None) for a in unknown if a.kind != "load"]
        unknown = [a for a in unknown if a.kind == "load"]
    # Keras's `load_model` calls that stay Keras: they may read a file whose path is not known
    keras_readers = [a for a in accesses if a.kind == "load" and id(a.node) not in out.readers]
    for w, written in one_way:
        blocked = _why_not_one_way(tree, w, written, keras_readers, path_nodes, patterns.get(id(w)), tf_keras2)
        if blocked is not None:
            _keep(out, [w], blocked)
            continue
        _translate_writer(out, w)
        out.notes.append((w.call, _raising_note(w, written) if written is not None and _raises_in_keras3(w, written)
                          else _one_way_note(w, written)))
    for a in unknown:
        _keep(out, [a], "at a path not known statically")
    (out.writes_kept if tf_keras2 else out.notes).extend(weights_notes)
    return out


def _weights_name_note(call: ast.Call, writer: str, path: str | None, tf_keras2: str | None = None) -> list[tuple[ast.AST, str]]:
    """XL311 at a weights writer whose known name Keras 3 refuses (``model.save_weights("cp.ckpt")``,
    ``ModelCheckpoint("training_1/cp.ckpt", save_weights_only=True)``: tf.keras 2 wrote a
    TensorFlow checkpoint there): a ValueError in Keras 3, and the runtime's writer raises the
    same one (runtime/tfr_base.py, tfr_callbacks.py); nothing for another name. In a tf.keras 2
    program (``tf_keras2``) the original wrote there: the message says why the model stays Keras
    (``ModelFiles.writes_kept``)."""
    if path is None or path.endswith(".weights.h5"):
        return []
    fix = "name the file *.weights.h5"
    if tf_keras2:
        return [(call, short_message(
            f"model kept as Keras: `{writer}` at `{path}`: the program is tf.keras 2's (for {tf_keras2}), "
            f"which wrote a TensorFlow checkpoint there; Keras 3 and the translation raise ValueError ({fix} to "
            "translate it)",
            f"model kept as Keras: `{writer}`: the program is tf.keras 2's (for {tf_keras2}), which wrote a "
            f"TensorFlow checkpoint at that name; Keras 3 and the translation raise ValueError ({fix} to translate it)"))]
    return [(call, short_message(
        f"`{writer}` at `{path}` raises ValueError in Keras 3 and in the translation: {fix}",
        f"`{writer}` raises ValueError in Keras 3 at a name not ending in .weights.h5, and so does the "
        f"translation: {fix}"))]


def _keep(out: ModelFiles, accesses: list[_Access], why: str) -> None:
    """These writers and readers stay Keras, because ``why``."""
    for a in accesses:
        for node in [id(a.node), *(out.checkpoint_args.get(id(a.call), ()) if a.kind == "checkpoint" else ())]:
            out.kept[node] = why
            out.calls[node] = (a.call, a.kind)


def _translate_writer(out: ModelFiles, w: _Access) -> None:
    {"save": out.saves, "save_model": out.save_functions, "checkpoint": out.checkpoints}[w.kind].add(id(w.node))
    if w.kind == "save_model":
        out.save_calls.add(id(w.call))


def _one_way_note(w: _Access, path: str | None) -> str:
    """XL311 at a writer of a file the program never reads back: what it writes now, and how
    a program reads it back."""
    how = "`load_weights` reads it"
    where = f" at `{path}`" if path is not None else ""
    return short_message(f"`{_callee(w)}` writes a TensorFlow checkpoint{where}, not a Keras file; {how}",
                         f"`{_callee(w)}` writes a TensorFlow checkpoint, not a Keras file; {how}")


def _why_not_one_way(tree: ast.Module, w: _Access, path: str | None, keras_readers: list[_Access],
                     path_nodes: set[int], pattern: str | None = None, tf_keras2: str | None = None) -> str | None:
    """Why a writer of a file nothing in the file reads back keeps writing a Keras file, or
    None: it then writes the TensorFlow checkpoint (docs/design.md, "Model files a program
    writes and reads back")."""
    if w.why is not None:
        return w.why
    if _raises_in_keras3(w, path):
        # nothing is written there, by Keras 3 or by the translation: both raise; tf.keras 2 wrote
        return f"at a name where tf.keras 2, whose program this is (for {tf_keras2}), wrote a SavedModel" \
            if tf_keras2 else None
    for r in keras_readers:
        # a Keras `load_model` that may read this file: a path not known on one side, or a
        # name per epoch that the reader's path may be
        if path is None and pattern is not None and r.path is not None and not re.fullmatch(pattern, r.path):
            continue  # a path made at run time that this reader's literal path does not fit
        if path is None or r.path is None or ("{" in path and _template_matches(path, r.path)):
            return f"maybe read by `{_show(r.call)}`, which stays Keras"
    if path is None and w.path_node is not None:
        other = _same_expression_used(tree, w.path_node, path_nodes)
        if other is not None:
            return f"at a path not known statically, {_other_use_why(other)}"
    return None


def _raises_in_keras3(w: _Access, path: str | None) -> bool:
    """Whether the writer ``w`` raises ``ValueError`` in Keras 3 for its literal ``path``:
    ``model.save("dir")`` or ``ModelCheckpoint("ckpt")`` without ``save_weights_only``, a
    name without the suffix Keras 3 saves a model under (tf.keras 2 wrote a SavedModel
    there). The runtime's writers check the suffix as Keras does and raise the same error."""
    return path is not None and not path.endswith(_suffixes(w))


def _suffixes(w: _Access) -> tuple[str, ...]:
    """The names Keras 3 saves a model file under for this writer."""
    return _CHECKPOINT_SUFFIXES if w.kind == "checkpoint" else _MODEL_SUFFIXES


def _raising_note(w: _Access, path: str) -> str:
    """XL311 at a writer that raises in Keras 3 (see :func:`_raises_in_keras3`)."""
    named = " or ".join("*" + x for x in _suffixes(w))
    fix = "name the file *.keras to write the TensorFlow checkpoint that `load_weights` reads"
    return short_message(f"`{_show(w.call)}` raises ValueError in Keras 3 (`{path}` is not named {named}; tf.keras 2 "
                         f"wrote a SavedModel there), and so does the translation: {fix}",
                         f"`{_callee(w)}` raises ValueError in Keras 3 (a path not named {named}), and so does the "
                         f"translation: {fix}")


def _template_matches(template: str, path: str) -> bool:
    """Whether ``template.format(...)`` (a ModelCheckpoint path with ``{epoch}`` and log keys)
    may give ``path``."""
    pattern = "".join(".*" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^{}]*\})", template))
    return re.fullmatch(pattern, path) is not None


def _same_expression_used(tree: ast.Module, node: ast.expr, path_nodes: set[int]) -> ast.AST | None:
    """Another use of a path the translation cannot read (a name read elsewhere, or the same
    expression written again) than as a writer's or reader's path: the call it is given to,
    or itself; a name only shown (``print``, an f-string) is not opened."""
    shape = ast.dump(node)
    parents: dict[int, ast.AST] = {}
    for n in ast.walk(tree):
        for c in ast.iter_child_nodes(n):
            parents[id(c)] = n
    for n in ast.walk(tree):
        if id(n) in path_nodes or n is node or not isinstance(n, ast.expr):
            continue
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            continue
        if ast.dump(n) != shape:
            continue
        parent = parents.get(id(n))
        if isinstance(parent, ast.keyword):
            parent = parents.get(id(parent))
        if isinstance(parent, ast.FormattedValue) or (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                                                      and parent.func.id == "print"):
            continue
        return parent if isinstance(parent, ast.Call) else n
    return None


def _why_not(path: str, writers: list[_Access], readers: list[_Access], other: ast.AST | None) -> str | None:
    """Why the accesses of ``path`` cannot be translated as a round trip, or None."""
    if not readers:
        return "never loaded back in this file"
    if not writers:
        return "written by no translated model"
    if "{" in path:
        return "named per epoch"
    suffixes = _CHECKPOINT_SUFFIXES if any(w.kind == "checkpoint" for w in writers) else _MODEL_SUFFIXES
    if not path.endswith(suffixes):
        return f"not named {' or '.join('*' + x for x in suffixes)}"
    first = min(w.call.lineno for w in writers)
    if any(r.call.lineno <= first for r in readers):
        return "maybe loaded before it is written"
    if any(_drops_optimizer(w.call) for w in writers):
        return "saved without its optimizer (`include_optimizer=False`)"
    if other is not None:
        return _other_use_why(other)
    for a in writers + readers:
        if a.why is not None:
            return a.why
    return None


def _other_use_why(other: ast.AST | None) -> str | None:
    if other is None:
        return None
    used = ast.unparse(other.func if isinstance(other, ast.Call) else other)
    return f"also used by `{used if len(used) <= 20 else used[:17] + '...'}`"


def _other_uses(tree: ast.Module, paths: dict[str, list[_Access]], strings: dict[str, str | None],
                path_nodes: set[int], kept: Callable[[ast.AST | None], bool]) -> dict[str, ast.AST]:
    """A use of each path other than as a writer's or reader's path argument (the literal
    elsewhere, or the name bound to it read elsewhere): the call it is given to, or itself.
    ``model.load_weights(path)`` outside kept code is not one: the translated model's
    ``load_weights`` reads the checkpoint a translated writer leaves there (its model's
    variables), as Keras's reads the weights of the Keras file (runtime/tfr_base.py)."""
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
        elif isinstance(n, (ast.JoinedStr, ast.BinOp, ast.Call)):
            value = _resolve(n, strings)  # a path put together (`os.path.exists(os.path.join(...))`)
        if value is not None and value in paths:
            parent = parents.get(id(n))
            if isinstance(parent, ast.keyword):
                parent = parents.get(id(parent))
            if isinstance(parent, ast.FormattedValue) or (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                                                          and parent.func.id == "print"):
                continue  # shown, not opened
            if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
                    and parent.func.attr == "load_weights" and not kept(parent) \
                    and _argument(parent, 0, "filepath") is n and len(parent.args) + len(parent.keywords) == 1:
                continue  # the translated model's weights read back
            out.setdefault(value, parent if isinstance(parent, ast.Call) else n)
    return out
