"""Objects a graph function changes that outlive one run of it.

Keras runs a functional model's building code once. The program form's graph function runs it
again at every call of the model (docs/design.md, "Programs"), and each run must make the
layers of the first. A run that changes an object made before it, in place, sees the change in
the next run: a builder that takes its stages from a configuration list with
``groups.pop(0)`` (a collection of idiomatic model builders does, on a module-level dict of
ResNet sizes) builds another network on the second run, and the translated model raises at its
first call where the original ran. :func:`region_mutations` finds such changes, in a graph's
statements and in the functions of the file they call, transitively, with the names of the
graph's own scope that hold each changed object (``groups`` of ``learner(x, groups[50])``). The
graph function then takes each such name as an argument, ``groups=fresh(groups, "groups")``
(translate.py, runtime ``fresh``): the first run changes the object itself, as Keras's one run
did, and every later run a copy of it as it was before. A change no such name holds (a global
the called function reads itself, the instance a method is called on) keeps the model Keras,
with the change named (XL301).

What counts, conservatively and by syntax:

a call of a method that changes a list, dict, set or deque in place (:data:`MUTATORS`) on an
object made outside the run: a name the graph's statements do not bind (captured from the
enclosing function or module), a global of a called function, or a parameter of a called
function given such an object (``learner(x, groups[50])``, then ``groups.pop(0)``). Counters
(``global n; n += 1``, ``self.count += 1``) are not: a builder numbers its layers' names so, and
a replay takes the layers of the first run, names and all.

An object made in the run (``skips = []`` among the graph's statements, a local list of a
helper) may change freely: each run makes it anew. A module or a Keras name is no such object
(``layers.add([a, b])``). A parameter its function binds again anywhere is taken as a local.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Sequence

from kerastf_xlate.totf.program.graphs import bound_names as _bound
from kerastf_xlate.totf.program.imported import functions_by_name

# methods that change their list, dict, set or deque in place, whatever the result
MUTATORS = frozenset({"pop", "popleft", "append", "appendleft", "extend", "extendleft", "insert", "remove", "clear",
                      "update", "setdefault", "popitem", "add", "discard", "sort", "reverse"})
_BUILTINS = frozenset(dir(builtins))


# an origin of a changed object that no name of the graph's own scope holds: a global a called
# function reads itself, or the instance a method is called on
UNNAMED = ""


def region_mutations(tree: ast.Module, region: Sequence[ast.stmt],
                     imported: Iterable[str]) -> list[tuple[ast.AST, str, frozenset[str]]]:
    """The changes one graph's run makes to objects made outside it: (node, message, origins).
    ``origins``: the names of the graph's own scope that hold the changed object (``groups`` of
    ``learner(x, groups[50])`` when ``learner`` pops from its parameter), the names the graph
    function can take as arguments of its own; it holds ``UNNAMED`` when an origin is no such
    name (a global the called function reads itself, ``self``)."""
    skip = set(imported)
    functions = functions_by_name(tree)
    found: dict[int, tuple[ast.AST, str, frozenset[str]]] = {}
    done: set[tuple[int, frozenset[tuple[str, frozenset[str]]]]] = set()
    bound = _bound(list(region))
    # (body, its local names, the function it is, what its parameters given outside objects hold,
    # whether its free names are the graph's own scope's)
    todo: list[tuple[Sequence[ast.stmt], frozenset[str], str | None, dict[str, frozenset[str]], bool]] = [
        (region, frozenset(bound), None, {}, True)]

    def origins(root: str, outside_params: dict[str, frozenset[str]], own_scope: bool) -> frozenset[str]:
        if root in outside_params:
            return outside_params[root]
        return frozenset({root if own_scope and root not in ("self", "cls") else UNNAMED})

    while todo:
        body, local, where, outside_params, own_scope = todo.pop()
        for node in _walk(body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # a function defined here (a block builder's `apply`, returned and called
                # later): its own names are its own, the others those of this body
                own = _own_names(node)
                inner = {k: v for k, v in outside_params.items() if k not in own}
                key = (id(node), frozenset(inner.items()))
                if key not in done:
                    done.add(key)
                    todo.append((node.body, frozenset((local - _globals(node)) | own), node.name, inner,
                                 own_scope and not _globals(node)))
                continue
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                root = _root(node.func.value)
                if root is not None and _outside(root, local, frozenset(outside_params), skip):
                    held = origins(root, outside_params, own_scope)
                    if id(node) in found:
                        held |= found[id(node)][2]
                    found[id(node)] = (node, _message(node, root, where), held)
            if not isinstance(node, ast.Call):
                continue
            name, is_method = _callee(node)
            for f in functions.get(name or "", []):
                params = [a.arg for a in (*f.args.posonlyargs, *f.args.args)]
                if is_method and params:
                    params = params[1:]  # `self.block(x)`: `self` is the object the call is made on
                given: dict[str, frozenset[str]] = {}
                for param, arg in zip(params, node.args):
                    if not isinstance(arg, ast.Starred) and _arg_outside(arg, local, frozenset(outside_params), skip):
                        given[param] = origins(_root(arg) or "", outside_params, own_scope)
                for kw in node.keywords:
                    if kw.arg is not None and kw.arg in params \
                            and _arg_outside(kw.value, local, frozenset(outside_params), skip):
                        given[kw.arg] = origins(_root(kw.value) or "", outside_params, own_scope)
                if is_method and f.args.args and isinstance(node.func, ast.Attribute) \
                        and _arg_outside(node.func.value, local, frozenset(outside_params), skip):
                    given[f.args.args[0].arg] = frozenset({UNNAMED})  # the instance the method changes is made outside
                f_local = _own_names(f)
                rebound = _bound(f.body)
                outside = {p: held for p, held in given.items() if p not in rebound}
                key = (id(f), frozenset(outside.items()))
                if key not in done:
                    done.add(key)
                    todo.append((f.body, frozenset(f_local - _globals(f)), f.name, outside, False))
    return sorted(found.values(), key=lambda item: (getattr(item[0], "lineno", 0), getattr(item[0], "col_offset", 0)))


def _own_names(f: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names local to ``f``: its parameters and what its body binds."""
    params = {a.arg for a in (*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs)}
    params |= {a.arg for a in (f.args.vararg, f.args.kwarg) if a is not None}
    return frozenset(_bound(f.body) | params)


