"""Where a translated model is used with a Keras API the TensorFlow ``Model`` lacks.

Every model of a file in the program form becomes a runtime ``Model``; a use such as
``model.fit(...)``, ``model.save("m.keras")`` or ``keras.utils.plot_model(model)`` would then
fail at run time. This module finds such uses, judging each use by the values that can reach
it rather than by variable names alone:

- at module level, statements are followed in order, so ``model`` bound to a PyTorch or
  statsmodels object in a later cell is not the Keras model of an earlier one;
- a name bound in a function holds a model if any of its bindings there does;
- a function's parameter holds a model if some call of the function passes one;
- a function returns a model if one of its ``return`` values is one;
- ``self.x = <model>`` makes attribute ``x`` of that class a model.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from kerastf_xlate.sources import guarded_cell
from kerastf_xlate.totf.program import siblings
from kerastf_xlate.totf.program.classes import LAYER, MODEL, imported_bases, subclasses
from kerastf_xlate.totf.program.imported import import_bindings, is_keras
from kerastf_xlate.totf.program.names import Ref
from kerastf_xlate.totf.training import COMPILE_SIG

# attributes of a Keras model that a runtime Model does not have (or means differently); the
# training API (compile, fit, evaluate, predict, train_step, metrics, add_loss...) is given
# by the runtime training layer (runtime/tfr_training.py, TRAINING_API below)
KERAS_ONLY = {
    "save", "export", "to_json", "to_yaml",
    "inputs", "outputs", "input", "output", "get_compile_config", "compile_from_config", "distribute_strategy", "jit_compile",
    "steps_per_execution", "quantize", "get_build_config", "build_from_config", "add_metric", "predict_function",
    "train_function",
    # Keras 3's own machinery (stateless and symbolic calls, state trees, quantization, the
    # Functional's operations), which the runtime Model does not reproduce
    "test_function", "operations", "metrics_variables", "stateless_call", "symbolic_call", "compute_output_spec",
    "stateless_compute_loss", "get_state_tree", "set_state_tree", "save_own_variables", "load_own_variables",
    "quantized_call", "quantized_build", "rematerialized_call", "get_quantization_layer_structure",
    "distribute_reduction_method", "call_signature_parameters", "supports_jit", "unrolled_steps_per_execution",
}
# what the runtime training layer gives a Model (and Layer: add_loss, losses)
TRAINING_API = {
    "compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch", "optimizer",
    "metrics_names", "stop_training", "make_train_function", "make_test_function", "make_predict_function",
    "history", "loss", "metrics", "run_eagerly", "compute_loss", "compute_metrics", "train_step", "test_step",
    "predict_step", "add_loss", "losses", "reset_metrics", "get_metrics_result", "compiled_loss", "compiled_metrics",
    "fit_generator", "evaluate_generator", "predict_generator",  # tf.keras 2's, as it defined them
}
_MODEL_NAMES = {"keras.Model", "keras.Sequential"}
# functions that take a model and give a translated model (tfr_cloning.py)
_MODEL_COPIES = {"keras.models.clone_model"}
# Keras utilities the runtime gives for translated models (tfr_plot.py)
_MODEL_UTILITIES = {"keras.utils.plot_model", "keras.utils.model_to_dot",
                     # (tfr_serialization.py: a model's own get_config; a functional one raises there)
                     "keras.saving.serialize_keras_object", "keras.utils.serialize_keras_object", "keras.layers.serialize",
                     # Keras 2's weight converters (tfr_saving.py)
                     "keras.utils.layer_utils.convert_all_kernels_in_model",
                     "keras.utils.layer_utils.convert_dense_weights_data_format"}
# TensorFlow functions that take only a Keras model: TFLite's converter exports a Keras model's
# call with training=False and a dynamic batch, a tf.Module through its SavedModel signature
# (augmentation layers stay in the graph; found running the TensorFlow image classification
# tutorial translated)
_NEEDS_KERAS_MODEL = ("TFLiteConverter.from_keras_model", "TFLiteConverterV2.from_keras_model")
# modules whose functions take a tf.Module as they take a Keras model (or do not care)
_SAFE_MODULES = {"tensorflow", "numpy"} | set(sys.stdlib_module_names)


class _Flow:
    def __init__(self, tree: ast.Module, refs: list[Ref]) -> None:
        self.tree = tree
        self.model_funcs: set[int] = {id(r.node) for r in refs if r.name in _MODEL_NAMES}
        self.model_funcs |= {id(r.node) for r in refs if r.name in _MODEL_COPIES}
        self.model_classes: set[str] = set()
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.returns_model: set[str] = set()
        self.model_params: set[tuple[str, str]] = set()  # (function, parameter)
        self.model_locals: set[tuple[str, str]] = set()  # (function, name)
        self.model_attrs: set[tuple[str, str]] = set()  # (class, attribute)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, node)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(id(b) in self.model_funcs for b in node.bases):
                self.model_classes.add(node.name)
        self.model_classes |= subclasses(tree, refs)  # through model classes of other files of the run too
        changed = True
        while changed:  # subclasses of model subclasses
            changed = False
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in self.model_classes and any(
                        isinstance(b, ast.Name) and b.id in self.model_classes for b in node.bases):
                    self.model_classes.add(node.name)
                    changed = True

    def is_model(self, expr: ast.AST | None, func: str | None, cls: str | None, module_kinds: dict[str, bool]) -> bool:
        if expr is None:
            return False
        if isinstance(expr, ast.Call):
            f = expr.func
            if id(f) in self.model_funcs:
                return True
            if isinstance(f, ast.Name) and (f.id in self.model_classes or f.id in self.returns_model):
                return True
            return False
        if isinstance(expr, ast.Name):
            if func is not None and ((func, expr.id) in self.model_locals or (func, expr.id) in self.model_params):
                return True
            return module_kinds.get(expr.id, False)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self" and cls:
            return (cls, expr.attr) in self.model_attrs
        if isinstance(expr, (ast.IfExp,)):
            return self.is_model(expr.body, func, cls, module_kinds) or self.is_model(expr.orelse, func, cls, module_kinds)
        return False


def _enclosing(tree: ast.Module) -> dict[int, tuple[str | None, str | None]]:
    """node id -> (enclosing function name, enclosing class name)."""
    out: dict[int, tuple[str | None, str | None]] = {}

    def visit(node: ast.AST, func: str | None, cls: str | None) -> None:
        out[id(node)] = (func, cls)
        for c in ast.iter_child_nodes(node):
            if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(c, c.name, cls)
            elif isinstance(c, ast.ClassDef):
                visit(c, None, c.name)
            else:
                visit(c, func, cls)

    visit(tree, None, None)
    return out


@dataclass(frozen=True)
class Use:
    """A Keras-only use of a translated model: where, why, and what holds the model there
    (``scope`` is the enclosing function, None at module level; ``name`` the variable, None
    when the receiver is not a plain name)."""

    node: ast.AST
    message: str
    scope: ast.AST | None
    name: str | None
    attr: str | None
    code: str = "XL303"  # the blocker's code when ``name``/``attr`` do not decide it
    note: bool = False  # a finding about the translated model's use, not a reason to keep it


@dataclass
class _Analysis:
    """What :func:`keras_only_uses` finds from the tree alone: the model flow to its fixed
    point and the indexes its check reads."""

    flow: _Flow
    where: dict[int, tuple[str | None, str | None]]
    func_of: dict[int, ast.AST | None]
    utility_calls: dict[int, str]
    keras_calls: set[int]
    opaque: set[str]


# the partial-program attempts of one file ask with the same tree, references, loaders and
# other files' bases (only the graph plan differs): a few recent analyses, held with their
# trees so that the node ids in them stay theirs
_ANALYSES: list[tuple[ast.Module, tuple[tuple[int, ...], tuple[tuple[str, str], ...]], frozenset[int], _Analysis]] = []


def keras_only_uses(tree: ast.Module, refs: list[Ref], graphs: object, loaded: frozenset[int] = frozenset()) -> list[Use]:
    """Uses of translated models with Keras-only APIs. ``loaded`` holds the ids of the
    ``load_model`` references the translation turns into the runtime's (they give models)."""
    key = (tuple(id(r.node) for r in refs), tuple(sorted(imported_bases().items())))
    for t, k, ld, found_before in _ANALYSES:
        if t is tree and k == key and ld == loaded:
            analysis = found_before
            break
    else:
        analysis = _analyse(tree, refs, loaded)
        _ANALYSES.insert(0, (tree, key, loaded, analysis))
        del _ANALYSES[4:]
    return _check_uses(tree, analysis, getattr(graphs, "tensor_reads", set()))


