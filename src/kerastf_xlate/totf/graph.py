"""Sequential and functional models -> one ``tf.Module`` class each.

A graph unit is found from its model statement (``m = keras.Sequential([...])``,
``m = keras.Model(inputs, outputs)``, ``return keras.Model(...)``); the layer statements that
feed it are collected backwards in the same block. The unit's statements are replaced by a
class whose ``__init__`` creates the variables and whose ``__call__`` replays the graph
with tf ops, followed by an instance bound to the same name (or returned).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.args import UNKNOWN, literal
from kerastf_xlate.edit.splice import Source
from kerastf_xlate.layerkit.emit import EmitCtx, Shape, Unsupported, dim_src, resolve_named
from kerastf_xlate.layerkit.named import constant_value
from kerastf_xlate.rules import Rule, RuleSet
from kerastf_xlate.totf.common import (
    NO_CONSTANTS,
    Blocked,
    LayerNode,
    Namer,
    arg_values,
    make_layer,
    prefix_for,
    run_handler,
    source_of,
    static_value,
    weight_lines,
    weights_methods,
)
from kerastf_xlate.totf.program.names import changed_in_place

LayerRef = tuple[Rule, bool]  # (rule, called through a lower-case functional helper)


@dataclass
class App:
    """One application of a layer: ``out = layer(inputs)``."""

    layer: LayerNode
    inputs: list[str] | None
    xs: str
    out: str
    training: str = "training"


@dataclass
class GraphUnit:
    kind: str  # sequential | functional
    target: str | None  # instance name; None for ``return Model(...)``
    anchor: ast.stmt  # the model statement: replaced by class + instance
    removed: list[ast.stmt]  # other statements folded into the class
    block: list[ast.stmt]
    model_call: ast.Call
    inputs: list[tuple[str, Shape | None, str]] = field(default_factory=list)  # (name, shape, dtype)
    input_src: dict[str, str] = field(default_factory=dict)  # name -> source of a non-literal shape
    inputs_list: bool = False
    outputs: list[str] = field(default_factory=list)
    outputs_list: bool = False
    layers: list[LayerNode] = field(default_factory=list)
    apps: list[App] = field(default_factory=list)
    class_name: str = ""
    tensor: str = "x"  # a Sequential's running tensor in the generated call


def _shape_from(value: Any) -> Shape | None:
    if isinstance(value, (tuple, list)) and all(v is None or (isinstance(v, int) and v > 0) for v in value):
        return (None,) + tuple(value)
    if isinstance(value, int):
        return (None, value)
    return None


def _first_layer_input(kw: ast.keyword, text_lines: list[str], constants: Mapping[str, Any]) -> tuple[Shape | None, str | None]:
    """(shape incl. batch, source of a shape known only at run time) of a Sequential's first
    layer's ``input_shape=`` or ``input_dim=``, as :func:`input_spec` reads an Input's."""
    node = kw.value if kw.arg == "input_shape" else ast.Tuple([kw.value], ast.Load())
    shape, dynamic = _shape_of(node, constants)
    if not dynamic:
        return shape, None
    src = source_of(text_lines, kw.value)
    return shape, (src if kw.arg == "input_shape" else f"({src},)")


def _shape_of(node: ast.expr, constants: Mapping[str, Any]) -> tuple[Shape | None, bool]:
    """(shape incl. batch or None, whether its source is needed at run time) of a shape
    expression: literals and module constants (``INPUT_SHAPE``, ``(N_FEATURES,)``) give a static
    shape; an expression over constants (``img_size + (3,)``) gives its value, and its source
    stays the signature's (``[None, *(img_size + (3,))]``)."""
    value = static_value(node, constants)
    if value is not UNKNOWN:
        return _shape_from(value), False
    value = constant_value(node, lambda name: constants.get(name, UNKNOWN))
    return (None if value is UNKNOWN else _shape_from(value)), True


