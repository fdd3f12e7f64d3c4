"""Why a file with symbolic inputs but no model the translator follows stays Keras.

The program form does not apply to such a file (there is no model to translate), but its
Keras graph still stays Keras, and ``lint`` and ``to-tf`` say so instead of nothing: one
finding per symbolic input, naming what the graph builds (a functional ``super().__init__``
of a base class defined elsewhere, or a function that returns tensors).
"""

from __future__ import annotations

import ast

from kerastf_xlate.totf.program.imported import import_bindings, is_keras
from kerastf_xlate.totf.program.names import Ref

_INPUTS = ("keras.Input", "keras.layers.InputLayer")


def _is_super_init(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "super")


def _functional_init(cls: ast.ClassDef) -> ast.Call | None:
    """``super().__init__(inputs, outputs)`` in ``cls``: each positional or by keyword, in any
    mix (``super().__init__({...}, outputs={...})``)."""
    for n in ast.walk(cls):
        if isinstance(n, ast.Call) and _is_super_init(n):
            kw = {k.arg for k in n.keywords}
            given = [*("inputs", "outputs")[: len(n.args)], *kw]
            if "inputs" in given and "outputs" in given:
                return n
    return None


class _Context:
    """What the reasons need to know about the file, found once."""

    def __init__(self, tree: ast.Module, refs: list[Ref], translated: frozenset[int] = frozenset()) -> None:
        self.tree, self.refs, self.translated = tree, refs, translated  # ids of translated model statements
        self.parents: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
        self.classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        self.keras_bases = {id(r.node) for r in refs if r.role == "base"}
        self.keras_calls = {id(r.call): r.name for r in refs if r.call is not None}
        self.imports = import_bindings(tree, everywhere=True)

    def up(self, node: ast.AST, kinds: tuple[type, ...]) -> ast.AST | None:
        node = self.parents.get(id(node))  # type: ignore[assignment]
        while node is not None and not isinstance(node, kinds):
            node = self.parents.get(id(node))  # type: ignore[assignment]
        return node


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)


def _shown(node: ast.AST, width: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= width else text[: width - 1] + "…"


def _attribute_home(call: ast.Call, ctx: _Context) -> str | None:
    """``self.g_input`` for ``self.g_input = Input(...)`` or ``self.inputs.append(Input(...))``."""
    holder = ctx.parents.get(id(call))
    if isinstance(holder, ast.Assign) and holder.value is call:
        attrs = [t for t in holder.targets if isinstance(t, (ast.Attribute, ast.Subscript))
                 and isinstance(_root(t), ast.Attribute)]
        return ast.unparse(_root(attrs[0])) if attrs else None
    if isinstance(holder, ast.Call) and isinstance(holder.func, ast.Attribute) and call in holder.args \
            and holder.func.attr in ("append", "extend", "insert") and isinstance(_root(holder.func.value), ast.Attribute):
        return ast.unparse(_root(holder.func.value))
    return None


def _root(node: ast.expr) -> ast.expr:
    """``self.inputs`` of ``self.inputs[name]``; the expression itself otherwise."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node


def _holders(call: ast.Call, ctx: _Context) -> tuple[set[str], ast.stmt | None]:
    """The names that hold the ``Input`` after its statement (``inputs = Input(...)``,
    ``inputs[name] = Input(...)``, ``inputs = {n: Input(...) for n in names}``,
    ``inputs.append(Input(...))``), and that statement."""
    stmt = ctx.up(call, (ast.stmt,))
    names: set[str] = set()
    node: ast.AST = call
    while node is not stmt and node is not None:
        holder = ctx.parents.get(id(node))
        if isinstance(holder, ast.Call) and isinstance(holder.func, ast.Attribute) and node in holder.args \
                and holder.func.attr in ("append", "extend", "insert") and isinstance(holder.func.value, ast.Name):
            names.add(holder.func.value.id)
        node = holder  # type: ignore[assignment]
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            for n in ast.walk(_root(t) if isinstance(t, ast.Subscript) else t):
                if isinstance(n, ast.Name):
                    names.add(n.id)
    return names, stmt  # type: ignore[return-value]


def _callee(call: ast.Call) -> ast.expr:
    root = call.func
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.value if isinstance(root, ast.Attribute) else root.func
    return root


def _taking_model(names: set[str], stmt: ast.stmt, ctx: _Context) -> ast.Call | None:
    """A model statement after ``stmt`` in its function (or module) whose inputs read one of
    ``names``: ``keras.Model(...)`` (a reference to it, or a call named ``Model``: a kept
    statement's references are not listed) or a functional subclass call."""
    scope = ctx.up(stmt, _SCOPES)
    end = stmt.end_lineno or stmt.lineno
    # a later statement binding one of the names anew (`inputs = keras.Input(...)` again) ends the search
    cut = min([a.lineno for a in ast.walk(scope if scope is not None else ctx.tree)
               if isinstance(a, ast.Assign) and a.lineno > end and ctx.up(a, _SCOPES) is scope
               and any(isinstance(t, ast.Name) and t.id in names for t in a.targets)
               and not any(isinstance(x, ast.Name) and x.id in names for x in ast.walk(a.value))], default=None)
    for n in ast.walk(scope if scope is not None else ctx.tree):
        if not isinstance(n, ast.Call) or n.lineno <= end or ctx.up(n, _SCOPES) is not scope \
                or cut is not None and n.lineno > cut:
            continue
        name = ctx.keras_calls.get(id(n), "")
        last = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id if isinstance(n.func, ast.Name) else ""
        if name != "keras.Model" and last not in ("Model", "Functional"):
            continue
        ins = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg == "inputs"), None)
        if ins is not None and any(isinstance(x, ast.Name) and x.id in names for x in ast.walk(ins)):
            return n
    return None


