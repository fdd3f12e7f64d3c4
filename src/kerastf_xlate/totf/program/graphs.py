"""Functional models as graph functions.

A functional Keras model is the statements that build its graph, from its first ``Input``
to ``keras.Model(inputs, outputs)``. Those statements (the *region*) move into a nested
function that returns ``inputs, outputs``; the model statement becomes
``Model(<graph function>, ...)``. The runtime's ``Model`` runs the function once at
construction and again on every call (docs/design.md, "Programs").

A region is a run of statements of one block: it starts at the first statement, after the
previous model statement of the block, that creates an ``Input``, and ends before the model
statement. It must be movable into a function without changing what it means:

- no ``return``/``yield``/``await``/``global``/``nonlocal`` of its own, no ``break`` or
  ``continue`` of an enclosing loop, no notebook cell boundary inside;
- a name it binds is not read after the model statement (a graph tensor used elsewhere);
- a name it reads that is rebound after the model statement, or that it rebinds itself
  after reading it, is passed in as a default argument (so every run starts from the value
  the model was built with);
- the model statement is not inside a loop whose variables the region reads.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field

from kerastf_xlate.resolve import dotted
from kerastf_xlate.static import UNKNOWN, is_int, literal
from kerastf_xlate.syntax import parents as parents_of
from kerastf_xlate.syntax import statement_of as _statement_of
from kerastf_xlate.totf.program.classes import is_super_init, subclasses, super_init_calls
from kerastf_xlate.totf.program.declared import (
    Declared,
    Key,
    find_declared,
    functions_bound_once,
    parameter_names,
    scope_of,
)
from kerastf_xlate.totf.program.edits import EditList, Positions
from kerastf_xlate.totf.program.inert import inputs_origin, outside_reason
from kerastf_xlate.totf.program.names import Ref, application_builder, changed_in_place

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


@dataclass
class Graph:
    call: ast.Call  # keras.Model(inputs, outputs, ...)
    func_ref: ast.expr  # the reference to keras.Model in the call
    stmt: ast.stmt  # the model statement
    block: list[ast.stmt]
    region: list[ast.stmt]
    name: str  # graph function name
    captured: list[str]
    inputs: ast.expr
    outputs: ast.expr
    pos: Positions
    indent: str
    unit: str  # the indentation step of the file
    symbols: dict[str, Graph] = field(default_factory=dict)  # graph names of earlier models it takes
    owner: ast.AST | None = None
    input_names: list[str] | None = None  # the model's inputs, when written as names
    exports: list[str] = field(default_factory=list)  # names read after the model statement
    parts: list[CellPart] = field(default_factory=list)  # the graph's earlier notebook cells, as functions
    redeclared: list[str] = field(default_factory=list)  # declared inputs it takes, declared again first (declared.py)
    # a declared input given to a `keras.applications` builder as `input_tensor=` and written as
    # this model's inputs: (its name, the text written instead, `base.input`)
    builder_input: tuple[str, str] | None = None
    input_name: str = "Input"  # the runtime's Input, as the output spells it (set before emit)
    prefix: BranchGroup | None = None  # the graph statements before the `if` whose branch holds it
    prefix_owner: bool = False  # this graph writes the prefix's function (the group's first)
    # TensorFlow ops on Python values whose results its statements (or the file's functions they
    # call) read in Python: run eagerly, as Keras's one run of them was (`_eager_values`)
    eager_ops: list[tuple[ast.AST, str]] = field(default_factory=list)
    # names of objects made before the graph that its run changes in place (replay.py): taken as
    # `name=fresh(name)`, the object itself on the first run, a copy as it was on later ones
    fresh: list[str] = field(default_factory=list)
    fresh_name: str = "fresh"  # the runtime's fresh, as the output spells it (set before emit)
    # models held by the method's instance whose graphs it takes part of (`self.generator`):
    # (parameter, attribute) taken as `self_generator=self.generator`, which tells the runtime
    # whose graph to replay (the body reads it through `self`, the same object)
    held: list[tuple[str, str]] = field(default_factory=list)

    def _params(self) -> str:
        plain = [f"{n}={n}" for n in self.captured if n not in self.fresh]
        return ", ".join(plain + [f'{n}={self.fresh_name}({n}, "{n}")' for n in self.fresh]
                         + [f"{p}={e}" for p, e in self.held])

    def emit(self, edits: EditList) -> None:
        if self.prefix is not None and self.prefix_owner:
            _emit_prefix(self.prefix, self.pos, self.unit, edits)
        if self.parts:
            _emit_cell_parts(self, edits)
            self._emit_traced(edits)
            return
        if not self.region:
            self._emit_without_region(edits)
            return
        self._emit(edits)
        self._emit_traced(edits)

    def _redeclare(self, newline: str) -> str:
        """The graph function's first lines: each declared input it takes, declared again; the
        call of the graph statements before its `if` (a branch's model)."""
        head = "".join(f"{self.indent}{self.unit}{n} = {self.input_name}(tensor={n}){newline}" for n in self.redeclared)
        if self.prefix is not None:
            part = self.prefix.part
            returns = ", ".join(part.returns)
            head += f"{self.indent}{self.unit}{returns + ' = ' if part.returns else ''}{part.name}(){newline}"
        return head

    def _returned(self, edits: EditList) -> str:
        ins = edits.take(*self.pos.span(self.inputs))
        if self.builder_input is not None:
            ins = self.builder_input[1]
        outs = edits.take(*self.pos.span(self.outputs))
        traced = ", ".join(f'"{n}": {n}' for n in self.exports)
        return f"{ins}, {outs}" + (f", {{{traced}}}" if self.exports else "")

    def _model_call(self, edits: EditList) -> None:
        """The model call keeps its other arguments; inputs and outputs (with the edits made
        inside them) move to the graph function's return."""
        pos = self.pos
        args = list(self.call.args) + list(self.call.keywords)
        a = min(pos.span(n)[0] for n in args)
        b = max(pos.span(n)[1] for n in args)
        rest = [edits.take(*pos.span(x)) for x in self.call.args[2:]]
        rest += [edits.take(*pos.span(k)) if k.arg is None else f"{k.arg}={edits.take(*pos.span(k.value))}"
                 for k in self.call.keywords if k.arg not in ("inputs", "outputs")]
        edits.take(a, b)
        edits.replace(a, b, ", ".join([self.name] + rest))

    def _emit_traced(self, edits: EditList) -> None:
        """After the model statement, the names read later, bound from the traced run."""
        if not self.exports:
            return
        pos = self.pos
        last = self.stmt.end_lineno or self.stmt.lineno
        newline = _newline(pos.lines[last - 1])
        # a functional subclass's graph (`super().__init__(inputs, outputs)`): the model is `self`
        model = _model_target(self.stmt)
        names = ", ".join(self.exports)
        quoted = ", ".join(f'"{n}"' for n in self.exports)
        line = f"{self.indent}{names} = {model}.traced({quoted}){newline}"
        end = pos.line_start(last + 1) if last < len(pos.lines) else len(pos.text)
        if end == len(pos.text) and not pos.text.endswith(("\n", "\r")):
            line = newline + line.rstrip("\r\n")
        edits.insert(end, line)

    def _emit_without_region(self, edits: EditList) -> None:
        """A model built only from earlier models' graph names: its graph function is the
        return statement, written just before the model statement."""
        pos = self.pos
        first = self.stmt.lineno
        newline = _newline(pos.lines[first - 1])
        params = self._params()
        returned = self._returned(edits)
        self._model_call(edits)
        edits.insert(pos.line_start(first), f"{self.indent}def {self.name}({params}):{newline}"
                                            + self._redeclare(newline)
                                            + f"{self.indent}{self.unit}return {returned}{newline}{newline}")
        self._emit_traced(edits)

    def _emit(self, edits: EditList) -> None:
        pos = self.pos
        first_line = self.region[0].lineno
        first_line = min([first_line] + [d.lineno for d in getattr(self.region[0], "decorator_list", [])])
        last_line = self.region[-1].end_lineno or self.region[-1].lineno
        params = self._params()
        newline = _newline(pos.lines[first_line - 1])
        head = f"{self.indent}def {self.name}({params}):{newline}" + self._redeclare(newline)
        edits.insert(pos.line_start(first_line), head)
        for line in _indentable_lines(pos, first_line, last_line):
            edits.insert(pos.line_start(line), self.unit)
        returned = self._returned(edits)
        self._model_call(edits)
        followed_by_blank = last_line < len(pos.lines) and not pos.lines[last_line].strip()
        ret = f"{self.indent}{self.unit}return {returned}{newline}" + ("" if followed_by_blank else newline)
        end = pos.line_start(last_line + 1) if last_line < len(pos.lines) else len(pos.text)
        if end == len(pos.text) and not pos.text.endswith(("\n", "\r")):
            ret = newline + ret
        edits.insert(end, ret)


@dataclass
class Fragment:
    """Graph statements that build no model (``inputs = keras.Input(...)``, a few layer calls,
    ``print(outputs.shape)``: a notebook showing what a layer does to a shape). They move into
    ``def <name>():`` returning the names read after them, run once on symbolic tensors by the
    runtime's ``symbolic_run`` as Keras runs layers on KerasTensors; the names read later are
    bound from that run (graph tensors as symbols, read only for their shape, dtype or name)."""

    region: list[ast.stmt]
    name: str
    exports: list[str]
    pos: Positions
    indent: str
    unit: str

    def emit(self, edits: EditList) -> None:
        pos = self.pos
        first = self.region[0].lineno
        last = self.region[-1].end_lineno or self.region[-1].lineno
        newline = _newline(pos.lines[first - 1])
        edits.insert(pos.line_start(first), f"{self.indent}def {self.name}():{newline}")
        for line in _indentable_lines(pos, first, last):
            edits.insert(pos.line_start(line), self.unit)
        returned = "{" + ", ".join(f'"{n}": {n}' for n in self.exports) + "}"
        run = ", ".join([self.name] + [f'"{n}"' for n in self.exports])
        run = f"{', '.join(self.exports)} = symbolic_run({run})" if self.exports else f"symbolic_run({run})"
        text = f"{self.indent}{self.unit}return {returned}{newline}{newline}{self.indent}{run}{newline}"
        end = pos.line_start(last + 1) if last < len(pos.lines) else len(pos.text)
        if end == len(pos.text) and not pos.text.endswith(("\n", "\r")):
            text = newline + text.rstrip("\r\n")
        edits.insert(end, text)


@dataclass
class GraphPlan:
    graphs: list[Graph] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)
    blockers: list[tuple[ast.AST, str]] = field(default_factory=list)
    notes: list[tuple[ast.AST, str]] = field(default_factory=list)  # XL312: a cell's shown value moved into a part
    region_stmts: set[int] = field(default_factory=set)  # ids of statements moved into graph functions
    tensor_reads: set[int] = field(default_factory=set)  # `base.input`/`base.output` read by a model on part of base's graph
    partial_symbols: bool = False  # a model takes graph names of an earlier model without all its Inputs
    declared: Declared = field(default_factory=Declared)  # Inputs made outside the graphs built from them
    inert: bool = False  # symbolic inputs but no model: the program form does not apply


def _newline(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\r"):
        return "\r"
    return "\n"


def _indentable_lines(pos: Positions, first: int, last: int) -> list[int]:
    """Lines of [first, last] that start outside a string (a multi-line string's inner lines
    must not change) and are not blank."""
    text = "".join(pos.lines[first - 1 : last])
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
            elif tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1) and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    out = []
    for i, line in enumerate(pos.lines[first - 1 : last], start=1):
        if i in inside or not line.strip():
            continue
        out.append(first + i - 1)
    return out


def _blocks(node: ast.AST):
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for h in getattr(node, "handlers", []) or []:
        yield h.body
    for c in getattr(node, "cases", []) or []:
        yield c.body


def _own_nodes(stmts: list[ast.stmt]):
    """The nodes of ``stmts`` outside nested scopes (functions, classes, lambdas, comprehensions)."""
    stack: list[ast.AST] = []
    for s in stmts:  # a `def` or `class` statement binds its name; its body is another scope
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield s
            stack.extend(s.decorator_list)
            stack.extend(s.bases + [k.value for k in s.keywords] if isinstance(s, ast.ClassDef)
                         else s.args.defaults + [d for d in s.args.kw_defaults if d is not None])
        else:
            stack.append(s)
    while stack:
        n = stack.pop()
        yield n
        for c in ast.iter_child_nodes(n):
            if isinstance(c, _SCOPES):
                if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    yield c  # its name is bound here; decorators, defaults and bases are evaluated here
                    stack.extend(getattr(c, "decorator_list", []))
                    if isinstance(c, ast.ClassDef):
                        stack.extend(c.bases)
                    else:
                        stack.extend(c.args.defaults + [d for d in c.args.kw_defaults if d is not None])
                else:
                    yield from _free_loads(c)
                continue
            stack.append(c)


def _free_loads(node: ast.AST):
    """Name loads inside a nested scope (a conservative view of what it reads from outside)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            yield n


def _bound(stmts: list[ast.stmt]) -> set[str]:
    """The names ``stmts`` bind in their own scope (not in nested functions, classes,
    lambdas or comprehensions): assignments, loops, ``with ... as``, definitions, imports."""
    out: set[str] = set()
    for n in _own_nodes(stmts):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
    return out


bound_names = _bound  # (replay.py reads the same scope)


def _read(nodes: Sequence[ast.AST]) -> set[str]:
    out: set[str] = set()
    for top in nodes:
        for n in ast.walk(top):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                out.add(n.id)
    return out


def _loads_before_rebinding(stmts: list[ast.stmt]) -> set[str]:
    """Names the statements (run in order, once) may read while they still hold their earlier
    value: a plain assignment reads its value before binding its targets; any other statement
    reads every name it loads and is not counted as binding (it may not run)."""
    rebound: set[str] = set()
    out: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            out |= _free_reads(ast.Expr(stmt.value)) - rebound
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                out |= _read([ast.Expr(t)]) - rebound  # subscripts and attributes stored into
            rebound |= _surely_binds(stmt) if isinstance(stmt, ast.Assign) else {
                t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            bound = {n.id for item in stmt.items if item.optional_vars is not None
                     for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)}
            out |= (set().union(*[_free_reads(ast.Expr(item.context_expr)) for item in stmt.items])
                    | (_loads_before_rebinding(stmt.body) - bound)) - rebound
            if not any("suppress" in ast.unparse(item.context_expr) for item in stmt.items):
                rebound |= bound | _with_binds(stmt.body)  # the body runs once, in order
        elif isinstance(stmt, ast.Try):
            out |= (_loads_before_rebinding(stmt.body) | _loads_before_rebinding(stmt.orelse)
                    | _loads_before_rebinding(stmt.finalbody)
                    | set().union(*[_free_reads(h) for h in stmt.handlers])) - rebound
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            # the body, in order, on each pass: a name it binds before reading is not read
            # from outside (it may not run, so nothing counts as rebound after it)
            loop_targets = {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
            out |= (_free_reads(ast.Expr(stmt.iter)) | (_loads_before_rebinding(stmt.body) - loop_targets)
                    | _loads_before_rebinding(stmt.orelse)) - rebound
        elif isinstance(stmt, (ast.If, ast.While)):
            out |= (_free_reads(ast.Expr(stmt.test)) | _loads_before_rebinding(stmt.body)
                    | _loads_before_rebinding(stmt.orelse)) - rebound
        elif isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # binds its names (`from google.colab import output` before `output.serve...`)
            out |= _free_reads(stmt) - rebound
            rebound |= _bound([stmt])
        else:
            out |= _free_reads(stmt) - rebound
    return out


def _with_binds(stmts: list[ast.stmt]) -> set[str]:
    """Names a ``with`` body always binds: its plain assignments, and those of ``with``
    bodies nested in it."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            out |= _surely_binds(s)
        elif isinstance(s, (ast.With, ast.AsyncWith)) and not any("suppress" in ast.unparse(i.context_expr) for i in s.items):
            out |= _with_binds(s.body)
    return out


def _free_reads(node: ast.AST) -> set[str]:
    """Names ``node`` reads from the enclosing scope: inside a function, a name it assigns
    (or takes as a parameter) is its own local."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        local = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = node.body if isinstance(node.body, list) else [node.body]
        inner: set[str] = set()
        todo: list[ast.AST] = list(body)
        while todo:
            n = todo.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                inner |= _free_reads(n)
                if not isinstance(n, ast.Lambda):
                    local.add(n.name)
                continue
            if isinstance(n, ast.Name):
                (local.add if isinstance(n.ctx, ast.Store) else inner.add)(n.id)
            todo.extend(ast.iter_child_nodes(n))
        defaults = [d for d in args.defaults + args.kw_defaults if d is not None]
        return (inner - local) | _read(defaults) | (_read(node.decorator_list) if not isinstance(node, ast.Lambda) else set())
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        # the comprehension's own variables are its locals (the first iterable is read outside)
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        inner = set()
        for child in ast.iter_child_nodes(node):
            inner |= _free_reads(child) if not isinstance(child, ast.Name) else ({child.id} if isinstance(child.ctx, ast.Load) else set())
        return (inner - targets) | _free_reads(ast.Expr(node.generators[0].iter))
    if isinstance(node, ast.comprehension):
        out = _free_reads(ast.Expr(node.iter))
        for cond in node.ifs:
            out |= _free_reads(ast.Expr(cond))
        return out
    if isinstance(node, ast.ClassDef):
        out = _read(node.bases) | _read(node.decorator_list) | _read([k.value for k in node.keywords])
        for n in node.body:
            out |= _free_reads(n)
        return out
    out = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            out.add(child.id)
        else:
            out |= _free_reads(child)
    return out


def _read_before_write(stmts: list[ast.stmt]) -> set[str]:
    """Names the statements bind and may read before they surely bound them: a load counts
    unless an earlier statement of the run, at its top level (not under an ``if``, a loop, a
    ``try`` or a ``with``), bound the name. ``x = f(x)`` reads ``x`` first; a name bound only
    under a condition may still be unbound when it is read. (Inside the graph function such
    a name is local throughout, so it must start from the outer value: a default argument.)"""
    binds = _bound(stmts)
    surely: set[str] = set()
    out: set[str] = set()
    for s in stmts:
        out |= {n.id for n in _own_nodes([s]) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - surely
        for n in _own_nodes([s]):  # augmented assignments read before they write
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id not in surely:
                out.add(n.target.id)
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                          ast.ClassDef)) or (isinstance(s, ast.AnnAssign) and s.value is not None):
            surely |= _bound([s])
    return out & binds


def _read_first(stmts: list[ast.stmt]) -> set[str]:
    """:func:`_read_before_write` without the names a loop (or other block) always binds
    before reading them on each pass (``for size in sizes: residual = x; ...
    layers.Conv2D(...)(residual)``): only names some run may read while they still hold the
    value from before the statements (:func:`_loads_before_rebinding`, augmented assignments
    included)."""
    aug = {n.target.id for n in _own_nodes(stmts) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    return _read_before_write(stmts) & (_loads_before_rebinding(stmts) | aug)


def _escapes(stmts: list[ast.stmt]) -> ast.AST | None:
    """A statement that cannot move into a new function: return/yield/await, global or
    nonlocal, a break/continue of a loop outside."""
    def walk(node: ast.AST, in_loop: bool) -> ast.AST | None:
        for c in ast.iter_child_nodes(node):
            if isinstance(c, _SCOPES):
                continue
            if isinstance(c, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)):
                return c
            if isinstance(c, (ast.Break, ast.Continue)) and not in_loop:
                return c
            found = walk(c, in_loop or isinstance(c, (ast.For, ast.AsyncFor, ast.While)))
            if found is not None:
                return found
        return None

    for s in stmts:
        if isinstance(s, _SCOPES):
            continue
        if isinstance(s, (ast.Return, ast.Global, ast.Nonlocal)):
            return s
        if isinstance(s, (ast.Break, ast.Continue)):
            return s
        found = walk(s, isinstance(s, (ast.For, ast.AsyncFor, ast.While)))
        if found is not None:
            return found
    return None


def _is_sentinel(stmt: ast.stmt) -> bool:
    """``__xlate_cell__(N)``: a notebook cell boundary (kerastf_xlate.sources.join_cells)."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id == "__xlate_cell__")


def _graph_args(call: ast.Call) -> tuple[ast.expr, ast.expr] | None:
    ins = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "inputs"), None)
    outs = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "outputs"), None)
    if ins is None or outs is None:
        return None
    return ins, outs


def _functional_subclass_calls(tree: ast.Module, refs: list[Ref]) -> list[Ref]:
    """``CustomModel(inputs, outputs)`` where ``CustomModel`` is a ``keras.Model`` subclass of
    the file that keeps Keras's constructor and forward pass (no ``__init__``, ``call`` or
    ``build`` of its own or of a base class of the file): a functional model, as
    ``keras.Model(inputs, outputs)`` is, whose class adds methods (``train_step``, ...). The
    runtime ``Model`` takes its graph function the same way."""
    model_bases = {id(r.node) for r in refs if r.role == "base" and r.name == "keras.Model"}
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}

    def functional(name: str, seen: frozenset[str] = frozenset()) -> bool:
        c = classes.get(name)
        if c is None or name in seen or any(isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                                            and f.name in ("__init__", "call", "build") for f in c.body):
            return False
        return any(id(b) in model_bases or (isinstance(b, ast.Name) and functional(b.id, seen | {name})) for b in c.bases)

    names = {n for n in classes if functional(n)}
    rebound = {t.id for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))
               for t in ast.walk(n) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
    return [Ref(n.func, "keras.Model", "keras.Model", n, "call") for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names - rebound
            and _graph_args(n) is not None]


