"""Resolve names to Keras layers as Python would, on the standard library's ``ast``.

This is the one resolver of the project, used by ``lint``, ``to-tf`` and ``to-keras``. It is a light, purpose-built scope analysis (module,
class, function, lambda and comprehension scopes; imports, assignments, parameters,
``global``/``nonlocal``), far cheaper than full LibCST scope metadata.

A use resolves to a Keras layer when its dotted name, after following import aliases, is
``<keras root>.layers.<Name>`` (or ``<keras root>.<Model|Sequential|Input|Layer>``, or
``<root>.models.<Name>``, ``<root>.models.<module>.<Name>``), for every Keras root:
``keras``, ``keras.api``, ``keras.src`` (how Keras's own code and ``keras.applications``
spell it), ``tensorflow.keras``, ``tensorflow.python.keras``, ``tf_keras``, ``keras_core``. A
local name that shadows an import is not a Keras layer.

:class:`ModuleNames` is the other half: the module-level import bindings, for every question
about what a dotted name means (TensorFlow's canonical ``tf.nn.relu`` for every spelling,
``keras.ops.relu`` for every Keras root, which names bind ``tensorflow``, ``keras`` and
``keras.layers``).
"""

from __future__ import annotations

import ast
import bisect
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field

KERAS_ROOTS = ("tensorflow.python.keras", "tensorflow.keras", "keras_core", "tf_keras.src", "tf_keras", "keras.api", "keras.src", "keras")
_TOP_LEVEL = {"Model", "Sequential", "Input", "Layer", "InputLayer"}

_STAR = "*"


@dataclass
class Scope:
    kind: str  # module | class | function | comprehension
    parent: Scope | None
    # name -> sorted [(position, qualified name or None for a non-import binding)]
    bindings: dict[str, list[tuple[tuple[int, int], str | None]]] = field(default_factory=dict)
    globals_: set[str] = field(default_factory=set)
    star_imports: list[tuple[tuple[int, int], str]] = field(default_factory=list)

    def bind(self, name: str, pos: tuple[int, int], qual: str | None) -> None:
        if name in self.globals_:
            scope = self
            while scope.parent is not None:
                scope = scope.parent
            scope.bind(name, pos, qual)
            return
        entries = self.bindings.setdefault(name, [])
        bisect.insort(entries, (pos, qual), key=lambda e: e[0])


def keras_layer_name(qual: str) -> str | None:
    """``keras.layers.Conv2D`` -> ``Conv2D``; None when ``qual`` is not a Keras layer path."""
    for root in KERAS_ROOTS:
        if qual.startswith(root + "."):
            rest = qual[len(root) + 1 :]
            break
    else:
        return None
    parts = rest.split(".")
    if parts[0] == "layers" and len(parts) >= 2:
        return parts[-1]
    if parts[0] == "models" and len(parts) in (2, 3):  # keras.models.Model, keras.src.models.functional.Functional
        return parts[-1]
    if len(parts) == 1 and parts[0] in _TOP_LEVEL:
        return parts[0]
    return None


def dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` -> ['a', 'b', 'c'] when the chain is rooted at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


@dataclass(frozen=True)
class Use:
    """A reference to a Keras layer (a Name or an Attribute chain) in the source."""

    node: ast.expr  # the Name / Attribute
    qualname: str
    layer: str  # class or function name in keras.layers
    call: ast.Call | None  # the call whose func is this reference, if any


_INERT = object()  # a node with no visit_ method and no child nodes: nothing to do
_GENERIC = object()  # a node with no visit_ method: visit its children


class _FastVisitor(ast.NodeVisitor):
    """:class:`ast.NodeVisitor` with the same dispatch and traversal order, minus its
    per-node overhead (a string concatenation and ``getattr`` per visit, a generator per
    ``generic_visit``, calls for ``Load``/``Store`` contexts, operators and constants).
    Each subclass caches, per node type, the method that handles it."""

    _table: dict[type, object]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._table = {}

    @classmethod
    def _handler(cls, t: type) -> object:
        if not issubclass(t, ast.AST):
            fn: object = _INERT  # generic_visit skips what is not a node
        else:
            fn = getattr(cls, "visit_" + t.__name__, None)
            if fn is None or fn is ast.NodeVisitor.visit_Constant:
                # (NodeVisitor.visit_Constant only forwards to the deprecated visit_Num & co.)
                fn = _INERT if not t._fields or t in (ast.Constant, ast.alias) else _GENERIC
        cls._table[t] = fn
        return fn

    def visit(self, node: ast.AST) -> object:
        fn = self._table.get(type(node)) or self._handler(type(node))
        if fn is _INERT:
            return None
        if fn is _GENERIC:
            return self.generic_visit(node)  # type: ignore[func-returns-value]
        return fn(self, node)  # type: ignore[operator]

    def generic_visit(self, node: ast.AST) -> None:
        table = self._table
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    fn = table.get(type(item)) or self._handler(type(item))
                    if fn is _INERT:
                        continue
                    if fn is _GENERIC:
                        self.generic_visit(item)
                    else:
                        fn(self, item)  # type: ignore[operator]
            elif value is not None:
                fn = table.get(type(value)) or self._handler(type(value))
                if fn is _INERT:
                    continue
                if fn is _GENERIC:
                    self.generic_visit(value)
                else:
                    fn(self, value)  # type: ignore[operator]


class _Binder(_FastVisitor):
    """Pass 1: build scopes and record every binding with its position."""

    def __init__(self, known: set[str] | None = None) -> None:
        self.known = known or set()
        self.aliases: set[str] = set()  # local names bound to a Keras layer under another name
        self.module = Scope("module", None)
        self.scope = self.module
        self.scope_of: dict[int, Scope] = {}

    # helpers
    def _pos(self, node: ast.AST) -> tuple[int, int]:
        return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

    def _bind_target(self, target: ast.AST, pos: tuple[int, int]) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.scope.bind(node.id, pos, None)
            elif isinstance(node, ast.Starred):
                continue

    def _enter(self, node: ast.AST, kind: str) -> Scope:
        scope = Scope(kind, self.scope)
        self.scope_of[id(node)] = scope
        return scope

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        pos = self._pos(node)
        for alias in node.names:
            if alias.asname:
                self.scope.bind(alias.asname, pos, alias.name)
            else:
                top = alias.name.split(".")[0]
                self.scope.bind(top, pos, top)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        pos = self._pos(node)
        if node.level:  # relative imports never reach keras
            for alias in node.names:
                if alias.name != _STAR:
                    self.scope.bind(alias.asname or alias.name, pos, None)
            return
        module = node.module or ""
        for alias in node.names:
            if alias.name == _STAR:
                self.scope.star_imports.append((pos, module))
                continue
            self.scope.bind(alias.asname or alias.name, pos, f"{module}.{alias.name}")
            if alias.asname and alias.name in self.known:
                self.aliases.add(alias.asname)

    # bindings
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for t in node.targets:
            self._bind_target(t, self._pos(node))
            self._visit_target_exprs(t)

    def _visit_target_exprs(self, target: ast.AST) -> None:
        # subscripts/attributes in targets contain loads (a[i] = ..., obj.x = ...)
        for node in ast.walk(target):
            if isinstance(node, (ast.Subscript, ast.Attribute)):
                self.visit(node.value)
                if isinstance(node, ast.Subscript):
                    self.visit(node.slice)

    def visit_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:  # after ``del layers`` the name no longer holds the import
            self._bind_target(t, self._pos(node))
            self._visit_target_exprs(t)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self._bind_target(node.target, self._pos(node))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self._bind_target(node.target, self._pos(node))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        scope.bind(node.target.id, self._pos(node), None)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, self._pos(node))
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, self._pos(node))
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.scope.bind(node.name, self._pos(node), None)
        for stmt in node.body:
            self.visit(stmt)

    def visit_Global(self, node: ast.Global) -> None:
        # (a `global` statement at module level, which Python allows, changes nothing)
        if self.scope.parent is not None:
            self.scope.globals_.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        # Binding in an enclosing function: treat as a non-import binding there.
        scope = self.scope.parent
        while scope is not None and scope.kind != "function":
            scope = scope.parent
        for name in node.names:
            if scope is not None:
                scope.bind(name, self._pos(node), None)

    def visit_MatchAs(self, node: ast.AST) -> None:
        name = getattr(node, "name", None)
        if name:
            self.scope.bind(name, self._pos(node), None)
        self.generic_visit(node)

    visit_MatchStar = visit_MatchAs

    def visit_MatchMapping(self, node: ast.AST) -> None:
        rest = getattr(node, "rest", None)
        if rest:
            self.scope.bind(rest, self._pos(node), None)
        self.generic_visit(node)

    # scopes
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for d in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(d)
        if not isinstance(node, ast.Lambda):
            for dec in node.decorator_list:
                self.visit(dec)
            if node.returns is not None:
                self.visit(node.returns)
            self.scope.bind(node.name, self._pos(node), None)
        outer = self.scope
        self.scope = self._enter(node, "function")
        pos = self._pos(node)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None:
                self.scope.bind(a.arg, (0, 0), None)  # parameters bind before any use
                if a.annotation is not None:
                    self.scope, saved = outer, self.scope
                    self.visit(a.annotation)
                    self.scope = saved
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            self.visit(stmt)
        del pos
        self.scope = outer

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for b in node.bases + [k.value for k in node.keywords] + node.decorator_list:
            self.visit(b)
        outer = self.scope
        self.scope = self._enter(node, "class")
        for stmt in node.body:
            self.visit(stmt)
        self.scope = outer
        self.scope.bind(node.name, self._pos(node), None)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        # The first iterable is evaluated in the enclosing scope.
        self.visit(node.generators[0].iter)
        outer = self.scope
        self.scope = self._enter(node, "comprehension")
        for i, gen in enumerate(node.generators):
            if i:
                self.visit(gen.iter)
            self._bind_target(gen.target, (0, 0))
            for cond in gen.ifs:
                self.visit(cond)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.scope = outer

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension


def _lookup(scope: Scope, name: str, pos: tuple[int, int], own: bool) -> tuple[bool, str | None]:
    """(found, qualified name or None) for ``name`` bound in ``scope``."""
    entries = scope.bindings.get(name)
    if entries:
        if own:
            # the last binding before the use (in a function, a later binding makes the
            # name local everywhere: then the use sees no import)
            idx = bisect.bisect_right(entries, pos, key=lambda e: e[0]) - 1
            if idx >= 0:
                return True, entries[idx][1]
            if scope.kind == "class":  # not bound in the class body yet: the enclosing scopes
                return False, None
            return True, None if scope.kind == "function" else _star(scope, name, pos)
        # from an inner function: the binding in force at call time; take the last one
        # made before the use when there is one, else the first made after it
        idx = bisect.bisect_right(entries, pos, key=lambda e: e[0]) - 1
        return True, entries[max(idx, 0)][1]
    star = _star(scope, name, pos)
    if star is not None:
        return True, star
    return False, None


# names no Keras module exports that a star import could shadow: Python's builtins
_BUILTINS = frozenset(dir(builtins))


# what a star import of a public `keras.applications.<module>` binds (Keras 3's generated
# `keras/applications/<module>/__init__.py`; tests/test_resolve.py checks it against the
# installed Keras): the model builders, then `preprocess_input` / `decode_predictions`
_APPLICATION_EXPORTS = {
    "convnext": ("ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge"),
    "densenet": ("DenseNet121", "DenseNet169", "DenseNet201"),
    "efficientnet": tuple(f"EfficientNetB{i}" for i in range(8)),
    "efficientnet_v2": ("EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
                        "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S"),
    "imagenet_utils": (),
    "inception_resnet_v2": ("InceptionResNetV2",),
    "inception_v3": ("InceptionV3",),
    "mobilenet": ("MobileNet",),
    "mobilenet_v2": ("MobileNetV2",),
    "mobilenet_v3": (),
    "nasnet": ("NASNetLarge", "NASNetMobile"),
    "resnet": ("ResNet50", "ResNet101", "ResNet152"),
    "resnet50": ("ResNet50",),
    "resnet_v2": ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
    "vgg16": ("VGG16",),
    "vgg19": ("VGG19",),
    "xception": ("Xception",),
}


# what a star import of `keras.models` binds (and `keras.layers` does not)
_MODELS_EXPORTS = frozenset({"Model", "Sequential", "Functional", "load_model", "save_model", "clone_model",
                             "model_from_json", "model_from_yaml", "model_from_config"})


# what a star import of `keras.optimizers` / `keras.callbacks` binds, Keras 2 (2.0-2.15) and Keras
# 3 together (old U-Net scripts write `from keras.layers import *` then `from keras.optimizers
# import *` and call `Adam(lr=1e-4)`: Python binds it from the optimizers module, the last star
# import that has it); tests/test_resolve.py checks that each holds the installed Keras's
_STAR_EXPORTS = {
    "optimizers": frozenset({
        "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lamb", "Lion", "LossScaleOptimizer",
        "MultiOptimizer", "Muon", "Nadam", "Optimizer", "OptimizerMap", "RMSprop", "SGD", "ScheduleFreeAdamW",
        "TFOptimizer", "deserialize", "get", "legacy", "schedules", "serialize"}),
    "callbacks": frozenset({
        "BackupAndRestore", "BaseLogger", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
        "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "OrbaxCheckpoint", "ProgbarLogger",
        "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN"}),
    # the data utilities (a cookbook's `from tensorflow.keras.layers import *` then `from
    # tensorflow.keras.preprocessing.image import *` and `load_img(path)`: Python binds it from the
    # image module, the layers module has no such name): Keras 3's, tf.keras 2's and Keras 2.2's
    "preprocessing.image": frozenset({
        "DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "apply_affine_transform",
        "apply_brightness_shift", "apply_channel_shift", "apply_transform", "array_to_img", "flip_axis",
        "img_to_array", "list_pictures", "load_img", "random_brightness", "random_channel_shift", "random_rotation",
        "random_shear", "random_shift", "random_zoom", "save_img", "smart_resize", "transform_matrix_offset_center"}),
    "preprocessing.sequence": frozenset({"TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"}),
    "preprocessing.text": frozenset({"Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence",
                                     "tokenizer_from_json"}),
    "preprocessing": frozenset({"image", "image_dataset_from_directory", "sequence", "text",
                                "text_dataset_from_directory", "timeseries_dataset_from_array"}),
    "utils": frozenset({
        "Config", "CustomObjectScope", "FeatureSpace", "GeneratorEnqueuer", "HDF5Matrix", "OrderedEnqueuer",
        "Progbar", "PyDataset", "Sequence", "SequenceEnqueuer", "SidecarEvaluator", "StepsPerExecutionTuner",
        "TimedThread", "array_to_img", "audio_dataset_from_directory", "bounding_boxes", "clear_session",
        "conv_utils", "custom_object_scope", "data_utils", "deserialize_keras_object", "disable_interactive_logging",
        "enable_interactive_logging", "experimental", "generic_utils", "get_custom_objects", "get_file",
        "get_registered_name", "get_registered_object", "get_source_inputs", "image_dataset_from_directory",
        "img_to_array", "io_utils", "is_interactive_logging_enabled", "is_keras_tensor", "layer_utils", "legacy",
        "load_img", "model_to_dot", "multi_gpu_model", "normalize", "np_utils", "pack_x_y_sample_weight",
        "pad_sequences", "plot_model", "print_summary", "register_keras_serializable", "save_img",
        "serialize_keras_object", "set_random_seed", "split_dataset", "standardize_dtype",
        "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical", "to_ordinal",
        "unpack_x_y_sample_weight", "vis_utils", "warmstart_embedding_matrix"}),
}
# names those modules export that `keras.layers` exports too (tf.keras 2's `layers.experimental`)
_LAYERS_ALSO = frozenset({"experimental"})
# what a star import of `keras.applications` itself binds: its builders and its modules; and
# the names of the applications modules, which `keras.layers` does not export (a recipe's `from
# tensorflow.keras.applications.vgg16 import *` then `from tensorflow.keras.layers import *`:
# `VGG16` and `preprocess_input` are the application's)
_APPLICATIONS_STAR = frozenset(n for names in _APPLICATION_EXPORTS.values() for n in names) | frozenset(
    _APPLICATION_EXPORTS) | {"MobileNetV3Large", "MobileNetV3Small"}  # (its module exports only its helpers)
