"""Stateless TensorFlow ops in Keras code -> the matching Keras layers.

Two places:

- the ``call`` of a ``keras.layers.Layer`` / ``keras.Model`` subclass: ``tf.nn.relu(x)``
  becomes ``self.relu(x)`` with ``self.relu = layers.ReLU()`` added to ``__init__`` (an
  ``__init__`` is written when the class has none);
- code that builds a functional model (a block with ``keras.Input(...)``): ops on the graph's
  tensors become layer calls, ``x = tf.nn.relu(x)`` -> ``x = layers.ReLU()(x)``. Keras 3
  rejects a KerasTensor passed to a TensorFlow op, so an op left there is reported;
- a function (not a method) that applies Keras layers to its argument without a
  ``keras.Input`` in sight (``def conv_block(x): x = layers.Conv2D(...)(x); return
  tf.nn.relu(x)``): an elementwise activation whose input is a name only ever bound to a Keras
  layer's float, maskless output in that function becomes the activation layer (see
  :func:`_layer_outputs`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kerastf_xlate.edit.records import SpanEdit
from kerastf_xlate.layerkit.recognise import Match, MatchCtx
from kerastf_xlate.layers import outputs
from kerastf_xlate.resolve import find_uses
from kerastf_xlate.syntax import self_attr
from kerastf_xlate.tokeras.body import BodyRewriter, render_edits
from kerastf_xlate.tokeras.common import (
    BUILTINS,
    FileEnv,
    Finding,
    free_names,
    init_tail,
    kept_message,
    locals_of,
    params_of,
    rank_info,
    training_param,
)
from kerastf_xlate.tokeras.naming import base_name
from kerastf_xlate.tokeras.naming import namer as make_namer


@dataclass
class KerasCodeResult:
    edits: list[SpanEdit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def translate_keras_code(tree: ast.Module, env: FileEnv, skip: list[ast.ClassDef]) -> KerasCodeResult:
    out = KerasCodeResult()
    if "keras" not in env.st.text:
        return out
    known = set(env.rules.by_name) | {"Input", "Layer", "Model"}
    uses = find_uses(tree, known)
    bases = {id(u.node) for u in uses if u.layer in ("Layer", "Model")}
    inputs = {id(u.call) for u in uses if u.call is not None and u.layer in ("Input", "InputLayer")}
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt not in skip and any(id(b) in bases for b in stmt.bases):
            _layer_class(stmt, env, out)
    for block in _function_blocks(tree):
        if any(isinstance(s, ast.Assign) and id(s.value) in inputs for s in block):
            _functional(block, env, inputs, out)
    for fn in _plain_functions(tree):
        if not any(isinstance(s, ast.Assign) and id(s.value) in inputs for s in fn.body):
            _layer_outputs(fn, env, out)
    return out


def _function_blocks(tree: ast.Module):
    yield tree.body
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.body


# ------------------------------------------------------------------------------ Keras layers


def _forward_methods(cls: ast.ClassDef, call: ast.FunctionDef, self_name: str) -> list[ast.FunctionDef]:
    """``call`` and the methods it applies, directly or through each other (``self.encode(x)``
    in ``call``): the model's forward pass, where a stateless op is the layer it computes.
    Other methods (a loss, ``train_step``, a sampler) are left as they are."""
    methods = {s.name: s for s in cls.body if isinstance(s, ast.FunctionDef)}
    out = [call]
    todo = [call]
    while todo:
        m = todo.pop()
        for n in ast.walk(m):
            if not (isinstance(n, ast.Call) and (a := self_attr(n.func, self_name)) is not None and a in methods):
                continue
            h = methods[a]
            if h in out or a.startswith("__") or a in _KERAS_METHODS or h.decorator_list \
                    or not params_of(h) or params_of(h)[0] != "self":
                continue
            out.append(h)
            todo.append(h)
    return out


# methods Keras itself calls or defines: never read as part of the forward pass
_KERAS_METHODS = {"build", "call", "get_config", "from_config", "compute_output_shape", "compute_mask",
                  "train_step", "test_step", "predict_step", "compute_loss", "add_loss", "add_weight"}


def _layer_class(cls: ast.ClassDef, env: FileEnv, out: KerasCodeResult) -> None:
    st = env.st
    call = next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "call"), None)
    if call is None:
        return
    params = params_of(call)
    self_name = params[0] if params else "self"
    init = next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
    allowed = env.module_names | BUILTINS | (set(params_of(init)) if init is not None else set())
    init_attrs = {a for s in (init.body if init is not None else []) if isinstance(s, ast.Assign)
                  for t in s.targets if (a := self_attr(t)) is not None}
    found: list[tuple[list, MatchCtx, list[Match]]] = []
    for method in _forward_methods(cls, call, self_name):
        mparams = params_of(method)
        deny: set[int] = set()
        for _ in range(4):  # a layer whose arguments only exist in `call` cannot be created in __init__
            ctx = MatchCtx(env.names, st, env.rules, self_name=self_name, training=training_param(method),
                      tensors=locals_of(method) - {self_name}, keras=env.keras, deny=deny,
                      ranks=rank_info(env, method, self_name, init))
            edits = BodyRewriter(ctx, mparams).run(method.body)
            matches = [m for e in sorted(edits, key=lambda e: e.stmt.lineno) for m in e.matches()]
            bad = {id(m.node) for m in matches if not all(free_names(v)[0] <= allowed and free_names(v)[1] <= init_attrs
                                                          for v in m.spec.args.values())}
            if not bad:
                break
            deny |= bad
        where = "it stays in `call`" if method is call else f"it stays in `{method.name}`"
        _report(method, env, matches, out, where)
        _report_notes(ctx, matches, out)
        if matches:
            found.append((edits, ctx, matches))
    if not found:
        return
    before, reached = init_tail(init) if init is not None else (None, True)
    if not reached:
        assert init is not None
        out.findings.append(Finding(init, "XL501", "the TensorFlow ops of `call` stay: `__init__` returns early, so "
                                    "layers created at its end would not exist on every path"))
        return
    taken = {s.name for s in cls.body if isinstance(s, ast.FunctionDef)}
    for n in ast.walk(cls):
        a = self_attr(n, self_name)
        if a is not None:
            taken.add(a)
    namer = make_namer(taken)
    creations = []
    for edits, ctx, matches in found:
        for m in matches:
            m.attr = namer(base_name(m.spec.cls, env.rules))
        for stmt, new in render_edits(edits, ctx, lambda m: f"{self_name}.{m.attr}"):
            out.edits.append(_stmt_edit(env, stmt, new))
        creations += [f"self.{m.attr} = {m.spec.render(env.rules, env.layers)}" for m in matches]
    if init is not None and init.body:
        indent = st.indent_of(init.body[0])
        end = st.line_span(before)[0] if before is not None else st.line_span(init.body[-1])[1]
        out.edits.append(SpanEdit(end, end, "".join(f"{indent}{c}\n" for c in creations)))
    else:
        first = next(s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
        indent = st.indent_of(first)
        start = st.starts[(first.decorator_list[0].lineno if first.decorator_list else first.lineno) - 1]
        text = f"{indent}def __init__(self, **kwargs):\n{indent}    super().__init__(**kwargs)\n"
        text += "".join(f"{indent}    {c}\n" for c in creations) + "\n"
        out.edits.append(SpanEdit(start, start, text))


def _stmt_edit(env: FileEnv, stmt: ast.stmt, new: str | None) -> SpanEdit:
    st = env.st
    if new is None:
        s, e = st.line_span(stmt)
        return SpanEdit(s, e, "")
    a, b = st.span(stmt)
    return SpanEdit(a, b, new.replace("\n", "\n" + st.indent_of(stmt)))


def _report(scope: ast.AST, env: FileEnv, matches: list[Match], out: KerasCodeResult, why: str,
            tensors: set[str] | None = None) -> None:
    st, names = env.st, env.names
    spans = [st.span(m.node) for m in matches] + [st.span(s) for m in matches for s in m.absorbed]
    found = []
    for n in ast.walk(scope):
        q = names.call(n)
        if q is None or q.startswith("tf.keras"):
            continue
        if tensors is None and not q.startswith("tf.nn."):
            continue
        if tensors is not None and not any(isinstance(x, ast.Name) and x.id in tensors for a in n.args for x in ast.walk(a)):  # type: ignore[attr-defined]
            continue
        a, b = st.span(n)
        if not any(s <= a and b <= e for s, e in spans):
            found.append((a, b, n, q))
    for a, b, n, q in found:
        if not any(a2 <= a and b <= b2 and (a2, b2) != (a, b) for a2, b2, _, _ in found):
            out.findings.append(Finding(n, "XL501", f"{kept_message(q)}; {why}"))


def _report_notes(ctx: MatchCtx, matches: list[Match], out: KerasCodeResult) -> None:
    """The ops a recogniser looked at and refused (``tf.reduce_max`` of an unknown rank)."""
    st = ctx.st
    spans = [st.span(m.node) for m in matches] + [st.span(s) for m in matches for s in m.absorbed]
    seen: set[int] = set()
    for node, why in ctx.notes:
        a, b = st.span(node)
        if id(node) in seen or any(s <= a and b <= e for s, e in spans):
            continue
        seen.add(id(node))
        out.findings.append(Finding(node, "XL501", f"kept as a TensorFlow op: {why}"))


# ------------------------------------------------------------------------------ functional models


def _graph_tensors(block: list[ast.stmt], inputs: set[int]) -> set[str]:
    tensors: set[str] = set()
    for stmt in block:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        reads = any(isinstance(n, ast.Name) and n.id in tensors for n in ast.walk(stmt.value))
        if id(stmt.value) in inputs or reads:
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        tensors.add(n.id)
    return tensors


def _functional(block: list[ast.stmt], env: FileEnv, inputs: set[int], out: KerasCodeResult) -> None:
    tensors = _graph_tensors(block, inputs)
    graph = [s for s in block if isinstance(s, (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr))
             and any(isinstance(n, ast.Name) and n.id in tensors for n in ast.walk(s))]
    ctx = MatchCtx(env.names, env.st, env.rules, tensors=tensors, keras=env.keras, ranks=rank_info(env, block))
    edits = [e for e in BodyRewriter(ctx, []).run(block, set()) if e.stmt in graph]
    matches = [m for e in edits for m in e.matches()]
    holder = ast.Module(body=graph, type_ignores=[])  # type: ignore[arg-type]
    _report(holder, env, matches, out, "Keras 3 rejects a KerasTensor passed to a TensorFlow op: "
            "wrap it in a layer (keras.layers.Lambda)", tensors)
    for stmt, new in render_edits(edits, ctx, lambda m: m.spec.render(env.rules, env.layers)):
        out.edits.append(_stmt_edit(env, stmt, new))


# ------------------------------------------------------------------------------ functions of layers

# elementwise activations raised there (the same function of each element at any rank and dtype)
_ELEMENTWISE = {"tf.nn.relu", "tf.nn.relu6", "tf.nn.elu", "tf.nn.selu", "tf.nn.gelu", "tf.nn.leaky_relu",
                "tf.math.sigmoid", "tf.math.tanh", "tf.nn.silu", "tf.nn.softplus", "tf.nn.softsign",
                "tf.math.softplus", "tf.nn.sigmoid", "tf.nn.tanh", "tf.nn.swish"}


def _plain_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """Module-level functions with no function, class or lambda nested in them."""
    return [s for s in tree.body if isinstance(s, ast.FunctionDef)
            and not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
                        for n in ast.walk(s) if n is not s)]


def _keras_layer(node: ast.AST, env: FileEnv) -> str | None:
    """``Dense`` for ``layers.Dense(...)`` / ``keras.layers.Dense(...)`` / ``tf.keras.layers.Dense(...)``
    constructed with the global dtype policy (no ``dtype=``)."""
    if not isinstance(node, ast.Call) or any(k.arg in ("dtype", None) for k in node.keywords):
        return None
    q = env.names.qual(node.func)
    if q is not None and q.startswith("tf.keras.layers."):
        return q[len("tf.keras.layers."):]
    kp = env.names.keras_path(node.func)
    if kp is not None and kp.startswith("layers."):
        return kp[len("layers."):]
    return None


def _float_outputs(fn: ast.FunctionDef, env: FileEnv) -> set[str]:
    """The names of ``fn`` every binding of which is a Keras layer's float output with no Keras
    mask: a ``layers.outputs.MASK_FREE`` layer applied to anything, a
    ``layers.outputs.FOLLOWING`` layer or an elementwise activation applied to such names only. Parameters (their dtype and mask are not
    shown), names bound any other way (a loop, a tuple, ``+=``, ``global``) or in a nested
    function are never such names."""
    binds: dict[str, list[ast.expr | None]] = {}
    for n in ast.walk(fn):
        if n is fn:
            continue
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            binds.setdefault(n.targets[0].id, []).append(n.value)
            continue
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            for name in n.names:
                binds.setdefault(name, []).append(None)
        for t in _stores_of(n):
            binds.setdefault(t, []).append(None)
    for p in params_of(fn):
        binds.setdefault(p, []).append(None)
    names = {k for k, vs in binds.items() if all(v is not None for v in vs)}

    def float_value(v: ast.expr, names: set[str]) -> bool:
        if not isinstance(v, ast.Call):
            return False
        if isinstance(v.func, ast.Call) and not v.keywords:
            cls = _keras_layer(v.func, env)
            if cls in outputs.MASK_FREE:
                masking = outputs.MASKING_ARG.get(cls)
                return not any(k.arg == masking and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                               for k in v.func.keywords)
            if cls in outputs.FOLLOWING and len(v.args) == 1:
                a = v.args[0]
                elts = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
                return bool(elts) and all(isinstance(e, ast.Name) and e.id in names for e in elts)
            return False
        if env.names.call(v) in _ELEMENTWISE and v.args and isinstance(v.args[0], ast.Name):
            return v.args[0].id in names
        return False

    changed = True
    while changed:
        changed = False
        for k in sorted(names):
            if not all(float_value(v, names) for v in binds[k] if v is not None):
                names.discard(k)
                changed = True
    return names


def _stores_of(node: ast.AST) -> list[str]:
    """Names a statement binds other than ``name = value`` (loops, tuples, ``+=``, ``with``,
    imports, nested definitions)."""
    if isinstance(node, ast.Assign):
        return [x.id for t in node.targets for x in ast.walk(t) if isinstance(x, ast.Name)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [x.id for x in ast.walk(node.target) if isinstance(x, ast.Name)]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [x.id for x in ast.walk(node.target) if isinstance(x, ast.Name)]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [x.id for i in node.items if i.optional_vars is not None for x in ast.walk(i.optional_vars) if isinstance(x, ast.Name)]
    if isinstance(node, ast.NamedExpr):
        return [node.target.id]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    return []


def _layer_outputs(fn: ast.FunctionDef, env: FileEnv, out: KerasCodeResult) -> None:
    """Elementwise activations of Keras layers' float outputs in a plain function -> the
    activation layer. The input being a layer's output of the global policy's compute dtype
    (or an activation of one), the new layer computes in the same dtype: the same values, for
    a KerasTensor as for an eager tensor, at any rank. The input carrying no Keras mask, the
    layer (which passes a mask on, where the op drops it) adds none."""
    tensors = _float_outputs(fn, env)
    if not tensors:
        return
    ctx = MatchCtx(env.names, env.st, env.rules, tensors=tensors, keras=env.keras, ranks=rank_info(env, fn.body))
    edits = []
    for e in BodyRewriter(ctx, []).run(fn.body, set()):
        ms = e.matches()
        if ms and all(not m.absorbed and env.names.call(m.node) in _ELEMENTWISE and len(m.inputs) == 1
                      and isinstance(m.inputs[0], ast.Name) and m.inputs[0].id in tensors
                      and isinstance(m.node, ast.Call) and m.node.args and m.node.args[0] is m.inputs[0]
                      for m in ms):
            edits.append(e)
    for stmt, new in render_edits(edits, ctx, lambda m: m.spec.render(env.rules, env.layers)):
        out.edits.append(_stmt_edit(env, stmt, new))
