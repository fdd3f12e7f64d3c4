"""``xlate to-keras`` on what ``xlate to-tf`` wrote in its program form (docs/design.md,
"The round trip of the program form").

The program form keeps the user's program and bundles the runtime's TensorFlow classes
between two marker lines. Raising it is the inverse of the few edits the program form makes:

- the bundled block goes (it is the runtime's code, never the user's: nothing in it is
  diagnosed or edited);
- each runtime name the user's code reads goes back to its Keras spelling, found with to-tf's
  own name table (:func:`keras_spelling` asks ``totf.program.translate`` which Keras name
  gives the runtime name, so there is no second table);
- a graph function (``def model_graph(): ... return inputs, outputs`` and
  ``model = Model(model_graph)``) becomes the straight-line graph again, and a graph
  fragment (``symbolic_run(graph_fragment)``) its statements;
- the Keras imports come back (:func:`kerastf_xlate.edit.imports.finish`, as every raise does).

A raise is accepted only when ``to-tf`` of it gives the input back byte for byte: then the
Keras program is one whose translation the user has, the round trip is a fixed point, and a
construct the inverse does not know (a training loop to-tf rewrote, a ``keras.ops`` call it
wrote as ``tf`` ops, an edited runtime class) keeps the file as it is, with XL504 saying why.
Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.edit.imports import finish
from kerastf_xlate.lint import suppressed
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.rules import default_rules
from kerastf_xlate.sources import newline_of
from kerastf_xlate.syntax import statement_lists
from kerastf_xlate.tokeras.units import Result, UnitInfo
from kerastf_xlate.totf.program.bundle import BANNER, END, Runtime, import_binds, load_runtime, rename_source
from kerastf_xlate.totf.program.edits import EditList, Positions
from kerastf_xlate.totf.program.graphs import _indentable_lines
from kerastf_xlate.totf.program.keras_api import default_api
from kerastf_xlate.totf.program.model_files import FILE_FUNCTIONS
from kerastf_xlate.totf.program.translate import (
    _CONFIG,
    _CONTAINERS,
    _LOSS_ALIASES,
    _SKLEARN_WRAPPERS,
    _TRAINING_GETTERS,
    _TRAINING_MODULES,
    _runtime_name,
    _training_name,
)

CODE = "XL504"
_APP_NAMESPACE = "_xlate_keras_app_"


@dataclass(frozen=True)
class Kept:
    """Why the program form stays as it is: the line (1-based) and the message of XL504."""

    line: int
    message: str


@dataclass(frozen=True)
class Block:
    """The bundled runtime block: its marker lines (0-based indexes into the file's lines),
    the names it binds, and the runtime names those are (``TFDense`` -> ``Dense``)."""

    start: int
    end: int
    binds: frozenset[str]
    original: dict[str, str]


def find_block(lines: list[str]) -> tuple[int, int] | Kept | None:
    """The 0-based lines of the banner and the end marker, None without a banner, or why the
    markers are not to-tf's (one missing, repeated, out of order)."""
    banners = [i for i, ln in enumerate(lines) if ln.rstrip("\r\n") == BANNER]
    ends = [i for i, ln in enumerate(lines) if ln.rstrip("\r\n") == END]
    if not banners:
        return None
    if len(banners) != 1 or len(ends) != 1 or ends[0] < banners[0]:
        return Kept(banners[0] + 1, "the block of TensorFlow layers written by `xlate to-tf` has lost or repeated a "
                                    "marker line: the file is kept as it is")
    return banners[0], ends[0]


def runtime_lines(text: str) -> tuple[int, int] | None:
    """The 1-based first and last line of the runtime block of ``text``, if it has one with
    both markers: lint and to-keras diagnose nothing there (it is not the user's code)."""
    found = find_block(text.splitlines(keepends=True))
    return (found[0] + 1, found[1] + 1) if isinstance(found, tuple) else None


def _block(lines: list[str], start: int, end: int, runtime: Runtime) -> Block | Kept:
    """The block's names, after checking that every runtime definition in it is the
    runtime's own text (a user who edited a runtime class gets the file back unchanged)."""
    source = "".join(lines[start + 1 : end])
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return Kept(start + 1 + (exc.lineno or 1), "the block of TensorFlow layers written by `xlate to-tf` does not "
                                                   "parse on its own: the file is kept as it is")
    binds: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            binds |= set(import_binds(ast.get_source_segment(source, stmt) or ""))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(stmt.name)
        else:
            binds |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    known = set(runtime.by_name) | {n for imp in runtime.imports for n in import_binds(imp)}
    original = {n: n for n in binds if n in known}
    # renamed definitions and imports (the file binds the name itself): `TFDense`, `tf_epsilon`,
    # `_ops_mean_tf`, `import random as tf_random`
    for n in binds - set(original):
        for cand in (n[2:] if n.startswith("TF") else None, n[3:] if n.startswith("tf_") else None,
                     n[:-3] if n.endswith("_tf") else None):
            if cand and cand in known:
                original[n] = cand
                break
    rename = {v: k for k, v in original.items() if k != v}
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or stmt.name not in original:
            continue
        d = runtime.by_name[original[stmt.name]]
        want = rename_source(d.source, rename) if rename.keys() & (d.reads | d.binds) else d.source
        first = min([stmt.lineno] + [x.lineno for x in stmt.decorator_list])
        got = "".join(source.splitlines(keepends=True)[first - 1 : stmt.end_lineno]).rstrip()
        head = ast.parse(want).body[0]  # the definition, without the `__name__` line a renamed one gets
        start_line = min([head.lineno] + [x.lineno for x in getattr(head, "decorator_list", [])])
        if got != "".join(want.splitlines(keepends=True)[start_line - 1 : head.end_lineno]).rstrip():
            return Kept(start + 1 + first, f"`{stmt.name}` in the block of TensorFlow layers is not what `xlate to-tf` "
                                           "writes (edited by hand?): the file is kept as it is")
    return Block(start, end, frozenset(binds), original)


def keras_spelling(name: str, runtime: Runtime) -> str | None:
    """The public Keras name to-tf's program form turns into the runtime name ``name``
    (``LSTM`` -> ``keras.layers.LSTM``, ``Model`` -> ``keras.Model``, ``Adam`` ->
    ``keras.optimizers.Adam``), found by asking to-tf's own mapping, or None."""
    public = runtime.public
    d = runtime.by_name.get(name)
    file = d.file if d is not None else ""
    training = file in ("tfr_optimizers.py", "tfr_schedules.py", "tfr_losses.py", "tfr_metrics.py", "tfr_callbacks.py")
    candidates: list[str] = []
    if file == "tfr_initializers.py":
        candidates += [f"keras.initializers.{name}", "keras.initializers.Identity"]
    elif not training:
        candidates += [k for k, v in _CONTAINERS.items() if v == name and not k.startswith("keras.models.")]
        if default_rules().get(name) is not None:  # a Keras layer (its rule), not any runtime class
            candidates.append(f"keras.layers.{name}")
    if name.endswith("Metric"):
        candidates.append(f"keras.metrics.{name[: -len('Metric')]}")
    for prefix in ("_loss_", "_metric_"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            module = "keras.losses." if prefix == "_loss_" else "keras.metrics."
            candidates += [module + rest] + [module + a for a, full in _LOSS_ALIASES.items() if full == rest]
    if training:
        candidates += [m + name for m in _TRAINING_MODULES]
    candidates += [k for k, v in _TRAINING_GETTERS.items() if v == name]
    candidates += ["keras.optimizers.legacy." + name[len("Legacy"):]] if name.startswith("Legacy") else []
    candidates += [k for k, v in _SKLEARN_WRAPPERS.items() if v == name]
    for k in candidates:
        if _runtime_name(k, public) == name or _training_name(k, runtime.by_name) == name:
            return k
    config = [k for k, v in _CONFIG.items() if v == name and k.startswith("keras.config.")]
    if config:
        return config[0]
    # a model file's reader or writer (translate.py names them after the Keras function)
    files = [k for k in FILE_FUNCTIONS if k.rsplit(".", 1)[1] == name and d is not None]
    if files:
        return files[0]
    # a keras_api helper (`_ops_mean`, called with the Keras call's arguments as written)
    entries = [e for e in default_api() if name in (e.helper, e.reference)]
    return entries[0].name if entries else None


@dataclass
class _Unit:
    """A graph function or fragment of the user's code and the statement that runs it."""

    func: ast.FunctionDef
    body: list[ast.stmt]  # statements moved back out (without the final return)
    ret: ast.Return
    runner: ast.stmt  # `model = Model(model_graph, ...)` / `symbolic_run(graph_fragment, ...)`
    call: ast.Call
    traced: ast.stmt | None  # `x, y = model.traced("x", "y")`
    fragment: bool
    start: int = 0  # the line of the first statement moved back out (after `x = Input(tensor=x)` lines), or the return's
    redeclared: tuple[ast.stmt, ...] = ()  # those `x = Input(tensor=x)` lines: they go


def _redeclares(stmt: ast.stmt, params: set[str]) -> bool:
    """``x = Input(tensor=x)``, ``x`` a parameter: a graph function's declared input, declared
    again (docs/design.md, "Inputs made outside the graph"); the Keras program has no such line."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id in params and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and not stmt.value.args and len(stmt.value.keywords) == 1):
        return False
    k = stmt.value.keywords[0]
    return k.arg == "tensor" and isinstance(k.value, ast.Name) and k.value.id == stmt.targets[0].id


def _units(tree: ast.Module) -> list[_Unit] | Kept:
    out: list[_Unit] = []
    for block in statement_lists(tree):
        for i, stmt in enumerate(block):
            if not isinstance(stmt, ast.FunctionDef) or not stmt.body or not isinstance(stmt.body[-1], ast.Return):
                continue
            nxt = block[i + 1] if i + 1 < len(block) else None
            call = _runner_call(nxt, stmt.name)
            if call is None:
                continue
            assert nxt is not None
            fragment = isinstance(call.func, ast.Name) and call.func.id == "symbolic_run"
            if stmt.decorator_list or stmt.args.posonlyargs or stmt.args.vararg or stmt.args.kwarg or stmt.args.kwonlyargs:
                return Kept(stmt.lineno, f"`{stmt.name}` is not a graph function as `xlate to-tf` writes one")
            if fragment and stmt.args.args:
                return Kept(stmt.lineno, f"`{stmt.name}` is not a graph fragment as `xlate to-tf` writes one")
            if any(not (isinstance(d, ast.Name) and d.id == a.arg) for a, d in zip(stmt.args.args, stmt.args.defaults))\
                    or len(stmt.args.defaults) != len(stmt.args.args):
                return Kept(stmt.lineno, f"`{stmt.name}` takes arguments other than the names it reads (`x=x`)")
            traced = block[i + 2] if i + 2 < len(block) and _is_traced(block[i + 2], nxt) else None
            body = stmt.body[:-1]
            params = {a.arg for a in stmt.args.args}
            k = 0
            while not fragment and k < len(body) and _redeclares(body[k], params):
                k += 1
            start = body[k].lineno if k < len(body) else stmt.body[-1].lineno
            out.append(_Unit(stmt, body[k:], stmt.body[-1], nxt, call, traced, fragment, start, tuple(body[:k])))
    return out


@functools.lru_cache(maxsize=1)
def _api_tf_functions() -> frozenset[str]:
    """The TensorFlow functions the keras_api table's templates write (``tf.reduce_mean``...)."""
    found: set[str] = set()
    for entry in default_api():
        for t in entry.templates:
            found |= set(re.findall(r"\btf(?:\.\w+)+", t.tf))
    return frozenset(found)


def _graph_tf_op(tree: ast.Module, units: list[_Unit], tf: str) -> ast.Call | None:
    """A call in a graph function (or a function of the file it calls, transitively) of a
    TensorFlow function the keras_api table writes: Keras's graph cannot take it back."""
    functions: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(node.name, []).append(node)
    api = _api_tf_functions()
    todo: list[ast.AST] = [u.func for u in units]
    seen: set[int] = set()
    while todo:
        fn = todo.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for n in ast.walk(fn):
            if not isinstance(n, ast.Call):
                continue
            if isinstance(n.func, ast.Name):
                todo += functions.get(n.func.id, [])
                continue
            dotted = _dotted(n.func)
            if dotted is not None and dotted.split(".", 1)[0] == tf and "tf." + dotted.split(".", 1)[-1] in api:
                return n
    return None


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or not parts:
        return None
    return ".".join([node.id, *reversed(parts)])


def _runner_call(stmt: ast.stmt | None, func: str) -> ast.Call | None:
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.Expr, ast.Return)) else None
    if not isinstance(value, ast.Call) or not value.args or not (isinstance(value.args[0], ast.Name) and value.args[0].id == func):
        return None
    if isinstance(value.func, ast.Name) and value.func.id in ("Model", "symbolic_run"):
        return value
    return None