_APPLICATION_NAMES = _APPLICATIONS_STAR | {"preprocess_input", "decode_predictions"}


def _star_binds(module: str, name: str) -> bool:
    """Whether a star import of ``module`` binds ``name`` as a Keras name this resolver reads:
    a layers module any name but those of the models, optimizers, callbacks, preprocessing and
    utils modules (its exports are not listed here, so an unknown name is taken for Keras's:
    conservative), one of those modules its exports, a public applications module its exports."""
    for root in KERAS_ROOTS:
        if module.startswith(root + "."):
            rest = module[len(root) + 1:]
            if rest == "applications":
                return name in _APPLICATIONS_STAR
            if rest.startswith("applications."):
                exports = _APPLICATION_EXPORTS.get(rest[len("applications."):])
                return exports is not None and (name in exports or name in ("preprocess_input", "decode_predictions"))
            if rest == "models":
                return name in _MODELS_EXPORTS
            if rest in _STAR_EXPORTS:
                return name in _STAR_EXPORTS[rest]
            if rest == "layers":
                return name in _LAYERS_ALSO or (name not in _MODELS_EXPORTS and name not in _APPLICATION_NAMES
                                                and not any(name in e for e in _STAR_EXPORTS.values()))
            break
    return keras_layer_name(f"{module}.{name}") is not None


