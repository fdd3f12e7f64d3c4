"""What the to-tf driver asks about a module: its blocks, its comments, the names a new class
may not take, the uses of a model's instance that a ``tf.Module`` cannot support, and the
graph tensors a removed model statement would leave unbound."""

from __future__ import annotations

import ast
import bisect
import collections
from collections.abc import Iterator, Sequence

from kerastf_xlate.edit.splice import Source
from kerastf_xlate.syntax import comments_by_line
from kerastf_xlate.totf.common import MODULE_API
from kerastf_xlate.totf.graph import GraphUnit
from kerastf_xlate.totf.subclass import SubclassUnit


def _blocks(body: list[ast.stmt]):
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
            self._found, self._ends = comments_by_line(text), []
            self._done.add(0)

    def get(self, line: int) -> str | None:
        k = bisect.bisect_left(self._ends, line)
        if k not in self._done:
            self._done.add(k)
            first = self._ends[k - 1] + 1 if k else 1
            last = self._ends[k] if k < len(self._ends) else len(self._lines)
            self._found.update(comments_by_line("".join(self._lines[first - 1 : last]), first))
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


def _instance_uses_ok(scope_nodes: Sequence[ast.AST], names: set[str], skip: set[int] | None = None) -> tuple[str, ast.AST] | None:
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


def _returns_name(func: ast.AST, name: str) -> bool:
    """``func`` has a ``return name`` (its instance leaves the function)."""
    return any(isinstance(r, ast.Return) and isinstance(r.value, ast.Name) and r.value.id == name for r in ast.walk(func))


def _narrow(scope: list[ast.AST], tree: ast.Module, source: Source, names: set[str]) -> list[ast.AST]:
    """The module-level statements of ``scope`` that may use ``names`` (all of a function)."""
    if scope == [tree] or scope == tree.body:
        return list(source.mentioning(names))
    return scope


def _walk(nodes: list[ast.stmt]) -> Iterator[ast.AST]:
    """``ast.walk`` of the module restricted to these top-level statements, in its
    breadth-first order."""
    todo: collections.deque[ast.AST] = collections.deque(nodes)
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


def _graph_leak(unit: GraphUnit, block: list[ast.stmt], source: Source, tree: ast.Module | None = None,
                owner: ast.AST | None = None) -> ast.AST | None:
    """A later read of a name whose binding in force is a graph statement being removed: in
    the block after the model, or (``tree`` given, the block nested in a loop, an ``if``, a
    ``with`` or a ``try`` of ``owner``, its function, or of the module) anywhere else in that
    scope the names may be read: after the compound statement, or in the block before the
    model on a loop's next turn."""
    found = _graph_leak_in_block(unit, block, source)
    if found is not None or tree is None or not unit.removed:
        return found
    area: ast.AST = owner if owner is not None else tree
    if block is getattr(area, "body", None):
        return None  # a straight block: the scan above saw every later statement
    removed = {id(s) for s in unit.removed}
    names = {n.id for s in unit.removed for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    first = next(i for i, s in enumerate(block) if id(s) in removed)
    scanned = {id(n) for s in block[first:] for n in ast.walk(s)}
    reads = [n for n in ast.walk(area) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in names
             and id(n) not in scanned]
    if not reads:
        return None
    scopes = [n for n in ast.walk(area) if n is not area and isinstance(
        n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))]
    own: dict[int, set[str]] = {}  # id(Name) -> the names the functions and comprehensions around it bind
    for scope in scopes:
        bound = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            bound |= {a.arg for a in ast.walk(scope.args) if isinstance(a, ast.arg)}
        for n in ast.walk(scope):
            if isinstance(n, ast.Name):
                own[id(n)] = own.get(id(n), set()) | bound
    return next((n for n in reads if n.id not in own.get(id(n), set())), None)


def _graph_leak_in_block(unit: GraphUnit, block: list[ast.stmt], source: Source) -> ast.AST | None:
    """A read, later in ``block``, of a name whose binding in force is a removed graph statement."""
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


def _shallow_walk(node: ast.AST):
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
