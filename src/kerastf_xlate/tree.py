"""A run of ``to-tf`` over several files treats them as one program.

A class or builder translated in one file and used as Keras code in another breaks the
other file at run time (issue #13: a layer class became a ``tf.Module`` while another file of
the tree used it in a functional graph). After every file is translated on its own, this pass
groups the files that share Keras model code — a file that imports from another file of the
run a class or function defining Keras layers or models (directly, or by calling one of the
file or of a third file: ``import core.common as common`` ... ``common.conv(x)``), and a file
whose graph runs imported code (XL310) — and requires each group to come out all translated (no Keras
model code left in any of its outputs) or all as it was. A group that cannot be wholly
translated is left as it was, each file with a diagnostic naming the file that kept it.

A graph that runs code from another module keeps its model as Keras (XL310) unless the run
translates that module: a file is translated alone knowing no other module, so a file whose
graphs call modules of the run is translated again knowing them
(:func:`kerastf_xlate.totf.program.imported.translating_modules`), and is then grouped with them.
The model calling a module outside the run stays Keras with what is linked to it, and the
rest of its file is translated (a partial program).

Before that, a second phase translates the class hierarchies that span files (docs/design.md,
"Class hierarchies over several files"): the first phase's results say which top-level
classes each file defines, their bases, and whether each came out translated; a file
subclassing a translated Keras ``Model``/``Layer`` class of another file is translated again
knowing that base (:mod:`kerastf_xlate.totf.program.classes`), until nothing changes. The
grouping above then keeps the base and its subclasses all translated or all Keras.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.disjoint import DisjointSets
from kerastf_xlate.runner import Transform, TransformResult, transform_file
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, notebook_program
from kerastf_xlate.totf.program.bundle import BANNER
from kerastf_xlate.totf.program.classes import LAYER, MODEL, MODEL_OWN_INIT, forwards, importing
from kerastf_xlate.totf.program.driver import program_form_wanted
from kerastf_xlate.totf.program.imported import translating_modules
from kerastf_xlate.totf.program.names import keras_refs
from kerastf_xlate.totf.program.siblings import find_module

_MODEL_CODE = ("keras.layers.", "keras.Input", "keras.Model", "keras.Sequential", "keras.models.")


def _text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _parse(text: str | None) -> ast.Module | None:
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _program(path: str, data: bytes | None) -> str | None:
    """The Python program of a file: its text; a notebook's code cells that parse, joined (a
    notebook imports the run's modules as a script does, so it shares model code with them)."""
    if data is None or not path.endswith(NOTEBOOK_SUFFIX):
        return _text(data)
    return notebook_program(path, data)


def _module_names(path: str, roots: list[str], rooted: bool = False) -> set[str]:
    """Dotted names a file can be imported as: from its own directory up to each root (only the
    names from a root with ``rooted``)."""
    path = os.path.abspath(path)
    if not path.endswith(".py"):
        return set()
    parts = os.path.splitext(path)[0].split(os.sep)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = set()
    for root in roots:
        root_parts = os.path.abspath(root).rstrip(os.sep).split(os.sep)
        if parts[: len(root_parts)] != root_parts:
            continue
        rel = parts[len(root_parts):]
        for i in range(1 if rooted else len(rel)):
            names.add(".".join(rel[i:]))
    if not rooted:
        names.add(parts[-1])
    return {n for n in names if n}


class _Modules:
    """The run's Python files by the modules other files import them as, found from the
    importing file as Python finds them when the program runs from its folder (that folder, then
    up to three above: :func:`.siblings.find_module`, the rule a single file's translation reads
    its neighbours by). A module found there but not in the run is not a file of the run (a
    course with a ``test_utils.py`` in every folder: each notebook imports its own). A module
    found nowhere near is matched by its dotted name from a root of the run, then by the first
    file of the run with that name (a program that puts other folders on ``sys.path``)."""

    def __init__(self, results: list[TransformResult], roots: list[str]) -> None:
        self.at: dict[str, int] = {}
        self.rooted: dict[str, int] = {}
        self.named: dict[str, int] = {}
        for i, r in enumerate(results):
            if r.path.endswith(".py"):
                self.at.setdefault(os.path.abspath(r.path), i)
                for name in _module_names(r.path, roots, rooted=True):
                    self.rooted.setdefault(name, i)
                for name in _module_names(r.path, roots):
                    self.named.setdefault(name, i)
        self._found: dict[tuple[str, str], int | None] = {}

    def find(self, module: str, importer: str) -> int | None:
        """The file of the run that ``import module`` in file ``importer`` imports."""
        key = (module, os.path.dirname(os.path.abspath(importer)))
        if key not in self._found:
            found = find_module(module, 0, key[1]) if module else None
            if found is not None:
                self._found[key] = self.at.get(os.path.abspath(found))
            else:
                self._found[key] = self.rooted.get(module, self.named.get(module))
        return self._found[key]

    def under(self, package: str) -> set[int]:
        """The files of the run in ``package`` (by name)."""
        return {j for key, j in self.named.items() if key.startswith(package + ".")}


