"""A run of ``to-tf`` over several files treats them as one program.

A class or builder translated in one file and used as Keras code in another breaks the
other file at run time (issue #13: a layer class became a ``tf.Module`` while another file of
the tree used it in a functional graph). After every file is translated on its own, this pass
groups the files that share Keras model code — a file that imports from another file of the
run a class or function defining Keras layers or models, and a file whose translated graph
runs imported code (XL310) — and requires each group to come out all translated (no Keras
model code left in any of its outputs) or all as it was. A group that cannot be wholly
translated is left as it was, each file with a diagnostic naming the file that kept it.
A graph that runs code from a module outside the run keeps its file as it was.
"""

from __future__ import annotations

import ast
import os
from dataclasses import replace

from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.disjoint import DisjointSets
from kerastf_xlate.runner import TransformResult
from kerastf_xlate.totf.program.names import keras_refs

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


def _module_names(path: str, roots: list[str]) -> set[str]:
    """Dotted names a file can be imported as: from its own directory up to each root."""
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
        for i in range(len(rel)):
            names.add(".".join(rel[i:]))
    names.add(parts[-1])
    return {n for n in names if n}


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
    """(module candidates joined by '|', imported name, node) for every ``from M import N``."""
    out: list[tuple[str, str, ast.AST]] = []
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
                out.append((module, a.name, node))
                out.append((f"{module}.{a.name}" if module else a.name, "*", node))  # `from pkg import mod`
    return out


def reconcile(results: list[TransformResult], roots: list[str]) -> list[TransformResult]:
    """Results made consistent across files (see the module docstring)."""
    if not results:
        return results
    info = []
    by_module: dict[str, int] = {}
    for i, r in enumerate(results):
        original, output = _text(r.original), _text(r.output)
        before, after = _parse(original), _parse(output)
        info.append((original, output, before, after))
        if r.path.endswith(".py"):
            for name in _module_names(r.path, roots):
                by_module.setdefault(name, i)
    sets = DisjointSets(len(results))
    find, union = sets.find, sets.union

    reasons: dict[int, list[tuple[int, str]]] = {}
    external: dict[int, str] = {}
    defs = [(_keras_definitions(b) if b is not None else set()) for _, _, b, _ in info]
    for i, r in enumerate(results):
        before = info[i][2]
        if before is None:
            continue
        for module, name, _node in _imports(before, r.path, roots):
            j = by_module.get(module)
            if j is None or j == i:
                continue
            if name == "*" or name in defs[j]:
                union(i, j)
                reasons.setdefault(j, []).append((i, name))
        for d in r.diagnostics:
            if d.code == "XL310":
                module = d.message.split("` from `", 1)[1].split("`", 1)[0] if "` from `" in d.message else ""
                if module.startswith("."):
                    own = sorted(_module_names(r.path, roots), key=len, reverse=True)
                    level = len(module) - len(module.lstrip("."))
                    base = own[0].split(".")[: -level] if own else []
                    module = ".".join(base + [module.lstrip(".")]) if module.lstrip(".") else ".".join(base)
                j = by_module.get(module)
                if j is None:
                    external[i] = module
                else:
                    union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(results)):
        groups.setdefault(find(i), []).append(i)
    out = list(results)
    for members in groups.values():
        blocked = None
        for i in members:
            r = results[i]
            after = info[i][3]
            if r.error is not None:
                blocked = (i, "could not be translated")
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
