"""Which input a model takes, read from its code before anything is fed to it.

``xlate verify`` needs a test input for models that declare none. Guessing shapes by
trial is dangerous: TensorFlow checks some ranks only in C++ (``tf.nn.conv2d`` on a
rank-2 tensor aborts the process under oneDNN instead of raising), so the rank must come
from the code. :func:`guess_input` follows the forward method's input parameter (``__call__``
of a ``tf.Module``, ``call`` of a Keras layer) through the statements, in evaluation
order, to the first operation whose expected input rank is known: ``tf.nn.conv1d/2d/3d``,
pooling, ``tf.matmul`` / ``@``, ``tf.reshape`` to a fixed size, an embedding lookup, a
Keras layer, or a sub-module (analysed the same way). Element-wise operations (``relu``,
``x / 255.0``, ``tf.cast``, dropout, ...) keep the rank and are followed through. Weights
are read from the live object (``self.kernel.shape``), so the channel count is exact too.

Only for use in the process that executes the user's code (it looks at live objects); it
never calls the model.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

# op name (the last two dotted parts, or the last one) -> input rank with the batch axis,
# and which weight axis gives the input's channel count
_CONV = {
    "conv1d": (3, -2), "conv2d": (4, -2), "conv3d": (5, -2), "depthwise_conv2d": (4, -2),
    "separable_conv2d": (4, -2), "atrous_conv2d": (4, -2), "conv1d_transpose": (3, -1),
    "conv2d_transpose": (4, -1), "conv3d_transpose": (5, -1), "atrous_conv2d_transpose": (4, -1),
    "depthwise_conv2d_native": (4, -2), "dilation2d": (4, -1),
}
_POOL = {
    "max_pool1d": 3, "avg_pool1d": 3, "max_pool2d": 4, "avg_pool2d": 4, "max_pool3d": 5, "avg_pool3d": 5,
    "max_pool": 4, "avg_pool": 4, "space_to_depth": 4, "depth_to_space": 4, "local_response_normalization": 4,
    "lrn": 4, "resize": 4, "resize_images": 4, "crop_to_bounding_box": 4, "pad_to_bounding_box": 4,
    "max_pool_with_argmax": 4, "fractional_max_pool": 4, "fractional_avg_pool": 4,
}
# element-wise (rank-keeping) functions whose first argument is the tensor
_ELEMENTWISE = {
    "relu", "relu6", "elu", "selu", "gelu", "silu", "swish", "sigmoid", "tanh", "softplus", "softsign",
    "leaky_relu", "crelu", "exp", "log", "log1p", "sqrt", "rsqrt", "square", "abs", "negative", "sign",
    "cast", "identity", "convert_to_tensor", "dropout", "clip_by_value", "stop_gradient", "floor", "ceil",
    "round", "add", "subtract", "multiply", "divide", "truediv", "maximum", "minimum", "pow", "erf",
    "bias_add", "batch_normalization", "l2_normalize", "softmax", "log_softmax", "nan_to_num", "ensure_shape",
}
# Keras layers by class name -> input rank with the batch axis (channels are free: Keras
# builds its weights from the first input)
_KERAS_RANK = {
    **{n: 3 for n in ("Conv1D", "Conv1DTranspose", "SeparableConv1D", "DepthwiseConv1D", "MaxPooling1D",
                      "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "LSTM", "GRU", "SimpleRNN",
                      "RNN", "Bidirectional", "Cropping1D", "UpSampling1D", "ZeroPadding1D", "MultiHeadAttention",
                      "Conv1DLSTM", "TimeDistributed")},
    **{n: 4 for n in ("Conv2D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D",
                      "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Cropping2D",
                      "UpSampling2D", "ZeroPadding2D", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip",
                      "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness",
                      "SpatialDropout2D", "ConvLSTM1D")},
    **{n: 5 for n in ("Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D",
                      "GlobalAveragePooling3D", "Cropping3D", "UpSampling3D", "ZeroPadding3D", "SpatialDropout3D",
                      "ConvLSTM2D")},
    "Dense": 2, "EinsumDense": 2,
}
_KERAS_TRANSPARENT = {
    "Dropout", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Rescaling", "BatchNormalization",
    "LayerNormalization", "GroupNormalization", "UnitNormalization", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "ActivityRegularization", "Identity", "InputLayer", "Normalization", "Masking",
}
SPATIAL_SIZES = (28, 32, 16, 8, 64, 24, 12, 7, 4, 224, 96, 128, 48, 14, 56, 10, 20, 40, 5, 6, 9, 11, 13, 15)
MAX_CANDIDATES = 40


@dataclass(frozen=True)
class InputGuess:
    """What the code says about one input (no batch axis anywhere)."""

    rank: int | None = None  # number of axes without the batch axis
    last: int | None = None  # the last axis (channels / features)
    size: int | None = None  # the number of elements, when the input is reshaped to a fixed size
    shape: tuple[int, ...] | None = None  # the whole shape, when the code states it
    dtype: str = "float32"
    high: int = 10  # integer inputs draw from [0, high)
    why: str = ""  # where it was read, for messages

    def candidates(self) -> list[tuple[int, ...]]:
        """Shapes to try, best first; all of the rank the code shows, when it shows one."""
        if self.shape is not None:
            return [self.shape]
        out: list[tuple[int, ...]] = []
        if self.size is not None:
            out.append((self.size,))
            side = math.isqrt(self.size)
            if side * side == self.size and self.rank in (None, 2):
                out.append((side, side))
            return [s for s in out if self.rank is None or len(s) == self.rank]
        if self.rank is None:
            return []
        if self.rank == 0:
            return [()]
        if self.dtype.startswith("int"):
            return [(n,) * self.rank for n in (8, 16, 4)]
        lasts = [self.last] if self.last is not None else [3, 1, 8, 16]
        if self.rank == 1:
            return [(c,) for c in lasts] if self.last is not None else [(c,) for c in (16, 8, 32, 784, 4, 3, 1)]
        for n in SPATIAL_SIZES:
            for c in lasts:
                out.append((n,) * (self.rank - 1) + (c,))
        return out[:MAX_CANDIDATES]


class _Found(Exception):
    def __init__(self, guess: InputGuess) -> None:
        super().__init__()
        self.guess = guess


def guess_input(obj: Any, source: str = "", depth: int = 0) -> InputGuess | None:
    """What ``obj``'s forward pass shows about its (first) input; None when nothing."""
    try:
        return _Analyser(source).for_object(obj, depth)
    except RecursionError:  # pragma: no cover - absurdly nested models
        return None


