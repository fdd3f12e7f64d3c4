"""Read ``compile(...)`` arguments: optimizers, losses and metrics, and what replaces them.

Every function here either returns the TensorFlow expression (as source text, calling the
helpers of :mod:`.runtime`) or raises :class:`TrainingBlocked` saying why the value cannot be
reproduced exactly.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.static import UNKNOWN, literal
from kerastf_xlate.totf.common import Blocked, source_of


class TrainingBlocked(Blocked):
    """The model stays Keras because of its training code; ``code`` is the diagnostic."""

    def __init__(self, message: str, node: ast.AST | None = None, code: str = "XL304") -> None:
        super().__init__(message, node)
        self.code = code


# --------------------------------------------------------------------------------------
# names


def assignments(tree: ast.AST, name: str) -> list[ast.Assign]:
    """Every ``name = ...`` statement (plain single-target assignments) in the tree."""
    return [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]


def binds(tree: ast.AST, name: str) -> list[ast.AST]:
    """Every node that binds ``name`` (assignment targets, loop targets, parameters, imports...)."""
    out: list[ast.AST] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.append(n)
        elif isinstance(n, ast.arg) and n.arg == name:
            out.append(n)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name:
            out.append(n)
        elif isinstance(n, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name.split(".")[0]) == name for a in n.names):
            out.append(n)
    return out


def is_number(node: ast.AST, tree: ast.AST, depth: int = 0) -> bool:
    """A number the reader can see: a literal, arithmetic of numbers, or a name that is only
    ever bound to such an expression (``LEARNING_RATE = 1e-3``)."""
    if depth > 8:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return is_number(node.operand, tree, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv)):
        return is_number(node.left, tree, depth + 1) and is_number(node.right, tree, depth + 1)
    if isinstance(node, ast.Name):
        bound = binds(tree, node.id)
        assigns = assignments(tree, node.id)
        return bool(assigns) and len(bound) == len(assigns) and all(
            len(a.targets) == 1 and is_number(a.value, tree, depth + 1) for a in assigns)
    return False


def quote(text: str) -> str:
    """A string literal in double quotes (the style of most Keras scripts)."""
    body = repr(text)[1:-1]
    if '"' in body or "\\'" in body:
        return repr(text)
    return f'"{body}"'


def literal_value(node: ast.AST | None) -> object:
    """The literal value of an argument (None when it is absent), or UNKNOWN."""
    return None if node is None else literal(node)


@dataclass
class Args:
    """A call's arguments bound to a signature: name -> node (positional ones named)."""

    nodes: dict[str, ast.expr] = field(default_factory=dict)
    positional: int = 0  # how many were given positionally


def bind_args(call: ast.Call, signature: list[str], what: str) -> Args:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise TrainingBlocked(f"`{what}(*args/**kwargs)` cannot be read statically", call)
    if len(call.args) > len(signature):
        raise TrainingBlocked(f"`{what}` is given more positional arguments than Keras accepts", call)
    out = Args(positional=len(call.args))
    for name, node in zip(signature, call.args):
        out.nodes[name] = node
    for kw in call.keywords:
        assert kw.arg is not None
        if kw.arg not in signature:
            raise TrainingBlocked(f"`{what}` has no argument `{kw.arg}` the translator knows", kw.value)
        out.nodes[kw.arg] = kw.value
    return out


# --------------------------------------------------------------------------------------
# optimizers

_OPT_COMMON = ["weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
               "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps", "name"]
