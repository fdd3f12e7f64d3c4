"""The program form of ``xlate to-tf`` (docs/design.md, "Programs").

:func:`translate_program` keeps the user's program and replaces Keras in it:

1. every reference to Keras is resolved (:mod:`.names`) and classified: a layer class or
   model container that has a TensorFlow class in the runtime is renamed to it, a Keras
   registration decorator is dropped, a Keras utility that is not model code is kept (and
   reported), anything else blocks the program form for the file;
2. each functional model statement (``keras.Model(inputs, outputs)``) becomes a graph
   function (:mod:`.graphs`);
3. uses of models with Keras APIs a TensorFlow model lacks (``fit``, ``save``...) go through
   the training translation or block;
4. the runtime definitions the file uses are copied in after its imports, Keras imports
   nothing uses any more are removed, and the result is parsed again.

When something blocks, the top-level statements the blockers depend on stay Keras byte for
byte and the rest is translated (a partial program, :func:`translate_program`); when nothing
can be translated that way, the file is left to the flat form (the caller), with every blocker
reported.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from kerastf_xlate.args import (
    GLOBAL_POLICY_WRAPPERS,
    POLICY_LAYERS,
    UNKNOWN,
    blockers,
    helper_call,
    literal,
    policy_dtype_ok,
    short_message,
)
from kerastf_xlate.layers import TF_KERAS2_CLASSES, TFA_ADAPTIVE_POOLINGS
from kerastf_xlate.resolve import dotted
from kerastf_xlate.rules import RuleSet, default_rules
from kerastf_xlate.sources import STABILITY_CHECK
from kerastf_xlate.syntax import parents
from kerastf_xlate.totf.program import keras2, siblings
from kerastf_xlate.totf.program.aliases import module_aliases
from kerastf_xlate.totf.program.bundle import BANNER, BUILTIN_NAMES, END, Runtime, import_binds, import_keys, load_runtime, rename_plan, rename_source
from kerastf_xlate.totf.program.classes import LAYER, MODEL, subclasses, super_init_calls
from kerastf_xlate.totf.program.edits import EditList, Positions
from kerastf_xlate.totf.program.graphs import Fragment, Graph, GraphPlan, plan_graphs
from kerastf_xlate.totf.program.imported import (
    DYNAMIC_LOOKUPS,
    dynamic_lookups,
    import_bindings,
    imported_calls,
    in_run,
    loose_layer_functions,
    parameter_default_calls,
)
from kerastf_xlate.totf.program.imports import TF_IMPORT, finish_imports
from kerastf_xlate.totf.program.inert import inert_reasons
from kerastf_xlate.totf.program.keras_api import default_api
from kerastf_xlate.totf.program.model_files import FILE_FUNCTIONS, ModelFiles, plan_model_files, writer_message
from kerastf_xlate.totf.program.models import Use, keras_only_uses, subclass_blockers
from kerastf_xlate.totf.program.names import Ref, keras_refs
from kerastf_xlate.totf.program.partial import Components, stateless_name
from kerastf_xlate.totf.program.replay import UNNAMED, region_mutations
from kerastf_xlate.totf.program.training_checks import legacy_arguments, model_compile_calls
from kerastf_xlate.totf.program.training_checks import training_blockers as runtime_training_blockers
from kerastf_xlate.totf.training import FILE_APIS


@dataclass(frozen=True)
class Finding:
    """A diagnostic of the program form, before it gets a path and a column."""

    node: ast.AST | None
    code: str
    message: str
    file_wide: bool = False  # keeping the statement it is in is not enough: the whole file stays


@dataclass
class ProgramResult:
    text: str | None  # the translation, or None when the program form does not apply or is blocked
    findings: list[Finding] = field(default_factory=list)  # notes on what stays Keras in a translation
    blockers: list[Finding] = field(default_factory=list)  # why the program form was not used
    partial: bool = False  # some top-level statements were kept as Keras (their blockers are in findings)


# keras.saving's configuration serialization (runtime tfr_serialization.py; docs/design.md,
# "Keras's configuration serialization in a program"), also under keras.utils
_SERIALIZATION = ("serialize_keras_object", "deserialize_keras_object", "get_custom_objects", "custom_object_scope",
                  "get_registered_name", "get_registered_object", "register_keras_serializable")
# Keras names the runtime gives a class or function of its own under another spelling
_CONTAINERS = {
    "keras.Input": "Input", "keras.layers.InputLayer": "InputLayer", "keras.Model": "Model",
    "keras.Sequential": "Sequential", "keras.layers.Layer": "Layer", "keras.models.Model": "Model",
    "keras.models.Sequential": "Sequential", "keras.layers.InputSpec": "InputSpec",
    "keras.models.clone_model": "clone_model", "keras.utils.plot_model": "plot_model",
    "keras.utils.model_to_dot": "model_to_dot",
    **{f"keras.{m}.{f}": f for m in ("saving", "utils") for f in _SERIALIZATION},
    "keras.layers.serialize": "serialize_keras_object", "keras.layers.deserialize": "deserialize_keras_object",
    "keras.saving.CustomObjectScope": "custom_object_scope", "keras.utils.CustomObjectScope": "custom_object_scope",
}
# the registration decorators the runtime gives when the file uses serialization (else dropped)
_REGISTRATION = {"keras.saving.register_keras_serializable", "keras.utils.register_keras_serializable",
                 "keras.saving.object_registration.register_keras_serializable"}
# decorators that only register a class or function with Keras
_DROPPED_DECORATORS = {"keras.saving.register_keras_serializable", "keras.utils.register_keras_serializable",
                       "keras.api_export.keras_export", "keras.saving.object_registration.register_keras_serializable"}
# Keras utilities that are not model code: kept as Keras, reported
# keras.config setters that change what every layer computes (its dtype, epsilon, data format):
# from the keras_api table (rules/keras_api), which translates the default and blocks the rest,
# not utilities (a model translated in float32 beside `set_floatx("float64")` computed differently)
_LAYER_CONFIG = {"keras.config.set_floatx", "keras.config.set_epsilon", "keras.config.set_image_data_format",
                 "keras.config.set_dtype_policy", "keras.config.dtype_policy", "keras.mixed_precision.set_global_policy",
                 "keras.mixed_precision.set_dtype_policy", "keras.mixed_precision.global_policy",
                 "keras.mixed_precision.dtype_policy"}
# the setters of the global dtype policy: the runtime's (tfr_dtype.py), and the file's layers
# must each have a class checked under every float policy (_global_policy_blocker)
_POLICY_SETTERS = {"keras.config.set_dtype_policy", "keras.mixed_precision.set_global_policy",
                   "keras.mixed_precision.set_dtype_policy"}
_POLICY_CLASSES = {"keras.mixed_precision.Policy", "keras.mixed_precision.DTypePolicy", "keras.DTypePolicy",
                   "keras.dtype_policies.DTypePolicy", "keras.dtype_policies.FloatDTypePolicy"}
_UTILITY_PREFIXES = ("keras.utils.", "keras.datasets.", "keras.applications.imagenet_utils.",
                     "keras.ops.operation_utils.", "keras.preprocessing.", "keras.backend.is_keras_tensor",
                     "keras.backend.get_uid", "keras.config.")
# Keras names that stay Keras beside the translated models: a model loaded from a Keras file is
# not one of the file's models (it stays a Keras object), and the version string
_KEPT_KERAS = {"keras.models.load_model", "keras.saving.load_model", "keras.__version__", "keras.version"}
# what makes a loaded Keras model depend on the file's own classes (which the program form
# turns into TensorFlow classes that Keras's loader cannot rebuild)
_CUSTOM_OBJECT_SCOPES = {"keras.saving.custom_object_scope", "keras.utils.custom_object_scope",
                         "keras.utils.CustomObjectScope", "keras.saving.CustomObjectScope"}
# Keras configuration functions: the runtime has a function of the same name and meaning
_CONFIG = {"keras.backend.image_data_format": "image_data_format", "keras.config.image_data_format": "image_data_format",
           "keras.backend.floatx": "floatx", "keras.config.floatx": "floatx", "keras.backend.epsilon": "epsilon",
           "keras.config.epsilon": "epsilon", "keras.backend.backend": "backend_name", "keras.config.backend": "backend_name"}
# Keras 2's weight converters for models whose weights were trained under Theano or in the other
# image layout (keras.applications of Keras 2.0-2.2 and the builders copied from them, under
# `if K.backend() == 'theano':`): the runtime's (tfr_saving.py) do the same to a translated model
_WEIGHT_CONVERTERS = {"keras.utils.layer_utils.convert_all_kernels_in_model": "convert_all_kernels_in_model",
                      "keras.utils.layer_utils.convert_dense_weights_data_format": "convert_dense_weights_data_format",
                      "keras.utils.conv_utils.convert_kernel": "convert_kernel",
                      "keras.utils.np_utils.convert_kernel": "convert_kernel"}
# Keras functions with a TensorFlow function of the same meaning
_RENAMED = {"keras.backend.name_scope": "tf.name_scope", "keras.name_scope": "tf.name_scope"}
# Keras's functions on symbolic tensors: the runtime's give their meaning for its declared
# inputs and graph functions (a `keras.applications` builder given `input_tensor=`)
_SYMBOLIC = {"keras.backend.is_keras_tensor": "is_keras_tensor", "keras.utils.is_keras_tensor": "is_keras_tensor",
             "keras.ops.operation_utils.get_source_inputs": "get_source_inputs",
             "keras.utils.get_source_inputs": "get_source_inputs"}


def translate_program(text: str, tree: ast.Module, keep_keras_files: bool = False) -> ProgramResult:
    """The program form of ``text`` (already parsed as ``tree``), or why there is none.

    When the file binds a name the runtime block defines (its own ``Dense`` class, an
    ``epsilon`` variable), the block's definition is renamed (:func:`.bundle.rename_plan`)
    in the block and where the translation writes it, and the file is translated again.
    When something blocks it, the top-level statements the blockers depend on stay Keras and
    the rest is translated (docs/design.md, "Partial programs"); their blockers are reported.
    ``keep_keras_files`` (``to-tf --keep-keras-files``): a model file the program never reads
    back stays a Keras file, and its model stays Keras (model_files.py)."""
    if BANNER in text:
        return _translated_before(text, keep_keras_files)
    rename: dict[str, str] = {}

    def attempt(keep: frozenset[int]) -> ProgramResult:
        nonlocal rename
        result, renamable = _translate(text, tree, keep, rename, keep_keras_files)
        if renamable - set(rename):
            rename = rename_plan(set(rename) | renamable, _taken_names(tree))
            result, _ = _translate(text, tree, keep, rename, keep_keras_files)
        return result

    first = attempt(frozenset())
    if first.text is not None or not first.blockers:
        return first
    refs = keras_refs(tree)
    # a load_model that may give a translated model (model_files.py) links what uses the model
    saves = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr == "save"}
    loaded = plan_model_files(tree, refs, lambda node: False, saves).readers
    linked = [r for r in refs if not _stays_keras(r.name) or id(r.node) in loaded]
    # clear_session is translated to the runtime's, which resets Keras's counters too: what is
    # kept after it and what is translated see it alike, so it links nothing after it
    components = Components(tree, [r.node for r in linked], [r.node for r in linked if stateless_name(r.name)
                                                            or r.name == "keras.backend.clear_session"],
                            [r.node for r in refs if r.role == "call" and _constructs_object(r.name)])
    kept: set[int] = set()
    reported: list[Finding] = []
    result = first

    def unchanged() -> ProgramResult:
        """The file stays: a model file is then not translated (no XL311), and why each writer
        of one stays Keras is said (found once the code reading it back was kept)."""
        files = [b for b in reported + result.blockers if b.code in ("XL305", "XL306") and b not in first.blockers]
        return ProgramResult(None, [f for f in first.findings if f.code != "XL311"], first.blockers + files)

    for _ in range(8):
        # a distribution strategy (XL307) acts through its scope on whatever is built in it
        wide = [b for b in result.blockers if b.file_wide or b.code == "XL307" or components.index(b.node) is None]
        seeds = {components.index(b.node) for b in result.blockers}
        if wide:  # a blocker of the whole file (a name collision, ...): say it too
            return ProgramResult(None, [f for f in first.findings if f.code != "XL311"],
                                 first.blockers + [b for b in wide if b not in first.blockers])
        grown = kept | components.closure(s for s in seeds if s is not None)
        if grown == kept or components.tainted <= grown:
            return unchanged()
        kept = grown
        reported += [b for b in result.blockers if b not in reported]
        result = attempt(frozenset(kept))
        if result.text is not None:
            return ProgramResult(result.text, reported + result.findings, [], partial=True)
        if not result.blockers:
            return unchanged()  # nothing left to translate
    return unchanged()


def _constructs_object(name: str) -> bool:
    """Whether calling the Keras name ``name`` makes a layer or model object (a class of
    ``keras.layers``, ``keras.Sequential``, ``keras.Model``; a translated TensorFlow Addons layer)."""
    last = name.rsplit(".", 1)[-1]
    return (name.startswith("keras.layers.") and name.count(".") == 2 and last[:1].isupper() and last != "Input"
            or name in ("keras.Sequential", "keras.Model", "keras.models.Sequential", "keras.models.Model")
            or name in _ADDONS_LAYERS or name in _HUB_LAYERS)


def _translated_before(text: str, keep_keras_files: bool = False) -> ProgramResult:
    """A file an earlier run translated in part: the Keras code left in it is judged without
    the block of TensorFlow layers (its names are the runtime's own, not the user's), and it
    stays as it is: a second run changes nothing. Its blockers are reported again (not while
    a run checks its own output, which keeps only the text: it is None either way)."""
    if STABILITY_CHECK.get():
        return ProgramResult(None)
    lines = text.splitlines(keepends=True)
    marks = [i for i, ln in enumerate(lines) if ln.rstrip("\r\n") in (BANNER, END)]
    if len(marks) != 2:
        return ProgramResult(None)
    a, b = marks
    blank = ["\r\n" if ln.endswith("\r\n") else "\n" for ln in lines[a:b + 1]]
    rest = "".join(lines[:a] + blank + lines[b + 1:])
    try:
        tree = ast.parse(rest)
    except SyntaxError:
        return ProgramResult(None)
    result = translate_program(rest, tree, keep_keras_files)
    if result.text is None:
        return ProgramResult(None, result.findings, result.blockers)
    return ProgramResult(None, [], [Finding(None, "XL301", "Keras code left by an earlier `xlate to-tf` run can now be "
                                                            "translated: translate the original file again")])


def _stays_keras(name: str) -> bool:
    """Keras names the program form leaves as they are (utilities, loading, the version)."""
    if name in _CONTAINERS or name in _LAYER_CONFIG or name in _SYMBOLIC or name in _WEIGHT_CONVERTERS:
        # a utility the runtime gives for translated models (plot_model); a setting layers read;
        # a function on symbolic tensors, which the runtime's of the same name replaces
        return False
    return name.startswith(_UTILITY_PREFIXES) or name == "keras.utils" or name in _KEPT_KERAS


def _taken_names(tree: ast.Module) -> set[str]:
    """Every name the file or the runtime block may bind: renamed runtime names avoid them."""
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    taken |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    taken |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    runtime = load_runtime()
    return taken | set(runtime.by_name) | {name for imp in runtime.imports for name in import_binds(imp)} | {"tf"}


def _kept_reads(tree: ast.Module, keep: frozenset[int]) -> set[str]:
    from kerastf_xlate.totf.program.imports import _used_names

    return _used_names(ast.Module(body=[tree.body[i] for i in sorted(keep)], type_ignores=[]))


def _translate(text: str, tree: ast.Module, keep: frozenset[int], rename: dict[str, str],
               keep_keras_files: bool = False) -> tuple[ProgramResult, set[str]]:
    """The program form with the top-level statements ``keep`` (indexes into ``tree.body``)
    left as they are (their Keras references are not rewritten and their uses not judged) and
    the runtime names of ``rename`` renamed; and the runtime names the file binds that a
    translation with them renamed could use (empty when something else blocks)."""
    spans = [(_first_line(tree.body[i]), tree.body[i].end_lineno or tree.body[i].lineno) for i in sorted(keep)]

    def kept(node: ast.AST | None) -> bool:
        line = getattr(node, "lineno", None)
        if line is None:
            return False
        end = getattr(node, "end_lineno", None) or line
        return any(a <= line and end <= b for a, b in spans)

    found = keras_refs(tree)
    # `K = tf.keras.backend`: the name's uses are references to the module's functions (aliases.py)
    aliases = [a for a in module_aliases(tree, found) if not any(kept(stmt) for stmt, _ in a.statements)]
    alias_statements = {id(ref.node): stmt for a in aliases for stmt, ref in a.statements}
    alias_uses = {id(u.node) for a in aliases for u in a.uses}
    refs = [r for r in found + [u for a in aliases for u in a.uses] if not kept(r.node)]
    refs.sort(key=lambda r: (r.node.lineno, r.node.col_offset))
    if not refs:
        return ProgramResult(None), set()

    def new(name: str) -> str:
        return rename.get(name, name)
    rules = default_rules()
    runtime = load_runtime()
    public = runtime.public
    pos = Positions(text)
    edits = EditList(pos)
    findings: list[Finding] = []
    blockers: list[Finding] = []
    needed: set[str] = set()

    graphs: GraphPlan = plan_graphs(tree, refs, pos)
    if graphs.inert:
        if keep:
            return ProgramResult(None), set()
        return ProgramResult(None, blockers=[Finding(n, "XL301", m) for n, m in inert_reasons(tree, refs)]), set()
    blockers += [Finding(n, "XL301", m) for n, m in graphs.blockers]
    findings += [Finding(n, "XL312", m) for n, m in graphs.notes]
    for g in graphs.graphs:
        for moved in (g.region, g.prefix.part.stmts if g.prefix is not None else []):
            if not moved:
                continue  # a model built on another model's graph moves no statement
            first, last = moved[0].lineno, moved[-1].end_lineno or moved[-1].lineno
            if any(first <= a and b <= last for a, b in spans):
                blockers.append(Finding(g.stmt, "XL301", "code kept as Keras lies inside the graph of this model"))
    for f in graphs.fragments:
        first, last = f.region[0].lineno, f.region[-1].end_lineno or f.region[-1].lineno
        if any(first <= a and b <= last for a, b in spans):
            blockers.append(Finding(f.region[0], "XL301", "code kept as Keras lies inside this graph fragment"))

    # a functional subclass's `super().__init__(inputs, outputs)`: the graph plan took it or said why not
    planned = {id(r.call) for r in super_init_calls(tree, refs)}
    blockers += [Finding(n, "XL301", m) for n, m in subclass_blockers(tree, refs) if id(n) not in planned]

    # a program with hub.KerasLayer or TensorFlow Addons is tf.keras 2's: what tf.keras 2
    # computes or writes other than Keras 3 keeps its models (keras2.blockers, model files, Adam)
    hub_program = keras2.tf_keras2_program(found) or _AS_TF_KERAS2.get()  # (a kept statement may hold the hub layer)
    # model files the program writes and reads back (model_files.py): translated as a whole
    saves = {id(u.node) for u in keras_only_uses(tree, refs, graphs) if u.attr == "save" and not kept(u.node)}
    files = plan_model_files(tree, refs, kept, saves, keep_keras_files, hub_program)
    if files.readers:  # a loaded model's own `save` is a translated model's too
        saves = {id(u.node) for u in keras_only_uses(tree, refs, graphs, frozenset(files.readers))
                 if u.attr == "save" and not kept(u.node)}
        files = plan_model_files(tree, refs, kept, saves, keep_keras_files, hub_program)
    findings += [Finding(n, "XL311", m) for n, m in files.notes]
    blockers += [Finding(n, "XL306", m) for n, m in files.writes_kept]
    # training code around the models (compile/fit/...), and what it rewrites
    uses = [u for u in keras_only_uses(tree, refs, graphs, frozenset(files.readers)) if not kept(u.node)
            and id(u.node) not in files.saves and id(u.node) not in files.save_calls]
    notes = [u for u in uses if u.note]
    # a callback of another module may be a ModelCheckpoint writing a Keras file: for other
    # programs (--keep-keras-files), or for a Keras `load_model` of this file the translation
    # cannot tie to a writer (it would meet the translation's TensorFlow checkpoint)
    keras_loads = [r for r in refs if r.name in FILE_FUNCTIONS and "load" in r.name and id(r.node) not in files.readers]
    if notes and (keep_keras_files or keras_loads):
        reason = "--keep-keras-files" if keep_keras_files else f"`{keras_loads[0].name}` at line {keras_loads[0].node.lineno}"
        blockers += [Finding(u.node, "XL305", f"model kept as Keras ({reason}): " + u.message.split(":")[0]
                             + ": it may write a Keras model file (a Keras `ModelCheckpoint`)") for u in notes]
    else:
        findings += [Finding(u.node, u.code, u.message) for u in notes]
    blockers += [_file_reason(b, files) for b in _keras_only_blockers([u for u in uses if not u.note], tree, refs)]
    if files.saves or files.checkpoints or files.save_functions or notes:  # an outside ModelCheckpoint calls `save`
        needed.add("_MODEL_FILES")
    if graphs.tensor_reads or graphs.partial_symbols:  # a model on part of another model's graph (runtime/tfr_submodels.py)
        needed.add("_SUBMODELS")
    helpers: list[str] = []

    dropped_decorators: set[int] = set()
    declared_inputs = _sequential_declared_inputs(tree, refs, graphs)
    # a registration means something in the program when the file deserializes or looks objects up
    serializing = any(_CONTAINERS.get(r.name) in _SERIALIZATION and r.name not in _REGISTRATION for r in refs)
    api_refs: list[Ref] = []
    introspected: frozenset[int] | None = None  # found when first asked (rarely)
    policy_setter = _policy_setter(refs)
    unchecked = _policy_unchecked_for_applications(refs)
    if unchecked is not None:
        blockers += [Finding(r.node, "XL201", f"`{r.name}` under the global dtype policy set at line "
                                              f"{unchecked.lineno} (`{ast.unparse(unchecked)[:50]}`): the translated "
                                              f"keras.applications builders are checked under "
                                              f"{', '.join(sorted(APPLICATION_POLICIES))} only")
                     for r in refs if r.name.startswith("keras.applications.") and r.role == "call"]
    # Keras 2's spellings (`keras.layers.merge.concatenate`, `K.int_shape` from Keras itself): read
    # as the names they are in Keras 2, with what Keras 2 versions compute differently kept (keras2.py)
    keras2_program = keras2.is_keras2(refs)
    findings += [Finding(n, "XL102", m) for n, m in keras2.spelling_notes(refs, keras2_program)]
    # a Keras 2 program as tf.keras 2 runs it (Keras 2.4 and later): its BatchNormalization's
    # moving variance (inference is the same in every Keras: only a program that trains needs it)
    trains = _trains(tree, refs)
    keras2_tf_bn = keras2_program and trains and keras2.tf_keras_reads(refs, tree)
    if keras2_program:
        findings += [Finding(n, "XL102", m) for n, m in keras2.notes(refs)]
        if keras2_tf_bn:
            findings += [Finding(n, "XL102", m) for n, m in keras2.tf_keras_bn_notes(refs)]
        if keras2.tf_keras_reads(refs, tree):
            findings += [Finding(n, "XL102", m) for n, m in keras2.tf_keras_recurrent_notes(refs)]
        blockers += [Finding(n, "XL102", m) for n, m in keras2.blockers(tree, refs, trains)]
        for keyword, new_name in keras2.renamed_keywords(refs):  # `Adam(lr=1e-3)`: Keras 2's name of learning_rate
            start = pos.offset(keyword.lineno, keyword.col_offset)
            edits.replace(start, start + len(keyword.arg or ""), new_name)
        for keyword in keras2.epoch_keywords(tree):  # `fit(nb_epoch=3)`: Keras 2.0-2.3's `epochs`
            if not kept(keyword.value):
                start = pos.offset(keyword.lineno, keyword.col_offset)
                edits.replace(start, start + len("nb_epoch"), "epochs")
                findings.append(Finding(keyword, "XL102", "`fit(nb_epoch=...)` is Keras 1's name, which standalone Keras "
                                                          "2.0-2.3 read as `epochs` (tf.keras 2 and Keras 3 raise on it): "
                                                          "read as `epochs=`, as Keras 2 means it"))
        schedule = _training_name("keras.optimizers.schedules.InverseTimeDecay", runtime.by_name) or ""
        for call, decay, lr, default in keras2.decayed_optimizers(refs) if schedule else []:
            # `Adam(lr=a, decay=d)`: `Adam(lr=InverseTimeDecay(a, 1, d))`, Keras 2's decayed rate
            if kept(call):
                continue
            d = text[slice(*pos.span(decay.value))]
            if lr is None:
                edits.replace(*pos.span(decay), f"learning_rate={new(schedule)}({default}, 1, {d})")
            else:
                a, b = pos.span(lr)
                edits.replace(a, b, f"{new(schedule)}({text[a:b]}, 1, {d})")
                args: list[ast.AST] = [*call.args, *call.keywords]
                args.sort(key=lambda n: pos.span(n)[0])
                k = next(i for i, n in enumerate(args) if n is decay)
                # the keyword goes with the comma before it (after it, when it comes first)
                start = pos.span(args[k - 1])[1] if k else pos.span(decay)[0]
                end = pos.span(decay)[1] if k else pos.span(args[k + 1])[0]
                edits.replace(start, end, "")
            needed.update({schedule, "_TRAINING"})
        for keyword, old_name, new_name in keras2.legacy_layer_keywords(refs):  # `Dense(output_dim=3)`: Keras 1's
            start = pos.offset(keyword.lineno, keyword.col_offset)
            edits.replace(start, start + len(old_name), new_name)
        for value, layer in keras2.numpy_sizes(tree, refs):  # `Dense(np.prod(shape))`: Keras 2 took a NumPy int
            if kept(value):
                continue
            a, b = pos.span(value)
            edits.insert(a, "int(")
            edits.insert(b, ")")
            findings.append(Finding(value, "XL102", f"`{ast.unparse(value)[:40]}` is a NumPy integer, which Keras 2's "
                                                    f"`{layer}` took as its size and Keras 3's raises on: read as "
                                                    "`int(...)`, as Keras 2 read it"))
        for call, declared in keras2.embedding_input_shapes(tree, refs):  # Keras 2's Embedding declared its input
            last_arg = max([*call.args, *(k.value for k in call.keywords)], key=lambda n: pos.span(n)[1])
            edits.insert(pos.span(last_arg)[1], ", " + declared)
            findings.append(Finding(call, "XL102", f"Keras 2's `Embedding` declares its input's shape (a Sequential "
                                                   "it starts is built at once), Keras 3's does not: read as Keras 2 "
                                                   f"means it (`{declared}` written)"))
    if hub_program:  # hub.KerasLayer and tfa are tf.keras 2's: so is the program
        blockers += [Finding(n, "XL102", m) for n, m in keras2.blockers(tree, refs, trains, hub_program)]
        blockers += [Finding(n, "XL102", m) for n, m in _tf_keras2_adam_blockers(refs, hub_program)]
        for keyword in keras2.default_rate_keywords(refs):  # `Adam(lr=0.001)`: the rate of every tf.keras 2
            start = pos.offset(keyword.lineno, keyword.col_offset)
            edits.replace(start, start + len("lr"), "learning_rate")
    elif keras2_program:  # every Keras 2's Adam is tf.keras 2's (summed sparse rows)
        blockers += [Finding(n, "XL102", m) for n, m in _tf_keras2_adam_blockers(refs, None)]
    if hub_program or keras2_program:
        blockers += [Finding(n, "XL102", m) for n, m in _keras2_unseen_optimizers(tree, refs, hub_program)]
        for value in keras2.compile_optimizer_strings(tree):  # `compile(optimizer="adam")`: tf.keras 2's
            if str(value.value).lower() != "adam" or kept(value):
                continue
            edits.replace(*pos.span(value), new("LegacyAdam") + "()")
            needed.update({"LegacyAdam", "_TRAINING"})
    for symbol in getattr(tree, "tf_keras2_symbols", []):  # tf.keras 2's `seq.input` (read_sequential_symbols)
        if not kept(symbol):
            edits.replace(*pos.span(symbol), f"{symbol.tf_keras2_symbol}s[0]")
            findings.append(Finding(symbol, "XL102", f"`{symbol.tf_keras2_symbol}` of a Sequential never called on "
                                                     "symbolic tensors is tf.keras 2's (Keras 3 raises AttributeError "
                                                     "there, so the original runs under tf.keras 2 only): read as "
                                                     f"`{symbol.tf_keras2_symbol}s[0]`, its graph's, as tf.keras 2 "
                                                     "means it"))
    if keras2_program:
        for call in keras2.legacy_kernel_sizes(refs):  # `Convolution2D(32, 3, 3)` of Keras 1: `(3, 3)`
            if getattr(call.args[1], "legacy_kernel", False):  # (put together in the tree by driver.choose)
                a, b = pos.span(call.args[1])
                edits.replace(a, b, "(" + text[a:b] + ")")
    for ref in refs:
        name = ref.name
        if id(ref.node) in alias_statements:  # `K = keras.backend`: goes, as a Keras import does
            _replace_statement(edits, pos, alias_statements[id(ref.node)], "")
            continue
        if id(ref.node) in alias_uses:  # `K.set_value(...)`: from the keras_api table, or blocked there
            api_refs.append(ref)
            continue
        if ref.role == "decorator" and not (name in _REGISTRATION and serializing):
            if name in _DROPPED_DECORATORS or any(name.startswith(d + ".") for d in _DROPPED_DECORATORS):
                dec = _decorator_of(tree, ref.node)
                if dec is not None and id(dec) not in dropped_decorators:
                    dropped_decorators.add(id(dec))
                    a = pos.line_start(dec.lineno)
                    b = pos.line_start(dec.end_lineno + 1) if dec.end_lineno < len(pos.lines) else len(text)  # type: ignore[operator]
                    edits.replace(a, b, "")
                continue
            blockers.append(Finding(ref.node, "XL301", f"`{name}` decorates code with a Keras feature that has no TensorFlow meaning"))
            continue
        target = _runtime_name(name, public)
        if target is not None:
            why = (_argument_blocker(ref, rules) or _addons_blocker(ref) or _hub_blocker(ref)
                   or _global_policy_blocker(ref, policy_setter)
                   or _clone_blocker(ref) or _serialized_model_blocker(ref, tree, refs))
            if why is not None:
                blockers.append(why)
                continue
            if id(ref.node) in declared_inputs:
                target = "InputLayer"
            if (hub_program or keras2_tf_bn) and TF_KERAS2_CLASSES.get(target) in public:
                target = TF_KERAS2_CLASSES[target]  # what tf.keras 2 computed (BatchNormalization's moving variance)
            target, dot, attr = target.partition(".")  # `Dense.from_config`: the class's
            edits.replace_node(ref.node, new(target) + dot + attr)
            needed.add(target)
            continue
        target = _training_name(_TF_KERAS2_ADAM if (hub_program or keras2_program) and name == "keras.optimizers.Adam" else name,
                                runtime.by_name)
        if target is not None:
            edits.replace_node(ref.node, new(target))
            needed.update({target, "_TRAINING"})
            continue
        if name in _CONFIG and ref.call is not None and not ref.call.args and not ref.call.keywords:
            edits.replace_node(ref.node, new(_CONFIG[name]))
            needed.add(_CONFIG[name])
            continue
        if name in _RENAMED:
            edits.replace_node(ref.node, _RENAMED[name])
            continue
        if name in _SYMBOLIC:
            edits.replace_node(ref.node, new(_SYMBOLIC[name]))
            needed.add(_SYMBOLIC[name])
            continue
        if name in _WEIGHT_CONVERTERS:
            edits.replace_node(ref.node, new(_WEIGHT_CONVERTERS[name]))
            needed.add(_WEIGHT_CONVERTERS[name])
            continue
        if name in _REDUCTIONS:
            edits.replace_node(ref.node, _REDUCTIONS[name])
            continue
        if id(ref.node) in files.readers or id(ref.node) in files.save_functions:
            target = "load_model" if id(ref.node) in files.readers else "save_model"
            edits.replace_node(ref.node, new(target))
            needed.add(target)
            continue
        if name in _KEPT_KERAS:
            loading = _loading_blocker(ref, refs)
            if loading is not None:
                # a registration acts through Keras's global registry, which no statement links
                blockers.append(Finding(ref.node, "XL301", loading, file_wide="register" in loading or "keras_export" in loading))
            else:
                file_why = files.kept.get(id(ref.node))
                plain = f"`{name}` stays Keras: what it gives is not one of the translated models"
                findings.append(Finding(ref.node, "XL309", short_message(f"`{name}` stays Keras: it reads a Keras file {file_why}",
                                                                         plain) if file_why else plain))
            continue
        if name.startswith("keras.applications."):
            applications = _applications(name)
            if applications == "api":
                api_refs.append(ref)
            elif applications is not None:
                app = _translated_application(name, hub_program)
                if isinstance(app, str):
                    blockers.append(Finding(ref.node, "XL301", f"{applications}: {app}"))
                    continue
                translation, function = app
                edits.replace_node(ref.node, f"{new(translation.namespace)}.{function}")
                for module in (*translation.requires, translation.module):
                    part = translated_application_module(module, hub_program)
                    if isinstance(part, str):  # pragma: no cover - a required module translated with this one
                        continue
                    needed.update(part.runtime_names & set(runtime.by_name))
                    if part.source not in helpers:
                        helpers.append(part.source)
                findings.append(Finding(ref.node, "XL309", f"`{name}` is translated from the installed Keras's source "
                                                           f"(Keras {translation.keras_version}); the Keras utilities "
                                                           "it calls (input checks, weight download) stay Keras"))
            else:
                findings.append(Finding(ref.node, "XL309", f"`{name}` is a Keras utility, not model code: kept as Keras"))
            continue
        if ((name.startswith(_API_PREFIXES) or name.startswith("keras.backend.")) and not name.startswith(_UTILITY_PREFIXES)) \
                or name in _LAYER_CONFIG:
            api_refs.append(ref)
            continue
        if name.startswith(_UTILITY_PREFIXES) or name == "keras.utils":
            findings.append(Finding(ref.node, "XL309", f"`{name}` is a Keras utility, not model code: kept as Keras"))
            continue
        if name.startswith("keras.layers.") and name.split(".")[-1][:1].isupper():
            blockers.append(_no_layer_class(ref.node, name, rules))
            continue
        if name.startswith("keras.callbacks."):
            blockers.append(Finding(ref.node, "XL305", f"model kept as Keras: the callback `{name}` is not translated"))
            continue
        if name.startswith(_TRAINING_MODULES):
            blockers.append(Finding(ref.node, "XL304", f"model kept as Keras: `{name}` has no TensorFlow translation{_why_not(name)}"))
            continue
        if introspected is None:
            introspected = _introspected(tree)
        if id(ref.node) in introspected:
            findings.append(Finding(ref.node, "XL309", f"`{name}` is looked at, not used as model code: kept as Keras"))
            continue
        old_path = _keras2_path(name)
        if old_path is not None:
            blockers.append(Finding(ref.node, "XL102", old_path))
            continue
        blockers.append(Finding(ref.node, "XL301", f"`{name}` has no TensorFlow translation in the program form{_why_not(name)}"))

    # keras.ops / activations / random / backend / initializers functions: from the table
    # (rules/keras_api), innermost calls first so an outer call takes their translation along
    api = default_api()
    for ref in sorted(api_refs, key=lambda r: _span_of(pos, r)[1] - _span_of(pos, r)[0]):  # innermost (shortest) first
        result = _translate_api(api, ref, edits, pos, rename)
        if isinstance(result, str):
            blockers.append(Finding(ref.node, "XL301", result))
        else:
            needed.update(result)
    # code of another module a model runs: translated with it when the run translates that
    # module (the tree pass checks it), else the model stays Keras, with what is linked to it
    regions = [[*g.region, *(g.prefix.part.stmts if g.prefix is not None else []), g.inputs, g.outputs]
               for g in graphs.graphs] + [list(f.region) for f in graphs.fragments]
    up = parents(tree)
    applied = [r.node for r in refs if r.role == "call" and r.name.startswith("keras.layers.") and r.call is not None
               and isinstance(up.get(id(r.call)), ast.Call) and up[id(r.call)].func is r.call]  # type: ignore[attr-defined]
    loose = loose_layer_functions(tree, applied, regions, up)
    bindings = import_bindings(tree)
    defaults = [imp for f in loose for imp in parameter_default_calls(f, bindings)]
    for imp in imported_calls(tree, regions + [list(f.body) for f in loose], _layer_holders(tree, refs, kept),
                              up) + defaults:
        where = "." * imp.level + imp.module
        if not imp.graph and imp.level == 0 and imp.module.startswith("keras"):
            continue  # a layer of a Keras package (keras_hub), made once: the runtime holds it as a Keras layer
        does = "its graph calls" if imp.graph else "it is built with"
        if in_run(where):
            findings.append(Finding(imp.node, "XL310", f"the model's graph calls `{imp.name}` from `{where}`, which must be "
                                                       "translated in the same run" if imp.graph else
                                                       f"the model is built with `{imp.name}` from `{where}`, which must be "
                                                       "translated in the same run"))
        else:
            blockers.append(Finding(imp.node, "XL310", f"model kept as Keras: {does} `{imp.name}` from `{where}`, "
                                                       "a module this run does not translate"))
    # a name looked up while the model's code runs (`eval(activation)()` in a block helper) may
    # give a Keras layer class, made where the translation cannot see it: such code stays Keras
    # (the layers a Sequential or a wrapper is given are made there: `Sequential([eval(name)()])`)
    starts: list[ast.AST] = []
    if any(word + "(" in text for word in DYNAMIC_LOOKUPS):
        translated_classes = subclasses(tree, refs, (MODEL, LAYER))
        starts += [s for region in regions for s in region] + list(loose) + _layer_holders(tree, refs, kept)
        starts += [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and c.name in translated_classes
                   and not kept(c)]
    for call in dynamic_lookups(tree, starts):
        blockers.append(Finding(call, "XL301", f"`{ast.unparse(call)[:40]}` looks a name up while the model's code runs: "
                                               "it may give a Keras layer, which the translation cannot see"))
    # an object made before a graph that its run changes in place (`groups.pop(0)` on a module's
    # configuration): the graph function runs again at every call and would build another model,
    # so it takes each such object as an argument of its own, a copy of it as it was for every
    # run after the first (runtime `fresh`), when the graph's own scope names it (replay.py)
    imported_names = set(import_bindings(tree, everywhere=True)) if graphs.graphs else set()
    changed: dict[int, tuple[ast.AST, str]] = {}
    for g in graphs.graphs:
        mutations = region_mutations(tree, [*g.region, ast.Expr(g.inputs), ast.Expr(g.outputs)], imported_names)
        held: set[str] = set().union(*(h for _, _, h in mutations))
        if mutations and (UNNAMED in held or g.parts or g.prefix is not None or not g.region
                          or held & (set(g.symbols) | set(g.redeclared))):
            changed.update((id(node), (node, change)) for node, change, _ in mutations)
        elif mutations:
            g.fresh = sorted(held)
            needed.add("fresh")
    for node, change in sorted(changed.values(), key=lambda item: (getattr(item[0], "lineno", 0), getattr(item[0], "col_offset", 0))):
        blockers.append(Finding(node, "XL301", change))
    # in source order: where one unit ends and the next begins, the first's return goes first
    units: list[Graph | Fragment] = [*graphs.graphs, *graphs.fragments]
    for unit in sorted(units, key=lambda u: (u.region or [u.stmt])[0].lineno):  # type: ignore[union-attr]
        if isinstance(unit, Graph):
            unit.input_name = new("Input")
            unit.fresh_name = new("fresh") if unit.fresh else unit.fresh_name
        unit.emit(edits)
        needed.update(("Model", "Input") if isinstance(unit, Graph) else ("symbolic_run", "Input"))
    # a TensorFlow op on Python values that the graph's statements read in Python: run eagerly,
    # outside the traced construction (graphs._eager_values); a helper's op once, whoever calls it
    eager = {id(node): (node, kind) for g in graphs.graphs
             for node, kind in (*g.eager_ops, *(g.prefix.eager_ops if g.prefix is not None else ()))}
    for node, kind in eager.values():
        a, b = pos.span(node)
        edits.insert(a, f"{new('eagerly')}(lambda: " + ("list(" if kind == "list" else ""))
        edits.insert(b, "))" if kind == "list" else ")")
        needed.add("eagerly")
    training = _uses_training(tree, refs, helpers=True) or "_TRAINING" in needed
    if training:
        needed.add("_TRAINING")
    # a distribution strategy acts through its scope on whatever is built in it: the file stays
    blockers += [_file_reason(Finding(n, code, m), files) for n, code, m in runtime_training_blockers(tree, refs, training)
                 if not _translated_checkpoint(n, files)]

    chosen = runtime.closure(needed)
    bundle_names = frozenset(n for d in chosen for n in d.binds)
    imported = _runtime_imports(runtime, chosen)
    collisions = _collisions(tree, chosen, imported) - set(rename)
    if keep:  # a name kept Keras code reads (`Dense` imported from Keras): the runtime's takes another
        collisions |= (_kept_reads(tree, keep) & (bundle_names - set(imported))) - set(rename)
    # `from keras.models import load_model` still read by a load_model that stays Keras
    collisions |= {_root(r.node) for r in refs if r.name in FILE_FUNCTIONS and id(r.node) not in files.readers
                   and id(r.node) not in files.save_functions} & {"load_model", "save_model"} & bundle_names - set(rename)
    # what renaming cannot fix: `tf` (the user's code reads it too)
    fixed = {n for n in collisions if n != "tf"}

    def collided(names: set[str]) -> list[Finding]:
        return [Finding(None, "XL301", f"the file defines `{n}`, a name the TensorFlow layers it needs also use")
                for n in sorted(names)]

    blockers += collided(collisions - fixed)  # the others are renamed in a second pass (translate_program)
    bundle_names = frozenset(new(n) for n in bundle_names)
    stays = sorted({_root(r.node) for r in refs if (_stays_keras(r.name) and id(r.node) not in files.readers)
                    or r.name.startswith("keras.applications.") and _applications(r.name) is None} & bundle_names - fixed)
    blockers += [Finding(None, "XL301", f"`{n}` stays a Keras name here and is also a name of the TensorFlow layers the "
                                        "file needs") for n in stays]
    if keep:
        blockers = [b for b in blockers if b.node is None or not kept(b.node)]
        blockers += _kept_code_blockers(tree, keep, bundle_names - frozenset(new(n) for n in fixed), refs)
    if blockers:
        return ProgramResult(None, findings, blockers), set()
    if fixed:
        return ProgramResult(None, findings, collided(fixed)), fixed
    try:
        body = edits.apply()
        if keep and body == text:  # the code left to translate has nothing Keras in it: no translation
            return ProgramResult(None), set()
        ast.parse(body)
    except ValueError as exc:  # pragma: no cover - edits come from disjoint nodes
        return ProgramResult(None, findings, [Finding(None, "XL301", f"internal: {exc}")]), set()
    except SyntaxError as exc:  # a bug of the planners must not cost the user the file
        return ProgramResult(None, findings, [Finding(None, "XL301", f"internal: the program form did not parse ({exc.msg}, line {exc.lineno})")]), set()

    def make_block(bound: frozenset[tuple[str, str, str | None]]) -> str:
        block = runtime.source(needed, bound=bound, rename=rename)
        if helpers:
            block = block.replace(END, "\n\n".join((rename_source(h, rename) if rename else h).rstrip("\n")
                                                     for h in helpers) + "\n\n\n" + END)
        return block

    # the block must also come before the first use of what the helpers bind (a translated
    # keras.applications module, `_xlate_keras_app_vgg16`, read in an earlier notebook cell)
    helper_names = frozenset(n for h in helpers for n in _top_level_binds(rename_source(h, rename) if rename else h))
    out = finish_imports(body, make_block, bundle_names | helper_names)
    try:
        ast.parse(out)
    except SyntaxError as exc:  # pragma: no cover - a bug here must not cost the user the file
        return ProgramResult(None, findings, [Finding(None, "XL301", f"internal: the program form did not parse ({exc.msg}, line {exc.lineno})")]), set()
    return ProgramResult(out, findings, []), set()


_SEQUENTIAL = ("keras.Sequential", "keras.models.Sequential")
_WRAPPERS = (".TimeDistributed", ".Bidirectional", ".Wrapper")  # Keras layers that hold a layer


def _layer_holders(tree: ast.Module, refs: list[Ref], kept: Callable[[ast.AST], bool]) -> list[ast.AST]:
    """Where the translated program makes layers outside a graph, so that a layer made there
    by another module's code is one of its models' layers: the arguments of a Keras wrapper
    layer (``TimeDistributed``) or ``Sequential`` and of an ``add`` call, and what the file's Keras classes assign to
    attributes of ``self`` that they call as layers (``self.norm(x)``, ``self.blocks[i](x)``,
    ``for block in self.blocks``; a value such as a table, or a method calling a function,
    runs as in the original)."""
    out: list[ast.AST] = [a for r in refs if r.role == "call" and r.call is not None
                          and (r.name.endswith(_WRAPPERS) or r.name in _SEQUENTIAL)
                          for a in (*r.call.args, *r.call.keywords)]
    out += [a for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "add" and not kept(n) for a in n.args]
    classes = subclasses(tree, refs, (MODEL, LAYER))
    for c in ast.walk(tree):
        if isinstance(c, ast.ClassDef) and c.name in classes and not kept(c):
            called = _called_attributes(c)
            out += [n.value for n in ast.walk(c) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None
                    and any(_self_attribute(t) in called for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
    return out


def _self_attribute(node: ast.AST) -> str | None:
    """``attr`` for ``self.attr`` (also ``self.attr[i]``), else None."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _called_attributes(cls: ast.ClassDef) -> set[str]:
    """The attributes of ``self`` a class calls as layers, or loops over."""
    out = {_self_attribute(n.func) for n in ast.walk(cls) if isinstance(n, ast.Call)}
    out |= {_self_attribute(n.iter) for n in ast.walk(cls) if isinstance(n, (ast.For, ast.comprehension))}
    return {a for a in out if a is not None}