def _is_traced(stmt: ast.stmt, runner: ast.stmt) -> bool:
    if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)):
        return False
    model = runner.targets[0] if isinstance(runner, ast.Assign) and len(runner.targets) == 1 else None
    f = stmt.value.func
    return (f.attr == "traced" and isinstance(f.value, ast.Name) and isinstance(model, ast.Name)
            and f.value.id == model.id)


def raise_program(text: str, then: Callable[[str], str] | None = None, path: str = "<round trip>") -> tuple[str, list[Kept]] | None:
    """``text`` raised to Keras when it is a program form of ``xlate to-tf`` (the same text
    and why when it cannot be raised exactly); None when it has no runtime block. ``then``
    translates the raised file on (to-keras's other recognisers): its result is the one
    checked, so a second run changes nothing."""
    lines = text.splitlines(keepends=True)
    found = find_block(lines)
    if found is None:
        return None
    if isinstance(found, Kept):
        return text, [found]
    runtime = load_runtime()
    block = _block(lines, found[0], found[1], runtime)
    if isinstance(block, Kept):
        return text, [block]
    candidate = _raise(text, lines, block, runtime)
    if isinstance(candidate, Kept):
        return text, [candidate]
    if then is not None:
        candidate = then(candidate)
    from kerastf_xlate.totf import translate as to_tf  # the check: to-tf gives the input back

    try:
        again, _ = to_tf(candidate, path)
    except Exception:  # a file to-tf cannot read back is not raised
        again = None
    if again != text:
        return text, [Kept(found[0] + 1, "this program form of `xlate to-tf` is kept as it is: the Keras code it raises "
                                         "to would not translate back to this file (edited by hand, or a construct "
                                         "the raise does not invert, such as rewritten training code or keras.ops "
                                         "calls written as TensorFlow ops)")]
    return candidate, []


