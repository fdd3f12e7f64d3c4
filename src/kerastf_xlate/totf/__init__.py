"""``xlate to-tf``: lower Keras model code to TensorFlow low-level code.

Pipeline for one source:

1. parse with ``ast`` and resolve Keras layer uses (:mod:`kerastf_xlate.resolve`);
2. find translation units: ``Sequential`` and functional models (:mod:`.graph`), and
   ``keras.Model``/``Layer`` subclasses (:mod:`.subclass`); anything the translator cannot
   follow is kept as Keras with an XL30x diagnostic;
3. keep a unit as Keras when its instance is used with a Keras-only API (XL303);
4. generate each unit's ``tf.Module`` class from the rules' handlers;
5. apply the statement edits with LibCST, add ``import tensorflow as tf`` and the
   initializer helpers, drop the Keras imports nothing uses any more; LibCST sees only
   the top-level statements these touch (:mod:`.splice`), the rest is copied.

Nothing here imports TensorFlow or Keras or executes the user's code.
"""

from __future__ import annotations

import ast
import bisect
import collections
import io
import tokenize
from functools import partial

from kerastf_xlate.codes import CODES
from kerastf_xlate.diagnostics import Diagnostic, Severity
from kerastf_xlate.edit.imports import drop_unused_keras_imports, insert_after_imports
from kerastf_xlate.edit.records import StatementEdits
from kerastf_xlate.edit.splice import Source
from kerastf_xlate.edit.statements import apply_statement_edits
from kerastf_xlate.initializers import helpers_source
from kerastf_xlate.lint import (
    char_col,
    findings_for_uses,
    parse,
    source_lines,
    suppressed,
)
from kerastf_xlate.resolve import ModuleNames, find_uses, module_alias
from kerastf_xlate.rules import Rule, RuleSet, default_rules
from kerastf_xlate.totf.common import MODULE_API, Blocked, bound_from_calls
from kerastf_xlate.totf.graph import GraphBuilder, GraphUnit, camel
from kerastf_xlate.totf.subclass import SubclassUnit, find_subclass, generate_subclass
from kerastf_xlate.totf.training import TrainingPlan, plan_training

__all__ = ["translate", "make_transform"]


def make_transform(input_shape: tuple[int, ...] | None = None):  # type: ignore[no-untyped-def]
    """A picklable ``(text, path) -> (text, diagnostics)`` for the runner."""
    return partial(translate, input_shape=input_shape)


def _diag(path: str, lines: list[str], node: ast.AST | None, code: str, message: str) -> Diagnostic:
    line = getattr(node, "lineno", 1) or 1
    col = char_col(lines, line, getattr(node, "col_offset", 0) or 0)
    info = CODES.get(code)
    return Diagnostic(path, line, col, code, message, info.severity if info else Severity.WARNING)


def _blocks(body: list[ast.stmt]):  # type: ignore[no-untyped-def]
    """Every statement list (block) in a module, with its statements, outermost first."""
    yield body
    for stmt in body:
        for fieldname in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, fieldname, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                yield from _blocks(sub)
        for h in getattr(stmt, "handlers", []) or []:
            yield from _blocks(h.body)
        for case in getattr(stmt, "cases", []) or []:
            yield from _blocks(case.body)


def _tokenize_comments(text: str, first_line: int = 1) -> dict[int, str]:
    """Line -> comment text (``# ...``) for every comment in ``text``, which starts at
    line ``first_line`` of the source."""
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0] + first_line - 1] = tok.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


class _Comments:
    """Line -> comment text, found when asked: ``tokenize`` (pure Python) takes seconds on
    a big file, and only the lines of the models' statements are asked about.

    The text is tokenized a section at a time: a top-level statement and the lines above
    it. A section starts between statements (no open bracket or string), so the
    tokenizer finds there the comments it finds in the whole text."""

    def __init__(self, text: str, source: Source) -> None:
        self._lines = source.lines
        self._ends = [g.end for g in source.groups]
        self._done: set[int] = set()
        self._found: dict[int, str] = {}
        if text.count("\r") != text.count("\r\n"):
            # readline splits at "\n" only, so a lone CR ends no line here: number the
            # lines as tokenizing the whole text always did
            self._found, self._ends = _tokenize_comments(text), []
            self._done.add(0)

    def get(self, line: int) -> str | None:
        k = bisect.bisect_left(self._ends, line)
        if k not in self._done:
            self._done.add(k)
            first = self._ends[k - 1] + 1 if k else 1
            last = self._ends[k] if k < len(self._ends) else len(self._lines)
            self._found.update(_tokenize_comments("".join(self._lines[first - 1 : last]), first))
        return self._found.get(line)

    def __contains__(self, line: int) -> bool:
        return self.get(line) is not None