def _loading_blocker(ref: Ref, refs: list[Ref]) -> str | None:
    """Why a ``load_model`` call cannot stay Keras beside the translation: the file's classes
    (given as ``custom_objects``, in a custom-object scope, or registered with Keras, a
    registration the program form drops) would be TensorFlow classes Keras cannot load."""
    if ref.name not in ("keras.models.load_model", "keras.saving.load_model"):
        return None
    if ref.call is not None and (any(k.arg in ("custom_objects", None) for k in ref.call.keywords) or len(ref.call.args) > 1):
        return f"model kept as Keras: `{ref.name}` is given custom objects, which the translation turns into TensorFlow classes"
    for r in refs:
        if r.name in _CUSTOM_OBJECT_SCOPES or r.name in _DROPPED_DECORATORS \
                or _CONTAINERS.get(r.name) in ("get_custom_objects", "register_keras_serializable"):
            return (f"model kept as Keras: `{ref.name}` may load the file's own Keras classes (`{r.name}`), which the "
                    "translation turns into TensorFlow classes")
    return None


# Keras-only uses of a model (models.py's KERAS_ONLY) that read its symbolic tensors
_SYMBOLIC_ATTRS = frozenset({"input", "output", "inputs", "outputs"})


def _kept_code_blockers(tree: ast.Module, keep: frozenset[int], bundle_names: frozenset[str],
                        translated: list[Ref]) -> list[Finding]:
    """What makes keeping these statements beside the translation unsafe, as blockers of the
    whole file: a name they read that the TensorFlow block binds (it would shadow the Keras
    one), and a layer asked for by a Keras automatic name when translated layers were made
    since Keras last reset its names (they no longer count in Keras's names)."""
    from kerastf_xlate.totf.program.imports import _used_names

    out = []
    automatic = {_snake(r.layer) for r in default_rules()}
    line_index = sorted(((s.lineno, s.end_lineno or s.lineno), i) for i, s in enumerate(tree.body))

    def top(node: ast.AST) -> int:
        line = getattr(node, "lineno", 0)
        return next((i for (a, b), i in line_index if a <= line <= b), -1)

    # where translated layers were made that would have taken a Keras automatic name (a literal
    # `name=` takes none: Keras's counter of that class does not move), by their name prefix
    made: dict[str, set[int]] = {}
    for r in translated:
        if r.role == "call" and r.name.startswith("keras.layers.") and r.call is not None \
                and not any(k.arg == "name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
                            for k in r.call.keywords):
            made.setdefault(_snake(r.name.rsplit(".", 1)[1]), set()).add(top(r.node))
    resets = sorted({top(r.node) for r in keras_refs(tree) if r.name == "keras.backend.clear_session"})
    for i in sorted(keep):
        stmt = tree.body[i]
        for n in sorted(_used_names(ast.Module(body=[stmt], type_ignores=[])) & bundle_names):
            # (names it reads are renamed in the block first: this is what renaming could not fix)
            out.append(Finding(None, "XL301", f"`{n}` is read by code kept as Keras and is also a name of the "
                                              "TensorFlow layers the file needs"))
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_layer":
                arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
                since = max([r for r in resets if r < i], default=-1)
                asked = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ""
                prefix = re.sub(r"_\d+$", "", asked)
                if prefix in automatic and any(since < m < i for m in made.get(prefix, ())):
                    out.append(Finding(None, "XL301", f"code kept as Keras asks for layer `{asked}` by a Keras "
                                                      "automatic name, which the translation would change"))
    return out