class _Analyser:
    def __init__(self, source: str) -> None:
        self.classes: dict[str, ast.ClassDef] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        try:
            tree = ast.parse(source) if source else ast.Module(body=[], type_ignores=[])
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            tree = ast.Module(body=[], type_ignores=[])
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node

    # -------------------------------------------------------------- objects

    def for_object(self, obj: Any, depth: int = 0) -> InputGuess | None:
        if depth > 12:
            return None
        signature = _input_signature(obj)
        if signature is not None:
            return signature
        keras = _keras_guess(obj)
        if keras is not None:
            if isinstance(keras, str):  # "sequential": the first layer tells
                return self._sequence(list(getattr(obj, "layers", [])), depth)
            return keras
        method = self._forward(obj)
        if method is None:
            return None
        fn, globals_ = method
        params = [a.arg for a in fn.args.args]
        if len(params) < 2:
            return None
        return self._function(fn, {params[1]}, obj, globals_, depth, f"{type(obj).__name__}.{fn.name}")

    def _sequence(self, layers: list[Any], depth: int) -> InputGuess | None:
        for layer in layers:
            if type(layer).__name__ in _KERAS_TRANSPARENT:
                continue
            return self.for_object(layer, depth + 1)
        return None

    def _forward(self, obj: Any) -> tuple[ast.FunctionDef, dict[str, Any]] | None:
        """The AST of ``call`` (Keras) or ``__call__`` and the globals it runs with."""
        for cls in type(obj).__mro__:
            for name in ("call", "__call__"):
                if name not in vars(cls):
                    continue
                if cls.__module__.split(".")[0] in ("keras", "tensorflow", "tf_keras", "builtins"):
                    return None  # library code: described by the tables, not read
                fn = self._method_ast(cls, name)
                func = getattr(vars(cls)[name], "python_function", vars(cls)[name])  # tf.function
                globals_ = getattr(func, "__globals__", {})
                return (fn, globals_) if fn is not None else None
        return None

    def _method_ast(self, cls: type, name: str) -> ast.FunctionDef | None:
        node = self.classes.get(cls.__name__)
        if node is None:
            try:
                node = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]  # type: ignore[assignment]
            except (OSError, TypeError, SyntaxError, IndexError):
                return None
        for stmt in node.body if isinstance(node, ast.ClassDef) else []:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                return stmt  # type: ignore[return-value]
        return None

    # -------------------------------------------------------------- functions

    def _function(self, fn: ast.FunctionDef, names: set[str], obj: Any, globals_: dict[str, Any], depth: int,
                  where: str) -> InputGuess | None:
        walker = _Walker(self, set(names), obj, globals_, depth, where)
        try:
            walker.block(fn.body)
        except _Found as found:
            return found.guess
        return walker.partial()


