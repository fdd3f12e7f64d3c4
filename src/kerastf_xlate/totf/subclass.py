"""Subclasses of ``keras.Model`` / ``keras.layers.Layer`` -> ``tf.Module`` subclasses.

Same class name, same constructor signature. ``self.x = layers.X(...)`` in ``__init__``
becomes the variables of that layer (created in ``__init__`` when their shape is known,
else on the first call, as Keras builds layers), and ``self.x`` becomes a method holding the
layer's tf ops, so every ``self.x(...)`` call site keeps working unchanged. ``call`` becomes
``__call__``. Layers without a counterpart stay Keras objects.

The class is rewritten by text edits at exact ``ast`` positions inside its own source; all
other lines of the class come out as they were.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.args import UNKNOWN, literal
from kerastf_xlate.layerkit.emit import EmitCtx, Unsupported, resolve_named
from kerastf_xlate.rules import Rule
from kerastf_xlate.totf.common import (
    NO_CONSTANTS,
    Blocked,
    LayerNode,
    Namer,
    arg_values,
    make_layer,
    run_handler,
    source_of,
    weight_lines,
    weights_methods,
)
from kerastf_xlate.totf.conformance import docstring_insertion, kept_layers_line
from kerastf_xlate.totf.graph import _weight_order
from kerastf_xlate.totf.program.imported import import_bindings, outside_call

# Keras Layer/Model attributes that a tf.Module lacks: using any of them on self blocks.
KERAS_SELF_API = {
    "add_loss", "add_weight", "add_variable", "add_metric", "losses", "built", "build", "compute_dtype",
    "variable_dtype", "dtype_policy", "input_spec", "supports_masking", "compile", "fit", "evaluate",
    "predict", "layers", "get_layer", "compute_output_shape", "compute_mask", "trainable_weights",
    "non_trainable_weights", "weights", "get_weights", "set_weights", "metrics", "optimizer", "loss",
    "count_params", "save", "save_weights", "load_weights", "summary", "train_step", "test_step",
    "predict_step", "make_train_function", "stop_training", "output_shape", "input_shape", "quantize",
    "_tracker", "seed_generator", "dtype", "trainable", "inputs", "outputs", "input", "output",
}


GENERATED_METHODS = {"ordered_variables", "get_weights", "set_weights", "build", "summary", "__call__"}


@dataclass
class AttrLayer:
    attr: str
    node: LayerNode
    stmt: ast.stmt


@dataclass
class SubclassUnit:
    cls: ast.ClassDef
    base: ast.expr
    init: ast.FunctionDef
    call: ast.FunctionDef
    attrs: list[AttrLayer] = field(default_factory=list)
    kind: str = "Model"  # the Keras base: Model or Layer (to-keras raises it back to the same)


def find_subclass(cls: ast.ClassDef, refs: dict[int, tuple[Rule, bool]], base_rules: dict[int, Rule], text_lines: list[str],
                  tree: ast.Module | None = None) -> SubclassUnit | None:
    """Recognise a translatable subclass, or raise :class:`Blocked` saying why not. With the
    file's ``tree``, an object of another module made in ``__init__`` blocks it (below)."""
    keras_bases = [b for b in cls.bases if id(b) in base_rules and base_rules[id(b)].layer in ("Model", "Layer")]
    if not keras_bases:
        return None
    if len(cls.bases) != 1 or cls.keywords:
        raise Blocked(f"class `{cls.name}` has several bases or a metaclass", cls)
    if cls.decorator_list:
        raise Blocked(f"class `{cls.name}` is decorated (Keras registration needs Keras)", cls)
    methods = {s.name: s for s in cls.body if isinstance(s, ast.FunctionDef)}
    if "call" not in methods or "__init__" not in methods:
        raise Blocked(f"class `{cls.name}` needs both `__init__` and `call` to be translated", cls)
    for name in ("build", "compute_output_shape", "train_step", "test_step", "predict_step", "compute_mask"):
        if name in methods:
            raise Blocked(f"class `{cls.name}` defines `{name}`, a Keras hook a tf.Module never calls", methods[name])
    if any(isinstance(s, ast.AsyncFunctionDef) for s in cls.body):
        raise Blocked(f"class `{cls.name}` has async methods", cls)
    if tree is not None:
        foreign = _foreign_object(methods["__init__"], tree)
        if foreign is not None:
            raise Blocked(foreign[1], foreign[0])
    unit = SubclassUnit(cls, keras_bases[0], methods["__init__"], methods["call"], kind=base_rules[id(keras_bases[0])].layer)
    namer = Namer()
    attrs: dict[str, AttrLayer] = {}
    for stmt in unit.init.body:
        if (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Attribute) and isinstance(stmt.targets[0].value, ast.Name)
            and stmt.targets[0].value.id == "self" and isinstance(stmt.value, ast.Call) and id(stmt.value) in refs
        ):
            rule, helper = refs[id(stmt.value)]
            attr = stmt.targets[0].attr
            if helper or rule.status == "structural":
                raise Blocked(f"`self.{attr}` holds a `{rule.layer}`, which is translated only at module level", stmt)
            if attr in attrs:
                raise Blocked(f"`self.{attr}` is assigned twice", stmt)
            if attr in GENERATED_METHODS or attr in methods:
                raise Blocked(f"`self.{attr}` would clash with a method of the translated module", stmt)
            namer.taken.add(attr)
            node = make_layer(rule, stmt.value, text_lines, attr)
            attrs[attr] = AttrLayer(attr, node, stmt)
    # any other layer constructor inside the class (in lists, loops, conditionals) blocks it
    direct = {id(a.stmt.value) for a in attrs.values()}  # type: ignore[attr-defined]
    for n in ast.walk(cls):
        if isinstance(n, ast.Call) and id(n) in refs and id(n) not in direct:
            rule = refs[id(n)][0]
            if rule.status != "structural":
                raise Blocked(f"class `{cls.name}` creates a `{rule.layer}` outside a plain `self.x = ...` in `__init__`", n)
    # how self attributes are used
    for n in ast.walk(cls):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
            if n.attr in KERAS_SELF_API:
                raise Blocked(f"class `{cls.name}` uses `self.{n.attr}`, a Keras API a tf.Module lacks", n)
    parents: dict[int, ast.AST] = {}
    for n in ast.walk(cls):
        for child in ast.iter_child_nodes(n):
            parents[id(child)] = n
    for n in ast.walk(cls):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self" and n.attr in attrs:
            parent = parents.get(id(n))
            a = attrs[n.attr]
            if isinstance(parent, ast.Assign) and n in parent.targets:
                continue
            if a.node.kept is not None:
                continue
            if not (isinstance(parent, ast.Call) and parent.func is n):
                raise Blocked(f"`self.{n.attr}` is used other than by calling it", n)
            if len(parent.args) != 1 or any(k.arg not in ("training",) for k in parent.keywords):
                raise Blocked(f"`self.{n.attr}(...)` is called with arguments the translation does not take", parent)
    unit.attrs = list(attrs.values())
    if not any(a.node.kept is None for a in unit.attrs):
        return None
    return unit