def input_spec(call: ast.Call, text_lines: list[str], constants: Mapping[str, Any] = NO_CONSTANTS) -> tuple[Shape | None, str, str | None]:
    """(shape incl. batch, dtype, source of a non-literal shape) of keras.Input / InputLayer."""
    shape_node = None
    dtype = "float32"
    for kw in call.keywords:
        if kw.arg in ("shape", "input_shape"):
            shape_node = kw.value
        elif kw.arg == "dtype":
            d = literal(kw.value)
            dtype = d if isinstance(d, str) else "float32"
        elif kw.arg == "batch_shape":
            v = literal(kw.value)
            if isinstance(v, (tuple, list)):
                return tuple(v), dtype, None
    if shape_node is None and call.args:
        shape_node = call.args[0]
    if shape_node is None:
        return None, dtype, None
    shape, dynamic = _shape_of(shape_node, constants)
    return shape, dtype, source_of(text_lines, shape_node) if dynamic else None


def camel(name: str) -> str:
    for p in ("build_", "make_", "create_", "get_"):
        if name.startswith(p) and len(name) > len(p):
            name = name[len(p):]
    parts = [p for p in name.split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or "Model"


class GraphBuilder:
    """Finds graph units in one block and turns them into class source."""

    def __init__(self, text_lines: list[str], refs: dict[int, LayerRef], rules: RuleSet, input_shape: tuple[int, ...] | None,
                 source: Source | None = None, constants: Mapping[str, Any] = NO_CONSTANTS) -> None:
        self.constants = constants  # the module's constants (a value of this translation)
        self.text_lines = text_lines
        self.source = source  # to look at a statement's text before walking it
        self.refs = refs  # id(ast.Call) -> (rule, is_helper) for calls of Keras layer names
        self.rules = rules
        self.input_shape = input_shape

    def ref(self, node: ast.AST) -> Rule | None:
        if isinstance(node, ast.Call) and id(node) in self.refs:
            return self.refs[id(node)][0]
        return None

    # ------------------------------------------------------------------ detection

    def sequential(self, stmt: ast.stmt, block: list[ast.stmt], index: int) -> GraphUnit | None:
        target, value = _assign_parts(stmt)
        rule = self.ref(value)  # type: ignore[arg-type]
        if rule is None or rule.layer != "Sequential" or target is None:
            return None
        call: ast.Call = value  # type: ignore[assignment]
        elements: list[ast.expr] = []
        layers_node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "layers"), None)
        if layers_node is not None:
            if not isinstance(layers_node, (ast.List, ast.Tuple)):
                raise Blocked(f"`{target} = Sequential(...)` takes its layers from an expression the translator cannot follow", stmt)
            elements = list(layers_node.elts)
        removed: list[ast.stmt] = []
        for later in block[index + 1 :]:
            if (
                isinstance(later, ast.Expr) and isinstance(later.value, ast.Call)
                and isinstance(later.value.func, ast.Attribute) and later.value.func.attr == "add"
                and isinstance(later.value.func.value, ast.Name) and later.value.func.value.id == target
                and len(later.value.args) == 1
            ):
                elements.append(later.value.args[0])
                removed.append(later)
            elif (self.source is None or self.source.mentions(later, {target})) and _mentions(later, target):
                break
        for later in removed:  # the class is made at the model statement: what an `add` reads must hold then
            j = next(k for k, b in enumerate(block) if b is later)
            _check_not_rebound(later, [b for b in block[index + 1 : j] if all(b is not r for r in removed)])
        unit = GraphUnit("sequential", target, stmt, removed, block, call)
        # the generated call names the running tensor; a layer argument written with a name of
        # the program (`Dense(x.shape[1])`, `x` the data) is evaluated there too (a shape known on
        # the first call, an inlined argument), so the tensor takes a name no argument reads
        read = {n.id for el in elements for n in ast.walk(el) if isinstance(n, ast.Name)}
        free = [name for name in ("x", "h", "x_", "x__", "tensor") if name not in read]
        taken = read & {"inputs", "training"}  # the generated call's parameters
        if not free or taken:
            raise Blocked(f"a layer argument reads `{sorted(taken or read)[0]}`, a name the generated call binds", stmt)
        unit.tensor = free[0]
        shape: Shape | None = None
        first = True
        namer = Namer()
        for el in elements:
            r = self.ref(el)
            if r is None:
                raise Blocked(f"`{target}` holds `{ast.unparse(el)[:40]}`, which is not a Keras layer constructor", el)
            assert isinstance(el, ast.Call)
            if r.layer == "InputLayer":  # keras.Input(...) or layers.InputLayer(...)
                if not first:
                    raise Blocked("an Input in the middle of a Sequential model", el)
                shape, dtype, shape_src = input_spec(el, self.text_lines, self.constants)
                unit.inputs = [("inputs", shape, dtype)]
                if shape_src is not None:
                    unit.input_src["inputs"] = shape_src
                first = False
                continue
            if first:
                for kw in el.keywords:
                    if kw.arg == "input_dim" and any(a.name == "input_dim" for a in r.args):
                        continue  # an argument of the layer's own (an Embedding's vocabulary size), not the input's
                    if kw.arg in ("input_shape", "input_dim"):
                        # Keras builds the model here: a shape known only at run time
                        # (`input_dim=X.shape[1]`) is built in `__init__` (_build_call)
                        shape, shape_src = _first_layer_input(kw, self.text_lines, self.constants)
                        if shape_src is not None:
                            unit.input_src["inputs"] = shape_src
                    elif kw.arg == "batch_input_shape":
                        shape = literal(kw.value)
                unit.inputs = [("inputs", shape, "float32")]
            first = False
            node = make_layer(r, el, self.text_lines, prefix_for(r, el, namer))
            if node.multi_input:
                raise Blocked(f"`{r.layer}` needs several inputs; a Sequential model has one", el)
            unit.layers.append(node)
            unit.apps.append(App(node, [unit.tensor], unit.tensor, unit.tensor))
        if not unit.inputs:
            unit.inputs = [("inputs", None, "float32")]
        if self.input_shape and unit.inputs[0][1] is None:
            unit.inputs = [("inputs", (None,) + tuple(self.input_shape), "float32")]
        unit.outputs = [unit.tensor]
        return unit

    def functional(self, stmt: ast.stmt, block: list[ast.stmt], index: int) -> GraphUnit | None:
        target, value = _assign_parts(stmt)
        if isinstance(stmt, ast.Return):
            value = stmt.value
        rule = self.ref(value)  # type: ignore[arg-type]
        if rule is None or rule.layer != "Model":
            return None
        call: ast.Call = value  # type: ignore[assignment]
        ins = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "inputs"), None)
        outs = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "outputs"), None)
        if ins is None or outs is None:
            return None  # Model() without a graph: a subclass-style use, not ours
        in_names, in_list = _names(ins)
        out_names, out_list = _names(outs)
        if in_names is None or out_names is None:
            raise Blocked("model inputs/outputs must be names or lists of names", call)
        unit = GraphUnit("functional", target, stmt, [], block, call, inputs_list=in_list, outputs=out_names, outputs_list=out_list)
        # collect the graph backwards: a statement is part of it when it binds a name that a
        # later graph statement (or the model's outputs) reads
        needed = set(out_names)
        graph_stmts: list[ast.stmt] = []
        input_stmts: dict[str, ast.stmt] = {}
        layer_objs: set[int] = set()
        for prev in reversed(block[:index]):
            tgt, val = _assign_parts(prev)
            if tgt is None or tgt not in needed:
                bound = sorted({n.id for n in ast.walk(prev) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in needed})
                if bound:
                    raise Blocked(f"`{bound[0]}`, used by the model graph, is bound by {statement_words(prev)} the translator cannot follow", prev)
                continue
            graph_stmts.append(prev)
            needed.discard(tgt)
            r = self.ref(val)  # type: ignore[arg-type]
            if r is not None and r.layer == "InputLayer":
                input_stmts.setdefault(tgt, prev)
                continue
            if r is not None and not self.refs[id(val)][1]:
                layer_objs.add(id(prev))  # `dense = layers.Dense(3)`: a layer object applied later
                continue
            if isinstance(val, ast.Name):  # `skip = x`: an alias of a graph tensor
                needed.add(val.id)
                continue
            needed.update(_graph_inputs(prev, val, self))
        if needed:
            raise Blocked(f"the graph of this model uses `{sorted(needed)[0]}`, not keras.Input or a layer call of its block", call)
        graph_stmts.reverse()
        # the class reads its layers' arguments when it is made, at the model statement: a name
        # a graph statement reads must not be rebound between it and the model statement
        folded = {id(g) for g in graph_stmts}
        for g in graph_stmts:
            j = next(k for k, b in enumerate(block) if b is g)
            _check_not_rebound(g, [b for b in block[j + 1 : index] if id(b) not in folded])
        unit.removed = graph_stmts
        # inputs
        namer = Namer()
        for name in in_names:
            s = input_stmts.get(name)
            if s is None:
                raise Blocked(f"model input `{name}` is not a keras.Input of this block", call)
            _, val = _assign_parts(s)
            shape, dtype, shape_src = input_spec(val, self.text_lines, self.constants)  # type: ignore[arg-type]
            if shape_src is not None:
                unit.input_src[name] = shape_src
            if shape is None and self.input_shape and len(in_names) == 1:
                shape = (None,) + tuple(self.input_shape)
            unit.inputs.append((name, shape, dtype))
        objects: dict[str, LayerNode] = {}
        for s in graph_stmts:
            tgt, val = _assign_parts(s)
            assert tgt is not None
            r = self.ref(val)  # type: ignore[arg-type]
            if r is not None and r.layer == "InputLayer":
                continue
            if isinstance(val, ast.Name):
                unit.apps.append(App(None, [val.id], val.id, tgt))  # type: ignore[arg-type]
                continue
            if id(s) in layer_objs:
                node = make_layer(r, val, self.text_lines, prefix_for(r, val, namer))  # type: ignore[arg-type]
                objects[tgt] = node  # listed at its first application, as Keras orders model.layers
                continue
            unit.apps.append(self._application(val, tgt, objects, namer, unit))  # type: ignore[arg-type]
        return unit

    def _application(self, val: ast.AST, out: str, objects: dict[str, LayerNode], namer: Namer, unit: GraphUnit) -> App:
        if not isinstance(val, ast.Call):
            raise Blocked(f"`{out} = ...` is not a layer call", val)
        training = "training"
        for kw in val.keywords:
            if kw.arg == "training":
                training = source_of(self.text_lines, kw.value)
        func = val.func
        helper_rule = self.ref(val)
        if helper_rule is not None:
            # functional helper: layers.add([a, b], axis=...)
            if not self.refs[id(val)][1]:
                raise Blocked(f"`{out} = {ast.unparse(val)[:40]}` creates a layer without applying it", val)
            if not val.args:
                raise Blocked("a merge helper without inputs", val)
            node = make_layer(helper_rule, val, self.text_lines, prefix_for(helper_rule, val, namer), helper=True)
            unit.layers.append(node)
            inputs, xs = self._inputs(val.args[0])
            return App(node, inputs, xs, out, training)
        if isinstance(func, ast.Call) and self.ref(func) is not None:
            rule = self.ref(func)
            assert rule is not None
            node = make_layer(rule, func, self.text_lines, prefix_for(rule, func, namer))
            unit.layers.append(node)
        elif isinstance(func, ast.Name) and func.id in objects:
            node = objects[func.id]
            if not any(n is node for n in unit.layers):
                unit.layers.append(node)
        else:
            raise Blocked(f"`{out} = {ast.unparse(val)[:40]}` is not a Keras layer call", val)
        extra = [kw.arg for kw in val.keywords if kw.arg not in ("training",)]
        if extra:
            raise Blocked(f"layer call with `{extra[0]}=`", val)
        if len(val.args) != 1:
            raise Blocked("a layer call takes exactly one positional input", val)
        inputs, xs = self._inputs(val.args[0])
        return App(node, inputs, xs, out, training)

    def _inputs(self, node: ast.expr) -> tuple[list[str], str]:
        names, is_list = _names(node)
        if names is None:
            raise Blocked("layer inputs must be names or lists of names", node)
        return names, ("[" + ", ".join(names) + "]" if is_list else names[0])

    # ------------------------------------------------------------------ code

    def generate(self, unit: GraphUnit, needs: set[str]) -> tuple[str, list[tuple[LayerNode, str]]]:
        """Class source (at column 0) and the layers kept as Keras with their reasons."""
        init: list[str] = []
        body: list[str] = []
        kept: list[tuple[LayerNode, str]] = []
        shapes: dict[str, Shape | None] = {}
        # inputs
        names = [n for n, _, _ in unit.inputs]
        if unit.kind == "sequential":
            body.append(f"{unit.tensor} = inputs")
            shapes[unit.tensor] = unit.inputs[0][1]
        elif len(names) > 1:
            body.append(f"{', '.join(names)} = inputs")
        elif unit.inputs_list:  # Model([a], ...): Keras also accepts a bare tensor
            body.append(f"{names[0]} = inputs[0] if isinstance(inputs, (list, tuple)) else inputs")
        elif names[0] != "inputs":
            body.append(f"{names[0]} = inputs")
        for n, s, _ in unit.inputs:
            shapes.setdefault(n, s)
        declared: dict[int, dict[str, Any]] = {}
        order: list[str] = []
        created: set[int] = set()
        for layer in unit.layers:
            if layer.kept is None:
                continue
            kept.append((layer, layer.kept))
            init.append(f"self.{layer.prefix} = {layer.ctor_src}")
        for app in unit.apps:
            layer = app.layer
            in_shapes = [shapes.get(n) for n in (app.inputs or [])]
            if layer is None:  # alias
                body.append(f"{app.out} = {app.xs}")
                shapes[app.out] = in_shapes[0] if in_shapes else None
                continue
            if layer.kept is not None:
                body.append(f"{app.out} = self.{layer.prefix}({app.xs}, training={app.training})")
                shapes[app.out] = None
                continue
            try:
                values, src = arg_values(layer, self.text_lines, constants=self.constants)
                ctx = EmitCtx(layer.rule, values, src, layer.prefix, app.inputs, app.xs, in_shapes, app.out, app.training)
                emitted = run_handler(layer, ctx)
            except Unsupported as exc:
                if id(layer) in created or layer.emitted:
                    raise Blocked(f"shared layer `{layer.prefix}` cannot be translated: {exc}") from None
                layer.kept, layer.kept_code = str(exc), "XL302"
                kept.append((layer, str(exc)))
                init.append(f"self.{layer.prefix} = {layer.ctor_src}")
                body.append(f"{app.out} = self.{layer.prefix}({app.xs}, training={app.training})")
                shapes[app.out] = None
                continue
            layer.emitted.append(emitted)
            if id(layer) not in created:
                created.add(id(layer))
                w_init, w_call = weight_lines(layer.prefix, emitted.weights, needs)
                init += w_init
                body += w_call
                declared[id(layer)] = {w.name: w for w in emitted.weights}
            body.extend(emitted.lines)
            shapes[app.out] = emitted.out_shape
        # variable order = Keras's model.layers order (its graph traversal), weights in rule order
        for layer in keras_layer_order(unit):
            if layer.kept is not None:
                order.append(f"*self.{layer.prefix}.weights")
            elif id(layer) in declared:
                ws = declared[id(layer)]
                for name in _weight_order(layer.rule, ws):
                    order.append(f"self.{layer.prefix}_{name}")
        if unit.outputs_list and len(unit.outputs) > 1:  # Keras unpacks a list of one (unpack_singleton)
            body.append(f"return [{', '.join(unit.outputs)}]")
        else:
            body.append(f"return {unit.outputs[0]}")
        doc_kind = "keras.Sequential" if unit.kind == "sequential" else "functional keras.Model"
        lines = [
            f"class {unit.class_name}(tf.Module):",
            f'    """Translated by xlate to-tf from a {doc_kind}; runs without Keras."""',
            "",
        ]
        signature = input_signature(unit)
        if signature is not None:
            lines += [f"    input_signature = {signature}  # the Keras model's inputs, batch axis first", ""]
        lines += [
            "    def __init__(self, name=None):",
            "        super().__init__(name=name)",
        ]
        lines += ["        " + ln for ln in init]
        # variables made on the first call: the module's own, or a kept Keras layer's (built by
        # its first call; Keras builds the whole model at construction, so `get_weights()`
        # before any call has every array)
        lazy = any("created on the first call" in ln for ln in init) or bool(kept)
        build = _build_call(unit) if lazy else None
        if build:
            lines += [f"        {build}  # Keras builds a model with declared inputs at construction"]
        lines += ["", "    def __call__(self, inputs, training=False):"]
        lines += ["        " + ln for ln in body]
        lines += [""]
        text = "\n".join(lines) + "\n" + weights_methods(order)
        return resolve_named(text), kept


