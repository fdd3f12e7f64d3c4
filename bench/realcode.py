"""The real-code benchmark: ``to-tf``, ``to-keras`` and ``lint`` on public Keras / TensorFlow code.

The corpus lives outside the repository (``/work/corpus`` or ``--corpus DIR``), one folder per
public repository, ``<owner>+<name>/`` (bench/corpus.toml lists the repositories, their commits
and the globs; bench/fetch_corpus.md says how to rebuild it; ``--export MIRRORS`` copies the
files out of local git mirrors). Nothing is fetched here and nothing of the corpus is executed:
the translators run in-process, through the package's own functions, as the CLI runs them.

For every ``.py`` and ``.ipynb`` file:

- **to-tf**: Keras layer constructor calls (layers with a rule, names resolved by the
  package's resolver, as ``lint`` finds them) before and after; which share went; files
  changed; diagnostics by code (why models were kept); outputs that do not parse; a second run
  that changes the output (unstable); internal errors; ``ruff --select F821,F811,F401`` on the
  input and the output: findings the translation adds are likely run-time breakages; time.
- **to-keras** (files that use plain TensorFlow: ``tf.Variable``, ``tf.nn.*``, ``tf.matmul``,
  ``tf.Module``): ``tf.Variable`` calls and layer-like op calls before and after, all of them
  and those a static classification calls a layer's weight or a layer (``weight_use``: the
  rule is in its comment and in bench/README.md); files changed; errors.
- **lint**: diagnostics by code, crashes (`xlate lint` as the command runs it, to-tf's analysis included).

The translator is run raw (not through the runner's safety net, which would hide an
unparsable or unstable output by leaving the file as it was) so that those are counted;
what a user would get (the file left as it was) is what the "after" counts see.

    python bench/realcode.py -j 2 --json /tmp/realcode.json > /tmp/realcode.md
    python bench/realcode.py --sample 20 --only keras-team+keras-hub
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kerastf_xlate.config import Config  # noqa: E402
from kerastf_xlate.lint_totf import lint_bytes  # noqa: E402  (`xlate lint` as users run it: to-tf agrees)
from kerastf_xlate.resolve import ModuleNames, find_uses, keras_import_names  # noqa: E402
from kerastf_xlate.rules import RuleSet, default_rules  # noqa: E402
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, STABILITY_CHECK, SourceError, decode, notebook_program  # noqa: E402

DEFAULT_CORPUS = "/work/corpus"
CORPUS_TOML = ROOT / "bench" / "corpus.toml"
RUFF_SELECT = "F821,F811,F401"

# --------------------------------------------------------------------------- counting


def program_text(path: str, data: bytes) -> str | None:
    """The Python program of a file: a source as it is; a notebook's code cells that parse,
    joined (IPython magics masked as the package masks them). None when unreadable."""
    if path.endswith(NOTEBOOK_SUFFIX):
        return notebook_program(path, data)
    try:
        return decode(path, data).text
    except SourceError:
        return None


def parse_or_none(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@dataclass
class LayerCalls:
    """Keras layer constructor calls of a program, by layer."""

    all: Counter[str] = field(default_factory=Counter)  # every layer with a rule
    counterpart: Counter[str] = field(default_factory=Counter)  # status translated / structural

    @property
    def n_all(self) -> int:
        return sum(self.all.values())

    @property
    def n_counterpart(self) -> int:
        return sum(self.counterpart.values())


def layer_calls(tree: ast.Module, rules: RuleSet) -> LayerCalls:
    """Calls of Keras layers (``layers.Dense(...)``, ``keras.Sequential(...)``, ``keras.Input``)
    whose name has a rule, found by the package's resolver as lint finds them."""
    out = LayerCalls()
    for use in find_uses(tree, set(rules.by_name)):
        if use.call is None or use.call.func is not use.node:
            continue
        rule = rules.get(use.layer)
        if rule is None:
            continue
        out.all[rule.layer] += 1
        if rule.has_counterpart:
            out.counterpart[rule.layer] += 1
    return out


def keras_imports(tree: ast.Module) -> int:
    """Import statements (anywhere) that bind something of Keras."""
    return sum(1 for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and keras_import_names(n))


# layer-like TensorFlow ops to-keras raises (canonical names, kerastf_xlate.resolve.canonical)
_LAYER_OPS = re.compile(
    r"^tf\.(nn\.(conv[123]d|conv1d|conv2d_transpose|conv3d_transpose|depthwise_conv2d|separable_conv2d|"
    r"max_pool[123]?d?|avg_pool[123]?d?|max_pool|avg_pool|bias_add|batch_normalization|fused_batch_norm|dropout|"
    r"embedding_lookup|relu|relu6|elu|selu|gelu|leaky_relu|softmax|log_softmax|silu|softsign)|"
    r"linalg\.matmul|math\.(sigmoid|tanh|softplus)|keras\..*)$"
)


@dataclass
class TFUse:
    variables: int = 0  # tf.Variable(...) calls
    ops: Counter[str] = field(default_factory=Counter)  # layer-like op calls
    modules: int = 0  # classes deriving from tf.Module

    @property
    def n_ops(self) -> int:
        return sum(self.ops.values())

    @property
    def plain_tf(self) -> bool:
        return bool(self.variables or self.n_ops or self.modules)


def tf_use(tree: ast.Module) -> TFUse:
    names = ModuleNames(tree)
    out = TFUse()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            q = names.call(node)
            if q is None:
                continue
            if q == "tf.Variable":
                out.variables += 1
            elif _LAYER_OPS.match(q) and not q.startswith("tf.keras"):
                out.ops[q] += 1
        elif isinstance(node, ast.ClassDef):
            if any(names.qual(b) == "tf.Module" for b in node.bases):
                out.modules += 1
    return out


# --------------------------------------------------------------------------- to-keras: weights and layers
#
# The counts above take every ``tf.Variable(...)`` call and every layer-like op call.  Most of
# those in tutorials are not a layer's weight or a layer (a scalar in a guide, a step counter,
# an image being optimised, a similarity matrix, a softmax over predictions to print them), so
# the share raised is also given over a static classification, made without executing
# anything (the rule is written in bench/README.md, "to-keras on real code"):
#
# - a **weight variable** is a ``tf.Variable(...)`` whose value reaches a *weight operand*:
#   an operand of ``tf.matmul`` / ``@``, the filters of a ``tf.nn`` convolution, the params of
#   ``embedding_lookup``, the bias of ``bias_add``, the statistics / offset / scale of
#   ``batch_normalization``, or the other operand of a ``+`` / ``-`` / ``tf.add`` one of whose
#   operands is a weighted op (a bias); the value is followed through names, dict / list /
#   tuple literals and subscripts, ``self.<attr>``, comprehensions and ``for`` targets, shape
#   and dtype functions (``tf.reshape``, ``tf.transpose``, ``tf.cast``, ...), function
#   parameters (to the arguments of every call of the function in the file) and returns (a
#   helper that returns a new variable); not through other calls (a Keras model, a loss);
# - a **weighted op** is one of those ops with an operand that a ``tf.Variable`` or an
#   ``add_weight`` reaches; a ``tf.Variable`` created with ``trainable=False`` (a queue, an
#   index table, a counter) or initialised with a literal (``tf.Variable(2.0)``,
#   ``tf.Variable([[1.0, 2.0]])``, ``tf.constant`` of one: a guide's demo value) is never a
#   weight;
# - a **layer-like op** is a weighted op, or a counted activation / pooling / dropout /
#   normalization op that is in a *forward function* (one that applies a weighted op or calls
#   a Keras layer, or a function one of those calls, by name or ``self.<method>``) or whose
#   input is a weighted op's result in the same function (module-level code included).
#
# "After" counts, in the output, the classified calls whose source text is still there.

