"""What keeps a program's training code Keras in the program form: the uses of the Keras
training API that the runtime training layer (``runtime/tfr_training.py`` and its siblings)
cannot reproduce exactly, found statically (the runtime raises on them too; a translation
that raises at run time where Keras trains is worse than none).

Every blocker is reported, not only the first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from kerastf_xlate.args import UNKNOWN, literal
from kerastf_xlate.totf.program.names import Ref
from kerastf_xlate.totf.training import COMPILE_SIG

# optimizer names compile() and keras.optimizers.get() accept that the runtime has
OPTIMIZER_NAMES = {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion", "ftrl", "adafactor"}
LOSS_NAMES = {"mean_squared_error", "mse", "mean_absolute_error", "mae", "mean_absolute_percentage_error", "mape",
              "mean_squared_logarithmic_error", "msle", "huber", "log_cosh", "logcosh", "hinge", "squared_hinge",
              "categorical_hinge", "kl_divergence", "kld", "poisson", "cosine_similarity", "binary_crossentropy",
              "binary_focal_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
              "crossentropy", "ce", "MSE", "MAE", "MAPE", "MSLE", "KLD", "bce", "BCE"}
METRIC_NAMES = {"accuracy", "acc", "crossentropy", "ce", "binary_accuracy", "categorical_accuracy",
                "sparse_categorical_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mse",
                "mean_squared_error", "mae", "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
                "sparse_categorical_crossentropy", "AUC", "auc", "Precision", "precision", "Recall", "recall",
                "RootMeanSquaredError", "MSE", "MAE", "mape", "MAPE", "msle", "MSLE", "bce", "BCE",
                "mean_absolute_percentage_error", "mean_squared_logarithmic_error"}
# metric classes named by a string (``metrics=["TruePositives"]``), as written and in snake case
_METRIC_CLASS_NAMES = ("Mean", "Sum", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
                       "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "RootMeanSquaredError",
                       "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "MeanSquaredError",
                       "MeanAbsoluteError", "BinaryCrossentropy", "CategoricalCrossentropy",
                       "SparseCategoricalCrossentropy")
METRIC_NAMES |= set(_METRIC_CLASS_NAMES) | {"".join("_" + c.lower() if c.isupper() and i and not n[i - 1].isupper()
                                                    else c.lower() for i, c in enumerate(n)) for n in _METRIC_CLASS_NAMES}

# keyword arguments the runtime class does not reproduce: (argument, allowed literal values;
# a type stands for any literal of it)
_OPTIMIZER_ARGS = {"gradient_accumulation_steps": (None, 0, 1)}
_KEYWORDS: dict[str, dict[str, tuple]] = {
    "keras.metrics.AUC": {"curve": ("ROC", "PR"), "summation_method": ("interpolation",), "thresholds": (None,),
                          "multi_label": (False,), "label_weights": (None,), "num_labels": (None,)},
    "keras.metrics.Precision": {"top_k": (None,), "class_id": (None,)},
    "keras.metrics.Recall": {"top_k": (None,), "class_id": (None,)},
    "keras.losses.SparseCategoricalCrossentropy": {"ignore_class": (None,), "axis": (-1,)},
    "keras.callbacks.ModelCheckpoint": {"save_weights_only": (True,), "save_freq": ("epoch", int)},
    # the runtime's TensorBoard writes no weight images or embeddings (it raises when made)
    "keras.callbacks.TensorBoard": {"write_images": (False,), "embeddings_freq": (0,)},
}
_POSITIONAL = {"keras.callbacks.TensorBoard": ["log_dir", "histogram_freq", "write_graph", "write_images",
                                               "write_steps_per_second", "update_freq", "profile_batch", "embeddings_freq"],
               "keras.metrics.Precision": ["thresholds", "top_k", "class_id"],
               "keras.metrics.Recall": ["thresholds", "top_k", "class_id"],
               "keras.callbacks.ModelCheckpoint": ["filepath", "monitor", "verbose", "save_best_only", "save_weights_only"]}
_REQUIRED = {"keras.callbacks.ModelCheckpoint": {"save_weights_only": True}}


# tf.keras 2's legacy optimizers the program form translates (translate.py): the arguments
# whose meaning is Keras 3's, in their positional order (``decay``, ``lr``, clipping: not taken)
_LEGACY_ARGS = {"keras.optimizers.legacy.Adam": ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "name"],
                "keras.optimizers.legacy.SGD": ["learning_rate", "momentum", "nesterov", "name"],
                # TensorFlow Addons' (on OptimizerV2): clipping as OptimizerV2's (tfr_optimizers.py);
                # ``exclude_from_*`` regexes on tf.keras 2 variable names, ``decay``, ``lr``: not taken
                "tensorflow_addons.optimizers.AdamW": ["weight_decay", "learning_rate", "beta_1", "beta_2", "epsilon",
                                                       "amsgrad", "name"],
                "tensorflow_addons.optimizers.SGDW": ["weight_decay", "learning_rate", "momentum", "nesterov", "name"],
                "tensorflow_addons.optimizers.LAMB": ["learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay"]}
_LEGACY_KEYWORDS = {"tensorflow_addons.optimizers.AdamW": ["clipnorm", "clipvalue", "global_clipnorm"],
                    "tensorflow_addons.optimizers.SGDW": ["clipnorm", "clipvalue", "global_clipnorm"],
                    "tensorflow_addons.optimizers.LAMB": ["name", "clipnorm", "clipvalue", "global_clipnorm",
                                                          "weight_decay_rate"]}


def legacy_arguments(name: str) -> tuple[str, ...]:
    """The arguments a translated legacy optimizer's runtime class takes, in positional order."""
    return tuple(_LEGACY_ARGS[name])