def _star(scope: Scope, name: str, pos: tuple[int, int]) -> str | None:
    if name in _BUILTINS:  # (`print`, `len`, `range` under `from keras.layers import *`)
        return None
    if name.startswith("_"):  # a star import binds no `_` name of a module without `__all__`
        return None            # (Keras's API modules have none): `__xlate_cell__`, `_private`
    # the last star import before the use that binds the name wins, as in Python
    for spos, module in reversed(scope.star_imports):
        if spos <= pos and _star_binds(module, name):
            return f"{module}.{name}"
    return None


class _Resolver(_FastVisitor):
    """Pass 2: resolve every Name/Attribute chain in a load context."""

    def __init__(self, binder: _Binder, known: set[str]) -> None:
        self.binder = binder
        self.known = known
        self.scope = binder.module
        self.uses: list[Use] = []
        self._call_func: dict[int, ast.Call] = {}

    def resolve(self, parts: list[str], pos: tuple[int, int]) -> str | None:
        scope: Scope | None = self.scope
        own = True
        while scope is not None:
            if scope.kind == "class" and not own:
                scope = scope.parent
                continue
            found, qual = _lookup(scope, parts[0], pos, own)
            if found:
                if qual is None:
                    return None
                return ".".join([qual] + parts[1:])
            scope = scope.parent
            own = False
        return None

    def _check(self, node: ast.expr, parts: list[str]) -> bool:
        """Record ``node`` if it refers to a Keras layer; say whether it did."""
        if parts[-1] not in self.known and parts[-1] not in self.binder.aliases:
            return False
        qual = self.resolve(parts, (node.lineno, node.col_offset))
        if qual is None:
            return False
        layer = keras_layer_name(qual)
        if layer is not None and layer in self.known:
            self.uses.append(Use(node, qual, layer, self._call_func.get(id(node))))
            return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        self._call_func[id(node.func)] = node
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check(node, [node.id])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = dotted(node)
        if parts is not None and isinstance(node.ctx, ast.Load) and self._check(node, parts):
            return
        # ``layers.LSTM.from_config(cfg)``: the layer is a prefix of the chain
        self.generic_visit(node)

    def _with_scope(self, node: ast.AST) -> None:
        scope = self.binder.scope_of.get(id(node))
        if scope is None:
            self.generic_visit(node)
            return
        # decorators, defaults, bases, first iterable: in the enclosing scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            outer_parts = list(node.args.defaults) + [d for d in node.args.kw_defaults if d is not None]
            if not isinstance(node, ast.Lambda):
                outer_parts += node.decorator_list + ([node.returns] if node.returns else [])
            for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs + [node.args.vararg, node.args.kwarg]:
                if a is not None and a.annotation is not None:
                    outer_parts.append(a.annotation)
            inner = node.body if isinstance(node.body, list) else [node.body]
        elif isinstance(node, ast.ClassDef):
            outer_parts = node.bases + [k.value for k in node.keywords] + node.decorator_list
            inner = node.body
        else:  # comprehension
            gens = node.generators  # type: ignore[attr-defined]
            outer_parts = [gens[0].iter]
            inner = [g.target for g in gens] + [g.iter for g in gens[1:]] + [c for g in gens for c in g.ifs]
            inner += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]  # type: ignore[attr-defined, list-item]
        for child in outer_parts:
            self.visit(child)
        saved, self.scope = self.scope, scope
        for child in inner:  # type: ignore[assignment]
            self.visit(child)
        self.scope = saved

    visit_FunctionDef = _with_scope
    visit_AsyncFunctionDef = _with_scope
    visit_Lambda = _with_scope
    visit_ClassDef = _with_scope
    visit_ListComp = _with_scope
    visit_SetComp = _with_scope
    visit_GeneratorExp = _with_scope
    visit_DictComp = _with_scope


