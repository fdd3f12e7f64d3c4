"""The package's layers, stated as a contract (docs/design.md, "The package's layers").

A module may import from its own layer and the layers below it, never from a layer above, and
no two modules import each other, directly or through others (imports anywhere in a module
count: at the top, in a function, under ``TYPE_CHECKING``). Read with ``ast``: nothing is
imported. Left out for now: ``verify`` and ``tokeras.verify`` (they import each other and are
being reworked; the static path never imports them) and ``runtime/`` (TensorFlow code that
to-tf reads as text).

A second check keeps layer knowledge in the layer modules: the engines (``totf``,
``tokeras``) spell no Keras layer name but the structural ones (Model, Sequential, Input,
Layer) and Identity (the alias ``y = x``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "kerastf_xlate"

# top to bottom; a module belongs to the first entry that is it or one of its packages
LAYERS: list[tuple[str, ...]] = [
    ("cli", "lsp", "__main__"),
    ("translate_cmd", "runner", "table", "notebooks", "verify_process", "tree", "lint_totf", "report"),
    ("tokeras",),
    ("totf",),
    ("layers",),
    ("layerkit",),
    ("lint", "args", "edit"),
    ("resolve", "syntax", "rules", "activations", "initializers", "diagnostics", "codes", "config", "sources",
     "writer", "static", "ipysyntax", "verify_shapes", "testing", "disjoint", "__init__"),
]
EXCLUDED = {"verify", "tokeras.verify"}
EXCLUDED_DIRS = {"runtime"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if rel.parts[0] in EXCLUDED_DIRS:
            continue
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" and len(rel.parts) > 1 else rel.parts)
        if name not in EXCLUDED:
            out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules ``name`` imports (a ``from pkg import mod`` counts as ``pkg.mod``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(["kerastf_xlate", *base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name``, mod
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}"[len("kerastf_xlate."):] in modules else module
                       for a in node.names]
        for t in targets:
            if t == "kerastf_xlate" or not t.startswith("kerastf_xlate."):
                continue
            mod = t[len("kerastf_xlate."):]
            if mod in modules and mod != name:
                found.add(mod)
    return found


def _layer(name: str) -> int:
    for i, entries in enumerate(LAYERS):
        for e in entries:
            if name == e or name.startswith(e + "."):
                return i
    raise AssertionError(f"kerastf_xlate.{name} is in no layer of the contract (tests/test_architecture.py)")


MODULES = _modules()
GRAPH = {name: _imports(name, path, MODULES) for name, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        _layer(name)


def test_no_import_goes_up() -> None:
    bad = [f"{a} (layer {_layer(a) + 1}) imports {b} (layer {_layer(b) + 1})"
           for a, targets in GRAPH.items() for b in sorted(targets) if _layer(b) < _layer(a)]
    assert not bad, "imports against the package's layers:\n" + "\n".join(bad)


def test_no_import_cycles() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            strongconnect(v)
    assert not cycles, "modules that import each other:\n" + "\n".join(" <-> ".join(c) for c in cycles)


STRUCTURAL = {"Model", "Sequential", "Input", "InputLayer", "Layer", "Functional", "Identity"}


@pytest.mark.parametrize("name", [n for n in MODULES if n.split(".")[0] in ("totf", "tokeras") and n != "totf.training.runtime"])
def test_engines_hold_no_layer_knowledge(name: str) -> None:
    from kerastf_xlate.rules import default_rules

    layer_names = {n for r in default_rules() for n in r.names} - STRUCTURAL
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = sorted({(n.lineno, n.value) for n in ast.walk(tree)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in layer_names})
    assert not found, f"kerastf_xlate.{name} spells layer names {found}: that knowledge belongs in kerastf_xlate.layers"
