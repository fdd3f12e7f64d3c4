"""What a to-keras recogniser is written with.

A :class:`Var` is one ``tf.Variable`` a module creates (its shape, initial value and flags).
A :class:`Match` is one layer application found in the code: the Keras layer (a
:class:`LayerSpec`: class and constructor arguments), the variables it uses as weights (by
Keras weight name), its input expressions, and the statements it absorbed. A recogniser
(``kerastf_xlate.layers``) reads an expression with a :class:`MatchCtx` (what is known about
the code around it) and the argument readers below (strides, padding, data formats,
initializers), and returns a :class:`Match` or None.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.initializers import VARIANCE_SCALING_NAMES, init_expr
from kerastf_xlate.layerkit.named import file_constants, named_tuple, spread_name
from kerastf_xlate.layerkit.ranks import RankInfo, rank
from kerastf_xlate.layerkit.shapes import Fact
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.rules import RuleSet
from kerastf_xlate.static import UNKNOWN, Unsupported, is_int, literal
from kerastf_xlate.syntax import SourceText, const, kwarg, self_attr


@dataclass(frozen=True)
class VarDim:
    """One dimension of a variable's shape: its value when constant, and its source."""

    value: int | None
    src: str
    from_input: bool = False  # ``x.shape[-1]``: known only when the layer is first called


@dataclass(eq=False)
class Var:
    """A ``self.<attr> = tf.Variable(...)`` of a module."""

    attr: str
    stmt: ast.stmt  # creation statement in __init__ (or the ``= None`` placeholder of a lazy one)
    call: ast.Call | None  # the tf.Variable(...) call
    init: ast.expr | None  # its initial value
    shape: tuple[VarDim, ...] | None
    trainable: bool | None = True  # None: given as a value not known statically
    tf_name: str | None = None  # name='dense/kernel'
    lazy: ast.stmt | None = None  # ``if self.attr is None: self.attr = tf.Variable(...)``
    initializer: str | None = None  # the Keras initializer, as source, when known without ``init`` (``add_weight``)
    # ``add_weight``'s regularizer/constraint, as source: (("regularizer", "self.kernel_regularizer"), ...)
    extras: tuple[tuple[str, str], ...] = ()
    dtype: str = "float32"  # "float64": a tf.float64 / tf.double variable (a layer with dtype="float64")

    @property
    def prefix(self) -> str | None:
        """'dense' from name='dense/kernel' (the to-tf convention)."""
        if self.tf_name and "/" in self.tf_name:
            return self.tf_name.rsplit("/", 1)[0]
        return None


@dataclass
class LayerSpec:
    """A Keras layer constructor: class name and argument sources (in signature order)."""

    cls: str
    args: dict[str, str] = field(default_factory=dict)
    weights: dict[str, Var] = field(default_factory=dict)  # Keras weight name -> variable
    raw: str | None = None  # a Keras layer constructor kept as written (to-tf kept the layer)
    # (variable attr, "regularizer"/"constraint") that an argument of this layer carries (init_arg)
    placed: set[tuple[str, str]] = field(default_factory=set)

    def key(self) -> tuple[Any, ...]:
        return (self.cls, tuple(self.args.items()), self.raw)

    def render(self, rules: RuleSet, prefix: str = "layers.", name: str | None = None) -> str:
        """``layers.Dense(10, activation='relu')``: required arguments positional, the others
        as keywords, and arguments equal to the Keras default left out."""
        if self.raw is not None:
            if name is None or "name=" in self.raw:
                return self.raw
            return self.raw[:-1].rstrip() + (", " if not self.raw[:-1].rstrip().endswith("(") else "") + f"name={name!r})"
        rule = rules.get(self.cls)
        parts: list[str] = []
        positional = True
        order = [a.name for a in rule.args] if rule else list(self.args)
        for arg in order + [a for a in self.args if a not in order]:
            if arg not in self.args:
                spec = rule.arg(arg) if rule else None
                if spec is None or spec.default is None:
                    continue
                positional = False
                continue
            src = self.args[arg]
            spec = rule.arg(arg) if rule else None
            if spec is not None and spec.default is not None and _equal(src, spec.default):
                positional = False
                continue
            if spec is not None and spec.default is None and positional:
                parts.append(src)
            else:
                positional = False
                parts.append(f"{arg}={src}")
        if name is not None:
            parts.append(f"name={name!r}")
        return f"{prefix}{self.cls}({', '.join(parts)})"


