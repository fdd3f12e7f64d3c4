"""Activation functions written with TensorFlow ops, back to their Keras names.

Two answers for each recognised activation: the string a layer's ``activation=`` takes
(``'relu'``; None when Keras has no string for this exact function, e.g. ``leaky_relu`` with
another slope) and the standalone layer that computes it (``ReLU()``, ``LeakyReLU(...)``,
``Softmax(axis=...)``, else ``Activation('name')``). The compound formulas of
:mod:`kerastf_xlate.activations` (mish, hard_sigmoid, ...) are matched by unifying the
expression with the template.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kerastf_xlate.activations import ACTIVATIONS
from kerastf_xlate.resolve import TFNames, canonical
from kerastf_xlate.syntax import UNKNOWN, SourceText, const, kwarg, only_args, same


@dataclass
class ActMatch:
    x: ast.expr  # the input
    fold: str | None  # value for a layer's activation= ('relu'), None if none fits
    layer: str  # standalone layer class
    args: dict[str, str] = field(default_factory=dict)


# one-argument functions: canonical tf name -> Keras activation name
_SIMPLE = {
    "tf.nn.relu": "relu", "tf.nn.relu6": "relu6", "tf.nn.elu": "elu", "tf.nn.selu": "selu",
    "tf.math.sigmoid": "sigmoid", "tf.math.tanh": "tanh", "tf.math.softplus": "softplus",
    "tf.nn.softsign": "softsign", "tf.nn.silu": "silu", "tf.math.exp": "exponential",
    "tf.math.log_sigmoid": "log_sigmoid",
}
_COMPOUND = ("celu", "hard_sigmoid", "hard_silu", "mish", "tanh_shrink", "hard_tanh")
_X = "__xlate_x__"


def _act(x: ast.expr, name: str) -> ActMatch:
    if name == "relu":
        return ActMatch(x, "relu", "ReLU")
    if name == "relu6":
        return ActMatch(x, "relu6", "ReLU", {"max_value": "6.0"})
    return ActMatch(x, name, "Activation", {"activation": repr(name)})


def match_activation(node: ast.AST, names: TFNames, st: SourceText) -> ActMatch | None:
    """An activation applied to one input, or None."""
    if isinstance(node, ast.Call):
        q = names.call(node)
        if q in _SIMPLE and len(node.args) == 1 and not node.keywords:
            return _act(node.args[0], _SIMPLE[q])
        if q == "tf.nn.gelu" and only_args(node, ["features", "approximate"]):
            approx = const(kwarg(node, "approximate", 1)) if kwarg(node, "approximate", 1) is not None else False
            if approx is False:
                return _act(node.args[0], "gelu")
            return None
        if q == "tf.nn.leaky_relu" and only_args(node, ["features", "alpha"]) and node.args:
            alpha_node = kwarg(node, "alpha", 1)
            alpha = 0.2 if alpha_node is None else const(alpha_node)
            if alpha is UNKNOWN:
                return None
            src = "0.2" if alpha_node is None else st.seg(alpha_node)
            return ActMatch(node.args[0], "leaky_relu" if alpha == 0.2 else None, "LeakyReLU", {"negative_slope": src})
        if q in ("tf.nn.softmax", "tf.nn.log_softmax") and only_args(node, ["logits", "axis"]) and node.args:
            axis_node = kwarg(node, "axis", 1)
            axis = -1 if axis_node is None else const(axis_node)
            if axis is UNKNOWN:
                return None
            name = "softmax" if q == "tf.nn.softmax" else "log_softmax"
            if name == "log_softmax":
                return _act(node.args[0], name) if axis == -1 else None
            return ActMatch(node.args[0], "softmax" if axis == -1 else None, "Softmax", {"axis": repr(axis)})
        if q == "tf.where":
            return _elu_layer(node, names, st) or _relu_layer(node, names, st)
        if q == "tf.clip_by_value":
            got = _relu_layer(node, names, st)
            if got is not None:
                return got
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        got = _relu_layer(node, names, st)
        if got is not None:
            return got
    for name in _COMPOUND:
        x = _unify_template(node, name, names)
        if x is not None:
            return _act(x, name)
    return None


def _elu_layer(node: ast.Call, names: TFNames, st: SourceText) -> ActMatch | None:
    """``tf.where(x > 0, x, alpha * tf.math.expm1(x))`` (Keras's ELU layer)."""
    if len(node.args) != 3 or node.keywords:
        return None
    cond, a, b = node.args
    if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and isinstance(cond.ops[0], ast.Gt)
            and const(cond.comparators[0]) == 0 and same(cond.left, a)):
        return None
    if not (isinstance(b, ast.BinOp) and isinstance(b.op, ast.Mult) and isinstance(b.right, ast.Call)
            and names.call(b.right) == "tf.math.expm1" and len(b.right.args) == 1 and same(b.right.args[0], a)):
        return None
    alpha = const(b.left)
    if not isinstance(alpha, (int, float)):
        return None
    return ActMatch(a, "elu" if alpha == 1.0 else None, "ELU", {"alpha": st.seg(b.left)})


