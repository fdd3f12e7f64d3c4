"""keras.applications builders in a user's program, translated from the installed Keras's source.

A user's model built on ``keras.applications.ResNet50(...)`` (transfer learning, feature
extraction, perceptual losses) stays Keras unless the builder is translated too. The
builders are Keras's own source: ``xlate to-tf`` translates ``keras/src/applications/<module>.py``
of the Keras installed where it runs (read as text, never imported: ``importlib.util.find_spec``
only locates the package) with the program form, and writes the translated module into the
user's file as one function whose body is that module, called once to give a namespace
(``_xlate_keras_app_resnet.ResNet50(...)``). Its code keeps its own names without colliding
with the user's; the TensorFlow layers it needs join the file's block. Keras utilities the
builder calls (``obtain_input_shape``, ``get_file`` for the ImageNet weights,
``validate_activation``) stay Keras imports there, as in any translated program, and the
weights files load into the translated model by the runtime's ``load_weights``.

docs/design.md, "keras.applications in a user's program".
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerastf_xlate.totf.program.bundle import BANNER, END


@dataclass(frozen=True)
class TranslatedApplication:
    """One translated ``keras/src/applications`` module."""

    module: str  # "resnet"
    namespace: str  # the name the user's code reads its builders from
    source: str  # the function holding the translated module, and the statement making its namespace
    runtime_names: frozenset[str]  # the TensorFlow layers and helpers it needs from the file's block
    keras_version: str
    requires: tuple[str, ...] = ()  # the other translated modules its code reads (resnet_v2: resnet)


@functools.cache
def _keras_root() -> Path | None:
    """The installed ``keras`` package's directory, found without importing it."""
    try:
        spec = importlib.util.find_spec("keras")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return root if (root / "src" / "applications").is_dir() else None


def _keras_version(root: Path) -> str:
    text = (root / "src" / "version.py").read_text() if (root / "src" / "version.py").is_file() else ""
    found = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    return found.group(1) if found else "unknown"


@functools.cache
def builders() -> dict[str, tuple[str, str]]:
    """Public name (``keras.applications.ResNet50``, ``keras.applications.resnet50.ResNet50``)
    -> (module under ``keras/src/applications``, function name), from Keras's generated API
    files (read as text)."""
    root = _keras_root()
    if root is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    api = root / "applications"
    for init in sorted(api.rglob("__init__.py")):
        package = ".".join(("keras",) + init.parent.relative_to(root).parts)
        try:
            tree = ast.parse(init.read_text())
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras.src.applications."):
                module = node.module[len("keras.src.applications."):]
                for alias in node.names:
                    if alias.name[:1].isupper() and "." not in module:
                        out[f"{package}.{alias.asname or alias.name}"] = (module, alias.name)
    return out


def builder_of(name: str) -> tuple[str, str] | None:
    """(module, function) of a keras.applications model builder name, or None: an exported
    name, or a module-level name of a ``keras/src/applications`` module (``resnet_v2.py``
    calls ``resnet.ResNet``)."""
    found = builders().get(name)
    if found is not None:
        return found
    parts = name.split(".")
    if len(parts) == 4 and parts[:2] == ["keras", "applications"] and parts[3] in _module_names(parts[2]):
        return parts[2], parts[3]
    return None


@functools.cache
def _module_names(module: str) -> frozenset[str]:
    root = _keras_root()
    path = None if root is None else root / "src" / "applications" / f"{module}.py"
    if path is None or not path.is_file():
        return frozenset()
    try:
        return frozenset(n for n in _bound(ast.parse(path.read_text())) if not n.startswith("_"))
    except (OSError, SyntaxError, ValueError):
        return frozenset()


@functools.cache
def translated(module: str, translate_program: Callable[[str, ast.Module], Any]) -> TranslatedApplication | str:
    """The translation of ``keras/src/applications/<module>.py`` by ``translate_program``
    (the program form's, passed in: that module uses this one), or why there is none."""
    root = _keras_root()
    if root is None:
        return "Keras is not installed where xlate runs, so its builder's source cannot be translated"
    version = _keras_version(root)
    if not version.startswith("3."):
        return f"the installed Keras is {version}; only Keras 3's builders are translated"
    path = root / "src" / "applications" / f"{module}.py"
    try:
        text = path.read_text()
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError) as exc:
        return f"keras/src/applications/{module}.py cannot be read ({exc})"
    result = translate_program(text, tree)
    if result.text is None or result.partial or BANNER not in result.text:
        why = "; ".join(f.message for f in result.blockers[:2]) or "it stays Keras"
        return f"keras/src/applications/{module}.py does not translate: {why}"
    head, _, rest = result.text.partition(BANNER)
    block, _, tail = rest.partition(END)
    block_tree = ast.parse(block)
    requires = tuple(re.findall(r"^def _xlate_keras_app_(\w+)_module\(", block, flags=re.M))
    runtime_names = frozenset(_bound(block_tree))
    namespace = f"_xlate_keras_app_{module}"
    body = _drop_docstring(head) + tail
    body_tree = ast.parse(body)
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) or (isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names))
           for n in ast.walk(body_tree)):
        return f"keras/src/applications/{module}.py cannot become a function body"
    names = sorted(n for n in _bound(body_tree) if not n.startswith("__"))
    indented = "".join("    " + line if line.strip() else line for line in body.splitlines(keepends=True))
    fields = ", ".join(f"{n}={n}" for n in names)
    source = (f"def {namespace}_module():\n"
              f'    """keras/src/applications/{module}.py of Keras {version} (Apache License 2.0), translated by\n'
              f'    xlate to-tf: the model builders of keras.applications.{module} without Keras layers."""\n'
              f"{indented.rstrip()}\n"
              f"    import types\n\n"
              f"    return types.SimpleNamespace({fields})\n\n\n"
              f"{namespace} = {namespace}_module()\n")
    return TranslatedApplication(module, namespace, source, runtime_names, version, requires)


def _bound(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return out


def _drop_docstring(head: str) -> str:
    """The module's imports without its docstring (the function has its own)."""
    tree = ast.parse(head)
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant) \
            and isinstance(tree.body[0].value.value, str):
        lines = head.splitlines(keepends=True)
        return "".join(lines[tree.body[0].end_lineno:])
    return head
