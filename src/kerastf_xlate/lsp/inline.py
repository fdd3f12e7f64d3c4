"""Translate one Keras layer call in place: ``layers.ReLU(max_value=6.0)(x)`` becomes
``tf.nn.relu6(x)``, using the rule's handler or ``call`` template exactly as ``to-tf`` does.

Offered only where the rewrite keeps the program's meaning: a stateless layer (no weights,
no training flag, no shape inference) created and applied in one expression, in eager code
(a ``call`` method or a plain function), never where a Keras model is being built from
symbolic tensors (TensorFlow ops fail on KerasTensors). Placeholders stand for the inputs so
that the expression is checked before the user's source goes in; parentheses are added only
where dropping them would change the parse tree.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from lsprotocol import types

from kerastf_xlate.lsp.analysis import Parsed
from kerastf_xlate.lsp.positions import Lines, eol_of
from kerastf_xlate.resolve import Use
from kerastf_xlate.rules import RuleSet, default_rules

_OUT, _TRAINING, _PREFIX = "__xlate_out__", "__xlate_training__", "__xlate_layer__"
_GRAPH_BUILDERS = {"Input", "InputLayer", "Model", "Sequential"}
# expressions that need no parentheses when substituted into a larger expression
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant, ast.List,
          ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.JoinedStr)


def _atomic(node: ast.AST) -> bool:
    return isinstance(node, _ATOMS)  # (``-1`` is a UnaryOp; a tuple may lack its parentheses)


def _pure(node: ast.AST) -> bool:
    """Cheap and side-effect free to evaluate twice (a name, attribute chain or constant index)."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _pure(node.value)
    if isinstance(node, ast.Subscript):
        return _pure(node.value) and _pure(node.slice)
    if isinstance(node, ast.Tuple):
        return all(_pure(e) for e in node.elts)
    return False


def _any_expression_fits(node: ast.AST, parent: ast.AST | None, replacement: ast.AST) -> bool:
    """Can ``node`` be replaced by ``replacement`` without parentheses (no operator around it)?"""
    if isinstance(replacement, (ast.Tuple, ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Starred)):
        return False
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr, ast.keyword)):
        return getattr(parent, "value", None) is node
    if isinstance(parent, ast.Call):
        return node in parent.args
    if isinstance(parent, (ast.List, ast.Set)):
        return True
    return False


@dataclass(frozen=True)
class InlineTranslation:
    call: ast.Call  # the application replaced (``layers.ReLU()(x)``)
    expression: str  # the TensorFlow expression that replaces it
    edits: tuple[types.TextEdit, ...]


def _builds_a_graph(scope: ast.AST, parsed: Parsed) -> bool:
    """Does this function (or module) build a Keras model from symbolic tensors?

    There, a layer is applied to a KerasTensor, on which TensorFlow ops fail: the inline
    rewrite is only offered in eager code (``call`` methods, plain functions on tensors).
    """
    lo = getattr(scope, "lineno", 1)
    hi = getattr(scope, "end_lineno", None) or 10**9
    for use in parsed.uses:
        if use.layer in _GRAPH_BUILDERS and lo <= use.node.lineno <= hi:
            return True
    return False


def _tf_ready(tree: ast.Module) -> tuple[bool, bool]:
    """(``tf`` may be used, an ``import tensorflow as tf`` must be added)."""
    imported = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname == "tf" or (a.asname is None and a.name == "tf"):
                    if a.name != "tensorflow":
                        return False, False
                    imported = True
        elif isinstance(node, ast.ImportFrom):
            if any((a.asname or a.name) == "tf" for a in node.names):
                return False, False
        elif isinstance(node, ast.Name) and node.id == "tf" and isinstance(node.ctx, (ast.Store, ast.Del)):
            return False, False
        elif isinstance(node, ast.arg) and node.arg == "tf":
            return False, False
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "tf":
            return False, False
    top_level = any(isinstance(s, ast.Import) and any(a.name == "tensorflow" and a.asname == "tf" for a in s.names)
                    for s in tree.body)
    if imported and not top_level:
        return False, False  # imported only in some scope: do not guess
    return True, not imported


def _import_edit(tree: ast.Module, lines: Lines) -> types.TextEdit:
    """Insert ``import tensorflow as tf`` after the module's leading imports."""
    eol = eol_of(lines.text)
    after = 0  # 1-based line after which to insert; 0 = at the top
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            after = stmt.end_lineno or stmt.lineno
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str) and after == 0:
            after = stmt.end_lineno or stmt.lineno  # the module docstring
        else:
            break
    if after <= len(lines) - 1:  # the line after the imports exists
        pos = types.Position(line=after, character=0)
        return types.TextEdit(range=types.Range(start=pos, end=pos), new_text=f"import tensorflow as tf{eol}")
    # the imports end on the last line, which has no line break
    pos = lines.position(after - 1, len(lines.line(after - 1)))
    return types.TextEdit(range=types.Range(start=pos, end=pos), new_text=f"{eol}import tensorflow as tf")


def application_at(parsed: Parsed, pos: types.Position) -> Use | None:
    """The layer use whose application (``layers.ReLU()(x)``, ``layers.add([a, b])``) is
    the innermost one containing ``pos``: the cursor may be anywhere on the call."""
    from kerastf_xlate.lsp.positions import contains

    best: tuple[tuple[int, int], Use] | None = None
    for use in parsed.uses:
        if use.call is None:
            continue
        outer = parsed.parents.get(id(use.call))
        app = outer if isinstance(outer, ast.Call) and outer.func is use.call else use.call
        if not (app.lineno - 1 <= pos.line <= (app.end_lineno or app.lineno) - 1):
            continue
        rng = parsed.lines.node_range(app)
        if contains(rng, pos):
            size = (rng.end.line - rng.start.line, rng.end.character - rng.start.character)
            if best is None or size < best[0]:
                best = (size, use)
    return best[1] if best is not None else None


