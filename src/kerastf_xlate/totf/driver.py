"""The to-tf driver: named stages run in order on one :class:`TranslationContext`.

Stages (:data:`STAGES`):

1. :func:`parse` -- the tree, the Keras layer uses and their rules; a file without any, or
   one that binds ``tf`` to something else, ends here unchanged;
2. :func:`find_units` -- every unit kind finds its translation units;
3. :func:`keep_units_used_as_keras` -- every unit kind keeps as Keras the units whose
   instances need a Keras API (XL303), planning their training code where it can;
4. :func:`generate_units` -- every unit kind writes its ``tf.Module`` classes (statement edits);
5. :func:`training` -- the training code around translated units (statement edits, helpers);
6. :func:`lint_findings` -- lint's findings for what stays Keras;
7. :func:`apply_edits` -- LibCST applies the statement edits, unused Keras imports go;
8. :func:`add_imports` -- ``import tensorflow as tf`` and the helpers the new code calls.

**Adding a kind of translation unit** (issue #13's programs: modules under
``kerastf_xlate/totf/program/``): write a class with ``name`` and the three methods of
:class:`UnitKind` (``find``, ``keep``, ``generate``; keep its state in
``ctx.units[name]``) and add an instance to :data:`UNIT_KINDS`, after the kinds whose units
it may contain. The stages call the kinds in that order; nothing else changes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Protocol

from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.edit.imports import drop_unused_keras_imports, insert_after_imports
from kerastf_xlate.edit.records import relative_continuations
from kerastf_xlate.edit.splice import Source
from kerastf_xlate.edit.statements import apply_statement_edits
from kerastf_xlate.initializers import helpers_source
from kerastf_xlate.lint import findings_for_uses, parse, source_lines, suppressed
from kerastf_xlate.resolve import ModuleNames, find_uses, module_alias
from kerastf_xlate.totf.analysis import (
    _blocks,
    _Comments,
    _graph_leak,
    _instance_uses_ok,
    _moved_comments,
    _narrow,
    _one_statement_per_line,
    _returns_name,
    _Taken,
    _used_outside,
)
from kerastf_xlate.totf.common import Blocked, bound_from_calls, module_constants
from kerastf_xlate.totf.context import TranslationContext
from kerastf_xlate.totf.graph import GraphBuilder, GraphUnit, camel, short_source
from kerastf_xlate.totf.subclass import SubclassUnit, find_subclass, generate_subclass
from kerastf_xlate.totf.symbolic import called_on_symbolic, called_on_symbolic_in_scope, symbolic_names
from kerastf_xlate.totf.training import TrainingPlan, plan_training


class UnitKind(Protocol):
    """One kind of translation unit (a Sequential / functional model, a Keras subclass...)."""

    name: str

    def find(self, ctx: TranslationContext) -> None:
        """Find the units of this kind (state in ``ctx.units[self.name]``; XL301 for what cannot be followed)."""

    def keep(self, ctx: TranslationContext) -> None:
        """Keep as Keras the units whose instances need Keras (XL303), or plan their training code."""

    def generate(self, ctx: TranslationContext) -> None:
        """Write the translated units (``ctx.edits``), add their training plans to ``ctx.plans``."""


# ------------------------------------------------------------------------------ Sequential / functional models


def _constructor_calls(ctx: TranslationContext) -> tuple[set[int], set[int]]:
    """The ids of the calls that make a Keras layer, and of those that make a ``keras.Input``
    (what :mod:`kerastf_xlate.totf.symbolic` follows to find KerasTensors)."""
    layers = {id(u.call) for u in ctx.uses if u.call is not None and u.layer not in ("Input", "InputLayer", "Model", "Sequential")}
    inputs = {id(u.call) for u in ctx.uses if u.call is not None and u.layer in ("Input", "InputLayer")}
    return layers, inputs


class GraphUnits:
    """``keras.Sequential([...])`` and ``keras.Model(inputs, outputs)`` graphs, in any block."""

    name = "graph"

    def find(self, ctx: TranslationContext) -> None:
        tree = ctx.tree
        builder = GraphBuilder(ctx.lines, ctx.refs, ctx.rules, ctx.input_shape, ctx.source, ctx.constants)
        found: list[tuple[GraphUnit, list[ast.stmt], ast.AST | None]] = []
        # graph units, block by block (functions included); `owner` is the enclosing def, also
        # of the blocks nested in it (`if`, `for`, `with`, `try`): its result leaves through `return`
        owners: dict[int, ast.AST | None] = {id(tree.body): None}
        for block in _blocks(tree.body):
            for node in block:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for inner in _blocks(node.body):  # outer defs first: an inner def takes its own blocks after
                        owners[id(inner)] = node
        for block in _blocks(tree.body):
            for i, stmt in enumerate(block):
                try:
                    unit = builder.sequential(stmt, block, i) or builder.functional(stmt, block, i)
                except Blocked as exc:
                    ctx.report(exc.node or stmt, "XL301", f"model kept as Keras: {exc}")
                    continue
                if unit is None:
                    continue
                found.append((unit, block, owners.get(id(block))))
        ctx.units[self.name] = {"builder": builder, "units": found, "kept": set(), "plans": {}, "translated": set()}

    def keep(self, ctx: TranslationContext) -> None:
        state = ctx.units[self.name]
        tree, source = ctx.tree, ctx.src
        kept_units: set[int] = state["kept"]
        plans: dict[int, TrainingPlan] = state["plans"]  # id(unit) -> plan, applied only if the unit is translated
        all_folded = {id(s) for u, _, _ in state["units"] for s in [u.anchor] + u.removed}
        layer_ctors, input_ctors = _constructor_calls(ctx)
        for unit, _block, owner in state["units"]:
            names = {unit.target} if unit.target else set()
            scope = [owner] if owner is not None else [s for s in tree.body]
            if owner is not None and (unit.target is None or _returns_name(owner, unit.target)):
                # `return Model(...)` / `return model` in a function: also check the names its
                # result is bound to (`model = build_model()`)
                names |= bound_from_calls(source.mentioning({owner.name}), owner.name)
                scope = [tree]
            folded = all_folded  # statements consumed by any model's class (another model may share the name)
            user = called_on_symbolic_in_scope(tree, names, layer_ctors, input_ctors)
            if user is not None:
                # a model called on KerasTensors is a layer of a functional graph: a tf.Module there fails
                ctx.report(user, "XL301", f"model kept as Keras: `{short_source(user)}` uses it as a layer of a Keras graph")
                kept_units.add(id(unit))
                continue
            bad = _instance_uses_ok(_narrow(scope, tree, source, names), names, folded) if names else None
            if bad:
                try:
                    plans[id(unit)] = plan_training(tree, names, scope, ctx.lines, bad, skip=folded)
                except Blocked as exc:
                    code = getattr(exc, "code", "XL303")
                    ctx.report(exc.node or bad[1], code, f"model kept as Keras: {exc}")
                    kept_units.add(id(unit))

    def generate(self, ctx: TranslationContext) -> None:
        state = ctx.units[self.name]
        builder: GraphBuilder = state["builder"]
        lines, source = ctx.lines, ctx.src
        taken = _Taken(source)
        comments = _Comments(ctx.text, source)
        translated: set[int] = state["translated"]
        for unit, block, owner in state["units"]:
            if id(unit) in state["kept"]:
                continue
            stmts = [unit.anchor] + unit.removed
            if not all(_one_statement_per_line(s, lines) for s in stmts):
                ctx.report(unit.anchor, "XL301", "model kept as Keras: its statements share lines with other code")
                continue
            leak = _graph_leak(unit, block, source, ctx.tree, owner)
            if leak is not None:
                ctx.report(leak, "XL301", f"model kept as Keras: graph tensor `{short_source(leak)}` is used outside the model definition")
                continue
            base = unit.target or (owner.name if owner is not None else "model")
            cname = camel(base)
            while cname in taken:
                cname += "Module"
            taken.add(cname)
            unit.class_name = cname
            try:
                cls_src, kept = builder.generate(unit, ctx.needs)
            except Blocked as exc:
                ctx.report(exc.node or unit.anchor, "XL301", f"model kept as Keras: {exc}")
                continue
            for layer, reason in kept:
                if layer.kept_code in ("XL302", "XL203"):
                    ctx.report(layer.call, "XL302", f"`{layer.rule.layer}` kept as a Keras layer: {reason}")
            moved = _moved_comments(unit, lines, comments)
            if moved:
                head, sep, rest = cls_src.partition("\n\n")
                cls_src = head + "\n\n" + moved + "\n" + rest
            instance = f"{unit.target} = {cname}()" if unit.target else f"return {cname}()"
            ctx.edits.replace(*ctx.key(unit.anchor), cls_src + "\n\n" + instance + "\n")
            for s in unit.removed:
                ctx.edits.remove(*ctx.key(s))
            ctx.translated_any = True
            translated.add(id(unit))
        ctx.plans += [p for uid, p in state["plans"].items() if uid in translated]


# ------------------------------------------------------------------------------ keras.Model / Layer subclasses


class SubclassUnits:
    """Module-level ``keras.Model`` / ``keras.layers.Layer`` subclasses."""

    name = "subclass"

    def find(self, ctx: TranslationContext) -> None:
        tree = ctx.tree
        sub_units: dict[str, SubclassUnit] = {}
        keras_classes: set[str] = set()
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef):
                try:
                    unit = find_subclass(stmt, ctx.refs, ctx.base_rules, ctx.lines, tree)
                except Blocked as exc:
                    ctx.report(exc.node or stmt, "XL301", f"class kept as Keras: {exc}")
                    keras_classes.add(stmt.name)
                    continue
                if unit is not None:
                    sub_units[stmt.name] = unit
                elif any(id(b) in ctx.base_rules for b in stmt.bases):
                    keras_classes.add(stmt.name)
        for block in _blocks(tree.body):
            for stmt in block:
                if isinstance(stmt, ast.ClassDef) and stmt not in tree.body and any(id(b) in ctx.base_rules for b in stmt.bases):
                    ctx.report(stmt, "XL301", f"class kept as Keras: `{stmt.name}` is not defined at module level")
        ctx.units[self.name] = {"units": sub_units, "keras_classes": keras_classes, "plans": {}}

    def keep(self, ctx: TranslationContext) -> None:
        """A fixed point: a translated class may only be used by translated code or plain instances."""
        state = ctx.units[self.name]
        sub_units: dict[str, SubclassUnit] = state["units"]
        sub_plans: dict[str, TrainingPlan] = state["plans"]
        tree, source = ctx.tree, ctx.src
        symbolic: set[str] | None = None  # names holding KerasTensors, worked out when needed
        layer_ctors, input_ctors = _constructor_calls(ctx)
        changed = True
        while changed:
            changed = False
            for name in list(sub_units):
                names = bound_from_calls(source.mentioning({name}), name)
                bad = _instance_uses_ok(source.mentioning(names), names) if names else None
                why = None
                if bad:
                    try:
                        sub_plans[name] = plan_training(tree, names, [tree], ctx.lines, bad)
                    except Blocked as exc:
                        why = (f"model kept as Keras: {exc}", exc.node or bad[1], getattr(exc, "code", "XL303"))
                else:
                    user = _used_outside(tree, source, name, sub_units)
                    if user is None and names:
                        # an instance called on KerasTensors (a functional graph that stays Keras)
                        if symbolic is None:
                            symbolic = symbolic_names(tree, layer_ctors, input_ctors)
                        user = called_on_symbolic(tree, names, name, symbolic, input_ctors)
                    if user is not None:
                        why = (f"class kept as Keras: `{name}` is used where a Keras layer is needed", user, "XL301")
                if why:
                    ctx.report(why[1], why[2], why[0])
                    sub_plans.pop(name, None)
                    del sub_units[name]
                    state["keras_classes"].add(name)
                    changed = True

    def generate(self, ctx: TranslationContext) -> None:
        state = ctx.units[self.name]
        sub_units: dict[str, SubclassUnit] = state["units"]
        for sunit in sub_units.values():
            new_cls, kept = generate_subclass(sunit, ctx.lines, ctx.needs, text=ctx.text, modules=set(sub_units),
                                              keras_classes=state["keras_classes"], constants=ctx.constants)
            for layer, reason in kept:
                if layer.kept_code in ("XL302", "XL203"):
                    ctx.report(layer.call, "XL302", f"`{layer.rule.layer}` kept as a Keras layer: {reason}")
            ctx.edits.replace(*ctx.key(sunit.cls), new_cls)
            ctx.translated_any = True
        ctx.plans += list(state["plans"].values())


# The kinds of translation units, in the order the stages visit them. Issue #13's program
# translation (``totf/program/``) adds its kind here.
UNIT_KINDS: tuple[UnitKind, ...] = (GraphUnits(), SubclassUnits())


# ------------------------------------------------------------------------------ the stages


def parse_source(ctx: TranslationContext) -> None:
    """The tree, the Keras layer uses and their rules; nothing to do without any."""
    ctx.tree = tree = parse(ctx.text, ctx.path)
    if "keras" not in ctx.text:
        return ctx.finish(diags=[])
    ctx.uses = find_uses(tree, set(ctx.rules.by_name))
    if not ctx.uses:
        return ctx.finish(diags=[])
    ctx.lines = source_lines(ctx.text)
    for use in ctx.uses:
        rule = ctx.rules.get(use.layer)
        if rule is None:
            continue
        if use.call is not None:
            ctx.refs[id(use.call)] = (rule, use.layer in rule.functions)
        ctx.base_rules[id(use.node)] = rule
    tf = module_alias(tree.body) or "tf"
    if tf != "tf" and _binds_tf(tree):
        # generated code says `tf.`: with the name free, `import tensorflow as tf` is added beside
        # the file's own `import tensorflow [as X]`; where the file binds `tf` itself, it is not
        return ctx.finish(diags=[ctx.diag(tree.body[0] if tree.body else None, "XL301",
                                          f"tensorflow is imported as `{tf}` and the file binds `tf` to something else: "
                                          "the TensorFlow code says `tf.`")])
    if ModuleNames(tree).binds_tf_elsewhere():
        return ctx.finish(diags=[ctx.diag(None, "XL301", "the name `tf` is bound to something other than tensorflow; nothing translated")])
    policy = _global_dtype_policy(tree) if any(name in ctx.text for name in _GLOBAL_SETTERS) else None  # no walk of a big file for nothing
    if policy is not None:
        # the flat form writes float32, channels_last code: a file that sets another policy,
        # float type, epsilon or data format for every layer is the program form's to judge
        return ctx.finish(diags=[ctx.diag(policy, "XL301", f"model kept as Keras: `{ast.unparse(policy)[:60]}` sets "
                                                           "what every layer computes with; the flat form assumes "
                                                           "Keras's defaults (float32, channels_last)")])
    # what the analysis looks for is named in few statements of a big file: the source
    # tells which (whole-tree walks cost seconds on a 5 MB file)
    ctx.source = Source(ctx.text, tree)
    ctx.constants = module_constants(tree, ctx.source.mentioning)
    return None


# Keras's global settings every layer reads, and the value the flat form's code assumes
_GLOBAL_SETTERS = {"set_global_policy": "float32", "set_policy": "float32", "set_dtype_policy": "float32",
                   "set_floatx": "float32", "set_epsilon": 1e-07, "set_image_data_format": "channels_last"}


def _global_dtype_policy(tree: ast.Module) -> ast.Call | None:
    """A call that sets what every Keras layer computes with to anything but the default the
    flat form assumes (``mixed_precision.set_global_policy("mixed_float16")``,
    ``keras.backend.set_floatx("float64")``, ``keras.config.set_image_data_format(
    "channels_first")``, a value not written as a literal)."""
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name)):
            name = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id
            if name not in _GLOBAL_SETTERS:
                continue
            value = n.args[0] if n.args else (n.keywords[0].value if n.keywords else None)
            if not (isinstance(value, ast.Constant) and value.value == _GLOBAL_SETTERS[name]):
                return n
    return None


def find_units(ctx: TranslationContext) -> None:
    for kind in UNIT_KINDS:
        kind.find(ctx)


def keep_units_used_as_keras(ctx: TranslationContext) -> None:
    for kind in UNIT_KINDS:
        kind.keep(ctx)


def generate_units(ctx: TranslationContext) -> None:
    for kind in UNIT_KINDS:
        kind.generate(ctx)


def training(ctx: TranslationContext) -> None:
    """The training code around translated models (its statements and helpers)."""
    helper_sources: list[str] = []
    by_key: dict[tuple[int, int], list[tuple[ast.stmt, str, tuple[str, list[tuple[int, int, str]]] | None]]] = {}
    for plan in ctx.plans:
        for stmt_id, (stmt, code) in plan.replace.items():
            by_key.setdefault(ctx.key(stmt), []).append((stmt, code, plan.spans.get(stmt_id)))
    for (line, col), found in by_key.items():
        # one rewrite, or the same one from several plans (a name two models share): as it is
        merged = found[0][1] if len({code for _, code, _ in found}) == 1 else _merged_statement(found, ctx.lines)
        if merged is None:  # two models' calls in one statement that cannot be merged: nothing translated
            return ctx.finish(diags=[ctx.diag(found[0][0], "XL303", "calls of two translated models overlap in one "
                                              "statement (one inside the other's arguments); write them apart")])
        ctx.edits.replace(line, col, merged)
    for plan in ctx.plans:
        for stmt in plan.remove:
            ctx.edits.remove(*ctx.key(stmt))
        for h in plan.helpers:
            if h not in helper_sources:
                helper_sources.append(h)
    ctx.units["training helpers"] = helper_sources


def _merged_statement(found: list[tuple[ast.stmt, str, tuple[str, list[tuple[int, int, str]]] | None]],
                      lines: list[str]) -> str | None:
    """One statement holding calls of several translated models (``print(a.predict(x),
    b.predict(x))``): each model's plan rewrote its own calls in it; the statement with all of
    their rewrites, or None when they overlap (or one plan rewrote the whole statement)."""
    if any(spans is None for _, _, spans in found) or len({spans[0] for _, _, spans in found if spans}) != 1:
        return None
    source = found[0][2][0]  # type: ignore[index]
    edits = sorted({e for _, _, spans in found for e in spans[1]})  # type: ignore[index]
    for (_, end, _), (start, _, _) in zip(edits, edits[1:]):
        if start < end:
            return None
    raw = source.encode("utf-8")
    for start, end, new in reversed(edits):
        raw = raw[:start] + new.encode("utf-8") + raw[end:]
    stmt = found[0][0]
    indent = lines[stmt.lineno - 1][: stmt.col_offset] if stmt.lineno <= len(lines) else ""
    return relative_continuations(raw.decode("utf-8"), indent) + "\n"


def lint_findings(ctx: TranslationContext) -> None:
    """Lint's findings for what stays Keras (no counterpart / blocking arguments)."""
    lines = ctx.lines
    for f in findings_for_uses(ctx.uses, ctx.rules):
        line = getattr(f.node, "lineno", 1)
        if not suppressed(lines[line - 1] if line - 1 < len(lines) else "", f.code):
            ctx.report(f.node, f.code, f.message)
    if ctx.translated_any and any(w in ctx.text for w in ("experimental", "losses.", "metrics.", "batch_input_shape",
                                                          "batch_size=", "input_length")):
        # tf.keras 2's names read as Keras 3's (`layers.experimental` paths, `tf.keras.losses.mean_squared_error`):
        # the original fails there under Keras 3 (the program form says so too)
        from kerastf_xlate.totf.program.keras2 import is_keras2, spelling_notes
        from kerastf_xlate.totf.program.names import keras_refs

        refs = keras_refs(ctx.tree)
        for node, message in spelling_notes(refs, is_keras2(refs)):
            ctx.report(node, "XL102", message)
    if not ctx.translated_any or not ctx.edits:
        ctx.finish()