def keras_roles(spec: LayerSpec, rules: RuleSet) -> list[str]:
    """The layer's weight names in Keras's ``get_weights()`` order: the rule's order,
    trainable weights first."""
    rule = rules.get(spec.cls)
    known = [r for r in (rule.weights if rule else ()) if r in spec.weights]
    roles = known + [r for r in spec.weights if r not in known]
    return [r for r in roles if spec.weights[r].trainable and not r.startswith("moving_")] + \
        [r for r in roles if not (spec.weights[r].trainable and not r.startswith("moving_"))]


# the weights a Keras layer holds as non-trainable (all others are trainable)
FROZEN_ROLES = frozenset({"moving_mean", "moving_variance", "vector_u"})


def trainable_as_in_keras(m: Match, role: str | None = None) -> bool:
    """Each variable (of ``role`` only, when given) is trainable exactly where the Keras
    layer's weight it becomes is: a ``tf.Variable(..., trainable=False)`` (``add_weight(...,
    trainable=False)``) made a Dense bias would be trained by ``fit`` and listed in
    ``trainable_variables``."""
    return all(v.trainable is (r not in FROZEN_ROLES) for r, v in m.spec.weights.items() if role in (None, r))


def _equal(src: str, default: str) -> bool:
    a, b = literal(src), literal(default)
    if a is UNKNOWN or b is UNKNOWN:
        return src == default
    return bool(a == b) and type(a) is type(b)


@dataclass(eq=False)
class Match:
    """One layer application."""

    spec: LayerSpec
    node: ast.AST  # the expression (or statement) it replaces
    inputs: list[ast.expr]  # input expressions, in order
    list_input: bool = False  # the layer takes a list: ``layer([a, b])``
    absorbed: list[ast.stmt] = field(default_factory=list)  # earlier statements folded in
    training: bool = False  # pass ``training=`` to the call
    training_src: str = "training"  # the name of the training flag where the layer is called
    fixed_training: str | None = None  # a constant training value (``False``) for inference-only code
    foldable: bool = False  # an activation may still be folded in (Dense, Conv, ...)
    activation_set: bool = False
    attr: str | None = None  # name of the layer object (assigned after matching)
    method: str | None = None  # a to-tf layer method this match replaces
    hints: dict[str, Any] = field(default_factory=dict)  # what the code shows about the input (op, rank)


@dataclass
class MatchCtx:
    """What the patterns know about the code around an expression."""

    names: ModuleNames
    st: SourceText
    rules: RuleSet
    vars: dict[str, Var] = field(default_factory=dict)  # attr -> variable (module code)
    self_name: str | None = None
    training: str | None = None  # the name of the training flag in scope
    graph: bool = False  # code written by xlate to-tf for a Sequential / functional model
    tensors: set[str] = field(default_factory=set)  # names that hold layer outputs
    resolve: Callable[[ast.expr], tuple[Any, ast.stmt] | None] = lambda n: None
    keras: str = "keras"
    notes: list[tuple[ast.AST, str]] = field(default_factory=list)  # (node, why not raised)
    deny: set[int] = field(default_factory=set)  # ids of expressions that must not be matched
    ranks: RankInfo | None = None  # the static ranks the code shows (see layerkit.ranks)
    layer_method: str | None = None  # the layer a to-tf layer method says it is ("GlobalMaxPooling1D")

    def rank(self, node: ast.AST | None) -> int | None:
        """The rank the code shows for ``node`` (None: unknown)."""
        return rank(node, self.ranks)

    def shape(self, node: ast.AST | None) -> tuple[int | None, ...] | None:
        """The static shape the code shows for ``node`` (None: even the rank is unknown)."""
        return self.ranks.shape(node) if self.ranks is not None and node is not None else None

    def written_as(self, cls: str) -> bool:
        """The code is what ``xlate to-tf`` writes for layer ``cls`` (a Sequential / functional
        model's code, or a layer method marked as that layer), so its input has the layer's rank."""
        return self.graph or self.layer_method == cls

    def var(self, node: ast.AST | None) -> Var | None:
        if self.self_name is None:
            return None
        attr = self_attr(node, self.self_name)
        return self.vars.get(attr) if attr is not None else None

    def tensor(self, node: ast.AST) -> bool:
        """The expression reads a layer input/output (not only constants and variables)."""
        return any(isinstance(n, ast.Name) and n.id in self.tensors for n in ast.walk(node))


