"""What a layer handler receives and returns.

A handler turns one Keras layer (its rule, its arguments, its input names and shapes) into
TensorFlow statements plus the variables they need. It writes source text only; it never
imports TensorFlow.

Dimensions are ``int`` when known statically, or :class:`Dim` (a source expression) when
not. A weight whose shape needs the runtime input is created on the first call (as Keras
does); any other weight is created in ``__init__``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.activations import activation_template
from kerastf_xlate.args import ACTIVATION_ROOTS
from kerastf_xlate.layerkit.named import NamedItem, spread_name
from kerastf_xlate.rules import Rule
from kerastf_xlate.static import UNKNOWN, Unsupported, snake


@dataclass(frozen=True)
class Dim:
    """A dimension known only as source code; ``needs_input`` if it reads the input tensor."""

    src: str
    needs_input: bool = False

    def __str__(self) -> str:
        return self.src


DimT = int | Dim | None
Shape = tuple  # tuple[DimT, ...] including the batch axis; None for an unknown rank


@dataclass(frozen=True)
class Weight:
    name: str  # Keras weight name: kernel, bias, gamma, moving_mean, ...
    shape: tuple[DimT, ...]
    init: str  # initializer: Keras name ('zeros', 'glorot_uniform') or source of an expression
    trainable: bool = True

    @property
    def lazy(self) -> bool:
        return any(isinstance(d, Dim) and d.needs_input for d in self.shape)


@dataclass
class Emitted:
    weights: list[Weight] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # statements; the last assigns ctx.out
    out_shape: Shape | None = None


class NamedInt(int):
    """An int read from a module-level constant (``vocab_size = 20000``): it computes as the
    int, and a weight shape keeps the user's name for it (``[vocab_size, 32]``) where the
    name is sure to mean that constant (:func:`resolve_named`)."""

    name: str

    def __new__(cls, value: int, name: str) -> NamedInt:
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (NamedInt, (int(self), self.name))


# a NamedInt in a shape (or a whole named tuple: ``ksize=POOL``), until the unit's code is
# complete: NUL never survives a parse, so a placeholder that escaped resolve_named makes the
# output fail the safety check (file untouched)
_NAMED = re.compile("\x00([A-Za-z_][A-Za-z0-9_]*)\x01([^\x00]*)\x00")
# a NamedItem (item I of N of a named tuple) in a list display; a run of them, ", "-separated
_ITEM = "\x00([A-Za-z_][A-Za-z0-9_]*)\x02([0-9]+)\x02([0-9]+)\x01(-?[0-9]+)\x00"
_ITEM_RE = re.compile(_ITEM)
_ITEM_RUN = re.compile("{0}(?:, {0})*".format(_ITEM.replace("(", "(?:").replace("(?:?:", "(?:")))


def dim_src(d: DimT) -> str:
    """A dimension in a list display (a shape): a named one as a placeholder that
    :func:`resolve_named` turns into the name (``vocab_size``; ``*KS`` for all the items of
    ``KS``, in order) or the value."""
    if d is None:
        return "None"
    if isinstance(d, NamedInt):
        return f"\x00{d.name}\x01{int(d)}\x00"
    if isinstance(d, NamedItem):
        return f"\x00{d.name}\x02{d.index}\x02{d.length}\x01{int(d)}\x00"
    return str(d)


def named_src(values: tuple[Any, ...], plain: str) -> str:
    """``plain`` (the source of ``values``, e.g. a ``ksize``), or the constant's name when
    ``values`` are all the items of one named tuple (``ksize=POOL``), where the name is
    sure to mean it (:func:`resolve_named`); only where ``plain`` may be any sequence of
    the same ints."""
    name = spread_name(values)
    return plain if name is None else f"\x00{name}\x01{plain}\x00"


def resolve_named(code: str) -> str:
    """``code`` (one generated unit: a class at column 0) with each named dimension written as
    the user's name, or as its value where the name would mean something else there: where a
    scope it is read in binds that name itself (a method's parameter or local: ``x``,
    ``inputs``; ``build(self, input_shape)`` binds ``input_shape`` for ``build`` only). A
    tuple's items are written ``*NAME`` where they all stand in order, else as values."""
    if "\x00" not in code:
        return code
    marks = list(_PLACEHOLDER.finditer(code))
    index = {m.start(): k for k, m in enumerate(marks)}
    trial = _PLACEHOLDER.sub(lambda m: f"_xlate_named_{index[m.start()]}_", code)
    try:
        tree = ast.parse(trial)
    except SyntaxError:
        usable: set[int] = set()  # when in doubt, the value
    else:
        usable = {k for k, name in _visible(tree).items() if marks[k].group(1) not in name}

    def one(m: re.Match[str]) -> str:
        if m.group("run") is not None:
            return _run(m.group("run"), m.start(), index, usable)
        return m.group("name") if index[m.start()] in usable else m.group("value")

    return _RUN_OR_NAMED.sub(one, code)