def may_name_layer(qual: str) -> bool:
    """Could ``qual``, or ``qual`` followed by more ``.attr`` parts, be a Keras layer path
    (:func:`keras_layer_name` not None)? Exact for what :func:`keras_layer_name` accepts;
    keep the two in step (``tests/test_resolve_prefilter.py`` checks them against each other)."""
    for root in KERAS_ROOTS:
        if root == qual or root.startswith(qual + "."):
            return True  # ``tensorflow`` -> ``tensorflow.keras.layers.Dense``
    for root in KERAS_ROOTS:  # the root every extension of ``qual`` selects
        if qual.startswith(root + "."):
            rest = qual[len(root) + 1 :].split(".")
            return rest[0] == "layers" or (rest[0] == "models" and len(rest) <= 3) or (
                len(rest) == 1 and rest[0] in _TOP_LEVEL
            )
    return False


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def imports_may_reach_keras(tree: ast.Module) -> bool:
    """Does any import in ``tree`` bind a name that can lead to a Keras layer?

    Only imports bind qualified names (every other binding hides a name), so when none can,
    :func:`find_uses` finds nothing and the two scope passes are skipped. This looks at
    statements only (imports are statements; expressions hold none), which is a small
    fraction of the nodes: keras's and TensorFlow's own sources (``from keras.src.ops import
    ...``, ``from tensorflow.python.framework import ...``) are settled here."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls is ast.ImportFrom:
            if not node.level and may_name_layer(node.module or ""):  # type: ignore[attr-defined]
                return True
        elif cls is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                if may_name_layer(alias.name if alias.asname else alias.name.split(".")[0]):
                    return True
        else:
            for name in _BLOCK_FIELDS:
                block = getattr(node, name, None)
                if type(block) is list:
                    stack.extend(block)
    return False


def find_uses(tree: ast.Module, known: set[str]) -> list[Use]:
    """Every reference in ``tree`` to a Keras layer whose name is in ``known``, in order."""
    if not imports_may_reach_keras(tree):
        return []
    binder = _Binder(known)
    binder.visit(tree)
    resolver = _Resolver(binder, known)
    resolver.visit(tree)
    return resolver.uses


def iter_calls(uses: list[Use]) -> Iterator[tuple[Use, ast.Call]]:
    for use in uses:
        if use.call is not None:
            yield use, use.call


# ------------------------------------------------------------------ TensorFlow names
#
# Which TensorFlow API a call names, whatever the import spelling.
#
# Which TensorFlow API a call names, whatever the import spelling.
#
# ``import tensorflow as tf``, ``import tensorflow``, ``from tensorflow import nn`` and
# ``from tensorflow.nn import relu`` all reach the same functions; the matchers ask for one
# canonical spelling (``tf.nn.relu``). Synonyms (``tf.sigmoid``, ``tf.nn.sigmoid``,
# ``tf.math.sigmoid``) map to one name too. Module-level imports only: TensorFlow is imported
# at the top of a file in practice, and a local name that shadows an import is not followed.

_TF_ROOTS = ("tensorflow.compat.v2", "tensorflow")

# canonical name <- other spellings of the same function
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "tf.math.sigmoid": ("tf.sigmoid", "tf.nn.sigmoid"),
    "tf.math.tanh": ("tf.tanh", "tf.nn.tanh"),
    "tf.math.softplus": ("tf.nn.softplus",),
    "tf.nn.softsign": ("tf.math.softsign",),
    "tf.nn.silu": ("tf.nn.swish",),
    "tf.math.exp": ("tf.exp",),
    "tf.math.expm1": ("tf.expm1",),
    "tf.math.log_sigmoid": ("tf.log_sigmoid",),
    "tf.nn.log_softmax": ("tf.math.log_softmax",),
    "tf.nn.softmax": ("tf.math.softmax",),
    "tf.math.add": ("tf.add",),
    "tf.math.add_n": ("tf.add_n",),
    "tf.math.subtract": ("tf.subtract",),
    "tf.math.multiply": ("tf.multiply",),
    "tf.math.maximum": ("tf.maximum",),
    "tf.math.minimum": ("tf.minimum",),
    "tf.math.reduce_mean": ("tf.reduce_mean",),
    "tf.math.reduce_max": ("tf.reduce_max",),
    "tf.math.reduce_min": ("tf.reduce_min",),
    "tf.math.reduce_prod": ("tf.reduce_prod",),
    "tf.math.l2_normalize": ("tf.nn.l2_normalize", "tf.linalg.l2_normalize"),
    "tf.linalg.matmul": ("tf.matmul",),
    "tf.linalg.tensordot": ("tf.tensordot",),
    "tf.clip_by_value": ("tf.clip_by_value",),
    "tf.math.rsqrt": ("tf.math.rsqrt", "tf.rsqrt"),
    "tf.math.square": ("tf.square",),
}
CANONICAL: dict[str, str] = {alias: canon for canon, aliases in _SYNONYMS.items() for alias in aliases}


def canonical(name: str) -> str:
    return CANONICAL.get(name, name)


class ModuleNames:
    """The module-level import bindings of a tree, and what a dotted name refers to.

    - TensorFlow: :meth:`qual` / :meth:`call` give the canonical ``tf.`` name (``tf.nn.relu``)
      for every import spelling and synonym; a module-level assignment to an imported name
      hides it (``tf = something``);
    - Keras: :meth:`qualname` gives the imported path (``keras.src.ops.relu``),
      :meth:`keras_path` the path below any Keras root (``ops.relu``);
    - :meth:`keras_bindings`: the names bound to the ``keras`` package and to ``keras.layers``.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.body = tree.body
        self.alias: dict[str, str] = {}  # local name -> imported dotted path (last import wins)
        self.bound: dict[str, str] = {}  # local name -> 'tf' / 'tf.nn' / 'tf.nn.relu'
        self.rebound: set[str] = set()
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    if a.asname:
                        self.alias[a.asname] = a.name
                    else:
                        root = a.name.split(".")[0]
                        self.alias[root] = root
                    qual = _tf_path(a.name)
                    if qual is None:
                        continue
                    if a.asname:
                        self.bound[a.asname] = qual
                    elif a.name.split(".")[0] == "tensorflow":
                        self.bound["tensorflow"] = "tf"
            elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
                for a in stmt.names:
                    if a.name != "*":
                        self.alias[a.asname or a.name] = f"{stmt.module}.{a.name}"
                base = _tf_path(stmt.module)
                if base is None:
                    continue
                for a in stmt.names:
                    if a.name != "*":
                        self.bound[a.asname or a.name] = f"{base}.{a.name}"
        # a module-level assignment to an imported name (``tf = something``) hides it
        for stmt in tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and n.id in self.bound:
                            self.rebound.add(n.id)
            elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) and stmt.name in self.bound:
                self.rebound.add(stmt.name)
        for name in self.rebound:
            self.bound.pop(name, None)

    # ---------------------------------------------------------------- TensorFlow

    @property
    def tf_alias(self) -> str | None:
        """The name ``tensorflow`` itself is bound to (``tf``), if any."""
        for local, qual in self.bound.items():
            if qual == "tf":
                return local
        return None

    def qual(self, node: ast.AST) -> str | None:
        """Canonical ``tf.`` name of a dotted expression rooted at a TensorFlow import."""
        parts = dotted(node)
        if not parts or parts[0] not in self.bound:
            return None
        return canonical(".".join([self.bound[parts[0]]] + parts[1:]))

    def call(self, node: ast.AST) -> str | None:
        """Canonical name of the TensorFlow function a call calls, or None."""
        if isinstance(node, ast.Call):
            return self.qual(node.func)
        return None

    def is_tf_call(self, node: ast.AST) -> bool:
        return self.call(node) is not None

    # ---------------------------------------------------------------- Keras

    def qualname(self, node: ast.AST) -> str | None:
        """The imported dotted path a dotted expression names (``keras.src.ops.relu``)."""
        parts = dotted(node)
        if not parts or parts[0] not in self.alias:
            return None
        return ".".join([self.alias[parts[0]], *parts[1:]])

    def keras_path(self, node: ast.AST) -> str | None:
        """``optimizers.Adam`` for any spelling of ``keras.optimizers.Adam`` (any Keras root);
        None otherwise."""
        qual = self.qualname(node)
        if qual is None:
            return None
        for root in KERAS_ROOTS:
            if qual.startswith(root + "."):
                return qual[len(root) + 1:]
        return None

    def keras_bindings(self) -> tuple[str | None, str | None, bool]:
        """(name bound to the keras package, name bound to keras.layers, ``layers`` bound to
        something else) at module level."""
        keras = layers = None
        other_layers = False
        for stmt in self.body:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    if a.name in ("keras", "tensorflow.keras", "tf_keras") and (a.asname or a.name == "keras"):
                        keras = a.asname or "keras"
                    elif a.name in ("keras.layers",) and a.asname:
                        layers = a.asname
            elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
                for a in stmt.names:
                    bound = a.asname or a.name
                    if stmt.module == "tensorflow" and a.name == "keras":
                        keras = bound
                    elif stmt.module in ("keras", "tensorflow.keras", "tf_keras") and a.name == "layers":
                        layers = bound
                    elif bound == "layers":
                        other_layers = True
        for stmt in self.body:
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == "layers" and layers is None:
                    other_layers = True
        return keras, layers, other_layers

    def binds_tf_elsewhere(self) -> bool:
        """The name ``tf`` is bound at module level to something other than tensorflow."""
        for stmt in self.body:
            if isinstance(stmt, (ast.Assign, ast.FunctionDef, ast.ClassDef)):
                targets = [stmt.name] if not isinstance(stmt, ast.Assign) else [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                if "tf" in targets:
                    return True
            if isinstance(stmt, ast.ImportFrom):
                if any((a.asname or a.name) == "tf" for a in stmt.names):
                    return True
            if isinstance(stmt, ast.Import):
                if any(a.asname == "tf" and a.name != "tensorflow" for a in stmt.names):
                    return True
        return False


def module_alias(body: list[ast.stmt], module: str = "tensorflow") -> str | None:
    """The name the first module-level ``import <module> [as X]`` binds (``tf``), if any."""
    for stmt in body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.name == module:
                    return a.asname or module
    return None


_KERAS_PACKAGES = ("keras", "tf_keras", "keras_core")


def keras_import_names(stmt: ast.stmt) -> list[str]:
    """The names a top-level Keras import statement binds (``layers``, ``keras``, ...)."""
    if isinstance(stmt, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in stmt.names if a.name.split(".")[0] in _KERAS_PACKAGES]
    if isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
        m = stmt.module
        if m.split(".")[0] in _KERAS_PACKAGES or m.startswith("tensorflow.keras") or (m == "tensorflow" and any(a.name == "keras" for a in stmt.names)):
            cand = [a for a in stmt.names if a.name != "*"]
            if m == "tensorflow":
                cand = [a for a in cand if a.name == "keras"]
            return [a.asname or a.name for a in cand]
    return []


def _tf_path(module: str) -> str | None:
    for root in _TF_ROOTS:
        if module == root:
            return "tf"
        if module.startswith(root + "."):
            rest = module[len(root) + 1 :]
            if rest.startswith(("keras", "compat")):
                return None
            return "tf." + rest
    return None
