"""The ``tf.Variable`` s of a module, and the Keras initializer that made each one.

A variable is attributable when it is created by a plain ``self.x = tf.Variable(...)`` in
``__init__`` (or, as ``xlate to-tf`` writes lazily built weights, ``self.x = None`` there and
``if self.x is None: self.x = tf.Variable(...)`` in a method). Its shape is read from the
initial value (``tf.zeros([3, 4])``, ``tf.random.normal([784, 128], stddev=0.1)``,
``_variance_scaling([...], ...)``); the shape is what gives a layer its ``units``/``filters``.
"""

from __future__ import annotations

import ast

from kerastf_xlate.tokeras.ir import Dim, Var
from kerastf_xlate.tokeras.names import TFNames
from kerastf_xlate.tokeras.text import UNKNOWN, SourceText, const, is_int, kwarg, self_attr

# initializer calls whose first argument (or ``shape=``) is the shape
_SHAPE_FIRST = {
    "tf.zeros", "tf.ones", "tf.fill", "tf.random.normal", "tf.random.uniform", "tf.random.truncated_normal",
}
_HELPERS = {"_variance_scaling", "_variance_scaling_axes"}


def _variable_call(node: ast.AST | None, names: TFNames) -> ast.Call | None:
    if isinstance(node, ast.Call) and names.call(node) == "tf.Variable":
        return node
    return None


def _shape_node(init: ast.expr, names: TFNames) -> ast.expr | None:
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


def _dims(shape: ast.expr | None, st: SourceText) -> tuple[Dim, ...] | None:
    if not isinstance(shape, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in shape.elts):
        return None
    dims = []
    for e in shape.elts:
        v = const(e)
        src = st.seg(e)
        from_input = isinstance(e, ast.Attribute) or (
            isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) and e.value.attr == "shape"
        )
        dims.append(Dim(v if is_int(v) else None, src, from_input and ".shape[" in src))
    return tuple(dims)


def _make_var(attr: str, stmt: ast.stmt, call: ast.Call, st: SourceText, names: TFNames, lazy: ast.stmt | None = None) -> Var:
    init = kwarg(call, "initial_value", 0)
    trainable = const(kwarg(call, "trainable", 1))
    name = const(kwarg(call, "name", None))
    shape = _dims(_shape_node(init, names), st) if init is not None else None
    return Var(attr, stmt, call, init, shape, trainable is not False, name if isinstance(name, str) else None, lazy)


def _self_assign(stmt: ast.stmt, self_name: str) -> tuple[str, ast.expr] | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        attr = self_attr(stmt.targets[0], self_name)
        if attr is not None:
            return attr, stmt.value
    return None


def lazy_creation(stmt: ast.stmt, names: TFNames, self_name: str) -> tuple[str, ast.Call] | None:
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


def find_variables(cls: ast.ClassDef, init: ast.FunctionDef, st: SourceText, names: TFNames) -> tuple[dict[str, Var], list[ast.Call]]:
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


# ------------------------------------------------------------------------------ initializers

_SCALING = {
    (1.0, "fan_avg", "uniform"): "glorot_uniform", (1.0, "fan_avg", "normal"): "glorot_normal",
    (2.0, "fan_in", "uniform"): "he_uniform", (2.0, "fan_in", "normal"): "he_normal",
    (1.0, "fan_in", "uniform"): "lecun_uniform", (1.0, "fan_in", "normal"): "lecun_normal",
}


def initializer_source(var: Var, names: TFNames, st: SourceText, keras: str = "keras") -> str | None:
    """The Keras initializer that creates ``var``'s initial value, as source, or None."""
    init = var.init
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
            named = _SCALING.get((float(scale), mode, dist))
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
    from kerastf_xlate.totf.initializers import init_expr
    from kerastf_xlate.totf.ir import Unsupported

    shape_src = "[" + ", ".join(d.src for d in var.shape) + "]"
    try:
        expected = init_expr(default_src, shape_src)
    except (Unsupported, ValueError, SyntaxError):
        return False
    try:
        return ast.dump(ast.parse(expected, mode="eval").body) == ast.dump(ast.parse(st.seg(var.init), mode="eval").body)
    except SyntaxError:
        return False


def var_value(v: object) -> object:
    return None if v is UNKNOWN else v