_VALUE_FUNCS = re.compile(
    r"^tf\.(reshape|transpose|linalg\.matrix_transpose|cast|identity|convert_to_tensor|squeeze|expand_dims|"
    r"concat|stack|split|unstack|gather|tile|math\.multiply|math\.scalar_mul|math\.add|math\.subtract|"
    r"math\.negative|clip_by_value|stop_gradient)$")
_VALUE_BUILTINS = {"zip", "list", "tuple", "enumerate", "sorted", "reversed", "dict", "iter"}
_VALUE_METHODS = {"values", "items", "read_value", "value", "numpy", "copy", "get"}
# weighted ops: canonical name -> (positions, keywords) of their weight operands
_WEIGHTED = {
    "tf.linalg.matmul": ((0, 1), ("a", "b")),
    "tf.nn.conv1d": ((1,), ("filters", "filter")),
    "tf.nn.conv2d": ((1,), ("filters", "filter")),
    "tf.nn.conv3d": ((1,), ("filters", "filter")),
    "tf.nn.conv2d_transpose": ((1,), ("filters", "filter")),
    "tf.nn.conv3d_transpose": ((1,), ("filters", "filter")),
    "tf.nn.depthwise_conv2d": ((1,), ("filter",)),
    "tf.nn.separable_conv2d": ((1, 2), ("depthwise_filter", "pointwise_filter")),
    "tf.nn.bias_add": ((1,), ("bias",)),
    "tf.nn.embedding_lookup": ((0,), ("params",)),
    "tf.nn.batch_normalization": ((1, 2, 3, 4), ("mean", "variance", "offset", "scale")),
    "tf.nn.fused_batch_norm": ((1, 2, 3, 4), ("scale", "offset", "mean", "variance")),
}
_Ref = tuple[Any, ...]


@dataclass
class WeightUse:
    variables: Counter[str] = field(default_factory=Counter)  # weight variables, by source text
    ops: Counter[str] = field(default_factory=Counter)  # layer-like ops, by source text
    all_variables: Counter[str] = field(default_factory=Counter)  # every tf.Variable call, by source text
    all_ops: Counter[str] = field(default_factory=Counter)  # every counted op (and @), by source text


def _op_key(node: ast.AST) -> str:
    return ast.unparse(node)


class _Scopes(ast.NodeVisitor):
    """Where each node is: its innermost function, that function's class (for methods), the
    names each function binds, and the definitions that flow into each reference."""

    def __init__(self, tree: ast.Module, names: ModuleNames) -> None:
        self.names = names
        self.func_of: dict[int, ast.AST | None] = {}  # id(node) -> innermost FunctionDef (None: module)
        self.class_of: dict[int, str | None] = {}  # id(FunctionDef) -> class name when a method
        self.parent_func: dict[int, ast.AST | None] = {}
        self.bound: dict[int, set[str]] = {}  # id(FunctionDef) -> names stored in it
        self.params: dict[int, list[str]] = {}
        self.globals_decl: dict[int, set[str]] = {}
        self.module_funcs: dict[str, ast.AST] = {}
        self.methods: dict[tuple[str, str], ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._stack: list[ast.AST | None] = [None]
        self._cls: list[str | None] = [None]
        self.visit(tree)

    def generic_visit(self, node: ast.AST) -> None:
        self.func_of[id(node)] = self._stack[-1]
        super().generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.func_of[id(node)] = self._stack[-1]
        if self._stack[-1] is None:
            self.classes.setdefault(node.name, node)
        self._cls.append(node.name)
        for child in ast.iter_child_nodes(node):
            self.visit(child)
        self._cls.pop()

    def visit_FunctionDef(self, node: ast.AST) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        self.func_of[id(node)] = self._stack[-1]
        self.parent_func[id(node)] = self._stack[-1]
        cls = self._cls[-1]
        self.class_of[id(node)] = cls
        if cls is not None:
            self.methods.setdefault((cls, node.name), node)
        elif self._stack[-1] is None:
            self.module_funcs.setdefault(node.name, node)
        a = node.args
        self.params[id(node)] = [p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]]
        stored: set[str] = set()
        glob: set[str] = set()
        for n in _walk_own(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                stored.add(n.id)
            elif isinstance(n, (ast.Global, ast.Nonlocal)):
                glob.update(n.names)
        self.bound[id(node)] = stored
        self.globals_decl[id(node)] = glob
        self._stack.append(node)
        self._cls.append(None)
        for child in ast.iter_child_nodes(node):
            self.visit(child)
        self._cls.pop()
        self._stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    # ---------------------------------------------------------------- references

    def self_name(self, func: ast.AST | None) -> str | None:
        if func is None or self.class_of.get(id(func)) is None:
            return None
        ps = self.params.get(id(func)) or []
        return ps[0] if ps else None

    def class_at(self, func: ast.AST | None) -> str | None:
        """The class of the method a node is in (through nested functions)."""
        while func is not None:
            c = self.class_of.get(id(func))
            if c is not None:
                return c
            func = self.parent_func.get(id(func))
        return None

    def name_ref(self, name: str, func: ast.AST | None) -> _Ref:
        f = func
        while f is not None:
            if name in self.globals_decl.get(id(f), set()):
                return ("g", name)
            if name in (self.params.get(id(f)) or []):
                return ("p", id(f), name)
            if name in self.bound.get(id(f), set()):
                return ("l", id(f), name)
            f = self.parent_func.get(id(f))
        return ("g", name)

    def attr_ref(self, node: ast.Attribute, func: ast.AST | None) -> _Ref | None:
        """``self.x`` in a method (or a function nested in one) -> ("a", class, "x")."""
        if not isinstance(node.value, ast.Name):
            return None
        f = func
        while f is not None:
            if self.class_of.get(id(f)) is not None:
                if node.value.id == self.self_name(f):
                    return ("a", self.class_of[id(f)], node.attr)
                return None
            f = self.parent_func.get(id(f))
        return None


def _walk_own(func: ast.AST) -> Any:
    """The nodes of a function's body, not those of functions or classes nested in it."""
    todo = list(ast.iter_child_nodes(func))
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(n))