def _snake(name: str) -> str:
    """Keras's automatic layer name prefix of a class name (``Conv2D`` -> ``conv2d``)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _first_line(stmt: ast.stmt) -> int:
    return min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])


def _keras_only_blockers(uses: list[Use], tree: ast.Module, refs: list[Ref]) -> list[Finding]:
    """The blockers of the Keras-only uses of translated models, each at its own use.

    The runtime ``Model`` has Keras's training API (runtime/tfr_training.py), so nothing of
    the user's training code is rewritten: what keeps a model is a use models.py
    found by following the values that reach it. Judging every use of the variable's *name*
    instead blamed other models bound to the same name in other cells (a notebook rebinds
    ``model`` in every section) and APIs the runtime gives (``model.metrics_names``,
    ``plot_model(model)``, a subclass's own attributes), and kept those models too."""
    blockers = []
    for u in uses:
        if u.name is None or u.attr is None:
            blockers.append(Finding(u.node, u.code, u.message))
        elif u.attr in FILE_APIS:
            blockers.append(Finding(u.node, "XL306", f"model kept as Keras: `{u.name}.{u.attr}(...)` writes a Keras "
                                                     "model file, which needs the Keras model"))
        elif u.attr in ("input", "output") and _uncalled_sequential(u.name, u.scope or tree, refs):
            # checked on Keras 3.15: a Sequential's `input`/`output` are its own symbolic call's
            # (Operation's), an AttributeError before one, even after fit or predict
            blockers.append(Finding(u.node, "XL303", f"model kept as Keras: `{u.name}.{u.attr}` raises AttributeError "
                                                     f"in Keras 3 (a Sequential's `{u.attr}` is that of its own symbolic "
                                                     f"call, and `{u.name}` has never been called so), so the original "
                                                     f"does not run under Keras 3 either: `{u.name}.{u.attr}s[0]` is "
                                                     "its graph's"))
        elif u.attr in _SYMBOLIC_ATTRS:
            blockers.append(Finding(u.node, "XL303", f"model kept as Keras: `{u.name}.{u.attr}` is the Keras model's "
                                                     "symbolic tensors (KerasTensors), which the translated model does "
                                                     "not have"))
        else:
            blockers.append(Finding(u.node, "XL303", f"model kept as Keras: `{u.name}.{u.attr}` is a Keras API that "
                                                     "the translated model does not have"))
    return blockers


def _uncalled_sequential(name: str, scope: ast.AST, refs: list[Ref]) -> bool:
    """Every binding of ``name`` in ``scope`` (its own statements, not nested functions or
    classes) is a ``keras.Sequential(...)`` call, and ``name`` is never called there: the
    Sequential has no symbolic call of its own, so Keras 3 gives it no ``input``/``output``."""
    sequential = {id(r.call) for r in refs if r.name == "keras.Sequential" and r.call is not None}
    todo = list(ast.iter_child_nodes(scope))
    bound = 0
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name:
                return False
            continue
        if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load):
            return False  # bound by anything but a plain assignment (a loop, `with`, `del`, a tuple)
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if not (isinstance(n, (ast.Assign, ast.AnnAssign)) and len(targets) == 1 and isinstance(n.value, ast.Call)
                        and id(n.value) in sequential):
                    return False
                bound += 1
                todo.extend(c for c in ast.iter_child_nodes(n) if c not in targets)
                continue
        if isinstance(n, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)) and name in (
                [a.asname or a.name for a in n.names] if isinstance(n, (ast.Import, ast.ImportFrom)) else n.names):
            return False
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name:
            return False  # called (maybe on a KerasTensor, which gives it an input)
        todo.extend(ast.iter_child_nodes(n))
    return bound > 0


