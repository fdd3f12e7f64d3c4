"""Why a ``tf.Variable`` that looks like a weight stays one, when nothing else said so.

to-keras raises the variables of ``tf.Module`` subclasses, of Keras layers that hold
``tf.Variable`` s, and of tutorial programs whose model function reads its weights from the
module (:mod:`.weight_dicts`). Each of those reports what it keeps (XL502/XL503). A variable
outside all of them (a plain class holding its weights, weights handed to the model function
as arguments, a computation at module level, TensorFlow 1 graph code) used to stay without a
word: the user could not tell a limit from an oversight. This pass gives each such variable
one XL503 with the reason read off where it stands. It changes no code.

A variable counts when it can be a learned weight: not ``trainable=False`` and not
initialised with a literal (``tf.Variable(3.0)`` in a guide on gradients, a counter).
"""

from __future__ import annotations

import ast

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.static import UNKNOWN
from kerastf_xlate.syntax import SourceText, const
from kerastf_xlate.tokeras.common import Finding

_TF1 = ("tf.placeholder", "tf.Session", "tf.get_variable", "tf.variable_scope", "tf.global_variables_initializer",
        "tf.train.GradientDescentOptimizer", "tf.train.AdamOptimizer")


def _literal(expr: ast.AST | None, names: ModuleNames) -> bool:
    """A value written in the code (``3.0``, ``[2.0, 3.0]``, ``1.0 - 0.5``), alone or in
    ``tf.constant(...)``."""
    if isinstance(expr, ast.Call) and names.call(expr) in ("tf.constant", "tf.convert_to_tensor") and expr.args:
        expr = expr.args[0]
    return expr is not None and const(expr) is not UNKNOWN


def _weight_like(call: ast.Call, names: ModuleNames) -> bool:
    for k in call.keywords:
        if k.arg == "trainable" and isinstance(k.value, ast.Constant) and k.value.value is False:
            return False
    init = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "initial_value"), None)
    return init is not None and not _literal(init, names)


_LAYER_OPS = ("tf.matmul", "tf.linalg.matmul", "tf.tensordot", "tf.einsum", "tf.nn.embedding_lookup", "tf.nn.bias_add",
              "tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d", "tf.nn.convolution", "tf.nn.conv2d_transpose",
              "tf.nn.depthwise_conv2d", "tf.nn.separable_conv2d", "tf.nn.xw_plus_b", "tf.nn.nce_loss",
              "tf.nn.batch_normalization", "tf.keras.backend.dot")


def _layer_op(n: ast.AST, names: ModuleNames) -> bool:
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
        return True
    return isinstance(n, ast.Call) and names.call(n) in _LAYER_OPS


def _applied(ref: ast.AST, names: ModuleNames, funcs: dict[str, ast.AST], parents: dict[int, ast.AST]) -> bool:
    """``ref`` (a read of the variable) is an operand of a layer-like op (a matmul, a conv, an
    embedding lookup), or added to one (a bias), or given to a function of the file (or a
    method of its class, ``self.helper(x, self.W)``) that applies such an op: the variable is
    used as a layer's weight."""
    node: ast.AST = ref
    while not isinstance(node, ast.stmt):
        p = parents.get(id(node))
        if p is None:
            return False
        if _layer_op(p, names):
            return True
        if isinstance(p, ast.BinOp) and isinstance(p.op, (ast.Add, ast.Sub)):
            other = p.right if p.left is node else p.left
            if any(_layer_op(m, names) for m in ast.walk(other)):
                return True
        if isinstance(p, ast.Call) and names.call(p) in ("tf.add", "tf.math.add") and node in p.args:
            # `tf.add(tf.matmul(x, self.W3), self.b3)`: a bias, as `+`
            if any(_layer_op(m, names) for a in p.args if a is not node for m in ast.walk(a)):
                return True
        helper = p.func.id if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) else (
            # a method of the class given the weight (`self.__conv_layer(x, self.W1, self.b1)`)
            p.func.attr if isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute)
            and isinstance(p.func.value, ast.Name) and p.func.value.id == "self" else None)
        if isinstance(p, ast.Call) and node in p.args and helper in funcs:
            if any(_layer_op(m, names) for m in ast.walk(funcs[helper])):
                return True
        node = p
    return False


def tf1_code(tree: ast.Module, names: ModuleNames) -> str | None:
    for n in ast.walk(tree):
        q = names.qual(n) if isinstance(n, ast.Attribute) else None
        if q is not None and (q.startswith("tf.compat.v1.") or q in _TF1):
            return q
    return None