class _Flow:
    def __init__(self, tree: ast.Module) -> None:
        self.names = ModuleNames(tree)
        self.sc = _Scopes(tree, self.names)
        self.defs: dict[_Ref, list[tuple[ast.AST, ast.AST | None]]] = {}  # ref -> (expr, its function)
        self.def_line: dict[int, int] = {}  # id(expr) -> line of a rebinding (not of d[k] = v, append, for)
        self.calls: dict[_Ref, list[tuple[ast.AST, ast.AST | None]]] = {}  # ("p", fid, name) -> args
        self.variables: dict[int, ast.Call] = {}  # id -> tf.Variable call
        self.sources: set[int] = set()  # tf.Variable and add_weight calls
        self.weighted_nodes: list[tuple[ast.AST, str, list[ast.AST]]] = []  # (op node, key name, weight operands)
        self.other_ops: list[tuple[ast.Call, str]] = []
        self.keras_ctor: set[int] = set()
        for node in ast.walk(tree):
            func = self.sc.func_of.get(id(node))
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    self._bind(t, node.value, func)
                if isinstance(node, ast.Assign) and all(isinstance(t, (ast.Name, ast.Attribute, ast.Tuple)) for t in targets):
                    self.def_line[id(node.value)] = node.lineno
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._bind(node.target, node.iter, func)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind(item.optional_vars, item.context_expr, func)
            elif isinstance(node, ast.NamedExpr):
                self._bind(node.target, node.value, func)
            elif isinstance(node, ast.Return) and node.value is not None and func is not None:
                for r in self._func_refs(func):
                    self.defs.setdefault(r, []).append((node.value, func))
            elif isinstance(node, ast.Call):
                self._call(node, func)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                self.weighted_nodes.append((node, "@", [node.left, node.right]))

    def _func_refs(self, func: ast.AST) -> list[_Ref]:
        cls = self.sc.class_of.get(id(func))
        name = getattr(func, "name", "")
        if cls is not None:
            return [("r", cls, name)]
        return [("r", id(func))]

    def _bind(self, target: ast.AST, value: ast.AST, func: ast.AST | None) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts):
                    self._bind(t, v, func)
            else:
                for t in target.elts:
                    self._bind(t, value, func)
            return
        if isinstance(target, ast.Starred):
            target = target.value
        while isinstance(target, ast.Subscript):
            target = target.value
        ref = self.target_ref(target, func)
        if ref is not None:
            self.defs.setdefault(ref, []).append((value, func))

    def target_ref(self, target: ast.AST, func: ast.AST | None) -> _Ref | None:
        if isinstance(target, ast.Name):
            return self.sc.name_ref(target.id, func)
        if isinstance(target, ast.Attribute):
            return self.sc.attr_ref(target, func)
        return None

    def callee(self, call: ast.Call, func: ast.AST | None) -> ast.AST | None:
        """The function of this file a call calls (a module-level function, ``self.<method>``,
        a class's ``__init__``)."""
        f = call.func
        if isinstance(f, ast.Name):
            ref = self.sc.name_ref(f.id, func)
            if ref[0] == "g":
                if f.id in self.sc.module_funcs:
                    return self.sc.module_funcs[f.id]
                if f.id in self.sc.classes:
                    return self.sc.methods.get((f.id, "__init__"))
            return None
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            cls = self.sc.class_at(func)
            if cls is not None and f.value.id == self.sc.self_name(self._method_of(func)):
                return self.sc.methods.get((cls, f.attr))
        return None

    def _method_of(self, func: ast.AST | None) -> ast.AST | None:
        while func is not None and self.sc.class_of.get(id(func)) is None:
            func = self.sc.parent_func.get(id(func))
        return func

    def _call(self, node: ast.Call, func: ast.AST | None) -> None:
        q = self.names.call(node)
        if q == "tf.Variable":
            self.variables[id(node)] = node
            self.sources.add(id(node))
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("add_weight", "add_variable"):
            self.sources.add(id(node))
            return
        kp = self.names.keras_path(node.func)
        if (q and (q.startswith("tf.keras.layers.") or q in ("tf.keras.Sequential", "tf.keras.Model"))) or \
                (kp and (kp.startswith("layers.") or kp in ("Sequential", "Model", "models.Sequential", "models.Model"))):
            self.keras_ctor.add(id(node))
        if q in _WEIGHTED:
            pos, kws = _WEIGHTED[q]
            operands = [node.args[i] for i in pos if i < len(node.args)] + [k.value for k in node.keywords if k.arg in kws]
            self.weighted_nodes.append((node, q, operands))
        elif q and _LAYER_OPS.match(q) and not q.startswith("tf.keras"):
            self.other_ops.append((node, q))
        target = self.callee(node, func)
        if target is not None:
            params = self.sc.params.get(id(target)) or []
            if self.sc.class_of.get(id(target)) is not None:
                params = params[1:]
            for i, a in enumerate(node.args):
                if isinstance(a, ast.Starred):
                    break
                if i < len(params):
                    self.calls.setdefault(("p", id(target), params[i]), []).append((a, func))
            for k in node.keywords:
                if k.arg is not None:
                    self.calls.setdefault(("p", id(target), k.arg), []).append((k.value, func))

    # ---------------------------------------------------------------- roots of a value

    def roots(self, expr: ast.AST, func: ast.AST | None) -> set[_Ref]:
        out: set[_Ref] = set()
        todo = [expr]
        while todo:
            e = todo.pop()
            if isinstance(e, ast.Name):
                ref = self.sc.name_ref(e.id, func)
                if (ref[0] == "l" and ref[1] == id(func)) or (ref[0] == "g" and func is None):
                    ref = (*ref, "@", e.lineno)  # straight-line code: the binding before the use
                out.add(ref)
            elif isinstance(e, ast.Attribute):
                ref = self.sc.attr_ref(e, func)
                if ref is not None:
                    out.add(ref)
                else:
                    todo.append(e.value)
            elif isinstance(e, (ast.Subscript, ast.Starred)):
                todo.append(e.value)
            elif isinstance(e, ast.BinOp):
                if not isinstance(e.op, ast.MatMult):
                    todo += [e.left, e.right]
            elif isinstance(e, ast.UnaryOp):
                todo.append(e.operand)
            elif isinstance(e, ast.IfExp):
                todo += [e.body, e.orelse]
            elif isinstance(e, ast.Dict):
                todo += e.values
            elif isinstance(e, (ast.List, ast.Tuple, ast.Set)):
                todo += e.elts
            elif isinstance(e, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
                todo.append(e.elt)
            elif isinstance(e, ast.DictComp):
                todo.append(e.value)
            elif isinstance(e, ast.Call):
                if id(e) in self.sources:
                    out.add(("v", id(e)))
                    continue
                q = self.names.call(e)
                if q is not None:
                    if _VALUE_FUNCS.match(q):
                        todo += [a for a in e.args] + [k.value for k in e.keywords]
                    continue
                target = self.callee(e, func)
                if target is not None:
                    out.update(self._func_refs(target))
                elif isinstance(e.func, ast.Name) and e.func.id in _VALUE_BUILTINS:
                    todo += list(e.args)
                elif isinstance(e.func, ast.Attribute) and e.func.attr in _VALUE_METHODS:
                    todo.append(e.func.value)
        return out

    def _defs_at(self, r: _Ref) -> list[tuple[ast.AST, ast.AST | None]]:
        """The definitions a reference reads: for a use in straight-line code, the last
        rebinding before it (all when none is before it) and every ``d[k] = v`` / ``for``."""
        if len(r) < 3 or r[-2] != "@":
            return self.defs.get(r, [])
        defs = self.defs.get(r[:-2], [])
        line = r[-1]
        before = [self.def_line[id(e)] for e, _ in defs if id(e) in self.def_line and self.def_line[id(e)] < line]
        if not before:
            return defs
        last = max(before)
        return [(e, f) for e, f in defs if id(e) not in self.def_line or self.def_line[id(e)] == last]

    def expand(self, start: set[_Ref]) -> set[int]:
        """The variable sources (ids) the references reach."""
        seen: set[_Ref] = set()
        found: set[int] = set()
        todo = list(start)
        while todo:
            r = todo.pop()
            if r in seen:
                continue
            seen.add(r)
            if r[0] == "v":
                found.add(r[1])
                continue
            for expr, f in self._defs_at(r) + (self.calls.get(r, []) if r[0] == "p" else []):
                todo.extend(self.roots(expr, f) - seen)
        return found


def _derived_refs(flow: _Flow, weighted: set[int]) -> set[_Ref]:
    """The local names (and module-level names, for module code) bound to a value computed from
    a weighted op's result in the same function."""
    out: set[_Ref] = set()
    changed = True
    while changed:
        changed = False
        for ref, defs in flow.defs.items():
            if ref in out or ref[0] not in ("l", "g"):
                continue
            for value, f in defs:
                if (ref[0] == "l" or f is None) and _derives_from(value, f, weighted, flow, out):
                    out.add(ref)
                    changed = True
                    break
    return out


def _derives_from(expr: ast.AST, func: ast.AST | None, weighted: set[int], flow: _Flow, derived: set[_Ref]) -> bool:
    """An expression computed from a weighted op's result (in the same function, through local
    names)."""
    for n in ast.walk(expr):
        if id(n) in weighted:
            return True
        if isinstance(n, ast.Name):
            ref = flow.sc.name_ref(n.id, func)
            if ref in derived and (ref[0] == "l" or func is None):
                return True
    return False


def _literal(expr: ast.AST | None, func: ast.AST | None, flow: _Flow, depth: int = 0) -> bool:
    """A value written in the code: a number, a list of numbers, ``tf.constant`` of one, or
    arithmetic on those (through names bound once)."""
    if expr is None or depth > 4:
        return False
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (int, float, complex, bool))
    if isinstance(expr, (ast.List, ast.Tuple)):
        return all(_literal(e, func, flow, depth + 1) for e in expr.elts)
    if isinstance(expr, ast.UnaryOp):
        return _literal(expr.operand, func, flow, depth + 1)
    if isinstance(expr, ast.BinOp):
        return _literal(expr.left, func, flow, depth + 1) and _literal(expr.right, func, flow, depth + 1)
    if isinstance(expr, ast.Call) and flow.names.call(expr) in ("tf.constant", "tf.convert_to_tensor", "tf.Variable") and expr.args:
        return _literal(expr.args[0], func, flow, depth + 1)
    if isinstance(expr, ast.Name):
        defs = flow.defs.get(flow.sc.name_ref(expr.id, func), [])
        return len(defs) == 1 and _literal(defs[0][0], defs[0][1], flow, depth + 1)
    return False


