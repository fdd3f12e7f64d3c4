"""Weights handed to the model function as arguments, the same ones at every call.

The tutorial style of :mod:`.weight_dicts` is also written with the dicts as parameters (the
TensorFlow 1 examples' ``multilayer_perceptron(x, weights, biases)`` and ``conv_net(x,
weights, biases, dropout)``, kept in their TensorFlow 2 ports)::

    weights = {"h1": tf.Variable(...), "out": tf.Variable(...)}
    biases = {"b1": tf.Variable(...), "out": tf.Variable(...)}

    def neural_net(x, weights, biases):
        layer_1 = tf.nn.relu(tf.add(tf.matmul(x, weights["h1"]), biases["b1"]))
        return tf.matmul(layer_1, weights["out"]) + biases["out"]

    pred = neural_net(x, weights, biases)

When every call of the function gives a parameter the same module-level dict (or global
variable) by name, the parameter is that object under another name: the function reads the
same variables whichever call runs. Such a parameter is *passed through*: the model function
is read as if it read the module's object itself (the form :mod:`.weight_dicts` raises), and
each call drops the argument (``neural_net(x)``), which the raised model no longer takes.

A parameter is passed through only when nothing can make it another object:

- the function is a module-level ``def`` bound once, used for nothing but calls (not passed
  as a value, not decorated), and not called from inside itself;
- every call gives the parameter an argument (positional or keyword; no ``*args`` /
  ``**kwargs`` at the call, no default used) that is the same module-level name, and that
  name is the module's where the call is (no enclosing function, lambda, comprehension or
  class binds it);
- the function never binds the parameter, and binds the module's name nowhere either when it
  reads it under another name (``def net(x, W, b)`` called as ``net(x, weights, biases)``).

A function given one of the variables some other way keeps its parameters, and the reason is
reported. Nothing here runs user code.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

from kerastf_xlate.syntax import SourceText
from kerastf_xlate.syntax import parents as parents_of


@dataclass
class Passed:
    """A model function's parameters that every call fills with the same module object."""

    func: ast.FunctionDef
    params: dict[str, str]  # parameter -> the module-level name every call gives it
    calls: list[ast.Call] = field(default_factory=list)
    removed: list[ast.expr] = field(default_factory=list)  # each call's arguments that go (original nodes)


def _binds(scope: ast.AST, name: str) -> bool:
    """``scope`` (a function, lambda, comprehension or class) binds ``name`` in itself or in a
    scope inside it (conservative: a nested binding counts too)."""
    for n in ast.walk(scope):
        if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load):
            return True
        if isinstance(n, ast.arg) and n.arg == name:
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name and n is not scope:
            return True
        if isinstance(n, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name).split(".")[0] == name for a in n.names):
            return True
        if isinstance(n, ast.ExceptHandler) and n.name == name:
            return True
    return False


def _resolve(node: ast.Name, parents: dict[int, ast.AST], through: dict[int, dict[str, str]]) -> str | None:
    """The module-level name whose object ``node`` reads: its own when no scope around it binds
    it (``global name`` in a function makes it the module's there), or the module name a
    passed-through parameter of an enclosing function stands for (``through``: id of the
    function -> its parameter -> module name); None when it is something else."""
    name = node.id
    p = parents.get(id(node))
    while p is not None:
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            declared = isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(g, ast.Global) and name in g.names for g in ast.walk(p))
            if not declared and _binds(p, name):
                return through.get(id(p), {}).get(name)
        p = parents.get(id(p))
    return name


