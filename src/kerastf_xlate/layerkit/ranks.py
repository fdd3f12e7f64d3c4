"""What the code shows about a tensor's rank (and, where it is written down, its sizes).

A recogniser whose layer has a fixed input rank (``GlobalMaxPooling1D`` takes rank 3,
``Reshape`` keeps the batch axis) may only fire on hand-written code when the input is known
to have that rank: ``tf.reduce_max(q, axis=1)`` on a rank-2 ``q`` is not a pooling layer.
This module follows a function body statement by statement and records, for every name read
(by the id of its ``ast.Name`` node), the static shape it holds there: ``None`` for each size
the code does not show, and no entry at all when even the rank is unknown.

What gives a rank: ``keras.Input(shape=...)``, a Keras layer of fixed rank
(``Conv2D``, ``MaxPooling1D``, ``Flatten``, ``Reshape``, ...) applied directly or through an
attribute created in ``__init__``, ``tf.nn`` convolutions and poolings, ``tf.reshape`` to a
literal shape, ``tf.stack`` / ``tf.expand_dims`` / ``tf.transpose(perm=)`` of a known rank,
and ops that keep the rank of their input (activations, ``bias_add``, ``dropout``, arithmetic
with a number, ``tf.matmul`` of two known ranks). Nothing is guessed: a name bound to
different ranks on two paths has none.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.syntax import const, kwarg

TShape = tuple[int | None, ...]

_KEEP = {
    "tf.nn.relu", "tf.nn.relu6", "tf.nn.elu", "tf.nn.selu", "tf.nn.gelu", "tf.nn.silu", "tf.nn.swish",
    "tf.nn.leaky_relu", "tf.nn.softplus", "tf.nn.softsign", "tf.math.sigmoid", "tf.nn.sigmoid", "tf.math.tanh",
    "tf.nn.tanh", "tf.nn.softmax", "tf.nn.log_softmax", "tf.nn.bias_add", "tf.nn.dropout", "tf.math.exp",
    "tf.math.square", "tf.math.sqrt", "tf.math.abs", "tf.identity", "tf.cast", "tf.math.add", "tf.math.subtract",
    "tf.math.multiply", "tf.math.maximum", "tf.math.minimum", "tf.nn.l2_normalize", "tf.math.l2_normalize",
    "tf.stop_gradient",
}
_FIXED = {"tf.nn.conv1d": 3, "tf.nn.conv2d": 4, "tf.nn.conv3d": 5, "tf.nn.max_pool1d": 3, "tf.nn.max_pool2d": 4,
          "tf.nn.max_pool3d": 5, "tf.nn.avg_pool1d": 3, "tf.nn.avg_pool2d": 4, "tf.nn.avg_pool3d": 5,
          "tf.nn.depthwise_conv2d": 4, "tf.nn.separable_conv2d": 4, "tf.nn.conv2d_transpose": 4,
          "tf.nn.conv1d_transpose": 3, "tf.nn.conv3d_transpose": 5, "tf.nn.local_response_normalization": 4,
          "tf.nn.lrn": 4}
_KERAS_KEEP = {"Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "Dropout", "BatchNormalization",
               "LayerNormalization", "GaussianNoise", "GaussianDropout", "Identity", "UnitNormalization",
               "EinsumDense"}
_RANKED = re.compile(r"^(Conv|MaxPooling|AveragePooling|UpSampling|ZeroPadding|Cropping|SpatialDropout|"
                     r"DepthwiseConv|SeparableConv|LocallyConnected)([123])D(Transpose)?$")
_GLOBAL = re.compile(r"^Global(Max|Average)Pooling([123])D$")


class RankInfo:
    """Static shapes of the names read in one function body."""

    def __init__(self, names: ModuleNames, self_name: str | None = None,
                 layer_class: Callable[[ast.Call], str | None] | None = None,
                 init_layers: dict[str, ast.Call] | None = None,
                 layer_shape: Callable[[str, ast.Call, TShape], TShape | None] | None = None,
                 var_shapes: dict[str, TShape] | None = None) -> None:
        self.names = names
        self.var_shapes = var_shapes or {}  # self.<attr> -> the variable's static shape
        self.layer_shape = layer_shape or (lambda cls, create, x: None)
        self.self_name = self_name
        self.layer_class = layer_class or (lambda c: None)
        self.init_layers = init_layers or {}
        self.at: dict[int, TShape] = {}  # id(ast.Name load) -> shape

    # ------------------------------------------------------------------ statements

    def run(self, stmts: list[ast.stmt], env: dict[str, TShape] | None = None) -> dict[str, TShape]:
        env = dict(env or {})
        for stmt in stmts:
            self._stmt(stmt, env)
        return env

    def _note_loads(self, node: ast.AST, env: dict[str, TShape]) -> None:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in env:
                self.at[id(n)] = env[n.id]

    def _stmt(self, stmt: ast.stmt, env: dict[str, TShape]) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for n in ast.walk(stmt):  # a nested scope may rebind anything it closes over
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    env.pop(n.id, None)
            env.pop(stmt.name, None)
            return
        if isinstance(stmt, ast.Assign):
            self._note_loads(stmt.value, env)
            shape = self.shape(stmt.value)
            for t in stmt.targets:
                self._bind(t, shape, env)
            return
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self._note_loads(stmt.value, env)
            self._bind(stmt.target, self.shape(stmt.value) if stmt.value is not None else None, env)
            return
        if isinstance(stmt, ast.AugAssign):
            self._note_loads(stmt, env)
            self._bind(stmt.target, None, env)
            return
        bodies = [getattr(stmt, f) for f in ("body", "orelse", "finalbody") if isinstance(getattr(stmt, f, None), list)]
        bodies += [h.body for h in getattr(stmt, "handlers", []) or []]
        bodies += [c.body for c in getattr(stmt, "cases", []) or []]
        if not bodies:
            self._note_loads(stmt, env)
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                    env.pop(n.id, None)
            return
        for f in ("test", "iter", "subject"):
            head = getattr(stmt, f, None)
            if isinstance(head, ast.AST):
                self._note_loads(head, env)
        for item in getattr(stmt, "items", []) or []:
            self._note_loads(item, env)
        loop = isinstance(stmt, (ast.For, ast.AsyncFor, ast.While))
        stored = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
        start = {k: v for k, v in env.items() if not (loop and k in stored)}  # a loop's body may see its own writes
        outs = [self.run(b, start) for b in bodies]
        if not isinstance(stmt, ast.If) or not stmt.orelse:
            outs.append(start)  # the body may not run (or may raise before the end)
        for name in stored | set(env):
            vals = {o.get(name) for o in outs}
            if len(vals) == 1 and None not in vals:
                env[name] = vals.pop()  # type: ignore[assignment]
            else:
                env.pop(name, None)

    def _bind(self, target: ast.AST, shape: TShape | None, env: dict[str, TShape]) -> None:
        if isinstance(target, ast.Name) and shape is not None:
            env[target.id] = shape
            return
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                env.pop(n.id, None)

    # ------------------------------------------------------------------ expressions

    def shape(self, node: ast.AST | None) -> TShape | None:
        """The static shape of an expression, or None when its rank is unknown."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return self.at.get(id(node))
        if isinstance(node, ast.BinOp):
            left, right = self.shape(node.left), self.shape(node.right)
            if isinstance(node.op, ast.MatMult):
                return _matmul(left, right)
            if _number(node.left):
                return right
            if _number(node.right):
                return left
            if left is not None and right is not None and len(left) == len(right):
                return tuple(a if a == b else None for a, b in zip(left, right, strict=True))
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self.shape(node.operand)
        if not isinstance(node, ast.Call):
            return None
        q = self.names.call(node)
        if q is not None and not q.startswith("tf.keras."):
            return self._tf_call(node, q)
        return self._keras_call(node)

    def _tf_call(self, node: ast.Call, q: str) -> TShape | None:
        first = node.args[0] if node.args else None
        if q in ("tf.nn.max_pool", "tf.nn.avg_pool"):
            ks = const(kwarg(node, "ksize", 1))
            if isinstance(ks, (list, tuple)) and len(ks) in (3, 4, 5):
                q = f"{q}{len(ks) - 2}d"
        if q in _FIXED:
            return self._window(node, q) or (None,) * _FIXED[q]
        if q in _KEEP:
            return self.shape(first)
        if q == "tf.linalg.matmul" and len(node.args) == 2 and not node.keywords:
            return _matmul(self.shape(node.args[0]), self.shape(node.args[1]))
        if q == "tf.reshape":
            target = const(kwarg(node, "shape", 1))
            if isinstance(target, (list, tuple)) and all(isinstance(d, int) and not isinstance(d, bool) for d in target):
                return tuple(None if d == -1 else d for d in target)
            shp = kwarg(node, "shape", 1)
            if isinstance(shp, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in shp.elts):
                return tuple(d if isinstance(d := const(e), int) and not isinstance(d, bool) and d >= 0 else None
                             for e in shp.elts)
            return None
        if q in ("tf.expand_dims", "tf.stack"):
            inner = self.shape(first) if q == "tf.expand_dims" else _common([self.shape(e) for e in getattr(first, "elts", [])] or [None])
            return None if inner is None else (None,) * (len(inner) + 1)
        if q == "tf.transpose":
            perm = const(kwarg(node, "perm", 1))
            inner = self.shape(first)
            if isinstance(perm, (list, tuple)) and inner is not None and len(perm) == len(inner):
                return tuple(inner[p] if isinstance(p, int) and 0 <= p < len(inner) else None for p in perm)
            return None
        if q == "tf.concat":
            vals = kwarg(node, "values", 0)
            if isinstance(vals, (ast.List, ast.Tuple)) and vals.elts:
                got = _common([self.shape(e) for e in vals.elts])
                return None if got is None else (None,) * len(got)
        return None

    def _window(self, node: ast.Call, q: str) -> TShape | None:
        """The sizes after ``tf.nn.conv*d`` (a kernel variable of known shape) or
        ``tf.nn.max_pool*`` / ``avg_pool*``: literal strides and padding, channels last, no
        dilation."""
        rank = _FIXED[q]
        conv = q in ("tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d")
        pool = "_pool" in q
        if not (conv or pool) or any(k.arg in ("dilations", "data_format") for k in node.keywords):
            return None
        names = ["input", "filters" if conv else "ksize", "strides", "padding"]
        args = {n: a for n, a in zip(names, node.args, strict=False)}
        args.update({k.arg: k.value for k in node.keywords if k.arg})
        x = self.shape(args.get("input"))
        if x is None or len(x) != rank:
            return None
        padding = const(args.get("padding"))
        if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
            return None
        strides = _spatial(const(args.get("strides")), rank - 2)
        window: tuple[int | None, ...] | None
        if conv:
            attr = args.get("filters")
            kernel = (self.var_shapes.get(attr.attr) if isinstance(attr, ast.Attribute) and isinstance(attr.value, ast.Name)
                      and attr.value.id == self.self_name else None)
            if kernel is None or len(kernel) != rank:
                return None
            window, channels = kernel[: rank - 2], kernel[-1]
        else:
            window, channels = _spatial(const(args.get("ksize")), rank - 2), x[-1]
        if strides is None or window is None or any(w is None for w in window):
            return None
        sizes: list[int | None] = []
        for n, k, st in zip(x[1:-1], window, strides, strict=True):
            if n is None or k is None:
                sizes.append(None)
            elif padding.upper() == "SAME":
                sizes.append(-(-n // st))
            else:
                sizes.append(-(-(n - k + 1) // st))
        return (x[0], *sizes, channels)

    def _keras_call(self, node: ast.Call) -> TShape | None:
        """``self.conv(x)`` / ``layers.Conv2D(...)(x)`` / ``keras.Input(shape=...)``."""
        if isinstance(node.func, ast.Call):
            cls, create = self.layer_class(node.func), node.func
        elif (self.self_name is not None and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
              and node.func.value.id == self.self_name and node.func.attr in self.init_layers):
            create = self.init_layers[node.func.attr]
            cls = self.layer_class(create)
        else:
            create = node
            cls = self.layer_class(node)
            if cls == "Input":
                shp = const(kwarg(node, "shape", 0))
                dtype = kwarg(node, "dtype", 3)
                if dtype is not None and "float" not in ast.unparse(dtype):
                    return None
                if isinstance(shp, tuple) and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shp):
                    return (None,) + shp
            return None
        if cls is None or len(node.args) != 1:
            return None
        if cls.startswith("@"):  # a class of this file whose call returns a known rank
            return self.layer_shape(cls, create, ())
        inner = self.shape(node.args[0])
        if inner is not None:
            try:
                full = self.layer_shape(cls, create, inner)
            except Exception:  # a layer family that cannot tell (Unbuildable, odd arguments)
                full = None
            if full is not None:
                return tuple(d if isinstance(d, int) and not isinstance(d, bool) else None for d in full)
        got = _RANKED.match(cls)
        if got is not None:
            return (None,) * (int(got.group(2)) + 2)
        got = _GLOBAL.match(cls)
        if got is not None:
            keep = const(kwarg(create, "keepdims")) is True
            return (None,) * (int(got.group(2)) + 2 if keep else 2)
        if cls == "Flatten":
            return (None, None)
        if cls == "Reshape":
            target = const(kwarg(create, "target_shape", 0))
            if isinstance(target, tuple) and all(isinstance(d, int) for d in target):
                return (None,) + tuple(None if d == -1 else d for d in target)
            return None
        if cls in _KERAS_KEEP and cls != "EinsumDense":
            if inner is None:
                return None
            return (None,) * len(inner) if cls == "Dense" else inner
        return None


def keras_layer_class(names: ModuleNames, known: set[str]) -> Callable[[ast.Call], str | None]:
    """``call -> 'Conv2D'`` for a call of a Keras layer class (any import spelling), else None."""

    def layer_class(call: ast.Call) -> str | None:
        if not isinstance(call, ast.Call):
            return None
        path = names.keras_path(call.func)
        if path is None:
            return None
        last = path.rsplit(".", 1)[-1]
        if last == "Input" and path in ("Input", "layers.Input"):
            return last
        if path.startswith("layers.") and last in known:
            return last
        return None

    return layer_class


def _spatial(value: object, k: int) -> tuple[int, ...] | None:
    """TF strides / ksize (an int, k ints, or k + 2 with 1s around) -> k ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * k
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        if len(value) == k:
            return tuple(value)
        if len(value) == k + 2 and value[0] == 1 and value[-1] == 1:
            return tuple(value[1:-1])
        if len(value) == 1:
            return (value[0],) * k
    return None


def _number(node: ast.AST) -> bool:
    v = const(node)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _matmul(a: TShape | None, b: TShape | None) -> TShape | None:
    if a is None or b is None or len(a) < 2 or len(b) < 2:
        return None
    return (None,) * max(len(a), len(b))


def _common(shapes: list[TShape | None]) -> TShape | None:
    if not shapes or any(s is None for s in shapes):
        return None
    ranks = {len(s) for s in shapes if s is not None}
    return shapes[0] if len(ranks) == 1 else None


def rank(node: ast.AST | None, info: RankInfo | None) -> int | None:
    """The rank of an expression, or None when the code does not show it."""
    if info is None or node is None:
        return None
    got = info.shape(node)
    return None if got is None else len(got)