def _weight_source(call: ast.Call, flow: _Flow) -> bool:
    """A ``tf.Variable`` that can be a learned weight: not ``trainable=False`` (a queue, an index
    table, a counter) and not initialised with a literal (a guide's ``tf.Variable(2.0)``)."""
    for k in call.keywords:
        if k.arg == "trainable" and isinstance(k.value, ast.Constant) and k.value.value is False:
            return False
    init = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "initial_value"), None)
    return not _literal(init, flow.sc.func_of.get(id(call)), flow)


def weight_use(tree: ast.Module) -> WeightUse:
    """The weight variables and layer-like ops of a tree (the rule above)."""
    flow = _Flow(tree)
    out = WeightUse()
    for node in flow.variables.values():
        out.all_variables[_op_key(node)] += 1
    for node, _, _ in flow.weighted_nodes:
        out.all_ops[_op_key(node)] += 1
    for node, _ in flow.other_ops:
        out.all_ops[_op_key(node)] += 1
    eligible = {i for i in flow.sources if i not in flow.variables or _weight_source(flow.variables[i], flow)}
    weights: set[int] = set()
    weighted: set[int] = set()
    for node, _, operands in flow.weighted_nodes:
        func = flow.sc.func_of.get(id(node))
        found: set[int] = set()
        for o in operands:
            found |= flow.expand(flow.roots(o, func)) & eligible
        if found:
            weighted.add(id(node))
            weights |= found
    # biases: the other operand of a + / - / tf.add with a weighted op
    derived = _derived_refs(flow, weighted)
    for node in ast.walk(tree):
        func = flow.sc.func_of.get(id(node))
        pair: list[ast.AST] = []
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            pair = [node.left, node.right]
        elif isinstance(node, ast.Call) and flow.names.call(node) in ("tf.math.add", "tf.math.subtract") and len(node.args) == 2:
            pair = list(node.args)
        if len(pair) == 2:
            for a, b in ((pair[0], pair[1]), (pair[1], pair[0])):
                if _derives_from(a, func, weighted, flow, derived) and not _derives_from(b, func, weighted, flow, derived):
                    weights |= flow.expand(flow.roots(b, func)) & eligible
    for i, node in flow.variables.items():
        if i in weights:
            out.variables[_op_key(node)] += 1
    # forward functions: apply a weighted op or call a Keras layer; and the functions they call
    forward: set[int] = set()
    for node, _, _ in flow.weighted_nodes:
        if id(node) in weighted and flow.sc.func_of.get(id(node)) is not None:
            forward.add(id(flow.sc.func_of[id(node)]))
    calls_by_func: dict[int, set[int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = flow.sc.func_of.get(id(node))
        if func is None:
            continue
        target = flow.callee(node, func)
        if target is not None:
            calls_by_func.setdefault(id(func), set()).add(id(target))
        if isinstance(node.func, ast.Call) and id(node.func) in flow.keras_ctor:
            forward.add(id(func))
        elif isinstance(node.func, ast.Attribute):  # self.<layer>(x) in a method
            ref = flow.sc.attr_ref(node.func, func)
            if ref is not None and any(isinstance(v, ast.Call) and id(v) in flow.keras_ctor for v, _ in flow.defs.get(ref, [])):
                forward.add(id(func))
    todo = list(forward)
    while todo:
        f = todo.pop()
        for g in calls_by_func.get(f, ()):
            if g not in forward:
                forward.add(g)
                todo.append(g)
    for node, _, _ in flow.weighted_nodes:
        if id(node) in weighted:
            out.ops[_op_key(node)] += 1
    for node, _ in flow.other_ops:
        func = flow.sc.func_of.get(id(node))
        if (func is not None and id(func) in forward) or (node.args and _derives_from(node.args[0], func, weighted, flow, derived)):
            out.ops[_op_key(node)] += 1
    return out


def still_there(classified: Counter[str], after: Counter[str]) -> int:
    """How many of the classified calls an output still has (by source text)."""
    return sum(min(n, after[k]) for k, n in classified.items())


# --------------------------------------------------------------------------- running one translator


@dataclass
class RunOutcome:
    output: bytes | None  # what a user gets: None when the file is left as it was by an error
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (code, message)
    errors: list[str] = field(default_factory=list)  # one-line errors the tool reports (broken cells, ...)
    crash: str | None = None  # an internal error (an exception out of the translator)
    unparsable: bool = False  # an output that does not parse
    unstable: bool = False  # a second run changes the output
    seconds: float = 0.0
    raw: tuple[Any, ...] = ()  # the Diagnostic objects


class _Refused(Exception):
    """Stops a notebook's translation after a failed check (the tool leaves it as it was)."""


def run_translator(path: str, data: bytes, transform: Any) -> RunOutcome:
    """Translate one file's bytes with ``transform`` (``(text, path) -> (text, diags)``), with
    the runner's checks made visible: an output that does not parse, a second run that changes
    it, and exceptions are recorded rather than turned into a message."""
    out = RunOutcome(None)

    def checked(text: str, p: str, tr: Any, cell: int | None = None) -> tuple[str, list[Any]]:
        try:
            new, diags = tr(text, p)
        except SourceError:
            raise
        except RecursionError:
            out.crash = "RecursionError"
            raise _Refused from None
        except Exception as exc:  # a translator bug
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            out.crash = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]} ({Path(tb.filename).name}:{tb.lineno})"
            raise _Refused from None
        if new != text:
            if parse_or_none(new) is None:
                out.unparsable = True
                raise _Refused
            token = STABILITY_CHECK.set(True)  # as runner._check_output: only the text counts
            try:
                again, _ = tr(new, p)
            except Exception as exc:  # a second run that fails is unstable too
                out.crash = f"second run: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
                raise _Refused from None
            finally:
                STABILITY_CHECK.reset(token)
            if again != new:
                out.unstable = True
                raise _Refused
        return new, diags

    start = time.perf_counter()
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            from kerastf_xlate.notebooks import transform_notebook

            new_bytes, diags, errors = transform_notebook(path, data, transform, checked)
            out.output = new_bytes
            out.errors = errors
        else:
            source = decode(path, data)
            new, diags = checked(source.text, path, transform)
            out.output = data if new == source.text else new.encode(source.encoding)
        out.diagnostics = [(d.code, d.message) for d in diags]
        out.raw = tuple(diags)
    except _Refused:
        out.output = None
    except SourceError as err:
        out.errors.append(str(err))
    except Exception as exc:  # the notebook code around the translator
        out.crash = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    out.seconds = time.perf_counter() - start
    return out


