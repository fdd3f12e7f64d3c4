"""``xlate to-keras --fit``: a ``GradientTape`` training loop that is exactly one ``fit``.

Runs on the text ``to-keras`` wrote (the model is a Keras model by then, or was one in the
file already). A loop is rewritten only when each condition of docs/design.md ("`--fit`")
is shown from the source, statically::

    optimizer = keras.optimizers.Adam()
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    for epoch in range(EPOCHS):
        for images, labels in train_ds:
            train_step(images, labels)

becomes ``model.compile(optimizer=optimizer, loss=loss_object)`` and
``model.fit(train_ds, epochs=EPOCHS)``. Keras 3's ``fit`` on the TensorFlow backend runs the
same step (``trainers/tensorflow/trainer.py``: ``self(x, training=True)``, the compiled loss,
``tape.gradient`` of ``trainable_weights``, ``optimizer.apply_gradients``) once per batch of
the dataset, one pass a epoch, in the dataset's order. Every other loop stays byte for byte
and is reported (XL505, with the reason); a print of the loss, the epoch or the step inside
the loop is dropped for ``fit``'s progress output, and said (XL506).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kerastf_xlate.layers import FLAG_FREE_LAYERS, LOSS_ADDING_LAYERS, PYTHON_CODE_LAYERS
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.tokeras.common import Finding

# Keras loss classes whose instance ``fit`` calls exactly as the loop does (compile keeps the object)
LOSS_CLASSES = frozenset({
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
    "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
    "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
})
# ``tf.reduce_mean(keras.losses.<function>(y, p, **kw))`` -> the class ``compile`` gets. Only
# functions for which the class's ``squeeze_or_expand_to_same_rank`` of (y, p) changes nothing:
# those that do it themselves first, and the sparse crossentropy (it squeezes a label axis of
# one itself, and the class only adds one where the prediction's last axis is one). Not the
# binary / categorical crossentropies: a (B,) label against a (B, 1) output broadcasts in the
# function and is expanded by the class.
LOSS_FUNCTIONS = {
    "sparse_categorical_crossentropy": ("SparseCategoricalCrossentropy", frozenset({"from_logits", "ignore_class", "axis"})),
    "mean_squared_error": ("MeanSquaredError", frozenset()),
    "mse": ("MeanSquaredError", frozenset()),
    "MSE": ("MeanSquaredError", frozenset()),
    "mean_absolute_error": ("MeanAbsoluteError", frozenset()),
    "mae": ("MeanAbsoluteError", frozenset()),
    "MAE": ("MeanAbsoluteError", frozenset()),
}
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
# what a print may call besides reading the loop's own names
_PRINT_CALLS = frozenset({"float", "int", "str", "format", "numpy", "round"})


@dataclass
class FitRewrite:
    """One loop rewritten: its span and the two statements that replace it."""

    loop: ast.For
    text: str
    prints: list[ast.stmt] = field(default_factory=list)


class Refused(Exception):
    """A loop stays: the reason, said in XL505."""


def rewrite_fit_loops(text: str) -> tuple[str, list[Finding]]:
    """``text`` with each training loop that is exactly one ``fit`` replaced by
    ``compile`` + ``fit``, and the findings: XL505 for each loop kept (with the reason), XL506
    for each print dropped for ``fit``'s progress output."""
    if "GradientTape" not in text:
        return text, []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, []
    m = _Matcher(tree)
    findings: list[Finding] = []
    rewrites: list[FitRewrite] = []
    for loop, scope in m.loops():
        try:
            rw = m.match(loop, scope)
        except Refused as why:
            findings.append(Finding(loop, "XL505", f"training loop kept as written (--fit): {why}"))
            continue
        rewrites.append(rw)
        findings += [Finding(p, "XL506", "print in the training loop dropped: `fit` prints the loss and "
                             "the epoch in its progress output instead") for p in rw.prints]
    if not rewrites:
        return text, findings
    lines = text.splitlines(keepends=True)
    for rw in sorted(rewrites, key=lambda r: r.loop.lineno, reverse=True):
        first, last = rw.loop.lineno - 1, (rw.loop.end_lineno or rw.loop.lineno) - 1
        indent = lines[first][: rw.loop.col_offset]
        ending = lines[last][len(lines[last].rstrip("\r\n")):]
        newline = ending or ("\r\n" if lines[first].endswith("\r\n") else "\n")
        new = [indent + line + newline for line in rw.text.split("\n")]
        new[-1] = new[-1][: len(new[-1]) - len(newline)] + ending
        lines[first:last + 1] = new
    return "".join(lines), findings


