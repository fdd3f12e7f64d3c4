"""Imports of a file in the program form: Keras imports the program no longer needs go, and
the runtime block goes in before the first use of its names, after the imports that precede
it (with ``import tensorflow as tf`` and the runtime's other imports unless the user's code
has made them by then)."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable

from kerastf_xlate.totf.program.bundle import BANNER, END, import_keys
from kerastf_xlate.totf.program.edits import EditList, Positions
from kerastf_xlate.totf.program.names import OUTSIDE_ROOTS, ROOTS


def _is_keras_module(module: str) -> bool:
    return any(module == r or module.startswith(r + ".") for r in ROOTS) or module == "tensorflow.keras"


def _used_names(tree: ast.Module, classes: bool = False) -> set[str]:
    """Names read from the module's namespace: a read inside a function (or comprehension)
    that binds the name itself reads its own local (``def __init__(self, layers)``), not the
    module's; ``global`` / ``nonlocal`` names count as read. With ``classes``, a read in a class
    body of a name that body binds is the class's too (``@weights.setter``)."""
    out: set[str] = set()

    def visit(node: ast.AST, local: frozenset[str], decorators: frozenset[str] | None = None) -> None:
        # (``decorators``: the names a method's decorators see, those of its class body)
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            out.add(node.id)
        if classes and isinstance(node, ast.ClassDef):
            for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                visit(d, local)
            own = {b.name for b in node.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
            own |= {n.id for b in node.body if not isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    for n in ast.walk(b) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    visit(member, local, local | own)  # (its body does not see the class's names)
                else:
                    visit(member, local | own)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            annotations = [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x and x.annotation]
            evaluated_here = a.defaults + [k for k in a.kw_defaults if k] + annotations
            returns = getattr(node, "returns", None)
            for d in getattr(node, "decorator_list", []):
                visit(d, local if decorators is None else decorators)
            for d in evaluated_here + ([returns] if returns is not None else []):
                visit(d, local)
            inner = local | _function_locals(node)
            for child in node.body if isinstance(node.body, list) else [node.body]:
                visit(child, inner)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            targets = frozenset(n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name))
            for i, g in enumerate(node.generators):
                visit(g.iter, local if i == 0 else local | targets)
                for cond in g.ifs:
                    visit(cond, local | targets)
            parts: list[ast.expr] = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                visit(part, local | targets)
            return
        for sub in ast.iter_child_nodes(node):
            visit(sub, local)

    visit(tree, frozenset())
    return out


def _function_locals(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> frozenset[str]:
    """The names a function binds in its own scope (parameters, assignments, imports, nested
    definitions), less those it declares ``global`` or ``nonlocal``."""
    a = fn.args
    names = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs} | {x.arg for x in (a.vararg, a.kwarg) if x}
    declared: set[str] = set()
    todo: list[ast.AST] = list(fn.body) if isinstance(fn.body, list) else [fn.body]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            continue
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            declared.update(n.names)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update((x.asname or x.name).split(".")[0] for x in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        todo.extend(ast.iter_child_nodes(n))
    return frozenset(names - declared)


def _owns_lines(pos: Positions, stmt: ast.stmt) -> bool:
    first = pos.lines[stmt.lineno - 1]
    last = pos.lines[(stmt.end_lineno or stmt.lineno) - 1]
    before = first.encode("utf-8")[: stmt.col_offset].strip()
    after = last.encode("utf-8")[stmt.end_col_offset :].strip() if stmt.end_col_offset is not None else b""
    return not before and (not after or after.startswith(b"#"))


def _import_statements(tree: ast.Module) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out.append(n)
        elif isinstance(n, ast.stmt):
            for name in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(n, name, None)
                if isinstance(block, list):
                    stack.extend(block)
    return out


def _keras_alias(stmt: ast.Import | ast.ImportFrom, alias: ast.alias, addons: bool = False) -> bool:
    """Whether ``alias`` of ``stmt`` imports Keras (``from tensorflow import keras`` too), or
    with ``addons`` TensorFlow Addons or Hub (whose translated classes leave its import unused)."""
    if isinstance(stmt, ast.ImportFrom):
        if stmt.level:
            return False
        module = stmt.module or ""
        if addons and _outside(module):
            return True
        return _is_keras_module(module) or _is_keras_module(f"{module}.{alias.name}")
    if addons and _outside(alias.name):
        return True
    return _is_keras_module(alias.name)


def _outside(module: str) -> bool:
    """A module of a package some of whose classes the translation writes out (``names.OUTSIDE_ROOTS``)."""
    return any(module == root or module.startswith(root + ".") for root in OUTSIDE_ROOTS)


# names by which a program may read a Keras file: TensorFlow Addons registers its classes with
# Keras when imported (and a file with hub.KerasLayer is read with tensorflow_hub imported), so
# their imports stay where one is left
_READS_KERAS_FILES = frozenset({"load_model", "from_config", "deserialize", "model_from_json", "model_from_config",
                                "custom_objects"})


def _exported(tree: ast.Module) -> set[str]:
    """The strings of a module-level ``__all__`` (assigned or extended)."""
    out: set[str] = set()
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            out.update(n.value for n in ast.walk(stmt) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        elif isinstance(stmt, ast.Expr) and any(isinstance(n, ast.Name) and n.id == "__all__" for n in ast.walk(stmt)):
            out.update(n.value for n in ast.walk(stmt) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return out


# calls that reach module names without naming them: an import they may read is not provably unused
_DYNAMIC = frozenset({"globals", "locals", "vars", "eval", "exec", "__import__"})


def _reads_keras_files(tree: ast.Module, pos: Positions) -> bool:
    """Whether the user's code (outside the runtime block) names a way to read a Keras file."""
    block = [i + 1 for i, line in enumerate(pos.lines) if line.rstrip("\n") in (BANNER, END)]
    inside = (lambda n: block[0] <= n.lineno <= block[-1]) if block else (lambda n: False)
    for n in ast.walk(tree):
        name = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else \
            n.arg if isinstance(n, ast.keyword) else None
        if name in _READS_KERAS_FILES and not inside(n):
            return True
    return False


def drop_unused_keras_imports(text: str, bundle_names: frozenset[str] = frozenset()) -> str:
    """Remove the Keras imports the translated program no longer needs.

    A Keras import alias goes when

    - it binds a name the runtime block defines (``from keras import Model`` once every
      ``Model`` was rewritten to the runtime's ``Model``): kept, it would shadow the runtime's
      class or be shadowed by it; the translation blocks beforehand when a reference to it
      stays Keras (see ``translate._kept_keras_names``); or
    - its name is provably unused: no reference to it is left anywhere in the output, it is
      not listed in ``__all__``, the module does not reach its names dynamically
      (``globals()``, ``eval``...). Later notebook cells are part of the text; a notebook's
      IPython lines (``%timeit keras.ops.mean(x)``, placeholders here) are checked by the
      notebook layer, which leaves the notebook as it is when the translation changes a
      name they mention (``notebooks._ipython_names``).

    Any other import stays as it is, including ``from tensorflow import keras`` while
    anything still reads ``keras``.
    """
    tree = ast.parse(text)
    pos = Positions(text)
    used = _used_names(tree)
    dynamic = any(isinstance(n, ast.Name) and n.id in _DYNAMIC for n in ast.walk(tree))
    addons = not _reads_keras_files(tree, pos)
    keep_always = used | _exported(tree)
    edits = EditList(pos)
    # an import inside a function binds a local of it: what the function reads counts too
    local_reads: dict[int, set[str]] = {}
    for f in ast.walk(tree):
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
            imports = [n for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))]
            if imports:
                reads = {n.id for n in ast.walk(f) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                for n in imports:
                    local_reads.setdefault(id(n), set()).update(reads)
    # a star import of a Keras module (`from tensorflow.keras.layers import *`) is needed while
    # the output reads a module-level name that nothing else binds (the runtime's classes and
    # functions bind those of the translated layers); it binds no `_` name (Keras's modules
    # have no `__all__`), such as a notebook's cell sentinel `__xlate_cell__`
    stars = [s for s in _import_statements(tree) if isinstance(s, ast.ImportFrom) and not s.level
             and _is_keras_module(s.module or "") and any(a.name == "*" for a in s.names)]
    free = {n for n in _used_names(tree, classes=True) - _module_bound(tree) - _BUILTIN_NAMES - bundle_names
            if not n.startswith("_")} if stars else set()

    def unneeded(a: ast.alias, stmt: ast.Import | ast.ImportFrom) -> bool:
        if a.name == "*":
            return stmt in stars and not dynamic and not free
        if not _keras_alias(stmt, a, addons):
            return False
        bound = a.asname or (a.name if isinstance(stmt, ast.ImportFrom) else a.name.split(".")[0])
        return bound in bundle_names or (not dynamic and bound not in keep_always
                                         and bound not in local_reads.get(id(stmt), ()))

    # a block whose every statement goes keeps a `pass` in the place of its first one
    # (`if TF: from tensorflow.keras.layers import ... else: from keras.layers import ...`)
    emptied = _emptied_blocks(tree, pos, unneeded)
    for stmt in _import_statements(tree):
        assert isinstance(stmt, (ast.Import, ast.ImportFrom))
        keep = [a for a in stmt.names if not unneeded(a, stmt)]
        if len(keep) == len(stmt.names):
            continue
        owns = _owns_lines(pos, stmt)
        if not owns and not any(unneeded(a, stmt) and (a.asname or a.name) in bundle_names for a in stmt.names):
            continue  # `import keras; x = 1`: left as written unless it would shadow the runtime's names
        a = pos.offset(stmt.lineno, stmt.col_offset)
        b = pos.offset(stmt.end_lineno, stmt.end_col_offset)  # type: ignore[arg-type]
        if keep:
            names = ", ".join(k.name + (f" as {k.asname}" if k.asname else "") for k in keep)
            new = f"from {'.' * stmt.level}{stmt.module} import {names}" if isinstance(stmt, ast.ImportFrom) else f"import {names}"
            edits.replace(a, b, new)
        elif not owns or _only_statement_of_block(tree, stmt) or id(stmt) in emptied:
            edits.replace(a, b, "pass")
        else:  # the whole statement, with its line (it owns it)
            start = pos.line_start(stmt.lineno)
            end_line = stmt.end_lineno or stmt.lineno
            end = pos.line_start(end_line + 1) if end_line < len(pos.lines) else len(text)
            edits.replace(start, end, "")
    return edits.apply()


_BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__builtins__", "__spec__",
                                              "__loader__", "__package__", "__annotations__"}


def _module_bound(tree: ast.Module) -> set[str]:
    """The names the module's own statements bind at module level (assignments, loop and
    ``with`` targets, ``def``/``class``, imports other than star imports), and any name a
    function declares ``global``."""
    out: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            out.update(g for x in ast.walk(n) if isinstance(x, ast.Global) for g in x.names)
            stack.extend(getattr(n, "decorator_list", []))
            continue
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names if a.name != "*")
            continue
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
            out.add(n.target.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        stack.extend(ast.iter_child_nodes(n))
    return out


def _emptied_blocks(tree: ast.Module, pos: Positions,
                    unneeded: Callable[[ast.alias, ast.Import | ast.ImportFrom], bool]) -> set[int]:
    """The first statement (its id) of each nested block whose statements are all imports
    that go whole: it becomes ``pass`` so that the block stays a block."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and len(block) > 1 and all(
                    isinstance(s, (ast.Import, ast.ImportFrom)) and _owns_lines(pos, s)
                    and all(unneeded(a, s) for a in s.names) for s in block):
                out.add(id(block[0]))
    return out


def _only_statement_of_block(tree: ast.Module, stmt: ast.stmt) -> bool:
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block == [stmt] and not isinstance(node, ast.Module):
                return True
    return False


TF_IMPORT = "import tensorflow as tf"


def _is_marker(stmt: ast.stmt) -> bool:
    """A notebook cell marker or a bare string (a docstring, keras-io's ``\"\"\"## Setup\"\"\"``)."""
    if not isinstance(stmt, ast.Expr):
        return False
    v = stmt.value
    return (isinstance(v, ast.Constant) and isinstance(v.value, str)) or (
        isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "__xlate_cell__")


def _insert_index(tree: ast.Module, bundle_names: frozenset[str]) -> int:
    """The index of the top-level statement before which the runtime block goes.

    It must come before the first statement that mentions a name the block defines (a use
    at run time, or a function that calls it later: being early is harmless), and it goes
    right after the last import before that statement, so that the block sees the imports
    the user makes before it (``import tensorflow as tf`` after a second bare string, after
    ``os.environ[...] = ...``) and adds nothing before the user's own setup. Without such an
    import it goes after the docstring and ``__future__`` imports."""
    first_use = len(tree.body)
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) or _is_marker(stmt):
            continue
        if any(isinstance(n, ast.Name) and n.id in bundle_names for n in ast.walk(stmt)):
            first_use = i
            break
    last_import = max((i for i, s in enumerate(tree.body[:first_use]) if isinstance(s, (ast.Import, ast.ImportFrom))), default=None)
    if last_import is not None:
        return last_import + 1
    idx = 0
    for i, stmt in enumerate(tree.body[:first_use]):
        is_doc = i == 0 and _is_marker(stmt) and isinstance(stmt.value, ast.Constant)  # type: ignore[attr-defined]
        if is_doc or (_is_marker(stmt) and not isinstance(stmt.value, ast.Constant)):  # type: ignore[attr-defined]
            idx = i + 1
            continue
        break
    return idx


_SENTINEL = "# xlate:runtime-block:4f1c"


def finish_imports(text: str, make_block: Callable[[frozenset[tuple[str, str, str | None]]], str],
                   bundle_names: frozenset[str]) -> str:
    """Put the runtime block in (:func:`_insert_index`, decided on the program as the user
    wrote it: a Keras import that goes does not move it above the user's setup code), then
    drop the Keras imports the program no longer needs. ``make_block(bound)`` writes the
    block, leaving out the runtime's imports the user's code has made (keys ``bound``)
    before that point; ``import tensorflow as tf`` comes first unless the user's code has
    made it there."""
    tree = ast.parse(text)
    pos = Positions(text)
    index = _insert_index(tree, bundle_names)
    bound: set[tuple[str, str, str | None]] = set()
    for stmt in tree.body[:index]:
        bound |= import_keys(stmt)
    block = make_block(frozenset(bound))
    if not block:
        return _tf_imported(drop_unused_keras_imports(text, bundle_names))
    newline = "\r\n" if "\r\n" in text else "\n"
    line = (tree.body[index - 1].end_lineno or tree.body[index - 1].lineno) + 1 if index else 1
    at = pos.line_start(line) if line <= len(pos.lines) else len(text)
    prefix = "" if at == 0 or text[:at].endswith(("\n", "\r")) else newline
    text = drop_unused_keras_imports(text[:at] + prefix + _SENTINEL + newline + text[at:], bundle_names)
    at = text.index(_SENTINEL)
    rest = text[at + len(_SENTINEL) :].lstrip("\r\n")
    if ("", "tensorflow", "tf") not in bound:
        block = TF_IMPORT + "\n\n" + block
    before = text[:at].rstrip(" \t")
    blank_before = at == 0 or before.endswith(("\n\n", "\r\n\r\n", "\r\r"))
    body = ("" if blank_before else "\n") + block.rstrip("\n") + "\n\n\n"
    if newline != "\n":
        body = body.replace("\n", newline)
    return text[:at] + body + rest if rest else text[:at] + body


def _tf_imported(text: str) -> str:
    """``import tensorflow as tf`` where the program reads ``tf`` (a Keras backend function
    written as its TensorFlow op: ``K.exp(x)`` -> ``tf.exp(x)``) and nothing binds it (the
    file imported only ``tensorflow.keras.backend as K``), after the imports before its first
    use; the text as it is otherwise."""
    tree = ast.parse(text)
    if "tf" not in _used_names(tree):
        return text
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name.split(".")[0]) == "tf"
                                                                 for a in node.names):
            return text
        if isinstance(node, ast.Name) and node.id == "tf" and not isinstance(node.ctx, ast.Load):
            return text
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "tf":
            return text
    index = _insert_index(tree, frozenset({"tf"}))
    newline = "\r\n" if "\r\n" in text else "\n"
    pos = Positions(text)
    line = (tree.body[index - 1].end_lineno or tree.body[index - 1].lineno) + 1 if index else 1
    at = pos.line_start(line) if line <= len(pos.lines) else len(text)
    prefix = "" if at == 0 or text[:at].endswith(("\n", "\r")) else newline
    return text[:at] + prefix + TF_IMPORT + newline + text[at:]