_INPUTS = ("keras.Input", "keras.layers.InputLayer")
# a model's or layer's graph tensors in Keras (`model.input`, `model.get_layer(name).output`)
_TENSOR_ATTRS = frozenset({"input", "inputs", "output", "outputs"})


def _input_functions(tree: ast.Module, refs: list[Ref], parents: dict[int, ast.AST],
                     sequential_calls: set[int]) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions of the file that make graph ``Input``s when called (``def create_model_inputs():``
    filling a dict of ``keras.Input(...)``), directly or through another such function: a
    statement calling one starts a graph as an ``Input`` statement does. Only names bound
    once in the file, by that ``def``, count."""
    funcs = functions_bound_once(tree)
    input_calls = {id(r.call) for r in refs if r.name in _INPUTS and r.call is not None
                   and not _in_sequential_list(r.call, parents, sequential_calls)}
    # a builder making a whole model (its Inputs and a `keras.Model(...)`) is not one
    models = {id(r.call) for r in refs if r.name == "keras.Model" and r.call is not None}
    funcs = {name: f for name, f in funcs.items() if not any(id(n) in models for n in _run_nodes(f.body))}
    made = {name for name, f in funcs.items() if any(id(n) in input_calls for n in _run_nodes(f.body))}
    changed = True
    while changed:
        changed = False
        for name, f in funcs.items():
            if name not in made and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in made
                                        for n in _run_nodes(f.body)):
                made.add(name)
                changed = True
    return {name: funcs[name] for name in made}


def _run_nodes(stmts: list[ast.stmt]):
    """The nodes that run when ``stmts`` run: comprehensions included, not the bodies of the
    functions, lambdas and classes they define."""
    stack: list[ast.AST] = list(stmts)
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(n))


def plan_graphs(tree: ast.Module, refs: list[Ref], pos: Positions) -> GraphPlan:
    parents = parents_of(tree)
    sequential_calls = {id(r.call) for r in refs if r.name == "keras.Sequential" and r.call is not None}
    functions = _input_functions(tree, refs, parents, sequential_calls)
    plan = _plan_graphs(tree, refs, pos, parents, sequential_calls, functions)
    plan.blockers += _unfollowed_tensor_reads(plan, parents)
    exempt = _exempt_input_functions(tree, parents, functions, plan)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))} | {
        g.name for g in plan.graphs}
    # a symbolic input no graph function takes (`model(keras.Input(shape))` to build a
    # subclass, a functional subclass with its own `call`): the runtime's Input is only
    # meaningful inside a graph function
    for r in refs:
        if r.name not in ("keras.Input", "keras.layers.InputLayer") or r.call is None:
            continue
        kinds = [k.arg for k in r.call.keywords if k.arg in ("sparse", "ragged")
                 and not (isinstance(k.value, ast.Constant) and k.value.value in (False, None))]
        if kinds:  # the runtime's Input takes dense tensors only
            plan.blockers.append((r.call, f"`{ast.unparse(r.call)[:40]}`: {kinds[0]} inputs are not translated"))
            continue
        if _in_sequential_list(r.call, parents, sequential_calls):
            continue  # the declared input of a Sequential
        if r.name == "keras.layers.InputLayer" and _first_of_layer_list(r.call, parents):
            continue  # a Sequential's declared input in a list of its layers made before it
        holder = parents.get(id(r.call))
        if isinstance(holder, ast.Call) and isinstance(holder.func, ast.Attribute) and holder.func.attr == "add" \
                and holder.args and holder.args[0] is r.call:
            continue  # `model.add(keras.Input(...))`: a Sequential's declared input
        if _inside(r.call, parents, plan.region_stmts, exempt):
            continue
        if id(_statement_of(r.call, parents)) in plan.declared.stmts:
            continue  # a declared input: each graph built from it declares it again
        if not any(m.name in ("keras.Model", "keras.Sequential") for m in refs) and not subclasses(tree, refs):
            plan.inert = True  # no model in the file: nothing for the program form to do
        elif not _fragment(r.call, tree, refs, pos, parents, plan, taken):
            why = outside_reason(r.call, tree, refs, frozenset(id(g.stmt) for g in plan.graphs))
            kept_why = plan.declared.kept_inputs.get(id(_statement_of(r.call, parents)))
            if kept_why is not None and why.endswith("outside any model graph the translator follows"):
                # an Input made outside the graphs built from it (declared.py), used for something else
                why = why.replace("outside any model graph the translator follows",
                                  f"made outside the graphs built from it, and {kept_why}")
            plan.blockers.append((r.call, why))
    return plan


def _unfollowed_tensor_reads(plan: GraphPlan, parents: dict[int, ast.AST]) -> list[tuple[ast.AST, str]]:
    """A graph function reading a layer's or model's graph tensor (`model.layers[3].output`,
    `base.get_layer("mix").output`) that the plan does not follow as a model on part of
    another model's graph: in the runtime that attribute gives the first call's shapes, not
    a tensor of this run, so the model would fail or compute something else. Its `shape`,
    `dtype` and `name` are what they say."""
    out: list[tuple[ast.AST, str]] = []
    for graph in plan.graphs:
        for top in [*graph.region, graph.inputs, graph.outputs]:
            if top is None:
                continue
            for n in ast.walk(top):
                if not (isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS and isinstance(n.ctx, ast.Load)) \
                        or id(n) in plan.tensor_reads:
                    continue
                holder = parents.get(id(n))
                if isinstance(holder, ast.Attribute) and holder.attr in ("shape", "dtype", "name"):
                    continue
                out.append((n, f"model kept as Keras: its graph reads `{ast.unparse(n)[:50]}`, a graph tensor of a layer or "
                               "model the translator does not follow there (only a model's inputs and outputs written in "
                               "`keras.Model(...)` are)"))
                break
    return out


def _fragment(call: ast.Call, tree: ast.Module, refs: list[Ref], pos: Positions, parents: dict[int, ast.AST],
              plan: GraphPlan, taken: set[str]) -> bool:
    """Plan the model-less graph fragment that starts with the ``Input`` of ``call``: its
    statement and the following statements of its block that read a name the fragment binds
    or make an ``Input`` too, up to a model statement or a graph region. It is kept Keras
    (False) unless it can move into a function unchanged: a module or function body, nothing
    read before it is written, no escape, no notebook cell boundary, and every name read
    after it is surely bound by it and read only for its shape, dtype or name."""
    stmt = _statement_of(call, parents)
    owner = parents.get(id(stmt)) if stmt is not None else None
    if stmt is None or not isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) \
            or stmt not in owner.body or _is_sentinel(stmt):
        return False
    block = owner.body
    model_lines = {id(_statement_of(r.call, parents)) for r in refs if r.call is not None
                   and r.name in ("keras.Model", "keras.Sequential")}
    # a Model subclass of the file built on graph tensors (`Sub(inputs, outputs)`) is a model statement too
    model_bases = {id(r.node) for r in refs if r.role == "base" and r.name == "keras.Model"}
    classes = [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]
    subclasses = {c.name for c in classes if any(id(b) in model_bases for b in c.bases)}
    for _ in range(len(classes)):
        subclasses |= {c.name for c in classes if any(isinstance(b, ast.Name) and b.id in subclasses for b in c.bases)}
    model_lines |= {id(_statement_of(n, parents)) for n in ast.walk(tree) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Name) and n.func.id in subclasses and _graph_args(n) is not None}
    input_calls = {id(r.call) for r in refs if r.name in _INPUTS and r.call is not None}

    def stops(s: ast.stmt) -> bool:
        return id(s) in plan.region_stmts or id(s) in model_lines or _is_sentinel(s) or \
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))

    index = block.index(stmt)
    if stops(stmt):
        return False
    region = [stmt]
    for s in block[index + 1:]:
        # another Input joins the fragment unless it starts a new one (rebinding its names)
        makes_input = any(id(n) in input_calls for n in _run_nodes([s])) and not _writes(s) & _bound(region)
        if stops(s) or not (makes_input or _free_reads(s) & _bound(region)) or makes_input is False and any(
                id(n) in input_calls for n in _run_nodes([s])):
            break
        region.append(s)
    if _read_first(region) or _escapes(region) is not None:
        return False
    if _builds_on(region, [g.stmt for g in plan.graphs], input_calls, parents):
        return False
    # a later graph function taking a name it binds as a default argument (`def model_graph(x=x):`)
    # reads it where the model is defined: the name must stay bound there
    binds = _bound(region)
    if any(set(g.captured) & binds for g in plan.graphs if g.stmt.lineno > region[-1].lineno):
        return False
    later = block[block.index(region[-1]) + 1:]
    names = sorted(_bound(region) & _loads_before_rebinding(later))
    surely: set[str] = set()
    for s in region:
        surely |= _surely_binds(s)
    for n in names:
        if n not in surely:
            return False
        for s in later:
            if n in _loads_before_rebinding([s]) and _unsafe_load(s, n) is not None:
                return False
            if n in _surely_binds(s):
                break
    name, k = "graph_fragment", 1
    while name in taken:
        name, k = f"graph_fragment_{k}", k + 1
    taken.add(name)
    line = pos.lines[stmt.lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    plan.fragments.append(Fragment(region, name, names, pos, indent, _indent_unit(pos, indent)))
    plan.region_stmts.update(id(s) for s in region)
    return True


def _builds_on(region: list[ast.stmt], graph_stmts: list[ast.stmt], input_calls: set[int],
               parents: dict[int, ast.AST]) -> bool:
    """A statement of the fragment calls a function of the file that holds a translated model
    statement (``graph_stmts``), giving it the fragment's tensors (`model =
    small_net(input_tensor=keras.Input((6,)))`, a keras.applications-style builder): the model
    would be built on a fragment's symbol, which no graph function takes (the runtime raises
    where Keras runs). A shape, dtype or name of them is a Python value, which a builder may
    take."""
    builders: set[str] = set()  # the functions enclosing a translated model statement
    for stmt in graph_stmts:
        node = parents.get(id(stmt))
        while node is not None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                builders.add(node.name)
            node = parents.get(id(node))
    bound: set[str] = set()
    for s in region:
        for call in _run_nodes([s]):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in builders):
                continue
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                for n in ast.walk(arg):
                    if id(n) in input_calls:
                        return True
                    holder = parents.get(id(n))
                    if isinstance(n, ast.Name) and n.id in bound and not (
                            isinstance(holder, ast.Attribute) and holder.attr in ("shape", "dtype", "name")):
                        return True
        bound |= _bound([s])
    return False


def _inside(node: ast.AST, parents: dict[int, ast.AST], region_stmts: set[int], exempt: set[int]) -> bool:
    """``node`` runs inside a graph function: its statement, or one enclosing it, is in a
    region, or it is in an input-making function (``exempt``: ids of those ``def``s) every
    call of which runs inside one."""
    s = _statement_of(node, parents)
    while s is not None:
        if id(s) in region_stmts or id(s) in exempt:
            return True
        up = parents.get(id(s))
        s = _statement_of(up, parents) if up is not None else None
    return False


def _exempt_input_functions(tree: ast.Module, parents: dict[int, ast.AST],
                            functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef], plan: GraphPlan) -> set[int]:
    """The input-making functions every use of which is a call inside a graph function (or
    inside another such function): their ``Input``s are the graph's."""
    uses: dict[str, list[ast.Name]] = {name: [] for name in functions}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in uses:
            uses[n.id].append(n)
    exempt: set[int] = set()
    changed = True
    while changed:
        changed = False
        for name, f in functions.items():
            if id(f) in exempt or not uses[name]:
                continue
            if all(isinstance(parents.get(id(u)), ast.Call) and parents[id(u)].func is u  # type: ignore[attr-defined]
                   and _inside(u, parents, plan.region_stmts, exempt) for u in uses[name]):
                exempt.add(id(f))
                changed = True
    return exempt


def _first_of_layer_list(call: ast.Call, parents: dict[int, ast.AST]) -> bool:
    """``encoder = [keras.layers.InputLayer(input_shape=dims), layers.Conv2D(...), ...]``: an
    InputLayer heading a list display of layers, made before the ``Sequential`` it is given to
    (a generative-models collection passes such lists to a subclass that makes
    ``tf.keras.Sequential(self.enc)``). An InputLayer means nothing but a model's declared input
    (Keras 3's cannot be called on tensors): outside a graph function the runtime's is a declared
    input, which its ``Sequential`` takes as Keras's does, first in its list or by ``add``."""
    holder = parents.get(id(call))
    return isinstance(holder, ast.List) and bool(holder.elts) and holder.elts[0] is call


def _in_sequential_list(call: ast.Call, parents: dict[int, ast.AST], sequential_calls: set[int]) -> bool:
    """``keras.Sequential([keras.Input(...), ...])``: the declared input of a Sequential."""
    holder = parents.get(id(call))
    return isinstance(holder, (ast.List, ast.Tuple)) and id(parents.get(id(holder))) in sequential_calls


def _plan_graphs(tree: ast.Module, refs: list[Ref], pos: Positions, parents: dict[int, ast.AST],
                 sequential_calls: set[int], functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> GraphPlan:
    """Plan every functional model; a model whose graph names are used after it in a way the
    translation cannot show equal is refused, and the planning runs again without it (the
    models taking its symbols then have none)."""
    refused: dict[int, tuple[ast.AST, str]] = {}
    reasons: dict[int, tuple[ast.AST, str]] = {}  # why a model could not take an earlier model's symbols
    excluded: dict[Key, ast.AST] = {}  # declared inputs read where no graph function declares them again
    declared = find_declared(tree, refs, parents, _graph_args)
    while True:
        plan, bad = _plan_graphs_once(tree, refs, pos, parents, sequential_calls, functions, refused, reasons, declared)
        if not bad:
            misplaced = _misplaced_declared(plan, declared, parents)
            if misplaced:
                excluded.update(misplaced)
                declared = find_declared(tree, refs, parents, _graph_args, excluded)
                continue
            plan.declared = declared
            # a model that had symbols before their model was refused keeps the first reason
            plan.blockers = [reasons.get(id(_statement_of(n, parents)), (n, m)) if "not `Input`s created" in m else (n, m)
                             for n, m in plan.blockers]
            plan.blockers += [why for why in reasons.values() if why not in plan.blockers]
            return plan
        refused.update(bad)


def _plan_graphs_once(tree: ast.Module, refs: list[Ref], pos: Positions, parents: dict[int, ast.AST],
                      sequential_calls: set[int], functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
                      refused: dict[int, tuple[ast.AST, str]], reasons: dict[int, tuple[ast.AST, str]],
                      declared: Declared) -> tuple[GraphPlan, dict[int, tuple[ast.AST, str]]]:
    plan = GraphPlan()
    # `keras.backend.int_shape(x)` calls: a static shape, a Python value (see _is_static_value)
    statics = frozenset(id(r.call) for r in refs if r.name == "keras.backend.int_shape" and r.role == "call"
                        and r.call is not None)
    input_stmts: set[int] = set()  # statements that make an Input when they run
    starts: list[ast.AST] = [r.call for r in refs if r.name in _INPUTS and r.call is not None
                             and not _in_sequential_list(r.call, parents, sequential_calls)]
    starts += [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
               and n.func.id in functions]
    for node in starts:
        s = _statement_of(node, parents)
        if s is not None and id(s) in declared.stmts:
            continue  # a declared input (declared.py): made outside the graphs built from it
        while s is not None and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # a `def` holding an Input makes none where it stands (a call of it does)
            input_stmts.add(id(s))
            s = _statement_of(parents.get(id(s)), parents) if parents.get(id(s)) is not None else None
    model_calls = [r for r in refs if r.name == "keras.Model" and r.role == "call" and r.call is not None
                   and _graph_args(r.call) is not None]
    model_calls += _functional_subclass_calls(tree, refs)
    model_calls += super_init_calls(tree, refs)
    model_calls.sort(key=lambda r: (r.call.lineno, r.call.col_offset))  # type: ignore[union-attr]
    if not model_calls:
        return plan, {}
    block_of: dict[int, tuple[list[ast.stmt], ast.AST]] = {}
    for node in ast.walk(tree):
        for block in _blocks(node):
            for s in block:
                block_of[id(s)] = (block, node)
    # a model on part of a model its function is given (a parameter) or reads from the module:
    # its block's models are planned last (in their order), as its source is judged at the
    # function's call sites, among every translated model of the file
    block_ids = {id(r): id(block_of.get(id(_statement_of(r.call, parents)), (None, tree))[0])
                 for r in model_calls}
    late = {block_ids[id(r)] for r in model_calls if _given_source(r.call, parents)}  # type: ignore[arg-type]
    model_calls.sort(key=lambda r: block_ids[id(r)] in late)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    keras_lines = {r.node.lineno for r in refs}
    defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    model_stmt_ids = set()
    for r in model_calls:
        s = _statement_of(r.call, parents)
        if s is not None:
            model_stmt_ids.add(id(s))
    leaks: list[tuple[Graph, list[str], list[ast.stmt], ast.AST]] = []  # (graph, leaked names, later, owner)
    model_stmts = {id(_statement_of(r.call, parents)): r.call for r in model_calls if r.call is not None}
    groups: dict[int, BranchGroup | tuple[ast.AST, str]] = {}  # id(if) -> its branches' shared graph, or why not
    for r in model_calls:
        call = r.call
        assert call is not None
        stmt = _statement_of(call, parents)
        if stmt is None or id(stmt) not in block_of:
            plan.blockers.append((call, "a functional model built outside a statement block"))
            continue
        if id(stmt) in refused:
            plan.blockers.append(refused[id(stmt)])
            continue
        block, owner = block_of[id(stmt)]
        index = block.index(stmt)
        ins, outs = _graph_args(call)  # type: ignore[misc]
        lo = index
        while lo > 0 and id(block[lo - 1]) not in model_stmt_ids:
            lo -= 1
        used = _graph_slice(block, lo, index, _read([ins, outs]))
        candidates = [i for i in used if id(block[i]) in input_stmts]
        # the graph names of earlier models of this block it reads (their symbols)
        symbols = _symbols_read(block, lo, index, used, ins, outs, plan.graphs, statics)
        source = None
        builder_input = None
        # inputs named from another model's (`gen_noise, gen_label = g_model.input`): read as those tensors
        sub_ins = _named_submodel_inputs(ins, block, lo, index) if not candidates and not symbols else ins
        if not candidates and not symbols and _submodel_sources(sub_ins) is None:
            builder_input = _builder_input(ins, outs, stmt, block, index, used, declared, parents)
        if not candidates and not symbols and (_submodel_sources(sub_ins) is not None or builder_input is not None):
            # a model on part of another model's graph (`keras.Model(base.input, ...)`)
            found = _plan_submodel(block, lo, index, used, sub_ins if builder_input is None else builder_input[0], outs,
                                   stmt, plan.graphs, refs, tree, parents, declared.builder_calls)
            if len(found) == 2:
                plan.blockers.append((found[1], found[0]))
                continue
            source, sub_start, reads = found
        redeclared: list[str] = []
        if not candidates and not symbols and source is None:
            # the model's inputs are declared inputs of its scope: its graph declares them again
            names = _simple_names(ins)
            scope = scope_of(stmt, parents)
            if names and scope is not None and set(names) <= declared.of(scope):
                redeclared = list(dict.fromkeys(names))
        group: BranchGroup | None = None
        top = _top_if(owner, block_of) if not candidates and not symbols and source is None and not redeclared \
            and builder_input is None else None
        if top is not None:
            # a model built in a branch of an `if` on graph statements before it (docs/design.md)
            if id(top) not in groups:
                scope_owner = block_of.get(id(top), (None, None))[1]
                base_name = f"{scope_owner.name}_graph" if isinstance(scope_owner, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    else "model_graph"
                groups[id(top)] = _branch_group(top, block_of, model_stmts, model_stmt_ids, input_stmts, pos, base_name,
                                                taken, tree)
            found_group = groups[id(top)]
            if isinstance(found_group, BranchGroup) and id(stmt) in found_group.members:
                kept_member = next((m for m in found_group.members if m in refused), None)
                if kept_member is not None:
                    plan.blockers.append((call, "the graph statements before the `if` are shared with a model of "
                                                f"another branch, kept as Keras ({refused[kept_member][1][:80]})"))
                    continue
                group = found_group
            elif isinstance(found_group, tuple):
                plan.blockers.append(found_group)
                continue
        if not candidates and not symbols and source is None and not redeclared and group is None:
            reason = f"the model's inputs `{ast.unparse(ins)[:40]}` are not `Input`s made before it"
            layer_reason = _layer_inputs_reason(ins)
            if layer_reason is not None:
                reason = layer_reason
            elif any(isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS for n in ast.walk(ins)):
                # Keras takes the sub-graph between those tensors, sharing the layers; the runtime
                # replays named models' graph functions as far as they need
                reason += (": they are another model's tensors, and a model on part of other models' graphs is "
                           "translated only on models named by a name or held by a method's instance (`base.input`, "
                           "`self.base.get_layer(...).output`): one model's tensors or several models' `Input`s, not "
                           "a model held by another object (`vae.encoder.input`)")
            else:
                reason += inputs_origin(ins, block[lo:index], owner, tree) or _inputs_origin(ins, block, index, owner,
                                                                                            input_stmts)
                why_not = declared.reason(scope_of(stmt, parents), _simple_names(ins))
                if why_not is not None:
                    reason += f" here: {why_not}"
            plan.blockers.append((call, reason))
            continue
        start = min(used) if symbols and used else (min(candidates) if candidates else index)
        if source is not None:
            start = sub_start
        if redeclared:
            start = _redeclared_start(block, lo, index, used, set(redeclared), declared)
        if group is not None:
            start = group.members[id(stmt)]
        while start > lo and start - 1 in used and _empty_container(block[start - 1], block[start:index]):
            start -= 1  # `inputs = {}` filled with Inputs by the graph: the graph's own, given back as symbols
        stray = [block[i] for i in range(start, index) if id(block[i]) in input_stmts and i not in used]
        if stray:
            plan.blockers.append((stray[0], f"`{ast.unparse(stray[0])[:40]}` makes an `Input` inside the model's graph "
                                            "that the model does not take"))
            continue
        region = block[start:index]
        region = _trim(region, _read([ins, outs]), keras_lines) if region else region
        spans_cells = isinstance(owner, ast.Module) and not symbols and not redeclared and any(_is_sentinel(s) for s in region)
        eager_ops: list[tuple[ast.AST, str]] = []
        why = _check_region([s for s in region if not _is_sentinel(s)] if spans_cells else region, stmt, block, index,
                            owner, tree, eager_ops)
        if why is None and spans_cells:
            # an earlier cell's statements around its graph statements that only define or import
            # (a callback class, a helper, a constant) stay where they are, outside the parts
            aside = _aside_in_cells(region, {id(block[i]) for i in used})
            region = [s for s in region if id(s) not in aside]
        if why is None:
            why = _constant_layer_call([*region, stmt], tree, refs, frozenset(redeclared))
        partial = False
        if why is None and symbols:
            why, partial = _symbols_blocker(symbols, ins, stmt, defined, region)
            if why is not None:
                reasons.setdefault(id(stmt), why)
        if why is None and symbols:
            # the graph also reads tensors of the earlier model's layers (`model.layers[4].output`)
            found_reads = _symbol_model_reads(symbols, block, index, region, ins, outs, defined)
            if isinstance(found_reads, tuple):
                source, reads = found_reads
        if why is not None:
            plan.blockers.append(why)
            continue
        # `encoder = Model(...)` and `self.encoder = Model(...)`: `encoder_graph`
        held_by = _model_target(stmt)
        target = held_by.split(".")[-1] if held_by is not None and held_by != "self" else None
        base = f"{target}_graph" if target else (f"{owner.name}_graph" if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)) else "model_graph")
        if is_super_init(call):
            base = "graph"  # `def graph():` in a functional subclass's `__init__`
        name = base
        k = 1
        while name in taken:
            name = f"{base}_{k}"
            k += 1
        taken.add(name)
        later = _later_statements(stmt, block, index, owner, tree, parents, block_of)
        # what the graph function reads from outside (a nested helper's locals are its own),
        # its returned inputs and outputs included
        region_reads = set().union(*(_free_reads(s) for s in region)) | _free_reads(ast.Expr(ins)) | _free_reads(ast.Expr(outs))
        region_binds = _bound(region)
        # the targets of the loops around the model statement are rebound by their next turn, and
        # the model statement's own target by the statement (`model = Model(...)` on a graph that
        # calls the Sequential bound to `model` before: each call runs the graph again)
        rebound_later = _bound(later) | _loop_targets(stmt, owner, block_of) | _bound([stmt])
        captured = sorted((region_reads - region_binds) & rebound_later | (_read_first(region) & _bound_before(block, start, owner, block_of))
                          | set(symbols) | _source_names(source) | set(redeclared))
        if group is not None:  # the names of the graph before the `if` come from its part, called first
            captured = [c for c in captured if c not in group.part.returns]
        # a straight-line scope (module or function body): a name the later statements rebind
        # before reading (`x = layers.Dense(6)(latent)` in a second builder) does not leak
        # (the model statement's own target is the model there: `model = keras.Model(inputs, outputs)`
        # after a backbone bound to `model` in the graph)
        scope = _straight_owner(owner, block_of)
        export_later = later
        if isinstance(owner, ast.For) and not owner.orelse and id(owner) in block_of \
                and isinstance(_straight_owner(block_of[id(owner)][1], block_of), (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            # a `for` body in a straight scope: after the model statement come the rest of the body
            # and the next turn (in order), or the code after the loop; the graph's names read
            # after the loop would be the last turn's, which is not followed
            outer_block, outer_owner = block_of[id(owner)]
            after = _later_statements(owner, outer_block, outer_block.index(owner), outer_owner, tree, parents, block_of)
            rest = block[index + 1 :]
            read_after = _loads_before_rebinding(after) - _surely_binds(stmt)
            if region_binds & read_after:
                plan.blockers.append((stmt, f"`{sorted(region_binds & read_after)[0]}`, made while building a model in a "
                                            "loop, is read after the loop"))
                continue
            export_later = rest + list(owner.body)
            read_later = _loads_before_rebinding(export_later) - _surely_binds(stmt)
            scope = _straight_owner(outer_owner, block_of)
        elif isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            read_later = _loads_before_rebinding(later) - _surely_binds(stmt)
        else:
            read_later = _read(later)
        leak = region_binds & (read_later | _read([stmt]))
        if group is not None:
            leak |= set(group.exported)  # the graph before the `if`, read after it: exported by each branch's model
        inputs_outputs = _read([ins, outs])
        leak_names = sorted(n for n in leak if not (n in inputs_outputs and n not in read_later and n not in _read_outside_args(stmt, call, ins, outs)))
        parts: list[CellPart] = []
        if spans_cells:
            used_ids = {id(block[i]) for i in used}
            parts_or_why = _cell_parts(region, used_ids, stmt, later, rebound_later, name, taken)
            if not isinstance(parts_or_why, list):
                plan.blockers.append(parts_or_why)
                continue
            parts = parts_or_why
            for part in parts:
                shown = part.stmts[-1]
                if id(shown) not in used_ids:  # the cell's last statement only showed a value
                    plan.notes.append((shown, f"`{ast.unparse(shown)[:40]}`, the value the cell shows, is not shown: "
                                              f"the cell's graph statements run in `{part.name}` when the model is "
                                              "built (Keras showed a value of its symbolic graph there)"))
        stmt_line = pos.lines[stmt.lineno - 1]
        line = pos.lines[region[0].lineno - 1] if region else stmt_line
        indent = line[: len(line) - len(line.lstrip())]
        graph = Graph(call, call.func, stmt, block, region, name, captured, ins, outs, pos, indent,
                      _indent_unit(pos, indent))
        graph.parts = parts
        graph.symbols = symbols
        graph.eager_ops = eager_ops
        graph.owner = owner
        graph.input_names = _simple_names(ins)
        graph.redeclared = redeclared
        if builder_input is not None:
            graph.builder_input = (builder_input[2], builder_input[1])
        for held in sorted(n for n in ([source] if isinstance(source, str) else source or []) if "." in n):
            param = held.replace(".", "_")
            while param in taken:
                param += "_"
            taken.add(param)
            graph.held.append((param, held))
        if group is not None:
            graph.prefix, graph.prefix_owner = group, not group.planned
            group.planned.append(id(stmt))
            plan.region_stmts.update(id(x) for x in group.part.stmts)
        plan.partial_symbols |= partial
        plan.graphs.append(graph)
        plan.region_stmts.update(id(s) for s in region)
        if source is not None:
            plan.tensor_reads |= reads
        if leak_names:
            leaks.append((graph, leak_names, export_later, _straight_owner(scope, block_of, branches=True)))
    bad: dict[int, tuple[ast.AST, str]] = {}
    for graph, names, later, owner in leaks:
        why = _exports_blocker(graph, names, later, owner, plan.graphs, statics)
        if why is not None:
            bad[id(graph.stmt)] = why
        else:
            graph.exports = names
    for found_group in groups.values():
        # the models of one `if` take its graph statements together, or none does
        if not isinstance(found_group, BranchGroup):
            continue
        missing = [m for m in found_group.members if m not in found_group.planned or m in bad]
        if missing:
            for g in plan.graphs:
                if g.prefix is found_group and id(g.stmt) not in bad:
                    bad[id(g.stmt)] = (g.call, "the graph statements before the `if` are shared with a model of another "
                                               f"branch (line {_line_of(missing[0], found_group)}) that stays Keras")
    return plan, bad


_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)


def _redeclared_start(block: list[ast.stmt], lo: int, index: int, used: set[int], names: set[str],
                      declared: Declared) -> int:
    """Where the graph of a model on declared inputs starts: after the last statement that
    binds one of them or gives declared inputs to a builder (``generator =
    build_generator(inputs, size)``: its model is a value the graph captures), at the first
    statement the graph needs that binds a name or holds statements. The ones it needs before
    that only change captured objects (``discriminator.trainable = False``): they run once,
    before the model, as they did."""
    fence = lo - 1
    for i in range(lo, index):
        s = block[i]
        if _bound([s]) & names or any(id(n) in declared.builder_calls for n in ast.walk(s)):
            fence = i
    return next((i for i in sorted(used) if i > fence and (_bound([block[i]]) or isinstance(block[i], _COMPOUND))), index)


def _misplaced_declared(plan: GraphPlan, declared: Declared, parents: dict[int, ast.AST]) -> dict[Key, ast.AST]:
    """Declared inputs read where no graph function declares them again (outside every such
    graph's region and the inputs and outputs of its model statement: the model call's other
    arguments, ``name=inputs.name``, stay outside the graph function), or made inside a
    graph's region."""
    takes: dict[int, Graph] = {}
    for g in plan.graphs:
        if g.redeclared:
            for st in [*g.region, g.inputs, g.outputs]:
                takes[id(st)] = g
        elif g.builder_input is not None:
            takes[id(g.inputs)] = g  # written as the builder's `base.input`
    out: dict[Key, ast.AST] = {}
    for key, reads in declared.graph_reads.items():
        for n in reads:
            node: ast.AST | None = n
            ok = False
            while node is not None:
                taker = takes.get(id(node))
                if taker is not None and (key[1] in taker.redeclared or taker.builder_input is not None
                                          and taker.builder_input[0] == key[1]):
                    ok = True
                    break
                node = parents.get(id(node))
            if not ok:
                out[key] = n
                break
    for key, stmts in declared.input_stmts.items():
        for st in stmts:
            node = st
            while node is not None and id(node) not in plan.region_stmts:
                node = parents.get(id(node))
            if node is not None:
                out.setdefault(key, st)
    return out


def _symbol_model_reads(symbols: dict[str, Graph], block: list[ast.stmt], index: int, region: list[ast.stmt],
                        ins: ast.expr, outs: ast.expr, functions: set[str]) -> tuple[str, set[int]] | None:
    """A model built on the graph names of one earlier model ``M`` of the block, taking all of its
    Inputs, whose graph also reads tensors of ``M``'s layers (``M.layers[4].output``,
    ``M.get_layer("h").output``, ``M.output``): a book's "adding an output to a functional model".
    In Keras these are tensors of the same graph, and the new model holds only the nodes its
    outputs need, each once. The runtime gives both the earlier model's names and these tensors
    from one replay of its nodes (as for a model on some of its Inputs), so each name must be an
    Input or a layer call's outputs. ``(M, ids of the reads)``, or None when the graph reads no
    such tensor or one the translation does not follow (``_unfollowed_tensor_reads`` says so)."""
    graphs = {id(g): g for g in symbols.values()}
    if len(graphs) != 1:
        return None
    g = next(iter(graphs.values()))
    if g.symbols or g.parts or not (isinstance(g.stmt, ast.Assign) and len(g.stmt.targets) == 1
                                    and isinstance(g.stmt.targets[0], ast.Name)):
        return None
    base = g.stmt.targets[0].id
    host = g.input_names or []
    if any(n not in host and not _layer_outputs(g.region, n, functions, set()) for n in symbols):
        return None
    g_index = next((i for i, s in enumerate(block) if s is g.stmt), None)
    if g_index is None or base in _bound(block[g_index + 1 : index]):
        return None
    # names that hold the model's layers (`layer = model.get_layer("h")`, `for layer in model.layers`),
    # bound to nothing else there
    scope = block[g_index + 1 : index + 1]
    layer_binds: dict[str, int] = {}
    for s in scope:
        for n in ast.walk(s):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                    and _of_base_layers(n.value, base, set()):
                layer_binds[n.targets[0].id] = layer_binds.get(n.targets[0].id, 0) + 1
            elif isinstance(n, (ast.For, ast.comprehension)) and isinstance(n.target, ast.Name) \
                    and _of_base_layers(n.iter, base, set(), many=True):
                layer_binds[n.target.id] = layer_binds.get(n.target.id, 0) + 1
    stores: dict[str, int] = {}
    for s in scope:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in layer_binds:
                stores[n.id] = stores.get(n.id, 0) + 1
    layer_names = {n for n, k in layer_binds.items() if stores.get(n) == k}
    reads: set[int] = set()
    for top in [*region, ins, outs]:
        for n in ast.walk(top):
            if not (isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS and isinstance(n.ctx, ast.Load)):
                continue
            if isinstance(n.value, ast.Name) and n.value.id == base and n.attr in ("output", "outputs"):
                reads.add(id(n))
            elif n.attr in ("input", "output") and _of_base_layers(n.value, base, layer_names):
                reads.add(id(n))
            else:
                return None
    return (base, reads) if reads else None


def _empty_container(stmt: ast.stmt, region: list[ast.stmt]) -> bool:
    """``inputs = {}`` (or ``[]``, ``dict()``, ``list()``) that the graph's statements fill
    (``inputs[name] = keras.Input(...)``, ``inputs.append(...)``): the container is part of the
    graph, so a later model can take it as the earlier model's Inputs."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return False
    value = stmt.value
    empty = (isinstance(value, (ast.Dict, ast.List)) and not (value.keys if isinstance(value, ast.Dict) else value.elts)) \
        or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("dict", "list")
            and not value.args and not value.keywords)
    return empty and stmt.targets[0].id in set().union(*(_writes(s) for s in region))


def _inputs_origin(ins: ast.expr, block: list[ast.stmt], index: int, owner: ast.AST, input_stmts: set[int]) -> str:
    """Where the first of a model's input names that no ``Input`` statement before it makes
    comes from, for the reason the model stays Keras: the statement binding it last in the
    block, or the function parameter it is."""
    for name in _simple_names(ins) or []:
        binder = next((block[i] for i in range(index - 1, -1, -1) if name in _bound([block[i]])), None)
        if binder is not None and id(binder) in input_stmts:
            return (f": `{name}` is an `Input` of the graph of an earlier model statement, which stays Keras or does "
                    "not give it to later models")
        if binder is not None:
            said = f": `{name}` is bound by `{ast.unparse(binder).splitlines()[0][:50]}`"
            call = binder.value if isinstance(binder, ast.Assign) and isinstance(binder.value, ast.Call) else None
            func = call.func if call is not None else None
            if (isinstance(func, ast.Name) and func.id == "Input") or (isinstance(func, ast.Attribute) and func.attr == "Input"):
                # (`from keras.engine.input_layer import Input`: Keras 2's, XL102 at the import)
                said += ", an `Input` that is not Keras 3's `keras.Input` (see where it is imported)"
            return said
        if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in {
                a.arg for a in owner.args.posonlyargs + owner.args.args + owner.args.kwonlyargs}:
            return f": `{name}` is a parameter of `{owner.name}`, which the translator does not follow to its callers"
        if isinstance(owner, ast.stmt) and not isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # `IN = Input(...)`, the layers, then `if deep: model = Model(IN, [a, b]) else: ...`
            kind = type(owner).__name__.lower().replace("asyncfor", "for").replace("asyncwith", "with")
            return (f": `{name}` is not made in the block of the `{kind}` statement that holds the model statement, "
                    "and a graph is translated only within the block of its model statement")
    return ""


def _builder_input(ins: ast.expr, outs: ast.expr, stmt: ast.stmt, block: list[ast.stmt], index: int, used: set[int],
                   declared: Declared, parents: dict[int, ast.AST]) -> tuple[ast.expr, str, str] | None:
    """A model whose inputs are a declared input (``inputs``, or ``[inputs]``) given to a
    ``keras.applications`` builder as ``input_tensor=`` (``base = ResNet50(input_tensor=inputs,
    ...)``, bound in this block before it), whose graph reads ``base``'s tensors
    (``base.output``, ``base.get_layer(...).output``) and nowhere reads the input itself: Keras's
    ``base.input`` is that ``Input``, so the model is on part of ``base``'s graph. ``(base.input
    as a node, the text written for the inputs, the input's name)``, or None."""
    elt = ins.elts[0] if isinstance(ins, (ast.List, ast.Tuple)) and len(ins.elts) == 1 else ins
    scope = scope_of(stmt, parents)
    if not isinstance(elt, ast.Name) or scope is None or elt.id not in declared.of(scope):
        return None
    name = elt.id
    if [n for n in declared.graph_reads.get((id(scope), name), []) if n is not elt]:
        return None  # read in the graph too (a skip connection from the image): not base's input there
    bases = []
    for i in range(index):
        s = block[i]
        for n in ast.walk(s):
            if isinstance(n, ast.Call) and id(n) in declared.builder_calls and any(
                    k.arg == "input_tensor" and isinstance(k.value, ast.Name) and k.value.id == name for k in n.keywords):
                if not (isinstance(s, ast.Assign) and s.value is n and len(s.targets) == 1
                        and isinstance(s.targets[0], ast.Name)):
                    return None
                bases.append((i, s.targets[0].id))
    if len(bases) != 1:
        return None
    at, base = bases[0]
    if any(base in _bound([block[i]]) for i in range(at + 1, index)):
        return None
    reads_base = any(isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS and _chain_root(n) == base
                     for i in used if i > at for n in ast.walk(block[i])) or any(
        isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS and _chain_root(n) == base for n in ast.walk(outs))
    if not reads_base:
        return None
    node = ast.Attribute(ast.Name(base, ast.Load()), "input", ast.Load())
    text = f"{base}.input" if elt is ins else ("[{}]" if isinstance(ins, ast.List) else "({},)").format(f"{base}.input")
    return node, text, name


def _chain_root(node: ast.expr) -> str | None:
    """The name an attribute, call and subscript chain starts at (``base`` of
    ``base.get_layer("x").output``)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _named_submodel_inputs(ins: ast.expr, block: list[ast.stmt], lo: int, index: int) -> ast.expr:
    """The model's inputs with each name bound from another model's Inputs replaced by that
    tensor: ``gen_noise, gen_label = g_model.input`` then ``keras.Model([gen_noise, gen_label],
    ...)`` (the conditional GANs of tutorials) reads as ``[g_model.input[0], g_model.input[1]]``;
    ``z = g_model.inputs[0]`` as itself. Only a name bound once among the block's statements
    before the model (after the previous model statement), by a plain assignment whose value is
    ``base.input``/``base.inputs`` (unpacked by position) or one of their items; the binding
    statement stays in the graph, where the runtime's ``base.input`` gives base's Inputs. Else
    ``ins`` unchanged."""
    elts = list(ins.elts) if isinstance(ins, (ast.List, ast.Tuple)) else [ins]
    out: list[ast.expr] = []
    changed = False
    for e in elts:
        if not isinstance(e, ast.Name):
            out.append(e)
            continue
        binders = [block[i] for i in range(lo, index) if e.id in _bound([block[i]])]
        value = None
        if len(binders) == 1 and isinstance(binders[0], ast.Assign) and len(binders[0].targets) == 1:
            target, source = binders[0].targets[0], binders[0].value
            if isinstance(target, ast.Name) and _submodel_source(source) is not None \
                    and not (isinstance(source, ast.Attribute) and source.attr == "inputs"):
                value = source
            elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(source, ast.Attribute) \
                    and source.attr in ("input", "inputs") and isinstance(source.value, ast.Name) \
                    and all(isinstance(t, ast.Name) for t in target.elts):
                k = next(j for j, t in enumerate(target.elts) if isinstance(t, ast.Name) and t.id == e.id)
                value = ast.Subscript(value=source, slice=ast.Constant(k), ctx=ast.Load())
        if value is None:
            out.append(e)
        else:
            out.append(value)
            changed = True
    if not changed:
        return ins
    if isinstance(ins, (ast.List, ast.Tuple)):
        return ast.List(elts=out, ctx=ast.Load())
    return out[0]


def _submodel_sources(ins: ast.expr) -> list[str] | None:
    """The models whose graphs the model's inputs are tensors of: ``[base]`` as
    ``_submodel_source`` says, or several for a list of such inputs of different models
    (``[token_model.input, char_model.input]``: a model joining two branches; Keras takes
    each branch's layers into the joined model)."""
    one = _submodel_source(ins)
    if one is not None:
        return [one]
    if not isinstance(ins, (ast.List, ast.Tuple)) or len(ins.elts) < 2:
        return None
    # each an Input of its model (`base.input`, `base.inputs[k]`): a model starting inside one
    # branch's graph (`base.get_layer("h").output`) beside another's Input is not followed
    if any(_layer_io(e) is not None or isinstance(e, ast.Attribute) and e.attr == "inputs" for e in ins.elts):
        return None  # (and `base.inputs`, a list, nested in the list: written `base.inputs[0]`, it is followed)
    bases = [_submodel_source(e) for e in ins.elts]
    if any(b is None for b in bases):
        return None
    return list(dict.fromkeys(b for b in bases if b is not None))


def _source_names(source: str | list[str] | None) -> set[str]:
    """The names of the models a graph function takes to read their tensors (an attribute of
    the method's instance, ``self.generator``, is read through ``self`` when it runs)."""
    names = set() if source is None else {source} if isinstance(source, str) else set(source)
    return {n for n in names if "." not in n}


def _submodel_source(ins: ast.expr) -> str | None:
    """``base`` when the model's inputs are ``base.input``/``base.inputs`` (or a list of one),
    or some of them: ``base.input[k]``, ``base.inputs[k]``, a layer's output
    (``base.get_layer("image").output``: an InputLayer's is base's Input, another's a tensor
    inside the graph, where the model starts) or a list of those (Keras drops the Inputs the
    sub-model does not take; its outputs must not need them)."""
    if isinstance(ins, (ast.List, ast.Tuple)) and len(ins.elts) == 1:
        ins = ins.elts[0]
    if isinstance(ins, (ast.List, ast.Tuple)) and ins.elts:
        bases = {_submodel_source(e) if isinstance(e, ast.Subscript) or _layer_io(e) is not None else None
                 for e in ins.elts}
        return bases.pop() if len(bases) == 1 else None
    layer_io = _layer_io(ins)
    if layer_io is not None:
        return layer_io[0] if layer_io[1] == "output" else None
    if isinstance(ins, ast.Subscript) and isinstance(ins.slice, ast.Constant) and isinstance(ins.slice.value, int) \
            and not isinstance(ins.slice.value, bool):
        ins = ins.value
    if isinstance(ins, ast.Attribute) and ins.attr in ("input", "inputs"):
        return _base_key(ins.value)
    return None


def _base_key(node: ast.expr) -> str | None:
    """The model a tensor attribute is read from: a name (``base``), or an attribute of the
    method's instance (``self.generator``: "self.generator"; _attribute_base_blocker says when
    it is followed)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def _layer_io(expr: ast.expr) -> tuple[str, str] | None:
    """``(base, "output")`` for ``base.get_layer(...).output`` or ``base.layers[k].output``
    (``"input"`` for ``.input``): a tensor of one of ``base``'s layers, written where it is
    read."""
    if not (isinstance(expr, ast.Attribute) and expr.attr in ("input", "output")):
        return None
    layer = expr.value
    if isinstance(layer, ast.Call) and isinstance(layer.func, ast.Attribute) and layer.func.attr == "get_layer" \
            and (key := _base_key(layer.func.value)) is not None:
        return key, expr.attr
    if isinstance(layer, ast.Subscript) and not isinstance(layer.slice, ast.Slice) \
            and isinstance(layer.value, ast.Attribute) and layer.value.attr == "layers" \
            and (key := _base_key(layer.value.value)) is not None:
        return key, expr.attr
    return None


def _layer_inputs(ins: ast.expr) -> list[ast.Attribute]:
    """The layer tensors written among a model's inputs (``base.get_layer("image").output``)."""
    elts = ins.elts if isinstance(ins, (ast.List, ast.Tuple)) else [ins]
    return [e for e in elts if isinstance(e, ast.Attribute) and _layer_io(e) is not None]


def _layer_inputs_reason(ins: ast.expr) -> str | None:
    """Why a model whose inputs are written as a layer's tensors (``model.get_layer("image")
    .input``) is kept, when they are not an InputLayer's ``output``."""
    for e in _layer_inputs(ins):
        if (_layer_io(e) or ("", ""))[1] == "input":
            return (f"the model's inputs `{ast.unparse(e)[:60]}` are a layer's `input`: in Keras 3 an InputLayer's "
                    "`input` is `[]` (`keras.Model` raises on it; its `output` is the `Input`), and a model starting "
                    "at another layer's `input` is not translated (at a layer's `output` it is)")
    return None


def _plan_submodel(block: list[ast.stmt], lo: int, index: int, used: set[int], ins: ast.expr, outs: ast.expr,
                   stmt: ast.stmt, graphs: list[Graph], refs: list[Ref], tree: ast.Module,
                   parents: dict[int, ast.AST], builders: frozenset[int] = frozenset()
                   ) -> tuple[str, ast.AST] | tuple[str, int, set[int]]:
    """A model on part of ``base``'s graph (docs/design.md, "Graph fragments, model shapes,
    and models on part of another model's graph"): ``(base, region start, ids of the
    attribute reads of base)``, or ``(why not, where)``. ``base`` must be bound last, in this
    block, by a translated functional model statement or a ``keras.applications`` builder, and
    not rebound in the region; the region starts at the first statement the outputs depend on
    that reads a graph tensor attribute; every such read in it is of ``base``'s graph."""
    bases = _submodel_sources(ins)
    assert bases
    what = (f"the model's inputs `{ast.unparse(ins)[:40]}` are not `Input`s made before it: "
            + ("they are another model's tensors" if len(bases) == 1 else "they are several models' tensors"))
    start = min([i for i in used if any(isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS
                                        for n in ast.walk(block[i]))], default=index)
    layer_names: dict[str, set[str]] = {}
    sequential: dict[str, bool] = {}
    for base in bases:
        binder = next((i for i in range(start - 1, -1, -1) if base in _bound([block[i]])), None)
        found = _submodel_base(base, binder, block, start, index, stmt, what, graphs, refs, tree, parents, builders)
        if isinstance(found, tuple):
            return found
        sequential[base], layer_names[base] = found, set()
        if len(bases) > 1 and not _own_inputs(block[binder] if binder is not None else None, graphs, refs):
            # two branches on one Input: Keras takes it twice among the inputs, which the runtime
            # cannot show equal
            return (f"{what}, and `{base}` is not a model of this block built on `Input`s of its "
                    "own (a functional model statement, a `keras.applications` builder or a `Sequential` declaring "
                    "its input)", stmt)
        # names that hold base's layers: `layer = base.get_layer(...)`, `for layer in base.layers`
        for s in block[(binder + 1 if binder is not None else 0) : index + 1]:
            for n in ast.walk(s):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                        and _of_base_layers(n.value, base, set()):
                    layer_names[base].add(n.targets[0].id)
                elif isinstance(n, (ast.For, ast.comprehension)) and isinstance(n.target, ast.Name) \
                        and _of_base_layers(n.iter, base, set(), many=True):
                    layer_names[base].add(n.target.id)
    region = block[start:index]
    reads: set[int] = set()
    for top in [*region, ins, outs]:
        for n in ast.walk(top):
            if not (isinstance(n, ast.Attribute) and n.attr in _TENSOR_ATTRS and isinstance(n.ctx, ast.Load)):
                continue
            read = key if (key := _base_key(n.value)) is not None and key in bases else None
            if read is not None and sequential[read] and n.attr in ("input", "output"):
                # Keras 3's Sequential has its graph's `inputs`/`outputs`; its `input`/`output` are its
                # own calls' (Operation's): an AttributeError on a Sequential never called on symbols
                return (f"{what}, and `{ast.unparse(n)[:40]}` of the Sequential `{read}` is not its graph's tensor: "
                        "Keras 3 gives a Sequential's graph as `inputs`/`outputs`, and its `input`/`output` only "
                        "after a call on symbolic tensors (an AttributeError before)", n)
            if read is not None:
                reads.add(id(n))
            elif n.attr in ("input", "output", "outputs") and any(_of_base_layers(n.value, b, layer_names[b])
                                                                  for b in bases):
                reads.add(id(n))  # a layer of a base: followed too
            else:
                shown = f"`{bases[0]}`'s graph" if len(bases) == 1 else "the graphs of " + ", ".join(f"`{b}`" for b in bases)
                return (f"{what}, and `{ast.unparse(n)[:40]}` is not a tensor of {shown} the translator "
                        "follows (a model's `input`/`output`, a layer's `input`/`output`)", n)
    return (bases[0] if len(bases) == 1 else bases, start, reads)  # type: ignore[return-value]


def _own_inputs(binder: ast.stmt | None, graphs: list[Graph], refs: list[Ref]) -> bool:
    """``binder`` (the statement of this block binding a model last) makes a model built on
    ``Input``s its own graph makes: a functional model statement taking no other graph's names
    or tensors, a ``keras.applications`` builder on its own Input, or a ``Sequential`` declaring
    its input."""
    if not isinstance(binder, ast.Assign):
        return False
    graph = next((g for g in graphs if g.stmt is binder), None)
    if graph is not None:
        return not graph.symbols and not graph.redeclared and graph.builder_input is None \
            and _submodel_sources(graph.inputs) is None
    value = binder.value
    if _declared_sequential(value, refs):
        return True
    return isinstance(value, ast.Call) and not any(k.arg == "input_tensor" for k in value.keywords) \
        and any(r.call is value and application_builder(r) for r in refs)


def _submodel_base(base: str, binder: int | None, block: list[ast.stmt], start: int, index: int, stmt: ast.stmt,
                   what: str, graphs: list[Graph], refs: list[Ref], tree: ast.Module, parents: dict[int, ast.AST],
                   builders: frozenset[int]) -> bool | tuple[str, ast.AST]:
    """Whether ``base``, one model a model on part of other graphs reads (bound last before the
    region by ``block[binder]``, or outside the block: None), is a Sequential (False: a
    functional model), or ``(why not, where)`` it is not followed."""
    if base.startswith("self."):
        why = _attribute_base_blocker(base[len("self."):], block[start:index], stmt, graphs, refs, tree, parents,
                                      builders)
        return (f"{what}: {why}", stmt) if why is not None else False
    if any(base in _writes(block[i]) for i in range(start, index)):
        # the graph function would do it again on every call
        return (f"{what}, and `{base}` is changed inside the model's graph", stmt)
    sequential = False
    if binder is not None:
        # a Sequential only bound in this block (docs/design.md, "A model on part of a Sequential")
        added = _added_sequential(block, binder, start, base, refs, tree, parents)
        sequential = added or _declared_sequential(getattr(block[binder], "value", None), refs)
        if not added and not _translated_model(block[binder], base, graphs, refs, tree, parents, sequential_ok=True,
                                               builders=builders) \
                and not _branches_bind_model(block[binder], base, graphs, refs, tree, parents, builders):
            value = getattr(block[binder], "value", None)
            if _is_layer_of_model(value):
                # `layer_input = model.layers[0]` ... `keras.Model(layer_input.input, ...)`
                return (f"{what}: `{base}` is a layer (`{_first_line(block[binder])}`), and a model starting at a "
                        "layer's tensor held in a name is not translated (in Keras 3 an InputLayer's `input` is `[]`)",
                        stmt)
            return (f"{what}: `{base}` is bound by `{_first_line(block[binder])}`, {_NOT_TRANSLATED}", stmt)
    else:
        # bound in an enclosing block of its function or module, or given to its function
        # (docs/design.md, "A model on part of a model bound elsewhere")
        why = _given_model_blocker(base, block[start] if start < index else stmt, graphs, refs, tree, parents, builders)
        if why is not None:
            return (f"{what}: {why}", stmt)
    return sequential


def _attribute_base_blocker(attr: str, region: list[ast.stmt], stmt: ast.stmt, graphs: list[Graph],
                            refs: list[Ref], tree: ast.Module, parents: dict[int, ast.AST],
                            builders: frozenset[int]) -> str | None:
    """Why a model on part of ``self.<attr>``'s graph (a GAN class's ``_create_gan(self)``:
    ``keras.Model(self.generator.input, self.discriminator(self.generator.output))``) is not
    followed, or None. Followed where ``self`` is the instance of a method of a class of the
    file, and the file stores into an attribute of that name exactly once: ``self.<attr> =
    <model>`` in that class's ``__init__``, the model a translated functional model, a
    ``keras.applications`` builder or a call of a function of the file (or of a method of the
    class, ``self._create_generator()``) returning one (docs/design.md, "A model on part of a
    model bound elsewhere"). No other store, ``del`` or ``setattr`` of that name anywhere, the
    class defined once and not subclassed in the file, and nothing in the model's graph changes
    it: the graph function reads ``self.<attr>`` when it runs, which is then the object
    ``__init__`` stored."""
    func = scope_of(stmt, parents)
    cls = parents.get(id(func)) if func is not None else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or not isinstance(cls, ast.ClassDef) or not func.args.args or func.args.args[0].arg != "self" \
            or any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in func.decorator_list):
        return f"`self.{attr}` is not an attribute of a method's instance the translator follows"
    if sum(isinstance(c, ast.ClassDef) and c.name == cls.name for c in ast.walk(tree)) != 1 \
            or any(isinstance(c, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == cls.name for b in c.bases)
                   for c in ast.walk(tree)):
        # a subclass's `__init__` or methods may store another model there
        return f"`{cls.name}` is defined more than once or subclassed in the file"
    stores: list[ast.Attribute] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.ctx, (ast.Store, ast.Del)):
            stores.append(n)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("setattr", "delattr"):
            return f"the file calls `{n.func.id}`, which may change `self.{attr}`"
    init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
    if len(stores) != 1 or init is None or not isinstance(stores[0].ctx, ast.Store):
        return (f"`self.{attr}` is stored {len(stores)} times in the file (followed: once, in `__init__`)"
                if len(stores) != 1 else f"`self.{attr}` is not stored in `{cls.name}.__init__`")
    store = stores[0]
    assign = parents.get(id(store))
    if not (isinstance(assign, ast.Assign) and len(assign.targets) == 1 and assign.targets[0] is store
            and isinstance(store.value, ast.Name) and store.value.id == "self"
            and scope_of(assign, parents) is init and init.args.args and init.args.args[0].arg == "self"):
        return f"`self.{attr}` is not stored by a plain assignment of its own in `{cls.name}.__init__`"
    value = assign.value
    method = None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name) \
            and value.func.value.id == "self":
        method = next((f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and f.name == value.func.attr), None)
    if method is not None:
        ok = _returns_functional_model(method, graphs) and sum(
            isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == method.name for f in cls.body) == 1
    else:
        probe = ast.Assign(targets=[ast.Name(id="_xlate_base", ctx=ast.Store())], value=value)
        ok = _translated_model(probe, "_xlate_base", graphs, refs, tree, parents, builders=builders)
    if not ok:
        return (f"`self.{attr}` is stored by `{_first_line(assign)}`, {_NOT_TRANSLATED}")
    for s in region:
        for n in ast.walk(s):
            if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(getattr(n, "ctx", None), (ast.Store, ast.Del)):
                root: ast.expr = n
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    if isinstance(root, ast.Attribute) and root.attr == attr and _base_key(root) == f"self.{attr}":
                        return f"`self.{attr}` is changed inside the model's graph"
                    root = root.value
    return None


_NOT_TRANSLATED = ("not a translated functional model, a call of a function of the file returning one, a "
                   "`keras.applications` builder, or a `Sequential` whose first layer declares the input, given as "
                   "a list (never `add`ed to or `pop`ped) or `add`ed in statements of this block before the model "
                   "(and never after, nor `pop`ped): a model that stays Keras or that the translator does not follow, "
                   "whose graph a translated model cannot take part of")


def _first_line(node: ast.AST) -> str:
    return ast.unparse(node).splitlines()[0][:50]


def _translated_model(binder: ast.stmt, name: str, graphs: list[Graph], refs: list[Ref], tree: ast.Module,
                      parents: dict[int, ast.AST] | None = None, sequential_ok: bool = False,
                      builders: frozenset[int] = frozenset()) -> bool:
    """``binder`` assigns ``name`` a model the program translates as a functional one (whose
    graph function the runtime's sub-models replay): a translated functional model statement,
    a call of a function of the file returning one, or a ``keras.applications`` builder
    (``VGG19(...)``, not ``preprocess_input``) on its own Input, or given a declared input as
    ``input_tensor=`` (``builders``: declared.py's builder calls; another tensor is not followed); with
    ``sequential_ok``, also a ``Sequential`` whose first entry declares the input
    (``_declared_sequential``), never ``add``ed to or ``pop``ped."""
    if not (isinstance(binder, ast.Assign) and len(binder.targets) == 1 and isinstance(binder.targets[0], ast.Name)
            and binder.targets[0].id == name):
        return False
    value = binder.value
    if any(g.stmt is binder for g in graphs):
        return True
    if sequential_ok and _declared_sequential(value, refs):
        # Keras rebuilds the functional graph on `add`/`pop` (its layers' `output` stay the first
        # graph's); a name given either anywhere in the file is not followed
        return not any(isinstance(n, ast.Attribute) and n.attr in ("add", "pop") and isinstance(n.value, ast.Name)
                       and n.value.id == name for n in ast.walk(tree))
    if not isinstance(value, ast.Call) or (any(k.arg == "input_tensor" for k in value.keywords)
                                           and id(value) not in builders):
        return _builds_functional_model(value, graphs, tree)
    if any(r.call is value and application_builder(r) for r in refs):
        return True
    if isinstance(value.func, ast.Name) and parents is not None:
        # `model_builder = keras.applications.xception.Xception` ... `model = model_builder(...)`
        alias = _reaching_binder(value.func.id, binder, parents)
        if isinstance(alias, ast.Assign) and len(alias.targets) == 1 and isinstance(alias.targets[0], ast.Name) \
                and any(r.node is alias.value and r.role == "value" and application_builder(r) for r in refs):
            return True
    return _builds_functional_model(value, graphs, tree)


def _branches_bind_model(binder: ast.stmt, name: str, graphs: list[Graph], refs: list[Ref], tree: ast.Module,
                         parents: dict[int, ast.AST], builders: frozenset[int]) -> bool:
    """``binder`` is an ``if``/``elif``/``else`` chain each of whose branches binds ``name`` last
    with a statement of its own that :func:`_translated_model` accepts (a functional model, a
    ``keras.applications`` builder; not a Sequential) or ends with ``raise`` (``if arch ==
    "vgg19": vgg = VGG19(...)`` ``elif ...: vgg = VGG16(...)`` ``else: raise ValueError(arch)``):
    whichever branch ran, the name holds a model whose graph the runtime's sub-models replay
    (the graph function reads the object, not the statement). A branch that neither binds nor
    raises (no ``else``) leaves an earlier binding, which is not followed."""
    if not isinstance(binder, ast.If):
        return False
    branches: list[list[ast.stmt]] = []
    node: ast.stmt = binder
    while isinstance(node, ast.If):
        branches.append(node.body)
        if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            node = node.orelse[0]
            continue
        branches.append(node.orelse)
        break
    for body in branches:
        if body and isinstance(body[-1], ast.Raise):
            continue
        last = next((i for i in range(len(body) - 1, -1, -1) if name in _bound([body[i]])), None)
        if last is None or not _translated_model(body[last], name, graphs, refs, tree, parents, builders=builders):
            return False
    return any(not (b and isinstance(b[-1], ast.Raise)) for b in branches)


def _declared_sequential(value: ast.expr | None, refs: list[Ref]) -> bool:
    """``keras.Sequential([keras.Input(shape), layer, ...])`` or ``keras.Sequential([Conv2D(...,
    input_shape=shape), ...])``: a Sequential given its layers as a list whose input is
    declared by its first entry, and at least one layer. Keras 3 builds it at construction as a
    functional model on that Input and the layers in order, whose tensors (``model.inputs``,
    ``layer.output``) a model on part of it takes; the runtime's Sequential has that graph
    (``tfr_submodels._build_sequential_functional``; docs/design.md, "A model on part of a
    Sequential"). A Sequential built by ``add`` is ``_added_sequential``; one built by a first call
    is not followed."""
    if not (isinstance(value, ast.Call) and any(r.call is value and r.name == "keras.Sequential" for r in refs)):
        return False
    entries = value.args[0] if value.args else next((k.value for k in value.keywords if k.arg == "layers"), None)
    if not isinstance(entries, (ast.List, ast.Tuple)) or len(entries.elts) < 2:
        return False
    first = entries.elts[0]
    if not isinstance(first, ast.Call) or any(isinstance(a, ast.Starred) for a in entries.elts):
        return False
    ref = next((r for r in refs if r.call is first), None)
    if ref is None:
        return False
    if ref.name in _INPUTS:
        return True
    return ref.name.startswith("keras.layers.") and any(k.arg == "input_shape" for k in first.keywords)


def _added_sequential(block: list[ast.stmt], binder: int, start: int, name: str, refs: list[Ref],
                      tree: ast.Module, parents: dict[int, ast.AST]) -> bool:
    """``model = keras.Sequential()`` then ``model.add(Conv2D(..., input_shape=shape))``,
    ``model.add(...)``, ... (the books' and courses' way): a Sequential whose first ``add``
    declares the input, every ``add`` of this object a statement of this block between its
    binding and ``start`` (the model on part of it), none ``pop``. Keras 3 builds it again as a
    functional model on the same Input at each ``add`` (``Sequential._maybe_rebuild``), so each
    layer's ``output`` (its first graph's) is the layers before it applied to that Input, as in
    the last graph; the runtime's Sequential builds its graph again at each ``add`` too
    (docs/design.md, "A model on part of a Sequential"). ``add`` and ``pop`` of the name seen
    under another binding (another model a notebook also calls ``model``) are that model's;
    one whose binding is not known (a global read in a function) keeps it unfollowed."""
    value = getattr(block[binder], "value", None)
    if not (isinstance(value, ast.Call) and not value.args and all(k.arg == "name" for k in value.keywords)
            and any(r.call is value and r.name == "keras.Sequential" for r in refs)):
        return False
    ours = {id(block[j]): block[j] for j in range(binder + 1, start)}
    adds: list[ast.expr] = []
    for n in ast.walk(tree):
        if not (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name
                and n.attr in ("add", "pop")):
            continue
        stmt = _statement_of(n, parents)
        if stmt is None:
            return False
        if id(stmt) not in ours:
            reaching = _reaching_binder(name, stmt, parents)
            if reaching is block[binder] or not isinstance(reaching, ast.stmt) \
                    or isinstance(reaching, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return False  # this object's, elsewhere; or whose is not known
            continue
        call = getattr(stmt, "value", None)
        if n.attr == "pop" or not isinstance(stmt, ast.Expr) or not isinstance(call, ast.Call) or call.func is not n \
                or len(call.args) != 1 or call.keywords \
                or any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(call.args[0])):
            return False
        adds.append(call.args[0])
    if not adds:
        return False
    first = min(adds, key=lambda e: (e.lineno, e.col_offset))
    if not isinstance(first, ast.Call):
        return False
    ref = next((r for r in refs if r.call is first), None)
    if ref is None:
        return False
    if ref.name in _INPUTS:
        return len(adds) >= 2
    return ref.name.startswith("keras.layers.") and any(k.arg == "input_shape" for k in first.keywords)


def _reaching_binder(name: str, stmt: ast.stmt, parents: dict[int, ast.AST]) -> ast.AST | None:
    """The statement whose binding of ``name`` is the one ``stmt`` sees, looking back through its
    block and out through the compound statements holding it (``if``, ``for``, ``with``, ``try``),
    which must not bind ``name`` themselves (a loop target, a rebinding on the next pass); the
    function or module itself when no statement of its scope binds it before (a parameter or a
    global); None when that is not known (a class body, a compound statement binding it)."""
    s: ast.AST = stmt
    while True:
        parent = parents.get(id(s))
        if parent is None:
            return None
        block = next((b for b in _blocks(parent) if any(x is s for x in b)), None)
        if block is None:
            return None
        i = next(k for k, x in enumerate(block) if x is s)
        for j in range(i - 1, -1, -1):
            if name in _bound([block[j]]):
                return block[j]
        if isinstance(parent, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            return parent
        if isinstance(parent, ast.ClassDef) or name in _bound([parent]):  # type: ignore[list-item]
            return None
        s = parent


def _given_source(call: ast.Call, parents: dict[int, ast.AST]) -> bool:
    """The model statement of ``call`` is a model on part of a model its function does not bind
    (``def heatmap(model, ...): keras.Model(model.inputs, ...)``)."""
    ins = _graph_args(call)
    base = _submodel_source(ins[0]) if ins is not None else None
    stmt = _statement_of(call, parents)
    return base is not None and stmt is not None and isinstance(
        _reaching_binder(base, stmt, parents), (ast.FunctionDef, ast.AsyncFunctionDef))


def _given_model_blocker(base: str, stmt: ast.stmt, graphs: list[Graph], refs: list[Ref], tree: ast.Module,
                         parents: dict[int, ast.AST], builders: frozenset[int] = frozenset()) -> str | None:
    """Why the model ``base`` names where ``stmt`` reads it is not known to be a translated
    functional model, or None when it is (docs/design.md, "A model on part of a model bound
    elsewhere"): bound by an enclosing block's statement of the same function or module, or,
    not bound in its function, a parameter or a global of a function of the module whose every
    use is a direct call from the module's statements, each giving it (passing a name, or
    reading the global) a model bound so."""
    binder = _reaching_binder(base, stmt, parents)
    if binder is None:
        return f"`{base}` may be rebound around it (a loop, a class body), so the translator cannot tell which model it is"
    if isinstance(binder, ast.Module):
        return f"`{base}` is not bound before it, {_NOT_TRANSLATED}"
    if not isinstance(binder, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if _translated_model(binder, base, graphs, refs, tree, parents, builders=builders):  # type: ignore[arg-type]
            return None
        return f"`{base}` is bound by `{_first_line(binder)}`, {_NOT_TRANSLATED}"
    func = binder
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    given = base in params or base in {a.arg for a in func.args.kwonlyargs}
    what = f"`{base}` is a parameter of `{func.name}`" if given else f"`{base}` is a global name `{func.name}` reads"
    if base in {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}:
        return f"{what}: `*`/`**` parameters are not followed to the callers"
    if func not in tree.body or sum(1 for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                               ast.ClassDef)) and n.name == func.name) != 1 \
            or any(isinstance(n, ast.Name) and n.id == func.name and not isinstance(n.ctx, ast.Load) for n in ast.walk(tree)):
        return (f"{what}, a function the translator does not follow to its callers (only a function defined once at "
                "the top level of the file is)")
    if not given and (base in _bound(func.body) or any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(func))):
        return f"{what} and binds: the translator does not follow it"
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == func.name and isinstance(n.ctx, ast.Load)]
    if not uses:
        return f"{what}, and `{func.name}` is not called in the file, so the translator cannot tell which model it is given"
    for u in uses:
        call = parents.get(id(u))
        site = _statement_of(u, parents)
        if not (isinstance(call, ast.Call) and call.func is u) or site is None \
                or any(isinstance(a, (*_SCOPES, ast.comprehension)) for a in _ancestors(u, tree, parents)):
            return (f"{what}, and `{func.name}` is used at line {u.lineno} other than by a direct call from the module's "
                    "statements (passed on, stored, called in another function), so the translator cannot tell which "
                    "model it is given")
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return f"{what}, and its call at line {u.lineno} passes `*`/`**` arguments the translator does not follow"
        arg: ast.expr | None = ast.Name(base, ast.Load()) if not given else next(
            (k.value for k in call.keywords if k.arg == base), None)
        if arg is None and base in params and params.index(base) < len(call.args):
            arg = call.args[params.index(base)]
        if not isinstance(arg, ast.Name):
            return (f"{what}, and its call at line {u.lineno} does not pass it as a name bound to a model"
                    if arg is not None else f"{what}, and its call at line {u.lineno} does not pass it")
        bound = _reaching_binder(arg.id, site, parents)
        if not isinstance(bound, ast.stmt) or isinstance(bound, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                or not _translated_model(bound, arg.id, graphs, refs, tree, parents, builders=builders):
            where = f"`{_first_line(bound)}`" if isinstance(bound, ast.stmt) else "nothing the translator follows"
            return f"{what}, and its call at line {u.lineno} gives `{arg.id}`, bound by {where}, {_NOT_TRANSLATED}"
    return None


def _ancestors(node: ast.AST, top: ast.AST, parents: dict[int, ast.AST]):
    """The nodes between ``node`` (excluded) and ``top`` (excluded)."""
    n = parents.get(id(node))
    while n is not None and n is not top:
        yield n
        n = parents.get(id(n))


def _builds_functional_model(value: ast.expr | None, graphs: list[Graph], tree: ast.Module) -> bool:
    """``build_model(...)``: a call of a function of the module (defined once, at top level)
    whose every ``return`` gives a translated functional model: its model statement's call,
    or the name that statement assigns in the function. Also a method of a plain class of the
    module called on a new instance, ``ResNet34()()`` (its ``__call__``) or
    ``Builder(...).build(...)``: the class (defined once, at top level, no base class, no
    ``__new__``) defines that method itself, so the instance's method is that function."""
    if not isinstance(value, ast.Call):
        return False
    method = _fresh_instance_method(value, tree)
    func: ast.FunctionDef | ast.AsyncFunctionDef
    if method is not None:
        func = method
    else:
        if not isinstance(value.func, ast.Name):
            return False
        defs = [f for f in tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and f.name == value.func.id]
        if len(defs) != 1 or isinstance(defs[0], ast.ClassDef):
            return False
        func = defs[0]
    return _returns_functional_model(func, graphs)


def _returns_functional_model(func: ast.FunctionDef | ast.AsyncFunctionDef, graphs: list[Graph]) -> bool:
    """Every ``return`` of ``func`` gives a translated functional model: its model statement's
    call, or the name that statement assigns in the function."""
    calls = {id(g.call) for g in graphs if g.owner is func}
    names = {g.stmt.targets[0].id for g in graphs if g.owner is func and isinstance(g.stmt, ast.Assign)
             and len(g.stmt.targets) == 1 and isinstance(g.stmt.targets[0], ast.Name)}
    returns = [r for r in _run_nodes(func.body) if isinstance(r, ast.Return)]
    return bool(returns) and all(r.value is not None and (id(r.value) in calls or isinstance(r.value, ast.Name)
                                                          and r.value.id in names) for r in returns)


def _fresh_instance_method(call: ast.Call, tree: ast.Module) -> ast.FunctionDef | None:
    """The method ``call`` runs when it calls a method of a new instance of a plain class of the
    module: ``Cls(...)()`` (``__call__``) or ``Cls(...).name(...)``; None otherwise."""
    if isinstance(call.func, ast.Call):
        inst, name = call.func, "__call__"
    elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call):
        inst, name = call.func.value, call.func.attr
    else:
        return None
    if not isinstance(inst.func, ast.Name):
        return None
    defs = [d for d in tree.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and d.name == inst.func.id]
    if len(defs) != 1 or not isinstance(defs[0], ast.ClassDef):
        return None
    cls = defs[0]
    if cls.bases or cls.keywords or cls.decorator_list:
        return None
    methods = [f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name in (name, "__new__")]
    if len(methods) != 1 or methods[0].name != name or methods[0].decorator_list \
            or not isinstance(methods[0], ast.FunctionDef):
        return None
    return methods[0]


def _is_layer_of_model(expr: ast.expr | None) -> bool:
    """``m.get_layer(...)`` or ``m.layers[k]``, ``m`` a name."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and isinstance(expr.func.value, ast.Name):
        return _of_base_layers(expr, expr.func.value.id, set())
    return isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Attribute) \
        and isinstance(expr.value.value, ast.Name) and _of_base_layers(expr, expr.value.value.id, set())


def _of_base_layers(expr: ast.expr, base: str, names: set[str], many: bool = False) -> bool:
    """``base.get_layer(...)``, ``base.layers[i]`` or a name holding one (``many``: an
    iterable of them, ``base.layers`` or a slice of it)."""
    if many:
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):  # `[base.get_layer(n) for n in names]`
            return _of_base_layers(expr.elt, base, names)
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            expr = expr.value
        return isinstance(expr, ast.Attribute) and expr.attr == "layers" and _base_key(expr.value) == base
    if isinstance(expr, ast.Name):
        return expr.id in names
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get_layer":
        return _base_key(expr.func.value) == base
    if isinstance(expr, ast.Subscript) and not isinstance(expr.slice, ast.Slice):
        return _of_base_layers(expr.value, base, names, many=True)
    return False


def _simple_names(expr: ast.expr) -> list[str] | None:
    """The names of a model's inputs written as a name or a list, tuple or dict of names, or
    a sum of those (``[decoder_inputs] + states_inputs``)."""
    if isinstance(expr, ast.Name):
        return [expr.id]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) and not isinstance(expr.left, ast.Dict) \
            and not isinstance(expr.right, ast.Dict):
        left, right = _simple_names(expr.left), _simple_names(expr.right)
        return None if left is None or right is None else left + right
    items = expr.elts if isinstance(expr, (ast.List, ast.Tuple)) else expr.values if isinstance(expr, ast.Dict) else None
    if items is None or not all(isinstance(e, ast.Name) for e in items):
        return None
    return [e.id for e in items]  # type: ignore[attr-defined]


def _symbols_read(block: list[ast.stmt], lo: int, index: int, used: set[int], ins: ast.expr, outs: ast.expr,
                  graphs: list[Graph], statics: frozenset[int] = frozenset()) -> dict[str, Graph]:
    """The names the graph of ``block[index]`` reads that hold graph values of an earlier model
    of the same block (bound in its region, not rebound since): name -> that model's graph."""
    avail: dict[str, Graph] = {}
    for g in graphs:
        if g.block is not block or not g.region:
            continue
        g_index = block.index(g.stmt)
        if g_index >= lo:
            continue
        since = _bound(block[g_index + 1 : lo])
        for n in _bound(g.region) - since:
            if not _bound_to_objects(g.region, n, statics, g):  # a layer object (a static value) is read as itself
                avail[n] = g
    if not avail:
        return {}
    stmts = [block[i] for i in sorted(used)]
    # scope-aware: a method's parameter of a class defined in the graph is its own local
    free = set().union(*(_free_reads(s) for s in stmts))
    reads = ((free - _bound(stmts)) | _read_first(stmts) | (_read([ins, outs]) - _bound(stmts)))
    return {n: avail[n] for n in sorted(reads) if n in avail}


def _symbols_blocker(symbols: dict[str, Graph], ins: ast.expr, stmt: ast.stmt,
                     functions: set[str], region: list[ast.stmt] | None = None) -> tuple[tuple[ast.AST, str] | None, bool]:
    """A model built on earlier models' graph names must take, among its inputs, the Inputs
    those names come from: an ``Input`` name among its own inputs. Any other graph name of a
    model whose inputs it does not all take (docs/design.md, "A later model on some of an
    earlier graph's Inputs") must be a layer call's outputs in that graph, which must take no
    such names itself: ``(None, True)``, computed by a replay of that graph's nodes.
    ``(why not, False)`` else."""
    mine = _simple_names(ins)
    if mine is None:
        return (stmt, f"the model's inputs `{ast.unparse(ins)[:40]}` are not names of `Input`s (a model built on "
                      "another model's tensors)"), False
    mine = mine + _aliased(region or [], mine)
    partial = False
    for n, g in symbols.items():
        host = g.input_names
        if host is None:
            return (stmt, f"`{n}` comes from the graph of `{ast.unparse(g.stmt)[:30]}`, whose inputs are not named"), False
        if n in host:
            if n not in mine:
                return (stmt, f"`{n}`, an `Input` of an earlier model, is used by this model's graph but is not "
                              "among its inputs"), False
        elif g.symbols:
            return (stmt, f"`{n}`, a tensor of an earlier model's graph, needs inputs this model does not take "
                          "(chained)"), False
        elif any(h not in mine for h in host):
            if not _layer_outputs(g.region, n, functions, set()):
                return (stmt, f"`{n}`, a tensor of an earlier model's graph that is not a layer call's output, needs "
                              f"inputs this model does not take (`{', '.join(h for h in host if h not in mine)}`)"), False
            partial = True
    return None, partial


def _aliased(region: list[ast.stmt], names: list[str]) -> list[str]:
    """The names the model's input ``names`` alias in its graph: ``model_input = encoder_input``
    (a generative-models book's autoencoder, before ``Model(model_input, model_output)``), the
    name bound once in the region, by that statement, to a name the region does not bind: the
    same object, so the model's input is that earlier model's ``Input``."""
    stores = _store_counts(region)
    out: list[str] = []
    for s in region:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and s.targets[0].id in names and stores.get(s.targets[0].id) == 1 and isinstance(s.value, ast.Name) \
                and s.value.id not in stores:
            out.append(s.value.id)
    return out


def _store_counts(stmts: list[ast.stmt]) -> dict[str, int]:
    """How many times ``stmts`` bind each name (every ``Store`` of it, nested ones included)."""
    stores: dict[str, int] = {}
    for top in stmts:
        for n in ast.walk(top):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                stores[n.id] = stores.get(n.id, 0) + 1
    return stores


def _layer_outputs(region: list[ast.stmt], name: str, functions: set[str], seen: set[str]) -> bool:
    """Whether every binding of ``name`` in ``region`` gives a layer call's outputs (a node's):
    ``name = layer(x)``, ``out, *name = lstm(x)``, or a list or tuple of such names; not an
    operation between layers (``tf.concat(...)``), a helper function's result, or a loop's."""
    if name in seen:
        return False
    seen = seen | {name}
    nodes = [n for top in region for n in ast.walk(top)]
    stores = sum(1 for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))
    accepted = 0
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                if not _node_value(node.value, region, functions, seen):
                    return False
                accepted += 1
            elif isinstance(target, (ast.Tuple, ast.List)):
                hits = sum(1 for e in target.elts if (isinstance(e, ast.Name) and e.id == name) or (
                    isinstance(e, ast.Starred) and isinstance(e.value, ast.Name) and e.value.id == name))
                if hits and not _layer_call(node.value, functions):
                    return False
                accepted += hits
    # any other binding (a loop's, an augmented assignment, a nested target) is not a node's
    return accepted > 0 and accepted == stores


def _layer_call(value: ast.expr, functions: set[str]) -> bool:
    """``layers.Dense(3)(x)`` or ``layer(x)`` (a name that is not a function defined in the file)."""
    return isinstance(value, ast.Call) and (isinstance(value.func, ast.Call)
                                            or isinstance(value.func, ast.Name) and value.func.id not in functions)


def _node_value(value: ast.expr, region: list[ast.stmt], functions: set[str], seen: set[str]) -> bool:
    if isinstance(value, (ast.List, ast.Tuple)):
        return bool(value.elts) and all(isinstance(e, ast.Name) and _layer_outputs(region, e.id, functions, seen)
                                        for e in value.elts)
    if isinstance(value, ast.Name):
        return _layer_outputs(region, value.id, functions, seen)
    return _layer_call(value, functions)


# where a graph value may be read outside a graph function: its Keras tensor attributes
_SYMBOL_ATTRS = frozenset({"shape", "dtype", "name"})


def _exports_blocker(graph: Graph, names: list[str], later: list[ast.stmt], owner: ast.AST,
                     graphs: list[Graph], statics: frozenset[int] = frozenset()) -> tuple[ast.AST, str] | None:
    """Whether the names a model's graph binds and the program reads after the model
    statement can be bound there from the traced run: the model statement assigns one name,
    each such name is surely bound by the graph (or passed in), and each read of a graph
    tensor outside a graph function is of its ``shape``, ``dtype`` or ``name``, while a
    later graph function takes it as a default argument (a symbol)."""
    stmt = graph.stmt
    why = f"`{names[0]}`, made while building the model, is used after it (a graph tensor or value outside the model definition)"
    # a branch's model on the graph before its `if` (its part binds those names) exports as one in a
    # straight block does: each path through the `if` binds what the original bound on it
    prefixed = graph.prefix is not None
    model = _model_target(stmt)
    if model is None or not (isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) or prefixed) \
            or not (graph.region or prefixed):
        return (stmt, why)
    surely: set[str] = set(graph.captured) | (set(graph.prefix.part.returns) if graph.prefix is not None else set())
    for s in graph.region:
        surely |= _always_binds(s)
    for n in names:
        if n not in surely:
            return (stmt, f"`{n}`, made while building the model, is used after it, and the graph does not always bind it")
    if model.split(".")[0] in names:
        return (stmt, why)
    objects = {n for n in names if _bound_to_objects(graph.region, n, statics, graph)}
    sequences = {n for n in names if _bound_to_lists(graph.region, n)}
    in_graph: dict[int, Graph] = {}
    for g in graphs:
        for s in g.region + [g.stmt]:
            in_graph[id(s)] = g
    for n in names:
        if n in objects:
            continue
        for s in later:
            other = in_graph.get(id(s))
            if other is not None and other is not graph:
                outside = _read_outside_args(s, other.call, other.inputs, other.outputs) if other.stmt is s else set()
                if n in outside or n in _free_in_graph(other) and n not in other.symbols:
                    return (s, f"`{n}`, a graph tensor of `{model}`, is used by a later model in a "
                               "way the translator does not follow")
                continue
            bad = _unsafe_load(s, n, n in sequences) if n in _loads_before_rebinding([s]) else None
            if bad is not None:
                return (bad, f"`{n}`, made while building the model, is used after it (a graph tensor or value "
                             "outside the model definition)" + _keras3_raises(s, bad))
            if n in _surely_binds(s):
                break
    return None


def _model_target(stmt: ast.stmt) -> str | None:
    """What holds the model after its statement, as the traced run's names are read from it
    there: the name assigned (``encoder = Model(...)``), an attribute of a name
    (``self.encoder = Model(...)``, a model class's builder method: an autoencoder's
    ``self.encoder``, ``self.decoder`` and ``self.model``), or ``self`` for a functional
    subclass's ``super().__init__(inputs, outputs)``; None for any other statement."""
    if _is_super_init_stmt(stmt):
        return "self"
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return None
    target = stmt.targets[0]
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return f"{target.value.id}.{target.attr}"
    return None


def _is_super_init_stmt(stmt: ast.stmt) -> bool:
    """``super().__init__(inputs, outputs, ...)`` as a statement: a functional subclass's model."""
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and is_super_init(stmt.value)


def _free_in_graph(graph: Graph) -> set[str]:
    """The names a graph function reads from outside: not bound by its region before the read."""
    region = graph.region
    io = _read([graph.inputs, graph.outputs])
    return (_read(region) - _bound(region)) | _read_first(region) | (io - _bound(region))


def _keras3_raises(stmt: ast.stmt, load: ast.AST) -> str:
    """What to add to the reason when ``load`` (a graph name read after its model) is an operand
    of a TensorFlow function (``tf.reduce_sum(1 + log_var - ...)``, a Keras 2 VAE's latent loss):
    on a KerasTensor, Keras 3 raises there itself, so the original does not run either."""
    parents = {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}
    node: ast.AST = load
    while True:
        up = parents.get(id(node))
        if isinstance(up, (ast.BinOp, ast.UnaryOp, ast.List, ast.Tuple, ast.keyword)):
            node = up
            continue
        if isinstance(up, ast.Call) and node is not up.func:
            path = ast.unparse(up.func).split(".")
            # `tf.reduce_sum`, `tf.math.exp`, `tf.nn.relu`, `tf.linalg.matmul`: functions that convert
            # their inputs to tensors (not `tf.keras...`, `tf.nest`, `tf.is_tensor`, `tf.print`)
            if path[0] == "tf" and (len(path) == 2 or len(path) == 3 and path[1] in ("math", "nn", "linalg")) \
                    and path[-1][:1].islower() and path[-1] not in ("is_tensor", "print", "function", "name_scope"):
                return (f"; `{ast.unparse(up.func)}` on it: on a graph tensor (a KerasTensor) Keras 3 itself raises "
                        "`ValueError` there (a TensorFlow function cannot take one), so the original does not run "
                        "under Keras 3 either")
        return ""


def _unsafe_load(stmt: ast.stmt, name: str, sequence: bool = False) -> ast.AST | None:
    """A read of ``name`` in ``stmt`` other than of its ``shape``, ``dtype`` or ``name`` (or,
    for a ``sequence``, a name the graph binds only to a list, its ``len``)."""
    if name not in _free_reads(stmt):
        return None
    parents = {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            up = parents.get(id(n))
            if isinstance(up, ast.Attribute) and up.attr in _SYMBOL_ATTRS:
                continue
            if sequence and isinstance(up, ast.Call) and isinstance(up.func, ast.Name) and up.func.id == "len" \
                    and up.args == [n] and not up.keywords:
                continue  # the list the traced run gives back has the graph's length
            return n
    return None


def _bound_to_lists(region: list[ast.stmt], name: str) -> bool:
    """``name`` is bound in the graph only by plain assignments of a list display or a list
    comprehension (``layer_outputs = [layer.output for layer in model.layers]``): the traced
    run gives back a list of as many symbols and values, so its ``len`` is Keras's (not a
    tensor's ``len``, nor a list changed in place: ``append`` or any other method)."""
    binds = [n for s in region for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == name
             and not isinstance(n.ctx, ast.Load)]
    assigns = [a for s in region for a in ast.walk(s) if isinstance(a, ast.Assign) and len(a.targets) == 1
               and isinstance(a.targets[0], ast.Name) and a.targets[0].id == name]
    if not assigns or len(binds) != len(assigns) \
            or not all(isinstance(a.value, (ast.List, ast.ListComp)) for a in assigns):
        return False
    # read only whole (not `name.append(...)`, `name[0] = ...`, `del name[k]`) inside the graph
    for s in region:
        parents = {id(c): p for p in ast.walk(s) for c in ast.iter_child_nodes(p)}
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
                up = parents.get(id(n))
                if isinstance(up, ast.Attribute) or isinstance(up, ast.Subscript) and not isinstance(up.ctx, ast.Load):
                    return False
    return True


def _bound_to_objects(region: list[ast.stmt], name: str, statics: frozenset[int] = frozenset(),
                      graph: Graph | None = None) -> bool:
    """``name`` is bound in the graph only to constructed objects, constants or static values
    (a layer made there and shared later, a callback, a static shape): never to a graph tensor.
    ``statics``: the ``keras.backend.int_shape`` calls of the file. With the ``graph`` (its
    block), also a number the graph changes in place from a static value bound before it
    (``filters = 16`` ... ``for i in range(2): filters *= 2`` in an encoder, read again by the
    decoder): the traced run computes it as Keras's run of the same Python does."""
    binders = [n for n in _own_nodes(region) if isinstance(n, ast.Name) and n.id == name
               and isinstance(n.ctx, (ast.Store, ast.Del))]
    nodes = list(ast.walk(ast.Module(body=region, type_ignores=[])))
    # an import among the graph's statements (a notebook cell importing its optimizer between
    # two layer calls): a module or a module's object, never a graph tensor
    if any(isinstance(s, (ast.Import, ast.ImportFrom)) and name in _bound([s]) for s in nodes):
        return not binders
    assigns = {id(t): s for s in nodes if isinstance(s, ast.Assign) and len(s.targets) == 1 for t in s.targets}
    # itself from before: `filters *= 2`, `filters = filters * 2`, `filters = int(filters / 2)`
    itself = frozenset({name}) if graph is not None and _static_before(graph, name, statics) else frozenset()
    augmented = {id(s.target): s for s in nodes if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)
                 and s.target.id == name and isinstance(s.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv))
                 and _is_static_value(s.value, statics) and itself}
    # a loop's target over literal values (`for units in [8, 6]:`, `for i in range(3):`): a constant
    loops = {id(f.target): f for f in nodes if isinstance(f, ast.For) and isinstance(f.target, ast.Name)
             and (isinstance(f.iter, (ast.List, ast.Tuple)) and _constant(f.iter)
                  or isinstance(f.iter, ast.Call) and isinstance(f.iter.func, ast.Name) and f.iter.func.id == "range"
                  and not f.iter.keywords and all(_constant(a) for a in f.iter.args))}
    return bool(binders) and all(id(n) in augmented or id(n) in loops or id(n) in assigns and (
        _is_object(assigns[id(n)].value) or _is_static_value(assigns[id(n)].value, statics, itself)) for n in binders)


def _static_before(graph: Graph, name: str, statics: frozenset[int]) -> bool:
    """``name`` is bound before ``graph``'s region, in its block, last by a plain assignment of
    a static value (``filters = 16``), and by no statement nested there."""
    if not graph.region or not any(s is graph.region[0] for s in graph.block):
        return False
    start = next(i for i, s in enumerate(graph.block) if s is graph.region[0])
    last = None
    for s in graph.block[:start]:
        if name not in _bound([s]):
            continue
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
            return False
        last = s
    return last is not None and _is_static_value(last.value, statics)


def _is_static_value(value: ast.expr, statics: frozenset[int] = frozenset(), names: frozenset[str] = frozenset()) -> bool:
    """A plain Python value read from a graph tensor's static shape (``x.shape[1]``,
    ``int(x.shape[-1])``, ``len(x.shape)``, ``tuple(x.shape[1:])``,
    ``keras.backend.int_shape(x)[1:]`` (a call in ``statics``), with integer constants
    around them, or a tuple of such values; a name of ``names``, a number the caller knows is
    static, and ``int(a / b)`` of such numbers): an int, None or a tuple of them, the same on the
    traced run's tensors as on Keras's KerasTensors (whose shapes the translated layers
    reproduce; ``int_shape`` is translated ``tuple(x.shape)``), so the traced run gives it as
    itself. Not ``x.shape`` or ``x.shape[1:]`` alone: a TensorShape there, a tuple in Keras."""
    if isinstance(value, ast.Constant) and (isinstance(value.value, int) or value.value is None):
        return True
    if isinstance(value, ast.Name) and value.id in names:
        return True  # a number known static (``names``: the caller's)
    if isinstance(value, ast.Tuple) and isinstance(value.ctx, ast.Load):
        return all(_is_static_value(e, statics, names) for e in value.elts)
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
        return _is_static_value(value.left, statics, names) and _is_static_value(value.right, statics, names)
    if names and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "int" \
            and len(value.args) == 1 and not value.keywords and isinstance(value.args[0], ast.BinOp) \
            and isinstance(value.args[0].op, ast.Div):
        quotient = value.args[0]  # `int(filters / 2)`: a true division of numbers, made an int
        return _is_static_value(quotient.left, statics, names) and _is_static_value(quotient.right, statics, names)
    if isinstance(value, ast.Call) and id(value) in statics:
        return True  # `K.int_shape(x)`: a tuple of ints and None
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call) and id(value.value) in statics:
        return _int_index(value.slice) or isinstance(value.slice, ast.Slice) and _int_slice(value.slice)
    if isinstance(value, ast.Subscript) and _is_shape(value.value):
        return _int_index(value.slice)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and len(value.args) == 1 and not value.keywords:
        arg = value.args[0]
        if value.func.id == "int":
            return isinstance(arg, ast.Subscript) and _is_static_value(arg, statics)
        if value.func.id == "len":
            return _is_shape(arg)
        if value.func.id == "tuple":
            return _is_shape(arg) or isinstance(arg, ast.Subscript) and _is_shape(arg.value) \
                and isinstance(arg.slice, ast.Slice) and _int_slice(arg.slice)
    return False


def _int_index(index: ast.expr) -> bool:
    """An integer constant, or a negated one."""
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand
    return isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool)


def _int_slice(s: ast.Slice) -> bool:
    """A slice whose bounds are integer constants (or omitted)."""
    return all(b is None or _int_index(b) for b in (s.lower, s.upper, s.step))


def _is_shape(node: ast.expr) -> bool:
    """``<expr>.shape`` of a value (a graph tensor or its element: ``outputs[-1].shape``)."""
    return isinstance(node, ast.Attribute) and node.attr == "shape" and isinstance(node.ctx, ast.Load)


def _is_object(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Call) and not isinstance(value.func, ast.Call):
        func = value.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return last[:1].isupper() and last not in ("Input", "InputLayer")
    return False


# methods that change their receiver in place (`outputs.append(x)`, `features.update(...)`)
_MUTATORS = frozenset({"append", "extend", "insert", "update", "setdefault", "pop", "remove", "clear",
                       "__setitem__", "appendleft", "sort", "reverse"})


def _writes(stmt: ast.stmt) -> set[str]:
    """Names a statement binds or changes in place: targets, the root of a subscript or
    attribute it stores into, the receiver of a method it calls (``outputs.append(x)``)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    out = _bound([stmt])
    for n in _own_nodes([stmt]):
        changed = changed_in_place(n, _MUTATORS)
        if changed is not None:
            out.add(changed)
    return out


def _surely_binds(stmt: ast.stmt) -> set[str]:
    """Names a statement always rebinds (their earlier values are not read through them)."""
    if isinstance(stmt, ast.Assign):
        out: set[str] = set()
        for t in stmt.targets:
            todo = [t]
            while todo:
                e = todo.pop()
                if isinstance(e, ast.Name):
                    out.add(e.id)
                elif isinstance(e, (ast.Tuple, ast.List)):
                    todo.extend(e.elts)
                elif isinstance(e, ast.Starred):
                    todo.append(e.value)
        return out
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    return set()


def _always_binds(stmt: ast.stmt) -> set[str]:
    """Names bound after ``stmt`` runs (without raising), whatever path it takes: what it surely
    rebinds, an import's names, and what both branches of an ``if`` always bind, or the body of a
    ``with``, or a ``for`` loop that surely runs its body (over a literal list or tuple, or a
    ``range`` of int literals, not empty) and cannot leave it early (no ``break``): its target
    and what its body always binds (``for units in [8, 6]: features = Dense(units)(x)``)."""
    out = _surely_binds(stmt) | (_bound([stmt]) if isinstance(stmt, (ast.Import, ast.ImportFrom)) else set())
    if isinstance(stmt, ast.If) and stmt.orelse:
        out |= _always_binds_block(stmt.body) & _always_binds_block(stmt.orelse)
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        out |= _always_binds_block(stmt.body)
    elif isinstance(stmt, ast.For) and _runs_at_least_once(stmt.iter) and not _leaves_early(stmt.body):
        out |= {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)} | _always_binds_block(stmt.body)
    return out


def _always_binds_block(stmts: list[ast.stmt]) -> set[str]:
    out: set[str] = set()
    for s in stmts:
        out |= _always_binds(s)
    return out


def _runs_at_least_once(it: ast.expr) -> bool:
    """A ``for`` loop's iterable that surely has an item: a literal list or tuple (no ``*``), a
    ``range`` of int literals that is not empty, or ``enumerate``/``reversed`` of one."""
    if isinstance(it, (ast.List, ast.Tuple)):
        return bool(it.elts) and not any(isinstance(e, ast.Starred) for e in it.elts)
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and not it.keywords:
        if it.func.id in ("enumerate", "reversed") and len(it.args) == 1:
            return _runs_at_least_once(it.args[0])
        if it.func.id == "range" and 1 <= len(it.args) <= 3:
            values = [literal(a) for a in it.args]
            return all(is_int(v) for v in values) and len(range(*values)) > 0
    return False


def _leaves_early(body: list[ast.stmt]) -> bool:
    """A loop body that may leave before its end: a ``break`` or ``continue`` of this loop (not
    of a loop inside it), a ``return``, ``raise`` or ``yield``."""
    todo: list[ast.AST] = list(body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(n, (ast.For, ast.AsyncFor, ast.While)):
            todo.extend(x for x in ast.walk(n) if isinstance(x, (ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)))
            continue
        todo.extend(ast.iter_child_nodes(n))
    return False


def _graph_slice(block: list[ast.stmt], lo: int, index: int, need: set[str]) -> set[int]:
    """Indices of the statements of ``block[lo:index]`` the model's inputs and outputs (whose
    names are ``need``) depend on, followed backwards by name: a statement counts when it
    binds or changes a name needed after it, and then what it reads is needed too."""
    need = set(need)
    used: set[int] = set()
    for i in range(index - 1, lo - 1, -1):
        s = block[i]
        if _writes(s) & need:
            used.add(i)
            need -= _surely_binds(s)
            # (a loop binding `residual = x` before reading it on every pass does not read an
            # earlier `residual`)
            need |= _loads_before_rebinding([s]) if isinstance(s, (ast.For, ast.AsyncFor, ast.While)) else _free_reads(s)
    return used


def _read_outside_args(stmt: ast.stmt, call: ast.Call, ins: ast.expr, outs: ast.expr) -> set[str]:
    """Names the model statement reads other than in its inputs/outputs arguments."""
    skip = {id(n) for n in ast.walk(ins)} | {id(n) for n in ast.walk(outs)}
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in skip}


def _bound_before(block: list[ast.stmt], start: int, owner: ast.AST,
                  block_of: dict[int, tuple[list[ast.stmt], ast.AST]]) -> set[str]:
    """Names bound before the region in its function (or module): earlier statements of its
    block and of every enclosing block, loop targets, the function's parameters."""
    names = _bound(block[:start])
    node = owner
    while isinstance(node, ast.stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            names |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x is not None}
            break
        if isinstance(node, (ast.For, ast.AsyncFor)):
            names |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        if isinstance(node, (ast.With, ast.AsyncWith)):
            names |= {n.id for item in node.items if item.optional_vars is not None
                      for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)}
        if id(node) not in block_of:
            break
        outer, parent = block_of[id(node)]
        names |= _bound(outer[: outer.index(node)])
        node = parent
    return names


def _later_statements(stmt: ast.stmt, block: list[ast.stmt], index: int, owner: ast.AST, tree: ast.Module,
                      parents: dict[int, ast.AST], block_of: dict[int, tuple[list[ast.stmt], ast.AST]]) -> list[ast.stmt]:
    """Statements that may run after the model statement in the same scope: the rest of its
    block and of every enclosing block of the same function (or module), and a loop's body
    again when the block is inside a loop."""
    out = list(block[index + 1 :])
    node: ast.AST = owner
    cur: ast.stmt = stmt
    while True:
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            out += list(node.body) + list(node.orelse)  # the loop runs the region again
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module, ast.ClassDef, ast.Lambda)):
            break
        cur = node  # type: ignore[assignment]
        if id(cur) not in block_of:
            break
        outer_block, outer_owner = block_of[id(cur)]
        out += outer_block[outer_block.index(cur) + 1 :]
        node = outer_owner
    return out


def _check_region(region: list[ast.stmt], stmt: ast.stmt, block: list[ast.stmt], index: int, owner: ast.AST,
                  tree: ast.Module, collect: list[tuple[ast.AST, str]] | None = None) -> tuple[ast.AST, str] | None:
    """Why the region cannot become a graph function, or None; the TensorFlow ops it reads in
    Python, which the translation runs eagerly, are added to ``collect``."""
    for s in region:
        if _is_sentinel(s):
            return (s, "the model's graph spans notebook cells")
    bad = _escapes(region)
    if bad is not None:
        return (bad, f"`{ast.unparse(bad)[:40]}` inside the model's graph cannot move into a function")
    adapted: set[int] = set()  # adapt calls whose data the translation makes eagerly
    eager, why = _eager_values(region, tree, owner, adapted)
    adapting = _adapt_blocker(region, tree, adapted)
    if adapting is not None:
        return adapting
    if why is not None:
        return why
    if collect is not None:
        collect += eager
    if isinstance(owner, (ast.AsyncFor, ast.While)) or isinstance(owner, ast.For) and owner.orelse:
        # a `for` body runs the graph statements once a turn, in order, like a straight-line
        # block (the names the next turn rebinds, its target included, are captured by value)
        return (stmt, "a functional model built inside a loop")
    return None


def _loop_targets(stmt: ast.stmt, owner: ast.AST, block_of: dict[int, tuple[list[ast.stmt], ast.AST]]) -> set[str]:
    """The names the ``for`` loops around ``stmt`` bind as their targets, up to its function
    or module."""
    names: set[str] = set()
    node: ast.AST = owner
    while not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module, ast.ClassDef, ast.Lambda)):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            names |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        if id(node) not in block_of:
            break
        node = block_of[id(node)][1]
    return names


def _indent_unit(pos: Positions, indent: str) -> str:
    """The file's indentation step: its first indented block's (a ``def``'s body), as the
    tokenizer sees it; a continuation line inside brackets (``def f(a,`` then ``b):`` under
    ``a``) is not one: it made a graph function's body 27 columns deep."""
    if "\t" in indent:
        return "\t"
    cached = getattr(pos, "_xlate_indent_unit", None)
    if cached is None:
        cached = _first_indent(pos.lines)
        pos._xlate_indent_unit = cached  # type: ignore[attr-defined]
    return cached


def _first_indent(lines: list[str]) -> str:
    try:
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            if tok.type == tokenize.INDENT:
                width = len(tok.string)
                if "\t" in tok.string or not width:
                    break
                return " " * (4 if width % 4 == 0 else width)
    except (tokenize.TokenError, SyntaxError):
        pass
    return "    "


def _trim(region: list[ast.stmt], returned: set[str], keras_lines: set[int]) -> list[ast.stmt]:
    """The region without trailing statements that play no part in the graph (they make no
    layer, bind nothing the model's inputs/outputs or the statements before them read, and
    read nothing the region binds): they stay where they are, after the graph function
    (``if name is None: name = f"mobilenet_{alpha}"`` before the model statement)."""
    region = list(region)
    while len(region) > 1:
        last = region[-1]
        lines = set(range(last.lineno, (last.end_lineno or last.lineno) + 1))
        binds = _bound([last])
        rest = region[:-1]
        if lines & keras_lines or binds & returned or binds & _read(rest) or _read([last]) & _bound(rest):
            break
        region.pop()
    return region


@dataclass
class CellPart:
    """The statements of a model's graph in one notebook cell before the model's cell
    (docs/design.md, "Graphs over several notebook cells"): ``def <graph>_partN(params):``
    in that cell, returning the names the rest of the graph and the program read; the graph
    function calls the parts in order and goes on with the model cell's statements."""

    stmts: list[ast.stmt]
    name: str
    params: list[str]  # names bound by earlier parts, passed by the graph function
    defaults: list[str]  # names from outside the graph it reads first or that the program rebinds later
    returns: list[str]


@dataclass
class BranchGroup:
    """The graph statements of a block before an ``if`` whose branches build models on them
    (docs/design.md, "Models built in the branches of an `if`"): ``def <graph>_part1():`` where
    they stand, returning the names the branches' graphs read; each branch's graph function
    calls it first, then runs its branch's statements."""

    top: ast.If  # the `if` (the first of an `elif` chain)
    part: CellPart
    indent: str
    members: dict[int, int]  # id(model statement) -> where its branch region starts in its block
    planned: list[int] = field(default_factory=list)  # ids of the members' graphs planned, in order
    exported: list[str] = field(default_factory=list)  # its names read after the `if`: each member's graph exports them
    eager_ops: list[tuple[ast.AST, str]] = field(default_factory=list)  # TensorFlow ops it reads in Python, run eagerly


def _top_if(owner: ast.AST, block_of: dict[int, tuple[list[ast.stmt], ast.AST]]) -> ast.If | None:
    """The ``if`` statement (the first of its ``elif`` chain) whose branch is the block the
    model statement is in, when ``owner`` (that block's statement) is one."""
    if not isinstance(owner, ast.If):
        return None
    top = owner
    while id(top) in block_of:
        outer_block, outer = block_of[id(top)]
        if isinstance(outer, ast.If) and outer.orelse is outer_block and len(outer_block) == 1:
            top = outer  # an `elif`
        else:
            break
    return top


def _branch_blocks(top: ast.If) -> list[list[ast.stmt]]:
    """The branches of an ``if``/``elif``/``else`` chain."""
    out = [top.body]
    node = top
    while node.orelse:
        if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            node = node.orelse[0]
            out.append(node.body)
        else:
            out.append(node.orelse)
            break
    return out


def _branch_group(top: ast.If, block_of: dict[int, tuple[list[ast.stmt], ast.AST]], model_stmts: dict[int, ast.Call],
                  model_stmt_ids: set[int], input_stmts: set[int], pos: Positions, name: str,
                  taken: set[str], tree: ast.Module) -> BranchGroup | tuple[ast.AST, str]:
    """The graph statements before ``top`` that the models built in its branches take, as a
    part function, or why not. Every model statement of a branch reading a name they bind is a
    member; the statements run from the first ``Input`` they need to the ``if`` and pass the
    checks of any graph region; every name they bind must be read only by the members' graphs,
    and those the graphs read must be always bound by them."""
    what = "a model built in a branch of an `if` on a graph made before it"
    if id(top) not in block_of:
        return (top, f"{what}: the `if` is not in a statement block")
    outer_block, outer_owner = block_of[id(top)]
    if not isinstance(outer_owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
        return (top, f"{what}: the `if` is not in a function's or module's own statements (a loop or a `with`)")
    if_index = next(i for i, x in enumerate(outer_block) if x is top)
    olo = if_index
    while olo > 0 and id(outer_block[olo - 1]) not in model_stmt_ids:
        olo -= 1
    members: dict[int, int] = {}
    need: set[str] = set()
    regions: list[list[ast.stmt]] = []
    for branch in _branch_blocks(top):
        lo = 0
        for index, m in enumerate(branch):
            if id(m) not in model_stmt_ids:
                continue
            args = _graph_args(model_stmts[id(m)])
            if args is None:
                lo = index + 1
                continue
            used = _graph_slice(branch, lo, index, _read(list(args)))
            start = min(used) if used else index
            region = branch[start:index]
            reads = _read_first(region) | (_read([*args]) - _bound(region))
            if any(id(branch[i]) in input_stmts for i in range(start, index)):
                lo = index + 1
                continue  # a branch making its own Inputs: a graph of its own
            members[id(m)] = start
            need |= reads
            regions.append(region + [m])
            lo = index + 1
    prefix_used = _graph_slice(outer_block, olo, if_index, need)
    candidates = [i for i in prefix_used if id(outer_block[i]) in input_stmts]
    if not members or not candidates:
        return (top, f"{what}: no graph statement before the `if` that starts at an `Input`")
    start = min(candidates)
    prefix = outer_block[start:if_index]
    # trailing statements that only define (a `def get_opt():` the branches call) stay where they are
    while len(prefix) > 1 and (start + len(prefix) - 1) not in prefix_used and _inert(prefix[-1]) \
            and not _read([prefix[-1]]) & _bound(prefix[:-1]) and not _bound([prefix[-1]]) & _read(prefix[:-1]):
        prefix = prefix[:-1]
    stray = [x for i, x in enumerate(prefix, start) if id(x) in input_stmts and i not in prefix_used]
    if stray:
        return (stray[0], f"`{ast.unparse(stray[0])[:40]}` makes an `Input` inside the model's graph that the model "
                          "does not take")
    inner = next((n for x in prefix for n in ast.walk(x) if isinstance(n, ast.stmt) and id(n) in model_stmt_ids), None)
    if inner is not None:  # (an earlier `if` building models on the same graph)
        return (top, f"{what}: the statements before it build the model at line {inner.lineno}")
    # the same checks as any graph region (its other statements move with it, as a region's do)
    eager_ops: list[tuple[ast.AST, str]] = []
    why = _check_region(prefix, top, outer_block, if_index, outer_owner, tree, eager_ops)
    if why is not None:
        return why
    binds = _bound(prefix)
    surely: set[str] = set()
    for x in prefix:
        surely |= _always_binds(x)
    # who reads what the prefix binds: only the members' graphs (their regions and model statements),
    # and the statements after the `if` when every branch builds one member (each exports the names)
    allowed = {id(n) for region in regions for x in region for n in ast.walk(x)}
    allowed |= {id(n) for x in prefix for n in ast.walk(x)}
    branches = _branch_blocks(top)
    every = len(branches) > 1 and branches[-1] is not _last_if(top).body and all(
        sum(1 for x in b if id(x) in members) == 1 for b in branches)
    after = outer_block[if_index + 1:]
    # a later model on the same graph would take these statements into its own graph function too
    later_model = next((x for x in after for n in ast.walk(x) if isinstance(n, ast.stmt) and id(n) in model_stmt_ids
                        and _read([n]) & binds), None)
    if later_model is not None:
        return (top, f"{what}: the model at line {later_model.lineno}, after the `if`, is built on the same graph")
    exported: set[str] = set()
    if every:
        read_after = _loads_before_rebinding(after) & binds
        if read_after:
            exported = read_after
            allowed |= {id(n) for x in after for n in ast.walk(x) if isinstance(n, ast.Name) and n.id in read_after}
    scope = outer_owner
    for n in ast.walk(scope):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in binds and id(n) not in allowed \
                and (n.lineno, n.col_offset) > (prefix[0].lineno, prefix[0].col_offset):
            return (n, f"{what}: `{n.id}`, made by the graph before the `if`, is read outside the models' graphs "
                       f"(line {n.lineno})")
    returns = sorted(binds & (need | exported))
    unsure = [r for r in returns if r not in surely]
    if unsure:
        return (top, f"{what}: `{unsure[0]}`, made before the `if`, is not always bound there")
    reads = set().union(*(_free_reads(x) for x in prefix))
    # what it reads from before it and the `if` or anything after rebinds: a default, evaluated where it stands
    defaults = sorted(((reads - binds) & _bound(outer_block[if_index:])) | (_read_first(prefix) & reads))
    part_name = _part_name(name, 1, taken)
    line = pos.lines[prefix[0].lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    return BranchGroup(top, CellPart(prefix, part_name, [], defaults, returns), indent, members,
                       exported=sorted(exported), eager_ops=eager_ops)


def _last_if(top: ast.If) -> ast.If:
    """The last ``if`` of an ``elif`` chain."""
    node = top
    while len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
        node = node.orelse[0]
    return node


def _line_of(stmt_id: int, group: BranchGroup) -> int:
    """The line of the member model statement ``stmt_id`` of ``group``."""
    for branch in _branch_blocks(group.top):
        for x in branch:
            if id(x) == stmt_id:
                return x.lineno
    return group.top.lineno


def _emit_prefix(group: BranchGroup, pos: Positions, unit: str, edits: EditList) -> None:
    """The graph statements before the `if` under ``def <part>(...):`` where they stand, ending
    in ``return`` of the names the branches' graphs read."""
    part = group.part
    first = min([part.stmts[0].lineno] + [d.lineno for d in getattr(part.stmts[0], "decorator_list", [])])
    last = part.stmts[-1].end_lineno or part.stmts[-1].lineno
    newline = _newline(pos.lines[first - 1])
    params = ", ".join(f"{n}={n}" for n in part.defaults)
    edits.insert(pos.line_start(first), f"{group.indent}def {part.name}({params}):{newline}")
    for line in _indentable_lines(pos, first, last):
        edits.insert(pos.line_start(line), unit)
    ret = f"{group.indent}{unit}return {', '.join(part.returns)}{newline}" if part.returns else ""
    followed_by_blank = last < len(pos.lines) and not pos.lines[last].strip()
    edits.insert(pos.line_start(last + 1), ret + ("" if followed_by_blank else newline))


def _cell_parts(region: list[ast.stmt], used: set[int], stmt: ast.stmt, later: list[ast.stmt],
                rebound_later: set[str], name: str, taken: set[str]) -> list[CellPart] | tuple[ast.AST, str]:
    """Split a module-level graph region at its notebook cell boundaries: every cell before
    the model's becomes a part function that stays in its cell. Refused (the reason) unless
    each statement of those cells builds the graph (nothing else would run later than it did
    nor lose its cell's displayed value: ``print(inputs.shape)``), except a last statement
    that only shows a graph value (``inputs``, ``x.shape``, alone in its cell or after the
    cell's graph statements: Keras shows a value of its symbolic graph there; the translation
    shows nothing, with an XL312 note), and each name a part binds and anything after it
    reads is always bound by it."""
    chunks = _cell_chunks(region)
    earlier = [c for c in chunks[:-1] if c]
    final = chunks[-1]
    parts: list[CellPart] = []
    available: set[str] = set()  # names the parts before this one returned
    for i, chunk in enumerate(earlier):
        for j, s in enumerate(chunk):
            if id(s) not in used and not (j == len(chunk) - 1 and _shows_only(s, _bound(chunk[:j]) | available)):
                return (s, f"the model's graph spans notebook cells, and `{ast.unparse(s)[:40]}` in one of its earlier "
                           "cells does not build the graph")
        after = [s for c in earlier[i + 1:] for s in c] + final
        read_after = _loads_before_rebinding(after + [stmt] + later)
        binds = _bound(chunk)
        surely: set[str] = set()
        for s in chunk:
            surely |= _always_binds(s)
        reads = set().union(*(_free_reads(s) for s in chunk))
        params = sorted(reads & available)
        outside = reads - available
        defaults = sorted(((outside - binds) & rebound_later) | (_read_first(chunk) & outside))
        # a name the part is given (an earlier part's, or a default) is bound at its return even
        # when its statements rebind it only in a loop (`for f in filters: x = block(x, f)`)
        unsure = sorted((binds - surely - set(params) - set(defaults)) & read_after)
        if unsure:
            return (chunk[0], f"the model's graph spans notebook cells, and `{unsure[0]}`, read after its cell, is not "
                              "always bound there")
        part_name = _part_name(name, i + 1, taken)
        returns = sorted(binds & read_after)
        parts.append(CellPart(chunk, part_name, params, defaults, returns))
        available |= set(returns)
    return parts


def _cell_chunks(region: list[ast.stmt]) -> list[list[ast.stmt]]:
    """A region's statements by notebook cell (split at the cell sentinels; the last is the
    model's cell)."""
    chunks: list[list[ast.stmt]] = [[]]
    for s in region:
        if _is_sentinel(s):
            chunks.append([])
        else:
            chunks[-1].append(s)
    return chunks


def _part_name(base: str, number: int, taken: set[str]) -> str:
    """``<base>_part<number>``, or with a suffix when the file already has the name; taken."""
    name, k = f"{base}_part{number}", 1
    while name in taken:
        name, k = f"{base}_part{number}_{k}", k + 1
    taken.add(name)
    return name


def _aside_in_cells(region: list[ast.stmt], used: set[int]) -> set[int]:
    """The statements of a graph's earlier notebook cells that stay where they are, outside
    its part functions (docs/design.md, "Graphs over several notebook cells"): in a cell before
    the model's, those before its first graph statement and after its last (or all of a cell
    without one) that only define or import something (``class MyCallback(...)``, ``def
    helper(...)``, ``import``, ``NAME = <constant>``, a docstring, ``print`` of constants). They
    run where they stood, the graph statements later, when the model is built: so each may
    read no name a graph statement binds, may bind no name a graph statement before it reads
    (that one would now see it) or binds, and is the only statement of the region binding its
    names. Any other statement is left in the region (and refused there, as before)."""
    chunks = _cell_chunks(region)
    graph_stmts = [s for s in region if id(s) in used]
    graph_binds = _bound(graph_stmts)
    order = {id(s): i for i, s in enumerate(region)}
    candidates: list[ast.stmt] = []
    for chunk in chunks[:-1]:
        marks = [j for j, s in enumerate(chunk) if id(s) in used]
        if not marks:
            candidates += chunk
            continue
        candidates += chunk[: marks[0]]
        tail = chunk[marks[-1] + 1:]
        if tail and _shows_only(tail[-1], _bound(chunk[: marks[-1] + 1])):
            tail = tail[:-1]  # the cell's shown value stays in its part (an XL312 note)
        candidates += [t for t in tail if id(t) not in used]
    out: set[int] = set()
    for s in candidates:
        binds = _bound([s])
        before = [g for g in graph_stmts if order[id(g)] < order[id(s)]]
        if not _inert(s) or _read([s]) & graph_binds or binds & graph_binds or binds & _read(before) \
                or any(binds & _bound([t]) for t in region if t is not s and not _is_sentinel(t)):
            continue
        out.add(id(s))
    return out


def _inert(stmt: ast.stmt) -> bool:
    """A statement that only defines or imports: nothing it runs can depend on when the graph's
    layers are made or change what they make (no call but ``print`` of constants)."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return not any(a.name == "*" for a in stmt.names)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        a = stmt.args
        return not stmt.decorator_list and all(_constant(d) for d in a.defaults + [d for d in a.kw_defaults if d])
    if isinstance(stmt, ast.ClassDef):
        return not stmt.decorator_list and not stmt.keywords and all(
            isinstance(b, (ast.Name, ast.Attribute)) for b in stmt.bases) and all(
            _inert(b) or isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant) for b in stmt.body)
    if isinstance(stmt, ast.Assign):
        return all(isinstance(t, ast.Name) for t in stmt.targets) and _constant(stmt.value)
    if isinstance(stmt, ast.Expr):
        v = stmt.value
        return isinstance(v, ast.Constant) or (
            isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "print"
            and all(_constant(x) for x in v.args) and not v.keywords)
    return False


def _constant(node: ast.expr) -> bool:
    """A literal (:func:`kerastf_xlate.static.literal`: a constant, or a tuple/list/dict/set of them)."""
    return literal(node) is not UNKNOWN


def _emit_cell_parts(graph: Graph, edits: EditList) -> None:
    """Each earlier cell's statements under ``def <part>(...):`` where they stand, ending in
    ``return`` of the names read after them; the model cell's statements under the graph
    function, which first calls the parts in order (at module level: no indentation)."""
    pos, unit = graph.pos, graph.unit
    for part in graph.parts:
        first = min([part.stmts[0].lineno] + [d.lineno for d in getattr(part.stmts[0], "decorator_list", [])])
        last = part.stmts[-1].end_lineno or part.stmts[-1].lineno
        newline = _newline(pos.lines[first - 1])
        params = ", ".join(part.params + [f"{n}={n}" for n in part.defaults])
        edits.insert(pos.line_start(first), f"def {part.name}({params}):{newline}")
        for line in _indentable_lines(pos, first, last):
            edits.insert(pos.line_start(line), unit)
        if part.returns:
            edits.insert(pos.line_start(last + 1), f"{unit}return {', '.join(part.returns)}{newline}")
    final = [s for s in graph.region[graph.region.index(graph.parts[-1].stmts[-1]) + 1:] if not _is_sentinel(s)]
    first = min([final[0].lineno] + [d.lineno for d in getattr(final[0], "decorator_list", [])]) if final \
        else graph.stmt.lineno
    newline = _newline(pos.lines[first - 1])
    calls = "".join(f"{unit}{', '.join(p.returns) + ' = ' if p.returns else ''}{p.name}({', '.join(p.params)}){newline}"
                    for p in graph.parts)
    params = ", ".join([f"{n}={n}" for n in graph.captured] + [f"{p}={e}" for p, e in graph.held])
    edits.insert(pos.line_start(first), f"def {graph.name}({params}):{newline}{calls}")
    returned = graph._returned(edits)
    graph._model_call(edits)
    if not final:
        edits.insert(pos.line_start(first), f"{unit}return {returned}{newline}{newline}")
        return
    last = final[-1].end_lineno or final[-1].lineno
    for line in _indentable_lines(pos, first, last):
        edits.insert(pos.line_start(line), unit)
    followed_by_blank = last < len(pos.lines) and not pos.lines[last].strip()
    edits.insert(pos.line_start(last + 1), f"{unit}return {returned}{newline}" + ("" if followed_by_blank else newline))


def _straight_owner(owner: ast.AST, block_of: dict[int, tuple[list[ast.stmt], ast.AST]],
                    branches: bool = False) -> ast.AST:
    """The function or module a block runs in straight through, looking past ``with`` blocks
    (their bodies run once, in order: ``with strategy.scope():``, ``with tf.device(...)``) and
    a module's ``if __name__ == "__main__":`` without ``else`` (a script's body: run once, in
    order, when the file runs as a program, not at all when it is imported; a book's GAN
    programs build every model there); ``owner`` itself otherwise. A context manager that may
    swallow an exception (``contextlib.suppress``) is not looked past. With ``branches``, also
    past any ``if`` branch (no loop, ``try`` or other statement between): a model built in a
    branch (`if mode == "train":` in a GAN program's main block) binds the traced run's names
    right after its statement, in the branch, as the original bound them there."""
    node = owner
    while id(node) in block_of and (isinstance(node, (ast.With, ast.AsyncWith)) or _main_guard(node, block_of)
                                    or branches and isinstance(node, ast.If)):
        if isinstance(node, (ast.With, ast.AsyncWith)) and _may_swallow(node):
            return owner
        node = block_of[id(node)][1]
    return node if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else owner


def _may_swallow(node: ast.With | ast.AsyncWith) -> bool:
    """A ``with`` whose context manager may swallow an exception (``contextlib.suppress``): the
    statements after the one that raised do not run."""
    return any("suppress" in ast.unparse(item.context_expr) for item in node.items)


def _main_guard(node: ast.AST, block_of: dict[int, tuple[list[ast.stmt], ast.AST]]) -> bool:
    """``if __name__ == "__main__":`` (either way round) with no ``else``, in the module's body."""
    if not (isinstance(node, ast.If) and not node.orelse and id(node) in block_of
            and isinstance(block_of[id(node)][1], ast.Module)):
        return False
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in sides) \
        and any(isinstance(a, ast.Constant) and a.value == "__main__" for a in sides)


def _shows_only(stmt: ast.stmt, bound: set[str]) -> bool:
    """A notebook cell's last statement that only shows a value the cell's graph statements
    bound: a name, or attributes and constant subscripts of one (``inputs``, ``x.shape``,
    ``inputs["age"]``). No call, so nothing runs that the translation would move."""
    if not isinstance(stmt, ast.Expr):
        return False
    node = stmt.value
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return False
        node = node.value
    return isinstance(node, ast.Name) and node.id in bound


_DATA_CALLS = ("np.", "numpy.")
_DATA_BUILTINS = {"sorted", "list", "tuple", "dict", "zip", "range", "len", "enumerate", "reversed"}
_DATA_METHODS = {"items", "values", "keys", "to_numpy"}


def _plain_data_call(call: ast.Call) -> bool:
    """A call that gives Python or NumPy data, never a TensorFlow object: NumPy's functions,
    builtins that arrange values, a dict's views, a DataFrame's ``to_numpy``."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _DATA_BUILTINS
    return ast.unparse(func).startswith(_DATA_CALLS) or (isinstance(func, ast.Attribute) and func.attr in _DATA_METHODS)


# Python's ways of reading a value's contents: what a symbolic tensor cannot give
_PYTHON_READERS = frozenset({"list", "tuple", "len", "float", "int", "bool", "sorted", "enumerate", "zip", "sum", "min",
                             "max", "iter", "next", "range", "set", "dict"})
# TensorFlow functions and modules that give Python values, or Keras (resolved on its own)
_PYTHON_VALUED_TF = frozenset({"keras", "TensorShape", "TensorSpec", "config", "test", "io", "distribute", "sysconfig",
                               "version", "executing_eagerly", "get_logger", "summary", "saved_model", "data", "dtypes",
                               "as_dtype", "is_tensor"})
# TensorFlow ops that give a Python list or tuple of tensors, which Python iterates and unpacks
# in a traced function too
_LIST_VALUED_TF = frozenset({"split", "unstack", "meshgrid", "shape_n", "dynamic_partition", "unique",
                             "unique_with_counts", "moments", "weighted_moments", "top_k", "eigh", "eig", "qr", "svd",
                             "slogdet", "identity_n", "tuple", "flatten", "map_structure", "pack_sequence_as",
                             "gradients", "batch_jacobian", "jacobian", "normalize_moments", "sufficient_statistics"})
# the readers above that iterate their argument
_ITERATING_READERS = frozenset({"list", "tuple", "sorted", "enumerate", "zip", "sum", "min", "max", "iter", "set", "dict"})
_EAGER_METHODS = frozenset({"numpy", "tolist", "item", "__iter__", "__len__", "__bool__", "__float__", "__int__"})
# tf.data.Dataset's methods that give a new dataset: a pipeline built on a dataset the graph does
# not make (`dataset.map(lambda x, y: x[name])` in a structured-data tutorial's encoder helper),
# read by a layer's `adapt`
_DATASET_METHODS = frozenset({"map", "filter", "batch", "unbatch", "take", "skip", "shuffle", "repeat", "prefetch",
                              "cache", "flat_map", "padded_batch", "concatenate", "interleave", "shard", "rebatch",
                              "with_options", "ragged_batch", "enumerate", "apply", "take_while", "unique"})


def _module_names(tree: ast.Module, module: str = "tensorflow") -> set[str]:
    """The module-level names ``import module [as X]`` binds (``tf`` for tensorflow)."""
    return {a.asname or a.name for s in tree.body if isinstance(s, ast.Import) for a in s.names
            if a.name == module}


def _graph_names(region: list[ast.stmt], seeds: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The names the region binds to graph tensors, roughly: bound by a statement that makes an
    ``Input``, applies a layer (``Layer(...)(x)``, ``self.layer(x)`` aside) or reads such a name
    (``seeds`` included: a helper's parameters given graph tensors)."""
    names: set[str] = set(seeds)
    for _ in range(3):
        before = len(names)
        for s in region:
            for n in ast.walk(s):
                if not isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For)):
                    continue
                value = n.iter if isinstance(n, ast.For) else n.value
                if value is None:
                    continue
                graphy = any((isinstance(c, ast.Call) and (isinstance(c.func, ast.Call) or (dotted(c.func) or [""])[-1]
                                                           in ("Input", "InputLayer")))
                             or (isinstance(c, ast.Name) and c.id in names) for c in ast.walk(value))
                if graphy:
                    targets = [n.target] if isinstance(n, (ast.AnnAssign, ast.AugAssign, ast.For)) else n.targets
                    names |= {name for tg in targets for name in _target_roots(tg)}
        if len(names) == before:
            break
    return names


def _target_roots(target: ast.AST) -> list[str]:
    """The names an assignment to ``target`` binds or fills: ``x``, ``a, *b``, and the container
    of ``inputs[name] = ...`` / ``self.x = ...`` (not the index ``name``, which it only reads)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _target_roots(e)]
    if isinstance(target, ast.Starred):
        return _target_roots(target.value)
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return [target.id] if isinstance(target, ast.Name) else []


def _layer_fed_parameters(owner: ast.AST) -> set[str]:
    """The parameters of the function ``owner`` that its body feeds to a layer or a model
    (``Dense(4)(inputs)``, ``keras.Model(inputs, ...)``), directly or through names bound from
    them: a builder given its caller's tensors."""
    if not isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    params = set(parameter_names(owner))
    fed: set[str] = set()
    for c in ast.walk(owner):
        if isinstance(c, ast.Call) and (isinstance(c.func, ast.Call) or (dotted(c.func) or [""])[-1] in ("Model",
                                                                                                         "Functional")):
            fed |= {n.id for a in (*c.args, *[k.value for k in c.keywords]) for n in ast.walk(a)
                    if isinstance(n, ast.Name) and n.id in params}
    return fed


def _graph_parameters(helper: ast.FunctionDef | ast.AsyncFunctionDef, calls: list[ast.Call], graphy: set[str]) -> set[str]:
    """The parameters of ``helper`` that a call of it gives a graph tensor (an argument
    reading a name of ``graphy``); all of them when a call unpacks ``*args``/``**kwargs``."""
    params = parameter_names(helper)
    positional = [x.arg for x in (*helper.args.posonlyargs, *helper.args.args)]
    out: set[str] = set()

    def reads_graph(e: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id in graphy for n in ast.walk(e))

    for call in calls:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return set(params)
        for i, a in enumerate(call.args):
            if reads_graph(a):
                out.add(positional[i] if i < len(positional) else (helper.args.vararg.arg if helper.args.vararg
                                                                   else ""))
        for k in call.keywords:
            if reads_graph(k.value):
                out.add(k.arg if k.arg in params else (helper.args.kwarg.arg if helper.args.kwarg else ""))
    return out


def _eager_values(region: list[ast.stmt], tree: ast.Module, owner: ast.AST | None = None,
                  adapted: set[int] | None = None) -> tuple[list[tuple[ast.AST, str]], tuple[ast.AST, str] | None]:
    """A TensorFlow op's result that the graph's statements, or a function of the file they
    call, read in Python (iterate, unpack, convert, test): ``dp_rates = [x for x in
    tf.linspace(0.0, rate, n)]``. Keras runs those statements once, eagerly (a TensorFlow
    function given a KerasTensor raises there, so the op ran on Python values); the graph
    function runs them while it is traced, where the result is a symbolic tensor that Python
    cannot iterate or convert.

    Returns what the translation runs eagerly (the runtime's ``eagerly``, ``tf.init_scope``),
    each as (expression, "value" or "list"): the op, whose eager tensor is what Keras's run
    gave (``eagerly(lambda: tf.linspace(...))``), and what Python iterates, as the list of that
    tensor's elements (``for r in eagerly(lambda: list(rates))``: an eager tensor iterates only
    in an eager context); and a blocker for a read it cannot run so: an op given a graph tensor
    (tf.keras 2's TFOpLambda), or one in a function of the file also called elsewhere (where it
    may run in a user's own traced function)."""
    tf_names = _module_names(tree)
    if not tf_names:
        return [], None
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    numpy_names = _module_names(tree, "numpy")
    region_bound = _graph_names(region, _layer_fed_parameters(owner) if owner is not None else set())
    region_ids = {id(n) for s in region for n in ast.walk(s)}

    def is_tf_op(node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        path = dotted(node.func) or []
        return bool(path) and path[0] in tf_names and not (len(path) > 1 and path[1] in _PYTHON_VALUED_TF) \
            and path[-1] not in _LIST_VALUED_TF

    def on_graph(node: ast.Call, graphy: set[str]) -> bool:
        return any(isinstance(n, ast.Name) and n.id in graphy
                   for a in (*node.args, *[k.value for k in node.keywords]) for n in ast.walk(a))

    def is_data_op(node: ast.AST, graphy: set[str]) -> bool:
        """A tf.data pipeline on a dataset the graph does not make: ``dataset.map(...)`` with
        ``dataset`` not a graph value (a module's dataset a helper is given)."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _DATASET_METHODS):
            return False
        root: ast.AST = node.func.value
        while isinstance(root, (ast.Attribute, ast.Call)):
            if isinstance(root, ast.Call) and on_graph(root, graphy):
                return False
            root = root.value if isinstance(root, ast.Attribute) else root.func
        return isinstance(root, ast.Name) and root.id not in graphy and not on_graph(node, graphy)

    # a function of the file, its calls from the scanned statements, and who else calls it
    all_calls: dict[str, list[ast.Call]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions:
            all_calls.setdefault(n.func.id, []).append(n)

    ops: dict[int, tuple[ast.AST, str]] = {}
    up: dict[int, ast.AST] = {}  # the tree's parents, made when a helper's other calls are looked at

    def in_function(call: ast.Call) -> bool:
        if not up:
            up.update(parents_of(tree))
        node = up.get(id(call))
        while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            node = up.get(id(node))
        return node is not None

    todo: list[tuple[list[ast.stmt], str | None, set[str]]] = [(region, None, region_bound)]
    scanned: set[int] = set(region_ids)
    seen: set[str] = set()
    while todo:
        stmts, helper, graphy = todo.pop()
        # an op on the graph's own tensors (`tf.split(value=inputs)`, Keras 2's TFOpLambda) is the
        # graph's: symbolic in both, never run eagerly; in a helper, on a graph tensor it is given
        values: dict[str, list[ast.Call]] = {}
        for s in stmts:
            for n in ast.walk(s):
                if isinstance(n, ast.Assign) and (is_tf_op(n.value) and not on_graph(n.value, graphy)  # type: ignore[arg-type]
                                                  or is_data_op(n.value, graphy)):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            values.setdefault(t.id, []).append(n.value)  # type: ignore[arg-type]
        stores = _store_counts(stmts)

        symbolic = {t.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Assign) and is_tf_op(n.value)
                    and on_graph(n.value, graphy) for t in n.targets if isinstance(t, ast.Name)}  # type: ignore[arg-type]

        def targets(node: ast.AST | None, iterate: bool, values: dict[str, list[ast.Call]] = values,
                    graphy: set[str] = graphy, symbolic: set[str] = symbolic) -> list[tuple[ast.AST, str]] | None:
            """What a read of ``node`` needs run eagerly: (the expression, "value" or "list"), the
            op's own eager tensor, or the list Python iterates (an eager tensor iterates only in
            an eager context); None: an op on a graph tensor."""
            if node is None:
                return []
            if is_data_op(node, graphy):
                return [(node, "value")]
            if is_tf_op(node):
                return None if on_graph(node, graphy) else [(node, "list" if iterate else "value")]  # type: ignore[arg-type]
            if isinstance(node, ast.Name) and node.id in values:
                return ([(node, "list")] if iterate else []) + [(op, "value") for op in values[node.id]]
            if isinstance(node, ast.Name) and node.id in symbolic:
                return None
            return []

        for s in stmts:
            for n in ast.walk(s):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions \
                        and n.func.id not in seen:
                    seen.add(n.func.id)
                    f = functions[n.func.id]
                    inside = [c for c in all_calls.get(n.func.id, []) if id(c) in scanned]
                    todo.append((f.body, n.func.id, _graph_names(f.body, _graph_parameters(f, inside, graphy))))
                    scanned |= {id(x) for b in f.body for x in ast.walk(b)}
                read: ast.AST | None = None
                found: list[tuple[ast.AST, str]] | None = []
                adapt_read = False
                reader = n.func.id if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) else None
                if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
                    read, found = n.iter, targets(n.iter, True)
                elif isinstance(n, ast.Assign) and isinstance(n.targets[0], (ast.Tuple, ast.List)):
                    read, found = n.value, targets(n.value, True)
                elif isinstance(n, (ast.If, ast.While, ast.IfExp, ast.Assert)):
                    read, found = n.test, targets(n.test, False)
                elif isinstance(n, ast.Call) and reader in ("list", "tuple") and len(n.args) == 1 and not n.keywords:
                    # `list(...)` of it: the whole call runs eagerly (its op inside the same lambda)
                    found = targets(n.args[0], False)
                    if found is not None and (found or is_tf_op(n.args[0])):
                        found = [(n, "value"), *(t for t in found if t[0] is not n.args[0])]
                    read = n
                elif isinstance(n, ast.Call) and ((reader is not None and reader in _PYTHON_READERS)
                                                  or (dotted(n.func) or [""])[0] in numpy_names):
                    # `sorted(...)`, `zip(...)`, `float(...)`, `np.array(...)` of it
                    parts = [targets(a, reader in _ITERATING_READERS) for a in n.args]
                    read, found = n, (None if None in parts else [t for p in parts for t in p or ()])
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _EAGER_METHODS:
                    read, found = n, targets(n.func.value, n.func.attr == "__iter__")
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "adapt" \
                        and (n.args or n.keywords) and adapted is not None:
                    # a layer adapted on a pipeline made here (runtime `_adapting_once` adapts it
                    # once, eagerly, when the model is made): the pipeline is made eagerly too,
                    # when every binding of its name here makes it so
                    data = n.args[0] if n.args else n.keywords[0].value
                    read, found, adapt_read = data, targets(data, False), True
                    if found and all(not isinstance(x, ast.Name) or stores.get(x.id) == len(values.get(x.id, ()))
                                     for x in ast.walk(data) if isinstance(x, ast.Name) and x.id in values):
                        adapted.add(id(n))
                elif isinstance(n, ast.Starred):
                    read, found = n, targets(n.value, True)
                where = f" (in `{helper}`)" if helper is not None else ""
                read = read if read is not None else n
                if found is None:
                    # the op is given a graph tensor: tf.keras 2 made it a TFOpLambda layer whose
                    # KerasTensor Python could unpack; Keras 3 raises, a traced tensor cannot
                    return [], (read, f"`{ast.unparse(read)[:40]}` reads in Python a TensorFlow op's result on the "
                                      f"graph's tensors while the model's graph is built{where}: tf.keras 2 made the "
                                      "op a layer, Keras 3 raises on it, and the translated graph is traced")
                if not found:
                    continue
                # a function of the file called from elsewhere too may run in a user's traced function
                others = [c for c in all_calls.get(helper, []) if id(c) not in scanned] if helper is not None else []
                # (a pipeline a helper also makes at the module's top level, where Python runs eagerly
                # in both: the tutorials try the helper on a batch first; `tf.init_scope` is nothing there)
                if others and not (adapt_read and not any(in_function(c) for c in others)):
                    return [], (read, f"`{ast.unparse(read)[:40]}` reads a TensorFlow op's result in Python while "
                                      f"the model's graph is built{where}, in a function also called elsewhere: "
                                      "Keras ran it eagerly, the translated graph is traced (NumPy gives the same "
                                      "values)")
                for node, kind in found:
                    if ops.get(id(node), (node, ""))[1] != "list":
                        ops[id(node)] = (node, kind)
    # an expression inside another that runs eagerly runs in the outer one's lambda
    spans = {id(node): (getattr(node, "lineno", 0), getattr(node, "col_offset", 0), getattr(node, "end_lineno", 0) or 0,
                        getattr(node, "end_col_offset", 0) or 0) for node, _ in ops.values()}

    def nested(i: int) -> bool:
        a = spans[i]
        return any(j != i and (b[0], b[1]) <= (a[0], a[1]) and (a[2], a[3]) <= (b[2], b[3]) for j, b in spans.items())

    kept = [v for i, v in ops.items() if not nested(i)]
    return sorted(kept, key=lambda t: spans[id(t[0])]), None



def _adapt_blocker(region: list[ast.stmt], tree: ast.Module, eager: set[int] | frozenset[int] = frozenset()
                   ) -> tuple[ast.AST, str] | None:
    """A layer's ``adapt(data)`` run while the graph is built, that the graph function cannot
    run: the runtime adapts once, eagerly, when the model is made (runtime/tfr_base.py,
    ``_adapting_once``), which reads data made outside the graph (a module-level array or
    dataset, NumPy of it). Data the graph's statements or a helper function it calls make (a
    ``dataset.map(...)`` in ``get_normalization_layer(name, ds)``) is made inside the traced
    construction and cannot be read eagerly: that model stays Keras."""
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    bound = _bound(region)
    todo: list[tuple[ast.AST, str | None]] = [(s, None) for s in region]
    seen: set[str] = set()
    while todo:
        node, helper = todo.pop()
        for n in ast.walk(node):
            if not isinstance(n, ast.Call):
                continue
            if isinstance(n.func, ast.Name) and n.func.id in functions and n.func.id not in seen:
                seen.add(n.func.id)
                todo += [(s, n.func.id) for s in functions[n.func.id].body]
            if not (isinstance(n.func, ast.Attribute) and n.func.attr == "adapt") or not (n.args or n.keywords) \
                    or id(n) in eager:
                continue
            data = n.args[0] if n.args else n.keywords[0].value
            calls = [c for c in ast.walk(data) if isinstance(c, ast.Call)]
            own = {x.id for x in ast.walk(data) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store)}
            reads = {x.id for x in ast.walk(data) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load)} - own
            if helper is None and not reads & bound and all(_plain_data_call(c) for c in calls):
                continue
            where = f" (in `{helper}`)" if helper is not None else ""
            return (n, f"`{ast.unparse(n)[:40]}` adapts a layer while the model's graph is built{where}, on data "
                       "made there: the translated graph is traced when the model is made, and its data cannot "
                       "be read then")
    return None


# attributes that give a model's or layer's graph tensors
_GRAPH_ATTRIBUTES = {"output", "outputs", "input", "inputs"}
# methods that put a value into their container
_FILLERS = {"append", "extend", "insert", "update", "add", "setdefault", "appendleft", "extendleft"}


def _graph_valued(tree: ast.Module, seeds: frozenset[str] = frozenset()) -> frozenset[str]:
    """Names that may hold graph values anywhere in the file (names, not scopes: more is
    safer): bound from an ``Input`` call, a model's or layer's graph tensors (``.output``), a
    call of a function of the file that makes or reads such values (``inputs =
    create_model_inputs()``), or anything that reads such a name (calls, loops, comprehensions,
    in-place additions ``outs.append(x)``), to a fixed point. Computed once per tree and seeds
    (every model statement of the file asks)."""
    cache = tree.__dict__.setdefault("_xlate_graph_valued", {})
    if seeds not in cache:
        cache[seeds] = frozenset(_graph_valued_names(tree, seeds))
    return cache[seeds]


def _graph_valued_names(tree: ast.Module, seeds: frozenset[str]) -> set[str]:
    tainted: set[str] = set(seeds)
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    graph_functions: set[str] = set()

    def made(n: ast.AST) -> bool:
        """One node that makes or reads a graph value: a graph tensor attribute, an ``Input``,
        a call of such a function of the file."""
        if isinstance(n, ast.Attribute):
            return n.attr in _GRAPH_ATTRIBUTES
        if isinstance(n, ast.Call):
            f = n.func
            last = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            return last in ("Input", "InputLayer") or last in graph_functions
        return False

    def makes(node: ast.AST) -> bool:
        return any(made(n) for n in ast.walk(node))

    while True:  # functions that make or read graph values, through the functions they call
        more = {name for name, f in functions.items() if name not in graph_functions and makes(f)}
        if not more:
            break
        graph_functions |= more

    def hot(node: ast.AST | None) -> bool:
        if node is None:
            return False
        # one walk: a tainted name read, or a node that makes a graph value
        return any((n.id in tainted and isinstance(n.ctx, ast.Load)) if isinstance(n, ast.Name) else made(n)
                   for n in ast.walk(node))

    def names(target: ast.AST) -> set[str]:
        out = set()
        while isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
            target = target.value
        if isinstance(target, ast.Name):
            out.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for e in target.elts:
                out |= names(e)
        return out

    nodes = list(ast.walk(tree))
    while True:
        before = len(tainted)
        for n in nodes:
            if isinstance(n, ast.Assign) and hot(n.value):
                for t in n.targets:
                    tainted |= names(t)
            elif isinstance(n, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and hot(n.value):
                tainted |= names(n.target)
            elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and hot(n.iter):
                tainted |= names(n.target)
            elif isinstance(n, ast.withitem) and n.optional_vars is not None and hot(n.context_expr):
                tainted |= names(n.optional_vars)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _FILLERS and (
                    any(hot(a) for a in n.args) or any(hot(k.value) for k in n.keywords)):
                tainted |= names(n.func.value)  # `outs.append(x)`, `d.update(k=x)`
        if len(tainted) == before:
            return tainted


def _constant_layer_call(region: list[ast.stmt], tree: ast.Module, refs: list[Ref],
                         seeds: frozenset[str] = frozenset()) -> tuple[ast.AST, str] | None:
    """A layer made in the graph and called there on values that do not come from the model's
    inputs (``layers.Embedding(n, d)(tf.range(n))``, a positional embedding). Keras runs that
    call once, eagerly, while it builds the model: its result is a constant of the graph, and
    the layer is no node of it (its weights are not the model's and never train). The
    translated graph function would call the layer on every run with its weights tracked (one
    weight array more, another training): that model stays Keras."""
    layer_classes = {id(r.node) for r in refs if r.name.startswith("keras.layers.") and r.name.split(".")[-1][:1].isupper()}
    layer_classes |= {id(r.node) for r in refs if r.name == "keras.layers.Layer"}
    own_classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    made: set[str] = set()  # names the graph binds to a layer it makes
    calls: list[tuple[ast.Call, bool]] = []  # (call, in a helper function the graph calls)
    helpers: list[ast.FunctionDef | ast.AsyncFunctionDef] = []

    def maker(call: ast.expr) -> bool:
        return isinstance(call, ast.Call) and (id(call.func) in layer_classes or (
            isinstance(call.func, ast.Name) and call.func.id in own_classes))

    def visit(node: ast.AST, helper: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return  # their parameters may be graph values
        if isinstance(node, ast.Assign) and maker(node.value):
            made.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in functions \
                    and all(h is not functions[node.func.id] for h in helpers):
                helpers.append(functions[node.func.id])  # a helper the graph runs (its body, below)
            if (node.args or node.keywords) and (maker(node.func) or (isinstance(node.func, ast.Name)
                                                                     and node.func.id in made)):
                calls.append((node, helper))
        for child in ast.iter_child_nodes(node):
            visit(child, helper)

    for stmt in region:
        visit(stmt, False)
    done = 0
    while done < len(helpers):
        for stmt in helpers[done].body:
            visit(stmt, True)
        done += 1
    if not calls:
        return None
    graph = _graph_valued(tree, seeds)  # (seeds: the declared inputs the graph takes)
    params = frozenset(a.arg for f in helpers for a in (*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs,
                                                        *[x for x in (f.args.vararg, f.args.kwarg) if x]))
    in_helpers = _graph_valued(tree, params | seeds) if any(h for _, h in calls) else graph
    for call, helper in calls:
        given = [*call.args, *(k.value for k in call.keywords)]
        reads = {n.id for a in given for n in ast.walk(a) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        attrs = {n.attr for a in given for n in ast.walk(a) if isinstance(n, ast.Attribute)}
        if reads & (in_helpers if helper else graph) or attrs & _GRAPH_ATTRIBUTES:
            continue
        return (call, f"`{ast.unparse(call)[:50]}` calls a layer on values that do not come from the model's inputs: "
                      "Keras runs that call once while it builds the model, and its result is a constant whose layer "
                      "is not the model's (its weights are not the model's and never train); the translated graph "
                      "would call the layer on every run")
    return None
