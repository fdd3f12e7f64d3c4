"""The ``tf.Variable`` s of a module, and the Keras initializer that made each one.

A variable is attributable when it is created by a plain ``self.x = tf.Variable(...)`` in
``__init__`` (or, as ``xlate to-tf`` writes lazily built weights, ``self.x = None`` there and
``if self.x is None: self.x = tf.Variable(...)`` in a method), or on the first call, as the
TensorFlow guides write it: ``self.ready = False`` in ``__init__`` and, at the top of a
method, ``if not self.ready:`` creating the variables (from locals and attributes set in that
block only, ``x.shape[-1]`` for the input's width) and setting ``self.ready = True``
(:func:`first_call_block`). Its shape is read from the
initial value (``tf.zeros([3, 4])``, ``tf.random.normal([784, 128], stddev=0.1)``,
``_variance_scaling([...], ...)``); the shape is what gives a layer its ``units``/``filters``.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
from dataclasses import dataclass

from kerastf_xlate.layerkit.named import file_constants, named_tuple
from kerastf_xlate.layerkit.recognise import Var, VarDim, scaled_draw
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
    scaled = scaled_draw(init, names)
    if scaled is not None:
        init = scaled[0]
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
    if isinstance(shape, ast.Constant) and is_int(shape.value) and not isinstance(shape.value, bool):
        return (VarDim(int(shape.value), st.seg(shape)),)  # type: ignore[arg-type]  # ``tf.zeros(10)``: the shape [10]
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


def _given_initializer(init: ast.expr | None, names: ModuleNames) -> tuple[str, ast.expr] | None:
    """``self.weight_init(shape=(rows, units))``, or a function of the file's
    (``xavier_init((rows, units))``), called with the shape alone: (a Keras initializer that
    makes the same call, the shape). Keras calls an initializer with the weight's shape, a
    tuple of ints, as the original called it."""
    if not (isinstance(init, ast.Call) and len(init.args) + len(init.keywords) == 1):
        return None
    shape = init.args[0] if init.args else (init.keywords[0].value if init.keywords[0].arg == "shape" else None)
    func = init.func
    own = self_attr(func) is not None or (isinstance(func, ast.Name) and any(
        isinstance(s, ast.FunctionDef) and s.name == func.id for s in names.body))
    if shape is None or not own or not isinstance(shape, (ast.Tuple, ast.List)):
        return None
    call = f"{ast.unparse(func)}(shape=shape)" if not init.args else f"{ast.unparse(func)}(shape)"
    return f"lambda shape, dtype=None: {call}", shape


def _float32(call: ast.Call, names: ModuleNames) -> bool:
    """The call says no dtype, or float32."""
    return _float_dtype(call, names) == "float32"


_FLOAT64 = ("tf.float64", "tf.double")


def _float_dtype(call: ast.Call, names: ModuleNames, default: str = "float32") -> str | None:
    """The floating dtype the call says (``dtype=tf.float64``, ``tf.double``, "float64"):
    "float32" / "float64", ``default`` when it says none, None for another."""
    dt = next((k.value for k in call.keywords if k.arg == "dtype"), None)
    if dt is None:
        return default
    if names.qual(dt) == "tf.float32" or const(dt) == "float32":
        return "float32"
    if names.qual(dt) in _FLOAT64 or const(dt) in ("float64", "double"):
        return "float64"
    return None


def _variable_dtype(call: ast.Call, init: ast.expr | None, names: ModuleNames) -> str | None:
    """A variable's floating dtype: its own ``dtype=``, else its initial value's (a
    ``tf.random.normal(..., dtype=tf.double)``), else float32; None for another dtype or
    where the two disagree."""
    own = _float_dtype(call, names, default="")
    given = _float_dtype(init, names, default="") if isinstance(init, ast.Call) else ""
    if own is None or given is None or (own and given and own != given):
        return None
    return own or given or "float32"


def _trainable(node: ast.expr | None) -> bool | None:
    """``trainable=`` as given: absent or None (``tf.Variable``'s default) is True; a value
    not known statically is None (no layer weight is claimed for it)."""
    if node is None:
        return True
    value = const(node)
    return value if isinstance(value, bool) else True if value is None else None


def _make_var(attr: str, stmt: ast.stmt, call: ast.Call, st: SourceText, names: ModuleNames, lazy: ast.stmt | None = None,
              init: ast.expr | None = None) -> Var:
    if init is None:
        init = kwarg(call, "initial_value", 0)
    trainable = _trainable(kwarg(call, "trainable", 1))
    name = const(kwarg(call, "name", None))
    shape = _dims(_shape_node(init, names), st, names) if init is not None else None
    initializer = None
    given = _given_initializer(init, names)
    if given is not None:
        shape, initializer = _dims(given[1], st, names), given[0]
    if isinstance(init, ast.Constant) and type(init.value) is float and init.value == 0.0:
        shape, initializer = (), "'zeros'"  # tf.Variable(0.0): a float32 scalar (an int literal is int32: none)
    dtype = _variable_dtype(call, init, names)
    if dtype is None:
        shape = None  # a Keras layer's weights are floating: another dtype is no layer's weight
    return Var(attr, stmt, call, init, shape, trainable, name if isinstance(name, str) else None, lazy,
               initializer=initializer, dtype=dtype or "float32")


_ADD_WEIGHT_KEYS = {"shape", "initializer", "trainable", "name", "dtype", "regularizer", "constraint"}


def _add_weight_call(node: ast.AST | None, self_name: str) -> ast.Call | None:
    """``self.add_weight(shape=..., initializer=..., trainable=..., name=...)``, keywords only
    (Keras 2 took the name first, Keras 3 the shape: a positional argument is ambiguous)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_weight"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == self_name and not node.args
            and all(k.arg in _ADD_WEIGHT_KEYS for k in node.keywords)):
        return node
    return None


