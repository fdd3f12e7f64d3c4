"""Which names hold Keras symbolic tensors (KerasTensors) in a module.

A translated ``tf.Module`` must never be called on a KerasTensor: a functional model that
stays Keras would then fail at run time ("A KerasTensor cannot be used as input to a
TensorFlow function"). The flat form translates a subclass while another model of the file
may stay Keras, so before translating a class it checks that no instance of it is called on a
symbolic tensor: a name bound by ``keras.Input(...)``, by a Keras layer applied to something
(``layers.Dense(3)(x)``, ``dense(x)`` with ``dense = layers.Dense(3)``), or by any expression
of symbolic names (``x + y``, ``[x, y]``), anywhere in the module (by name, conservatively).
"""

from __future__ import annotations

import ast


def symbolic_names(tree: ast.AST, layer_calls: set[int], input_calls: set[int]) -> set[str]:
    """Names that may hold a KerasTensor. ``layer_calls`` are the ids of calls that construct
    a Keras layer, ``input_calls`` those of ``keras.Input(...)``."""
    return _symbolic_in(list(ast.walk(tree)), layer_calls, input_calls)


def _symbolic_in(nodes: list[ast.AST], layer_calls: set[int], input_calls: set[int]) -> set[str]:
    layer_objects: set[str] = set()
    assigns = [n for n in nodes if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and n.value is not None]
    for a in assigns:
        if isinstance(a.value, ast.Call) and id(a.value) in layer_calls:
            layer_objects.update(_targets(a))
    symbolic: set[str] = set()

    def is_symbolic(expr: ast.AST) -> bool:
        for n in ast.walk(expr):
            if isinstance(n, ast.Call):
                if id(n) in input_calls:
                    return True
                f = n.func
                if isinstance(f, ast.Call) and id(f) in layer_calls:
                    return True  # layers.Dense(3)(x)
                if isinstance(f, ast.Name) and f.id in layer_objects and any(_reads(a, symbolic) for a in n.args):
                    return True
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in symbolic:
                return True
        return False

    changed = True
    while changed:
        changed = False
        for a in assigns:
            if is_symbolic(a.value):  # type: ignore[arg-type]
                new = set(_targets(a)) - symbolic
                if new:
                    symbolic |= new
                    changed = True
    return symbolic


def _targets(a: ast.AST) -> list[str]:
    targets = a.targets if isinstance(a, ast.Assign) else [a.target]  # type: ignore[attr-defined]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _reads(expr: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


def called_on_symbolic(tree: ast.Module, instances: set[str], cls: str, symbolic: set[str],
                       input_calls: frozenset[int] | set[int] = frozenset()) -> ast.AST | None:
    """A call of the class or of one of its instances with a symbolic argument (a name that
    holds one, or ``keras.Input(...)`` written in the call: ``model(keras.Input((4,)))``)."""
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        callee = (isinstance(f, ast.Name) and f.id in instances) or (
            isinstance(f, ast.Call) and isinstance(f.func, ast.Name) and f.func.id == cls)
        if callee and any(_reads(a, symbolic) or any(id(c) in input_calls for c in ast.walk(a))
                          for a in list(n.args) + [k.value for k in n.keywords]):
            return n
    return None


def _scope_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of one scope (a module or a function), not those of the functions, lambdas
    and classes nested in it."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        n = stack.pop()
        out.append(n)
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
    return out


def called_on_symbolic_in_scope(tree: ast.Module, instances: set[str], layer_calls: set[int],
                                input_calls: set[int]) -> ast.AST | None:
    """A call of one of ``instances`` (a translated model's names) with an argument that holds
    a KerasTensor of the same scope: the model is used as a layer of a functional graph
    (``x = inner(inputs)`` in a builder), which needs a Keras layer. Names are judged per
    scope, so ``model(x_test)`` at module level is not confused with a builder's local ``x``."""
    if not instances:
        return None
    scopes: list[ast.AST] = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        nodes = _scope_nodes(scope)
        calls = [n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in instances]
        if not calls:
            continue
        symbolic = _symbolic_in(nodes, layer_calls, input_calls)
        inputs_here = any(isinstance(n, ast.Call) and id(n) in input_calls for n in nodes)
        for call in calls:
            for a in list(call.args) + [k.value for k in call.keywords]:
                if _reads(a, symbolic) or (inputs_here and any(isinstance(c, ast.Call) and id(c) in input_calls
                                                               for c in ast.walk(a))):
                    return call
    return None