def _arguments(call: ast.Call, params: list[str]) -> dict[str, ast.expr] | None:
    """The call's argument for each parameter it gives, or None when the call cannot be read
    so (``*args``, ``**kwargs``, too many positionals, an unknown keyword)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    if len(call.args) > len(params):
        return None
    got = dict(zip(params, call.args, strict=False))
    for k in call.keywords:
        if k.arg not in params or k.arg in got:
            return None
        got[k.arg] = k.value
    return got


def passed_weights(tree: ast.Module, held: set[str]) -> tuple[dict[str, Passed], dict[str, tuple[str, list[str]]]]:
    """The module-level functions given one of the module's ``held`` names (dicts of variables,
    global variables) as an argument: the ones whose parameters pass them through, by name,
    and for the others why not (one reason per function) and which names they are given."""
    parents = parents_of(tree)
    defs = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    bound: dict[str, int] = {}
    calls: dict[str, list[ast.Call]] = {}
    other_use: dict[str, int] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound[n.id] = bound.get(n.id, 0) + 1
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[n.name] = bound.get(n.name, 0) + 1
        elif isinstance(n, ast.Name) and n.id in defs:  # (a read)
            p = parents.get(id(n))
            if isinstance(p, ast.Call) and p.func is n:
                calls.setdefault(n.id, []).append(p)
            else:
                other_use.setdefault(n.id, n.lineno)
    passed: dict[str, Passed] = {}
    why: dict[str, tuple[str, list[str]]] = {}
    # a call inside a passed-through function gives its parameter on: found once the caller is
    for _ in range(len(defs) + 1):
        through = {id(p.func): p.params for p in passed.values()}
        passed, why = {}, {}
        for name, fn in defs.items():
            got = _passed(name, fn, calls.get(name, []), held, bound, other_use, parents, through)
            if isinstance(got, Passed):
                passed[name] = got
            elif got is not None:
                why[name] = got
        if {id(p.func): p.params for p in passed.values()} == through:
            break
    return passed, why


def _passed(name: str, fn: ast.FunctionDef, calls: list[ast.Call], held: set[str], bound: dict[str, int],
            other_use: dict[str, int], parents: dict[int, ast.AST],
            through: dict[int, dict[str, str]]) -> Passed | tuple[str, list[str]] | None:
    """``fn``'s passed-through parameters, why it has none though a call gives it one of the
    ``held`` objects, or None when no call does."""
    def held_at(x: ast.expr) -> str | None:
        if not isinstance(x, ast.Name):
            return None
        got = _resolve(x, parents, through)
        return got if got in held else None

    given = sorted({h for c in calls for x in [*c.args, *(k.value for k in c.keywords)] if (h := held_at(x))})
    if not given:
        return None
    a = fn.args
    params = [p.arg for p in a.posonlyargs + a.args]
    what = ", ".join(f"`{h}`" for h in given)

    def no(reason: str) -> tuple[str, list[str]]:
        return f"{what} {'is' if ', ' not in what else 'are'} given to `{name}(...)` as an argument, and {reason}", given

    if bound.get(name) != 1 or fn.decorator_list or a.posonlyargs or a.vararg or a.kwarg or a.kwonlyargs:
        return no(f"`{name}` is not a plain function bound once (decorated, rebound or taking `*args`)")
    if name in other_use:
        return no(f"`{name}` is used other than by calls (line {other_use[name]}), where it may be given other values")
    if any(p is fn for c in calls for p in _ancestors(c, parents)):
        return no(f"`{name}` calls itself")
    per_call = []
    for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        got = _arguments(c, params)
        if got is None:
            return no(f"its call at line {c.lineno} cannot be read argument by argument")
        per_call.append((c, got))
    mapping: dict[str, str] = {}
    defaults = set(params[len(params) - len(a.defaults):]) if a.defaults else set()
    for p in params:
        values = [got.get(p) for _, got in per_call]
        objects = [held_at(v) if v is not None else None for v in values]
        if not any(objects):
            continue
        if objects[0] is None or any(o != objects[0] for o in objects):
            shown = [(c.lineno, ast.unparse(got[p]) if p in got else "its default") for c, got in per_call]
            first = shown[0]
            other = next((x for x, o in zip(shown, objects, strict=True) if o != objects[0]), shown[-1])
            if first[1] == other[1]:
                return no(f"a call gives its parameter `{p}` a `{other[1]}` that is not the module's (line {other[0]})")
            return no(f"its parameter `{p}` is given different values (`{first[1]}` at line {first[0]}, "
                      f"`{other[1]}` at line {other[0]})".replace("`its default`", "its default"))
        target = objects[0]
        if p in defaults:
            return no(f"its parameter `{p}` has a default")
        rebinds = any(isinstance(n, ast.Name) and n.id == p and not isinstance(n.ctx, ast.Load)
                      for n in ast.walk(fn)) or any(isinstance(n, ast.arg) and n.arg == p for s in fn.body for n in ast.walk(s))
        if rebinds or (p != target and (any(_binds(s, target) for s in fn.body) or target in params)):
            return no(f"`{name}` binds `{p}` itself" if p == target else f"`{name}` binds `{p}` or `{target}` itself")
        mapping[p] = target
    if not mapping:
        return None
    removed = [got[p] for _, got in per_call for p in mapping]
    return Passed(fn, mapping, [c for c, _ in per_call], removed)


def _ancestors(node: ast.AST, parents: dict[int, ast.AST]) -> list[ast.AST]:
    out = []
    p = parents.get(id(node))
    while p is not None:
        out.append(p)
        p = parents.get(id(p))
    return out


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            return ast.copy_location(ast.Name(self.names[node.id], ast.Load()), node)
        return node


def without_passed(tree: ast.Module, passed: dict[str, Passed]) -> tuple[ast.Module, dict[str, ast.FunctionDef]]:
    """A copy of ``tree`` (positions kept) where each function reads the module's objects
    instead of its passed-through parameters, which it no longer takes, and each call no longer
    gives them; with the copied functions by name."""
    memo: dict[int, object] = {}
    new = copy.deepcopy(tree, memo)
    funcs: dict[str, ast.FunctionDef] = {}
    for name, p in passed.items():
        fn = memo[id(p.func)]
        assert isinstance(fn, ast.FunctionDef)
        args = fn.args
        kept = [a for a in args.args if a.arg not in p.params]
        args.args = kept
        renames = {k: v for k, v in p.params.items() if k != v}
        if renames:
            fn.body = [_Rename(renames).visit(s) for s in fn.body]
        funcs[name] = fn
        gone = {id(memo[id(r)]) for r in p.removed}
        for c in p.calls:
            call = memo[id(c)]
            assert isinstance(call, ast.Call)
            call.args = [x for x in call.args if id(x) not in gone]
            call.keywords = [k for k in call.keywords if id(k.value) not in gone]
    return new, funcs


def _drop(items: list[tuple[int, int, bool]], close: int, text: str) -> list[tuple[int, int, str]]:
    """Edits that drop the items marked to go from a parenthesised, comma-separated list
    (``items``: start, end, goes; ``close``: where its ``)`` is), with their commas; a list left
    empty keeps its parentheses. Items on lines of their own go with their lines (their
    comments too), so a kept item's comment stays with it."""
    items = sorted(items)
    if all(g for _, _, g in items):
        return [(items[0][0], close, "")]
    out = []
    i = 0
    while i < len(items):
        if not items[i][2]:
            i += 1
            continue
        j = i
        while j + 1 < len(items) and items[j + 1][2]:
            j += 1
        first = text.rfind("\n", 0, items[i][0]) + 1
        last = text.find("\n", items[j][1])
        rest = text[items[j][1]:last] if last != -1 else ""
        own_lines = (last != -1 and not text[first:items[i][0]].strip()
                     and (rest.strip() in ("", ",") or rest.lstrip(" ,").startswith("#")))
        after = items[j + 1][0] if j + 1 < len(items) else close
        if own_lines and last < after and text[last:after].strip() in ("", ")") and i > 0 and items[i - 1][1] < first:
            out.append((first, last + 1, ""))  # whole lines: `    weights,  # the weights`
        elif i > 0:  # `f(x, w, b)`: from the end of the item before
            out.append((items[i - 1][1], items[j][1], ""))
        else:  # `f(w, x)`: up to the next item
            out.append((items[i][0], items[j + 1][0], ""))
        i = j + 1
    return out


def argument_edits(st: SourceText, passed: Passed) -> list[tuple[int, int, str]]:
    """Text edits that drop the passed-through arguments from each call."""
    out: list[tuple[int, int, str]] = []
    gone = {id(r) for r in passed.removed}
    for call in passed.calls:
        items = [(*st.span(a), id(a) in gone) for a in call.args]
        items += [(*st.span(k), id(k.value) in gone) for k in call.keywords]
        out += _drop(items, st.span(call)[1] - 1, st.text)
    return out


def function_edits(st: SourceText, passed: Passed) -> list[tuple[int, int, str]]:
    """Text edits for a function that stays as written: its signature drops the
    passed-through parameters, and its body reads the module's names for them."""
    fn = passed.func
    items = [(*st.span(a), a.arg in passed.params) for a in fn.args.args]
    last = max(e for _, e, _ in items)
    close = last
    text = st.text
    while close < len(text) and text[close] != ")":  # (only spaces, commas, newlines and comments there)
        close = text.index("\n", close) if text[close] == "#" else close + 1
    out = _drop(items, close, text)
    renames = {k: v for k, v in passed.params.items() if k != v}
    for stmt in fn.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in renames:
                a, b = st.span(n)
                out.append((a, b, renames[n.id]))
    return out