def keras_layer_order(unit: GraphUnit) -> list[LayerNode]:
    """The order of ``model.layers`` (hence ``model.weights``) that Keras computes.

    Sequential models list layers in order. Functional models follow
    ``keras/src/ops/function.py`` ``map_graph``: a depth-first walk from the outputs gives
    each operation its first-traversal index and the nodes in topological order; operations
    are then sorted by decreasing depth, ties broken by that index.
    """
    if unit.kind == "sequential":
        return list(unit.layers)
    # nodes: ("in", name) for inputs, or an App index; parents resolved through aliases
    producer: dict[str, object] = {name: ("in", name) for name, _, _ in unit.inputs}
    op_of: dict[object, object] = {("in", name): ("input", name) for name, _, _ in unit.inputs}
    parents: dict[object, list[object]] = {("in", name): [] for name, _, _ in unit.inputs}
    for i, app in enumerate(unit.apps):
        srcs = [producer[n] for n in (app.inputs or []) if n in producer]
        if app.layer is None:  # alias: the same tensor
            if srcs:
                producer[app.out] = srcs[0]
            continue
        parents[i] = srcs
        op_of[i] = id(app.layer)
        producer[app.out] = i
    finished: set[object] = set()
    order_nodes: list[object] = []
    op_index: dict[object, int] = {}

    def visit(node: object) -> None:
        if node in finished:
            return
        op = op_of[node]
        op_index.setdefault(op, len(op_index))
        for parent in parents.get(node, []):
            visit(parent)
        finished.add(node)
        order_nodes.append(node)

    for name in unit.outputs:
        if name in producer:
            visit(producer[name])
    node_depth: dict[object, int] = {}
    op_depth: dict[object, int] = {}
    for node in reversed(order_nodes):
        depth = node_depth.setdefault(node, 0)
        depth = max(depth, op_depth.get(op_of[node], 0))
        op_depth[op_of[node]] = depth
        node_depth[node] = depth
        for parent in parents.get(node, []):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    ops = sorted(op_depth, key=lambda op: (-op_depth[op], op_index[op]))
    by_id = {id(layer): layer for layer in unit.layers}
    ordered = [by_id[op] for op in ops if op in by_id]
    return ordered + [layer for layer in unit.layers if all(layer is not o for o in ordered)]


