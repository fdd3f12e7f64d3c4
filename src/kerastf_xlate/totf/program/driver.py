"""Choosing between the flat form and the program form for one file.

The flat form (one ``tf.Module`` per model, variables as attributes, ops inline) is used
when it translates every Keras model of the file. Otherwise the program form is tried on the
original text; it is used when nothing blocks it, else the flat result stands and the program
form's blockers say why the rest stayed Keras (docs/design.md, "Programs").
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from kerastf_xlate.args import policy_dtype_ok
from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.lint import char_col, source_lines
from kerastf_xlate.totf.program.bundle import BANNER, BUILTIN_NAMES, END
from kerastf_xlate.totf.program.keras2 import is_keras2, read_legacy_kernel_sizes, read_legacy_keywords, tf_keras2_program
from kerastf_xlate.totf.program.names import Ref, keras_refs
from kerastf_xlate.totf.program.siblings import program_folder
from kerastf_xlate.totf.program.translate import (
    Finding,
    ProgramResult,
    module_bindings,
    read_sequential_symbols,
    translate_program,
)

_MODEL_CODE = ("keras.layers.", "keras.Input", "keras.Model", "keras.Sequential", "keras.models.")


def has_model_code(tree: ast.Module) -> bool:
    return _model_code(keras_refs(tree))


def _model_code(refs: list[Ref]) -> bool:
    return any(r.name.startswith(_MODEL_CODE) for r in refs)


def _keras_layer_calls(tree: ast.Module) -> int:
    return sum(1 for r in keras_refs(tree) if r.role == "call" and r.name.startswith(("keras.layers.", "keras.Input")))


def _runtime_block(lines: list[str]) -> tuple[int, int] | None:
    """The 1-based lines of the block of TensorFlow layers an earlier run wrote, if any."""
    marks = [i + 1 for i, ln in enumerate(lines) if ln.rstrip("\r\n") in (BANNER, END)]
    return (marks[0], marks[1]) if len(marks) == 2 else None


def _diagnostic(path: str, lines: list[str], f: Finding) -> Diagnostic:
    node = f.node
    line = getattr(node, "lineno", 1) or 1
    col = char_col(lines, line, getattr(node, "col_offset", 0) or 0) if node is not None else 1
    info = CODES.get(f.code)
    return Diagnostic(path, line, col, f.code, f.message, info.severity if info else Severity.WARNING)


# set by the tree pass for a file whose layer classes another file's translated model holds:
# the flat form's tf.Module is no layer a program-form model tracks (its weights would be
# outside the model's), so that file is translated in the program form when it can be
_PROGRAM_WANTED: ContextVar[bool] = ContextVar("xlate_program_form_wanted", default=False)


@contextlib.contextmanager
def program_form_wanted() -> Iterator[None]:
    """Translate one file in the program form even where the flat form would do."""
    token = _PROGRAM_WANTED.set(True)
    try:
        yield
    finally:
        _PROGRAM_WANTED.reset(token)


def choose(text: str, path: str, parse: Callable[[str, str], ast.Module], flat_text: str,
           flat_diags: list[Diagnostic], keep_keras_files: bool = False) -> tuple[str, list[Diagnostic]]:
    """The translation of ``text``: the flat one when it left no Keras model code, else the
    program form when nothing blocks it (the program form first when :func:`program_form_wanted`)."""
    if "keras" not in text:
        return flat_text, flat_diags
    tree = parse(text, path)
    # a Keras 2 program (keras2.py): the flat form reads its Keras 2 names as Keras 3's and knows
    # nothing of what Keras 2 computes differently or of Keras 2's backend functions, so only
    # the program form translates it; so is a tf.keras 2 program (one with hub.KerasLayer or
    # TensorFlow Addons): the flat form's Adam is Keras 3's
    refs = keras_refs(tree)  # the original's Keras names, read once here
    if ".input" in text or ".output" in text:
        read_sequential_symbols(tree, refs)  # tf.keras 2's `seq.input` of a Sequential: `seq.inputs[0]`
    if tf_keras2_program(refs):
        flat_text, flat_diags = text, []
    if is_keras2(refs):
        flat_text, flat_diags = text, []
        read_legacy_kernel_sizes(refs)  # `Convolution2D(32, 3, 3, border_mode='same')`: (3, 3)
        read_legacy_keywords(refs)  # `Model(input=x, output=y)`, `Dense(output_dim=3)`: as Keras 2.0-2.3 read them
    try:
        flat_tree = parse(flat_text, path) if flat_text != text else None
    except Exception:  # pragma: no cover - the flat form always emits valid Python
        flat_tree = None
    # the flat form's generated code runs in the module's namespace: where the file binds a
    # builtin it reads (`sum = tf.reduce_sum(outputs)`, `len = 5`), that code would call the
    # file's value. The program form renames those in its block; the flat text is not used
    shadowed = _shadowed_builtins(tree, flat_tree) if flat_tree is not None else set()
    if shadowed:
        flat_text, flat_diags, flat_tree = text, [d for d in flat_diags if d.code < "XL3"], None
    if (_PROGRAM_WANTED.get() or shadowed) and _model_code(refs):
        with program_folder(path):
            wanted = translate_program(text, tree, keep_keras_files)
        if wanted.text is not None and not wanted.partial:
            lines = source_lines(text)
            return wanted.text, sorted({_diagnostic(path, lines, f) for f in wanted.findings})
    if flat_tree is not None and not has_model_code(flat_tree):
        return flat_text, flat_diags
    if flat_tree is None and not _model_code(refs):
        return flat_text, flat_diags
    lines = source_lines(text)
    block = _runtime_block(lines)
    if block is not None:  # a file translated in part before: the block is the runtime's code, not the user's
        flat_diags = [d for d in flat_diags if not block[0] <= d.line <= block[1]]
    with program_folder(path):  # the program's own modules are read from there (siblings.py)
        result = translate_program(text, tree, keep_keras_files)
    if result.text is not None and result.partial and flat_tree is not None:
        flat_left = _keras_layer_calls(flat_tree)
        if flat_left <= _keras_layer_calls(parse(result.text, path)):
            # the flat form kept no more of the model code; the program form may translate part of
            # what it kept (a second run would, so the first does: the result is a fixed point)
            with program_folder(path):
                again = translate_program(flat_text, flat_tree, keep_keras_files)
            if again.text is not None:
                # reasons given on the original text (the second pass numbers lines of the flat text)
                diags = flat_diags + [_diagnostic(path, lines, f) for f in result.findings]
                return again.text, sorted(set(diags))
            result = ProgramResult(None, [], result.findings)
    if result.text is not None:
        diags = [_diagnostic(path, lines, f) for f in result.findings]
        return result.text, sorted(set(diags))
    # a layer the flat form reports already (XL1xx/XL2xx at the same place) is not reported
    # again in the program form's words ("no TensorFlow layer class")
    layer_found = {(d.line, d.col) for d in flat_diags if d.code < "XL3"}
    blockers = [b for b in (_diagnostic(path, lines, f) for f in result.blockers)
                if not (b.code < "XL3" and (b.line, b.col) in layer_found)]
    if blockers:
        # the flat form's own limits (a subclass with a `build` or `get_config` hook or no
        # `__init__`; a layer with a dtype policy) are not what keeps the file: the program
        # form takes those, and its blockers name what stopped it
        flat_diags = [d for d in flat_diags if not _flat_form_limit(d)]
        # a model file's writer: the program form says why the file stays Keras (model_files.py)
        files = {(b.line, b.col, b.code) for b in blockers if b.code in ("XL305", "XL306")}
        flat_diags = [d for d in flat_diags if (d.line, d.col, d.code) not in files]
    return flat_text, sorted(set(flat_diags + blockers))


def _shadowed_builtins(tree: ast.Module, flat_tree: ast.Module) -> set[str]:
    """Builtins the file binds at module level (translate.module_bindings) that the flat
    translation reads more often than the file does: its generated code reads them, and would
    get the file's value."""
    bound = module_bindings(tree) & BUILTIN_NAMES
    if not bound:
        return set()

    def loads(t: ast.Module) -> Counter[str]:
        return Counter(n.id for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in bound)

    before, after = loads(tree), loads(flat_tree)
    return {n for n in bound if after[n] > before[n]}