# --------------------------------------------------------------------------- one file


@dataclass
class FileRecord:
    repo: str
    path: str  # inside the repository
    lines: int = 0
    parses: bool = True  # the input (its program) parses
    # to-tf
    calls_before: dict[str, int] = field(default_factory=dict)
    calls_after: dict[str, int] = field(default_factory=dict)
    cp_before: int = 0
    cp_after: int = 0
    all_before: int = 0
    all_after: int = 0
    totf_changed: bool = False
    totf_diags: list[tuple[str, str]] = field(default_factory=list)
    totf_errors: list[str] = field(default_factory=list)
    totf_crash: str | None = None
    totf_unparsable: bool = False
    totf_unstable: bool = False
    totf_seconds: float = 0.0
    totf_output: str | None = None  # where the changed output was written (for ruff)
    ruff_before: dict[str, int] = field(default_factory=dict)
    ruff_after: dict[str, int] = field(default_factory=dict)
    ruff_new: list[str] = field(default_factory=list)  # findings the output adds ("F821 Undefined name `x`")
    keras_imports_after: int = 0  # Keras imports left in a changed output
    # to-keras
    plain_tf: bool = False
    tfvars_before: int = 0
    tfvars_after: int = 0
    tfops_before: int = 0
    tfops_after: int = 0
    tfmodules: int = 0
    wvars_before: int = 0  # weight variables (weight_use)
    wvars_after: int = 0
    wops_before: int = 0  # layer-like ops (weight_use)
    wops_after: int = 0
    tok_changed: bool = False
    tok_diags: list[tuple[str, str]] = field(default_factory=list)
    tok_errors: list[str] = field(default_factory=list)
    tok_crash: str | None = None
    tok_unparsable: bool = False
    tok_unstable: bool = False
    tok_seconds: float = 0.0
    tok_output: str | None = None
    tok_ruff_new: list[str] = field(default_factory=list)
    # lint
    lint_codes: dict[str, int] = field(default_factory=dict)
    lint_error: str | None = None
    lint_crash: str | None = None
    lint_seconds: float = 0.0


_RULES: RuleSet | None = None


def _rules() -> RuleSet:
    global _RULES
    if _RULES is None:
        _RULES = default_rules()
    return _RULES


def process_file(job: tuple[str, str, str, str | None]) -> FileRecord:
    """Run to-tf, to-keras and lint on one file. ``job`` = (corpus dir, repo folder, path in
    the repository, output dir for changed to-tf outputs or None). Never raises."""
    corpus, repo, rel, outdir = job
    rec = FileRecord(repo, rel)
    try:
        _process(rec, os.path.join(corpus, repo, rel), outdir)
    except Exception as exc:  # a bug in this script must not stop the run
        rec.totf_crash = rec.totf_crash or f"benchmark: {type(exc).__name__}: {exc}"
    return rec