def _keras_definitions(tree: ast.Module) -> set[str]:
    """Top-level classes and functions whose code uses Keras models or layers."""
    refs = [r for r in keras_refs(tree) if r.name.startswith(_MODEL_CODE)]
    if not refs:
        return set()
    spans = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((stmt.name, stmt.lineno, stmt.end_lineno or stmt.lineno))
    out = set()
    for r in refs:
        for name, a, b in spans:
            if a <= r.node.lineno <= b:
                out.add(name)
    return out


def _imports(tree: ast.Module, path: str, roots: list[str]) -> list[tuple[str, str, ast.AST]]:
    """(module, imported name, node) for every ``from M import N``; (module, "*", node) for what
    may be a whole module: ``from pkg import mod`` (``pkg.mod``) and ``import pkg.mod``."""
    return [(module, name, node) for _, module, name, node in _bindings(tree, path, roots)]


def _bindings(tree: ast.Module, path: str, roots: list[str]) -> list[tuple[str, str, str, ast.AST]]:
    """:func:`_imports` with the name each import binds: (local name, module, name, node)."""
    out: list[tuple[str, str, str, ast.AST]] = []
    own = sorted(_module_names(path, roots), key=len, reverse=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = own[0].split(".") if own else []
                base = base[: len(base) - node.level] if len(base) >= node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for a in node.names:
                local = a.asname or a.name
                out.append((local, module, a.name, node))
                out.append((local, f"{module}.{a.name}" if module else a.name, "*", node))  # `from pkg import mod`
        elif isinstance(node, ast.Import):
            for a in node.names:
                out.append((a.asname or a.name.split(".")[0], a.name, "*", node))
    return out


def _reaching_definitions(trees: list[ast.Module | None], paths: list[str], roots: list[str],
                          mods: _Modules) -> list[set[str]]:
    """Per file, its top-level classes and functions that use Keras models or layers: directly
    (:func:`_keras_definitions`), or by calling such a definition of the file or one imported
    from another file of the run (``import core.common as common`` ... ``common.conv(x)``), to
    a fixed point: a kept model calling them must not run translated code."""
    defs = [(_keras_definitions(t) if t is not None else set()) for t in trees]
    reads: list[dict[str, set[str]]] = []
    bound: list[dict[str, list[tuple[int, str]]]] = []
    for i, t in enumerate(trees):
        body = t.body if t is not None else []
        reads.append({d.name: {n.id for n in ast.walk(d) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                      for d in body if isinstance(d, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))})
        imported: dict[str, list[tuple[int, str]]] = {}
        for local, module, name, _node in (_bindings(t, paths[i], roots) if t is not None else []):
            j = mods.find(module, paths[i])
            if j is not None and j != i:
                imported.setdefault(local, []).append((j, name))
        bound.append(imported)
    changed = True
    while changed:
        changed = False
        for i in range(len(trees)):
            for d, read in reads[i].items():
                if d in defs[i]:
                    continue
                if any((n != d and n in defs[i]) or any(name in defs[j] or (name == "*" and defs[j])
                                                        for j, name in bound[i].get(n, ())) for n in read):
                    defs[i].add(d)
                    changed = True
    return defs


# XL310's message: "... `name` from `module` ..." (the module as the file writes it)
_CALLS = re.compile(r"`([^`]*)` from `([^`]*)`")
_OUTSIDE_RUN = "a module this run does not translate"  # XL310 when the model was kept for it


def _absolute(module: str, path: str, roots: list[str]) -> str:
    """``module`` as a file writes it (``.blocks`` relative to it) made absolute."""
    if not module.startswith("."):
        return module
    own = sorted(_module_names(path, roots), key=len, reverse=True)
    level = len(module) - len(module.lstrip("."))
    base = own[0].split(".")[: -level] if own else []
    return ".".join(base + [module.lstrip(".")]) if module.lstrip(".") else ".".join(base)


def _called_files(d: Diagnostic, path: str, roots: list[str], mods: _Modules) -> tuple[str, set[int]] | None:
    """For an XL310 diagnostic: the module it names (as written) and the files of the run
    that may hold the code called (``from pkg import mod`` then ``mod.f(x)``: the module
    ``pkg.mod``; ``import pkg.mod`` then ``pkg.mod.f(x)``: any module under ``pkg``)."""
    m = _CALLS.search(d.message) if d.code == "XL310" else None
    if m is None:
        return None
    name, written = m.groups()
    module = _absolute(written, path, roots)
    files = {j for key in (module, f"{module}.{name}" if module else name) if (j := mods.find(key, path)) is not None}
    if not files and module:
        files = mods.under(module)
    return written, files


@dataclass(frozen=True)
class _Importing:
    """A transform run with ``bases`` (imported name -> Keras kind) known as translated
    classes of other files, and ``modules`` (as the file writes them) known as translated in
    the same run (picklable, as the runner's transforms are)."""

    transform: Transform
    bases: tuple[tuple[str, str], ...]
    modules: tuple[str, ...] = ()
    program: bool = False  # its layer classes are held by another file's translated model

    def __call__(self, text: str, path: str) -> tuple[str, list[Diagnostic]]:
        with importing(dict(self.bases)), translating_modules(self.modules), \
                (program_form_wanted() if self.program else contextlib.nullcontext()):
            return self.transform(text, path)


class _Classes:
    """Phase 1's facts: the top-level classes of every file, their Keras kind (through bases
    in other files of the run too) and whether each came out translated."""

    def __init__(self, results: list[TransformResult], roots: list[str], mods: _Modules) -> None:
        self.results, self.roots, self.mods = results, roots, mods
        self.defs: list[dict[str, ast.ClassDef]] = []
        self.base_refs: list[dict[int, str]] = []  # id(base node) -> Keras kind
        self.imported: list[dict[str, tuple[int, str]]] = []  # local name -> (file, its name there)
        self.outputs: dict[int, tuple[ast.Module | None, list[int]]] = {}  # file -> its output, Keras lines there
        for r in results:
            tree = _parse(_text(r.original)) if r.path.endswith(".py") else None
            self.defs.append({c.name: c for c in (tree.body if tree else []) if isinstance(c, ast.ClassDef)})
            refs = keras_refs(tree) if tree is not None and self.defs[-1] else []
            self.base_refs.append({id(x.node): x.name for x in refs if x.role == "base" and x.name in (MODEL, LAYER)})
            self.imported.append(self._imports(tree, r.path) if tree is not None else {})
        self._kinds: dict[tuple[int, str], str | None] = {}

    def _imports(self, tree: ast.Module, path: str) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for module, name, node in _imports(tree, path, self.roots):
            if name == "*" or node not in tree.body:
                continue
            j = self.mods.find(module, path)
            if j is not None:
                for a in node.names:  # type: ignore[attr-defined]
                    if a.name == name:
                        out[a.asname or a.name] = (j, name)
        return out

    def kind(self, i: int, name: str, seen: frozenset[tuple[int, str]] = frozenset()) -> str | None:
        """MODEL or LAYER when class ``name`` of file ``i`` is a Keras model or layer class."""
        key = (i, name)
        if key in self._kinds:
            return self._kinds[key]
        c = self.defs[i].get(name)
        found = None
        if c is not None and key not in seen:
            for b in c.bases:
                found = self.base_refs[i].get(id(b))
                if found is None and isinstance(b, ast.Name):
                    if b.id in self.defs[i] and b.id != name:
                        found = self.kind(i, b.id, seen | {key})
                    elif b.id in self.imported[i]:
                        found = self.kind(*self.imported[i][b.id], seen | {key})
                if found:
                    break
        self._kinds[key] = found
        return found

    def translated(self, i: int, name: str) -> bool:
        """Class ``name`` of file ``i`` came out in the program form with no Keras in it."""
        r = self.results[i]
        if r.error is not None or not r.changed or self.kind(i, name) is None:
            return False
        text = _text(r.output) or ""
        if BANNER not in text:
            return False  # the flat form makes a plain tf.Module of a subclass: not a base to build on
        if i not in self.outputs:
            out = _parse(text)
            self.outputs[i] = (out, [x.node.lineno for x in keras_refs(out)] if out is not None else [])
        out, lines = self.outputs[i]
        c = next((c for c in (out.body if out else []) if isinstance(c, ast.ClassDef) and c.name == name), None)
        if c is None:
            return False
        lo, hi = min([c.lineno] + [d.lineno for d in c.decorator_list]), c.end_lineno or c.lineno
        return not any(lo <= line <= hi for line in lines)

    def bases_for(self, i: int) -> dict[str, str]:
        """The names file ``i`` imports of translated Keras classes of other files that a class
        of ``i`` derives from."""
        used = {b.id for c in self.defs[i].values() for b in c.bases if isinstance(b, ast.Name)}
        out = {}
        for local, (j, name) in self.imported[i].items():
            kind = self.kind(j, name)
            if local in used and j != i and kind is not None and self.translated(j, name):
                out[local] = MODEL_OWN_INIT if kind == MODEL and not self.forwarding(j, name) else kind
        return out

    def forwarding(self, i: int, name: str, seen: frozenset[tuple[int, str]] = frozenset()) -> bool:
        """Class ``name`` of file ``i`` and its bases up to ``keras.Model`` pass a subclass's
        ``super().__init__`` arguments on unchanged (:func:`.classes.forwards`)."""
        c = self.defs[i].get(name)
        if c is None or (i, name) in seen or not forwards(c):
            return False
        for b in c.bases:
            if self.base_refs[i].get(id(b)) == MODEL:
                return True
            if isinstance(b, ast.Name) and b.id in self.defs[i] and b.id != name:
                return self.forwarding(i, b.id, seen | {(i, name)})
            if isinstance(b, ast.Name) and b.id in self.imported[i]:
                return self.forwarding(*self.imported[i][b.id], seen | {(i, name)})
        return False


_OUTSIDE = re.compile(r"whose base `(\w+)` is defined in another file: kept as Keras")


def _second_phase(results: list[TransformResult], roots: list[str], mods: _Modules,
                  transform: Callable[[], Transform]) -> list[TransformResult]:
    """Files subclassing translated classes of other files, or whose graphs call modules of the
    run, translated again knowing them (to a fixed point: a subclass translated now may be
    another file's base)."""
    results = list(results)
    given: dict[int, tuple[dict[str, str], frozenset[str], bool]] = {}
    for _ in range(6):
        facts = _Classes(results, roots, mods)
        held = {j for i, r in enumerate(results) for j, _name in _held_classes(i, r, facts, roots, mods)}
        todo = {}
        for i, r in enumerate(results):
            before = given.get(i, ({}, frozenset(), False))
            modules = before[1] | {c[0] for d in r.diagnostics if (c := _called_files(d, r.path, roots, mods))
                                   and c[1] - {i}}
            wanted = (facts.bases_for(i), modules, before[2] or i in held)
            if (wanted[0] or wanted[1] or wanted[2]) and wanted != before:
                todo[i] = wanted
        if not todo:
            break
        for i, (bases, modules, program) in todo.items():
            given[i] = (bases, modules, program)
            results[i] = transform_file(results[i].path, _Importing(transform(), tuple(sorted(bases.items())),
                                                                    tuple(sorted(modules)), program))
    facts = _Classes(results, roots, mods)
    for i, r in enumerate(results):  # a base kept Keras in its file: say which file
        if not any(_OUTSIDE.search(d.message) for d in r.diagnostics):
            continue
        diags = []
        for d in r.diagnostics:
            m = _OUTSIDE.search(d.message)
            where = facts.imported[i].get(m.group(1)) if m else None
            if m and where is not None and facts.kind(*where) is not None and not facts.translated(*where):
                text = (f"whose base `{m.group(1)}` is defined in {results[where[0]].path}, where it stays Keras: "
                        "kept as Keras")
                d = replace(d, message=d.message.replace(m.group(0), text))
            diags.append(d)
        results[i] = replace(r, diagnostics=tuple(diags))
    return results


def _held_classes(i: int, r: TransformResult, facts: _Classes, roots: list[str],
                  mods: _Modules) -> list[tuple[int, str]]:
    """The Keras layer or model classes of other files of the run that file ``i``'s translated
    models are built with (its XL310 notes: "built with `ConvBlock` from `blocks`, which must be
    translated in the same run") and that did not come out as translated classes there (a
    plain ``tf.Module`` of the flat form, or Keras): (file, class name)."""
    out = []
    for d in r.diagnostics:
        if d.code != "XL310" or "which must be translated in the same run" not in d.message:
            continue
        called = _called_files(d, r.path, roots, mods)
        m = _CALLS.search(d.message)
        if called is None or m is None:
            continue
        name = m.group(1).split(".")[-1]
        for j in called[1] - {i}:
            if name in facts.defs[j] and facts.kind(j, name) is not None and not facts.translated(j, name):
                out.append((j, name))
    return out


def second_phase(results: list[TransformResult], roots: list[str],
                 transform: Callable[[], Transform]) -> list[TransformResult]:
    """The results with the subclasses of translated classes of other files translated again
    knowing those bases (before :func:`reconcile` groups the files)."""
    if len(results) < 2:
        return results
    return _second_phase(results, roots, _Modules(results, roots), transform)


def reconcile(results: list[TransformResult], roots: list[str],
              transform: Callable[[], Transform] | None = None) -> list[TransformResult]:
    """Results made consistent across files (see the module docstring); ``transform`` (the
    run's transform factory) translates again the files of class hierarchies that span files."""
    if not results:
        return results
    mods = _Modules(results, roots)  # the paths stay; the phase below only translates files again
    if transform is not None and len(results) > 1:
        results = _second_phase(results, roots, mods, transform)
    info = []
    for r in results:
        original, output = _text(r.original), _text(r.output)
        before, after = _parse(_program(r.path, r.original)), _parse(_program(r.path, r.output))
        info.append((original, output, before, after))
    sets = DisjointSets(len(results))
    find, union = sets.find, sets.union

    reasons: dict[int, list[tuple[int, str]]] = {}
    external: dict[int, str] = {}
    defs = _reaching_definitions([b for _, _, b, _ in info], [r.path for r in results], roots, mods)
    # a module with no Keras model code at all (a course's `download.py`, `europarl.py`): importing
    # it shares nothing with it that a translation changes (its own imports of modules with such
    # code link it to them; a graph calling its code is XL310, below)
    model_code: dict[int, bool] = {}

    def has_model_code(j: int) -> bool:
        if j not in model_code:
            tree = info[j][2]
            model_code[j] = tree is None or bool(defs[j]) or any(x.name.startswith(_MODEL_CODE) for x in keras_refs(tree))
        return model_code[j]

    for i, r in enumerate(results):
        before = info[i][2]
        if before is None:
            continue
        for module, name, _node in _imports(before, r.path, roots):
            j = mods.find(module, r.path)
            if j is None or j == i:
                continue
            if name == "*" and has_model_code(j) or name in defs[j]:
                union(i, j)
                reasons.setdefault(j, []).append((i, name))
        for d in r.diagnostics:
            called = _called_files(d, r.path, roots, mods)
            if called is None:
                continue
            # a module of the run: the two files come out together (the graph of one runs the
            # other's code); a module outside it kept the model as Keras already, unless the
            # translation took it for a module of the run (then the file stays, as a safeguard)
            for j in called[1] - {i}:
                union(i, j)
            if not called[1] and _OUTSIDE_RUN not in d.message:
                external[i] = _absolute(called[0], r.path, roots)
    groups: dict[int, list[int]] = {}
    for i in range(len(results)):
        groups.setdefault(find(i), []).append(i)
    facts = _Classes(results, roots, mods)
    out = list(results)
    for members in groups.values():
        blocked = None
        for i in members:
            r = results[i]
            after = info[i][3]
            held = _held_classes(i, r, facts, roots, mods)
            if r.error is not None:
                blocked = (i, "could not be translated")
            elif held:
                j, name = held[0]
                blocked = (i, f"builds its model with `{name}` of {results[j].path}, which did not come out as a "
                              "translated layer class (a plain tf.Module's weights are not its model's)")
            elif i in external:
                blocked = (i, f"runs code of `{external[i]}`, which this run does not translate")
            elif after is not None and any(x.name.startswith(_MODEL_CODE) for x in keras_refs(after)):
                blocked = (i, "keeps Keras model code")
            if blocked:
                break
        if blocked is None or (len(members) == 1 and blocked[1] == "keeps Keras model code"):
            continue
        who, why = blocked
        for i in members:
            r = results[i]
            if r.error is not None or not r.changed:
                continue
            note = f"{results[who].path} {why}" if who != i else f"this file {why}"
            diag = Diagnostic(r.path, 1, 1, "XL301", f"kept as Keras with the files it shares model code with: {note}",
                              CODES["XL301"].severity)
            kept = tuple(d for d in r.diagnostics if d.code != "XL309") + (diag,)
            out[i] = replace(r, output=r.original, diagnostics=kept)
    return out