def legacy_optimizer_blockers(refs: list[Ref]) -> Iterator[tuple[ast.AST, str, str]]:
    """An argument of a translated tf.keras legacy optimizer that its runtime class does not take."""
    for ref in refs:
        known = _LEGACY_ARGS.get(ref.name)
        if known is None or ref.call is None or ref.role != "call":
            continue
        addons = ref.name.startswith("tensorflow_addons.")
        short = ("tfa.optimizers." if addons else "legacy.") + ref.name.rsplit(".", 1)[1]
        given = [k.arg for k in ref.call.keywords]
        if len(ref.call.args) > len(known) or any(isinstance(a, ast.Starred) for a in ref.call.args) or None in given:
            yield ref.call, "XL304", f"model kept as Keras: `{short}(...)`: arguments the translation cannot read"
            continue
        for k in ref.call.keywords:
            if k.arg not in known and k.arg not in _LEGACY_KEYWORDS.get(ref.name, ()):
                owner = "TensorFlow Addons' optimizer" if addons else "tf.keras's legacy optimizer"
                yield k.value, "XL304", (f"model kept as Keras: `{short}({k.arg}=...)`: {owner} "
                                         "applies it its own way, which the translation does not reproduce")


def _keywords(name: str, call: ast.Call) -> dict[str, ast.expr]:
    out = {k.arg: k.value for k in call.keywords if k.arg is not None}
    for p, a in zip(_POSITIONAL.get(name, []), call.args):
        out.setdefault(p, a)
    return out


def argument_blockers(refs: list[Ref]) -> Iterator[tuple[ast.AST, str, str]]:
    """(node, code, message) for each constructor argument of a training class the runtime
    does not reproduce."""
    for ref in refs:
        call = ref.call
        if call is None or ref.role != "call":
            continue
        name = ref.name
        table = dict(_KEYWORDS.get(name, {}))
        if name.startswith("keras.optimizers.") and name.count(".") == 2 and name[len("keras.optimizers."):][:1].isupper():
            table.update(_OPTIMIZER_ARGS)
        if not table:
            continue
        code = "XL305" if name.startswith("keras.callbacks.") else "XL304"
        given = _keywords(name, call)
        if any(k.arg is None for k in call.keywords):
            yield call, code, f"model kept as Keras: `{name.split('.')[-1]}(**...)`: arguments the translation cannot read"
            continue
        for arg, value in given.items():
            if arg in table:
                v = literal(value)
                allowed = table[arg]
                if v is UNKNOWN or not (v in allowed or any(isinstance(a, type) and isinstance(v, a) for a in allowed)):
                    yield value, code, (f"model kept as Keras: `{name.split('.')[-1]}({arg}={ast.unparse(value)[:40]})` "
                                        "is not reproduced by the TensorFlow training loop")
        for arg, needed in _REQUIRED.get(name, {}).items():
            if arg not in given:
                yield call, code, (f"model kept as Keras: `{name.split('.')[-1]}` without `{arg}={needed}` saves a "
                                   "Keras model file")


def model_compile_calls(tree: ast.Module) -> Iterator[ast.Call]:
    """The ``x.compile(...)`` calls of the file, not a module's ``compile``
    (``re.compile(pattern, re.UNICODE)``)."""
    modules = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "compile" \
                and not (isinstance(n.func.value, ast.Name) and n.func.value.id in modules):
            yield n


def string_blockers(tree: ast.Module, training_attrs: set[str]) -> Iterator[tuple[ast.AST, str, str]]:
    """Optimizer, loss and metric names given to ``compile`` that the runtime does not know
    (:func:`model_compile_calls`)."""
    for n in model_compile_calls(tree):
        kw = {k.arg: k.value for k in n.keywords if k.arg}
        for p, a in zip(COMPILE_SIG, n.args):
            kw.setdefault(p, a)
        checks = (("optimizer", lambda s: s.lower() in OPTIMIZER_NAMES), ("loss", lambda s: s in LOSS_NAMES),
                  ("metrics", _known_metric), ("weighted_metrics", _known_metric))
        for arg, known in checks:
            value = kw.get(arg)
            if value is None:
                continue
            for s in _names_given(value):
                if not known(s.value):
                    yield s, "XL304", f"model kept as Keras: `{arg}={s.value!r}` has no TensorFlow translation"