def read_sequential_symbols(tree: ast.Module, refs: list[Ref]) -> None:
    """tf.keras 2's ``seq.input`` / ``seq.output`` of a ``Sequential`` never called on symbolic
    tensors (the TensorFlow courses' ``Model(inputs=model.input, outputs=[layer.output for layer
    in model.layers])``, which shows what each layer computes): tf.keras 2 gave the Sequential's
    own graph input and output there; Keras 3 raises AttributeError (a Sequential's ``input`` is
    its own symbolic call's), so the original runs under tf.keras 2 only. Rewritten in the tree
    as ``seq.inputs[0]`` / ``seq.outputs[0]``, Keras 3's names of that graph's tensors, marked
    ``tf_keras2_symbol`` (the text follows in :func:`_translate`, XL102 says so); the list is
    kept on the tree (``tree.tf_keras2_symbols``)."""
    found: list[tuple[ast.AST, ast.Attribute]] = []  # (parent, attribute)
    scopes: dict[int, ast.AST] = {}

    def visit(node: ast.AST, scope: ast.AST) -> None:
        inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else scope
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Attribute) and child.attr in ("input", "output") and isinstance(child.ctx, ast.Load) \
                    and isinstance(child.value, ast.Name):
                found.append((node, child))
                scopes[id(child)] = inner
            visit(child, inner)

    visit(tree, tree)
    marked: list[ast.Subscript] = []
    judged: dict[tuple[str, int], bool] = {}
    for parent, attr in found:
        name = attr.value.id  # type: ignore[attr-defined]
        scope = scopes[id(attr)]
        key = (name, id(scope))
        if key not in judged:
            judged[key] = _uncalled_sequential(name, scope, refs)
        if not judged[key]:
            continue
        plural = ast.Attribute(value=attr.value, attr=attr.attr + "s", ctx=ast.Load())
        new = ast.Subscript(value=plural, slice=ast.Constant(0), ctx=ast.Load())
        for n in (plural, new, new.slice):
            ast.copy_location(n, attr)
        new.tf_keras2_symbol = f"{name}.{attr.attr}"  # type: ignore[attr-defined]
        for slot, value in ast.iter_fields(parent):
            if value is attr:
                setattr(parent, slot, new)
            elif isinstance(value, list):
                value[:] = [new if v is attr else v for v in value]
        marked.append(new)
    tree.tf_keras2_symbols = marked  # type: ignore[attr-defined]


