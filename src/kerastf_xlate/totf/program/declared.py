"""Inputs made outside the graph: a builder given its caller's ``Input``s (docs/design.md,
"Inputs made outside the graph").

Books and course code write GANs so: ``inputs = Input(shape, name="z_input")`` at the caller,
``generator = build_generator(inputs, image_size)`` whose body ends in ``return Model(inputs,
x)``, then ``adversarial = Model(inputs, discriminator(generator(inputs)))``. The ``Input`` is
made outside every statement run that builds a graph, and every model built from it shares it.

The translation keeps such an ``Input`` where it is (the runtime's ``Input`` outside a graph
function is a *declared input*), and each graph function built from it starts by declaring it
again (``inputs = Input(tensor=inputs)``): an Input of that model with the declared shape,
dtype, name and InputLayer. That is equal to Keras only while the declared input is used for
nothing else, so this module finds the names that hold nothing but such inputs:

- a *declared name*: in one scope (a function or the module), a name every binding of which
  is ``name = keras.Input(...)``;
- a *declared parameter*: a parameter of a function of the file (bound once, by that ``def``)
  that is among the inputs of a functional model statement in it and never rebound there,
  where every call of the function in the file gives it a declared name or parameter (by
  position or keyword), and the function is used for nothing but such calls.

Each read of a declared name or parameter must be one of: an argument of such a call, for
such a parameter; ``.shape`` / ``.dtype``; or a read inside a model statement whose inputs are
declared names of that scope, or inside the statements its graph function takes (checked by
the graph planner once the regions are known, ``graph_reads``). Anything else (a VAE's loss
on ``inputs``, ``K.flatten(inputs)``, ``Sequential([inputs, ...])``, a nested function reading
it) keeps the model Keras as before, with the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kerastf_xlate.syntax import statement_of
from kerastf_xlate.totf.program.names import Ref, application_builder

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)
_SHAPE_ATTRS = frozenset({"shape", "dtype"})

Key = tuple[int, str]  # (id of the scope, name)


@dataclass
class Declared:
    """What ``find_declared`` found: the names holding nothing but declared inputs."""

    names: dict[int, frozenset[str]] = field(default_factory=dict)  # id(scope) -> declared names and parameters
    stmts: frozenset[int] = frozenset()  # ids of the `name = keras.Input(...)` statements of declared names
    graph_reads: dict[Key, list[ast.Name]] = field(default_factory=dict)  # reads the graph planner must place
    builder_calls: frozenset[int] = frozenset()  # ids of the calls giving a builder declared inputs
    reasons: dict[Key, tuple[ast.AST, str]] = field(default_factory=dict)  # why a candidate is not declared
    input_stmts: dict[Key, list[ast.Assign]] = field(default_factory=dict)  # the Input statements of each declared name
    kept_inputs: dict[int, str] = field(default_factory=dict)  # id of an Input statement not declared -> why

    def reason(self, scope: ast.AST | None, names: list[str] | None) -> str | None:
        """Why the first of ``names`` that was a candidate in ``scope`` is not declared."""
        for n in names or []:
            found = self.reasons.get((id(scope), n))
            if found is not None:
                return found[1]
        return None

    def of(self, scope: ast.AST) -> frozenset[str]:
        return self.names.get(id(scope), frozenset())


def scope_of(node: ast.AST, parents: dict[int, ast.AST]) -> ast.AST | None:
    """The function or module whose local names ``node`` reads (None in a class body or lambda)."""
    cur = parents.get(id(node))
    while cur is not None and not isinstance(cur, (*_SCOPE, ast.ClassDef, ast.Lambda)):
        cur = parents.get(id(cur))
    return cur if isinstance(cur, _SCOPE) else None


def _own(scope: ast.AST):
    """The nodes of a scope's own code: comprehensions included, not the bodies of the
    functions, lambdas and classes it defines (those nodes themselves are given)."""
    stack: list[ast.AST] = list(getattr(scope, "body", []))
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, _NESTED):
            continue
        stack.extend(ast.iter_child_nodes(n))


def _params(f: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = f.args
    return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]


def parameter_names(f: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    """Every name a function's parameters bind, ``*args`` and ``**kwargs`` included."""
    a = f.args
    return [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if x is not None]


