"""What ``--fit`` (:mod:`.fit`) checks of the objects a training loop uses: the model, the
optimizer, the loss object and the dataset bound once before the loop, each what ``fit``
needs, and the file around them (no regularizer, graph-safe model code, flag-free layers where
the loop does not pass ``training=True``). Static: nothing is imported or executed.
"""

from __future__ import annotations

import ast

from kerastf_xlate.layers import FLAG_FREE_LAYERS, LOSS_ADDING_LAYERS, PYTHON_CODE_LAYERS
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.syntax import bound_in

# Keras loss classes whose instance ``fit`` calls exactly as the loop does (compile keeps the object)
LOSS_CLASSES = frozenset({
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
    "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
    "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
})
# packages whose calls are no layer of their own (a layer of another package may read the flag)
_FLAG_FREE_PACKAGES = frozenset({
    "tensorflow", "keras", "numpy", "os", "sys", "math", "time", "random", "matplotlib", "pandas", "datetime",
    "pathlib", "json", "collections", "itertools", "functools", "typing", "argparse", "glob", "re", "pickle",
    "csv", "shutil", "warnings", "logging", "PIL", "scipy", "sklearn", "tqdm", "tensorflow_datasets",
})
# builtins a model's call may use in a graph as eagerly
# (not int, float, bool, len, min, max: they read a tensor's value or size, which a graph does not have)
_SAFE_BUILTINS = frozenset({"range", "zip", "enumerate", "isinstance", "getattr", "list", "tuple", "dict", "sum",
                            "reversed", "abs"})
# Model methods whose override changes what ``fit`` runs
_TRAINER_METHODS = frozenset({"train_step", "compute_loss", "compile", "fit", "make_train_function",
                              "compute_metrics", "__call__"})
# dataset methods that keep a (x, y) element a pair of batches of the same samples
_DATASET_METHODS = frozenset({"batch", "shuffle", "prefetch", "cache", "repeat", "take", "skip", "map", "filter"})


class Refused(Exception):
    """A loop stays: the reason, said in XL505."""


def names_in(node: ast.AST, ctx: type = ast.Load) -> set[str]:
    """The plain names ``node`` reads (or, with ``ctx=ast.Store``, binds) anywhere in it."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def target_names(t: ast.AST) -> set[str]:
    """The names an assignment or ``for`` target binds."""
    return {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}


def scope_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement of a scope's body, nested blocks included, not inside functions/classes."""
    out: list[ast.stmt] = []
    todo = list(body)
    while todo:
        s = todo.pop(0)
        out.append(s)
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody", "handlers"):
            sub = getattr(s, name, None)
            if isinstance(sub, list):
                for x in sub:
                    if isinstance(x, ast.ExceptHandler):
                        todo += x.body
                    elif isinstance(x, ast.stmt):
                        todo.append(x)
        if isinstance(s, ast.Match):
            for case in s.cases:
                todo += case.body
    return out


def source_of(node: ast.AST) -> str:
    """``node`` as source (normalised by ``ast.unparse``: for messages and short expressions)."""
    return ast.unparse(node)