# any placeholder, a run of tuple items, or a NamedInt / whole tuple
_PLACEHOLDER = re.compile("\x00([A-Za-z_][A-Za-z0-9_]*)(?:\x02[0-9]+\x02[0-9]+)?\x01[^\x00]*\x00")
_RUN_OR_NAMED = re.compile(f"(?P<run>{_ITEM_RUN.pattern})|\x00(?P<name>[A-Za-z_][A-Za-z0-9_]*)\x01(?P<value>[^\x00]*)\x00")
_MARK = re.compile(r"_xlate_named_([0-9]+)_")


def _visible(tree: ast.AST) -> dict[int, set[str]]:
    """For each placeholder (marked ``_xlate_named_K_``), the names that may mean something
    else where it is read: in a class body (``input_signature``), those the class body and
    the top level bind; in a function or lambda, every name the unit binds anywhere. A name
    to-tf writes inside a method is then bound nowhere else in the unit, as ``xlate to-keras``
    needs to read it back (it reads a file's constants file-wide); the class body's own
    names are read back from their source (``[None, *input_shape]`` beside a generated
    ``build(self, input_shape)``)."""
    out: dict[int, set[str]] = {}
    everywhere = _scope_bindings(tree) | {b for n in ast.walk(tree) for b in _bindings_of(n)}

    def visit(node: ast.AST, bound: set[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, everywhere)
            elif isinstance(child, ast.ClassDef):
                visit(child, bound | _scope_bindings(child))
            else:
                if isinstance(child, ast.Name):
                    m = _MARK.fullmatch(child.id)
                    if m is not None:
                        out[int(m.group(1))] = bound
                visit(child, bound)

    visit(tree, _scope_bindings(tree))
    return out


def _scope_bindings(scope: ast.AST) -> set[str]:
    """The names ``scope`` (a module, function, lambda or class) binds in its own body: its
    parameters, and every binding below it but inside nested functions and classes (whose
    names count); a comprehension's variables count for the scope around it."""
    out: set[str] = set()
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        out |= {a.arg for a in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs)}
        out |= {a.arg for a in (scope.args.vararg, scope.args.kwarg) if a is not None}
        body: list[ast.AST] = [scope.body] if isinstance(scope, ast.Lambda) else list(scope.body)
    else:
        body = list(getattr(scope, "body", []))
    stack = body
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            stack.extend(n.decorator_list)
            if not isinstance(n, ast.ClassDef):
                stack.extend(d for d in (*n.args.defaults, *n.args.kw_defaults) if d is not None)
            continue
        if isinstance(n, ast.Lambda):
            stack.extend(n.args.defaults)
            continue
        out |= _bound_names_here(n)
        stack.extend(ast.iter_child_nodes(n))
    return out


def _bindings_of(n: ast.AST) -> set[str]:
    """What ``n`` binds, parameters and def / class names included."""
    if isinstance(n, ast.arg):
        return {n.arg}
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {n.name}
    return _bound_names_here(n)


def _bound_names_here(n: ast.AST) -> set[str]:
    if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
        return {n.id}
    if isinstance(n, ast.alias):
        return {(n.asname or n.name).split(".")[0]}
    if isinstance(n, ast.ExceptHandler) and n.name:
        return {n.name}
    if isinstance(n, (ast.Global, ast.Nonlocal)):
        return set(n.names)
    if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
        return {n.name}
    if isinstance(n, ast.MatchMapping) and n.rest:
        return {n.rest}
    return set()


def _run(text: str, offset: int, index: dict[int, int], usable: set[int]) -> str:
    """A run of tuple items in a list display: ``*NAME`` for each whole tuple in order whose
    every item may be written as the name."""
    items = [(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), index[offset + m.start()] in usable)
             for m in _ITEM_RE.finditer(text)]
    out: list[str] = []
    i = 0
    while i < len(items):
        name, position, length, value, _ = items[i]
        whole = items[i:i + length]
        if (position == 0 and len(whole) == length
                and all(it[0] == name and it[1] == k and it[2] == length and it[4] for k, it in enumerate(whole))):
            out.append(f"*{name}")
            i += length
        else:
            out.append(value)
            i += 1
    return ", ".join(out)