def inline_translation(parsed: Parsed, use: Use, rules: RuleSet | None = None) -> InlineTranslation | None:
    """Rewrite ``layers.ReLU()(x)`` (a stateless layer created and applied in one
    expression) as the TensorFlow expression its rule's handler or template gives.

    None when the layer has weights, needs the training flag or shapes, has an argument
    that blocks translation, or sits in code that builds a Keras model symbolically.
    """
    from kerastf_xlate.totf.common import make_layer

    rules = rules or default_rules()
    rule = rules.get(use.layer)
    ctor = use.call
    if rule is None or rule.status != "translated" or ctor is None:
        return None
    tree, lines = parsed.tree, parsed.lines
    parents = parsed.parents
    helper = use.layer in rule.functions  # layers.add([a, b]): the call is the application
    outer = ctor if helper else parents.get(id(ctor))
    if not isinstance(outer, ast.Call) or (not helper and outer.func is not ctor):
        return None
    # one positional input; a helper's other arguments are keywords (bound by the rule)
    if len(outer.args) != 1 or isinstance(outer.args[0], ast.Starred) or (outer.keywords and not helper):
        return None
    scope: ast.AST = tree
    node: ast.AST | None = outer
    while node is not None:
        node = parents.get(id(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            scope = node
            break
    if _builds_a_graph(scope, parsed):
        return None
    ok, add_import = _tf_ready(tree)
    if not ok:
        return None

    layer = make_layer(rule, ctor, lines.lines, _PREFIX, helper=helper)
    if layer.kept is not None:
        return None
    arg = outer.args[0]
    if layer.multi_input:
        if not isinstance(arg, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in arg.elts):
            return None
        input_nodes = list(arg.elts)
    else:
        input_nodes = [arg]
    holes = [f"__xlate_x{i}__" for i in range(len(input_nodes))]
    xs = "[" + ", ".join(holes) + "]" if layer.multi_input else holes[0]
    safe = _emit(layer, lines, holes, xs, parenthesize=True)
    if safe is None:
        return None
    expr = safe
    bare = _emit(layer, lines, holes, xs, parenthesize=False)  # same tree, fewer parentheses?
    if bare is not None and _same(bare, safe):
        expr = bare
    if _TRAINING in expr or _PREFIX in expr or "self." in expr:
        return None
    from kerastf_xlate.totf.common import source_of

    for hole, node in zip(holes, input_nodes):
        if len(re.findall(rf"\b{hole}\b", expr)) > 1 and not _pure(node):
            return None  # would evaluate `f(y)` several times
        expr = _substitute(expr, hole, source_of(lines.lines, node))
    if re.search(r"__xlate_\w+__", expr):
        return None
    try:
        final = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    expr = expr.strip()
    if not _atomic(final) and not _any_expression_fits(outer, parents.get(id(outer)), final):
        expr = f"({expr})"
    uses_tf = any(isinstance(n, ast.Name) and n.id == "tf" for n in ast.walk(final))
    edits = [types.TextEdit(range=lines.node_range(outer), new_text=expr)]
    if uses_tf and add_import:
        edits.insert(0, _import_edit(tree, lines))
    return InlineTranslation(outer, expr, tuple(edits))


def _same(a: str, b: str) -> bool:
    """Do two expressions parse to the same tree (so they mean the same)?"""
    try:
        return ast.dump(ast.parse(a.strip(), mode="eval")) == ast.dump(ast.parse(b.strip(), mode="eval"))
    except SyntaxError:
        return False


def _substitute(expr: str, name: str, value: str) -> str:
    """Put ``value`` in place of the placeholder ``name``, in parentheses only when needed."""
    safe = re.sub(rf"\b{name}\b", lambda _: f"({value})", expr)
    bare = re.sub(rf"\b{name}\b", lambda _: value, expr)
    return bare if _same(bare, safe) else safe


def _emit(layer, lines: Lines, holes: list[str], xs: str, parenthesize: bool) -> str | None:
    """The handler's output for the layer as one expression over the placeholders."""
    from kerastf_xlate.layerkit.emit import EmitCtx, Unsupported
    from kerastf_xlate.totf.common import arg_values, run_handler

    try:
        values, src = arg_values(layer, lines.lines)
        if parenthesize:
            for name, arg_node in layer.bound.nodes.items():
                if name in src and not _atomic(arg_node):
                    src[name] = f"({src[name]})"
        ctx = EmitCtx(layer.rule, values, src, _PREFIX, list(holes), xs, [None] * len(holes), _OUT, _TRAINING)
        emitted = run_handler(layer, ctx)
    except Unsupported:
        return None
    if emitted.weights or not emitted.lines:
        return None
    expr: str | None = None
    for stmt in emitted.lines:
        m = re.fullmatch(rf"{_OUT} = (.+)", stmt, re.S)
        if m is None:
            return None  # control flow (dropout) or several outputs
        rhs = m.group(1)
        if expr is None:
            if re.search(rf"\b{_OUT}\b", rhs):
                return None
        else:
            rhs = _substitute(rhs, _OUT, expr)
        expr = rhs
    return expr