def _span(text_lines: list[str], node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


class _TextEdits:
    """Edits on the class's own lines, by (line, byte column) spans; applied bottom-up."""

    def __init__(self, lines: list[str], first_line: int) -> None:
        self.lines = [ln.encode("utf-8") for ln in lines]
        self.first = first_line
        self.edits: list[tuple[int, int, int, int, str]] = []

    def replace(self, l0: int, c0: int, l1: int, c1: int, text: str) -> None:
        self.edits.append((l0, c0, l1, c1, text))

    def result(self) -> str:
        buf = b"".join(self.lines)
        offsets = [0]
        for ln in self.lines:
            offsets.append(offsets[-1] + len(ln))

        def off(line: int, col: int) -> int:
            return offsets[line - self.first] + col

        for l0, c0, l1, c1, text in sorted(self.edits, reverse=True):
            buf = buf[: off(l0, c0)] + text.encode("utf-8") + buf[off(l1, c1) :]
        return buf.decode("utf-8")


def generate_subclass(unit: SubclassUnit, text_lines: list[str], needs: set[str], tf: str = "tf",
                      modules: set[str] | None = None, keras_classes: set[str] | None = None,
                      text: str | None = None, constants: Mapping[str, Any] = NO_CONSTANTS) -> tuple[str, list[tuple[LayerNode, str]]]:
    """The rewritten class source and the layers kept as Keras (with reasons); ``constants``:
    the module's, substituted for their names in the layers' arguments."""
    cls = unit.cls
    first, last = cls.lineno, cls.end_lineno or cls.lineno
    # the class's own lines with their original line endings (CRLF files stay CRLF)
    keep = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text) if text is not None else [ln + "\n" for ln in text_lines]
    edits = _TextEdits(keep[first - 1 : last], first)
    kept: list[tuple[LayerNode, str]] = []
    # base class
    b = unit.base
    edits.replace(b.lineno, b.col_offset, b.end_lineno, b.end_col_offset, f"{tf}.Module")  # type: ignore[arg-type]
    # super().__init__(...) keeps only name=
    for n in ast.walk(unit.init):
        if (
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__init__"
            and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name) and n.func.value.func.id == "super"
        ):
            inner, note = _super_init_args(n, text_lines)
            edits.replace(n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, f"{source_of(text_lines, n.func)}({inner}){note}")  # type: ignore[arg-type]
    # `super().get_config()` has no tf.Module counterpart: an empty config
    for n in ast.walk(cls):
        if (
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get_config"
            and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name) and n.func.value.func.id == "super"
        ):
            edits.replace(n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, "{}")  # type: ignore[arg-type]
    # call -> __call__
    call = unit.call
    line = text_lines[call.lineno - 1].encode("utf-8")
    at = line.find(b"def call", call.col_offset)
    edits.replace(call.lineno, at + 4, call.lineno, at + 8, "__call__")
    has_training = any(a.arg == "training" for a in call.args.args + call.args.kwonlyargs)
    if not has_training and call.args.kwarg is None and call.args.vararg is None and not call.args.kwonlyargs and call.args.args:
        # Keras accepts `model(x, training=...)` on every model: so must the module
        last = call.args.args[-1]  # type: ignore[assignment]
        n_def = len(call.args.defaults)
        end = call.args.defaults[-1] if n_def else last
        edits.replace(end.end_lineno, end.end_col_offset, end.end_lineno, end.end_col_offset, ", training=False")  # type: ignore[arg-type, union-attr]
        has_training = True  # and Keras hands the flag to the layers called in `call` even then
    # layer assignments and methods
    body_indent = " " * unit.init.body[0].col_offset if unit.init.body else " " * (unit.init.col_offset + 4)
    method_indent = " " * unit.init.col_offset
    methods: list[str] = []
    order_of: dict[int, list[str]] = {}
    for a in unit.attrs:
        order = order_of.setdefault(id(a.stmt), [])
        node = a.node
        stmt = a.stmt
        if node.kept is not None:
            kept.append((node, node.kept))
            order.append(f"*self.{a.attr}.weights")
            continue
        stored = {}
        init_lines: list[str] = []
        for spec in node.rule.args:
            arg_node = node.bound.nodes.get(spec.name)
            if arg_node is not None and literal(arg_node) is UNKNOWN:
                stored[spec.name] = f"self.{a.attr}_{spec.name}"
                init_lines.append(f"self.{a.attr}_{spec.name} = {source_of(text_lines, arg_node)}")
        try:
            values, src = arg_values(node, text_lines, stored, constants)
            multi = node.multi_input
            param = "inputs" if multi else "x"
            ctx = EmitCtx(node.rule, values, src, a.attr, None if multi else ["x"], param, [None], "x", "training")
            emitted = run_handler(node, ctx)
        except Unsupported as exc:
            node.kept, node.kept_code = str(exc), "XL302"
            kept.append((node, str(exc)))
            order.append(f"*self.{a.attr}.weights")
            # the Keras layer stays, and so do its call sites
            continue
        w_init, body = weight_lines(a.attr, emitted.weights, needs)
        init_lines += w_init
        decl = {w.name: w for w in emitted.weights}
        order += [f"self.{a.attr}_{name}" for name in _weight_order(node.rule, decl)]
        body += emitted.lines
        body.append("return x")
        head = f"def {a.attr}(self, {param}, training=False):"
        doc = f'"""`{node.rule.layer}` layer, translated by xlate to-tf."""'
        methods.append("\n".join([method_indent + head, method_indent + "    " + doc] + [method_indent + "    " + ln for ln in body]))
        if init_lines:
            replacement = ("\n" + body_indent).join(init_lines)
            edits.replace(stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset, replacement)  # type: ignore[arg-type]
        elif len(unit.init.body) > 1:
            edits.replace(stmt.lineno, 0, stmt.end_lineno + 1, 0, "")  # type: ignore[operator]
        else:
            edits.replace(stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset, "pass")  # type: ignore[arg-type]
    # propagate training to translated sub-layer calls, as Keras does implicitly
    instances = _instances(unit.init)  # self.attr = SomeClass(...): sub-modules
    if has_training:
        translated = {a.attr for a in unit.attrs if a.node.kept is None}
        translated |= {attr for attr, cname in instances.values() if modules and cname in modules}
        for n in ast.walk(call):
            if (
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                and n.func.value.id == "self" and n.func.attr in translated and not any(k.arg == "training" for k in n.keywords)
            ):
                end_l, end_c = n.end_lineno, n.end_col_offset - 1  # type: ignore[operator]  # before ')'
                before = text_lines[end_l - 1].encode("utf-8")[:end_c].rstrip()  # type: ignore[operator]
                sep = " " if before.endswith(b",") else ", "
                edits.replace(end_l, end_c, end_l, end_c, f"{sep}training=training")  # type: ignore[arg-type]
    # Keras order: attributes in assignment order; translated sub-modules contribute theirs
    order = []
    for stmt in unit.init.body:
        if id(stmt) in order_of:
            order += order_of[id(stmt)]
        elif id(stmt) in instances:
            attr, cname = instances[id(stmt)]
            if modules and cname in modules:
                order.append(f"*self.{attr}.ordered_variables()")
            elif keras_classes and cname in keras_classes:
                order.append(f"*self.{attr}.weights")
    if kept:  # the class docstring says what the module lacks (tests/test_conformance.py)
        names = [node.rule.layer for node, _ in kept]
        insertion = docstring_insertion(cls, text_lines, kept_layers_line(names))
        if insertion is not None:
            edits.replace(insertion[0], insertion[1], insertion[0], insertion[1], insertion[2])
    text = edits.result().rstrip("\n") + "\n"
    extra = "\n\n".join(methods)
    wm = weights_methods(order, indent=method_indent)
    if unit.kind == "Layer":  # what tells to-keras to raise it back to a Layer, not a Model
        wm = wm.replace(MODEL_ORDER_DOC, LAYER_ORDER_DOC, 1)
    return resolve_named(text + "\n" + (extra + "\n\n" if extra else "") + wm), kept


