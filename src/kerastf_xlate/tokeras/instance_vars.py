"""Classes whose variables the program reads on an instance, and plain classes holding
``tf.Variable`` s, raised to Keras models (issue #17).

Two shapes of TensorFlow 2 code the module path (:mod:`.module`) kept as written:

- **a plain class** (``class Model(object):`` with ``self.W1 = tf.Variable(...)`` in
  ``__init__`` and a ``__call__``), the TF 2.0 guides' and the books' "custom model";
- **the training code reads the variables by name on an instance**: ``t.gradient(loss,
  [model.W1, model.b1])``, ``optimizer.apply_gradients(zip(grads, [model.W1, ...]))``,
  ``tf.train.Checkpoint(W1=model.W1)``, ``model.W1.numpy()``, whatever object ``model`` is
  (a parameter of ``train_step``, an attribute of another object).

The raise: the class becomes a Keras model as a ``tf.Module`` subclass does (a plain class is
read as one: same ``__init__``, ``super().__init__()`` added first); its layers are built in
``__init__`` with the variables' sizes, so the weights exist from construction, as the
variables did; and each variable read on an instance becomes a read-only property of the
raised class returning the layer weight's ``tf.Variable`` (``self.dense.kernel.value``: in
Keras 3 with TensorFlow a layer weight holds a ``tf.Variable``; the tape, the optimizers,
``tf.train.Checkpoint``, ``.numpy()``, ``.shape`` and ``.assign`` see the variable the layer
computes with). So ``model.W1`` means what it meant, for any expression ``model``, without
following instances through the program.

A helper method called with the variables (``self.__conv_layer(x, self.W1, self.b1)``, whose
body is ``conv = tf.nn.conv2d(x, W, ...)``, ``tf.nn.bias_add``, ``tf.nn.relu``) is substituted at
each such call, as :mod:`.weight_dicts` substitutes a model function's wrapper helpers, so the
layer its ops compute is seen; a helper nothing calls any more goes.

Kept as written, with the reason (XL503 at the variables): a class that is not raised whole
(a variable that is not a layer weight, a layer that cannot be built with the variables'
sizes, a scalar bias that a Keras layer holds as ``(1,)``); a variable stored or deleted on an
instance (``model.W1 = ...``: a property is read-only); a property name Keras's model uses or
the raised class assigns; a raise that a second run would change.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.syntax import SourceText, self_attr
from kerastf_xlate.tokeras.naming import RESERVED
from kerastf_xlate.tokeras.unexplained import tf1_code
from kerastf_xlate.tokeras.units import Result, UnitInfo
from kerastf_xlate.tokeras.variables import find_variables
from kerastf_xlate.tokeras.weight_dicts import inline_call, simple_helper

Translate = Callable[[str, frozenset[str]], Result]
LineMap = Callable[[list[str], list[str]], list[int]]


@dataclass
class Candidate:
    cls: ast.ClassDef
    plain: bool  # ``class X:`` / ``class X(object):``; else a tf.Module subclass
    variables: list[str]  # the attributes holding tf.Variables, in creation order
    read: list[str]  # those read on an instance other than ``self``, in first-read order


def _plain(cls: ast.ClassDef) -> bool:
    return not cls.keywords and (not cls.bases or (len(cls.bases) == 1 and isinstance(cls.bases[0], ast.Name)
                                                    and cls.bases[0].id == "object"))


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == name), None)


def _instance_uses(tree: ast.Module, cls: ast.ClassDef, attrs: set[str]) -> tuple[list[str], ast.Attribute | None]:
    """The attributes of ``attrs`` read on something other than the class's own ``self``
    (first-read order), and the first store or delete of one there."""
    inside = {id(n) for m in cls.body if isinstance(m, ast.FunctionDef) for n in ast.walk(m)
              if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and m.args.args
              and n.value.id == m.args.args[0].arg}
    # ``self.W1`` in another class is that class's own attribute (a subclass keeps the class)
    inside |= {id(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
               and n.value.id == "self"}
    uses = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in attrs and id(n) not in inside),
                  key=lambda n: (n.lineno, n.col_offset))
    stored = next((n for n in uses if not isinstance(n.ctx, ast.Load)), None)
    return list(dict.fromkeys(n.attr for n in uses if isinstance(n.ctx, ast.Load))), stored


def candidates(tree: ast.Module, st: SourceText, names: ModuleNames) -> tuple[list[Candidate], dict[str, str]]:
    """The classes this pass raises, and why each one it cannot even try is kept."""
    out: list[Candidate] = []
    findings: dict[str, str] = {}
    if names.tf_alias is None or tf1_code(tree, names) is not None:
        return out, findings  # (TensorFlow 1 graph code: the unexplained pass says so)
    # a Keras model's own attribute set on some object (`model.trainable = False`): on a plain
    # object an attribute like any other, on a Keras model a switch (or a property without a
    # setter); which instance it is is not followed, so no plain class is raised
    keras_store = next((n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and not isinstance(n.ctx, ast.Load)
                        and n.attr in RESERVED and not (isinstance(n.value, ast.Name) and n.value.id == "self")), None)
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or cls.decorator_list:
            continue
        plain = _plain(cls)
        module = len(cls.bases) == 1 and not cls.keywords and names.qual(cls.bases[0]) == "tf.Module"
        if not (plain or module):
            continue
        init, call = _method(cls, "__init__"), _method(cls, "__call__")
        if init is None or call is None or not init.args.args:
            continue
        found, others = find_variables(cls, init, st, names, tree)
        if not found or others or any(v.lazy is not None for v in found.values()):
            continue  # (the module path says why, or the unexplained pass)
        attrs = list(found)
        read, stored = _instance_uses(tree, cls, set(attrs))
        if module and not read:
            continue  # the module path raises it as it is
        kept = None
        sub = next((s for s in ast.walk(tree) if isinstance(s, ast.ClassDef)
                    and any(isinstance(b, ast.Name) and b.id == cls.name for b in s.bases)), None)
        if sub is not None:
            kept = f"`{sub.name}` derives from it, and what a subclass does with its variables is not followed"
        elif plain and keras_store is not None:
            kept = (f"`{ast.unparse(keras_store)}` sets an attribute a Keras model has, on an object that may be "
                    "an instance")
        elif stored is not None:
            kept = (f"`{ast.unparse(stored)}` sets it on an instance, and a raised class reads it through a "
                    "read-only property")
        elif any(a in RESERVED or a.startswith("_") for a in read):
            bad = next(a for a in read if a in RESERVED or a.startswith("_"))
            kept = f"`{bad}`, read on an instance, is a name a Keras model uses (or a private one)"
        elif _other_state(cls, init, set(attrs)):
            kept = (f"`{cls.name}` holds state besides its variables under a name a Keras model uses, or defines "
                    "a part of Python's object protocol a Keras model defines for itself")
        if kept is not None:
            findings[cls.name] = kept
            continue
        out.append(Candidate(cls, plain, attrs, read))
    return out, findings


# what a class defines that a Keras model's attribute tracking and copying rely on
_OBJECT_PROTOCOL = frozenset({"__getattr__", "__getattribute__", "__setattr__", "__delattr__", "__new__",
                              "__init_subclass__", "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__",
                              "__copy__", "__deepcopy__", "__slots__"})


def _other_state(cls: ast.ClassDef, init: ast.FunctionDef, attrs: set[str]) -> bool:
    """An attribute the class sets (anywhere) or a method it defines under a name Keras's
    model uses itself (``self.layers = [...]``, ``def summary``), or a part of Python's object
    protocol Keras's model defines for itself (``__setattr__``, ``__getstate__``, ``__slots__``)."""
    for n in ast.walk(cls):
        a = self_attr(n) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) else None
        if a is not None and a not in attrs and a in RESERVED:
            return True
    for m in cls.body:
        if isinstance(m, ast.FunctionDef) and (m.name in RESERVED or m.name in _OBJECT_PROTOCOL):
            return True
        if isinstance(m, ast.Assign) and any(isinstance(t, ast.Name) and t.id in _OBJECT_PROTOCOL for t in m.targets):
            return True
    return False