def _relu_layer(node: ast.AST, names: TFNames, st: SourceText) -> ActMatch | None:
    """Keras's ReLU(max_value, negative_slope, threshold) as to-tf writes it:
    ``[tf.clip_by_value(]base[, 0.0, m)] [- s * tf.nn.relu(-x [+ t])]`` with base
    ``tf.nn.relu(x)``, ``tf.nn.relu6(x)`` or ``tf.where(x > t, x, 0.0)``."""
    args: dict[str, str] = {}
    slope_t: Any = 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        r = node.right
        if not (isinstance(r, ast.BinOp) and isinstance(r.op, ast.Mult) and isinstance(r.right, ast.Call)
                and names.call(r.right) == "tf.nn.relu" and len(r.right.args) == 1 and isinstance(const(r.left), (int, float))):
            return None
        neg = r.right.args[0]
        if isinstance(neg, ast.BinOp) and isinstance(neg.op, ast.Add) and isinstance(const(neg.right), (int, float)):
            slope_t, neg = const(neg.right), neg.left
        if not (isinstance(neg, ast.UnaryOp) and isinstance(neg.op, ast.USub)):
            return None
        args["negative_slope"] = st.seg(r.left)
        x_neg: ast.expr | None = neg.operand
        node = node.left
    else:
        x_neg = None
    if isinstance(node, ast.Call) and names.call(node) == "tf.clip_by_value" and len(node.args) == 3 and not node.keywords:
        if const(node.args[1]) != 0 or not isinstance(const(node.args[2]), (int, float)):
            return None
        args["max_value"] = st.seg(node.args[2])
        node = node.args[0]
    if not isinstance(node, ast.Call):
        return None
    q = names.call(node)
    threshold: Any = 0
    if q == "tf.nn.relu" and len(node.args) == 1 and not node.keywords:
        x = node.args[0]
    elif q == "tf.nn.relu6" and len(node.args) == 1 and not node.keywords and "max_value" not in args:
        x = node.args[0]
        args["max_value"] = "6.0"
    elif q == "tf.where" and len(node.args) == 3 and not node.keywords:
        cond, a, b = node.args
        if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and isinstance(cond.ops[0], ast.Gt)
                and same(cond.left, a) and const(b) == 0 and isinstance(const(cond.comparators[0]), (int, float))):
            return None
        x, threshold = a, const(cond.comparators[0])
        args["threshold"] = st.seg(cond.comparators[0])
    else:
        return None
    if x_neg is not None and (not same(x_neg, x) or slope_t != threshold):
        return None
    if not args:
        return None
    return ActMatch(x, None, "ReLU", {k: args[k] for k in ("max_value", "negative_slope", "threshold") if k in args})


@lru_cache(maxsize=None)
def _template(name: str) -> ast.expr:
    return ast.parse(ACTIVATIONS[name].replace("{x}", _X), mode="eval").body


def _unify_template(node: ast.AST, name: str, names: TFNames) -> ast.expr | None:
    binding: dict[str, ast.expr] = {}
    if _unify(_template(name), node, binding, names):
        return binding.get(_X)
    return None


def _template_qual(func: ast.AST) -> str | None:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
        return canonical(".".join(reversed(parts)))
    return None


def _unify(pat: ast.AST, node: ast.AST, binding: dict[str, ast.expr], names: TFNames) -> bool:
    if isinstance(pat, ast.Name) and pat.id == _X:
        if _X in binding:
            return same(binding[_X], node)
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return False  # only a plain reference may be repeated without changing meaning
        binding[_X] = node  # type: ignore[assignment]
        return True
    if isinstance(pat, ast.Constant):
        return isinstance(node, (ast.Constant, ast.UnaryOp)) and const(node) == pat.value and type(const(node)) is type(pat.value)
    if isinstance(pat, ast.UnaryOp) and isinstance(pat.operand, ast.Constant):
        return const(node) == const(pat)
    if isinstance(pat, ast.Call):
        if not isinstance(node, ast.Call) or names.call(node) != _template_qual(pat.func):
            return False
        if len(pat.args) != len(node.args) or len(pat.keywords) != len(node.keywords):
            return False
        if not all(_unify(p, n, binding, names) for p, n in zip(pat.args, node.args)):
            return False
        kws = {k.arg: k.value for k in node.keywords}
        return all(k.arg in kws and _unify(k.value, kws[k.arg], binding, names) for k in pat.keywords)
    if type(pat) is not type(node):
        return False
    if isinstance(pat, ast.BinOp):
        return type(pat.op) is type(node.op) and _unify(pat.left, node.left, binding, names) and _unify(pat.right, node.right, binding, names)  # type: ignore[attr-defined]
    return False