def _binds(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id == name and isinstance(node.ctx, (ast.Store, ast.Del))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.ExceptHandler):
        return node.name == name
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name).split(".")[0] == name for a in node.names)
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    return False


def _nested_reads(scope: ast.AST, name: str) -> ast.AST | None:
    """A function, lambda or class inside ``scope`` reading ``name`` as a free variable."""
    for n in _own(scope):
        if not isinstance(n, _NESTED):
            continue
        inner = n
        if isinstance(inner, ast.Lambda):
            if name not in {a.arg for a in inner.args.posonlyargs + inner.args.args + inner.args.kwonlyargs} and any(
                    isinstance(x, ast.Name) and x.id == name for x in ast.walk(inner.body)):
                return inner
            continue
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in _params(inner) + [
                a.arg for a in (inner.args.vararg, inner.args.kwarg) if a is not None]:
            continue
        if any(_binds(x, name) for x in _own(inner)) and not any(
                isinstance(x, (ast.Global, ast.Nonlocal)) and name in x.names for x in _own(inner)):
            continue  # its own local
        if any(isinstance(x, ast.Name) and x.id == name for x in _own(inner)):
            return inner
        deeper = _nested_reads(inner, name)
        if deeper is not None:
            return deeper
    return None


def _value_reads(scope: ast.AST, name: str, parents: dict[int, ast.AST]):
    """The reads of ``name`` in ``scope``'s own code other than ``.shape`` / ``.dtype``, each
    with the node holding it (for a keyword argument, its call)."""
    for n in _own(scope):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            holder = parents.get(id(n))
            if isinstance(holder, ast.Attribute) and holder.attr in _SHAPE_ATTRS:
                continue
            if isinstance(holder, ast.keyword):
                holder = parents.get(id(holder))
            yield n, holder