OPTIMIZERS: dict[str, tuple[str, list[str], dict[str, str]]] = {
    # Keras class -> (helper, signature, defaults that differ from the helper's)
    "SGD": ("_sgd", ["learning_rate", "momentum", "nesterov", *_OPT_COMMON], {}),
    "Adam": ("_adam", ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", *_OPT_COMMON], {}),
    "AdamW": ("_adam", ["learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad",
                        *[a for a in _OPT_COMMON if a != "weight_decay"]], {"weight_decay": "0.004"}),
    "RMSprop": ("_rmsprop", ["learning_rate", "rho", "momentum", "epsilon", "centered", *_OPT_COMMON], {}),
}
_OPT_BOOL = {"nesterov", "amsgrad", "centered"}
_OPT_OFF = {"use_ema": False, "ema_momentum": None, "ema_overwrite_frequency": None, "loss_scale_factor": None,
            "gradient_accumulation_steps": None}  # (ema_momentum only matters with use_ema)
_OPT_OPTIONAL = {"weight_decay", "clipnorm", "clipvalue", "global_clipnorm"}


def optimizer_class(node: ast.AST, names: ModuleNames) -> str | None:
    """``Adam`` for ``keras.optimizers.Adam`` / ``tf.keras.optimizers.Adam`` / imported ``Adam``."""
    path = names.keras_path(node)
    if path is None:
        return None
    parts = path.split(".")
    if parts[0] == "optimizers" and len(parts) == 2:
        return parts[1]
    return None


def optimizer_expr(node: ast.expr, names: ModuleNames, tree: ast.AST, lines: list[str]) -> str:
    """The ``_adam(...)``-style expression replacing an optimizer argument (a string or a
    constructor call)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        key = {k.lower(): k for k in OPTIMIZERS}.get(node.value.lower())
        if key is None:
            raise TrainingBlocked(f"optimizer {node.value!r} is not translated (SGD, Adam, AdamW and RMSprop are)", node)
        helper, _, defaults = OPTIMIZERS[key]
        return f"{helper}({', '.join(f'{k}={v}' for k, v in defaults.items())})"
    if isinstance(node, ast.Call):
        cls = optimizer_class(node.func, names)
        if cls is None:
            raise TrainingBlocked(f"optimizer `{ast.unparse(node.func)}` is not a Keras optimizer the translator knows", node)
        if cls not in OPTIMIZERS:
            raise TrainingBlocked(f"optimizer `{cls}` is not translated (SGD, Adam, AdamW and RMSprop are)", node)
        helper, signature, defaults = OPTIMIZERS[cls]
        args = bind_args(node, signature, cls)
        out = dict(defaults)
        for name, value in args.nodes.items():
            if name == "name":
                continue
            if name in _OPT_OFF:
                if name != "ema_momentum" and literal_value(value) != _OPT_OFF[name]:
                    raise TrainingBlocked(f"`{cls}({name}=...)` is not translated", value)
                continue
            if name in _OPT_BOOL:
                v = literal_value(value)
                if not isinstance(v, bool):
                    raise TrainingBlocked(f"`{cls}({name}=...)` must be True or False for the translation", value)
                out[name] = repr(v)
                continue
            if name in _OPT_OPTIONAL and isinstance(value, ast.Constant) and value.value is None:
                out[name] = "None"
                continue
            if not is_number(value, tree):
                what = "a learning-rate schedule or a value" if name == "learning_rate" else "a value"
                raise TrainingBlocked(f"`{cls}({name}={source_of(lines, value)})` is {what} the translator cannot "
                                      "see as a number; only numbers are translated", value)
            out[name] = source_of(lines, value)
        if cls == "SGD" and "momentum" in out and _looks_int(args.nodes.get("momentum")):
            raise TrainingBlocked("`SGD(momentum=...)` must be a float (Keras rejects an int)", args.nodes["momentum"])
        return f"{helper}({', '.join(f'{k}={v}' for k, v in out.items())})"
    raise TrainingBlocked(f"optimizer `{ast.unparse(node)[:40]}` cannot be read statically", node)


def _looks_int(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


# --------------------------------------------------------------------------------------
# losses

LOSSES: dict[str, tuple[str, list[str]]] = {
    # Keras class / function -> (helper, signature of the class constructor)
    "CategoricalCrossentropy": ("_categorical_crossentropy", ["from_logits", "label_smoothing", "axis", "reduction", "name", "dtype"]),
    "SparseCategoricalCrossentropy": ("_sparse_categorical_crossentropy", ["from_logits", "ignore_class", "reduction", "axis", "name", "dtype"]),
    "BinaryCrossentropy": ("_binary_crossentropy", ["from_logits", "label_smoothing", "axis", "reduction", "name", "dtype"]),
    "MeanSquaredError": ("_mean_squared_error", ["reduction", "name", "dtype"]),
    "MeanAbsoluteError": ("_mean_absolute_error", ["reduction", "name", "dtype"]),
}
LOSS_FUNCTIONS = {
    "categorical_crossentropy": "_categorical_crossentropy",
    "sparse_categorical_crossentropy": "_sparse_categorical_crossentropy",
    "binary_crossentropy": "_binary_crossentropy",
    "mean_squared_error": "_mean_squared_error",
    "mean_absolute_error": "_mean_absolute_error",
}
LOSS_STRINGS = {
    **LOSS_FUNCTIONS,
    **{cls: helper for cls, (helper, _) in LOSSES.items()},
    "mse": "_mean_squared_error", "MSE": "_mean_squared_error",
    "mae": "_mean_absolute_error", "MAE": "_mean_absolute_error",
    "bce": "_binary_crossentropy", "BCE": "_binary_crossentropy",
    "crossentropy": "_crossentropy", "ce": "_crossentropy", "CE": "_crossentropy", "Crossentropy": "_crossentropy",
}
_REDUCTIONS = {"sum_over_batch_size", "sum", "mean", None, "none"}
_SUPPORTED_LOSSES = "categorical, sparse categorical and binary crossentropy, mean squared and mean absolute error"


@dataclass
class Expr:
    """A replacement expression and the runtime helpers it calls."""

    code: str
    helpers: set[str]


def loss_expr(node: ast.expr, names: ModuleNames, lines: list[str]) -> Expr:
    """The loss function replacing ``compile(loss=...)``: a helper, or a lambda that fixes
    the helper's keyword arguments."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        helper = LOSS_STRINGS.get(node.value)
        if helper is None:
            raise TrainingBlocked(f"loss {node.value!r} is not translated ({_SUPPORTED_LOSSES} are)", node)
        return Expr(helper, {helper})
    if isinstance(node, ast.Call):
        path = names.keras_path(node.func)
        cls = path.split(".")[1] if path and path.startswith("losses.") and path.count(".") == 1 else None
        if cls is None:
            raise TrainingBlocked(f"loss `{ast.unparse(node.func)}` is not a Keras loss the translator knows", node)
        if cls not in LOSSES:
            raise TrainingBlocked(f"loss `{cls}` is not translated ({_SUPPORTED_LOSSES} are)", node)
        helper, signature = LOSSES[cls]
        args = bind_args(node, signature, cls)
        kwargs: dict[str, str] = {}
        for name, value in args.nodes.items():
            v = literal_value(value)
            if name in ("name", "dtype"):
                if name == "dtype" and v not in (None, "float32"):
                    raise TrainingBlocked(f"`{cls}(dtype=...)` is not translated", value)
                continue
            if name == "axis":
                if v != -1:
                    raise TrainingBlocked(f"`{cls}(axis=...)` other than -1 is not translated", value)
                continue
            if name == "ignore_class":
                if v is not None:
                    raise TrainingBlocked(f"`{cls}(ignore_class=...)` is not translated", value)
                continue
            if name == "reduction":
                if v is UNKNOWN or v not in _REDUCTIONS:
                    raise TrainingBlocked(f"`{cls}(reduction=...)` must be one of Keras's reduction strings", value)
                if v in ("sum_over_batch_size", "mean"):
                    continue
                if v in (None, "none"):
                    raise TrainingBlocked(f"`{cls}(reduction=None)` gives a loss per sample; a training loss must be a scalar", value)
                kwargs[name] = quote(v)
                continue
            if name == "from_logits":
                if not isinstance(v, bool):
                    raise TrainingBlocked(f"`{cls}(from_logits=...)` must be True or False for the translation", value)
                if v:
                    kwargs[name] = "True"
                continue
            if name == "label_smoothing":
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    raise TrainingBlocked(f"`{cls}(label_smoothing=...)` must be a number for the translation", value)
                if v:
                    kwargs[name] = source_of(lines, value)
                continue
        if not kwargs:
            return Expr(helper, {helper})
        fixed = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return Expr(f"lambda y_true, y_pred: {helper}(y_true, y_pred, {fixed})", {helper})
    path = names.keras_path(node)
    if path and path.startswith("losses.") and path.count(".") == 1:
        fn = path.split(".")[1]
        if fn in LOSS_FUNCTIONS:
            return Expr(LOSS_FUNCTIONS[fn], {LOSS_FUNCTIONS[fn]})
        if fn in LOSSES:  # the class itself: Keras instantiates it with its defaults
            helper = LOSSES[fn][0]
            return Expr(helper, {helper})
        raise TrainingBlocked(f"loss `{fn}` is not translated ({_SUPPORTED_LOSSES} are)", node)
    raise TrainingBlocked(f"loss `{ast.unparse(node)[:40]}` is not a Keras loss the translator knows (a custom loss function stays Keras)", node)


# --------------------------------------------------------------------------------------
# metrics

METRIC_STRINGS = {
    "accuracy": "_accuracy", "acc": "_accuracy",
    "binary_accuracy": "_binary_accuracy", "BinaryAccuracy": "_binary_accuracy",
    "categorical_accuracy": "_categorical_accuracy", "CategoricalAccuracy": "_categorical_accuracy",
    "sparse_categorical_accuracy": "_sparse_categorical_accuracy", "SparseCategoricalAccuracy": "_sparse_categorical_accuracy",
    "top_k_categorical_accuracy": "_top_k_categorical_accuracy", "TopKCategoricalAccuracy": "_top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy": "_sparse_top_k_categorical_accuracy",
    "SparseTopKCategoricalAccuracy": "_sparse_top_k_categorical_accuracy",
    "mae": "_mean_absolute_error_metric", "MAE": "_mean_absolute_error_metric",
    "mean_absolute_error": "_mean_absolute_error_metric", "MeanAbsoluteError": "_mean_absolute_error_metric",
    "mse": "_mean_squared_error_metric", "MSE": "_mean_squared_error_metric",
    "mean_squared_error": "_mean_squared_error_metric", "MeanSquaredError": "_mean_squared_error_metric",
}
METRIC_CLASSES: dict[str, tuple[str, str, list[str]]] = {
    # class -> (helper, default name, constructor signature)
    "BinaryAccuracy": ("_binary_accuracy", "binary_accuracy", ["name", "dtype", "threshold"]),
    "CategoricalAccuracy": ("_categorical_accuracy", "categorical_accuracy", ["name", "dtype"]),
    "SparseCategoricalAccuracy": ("_sparse_categorical_accuracy", "sparse_categorical_accuracy", ["name", "dtype"]),
    "TopKCategoricalAccuracy": ("_top_k_categorical_accuracy", "top_k_categorical_accuracy", ["k", "name", "dtype"]),
    "SparseTopKCategoricalAccuracy": ("_sparse_top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", ["k", "name", "dtype", "from_sorted_ids"]),
    "MeanAbsoluteError": ("_mean_absolute_error_metric", "mean_absolute_error", ["name", "dtype"]),
    "MeanSquaredError": ("_mean_squared_error_metric", "mean_squared_error", ["name", "dtype"]),
}
_AUC_SIG = ["num_thresholds", "curve", "summation_method", "name", "dtype", "thresholds", "multi_label", "num_labels",
            "label_weights", "from_logits"]
METRIC_FUNCTIONS = {
    "binary_accuracy": "_binary_accuracy", "categorical_accuracy": "_categorical_accuracy",
    "sparse_categorical_accuracy": "_sparse_categorical_accuracy",
    "top_k_categorical_accuracy": "_top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy": "_sparse_top_k_categorical_accuracy",
    "mean_absolute_error": "_mean_absolute_error_metric", "mean_squared_error": "_mean_squared_error_metric",
}
_SUPPORTED_METRICS = "accuracy variants, top-k accuracy, mean absolute and mean squared error, AUC"


def _auc_entry(node: ast.expr) -> tuple[str, Expr]:
    """keras.metrics.AUC(...) with the default ROC curve and interpolation."""
    name = "auc"
    kwargs: dict[str, str] = {}
    if isinstance(node, ast.Call):
        args = bind_args(node, _AUC_SIG, "AUC")
        for arg, value in args.nodes.items():
            v = literal_value(value)
            ok = {"curve": ("ROC",), "summation_method": ("interpolation",), "dtype": (None, "float32"), "thresholds": (None,),
                  "multi_label": (False,), "num_labels": (None,), "label_weights": (None,)}
            if arg in ok:
                if v not in ok[arg]:
                    raise TrainingBlocked(f"`AUC({arg}=...)` is not translated (the ROC curve with interpolation is)", value)
            elif arg == "name":
                if not isinstance(v, str):
                    raise TrainingBlocked("`AUC(name=...)` must be a string literal for the translation", value)
                name = v
            elif arg == "num_thresholds":
                if not isinstance(v, int) or isinstance(v, bool) or v < 2:
                    raise TrainingBlocked("`AUC(num_thresholds=...)` must be an integer literal above 1", value)
                if v != 200:
                    kwargs[arg] = repr(v)
            elif arg == "from_logits":
                if not isinstance(v, bool):
                    raise TrainingBlocked("`AUC(from_logits=...)` must be True or False for the translation", value)
                if v:
                    kwargs[arg] = "True"
    return name, Expr(f"_auc({', '.join(f'{k}={v}' for k, v in kwargs.items())})", {"_auc"})


def metric_entry(node: ast.expr, names: ModuleNames, lines: list[str]) -> tuple[str, Expr]:
    """(Keras's name for the metric, its per-sample function) for one ``metrics=[...]`` item."""
    if isinstance(node, ast.Constant) and node.value in ("AUC", "auc"):
        return node.value, _auc_entry(node)[1]
    target = node.func if isinstance(node, ast.Call) else node
    path = names.keras_path(target) or ""
    if path == "metrics.AUC":
        return _auc_entry(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        helper = METRIC_STRINGS.get(node.value)
        if helper is None:
            raise TrainingBlocked(f"metric {node.value!r} is not translated ({_SUPPORTED_METRICS} are)", node)
        return node.value, Expr(helper, {helper})
    if isinstance(node, ast.Call):
        path = names.keras_path(node.func)  # type: ignore[assignment]
        cls = path.split(".")[1] if path and path.startswith("metrics.") and path.count(".") == 1 else None
        if cls is None or cls not in METRIC_CLASSES:
            raise TrainingBlocked(f"metric `{ast.unparse(node.func)}` is not translated ({_SUPPORTED_METRICS} are)", node)
        helper, name, signature = METRIC_CLASSES[cls]
        args = bind_args(node, signature, cls)
        kwargs: dict[str, str] = {}
        for arg, value in args.nodes.items():
            v = literal_value(value)
            if arg == "name":
                if not isinstance(v, str):
                    raise TrainingBlocked(f"`{cls}(name=...)` must be a string literal for the translation", value)
                name = v
            elif arg == "dtype":
                if v not in (None, "float32"):
                    raise TrainingBlocked(f"`{cls}(dtype=...)` is not translated", value)
            elif arg == "from_sorted_ids":
                if v is not False:
                    raise TrainingBlocked(f"`{cls}(from_sorted_ids=...)` is not translated", value)
            elif arg in ("k", "threshold"):
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    raise TrainingBlocked(f"`{cls}({arg}=...)` must be a number literal for the translation", value)
                kwargs[arg] = repr(v)
        if kwargs:
            fixed = ", ".join(f"{k}={v}" for k, v in kwargs.items())
            return name, Expr(f"lambda y_true, y_pred: {helper}(y_true, y_pred, {fixed})", {helper})
        return name, Expr(helper, {helper})
    path = names.keras_path(node)  # type: ignore[assignment]
    if path and path.startswith("metrics.") and path.count(".") == 1:
        fn = path.split(".")[1]
        if fn in METRIC_FUNCTIONS:
            return fn, Expr(METRIC_FUNCTIONS[fn], {METRIC_FUNCTIONS[fn]})
        if fn in METRIC_CLASSES:  # the class itself: Keras instantiates it with its defaults
            helper, name, _ = METRIC_CLASSES[fn]
            return name, Expr(helper, {helper})
    raise TrainingBlocked(f"metric `{ast.unparse(node)[:40]}` is not translated ({_SUPPORTED_METRICS} are)", node)


def metrics_expr(node: ast.expr | None, names: ModuleNames, lines: list[str]) -> Expr:
    """The ``{name: function}`` dict replacing ``compile(metrics=[...])``."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return Expr("{}", set())
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [metric_entry(el, names, lines) for el in node.elts]
    elif isinstance(node, ast.Dict):
        raise TrainingBlocked("metrics given per output (a dict) are not translated", node)
    else:
        items = [metric_entry(node, names, lines)]
    helpers: set[str] = set()
    parts = []
    seen: set[str] = set()
    for name, expr in items:
        if name in seen:
            raise TrainingBlocked(f"two metrics named {name!r}", node)
        seen.add(name)
        parts.append(f"{quote(name)}: {expr.code}")
        helpers |= expr.helpers
    return Expr("{" + ", ".join(parts) + "}", helpers)