def shape_src(shape: tuple[DimT, ...]) -> str:
    return "[" + ", ".join(dim_src(d) for d in shape) + "]"


@dataclass
class EmitCtx:
    """Everything a handler may use about one layer application."""

    rule: Rule
    values: dict[str, Any]  # literal value of each argument (defaults applied), UNKNOWN if not literal
    src: dict[str, str]  # Python source of each argument (defaults applied)
    prefix: str  # variable prefix, e.g. 'conv2d_1'
    inputs: list[str] | None  # input tensor expressions; None when only ``xs`` is known
    xs: str  # one expression for the list of inputs (or the single input)
    in_shapes: list[Shape | None]
    out: str  # the name the last statement must assign
    training: str = "training"  # source of the training flag in scope
    call_kwargs: dict[str, str] = field(default_factory=dict)  # extra call-time kwargs (mask, training)

    # -- inputs
    @property
    def x(self) -> str:
        if self.inputs is None:
            return self.xs
        if len(self.inputs) != 1:
            raise Unsupported(f"{self.rule.layer} takes one input, got {len(self.inputs)}")
        return self.inputs[0]

    def item(self, i: int) -> str:
        if self.inputs is not None:
            return self.inputs[i]
        return f"{self.xs}[{i}]"

    @property
    def shape(self) -> Shape | None:
        return self.in_shapes[0] if self.in_shapes else None

    def rank(self, i: int = 0) -> int | None:
        s = self.in_shapes[i] if i < len(self.in_shapes) else None
        return None if s is None else len(s)

    def dim(self, axis: int, i: int = 0) -> DimT:
        """Size of ``axis`` of input ``i``: an int when static, else ``x.shape[axis]``."""
        s = self.in_shapes[i] if i < len(self.in_shapes) else None
        if s is not None and -len(s) <= axis < len(s):
            d = s[axis]
            if isinstance(d, (int, Dim)):
                return d
        return Dim(f"{self.item(i)}.shape[{axis}]", needs_input=True)

    # -- arguments
    def value(self, name: str) -> Any:
        v = self.values.get(name, UNKNOWN)
        if v is UNKNOWN:
            raise Unsupported(f"{self.rule.layer}({name}=...) needs a literal value")
        return v

    def arg(self, name: str) -> str:
        return self.src[name]

    def is_literal(self, name: str) -> bool:
        return self.values.get(name, UNKNOWN) is not UNKNOWN

    # -- weights
    def w(self, name: str) -> str:
        return f"self.{self.prefix}_{name}"

    def tmp(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def assign(self, expr: str) -> str:
        return f"{self.out} = {expr}"


def tuple_arg(value: Any, n: int, name: str = "argument") -> tuple[int, ...]:
    """Keras's ``standardize_tuple``: an int or an n-sequence of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise Unsupported(f"{name} must be an int or {n} ints, got {value!r}")


# keras.ops functions whose default differs from the activation's of the same name
_OPS_ACTIVATIONS = {"gelu": "tf.nn.gelu({x}, approximate=True)"}


def activation_lines(ctx: EmitCtx, arg: str = "activation") -> list[str]:
    """Statements applying the layer's ``activation=`` to ``ctx.out`` (none for linear)."""
    if arg not in ctx.src:
        return []
    value = ctx.values.get(arg)
    src = ctx.src[arg]
    if value is None and src == "None":
        return []
    if isinstance(value, str):
        template = activation_template(value)
        if template is None:
            raise Unsupported(f"activation {value!r}")
    else:
        # a callable: keras.activations.relu / tf.nn.relu map to their TF spelling,
        # anything else is called as it is
        parts = src.split(".")
        template = None
        if len(parts) > 1 and parts[0] in ACTIVATION_ROOTS:
            template = _OPS_ACTIVATIONS.get(parts[-1]) if parts[-2] == "ops" else None
            template = template or activation_template(parts[-1])
        if template is None:
            template = f"({src})({{x}})"
    if template == "{x}":
        return []
    return [f"{ctx.out} = {template.replace('{x}', ctx.out)}"]


__all__ = ["activation_lines", "Dim", "DimT", "EmitCtx", "Emitted", "NamedInt", "Shape", "Unsupported", "Weight", "dim_src", "named_src", "resolve_named", "shape_src", "snake",
           "tuple_arg"]
