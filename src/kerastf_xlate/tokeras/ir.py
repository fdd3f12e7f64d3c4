"""What ``to-keras`` recognises: variables, layer applications, and rewritten expressions.

A :class:`Var` is one ``tf.Variable`` a module creates (its shape, initial value and
flags). A :class:`Match` is one layer application found in the code: the Keras layer
(class and constructor arguments), the variables it uses as weights (by Keras weight name),
its input expressions, and the statements it absorbed. A :class:`Piece` is an expression
after rewriting: a match with rewritten inputs, or the original expression with some of its
children rewritten.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.rules import RuleSet
from kerastf_xlate.tokeras.text import UNKNOWN, SourceText


@dataclass(frozen=True)
class Dim:
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
    shape: tuple[Dim, ...] | None
    trainable: bool = True
    tf_name: str | None = None  # name='dense/kernel'
    lazy: ast.stmt | None = None  # ``if self.attr is None: self.attr = tf.Variable(...)``

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


def input_hint(spec: LayerSpec) -> dict[str, Any]:
    """What a layer applied to the model's input says about that input (used by verify to
    make test inputs)."""
    cls = spec.cls
    w = spec.weights
    hint: dict[str, Any] = {"cls": cls}
    k = w.get("kernel") or w.get("depthwise_kernel") or w.get("embeddings")
    dims = [d.value for d in k.shape] if k is not None and k.shape is not None else None
    if cls == "Dense" and dims:
        hint["last"] = dims[0]
    elif cls in ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D") and dims:
        hint["rank"] = len(dims) - 2
        hint["last"] = dims[-2]
    elif cls in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose") and dims:
        hint["rank"] = len(dims) - 2
        hint["last"] = dims[-1]  # kernel [*kernel_size, filters, in]
    elif cls == "EinsumDense":
        from kerastf_xlate.tokeras.weighted_extra import einsum_hint  # it imports this module

        hint.update(einsum_hint(spec))
    elif cls == "Embedding" and dims:
        hint["vocab"] = dims[0]
    return hint


def _equal(src: str, default: str) -> bool:
    try:
        return bool(ast.literal_eval(src) == ast.literal_eval(default)) and type(ast.literal_eval(src)) is type(ast.literal_eval(default))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return src == default


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


@dataclass(eq=False)
class Piece:
    """An expression after rewriting (``match`` set) or with rewritten children."""

    node: ast.AST
    match: Match | None = None
    inputs: list[Piece] = field(default_factory=list)
    children: list[Piece] = field(default_factory=list)
    ref: str | None = None  # ``self.<ref>``: a variable that may now live in a layer

    def matches(self) -> list[Match]:
        """Every match in evaluation order (inputs before the layer that reads them)."""
        out: list[Match] = []
        for p in self.inputs + self.children:
            out += p.matches()
        if self.match is not None:
            out.append(self.match)
        return out


def render_piece(piece: Piece, st: SourceText, callee: Any, remap: dict[str, str] | None = None) -> str:
    """Source of a rewritten expression; ``callee(match)`` gives the layer object's source and
    ``remap`` the new spelling of variables that became layer weights."""
    if piece.ref is not None and remap and piece.ref in remap:
        return remap[piece.ref]
    if piece.match is not None:
        m = piece.match
        ins = [render_piece(p, st, callee, remap) for p in piece.inputs]
        arg = "[" + ", ".join(ins) + "]" if m.list_input else ins[0]
        extra = ""
        if m.fixed_training is not None:
            extra = f", training={m.fixed_training}"
        elif m.training:
            extra = f", training={m.training_src}"
        return f"{callee(m)}({arg}{extra})"
    text = st.seg(piece.node)
    if not piece.children:
        return text
    base, _ = st.span(piece.node)
    out = text
    for child in sorted(piece.children, key=lambda c: st.span(c.node)[0], reverse=True):
        a, b = st.span(child.node)
        out = out[: a - base] + render_piece(child, st, callee, remap) + out[b - base :]
    return out


def value_of(src: str) -> Any:
    try:
        return ast.literal_eval(src)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return UNKNOWN