# keras.Input dtypes, all spelled the same as a tf.DType attribute
_DTYPES = {"bfloat16", "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
           "int32", "int64", "bool", "string", "complex64", "complex128"}


def _spread(src: str) -> str:
    """``*src`` inside a list display, parenthesized unless ``src`` is a plain name or a
    parenthesized tuple display (``(X.shape[1],)``)."""
    if src.isidentifier():
        return f"*{src}"
    try:
        node = ast.parse(src, mode="eval").body
    except SyntaxError:
        node = None
    return f"*{src}" if isinstance(node, ast.Tuple) and src.startswith("(") and src.endswith(")") else f"*({src})"


def input_signature(unit: GraphUnit) -> str | None:
    """The class attribute ``input_signature``: one ``tf.TensorSpec`` per ``keras.Input``
    (its shape with the batch axis, its dtype), in the form ``tf.function(input_signature=)``
    takes for ``__call__(inputs)``; None when an input's shape or dtype is not known.

    It is the model's input as Keras declared it, so it is useful for exporting the module
    (``tf.saved_model.save`` with a ``tf.function`` of that signature); ``xlate to-keras``
    reads it back as the ``keras.Input`` of the model.
    """
    dims = _input_dims(unit)
    if dims is None or any(dtype not in _DTYPES for _, _, dtype in unit.inputs):
        return None
    specs = [f"tf.TensorSpec({d}, tf.{dtype})" for d, (_, _, dtype) in zip(dims, unit.inputs)]
    if len(specs) > 1 or unit.inputs_list:
        return "[[" + ", ".join(specs) + "]]"
    return "[" + specs[0] + "]"