def _raise(text: str, lines: list[str], block: Block, runtime: Runtime) -> str | Kept:
    newline = newline_of(text)
    start, end = block.start, block.end
    # the user's code with the block's lines blank: positions stay those of the file
    rest = "".join(lines[:start] + [newline] * (end - start + 1) + lines[end + 1 :])
    tree = ast.parse(rest)
    names = ModuleNames(tree)
    keras_name, layers_name, layers_taken = names.keras_bindings()
    keras = keras_name or "keras"
    layers = f"{layers_name}." if layers_name else f"{keras}.layers." if keras_name or layers_taken else "layers."
    pos = Positions(rest)
    edits = EditList(pos)
    # the block's lines go, with the blank lines after it
    b = end + 1
    while b < len(lines) and not lines[b].strip():
        b += 1
    edits.replace(pos.line_start(start + 1), pos.line_start(b + 1) if b < len(lines) else len(rest), "")

    units = _units(tree)
    if isinstance(units, Kept):
        return units
    moved = {id(u.func) for u in units}
    op = _graph_tf_op(tree, units, names.tf_alias or "tf")
    if op is not None:
        return Kept(op.lineno, f"`{ast.unparse(op.func)}` in a model's graph may be a Keras function to-tf wrote as "
                               "TensorFlow, which Keras cannot call on its symbolic tensors: the file is kept as it is")
    # runtime names the user's code reads
    parents = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    gone = {id(n) for u in units for st in u.redeclared for n in ast.walk(st)}  # lines that go whole
    modules = {n for imp in runtime.imports for n in import_binds(imp)}
    user_imports = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                    for a in n.names} & {k for k, v in block.original.items() if v in modules}
    for node in ast.walk(tree):
        if id(node) in gone:
            continue
        if isinstance(node, ast.Name) and node.id in block.binds and isinstance(node.ctx, ast.Load):
            if any(node is u.call.args[0] for u in units):
                continue
            if any(node is u.call.func for u in units if u.fragment):
                continue
            if node.id.startswith(_APP_NAMESPACE):  # `_xlate_keras_app_vgg16.VGG16`: keras.applications.VGG16
                parent = parents.get(id(node))
                if not (isinstance(parent, ast.Attribute) and parent.value is node):
                    return Kept(node.lineno, f"`{node.id}` (a translated keras.applications module) is used other than "
                                             "for one of its builders: the file is kept as it is")
                a, z = pos.span(parent)
                edits.replace(a, z, f"{keras}.applications.{parent.attr}")
                continue
            if node.id in user_imports:  # the program's own `import numpy as np`, which the block makes too
                continue
            original = block.original.get(node.id)
            if original is None:
                return Kept(node.lineno, f"`{node.id}` is read from the block of TensorFlow layers and is none of the "
                                         "runtime's names: the file is kept as it is")
            spelled = keras_spelling(original, runtime)
            if spelled is None:
                return Kept(node.lineno, f"`{node.id}` of the TensorFlow layers has no Keras name the raise can give back")
            if not spelled.startswith("keras.") or spelled.startswith("keras.src."):
                return Kept(node.lineno, f"`{node.id}` of the TensorFlow layers has no public Keras name")
            if spelled.startswith("keras.layers.") and spelled.count(".") == 2:
                new = layers + spelled[len("keras.layers."):]
            else:
                new = keras + spelled[len("keras"):]
            a, z = pos.span(node)
            edits.replace(a, z, new)
        elif isinstance(node, (ast.Name, ast.FunctionDef, ast.ClassDef)) and id(node) not in moved:
            bound = node.id if isinstance(node, ast.Name) else node.name
            if bound in block.binds and not isinstance(getattr(node, "ctx", None), ast.Load):
                return Kept(node.lineno, f"the program binds `{bound}`, a name of the block of TensorFlow layers")
    for u in units:  # after the names: a graph's returned inputs and outputs move with their edits
        _lower(u, pos, edits, rest)
    try:
        body = edits.apply()
        ast.parse(body)
    except (ValueError, SyntaxError):
        return Kept(start + 1, "the raise of this program form did not give valid Python: the file is kept as it is")
    read = {n.id for n in ast.walk(ast.parse(body)) if isinstance(n, ast.Name)}
    need_layers = layers == "layers." and layers_name is None and "layers" in read
    need_keras = keras_name is None and "keras" in read
    return finish(body, need_keras, need_layers, keras, "layers" if need_layers else None, newline)