def functions_bound_once(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions of the file whose name nothing else binds: not another ``def`` or class,
    an assignment, a deletion or an import (so a call of the name calls that ``def``)."""
    defs: dict[str, list[ast.AST]] = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(n.name, []).append(n)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            defs.setdefault(n.id, []).append(n)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                defs.setdefault((a.asname or a.name).split(".")[0], []).append(n)
    return {name: d[0] for name, d in defs.items()
            if len(d) == 1 and isinstance(d[0], (ast.FunctionDef, ast.AsyncFunctionDef))}


def _line(node: ast.AST) -> int:
    return getattr(node, "lineno", 0)


def find_declared(tree: ast.Module, refs: list[Ref], parents: dict[int, ast.AST],
                  graph_args, excluded: dict[Key, ast.AST] | None = None) -> Declared:
    """The declared names and parameters of the file; ``excluded``: candidates the graph
    planner found read where no graph function takes them, with that read (and every
    candidate resting on them is dropped too). ``graph_args(call)`` gives a functional model call's inputs and outputs."""
    input_calls = {id(r.call) for r in refs if r.name == "keras.Input" and r.call is not None}
    # `keras.applications.ResNet50(input_tensor=inputs)`: a builder the translation writes out,
    # whose graph function declares its `input_tensor` again (`Input(tensor=input_tensor)`)
    applications = {id(r.call) for r in refs if r.call is not None and r.role == "call" and application_builder(r)}
    model_calls = [r.call for r in refs if r.name == "keras.Model" and r.role == "call" and r.call is not None]
    reasons: dict[Key, tuple[ast.AST, str]] = {}

    # functions of the file bound once, by their `def`, outside a class body
    funcs = {name: f for name, f in functions_bound_once(tree).items()
             if isinstance(f, ast.FunctionDef) and not isinstance(parents.get(id(f)), ast.ClassDef)}

    # declared parameters: among a model's inputs in the function's own code, never rebound
    params: dict[str, list[str]] = {}
    for call in model_calls:
        found = graph_args(call)
        if found is None:
            continue
        ins = found[0]
        names = _names(ins)
        scope = scope_of(call, parents)
        if not names or not isinstance(scope, ast.FunctionDef) or funcs.get(scope.name) is not scope:
            continue
        own = _params(scope)
        if all(n in own for n in names):
            params.setdefault(scope.name, [])
            params[scope.name] += [n for n in names if n not in params[scope.name]]
    candidates: dict[Key, ast.AST] = {}  # key -> scope
    for fname, ps in params.items():
        f = funcs[fname]
        for p in ps:
            key = (id(f), p)
            if any(_binds(n, p) for n in _own(f)):
                reasons[key] = (f, f"`{p}` is rebound in `{fname}`")
                continue
            candidates[key] = f

    # declared names: every binding in the scope is `name = keras.Input(...)`
    input_stmts: dict[Key, list[ast.Assign]] = {}
    scopes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        for s in _own(scope):
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                    and isinstance(s.value, ast.Call) and id(s.value) in input_calls:
                input_stmts.setdefault((id(scope), s.targets[0].id), []).append(s)
    scope_by_id = {id(s): s for s in scopes}
    for (sid, name), ss in input_stmts.items():
        scope = scope_by_id[sid]
        if (sid, name) in candidates:
            continue
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in parameter_names(scope):
            continue
        bindings = [n for n in _own(scope) if _binds(n, name)]
        if len(bindings) != len(ss) or any(not any(b is s.targets[0] for s in ss) for b in bindings):
            reasons[(sid, name)] = (ss[0], f"`{name}` is also bound to something else than an `Input`")
            continue
        candidates[(sid, name)] = scope

    # reads: each is a builder's argument, a shape or dtype, or left to the graph planner
    calls_of: dict[str, list[ast.Call]] = {f: [] for f in params}
    other_use: dict[str, ast.AST] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in params and isinstance(n.ctx, ast.Load):
            holder = parents.get(id(n))
            if isinstance(holder, ast.Call) and holder.func is n:
                calls_of[n.id].append(holder)
            else:
                other_use.setdefault(n.id, n)

    def argument(call: ast.Call, f: ast.FunctionDef, p: str) -> ast.expr | None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        positional = [x.arg for x in f.args.posonlyargs + f.args.args]
        if p in positional and positional.index(p) < len(call.args):
            return call.args[positional.index(p)]
        return next((k.value for k in call.keywords if k.arg == p), None)

    excluded = excluded or {}
    model_lines: dict[int, list[int]] = {}  # scope -> the lines of its model statements
    for call in model_calls:
        model_lines.setdefault(id(scope_of(call, parents)), []).append(_line(call))

    def is_param(key: Key) -> bool:
        scope = candidates[key]
        return isinstance(scope, ast.FunctionDef) and funcs.get(scope.name) is scope and key[1] in params.get(scope.name, [])

    valid = {k for k in candidates if k not in excluded}
    for ex, read in excluded.items():
        if ex in candidates:
            st = statement_of(read, parents) or read
            reasons.setdefault(ex, (read, f"`{ex[1]}` is used at line {_line(read)} (`{ast.unparse(st)[:40]}`) other than "
                                         "to build models from it"))
    while True:
        drop: dict[Key, tuple[ast.AST, str]] = {}
        builder_calls: set[int] = set()
        for key in valid:
            scope = candidates[key]
            name = key[1]
            if is_param(key):
                assert isinstance(scope, ast.FunctionDef)
                fname = scope.name
                if fname in other_use:
                    drop[key] = (other_use[fname], f"`{fname}` is used other than by calling it")
                    continue
                if not calls_of[fname]:
                    drop[key] = (scope, f"`{fname}` is not called in this file")
                    continue
                for call in calls_of[fname]:
                    arg = argument(call, scope, name)
                    where = scope_of(call, parents)
                    if not (isinstance(arg, ast.Name) and where is not None and (id(where), arg.id) in valid):
                        shown = ast.unparse(arg)[:30] if arg is not None else "nothing"
                        why = reasons.get((id(where), arg.id)) if isinstance(arg, ast.Name) else None
                        drop[key] = (call, f"`{fname}` is called at line {_line(call)} with `{shown}` for `{name}`"
                                           + (f", and {why[1]}" if why is not None else
                                              ", not an `Input` made outside every graph and used only to build models"))
                        break
            nested = _nested_reads(scope, name)
            if nested is not None and key not in drop:
                drop[key] = (nested, f"`{name}` is read by a function or class defined in its scope")
        silent: set[Key] = set()  # Inputs given to no builder: a graph's own, not declared ones
        for key in valid - set(drop):
            scope = candidates[key]
            given_to_builder = is_param(key)
            for n, holder in _value_reads(scope, key[1], parents):
                if isinstance(holder, ast.Call) and id(holder) in applications \
                        and any(k.arg == "input_tensor" and k.value is n for k in holder.keywords):
                    builder_calls.add(id(holder))
                    given_to_builder = True
                    continue
                if isinstance(holder, ast.Call) and isinstance(holder.func, ast.Name) and holder.func.id in params \
                        and n is not holder.func:
                    f = funcs[holder.func.id]
                    param = next((q for q in params[f.name] if argument(holder, f, q) is n), None)
                    if param is not None:
                        if (id(f), param) in valid and (id(f), param) not in drop:
                            builder_calls.add(id(holder))
                            given_to_builder = True
                            continue
                        drop[key] = (holder, f"`{key[1]}` is given to `{f.name}`, which does not build only models from it")
                        break
            if not given_to_builder and key not in drop and not _model_between(
                    scope, key[1], input_stmts.get(key, []), model_lines.get(id(scope), []), parents):
                silent.add(key)
        if not drop and not silent:
            break
        reasons.update(drop)
        valid -= set(drop) | silent

    graph_reads: dict[Key, list[ast.Name]] = {}
    for key in valid:
        for n, holder in _value_reads(candidates[key], key[1], parents):
            if not (isinstance(holder, ast.Call) and id(holder) in builder_calls):
                graph_reads.setdefault(key, []).append(n)
    by_scope: dict[int, set[str]] = {}
    for sid, name in valid:
        by_scope.setdefault(sid, set()).add(name)
    stmts = frozenset(id(s) for key in valid for s in input_stmts.get(key, []))
    kept = {id(st): reasons[k][1] for k, ss in input_stmts.items() if k in reasons for st in ss}
    return Declared({k: frozenset(v) for k, v in by_scope.items()}, stmts, graph_reads, frozenset(builder_calls),
                    reasons, {k: input_stmts[k] for k in valid if k in input_stmts}, kept)


def _model_between(scope: ast.AST, name: str, made: list[ast.Assign], model_lines: list[int],
                   parents: dict[int, ast.AST]) -> bool:
    """Another model statement of the scope stands between the ``Input`` statement of ``name``
    and the first read of ``name`` (a GAN notebook's `source_A = Input(...)`, then the two
    generators and discriminators built by builders of their own, then `gan = Model([source_A,
    ...], ...)` on calls of them): a graph is planned within the statements after the previous
    model statement, so the `Input` cannot be the later graph's own; it is a declared input,
    made outside the graph built from it."""
    if not made:
        return False
    reads = [n for n, _ in _value_reads(scope, name, parents)]
    if not reads:
        return False
    start = max(_line(s) for s in made)
    first_read = min(_line(n) for n in reads)
    return any(start < line < first_read for line in model_lines)  # the scope's model statements


def _names(expr: ast.expr) -> list[str] | None:
    if isinstance(expr, ast.Name):
        return [expr.id]
    if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts and all(isinstance(e, ast.Name) for e in expr.elts):
        return [e.id for e in expr.elts]  # type: ignore[attr-defined]
    return None