_FLAT_DTYPE = re.compile(r"`(\w+)\(dtype=(.*)\)` blocks translation: only float32 layers are translated$")


def _flat_form_limit(d: Diagnostic) -> bool:
    """A flat-form diagnostic about something the program form honours: why it could not take
    a Layer/Model subclass (``totf/subclass.py``'s ``find_subclass``) or a functional or
    Sequential graph (``totf/graph.py``'s ``Blocked``), or a ``dtype=`` the program form's
    class of that layer follows (``args.policy_dtype_ok``)."""
    if d.code == "XL301" and d.message.startswith(("class kept as Keras: ", "model kept as Keras: ")) \
            and not d.message.endswith("is used where a Keras layer is needed"):  # a kept model's class: true in both forms
        # the flat form's graph and subclass limits (a name bound by a loop or an `if`, inputs
        # that are not plain names, a shared layer, a call with `mask=`): the program form
        # follows those, and what blocked it is named by its own blockers
        return True
    if d.code in ("XL303", "XL308") and d.message.startswith("model kept as Keras: "):
        # the flat form's model-use limits (`.metrics_names`, `.history`, a model passed to a
        # function, the History `fit` returns used beyond `.history`): the program form's model
        # and History have those, and a use only Keras has is one of its own blockers
        # (models.py, KERAS_ONLY)
        return True
    m = _FLAT_DTYPE.match(d.message) if d.code == "XL201" else None
    if m is None or m.group(2).endswith("..."):
        return False
    try:
        node = ast.parse(m.group(2), mode="eval").body
    except SyntaxError:
        return False
    return policy_dtype_ok(m.group(1), node)