def _input_dims(unit: GraphUnit) -> list[str] | None:
    """Each input's shape as a list display, batch axis first (``[None, 28, 28, 1]``,
    ``[None, *shape]`` for a shape known at run time); None when one is not known."""
    out = []
    for name, shape, _ in unit.inputs:
        if name in unit.input_src:
            out.append(f"[None, {_spread(unit.input_src[name])}]")
        elif shape is not None:
            out.append("[" + ", ".join(dim_src(d) for d in shape) + "]")
        else:
            return None
    return out or None


def _build_call(unit: GraphUnit) -> str | None:
    """``self.build(...)`` when every input shape is known at run time (e.g. a parameter)."""
    shapes = _input_dims(unit)
    if shapes is None:
        return None
    arg = shapes[0] if len(shapes) == 1 and not unit.inputs_list else "[" + ", ".join(shapes) + "]"
    return f"self.build({arg})"


def _weight_order(rule: Rule, declared: dict[str, Any]) -> list[str]:
    """Declared weights sorted by the rule's Keras order (unknown names keep their order)."""
    known = [w for w in rule.weights if w in declared]
    rest = [w for w in declared if w not in rule.weights]
    trainable = [w for w in known + rest if declared[w].trainable]
    frozen = [w for w in known + rest if not declared[w].trainable]
    return trainable + frozen