def ints(node: ast.AST | None) -> list[int] | None:
    v = const(node)
    if is_int(v):
        return [v]
    if isinstance(v, (list, tuple)) and all(is_int(i) for i in v):
        return list(v)
    return None


def spatial(node: ast.AST | None, rank: int, default: int = 1, names: ModuleNames | None = None) -> tuple[int, ...] | None:
    """TF strides/dilations/ksize (int, rank list, or rank+2 list with 1s around) -> rank tuple.
    With the file's ``names``, a tuple constant of the file (``ksize=POOL``) gives its items
    as :class:`NamedItem` s, which :func:`tuple_src` writes as the name."""
    if node is None:
        return (default,) * rank
    if isinstance(node, ast.Name) and names is not None:
        value = file_constants(names, names.body).get(node.id)
        return named_tuple(value, node.id) if value is not None and len(value) == rank else None
    vals = ints(node)
    if vals is None:
        return None
    if len(vals) == 1:
        return (vals[0],) * rank
    if len(vals) == rank:
        return tuple(vals)
    if len(vals) == rank + 2 and vals[0] == 1 and vals[-1] == 1:
        return tuple(vals[1:-1])
    return None


def tuple_src(values: tuple[int, ...]) -> str:
    """A Keras size argument: an int, a tuple, or the user's name for the tuple (all the items
    of one file constant, in order: ``kernel_size=KS`` from ``[*KS, 1, 8]``)."""
    name = spread_name(values)
    if name is not None:
        return name
    return repr(values[0]) if len(set(values)) == 1 else repr(tuple(int(v) for v in values))


def padding_of(node: ast.AST | None, default: str = "VALID") -> str | None:
    v = default if node is None else const(node)
    if isinstance(v, str) and v.upper() in ("SAME", "VALID"):
        return v.lower()
    return None


def data_format_ok(node: ast.AST | None) -> bool:
    if node is None:
        return True
    v = const(node)
    return v is None or v in ("NHWC", "NWC", "NDHWC", "channels_last")


def init_arg(spec: LayerSpec, arg: str, var: Var, ctx: MatchCtx) -> None:
    """Set ``arg`` (an initializer) unless the variable's initial value is the Keras default;
    and the weight's regularizer and constraint (``add_weight(regularizer=...)``) as the
    layer's argument of the same prefix (``kernel_regularizer``) where the layer has one. A
    weight whose regularizer or constraint found no argument is not the layer's
    (:func:`extras_placed`)."""
    rule = ctx.rules.get(spec.cls)
    if arg.endswith("_initializer"):
        for kind, given in var.extras:
            target = f"{arg[: -len('initializer')]}{kind}"
            if rule is not None and rule.arg(target) is not None:
                spec.args[target] = given
                spec.placed.add((var.attr, kind))
    a = rule.arg(arg) if rule else None
    default = a.default if a else None
    if initializer_matches_default(var, default, ctx.st):
        return
    src = initializer_source(var, ctx.names, ctx.st, ctx.keras)
    if src is not None and (default is None or src != default):
        spec.args[arg] = src


def extras_placed(spec: LayerSpec) -> bool:
    """Every regularizer and constraint of the layer's weights is one of its arguments: a
    weight regularized or constrained in the original is so in the layer (the same loss in
    ``losses``, the same projection after each optimizer step)."""
    return all((v.attr, kind) in spec.placed for v in spec.weights.values() for kind, _ in v.extras)


def resolved(node: ast.expr, ctx: MatchCtx, absorbed: list[ast.stmt]) -> ast.AST:
    """Follow a name to the expression of the single-use statement that computed it."""
    got = ctx.resolve(node)
    if got is None:
        return node
    value, stmt = got
    if not isinstance(value, ast.expr):
        return node
    absorbed.append(stmt)
    return value


# ------------------------------------------------------------------------------ initializers

def scaled_draw(init: ast.expr | None, names: ModuleNames) -> tuple[ast.Call, float] | None:
    """``tf.random.normal([784, 10]) * 0.01`` (or ``0.01 * ...``): the draw and the positive
    number it is scaled by (a draw of the same family: the mean, deviation or bounds scaled)."""
    if not (isinstance(init, ast.BinOp) and isinstance(init.op, ast.Mult)):
        return None
    for call, k in ((init.left, init.right), (init.right, init.left)):
        c = const(k)
        if (isinstance(call, ast.Call) and names.call(call) in ("tf.random.normal", "tf.random.truncated_normal",
                                                                 "tf.random.uniform")
                and isinstance(c, (int, float)) and not isinstance(c, bool) and c > 0):
            return call, float(c)
    return None