class _Walker:
    """Follows the input through one function body, in evaluation order."""

    def __init__(self, analyser: _Analyser, aliases: set[str], obj: Any, globals_: dict[str, Any], depth: int,
                 where: str) -> None:
        self.a = analyser
        self.aliases = aliases
        self.obj = obj
        self.globals = globals_
        self.depth = depth
        self.where = where
        self.last: int | None = None  # seen on the way (bias_add, x + self.b)
        self.loop_items: dict[str, Any] = {}  # for-loop target -> the first item iterated

    def partial(self) -> InputGuess | None:
        return InputGuess(last=self.last, why=self.where) if self.last is not None else None

    def found(self, guess: InputGuess) -> None:
        if guess.last is None and self.last is not None and guess.shape is None:
            guess = replace(guess, last=self.last)
        raise _Found(guess)

    # statements
    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = stmt.value
            carries = self.expr(value) if value is not None else False
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id in self.aliases:
                carries = True
            for t in targets:
                if isinstance(t, ast.Name):
                    (self.aliases.add if carries else self.aliases.discard)(t.id)
        elif isinstance(stmt, (ast.Return, ast.Expr)):
            if stmt.value is not None:
                self.expr(stmt.value)
        elif isinstance(stmt, ast.If):
            self.expr(stmt.test)
            self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.expr(stmt.iter)
            if isinstance(stmt.target, ast.Name):
                items = self.value(stmt.iter)
                try:
                    first = next(iter(items)) if items is not None and not isinstance(items, (str, bytes)) else None
                except (TypeError, StopIteration, Exception):
                    first = None
                if first is not None:
                    self.loop_items[stmt.target.id] = first
            self.block(stmt.body)
        elif isinstance(stmt, (ast.While,)):
            self.expr(stmt.test)
            self.block(stmt.body)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.expr(item.context_expr)
            self.block(stmt.body)
        elif isinstance(stmt, ast.Try):
            self.block(stmt.body)

    # expressions: True when the value carries the input (same rank)
    def expr(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.aliases
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp):
            left, right = self.expr(node.left), self.expr(node.right)
            if isinstance(node.op, ast.MatMult) and left:
                self.matmul(node.right)
            if left or right:
                other = node.right if left else node.left
                last = _last_axis(self.value(other))
                if last is not None and last > 1:
                    self.last = last
            return left or right
        if isinstance(node, ast.UnaryOp):
            return self.expr(node.operand)
        if isinstance(node, ast.IfExp):
            self.expr(node.test)
            return self.expr(node.body) | self.expr(node.orelse)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
        return False

    def call(self, node: ast.Call) -> bool:
        func_carries = self.expr(node.func) if not isinstance(node.func, ast.Name) else False
        flags = [self.expr(a) for a in node.args]
        kwflags = {k.arg: self.expr(k.value) for k in node.keywords}
        if not any(flags) and not any(kwflags.values()) and not func_carries:
            return False
        dotted = _dotted(node.func)
        op = dotted.split(".")[-1] if dotted else ""
        first = bool(flags and flags[0]) or kwflags.get("input", False) or kwflags.get("x", False) \
            or kwflags.get("value", False)
        if func_carries and isinstance(node.func, ast.Attribute):  # x.reshape(...), x.numpy()
            return node.func.attr in ("__call__",)
        if op in _CONV and first:
            rank, axis = _CONV[op]
            weight = self.value(node.args[1]) if len(node.args) > 1 else \
                self.value(next((k.value for k in node.keywords if k.arg in ("filters", "filter", "depthwise_filter")),
                                ast.Constant(None)))
            shape = _shape_of(weight)
            last = shape[axis] if shape and len(shape) >= -axis else None
            self.found(InputGuess(rank=rank - 1, last=last, why=f"{dotted} in {self.where}"))
        if op == "convolution" and first:
            shape = _shape_of(self.value(node.args[1])) if len(node.args) > 1 else None
            if shape:
                self.found(InputGuess(rank=len(shape) - 1, last=shape[-2], why=f"{dotted} in {self.where}"))
        if op in _POOL and first:
            self.found(InputGuess(rank=_POOL[op] - 1, why=f"{dotted} in {self.where}"))
        if op in ("matmul", "tensordot") and first:
            self.matmul(node.args[1] if len(node.args) > 1 else None)
        if op in ("embedding_lookup", "gather") and len(flags) > 1 and flags[1] and not flags[0]:
            vocab = _shape_of(self.value(node.args[0]))
            self.found(InputGuess(rank=1, dtype="int32", high=vocab[0] if vocab else 10, why=f"{dotted} in {self.where}"))
        if op in ("one_hot",) and first:
            depth = self.value(node.args[1]) if len(node.args) > 1 else None
            self.found(InputGuess(rank=1, dtype="int32", high=depth if isinstance(depth, int) else 10,
                                  why=f"{dotted} in {self.where}"))
        if op == "reshape" and first and len(node.args) > 1:
            self.reshape(node.args[1], dotted)
        if op == "expand_dims" and first:
            return False  # the rank changes: what follows says nothing about the input's rank
        if op in _ELEMENTWISE and first:
            if op == "bias_add" and len(node.args) > 1:
                last = _last_axis(self.value(node.args[1]))
                self.last = last if last is not None else self.last
            return True
        # a sub-module, a Keras layer, a helper method or function applied to the input
        if isinstance(node.func, (ast.Attribute, ast.Name, ast.Subscript)) and first:
            target = self.callee(node.func)
            if _is_model_like(target) and type(target).__name__ in _KERAS_TRANSPARENT:
                return True  # Dropout, Rescaling, BatchNormalization, ...: the same rank
            if target is not None:
                self.sub(target, node)
        return False

    def callee(self, func: ast.expr) -> Any:
        if isinstance(func, ast.Name) and func.id in self.loop_items:
            return self.loop_items[func.id]
        if isinstance(func, ast.Name) and func.id in self.a.functions:
            return self.a.functions[func.id]
        return self.value(func)

    def sub(self, target: Any, node: ast.Call) -> None:
        if isinstance(target, ast.FunctionDef):  # a module-level helper defined in the file
            params = [a.arg for a in target.args.args]
            guess = self.a._function(target, {params[0]} if params else set(), self.obj, self.globals,
                                     self.depth + 1, f"{target.name}()") if params else None
        elif inspect.ismethod(target) and target.__self__ is self.obj:  # self.helper(x)
            fn = self.a._method_ast(type(self.obj), target.__name__)
            params = [a.arg for a in fn.args.args] if fn is not None else []
            guess = self.a._function(fn, {params[1]}, self.obj, self.globals, self.depth + 1,
                                     f"{type(self.obj).__name__}.{target.__name__}") if fn is not None and len(params) > 1 else None
        elif _is_model_like(target):
            guess = self.a.for_object(target, self.depth + 1)
        else:
            return
        if guess is not None and (guess.rank is not None or guess.shape is not None or guess.size is not None):
            self.found(guess)

    def matmul(self, weight_node: ast.expr | None) -> None:
        shape = _shape_of(self.value(weight_node)) if weight_node is not None else None
        rank = 1 if not shape or len(shape) <= 2 else len(shape) - 1
        last = shape[-2] if shape and len(shape) >= 2 else None
        self.found(InputGuess(rank=rank, last=last, why=f"matmul in {self.where}"))

    def reshape(self, shape_node: ast.expr, dotted: str) -> None:
        dims = self.value(shape_node)
        try:
            dims = [int(d) for d in dims]
        except (TypeError, ValueError):
            return
        if dims and dims[0] in (-1,) and all(d > 0 for d in dims[1:]):
            self.found(InputGuess(size=math.prod(dims[1:]), why=f"{dotted} in {self.where}"))

    # values: what a (simple) expression is in the live object / module globals
    def value(self, node: ast.expr | None) -> Any:
        try:
            return _evaluate(node, self.obj, self.globals, self.loop_items)
        except Exception:
            return None