@dataclass
class _TreeIndex:
    """Of one tree: each node's enclosing function and class names, the nodes the model flow
    reads (assignments, returns, calls; in ``ast.walk`` order, with those names), and each
    node's enclosing function node."""

    where: dict[int, tuple[str | None, str | None]]
    nodes: list[tuple[ast.AST, str | None, str | None]]
    func_of: dict[int, ast.AST | None]


_INDEXES: list[tuple[ast.Module, _TreeIndex]] = []


def _tree_index(tree: ast.Module) -> _TreeIndex:
    for t, index in _INDEXES:
        if t is tree:
            return index
    where = _enclosing(tree)
    nodes: list[tuple[ast.AST, str | None, str | None]] = [
        (n, *where.get(id(n), (None, None))) for n in ast.walk(tree)
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.Return, ast.Call))]
    funcs = {id(f) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    func_of: dict[int, ast.AST | None] = {}
    todo: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while todo:
        node, f = todo.pop()
        func_of[id(node)] = f
        todo.extend((c, c if id(c) in funcs else f) for c in ast.iter_child_nodes(node))
    index = _TreeIndex(where, nodes, func_of)
    _INDEXES.insert(0, (tree, index))
    del _INDEXES[4:]
    return index


def _analyse(tree: ast.Module, refs: list[Ref], loaded: frozenset[int]) -> _Analysis:
    flow = _Flow(tree, refs)
    flow.model_funcs |= loaded
    index = _tree_index(tree)
    where = index.where
    # functions, parameters, locals, attributes and module names: to a fixed point, without
    # order (a module-level name counts as a model if any of its bindings is one)
    module_any: dict[str, bool] = {}
    for _ in range(10):
        before = (len(flow.returns_model), len(flow.model_params), len(flow.model_locals), len(flow.model_attrs),
                  len(module_any))
        module_kinds = module_any
        for node, func, cls in index.nodes:
            if func is None and cls is None and isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                if flow.is_model(node.value, None, None, module_any) or _unpacks_model(node.value, flow, None, None, module_any):
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                        for n in _target_names(t):
                            module_any[n] = True
            if isinstance(node, ast.Return) and func is not None and flow.is_model(node.value, func, cls, module_kinds):
                flow.returns_model.add(func)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                if flow.is_model(node.value, func, cls, module_kinds) or _unpacks_model(node.value, flow, func, cls, module_kinds):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        for n in _target_names(t):
                            if func is not None:
                                flow.model_locals.add((func, n))
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self" and cls:
                            flow.model_attrs.add((cls, t.attr))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in flow.functions:
                callee = flow.functions[node.func.id]
                params = [a.arg for a in callee.args.posonlyargs + callee.args.args]
                for i, arg in enumerate(node.args):
                    if i < len(params) and flow.is_model(arg, func, cls, module_kinds):
                        flow.model_params.add((callee.name, params[i]))
                for kw in node.keywords:
                    if kw.arg and flow.is_model(kw.value, func, cls, module_kinds):
                        flow.model_params.add((callee.name, kw.arg))
        if before == (len(flow.returns_model), len(flow.model_params), len(flow.model_locals), len(flow.model_attrs),
                      len(module_any)):
            break
    utility_calls = {id(r.call): r.name for r in refs if r.call is not None and r.role == "call"
                     and not r.name.startswith(("keras.layers.", "keras.Input", "keras.Model", "keras.Sequential"))
                     and r.name not in _MODEL_COPIES and r.name not in _MODEL_UTILITIES}
    keras_calls = {id(r.call) for r in refs if r.call is not None}
    return _Analysis(flow, where, index.func_of, utility_calls, keras_calls, _opaque_callees(tree, flow))


def _check_uses(tree: ast.Module, analysis: _Analysis, tensor_reads: set[int]) -> list[Use]:
    """The Keras-only uses, module-level names followed in order. ``tensor_reads``: the
    `base.input` reads of a model on part of base's graph (not uses)."""
    flow, where, utility_calls, keras_calls, opaque = (analysis.flow, analysis.where, analysis.utility_calls,
                                                      analysis.keras_calls, analysis.opaque)
    module_kinds: dict[str, bool] = {}
    found: list[Use] = []

    def enclosing_func(node: ast.AST) -> ast.AST | None:
        return analysis.func_of.get(id(node))

    def check(nodes: Iterable[ast.AST]) -> None:
        for top in nodes:
            for n in ast.walk(top):
                func, cls = where.get(id(n), (None, None))
                if isinstance(n, ast.Attribute) and n.attr in KERAS_ONLY and id(n) not in tensor_reads \
                        and flow.is_model(n.value, func, cls, module_kinds):
                    name = n.value.id if isinstance(n.value, ast.Name) else None
                    found.append(Use(n, f"`{ast.unparse(n)[:60]}`: a Keras model API the TensorFlow model does not have",
                                     enclosing_func(n), name, n.attr))
                elif isinstance(n, ast.Call) and id(n) in utility_calls:
                    for a in list(n.args) + [k.value for k in n.keywords]:
                        if flow.is_model(a, func, cls, module_kinds):
                            found.append(Use(n, f"`{utility_calls[id(n)]}` is given a translated model", enclosing_func(n),
                                             None, None))
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _TRAINING_OBJECTS \
                        and flow.is_model(n.func.value, func, cls, module_kinds):
                    for el, what, anchor in _training_objects(n, tree):
                        root = _callee_root(el.func) if isinstance(el, ast.Call) else None
                        if root in opaque and id(el) not in keras_calls and what == "callback":
                            # Keras's own callbacks run on the translated model as on Keras's (it has what
                            # they read: tfr_training.py, tfr_base.py), as the file's own callbacks do
                            found.append(Use(el, f"the callback `{ast.unparse(el)[:40]}` comes from `{root}`, defined "
                                                     "outside this file: it runs on the translated model, whose "
                                                     "`save_weights` and `save` write TensorFlow checkpoints (a Keras "
                                                     "`ModelCheckpoint` there writes those, not Keras files)",
                                             enclosing_func(n), None, None, "XL311", note=True))
                        elif root in opaque and id(el) not in keras_calls:
                            found.append(Use(anchor, f"model kept as Keras: the {what} `{ast.unparse(el)[:40]}` comes from "
                                                 f"`{root}`, defined outside this file: a Keras {what} given to the "
                                                 "translated model's training loop reaches Keras APIs it does not have",
                                             enclosing_func(n), None, None, "XL305"))
                elif isinstance(n, ast.Call) and ast.unparse(n.func).endswith(_NEEDS_KERAS_MODEL):
                    for a in list(n.args) + [k.value for k in n.keywords]:
                        if flow.is_model(a, func, cls, module_kinds):
                            found.append(Use(n, f"model kept as Keras: `{ast.unparse(n.func)[:60]}` needs a Keras model (it "
                                                "converts the model's inference call); given the translated model it saves "
                                                "and converts a different graph", enclosing_func(n), None, None))
                            break
                elif isinstance(n, ast.Call) and id(n) not in keras_calls and _callee_root(n.func) in opaque:
                    given = [a for a in list(n.args) + [k.value for k in n.keywords] if flow.is_model(a, func, cls, module_kinds)]
                    if given:
                        callee = ast.unparse(n.func)[:40]
                        guard = guarded_cell(callee)
                        other = siblings.resolve(n.func, tree) if guard is None else None
                        params = siblings.given_params(n, other.func, given) if other is not None else None
                        if guard is not None:  # a notebook cell left as it is reads the model
                            why: str | None = (f"notebook cell {guard[0]} {'does not parse' if guard[1] else 'is a pasted session'} "
                                               "and is left as it is: what it does with the model cannot be checked")
                        elif other is not None and params is not None:
                            # a function of the program's own modules, read and judged (siblings.py)
                            why = siblings.judge(other, params, KERAS_ONLY)
                        elif other is not None:
                            why = (f"`{callee}` ({other.label}) is given it through `*args` or `**kwargs`: what it "
                                   "does with it is not followed")
                        else:
                            why = f"`{callee}` is given it and is defined outside this file: what it does with it cannot be checked"
                        if why is not None:
                            found.append(Use(n, f"model kept as Keras: {why}", enclosing_func(n), None, None))

    # module level: in order, so a name rebound to something else stops being a model
    for stmt in tree.body:
        check([stmt])
        for node in _own_assignments(stmt):
            value = node.value
            model = flow.is_model(value, None, None, module_kinds) or _unpacks_model(value, flow, None, None, module_kinds)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for name in _target_names(t):
                    module_kinds[name] = model or (module_kinds.get(name, False) and not isinstance(stmt, ast.Assign))
    # dedupe, keep order
    seen: set[int] = set()
    out = []
    for use in found:
        if id(use.node) not in seen:
            seen.add(id(use.node))
            out.append(use)
    return out


# the training calls whose Keras objects (callbacks, optimizer, metrics) the runtime's training
# loop takes: an object made by a function of another module is a Keras object there (a
# course's `create_tensorboard_callback(...)` helper), which the loop cannot run
_TRAINING_OBJECTS = {"fit": {"callbacks": "callback"}, "evaluate": {"callbacks": "callback"},
                     "predict": {"callbacks": "callback"}, "fit_generator": {"callbacks": "callback"},
                     "evaluate_generator": {"callbacks": "callback"}, "predict_generator": {"callbacks": "callback"},
                     "compile": {"optimizer": "optimizer", "metrics": "metric", "weighted_metrics": "metric"}}


def _training_objects(call: ast.Call, tree: ast.Module) -> list[tuple[ast.AST, str, ast.AST]]:
    """The callbacks given to ``fit``/``evaluate``/``predict``, the optimizer and metrics given
    to ``compile``: each element of a list written there or bound at module level to the name
    written there (with the module's ``name.append(x)``), or the value itself; with the
    argument of the call it came through (where a blocker is reported: the training call's
    statement is the model's)."""
    kinds = _TRAINING_OBJECTS[call.func.attr]  # type: ignore[attr-defined]
    given = {k.arg: k.value for k in call.keywords if k.arg in kinds}
    signature = COMPILE_SIG if call.func.attr == "compile" else _LOOP_SIGS.get(call.func.attr, ())  # type: ignore[attr-defined]
    for p, a in zip(signature, call.args):
        if p in kinds and not isinstance(a, ast.Starred):
            given.setdefault(p, a)
    out: list[tuple[ast.AST, str, ast.AST]] = []
    for arg, value in given.items():
        out.extend((e, kinds[arg], e if bound is None else bound) for e, bound in _elements(value, tree, None, set()))
    return out


# the positional parameters of Keras's loops up to ``callbacks`` (keras/src/trainers/trainer.py)
_LOOP_SIGS = {"fit": ("x", "y", "batch_size", "epochs", "verbose", "callbacks"),
              "evaluate": ("x", "y", "batch_size", "verbose", "sample_weight", "steps", "callbacks"),
              "predict": ("x", "batch_size", "verbose", "steps", "callbacks")}


def _elements(value: ast.AST, tree: ast.Module, bound: ast.AST | None, seen: set[str]) -> list[tuple[ast.AST, ast.AST | None]]:
    """The elements of a list written as a value, each with the name at the call it was bound
    to (None: written there): a list or tuple display's, those of both sides of a concatenation
    (``[a] + make_callbacks()``), those of the values a module-level name is bound to (with the
    module's ``name.append(x)``); else the value itself."""
    if isinstance(value, (ast.List, ast.Tuple)):
        return [e for x in value.elts
                for e in (_elements(x.value, tree, bound, seen) if isinstance(x, ast.Starred) else [(x, bound)])]
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _elements(value.left, tree, bound, seen) + _elements(value.right, tree, bound, seen)
    if isinstance(value, ast.Name):
        if value.id in seen:
            return []
        seen.add(value.id)
        at = bound or value
        out: list[tuple[ast.AST, ast.AST | None]] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in stmt.targets):
                out.extend(_elements(stmt.value, tree, at, seen))
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr in ("append", "extend") \
                    and isinstance(stmt.value.func.value, ast.Name) and stmt.value.func.value.id == value.id:
                for a in stmt.value.args:
                    out.extend([(a, at)] if stmt.value.func.attr == "append" else _elements(a, tree, at, seen))
        return out
    return [(value, bound)]