def _translated_checkpoint(node: ast.AST, files: ModelFiles) -> bool:
    """Whether a training blocker is a ``ModelCheckpoint`` saving a model file (or its
    ``save_weights_only=False``) that is translated as a round trip."""
    return any(id(node) == c or id(node) in ids for c, ids in files.checkpoint_args.items() if c in files.checkpoints)


def _file_reason(finding: Finding, files: ModelFiles) -> Finding:
    """A blocker on a writer of a Keras model file, with why that file stays Keras."""
    why = files.kept.get(id(finding.node))
    if why is None or finding.code not in ("XL305", "XL306"):
        return finding
    call, kind = files.calls[id(finding.node)]
    return Finding(finding.node, finding.code, writer_message(call, kind, why))


def _replace_statement(edits: EditList, pos: Positions, stmt: ast.stmt, code: str) -> tuple[int, int]:
    """Replace a statement that owns its lines by ``code`` (one or more statements, written
    at column 0), indented like it; returns the replaced span."""
    line = pos.lines[stmt.lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    newline = "\r\n" if line.endswith("\r\n") else "\n"
    start = pos.offset(stmt.lineno, stmt.col_offset)
    end = pos.offset(stmt.end_lineno, stmt.end_col_offset)  # type: ignore[arg-type]
    if not code.strip():
        a = pos.line_start(stmt.lineno)
        last = stmt.end_lineno or stmt.lineno
        b = pos.line_start(last + 1) if last < len(pos.lines) else len(pos.text)
        edits.replace(a, b, "")
        return (a, b)
    body = code.rstrip("\n").split("\n")
    new = body[0] + "".join(newline + (indent + ln if ln.strip() else "") for ln in body[1:])
    edits.replace(start, end, new)
    return (start, end)


_API_PREFIXES = ("keras.ops.", "keras.activations.", "keras.random.", "keras.config.", "keras.regularizers.",
                 "keras.constraints.", "keras.initializers.")


def _span_of(pos: Positions, ref: Ref) -> tuple[int, int]:
    return pos.span(ref.call if ref.call is not None and ref.role == "call" else ref.node)


def _translate_api(api: object, ref: Ref, edits: EditList, pos: Positions, rename: dict[str, str]) -> set[str] | str:
    """Replace one call of (or reference to) a Keras function by its TensorFlow translation;
    the runtime helpers it needs, or why it cannot be translated."""
    from kerastf_xlate.totf.program.keras_api import Blocked as ApiBlocked
    from kerastf_xlate.totf.program.keras_api import translate_call, translate_reference

    if ref.role == "call" and ref.call is not None:
        call = ref.call
        args = []
        for a in call.args:
            text = edits.take(*pos.span(a))
            args.append(text if not isinstance(a, ast.Starred) else text)
        kwargs = {}
        for i, k in enumerate(call.keywords):
            if k.arg is None:
                kwargs[f"**{i}"] = "**" + edits.take(*pos.span(k.value))
            else:
                kwargs[k.arg] = edits.take(*pos.span(k.value))
        result = translate_call(ref.name, args, kwargs, table=api, rename=rename)  # type: ignore[arg-type]
        target = pos.span(call)
    else:
        result = translate_reference(ref.name, table=api, rename=rename)  # type: ignore[arg-type]
        target = pos.span(ref.node)
    if isinstance(result, ApiBlocked):
        return f"`{ref.name}` has no TensorFlow translation here: {result.reason}"
    edits.take(*target)
    edits.replace(target[0], target[1], result.source)
    return set(result.helpers)


def _top_level_binds(source: str) -> set[str]:
    """The names the top-level statements of a helper's source bind."""
    out: set[str] = set()
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            out.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return out


_INTROSPECTION = frozenset({"dir", "help", "vars", "print", "repr", "type", "id"})


def _introspected(tree: ast.Module) -> frozenset[int]:
    """Nodes that are only looked at: the arguments of ``dir``/``help``/``print``... (a notebook
    listing ``dir(keras.initializers)``); the statement stays Keras and links to no model."""
    return frozenset(id(a) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                     and n.func.id in _INTROSPECTION for a in n.args)


# Keras 2's (and tf.keras 2's) modules that Keras 3 does not have, whose names real code
# still imports (`from keras.layers.merge import concatenate`, `from keras.models import Input`)
_KERAS2_MODULES = ("keras.layers.merge.", "keras.layers.core.", "keras.layers.convolutional.", "keras.layers.pooling.",
                   "keras.layers.normalization.", "keras.layers.recurrent.", "keras.layers.embeddings.",
                   "keras.layers.advanced_activations.", "keras.layers.wrappers.", "keras.layers.noise.",
                   "keras.engine.")
_KERAS2_MERGE = frozenset({"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"})


def _keras2_path(name: str) -> str | None:
    """XL102's message for a name under a Keras 2 module Keras 3 does not have (the import
    fails under Keras 3 before any translation), or None."""
    if name == "keras.models.Input":
        return "`Input` from `keras.models` is Keras 2's, not in Keras 3: import `keras.Input`"
    module = next((m for m in _KERAS2_MODULES if name.startswith(m)), None)
    if module is None:
        return None
    where, last = name.rsplit(".", 1)
    if last in _KERAS2_MERGE and where == module[:-1]:
        return f"`{where}` is Keras 2's path, not in Keras 3: import `keras.layers.{last}`"
    return f"`{last}` from `{where}` is Keras 2's, not in Keras 3"


def _why_not(name: str) -> str:
    """Why a Keras name the program form meets has no translation, when one reason covers it."""
    last = name.rsplit(".", 1)[-1]
    if last in ("serialize", "deserialize", "serialize_keras_object", "deserialize_keras_object"):
        return ": Keras's configuration serialization has no meaning without Keras"
    if name in ("keras.KerasTensor", "keras.backend.KerasTensor"):
        return ": a translated program has no KerasTensors (its graph functions run on tf tensors)"
    if name.startswith("keras.mixed_precision.") or name.startswith("keras.dtype_policies."):
        return (": of Keras's dtype policies, the global policy's setters and getters and a layer's `dtype=` are "
                "translated")
    if name.startswith("keras.optimizers.legacy."):
        return _LEGACY_WHY.get(name.rsplit(".", 1)[1], ": tf.keras's legacy optimizers are not Keras 3's, and only "
                                                       "legacy Adam and SGD are shown to compute Keras 3's update")
    if name == "keras.losses.Reduction.AUTO":
        return ": in tf.keras its meaning depends on the distribution strategy"
    return ""


# why a tf.keras legacy optimizer's update is not Keras 3's (tf.keras 2's optimizer_v2 and
# TensorFlow's training kernels against keras/src/optimizers)
_LEGACY_WHY = {
    "RMSprop": ": tf.keras's legacy RMSprop divides by `sqrt(v) + epsilon` without momentum, Keras 3's by "
               "`sqrt(v + epsilon)`",
    "Adagrad": ": tf.keras's legacy Adagrad divides by `sqrt(accumulator) + epsilon`, Keras 3's by "
               "`sqrt(accumulator + epsilon)`",
    "Optimizer": ": tf.keras's legacy optimizer base class (OptimizerV2) is not Keras 3's",
}


# the reason a keras.applications module is translated as a tf.keras 2 program's (the user's
# program is one: "its hub.KerasLayer"), while that module's source is translated
_AS_TF_KERAS2: ContextVar[str | None] = ContextVar("xlate_application_as_tf_keras2", default=None)


@functools.cache
def _tf_keras2_translator(reason: str) -> Callable[[str, ast.Module], ProgramResult]:
    """``translate_program`` reading the module as part of a tf.keras 2 program: its layers are
    what tf.keras 2 computed (``TFKeras2BatchNormalization``), as the user's own are."""
    def run(text: str, tree: ast.Module) -> ProgramResult:
        token = _AS_TF_KERAS2.set(reason)
        try:
            return translate_program(text, tree)
        finally:
            _AS_TF_KERAS2.reset(token)
    return run


def translated_application_module(module: str, tf_keras2: str | None = None):
    """The translated ``keras/src/applications/<module>.py``; for a tf.keras 2 program
    (``tf_keras2``: why it is one), with tf.keras 2's layers where they computed otherwise."""
    from kerastf_xlate.totf.program.applications import translated

    return translated(module, translate_program if tf_keras2 is None else _tf_keras2_translator(tf_keras2))


def _translated_application(name: str, tf_keras2: str | None = None):
    """The translated keras.applications module of a builder name and the builder's name
    there, or why there is none (applications.py)."""
    from kerastf_xlate.totf.program.applications import builder_of

    found = builder_of(name)
    if found is None:
        return "the installed Keras does not export this builder"
    module, function = found
    translation = translated_application_module(module, tf_keras2)
    return translation if isinstance(translation, str) else (translation, function)


def _applications(name: str) -> str | None:
    """How a ``keras.applications`` name is translated: ``"api"`` (the keras_api table:
    ``preprocess_input``), None (a Keras utility kept as Keras: ``decode_predictions``,
    ``imagenet_utils``), or why it keeps the file Keras (a model builder)."""
    if default_api().get(name) is not None:
        return "api"
    last = name.rsplit(".", 1)[1]
    if last == "decode_predictions" or name.startswith(_UTILITY_PREFIXES):
        return None
    if last[:1].isupper():
        return f"`{name}` has no TensorFlow translation in the program form"
    return f"`{name}` has no TensorFlow translation in the program form"


def _argument_blocker(ref: Ref, rules: RuleSet) -> Finding | None:
    """An argument of a layer constructor that the TensorFlow class cannot honour: a
    constraint (a projection nothing would apply), a regularizer of a layer whose class takes
    none (the rule's ``flat_only`` says which take one), a dtype other than
    float32 (a literal other one, or a value it cannot read, such as a dtype policy), or a
    keyword that is not Keras's. Other values the class raises on are checked when it is
    constructed, with a message naming the argument."""
    if ref.call is None or ref.role != "call" or not ref.name.startswith("keras.layers."):
        return None
    last = ref.name.rsplit(".", 1)[1]
    rule = rules.get(last)
    if rule is None or rule.status != "translated":
        return None
    # (a functional helper's inputs are its first argument, not the layer's)
    for b in blockers(rule, helper_call(ref.call) if last[:1].islower() else ref.call):
        # the TensorFlow class honours the others (Embedding(mask_zero=True): the runtime carries
        # masks; regularizers; values the flat form's template does not write)
        if b.blocks_program_form:
            return Finding(b.node, b.code, b.message)
    for kw in ref.call.keywords:
        if kw.arg == "dtype" and literal(kw.value) is UNKNOWN and not policy_dtype_ok(rule.layer, kw.value):
            return Finding(kw.value, "XL201", f"`{rule.layer}(dtype={ast.unparse(kw.value)[:40]})`: a dtype the "
                                              "translation cannot read (only float32 layers are translated)")
    return None


def _policy_setter(refs: list[Ref]) -> ast.Call | None:
    """The first call setting a global dtype policy that may not be float32, or None."""
    for call, given in _policy_setters(refs):
        if given is None or literal(given) != "float32":
            return call
    return None


def _policy_setters(refs: list[Ref]) -> list[tuple[ast.Call, ast.expr | None]]:
    """Every call setting the global dtype policy, with the policy it is given (None: none given)."""
    return [(r.call, r.call.args[0] if r.call.args else next((k.value for k in r.call.keywords if k.arg == "policy"), None))
            for r in refs if r.name in _POLICY_SETTERS and r.call is not None and r.role == "call"]


# the global policies under which every translated keras.applications builder was run against
# Keras's (bench/applications.py --policy: the same outputs, training outputs, BatchNorm
# updates and layer dtypes); float32 is the default
APPLICATION_POLICIES = frozenset({"mixed_float16", "mixed_bfloat16"})


def _policy_name(node: ast.expr | None) -> str | None:
    """The policy a setter's argument names: a string, or a ``Policy("...")`` call on one."""
    if isinstance(node, ast.Call) and node.args and (dotted(node.func) or [""])[-1] in ("Policy", "DTypePolicy",
                                                                                         "FloatDTypePolicy"):
        node = node.args[0]
    value = literal(node) if node is not None else None
    return value if isinstance(value, str) else None


def _policy_unchecked_for_applications(refs: list[Ref]) -> ast.Call | None:
    """The first global policy setter whose policy the translated applications builders are
    not checked under (:data:`APPLICATION_POLICIES`), or one whose policy cannot be read."""
    for call, given in _policy_setters(refs):
        name = _policy_name(given)
        if name != "float32" and name not in APPLICATION_POLICIES:
            return call
    return None


def _global_policy_blocker(ref: Ref, setter: ast.Call | None) -> Finding | None:
    """A layer made in a file that sets the global dtype policy, whose class is not checked
    against Keras under every float policy (``args.POLICY_LAYERS``; the wrappers of
    ``args.GLOBAL_POLICY_WRAPPERS`` under the global one): as a layer's own
    ``dtype=`` other than float32, it stays Keras (XL201). tfa's layers are checked in float32
    only."""
    if setter is None or ref.call is None or ref.role != "call":
        return None
    if ref.name.startswith("tensorflow_addons."):
        layer = ref.name
    elif ref.name.startswith("keras.layers."):
        layer = ref.name.rsplit(".", 1)[1]
        if layer in POLICY_LAYERS or layer in GLOBAL_POLICY_WRAPPERS or layer in ("Input", "InputLayer", "Layer"):
            return None
    else:
        return None
    return Finding(ref.node, "XL201", f"`{layer}` under the global dtype policy set at line {setter.lineno} "
                                      f"(`{ast.unparse(setter)[:50]}`): only the layers whose class is checked against "
                                      "Keras under every float policy are translated")


def _clone_blocker(ref: Ref) -> Finding | None:
    """``clone_model`` with more than the model: a clone function, call function, input
    tensors or recursion change what is copied, and only Keras's default (every layer afresh
    from its config) is translated."""
    if ref.name != "keras.models.clone_model" or ref.role != "call" or ref.call is None:
        return None
    call = ref.call
    if len(call.args) > 1 or any(isinstance(a, ast.Starred) for a in call.args) or any(
            kw.arg != "model" for kw in call.keywords):
        return Finding(call, "XL301", f"`{ast.unparse(call)[:50]}`: only `clone_model(model)` (a copy with new "
                                      "weights) is translated")
    return None


# Keras training modules whose classes and functions the runtime training layer gives
_TRAINING_MODULES = ("keras.optimizers.schedules.", "keras.optimizers.", "keras.losses.", "keras.metrics.",
                     "keras.callbacks.")
_TRAINING_GETTERS = {"keras.optimizers.get": "optimizers_get", "keras.losses.get": "losses_get",
                     "keras.metrics.get": "metrics_get"}
# Keras's short aliases of loss and metric functions
_LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
                 "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "logcosh": "log_cosh",
                 "KLD": "kl_divergence", "MSE": "mean_squared_error", "MAE": "mean_absolute_error",
                 "MAPE": "mean_absolute_percentage_error", "MSLE": "mean_squared_logarithmic_error",
                 "kullback_leibler_divergence": "kl_divergence"}