def _names_in(node: ast.AST, ctx: type = ast.Load) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _target_names(t: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}


def _bound_in(stmt: ast.stmt) -> set[str]:
    """Names a statement binds in its own scope (not inside nested functions or classes)."""
    out: set[str] = set()
    todo: list[ast.AST] = [stmt]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            todo += n.decorator_list
            continue
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        todo += list(ast.iter_child_nodes(n))
    return out


def _scope_statements(body: list[ast.stmt]) -> list[ast.stmt]:
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


def _is_tape(node: ast.AST, names: ModuleNames) -> bool:
    return isinstance(node, ast.Call) and names.qual(node.func) == "tf.GradientTape"


def _src(node: ast.AST) -> str:
    return ast.unparse(node)


class _Matcher:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.names = ModuleNames(tree)
        self.functions = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        self.parent: dict[int, ast.AST] = {}
        for n in ast.walk(tree):
            for c in ast.iter_child_nodes(n):
                self.parent[id(c)] = n
        self.tape_functions = {name for name, f in self.functions.items()
                               if any(_is_tape(n, self.names) for n in ast.walk(f))}
        self.globals_declared = {g for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal)) for g in n.names}

    # ------------------------------------------------------------------ finding loops

    def loops(self) -> list[tuple[ast.For, ast.AST]]:
        """The outermost ``for`` loops that train with a tape (directly or through a function
        of the module that opens one), with the scope (module or function) they run in."""
        found: list[tuple[ast.For, ast.AST]] = []
        taken: set[int] = set()
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.For) or id(node) in taken:
                continue
            if self._trains(node):
                found.append((node, self._scope_of(node)))
                taken |= {id(n) for n in ast.walk(node)}
        return sorted(found, key=lambda p: p[0].lineno)

    def _trains(self, loop: ast.For) -> bool:
        for n in ast.walk(loop):
            if _is_tape(n, self.names):
                return True
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in self.tape_functions:
                return True
        return False

    def _scope_of(self, node: ast.AST) -> ast.AST:
        p = self.parent.get(id(node))
        while p is not None and not isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module, ast.ClassDef)):
            p = self.parent.get(id(p))
        return p or self.tree

    # ------------------------------------------------------------------ the match

    def match(self, loop: ast.For, scope: ast.AST) -> FitRewrite:
        if isinstance(scope, ast.ClassDef):
            raise Refused("the loop is in a class body")
        if isinstance(scope, ast.AsyncFunctionDef):
            raise Refused("the loop is in an async function")
        if isinstance(scope, ast.FunctionDef) and self._scope_of(scope) is not self.tree:
            raise Refused("the loop is in a nested function or a method (the names it reads are not followed there)")
        prints: list[ast.stmt] = []
        epochs = "1"
        epoch_var: str | None = None
        batch_loop = loop
        if loop.orelse:
            raise Refused("the loop has an `else` block")
        if self._is_range(loop.iter):
            if not isinstance(loop.target, ast.Name):
                raise Refused("the epoch loop's target is not a name")
            epoch_var = loop.target.id
            epochs = _src(loop.iter.args[-1])  # type: ignore[attr-defined]
            inner = [s for s in loop.body if isinstance(s, ast.For)]
            if not inner:
                raise Refused(f"the loop over `{_src(loop.iter)}` holds no loop over a dataset's batches"
                              " (its steps take their data otherwise)")
            if len(inner) > 1:
                raise Refused(f"the epoch loop holds {len(inner)} loops (a test or validation loop beside the batch "
                              "loop is not `fit`)")
            batch_loop = inner[0]
            extra = [s for s in loop.body if s is not batch_loop]
        else:
            extra = []
        if batch_loop.orelse:
            raise Refused("the batch loop has an `else` block")
        ds, step_var, xy = self._batch_target(batch_loop)
        x, y = xy
        # the step: a function of the module called with the batch, or written in the loop
        body = batch_loop.body
        step_stmts = [s for s in body if not self._is_print_like(s)]
        if len(step_stmts) == 1 and self._step_call(step_stmts[0], x, y) is not None:
            fn, result = self._step_call(step_stmts[0], x, y)  # type: ignore[misc]
            if not isinstance(scope, ast.Module):
                raise Refused(f"the loop runs in a function and `{fn.name}` reads the model, optimizer and "
                              "loss of the module: not shown to be the same objects")
            params = [a.arg for a in fn.args.args]
            step = self._step(fn.body, params[0], params[1], in_function=True, fn=fn)
            if result and not step.returns:
                raise Refused(f"`{fn.name}` returns nothing, and the loop binds its result `{result}`")
            loss_name = result
            bound_by_loop = {result} if result else set()
            step_scope: ast.AST = self.tree
        else:
            step = self._step(step_stmts, x, y, in_function=False, fn=None)
            loss_name = step.loss
            bound_by_loop = step.bound
            step_scope = scope
        readable = {n for n in (loss_name, epoch_var, step_var) if n}
        for s in body:
            if s not in step_stmts:
                # before the step, the loss is the last batch's (or unbound)
                before_step = bool(step_stmts) and s.lineno < step_stmts[0].lineno
                self._check_print(s, readable - {loss_name} if before_step else readable)
                prints.append(s)
        for s in extra:
            if not self._is_print_like(s):
                raise Refused(f"the epoch loop does more than run the batch loop: `{_first_line(s)}`")
            # before the batch loop only the epoch is this epoch's (the loss would be the last one's, or unbound)
            self._check_print(s, readable if s.lineno > batch_loop.lineno else {n for n in (epoch_var,) if n})
            prints.append(s)
        # the objects: bound once before the loop, each what fit needs
        model = step.model
        self._model_ok(model, step_scope, loop, step.training)
        self._graph_safe()
        self._optimizer_ok(step.optimizer, step_scope, loop)
        loss_expr = step.loss_source
        if step.loss_object is not None:
            self._loss_object_ok(step.loss_object, step_scope, loop)
        self._dataset_ok(ds, scope, loop)
        self._file_ok(model)
        # what the loop leaves behind
        left = {n for n in (epoch_var, step_var, x, y) if n} | bound_by_loop
        after = self._read_after(loop, scope, left)
        if after:
            raise Refused(f"`{after}`, which the loop binds, is read after it")
        # jit_compile=False: on a GPU Keras compiles fit's step with XLA by default ("auto"); the loop
        # ran without it (other rounding, and ops XLA cannot compile would fail there)
        text = (f"{model}.compile(optimizer={step.optimizer}, loss={loss_expr}, jit_compile=False)\n"
                f"{model}.fit({ds}, epochs={epochs})")
        return FitRewrite(loop, text, prints)

    # ------------------------------------------------------------------ loop shape

    def _is_range(self, node: ast.AST) -> bool:
        """``range(N)`` or ``range(0, N)``: N epochs."""
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
                and "range" not in self._module_bound() and not node.keywords
                and (len(node.args) == 1 or len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                     and node.args[0].value == 0 and type(node.args[0].value) is int)
                and not any(isinstance(a, ast.Starred) for a in node.args))

    def _module_bound_plain(self) -> set[str]:
        """Names the module binds otherwise than by an import."""
        return {n for s in self.tree.body if not isinstance(s, (ast.Import, ast.ImportFrom)) for n in _bound_in(s)}

    def _module_bound(self) -> set[str]:
        if not hasattr(self, "_mb"):
            self._mb: set[str] = set()
            for s in _scope_statements(self.tree.body):
                self._mb |= _bound_in(s)
        return self._mb

    def _batch_target(self, loop: ast.For) -> tuple[str, str | None, tuple[str, str]]:
        it, target = loop.iter, loop.target
        step_var = None
        if (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "enumerate"
                and "enumerate" not in self._module_bound() and len(it.args) == 1 and not it.keywords
                and isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(target.elts[0], ast.Name)):
            step_var = target.elts[0].id
            it, target = it.args[0], target.elts[1]
        if not isinstance(it, ast.Name):
            raise Refused(f"the batch loop iterates `{_src(loop.iter)}`, not a dataset bound to a name")
        if not (isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2
                and all(isinstance(e, ast.Name) for e in target.elts)):
            raise Refused("the batch loop does not unpack each batch into (inputs, targets) names")
        x, y = (e.id for e in target.elts)  # type: ignore[attr-defined]
        if x == y or step_var in (x, y):
            raise Refused("the batch loop binds one name twice")
        return it.id, step_var, (x, y)

    def _step_call(self, stmt: ast.stmt, x: str, y: str) -> tuple[ast.FunctionDef, str | None] | None:
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        result = None
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                return None
            result = stmt.targets[0].id
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.tape_functions
                and not value.keywords and len(value.args) == 2
                and all(isinstance(a, ast.Name) for a in value.args)):
            return None
        if [a.id for a in value.args] != [x, y]:  # type: ignore[attr-defined]
            raise Refused(f"`{value.func.id}` is not called with the batch's (inputs, targets) in order")
        fn = self.functions[value.func.id]
        if not isinstance(fn, ast.FunctionDef):
            raise Refused(f"`{fn.name}` is async")
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults or len(a.args) != 2:
            raise Refused(f"`{fn.name}` does not take exactly (inputs, targets)")
        if sum(1 for s in _scope_statements(self.tree.body) if fn.name in _bound_in(s)) != 1:
            raise Refused(f"`{fn.name}` is bound more than once")
        for d in fn.decorator_list:
            if self.names.qual(d) != "tf.function":
                raise Refused(f"`{fn.name}` is decorated with `{_src(d)}`")
        return fn, result

    # ------------------------------------------------------------------ the training step

    @dataclass
    class Step:
        model: str
        optimizer: str
        loss: str
        loss_source: str
        loss_object: str | None
        training: bool
        bound: set[str]
        returns: bool

    def _step(self, stmts: list[ast.stmt], x: str, y: str, in_function: bool, fn: ast.FunctionDef | None) -> _Matcher.Step:
        where = f"`{fn.name}`" if fn else "the batch loop"
        if in_function and fn is not None:
            if self.globals_declared & (_names_in(fn, ast.Store) | {x, y}):
                raise Refused(f"{where} declares a name global")
        flat: list[ast.stmt] = []
        tape_name = None
        tape_assigns: list[ast.Assign] = []
        for s in stmts:
            if isinstance(s, ast.With):
                if tape_name is not None or len(s.items) != 1 or not _is_tape(s.items[0].context_expr, self.names):
                    raise Refused(f"{where} has a `with` block other than one `tf.GradientTape()`")
                call = s.items[0].context_expr
                assert isinstance(call, ast.Call)
                if call.args or any(k.arg != "persistent" for k in call.keywords):
                    raise Refused("the tape is made with arguments that change what it records")
                var = s.items[0].optional_vars
                if not isinstance(var, ast.Name):
                    raise Refused("the tape is not bound to a name")
                tape_name = var.id
                flat_before = len(flat)
                for t in s.body:
                    if isinstance(t, ast.Assign) and not self._is_gradient_stmt(t, tape_name) and not tape_assigns_done(t):
                        if len(flat) > flat_before:  # (an assignment after the gradient: not the loss it took)
                            raise Refused(f"`{_first_line(t)}` under the tape comes after `{_first_line(flat[-1])}`"
                                          " (not one computation of the loss before its gradient)")
                        tape_assigns.append(t)
                    else:
                        flat.append(t)
            else:
                flat.append(s)
        if tape_name is None:
            raise Refused(f"{where} computes no loss under a `tf.GradientTape()` block of its own")
        # the loss: one expression of the batch, read through the names assigned under the tape
        env: dict[str, ast.expr] = {}
        for a in tape_assigns:
            if len(a.targets) != 1 or not isinstance(a.targets[0], ast.Name):
                raise Refused(f"`{_first_line(a)}` under the tape assigns something other than a name")
            env[a.targets[0].id] = _substitute(a.value, env)
        rest = list(flat)
        ret: ast.Return | None = None
        last = rest[-1] if rest else None
        if isinstance(last, ast.Return) and in_function:
            ret = last
            rest.pop()
        if len(rest) != 2:
            bad = next((s for s in rest if not (self._is_gradient_stmt(s, tape_name) or self._is_apply(s))), rest[0] if rest else None)
            raise Refused(f"{where} does more than compute the loss, its gradients and apply them"
                          + (f": `{_first_line(bad)}`" if bad is not None else ""))
        g, apply = rest
        if not self._is_gradient_stmt(g, tape_name):
            raise Refused(f"{where}: `{_first_line(g)}` is not `grads = {tape_name}.gradient(loss, model.trainable_variables)`")
        assert isinstance(g, ast.Assign) and isinstance(g.value, ast.Call)
        grads = g.targets[0].id  # type: ignore[attr-defined]
        loss_arg, vars_arg = g.value.args
        model = _trainable_of(vars_arg)
        if not isinstance(loss_arg, ast.Name) or model is None:
            raise Refused(f"the gradients are not taken of a loss name with respect to `model.trainable_variables`: `{_first_line(g)}`")
        loss = loss_arg.id
        opt = self._apply_of(apply, grads, vars_arg)
        if ret is not None and not (isinstance(ret.value, ast.Name) and ret.value.id == loss):
            raise Refused(f"`{fn.name if fn else ''}` returns something other than the loss")
        if loss not in env:
            raise Refused(f"`{loss}` is not computed under the tape")
        if any(n.id == tape_name for s in [*tape_assigns, *rest] for n in ast.walk(s)
               if isinstance(n, ast.Name) and s is not g):
            raise Refused("the tape is used otherwise than for the gradients")
        for a in tape_assigns:  # each name under the tape feeds the loss (no metric, no second output)
            name = a.targets[0].id  # type: ignore[attr-defined]
            if name != loss and not _feeds(name, tape_assigns, loss):
                raise Refused(f"`{_first_line(a)}` under the tape is not part of the loss")
        expr = env[loss]
        loss_source, loss_object, training = self._loss_form(expr, x, y, model)
        bound = {tape_name, grads} | {a.targets[0].id for a in tape_assigns}  # type: ignore[attr-defined]
        return _Matcher.Step(model, opt, loss, loss_source, loss_object, training, bound, ret is not None)

    def _is_gradient_stmt(self, s: ast.stmt, tape: str) -> bool:
        return (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                and s.value.func.attr == "gradient" and isinstance(s.value.func.value, ast.Name)
                and s.value.func.value.id == tape and len(s.value.args) == 2 and not s.value.keywords)

    def _is_apply(self, s: ast.stmt) -> bool:
        return (isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                and s.value.func.attr == "apply_gradients")

    def _apply_of(self, s: ast.stmt, grads: str, vars_arg: ast.expr) -> str:
        if not self._is_apply(s):
            raise Refused(f"`{_first_line(s)}` is not `optimizer.apply_gradients(zip(grads, model.trainable_variables))`")
        call = s.value  # type: ignore[attr-defined]
        opt = call.func.value
        ok = (isinstance(opt, ast.Name) and len(call.args) == 1 and not call.keywords
              and isinstance(call.args[0], ast.Call) and isinstance(call.args[0].func, ast.Name)
              and call.args[0].func.id == "zip" and "zip" not in self._module_bound() and not call.args[0].keywords
              and len(call.args[0].args) == 2 and isinstance(call.args[0].args[0], ast.Name)
              and call.args[0].args[0].id == grads and _trainable_of(call.args[0].args[1]) == _trainable_of(vars_arg))
        if not ok:
            raise Refused(f"`{_first_line(s)}` is not `optimizer.apply_gradients(zip(grads, model.trainable_variables))`")
        return opt.id

    def _loss_form(self, expr: ast.expr, x: str, y: str, model: str) -> tuple[str, str | None, bool]:
        """(the ``loss=`` of compile, the loss object's name or None, whether training=True)."""
        def prediction(p: ast.expr) -> bool:
            if not (isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == model
                    and len(p.args) == 1 and isinstance(p.args[0], ast.Name)):
                raise Refused(f"the loss reads `{_src(p)}`, not `{model}(inputs)` of the batch's inputs"
                              " (a computation on the batch would have to move into the dataset's `map`)")
            if p.args[0].id != x:
                raise Refused(f"the model is applied to `{p.args[0].id}`, not to the batch's inputs `{x}`")
            training = False
            for k in p.keywords:
                if k.arg == "training" and isinstance(k.value, ast.Constant) and k.value.value is True:
                    training = True
                else:
                    raise Refused(f"the model is called with `{_src(k)}`")
            return training

        def target(t: ast.expr) -> None:
            if not (isinstance(t, ast.Name) and t.id == y):
                raise Refused(f"the loss compares `{_src(t)}`, not the batch's targets `{y}`"
                              " (a computation on the batch would have to move into the dataset's `map`)")

        if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and len(expr.args) == 2
                and not expr.keywords):
            target(expr.args[0])
            training = prediction(expr.args[1])
            return expr.func.id, expr.func.id, training
        if (isinstance(expr, ast.Call) and self.names.qual(expr.func) in ("tf.reduce_mean", "tf.math.reduce_mean") and len(expr.args) == 1
                and not expr.keywords and isinstance(expr.args[0], ast.Call)):
            inner = expr.args[0]
            fname = self._loss_function(inner.func)
            if fname is None or fname not in LOSS_FUNCTIONS:
                if fname in ("binary_crossentropy", "categorical_crossentropy"):
                    raise Refused(f"`{fname}` as a function broadcasts labels against predictions of another rank, "
                                  "which the class `compile` uses expands first: not shown equal")
                raise Refused(f"the loss `{_src(expr)}` is not the mean of a Keras loss function of (targets, predictions)"
                              " (a hand-written loss is not shown to compute what a Keras loss does for every shape)")
            cls, allowed = LOSS_FUNCTIONS[fname]
            if len(inner.args) != 2 or any(k.arg not in allowed for k in inner.keywords):
                raise Refused(f"the loss function is called with arguments other than (targets, predictions, {', '.join(sorted(allowed))})")
            target(inner.args[0])
            training = prediction(inner.args[1])
            assert isinstance(inner.func, ast.Attribute)
            kw = ", ".join(_src(k) for k in inner.keywords)
            return f"{_src(inner.func.value)}.{cls}({kw})", None, training
        raise Refused(f"the loss `{_src(expr)}` is not a Keras loss object's `(targets, predictions)` nor "
                      "`tf.reduce_mean` of a Keras loss function of them")

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

    # ------------------------------------------------------------------ the objects

    def _bindings(self, name: str, scope: ast.AST, what: str) -> tuple[ast.AST, list[ast.stmt]]:
        """(the scope ``name`` is read from by code of ``scope``: its own or the module's, the
        statements binding it there)."""
        if name in self.globals_declared:
            raise Refused(f"the {what} `{name}` is declared global or nonlocal somewhere")
        if isinstance(scope, ast.FunctionDef):
            params = {a.arg for a in [*scope.args.args, *scope.args.kwonlyargs, *scope.args.posonlyargs]}
            if name in params:
                raise Refused(f"the {what} `{name}` is a parameter of `{scope.name}`")
            stmts = [s for s in _scope_statements(scope.body) if name in _bound_in(s)]
            if stmts:
                return scope, stmts
        return self.tree, [s for s in _scope_statements(self.tree.body) if name in _bound_in(s)]

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
                              f"`{_src(n)}` layer, which runs any Python code")
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
            local = {a.arg for a in [*f.args.args, *f.args.kwonlyargs, *f.args.posonlyargs]} | _names_in(f, ast.Store)
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
                        raise Refused(f"{why}, and `{where}` calls `{_src(n.func)}`")
                elif root.id in self.functions and n.func is root:
                    todo.append((root.id, self.functions[root.id]))
                elif root.id not in self.classes and root.id not in _SAFE_BUILTINS:
                    raise Refused(f"{why}, and `{where}` calls `{_src(n.func)}`")

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
                        raise Refused(f"{why}, and the file calls `{_src(n.func)}` of `{top}`, which may be a layer reading the flag")
            if isinstance(n, ast.Call):
                path = self.names.keras_path(n.func)
                if path is None:
                    qual = self.names.qual(n.func)
                    path = qual[len("tf.keras."):] if qual and qual.startswith("tf.keras.") else None
                if path is None:
                    continue
                parts = path.split(".")
                if parts[0] == "applications":
                    raise Refused(f"{why}, and the file builds `{_src(n.func)}`")
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
                raise Refused(f"the loss `{name}` has `reduction={_src(k.value)}`, not a mean over the batch")
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
            root, methods = _chain(s.value)
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
                raise Refused(f"the file sets a regularizer (`{_src(n)}`): `fit` adds the penalty to the loss, the loop does not")
            if isinstance(n, ast.Attribute) and n.attr == "add_loss":
                raise Refused("the file calls `add_loss`: `fit` adds those losses, the loop does not")
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == model and n.attr in (
                    "compile", "fit", "optimizer", "loss", "compiled_loss", "train_function"):
                raise Refused(f"the file reads `{model}.{n.attr}`, which `compile` would change")
            if isinstance(n, ast.Attribute) and n.attr in ("set_global_policy", "mixed_precision", "LossScaleOptimizer"):
                raise Refused("the file sets a mixed-precision policy (`compile` then scales the loss)")
            if isinstance(n, ast.Attribute) and n.attr.endswith("Strategy"):
                raise Refused("the file uses a distribution strategy")

    # ------------------------------------------------------------------ prints

    def _is_print_like(self, s: ast.stmt) -> bool:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) \
                and s.value.func.id == "print":
            return True
        return isinstance(s, ast.If) and all(self._is_print_like(t) for t in [*s.body, *s.orelse])

    def _check_print(self, s: ast.stmt, readable: set[str]) -> None:
        if not self._is_print_like(s):
            raise Refused(f"the batch loop does more than the training step: `{_first_line(s)}`")
        if "print" in self._module_bound():
            raise Refused("`print` is rebound in the file")
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and n.id not in readable and n.id not in _PRINT_CALLS and n.id != "print":
                raise Refused(f"a print in the loop reads `{n.id}`, not only the loss, the epoch or the step")
            if isinstance(n, ast.Attribute) and n.attr not in _PRINT_CALLS:
                raise Refused(f"a print in the loop reads `.{n.attr}`")
            if isinstance(n, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.Lambda)):
                raise Refused("a print in the loop does more than print")
        if isinstance(s, ast.If):
            for t in [*s.body, *s.orelse]:
                self._check_print(t, readable)

    # ------------------------------------------------------------------ after the loop

    def _read_after(self, loop: ast.For, scope: ast.AST, names: set[str]) -> str | None:
        end = (loop.end_lineno or loop.lineno, loop.end_col_offset or 0)
        inside = {id(n) for n in ast.walk(loop)}
        region: ast.AST = scope
        for n in ast.walk(region):
            if id(n) in inside or not isinstance(n, ast.Name) or n.id not in names or isinstance(n.ctx, ast.Store):
                continue
            local = self._local_to_function(n, scope)
            if local:
                continue
            after = (n.lineno, n.col_offset) > end
            in_function = self._scope_of(n) is not scope
            if after or in_function:
                return n.id
        return None

    def _local_to_function(self, n: ast.Name, scope: ast.AST) -> bool:
        """``n`` is a name of a function (or lambda, comprehension) inside ``scope``, not of ``scope``."""
        p = self.parent.get(id(n))
        while p is not None and p is not scope:
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = p.args
                params = {a.arg for a in [*args.args, *args.kwonlyargs, *args.posonlyargs]} | (
                    {args.vararg.arg} if args.vararg else set()) | ({args.kwarg.arg} if args.kwarg else set())
                if n.id in params:
                    return True
                if not isinstance(p, ast.Lambda):
                    local = set().union(*(_bound_in(s) for s in _scope_statements(p.body)))
                    if n.id in local and n.id not in self.globals_declared:
                        return True
            if isinstance(p, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                if n.id in set().union(*(_target_names(g.target) for g in p.generators)):
                    return True
            p = self.parent.get(id(p))
        return False


def tape_assigns_done(t: ast.stmt) -> bool:
    """A statement under the tape after which the loss is complete (a gradient or an update):
    those go on the flat list."""
    return isinstance(t, ast.Assign) and isinstance(t.value, ast.Call) and isinstance(t.value.func, ast.Attribute) \
        and t.value.func.attr in ("gradient", "apply_gradients")


def _reads_flag(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``fn`` reads its ``training`` otherwise than handing it on as ``training=training`` (to
    layers, which the file-wide check of the layers covers)."""
    handed = {id(k.value) for n in ast.walk(fn) if isinstance(n, ast.Call) for k in n.keywords
              if k.arg == "training" and isinstance(k.value, ast.Name)}
    return any(isinstance(n, ast.Name) and n.id == "training" and isinstance(n.ctx, ast.Load) and id(n) not in handed
               for n in ast.walk(fn))


def _trainable_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and node.attr in ("trainable_variables", "trainable_weights") \
            and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def _substitute(expr: ast.expr, env: dict[str, ast.expr]) -> ast.expr:
    class Sub(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if isinstance(node.ctx, ast.Load) and node.id in env:
                return env[node.id]
            return node

    import copy
    return Sub().visit(copy.deepcopy(expr))


def _feeds(name: str, assigns: list[ast.Assign], loss: str) -> bool:
    """``name`` is read (directly or through later names) by the last assignment of ``loss``."""
    needed = {loss}
    for a in reversed(assigns):
        t = a.targets[0].id  # type: ignore[attr-defined]
        if t in needed:
            needed |= _names_in(a.value)
    return name in needed


def _chain(node: ast.expr) -> tuple[ast.expr, list[tuple[str, ast.Call]]]:
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


def _first_line(s: ast.AST | None) -> str:
    if s is None:
        return ""
    text = ast.unparse(s).splitlines()
    return text[0] if text else ""

