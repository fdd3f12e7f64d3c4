"""``xlate to-keras``: one source in, the Keras translation and its diagnostics out.

Three kinds of translation units, all found statically (nothing is imported or executed):

1. ``tf.Module`` subclasses (:mod:`.module`); when the class is one that ``xlate to-tf``
   wrote for a ``Sequential`` or functional model, it goes back to that form (:mod:`.graph`);
2. ``keras.layers.Layer`` / ``keras.Model`` subclasses whose ``call`` applies stateless
   ``tf.nn`` ops, and functions that build functional models with them (:mod:`.keras_code`);
3. the imports the result needs.

Everything else in the file comes out byte for byte. What cannot be raised is kept as it is
and reported (XL501 op, XL502 module, XL503 variable).
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.edit.imports import finish, names_read
from kerastf_xlate.edit.records import SpanEdit, SpanEdits
from kerastf_xlate.lint import char_col, parse, suppressed
from kerastf_xlate.resolve import ModuleNames, find_uses
from kerastf_xlate.rules import RuleSet, default_rules
from kerastf_xlate.sources import SourceError, newline_of
from kerastf_xlate.syntax import SourceText
from kerastf_xlate.tokeras.common import (
    FileEnv,
    Finding,
    module_classes,
    module_level_names,
    sublayer_classes,
)
from kerastf_xlate.tokeras.fit import rewrite_fit_loops
from kerastf_xlate.tokeras.graph import GraphTranslator, graph_kind
from kerastf_xlate.tokeras.inline_forward import InlinePlan, plan_inline
from kerastf_xlate.tokeras.instance_vars import raise_instances
from kerastf_xlate.tokeras.keras_code import translate_keras_code
from kerastf_xlate.tokeras.module import ModuleTranslator
from kerastf_xlate.tokeras.program_form import translate_program_form
from kerastf_xlate.tokeras.training import TrainingRaiser
from kerastf_xlate.tokeras.unexplained import unexplained_variables
from kerastf_xlate.tokeras.units import Result, UnitInfo
from kerastf_xlate.tokeras.weight_dicts import Kept, plan_programs


def make_transform(fit: bool = False):
    """A picklable ``(text, path) -> (text, diagnostics)`` for the runner; ``fit``: also
    rewrite the training loops that are exactly one ``fit`` (``--fit``, :mod:`.fit`)."""
    return partial(translate, fit=fit) if fit else partial(translate)


def translate(text: str, path: str = "<string>", rules: RuleSet | None = None,
              fit: bool = False) -> tuple[str, list[Diagnostic]]:
    """Translate one Python source; return the new source and the diagnostics."""
    try:
        r = translate_full(text, path, rules)
        if fit:
            return _fit_loops(text, r, path)
    except (SourceError, RecursionError):
        raise
    except Exception as exc:  # pragma: no cover - a bug in to-keras must not cost the user the file
        raise SourceError(path, f"internal error in to-keras ({type(exc).__name__}: {exc}); file left untouched") from exc
    return r.text, r.diagnostics


def _fit_loops(original: str, r: Result, path: str) -> tuple[str, list[Diagnostic]]:
    """``--fit`` after the raise: the loops of the raised text that are exactly one ``fit``
    rewritten; their findings said at the original's lines (:func:`_moved`; a line the raise
    kept as it was maps to itself, another to the nearest kept line before it)."""
    new, findings = rewrite_fit_loops(r.text)
    if not findings:
        return new, r.diagnostics
    lines = r.text.splitlines()
    said = [d for d in (_diagnostic(path, lines, f) for f in findings) if d is not None]
    if r.text != original:  # (the raise changed the file: its lines are not the original's)
        said = _moved(said, _line_map(original.splitlines(), lines))
    return new, sorted(set(r.diagnostics) | set(said))


def _line_map(before: list[str], after: list[str]) -> list[int]:
    """For each line of ``after``, the line of ``before`` it was (1-based) where a rewrite kept
    it, else the nearest kept line before it."""
    kept: dict[int, int] = {}
    for a, b, size in difflib.SequenceMatcher(None, before, after, autojunk=False).get_matching_blocks():
        for k in range(size):
            kept[b + k + 1] = a + k + 1
    out: list[int] = []
    last = 1
    for line in range(1, len(after) + 1):
        last = kept.get(line, last)
        out.append(last)
    return out


def translate_full(text: str, path: str = "<string>", rules: RuleSet | None = None,
                   built: frozenset[str] = frozenset(), fresh_imports: bool = False) -> Result:
    """``built``: classes whose layers are built in ``__init__`` (:mod:`.inline_forward`);
    ``fresh_imports``: the new code imports keras at the top of the file even where the file
    imports it (later: a notebook's later cell) and spells it its own way."""
    tree = parse(text, path)
    if "tensorflow" not in text:
        return Result(text, [], [])
    # what to-tf's program form wrote goes back whole, then on as any file
    program = translate_program_form(text, path, lambda raised: translate_full(raised, path, rules))
    if program is not None:
        return program
    rules = rules or default_rules()
    names = ModuleNames(tree)
    if not names.bound:
        return Result(text, [], [])
    st = SourceText(text)
    raised = _weight_dict_program(tree, st, names, path, rules)
    if isinstance(raised, Result):
        return raised
    if not built:  # plain classes, and variables read on an instance (:mod:`.instance_vars`)
        instances, instance_kept = raise_instances(text, tree, st, names,
                                                   lambda new, classes: translate_full(new, path, rules, built=classes),
                                                   _line_map)
        if instances is not None:
            return instances
    else:
        instance_kept = {}
    keras_name, layers_name, layers_taken = names.keras_bindings()
    if fresh_imports:
        keras_name, layers_name, layers_taken = None, None, layers_taken or layers_name is not None
    if keras_name is None and layers_name is None:
        keras_name = _tf_keras_spelling(tree, names)  # the file writes `tf.keras.`: so does the new code
    if layers_name:
        prefix = f"{layers_name}."
    elif keras_name or layers_taken:  # keras is imported already (or `layers` means something else)
        prefix = f"{keras_name or 'keras'}.layers."
    else:
        prefix = "layers."
    env = FileEnv(st, names, rules, tree, keras=keras_name or "keras", layers=prefix,
                  module_names=module_level_names(tree), built=built, instance_kept=instance_kept)
    if keras_name is None:
        env.module_names.add("keras")
    if layers_name is None and not layers_taken:
        env.module_names.add("layers")
    if "keras" in text:
        env.keras_calls = {id(u.call): u.layer for u in find_uses(tree, set(rules.by_name)) if u.call is not None}
    findings: list[Finding] = list(raised)
    edits = SpanEdits()
    units: list[UnitInfo] = []
    classes = module_classes(tree, names)
    env.sublayers = sublayer_classes(tree, classes)
    training = TrainingRaiser(tree, env)  # to-tf's training code goes back to compile/fit with its model
    done: set[int] = set()
    for block in _blocks(tree.body):
        for i, stmt in enumerate(block):
            if not (isinstance(stmt, ast.ClassDef) and any(names.qual(b) == "tf.Module" for b in stmt.bases)):
                continue
            kind = graph_kind(stmt)
            if kind is None:
                continue
            g = GraphTranslator(stmt, env, kind, block, i).run()
            if g is None:
                continue
            done.add(id(stmt))
            kept = training.admit(stmt)
            if kept is not None:
                findings.append(kept)
                continue
            edits.extend(g.edits)
            findings += g.findings
            units.append(g.info)
    # a module whose instances a module that stays holds is kept too (a tf.Module does not
    # track a Keras layer's variables: the holder would train nothing there); to a fixed point
    held: dict[str, str] = {}
    planned = (list(training.edits_), set(training.gone))
    for _ in range(8):
        env.raised = set()
        training.edits_, training.gone = list(planned[0]), set(planned[1])
        mod_edits: list[SpanEdit] = []
        mod_findings: list[Finding] = []
        mod_units: list[UnitInfo] = []
        for block in _blocks(tree.body):
            for stmt in block:
                if not (isinstance(stmt, ast.ClassDef) and id(stmt) not in done and any(names.qual(b) == "tf.Module" for b in stmt.bases)):
                    continue
                kind = graph_kind(stmt)
                if kind is None and stmt not in classes:
                    continue  # hand-written modules are translated at module level only
                if stmt.name in held:
                    mod_findings.append(Finding(stmt, "XL502", f"`{stmt.name}` kept as a tf.Module: `{held[stmt.name]}`, "
                                                "which stays a tf.Module, holds its instances, and a tf.Module does not "
                                                "track a Keras layer's variables"))
                    continue
                module_only = _module_only_use(stmt.name, tree)
                if module_only is not None:
                    mod_findings.append(Finding(stmt, "XL502", f"`{stmt.name}` kept as a tf.Module: the program reads "
                                                f"`{module_only}` of an instance, which a Keras model does not have"))
                    continue
                mt = ModuleTranslator(stmt, env, graph=kind is not None)
                res = mt.run()
                if res is None:
                    mod_findings += mt.findings
                    continue
                kept = training.admit(stmt)
                if kept is not None:
                    mod_findings.append(kept)
                    continue
                mod_edits += res.edits
                mod_findings += res.findings
                mod_units.append(UnitInfo(stmt.name, "module", res.weight_order, res.kept_vars, input_hint=res.input_hint,
                                          reshape=res.reshape, weight_paths=res.remap))
                env.raised.add(stmt.name)
        more = {c: h for c, h in held_by_kept(tree, [c for c in classes if id(c) not in done], env.raised).items() if c not in held}
        if not more:
            break
        held.update(more)
    edits.extend(mod_edits)
    findings += mod_findings
    units += mod_units
    skip = list(classes)
    for stmt in _keras_variable_classes(tree, names, rules, classes):
        mt = ModuleTranslator(stmt, env, keras_class=True)
        res = mt.run()
        if res is None:  # as before: keras_code reads its call; said only for untracked tf.Variables
            findings += [f for f in mt.findings if f.code == "XL503"]
            continue
        skip.append(stmt)
        edits.extend(res.edits)
        findings += res.findings
        units.append(UnitInfo(stmt.name, "module", res.weight_order, res.kept_vars, input_hint=res.input_hint,
                              reshape=res.reshape))
    _expand_submodules(units)
    kc = translate_keras_code(tree, env, skip=skip)
    edits.extend(kc.edits)
    findings += kc.findings
    if kc.edits:
        units.append(UnitInfo("<keras>", "keras", []))
    edits.extend(training.edits(edits.spans))
    findings += unexplained_variables(tree, st, names, [(e.start, e.end) for e in edits], findings, instance_kept)
    lines = text.splitlines()
    diags = [_diagnostic(path, lines, f) for f in findings]
    diags = [d for d in diags if d is not None]
    if not edits:
        return Result(text, sorted(set(diags)), units)  # type: ignore[arg-type]
    newline = newline_of(text)
    new = edits.apply(text, newline)
    read = names_read([e.text for e in edits])
    need_layers = env.layers == "layers." and layers_name is None and "layers" in read
    need_keras = keras_name is None and "keras" in read
    new = finish(new, need_keras, need_layers, env.keras, "layers" if need_layers else None, newline)
    return Result(new, sorted(set(diags)), units)  # type: ignore[arg-type]


def _keras_variable_classes(tree: ast.Module, names: ModuleNames, rules: RuleSet, modules: list[ast.ClassDef]) -> list[ast.ClassDef]:
    """Top-level Keras ``Layer`` / ``Model`` subclasses that create ``tf.Variable`` s or
    ``add_weight`` s."""
    uses = find_uses(tree, {"Layer", "Model"} | set(rules.by_name))
    bases = {id(u.node) for u in uses if u.layer in ("Layer", "Model")}
    return [s for s in tree.body if isinstance(s, ast.ClassDef) and s not in modules and len(s.bases) == 1
            and id(s.bases[0]) in bases and any(names.call(n) == "tf.Variable"
                                                or (isinstance(n, ast.Attribute) and n.attr == "add_weight") for n in ast.walk(s))]


def _tf_keras_spelling(tree: ast.Module, names: ModuleNames) -> str | None:
    """``tf.keras`` (with the file's name for tensorflow) when the file reaches Keras only that
    way (``tf.keras.optimizers.Adam``, no ``import keras``): the raised code says
    ``tf.keras.Model`` / ``tf.keras.layers.Dense`` too, instead of mixing in ``keras.``."""
    tf = names.tf_alias
    if tf is None or names.binds_tf_elsewhere():
        return None
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr == "keras" and isinstance(n.value, ast.Name) and n.value.id == tf:
            return f"{tf}.keras"
    return None


def _unbound_in_init(text: str, cls: str) -> str | None:
    """A name the raised class's ``__init__`` reads that no module-level statement before the
    class binds (``conv_net = ConvNet()`` runs it where the function was defined)."""
    tree = ast.parse(text)
    bound = set(dir(builtins)) | {"self", "super"}
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == cls:
            init = next((f for f in stmt.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
            if init is None:
                return None
            for n in ast.walk(init):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound:
                    return n.id
            return None
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(stmt.name)
        else:
            bound |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return None


def _kept_variable(stmt: ast.stmt, why: str, where: str = "in a model function") -> Finding:
    """XL503 at a variable statement (``W = tf.Variable(...)``, ``w, b = ...``, a dict of them)
    the program keeps, with the reason."""
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt
    name = target.id if isinstance(target, ast.Name) else ", ".join(
        e.id for e in getattr(target, "elts", []) if isinstance(e, ast.Name)) or "variable"
    return Finding(target, "XL503", f"`{name}` stays tf.Variable(s) the program applies {where}: {why}")


def _moved(diagnostics: list[Diagnostic], lines: list[int]) -> list[Diagnostic]:
    """Diagnostics of a rewritten text at the original's lines (``lines``: rewritten line ->
    original line; the column kept only where the line is the same)."""
    return [replace(d, line=lines[d.line - 1] if 0 < d.line <= len(lines) else d.line,
                    col=d.col if 0 < d.line <= len(lines) and lines[d.line - 1] == d.line else 0) for d in diagnostics]


def _weight_dict_program(tree: ast.Module, st: SourceText, names: ModuleNames, path: str,
                         rules: RuleSet) -> Result | list[Finding]:
    """A tutorial-style program (weights in dicts, the model a function) raised whole, or None
    (then the file is translated as written). See :mod:`.weight_dicts`."""
    planned = plan_programs(tree, st, names)
    if planned is None:
        return _inline_program(tree, st, names, path, rules)
    if isinstance(planned, Kept):
        inline = _inline_program(tree, st, names, path, rules)  # (the forward pass written in each function)
        if isinstance(inline, Result):
            return inline
        return [_kept_variable(s, planned.why) for s in planned.stmts]
    text, plans = planned
    r = translate_full(text, path, rules)
    by_name = {u.name: u for u in r.units if u.kind == "module"}
    for plan in plans:
        u = by_name.get(plan.cls)
        why = f"`{plan.func.name}` applies some of them in ops that are not the weights of a Keras layer"
        if u is None or u.kept_vars or re.search(rf"^class {plan.cls}\([\w.]+\.Model\):", r.text, re.M) is None:
            return [_kept_variable(d.stmt, why) for d in plan.dicts]  # translate the file as written
        paths = {plan.attr(d, k): plan.path(d, k) for d, k in plan.used}
        if not all(a in paths for a in u.weight_order):
            return [_kept_variable(d.stmt, why) for d in plan.dicts]
        late = _unbound_in_init(r.text, plan.cls)
        if late:
            return [_kept_variable(d.stmt, f"the layers would read `{late}` before the program defines it")
                    for d in plan.dicts]
        u.weight_order = [paths[a] for a in u.weight_order]
        u.reshape = {paths[a]: shape for a, shape in u.reshape.items()}
        u.instance = plan.func.name
        if u.reshape:  # the docstring's set_weights order loads a scalar bias as its (1,) reshape
            r = replace(r, text=_reshaped_order(r.text, plan.cls, u.reshape))
    return Result(r.text, sorted(set(_moved(r.diagnostics, plans[0].line_map))), r.units)


def _inline_program(tree: ast.Module, st: SourceText, names: ModuleNames, path: str,
                    rules: RuleSet) -> Result | list[Finding]:
    """A program that applies its variables inline (no model function) raised with a model
    class per group of variables, or the findings that say why not. A group the engine cannot
    raise whole is left out and the rest planned again. See :mod:`.inline_forward`."""
    excluded: set[int] = set()
    kept: list[Finding] = []
    for _ in range(8):
        planned = plan_inline(tree, st, names, excluded)
        if planned is None or isinstance(planned, Kept):
            return kept + ([_kept_variable(s, planned.why, "inline") for s in planned.stmts] if planned is not None else [])
        text, plans, others = planned
        r = translate_full(text, path, rules, built=frozenset(p.cls for p in plans))
        if any(_unbound_in_init(r.text, p.cls) in ("keras", "layers") for p in plans):
            # the file imports keras only after a model (a notebook's later cell): import it first
            r = translate_full(text, path, rules, built=frozenset(p.cls for p in plans), fresh_imports=True)
        by_name = {u.name: u for u in r.units if u.kind == "module"}
        new = r.text
        failed = False
        for plan in plans:
            u = by_name.get(plan.cls)
            why = _inline_unraised(plan, u, new)
            if why is not None:
                kept += [_kept_variable(s, why, "inline") for s in plan.var_stmts]
                excluded.add(id(plan.var_stmts[0]))
                failed = True
                continue
            assert u is not None
            paths = {v: p.removeprefix("self.") for v, p in u.weight_paths.items()}
            inst = re.escape(plan.instance)
            every = r"\s*,\s*".join(rf"{inst}\.{re.escape(v)}\b" for v in u.weight_order)
            new = re.sub(rf"\[\s*{every}\s*,?\s*\]", f"{plan.instance}.trainable_variables", new)
            alt = "|".join(re.escape(v) for v in sorted(paths, key=len, reverse=True))
            new = re.sub(rf"\b{inst}\.({alt})\b", _weight_path(plan.instance, paths), new)
            u.instance = plan.instance
        if failed:
            continue
        if translate_full(new, path, rules).text != new:
            # another part of the file reads differently once the variables are a model's
            # (a second run would change it): the program stays, the rest is raised as it is
            why = "the raised program is not one to-keras leaves as it is on a second run"
            kept += [_kept_variable(s, why, "inline") for plan in plans for s in plan.var_stmts]
            excluded |= {id(plan.var_stmts[0]) for plan in plans}
            continue
        kept += [_kept_variable(s, k.why, "inline") for k in others for s in k.stmts]
        original = st.text.splitlines()
        said = [d for d in (_diagnostic(path, original, f) for f in kept) if d is not None]
        said_lines = {d.line for d in said}
        moved = [d for d in _moved(r.diagnostics, plans[0].line_map)
                 if not (d.code == "XL503" and d.line in said_lines)]  # (the reason, not the generic one)
        return Result(new, sorted(set(moved + said)), r.units)
    return kept


def _weight_path(instance: str, paths: dict[str, str]) -> Callable[[re.Match[str]], str]:
    """``model.w1`` -> ``model.dense.kernel`` (a match of the variable's attribute)."""
    def one(m: re.Match[str]) -> str:
        return f"{instance}.{paths[m.group(1)]}"
    return one


def _inline_unraised(plan: InlinePlan, u: UnitInfo | None, new: str) -> str | None:
    """Why the engine's translation of ``plan``'s class does not raise it whole, or None."""
    why = "the inline forward pass applies some of them in ops that are not the weights of a Keras layer"
    if u is None or u.kept_vars or re.search(rf"^class {plan.cls}\([\w.]+\.Model\):", new, re.M) is None:
        return why
    if sorted(u.weight_order) != sorted(plan.vars) or set(u.weight_paths) != set(plan.vars) or u.reshape:
        return why
    if any(p.split(".")[-1] in ("moving_mean", "moving_variance") for p in u.weight_paths.values()):
        return why
    layers_ = {p.split(".")[1] for p in u.weight_paths.values()}
    if any(f"self.{a}.build(" not in new for a in layers_):
        return "a layer of the inline forward pass cannot be built with the variables' sizes, so its weights would not exist where the variables did"
    late = _unbound_in_init(new, plan.cls)
    if late:
        return f"the layers would read `{late}` before the program defines it"
    return None


def held_by_kept(tree: ast.Module, classes: list[ast.ClassDef], raised: set[str]) -> dict[str, str]:
    """Raised classes whose instances a module class that stays holds: made in its body, or
    given to its constructor (``Holder([Dense(3)])``, directly or through a name) when
    something may gather the holder's variables (:func:`_collects`): class -> the holder."""
    kept = {c.name for c in classes} - raised

    def made(node: ast.AST) -> set[str]:
        return {m.func.id for m in ast.walk(node) if isinstance(m, ast.Call) and isinstance(m.func, ast.Name)
                and m.func.id in raised}

    # names bound (anywhere) to a value that makes instances: ``parts = [Dense(3), ...]``
    holding: dict[str, set[str]] = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and n.value is not None and made(n.value):
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                for m in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                    if isinstance(m, ast.Name):  # (``self.x = ...`` is the class's own: made() reads it there)
                        holding.setdefault(m.id, set()).update(made(n.value))

    def reaches(node: ast.AST) -> set[str]:
        out = made(node)
        for m in ast.walk(node):
            if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Load):
                out |= holding.get(m.id, set())
        return out

    collecting = {c.name for c in classes if c.name in kept and _collects(c, tree)}
    out: dict[str, str] = {}
    for c in classes:
        if c.name in kept:  # made (or read) in the class itself: whoever uses the class may gather them
            for name in sorted(reaches(c)):
                out.setdefault(name, c.name)
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in collecting:
            for a in [*n.args, *(k.value for k in n.keywords)]:
                for name in sorted(reaches(a)):
                    out.setdefault(name, n.func.id)
    return out


# tf.Module attributes a Keras 3 layer or model does not have
_MODULE_ONLY = frozenset({"submodules", "name_scope", "with_name_scope", "_flatten"})


def _module_only_use(cls: str, tree: ast.Module) -> str | None:
    """``name.submodules`` (a tf.Module attribute Keras lacks) read of a name holding an instance
    of ``cls``, or None. A name bound at module level (``my_model = Cls(...)``) holds it from
    there to its next module-level binding; a name bound to ``Cls(...)`` anywhere else, in
    every statement."""
    def made(value: ast.AST) -> bool:
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == cls

    top = {id(stmt) for stmt in tree.body}
    anywhere = {m.targets[0].id for m in ast.walk(tree) if isinstance(m, ast.Assign) and id(m) not in top
                and len(m.targets) == 1 and isinstance(m.targets[0], ast.Name) and made(m.value)}
    holding: set[str] = set()
    for stmt in tree.body:
        for n in ast.walk(stmt):
            if (isinstance(n, ast.Attribute) and n.attr in _MODULE_ONLY and isinstance(n.value, ast.Name)
                    and n.value.id in holding | anywhere):
                return f"{n.value.id}.{n.attr}"
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    (holding.add if made(stmt.value) else holding.discard)(t.id)
    return None


# what gathers a tf.Module's variables (a Keras layer it holds is not among them)
_COLLECT = frozenset({"variables", "trainable_variables", "non_trainable_variables", "submodules",
                      "_flatten", "trainable_weights", "weights"})
# what tracks a Keras layer held by a tf.Module as it tracks its own variables
_TRACKING = frozenset({"tf.saved_model.save", "tf.train.Checkpoint"})


def _collects(cls: ast.ClassDef, tree: ast.Module) -> bool:
    """Something may gather the variables of ``cls``'s instances: ``self.trainable_variables``
    in the class, or an instance (bound to a name) read otherwise than called, an attribute
    other than those, or given to ``tf.saved_model.save`` / ``tf.train.Checkpoint`` (which
    track a Keras layer it holds): an ``ExportModule`` that is only called and saved does not."""
    for n in ast.walk(cls):
        if isinstance(n, ast.Attribute) and n.attr in _COLLECT and isinstance(n.value, ast.Name) and n.value.id == "self":
            return True
    names = ModuleNames(tree)
    targets = {id(m.value): m.targets[0].id for m in ast.walk(tree)
               if isinstance(m, ast.Assign) and len(m.targets) == 1 and isinstance(m.targets[0], ast.Name)}
    bound: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == cls.name:
            if id(n) not in targets:
                return True  # an instance not bound to a name: where it goes is not followed
            bound.add(targets[id(n)])
    allowed: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in bound:
            allowed.add(id(n.func))
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in bound and n.attr not in _COLLECT:
            allowed.add(id(n.value))
        elif isinstance(n, ast.Call) and names.call(n) in _TRACKING:
            allowed |= {id(a) for a in [*n.args, *(k.value for k in n.keywords)] if isinstance(a, ast.Name)}
    return any(isinstance(n, ast.Name) and n.id in bound and isinstance(n.ctx, ast.Load) and id(n) not in allowed
               for n in ast.walk(tree))


def _reshaped_order(text: str, cls: str, reshape: dict[str, tuple[int, ...]]) -> str:
    """``cls``'s docstring with the weights of ``reshape`` in its ``set_weights([...])`` order
    written reshaped (``tf.reshape(biases['out'], [1])``)."""
    m = re.search(rf"^class {cls}\(.*?set_weights\(\[(.*?)\]\)", text, re.M | re.S)
    if m is None:
        return text
    order = m.group(1)
    for path, shape in reshape.items():
        order = order.replace(path, f"tf.reshape({path}, {list(shape)})")
    return text[: m.start(1)] + order + text[m.end(1):]


def _expand_submodules(units: list[UnitInfo]) -> None:
    """Replace "@attr:Class" in weight orders by that class's weights, as ``attr.<name>``."""
    by_class = {u.name: u for u in units if u.kind == "module"}

    def expand(u: UnitInfo, depth: int = 0) -> tuple[list[str], list[str], dict[str, tuple[int, ...]]]:
        order: list[str] = []
        kept = list(u.kept_vars)
        reshape = dict(u.reshape)
        for a in u.weight_order:
            if not a.startswith("@"):
                order.append(a)
                continue
            attr, cname = a[1:].split(":", 1)
            sub = by_class.get(cname)
            if sub is None or depth > 20:
                continue
            o, k, r = expand(sub, depth + 1)
            order += [f"*{attr}.{x[1:]}" if x.startswith("*") else f"{attr}.{x}" for x in o]
            kept += [f"{attr}.{x}" for x in k]
            reshape.update({f"{attr}.{x}": shape for x, shape in r.items()})
        return order, kept, reshape

    for u in units:
        if any(a.startswith("@") for a in u.weight_order):
            u.weight_order, u.kept_vars, u.reshape = expand(u)
        seen = 0
        while u.input_hint and "sub" in u.input_hint and seen < 20:
            sub = by_class.get(u.input_hint["sub"])
            u.input_hint = sub.input_hint if sub is not None else None
            seen += 1


def _blocks(body: list[ast.stmt]):
    """The module body and every function body inside it (not class bodies)."""
    yield body
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _blocks(stmt.body)
        elif not isinstance(stmt, ast.ClassDef):
            for fieldname in ("body", "orelse", "finalbody"):
                sub = getattr(stmt, fieldname, None)
                if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                    yield from _blocks(sub)


def _diagnostic(path: str, lines: list[str], f: Finding) -> Diagnostic | None:
    line = getattr(f.node, "lineno", 1) or 1
    src = lines[line - 1] if line - 1 < len(lines) else ""
    if suppressed(src, f.code):
        return None
    info = CODES.get(f.code)
    return Diagnostic(path, line, char_col(lines, line, getattr(f.node, "col_offset", 0) or 0), f.code, f.message,
                      info.severity if info else Severity.WARNING)