class _Taken:
    """The names a generated class must not take: every ``Name`` and every class or
    function name in the module, and the classes generated so far. Looked up one name at
    a time, in the statements whose text holds it."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._added: set[str] = set()

    def __contains__(self, name: str) -> bool:
        if name in self._added:
            return True
        for stmt in self._source.mentioning({name}):
            for n in ast.walk(stmt):
                if (isinstance(n, ast.Name) and n.id == name) or (isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == name):
                    return True
        return False

    def add(self, name: str) -> None:
        self._added.add(name)


def _one_statement_per_line(stmt: ast.stmt, lines: list[str]) -> bool:
    """The statement owns its lines (no ``a = 1; b = 2``), so it can be replaced whole."""
    first = lines[stmt.lineno - 1].encode("utf-8")
    last = lines[(stmt.end_lineno or stmt.lineno) - 1].encode("utf-8")
    before = first[: stmt.col_offset].strip()
    after = last[stmt.end_col_offset :].strip() if stmt.end_col_offset is not None else b""
    return not before and (not after or after.startswith(b"#"))


def _instance_uses_ok(scope_nodes: list[ast.AST], names: set[str], skip: set[int] | None = None) -> tuple[str, ast.AST] | None:
    """The first use of an instance name that a ``tf.Module`` may not support, if any:
    a Keras-only API (``model.fit``), or the instance escaping as a value (passed to a
    function, put in a list, returned) where Keras APIs may be called on it later.

    Calls (``model(x)``) and the generated module's own API are fine. Statements in
    ``skip`` (the model's own statements, folded into its class) are ignored.
    """
    skip = skip or set()
    parents: dict[int, ast.AST] = {}
    stack = [n for n in reversed(scope_nodes) if id(n) not in skip]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in names:
            if n.attr not in MODULE_API:
                return n.attr, n
        elif isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load):
            p = parents.get(id(n))
            if not (isinstance(p, ast.Attribute) or (isinstance(p, ast.Call) and p.func is n)):
                return "<escape>", n
        children = [c for c in ast.iter_child_nodes(n) if id(c) not in skip]
        for c in children:
            parents[id(c)] = n
        stack.extend(reversed(children))
    return None


def translate(text: str, path: str = "<string>", input_shape: tuple[int, ...] | None = None,
              rules: RuleSet | None = None) -> tuple[str, list[Diagnostic]]:
    """Translate one Python source; return the new source and the diagnostics."""
    from kerastf_xlate.totf import common

    try:
        return _translate(text, path, input_shape, rules)
    finally:
        # the constants are read from this source's tree, which must not outlive the call
        common.CONSTANTS = {}


def _translate(text: str, path: str, input_shape: tuple[int, ...] | None, rules: RuleSet | None) -> tuple[str, list[Diagnostic]]:
    tree = parse(text, path)
    if "keras" not in text:
        return text, []
    rules = rules or default_rules()
    uses = find_uses(tree, set(rules.by_name))
    if not uses:
        return text, []
    lines = source_lines(text)
    diags: list[Diagnostic] = []
    refs: dict[int, tuple[Rule, bool]] = {}
    base_rules: dict[int, Rule] = {}
    for use in uses:
        rule = rules.get(use.layer)
        if rule is None:
            continue
        if use.call is not None:
            refs[id(use.call)] = (rule, use.layer in rule.functions)
        base_rules[id(use.node)] = rule
    tf = module_alias(tree.body) or "tf"
    if tf != "tf":
        # generated code says `tf.`; keep it simple and honest
        return text, [_diag(path, lines, tree.body[0] if tree.body else None, "XL301", f"tensorflow is imported as `{tf}`; import it as `tf` to translate this file")]
    if ModuleNames(tree).binds_tf_elsewhere():
        return text, [_diag(path, lines, None, "XL301", "the name `tf` is bound to something other than tensorflow; nothing translated")]

    from kerastf_xlate.totf import common

    # what the analysis below looks for is named in few statements of a big file: the
    # source tells which (whole-tree walks cost seconds on a 5 MB file)
    source = Source(text, tree)
    common.CONSTANTS = common.module_constants(tree, source.mentioning)
    builder = GraphBuilder(lines, refs, rules, input_shape, source)
    graph_units: list[tuple[GraphUnit, list[ast.stmt], ast.AST | None]] = []

    # graph units, block by block (functions included); `owner` is the enclosing def
    owners: dict[int, ast.AST | None] = {id(tree.body): None}
    for block in _blocks(tree.body):
        for node in block:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owners[id(node.body)] = node
    for block in _blocks(tree.body):
        for i, stmt in enumerate(block):
            try:
                unit = builder.sequential(stmt, block, i) or builder.functional(stmt, block, i)
            except Blocked as exc:
                diags.append(_diag(path, lines, exc.node or stmt, "XL301", f"model kept as Keras: {exc}"))
                continue
            if unit is None:
                continue
            graph_units.append((unit, block, owners.get(id(block))))

    # subclasses at module level (fixed point: a translated class may only be used by
    # translated code or plain instances)
    sub_units: dict[str, SubclassUnit] = {}
    keras_classes: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            try:
                unit = find_subclass(stmt, refs, base_rules, lines)
            except Blocked as exc:
                diags.append(_diag(path, lines, exc.node or stmt, "XL301", f"class kept as Keras: {exc}"))
                keras_classes.add(stmt.name)
                continue
            if unit is not None:
                sub_units[stmt.name] = unit
            elif any(id(b) in base_rules for b in stmt.bases):
                keras_classes.add(stmt.name)
    for block in _blocks(tree.body):
        for stmt in block:
            if isinstance(stmt, ast.ClassDef) and stmt not in tree.body and any(id(b) in base_rules for b in stmt.bases):
                diags.append(_diag(path, lines, stmt, "XL301", f"class kept as Keras: `{stmt.name}` is not defined at module level"))

    # keep units whose instances use Keras-only APIs (XL303)
    kept_units: set[int] = set()
    plans: dict[int, TrainingPlan] = {}  # id(unit) -> plan, applied only if the unit is translated
    all_folded = {id(s) for u, _, _ in graph_units for s in [u.anchor] + u.removed}
    for unit, block, owner in graph_units:
        names = {unit.target} if unit.target else set()
        scope = [owner] if owner is not None else [s for s in tree.body]
        if owner is not None and (unit.target is None or _returns_name(owner, unit.target)):
            # `return Model(...)` / `return model` in a function: also check the names its
            # result is bound to (`model = build_model()`)
            names |= bound_from_calls(source.mentioning({owner.name}), owner.name)  # type: ignore[attr-defined]
            scope = [tree]
        folded = all_folded  # statements consumed by any model's class (another model may share the name)
        bad = _instance_uses_ok(_narrow(scope, tree, source, names), names, folded) if names else None
        if bad:
            try:
                plans[id(unit)] = plan_training(tree, names, scope, lines, bad, skip=folded)
            except Blocked as exc:
                code = getattr(exc, "code", "XL303")
                diags.append(_diag(path, lines, exc.node or bad[1], code, f"model kept as Keras: {exc}"))
                kept_units.add(id(unit))
    sub_plans: dict[str, TrainingPlan] = {}
    changed = True
    while changed:
        changed = False
        for name, sunit in list(sub_units.items()):
            names = bound_from_calls(source.mentioning({name}), name)
            bad = _instance_uses_ok(source.mentioning(names), names) if names else None
            why = None
            if bad:
                try:
                    sub_plans[name] = plan_training(tree, names, [tree], lines, bad)
                except Blocked as exc:
                    why = (f"model kept as Keras: {exc}", exc.node or bad[1], getattr(exc, "code", "XL303"))
            else:
                user = _used_outside(tree, source, name, sub_units)
                if user is not None:
                    why = (f"class kept as Keras: `{name}` is used where a Keras layer is needed", user, "XL301")
            if why:
                diags.append(_diag(path, lines, why[1], why[2], why[0]))
                sub_plans.pop(name, None)
                del sub_units[name]
                keras_classes.add(name)
                changed = True

    # generate
    edits = StatementEdits()
    needs: set[str] = set()
    taken = _Taken(source)
    comments = _Comments(text, source)
    translated_any = False
    translated_units: set[int] = set()
    for unit, block, owner in graph_units:
        if id(unit) in kept_units:
            continue
        stmts = [unit.anchor] + unit.removed
        if not all(_one_statement_per_line(s, lines) for s in stmts):
            diags.append(_diag(path, lines, unit.anchor, "XL301", "model kept as Keras: its statements share lines with other code"))
            continue
        leak = _graph_leak(unit, block, source)
        if leak is not None:
            diags.append(_diag(path, lines, leak, "XL301", f"model kept as Keras: graph tensor `{getattr(leak, 'id', '?')}` is used outside the model definition"))
            continue
        base = unit.target or (owner.name if owner is not None else "model")  # type: ignore[attr-defined]
        cname = camel(base)
        while cname in taken:
            cname += "Module"
        taken.add(cname)
        unit.class_name = cname
        try:
            cls_src, kept = builder.generate(unit, needs)
        except Blocked as exc:
            diags.append(_diag(path, lines, exc.node or unit.anchor, "XL301", f"model kept as Keras: {exc}"))
            continue
        for layer, reason in kept:
            if layer.kept_code in ("XL302", "XL203"):
                diags.append(_diag(path, lines, layer.call, "XL302", f"`{layer.rule.layer}` kept as a Keras layer: {reason}"))
        moved = _moved_comments(unit, lines, comments)
        if moved:
            head, sep, rest = cls_src.partition("\n\n")
            cls_src = head + "\n\n" + moved + "\n" + rest
        instance = f"{unit.target} = {cname}()" if unit.target else f"return {cname}()"
        edits.replace(*_key(unit.anchor, lines), cls_src + "\n\n" + instance + "\n")
        for s in unit.removed:
            edits.remove(*_key(s, lines))
        translated_any = True
        translated_units.add(id(unit))
    for name, sunit in sub_units.items():
        new_cls, kept = generate_subclass(sunit, lines, needs, text=text, modules=set(sub_units), keras_classes=keras_classes)
        for layer, reason in kept:
            if layer.kept_code in ("XL302", "XL203"):
                diags.append(_diag(path, lines, layer.call, "XL302", f"`{layer.rule.layer}` kept as a Keras layer: {reason}"))
        edits.replace(*_key(sunit.cls, lines), new_cls)
        translated_any = True

    # training code around translated models
    helper_sources: list[str] = []
    active_plans = [p for uid, p in plans.items() if uid in translated_units] + list(sub_plans.values())
    for plan in active_plans:
        for stmt, code in plan.replace.values():
            edits.replace(*_key(stmt, lines), code)
        for stmt in plan.remove:
            edits.remove(*_key(stmt, lines))
        for h in plan.helpers:
            if h not in helper_sources:
                helper_sources.append(h)

    # lint findings for what stays Keras (no counterpart / blocking arguments)
    for f in findings_for_uses(uses, rules):
        line = getattr(f.node, "lineno", 1)
        if not suppressed(lines[line - 1] if line - 1 < len(lines) else "", f.code):
            diags.append(_diag(path, lines, f.node, f.code, f.message))
    if not translated_any or not edits:
        return text, sorted(set(diags))

    applied = apply_statement_edits(source, edits)
    missing = edits.keys() - applied
    if missing:  # pragma: no cover - positions always match for one-statement lines
        return text, sorted(set(diags)) + [_diag(path, lines, None, "XL301", "internal: could not locate statements to rewrite; nothing translated")]
    drop_unused_keras_imports(source)
    new_body = [s for s, _ in source.statements()]
    defined = {s.name for s in new_body if isinstance(s, ast.FunctionDef)}
    block = ""
    if module_alias(new_body) is None:
        block += "import tensorflow as tf\n"
    helper = helpers_source({n for n in needs if n not in defined})
    if helper and "_fans" not in defined:
        block += ("\n\n" if block else "") + "# Keras's default initializers, written out by xlate to-tf.\n" + helper
    for h in helper_sources:
        name = h.split("(", 1)[0].replace("def ", "").strip()
        if name not in defined:
            block += ("\n\n" if block else "") + h
    if block:
        insert_after_imports(source, block)
    return source.text(), sorted(set(diags))


def _key(stmt: ast.stmt, lines: list[str]) -> tuple[int, int]:
    return (stmt.lineno, char_col(lines, stmt.lineno, stmt.col_offset))


def _returns_name(func: ast.AST, name: str) -> bool:
    """``func`` has a ``return name`` (its instance leaves the function)."""
    return any(isinstance(r, ast.Return) and isinstance(r.value, ast.Name) and r.value.id == name for r in ast.walk(func))


def _narrow(scope: list[ast.AST], tree: ast.Module, source: Source, names: set[str]) -> list[ast.AST]:
    """The module-level statements of ``scope`` that may use ``names`` (all of a function)."""
    if scope == [tree] or scope == tree.body:
        return list(source.mentioning(names))
    return scope


def _walk(nodes: list[ast.stmt]):  # type: ignore[no-untyped-def]
    """``ast.walk`` of the module restricted to these top-level statements, in its
    breadth-first order."""
    todo = collections.deque(nodes)
    while todo:
        node = todo.popleft()
        todo.extend(ast.iter_child_nodes(node))
        yield node


def _used_outside(tree: ast.Module, source: Source, name: str, sub_units: dict[str, SubclassUnit]) -> ast.AST | None:
    """A use of class ``name`` other than ``x = Name(...)`` or ``self.x = Name(...)`` in a
    translated class (e.g. inside a Sequential that stays Keras)."""
    stmts = source.mentioning({name})
    parents: dict[int, ast.AST] = {}
    for n in _walk(stmts):
        for c in ast.iter_child_nodes(n):
            parents[id(c)] = n
    for n in _walk(stmts):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            call = parents.get(id(n))
            if not (isinstance(call, ast.Call) and call.func is n):
                return n
            stmt = parents.get(id(call))
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                t = stmt.targets[0]
                if isinstance(t, ast.Name):
                    continue
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    owner = _enclosing_class(tree, stmt)
                    if owner is not None and owner in sub_units:
                        continue
            return n
    return None


def _enclosing_class(tree: ast.Module, target: ast.AST) -> str | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            for n in ast.walk(stmt):
                if n is target:
                    return stmt.name
    return None


def _graph_leak(unit: GraphUnit, block: list[ast.stmt], source: Source) -> ast.AST | None:
    """A later read of a name whose binding in force is a graph statement being removed."""
    removed = {id(s) for s in unit.removed}
    last_store: dict[str, bool] = {}  # name -> bound by a removed graph statement
    for stmt in block:
        if id(stmt) in removed:
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    last_store[n.id] = True
            continue
        if stmt is unit.anchor:
            continue
        live = {name for name, bound in last_store.items() if bound}
        if not live or not source.mentions(stmt, live):
            continue  # it can neither read nor rebind a name a removed statement bound
        for n in _shallow_walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and last_store.get(n.id):
                return n
        for n in _shallow_walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                last_store[n.id] = False
    return None


def _shallow_walk(node: ast.AST):  # type: ignore[no-untyped-def]
    """``ast.walk`` that still enters nested functions (they may read the names later)."""
    return ast.walk(node)


def _moved_comments(unit: GraphUnit, lines: list[str], comments: _Comments) -> str:
    """Comments inside the model's statements, kept above the generated class."""
    found: list[str] = []
    for s in [unit.anchor] + unit.removed:
        first = s.lineno
        if s is not unit.anchor:
            # comment lines right above a removed statement go with it (LibCST drops them)
            while first > 1 and (first - 1) in comments and lines[first - 2].lstrip().startswith("#"):
                first -= 1
        for ln in range(first, (s.end_lineno or s.lineno) + 1):
            c = comments.get(ln)
            if c and c not in found:
                found.append(c)
    if not found:
        return ""
    return "    # Comments from the Keras model this class replaces:\n" + "".join(f"    {c}\n" for c in found)
