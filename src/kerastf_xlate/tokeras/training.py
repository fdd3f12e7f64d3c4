"""What ``xlate to-tf`` wrote for Keras training code -> the Keras calls it came from.

``to-tf`` turns the training code around a translated model into calls of runtime helpers it
copies into the file (:mod:`kerastf_xlate.totf.training`)::

    model.optimizer = _sgd(learning_rate=0.01, momentum=0.9)  # model.compile(...): optimizer, loss and metrics in TensorFlow
    model.loss = _mean_squared_error
    model.metrics = {"mae": _mean_absolute_error_metric}
    history = _fit(model, x, y, epochs=5)
    tf.train.Checkpoint(model=model).write(path)
    tf.train.Checkpoint(model=model).read(path).expect_partial()
    print(sum(int(tf.size(v)) for v in model.ordered_variables()))

When ``to-keras`` raises that model to Keras, these become::

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mean_squared_error", metrics=["mae"])
    history = model.fit(x, y, epochs=5)
    model.save_weights(path)
    model.load_weights(path)
    print(model.count_params())

spelt so that ``to-tf`` writes exactly the same text again (its own tables,
:mod:`kerastf_xlate.totf.training.specs`, read in reverse), and the helpers go once nothing
else calls them. The helpers run on a ``tf.Module`` only, so a use of the model that is not
exactly what ``to-tf`` writes (a hand-edited loop, an edited helper, ``model.optimizer`` read
elsewhere) keeps the whole unit TensorFlow, training code included (XL502).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from kerastf_xlate.edit.records import SpanEdit
from kerastf_xlate.syntax import SourceText, statement_lists
from kerastf_xlate.tokeras.common import FileEnv, Finding, is_generated_method
from kerastf_xlate.totf.common import bound_from_calls
from kerastf_xlate.totf.training import _VALUE_CALLS
from kerastf_xlate.totf.training.helpers import helper_names, helper_sources
from kerastf_xlate.totf.training.specs import (
    _AUC_SIG,
    _OPT_BOOL,
    _OPT_OFF,
    _OPT_OPTIONAL,
    LOSS_FUNCTIONS,
    LOSS_STRINGS,
    LOSSES,
    METRIC_CLASSES,
    METRIC_STRINGS,
    OPTIMIZERS,
    assignments,
    binds,
    is_number,
    quote,
)

COMPILE_COMMENT = "# {inst}.compile(...): optimizer, loss and metrics in TensorFlow"  # to-tf's, verbatim
COUNT_PARAMS = "sum(int(tf.size(v)) for v in {inst}.ordered_variables())"
_ATTRS = ("optimizer", "loss", "metrics")  # what to-tf's compile step sets on the module
LINE_LENGTH = 120  # a longer compile(...) is written one argument a line

# to-tf's tables, reversed: helper -> Keras spelling
_VALUE_HELPERS = {helper: (api, positional) for api, (_, helper, positional) in _VALUE_CALLS.items()}
_OPTIMIZER_CLASSES: dict[str, list[str]] = {}
for _cls, (_helper, _, _) in OPTIMIZERS.items():  # type: ignore[assignment]
    _OPTIMIZER_CLASSES.setdefault(_helper, []).append(_cls)
_LOSS_CLASS = {helper: cls for cls, (helper, _) in LOSSES.items()}
_LOSS_STRING = {helper: name for name, helper in LOSS_FUNCTIONS.items()}
for _name, _helper in LOSS_STRINGS.items():
    _LOSS_STRING.setdefault(_helper, _name)  # "crossentropy" has no function of its own
_METRIC_CLASS = {helper: (cls, default, sig) for cls, (helper, default, sig) in METRIC_CLASSES.items()}
_LOSS_OPTIONS = {"from_logits", "label_smoothing", "reduction"}
_REDUCTIONS = {"sum", "sum_over_batch_size", "mean"}  # a scalar loss; "none" is not a training loss


_TRAINING_TEXT = re.compile(re.escape(COMPILE_COMMENT.split("}", 1)[1]) + r"|Checkpoint|\.metrics\b|(?<!self)\.ordered_variables\(")


@lru_cache(maxsize=1)
def _helper_def() -> re.Pattern[str]:
    """``def <one of to-tf's training helpers>(`` at the start of a line."""
    return re.compile(r"^def (?:{})\(".format("|".join(re.escape(n) for n in sorted(helper_names()))), re.M)