_NOTHING = object()


def _evaluate(node: ast.expr | None, obj: Any, globals_: dict[str, Any], local: dict[str, Any]) -> Any:
    """Constants, names of the module, ``self.a.b[0]``, arithmetic, lists: never calls anything."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id == "self":
            return obj
        if node.id in local:
            return local[node.id]
        value = globals_.get(node.id, _NOTHING)
        return None if value is _NOTHING else value
    if isinstance(node, ast.Attribute):
        base = _evaluate(node.value, obj, globals_, local)
        if base is None or inspect.ismodule(base):
            return None
        # only plain instance attributes: a property could run user code
        if node.attr in getattr(base, "__dict__", {}):
            return base.__dict__[node.attr]
        bound = getattr(type(base), node.attr, None)
        if callable(bound) and not isinstance(bound, property):
            return getattr(base, node.attr)
        if node.attr == "shape" and hasattr(base, "shape"):
            return base.shape
        return None
    if isinstance(node, ast.Subscript):
        base = _evaluate(node.value, obj, globals_, local)
        index = _evaluate(node.slice, obj, globals_, local)
        if isinstance(base, (list, tuple)) and isinstance(index, int):
            return base[index]
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(e, obj, globals_, local) for e in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.Sub, ast.FloorDiv)):
        left = _evaluate(node.left, obj, globals_, local)
        right = _evaluate(node.right, obj, globals_, local)
        if isinstance(left, int) and isinstance(right, int):
            return {ast.Mult: lambda: left * right, ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                    ast.FloorDiv: lambda: left // right if right else None}[type(node.op)]()
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _evaluate(node.operand, obj, globals_, local)
        return -v if isinstance(v, int) else None
    return None


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _shape_of(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        dims = tuple(shape)
        return tuple(int(d) for d in dims) if all(d is not None for d in dims) else None
    except (TypeError, ValueError):
        return None


def _last_axis(value: Any) -> int | None:
    shape = _shape_of(value)
    return shape[-1] if shape else None


def _is_model_like(value: Any) -> bool:
    names = {c.__name__ for c in type(value).__mro__}
    return bool(names & {"Module", "Layer", "Operation", "Model"})


def _input_signature(obj: Any) -> InputGuess | None:
    """A ``@tf.function(input_signature=[...])`` on ``__call__`` states the input exactly."""
    fn = type(obj).__call__ if callable(obj) else None
    spec = getattr(fn, "input_signature", None)
    if not spec:
        return None
    first = spec[0]
    dims = _shape_list(getattr(first, "shape", None))
    if dims is None or not dims:
        return None
    shape = tuple(3 if d is None else d for d in dims[1:])
    dtype = getattr(getattr(first, "dtype", None), "name", "float32") or "float32"
    return InputGuess(rank=len(shape), shape=shape, dtype=dtype, why="the input_signature of __call__")


def _shape_list(shape: Any) -> list[int | None] | None:
    if shape is None:
        return None
    try:
        return [None if d is None else int(d) for d in (shape.as_list() if hasattr(shape, "as_list") else shape)]
    except (TypeError, ValueError):
        return None


def _keras_guess(obj: Any) -> InputGuess | str | None:
    """A Keras object: its declared inputs, what it was built with, or its class's rank."""
    mro = [c.__name__ for c in type(obj).__mro__]
    if "Layer" not in mro and "Operation" not in mro:
        return None
    declared = _declared_inputs(obj)
    if declared is not None:
        return declared
    library = type(obj).__module__.split(".")[0] in ("keras", "tf_keras", "tensorflow")
    if library and type(obj).__name__ == "Sequential":
        return "sequential"
    if not library:
        return None  # a user's layer: read its call()
    name = type(obj).__name__
    if name == "Embedding":
        return InputGuess(rank=1, dtype="int32", high=int(getattr(obj, "input_dim", 10) or 10), why="Embedding")
    if name in _KERAS_RANK:
        return InputGuess(rank=_KERAS_RANK[name] - 1, last=_spec_last(obj), why=name)
    if name == "Flatten":
        return InputGuess(rank=2, why="Flatten")
    spec = getattr(obj, "input_spec", None)
    spec = spec[0] if isinstance(spec, (list, tuple)) and spec else spec
    ndim = getattr(spec, "ndim", None) or getattr(spec, "min_ndim", None)
    if isinstance(ndim, int) and ndim >= 2:
        return InputGuess(rank=ndim - 1, last=_spec_last(obj), why=f"{name}.input_spec")
    return None