def _process(rec: FileRecord, full: str, outdir: str | None) -> None:
    from kerastf_xlate.tokeras import make_transform as tok_transform
    from kerastf_xlate.totf import make_transform as totf_transform

    rules = _rules()
    data = Path(full).read_bytes()
    text = program_text(full, data)
    tree = parse_or_none(text) if text is not None else None
    rec.lines = text.count("\n") + 1 if text else 0
    if tree is None:
        rec.parses = False
    # lint
    start = time.perf_counter()
    try:
        res = lint_bytes(full, data, rules, Config())
        rec.lint_codes = dict(Counter(d.code for d in res.diagnostics))
        rec.lint_error = str(res.error) if res.error else None
    except Exception as exc:
        rec.lint_crash = f"{type(exc).__name__}: {exc}"
    rec.lint_seconds = time.perf_counter() - start
    # to-tf
    before = layer_calls(tree, rules) if tree is not None else LayerCalls()
    rec.calls_before = dict(before.all)
    rec.all_before, rec.cp_before = before.n_all, before.n_counterpart
    res_tf = run_translator(full, data, totf_transform())
    if res_tf.output is not None and res_tf.output != data:
        # what `xlate to-tf FILE` writes: the run's files are one program (kerastf_xlate.tree,
        # the run-wide pass; a model running code of a module outside the run is kept by the
        # translation itself, XL310)
        from kerastf_xlate.runner import TransformResult
        from kerastf_xlate.tree import reconcile

        one = reconcile([TransformResult(full, data, res_tf.output, res_tf.raw, "\nerror: ".join(res_tf.errors) or None)],
                        [os.path.dirname(full) or "."])[0]
        if one.output == data:
            res_tf.output = data
            res_tf.diagnostics = [(d.code, d.message) for d in one.diagnostics]
    rec.totf_diags, rec.totf_errors, rec.totf_crash = res_tf.diagnostics, res_tf.errors, res_tf.crash
    rec.totf_unparsable, rec.totf_unstable, rec.totf_seconds = res_tf.unparsable, res_tf.unstable, res_tf.seconds
    after = before
    if res_tf.output is not None and res_tf.output != data:
        rec.totf_changed = True
        new_text = program_text(full, res_tf.output)
        new_tree = parse_or_none(new_text) if new_text is not None else None
        if new_tree is None:
            rec.totf_unparsable = True  # (a notebook's cells: the joined program)
        else:
            after = layer_calls(new_tree, rules)
            rec.keras_imports_after = keras_imports(new_tree)
        if outdir is not None:
            dest = os.path.join(outdir, "to-tf", rec.repo, rec.path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            Path(dest).write_bytes(res_tf.output)
            rec.totf_output = dest
    rec.calls_after = dict(after.all)
    rec.all_after, rec.cp_after = after.n_all, after.n_counterpart
    # to-keras, on files that use plain TensorFlow
    use = tf_use(tree) if tree is not None else TFUse()
    rec.plain_tf = use.plain_tf
    if use.plain_tf:
        rec.tfvars_before, rec.tfops_before, rec.tfmodules = use.variables, use.n_ops, use.modules
        wuse = weight_use(tree)  # type: ignore[arg-type]
        rec.wvars_before, rec.wops_before = sum(wuse.variables.values()), sum(wuse.ops.values())
        wafter = wuse
        res_k = run_translator(full, data, tok_transform())
        rec.tok_diags, rec.tok_errors, rec.tok_crash = res_k.diagnostics, res_k.errors, res_k.crash
        rec.tok_unparsable, rec.tok_unstable, rec.tok_seconds = res_k.unparsable, res_k.unstable, res_k.seconds
        after_use = use
        if res_k.output is not None and res_k.output != data:
            rec.tok_changed = True
            new_text = program_text(full, res_k.output)
            new_tree = parse_or_none(new_text) if new_text is not None else None
            if new_tree is None:
                rec.tok_unparsable = True
            else:
                after_use = tf_use(new_tree)
                wafter = weight_use(new_tree)
            if outdir is not None:
                dest = os.path.join(outdir, "to-keras", rec.repo, rec.path)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                Path(dest).write_bytes(res_k.output)
                rec.tok_output = dest
        rec.tfvars_after, rec.tfops_after = after_use.variables, after_use.n_ops
        rec.wvars_after = still_there(wuse.variables, wafter.all_variables)
        rec.wops_after = still_there(wuse.ops, wafter.all_ops)


# --------------------------------------------------------------------------- ruff


# F811 names the line of the first definition: the same finding moves when lines are added above it
_LINE_REF = re.compile(r"from (?:cell \d+, )?line \d+")


def ruff_findings(paths: list[str], ruff: str) -> dict[str, list[str]]:
    """``ruff check --select F821,F811,F401`` findings per file: ["F821 Undefined name `x`", ...]."""
    out: dict[str, list[str]] = {p: [] for p in paths}
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        proc = subprocess.run(
            [ruff, "check", "--no-cache", "--isolated", "--select", RUFF_SELECT, "--output-format", "json", "--exit-zero", *chunk],
            capture_output=True, text=True, timeout=900,
        )
        try:
            found = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            continue
        for f in found:
            name = os.path.abspath(f.get("filename", ""))
            for p in chunk:
                if os.path.abspath(p) == name:
                    out[p].append(f"{f.get('code') or 'E999'} {_LINE_REF.sub('from an earlier line', f.get('message', ''))}")
                    break
    return out


def compare_ruff(records: list[FileRecord], corpus: str, ruff: str) -> None:
    """Fill ``ruff_before`` / ``ruff_after`` / ``ruff_new`` of the files to-tf changed, and
    ``tok_ruff_new`` of those to-keras changed."""
    changed = [r for r in records if r.totf_output or r.tok_output]
    if not changed:
        return
    inputs = [os.path.join(corpus, r.repo, r.path) for r in changed]
    before = ruff_findings(inputs, ruff)
    after = ruff_findings([o for r in changed for o in (r.totf_output, r.tok_output) if o], ruff)
    for r, i in zip(changed, inputs):
        b = Counter(before.get(i, []))
        if r.totf_output:
            a = Counter(after.get(r.totf_output, []))
            r.ruff_before = dict(Counter(m.split()[0] for m in b.elements()))
            r.ruff_after = dict(Counter(m.split()[0] for m in a.elements()))
            r.ruff_new = sorted((a - b).elements())
        if r.tok_output:
            r.tok_ruff_new = sorted((Counter(after.get(r.tok_output, [])) - b).elements())


# --------------------------------------------------------------------------- corpus


def load_corpus_toml(path: Path = CORPUS_TOML) -> list[dict[str, Any]]:
    import tomllib

    with open(path, "rb") as fh:
        return list(tomllib.load(fh).get("repo", []))


def glob_match(path: str, pattern: str) -> bool:
    """``**/`` matches any folders (none too), ``*`` stays inside one path part."""
    rx = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            rx += "(?:[^/]+/)*"
            i += 3
        elif pattern[i] == "*":
            rx += "[^/]*"
            i += 1
        else:
            rx += re.escape(pattern[i])
            i += 1
    return re.fullmatch(rx, path) is not None


def selected(path: str, entry: dict[str, Any]) -> bool:
    return any(glob_match(path, g) for g in entry.get("include", [])) and not any(glob_match(path, g) for g in entry.get("exclude", []))


def export(mirrors: str, corpus: str, toml: Path = CORPUS_TOML) -> None:
    """Copy the files corpus.toml (or ``toml``) selects out of local git mirrors
    (``MIRRORS/<owner>+<name>/repo``, as the ``fetch`` tool brings them) into ``CORPUS/<owner>+<name>/``."""
    for entry in load_corpus_toml(toml):
        folder = entry["name"].replace("/", "+")
        git_dir = os.path.join(mirrors, folder, "repo")
        if os.path.isdir(os.path.join(git_dir, ".git")):  # a snapshot with a work tree
            git_dir = os.path.join(git_dir, ".git")
        if not os.path.isdir(git_dir):
            print(f"{entry['name']}: no mirror at {git_dir}; skipped", file=sys.stderr)
            continue
        commit = entry.get("commit", "HEAD")
        # -z: paths as they are (not quoted, as non-ASCII names are without it)
        names = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", "--name-only", commit],
                               capture_output=True, text=True, check=True).stdout.split("\0")
        chosen = [n for n in names if n.endswith((".py", ".ipynb")) and selected(n, entry)]
        dest_root = os.path.join(corpus, folder)
        shutil.rmtree(dest_root, ignore_errors=True)
        missing = []
        for n in chosen:
            proc = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{n}"], capture_output=True)
            if proc.returncode:  # a snapshot lacks files of 4 MiB and more (notebooks with big outputs)
                missing.append(n)
                continue
            blob = proc.stdout
            dest = os.path.join(dest_root, n)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            Path(dest).write_bytes(blob)
        print(f"{entry['name']}@{commit[:12]}: {len(chosen) - len(missing)} files -> {dest_root}"
              f"{'; not in the mirror: ' + ', '.join(missing) if missing else ''}", file=sys.stderr)