def _callee_root(func: ast.AST) -> str | None:
    """``f`` for ``f(...)``, ``mod`` for ``mod.sub.f(...)``; None for a method of a value."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


def _opaque_callees(tree: ast.Module, flow: _Flow) -> set[str]:
    """Names whose calls the translation cannot follow, so a model given to them may meet a
    Keras API the runtime lacks: functions and modules imported from outside the standard
    library, TensorFlow and NumPy, and names the file uses without defining (a notebook cell
    that does not parse stands for one). Functions and classes of the file, builtins and those
    modules are not opaque."""
    defined: set[str] = set(flow.functions)
    for n in ast.walk(tree):
        if isinstance(n, ast.ClassDef):
            defined.add(n.name)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            defined.add(n.id)
        elif isinstance(n, ast.arg):
            defined.add(n.arg)
    imported = import_bindings(tree, everywhere=True)
    opaque = {name for name, (module, _, level) in imported.items()
              if level or not (is_keras(module) or module.split(".")[0] in _SAFE_MODULES)}
    called = {_callee_root(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    opaque |= {name for name in called if name and name not in defined and name not in imported
               and not hasattr(builtins, name)}
    return opaque


def _own_assignments(stmt: ast.stmt):
    """Assignments at module level in ``stmt`` (not inside functions or classes)."""
    stack: list[ast.AST] = [stmt]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            yield n
        stack.extend(ast.iter_child_nodes(n))


def _target_names(t: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]


def _unpacks_model(value: ast.AST | None, flow: _Flow, func: str | None, cls: str | None, kinds: dict[str, bool]) -> bool:
    """``a, b = build()`` where build returns models in a tuple."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in flow.functions:
        f = flow.functions[value.func.id]
        for r in ast.walk(f):
            if isinstance(r, ast.Return) and isinstance(r.value, (ast.Tuple, ast.List)):
                if any(flow.is_model(e, f.name, None, kinds) for e in r.value.elts):
                    return True
    if isinstance(value, (ast.Tuple, ast.List)):
        return any(flow.is_model(e, func, cls, kinds) for e in value.elts)
    return False


