"""What the patterns know about the code around an expression, and the argument readers
they share (strides, padding, data formats, initializers)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable

from kerastf_xlate.rules import RuleSet
from kerastf_xlate.tokeras.ir import LayerSpec, Var
from kerastf_xlate.tokeras.names import TFNames
from kerastf_xlate.tokeras.text import SourceText, const, is_int, self_attr
from kerastf_xlate.tokeras.variables import initializer_matches_default, initializer_source


@dataclass
class Ctx:
    """What the patterns know about the code around an expression."""

    names: TFNames
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


def spatial(node: ast.AST | None, rank: int, default: int = 1) -> tuple[int, ...] | None:
    """TF strides/dilations/ksize (int, rank list, or rank+2 list with 1s around) -> rank tuple."""
    if node is None:
        return (default,) * rank
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
    return repr(values[0]) if len(set(values)) == 1 else repr(tuple(values))


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


def init_arg(spec: LayerSpec, arg: str, var: Var, ctx: Ctx) -> None:
    """Set ``arg`` (an initializer) unless the variable's initial value is the Keras default."""
    rule = ctx.rules.get(spec.cls)
    a = rule.arg(arg) if rule else None
    default = a.default if a else None
    if initializer_matches_default(var, default, ctx.st):
        return
    src = initializer_source(var, ctx.names, ctx.st, ctx.keras)
    if src is not None and (default is None or src != default):
        spec.args[arg] = src


def resolved(node: ast.expr, ctx: Ctx, absorbed: list[ast.stmt]) -> ast.AST:
    """Follow a name to the expression of the single-use statement that computed it."""
    got = ctx.resolve(node)
    if got is None:
        return node
    value, stmt = got
    if not isinstance(value, ast.expr):
        return node
    absorbed.append(stmt)
    return value