def _header(st: SourceText, cls: ast.ClassDef, tf: str) -> tuple[int, int, str] | None:
    """The span of a plain class's ``class X:`` / ``class X(object):`` header up to its colon,
    and the same header deriving from ``tf.Module``."""
    line = st.lines[cls.lineno - 1]
    start = st.starts[cls.lineno - 1]
    at = line.find(f"class {cls.name}")
    if at < 0 or cls.body[0].lineno == cls.lineno:
        return None
    rest = line[at + len(f"class {cls.name}"):]
    colon = rest.find(":")
    if colon < 0 or "#" in rest[:colon]:
        return None
    head = rest[:colon].replace(" ", "")
    if head not in ("", "()", "(object)"):
        return None
    s = start + at
    return s, s + len(f"class {cls.name}") + colon, f"class {cls.name}({tf}.Module)"


def raise_instances(text: str, tree: ast.Module, st: SourceText, names: ModuleNames, translate: Translate,
                    line_map: LineMap) -> tuple[Result | None, dict[str, str]]:
    """The file with its candidate classes raised (or None), and why each class it tried and
    kept is kept. ``translate(text, built)`` is the engine's whole-file translation;
    ``line_map(before, after)`` gives each line of ``after`` the line of ``before`` it was."""
    cands, kept = candidates(tree, st, names)
    tf = names.tf_alias
    if tf is None:
        return None, kept
    while cands:
        edits: list[tuple[int, int, str]] = []
        for c in cands:
            edits += _helpers_inlined(c, tree, st)
            if c.plain:
                h = _header(st, c.cls, tf)
                if h is None:
                    kept[c.cls.name] = "its `class` line is not one to-keras rewrites"
                    break
                edits.append(h)
        if any(c.cls.name in kept for c in cands):
            cands = [c for c in cands if c.cls.name not in kept]
            continue
        new = text
        for s, e, rep in sorted(edits, reverse=True):
            new = new[:s] + rep + new[e:]
        r = translate(new, frozenset(c.cls.name for c in cands))
        failed = {c.cls.name: why for c in cands if (why := _unraised(c, r)) is not None}
        if failed:
            kept.update(failed)
            cands = [c for c in cands if c.cls.name not in failed]
            continue
        out = _with_properties(r.text, cands, {u.name: u for u in r.units})
        if out is None:
            why = "a property for a variable read on an instance would take a name the raised class uses"
        elif translate(out, frozenset()).text != out:
            why = "the raised program is not one to-keras leaves as it is on a second run"
        else:
            # the findings were made on the rewritten text (a helper gone, a call on one line):
            # said at the original's lines
            return Result(out, sorted(set(_at_original_lines(r.diagnostics, text, new, line_map))), r.units), kept
        kept.update({c.cls.name: why for c in cands})
        return None, kept
    return None, kept