def _lower(u: _Unit, pos: Positions, edits: EditList, text: str) -> None:
    """A graph function or fragment back to the statements it holds, at its place."""
    func = u.func
    unit = _unit_indent(pos, func)
    # the `def` line goes (with the lines declaring its declared inputs again)
    edits.replace(pos.line_start(func.lineno), pos.line_start(u.start), "")
    first, last = u.start, (u.body[-1].end_lineno or u.body[-1].lineno) if u.body else u.start - 1
    for line in _indentable_lines(pos, first, last) if u.body else []:
        start = pos.line_start(line)
        if text.startswith(unit, start):
            edits.replace(start, start + len(unit), "")
    if u.fragment:
        end = (u.runner.end_lineno or u.runner.lineno) + 1
        edits.replace(pos.line_start(u.runner.lineno), pos.line_start(end) if end <= len(pos.lines) else len(text), "")
    else:
        value = u.ret.value
        parts = value.elts[:2] if isinstance(value, ast.Tuple) else []
        ins = edits.take(*pos.span(parts[0])) if parts else "None"
        outs = edits.take(*pos.span(parts[1])) if len(parts) > 1 else "None"
        a, _ = pos.span(u.call.args[0])
        _, z = pos.span(u.call.args[0])
        edits.replace(a, z, f"{ins}, {outs}")
    # the return goes, with what is left in it (to-tf wrote a blank line after it unless one followed already)
    ret_end = u.ret.end_lineno or u.ret.lineno
    after = ret_end + 1
    if after <= len(pos.lines) and not pos.lines[after - 1].strip() and after < u.runner.lineno:
        after += 1
    edits.replace(pos.line_start(u.ret.lineno), pos.line_start(after) if after <= len(pos.lines) else len(text), "")
    for n in ast.walk(u.ret):  # names of the dict of traced names
        a, z = pos.span(n) if hasattr(n, "lineno") else (0, 0)
        if a < z:
            edits.take(a, z)
    if u.traced is not None:
        end = (u.traced.end_lineno or u.traced.lineno) + 1
        edits.replace(pos.line_start(u.traced.lineno), pos.line_start(end) if end <= len(pos.lines) else len(text), "")