class _Keep(Exception):
    """The unit stays TensorFlow: ``node`` is a use of the model that cannot be raised."""

    def __init__(self, why: str, node: ast.AST) -> None:
        super().__init__(why)
        self.node = node


@cache
def _template(name: str) -> str:
    return next(s for s in helper_sources([name]) if s.startswith(f"def {name}("))


@dataclass
class _Triple:
    """``inst.optimizer = ...  # inst.compile(...)``, ``inst.loss = ...``, ``inst.metrics = ...``."""

    inst: str
    stmts: list[ast.Assign]


@dataclass
class _Plan:
    edits: list[SpanEdit] = field(default_factory=list)
    gone: set[int] = field(default_factory=set)  # ids of Name nodes that disappear with the edits
    done: set[int] = field(default_factory=set)  # ids of statements already rewritten


class TrainingRaiser:
    """The training code of one file: :meth:`admit` each unit raised to Keras, then
    :meth:`edits` gives the rewrites (training statements, unused runtime helpers)."""

    def __init__(self, tree: ast.Module, env: FileEnv) -> None:
        self.tree = tree
        self.env = env
        self.st: SourceText = env.st
        self.edits_: list[SpanEdit] = []
        self.gone: set[int] = set()
        self._ready = False
        self._hint: bool | None = None

    def _prepare(self) -> None:
        if self._ready:
            return
        self._ready = True
        text = self.st.text
        self.parents: dict[int, ast.AST] = {}
        for n in ast.walk(self.tree):
            for c in ast.iter_child_nodes(n):
                self.parents[id(c)] = n
        names = set(helper_names())
        self.helper_names = names
        defs: dict[str, list[ast.FunctionDef]] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name in names:
                defs.setdefault(stmt.name, []).append(stmt)
        self.helpers: dict[str, ast.FunctionDef] = {}  # to-tf's helpers, exactly as it writes them
        for name, found in defs.items():
            src = (ast.get_source_segment(text, found[0]) or "").replace("\r\n", "\n").rstrip() + "\n"
            if len(found) == 1 and src == _template(name):
                self.helpers[name] = found[0]
        # the script without the helpers, whose locals (`loss`, `lr`, `model`...) are not the script's names
        self.user = ast.Module(body=[s for s in self.tree.body if s not in self.helpers.values()], type_ignores=[])
        self.triples: dict[int, _Triple] = {}  # id(target attribute) -> its compile step
        for block in statement_lists(self.tree):
            for i in range(len(block) - 2):
                t = self._triple(block[i:i + 3])
                if t is not None:
                    for s in t.stmts:
                        self.triples[id(s.targets[0])] = t
        self.trained = bool(self.helpers or self.triples)  # the file holds training code to-tf wrote
        self.classes = {n.name for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)}

    # ------------------------------------------------------------------ units

    def _may_hold_training(self) -> bool:
        """What the plan can act on shows in the text (to-tf's compile comment or helpers, a
        checkpoint, ``.metrics``, an instance's ``ordered_variables()``): looked for before
        the tree walks, which cost seconds on a big file that has none of it."""
        if self._hint is None:
            self._hint = _TRAINING_TEXT.search(self.st.text) is not None or _helper_def().search(self.st.text) is not None
        return self._hint

    def admit(self, cls: ast.ClassDef) -> Finding | None:
        """Plan the Keras training code of ``cls``'s instances (the class is being raised);
        a finding when the unit must stay TensorFlow instead."""
        if not self._may_hold_training():
            return None
        self._prepare()
        names, scope = self._instances(cls)
        if not names:
            return None
        plan = _Plan()
        try:
            self._plan(cls, names, scope, plan)
            spans = sorted((e.start, e.end) for e in plan.edits)
            for (_, e0), (s1, _) in zip(spans, spans[1:]):
                if s1 < e0:
                    raise _Keep("two of its training calls are nested in each other", cls)
            # a call two raised models may both reach (the same rewrite) is made once
            made = {(e.start, e.end, e.text) for e in self.edits_}
            plan.edits = [e for e in plan.edits if (e.start, e.end, e.text) not in made]
            if any(e.start < x.end and x.start < e.end for e in plan.edits for x in self.edits_):
                raise _Keep("its training calls may be another raised model's too", cls)
        except _Keep as exc:
            return Finding(exc.node, "XL502", f"`{cls.name}` kept as a tf.Module: {exc}; the training code stays "
                                              "TensorFlow with it")
        self.edits_ += plan.edits
        self.gone |= plan.gone
        return None

    def _instances(self, cls: ast.ClassDef) -> tuple[set[str], ast.AST]:
        """The names bound to instances of ``cls``, and where to look for their uses (as to-tf
        decides it: a model built in a function and returned is followed to its callers)."""
        owner = self._owner(cls)
        local = bound_from_calls([owner or self.tree], cls.name)
        if owner is None:
            return local, self.tree
        returned = any(isinstance(r, ast.Return) and r.value is not None and (
            (isinstance(r.value, ast.Name) and r.value.id in local)
            or (isinstance(r.value, ast.Call) and isinstance(r.value.func, ast.Name) and r.value.func.id == cls.name))
            for r in ast.walk(owner))
        if returned:
            return local | bound_from_calls([self.tree], owner.name), self.tree  # type: ignore[attr-defined]
        return local, owner

    def _owner(self, node: ast.AST) -> ast.AST | None:
        cur = self.parents.get(id(node))
        while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
            cur = self.parents.get(id(cur))
        return cur

    def _plan(self, cls: ast.ClassDef, names: set[str], scope: ast.AST, plan: _Plan) -> None:
        uses: list[tuple[ast.Name, ast.AST | None]] = []
        stack = [scope]
        skip = {id(cls)} | {id(d) for d in self.helpers.values()}  # the helpers' own `model` parameters
        while stack:
            n = stack.pop()
            if id(n) in skip:
                continue
            if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load):
                uses.append((n, self.parents.get(id(n))))
            stack.extend(ast.iter_child_nodes(n))
        uses.sort(key=lambda u: (u[0].lineno, u[0].col_offset))
        uses = [u for u in uses if self._reaches(u[0], cls, scope)]
        compiled = any(isinstance(p, ast.Attribute) and id(p) in self.triples for _, p in uses)
        # to-tf's ordered_variables() goes with the class; a hand-written one stays a method of the Keras model
        generated = any(isinstance(m, ast.FunctionDef) and m.name == "ordered_variables" and is_generated_method(m)
                        for m in cls.body)
        checkpoints: list[tuple[str, ast.expr, ast.Expr, str]] = []
        for n, p in uses:
            if isinstance(p, ast.Attribute) and p.value is n:
                if p.attr in _ATTRS:
                    triple = self.triples.get(id(p))
                    if triple is not None:
                        if id(triple.stmts[0]) not in plan.done:
                            self._compile(triple, names, plan)
                    elif compiled or (not isinstance(p.ctx, ast.Load) and (self.trained or p.attr == "metrics")):
                        # (a Keras model's `metrics` has no setter; the others hold to-tf's closures)
                        raise _Keep(f"`{n.id}.{p.attr}` is used outside the compile step xlate to-tf writes", p)
                elif p.attr == "ordered_variables" and generated:
                    self._count_params(n, p, plan)
                continue
            call = self.parents.get(id(p)) if isinstance(p, ast.keyword) else p
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in self.helper_names \
                    and self.trained:
                if call.func.id in _VALUE_HELPERS and call.args and call.args[0] is n:
                    self._value_call(n, call, plan)
                    continue
                raise _Keep(f"`{n.id}` is passed to `{call.func.id}` in a way xlate to-tf does not write", call)
            if isinstance(p, ast.keyword) and p.arg == "model" and isinstance(call, ast.Call):
                found = self._checkpoint(n, call)
                if found is not None:
                    checkpoints.append(found)
        self._checkpoints(checkpoints, plan, compiled or bool(plan.edits))

    def _reaches(self, use: ast.Name, cls: ast.ClassDef, scope: ast.AST) -> bool:
        """The last binding of ``use``'s name before it (in source order) may be an instance
        of ``cls``: a file that binds ``model`` to two models (two ``Sequential`` s, each
        compiled) gives each class only the uses that follow its own instance."""
        last: ast.Assign | None = None
        for n in ast.walk(scope):
            if (isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == use.id for t in n.targets)
                    and (n.lineno, n.col_offset) < (use.lineno, use.col_offset)
                    and (last is None or (n.lineno, n.col_offset) > (last.lineno, last.col_offset))):
                last = n
        if last is None or not isinstance(last.value, ast.Call) or not isinstance(last.value.func, ast.Name):
            return True
        other = last.value.func.id
        if other in self.classes:
            return other == cls.name
        # `model = build_model()`: an instance of `cls` only when that function makes one (each
        # class of a file with several compiled models would otherwise take the same `_fit` call)
        factories = [s for s in self.tree.body if isinstance(s, ast.FunctionDef) and s.name == other
                     and s.lineno < last.lineno]
        if factories:
            fn = factories[-1]
            return fn is self._owner(cls) or any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == cls.name for n in ast.walk(fn))
        return True

    # ------------------------------------------------------------------ compile

    def _triple(self, stmts: list[ast.stmt]) -> _Triple | None:
        inst = None
        for stmt, attr in zip(stmts, _ATTRS):
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute)
                    and stmt.targets[0].attr == attr and isinstance(stmt.targets[0].value, ast.Name)):
                return None
            name = stmt.targets[0].value.id
            if inst not in (None, name):
                return None
            inst = name
        assert inst is not None
        first = stmts[0]
        _, end = self.st.span(first)
        rest = self.st.text[end:self.st.line_span(first)[1]].strip()
        if rest != COMPILE_COMMENT.format(inst=inst):
            return None
        for a, b in zip(stmts, stmts[1:]):
            if b.lineno != (a.end_lineno or a.lineno) + 1:
                return None
        if not all(self.st.owns_lines(s) for s in stmts):
            return None
        return _Triple(inst, stmts)  # type: ignore[arg-type]

    def _compile(self, t: _Triple, names: set[str], plan: _Plan) -> None:
        opt_stmt, loss_stmt, metrics_stmt = t.stmts
        opt = opt_stmt.value
        if isinstance(opt, ast.Name) and opt.id not in self.helpers:
            self._bound(opt, "optimizer", names, plan)
            opt_src = opt.id
        elif isinstance(opt, ast.Call):
            opt_src = self._optimizer(opt, inline=True)
        else:
            raise _Keep("its optimizer is not one xlate to-tf writes", opt)
        loss = loss_stmt.value
        if isinstance(loss, ast.Name) and loss.id not in self.helpers:
            self._bound(loss, "loss", names, plan)
            loss_src = loss.id
        else:
            loss_src = self._loss(loss, inline=True)
        metrics = metrics_stmt.value
        if not (isinstance(metrics, ast.Dict) and all(isinstance(key, ast.Constant) and isinstance(key.value, str)
                                                       for key in metrics.keys)):
            raise _Keep("its metrics are not a dict xlate to-tf writes", metrics)
        keys = [key.value for key in metrics.keys]  # type: ignore[union-attr]
        if len(set(keys)) != len(keys):
            raise _Keep("two of its metrics have the same name", metrics)
        items = [self._metric(key, value) for key, value in zip(keys, metrics.values)]
        parts = [f"optimizer={opt_src}", f"loss={loss_src}"] + ([f"metrics=[{', '.join(items)}]"] if items else [])
        indent = self.st.indent_of(opt_stmt)
        code = f"{t.inst}.compile({', '.join(parts)})"
        if len(indent) + len(code) > LINE_LENGTH:
            code = f"{t.inst}.compile(\n" + "".join(f"{indent}    {p},\n" for p in parts) + f"{indent})"
        start = self.st.span(opt_stmt)[0]
        end = self.st.span(metrics_stmt)[1]
        plan.edits.append(SpanEdit(start, end, code))
        for s in t.stmts:
            plan.done.add(id(s))
            plan.gone |= {id(n) for n in ast.walk(s)}

    def _bound(self, node: ast.Name, kind: str, names: set[str], plan: _Plan) -> None:
        """``opt = _adam(...)`` used as ``model.optimizer = opt``: the assignment becomes the
        Keras object; every other use of the name must be one that works with it."""
        assigns = assignments(self.user, node.id)
        if len(assigns) != 1 or len(binds(self.user, node.id)) != 1 or len(assigns[0].targets) != 1 \
                or not self.st.owns_lines(assigns[0]):
            raise _Keep(f"its {kind} `{node.id}` is not bound once to what xlate to-tf writes", node)
        stmt = assigns[0]
        for n in ast.walk(self.user):
            if not (isinstance(n, ast.Name) and n.id == node.id and isinstance(n.ctx, ast.Load)):
                continue
            p = self.parents.get(id(n))
            target = p.targets[0] if isinstance(p, ast.Assign) and p.value is n else None
            if target is not None and id(target) in self.triples and self.triples[id(target)].inst in names \
                    and getattr(target, "attr", None) == kind:
                continue
            if kind == "loss" and isinstance(p, ast.Call) and p.func is n and len(p.args) == 2 and not p.keywords \
                    and not any(isinstance(a, ast.Starred) for a in p.args):
                continue  # loss_fn(y_true, y_pred): a Keras loss takes the same arguments
            raise _Keep(f"its {kind} `{node.id}` is also used as `{ast.unparse(p)[:40] if p else node.id}`", n)
        if id(stmt) in plan.done:
            return
        plan.done.add(id(stmt))
        if kind == "optimizer":
            if not isinstance(stmt.value, ast.Call):
                raise _Keep(f"its optimizer `{node.id}` is not one xlate to-tf writes", stmt.value)
            code = self._optimizer(stmt.value, inline=False)
        else:
            code = self._loss(stmt.value, inline=False)
        s, e = self.st.span(stmt.value)
        plan.edits.append(SpanEdit(s, e, code))
        plan.gone |= {id(n) for n in ast.walk(stmt.value)}

    def _optimizer(self, call: ast.Call, inline: bool) -> str:
        helper = call.func.id if isinstance(call.func, ast.Name) and call.func.id in self.helpers else None
        if helper not in _OPTIMIZER_CLASSES or call.args or any(k.arg is None for k in call.keywords):
            raise _Keep("its optimizer is not one xlate to-tf writes", call)
        given = [(k.arg, k.value) for k in call.keywords]
        classes = _OPTIMIZER_CLASSES[helper]
        cls = classes[0]
        if "AdamW" in classes:  # to-tf writes AdamW's weight_decay first
            decay = given[0][1] if given and given[0][0] == "weight_decay" else None
            cls = "AdamW" if decay is not None and not (isinstance(decay, ast.Constant) and decay.value is None) else "Adam"
        signature = OPTIMIZERS[cls][1]
        out: list[tuple[str, str]] = []
        for name, value in given:
            assert name is not None
            if name not in signature or name in _OPT_OFF or name == "name" or any(name == o for o, _ in out):
                raise _Keep(f"`{helper}({name}=...)` is not an argument of keras.optimizers.{cls}", value)
            literal = value.value if isinstance(value, ast.Constant) else ...
            if name in _OPT_BOOL:
                if not isinstance(literal, bool):
                    raise _Keep(f"`{helper}({name}=...)` is not True or False", value)
            elif not (name in _OPT_OPTIONAL and literal is None) and not is_number(value, self.user):
                raise _Keep(f"`{helper}({name}=...)` is not a number", value)
            if cls == "SGD" and name == "momentum" and isinstance(literal, int) and not isinstance(literal, bool):
                raise _Keep("`SGD(momentum=...)` must be a float", value)
            out.append((name, self.st.seg(value)))
        if cls == "AdamW" and out[0] == ("weight_decay", OPTIMIZERS["AdamW"][2]["weight_decay"]):
            out = out[1:]  # AdamW's default
        if inline and not out:
            return quote(cls.lower())
        return f"{self.env.keras}.optimizers.{cls}({', '.join(f'{n}={v}' for n, v in out)})"

    def _fixed(self, lam: ast.Lambda) -> tuple[str, list[tuple[str, ast.expr]]]:
        """``lambda y_true, y_pred: _helper(y_true, y_pred, k=v)`` -> (helper, [(k, v)])."""
        a = lam.args
        params = [x.arg for x in a.args]
        body = lam.body
        if a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg or a.defaults or len(params) != 2 \
                or not (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in self.helpers) \
                or [x.id if isinstance(x, ast.Name) else None for x in body.args] != params \
                or any(k.arg is None for k in body.keywords):
            raise _Keep("a lambda that is not what xlate to-tf writes", lam)
        return body.func.id, [(k.arg, k.value) for k in body.keywords]  # type: ignore[misc]

    def _loss(self, node: ast.expr, inline: bool) -> str:
        k = self.env.keras
        if isinstance(node, ast.Name) and node.id in self.helpers and node.id in _LOSS_STRING:
            if inline:
                return quote(_LOSS_STRING[node.id])
            if node.id in _LOSS_CLASS:
                return f"{k}.losses.{_LOSS_CLASS[node.id]}()"
        elif isinstance(node, ast.Lambda):
            helper, given = self._fixed(node)
            cls = _LOSS_CLASS.get(helper)
            if cls is not None:
                parts = []  # type: ignore[var-annotated]
                for name, value in given:
                    v = value.value if isinstance(value, ast.Constant) else ...
                    ok = (name == "from_logits" and isinstance(v, bool)) \
                        or (name == "label_smoothing" and isinstance(v, (int, float)) and not isinstance(v, bool)) \
                        or (name == "reduction" and v in _REDUCTIONS)
                    if not ok or name not in _LOSS_OPTIONS or name not in LOSSES[cls][1] \
                            or any(p.startswith(name + "=") for p in parts):
                        raise _Keep(f"`{helper}({name}=...)` is not an argument xlate to-tf writes for "
                                    f"keras.losses.{cls}", value)
                    parts.append(f"{name}={self.st.seg(value)}")
                return f"{k}.losses.{cls}({', '.join(parts)})"
        raise _Keep("its loss is not one xlate to-tf writes", node)

    def _metric(self, key: str, value: ast.expr) -> str:
        k = self.env.keras
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "_auc" \
                and "_auc" in self.helpers:
            parts = []  # type: ignore[var-annotated]
            for kw in value.keywords:
                v = kw.value.value if isinstance(kw.value, ast.Constant) else ...
                ok = (kw.arg == "num_thresholds" and isinstance(v, int) and not isinstance(v, bool) and v > 1) \
                    or (kw.arg == "from_logits" and isinstance(v, bool))
                if value.args or not ok or kw.arg not in _AUC_SIG or any(p.startswith(f"{kw.arg}=") for p in parts):
                    raise _Keep(f"metric {key!r} is not an AUC xlate to-tf writes", value)
                parts.append(f"{kw.arg}={self.st.seg(kw.value)}")
            if value.args:
                raise _Keep(f"metric {key!r} is not an AUC xlate to-tf writes", value)
            if not parts and key in ("AUC", "auc"):
                return quote(key)
            return f"{k}.metrics.AUC({', '.join(parts + [f'name={quote(key)}'])})"
        if isinstance(value, ast.Name) and value.id in self.helpers:
            helper, given = value.id, []  # type: ignore[var-annotated]
            if METRIC_STRINGS.get(key) == helper:
                return quote(key)
        elif isinstance(value, ast.Lambda):
            helper, given = self._fixed(value)
        else:
            raise _Keep(f"metric {key!r} is not one xlate to-tf writes", value)
        if helper not in _METRIC_CLASS:
            raise _Keep(f"metric {key!r}: no Keras metric computes `{helper}` under that name", value)
        cls, default, signature = _METRIC_CLASS[helper]
        parts = []
        for name, v in given:  # type: ignore[assignment]
            lit = v.value if isinstance(v, ast.Constant) else ...
            if name not in signature or name in ("name", "dtype", "from_sorted_ids") or not isinstance(lit, (int, float)) \
                    or isinstance(lit, bool) or any(p.startswith(name + "=") for p in parts):
                raise _Keep(f"metric {key!r}: `{helper}({name}=...)` is not an argument xlate to-tf writes", v)  # type: ignore[arg-type]
            parts.append(f"{name}={self.st.seg(v)}")
        if key != default:
            parts.append(f"name={quote(key)}")
        return f"{k}.metrics.{cls}({', '.join(parts)})"

    # ------------------------------------------------------------------ fit / evaluate / predict / count_params

    def _value_call(self, inst: ast.Name, call: ast.Call, plan: _Plan) -> None:
        """``_fit(model, ...)`` -> ``model.fit(...)``, the arguments as written."""
        helper = call.func.id  # type: ignore[attr-defined]
        if helper not in self.helpers:
            raise _Keep(f"`{helper}` is not the helper xlate to-tf writes", call)
        api, positional = _VALUE_HELPERS[helper]
        params = [a.arg for a in self.helpers[helper].args.args][1:]
        rest, keywords = call.args[1:], [k.arg for k in call.keywords]
        if any(isinstance(a, ast.Starred) for a in rest) or None in keywords or len(rest) > positional \
                or len(set(keywords)) != len(keywords) \
                or any(k not in params or params.index(k) < len(rest) for k in keywords):
            raise _Keep(f"`{helper}(...)` has arguments xlate to-tf does not write", call)
        text = self.st.text
        start, end = self._located(call)
        open_at = text.index("(", self.st.span(call.func)[1], end)
        m_start, m_end = self.st.span(inst)
        if text[open_at + 1:m_start].strip():
            raise _Keep(f"`{helper}(...)` is not written as xlate to-tf writes it", call)
        tail = text[m_end:end]
        if rest or call.keywords:
            lead = tail[: len(tail) - len(tail.lstrip(" \t"))]
            tail = tail[len(lead):]
            if not tail.startswith(","):
                raise _Keep(f"`{helper}(...)` is not written as xlate to-tf writes it", call)
            tail = tail[1:]
            if tail.startswith(" "):  # to-tf's ", " (a newline after the comma is the call's layout)
                tail = tail[1:]
        elif tail.lstrip().startswith(","):
            tail = tail.lstrip()[1:]
        plan.edits.append(SpanEdit(start, end, f"{inst.id}.{api}({tail}"))
        plan.gone.add(id(call.func))

    def _count_params(self, inst: ast.Name, attr: ast.Attribute, plan: _Plan) -> None:
        node: ast.AST | None = attr
        for _ in range(4):  # Attribute -> Call -> comprehension -> GeneratorExp -> Call
            node = self.parents.get(id(node))
        want = ast.parse(COUNT_PARAMS.format(inst=inst.id), mode="eval").body
        if not (isinstance(node, ast.Call) and ast.dump(node) == ast.dump(want)):
            raise _Keep(f"`{inst.id}.ordered_variables()` is a tf.Module method a Keras model does not have", attr)
        s, e = self._located(node)
        plan.edits.append(SpanEdit(s, e, f"{inst.id}.count_params()"))
        plan.gone |= {id(n) for n in ast.walk(node)}

    def _located(self, node: ast.expr) -> tuple[int, int]:
        """The span of an expression, checked against the text (positions inside f-strings
        are unreliable before Python 3.12)."""
        s, e = self.st.span(node)
        try:
            same = ast.dump(ast.parse(self.st.text[s:e], mode="eval").body) == ast.dump(node)
        except SyntaxError:
            same = False
        if not same:
            raise _Keep(f"`{ast.unparse(node)[:40]}` could not be located in the source (inside an f-string?)", node)
        return s, e

    # ------------------------------------------------------------------ checkpoints

    def _checkpoint(self, inst: ast.Name, ck: ast.Call) -> tuple[str, ast.expr, ast.Expr, str] | None:
        """``tf.train.Checkpoint(model=m).write(p)`` / ``.read(p).expect_partial()`` statements."""
        if self.env.names.qual(ck.func) != "tf.train.Checkpoint" or ck.args or len(ck.keywords) != 1:
            return None
        method = self.parents.get(id(ck))
        io = self.parents.get(id(method))
        if not (isinstance(method, ast.Attribute) and method.attr in ("write", "read") and isinstance(io, ast.Call)
                and io.func is method and len(io.args) == 1 and not io.keywords and not isinstance(io.args[0], ast.Starred)):
            return None
        stmt = self.parents.get(id(io))
        if method.attr == "read":
            partial = stmt
            call = self.parents.get(id(partial))
            if not (isinstance(partial, ast.Attribute) and partial.attr == "expect_partial" and isinstance(call, ast.Call)
                    and call.func is partial and not call.args and not call.keywords):
                return None
            stmt = self.parents.get(id(call))
            if not (isinstance(stmt, ast.Expr) and stmt.value is call):
                return None
        elif not (isinstance(stmt, ast.Expr) and stmt.value is io):
            return None
        return method.attr, io.args[0], stmt, inst.id

    def _checkpoints(self, found: list[tuple[str, ast.expr, ast.Expr, str]], plan: _Plan, training: bool) -> None:
        """Each path written and read back becomes save_weights/load_weights, all of its
        statements or none (Keras writes .weights.h5 files, not checkpoints); checkpoints
        that stay work on a Keras model too."""
        groups: dict[str, list[tuple[str, ast.expr, ast.Expr, str]]] = {}
        for item in found:
            groups.setdefault(ast.dump(item[1]), []).append(item)
        for key, items in groups.items():
            if not any(kind == "write" for kind, _, _, _ in items):
                continue
            ours = {id(stmt) for _, _, stmt, _ in items}
            others = [n for n in ast.walk(self.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and n.func.attr in ("write", "read") and len(n.args) == 1 and ast.dump(n.args[0]) == key
                      and isinstance(n.func.value, ast.Call) and self.env.names.qual(n.func.value.func) == "tf.train.Checkpoint"
                      and id(self._statement(n)) not in ours]
            if others or not (training or self._weights_file(items[0][1])):
                continue
            for kind, path, stmt, inst in items:
                s, e = self.st.span(stmt)
                api = "save_weights" if kind == "write" else "load_weights"
                plan.edits.append(SpanEdit(s, e, f"{inst}.{api}({self.st.seg(path)})"))
                plan.done.add(id(stmt))

    def _weights_file(self, path: ast.expr) -> bool:
        """The path shows a Keras weights file name (``"m.weights.h5"``, or a name bound once to
        an expression that holds one)."""
        where: list[ast.AST] = [path]
        if isinstance(path, ast.Name):
            where += [a.value for a in assignments(self.user, path.id)] if len(binds(self.user, path.id)) == 1 else []
        return any(isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.endswith(".weights.h5")
                   for w in where for c in ast.walk(w))

    def _statement(self, node: ast.AST) -> ast.AST:
        cur: ast.AST | None = node
        while cur is not None and not isinstance(cur, ast.stmt):
            cur = self.parents.get(id(cur))
        return cur or node

    # ------------------------------------------------------------------ result

    def edits(self, others: list[SpanEdit]) -> list[SpanEdit]:
        """The training rewrites, and the removal of to-tf's runtime helpers nothing calls any
        more (``others``: the edits already made, which a removal must not overlap)."""
        if not self.edits_:
            return []
        out = list(self.edits_)
        defs = {id(d) for d in self.helpers.values()}
        loads: dict[str, set[str]] = {"": set()}  # helper -> names it reads ("": the rest of the file)
        stack: list[tuple[ast.AST, str]] = [(self.tree, "")]
        while stack:
            n, owner = stack.pop()
            if id(n) in defs:
                owner = n.name  # type: ignore[attr-defined]
                loads.setdefault(owner, set())
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in self.gone:
                loads[owner].add(n.id)
            stack.extend((c, owner) for c in ast.iter_child_nodes(n))
        used: set[str] = set()
        todo = [h for h in loads[""] if h in self.helpers]
        while todo:
            h = todo.pop()
            if h not in used:
                used.add(h)
                todo += [x for x in loads.get(h, ()) if x in self.helpers]
        taken = sorted((x.start, x.end) for x in [*others, *out])
        for name, fn in self.helpers.items():
            if name in used:
                continue
            start = self.st.starts[fn.lineno - 1]
            line = fn.end_lineno or fn.lineno
            while line < len(self.st.lines) and not self.st.lines[line].strip():
                line += 1
            end = self.st.starts[line]
            if any(s < end and start < e for s, e in taken):
                continue
            out.append(SpanEdit(start, end, ""))
        return out