# tf.keras's loss reductions (`keras.losses.Reduction.NONE`, Keras 2's ReductionV2): string
# constants Keras 3 takes as they are (`reduction="none"`); AUTO has no fixed meaning
_REDUCTIONS = {"keras.losses.Reduction.NONE": '"none"', "keras.losses.Reduction.SUM": '"sum"',
               "keras.losses.Reduction.SUM_OVER_BATCH_SIZE": '"sum_over_batch_size"'}


# tf.keras 2's legacy (OptimizerV2) optimizers whose update is Keras 3's for the arguments the
# translation takes (training_checks.py): runtime classes of their own (tfr_optimizers.py)
_LEGACY_OPTIMIZERS = {"legacy.Adam": "LegacyAdam", "legacy.SGD": "LegacySGD"}
# TensorFlow Addons optimizers (names.ADDONS): runtime classes of tfa's update (tfr_optimizers.py)
_ADDONS_TRAINING = {"tensorflow_addons.optimizers.AdamW": "AddonsAdamW", "tensorflow_addons.optimizers.SGDW": "AddonsSGDW",
                    "tensorflow_addons.optimizers.LAMB": "AddonsLAMB"}

# Keras 2's scikit-learn wrappers (tf.keras 2's, which Keras 2.4 and later re-export): runtime
# classes that build, fit and score translated models (tfr_sklearn.py)
_SKLEARN_WRAPPERS = {"keras.wrappers.scikit_learn.KerasClassifier": "KerasClassifier",
                     "keras.wrappers.scikit_learn.KerasRegressor": "KerasRegressor"}


def _training_name(name: str, defined: dict) -> str | None:
    """The runtime name of a Keras optimizer, schedule, loss, metric or callback (class or
    function), or None. Metric classes named like a loss class carry the suffix ``Metric``."""
    if name in _TRAINING_GETTERS:
        return _TRAINING_GETTERS[name]
    if name == "keras.mixed_precision.LossScaleOptimizer":  # Keras 3's alias of keras.optimizers'
        return "LossScaleOptimizer" if "LossScaleOptimizer" in defined else None
    if name in _POLICY_CLASSES:  # a policy object, given to a layer or the global setter (tfr_dtype.py)
        return "DTypePolicy" if "DTypePolicy" in defined else None
    if name in _ADDONS_TRAINING:
        return _ADDONS_TRAINING[name] if _ADDONS_TRAINING[name] in defined else None
    if name in _SKLEARN_WRAPPERS:
        return _SKLEARN_WRAPPERS[name] if _SKLEARN_WRAPPERS[name] in defined else None
    module = next((m for m in _TRAINING_MODULES if name.startswith(m)), None)
    if module is None:
        return None
    last = name[len(module):]
    if module == "keras.optimizers." and last.startswith("experimental."):
        last = last[len("experimental."):]  # tf.keras 2.9-2.15's new optimizers: Keras 3's, renamed
    if module == "keras.optimizers." and last in _LEGACY_OPTIMIZERS:
        return _LEGACY_OPTIMIZERS[last] if _LEGACY_OPTIMIZERS[last] in defined else None
    if "." in last or not last:
        return None
    if last in _LOSS_ALIASES and module in ("keras.losses.", "keras.metrics."):
        last = _LOSS_ALIASES[last]  # upper-case aliases are functions (MSE), not classes
    files = {"keras.optimizers.schedules.": ("tfr_schedules.py",), "keras.optimizers.": ("tfr_optimizers.py", "tfr_schedules.py"),
             "keras.losses.": ("tfr_losses.py",), "keras.metrics.": ("tfr_metrics.py", "tfr_losses.py"),
             "keras.callbacks.": ("tfr_callbacks.py",)}[module]
    if last[:1].isupper():
        candidates = [last + "Metric", last] if module == "keras.metrics." else [last]
    else:
        last = _LOSS_ALIASES.get(last, last)
        candidates = [f"_metric_{last}", f"_loss_{last}"] if module == "keras.metrics." else [f"_loss_{last}"]
    for candidate in candidates:
        d = defined.get(candidate)
        if d is not None and d.file in files:
            return candidate
    return None