def _at_original_lines(diagnostics: list[Diagnostic], text: str, new: str, line_map: LineMap) -> list[Diagnostic]:
    """Findings made on the rewritten text (a helper gone, its call on one line) at the
    original's lines; the column kept where the line is the same text."""
    before, after = text.splitlines(), new.splitlines()
    lines = line_map(before, after)
    out = []
    for d in diagnostics:
        if not 0 < d.line <= len(after):
            out.append(d)
            continue
        line = lines[d.line - 1]
        same = 0 < line <= len(before) and before[line - 1] == after[d.line - 1]
        out.append(replace(d, line=line, col=d.col if same else 0))
    return out


def _unraised(c: Candidate, r: Result) -> str | None:
    """Why the translation did not raise ``c`` whole with its layers built in ``__init__``."""
    u = next((u for u in r.units if u.name == c.cls.name and u.kind == "module"), None)
    why = "some of its variables are not the weights of Keras layers to-keras recognises"
    if u is None:
        said = [d.message for d in r.diagnostics if d.code == "XL502" and f"`{c.cls.name}` kept" in d.message]
        if said:
            return said[0].split(": ", 1)[-1]
        return why
    if u.kept_vars or set(u.weight_paths) != set(c.variables):
        return why
    if u.reshape:
        return "a scalar bias would become a Keras layer's (1,) bias, a different shape for the code that reads it"
    if any(p.split(".")[-1] in ("moving_mean", "moving_variance") for p in u.weight_paths.values()):
        return "a variable would become a moving statistic, which a Keras layer does not train"
    try:
        tree = ast.parse(r.text)
    except SyntaxError:  # pragma: no cover - the engine's output parses
        return why
    cls = next((s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == c.cls.name), None)
    if cls is None or not (len(cls.bases) == 1 and ast.unparse(cls.bases[0]).endswith("Model")):
        return why
    built = {ast.unparse(n.func.value) for n in ast.walk(cls) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "build"}
    if any(p.rsplit(".", 1)[0] not in built for p in u.weight_paths.values()):
        return ("a layer cannot be built with the variables' sizes in `__init__`, so its weights would not exist "
                "where the variables did")
    return None


