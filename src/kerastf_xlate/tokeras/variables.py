"""The ``tf.Variable`` s of a module, and the Keras initializer that made each one.

A variable is attributable when it is created by a plain ``self.x = tf.Variable(...)`` in
``__init__`` (or, as ``xlate to-tf`` writes lazily built weights, ``self.x = None`` there and
``if self.x is None: self.x = tf.Variable(...)`` in a method). Its shape is read from the
initial value (``tf.zeros([3, 4])``, ``tf.random.normal([784, 128], stddev=0.1)``,
``_variance_scaling([...], ...)``); the shape is what gives a layer its ``units``/``filters``.
"""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.named import file_constants, named_tuple
from kerastf_xlate.layerkit.recognise import Var, VarDim
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.static import UNKNOWN, is_int
from kerastf_xlate.syntax import SourceText, const, kwarg, self_attr

# initializer calls whose first argument (or ``shape=``) is the shape
_SHAPE_FIRST = {
    "tf.zeros", "tf.ones", "tf.fill", "tf.random.normal", "tf.random.uniform", "tf.random.truncated_normal",
}
_HELPERS = {"_variance_scaling", "_variance_scaling_axes"}


def _variable_call(node: ast.AST | None, names: ModuleNames) -> ast.Call | None:
    if isinstance(node, ast.Call) and names.call(node) == "tf.Variable":
        return node
    return None


def _shape_node(init: ast.expr, names: ModuleNames) -> ast.expr | None:
    if not isinstance(init, ast.Call):
        return None
    q = names.call(init)
    if q in _SHAPE_FIRST:
        return kwarg(init, "shape" if q != "tf.fill" else "dims", 0)
    if q == "tf.constant":
        return kwarg(init, "shape", 2)
    if isinstance(init.func, ast.Name) and init.func.id in _HELPERS:
        return kwarg(init, "shape", 0)
    if isinstance(init.func, ast.Call):  # SomeInitializer(...)(shape) / (shape=...)
        return kwarg(init, "shape", 0)
    return None


def _dims(shape: ast.expr | None, st: SourceText, names: ModuleNames) -> tuple[VarDim, ...] | None:
    if not isinstance(shape, (ast.List, ast.Tuple)):
        return None
    dims = []
    for e in shape.elts:
        if isinstance(e, ast.Starred):
            # ``[*KS, 1, 8]``: a tuple constant of the file (to-tf keeps the user's name)
            value = file_constants(names, names.body).get(e.value.id) if isinstance(e.value, ast.Name) else None
            if value is None:
                return None
            name = e.value.id  # type: ignore[attr-defined]
            dims += [VarDim(item, f"{name}[{item.index}]") for item in named_tuple(value, name)]
            continue
        v = const(e)
        src = st.seg(e)
        from_input = isinstance(e, ast.Attribute) or (
            isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) and e.value.attr == "shape"
        )
        dims.append(VarDim(v if is_int(v) else None, src, from_input and ".shape[" in src))
    return tuple(dims)


def _float32(call: ast.Call, names: ModuleNames) -> bool:
    """The call says no dtype, or float32."""
    dt = next((k.value for k in call.keywords if k.arg == "dtype"), None)
    return dt is None or names.qual(dt) == "tf.float32" or const(dt) == "float32"


def _make_var(attr: str, stmt: ast.stmt, call: ast.Call, st: SourceText, names: ModuleNames, lazy: ast.stmt | None = None) -> Var:
    init = kwarg(call, "initial_value", 0)
    trainable = const(kwarg(call, "trainable", 1))
    name = const(kwarg(call, "name", None))
    shape = _dims(_shape_node(init, names), st, names) if init is not None else None
    if not _float32(call, names) or (isinstance(init, ast.Call) and not _float32(init, names)):
        shape = None  # a Keras layer's weights are float32: another dtype is no layer's weight
    return Var(attr, stmt, call, init, shape, trainable is not False, name if isinstance(name, str) else None, lazy)


def _self_assign(stmt: ast.stmt, self_name: str) -> tuple[str, ast.expr] | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        attr = self_attr(stmt.targets[0], self_name)
        if attr is not None:
            return attr, stmt.value
    return None


def lazy_creation(stmt: ast.stmt, names: ModuleNames, self_name: str) -> tuple[str, ast.Call] | None:
    """``if self.x is None: self.x = tf.Variable(...)`` -> ('x', the call)."""
    if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1):
        return None
    test = stmt.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
        return None
    attr = self_attr(test.left, self_name)
    got = _self_assign(stmt.body[0], self_name)
    if attr is None or got is None or got[0] != attr:
        return None
    call = _variable_call(got[1], names)
    return (attr, call) if call is not None else None


def find_variables(cls: ast.ClassDef, init: ast.FunctionDef, st: SourceText, names: ModuleNames) -> tuple[dict[str, Var], list[ast.Call]]:
    """The attributable variables (attr -> Var) and every other ``tf.Variable(...)`` call."""
    self_name = init.args.args[0].arg if init.args.args else "self"
    found: dict[str, Var] = {}
    placeholders: dict[str, ast.stmt] = {}
    for stmt in init.body:
        got = _self_assign(stmt, self_name)
        if got is None:
            continue
        attr, value = got
        call = _variable_call(value, names)
        if call is not None and attr not in found and attr not in placeholders:
            found[attr] = _make_var(attr, stmt, call, st, names)
        elif isinstance(value, ast.Constant) and value.value is None:
            placeholders[attr] = stmt
        elif attr in found:
            del found[attr]  # assigned twice: not a plain variable
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef) and node is not init:
            me = node.args.args[0].arg if node.args.args else "self"
            for stmt in node.body:
                lazy = lazy_creation(stmt, names, me)
                if lazy is not None and lazy[0] in placeholders and lazy[0] not in found:
                    attr, call = lazy
                    found[attr] = _make_var(attr, placeholders[attr], call, st, names, lazy=stmt)
    known = {id(v.call) for v in found.values()}
    others = [n for n in ast.walk(cls) if isinstance(n, ast.Call) and names.call(n) == "tf.Variable" and id(n) not in known]
    return found, others


def var_value(v: object) -> object:
    return None if v is UNKNOWN else v