def _uses_training(tree: ast.Module, refs: list[Ref], helpers: bool = False) -> bool:
    """Whether the file calls the training API a runtime Model gets from the training layer."""
    from kerastf_xlate.totf.program.models import TRAINING_API

    if not any(r.name.startswith(("keras.Model", "keras.Sequential", "keras.models.", "keras.layers.Layer")) for r in refs):
        return False
    # with ``helpers``: a model given to a helper of the program's own modules that trains or
    # predicts with it (siblings.py follows it there) needs the training layer though the file
    # itself names none of that API; whether the program trains (`_trains`, Keras 2's
    # BatchNormalization) is judged on the file, as before
    return any(isinstance(n, ast.Attribute) and n.attr in TRAINING_API for n in ast.walk(tree)) \
        or helpers and siblings.reads_attributes(tree, TRAINING_API)


# tf.keras 2's Adam (OptimizerV2, and the optimizer of 2.11-2.15) sums an embedding gradient's
# repeated rows before it squares them; Keras 3's squares slice by slice. So did standalone Keras
# 2.0-2.3's (TensorFlow 1 made the gradient dense before `K.square`). In a tf.keras 2 program (one
# with hub.KerasLayer or tfa) and in a Keras 2 program, Adam is the runtime's LegacyAdam, for the
# arguments it takes.
_TF_KERAS2_ADAM = "keras.optimizers.legacy.Adam"
_TF_KERAS2_ADAM_ARGS = legacy_arguments(_TF_KERAS2_ADAM)
# a Keras 2 program's Adam keywords said elsewhere: `lr` is renamed (keras2.renamed_keywords),
# `decay` and `epsilon=None` keep the model with their own reason (keras2.blockers)
_KERAS2_ADAM_SAID = frozenset({"lr", "decay"})


def _tf_keras2_adam_blockers(refs: list[Ref], why: str | None) -> list[tuple[ast.AST, str]]:
    """A tf.keras 2 program's ``Adam(...)`` given what the runtime's LegacyAdam does not take
    (``why``: :func:`keras2.tf_keras2_program`'s reason; None for a Keras 2 program)."""
    out: list[tuple[ast.AST, str]] = []
    said = _KERAS2_ADAM_SAID if why is None else frozenset()
    defaults = {id(k) for k in keras2.default_rate_keywords(refs)}  # (renamed in a tf.keras 2 program)
    program = _program_words(why)
    for ref in refs:
        if ref.name != "keras.optimizers.Adam" or ref.role != "call" or ref.call is None:
            continue
        call = ref.call
        positional_ok = len(call.args) <= len(_TF_KERAS2_ADAM_ARGS) and not any(isinstance(a, ast.Starred) for a in call.args)
        other = [k for k in call.keywords if k.arg not in _TF_KERAS2_ADAM_ARGS and k.arg not in said and id(k) not in defaults]
        if not positional_ok or other:
            if why is not None and positional_ok and [k.arg for k in other] == ["lr"]:
                out.append((call, f"model kept as Keras ({program}): `{ast.unparse(call)[:50]}`: tf.keras 2.0-2.10 read "
                                  "`lr=` as the learning rate, 2.11 and later ignore it and keep 0.001 (give "
                                  "`learning_rate=` to translate it)"))
                continue
            out.append((call, f"model kept as Keras ({program}): "
                              f"`{ast.unparse(call)[:50]}`: {'tf.keras' if why else 'Keras'} 2's Adam is translated "
                              f"with {', '.join(_TF_KERAS2_ADAM_ARGS)} only (it sums an embedding gradient's repeated "
                              "rows before squaring them, Keras 3's does not)"))
    return out


def _program_words(why: str | None) -> str:
    """How a kept model's message names its program: a Keras 2 program, or (``why``:
    :func:`keras2.tf_keras2_program`'s reason) a tf.keras 2 one."""
    return "a Keras 2 program" if why is None else f"a tf.keras 2 program, for {why}"


def _keras2_unseen_optimizers(tree: ast.Module, refs: list[Ref], why: str | None) -> list[tuple[ast.AST, str]]:
    """A Keras 2 program's (or, with ``why``, a tf.keras 2 program's) ``compile`` given an
    optimizer the translation does not see made (``model.compile(optimizer=optimizer)``, a
    builder's parameter a caller or a scikit-learn grid search may give ``"rmsprop"``): the
    runtime would read a string as Keras 3's optimizer, whose update differs from Keras 2's for
    every optimizer but Adam and SGD, and for Adam too on an ``Embedding``'s sparse gradient.
    A string given to ``compile``, or an optimizer the file makes (translated, ``LegacyAdam``
    for Adam), is seen (the strings and classes that differ keep the model by
    :func:`keras2.blockers`); one bound to a name, or a parameter of a function only called in
    the file (each call's value or the default), or an attribute (``self.optimizer``: every value
    the file gives an attribute of that name), is seen when it is a string that means one update
    in every Keras or an optimizer made in the file; an optimizer class's instance made elsewhere
    stays as it is."""
    embedding = any(r.name == "keras.layers.Embedding" for r in refs)
    made = {id(r.call) for r in refs if r.call is not None and ".optimizers." in f".{r.name}"  # Keras's, tfa's
            and r.name != "keras.optimizers.get"}
    # `keras.optimizers.get("rmsprop")`: as the string it is given
    getters = {id(r.call): r.call for r in refs if r.call is not None and r.name == "keras.optimizers.get"}
    # every binding of each name: the value of a plain `name = value`; any other binding (a
    # parameter, a loop's or an unpacking's target, `+=`) is itself, which is unseen
    bound: dict[str, list[ast.AST]] = {}
    plain = {id(t): node.value for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets}
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    owner: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    calls: dict[str, list[ast.Call]] = {}
    loads: dict[str, int] = {}
    attributes: dict[str, list[ast.AST]] = {}
    methods = {id(f) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for f in c.body
               if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.setdefault(node.id, []).append(plain.get(id(node), node))
        elif isinstance(node, ast.arg):
            bound.setdefault(node.arg, []).append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(node.name, []).append(node)
            for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                owner[id(a)] = node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.setdefault(node.func.id, []).append(node)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            # `self.optimizer = Adam(...)`: every value any object's attribute of that name is given
            attributes.setdefault(node.attr, []).append(plain.get(id(node), node))

    def parameter_seen(arg: ast.arg) -> bool:
        # a parameter of a function bound once and only called (by name) in the file, every call
        # giving it a seen value or leaving it to a seen default
        function = owner.get(id(arg))
        if function is None or id(function) in methods or len(functions.get(function.name, ())) != 1 \
                or function.name in bound or not calls.get(function.name) \
                or loads.get(function.name, 0) != len(calls[function.name]) or function.args.vararg is not None:
            return False  # (a method, or a function the file never calls, may be called with anything)
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        index = next((i for i, a in enumerate(positional) if a is arg), None)
        for call in calls.get(function.name, ()):
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return False
            given = next((k.value for k in call.keywords if k.arg == arg.arg), None)
            if given is None and index is not None and index < len(call.args):
                given = call.args[index]
            given = given if given is not None else defaults.get(arg.arg)
            if given is None or not seen(given):
                return False
        return True

    # a string given to `compile` itself is read there (keras2.blockers keeps the ones that
    # differ; "adam" is written LegacyAdam()); one that reaches it through a name or a parameter
    # is seen when it means one update in every Keras: "sgd", and "adam" without an Embedding
    same = ("sgd",) if embedding else ("sgd", "adam")

    def seen(value: ast.AST, direct: bool = False) -> bool:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return direct or value.value.lower() in same
        if isinstance(value, ast.Call) and id(value) in made:
            return True
        if isinstance(value, ast.Call) and id(value) in getters:
            return len(value.args) == 1 and not value.keywords and seen(value.args[0])
        if isinstance(value, ast.arg):
            return parameter_seen(value)
        if isinstance(value, ast.Name) and value.id in bound:
            values = bound.pop(value.id)  # (a name bound to itself is unseen)
            try:
                return all(seen(v) for v in values)
            finally:
                bound[value.id] = values
        if isinstance(value, ast.Attribute) and isinstance(value.ctx, ast.Load) and value.attr in attributes:
            values = attributes.pop(value.attr)
            try:
                return all(seen(v) for v in values)
            finally:
                attributes[value.attr] = values
        return False

    out: list[tuple[ast.AST, str]] = []
    program = _program_words(why)
    for node in model_compile_calls(tree):
        for value in [kw.value for kw in node.keywords if kw.arg == "optimizer"] + node.args[:1]:
            if seen(value, direct=True):
                continue
            if embedding:
                out.append((value, f"model kept as Keras ({program}): `{ast.unparse(value)[:40]}` may be "
                                   "the string 'adam', which the translated compile reads as Keras 3's Adam: every "
                                   "Keras 2's Adam sums an embedding gradient's repeated rows before squaring them, "
                                   "Keras 3's does not (give the optimizer as a string or make it in the file)"))
            else:
                out.append((value, f"model kept as Keras ({program}): `{ast.unparse(value)[:40]}` may be "
                                   "a string such as 'rmsprop', which the translated compile reads as Keras 3's "
                                   "optimizer: only Adam's and SGD's update is one formula in Keras 2 versions and "
                                   "Keras 3 (give the optimizer as a string or make it in the file)"))
    return out


def _trains(tree: ast.Module, refs: list[Ref]) -> bool:
    """Whether the file trains a model: the training API, or a call given ``training=`` (not
    ``False``), as a custom loop gives it."""
    return _uses_training(tree, refs) or any(
        isinstance(n, ast.keyword) and n.arg == "training" and not (isinstance(n.value, ast.Constant) and n.value.value is False)
        for n in ast.walk(tree))


def _no_layer_class(node: ast.AST, name: str, rules: RuleSet) -> Finding:
    """Why ``keras.layers.<...>.Name`` stays Keras: a layer without a TensorFlow class (XL101),
    or a name Keras 3 does not export (XL102): tf.keras 2's ``layers.experimental`` paths
    (``experimental.preprocessing.StringLookup``, ``experimental.RandomFourierFeatures``),
    which fail under Keras 3 before any translation."""
    last = name.split(".")[-1]
    rule = rules.get(last)
    if name.count(".") > 2:  # keras.layers.experimental[.preprocessing].Name
        where = name[: -len(last) - 1]
        if rule is not None and rule.status not in ("removed", "none"):
            return Finding(node, "XL102", f"`{where}` is tf.keras 2's path, not in Keras 3: import `keras.layers.{last}`")
        return Finding(node, "XL102", f"`{last}` from `{where}` is tf.keras 2's, not in Keras 3")
    if rule is None:
        return Finding(node, "XL102", f"`{last}` is not a layer of Keras 3's `keras.layers`")
    if rule.status == "removed":  # (tf.keras 2's `experimental.preprocessing.RandomHeight` reads as it)
        return Finding(node, "XL102", f"`{last}` was removed in Keras 3: the original fails there (`xlate rules {last}`)")
    return Finding(node, "XL101", f"`{last}` has no TensorFlow layer class yet")


# TensorFlow Addons layers (names.ADDONS): runtime classes of tfa's computation (tfr_addons_layers.py)
_ADDONS_LAYERS = {"tensorflow_addons.layers.GroupNormalization": "AddonsGroupNormalization",
                  "tensorflow_addons.layers.InstanceNormalization": "AddonsInstanceNormalization",
                  "tensorflow_addons.layers.GELU": "AddonsGELU",
                  **{f"tensorflow_addons.layers.{name}": f"Addons{name}" for name in TFA_ADAPTIVE_POOLINGS},
                  # keras-contrib's (names.CONTRIB), in the same runtime module
                  "keras_contrib.layers.InstanceNormalization": "ContribInstanceNormalization"}
# the keywords each tfa layer takes that its runtime class honours: its own (InstanceNormalization
# takes GroupNormalization's and overwrites ``groups``), then the tf.keras 2 ``Layer`` keywords the
# runtime's Layer takes as tf.keras 2 does (``weights``, ``dynamic``, ``implementation``: not taken)
_ADDONS_NORMALIZATION = ("groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                         "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")
_ADDONS_KEYWORDS = {"tensorflow_addons.layers.GroupNormalization": _ADDONS_NORMALIZATION,
                    "tensorflow_addons.layers.InstanceNormalization": _ADDONS_NORMALIZATION,
                    "tensorflow_addons.layers.GELU": ("approximate",),
                    **{f"tensorflow_addons.layers.{name}": ("output_size", "data_format") for name in TFA_ADAPTIVE_POOLINGS},
                    "keras_contrib.layers.InstanceNormalization": _ADDONS_NORMALIZATION[1:]}
_ADDONS_LAYER_KEYWORDS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape", "batch_size",
                          "activity_regularizer", "autocast")


def _addons_blocker(ref: Ref) -> Finding | None:
    """An argument of a TensorFlow Addons layer (:data:`_ADDONS_LAYERS`) that its runtime class
    does not reproduce: ``*args`` or ``**kwargs`` (which may hold anything), a keyword the class
    does not take as tfa does, or a dtype other than float32 (tfa's layers under another dtype
    or policy are not checked against the translation)."""
    known = _ADDONS_KEYWORDS.get(ref.name)
    if known is None or ref.call is None or ref.role != "call":
        return None
    call = ref.call
    contrib = ref.name.startswith("keras_contrib.")
    short = ("keras_contrib.layers." if contrib else "tfa.layers.") + ref.name.rsplit(".", 1)[1]
    package, base = ("keras-contrib", "standalone Keras 2") if contrib else ("TensorFlow Addons", "tf.keras 2")
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords) \
            or (contrib and len(call.args) > len(known)):
        return Finding(call, "XL201", f"`{short}(...)`: `*args`, `**kwargs` or positional arguments the "
                                      f"translation cannot read (it checks each argument of a {package} layer)")
    for kw in call.keywords:
        if kw.arg not in known and kw.arg not in _ADDONS_LAYER_KEYWORDS:
            return Finding(kw.value, "XL201", f"`{short}({kw.arg}=...)`: a keyword the translated layer does not "
                                              f"take as {package}'s (on {base}) does")
        if kw.arg == "dtype" and not _float32(kw.value):
            return Finding(kw.value, "XL201", f"`{short}(dtype={ast.unparse(kw.value)[:40]})`: only float32 "
                                              f"{package} layers are translated")
    return None