def unexplained_variables(tree: ast.Module, st: SourceText, names: ModuleNames, spans: list[tuple[int, int]],
                          findings: list[Finding], plain_kept: dict[str, str] | None = None) -> list[Finding]:
    """An XL503 for each weight-like ``tf.Variable`` call left as it was that no finding covers;
    ``plain_kept``: why a plain class was not raised (:mod:`.instance_vars`)."""
    parents: dict[int, ast.AST] = {}
    for n in ast.walk(tree):
        for c in ast.iter_child_nodes(n):
            parents[id(c)] = n
    reported: set[int] = set()
    for f in findings:
        first = getattr(f.node, "lineno", None)
        if first is not None:
            reported.update(range(first, (getattr(f.node, "end_lineno", None) or first) + 1))
    tf1: str | None | bool = False  # looked up once, when needed
    holders: set[int] = set()  # the dict / list statements reported
    funcs: dict[str, ast.AST] = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out: list[Finding] = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and names.call(call) == "tf.Variable" and _weight_like(call, names)):
            continue
        start, end = st.span(call)
        if any(s < end and start < e for s, e in spans):
            continue  # raised
        chain: list[ast.AST] = [call]
        while id(chain[-1]) in parents:
            chain.append(parents[id(chain[-1])])
        stmt = next(n for n in chain if isinstance(n, ast.stmt))
        owners: list[ast.AST] = [n for n in chain[1:] if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
        if any(line in reported for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)):
            continue
        cls = next((o for o in owners if isinstance(o, ast.ClassDef)), None)
        if isinstance(cls, ast.ClassDef) and cls.lineno in reported:
            continue
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and stmt.value is call else None
        holder = None  # a dict / list of variables (`weights = {"h1": tf.Variable(...)}`): one finding for it
        if (target is None and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, (ast.Dict, ast.List, ast.Tuple))
                and parents.get(id(call)) is stmt.value):
            if id(stmt) in holders:
                continue
            holders.add(id(stmt))
            target, holder = stmt.targets[0], "dict" if isinstance(stmt.value, ast.Dict) else "list"
        returned: tuple[str, str] | None = None  # (the maker, the function given it) when followed out
        maker = owners[0] if owners and isinstance(owners[0], (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        if isinstance(stmt, ast.Return) and stmt.value is call and maker is not None:
            # a factory (`def new_weights(shape): return tf.Variable(...)`) whose callers apply it
            returned = _returned_and_applied(maker, -1, tree, names, funcs, parents)
            if returned is None:
                continue
            what = f"the tf.Variable `{maker.name}` returns"
            node: ast.AST = call
        elif not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        else:
            if not any(_applied(r, names, funcs, parents) for r in _reads(target, owners, tree)):
                position = _return_position(maker, target.id) if maker is not None and isinstance(target, ast.Name) else None
                if position is not None and maker is not None:
                    returned = _returned_and_applied(maker, position, tree, names, funcs, parents)
                if returned is None:
                    continue  # not seen used as a layer's weight: nothing to explain
            what, node = f"`{ast.unparse(target)}`", target
            if holder is not None:
                what = f"`{ast.unparse(target)}`, a {holder} of tf.Variables,"
        if tf1 is False:
            tf1 = tf1_code(tree, names)
        if tf1:
            why = (f"TensorFlow 1 graph code (`{tf1}`) is not raised; to-keras raises TensorFlow 2 code "
                   "(tf.Module subclasses, model functions that read their weights)")
        elif cls is not None:
            if _keras_class(cls, tree, names) and not any(f"of Keras class `{cls.name}`" in f.message for f in findings):
                # the Keras-class path said nothing (a `build` of its own, a copy constructor):
                # the reason holds whatever the class's shape
                why = (f"it is held by `{cls.name}`, a Keras class: Keras 3 does not track a tf.Variable a layer "
                       "holds (fit does not train it, get_weights leaves it out), so a layer weight raised from it "
                       "would change what the model trains and saves")
                out.append(Finding(node, "XL503", f"{what} stays a tf.Variable: {why}"))
                continue
            if _keras_class(cls, tree, names):
                continue  # the Keras-class path said why (for its first variable)
            if cls.bases and not all(isinstance(b, ast.Name) and b.id == "object" for b in cls.bases):
                continue  # a tf.Module class: its translator reports what it keeps (`(object)`: plain)
            why = (f"it is held by `{cls.name}`, a plain class, which is not raised: {(plain_kept or {})[cls.name]}"
                   if cls.name in (plain_kept or {}) else
                   f"it is held by `{cls.name}`, a plain class: to-keras raises the variables of tf.Module "
                   "subclasses, Keras layers and plain classes with `__init__` and `__call__`")
        elif returned is not None:
            why = (f"`{returned[0]}` makes and returns it, and it is {returned[1]}; to-keras raises the weights a "
                   "model function reads itself or is given by name at every call (module-level names, a weight dict "
                   "or list, a tf.Module), not weights a function makes and hands on")
        elif owners:
            why = f"it is made inside `{getattr(owners[0], 'name', '?')}`, not held by a tf.Module, a Keras layer or a weight dict"
        elif isinstance(target, ast.Name):
            why = _module_level_reason(tree, target.id, parents, funcs)
        else:
            why = "it is not held by a tf.Module, a Keras layer or a weight dict that a model function reads"
        out.append(Finding(node, "XL503", f"{what} {'stays as it is' if holder else 'stays a tf.Variable'}: {why}"))
    return out


def _reads(target: ast.Name | ast.Attribute, owners: list[ast.AST], tree: ast.Module) -> list[ast.AST]:
    """The reads of the variable's name: ``self.w`` in its class, a local name in its function,
    a module-level name anywhere (a function reading the global)."""
    if isinstance(target, ast.Attribute):
        cls = next((o for o in owners if isinstance(o, ast.ClassDef)), None)
        if cls is None or not isinstance(target.value, ast.Name):
            return []
        return [n for n in ast.walk(cls) if isinstance(n, ast.Attribute) and n.attr == target.attr
                and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) and n.value.id == target.value.id]
    scope = owners[0] if owners else tree
    return [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == target.id and isinstance(n.ctx, ast.Load)]


def _keras_class(cls: ast.ClassDef, tree: ast.Module, names: ModuleNames, depth: int = 0) -> bool:
    """A subclass of a Keras layer or model, directly or through classes of the file."""
    for b in cls.bases:
        q = names.qual(b) if isinstance(b, (ast.Name, ast.Attribute)) else None
        if q is not None and q.startswith(("keras.", "tf.keras.")):
            return True
        if isinstance(b, ast.Name) and depth < 8:
            base = next((c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == b.id), None)
            if base is not None and base is not cls and _keras_class(base, tree, names, depth + 1):
                return True
    return False


def _returned_and_applied(maker: ast.FunctionDef | ast.AsyncFunctionDef, position: int, tree: ast.Module,
                          names: ModuleNames, funcs: dict[str, ast.AST],
                          parents: dict[int, ast.AST]) -> tuple[str, str] | None:
    """A value ``maker`` returns (whole, ``position`` -1, or at ``position`` of a returned
    tuple: ``return w1, b1, w2``), bound by a caller (``w1, b1, w2 = init_parameters()``,
    ``weights = new_weights(shape)``) and applied there or given to a function of the file
    that applies it (``train_epoch(ds, w1, b1, w2)``): weights made by one function and
    handed to the model. Gives (the maker, where it is applied: "given to `f(...)`" or
    "applied in `f`"), followed through two levels of callers at most."""
    todo: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, int]] = [(maker, position)]
    for _ in range(2):
        further: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, int]] = []
        for func, pos in todo:
            for call in ast.walk(tree):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == func.name):
                    continue
                stmt = parents.get(id(call))
                if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                    continue
                t = stmt.targets[0]
                bound = (t if pos == -1 and isinstance(t, ast.Name) else
                         t.elts[pos] if pos >= 0 and isinstance(t, (ast.Tuple, ast.List)) and len(t.elts) > pos else None)
                if not isinstance(bound, ast.Name):
                    continue
                chain: list[ast.AST] = [stmt]
                while id(chain[-1]) in parents:
                    chain.append(parents[id(chain[-1])])
                scope: list[ast.AST] = [n for n in chain if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
                for r in _reads(ast.Name(id=bound.id, ctx=ast.Store()), scope, tree):
                    if _applied(r, names, funcs, parents):
                        p = parents.get(id(r))
                        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id in funcs:
                            return (maker.name, f"given to `{p.func.id}(...)`")
                        where = getattr(scope[0], "name", None) if scope else None
                        return (maker.name, f"applied in `{where}`" if where else "applied at module level")
                if scope and isinstance(scope[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
                    outer = _return_position(scope[0], bound.id)
                    if outer is not None:
                        further.append((scope[0], outer))
        todo = further
    return None


def _return_position(func: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> int | None:
    """Where ``func``'s only ``return`` gives ``name``: -1 for the whole value, the index in a
    returned tuple; None when it is not returned so (or returned by several ``return``s)."""
    returns = [n for n in ast.walk(func) if isinstance(n, ast.Return)]
    if len(returns) != 1 or returns[0].value is None:
        return None
    value = returns[0].value
    if isinstance(value, ast.Name):
        return -1 if value.id == name else None
    if isinstance(value, (ast.Tuple, ast.List)):
        hits = [i for i, e in enumerate(value.elts) if isinstance(e, ast.Name) and e.id == name]
        return hits[0] if len(hits) == 1 else None
    return None


def _module_level_reason(tree: ast.Module, name: str, parents: dict[int, ast.AST], funcs: dict[str, ast.AST]) -> str:
    passed: str | None = None
    read_in: str | None = None
    for n in ast.walk(tree):
        if not (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)):
            continue
        p = parents.get(id(n))
        if isinstance(p, ast.Call) and n in p.args and isinstance(p.func, ast.Name) and p.func.id in funcs and passed is None:
            passed = p.func.id
        scope = p
        while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            scope = parents.get(id(scope))
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and read_in is None:
            read_in = scope.name
    if passed is not None:
        return (f"it is given to `{passed}(...)` as an argument; to-keras raises the weights a model function "
                "reads itself (module-level names or a weight dict, also when every call gives them by name), not "
                "other parameters")
    if read_in is not None:
        return f"`{read_in}`, which reads it, is not a model function to-keras raises (it needs weights read as a model's, applied by layer-like ops)"
    return "it is applied at module level, not by a model function or a tf.Module"