def _unit_indent(pos: Positions, func: ast.FunctionDef) -> str:
    head = pos.lines[func.lineno - 1]
    inner = pos.lines[func.body[0].lineno - 1]
    indent = head[: len(head) - len(head.lstrip())]
    return inner[len(indent) : len(inner) - len(inner.lstrip())]


def translate_program_form(text: str, path: str, then: Callable[[str], Result] | None = None) -> Result | None:
    """to-keras of a file with a runtime block (None when it has none): the raise, or the
    file unchanged with XL504. Nothing of such a file is diagnosed but by XL504 (the block
    is the runtime's code, not the user's); ``then`` (to-keras itself) translates the raised
    file on, and its diagnostics are the result's."""
    after: list[Result] = []

    def on(raised: str) -> str:
        if then is None:
            return raised
        after.append(then(raised))
        return after[-1].text

    result = raise_program(text, on, path)
    if result is None:
        return None
    new, kept = result
    lines = text.splitlines()
    info = CODES[CODE]
    diags = [Diagnostic(path, k.line, 0, CODE, k.message, info.severity) for k in kept
             if not (0 < k.line <= len(lines) and suppressed(lines[k.line - 1], CODE))]
    if new != text and after:
        return Result(new, after[-1].diagnostics, after[-1].units or [UnitInfo("<program form>", "keras", [])])
    return Result(new, diags, [UnitInfo("<program form>", "keras", [])] if new != text else [])