def list_files(corpus: str, only: list[str] | None, sample: int | None, seed: int) -> list[tuple[str, str]]:
    """(repo folder, path inside it) of every .py / .ipynb file, sorted; ``sample`` per repo."""
    jobs: list[tuple[str, str]] = []
    for repo in sorted(os.listdir(corpus)):
        if not os.path.isdir(os.path.join(corpus, repo)):
            continue
        if only and not any(o.replace("/", "+") in repo for o in only):
            continue
        files = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(corpus, repo)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if f.endswith((".py", NOTEBOOK_SUFFIX)):
                    files.append(os.path.relpath(os.path.join(dirpath, f), os.path.join(corpus, repo)))
        files.sort()
        if sample is not None and len(files) > sample:
            files = sorted(random.Random(f"{seed}:{repo}").sample(files, sample))
        jobs += [(repo, f) for f in files]
    return jobs


# --------------------------------------------------------------------------- summary


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


_NAME_IN_MSG = re.compile(r"`[^`]*`")


def message_key(message: str) -> str:
    """A diagnostic message with the user's names taken out, to group like reasons."""
    return _NAME_IN_MSG.sub("`…`", message)[:140]


def aggregate(records: list[FileRecord]) -> dict[str, Any]:
    """Totals of a set of file records (one repo, or all)."""
    a: dict[str, Any] = {
        "files": len(records),
        "lines": sum(r.lines for r in records),
        "inputs_not_parsing": sum(not r.parses for r in records),
        "files_with_layer_calls": sum(r.all_before > 0 for r in records),
        "layer_calls_before": sum(r.all_before for r in records),
        "layer_calls_after": sum(r.all_after for r in records),
        "cp_calls_before": sum(r.cp_before for r in records),
        "cp_calls_after": sum(r.cp_after for r in records),
        "totf_changed": sum(r.totf_changed for r in records),
        "totf_unparsable": sum(r.totf_unparsable for r in records),
        "totf_unstable": sum(r.totf_unstable for r in records),
        "totf_crashes": sum(r.totf_crash is not None for r in records),
        "totf_errors": sum(bool(r.totf_errors) for r in records),
        "totf_seconds": sum(r.totf_seconds for r in records),
        "ruff_new_files": sum(bool(r.ruff_new) for r in records),
        "ruff_new": sum(len(r.ruff_new) for r in records),
        "ruff_new_f821": sum(sum(m.startswith("F821") for m in r.ruff_new) for r in records),
        "ruff_new_f821_files": sum(any(m.startswith("F821") for m in r.ruff_new) for r in records),
        "totf_keras_left": sum(r.totf_changed and r.keras_imports_after > 0 for r in records),
        "totf_no_layer_left": sum(r.totf_changed and r.all_after == 0 for r in records),
        "tok_ruff_new_f821": sum(sum(m.startswith("F821") for m in r.tok_ruff_new) for r in records),
        "tok_ruff_new_f821_files": sum(any(m.startswith("F821") for m in r.tok_ruff_new) for r in records),
        "plain_tf_files": sum(r.plain_tf for r in records),
        "tfvars_before": sum(r.tfvars_before for r in records if r.plain_tf),
        "tfvars_after": sum(r.tfvars_after for r in records if r.plain_tf),
        "tfops_before": sum(r.tfops_before for r in records if r.plain_tf),
        "tfops_after": sum(r.tfops_after for r in records if r.plain_tf),
        "wvars_before": sum(r.wvars_before for r in records if r.plain_tf),
        "wvars_after": sum(r.wvars_after for r in records if r.plain_tf),
        "wops_before": sum(r.wops_before for r in records if r.plain_tf),
        "wops_after": sum(r.wops_after for r in records if r.plain_tf),
        "tok_changed": sum(r.tok_changed for r in records),
        "tok_unparsable": sum(r.tok_unparsable for r in records),
        "tok_unstable": sum(r.tok_unstable for r in records),
        "tok_crashes": sum(r.tok_crash is not None for r in records),
        "lint_crashes": sum(r.lint_crash is not None for r in records),
        "lint_errors": sum(r.lint_error is not None for r in records),
    }
    a["totf_codes"] = dict(Counter(c for r in records for c, _ in r.totf_diags).most_common())
    a["totf_code_files"] = dict(Counter(c for r in records for c in {c for c, _ in r.totf_diags}).most_common())
    a["totf_reasons"] = Counter(f"{c} {message_key(m)}" for r in records for c, m in r.totf_diags).most_common(25)
    a["tok_codes"] = dict(Counter(c for r in records for c, _ in r.tok_diags).most_common())
    a["lint_codes"] = dict(sum((Counter(r.lint_codes) for r in records), Counter()).most_common())
    a["ruff_new_messages"] = Counter(_NAME_IN_MSG.sub("`…`", m) if not m.startswith("F821") else m
                                     for r in records for m in r.ruff_new).most_common(25)
    a["tok_ruff_new_messages"] = Counter(_NAME_IN_MSG.sub("`…`", m) if not m.startswith("F821") else m
                                         for r in records for m in r.tok_ruff_new).most_common(25)
    times = [r.totf_seconds for r in records]
    a["totf_seconds_median"] = statistics.median(times) if times else 0.0
    a["totf_seconds_max"] = max(times) if times else 0.0
    return a