def _numbers(call: ast.Call, params: tuple[tuple[str, int, float], ...]) -> list[float] | None:
    """The call's arguments ``params`` (name, position, default) as numbers written in it, or
    None when one is not."""
    out = []
    for name, pos, default in params:
        node = kwarg(call, name, pos)
        v = default if node is None else const(node)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return None
        out.append(float(v))
    return out


def initializer_source(var: Var, names: ModuleNames, st: SourceText, keras: str = "keras") -> str | None:
    """The Keras initializer that creates ``var``'s initial value, as source, or None."""
    if var.initializer is not None:
        return var.initializer
    init = var.init
    scaled = scaled_draw(init, names) if init is not None else None
    if scaled is not None:  # ``tf.random.normal(shape, stddev=s) * c``: the same family, scaled
        call, c = scaled
        q = names.call(call)
        uniform = q == "tf.random.uniform"
        got = _numbers(call, (("minval", 1, 0.0), ("maxval", 2, 1.0)) if uniform else (("mean", 1, 0.0), ("stddev", 2, 1.0)))
        if got is None:
            return None
        names_ = ("minval", "maxval") if uniform else ("mean", "stddev")
        args = [f"{n}={v * c!r}" for n, v in zip(names_, got, strict=True)]
        cls = "RandomUniform" if uniform else "RandomNormal" if q == "tf.random.normal" else "TruncatedNormal"
        if kwarg(call, "seed", 4) is not None or kwarg(call, "dtype", 3) is not None:
            return None
        return f"{keras}.initializers.{cls}({', '.join(args)})"
    if not isinstance(init, ast.Call):
        return None
    q = names.call(init)
    if q == "tf.zeros":
        return "'zeros'"
    if q == "tf.ones":
        return "'ones'"
    if q == "tf.fill":
        v = kwarg(init, "value", 1)
        return f"{keras}.initializers.Constant({st.seg(v)})" if v is not None else None
    if q == "tf.constant":
        v = kwarg(init, "value", 0)
        if v is None or not isinstance(const(v), (int, float)):
            return None
        return f"{keras}.initializers.Constant({st.seg(v)})"
    if q in ("tf.random.normal", "tf.random.truncated_normal", "tf.random.uniform"):
        if q == "tf.random.uniform":
            lo, hi = kwarg(init, "minval", 1), kwarg(init, "maxval", 2)
            args = [f"minval={st.seg(lo) if lo is not None else '0.0'}", f"maxval={st.seg(hi) if hi is not None else '1.0'}"]
            cls = "RandomUniform"
        else:
            mean, std = kwarg(init, "mean", 1), kwarg(init, "stddev", 2)
            args = [f"mean={st.seg(mean) if mean is not None else '0.0'}", f"stddev={st.seg(std) if std is not None else '1.0'}"]
            cls = "RandomNormal" if q == "tf.random.normal" else "TruncatedNormal"
        seed = kwarg(init, "seed", 4 if q != "tf.random.uniform" else 4)
        if seed is not None:
            args.append(f"seed={st.seg(seed)}")
        return f"{keras}.initializers.{cls}({', '.join(args)})"
    if isinstance(init.func, ast.Name) and init.func.id == "_variance_scaling" and len(init.args) == 4:
        scale, mode, dist = (const(a) for a in init.args[1:])
        if isinstance(scale, (int, float)) and isinstance(mode, str) and isinstance(dist, str):
            named = VARIANCE_SCALING_NAMES.get((float(scale), mode, dist))
            if named:
                return repr(named)
            return (f"{keras}.initializers.VarianceScaling(scale={float(scale)!r}, mode={mode!r}, "
                    f"distribution={'uniform' if dist == 'uniform' else 'truncated_normal'!r})")
        return None
    if isinstance(init.func, ast.Call):  # an initializer object applied to the shape
        inner = init.func
        q_inner = names.qual(inner.func) or ""
        text = st.seg(inner)
        if "initializers" in text or q_inner.endswith("_initializer"):
            return text
    return None


def initializer_matches_default(var: Var, default_src: str | None, st: SourceText) -> bool:
    """``var``'s initial value is what ``xlate to-tf`` writes for the layer's default."""
    if default_src is None or var.init is None or var.shape is None:
        return False
    shape_src = "[" + ", ".join(d.src for d in var.shape) + "]"
    try:
        expected = init_expr(default_src, shape_src)
    except (Unsupported, ValueError, SyntaxError):
        return False
    try:
        return ast.dump(ast.parse(expected, mode="eval").body) == ast.dump(ast.parse(st.seg(var.init), mode="eval").body)
    except SyntaxError:
        return False