def _assign_parts(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return stmt.target.id, stmt.value
    return None, None


def _names(node: ast.expr) -> tuple[list[str] | None, bool]:
    if isinstance(node, ast.Name):
        return [node.id], False
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Name) for e in node.elts):
        return [e.id for e in node.elts], True  # type: ignore[attr-defined]
    return None, False


def _graph_inputs(stmt: ast.stmt, val: ast.AST | None, builder: GraphBuilder) -> list[str]:
    """Names a layer application reads: its inputs and the layer object it calls; a statement
    of the graph that is not a layer call on names blocks the model (the message names it)."""
    if not isinstance(val, ast.Call):
        raise Blocked(f"`{short_source(stmt)}` in the model graph is not a layer call", stmt)
    names = []
    if isinstance(val.func, ast.Name):
        names.append(val.func.id)
    for a in val.args:
        got, _ = _names(a)
        if got is None:
            raise Blocked(f"`{short_source(a)}`, an input of `{short_source(val.func)}(...)` in the model graph, is not a name", a)
        names += got
    return names


_STATEMENT_WORDS = {
    ast.For: "a `for` loop", ast.AsyncFor: "an `async for` loop", ast.While: "a `while` loop", ast.If: "an `if` statement",
    ast.With: "a `with` statement", ast.AsyncWith: "an `async with` statement", ast.Try: "a `try` statement",
    ast.AugAssign: "an augmented assignment", ast.FunctionDef: "a `def`", ast.AsyncFunctionDef: "a `def`",
    ast.ClassDef: "a `class`", ast.Import: "an import", ast.ImportFrom: "an import", ast.Delete: "a `del`",
}