def _make_add_weight_var(attr: str, stmt: ast.stmt, call: ast.Call, st: SourceText, names: ModuleNames,
                         lazy: ast.stmt | None, shape: ast.expr | None) -> Var:
    trainable = _trainable(kwarg(call, "trainable", None))
    name = const(kwarg(call, "name", None))
    if (isinstance(shape, ast.Call) and names.call(shape) == "tf.TensorShape" and len(shape.args) == 1
            and not shape.keywords and isinstance(shape.args[0], (ast.List, ast.Tuple))):
        shape = shape.args[0]  # add_weight reads a TensorShape as the tuple of its dims
    dims = _dims(shape, st, names)
    if not _float32(call, names):
        dims = None
    ini = kwarg(call, "initializer", None)
    if ini is None:
        initializer = "'glorot_uniform'"  # add_weight's default for a float weight (Keras 2 and 3)
    elif isinstance(ini, ast.Constant) and isinstance(ini.value, str):
        initializer = repr(ini.value)
    else:
        initializer = st.seg(ini)
    # a regularizer / constraint goes to the layer's argument of the weight's role (init_arg);
    # ``None`` as written is none
    extras = tuple((kind, st.seg(e)) for kind in ("regularizer", "constraint")
                   if (e := kwarg(call, kind, None)) is not None and not (isinstance(e, ast.Constant) and e.value is None))
    return Var(attr, stmt, call, None, dims, trainable, name if isinstance(name, str) else None, lazy,
               initializer=initializer, extras=extras)


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


@dataclass
class FirstCall:
    """``if not self.<flag>:`` at the top of a method, creating variables on the first call."""

    stmt: ast.If
    flag: str
    flag_init: ast.stmt  # ``self.<flag> = False`` in ``__init__``
    variables: dict[str, tuple[ast.Call, ast.expr | None]]  # attr -> (tf.Variable call, initial value with the block's names substituted)


class _Substitute(ast.NodeTransformer):
    def __init__(self, local: dict[str, ast.expr], attrs: dict[str, ast.expr], self_name: str) -> None:
        self.local, self.attrs, self.self_name = local, attrs, self_name

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.local.get(node.id, node) if isinstance(node.ctx, ast.Load) else node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        a = self_attr(node, self.self_name)
        if a is not None and a in self.attrs and isinstance(node.ctx, ast.Load):
            return self.attrs[a]
        return self.generic_visit(node)


def _flag_test(test: ast.expr, self_name: str) -> str | None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return self_attr(test.operand, self_name)
    return None