def _spec_last(layer: Any) -> int | None:
    spec = getattr(layer, "input_spec", None)
    spec = spec[0] if isinstance(spec, (list, tuple)) and spec else spec
    axes = getattr(spec, "axes", None) or {}
    last = axes.get(-1) if isinstance(axes, dict) else None
    return last if isinstance(last, int) else None


def _declared_inputs(model: Any) -> InputGuess | None:
    """``model.inputs`` (functional, Sequential with an Input) or the shape it was built with."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    except Exception:
        inputs = None
    if inputs:
        dims = _shape_list(getattr(inputs[0], "shape", None))
        if dims:
            shape = tuple(3 if d is None else d for d in dims[1:])
            dtype = str(getattr(inputs[0], "dtype", "float32"))
            return InputGuess(rank=len(shape), shape=shape, dtype="int32" if "int" in dtype else "float32",
                              why="the model's inputs")
    built = getattr(model, "_build_shapes_dict", None) or {}
    shapes = [v for v in built.values() if isinstance(v, (tuple, list))] if isinstance(built, dict) else []
    if len(shapes) == 1 and shapes[0] and all(isinstance(d, int) or d is None for d in shapes[0]):
        shape = tuple(3 if d is None else d for d in shapes[0][1:])
        return InputGuess(rank=len(shape), shape=shape, why="the shape it was built with")
    return None


def iter_candidates(guess: InputGuess | None, fallback: list[tuple[int, ...]]) -> Iterator[tuple[int, ...]]:
    """The shapes to probe: the guess's; the fallback only where the code shows no rank,
    and then only shapes of the guessed rank when one is known."""
    seen: set[tuple[int, ...]] = set()
    shapes = guess.candidates() if guess is not None else []
    if guess is None or (guess.rank is None and guess.shape is None and guess.size is None):
        shapes = shapes + fallback
        if guess is not None and guess.last is not None:
            shapes = [s for s in shapes if s and s[-1] == guess.last] or shapes
    for s in shapes:
        if s not in seen:
            seen.add(s)
            yield s