def statement_words(stmt: ast.stmt) -> str:
    """What a user calls the statement (``a `for` loop``; else its first line, short)."""
    words = _STATEMENT_WORDS.get(type(stmt))
    return words if words is not None else f"`{short_source(stmt)}`"


def short_source(node: ast.AST, limit: int = 40) -> str:
    """The first line of ``node``'s source, cut to ``limit`` characters."""
    text = ast.unparse(node).split("\n", 1)[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


# methods that change a list, dict or set in place (``sizes.append(8)`` changes ``sizes[-1]``)
_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem",
                       "sort", "reverse", "add", "discard"})


def _changed_names(stmt: ast.stmt) -> set[str]:
    """Names a statement may rebind or change: assigned, deleted, defined, imported, or the
    object of an item/attribute assignment or of a list/dict/set method that changes it."""
    out: set[str] = set()
    for n in ast.walk(stmt):
        changed = changed_in_place(n, _MUTATORS)
        if changed is not None:
            out.add(changed)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
    return out


def _check_not_rebound(reader: ast.stmt, between: list[ast.stmt]) -> None:
    """Blocked when a statement of ``between`` may change a name ``reader`` reads."""
    reads = {n.id for n in ast.walk(reader) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for later in between:
        hit = sorted(reads & _changed_names(later))
        if hit:
            raise Blocked(f"`{hit[0]}`, read by `{short_source(reader)}` of the model graph, is changed by "
                          f"{statement_words(later)} before the model is made, and the translated class would read "
                          "the later value", later)


def _mentions(stmt: ast.stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt))