def first_call_block(stmt: ast.stmt, cls: ast.ClassDef, init: ast.FunctionDef, method: ast.FunctionDef, names: ModuleNames,
                     module: ast.AST | None) -> FirstCall | None:
    """The first-call creation block ``stmt`` is, or None.

    Only when removing it (the variables become layers created in ``__init__``) loses nothing:
    its statements are locals (``width = x.shape[-1]``), attributes (``self.in_dim = ...``)
    and variables set once and read nowhere outside it, ``self.<flag> = True``, and the flag
    is set to False in ``__init__`` and read nowhere else in the file."""
    me = method.args.args[0].arg if method.args.args else "self"
    init_self = init.args.args[0].arg if init.args.args else "self"
    if not (isinstance(stmt, ast.If) and not stmt.orelse):
        return None
    flag = _flag_test(stmt.test, me)
    if flag is None:
        return None
    flag_inits = [s for s in init.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                  and self_attr(s.targets[0], init_self) == flag and isinstance(s.value, ast.Constant) and s.value.value is False]
    if len(flag_inits) != 1:
        return None
    local: dict[str, ast.expr] = {}
    attrs: dict[str, ast.expr] = {}
    variables: dict[str, tuple[ast.Call, ast.expr | None]] = {}
    flag_set = False
    sub = _Substitute(local, attrs, me)
    for s in stmt.body:
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1) or flag_set:
            return None
        target, value = s.targets[0], s.value
        a = self_attr(target, me)
        if a == flag:
            if not (isinstance(value, ast.Constant) and value.value is True):
                return None
            flag_set = True
            continue
        if any(names.call(n) == "tf.Variable" for n in ast.walk(value) if n is not value):
            return None
        call = _variable_call(value, names)
        if isinstance(target, ast.Name) and call is None and target.id not in local:
            local[target.id] = sub.visit(_copy_tree(value))
        elif a is not None and call is not None and a not in variables and a not in attrs:
            iv = kwarg(call, "initial_value", 0)
            variables[a] = (call, sub.visit(_copy_tree(iv)) if iv is not None else None)
        elif a is not None and call is None and a not in attrs and a not in variables:
            attrs[a] = sub.visit(_copy_tree(value))
        else:
            return None
    if not flag_set or not variables:
        return None
    # names the block binds are read nowhere else
    inside = {id(n) for n in ast.walk(stmt)}
    for n in ast.walk(method):
        if id(n) in inside:
            continue
        if isinstance(n, ast.Name) and n.id in local:
            return None
    block_attrs = set(attrs) | {flag}
    in_class = {id(n) for n in ast.walk(cls)}
    for n in ast.walk(cls):
        if id(n) in inside or n is flag_inits[0].targets[0] or not isinstance(n, ast.Attribute):
            continue
        if n.attr in block_attrs or (n.attr in variables and isinstance(n.ctx, ast.Store)):
            return None  # the flag or a name of the block used elsewhere, a variable set elsewhere too
    # outside the class, the flag and the block's attributes are not read on an instance
    # (``self.built`` of another class is that class's)
    for n in ast.walk(module) if module is not None else ():
        if (id(n) not in in_class and isinstance(n, ast.Attribute) and n.attr in block_attrs
                and not (isinstance(n.value, ast.Name) and n.value.id == "self")):
            return None
    return FirstCall(stmt, flag, flag_inits[0], variables)


def _copy_tree(node: ast.expr) -> ast.expr:
    """A copy of ``node``'s containers that keeps the original leaf nodes (their positions are
    what the source text of an argument is read from)."""
    return _Copier().visit(copy.copy(node))