# ordered_variables()'s docstring says which Keras class the module was (tokeras.common reads it)
MODEL_ORDER_DOC = "The variables in the order of the Keras model's ``get_weights()``."
LAYER_ORDER_DOC = "The variables in the order of the Keras layer's ``get_weights()``."
# the note on a super().__init__ call whose Keras arguments tf.Module does not take (to-keras reads it)
SUPER_NOTE = "# xlate to-tf: tf.Module takes only name=; Keras's other constructor arguments are dropped"


def _super_init_args(call: ast.Call, text_lines: list[str]) -> tuple[str, str]:
    """(arguments, trailing note) of ``super().__init__(...)`` in the module: ``name=`` as it
    was, or read from ``**kwargs`` (``name=kwargs.get("name")``); the note when anything else
    (``**kwargs``, ``dtype=...``) is dropped, and only where the call ends its line."""
    name_kw = next((k for k in call.keywords if k.arg == "name"), None)
    star = next((k for k in call.keywords if k.arg is None), None)
    inner = ""
    if name_kw is not None:
        inner = f"name={source_of(text_lines, name_kw.value)}"
    elif star is not None and isinstance(star.value, ast.Name):
        inner = f'name={star.value.id}.get("name")'
    dropped = bool(call.args) or any(k is not name_kw for k in call.keywords)
    rest = text_lines[call.end_lineno - 1].encode("utf-8")[call.end_col_offset:].strip()  # type: ignore[operator]
    return inner, ("  " + SUPER_NOTE if dropped and not rest else "")