# what a Keras Layer/Model subclass may use on ``self`` that the runtime bases do not give
# (unless the class assigns it itself: ``self.seed_generator = SeedGenerator(...)``)
KERAS_SELF_ONLY = {
    "add_metric", "quantize", "quantized_call", "_tracker",
    "seed_generator", "inputs", "outputs", "input", "output", "input_shape", "output_shape",
    "distribute_strategy", "save", "export", "_call_has_training_arg", "_layers", "stateless_call",
    "symbolic_call", "_build_shapes_dict", "compute_output_spec", "_flatten_layers",
}
# Keras hooks a subclass may define that nothing calls without Keras (their meaning would be lost)
KERAS_HOOKS: set[str] = set()  # train_step, test_step, predict_step, compute_loss, compute_metrics and compile are called by the runtime's fit


def subclass_blockers(tree: ast.Module, refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """Keras features used by Layer/Model subclasses that the runtime bases do not give."""
    classes = [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]
    ours = subclasses(tree, refs, (LAYER, MODEL))
    out: list[tuple[ast.AST, str]] = []
    for c in classes:
        if c.name not in ours:
            continue
        for stmt in c.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in KERAS_HOOKS:
                out.append((stmt, f"class `{c.name}` overrides `{stmt.name}`, a Keras training hook (not translated yet)"))
        own = {n.attr for n in ast.walk(c) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
               and isinstance(n.value, ast.Name) and n.value.id == "self"}
        for n in ast.walk(c):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self" \
                    and n.attr in KERAS_SELF_ONLY and n.attr not in own and isinstance(n.ctx, ast.Load):
                out.append((n, f"class `{c.name}` uses `self.{n.attr}`, a Keras feature the TensorFlow base class lacks"))
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__init__" \
                    and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name) \
                    and n.func.value.func.id == "super" and (len(n.args) >= 2 or any(k.arg in ("inputs", "outputs") for k in n.keywords)) \
                    and not _user_init(c, classes, n):
                out.append((n, f"class `{c.name}` builds a functional model in its constructor (`super().__init__(inputs, outputs)`)"))
    return out


def _user_init(cls: ast.ClassDef, classes: list[ast.ClassDef], call: ast.Call | None = None) -> bool:
    """``super().__init__(...)`` (``call``) in ``cls`` runs an ``__init__`` of the file's own
    classes (its one base, or that base's, defines it) that takes the arguments itself, not
    Keras's: its arguments are the user's (``super().__init__(num_kernels, kernel_size,
    stride)``), not a functional graph. An ``__init__`` with ``*args`` may pass them on to
    Keras's (a backbone base's ``super().__init__(*args, **kwargs)``), and one with ``**kwargs``
    passes on ``inputs=`` / ``outputs=``: those are Keras's still."""
    seen: set[str] = set()
    while len(cls.bases) == 1 and isinstance(cls.bases[0], ast.Name) and cls.bases[0].id not in seen:
        name = cls.bases[0].id
        seen.add(name)
        found = [c for c in classes if c.name == name]
        if len(found) != 1:  # not the file's, or bound twice (a notebook's redefinition)
            return False
        cls = found[0]
        init = next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"),
                    None)
        if init is not None:
            a = init.args
            if a.vararg is not None:
                return False
            if call is not None:
                if len(call.args) > len(a.posonlyargs) + len(a.args) - 1 or any(isinstance(x, ast.Starred) for x in call.args):
                    return False
                if a.kwarg is not None and any(k.arg in ("inputs", "outputs") or k.arg is None for k in call.keywords):
                    return False
            return True
    return False