# ------------------------------------------------------------------------------ arguments the input shape tells
#
# Layer arguments that only the input's static shape tells, settled once that shape is known.
#
# ``xlate to-tf`` folds the input's static sizes into the code of a few layers: CenterCrop's
# window ``tf.cast(x, tf.float32)[:, 1:5, 1:5, :]`` is centred in a 6x6 image only,
# UpSampling2D's ``tf.image.resize(x, [6, 12], method='bilinear', ...)`` is ``size=(2, 3)``
# of a 3x4 image only, ``tf.one_hot(...)`` without a squeeze is CategoryEncoding only when the
# last axis is not 1. The code alone does not say which layer it was; the model's input shape
# (``input_signature``, :meth:`.graph.GraphTranslator._signature`) propagated through the
# recovered layers does.
#
# A match that needs the shape is marked by :func:`needs_shape`: ``hints[FROM_SHAPE]`` is a
# function from its input's shape (batch axis first) to the arguments it adds, or None when
# that shape does not give this code. Until :func:`settle` has run, the spec holds the argument
# :data:`PENDING_ARG` with a value that is not Python: a module translated without shapes
# treats it as an argument ``__init__`` cannot create (its deny loop keeps the op as it is),
# so the layer is written only where the shape was checked. :func:`graph_only` marks a layer
# the same way for another reason: Keras 3 builds the layers of a subclassed model inside a
# scratch graph on its first call, and Normalization's statistics (tensors, not variables)
# built there cannot be used afterwards, so only a Sequential / functional model can hold it.

FROM_SHAPE = "from_shape"
PENDING_ARG = "_from_input_shape"
PENDING = "<known from the input shape only>"

ShapeResolver = Callable[[Any], "dict[str, str] | None"]


def needs_shape(m: Match, resolve: ShapeResolver) -> Match:
    """Mark ``m`` as complete only once ``resolve(input shape)`` has given its arguments."""
    m.hints[FROM_SHAPE] = resolve
    m.spec.args[PENDING_ARG] = PENDING
    return m


def graph_only(m: Match) -> Match:
    """Mark ``m`` as a layer that only the Sequential / functional model :mod:`.graph` writes
    may hold: :func:`settle` unmarks it without a shape; a subclass never gets it."""
    m.hints[FROM_SHAPE] = None
    m.spec.args[PENDING_ARG] = PENDING
    return m


def pending(m: Match | None) -> bool:
    return m is not None and FROM_SHAPE in m.hints


# ------------------------------------------------------------------------------ what the weights show


def weight_facts(app: int, spec: LayerSpec, role: str, idx: int, axis: int = -1) -> list[Fact]:
    """What dimension ``idx`` of weight ``role`` shows about axis ``axis`` of the layer's input:
    its size, or that it was unknown to to-tf (a lazily created weight, ``x.shape[-1]``)."""
    v = spec.weights.get(role)
    if v is None or v.shape is None or not (-len(v.shape) <= idx < len(v.shape)):
        return []
    d = v.shape[idx]
    if v.lazy is not None or d.from_input:
        return [Fact(app, "lazy", axis)]
    if d.value is not None:
        return [Fact(app, "dim", axis, d.value)]
    return []


def kernel_dims(spec: LayerSpec) -> list[int | None] | None:
    """The static sizes of the layer's kernel (``kernel``, ``depthwise_kernel`` or ``embeddings``)."""
    w = spec.weights
    k = w.get("kernel") or w.get("depthwise_kernel") or w.get("embeddings")
    return [d.value for d in k.shape] if k is not None and k.shape is not None else None


# ------------------------------------------------------------------------------ straight-line code


@dataclass(eq=False)
class Def:
    """Where a name read in straight-line code was bound (the def-use links of
    :class:`kerastf_xlate.tokeras.body.BodyRewriter`)."""

    stmt: ast.stmt | None  # None for a parameter
    index: int
    kind: str  # simple | tuple | opaque | param | stats (a DEFINITION recogniser's)
    value: ast.expr | None = None
    uses: list[Any] = field(default_factory=list)
    info: Any = None


def is_training(ctx: MatchCtx, test: ast.expr) -> bool:
    """``test`` is the training flag in scope (``if training:``)."""
    t = ctx.training
    return t is not None and isinstance(test, ast.Name) and test.id == t