def apply_edits(ctx: TranslationContext) -> None:
    applied = apply_statement_edits(ctx.src, ctx.edits)
    missing = ctx.edits.keys() - applied
    if missing:  # pragma: no cover - positions always match for one-statement lines
        ctx.result = (ctx.text, sorted(set(ctx.diags)) + [ctx.diag(None, "XL301", "internal: could not locate statements to rewrite; nothing translated")])
        return
    drop_unused_keras_imports(ctx.src)


def add_imports(ctx: TranslationContext) -> None:
    """``import tensorflow as tf``, the initializer helpers and the training helpers, after
    the leading imports (what the file does not define already)."""
    source = ctx.src
    new_body = [s for s, _ in source.statements()]
    defined = {s.name for s in new_body if isinstance(s, ast.FunctionDef)}
    block = ""
    if not _tf_bound_before_edits(ctx):
        block += "import tensorflow as tf\n"
    helper = helpers_source({n for n in ctx.needs if n not in defined})
    if helper and "_fans" not in defined:
        block += ("\n\n" if block else "") + "# Keras's default initializers, written out by xlate to-tf.\n" + helper
    for h in ctx.units.get("training helpers", []):
        name = h.split("(", 1)[0].replace("def ", "").strip()
        if name not in defined:
            block += ("\n\n" if block else "") + h
    if block:
        insert_after_imports(source, block)
    ctx.finish(source.text())