def _computed_from(names: set[str], scope: ast.AST, ctx: _Context) -> set[str]:
    """The names a scope binds from values computed from ``names`` (``x = Rescaling(...)(inputs)``,
    then ``x = preprocess(x)``), followed to a fixed point; ``names`` themselves not included."""
    out: set[str] = set()
    assigns = [n for n in ast.walk(scope) if isinstance(n, ast.Assign) and ctx.up(n, _SCOPES) is scope]
    changed = True
    while changed:
        changed = False
        for a in assigns:
            if any(isinstance(x, ast.Name) and x.id in names | out for x in ast.walk(a.value)):
                for t in a.targets:
                    for x in ast.walk(t):
                        if isinstance(x, ast.Name) and x.id not in names and x.id not in out:
                            out.add(x.id)
                            changed = True
    return out


def _foreign_use(call: ast.Call, names: set[str], stmt: ast.stmt, ctx: _Context) -> str | None:
    """The reason when the ``Input`` (or a name holding it) is given to a callable of another
    module, or is the ``input_tensor`` of a ``keras.applications`` builder."""
    scope = ctx.up(stmt, _SCOPES)
    computed = _computed_from(names, scope if scope is not None else ctx.tree, ctx)
    for n in ast.walk(scope if scope is not None else ctx.tree):
        if not isinstance(n, ast.Call) or n is call or ctx.up(n, _SCOPES) is not scope:
            continue
        tensor = next((k.value for k in n.keywords if k.arg == "input_tensor"), None)
        if computed and tensor is not None and ctx.keras_calls.get(id(n), "").startswith("keras.applications.") \
                and any(isinstance(x, ast.Name) and x.id in computed for x in ast.walk(tensor)):
            # Keras builds that backbone's model from the Input, with the layers before the builder
            return (f"is computed into the `input_tensor` of `{_shown(n.func)}`: a builder given a tensor computed "
                    "from an `Input` is not translated")
        given = [a for a in n.args] + [k.value for k in n.keywords]
        if not any(a is call or isinstance(a, ast.Name) and a.id in names
                   or isinstance(a, (ast.List, ast.Tuple)) and any(isinstance(e, ast.Name) and e.id in names for e in a.elts)
                   for a in given):
            continue
        keras = ctx.keras_calls.get(id(n), "")
        if keras.startswith("keras.applications."):
            tensor = next((k.value for k in n.keywords if k.arg == "input_tensor"), None)
            if tensor is call or isinstance(tensor, ast.Name) and tensor.id in names:
                return (f"is the `input_tensor` of `{_shown(n.func)}`: a `keras.applications` builder given an input "
                        "tensor is not translated")
            continue
        root = _callee(n)
        if keras or not isinstance(n.func, (ast.Name, ast.Attribute)) or not isinstance(root, ast.Name) \
                or root.id not in ctx.imports:
            continue  # a layer call (`layers.Dense(2)(inputs)`) is not a builder of another module
        module, _, level = ctx.imports[root.id]
        if level == 0 and (is_keras(module) or module.split(".")[0] in ("tensorflow", "numpy")):
            continue
        where = "." * level + module
        return (f"is given to `{_shown(n.func)}`, from `{where}`: what is built from it in another module is not "
                "followed")
    return None