def _instances(init: ast.FunctionDef) -> dict[int, tuple[str, str]]:
    """``self.attr = ClassName(...)`` statements of ``__init__``: id(statement) -> (attr, class)."""
    out = {}
    for stmt in init.body:
        if (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute)
            and isinstance(stmt.targets[0].value, ast.Name) and stmt.targets[0].value.id == "self"
            and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
        ):
            out[id(stmt)] = (stmt.targets[0].attr, stmt.value.func.id)
    return out


def _foreign_object(init: ast.FunctionDef, tree: ast.Module) -> tuple[ast.AST, str] | None:
    """A call in ``__init__`` of code this file does not hold: a class or function imported
    from another module of the user's (``from blocks import ConvBlock``), or a name the file
    never binds (``from blocks import *``). Its object may be a Keras layer: held by the
    translated ``tf.Module``, its weights would be outside the module's variables (nothing
    trains or saves them), so the flat form does not take the class; the program form says
    whether the run translates that module (XL310)."""
    bindings = import_bindings(tree, everywhere=True)
    defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    defined |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    defined |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args + n.kwonlyargs + n.posonlyargs}
    for n in ast.walk(init):
        if not isinstance(n, ast.Call):
            continue
        imported = outside_call(n, bindings)
        if imported is not None:
            module = "." * imported.level + imported.module
            return (n, f"`{ast.unparse(n.func)[:40]}` from `{module}` makes an object of another module in `__init__` "
                       "(a Keras layer there would keep its weights out of the tf.Module's variables)")
        root = n.func
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.value if isinstance(root, (ast.Attribute, ast.Subscript)) else root.func
        if isinstance(root, ast.Name) and root.id not in defined and root.id not in bindings and root.id != "self" \
                and not hasattr(builtins, root.id):
            return (n, f"`{ast.unparse(n.func)[:40]}` is not defined in this file (a star import?): the object it makes "
                       "in `__init__` may be a Keras layer whose weights a tf.Module does not track")
    return None

