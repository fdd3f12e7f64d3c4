"""Keras training API on translated models -> TensorFlow training code.

:func:`plan_training` is called by the translator when a model's instance is used with
Keras APIs that a ``tf.Module`` lacks. It returns the statement replacements that turn those
uses into TensorFlow code, or raises :class:`~kerastf_xlate.totf.common.Blocked` (a
:class:`TrainingBlocked` carrying its diagnostic code) when it cannot, in which case the
model stays Keras.

What a translated script looks like::

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=64, epochs=3, validation_split=0.1)

becomes::

    model.optimizer = _adam()
    model.loss = _sparse_categorical_crossentropy
    model.metrics = {"accuracy": _accuracy}
    history = _fit(model, x, y, batch_size=64, epochs=3, validation_split=0.1)

with ``_adam``, ``_fit``... copied from :mod:`.runtime` after the imports. The compile step
stores the optimizer (its state lives in the closure), the loss and the metrics on the
module itself, so ``fit``/``evaluate`` work wherever the model goes, as in Keras.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kerastf_xlate.edit.records import relative_continuations
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.totf.common import MODULE_API, Blocked, source_of
from kerastf_xlate.totf.program.model_files import static_path
from kerastf_xlate.totf.training.helpers import helper_names, helper_sources
from kerastf_xlate.totf.training.specs import (
    TrainingBlocked,
    assignments,
    bind_args,
    binds,
    literal_value,
    loss_expr,
    metrics_expr,
    optimizer_class,
    optimizer_expr,
)

__all__ = ["TrainingPlan", "TrainingBlocked", "plan_training", "Blocked"]


@dataclass
class TrainingPlan:
    replace: dict[int, tuple[ast.stmt, str]] = field(default_factory=dict)  # id(stmt) -> (stmt, new code)
    remove: list[ast.stmt] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)  # module-level helper sources (deduplicated by the caller)
    # id(stmt) -> (the statement's source, [(start, end, new text)] in it): what _substitute
    # replaced, so another model's plan rewriting calls in the same statement can be merged
    spans: dict[int, tuple[str, list[tuple[int, int, str]]]] = field(default_factory=dict)


# Keras model methods and what replaces them
_STATEMENT_APIS = {"compile", "save_weights", "load_weights"}  # whole statements
_VALUE_APIS = {"fit", "evaluate", "predict", "count_params"}  # expressions, anywhere in a statement
TRANSLATED_APIS = _STATEMENT_APIS | _VALUE_APIS
FILE_APIS = frozenset({"save", "export"})  # model APIs that write a Keras model file
_MODULE_ATTRS = {"optimizer", "loss", "metrics"}  # set on the module by the compile step
_HISTORY_ATTRS = {"history", "epoch", "params"}

COMPILE_SIG = ["optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
               "steps_per_execution", "jit_compile", "auto_scale_loss"]
FIT_SIG = ["x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data", "shuffle",
           "class_weight", "sample_weight", "initial_epoch", "steps_per_epoch", "validation_steps",
           "validation_batch_size", "validation_freq"]
EVALUATE_SIG = ["x", "y", "batch_size", "verbose", "sample_weight", "steps", "callbacks", "return_dict"]
PREDICT_SIG = ["x", "batch_size", "verbose", "steps", "callbacks"]
# signature, helper, how many leading positional arguments the helper takes in the same order
_VALUE_CALLS = {
    "fit": (FIT_SIG, "_fit", 5),
    "evaluate": (EVALUATE_SIG, "_evaluate", 4),
    "predict": (PREDICT_SIG, "_predict", 3),
}
# strategies the translated loop runs under as Keras's fit does (runtime.py's _fit): the
# model's variables mirrored over one host's devices; any other tf.distribute API keeps XL307
MIRRORED_STRATEGIES = {"tensorflow.distribute.MirroredStrategy", "tensorflow.distribute.OneDeviceStrategy",
                       "tensorflow.distribute.get_strategy"}
_MUST_BE_NONE = {"class_weight", "sample_weight", "steps_per_epoch", "validation_steps", "steps"}


def plan_training(tree: ast.Module, names: set[str], scope: list[ast.AST], lines: list[str],
                  first_bad: tuple[str, ast.AST], skip: set[int] | None = None,
                  module_api: frozenset[str] = frozenset(), follow: frozenset[str] = frozenset(),
                  translated: frozenset[int] = frozenset()) -> TrainingPlan:
    """Plan the TensorFlow replacement of every Keras-API use of ``names`` in ``scope``.

    ``skip`` holds the ids of statements that are the model's own definition (folded into
    its class), which are not searched. ``module_api`` adds attributes the translated model
    has (the program form's models have more than a flat module); passing a model to a
    function named in ``follow`` is not an escape (the caller plans that function too);
    ``translated`` holds the ids of attribute nodes the caller translates itself (a
    ``model.save`` whose file the program reads back), which stay as written.
    """
    try:
        return _Planner(tree, names, scope, lines, skip or set(), module_api, follow, translated).plan(first_bad)
    except Blocked:
        raise
    except Exception as exc:  # pragma: no cover - a bug here must not lose the user's file
        raise TrainingBlocked(f"internal error while translating the training code ({type(exc).__name__}: {exc})",
                              first_bad[1], "XL303") from exc


def _is_none(node: ast.AST | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _is_empty(node: ast.AST | None) -> bool:
    return _is_none(node) or (isinstance(node, (ast.List, ast.Tuple)) and not node.elts)


class _Planner:
    def __init__(self, tree: ast.Module, names: set[str], scope: list[ast.AST], lines: list[str], skip: set[int],
                 module_api: frozenset[str] = frozenset(), follow: frozenset[str] = frozenset(),
                 translated: frozenset[int] = frozenset()) -> None:
        self.module_api = MODULE_API | module_api
        self.translated = translated
        self.follow = follow
        self.tree = tree
        self.names = names
        self.scope = scope
        self.lines = lines
        self.skip = skip
        self.keras = ModuleNames(tree)
        self.parents: dict[int, ast.AST] = {}
        for n in ast.walk(tree):
            for c in ast.iter_child_nodes(n):
                self.parents[id(c)] = n
        self.plan_out = TrainingPlan()
        self.needed: set[str] = set()

    # ---------------------------------------------------------------- discovery

    def _walk_scope(self):
        stack = [n for n in reversed(self.scope) if id(n) not in self.skip]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(c for c in reversed(list(ast.iter_child_nodes(n))) if id(c) not in self.skip)

    def _uses(self) -> list[tuple[str, ast.Call]]:
        """Every translated Keras API call on the instances; blocks on anything else."""
        uses: list[tuple[str, ast.Call]] = []
        for n in self._walk_scope():
            if not (isinstance(n, ast.Name) and n.id in self.names and isinstance(n.ctx, ast.Load)):
                continue
            p = self.parents.get(id(n))
            if isinstance(p, ast.Attribute) and p.value is n:
                if id(p) in self.translated:
                    continue
                if p.attr in self.module_api:
                    if not isinstance(p.ctx, ast.Load) and p.attr in MODULE_API:
                        raise TrainingBlocked(f"`{n.id}.{p.attr}` is assigned; the translated module's `{p.attr}` is not", p, "XL303")
                    continue
                if p.attr in TRANSLATED_APIS:
                    call = self.parents.get(id(p))
                    if not (isinstance(call, ast.Call) and call.func is p):
                        raise TrainingBlocked(f"`{n.id}.{p.attr}` is used without being called", p, "XL303")
                    uses.append((p.attr, call))
                    continue
                if p.attr in FILE_APIS:
                    raise TrainingBlocked(f"`{n.id}.{p.attr}(...)` writes a Keras model file, which needs the Keras model", p, "XL306")
                raise TrainingBlocked(f"`.{p.attr}` is a Keras API that the translation does not cover", p, "XL303")
            if isinstance(p, ast.Call) and p.func is n:
                continue  # model(x)
            if isinstance(p, ast.Return) and self._returned_to_names(p):
                continue  # `return model` from build_model(), bound to a name checked here too
            self._escape(n, p)
        return uses

    def _returned_to_names(self, ret: ast.Return) -> bool:
        func = self._enclosing_function(ret)
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        bound = [n for n in ast.walk(self.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func.name]
        return bool(bound) and all(
            isinstance(self.parents.get(id(c)), ast.Assign)
            and all(isinstance(t, ast.Name) and t.id in self.names for t in self.parents[id(c)].targets)  # type: ignore[attr-defined]
            for c in bound)

    def _escape(self, n: ast.Name, p: ast.AST | None) -> None:
        if isinstance(p, ast.keyword):
            p = self.parents.get(id(p))
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id in self.follow:
            return
        if isinstance(p, ast.Call) and id(p) in self.translated:
            return
        if isinstance(p, ast.Call):
            callee = self.keras.keras_path(p.func) or ""
            if callee.split(".")[-1] in ("save_model", "export_saved_model"):
                raise TrainingBlocked(f"`{n.id}` is saved with `{ast.unparse(p.func)}`, which needs the Keras model", n, "XL306")
            raise TrainingBlocked(f"`{n.id}` is passed to `{ast.unparse(p.func)[:40]}(...)`, where the translator cannot "
                                  "follow what is done with it", n, "XL303")
        raise TrainingBlocked(f"`{n.id}` is used as a value (`{ast.unparse(p)[:40] if p else n.id}`) where the translator "
                              "cannot follow what is done with it", n, "XL303")

    def _statement(self, node: ast.AST) -> ast.stmt:
        cur: ast.AST = node
        while not isinstance(cur, ast.stmt):
            cur = self.parents[id(cur)]
        return cur

    # ---------------------------------------------------------------- checks

    def _file_checks(self, apis: set[str]) -> None:
        distributed: ast.AST | None = None
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Attribute):
                qual = self.keras.qualname(n) or ""
                path = self.keras.keras_path(n) or ""
                if qual in MIRRORED_STRATEGIES:
                    distributed = n
                elif qual == "tensorflow.distribute" and isinstance(self.parents.get(id(n)), ast.Attribute):
                    pass  # `tf.distribute.X`: X is judged
                elif qual.startswith("tensorflow.distribute") or path.startswith("distribution"):
                    raise TrainingBlocked(f"`{ast.unparse(n)}`: the script uses a distribution strategy, which the translated "
                                          "training loop does not reproduce", n, "XL307")
                if path.startswith("mixed_precision"):
                    raise TrainingBlocked(f"`{ast.unparse(n)}`: mixed precision (loss scaling) is not translated", n)
            if isinstance(n, ast.ImportFrom) and n.module and (n.module.startswith("tensorflow.distribute") or ".distribution" in n.module):
                raise TrainingBlocked("the script imports a distribution strategy, which the translated training loop does "
                                      "not reproduce", n, "XL307")
        if distributed is not None:
            for n in ast.walk(self.tree):
                if isinstance(n, ast.keyword) and n.arg in ("clipnorm", "clipvalue", "global_clipnorm") and not _is_none(n.value):
                    raise TrainingBlocked(f"`{n.arg}=` under a distribution strategy: Keras clips each replica's gradients "
                                          "before summing them, which the translated loop does not reproduce", n.value, "XL307")
        if apis & {"fit", "evaluate"}:
            for n in ast.walk(self.tree):
                if isinstance(n, ast.keyword) and n.arg and (n.arg.endswith("_regularizer") or n.arg.endswith("_constraint")) \
                        and not _is_none(n.value):
                    raise TrainingBlocked(f"`{n.arg}=`: Keras adds regularization losses and applies constraints in its "
                                          "training step; the translated loop would not", n.value)
                if isinstance(n, ast.Attribute) and n.attr == "add_loss":
                    raise TrainingBlocked("`add_loss`: Keras adds these losses in its training step; the translated loop "
                                          "would not", n)
        helpers = set(helper_names())
        for n in ast.walk(self.tree):
            bound = None
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                bound = n.id
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound = n.name
            elif isinstance(n, ast.alias):
                bound = n.asname or n.name.split(".")[0]
            elif isinstance(n, ast.arg):
                bound = n.arg
            if bound in helpers:
                raise TrainingBlocked(f"the script defines `{bound}`, a name the translated training code needs", n, "XL303")
        for cls in ast.walk(self.tree):
            if isinstance(cls, ast.ClassDef):
                for n in ast.walk(cls):
                    if isinstance(n, ast.Attribute) and n.attr in _MODULE_ATTRS and isinstance(n.ctx, ast.Store) \
                            and isinstance(n.value, ast.Name) and n.value.id == "self":
                        raise TrainingBlocked(f"class `{cls.name}` sets `self.{n.attr}`, which the translated compile step "
                                              "uses", n, "XL303")
        self._single_output()

    def _single_output(self) -> None:
        """Losses and metrics are translated for single-output models only."""
        funcs = {f.name: f for f in ast.walk(self.tree) if isinstance(f, ast.FunctionDef)}
        places: list[ast.AST] = [s for s in self.scope if isinstance(s, ast.FunctionDef)]
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name) \
                    and n.value.func.id in funcs and any(isinstance(t, ast.Name) and t.id in self.names for t in n.targets):
                places.append(funcs[n.value.func.id])
            elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in self.names for t in n.targets):
                places.append(n)
        for place in places:
            for c in ast.walk(place):
                if isinstance(c, ast.Call) and (self.keras.keras_path(c.func) or "").split(".")[-1] == "Model":
                    outputs = c.args[1] if len(c.args) > 1 else next((k.value for k in c.keywords if k.arg == "outputs"), None)
                    if isinstance(outputs, ast.Dict) or (isinstance(outputs, (ast.List, ast.Tuple)) and len(outputs.elts) != 1):
                        raise TrainingBlocked("the model has several outputs; losses and metrics are translated for "
                                              "single-output models only", c)

    def _own_lines(self, stmt: ast.stmt) -> None:
        first = self.lines[stmt.lineno - 1].encode("utf-8")
        last = self.lines[(stmt.end_lineno or stmt.lineno) - 1].encode("utf-8")
        before = first[: stmt.col_offset].strip()
        after = last[stmt.end_col_offset:].strip() if stmt.end_col_offset is not None else b""
        if before or (after and not after.startswith(b"#")):
            raise TrainingBlocked("the statement shares its line with other statements", stmt, "XL303")

    # ---------------------------------------------------------------- plan

    def plan(self, first_bad: tuple[str, ast.AST]) -> TrainingPlan:
        uses = self._uses()
        if not uses:
            attr, node = first_bad
            raise TrainingBlocked(f"`.{attr}` is a Keras API that a tf.Module lacks", node, "XL303")
        apis = {attr for attr, _ in uses}
        self._file_checks(apis)
        if apis & {"fit", "evaluate"} and "compile" not in apis:
            attr, call = next(u for u in uses if u[0] in ("fit", "evaluate"))
            raise TrainingBlocked(f"`.{attr}` without a `compile` of the model in the code the translator follows "
                                  "(the loss and optimizer are unknown)", call)
        by_stmt: dict[int, tuple[ast.stmt, list[tuple[str, ast.Call]]]] = {}
        for attr, call in uses:
            stmt = self._statement(call)
            by_stmt.setdefault(id(stmt), (stmt, []))[1].append((attr, call))
        saved = {ast.dump(c.args[0] if c.args else c.keywords[0].value) for a, c in uses if a == "save_weights" and (c.args or c.keywords)}
        for stmt, calls in by_stmt.values():
            self._own_lines(stmt)
            if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef, ast.AsyncFor, ast.AsyncWith)) or type(stmt).__name__ in ("Match", "TryStar"):
                raise TrainingBlocked(f"`.{calls[0][0]}(...)` is in the header of a compound statement; write it on its own line",
                                      calls[0][1], "XL303")
            statement_level = [(a, c) for a, c in calls if a in _STATEMENT_APIS]
            if statement_level:
                attr, call = statement_level[0]
                if len(calls) > 1 or not (isinstance(stmt, ast.Expr) and stmt.value is call):
                    raise TrainingBlocked(f"`.{attr}(...)` must be a statement of its own to be translated", call, "XL303")
                code = self._statement_code(attr, call, saved)
            else:
                code = self._substitute(stmt, calls)
            try:
                ast.parse(code)
            except SyntaxError:  # pragma: no cover - a rewrite must stay valid Python
                raise TrainingBlocked(f"`.{calls[0][0]}(...)` could not be rewritten", calls[0][1], "XL303") from None
            self.plan_out.replace[id(stmt)] = (stmt, code)
        self.plan_out.helpers = helper_sources(self.needed)
        return self.plan_out

    # ---------------------------------------------------------------- statements

    def _statement_code(self, attr: str, call: ast.Call, saved: set[str]) -> str:
        inst = ast.unparse(call.func.value)  # type: ignore[attr-defined]
        if attr == "compile":
            return self._compile(inst, call)
        if attr == "save_weights":
            args = bind_args(call, ["filepath", "overwrite", "max_shard_size"], "save_weights")
            if "filepath" not in args.nodes:
                raise TrainingBlocked("`save_weights()` without a file path", call, "XL303")
            if not _is_none(args.nodes.get("max_shard_size")):
                raise TrainingBlocked("`save_weights(max_shard_size=...)` is not translated", call, "XL306")
            name = static_path(args.nodes["filepath"], self.tree)
            if name is not None and not name.endswith(".weights.h5"):
                # Keras 3 refuses any other name (ValueError), and the checkpoint written here would not
                # (the program form's runtime `save_weights` refuses it as Keras does)
                raise TrainingBlocked(f"`save_weights({ast.unparse(args.nodes['filepath'])[:40]})`: Keras 3 writes only "
                                      "a name ending in `.weights.h5` and raises ValueError for another, which the "
                                      "inline checkpoint would not", call, "XL306")
            return f"tf.train.Checkpoint(model={inst}).write({source_of(self.lines, args.nodes['filepath'])})\n"
        if attr == "load_weights":
            args = bind_args(call, ["filepath", "skip_mismatch"], "load_weights")
            path = args.nodes.get("filepath")
            if path is None:
                raise TrainingBlocked("`load_weights()` without a file path", call, "XL303")
            if literal_value(args.nodes.get("skip_mismatch")) not in (None, False):
                raise TrainingBlocked("`load_weights(skip_mismatch=True)` is not translated", call, "XL306")
            if ast.dump(path) not in saved:
                raise TrainingBlocked("`load_weights` reads a Keras weights file that this script does not write with "
                                      "`save_weights`; the translated module reads TensorFlow checkpoints", call, "XL306")
            return f"tf.train.Checkpoint(model={inst}).read({source_of(self.lines, path)}).expect_partial()\n"
        raise AssertionError(attr)  # pragma: no cover

    def _compile(self, inst: str, call: ast.Call) -> str:
        args = bind_args(call, COMPILE_SIG, "compile")
        for name in ("loss_weights", "weighted_metrics"):
            if not _is_none(args.nodes.get(name)):
                raise TrainingBlocked(f"`compile({name}=...)` is not translated", args.nodes[name])
        opt_node = args.nodes.get("optimizer")
        if opt_node is None:
            opt = optimizer_expr(ast.Constant("rmsprop"), self.keras, self.tree, self.lines)
        elif isinstance(opt_node, ast.Name):
            opt = self._bound_object(opt_node, "optimizer")
        else:
            opt = optimizer_expr(opt_node, self.keras, self.tree, self.lines)
        if "(" in opt:
            self.needed.add(opt.split("(", 1)[0])
        loss_node = args.nodes.get("loss")
        if _is_none(loss_node):
            raise TrainingBlocked("`compile` without a loss: nothing to translate the training step from", call)
        assert loss_node is not None
        if isinstance(loss_node, ast.Name) and self.keras.keras_path(loss_node) is None:
            loss = self._bound_object(loss_node, "loss")
        else:
            expr = loss_expr(loss_node, self.keras, self.lines)
            self.needed |= expr.helpers
            loss = expr.code
        unnamed_auc = [n for n in ast.walk(self.tree) if (self.keras.keras_path(n.func if isinstance(n, ast.Call) else n) or "")
                       == "metrics.AUC" and not (isinstance(n, ast.Call) and any(k.arg == "name" for k in n.keywords))
                       and not isinstance(self.parents.get(id(n)), ast.Call)]
        if len(unnamed_auc) > 1:
            raise TrainingBlocked("several `AUC` metrics without a name: Keras numbers their names per process "
                                  "(auc, auc_1...); give each a `name=`", unnamed_auc[1])
        metrics = metrics_expr(args.nodes.get("metrics"), self.keras, self.lines)
        self.needed |= metrics.helpers | {"_metric_sums"}
        return (f"{inst}.optimizer = {opt}  # {inst}.compile(...): optimizer, loss and metrics in TensorFlow\n"
                f"{inst}.loss = {loss}\n{inst}.metrics = {metrics.code}\n")

    def _bound_object(self, node: ast.Name, kind: str) -> str:
        """``compile(optimizer=opt)`` where ``opt = keras.optimizers.Adam(...)``: rewrite that
        assignment too, and use the name."""
        assigns = assignments(self.tree, node.id)
        if any(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for b in binds(self.tree, node.id)):
            raise TrainingBlocked(f"{kind} `{node.id}` is a custom function or class (a custom {kind} stays Keras)", node)
        if len(assigns) != 1 or len(binds(self.tree, node.id)) != 1 or len(assigns[0].targets) != 1:
            raise TrainingBlocked(f"{kind} `{node.id}` is not bound once to a Keras {kind} the translator can read", node)
        stmt = assigns[0]
        self._own_lines(stmt)
        if kind == "optimizer":
            if not (isinstance(stmt.value, ast.Call) and optimizer_class(stmt.value.func, self.keras)):
                raise TrainingBlocked(f"optimizer `{node.id}` is not a Keras optimizer the translator knows", node)
            code = optimizer_expr(stmt.value, self.keras, self.tree, self.lines)
            self.needed.add(code.split("(", 1)[0])
        else:
            expr = loss_expr(stmt.value, self.keras, self.lines)
            self.needed |= expr.helpers
            code = expr.code
        # every other use must be one this plan translates
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Name) and n.id == node.id and isinstance(n.ctx, ast.Load):
                p = self.parents.get(id(n))
                c = self.parents.get(id(p)) if isinstance(p, ast.keyword) and p.arg == kind else p
                position = COMPILE_SIG.index(kind)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "compile" \
                        and isinstance(c.func.value, ast.Name) and c.func.value.id in self.names \
                        and (p is not c or (len(c.args) > position and c.args[position] is n)):
                    continue
                if kind == "loss" and isinstance(p, ast.Call) and p.func is n and len(p.args) == 2 and not p.keywords:
                    continue  # loss_fn(y_true, y_pred): the translated function takes the same arguments
                raise TrainingBlocked(f"{kind} `{node.id}` is also used as `{ast.unparse(p)[:40] if p else node.id}`, "
                                      "which the translation does not cover", n)
        self.plan_out.replace[id(stmt)] = (stmt, f"{node.id} = {code}\n")
        return node.id

    # ---------------------------------------------------------------- expressions

    def _substitute(self, stmt: ast.stmt, calls: list[tuple[str, ast.Call]]) -> str:
        """The statement's source with each API call replaced by its TensorFlow counterpart."""
        spans = sorted(((self._offset(c.lineno, c.col_offset), self._offset(c.end_lineno, c.end_col_offset), a, c)
                        for a, c in calls), key=lambda s: s[0])
        for (_s0, e0, _, _), (s1, _, a1, c1) in zip(spans, spans[1:]):
            if s1 < e0:
                raise TrainingBlocked(f"`.{a1}(...)` nested in another Keras model call is not translated", c1, "XL303")
        start = self._offset(stmt.lineno, stmt.col_offset)
        end = self._offset(stmt.end_lineno, stmt.end_col_offset)
        text = self._bytes()
        out = text[start:end]
        edits: list[tuple[int, int, str]] = []
        for s, e, attr, call in reversed(spans):
            self._check_result(attr, call)
            try:  # positions inside f-strings are unreliable before Python 3.12: check the text
                same = ast.dump(ast.parse(text[s:e].decode("utf-8"), mode="eval").body) == ast.dump(call)
            except SyntaxError:
                same = False
            if not same:
                raise TrainingBlocked(f"`.{attr}(...)` could not be located in the source (inside an f-string?)", call, "XL303")
            new = self._value_call(attr, call).encode("utf-8")
            out = out[: s - start] + new + out[e - start:]
            edits.append((s - start, e - start, new.decode("utf-8")))
        self.plan_out.spans[id(stmt)] = (text[start:end].decode("utf-8"), edits)
        indent = self.lines[stmt.lineno - 1][: stmt.col_offset] if stmt.col_offset else ""
        return relative_continuations(out.decode("utf-8"), indent) + "\n"

    def _bytes(self) -> bytes:
        if not hasattr(self, "_text"):
            self._text = "\n".join(self.lines).encode("utf-8")
            self._starts = [0]
            for ln in self.lines:
                self._starts.append(self._starts[-1] + len(ln.encode("utf-8")) + 1)
        return self._text

    def _offset(self, line: int | None, col: int | None) -> int:
        self._bytes()
        return self._starts[(line or 1) - 1] + (col or 0)

    def _value_call(self, attr: str, call: ast.Call) -> str:
        inst = ast.unparse(call.func.value)  # type: ignore[attr-defined]
        if attr == "count_params":
            if call.args or call.keywords:
                raise TrainingBlocked("`count_params` takes no arguments", call, "XL303")
            return f"sum(int(tf.size(v)) for v in {inst}.ordered_variables())"
        signature, helper, same_positional = _VALUE_CALLS[attr]
        args = bind_args(call, signature, attr)
        if attr == "predict" and "x" not in args.nodes:
            raise TrainingBlocked("`predict()` without data", call, "XL303")
        drop: list[str] = []
        for name, value in args.nodes.items():
            if name == "callbacks":
                if not _is_empty(value):
                    raise TrainingBlocked(f"`{attr}(callbacks=...)`: Keras callbacks need the Keras model", value, "XL305")
                drop.append(name)
            elif name in _MUST_BE_NONE:
                if not _is_none(value):
                    raise TrainingBlocked(f"`{attr}({name}=...)` is not translated", value)
                drop.append(name)
            elif name == "validation_data" and isinstance(value, ast.Tuple) and len(value.elts) != 2:
                raise TrainingBlocked("`validation_data` with sample weights is not translated", value)
        self.needed.add(helper)
        text = self._bytes()
        if args.positional <= same_positional and not drop:
            # keep the call as written: `model.fit(` -> `_fit(model, `
            call_src = text[self._offset(call.lineno, call.col_offset):self._offset(call.end_lineno, call.end_col_offset)].decode("utf-8")
            func_src = source_of(self.lines, call.func)
            rest = call_src[len(func_src):].lstrip()
            assert rest.startswith("(")
            inner = rest[1:]
            sep = "" if not (call.args or call.keywords) else "," if inner.startswith("\n") else ", "
            return f"{helper}({inst}{sep}{inner}"
        parts = [inst]
        for i, name in enumerate(signature):
            if name in args.nodes and name not in drop:
                value = source_of(self.lines, args.nodes[name])  # type: ignore[assignment]
                parts.append(value if i < min(args.positional, 2 if attr != "predict" else 1) else f"{name}={value}")  # type: ignore[arg-type]
        return f"{helper}({', '.join(parts)})"

    def _check_result(self, attr: str, call: ast.Call) -> None:
        """``history = model.fit(...)``: the History must only be read for what the
        translation returns (``history.history``, ``.epoch``, ``.params``)."""
        if attr != "fit":
            return
        p = self.parents.get(id(call))
        if isinstance(p, ast.Expr):
            return
        if isinstance(p, ast.Attribute):
            if p.attr in _HISTORY_ATTRS:
                return
            raise TrainingBlocked(f"`fit(...).{p.attr}` is not reproduced by the translation", p, "XL308")
        if isinstance(p, ast.Assign) and len(p.targets) == 1 and isinstance(p.targets[0], ast.Name):
            name = p.targets[0].id
            where = self._enclosing_function(p) or self.tree
            for n in ast.walk(where):
                if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
                    q = self.parents.get(id(n))
                    if isinstance(q, ast.Attribute) and q.attr in _HISTORY_ATTRS:
                        continue
                    what = f".{q.attr}" if isinstance(q, ast.Attribute) else f" in `{ast.unparse(q)[:40]}`" if q else ""
                    raise TrainingBlocked(f"the History `{name}` is used as `{name}{what}`; the translation returns a "
                                          "History-like object with .history, .epoch and .params only", n, "XL308")
            return
        raise TrainingBlocked("the History returned by `fit` is used in a way the translation does not reproduce", call, "XL308")

    def _enclosing_function(self, node: ast.AST) -> ast.AST | None:
        cur = self.parents.get(id(node))
        while cur is not None:
            if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return cur
            cur = self.parents.get(id(cur))
        return None