def _reads_flag(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``fn`` reads its ``training`` otherwise than handing it on as ``training=training`` (to
    layers, which the file-wide check of the layers covers)."""
    handed = {id(k.value) for n in ast.walk(fn) if isinstance(n, ast.Call) for k in n.keywords
              if k.arg == "training" and isinstance(k.value, ast.Name)}
    return any(isinstance(n, ast.Name) and n.id == "training" and isinstance(n.ctx, ast.Load) and id(n) not in handed
               for n in ast.walk(fn))


def method_chain(node: ast.expr) -> tuple[ast.expr, list[tuple[str, ast.Call]]]:
    """``a.batch(2).shuffle(3)`` -> (a, [("batch", call), ("shuffle", call)])."""
    methods: list[tuple[str, ast.Call]] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        methods.append((node.func.attr, node))
        node = node.func.value
    # a root call (from_tensor_slices(...)) was taken as a method: give it back
    if methods and methods[-1][0] == "from_tensor_slices":
        root = methods.pop()[1]
        return root, methods[::-1]
    return node, methods[::-1]


def first_line(s: ast.AST | None) -> str:
    if s is None:
        return ""
    text = ast.unparse(s).splitlines()
    return text[0] if text else ""


class FileFacts:
    """The file a loop is in: its names, functions, classes, and the checks of the objects."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.names = ModuleNames(tree)
        self.functions = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        self.parent: dict[int, ast.AST] = {}
        for n in ast.walk(tree):
            for c in ast.iter_child_nodes(n):
                self.parent[id(c)] = n
        self.globals_declared = {g for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal)) for g in n.names}

    def _scope_of(self, node: ast.AST) -> ast.AST:
        p = self.parent.get(id(node))
        while p is not None and not isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module, ast.ClassDef)):
            p = self.parent.get(id(p))
        return p or self.tree

    def _module_bound_plain(self) -> set[str]:
        """Names the module binds otherwise than by an import."""
        return {n for s in self.tree.body if not isinstance(s, (ast.Import, ast.ImportFrom)) for n in bound_in(s)}

    def _module_bound(self) -> set[str]:
        if not hasattr(self, "_mb"):
            self._mb: set[str] = set()
            for s in scope_statements(self.tree.body):
                self._mb |= bound_in(s)
        return self._mb

    def _loss_function(self, func: ast.expr) -> str | None:
        if not isinstance(func, ast.Attribute):
            return None
        path = self.names.keras_path(func)
        if path is None:
            qual = self.names.qual(func)
            if qual and qual.startswith("tf.losses."):
                path = qual[len("tf."):]
            elif qual and qual.startswith("tf.keras.losses."):
                path = qual[len("tf.keras."):]
        if path is None or not path.startswith("losses.") or path.count(".") != 1:
            return None
        return path.split(".")[1]

    def _bindings(self, name: str, scope: ast.AST, what: str) -> tuple[ast.AST, list[ast.stmt]]:
        """(the scope ``name`` is read from by code of ``scope``: its own or the module's, the
        statements binding it there)."""
        if name in self.globals_declared:
            raise Refused(f"the {what} `{name}` is declared global or nonlocal somewhere")
        if isinstance(scope, ast.FunctionDef):
            params = {a.arg for a in [*scope.args.args, *scope.args.kwonlyargs, *scope.args.posonlyargs]}
            if name in params:
                raise Refused(f"the {what} `{name}` is a parameter of `{scope.name}`")
            stmts = [s for s in scope_statements(scope.body) if name in bound_in(s)]
            if stmts:
                return scope, stmts
        return self.tree, [s for s in scope_statements(self.tree.body) if name in bound_in(s)]

    def _binding(self, name: str, scope: ast.AST, loop: ast.For, what: str) -> ast.expr:
        """The one value ``name`` is bound to in the scope the loop reads it from, before the loop."""
        where, stmts = self._bindings(name, scope, what)
        if len(stmts) != 1:
            raise Refused(f"the {what} `{name}` is bound {len(stmts) or 'nowhere'}"
                          f"{' times' if len(stmts) > 1 else ''} in its scope, not once")
        s = stmts[0]
        self._before(s, where, loop, name, what)
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
            raise Refused(f"the {what} `{name}` is not bound by a plain assignment")
        return s.value

    def _before(self, s: ast.stmt, where: ast.AST, loop: ast.For, name: str, what: str) -> None:
        """``s`` binds ``name`` once and for all before the loop reads it: a statement of the
        scope's own body (not in a loop or a branch), before the loop when the loop runs in that
        scope (a module-level name a function reads is bound when the module runs)."""
        body = where.body  # type: ignore[attr-defined]
        if s not in body:
            raise Refused(f"the {what} `{name}` is bound inside a block (a loop, a branch), not once before the loop")
        if where is self._scope_of(loop) and s.lineno >= loop.lineno:
            raise Refused(f"the {what} `{name}` is bound after the loop")

    def _model_ok(self, model: str, scope: ast.AST, loop: ast.For, training: bool) -> None:
        value = self._binding(model, scope, loop, "model")
        if not isinstance(value, ast.Call):
            raise Refused(f"the model `{model}` is not made by a call in the file")
        path = self.names.keras_path(value.func)
        cls = None
        if path in ("Sequential", "models.Sequential", "Model", "models.Model"):
            pass
        elif isinstance(value.func, ast.Name) and value.func.id in self.classes:
            cls = self.classes[value.func.id]
            if len(cls.bases) != 1 or self.names.keras_path(cls.bases[0]) not in ("Model", "models.Model") or cls.keywords:
                raise Refused(f"`{cls.name}` is not a direct subclass of `keras.Model`")
            defined = {f.name for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
            if defined & _TRAINER_METHODS:
                raise Refused(f"`{cls.name}` defines `{sorted(defined & _TRAINER_METHODS)[0]}`, which `fit` would run")
        else:
            raise Refused(f"the model `{model}` is not a `keras.Sequential`, a functional `keras.Model` or a "
                          "`keras.Model` subclass of the file")
        if training:
            if cls is not None:
                call = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "call"), None)
                if call is None or "training" not in {a.arg for a in [*call.args.args, *call.args.kwonlyargs]}:
                    # fit calls self(x) without the flag then; the loop's training=True reached the layers
                    self._flag_free(f"`{cls.name}.call` takes no `training` argument (fit then calls it without one)")
        else:
            self._flag_free("the loop calls the model without `training=True`")

    def _graph_safe(self) -> None:
        """``fit`` runs the model in a ``tf.function`` it traces itself (after a symbolic build
        that calls the model once more); the loop eagerly each batch, or in its own
        ``tf.function`` traced at other times: equal only where the model's code does nothing
        but TensorFlow and Keras ops (a numpy draw, a ``print``, a ``.numpy()`` run at each
        tracing, or each batch). No ``Lambda`` layer, and each method of the file's classes (but those that run once:
        ``__init__``, ``build``, ...) and each function of the file they call calls only
        TensorFlow, Keras, its own attributes and the file's own classes and functions."""
        for n in ast.walk(self.tree):
            if isinstance(n, (ast.Name, ast.Attribute)) and (n.id if isinstance(n, ast.Name) else n.attr) in PYTHON_CODE_LAYERS:
                raise Refused("`fit` traces the model's code at other times than the loop runs it, and the file has a "
                              f"`{source_of(n)}` layer, which runs any Python code")
        why = "`fit` traces the model's code at other times than the loop runs it"
        todo: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = [
            (f"{cls.name}.{f.name}", f) for cls in ast.walk(self.tree) if isinstance(cls, ast.ClassDef)
            for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
            and f.name not in ("__init__", "build", "get_config", "from_config", "compute_output_shape")]  # (run once either way)
        seen: set[int] = set()
        while todo:
            where, f = todo.pop()
            if id(f) in seen:
                continue
            seen.add(id(f))
            local = {a.arg for a in [*f.args.args, *f.args.kwonlyargs, *f.args.posonlyargs]} | names_in(f, ast.Store)
            for n in ast.walk(f):
                if isinstance(n, ast.Attribute) and n.attr in ("numpy", "item", "tolist"):
                    raise Refused(f"{why}, and `{where}` reads `.{n.attr}`")
                if not isinstance(n, ast.Call):
                    continue
                root = n.func
                while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
                    root = root.value if not isinstance(root, ast.Call) else root.func
                if not isinstance(root, ast.Name) or root.id in local or root.id in ("self", "super"):
                    continue
                if root.id in self.names.alias and root.id not in self._module_bound_plain():
                    if self.names.alias[root.id].split(".")[0] not in ("tensorflow", "keras"):
                        raise Refused(f"{why}, and `{where}` calls `{source_of(n.func)}`")
                elif root.id in self.functions and n.func is root:
                    todo.append((root.id, self.functions[root.id]))
                elif root.id not in self.classes and root.id not in _SAFE_BUILTINS:
                    raise Refused(f"{why}, and `{where}` calls `{source_of(n.func)}`")

    def _flag_free(self, why: str) -> None:
        """Every layer of the file computes the same whatever the training flag: the Keras
        layers it makes are flag-free ones, its functions do not branch on a ``training``
        argument, and it calls nothing of a package that might hold a layer of its own."""
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Call):
                root = n.func
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and root.id in self.names.alias and root.id not in self._module_bound_plain():
                    top = self.names.alias[root.id].split(".")[0]
                    if top not in _FLAG_FREE_PACKAGES:
                        raise Refused(f"{why}, and the file calls `{source_of(n.func)}` of `{top}`, which may be a layer reading the flag")
            if isinstance(n, ast.Call):
                path = self.names.keras_path(n.func)
                if path is None:
                    qual = self.names.qual(n.func)
                    path = qual[len("tf.keras."):] if qual and qual.startswith("tf.keras.") else None
                if path is None:
                    continue
                parts = path.split(".")
                if parts[0] == "applications":
                    raise Refused(f"{why}, and the file builds `{source_of(n.func)}`")
                if parts[0] == "layers" and len(parts) == 2 and parts[1] not in FLAG_FREE_LAYERS:
                    raise Refused(f"{why}, and the file has a `{parts[1]}` layer, which may read the flag")
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and "training" in {
                    a.arg for a in [*n.args.args, *n.args.kwonlyargs]} and _reads_flag(n):
                raise Refused(f"{why}, and `{n.name}` reads its `training` argument")

    def _optimizer_ok(self, opt: str, scope: ast.AST, loop: ast.For) -> None:
        value = self._binding(opt, scope, loop, "optimizer")
        path = self.names.keras_path(value.func) if isinstance(value, ast.Call) else None
        if path is None and isinstance(value, ast.Call):
            qual = self.names.qual(value.func)
            if qual and qual.startswith("tf.optimizers."):
                path = qual[len("tf."):]
        if path is None or not path.startswith("optimizers.") or path.count(".") != 1 or not path.split(".")[1][:1].isupper():
            raise Refused(f"the optimizer `{opt}` is not made by a Keras optimizer class before the loop")

    def _loss_object_ok(self, name: str, scope: ast.AST, loop: ast.For) -> None:
        value = self._binding(name, scope, loop, "loss")
        fname = None
        if isinstance(value, ast.Call):
            fname = self._loss_function(value.func)
        if fname is None or fname not in LOSS_CLASSES:
            raise Refused(f"the loss `{name}` is not an instance of a Keras loss class")
        assert isinstance(value, ast.Call)
        for k in value.keywords:
            if k.arg is None:
                raise Refused(f"the loss `{name}` is made with `**` arguments")
            if k.arg == "reduction" and not (isinstance(k.value, ast.Constant) and k.value.value == "sum_over_batch_size"):
                raise Refused(f"the loss `{name}` has `reduction={source_of(k.value)}`, not a mean over the batch")
        if len(value.args) > 0:
            raise Refused(f"the loss `{name}` is made with positional arguments (its reduction is not shown)")

    def _dataset_ok(self, ds: str, scope: ast.AST, loop: ast.For) -> None:
        where, bindings = self._bindings(ds, scope, "dataset")
        if not bindings:
            raise Refused(f"the dataset `{ds}` is not bound in the file")
        for s in bindings:
            self._before(s, where, loop, ds, "dataset")
        batched = False
        for i, s in enumerate(bindings):
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
                raise Refused(f"the dataset `{ds}` is bound otherwise than by an assignment")
            root, methods = method_chain(s.value)
            for meth, call in methods:
                if meth not in _DATASET_METHODS:
                    raise Refused(f"the dataset `{ds}` is made with `.{meth}(...)`, which may change its (inputs, targets) pairs")
                if meth == "repeat" and not call.args and not call.keywords:
                    raise Refused(f"the dataset `{ds}` repeats without end")
                if meth == "shuffle" and self._seeded_reshuffle(call):
                    raise Refused(f"the dataset `{ds}` is shuffled anew each epoch from a fixed seed: `fit` iterates "
                                  "it otherwise and draws other (equally random) orders, so the weights would differ")
                if meth == "map" and not self._pair_map(call):
                    raise Refused(f"the dataset `{ds}` is mapped by a function not shown to return (inputs, targets)")
                batched = batched or meth == "batch"
            if i == 0:
                if not (isinstance(root, ast.Call) and self.names.qual(root.func) == "tf.data.Dataset.from_tensor_slices"
                        and len(root.args) == 1 and isinstance(root.args[0], ast.Tuple) and len(root.args[0].elts) == 2
                        and not root.keywords):
                    raise Refused(f"the dataset `{ds}` is not made by `tf.data.Dataset.from_tensor_slices((inputs, targets))`")
            elif not (isinstance(root, ast.Name) and root.id == ds):
                raise Refused(f"the dataset `{ds}` is bound again to something else")
        if not batched:
            raise Refused(f"the dataset `{ds}` is not batched")

    def _seeded_reshuffle(self, call: ast.Call) -> bool:
        """A ``shuffle`` whose order is fixed by a seed (its own or the program's) and drawn anew
        each epoch: a loop and ``fit`` iterate the dataset differently and get other orders
        (measured, Keras 3.15 / TF 2.21). Without a seed both are random draws of the same kind;
        with ``reshuffle_each_iteration=False`` the order is fixed when the dataset is made."""
        kw = {k.arg: k.value for k in call.keywords}
        reshuffle = kw.get("reshuffle_each_iteration", call.args[2] if len(call.args) > 2 else None)
        if isinstance(reshuffle, ast.Constant) and reshuffle.value is False:
            return False
        seed = kw.get("seed", call.args[1] if len(call.args) > 1 else None)
        if seed is not None and not (isinstance(seed, ast.Constant) and seed.value is None):
            return True
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("set_seed", "set_random_seed")
                   for n in ast.walk(self.tree))

    def _pair_map(self, call: ast.Call) -> bool:
        if len(call.args) < 1 or any(k.arg not in ("num_parallel_calls", "deterministic") for k in call.keywords):
            return False
        f = call.args[0]
        if isinstance(f, ast.Lambda):
            return isinstance(f.body, ast.Tuple) and len(f.body.elts) == 2
        if isinstance(f, ast.Name) and f.id in self.functions:
            rets = [n for n in ast.walk(self.functions[f.id]) if isinstance(n, ast.Return)]
            return bool(rets) and all(isinstance(r.value, ast.Tuple) and len(r.value.elts) == 2 for r in rets)
        return False

    def _file_ok(self, model: str) -> None:
        for n in ast.walk(self.tree):
            if isinstance(n, ast.keyword) and n.arg and n.arg.endswith("_regularizer") and not (
                    isinstance(n.value, ast.Constant) and n.value.value is None):
                raise Refused(f"a layer has `{n.arg}=`: `fit` adds the penalty to the loss, the loop does not")
            if isinstance(n, ast.Attribute) and (n.attr.endswith("_regularizer") or n.attr in LOSS_ADDING_LAYERS) \
                    or isinstance(n, ast.Name) and n.id in LOSS_ADDING_LAYERS:
                raise Refused(f"the file sets a regularizer (`{source_of(n)}`): `fit` adds the penalty to the loss, the loop does not")
            if isinstance(n, ast.Attribute) and n.attr == "add_loss":
                raise Refused("the file calls `add_loss`: `fit` adds those losses, the loop does not")
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == model and n.attr in (
                    "compile", "fit", "optimizer", "loss", "compiled_loss", "train_function"):
                raise Refused(f"the file reads `{model}.{n.attr}`, which `compile` would change")
            if isinstance(n, ast.Attribute) and n.attr in ("set_global_policy", "mixed_precision", "LossScaleOptimizer"):
                raise Refused("the file sets a mixed-precision policy (`compile` then scales the loss)")
            if isinstance(n, ast.Attribute) and n.attr.endswith("Strategy"):
                raise Refused("the file uses a distribution strategy")
