"""Pieces shared by the graph (Sequential / functional) and subclass translators.

A :class:`LayerNode` is one Keras layer object: its rule, its constructor call, and either
the handler output that replaces it or the reason it is kept as a Keras object.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kerastf_xlate.args import UNKNOWN, BoundArgs, bind, blockers, helper_call, literal
from kerastf_xlate.initializers import init_expr
from kerastf_xlate.layerkit.emit import (
    Dim,
    EmitCtx,
    Emitted,
    NamedInt,
    Shape,
    Unsupported,
    Weight,
    shape_src,
    snake,
)
from kerastf_xlate.layerkit.named import constant_value, named_tuple
from kerastf_xlate.layers import family_of
from kerastf_xlate.rules import Rule
from kerastf_xlate.static import Namer

# Attributes a translated module offers (anything else used on an instance blocks it).
MODULE_API = {
    "get_weights", "set_weights", "ordered_variables", "trainable_variables", "variables",
    "non_trainable_variables", "submodules", "name", "name_scope", "summary", "__call__", "build",
}


class Blocked(Exception):
    """The whole unit (model or class) must stay Keras; the message says why."""

    def __init__(self, message: str, node: ast.AST | None = None) -> None:
        super().__init__(message)
        self.node = node


@dataclass
class LayerNode:
    rule: Rule
    call: ast.Call
    ctor_src: str
    prefix: str
    bound: BoundArgs
    kept: str | None = None  # reason the layer stays a Keras object, None when translated
    kept_code: str | None = None  # lint code for the reason (XL101, XL201, ...)
    helper: bool = False  # a functional helper (layers.add([...])): the call is the application
    emitted: list[Emitted] = field(default_factory=list)

    @property
    def multi_input(self) -> bool:
        family = family_of(self.rule)
        return (family is not None and family.multi_input) or (self.rule.call or "").find("{xs}") >= 0


def source_of(text_lines: list[str], node: ast.AST) -> str:
    """Exact source text of a node (ast positions are UTF-8 byte offsets)."""
    l0, c0 = node.lineno, node.col_offset  # type: ignore[attr-defined]
    l1, c1 = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
    lines = [ln.encode("utf-8") for ln in text_lines[l0 - 1 : l1]]
    if l0 == l1:
        return lines[0][c0:c1].decode("utf-8")
    lines[0] = lines[0][c0:]
    lines[-1] = lines[-1][:c1]
    return b"".join(lines).decode("utf-8")


def make_layer(rule: Rule, call: ast.Call, text_lines: list[str], prefix: str, helper: bool = False) -> LayerNode:
    """Bind the constructor and decide whether the layer can be translated."""
    if helper:
        # layers.add([a, b], **kwargs): the inputs are the first argument, not a ctor arg
        stripped = helper_call(call)
        bound = bind(rule, stripped)
    else:
        bound = bind(rule, call)
    node = LayerNode(rule, call, source_of(text_lines, call), prefix, bound, helper=helper)
    if rule.status in ("none", "removed"):
        node.kept, node.kept_code = f"`{rule.layer}` has no TensorFlow counterpart", "XL101" if rule.status == "none" else "XL102"
    elif rule.status == "structural":
        node.kept, node.kept_code = f"`{rule.layer}` inside a model", "XL301"
    elif rule.program_only:
        node.kept, node.kept_code = f"`{rule.layer}` is translated as a TensorFlow layer class (the program form)", "XL302"
    elif bound.opaque:
        node.kept, node.kept_code = f"`{rule.layer}(*args/**kwargs)` cannot be read statically", "XL203"
    else:
        blocks = [b for b in blockers(rule, call if not helper else stripped, bound) if b.code != "XL203" or b.arg not in ("activation",) and not b.arg.endswith("initializer")]
        if blocks:
            node.kept, node.kept_code = blocks[0].message, blocks[0].code
    return node


def layer_name(node: LayerNode) -> str | None:
    """The ``name=`` given to the layer, if it is a literal string."""
    value = literal(node.bound.extra.get("name"))
    return value if isinstance(value, str) else None


def prefix_for(rule: Rule, call: ast.Call, namer: Namer) -> str:
    for kw in call.keywords:
        if kw.arg == "name":
            value = literal(kw.value)
            if isinstance(value, str) and value.isidentifier():
                return namer(value)
    return namer(snake(rule.layer))


def _stores(nodes: Iterable[ast.AST], only: str | None = None) -> dict[str, int]:
    """How often each name (or only ``only``) is bound or deleted; ``global`` / ``nonlocal``
    count twice (the name is bound elsewhere too)."""
    stores: dict[str, int] = {}
    for top in nodes:
        for n in ast.walk(top):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                if only is None or n.id == only:
                    stores[n.id] = stores.get(n.id, 0) + 1
            elif isinstance(n, (ast.Global, ast.Nonlocal)):
                for name in n.names:
                    if only is None or name == only:
                        stores[name] = stores.get(name, 0) + 2
            else:
                # a parameter, import, def or handler of the same name: where it is in scope the
                # name means something else (`def build(num_classes=3)` beside `num_classes = 5`)
                other = _other_binding(n)
                if other is not None and (only is None or other == only):
                    stores[other] = stores.get(other, 0) + 2
    return stores


def _other_binding(n: ast.AST) -> str | None:
    if isinstance(n, ast.arg):
        return n.arg
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return n.name
    if isinstance(n, ast.alias):
        return (n.asname or n.name).split(".")[0]
    if isinstance(n, ast.ExceptHandler):
        return n.name
    if isinstance(n, (ast.MatchAs, ast.MatchStar)):
        return n.name
    return None


class ModuleConstants(Mapping[str, Any]):
    """Module-level names bound exactly once, to a literal (``NUM_CLASSES = 10``), and bound
    nowhere else in any way (no parameter, import or def of that name).

    The value may be an expression over constants bound above (``IMG_SHAPE = IMG_SIZE + (1,)``,
    :func:`constant_value`). The translation uses their values where it needs static ones
    (shapes); an int comes as a :class:`NamedInt`, a tuple's items as :class:`NamedItem`,
    so that generated shapes keep the user's name (``[vocab_size, 32]``, ``[*KS, 1, 8]``). Worked out
    one name at a time when asked, from the statements ``mentioning`` says may name it: a
    big module binds thousands of names, the translation asks about a few.
    """

    def __init__(self, tree: ast.Module, mentioning: Callable[[set[str]], list[ast.stmt]] | None = None) -> None:
        self._tree = tree
        self._mentioning = mentioning or (lambda names: tree.body)
        self._assigns: dict[str, list[ast.Assign]] = {}  # top-level `name = value`, in order
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self._assigns.setdefault(stmt.targets[0].id, []).append(stmt)
        self._known: dict[str, Any] = {}
        self._all: dict[str, Any] | None = None

    def _value(self, name: str, stores: int) -> Any:
        assigns = self._assigns.get(name, [])
        if stores != 1 or len(assigns) != 1:
            return UNKNOWN
        line = assigns[0].lineno

        def earlier(other: str) -> Any:
            # a constant bound above this one (``IMG_SHAPE = IMG_SIZE + (3,)``)
            first = self._assigns.get(other)
            return self.get(other, UNKNOWN) if first and first[0].lineno < line else UNKNOWN

        return constant_value(assigns[0].value, earlier)

    def __getitem__(self, name: str) -> Any:
        if self._all is not None:
            return _named(self._all[name], name)
        if name not in self._known:
            stores = _stores(self._mentioning({name}), name).get(name, 0) if name in self._assigns else 0
            self._known[name] = self._value(name, stores)
        if self._known[name] is UNKNOWN:
            raise KeyError(name)
        return _named(self._known[name], name)

    def _everything(self) -> dict[str, Any]:
        if self._all is None:
            stores = _stores([self._tree])
            values = {name: self._value(name, stores.get(name, 0)) for name in self._assigns}
            self._all = {name: v for name, v in values.items() if v is not UNKNOWN}
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


def _named(value: Any, name: str) -> Any:
    """An int as :class:`NamedInt`, a tuple of ints with :class:`NamedItem` s: the name
    comes with the value into generated shapes."""
    return NamedInt(value, name) if type(value) is int else named_tuple(value, name)


def module_constants(tree: ast.Module, mentioning: Callable[[set[str]], list[ast.stmt]] | None = None) -> Mapping[str, Any]:
    """The :class:`ModuleConstants` of ``tree``."""
    return ModuleConstants(tree, mentioning)


NO_CONSTANTS: Mapping[str, Any] = MappingProxyType({})


def static_value(node: ast.AST | None, constants: Mapping[str, Any] = NO_CONSTANTS) -> Any:
    """A literal, with module-level ``constants`` substituted (``(NUM_FEATURES,)``); or UNKNOWN."""
    value = literal(node)
    if value is not UNKNOWN or node is None:
        return value
    if isinstance(node, ast.Name):
        return constants.get(node.id, UNKNOWN)
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [static_value(e, constants) for e in node.elts]
        if any(i is UNKNOWN for i in items):
            return UNKNOWN
        return tuple(items) if isinstance(node, ast.Tuple) else items
    return UNKNOWN


def arg_values(node: LayerNode, text_lines: list[str], stored: dict[str, str] | None = None,
               constants: Mapping[str, Any] = NO_CONSTANTS) -> tuple[dict[str, Any], dict[str, str]]:
    """(literal values, sources) of every rule argument, defaults applied.

    ``stored`` maps argument names to the expression that reads a non-literal argument
    later (``self.dense_units``) when the constructor's own scope is gone (subclasses);
    ``constants`` are the module's (:class:`ModuleConstants`), substituted for their names.
    """
    values: dict[str, Any] = {}
    src: dict[str, str] = {}
    for spec in node.rule.args:
        arg_node = node.bound.nodes.get(spec.name)
        if arg_node is None:
            if spec.default is None:
                raise Unsupported(f"missing required argument {spec.name!r}")
            values[spec.name] = spec.default_value()
            src[spec.name] = spec.default
        else:
            values[spec.name] = static_value(arg_node, constants)
            if values[spec.name] is UNKNOWN and stored and spec.name in stored:
                src[spec.name] = stored[spec.name]
            else:
                src[spec.name] = source_of(text_lines, arg_node)
    return values, src


def run_handler(node: LayerNode, ctx: EmitCtx) -> Emitted:
    rule = node.rule
    family = family_of(rule)
    if family is None or family.emit is None:
        raise Unsupported(f"no handler {rule.handler!r} for {rule.layer}")
    emitted = family.emit(ctx)
    if rule.call is None:
        # an initializer without a TF spelling must surface here, as Unsupported (the layer
        # is then kept as Keras), not later when the variables are written out
        for w in emitted.weights:
            init_expr(w.init, "[1]")
    for w in emitted.weights:  # an initializer with no TF spelling keeps the layer as Keras
        init_expr(w.init, shape_src(w.shape), needs=set())
    return emitted


def weight_init_line(ctx_prefix: str, w: Weight, needs: set[str], indent: str = "") -> str:
    attr = f"self.{ctx_prefix}_{w.name}"
    value = init_expr(w.init, shape_src(w.shape), needs=needs)
    trainable = "" if w.trainable else ", trainable=False"
    return f"{indent}{attr} = tf.Variable({value}{trainable}, name={ctx_prefix + '/' + w.name!r})"


def weight_lines(prefix: str, weights: list[Weight], needs: set[str]) -> tuple[list[str], list[str]]:
    """(lines for ``__init__``, lines for the call) creating a layer's variables: in
    ``__init__`` when the shape is known there, else on the first call, as Keras builds."""
    init: list[str] = []
    call: list[str] = []
    for w in weights:
        if w.lazy:
            init.append(f"self.{prefix}_{w.name} = None  # created on the first call")
            call.append(f"if self.{prefix}_{w.name} is None:")
            call.append(weight_init_line(prefix, w, needs, indent="    "))
        else:
            init.append(weight_init_line(prefix, w, needs))
    return init, call


def weights_methods(order: list[str], indent: str = "    ") -> str:
    """``ordered_variables``/``get_weights``/``set_weights``/``summary`` in Keras's order.

    ``order`` holds expressions: ``self.dense_kernel`` or ``*self.lstm.weights`` (kept Keras
    layers) or ``*self.block.ordered_variables()`` (translated sub-modules).
    """
    items = ", ".join(order)
    i = indent
    return (
        f"{i}def ordered_variables(self):\n"
        f'{i}    """The variables in the order of the Keras model\'s ``get_weights()``."""\n'
        f"{i}    variables = [{items}]\n"
        f"{i}    if any(v is None for v in variables):\n"
        f'{i}        raise ValueError("call the module once first: some variables are created on the first call")\n'
        f"{i}    return variables\n"
        f"\n"
        f"{i}def get_weights(self):\n"
        f"{i}    try:\n"
        f"{i}        variables = self.ordered_variables()\n"
        f"{i}    except ValueError:  # not built yet: Keras gives such a model no weights\n"
        f"{i}        return []\n"
        f"{i}    return [v.numpy() for v in variables]\n"
        f"\n"
        f"{i}def set_weights(self, weights):\n"
        f'{i}    """Load weights given in Keras order, e.g. ``keras_model.get_weights()``."""\n'
        f"{i}    variables = self.ordered_variables()\n"
        f"{i}    if len(weights) != len(variables):\n"
        f'{i}        raise ValueError(f"expected {{len(variables)}} arrays, got {{len(weights)}}")\n'
        f"{i}    for variable, value in zip(variables, weights):\n"
        f"{i}        variable.assign(value)\n"
        f"\n"
        f"{i}def build(self, input_shape):\n"
        f'{i}    """Create the variables for inputs of this shape, as Keras\'s ``build()`` does."""\n'
        f"{i}    if input_shape and isinstance(input_shape[0], (list, tuple)):\n"
        f"{i}        self([tf.zeros([1 if d is None else d for d in s]) for s in input_shape])\n"
        f"{i}    else:\n"
        f"{i}        self(tf.zeros([1 if d is None else d for d in input_shape]))\n"
        f"\n"
        f"{i}def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,\n"
        f"{i}            layer_range=None):\n"
        f'{i}    """The variables and their sizes (Keras\'s layout arguments are taken and change nothing)."""\n'
        f"{i}    print_fn = print if print_fn is None else print_fn\n"
        f"{i}    try:\n"
        f"{i}        variables = self.ordered_variables()\n"
        f"{i}    except ValueError:  # not built yet: Keras shows such a model with no parameters\n"
        f'{i}        print_fn(f"{{self.name}}: not built yet (its variables are created on the first call)")\n'
        f'{i}        print_fn("Total params: 0")\n'
        f"{i}        return\n"
        f"{i}    total = 0\n"
        f"{i}    for v in variables:\n"
        f"{i}        total += int(tf.size(v))\n"
        f'{i}        print_fn(f"{{v.name:<40}} {{str(v.shape):<20}} {{int(tf.size(v))}}")\n'
        f'{i}    print_fn(f"Total params: {{total}}")\n'
    )


def dims_static(shape: tuple) -> bool:
    return not any(isinstance(d, Dim) and d.needs_input for d in shape)


Shape = Shape


def bound_from_calls(nodes: Iterable[ast.AST], func: str) -> set[str]:
    """Names bound to the result of ``func(...)`` anywhere in ``nodes`` (``m = build_model()``,
    ``model = Model()``)."""
    return {t.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and isinstance(n.value.func, ast.Name) and n.value.func.id == func for t in n.targets if isinstance(t, ast.Name)}