def render(records: list[FileRecord], by_repo: dict[str, dict[str, Any]], total: dict[str, Any], header: str) -> str:
    out = [header, "",
           f"Inputs that do not parse as a whole (a .py file, or no cell of a notebook): {total['inputs_not_parsing']}; "
           f"files with a to-tf error message (e.g. a notebook cell left as it is): {total['totf_errors']}; "
           f"to-tf time, all files: {total['totf_seconds']:.0f} s.", ""]
    out += ["### to-tf", "",
            "| repo | files | lines | with layers | layer calls | gone | gone (with counterpart) | files changed | no layer call left | Keras import left | unparsable | unstable | crashes | +F821 (files) | s/file (median, max) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, a in [*by_repo.items(), ("**total**", total)]:
        gone = a["layer_calls_before"] - a["layer_calls_after"]
        gone_cp = a["cp_calls_before"] - a["cp_calls_after"]
        out.append(f"| {name} | {a['files']} | {a['lines']} | {a['files_with_layer_calls']} | {a['layer_calls_before']} | "
                   f"{gone} ({_pct(gone, a['layer_calls_before'])}) | {gone_cp}/{a['cp_calls_before']} ({_pct(gone_cp, a['cp_calls_before'])}) | "
                   f"{a['totf_changed']} | {a['totf_no_layer_left']} | {a['totf_keras_left']} | {a['totf_unparsable']} | {a['totf_unstable']} | {a['totf_crashes']} | "
                   f"{a['ruff_new_f821']} ({a['ruff_new_f821_files']}) | {a['totf_seconds_median']:.2f}, {a['totf_seconds_max']:.1f} |")
    out += ["", "Diagnostics of to-tf by code (occurrences / files):", ""]
    out += [f"- {c}: {n} / {total['totf_code_files'].get(c, 0)}" for c, n in total["totf_codes"].items()]
    out += ["", "Top reasons a model or layer was kept (code and message, user names elided):", ""]
    out += [f"{i}. {n} × {m}" for i, (m, n) in enumerate(total["totf_reasons"], 1)]
    out += ["", "ruff findings the to-tf outputs add (F821 undefined name, F811 redefinition, F401 unused import):", ""]
    out += [f"- {n} × {m}" for m, n in total["ruff_new_messages"]] or ["- none"]
    crashes = [r for r in records if r.totf_crash or r.tok_crash or r.lint_crash]
    unsafe = [r for r in records if r.totf_unparsable or r.totf_unstable or r.tok_unparsable or r.tok_unstable]
    if crashes or unsafe:
        out += ["", "Crashes, unparsable or unstable outputs:", ""]
        for r in crashes + unsafe:
            what = "; ".join(x for x in (
                r.totf_crash and f"to-tf crash: {r.totf_crash}", r.tok_crash and f"to-keras crash: {r.tok_crash}",
                r.lint_crash and f"lint crash: {r.lint_crash}", r.totf_unparsable and "to-tf output does not parse",
                r.totf_unstable and "to-tf unstable", r.tok_unparsable and "to-keras output does not parse",
                r.tok_unstable and "to-keras unstable") if x)
            out.append(f"- {r.repo}/{r.path}: {what}")
    out += ["", "### to-keras (files that use plain TensorFlow)", "",
            "| repo | files | tf.Variable | raised | layer-like ops | raised | weight variables | raised | layer-like ops (classified) | raised | files changed | unparsable | unstable | crashes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, a in [*by_repo.items(), ("**total**", total)]:
        if not a["plain_tf_files"]:
            continue
        v = a["tfvars_before"] - a["tfvars_after"]
        o = a["tfops_before"] - a["tfops_after"]
        wv = a["wvars_before"] - a["wvars_after"]
        wo = a["wops_before"] - a["wops_after"]
        out.append(f"| {name} | {a['plain_tf_files']} | {a['tfvars_before']} | {v} ({_pct(v, a['tfvars_before'])}) | "
                   f"{a['tfops_before']} | {o} ({_pct(o, a['tfops_before'])}) | "
                   f"{a['wvars_before']} | {wv} ({_pct(wv, a['wvars_before'])}) | {a['wops_before']} | {wo} ({_pct(wo, a['wops_before'])}) | "
                   f"{a['tok_changed']} | {a['tok_unparsable']} | "
                   f"{a['tok_unstable']} | {a['tok_crashes']} |")
    out += ["", "ruff findings the to-keras outputs add:", ""]
    out += [f"- {n} × {m}" for m, n in total["tok_ruff_new_messages"]] or ["- none"]
    out += ["", "Diagnostics of to-keras by code: " + (", ".join(f"{c} {n}" for c, n in total["tok_codes"].items()) or "none")]
    out += ["", "### lint", "",
            f"Files: {total['files']}, crashes: {total['lint_crashes']}, files reported as not parsing: {total['lint_errors']}.", "",
            "Diagnostics by code: " + (", ".join(f"{c} {n}" for c, n in total["lint_codes"].items()) or "none"), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def run_all(corpus: str, jobs: list[tuple[str, str]], n_jobs: int, outdir: str | None) -> list[FileRecord]:
    work = [(corpus, repo, rel, outdir) for repo, rel in jobs]
    if n_jobs <= 1:
        return [process_file(w) for w in work]
    import multiprocessing as mp

    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    with ctx.Pool(n_jobs, maxtasksperchild=50) as pool:
        return list(pool.imap(process_file, work, chunksize=1))


def summarise(records: list[FileRecord]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    by_repo = {repo: aggregate([r for r in records if r.repo == repo]) for repo in sorted({r.repo for r in records})}
    return by_repo, aggregate(records)


def _git_head() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    ap.add_argument("--sample", type=int, help="at most N files per repository (random, fixed by --seed)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", help="only repositories whose folder contains this (repeatable)")
    ap.add_argument("--json", help="write per-file records and per-repo totals here")
    ap.add_argument("--ruff", default=shutil.which("ruff") or str(Path(sys.executable).with_name("ruff")), help="ruff executable")
    ap.add_argument("--no-ruff", action="store_true", help="skip the ruff comparison")
    ap.add_argument("--corpus-toml", type=Path, default=CORPUS_TOML,
                    help="the repositories --export takes (default: bench/corpus.toml; bench/heldout.toml is the held-out set)")
    ap.add_argument("--export", metavar="MIRRORS", help="build the corpus from git mirrors (see bench/fetch_corpus.md) and exit")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # as the CLI does
    if args.export:
        export(args.export, args.corpus, args.corpus_toml)
        return 0
    if not os.path.isdir(args.corpus):
        print(f"error: no corpus at {args.corpus} (see bench/fetch_corpus.md)", file=sys.stderr)
        return 2
    jobs = list_files(args.corpus, args.only, args.sample, args.seed)
    with tempfile.TemporaryDirectory(prefix="realcode-") as tmp:
        start = time.perf_counter()
        records = run_all(args.corpus, jobs, args.jobs, None if args.no_ruff else tmp)
        wall = time.perf_counter() - start
        if not args.no_ruff and os.path.exists(args.ruff):
            compare_ruff(records, args.corpus, args.ruff)
    for r in records:
        r.totf_output = r.tok_output = None
    by_repo, total = summarise(records)
    header = (f"## Real code: {total['files']} files, {total['lines']} lines "
              f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {_git_head()}, -j {args.jobs}, "
              f"{'sample ' + str(args.sample) + ' per repo, ' if args.sample else ''}wall {wall:.0f} s)")
    print(render(records, by_repo, total, header))
    if args.json:
        Path(args.json).write_text(json.dumps({"header": header, "total": total, "by_repo": by_repo,
                                               "files": [asdict(r) for r in records]}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