def _known_metric(name: object) -> bool:
    """A metric name ``compile`` takes that the runtime has (``"Accuracy"`` is Keras's "accuracy":
    compile picks its kind from the shapes, whatever the case)."""
    return isinstance(name, str) and (name in METRIC_NAMES or name.lower() in ("accuracy", "acc"))


def _names_given(value: ast.expr) -> Iterator[ast.Constant]:
    """The strings of a compile argument: the value, or the entries of its lists, tuples and
    dict values (not dict keys, which are output names, nor the arguments of calls)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value
    elif isinstance(value, (ast.List, ast.Tuple)):
        for e in value.elts:
            yield from _names_given(e)
    elif isinstance(value, ast.Dict):
        for e in value.values:
            yield from _names_given(e)


# the tf.distribute names the runtime training loop is shown equal to Keras's under
# (tests/test_conformance_distributed.py): strategies mirroring the variables over the devices of
# one host (MultiWorkerMirroredStrategy tested with one worker), and asking which strategy is on
PROGRAM_STRATEGIES = {"MirroredStrategy", "OneDeviceStrategy", "MultiWorkerMirroredStrategy", "get_strategy",
                      "has_strategy", "get_replica_context", "in_cross_replica_context", "ReduceOp"}


def distribution_blockers(tree: ast.Module, refs: list[Ref]) -> Iterator[tuple[ast.AST, str, str]]:
    """A distribution (``keras.distribution``) or a ``tf.distribute`` strategy the runtime's loop
    is not shown equal under (TPU, parameter-server, central storage...)."""
    for ref in refs:
        if ref.name.startswith("keras.distribution"):
            yield ref.node, "XL307", f"model kept as Keras: `{ref.name}` (a distribution) in the file"
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr == "distribute" and isinstance(n.value, ast.Name) \
                and n.value.id in ("tf", "tensorflow"):
            parent = next((p for p in ast.walk(tree) if isinstance(p, ast.Attribute) and p.value is n), None)
            if parent is not None and parent.attr in PROGRAM_STRATEGIES:
                continue
            what = f"`{ast.unparse(parent)}`" if parent is not None else "`tf.distribute`"
            yield n, "XL307", f"model kept as Keras: a distribution strategy ({what}) in the file: the translated " \
                              "training loop runs under MirroredStrategy, OneDeviceStrategy and " \
                              "MultiWorkerMirroredStrategy only"
        elif isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("tensorflow.distribute"):
            yield n, "XL307", "model kept as Keras: a distribution strategy imported from `tensorflow.distribute`"
    if any(isinstance(n, ast.Attribute) and n.attr in ("MirroredStrategy", "MultiWorkerMirroredStrategy")
           for n in ast.walk(tree)):
        for ref in refs:
            if ref.name == "keras.optimizers.LossScaleOptimizer":
                yield ref.node, "XL307", "model kept as Keras: `LossScaleOptimizer` under a distribution strategy " \
                                         "(the translated one runs on one device)"


def weights_file_blockers(tree: ast.Module) -> Iterator[tuple[ast.AST, str, str]]:
    """``load_weights`` calls the runtime's ``Model.load_weights`` does not read: it reads its
    own TensorFlow checkpoints and Keras's ``.weights.h5``, ``.keras`` and legacy ``.h5``
    files (with ``skip_mismatch`` and ``by_name``), not sharded ``.weights.json`` files nor
    ``objects_to_skip``; ``**kwargs`` could hold anything."""
    for n in ast.walk(tree):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "load_weights"):
            continue
        path = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg == "filepath"), None)
        if isinstance(path, ast.Constant) and isinstance(path.value, str) and path.value.endswith(".weights.json"):
            yield n, "XL306", (f"model kept as Keras: `load_weights({path.value[:40]!r})` reads sharded Keras weights "
                               "(`.weights.json`), which the translated model does not read")
        for k in n.keywords:
            if k.arg is None or k.arg == "objects_to_skip":
                what = "**" + ast.unparse(k.value)[:30] if k.arg is None else "objects_to_skip=..."
                yield n, "XL306", f"model kept as Keras: `load_weights({what})` is not translated"


def training_blockers(tree: ast.Module, refs: list[Ref], training: bool = True) -> list[tuple[ast.AST, str, str]]:
    """Every use of the training API in the file the runtime training layer does not reproduce."""
    out = list(weights_file_blockers(tree))
    if training:
        out += [*argument_blockers(refs), *string_blockers(tree, set()), *distribution_blockers(tree, refs),
                *legacy_optimizer_blockers(refs)]
    return out