class _Copier(ast.NodeTransformer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field_, old in ast.iter_fields(node):
            if isinstance(old, list):
                setattr(node, field_, [self.visit(copy.copy(v)) if isinstance(v, ast.AST) else v for v in old])
            elif isinstance(old, ast.AST):
                setattr(node, field_, self.visit(copy.copy(old)))
        return node


def build_variables(build: ast.FunctionDef, names: ModuleNames,
                    cls_name: str | None = None) -> dict[str, tuple[ast.Call, ast.expr | None]] | None:
    """The variables a Keras ``build(self, input_shape)`` creates, when that is all it does:
    locals, ``self.x = tf.Variable(...)`` set once, then ``self.built = True`` or
    ``super().build(input_shape)`` (``super(<the class>, self).build(input_shape)``, the
    Python 2 spelling of the same call, when ``cls_name`` names the class; a docstring
    first). None otherwise."""
    params = [a.arg for a in build.args.args]
    if len(params) != 2 or build.decorator_list or build.args.vararg or build.args.kwarg or build.args.kwonlyargs:
        return None
    me = params[0]
    body = build.body[1:] if (build.body and isinstance(build.body[0], ast.Expr) and isinstance(build.body[0].value, ast.Constant)
                              and isinstance(build.body[0].value.value, str)) else build.body
    supers = {f"super().build({params[1]})"} | ({f"super({cls_name}, {me}).build({params[1]})"} if cls_name else set())
    if body and isinstance(body[-1], ast.Expr) and ast.unparse(body[-1]) in supers:
        body = body[:-1]
    elif body and isinstance(body[-1], ast.Assign) and ast.unparse(body[-1]) == f"{me}.built = True":
        body = body[:-1]
    local: dict[str, ast.expr] = {}
    variables: dict[str, tuple[ast.Call, ast.expr | None]] = {}
    sub = _Substitute(local, {}, me)
    for s in body:
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1):
            return None
        target, value = s.targets[0], s.value
        a = self_attr(target, me)
        if any(names.call(n) == "tf.Variable" or _add_weight_call(n, me) for n in ast.walk(value) if n is not value):
            return None
        call = _variable_call(value, names) or _add_weight_call(value, me)
        if isinstance(target, ast.Name) and call is None and target.id not in local:
            local[target.id] = sub.visit(_copy_tree(value))
        elif a is not None and call is not None and a not in variables:
            iv = kwarg(call, "initial_value", 0) if names.call(call) == "tf.Variable" else kwarg(call, "shape", None)
            variables[a] = (call, sub.visit(_copy_tree(iv)) if iv is not None else None)
        else:
            return None
    return variables or None


def _input_width(v: Var, param: str) -> Var:
    """``input_shape[-1]`` in a build's variable shape is the input's width."""
    if v.shape is None:
        return v
    width = {f"{param}[-1]", f"int({param}[-1])"}
    dims = tuple(dataclasses.replace(d, from_input=True) if d.src.replace(" ", "") in width else d for d in v.shape)
    return dataclasses.replace(v, shape=dims)


def find_variables(cls: ast.ClassDef, init: ast.FunctionDef, st: SourceText, names: ModuleNames,
                   module: ast.AST | None = None, first_call: bool = False,
                   build: ast.FunctionDef | None = None, keras: bool = False) -> tuple[dict[str, Var], list[ast.Call]]:
    """The attributable variables (attr -> Var) and every other ``tf.Variable(...)`` call.
    ``first_call``: variables created in a first-call block (:func:`first_call_block`) too,
    their statement the flag's ``= False`` in ``__init__``, their ``lazy`` the block."""
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
                    continue
                block = first_call_block(stmt, cls, init, node, names, module) if first_call else None
                if block is not None and not any(a in found or a in placeholders for a in block.variables):
                    for attr, (call, iv) in block.variables.items():
                        found[attr] = _make_var(attr, block.flag_init, call, st, names, lazy=stmt, init=iv)
    made = build_variables(build, names, cls.name) if build is not None else None
    if build is not None and made is not None and not any(a in found or a in placeholders for a in made):
        for attr, (call, iv) in made.items():
            if names.call(call) == "tf.Variable":
                v = _make_var(attr, build, call, st, names, lazy=build, init=iv)
            else:
                v = _make_add_weight_var(attr, build, call, st, names, build, iv)
            found[attr] = _input_width(v, build.args.args[1].arg)
    if keras:  # a Keras class: add_weight in __init__ too
        for stmt in init.body:
            got = _self_assign(stmt, self_name)
            aw = _add_weight_call(got[1], self_name) if got is not None else None
            if got is not None and aw is not None and got[0] not in found:
                found[got[0]] = _make_add_weight_var(got[0], stmt, aw, st, names, None, kwarg(aw, "shape", None))
    known = {id(v.call) for v in found.values()}
    others = [n for n in ast.walk(cls) if isinstance(n, ast.Call) and names.call(n) == "tf.Variable" and id(n) not in known]
    return found, others


def var_value(v: object) -> object:
    return None if v is UNKNOWN else v