def _walk(body: Sequence[ast.AST]) -> Iterable[ast.AST]:
    """Every node of ``body``, not descending into functions, classes or lambdas (a function
    is yielded itself, and its body walked as its own scope; a class or lambda is not
    followed)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        for child in ast.iter_child_nodes(node):
            stack.append(child)


def _globals(f: ast.AST) -> set[str]:
    return {n for node in _walk([f]) if isinstance(node, ast.Global) for n in node.names}


def _root(expr: ast.AST) -> str | None:
    """The name an item or attribute chain starts at (``groups`` of ``groups[50].pop``), or None
    (a call's result, a literal: made there)."""
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _outside(root: str, local: frozenset[str], outside_params: frozenset[str], skip: set[str]) -> bool:
    if root in outside_params:
        return True
    if root in local or root in skip or root in _BUILTINS:
        return False
    return True  # captured by the graph's statements, or a global of a called function


def _arg_outside(arg: ast.AST, local: frozenset[str], outside_params: frozenset[str], skip: set[str]) -> bool:
    root = _root(arg)
    return root is not None and _outside(root, local, outside_params, skip)


def _callee(call: ast.Call) -> tuple[str | None, bool]:
    if isinstance(call.func, ast.Name):
        return call.func.id, False
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and call.func.value.id in ("self", "cls"):
        return call.func.attr, True
    return None, False


def _message(node: ast.AST, root: str, where: str | None) -> str:
    text = ast.unparse(node)
    text = text if len(text) <= 40 else text[:39] + "…"
    place = f" (in `{where}`)" if where else ""
    return (f"`{text}`{place} changes `{root}`, made before the model's graph runs, in place: Keras builds the graph "
            "once, the translated graph function runs again at every call of the model and would see the change")