# TensorFlow Hub's Keras layer (names.HUB): the runtime class of what hub's source does (tfr_hub.py)
_HUB_LAYERS = {"tensorflow_hub.KerasLayer": "HubKerasLayer"}
# hub.KerasLayer's own keywords, then the tf.keras 2 ``Layer`` keywords the runtime's Layer takes
_HUB_KEYWORDS = ("handle", "trainable", "arguments", "tags", "signature", "signature_outputs_as_dict", "output_key",
                 "output_shape", "load_options", "name", "dtype", "input_shape", "input_dim", "batch_input_shape",
                 "batch_size")


def _hub_blocker(ref: Ref) -> Finding | None:
    """An argument of ``hub.KerasLayer`` the runtime class does not take as hub does: ``*args``
    or ``**kwargs``, a keyword of tf.keras 2's ``Layer`` it does not reproduce (``weights``,
    ``dynamic``), a ``dtype`` other than float32 or string (the loaded functions fix their own
    dtypes; a float policy would cast the inputs)."""
    if ref.name not in _HUB_LAYERS or ref.call is None or ref.role != "call":
        return None
    call = ref.call
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords) \
            or len(call.args) > 3:
        return Finding(call, "XL201", "`hub.KerasLayer(...)`: `*args`, `**kwargs` or positional arguments after "
                                      "`arguments` the translation cannot read")
    for kw in call.keywords:
        if kw.arg not in _HUB_KEYWORDS:
            return Finding(kw.value, "XL201", f"`hub.KerasLayer({kw.arg}=...)`: a keyword the translated layer does "
                                              "not take as TensorFlow Hub's (on tf.keras 2) does")
        if kw.arg == "dtype" and not (_float32(kw.value) or _string_dtype(kw.value)):
            return Finding(kw.value, "XL201", f"`hub.KerasLayer(dtype={ast.unparse(kw.value)[:40]})`: only float32 "
                                              "and string TensorFlow Hub layers are translated")
    return None


def _string_dtype(node: ast.expr) -> bool:
    """Whether ``node`` is ``"string"`` or ``tf.string``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id in ("tf", "tensorflow") and node.attr == "string"
    return literal(node) == "string"


def _float32(node: ast.expr) -> bool:
    """Whether ``node`` is None, ``"float32"`` or ``tf.float32`` / ``np.float32``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id in ("tf", "tensorflow", "np", "numpy") and node.attr == "float32"
    return literal(node) in (None, "float32")


def _runtime_name(name: str, public: frozenset[str]) -> str | None:
    if name in _CONTAINERS:
        return _CONTAINERS[name] if _CONTAINERS[name] in public else None
    if name in _ADDONS_LAYERS:
        return _ADDONS_LAYERS[name] if _ADDONS_LAYERS[name] in public else None
    if name in _HUB_LAYERS:
        return _HUB_LAYERS[name] if _HUB_LAYERS[name] in public else None
    if name.startswith("keras.layers."):
        last = name[len("keras.layers."):]
        if "." not in last and last in public:
            return last
        cls, _, attr = last.partition(".")
        if attr == "from_config" and cls in public:  # Layer.from_config: the runtime class's (tfr_base.py)
            return last
    if name.startswith("keras.initializers."):
        last = name[len("keras.initializers."):]
        last = {"Identity": "IdentityInitializer"}.get(last, last)
        if "." not in last and last[:1].isupper() and last in public:
            return last
    return None


_MODEL_CONSTRUCTORS = {"keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential"}


def _serialized_model_blocker(ref: Ref, tree: ast.Module, refs: list[Ref]) -> Finding | None:
    """Why serializing this object stays Keras: it is a functional or Sequential model of the
    file (a name assigned ``keras.Model(...)`` / ``keras.Sequential(...)``), whose Keras config
    lists its layer graph, which the translated model has no config of (tfr_serialization.py)."""
    if _CONTAINERS.get(ref.name) != "serialize_keras_object" or ref.call is None or not ref.call.args:
        return None
    arg = ref.call.args[0]
    if not isinstance(arg, ast.Name):
        return None
    made = {id(r.call) for r in refs if r.name in _MODEL_CONSTRUCTORS and r.call is not None}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and id(node.value) in made \
                and any(isinstance(t, ast.Name) and t.id == arg.id for t in node.targets):
            return Finding(ref.node, "XL301", f"`{ref.name}` is given the functional or Sequential model `{arg.id}`: "
                                              "Keras's config of it lists its layer graph, which the translation does "
                                              "not write")
    return None


_SEQUENTIALS = ("keras.Sequential", "keras.models.Sequential")
_INPUT_LAYER_KEYWORDS = {"shape", "batch_size", "dtype", "batch_shape", "name"}


def _sequential_declared_inputs(tree: ast.Module, refs: list[Ref], graphs: GraphPlan) -> set[int]:
    """The ``keras.Input(...)`` references that are the first entry of a ``Sequential([...])``
    list (its declared input, which Keras makes an ``InputLayer`` of) made where a graph
    function may run them: in a function, or in statements moved into a graph function.
    The runtime's ``Input`` is the graph function's input there, so these are written
    ``InputLayer(...)``, the same object wherever it runs; at module level the user's
    spelling stays. Only with the arguments both spell alike: the first three
    positionally, then by keyword."""
    sequentials = {id(r.call) for r in refs if r.name in _SEQUENTIALS and r.call is not None}
    firsts: set[int] = set()
    for r in refs:
        if id(r.call) not in sequentials or r.call is None:
            continue
        given = [k.value for k in r.call.keywords if k.arg == "layers"] or r.call.args[:1]
        if given and isinstance(given[0], (ast.List, ast.Tuple)) and given[0].elts:
            firsts.add(id(given[0].elts[0]))
    candidates = [r for r in refs if r.name == "keras.Input" and r.call is not None and id(r.call) in firsts
                  and len(r.call.args) <= 3 and all(k.arg in _INPUT_LAYER_KEYWORDS for k in r.call.keywords)]
    if not candidates:
        return set()
    moved = graphs.region_stmts | {id(s) for f in graphs.fragments for s in f.region}
    up = parents(tree)
    out: set[int] = set()
    for r in candidates:
        node: ast.AST | None = r.node
        while node is not None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or id(node) in moved:
                out.add(id(r.node))
                break
            node = up.get(id(node))
    return out


def _decorator_of(tree: ast.Module, node: ast.AST) -> ast.expr | None:
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for d in n.decorator_list:
                if d is node or (isinstance(d, ast.Call) and d.func is node):
                    return d
    return None


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _runtime_imports(runtime: Runtime, chosen: list) -> dict[str, tuple[str, str, str | None]]:
    """The names the runtime block's imports bind (``tf``, ``math``...), with their keys."""
    out = dict(import_binds(TF_IMPORT))
    for imp in runtime.imports:
        binds = import_binds(imp)
        if any(set(binds) & d.reads for d in chosen):
            out.update(binds)
    return out


def _runtime_named_locals(scope: ast.AST) -> set[str]:
    """What a function or class body binds anywhere inside it (parameters, assignment, loop,
    ``with`` and ``except`` targets, nested ``def``/``class``, imports other than Keras's,
    which go), as names its own scopes may hold instead of a module-level one."""
    out: set[str] = set()
    for n in ast.walk(scope):
        if n is scope:
            continue
        if isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for key in import_keys(n) or {("", a.name, a.asname) for a in n.names}:
                module, name, asname = key
                if not _is_keras_import(module, name):
                    out.add(asname or (name if isinstance(n, ast.ImportFrom) else name.split(".")[0]))
    return out


def _collisions(tree: ast.Module, chosen: list, imported: dict[str, tuple[str, str, str | None]]) -> set[str]:
    """Runtime names that the user's module binds at module level to something of its own
    (imports of Keras names are not bindings of their own: they go away; a function's local
    variable shadows a runtime name only inside that function, where the runtime's code does
    not run). The names the runtime's imports bind (``tf``, ``math``, ``re``...) are read
    by its functions when they run: the user may bind them only by the same import."""
    names = {n for d in chosen for n in d.binds}
    # a builtin the runtime's code reads (`sum`, `max`, `filter`) that the module binds to its
    # own value: the runtime's functions run in the module's namespace, where `sum = ...`
    # shadows the builtin (a course notebook's `sum = tf.reduce_sum(outputs)` made the
    # runtime's optimizer raise "EagerTensor object is not callable"): renamed too, and the
    # block binds the new name to the builtin (bundle.Runtime.source)
    names |= {n for d in chosen for n in d.reads} & BUILTIN_NAMES
    # a local of a function (or class body) that the translation's own writing may meet:
    # `Conv2D = functools.partial(tf.keras.layers.Conv2D, ...)` in a builder became
    # `Conv2D = functools.partial(Conv2D, ...)`, read before it is bound there
    # (UnboundLocalError; a course notebook): such a runtime name is renamed too
    bound = module_bindings(tree, imported, lambda scope: _runtime_named_locals(scope) & names)
    return (names | set(imported)) & bound


def module_bindings(tree: ast.Module, imported: dict[str, tuple[str, str, str | None]] | None = None,
                    inside: Callable[[ast.AST], set[str]] | None = None) -> set[str]:
    """The names ``tree`` binds at module level: assignment, loop, ``with`` targets, ``def``
    and ``class`` names, imports other than Keras's (which go) and than the runtime's own
    (``imported``: its import bound by the same import is not the file's); ``inside(scope)``
    adds what it gives for each function or class body."""
    imported = imported or {}
    bound: set[str] = set()
    todo: list[ast.AST] = list(tree.body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
            if inside is not None:
                bound |= inside(n)
            continue  # their bodies are scopes of their own
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            bound.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for key in import_keys(n) or {("", a.name, a.asname) for a in n.names}:
                module, name, asname = key
                local = asname or (name if isinstance(n, ast.ImportFrom) else name.split(".")[0])
                if local in imported:
                    if imported[local] != key:
                        bound.add(local)
                elif not _is_keras_import(module, name):
                    bound.add(local)
        todo.extend(ast.iter_child_nodes(n))
    return bound


def _is_keras_import(module: str, name: str) -> bool:
    from kerastf_xlate.totf.program.names import canonical

    return canonical(f"{module}.{name}" if module else name) is not None


__all__ = ["translate_program", "ProgramResult", "Finding", "Ref"]