def _binds_tf(tree: ast.Module) -> bool:
    """Whether any scope of the file binds the name ``tf`` (an import, an assignment or loop
    target, a parameter, a function or class)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "tf" and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.arg) and node.arg == "tf":
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "tf":
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name.split(".")[0]) == "tf" for a in node.names):
            return True
        if isinstance(node, (ast.Global, ast.Nonlocal)) and "tf" in node.names:
            return True
    return False


def _tf_bound_before_edits(ctx: TranslationContext) -> bool:
    """Whether the file's own ``import tensorflow as tf`` (module level) runs before the first
    statement the translation rewrote: the generated code (``class Model(tf.Module)``, training
    code at module level) reads ``tf`` when it runs. An import further down (a notebook's
    import cell after its model cell) or inside a function does not count: the block then
    imports it itself, which is harmless where the file imports it again."""
    first = min((line for line, _ in ctx.edits.keys()), default=None)
    for stmt in ctx.tree.body:
        if first is not None and stmt.lineno >= first:
            return False
        if isinstance(stmt, ast.Import) and any(a.name == "tensorflow" and a.asname == "tf" for a in stmt.names):
            return True
    return False


STAGES: tuple[Callable[[TranslationContext], Any], ...] = (
    parse_source, find_units, keep_units_used_as_keras, generate_units, training, lint_findings, apply_edits, add_imports,
)


def run(ctx: TranslationContext) -> tuple[str, list[Diagnostic]]:
    """Run the stages until one ends the translation."""
    for stage in STAGES:
        stage(ctx)
        if ctx.result is not None:
            return ctx.result
    raise AssertionError("the last stage ends every translation")  # pragma: no cover
