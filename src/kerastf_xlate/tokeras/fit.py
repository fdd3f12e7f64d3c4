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

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.syntax import bound_in
from kerastf_xlate.tokeras.common import Finding
from kerastf_xlate.tokeras.fit_checks import (
    FileFacts,
    Refused,
    first_line,
    names_in,
    scope_statements,
    source_of,
    target_names,
)

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
# what a print may call besides reading the loop's own names
_PRINT_CALLS = frozenset({"float", "int", "str", "format", "numpy", "round"})


@dataclass
class FitRewrite:
    """One loop rewritten: its span and the two statements that replace it."""

    loop: ast.For
    text: str
    prints: list[ast.stmt] = field(default_factory=list)




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










def _is_tape(node: ast.AST, names: ModuleNames) -> bool:
    return isinstance(node, ast.Call) and names.qual(node.func) == "tf.GradientTape"




class _Matcher(FileFacts):
    """The loops of a file and the match of each (the objects' checks: :class:`FileFacts`)."""

    def __init__(self, tree: ast.Module) -> None:
        super().__init__(tree)
        self.tape_functions = {name for name, f in self.functions.items()
                               if any(_is_tape(n, self.names) for n in ast.walk(f))}

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
            epochs = source_of(loop.iter.args[-1])  # type: ignore[attr-defined]
            inner = [s for s in loop.body if isinstance(s, ast.For)]
            if not inner:
                raise Refused(f"the loop over `{source_of(loop.iter)}` holds no loop over a dataset's batches"
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
                raise Refused(f"the epoch loop does more than run the batch loop: `{first_line(s)}`")
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



    def _batch_target(self, loop: ast.For) -> tuple[str, str | None, tuple[str, str]]:
        it, target = loop.iter, loop.target
        step_var = None
        if (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "enumerate"
                and "enumerate" not in self._module_bound() and len(it.args) == 1 and not it.keywords
                and isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(target.elts[0], ast.Name)):
            step_var = target.elts[0].id
            it, target = it.args[0], target.elts[1]
        if not isinstance(it, ast.Name):
            raise Refused(f"the batch loop iterates `{source_of(loop.iter)}`, not a dataset bound to a name")
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
        if sum(1 for s in scope_statements(self.tree.body) if fn.name in bound_in(s)) != 1:
            raise Refused(f"`{fn.name}` is bound more than once")
        for d in fn.decorator_list:
            if self.names.qual(d) != "tf.function":
                raise Refused(f"`{fn.name}` is decorated with `{source_of(d)}`")
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
            if self.globals_declared & (names_in(fn, ast.Store) | {x, y}):
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
                    if isinstance(t, ast.Assign) and not self._is_gradient_stmt(t, tape_name) and not _tape_assigns_done(t):
                        if len(flat) > flat_before:  # (an assignment after the gradient: not the loss it took)
                            raise Refused(f"`{first_line(t)}` under the tape comes after `{first_line(flat[-1])}`"
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
                raise Refused(f"`{first_line(a)}` under the tape assigns something other than a name")
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
                          + (f": `{first_line(bad)}`" if bad is not None else ""))
        g, apply = rest
        if not self._is_gradient_stmt(g, tape_name):
            raise Refused(f"{where}: `{first_line(g)}` is not `grads = {tape_name}.gradient(loss, model.trainable_variables)`")
        assert isinstance(g, ast.Assign) and isinstance(g.value, ast.Call)
        grads = g.targets[0].id  # type: ignore[attr-defined]
        loss_arg, vars_arg = g.value.args
        model = _trainable_of(vars_arg)
        if not isinstance(loss_arg, ast.Name) or model is None:
            raise Refused(f"the gradients are not taken of a loss name with respect to `model.trainable_variables`: `{first_line(g)}`")
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
                raise Refused(f"`{first_line(a)}` under the tape is not part of the loss")
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
            raise Refused(f"`{first_line(s)}` is not `optimizer.apply_gradients(zip(grads, model.trainable_variables))`")
        call = s.value  # type: ignore[attr-defined]
        opt = call.func.value
        ok = (isinstance(opt, ast.Name) and len(call.args) == 1 and not call.keywords
              and isinstance(call.args[0], ast.Call) and isinstance(call.args[0].func, ast.Name)
              and call.args[0].func.id == "zip" and "zip" not in self._module_bound() and not call.args[0].keywords
              and len(call.args[0].args) == 2 and isinstance(call.args[0].args[0], ast.Name)
              and call.args[0].args[0].id == grads and _trainable_of(call.args[0].args[1]) == _trainable_of(vars_arg))
        if not ok:
            raise Refused(f"`{first_line(s)}` is not `optimizer.apply_gradients(zip(grads, model.trainable_variables))`")
        return opt.id

    def _loss_form(self, expr: ast.expr, x: str, y: str, model: str) -> tuple[str, str | None, bool]:
        """(the ``loss=`` of compile, the loss object's name or None, whether training=True)."""
        def prediction(p: ast.expr) -> bool:
            if not (isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == model
                    and len(p.args) == 1 and isinstance(p.args[0], ast.Name)):
                raise Refused(f"the loss reads `{source_of(p)}`, not `{model}(inputs)` of the batch's inputs"
                              " (a computation on the batch would have to move into the dataset's `map`)")
            if p.args[0].id != x:
                raise Refused(f"the model is applied to `{p.args[0].id}`, not to the batch's inputs `{x}`")
            training = False
            for k in p.keywords:
                if k.arg == "training" and isinstance(k.value, ast.Constant) and k.value.value is True:
                    training = True
                else:
                    raise Refused(f"the model is called with `{source_of(k)}`")
            return training

        def target(t: ast.expr) -> None:
            if not (isinstance(t, ast.Name) and t.id == y):
                raise Refused(f"the loss compares `{source_of(t)}`, not the batch's targets `{y}`"
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
                raise Refused(f"the loss `{source_of(expr)}` is not the mean of a Keras loss function of (targets, predictions)"
                              " (a hand-written loss is not shown to compute what a Keras loss does for every shape)")
            cls, allowed = LOSS_FUNCTIONS[fname]
            if len(inner.args) != 2 or any(k.arg not in allowed for k in inner.keywords):
                raise Refused(f"the loss function is called with arguments other than (targets, predictions, {', '.join(sorted(allowed))})")
            target(inner.args[0])
            training = prediction(inner.args[1])
            assert isinstance(inner.func, ast.Attribute)
            kw = ", ".join(source_of(k) for k in inner.keywords)
            return f"{source_of(inner.func.value)}.{cls}({kw})", None, training
        raise Refused(f"the loss `{source_of(expr)}` is not a Keras loss object's `(targets, predictions)` nor "
                      "`tf.reduce_mean` of a Keras loss function of them")


    # ------------------------------------------------------------------ the objects













    # ------------------------------------------------------------------ prints

    def _is_print_like(self, s: ast.stmt) -> bool:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) \
                and s.value.func.id == "print":
            return True
        return isinstance(s, ast.If) and all(self._is_print_like(t) for t in [*s.body, *s.orelse])

    def _check_print(self, s: ast.stmt, readable: set[str]) -> None:
        if not self._is_print_like(s):
            raise Refused(f"the batch loop does more than the training step: `{first_line(s)}`")
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
                    local = set().union(*(bound_in(s) for s in scope_statements(p.body)))
                    if n.id in local and n.id not in self.globals_declared:
                        return True
            if isinstance(p, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                if n.id in set().union(*(target_names(g.target) for g in p.generators)):
                    return True
            p = self.parent.get(id(p))
        return False


def _tape_assigns_done(t: ast.stmt) -> bool:
    """A statement under the tape after which the loss is complete (a gradient or an update):
    those go on the flat list."""
    return isinstance(t, ast.Assign) and isinstance(t.value, ast.Call) and isinstance(t.value.func, ast.Attribute) \
        and t.value.func.attr in ("gradient", "apply_gradients")




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
            needed |= names_in(a.value)
    return name in needed