def _class_reason(shown: str, cls: ast.ClassDef, ctx: _Context) -> str | None:
    if _functional_init(cls) is None:
        return None
    local = {c.name for c in ctx.classes}
    outside = [ast.unparse(b) for b in cls.bases
               if id(b) not in ctx.keras_bases and ast.unparse(b).split(".")[-1] not in local]
    if outside:
        return f"`{shown}` builds the graph of `{cls.name}`, whose base `{outside[0]}` is defined in another file: kept as Keras"
    return f"`{shown}` builds the graph of `{cls.name}`, which the translator does not follow: kept as Keras"


def _reason(call: ast.Call, ctx: _Context, fallback: str) -> str:
    """Why the symbolic input ``call`` stays Keras (docs/design.md, "Symbolic inputs the
    translator does not follow"); ``fallback`` when no cause below is found."""
    shown = _shown(call)
    home = _attribute_home(call, ctx)
    if home is not None:
        return (f"`{shown}` is kept in `{home}`: a model built from an object's attributes is not translated: "
                "kept as Keras")
    cls = ctx.up(call, (ast.ClassDef,))
    if isinstance(cls, ast.ClassDef):
        why = _class_reason(shown, cls, ctx)
        if why is not None:
            return why
    names, stmt = _holders(call, ctx)
    if stmt is not None:
        model = _taking_model(names, stmt, ctx)
        if model is not None:
            model_stmt = ctx.up(model, (ast.stmt,))
            target = model_stmt.targets[0] if isinstance(model_stmt, ast.Assign) and len(model_stmt.targets) == 1 \
                else None
            what = f"`{_shown(target, 30)}` (line {model.lineno})" if target is not None else f"the model at line {model.lineno}"
            if id(model_stmt) in ctx.translated:
                return f"`{shown}` is an input of {what}, but is made outside the statements that build its graph: kept as Keras"
            return f"`{shown}` is an input of {what}, a model kept as Keras for its own reason"
        why = _foreign_use(call, names, stmt, ctx)
        if why is not None:
            return f"`{shown}` {why}: kept as Keras"
    return fallback


def outside_reason(call: ast.Call, tree: ast.Module, refs: list[Ref], translated: frozenset[int]) -> str:
    """Why a symbolic input of a file with models, outside every graph function, stays Keras;
    ``translated``: ids of the model statements whose graphs are translated."""
    return _reason(call, _Context(tree, refs, translated),
                   f"`{_shown(call)}` is a symbolic input outside any model graph the translator follows")


def inert_reasons(tree: ast.Module, refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """One reason per symbolic input of a file the program form does not apply to."""
    ctx = _Context(tree, refs)
    out: list[tuple[ast.AST, str]] = []
    for call in [r.call for r in refs if r.name in _INPUTS and r.call is not None]:
        shown = _shown(call)
        scope = ctx.up(call, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if isinstance(scope, _FUNCS):
            fallback = f"`{shown}` is a symbolic input of `{scope.name}`, which builds no model in this file: kept as Keras"
        else:
            fallback = f"`{shown}` is a symbolic input no model in this file is built from: kept as Keras"
        out.append((call, _reason(call, ctx, fallback)))
    return out


def inputs_origin(ins: ast.expr, before: list[ast.stmt], owner: ast.AST, tree: ast.Module) -> str:
    """Where a model's inputs that are not ``Input``s of its graph come from, as the end of
    the reason (docs/design.md, "Symbolic inputs the translator does not follow"): a
    parameter of the function building the model (its caller's ``Input``s), or a call of
    another module's function (``inputs = get_inputs(seq_len)``); "" when neither.
    ``before``: the statements of the model's block before it, since the previous model."""
    names = [n.id for n in ast.walk(ins) if isinstance(n, ast.Name)]
    if not names:
        return ""
    bound: dict[str, ast.stmt] = {}
    for s in before:
        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, (ast.AnnAssign, ast.AugAssign)) else []
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    bound[n.id] = s
    imports = import_bindings(tree, everywhere=True)
    for name in names:
        binder = bound.get(name)
        value = binder.value if isinstance(binder, ast.Assign) else None
        if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)):
            root = _callee(value)
            if isinstance(root, ast.Name) and root.id in imports:
                module, _, level = imports[root.id]
                if level or not (is_keras(module) or module.split(".")[0] in ("tensorflow", "numpy")):
                    return (f": `{name}` comes from `{_shown(value.func)}`, from `{'.' * level + module}`: `Input`s made in "
                            "another module are not followed")
    if isinstance(owner, _FUNCS):
        a = owner.args
        params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
        stored = {n.id for s in before for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        taken = [n for n in names if n in params and n not in stored]
        if taken and len(taken) == len(set(names) - {"self"}):
            return (f": `{taken[0]}` is a parameter of `{owner.name}`: a model built from its caller's `Input`s is not "
                    "translated")
    return ""