def _with_properties(text: str, cands: list[Candidate], units: dict[str, UnitInfo]) -> str | None:
    """``text`` with, at the end of each raised class, a property per variable read on an
    instance; None when a property's name is one the class uses."""
    tree = ast.parse(text)
    st = SourceText(text)
    inserts: list[tuple[int, str]] = []
    for c in cands:
        if not c.read:
            continue
        cls = next(s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == c.cls.name)
        used = {s.name for s in cls.body if isinstance(s, ast.FunctionDef)}
        used |= {a for n in ast.walk(cls) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
                 and (a := self_attr(n)) is not None}
        if used & set(c.read):
            return None
        methods = [s for s in cls.body if isinstance(s, ast.FunctionDef)]
        indent = st.indent_of(methods[-1]) if methods else "    "
        inner = indent + "    "
        newline = "\r\n" if "\r\n" in text else "\n"
        paths = units[c.cls.name].weight_paths
        lines = [""]
        for a in c.read:
            lines += [f"{indent}@property", f"{indent}def {a}(self):",
                      f'{inner}"""`{a}` as the program reads it: the `tf.Variable` of `{paths[a]}`."""',
                      f"{inner}return {paths[a]}.value", ""]
        last = cls.end_lineno or cls.lineno
        end = st.starts[last] if last < len(st.starts) else len(text)
        block = newline.join(lines[:-1]) + newline
        if end == len(text) and not text.endswith(("\n", "\r")):
            block = newline + block.lstrip("\r\n")
        inserts.append((end, block))
    for at, block in sorted(inserts, reverse=True):
        text = text[:at] + block + text[at:]
    return text


def _helpers_inlined(c: Candidate, tree: ast.Module, st: SourceText) -> list[tuple[int, int, str]]:
    """Edits substituting ``c``'s helper methods at their calls with one of its variables as
    an argument (``self.__conv_layer(x, self.W1, self.b1)``), and removing a helper no longer
    called; none where one such call cannot be substituted (the class is tried as written)."""
    variables = set(c.variables)
    methods = {m.name: m for m in c.cls.body if isinstance(m, ast.FunctionDef)}
    helpers = {n: m for n, m in methods.items() if n not in ("__init__", "__call__") and not m.decorator_list
               and len(m.args.args) >= 2 and m.args.args[0].arg == "self" and simple_helper(m)}
    if not helpers:
        return []

    def with_variable(call: ast.Call) -> bool:
        return any(isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and a.value.id == "self"
                   and a.attr in variables for a in [*call.args, *(k.value for k in call.keywords)])

    edits: list[tuple[int, int, str]] = []
    substituted: set[str] = set()
    for name, m in methods.items():
        if name in helpers or not m.args.args or m.args.args[0].arg != "self":
            continue
        stores = {n.id for n in ast.walk(m) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        stores |= {a.arg for a in [*m.args.args, *m.args.kwonlyargs]}
        for call in ast.walk(m):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in helpers
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == "self" and with_variable(call)):
                continue
            helper = helpers[call.func.attr]
            unbound = copy.copy(helper)
            unbound.args = copy.copy(helper.args)
            unbound.args.args = helper.args.args[1:]
            got = inline_call(call, unbound, stores - {"self"})
            if got is None or any(isinstance(n, (ast.Call, ast.Attribute)) and _self_helper(n, helpers) for n in ast.walk(got)):
                return []
            start, end = st.span(call)
            edits.append((start, end, ast.unparse(got)))
            substituted.add(call.func.attr)
    if not edits:
        return []
    for name in sorted(substituted):
        spelled = {name, f"_{c.cls.name.lstrip('_')}{name}"} if name.startswith("__") else {name}  # (mangled outside)
        left = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in spelled
                and not any(e[0] <= st.span(n)[0] < e[1] for e in edits)]
        if left:
            continue  # called otherwise too: it stays
        m = helpers[name]
        first = min([m.lineno, *(d.lineno for d in m.decorator_list)])
        start = st.starts[first - 1]
        end = st.starts[min(m.end_lineno or m.lineno, len(st.lines))]
        if first >= 2 and not st.lines[first - 2].strip():
            start = st.starts[first - 2]  # with the blank line that separated it
        edits.append((start, end, ""))
    return edits


def _self_helper(node: ast.AST, helpers: dict[str, ast.FunctionDef]) -> bool:
    """``self.<helper>`` inside a substituted body (a helper calling another): not followed."""
    return (isinstance(node, ast.Attribute) and node.attr in helpers and isinstance(node.value, ast.Name)
            and node.value.id == "self")
