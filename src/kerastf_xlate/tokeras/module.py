"""``tf.Module`` subclasses -> ``keras.Model`` (or ``keras.layers.Layer``) subclasses.

The variables of ``__init__`` that an op uses as weights become the Keras layer that op is
(created where the first of them was created), ``__call__`` becomes ``call(self, x,
training=False)`` calling those layers, and stateless ops become layers too. Every method is
read, so helper methods that apply ``tf.nn`` ops are rewritten the same way. A reference to a
variable that became a layer weight elsewhere (``tf.nn.l2_loss(self.w1)``) is rewritten to
the layer's weight (``self.dense.kernel``).

What ``xlate to-tf`` writes for a subclass is undone too: its one-layer methods
(docstring "`Dense` layer, translated by xlate to-tf.") become the layer of the same name,
the arguments it stored (``self.dense_units = hidden``) go back into the constructor, and its
weight methods (``ordered_variables``, ``get_weights``, ...) are dropped: Keras has its own.

Weight order: a translated model's ``get_weights()`` lists its layers in the order their
first variable was created in ``__init__``, each layer's weights in Keras's order.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.edit.records import SpanEdit
from kerastf_xlate.layerkit.recognise import PENDING_ARG, Match, MatchCtx, Var, keras_roles, trainable_as_in_keras
from kerastf_xlate.layers.scalars import SCALAR_BIAS
from kerastf_xlate.syntax import self_attr
from kerastf_xlate.tokeras.body import BodyRewriter, StmtEdit, render_edits
from kerastf_xlate.tokeras.common import (
    BUILTINS,
    MARKER,
    PLUMBING,
    FileEnv,
    Finding,
    docstring,
    free_names,
    is_generated_method,
    kept_message,
    locals_of,
    params_of,
    rank_info,
    training_param,
)
from kerastf_xlate.tokeras.module_build import build_edits, build_shape, layers_only_init, named_sizes, readable_in_build
from kerastf_xlate.tokeras.module_init import InitWriter
from kerastf_xlate.tokeras.naming import RESERVED, base_name, weight_stem
from kerastf_xlate.tokeras.naming import namer as make_namer
from kerastf_xlate.tokeras.shapes import input_hint
from kerastf_xlate.tokeras.variables import find_variables
from kerastf_xlate.totf.conformance import strip_note
from kerastf_xlate.totf.subclass import SUPER_NOTE


@dataclass
class ModuleResult:
    edits: list[SpanEdit]
    findings: list[Finding]
    weight_order: list[str]  # the original variables (attribute names) in get_weights() order
    kept_vars: list[str]
    matches: list[Match] = field(default_factory=list)
    input_hint: dict[str, Any] | None = None
    reshape: dict[str, tuple[int, ...]] = field(default_factory=dict)  # weights that load reshaped (a scalar bias: (1,))
    remap: dict[str, str] = field(default_factory=dict)  # variable attribute -> ``self.<layer>.<weight>``


# what a tf.Variable has and a Keras weight does not (``shape`` is a tuple there): read on
# the weight's own tf.Variable (``self.dense.kernel.value``)
_TF_VARIABLE_ONLY = r"get_shape\(|shape\.as_list\(|set_shape\(|initial_value\b|op\b|handle\b|device\b"


def _variable_apis(edits: list[SpanEdit], paths: set[str]) -> list[SpanEdit]:
    """``self.dense.kernel.get_shape()`` (a variable's static size read in ``call``, remapped
    to the layer weight) -> ``self.dense.kernel.value.get_shape()``."""
    if not paths:
        return edits
    alt = "|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True))
    pattern = re.compile(rf"({alt})(?=\.(?:{_TF_VARIABLE_ONLY}))")
    return [SpanEdit(e.start, e.end, pattern.sub(r"\1.value", e.text)) for e in edits]


# methods a Keras layer defines for Keras (they stay as they are in a raised Keras class)
KERAS_OVERRIDES = frozenset({"get_config", "from_config", "compute_output_shape", "compute_mask"})


class ModuleTranslator(InitWriter):
    """Translates one ``tf.Module`` subclass; :meth:`run` returns None when it stays as it is."""

    def __init__(self, cls: ast.ClassDef, env: FileEnv, graph: bool = False, keras_class: bool = False) -> None:
        self.cls = cls
        # keras_class: a Keras layer / model subclass holding tf.Variables (created in
        # ``__init__`` or in a ``build`` that only creates them): its base and ``call`` stay
        self.keras_class = keras_class
        self.entry = "call" if keras_class else "__call__"
        self.env = env
        self.graph = graph
        self.st = env.st
        self.findings: list[Finding] = []
        self.methods = [s for s in cls.body if isinstance(s, ast.FunctionDef)]
        self.by_name = {m.name: m for m in self.methods}
        self.init = self.by_name.get("__init__")
        self.vars: dict[str, Var] = {}
        self.marker = {m.name: MARKER.match(docstring(m) or "").group(1)  # type: ignore[union-attr]
                       for m in self.methods if MARKER.match(docstring(m) or "")}
        self.in_build: set[frozenset[str]] = set()  # layers created in a Keras build (module_build)
        self.frozen: set[str] = set()  # variables not raised: trainable where the layer weight is not, or the reverse
        self.float64 = False  # every variable is tf.float64: the layers and the model are made with dtype="float64"

    def _why_not_a_weight(self, attr: str) -> str:
        if attr in self.frozen:
            given = self.vars[attr].trainable
            if given is False:
                return "is made with trainable=False, and the weight of the Keras layer its op computes is trainable"
            if given is None:
                return "is made with a `trainable=` value not known statically"
            return "is trainable, and the weight of the Keras layer its op computes (a moving statistic) is not"
        return "is not the weight of a layer to-keras recognises"

    def blocked(self, node: ast.AST, why: str) -> None:
        self.findings.append(Finding(node, "XL502", f"`{self.cls.name}` kept as a tf.Module: {why}"))

    # ------------------------------------------------------------------ analysis

    def check(self) -> bool:
        cls = self.cls
        if self.init is None or self.entry not in self.by_name:
            self.blocked(cls, f"it needs both `__init__` and `{self.entry}`")
            return False
        if len(cls.bases) != 1 or cls.keywords:
            self.blocked(cls, "it has several bases or a metaclass")
            return False
        if cls.decorator_list:
            self.blocked(cls, "it is decorated")
            return False
        for m in self.methods:
            if (m.name in RESERVED and not is_generated_method(m) and m.name not in ("__init__", "__call__", self.entry)
                    and not (self.keras_class and (m is self._build() or m.name in KERAS_OVERRIDES))):
                self.blocked(m, f"its method `{m.name}` would override the Keras API of the same name")
                return False
        if any(isinstance(s, ast.AsyncFunctionDef) for s in cls.body):
            self.blocked(cls, "it has async methods")
            return False
        text = ast.unparse(cls)
        if "name_scope" in text:
            self.blocked(cls, "it uses tf.Module name scopes, which a Keras model does not have")
            return False
        return True

    def _body_methods(self) -> list[ast.FunctionDef]:
        return [m for m in self.methods if m is not self.init and not is_generated_method(m)]

    def _run_bodies(self, vars_: dict[str, Var], deny: set[int]) -> tuple[dict[str, list[StmtEdit]], dict[str, MatchCtx]]:
        out: dict[str, list[StmtEdit]] = {}
        ctxs: dict[str, MatchCtx] = {}
        for m in self._body_methods():
            params = params_of(m)
            self_name = params[0] if params else "self"
            tensors = locals_of(m) - {self_name}
            ctx = MatchCtx(self.env.names, self.st, self.env.rules, vars=vars_, self_name=self_name,
                      training=training_param(m), graph=self.graph, tensors=tensors, keras=self.env.keras, deny=deny,
                      ranks=rank_info(self.env, m, self_name, self.init, vars_), layer_method=self.marker.get(m.name))
            rw = BodyRewriter(ctx, params)
            out[m.name] = rw.run(m.body)
            ctxs[m.name] = ctx
        return out, ctxs

    def _available(self, src: str, init_attrs: set[str]) -> bool:
        names, attrs = free_names(src)
        assert self.init is not None
        allowed = set(params_of(self.init)) | self.env.module_names | BUILTINS
        return names <= allowed and attrs <= init_attrs

    def _layer_method(self, m: ast.FunctionDef, edits: list[StmtEdit]) -> Match | None:
        """A to-tf layer method whose body is exactly one layer applied to its argument."""
        if m.name not in self.marker:
            return None
        params = params_of(m)
        if len(params) < 2:
            return None
        x = params[1]
        by_stmt = {id(e.stmt): e for e in edits}
        body = m.body[1:]  # after the docstring
        found: Match | None = None
        for i, stmt in enumerate(body):
            e = by_stmt.get(id(stmt))
            if e is not None and e.kind in ("lazy", "delete"):
                continue
            if i == len(body) - 1 and isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name) and stmt.value.id == x:
                continue
            if e is None or found is not None:
                return None
            piece = e.piece if e.kind == "value" else None
            m_ = e.match if e.kind == "replace" else (piece.match if piece is not None else None)
            if m_ is None or (piece is not None and piece.children):
                return None
            target = e.target if e.kind == "replace" else (stmt.targets[0].id if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) else None)
            if target != x or len(m_.inputs) != 1 or not (isinstance(m_.inputs[0], ast.Name) and m_.inputs[0].id == x):
                return None
            if piece is not None and any(p.match is not None or p.children for p in piece.inputs):
                return None
            found = m_
        if found is not None and found.spec.cls != self.marker[m.name]:
            return None
        return found

    # ------------------------------------------------------------------ main

    def run(self) -> ModuleResult | None:
        if not self.check():
            return None
        assert self.init is not None
        self.vars, others = find_variables(self.cls, self.init, self.st, self.env.names, self.env.tree, first_call=True,
                                           build=self._build(), keras=self.keras_class)
        if self.keras_class and self._build() is not None and not any(v.lazy is self._build() for v in self.vars.values()):
            return None  # a build method of its own: the class stays as it is
        wide = [a for a, v in self.vars.items() if v.dtype == "float64"]
        if wide:
            narrow = [a for a, v in self.vars.items() if v.dtype != "float64"]
            passed_on = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__init__"
                            and any(k.arg is None for k in n.keywords) for n in ast.walk(self.init))
            if passed_on and not narrow:  # `super().__init__(**kwargs)` may carry a dtype of its own
                self.blocked(self.vars[wide[0]].stmt, f"`self.{wide[0]}` is tf.float64 and `__init__` passes `**` arguments "
                             "on to `super().__init__`, where the float64 model's `dtype=` would go")
                return None
            if self.keras_class or self.graph or narrow:
                v = self.vars[wide[0]]
                why = (f"`self.{wide[0]}` is tf.float64 " + (f"and `self.{narrow[0]}` float32: a Keras model computes in one "
                       "dtype" if narrow else "in a class to-keras raises only with float32 weights"))
                if self.keras_class:
                    self.findings.append(Finding(v.stmt, "XL503", f"`self.{wide[0]}` of Keras class `{self.cls.name}` stays "
                                                                  f"a tf.Variable: {why}"))
                else:
                    self.blocked(v.stmt, why)
                return None
            self.float64 = True
        if self.keras_class:
            untracked = [a for a, v in self.vars.items() if v.call is not None and self.env.names.call(v.call) == "tf.Variable"]
            if untracked:
                # Keras 3 tracks only its own variables: a layer's `self.w = tf.Variable(...)` is
                # not among its weights, so fit, get_weights and save_weights leave it out; a
                # layer weight raised from it would be trained and saved
                self.findings.append(Finding(self.vars[untracked[0]].call or self.cls, "XL503", (
                    f"`self.{untracked[0]}` of Keras class `{self.cls.name}` stays a tf.Variable: Keras 3 does not "
                    "track a tf.Variable a layer holds (fit does not train it, get_weights leaves it out), so a "
                    "layer weight raised from it would change what the model trains and saves")))
                return None
        if others:
            self.blocked(others[0], "it creates variables outside a plain `self.x = tf.Variable(...)` in `__init__` "
                         "(in a list, a loop, a condition or another method), which cannot be matched to layer weights")
            return None
        init_attrs = {a for s in self.init.body if isinstance(s, ast.Assign) for t in s.targets if (a := self_attr(t)) is not None}
        deny_vars: set[str] = set()
        deny_nodes: set[int] = set()
        for _ in range(6):
            self.in_build = set()
            vars_ = {a: v for a, v in self.vars.items() if a not in deny_vars}
            edits, ctxs = self._run_bodies(vars_, deny_nodes)
            matches = [m for es in edits.values() for e in es for m in e.matches()]
            groups: dict[frozenset[str], list[Match]] = {}
            owner: dict[str, set[frozenset[str]]] = {}
            for m in matches:
                if m.spec.weights:
                    key = frozenset(v.attr for v in m.spec.weights.values())
                    groups.setdefault(key, []).append(m)
                    for a in key:
                        owner.setdefault(a, set()).add(key)
            bad_vars: set[str] = set()
            for keys in owner.values():
                if len(keys) > 1:
                    bad_vars |= set().union(*keys)
            for key, ms in groups.items():
                mismatched = {v.attr for r, v in ms[0].spec.weights.items() if not trainable_as_in_keras(ms[0], r)}
                self.frozen |= mismatched
                if len({m.spec.key() for m in ms}) > 1 or mismatched:
                    bad_vars |= key
                elif (not all(self._available(src, init_attrs) for src in ms[0].spec.args.values())
                      or self._sized_by_input_shape(ms[0])):
                    if self._buildable(key, ms[0], init_attrs):
                        self.in_build.add(key)
                    else:
                        bad_vars |= key
            bad_nodes = {id(m.node) for m in matches if not m.spec.weights
                         and not all(self._available(src, init_attrs) for src in m.spec.args.values())}
            bad_vars |= self._same_block(bad_vars)
            if not bad_vars and not bad_nodes:
                break
            deny_vars |= bad_vars
            deny_nodes |= bad_nodes
        else:  # pragma: no cover - conflicts keep appearing
            self.blocked(self.cls, "its variables are used in ways that do not map onto layers consistently")
            return None
        weights = {v.attr for m in matches for v in m.spec.weights.values()}
        mixed = [a for a in weights if self._same_block({a}) - weights]
        if mixed:
            v = self.vars[mixed[0]]
            self.blocked(v.lazy or v.stmt, f"`self.{mixed[0]}` is created on the first call with variables that are not a "
                         "layer's weights: the block that creates them cannot go")
            return None
        outside = self._read_outside(weights) if self.cls.name not in self.env.built else None  # (remapped by the caller)
        if outside is not None:
            self.blocked(outside, self.env.instance_kept.get(self.cls.name) or (
                f"`{ast.unparse(outside)}` reads a variable on an instance, which a Keras layer "
                "would hold as its own weight (`.dense.kernel`): the module is kept"))
            return None
        if self.keras_class and (not matches or set(self.vars) - weights):
            for a in sorted(self.frozen & set(self.vars)):
                self.findings.append(Finding(self.vars[a].stmt, "XL503", f"`self.{a}` of Keras class `{self.cls.name}` stays "
                                             f"as written: it {self._why_not_a_weight(a)}"))
            return None  # a Keras class keeps its tf.Variables only as they are (and keras_code reads its call)
        if not matches and not self.vars and not others and self._raised_subs():
            return self._container()
        if not matches and not self.vars and not others:
            listed = self._listed_layers()
            if listed is not None:
                return self._container(listed)
        stays = [a for a in self.vars if a not in weights]
        if matches and stays:
            # Keras 3 does not track a tf.Variable a Keras model holds: raised around it, the
            # class would lose it from `trainable_variables`, `fit` and `get_weights`
            v = self.vars[stays[0]]
            self.blocked(v.stmt, f"`self.{stays[0]}` {self._why_not_a_weight(stays[0])}: it would stay a tf.Variable, which a "
                                 "Keras model does not track (its trainable_variables, fit and get_weights leave it out)")
            self._report_ops([], [])
            return None
        if not matches:
            if self.vars or others:
                frozen = [a for a in self.vars if a in self.frozen]
                self.blocked(self.cls, f"`self.{frozen[0]}` {self._why_not_a_weight(frozen[0])}" if frozen else
                             "no variable is used as the weight of a layer to-keras recognises")
            else:
                self.blocked(self.cls, "none of its ops is one to-keras raises to a Keras layer")
            self._report_ops([], [])
            return None
        return self._emit(edits, ctxs, groups, matches, others)

    def _buildable(self, key: frozenset[str], m: Match, init_attrs: set[str]) -> bool:
        """The layer of variables ``key`` can be created in the Keras class's ``build``, where
        its arguments (the input's width) are known: :mod:`.module_build`."""
        build = self._build()
        if build is None or PENDING_ARG in m.spec.args or not all(self.vars[a].lazy is build for a in key):
            return False
        if self.init is None or layers_only_init(self.init):
            return False  # the `__init__` to-keras writes for a class without one: a second run would raise more
        calls = [self.vars[a].call for a in key]
        if any(c is None or self.env.names.call(c) == "tf.Variable" for c in calls):
            return False  # Keras 3 does not track a tf.Variable attribute: the original trains nothing there
        shape = build_shape(m, self.env.rules)
        locals_ = set(named_sizes(build, self.st).values())
        return shape is not None and readable_in_build(build, [*m.spec.args.values(), shape], self.st,
                                                       self.env.module_names | BUILTINS | locals_, init_attrs)

    def _sized_by_input_shape(self, m: Match) -> bool:
        """A weight of ``m`` has a size ``build`` reads off one shape of a list of inputs
        (``input_shape[1][-1]``, a graph layer's ``(nodes, edges)``): the layer is built in
        ``build`` with it (:mod:`.module_build`), so it checks that size as the original's
        matmul did; created in ``__init__`` it would take the width of whatever it is applied
        to (the other input's, where the two differ). ``input_shape[1]`` of one input stays
        as it was (tests/test_tokeras_build_spellings.py)."""
        build = self._build()
        if build is None or len(build.args.args) != 2:
            return False
        param = build.args.args[1].arg

        def of_a_list(src: str) -> bool:
            try:
                tree = ast.parse(src, mode="eval")
            except SyntaxError:
                return True  # not read: the layer is built where the size is known
            return any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Subscript)
                       and isinstance(n.value.value, ast.Name) and n.value.value.id == param for n in ast.walk(tree))

        return any(not d.from_input and param in free_names(d.src)[0] and of_a_list(d.src)
                   for v in m.spec.weights.values() for d in v.shape or ())

    def _read_outside(self, attrs: set[str]) -> ast.Attribute | None:
        """A read of one of ``attrs`` on something other than ``self`` anywhere in the file
        (``model.w.shape``, ``self.dense_1.w``): after raising, that attribute is gone."""
        if not attrs:
            return None
        own = {"self"} | set(self.env.built_instances)  # (an inline model's instance holds its own attributes)
        for n in ast.walk(self.env.tree):
            if (isinstance(n, ast.Attribute) and n.attr in attrs
                    and not (isinstance(n.value, ast.Name) and n.value.id in own)):
                return n
        return None

    def _build(self) -> ast.FunctionDef | None:
        """A Keras class's ``build`` method (its variables are read by find_variables)."""
        return self.by_name.get("build") if self.keras_class else None

    def _same_block(self, attrs: set[str]) -> set[str]:
        """The variables created in the same first-call block as one of ``attrs`` (a block
        goes whole or stays whole)."""
        blocks = {id(self.vars[a].lazy) for a in attrs if a in self.vars and self.vars[a].lazy is not None}
        return {a for a, v in self.vars.items() if v.lazy is not None and id(v.lazy) in blocks}

    def _raised_subs(self) -> list[str]:
        """The sub-modules ``__init__`` creates (``self.dense_1 = Dense(...)``), when there are
        some and every one is of a class already raised to a Keras layer."""
        assert self.init is not None
        subs = [s.value.func.id for s in self.init.body
                if isinstance(s, ast.Assign) and len(s.targets) == 1 and self_attr(s.targets[0]) is not None
                and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name)
                and s.value.func.id in self.env.sublayers]
        return subs if subs and all(c in self.env.raised for c in subs) else []

    def _container(self, listed: tuple[str, list[str]] | None = None) -> ModuleResult:
        """A module that only composes raised sub-modules (the tf.Module guide's
        ``SequentialModule``, or a list of them it is given: ``listed``) becomes a Keras model
        (or layer) holding them: a Keras model does not track the variables of a ``tf.Module``
        attribute, so it cannot stay one."""
        out = self._rename_call(self.by_name["__call__"])
        start, end = self.st.span(self.cls.bases[0])
        # `Model.layers` is Keras's own (assigning it raises): a list held as `self.layers` makes a Layer
        base = "layers.Layer" if listed is not None and listed[0] == "layers" else self._keras_base()
        out.append(SpanEdit(start, end, f"{self.env.keras}.{base}"))
        out += self._super_kwargs() + self._conformance_note()
        out += self._super_call()
        self._report_ops([], [])
        order = self._weight_order({}, {}, [])
        if listed is not None:  # the list's layers, in its order, each with its own weights
            order = [f"@{listed[0]}[{i}]:{c}" for i, c in enumerate(listed[1])]
        return ModuleResult(out, self.findings, order, [], [], self._input_hint([]))

    def _listed_layers(self) -> tuple[str, list[str]] | None:
        """(attribute, element classes) when the module applies, in a loop, a list of raised
        modules it is given: ``__init__`` binds ``self.<attr> = <parameter>`` (and otherwise
        only plain values), ``__call__`` runs ``for layer in self.<attr>: x = layer(x)``, and
        every instance of the class made in the file is given a list (or tuple) of
        instances of raised classes, the same classes in the same order (the weight order)."""
        assert self.init is not None
        params = params_of(self.init)[1:]
        bound: dict[str, str] = {}
        for stmt in self.init.body:
            if isinstance(stmt, ast.Expr) and (isinstance(stmt.value, ast.Constant) or (
                    isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)
                    and stmt.value.func.attr == "__init__")):
                continue  # docstring, super().__init__(...)
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and self_attr(stmt.targets[0]) is not None):
                return None
            if isinstance(stmt.value, ast.Name) and stmt.value.id in params:
                bound[self_attr(stmt.targets[0])] = stmt.value.id  # type: ignore[index]
            elif any(isinstance(n, ast.Call) for n in ast.walk(stmt.value)):
                return None
        looped = [n for n in ast.walk(self.by_name["__call__"]) if isinstance(n, ast.For) and self_attr(n.iter) in bound]
        if len(looped) != 1:
            return None
        loop = looped[0]
        attr = self_attr(loop.iter)
        body = loop.body
        if not (isinstance(loop.target, ast.Name) and not loop.orelse and len(body) == 1 and isinstance(body[0], ast.Assign)
                and len(body[0].targets) == 1 and isinstance(body[0].targets[0], ast.Name)
                and isinstance(body[0].value, ast.Call) and isinstance(body[0].value.func, ast.Name)
                and body[0].value.func.id == loop.target.id and not body[0].value.keywords
                and len(body[0].value.args) == 1 and isinstance(body[0].value.args[0], ast.Name)
                and body[0].value.args[0].id == body[0].targets[0].id):
            return None
        if attr is None or attr in RESERVED - {"layers"}:
            return None
        param = bound[attr]
        index = params.index(param)
        sequences: list[list[str]] = []
        for n in ast.walk(self.env.tree):
            if isinstance(n, ast.Name) and n.id == self.cls.name and isinstance(n.ctx, ast.Load):
                sequences.append([])  # every use of the class must be one of the calls read below
        calls = [n for n in ast.walk(self.env.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                 and n.func.id == self.cls.name]
        if not calls or len(calls) != len(sequences):
            return None
        sequences = []
        for c in calls:
            given = next((k.value for k in c.keywords if k.arg == param), None)
            if given is None and index < len(c.args) and not any(isinstance(a, ast.Starred) for a in c.args[:index + 1]):
                given = c.args[index]
            if not isinstance(given, (ast.List, ast.Tuple)) or not given.elts:
                return None
            classes = [e.func.id for e in given.elts if isinstance(e, ast.Call) and isinstance(e.func, ast.Name)
                       and e.func.id in self.env.raised]
            if len(classes) != len(given.elts):
                return None
            sequences.append(classes)
        if any(s != sequences[0] for s in sequences):
            return None
        return attr, sequences[0]

    def _emit(self, edits: dict[str, list[StmtEdit]], ctxs: dict[str, MatchCtx], groups: dict[frozenset[str], list[Match]],
              matches: list[Match], others: list[ast.Call]) -> ModuleResult:
        st, env = self.st, self.env
        assert self.init is not None
        out: list[SpanEdit] = []
        attributed: dict[str, tuple[Match, str]] = {}  # var attr -> (a match of its group, role)
        for ms in groups.values():
            for role, v in ms[0].spec.weights.items():
                attributed[v.attr] = (ms[0], role)
        # layer methods written by to-tf
        removed_methods: list[ast.FunctionDef] = [m for m in self.methods if is_generated_method(m)]
        build = self._build()
        if build is not None and any(v.lazy is build for v in self.vars.values()) and not self.in_build:
            removed_methods.append(build)  # it only created the variables, now the layers' (Keras builds them)
        method_layer: dict[str, Match] = {}
        for fn in self._body_methods():
            lm = self._layer_method(fn, edits[fn.name])
            if lm is not None:
                method_layer[fn.name] = lm
                removed_methods.append(fn)
        # names
        taken = {m.name for m in self.methods if m not in removed_methods}
        for n in ast.walk(self.cls):
            a = self_attr(n)
            if a is not None and isinstance(getattr(n, "ctx", None), ast.Store) and a not in attributed:
                taken.add(a)
        namer = make_namer(taken - set(method_layer))
        group_attr: dict[frozenset[str], str] = {}
        for name, lm in method_layer.items():
            lm.attr = namer(name) if name in namer.taken else name
            namer.taken.add(lm.attr)
            if lm.spec.weights:
                group_attr[frozenset(v.attr for v in lm.spec.weights.values())] = lm.attr
        order = [x for fn in self._body_methods() for e in sorted(edits[fn.name], key=lambda e: e.stmt.lineno) for x in e.matches()]
        seen: set[int] = set()
        natural: list[Match] = []
        for m in order:
            if id(m) not in seen:
                seen.add(id(m))
                natural.append(m)
        for m in natural:
            if m.spec.weights:
                key = frozenset(v.attr for v in m.spec.weights.values())
                if key not in group_attr:
                    group_attr[key] = namer(weight_stem(m.spec) or base_name(m.spec.cls, self.env.rules))
                m.attr = group_attr[key]
            elif m.attr is None:
                m.attr = namer(base_name(m.spec.cls, self.env.rules))
        remap = {a: f"self.{group_attr[frozenset(v.attr for v in m.spec.weights.values())]}.{role}" for a, (m, role) in attributed.items()}
        kept = [a for a in self.vars if a not in attributed]

        def callee(m: Match) -> str:
            return f"self.{m.attr}"

        # method bodies
        removed_spans = [self._method_span(m) for m in removed_methods]

        def inside_removed(node: ast.AST) -> bool:
            a, _ = st.span(node)
            return any(s <= a < e for s, e in removed_spans)

        covered: list[tuple[int, int]] = []
        for name, es in edits.items():
            if name in method_layer:
                continue
            ctx = ctxs[name]
            for se, (stmt, new) in zip(es, render_edits(es, ctx, callee, remap)):
                if se.kind == "lazy" and se.attr not in attributed:
                    continue
                if inside_removed(stmt):
                    continue
                covered.append(st.span(stmt))
                out.append(self._stmt_edit(stmt, new))
        # __init__: layers where their first variable was, stored arguments folded back
        init_edits, inits_spans = self._init_edits(groups, group_attr, natural, attributed, method_layer)
        out += init_edits
        covered += inits_spans
        if build is not None and self.in_build:  # layers sized by the input, created in build
            where = {self_attr(t): i for i, s in enumerate(build.body) if isinstance(s, ast.Assign) for t in s.targets}
            firsts = {min(key, key=lambda a: where.get(a, 0)): key for key in self.in_build}
            named = named_sizes(build, st)
            created = {}
            for a, key in firsts.items():
                spec = groups[key][0].spec
                spec = type(spec)(spec.cls, {k: named.get(v.replace(" ", ""), v) for k, v in spec.args.items()}, spec.weights)
                created[a] = [f"self.{group_attr[key]} = {spec.render(env.rules, env.layers)}",
                              f"self.{group_attr[key]}.build({build_shape(groups[key][0], env.rules)})"]
            b_edits, b_spans = build_edits(build, st, set(self.vars), created)
            out += b_edits
            covered += b_spans
        # __call__ -> call
        if not self.keras_class:
            call = self.by_name["__call__"]
            out += self._rename_call(call)
            # base class
            base = self.cls.bases[0]
            start, end = st.span(base)
            out.append(SpanEdit(start, end, f"{env.keras}.{self._keras_base()}"))
            out += self._super_kwargs() + self._conformance_note()
            out += self._super_call()
        # removed methods
        for start, end in removed_spans:
            out.append(SpanEdit(start, end, ""))
        # other references to variables that are now layer weights
        for n in ast.walk(self.cls):
            attr = self_attr(n)
            if attr in remap and isinstance(getattr(n, "ctx", None), ast.Load) and not inside_removed(n):
                start, end = st.span(n)
                if not any(s <= start and end <= e for s, e in covered):
                    out.append(SpanEdit(start, end, remap[attr]))
        # findings
        self._report(edits, ctxs, matches, removed_spans)
        weight_order = self._weight_order(groups, group_attr, matches)
        hint = self._input_hint(edits[self.entry])
        reshape: dict[str, tuple[int, ...]] = {v.attr: (1,) for ms in groups.values() if ms[0].spec.cls in SCALAR_BIAS
                                               for role, v in ms[0].spec.weights.items() if role == "bias" and v.shape == ()}
        out = _variable_apis(out, set(remap.values()))
        return ModuleResult(out, self.findings, weight_order, kept, matches, hint, reshape, remap)

    def _keras_base(self) -> str:
        """``layers.Layer`` for a class used as a layer of another, or one to-tf wrote from a
        Layer subclass (its ``ordered_variables`` says "the Keras layer's"); else ``Model``."""
        fn = self.by_name.get("ordered_variables")
        from_layer = fn is not None and is_generated_method(fn) and "Keras layer's" in (docstring(fn) or "")
        return "layers.Layer" if from_layer or self.cls.name in self.env.sublayers else "Model"

    def _super_call(self) -> list[SpanEdit]:
        """``super().__init__()`` first in an ``__init__`` that has none (a tf.Module works
        without it, as the TensorFlow guides write them; a Keras layer does not); with
        ``dtype="float64"`` for a float64 class (Keras's model casts its inputs to its dtype),
        added to the call the class makes."""
        assert self.init is not None
        dtype = "dtype='float64'" if self.float64 else ""
        for n in ast.walk(self.init):
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__init__"
                    and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name) and n.func.value.func.id == "super"):
                if not dtype or any(k.arg == "dtype" for k in n.keywords):
                    return []
                _, end = self.st.span(n)
                return [SpanEdit(end - 1, end - 1, (", " if n.args or n.keywords else "") + dtype)]
        body = self.init.body[1:] if docstring(self.init) is not None else self.init.body
        if not body or not self.st.owns_lines(body[0]):
            return []
        start, _ = self.st.line_span(body[0])
        return [SpanEdit(start, start, f"{self.st.indent_of(body[0])}super().__init__({dtype})\n")]

    def _super_kwargs(self) -> list[SpanEdit]:
        """to-tf's ``super().__init__(name=kwargs.get("name"))  # xlate to-tf: ...`` back to
        ``super().__init__(**kwargs)``: the Keras class takes what the tf.Module dropped.
        Only with to-tf's note on the line: a user's own call stays as it is."""
        assert self.init is not None
        kw = self.init.args.kwarg
        if kw is None:
            return []
        st = self.st
        for stmt in self.init.body:
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"
                    and isinstance(call.func.value, ast.Call) and isinstance(call.func.value.func, ast.Name)
                    and call.func.value.func.id == "super" and not call.args and stmt.end_lineno == stmt.lineno):
                continue
            line = st.lines[stmt.lineno - 1]
            start, end = st.span(call)
            rest = line[end - st.starts[stmt.lineno - 1]:]
            if rest.strip() != SUPER_NOTE:
                continue
            if len(call.keywords) > 1 or any(k.arg != "name" for k in call.keywords):
                continue
            if not call.keywords:
                inner = f"**{kw.arg}"
            else:
                value = call.keywords[0].value
                if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get"
                        and isinstance(value.func.value, ast.Name) and value.func.value.id == kw.arg and len(value.args) == 1
                        and not value.keywords and isinstance(value.args[0], ast.Constant) and value.args[0].value == "name"):
                    inner = f"**{kw.arg}"
                else:
                    inner = f"name={st.seg(value)}, **{kw.arg}"
            eol = st.starts[stmt.lineno - 1] + len(line.rstrip("\r\n"))
            return [SpanEdit(start, eol, f"{st.seg(call.func)}({inner})")]
        return []

    def _conformance_note(self) -> list[SpanEdit]:
        """to-tf's ``Conformance: lacks ...`` paragraph out of the class docstring (what the
        tf.Module lacked, a Keras model has)."""
        first = self.cls.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)):
            return []
        start, end = self.st.span(first.value)
        text = strip_note(self.st.text, start, end)
        if text is None:
            return []
        if not text:  # a docstring that was only the note: its line goes
            start, end = self.st.line_span(first)
        return [SpanEdit(start, end, text)]

    def _input_hint(self, edits: list[StmtEdit]) -> dict[str, Any] | None:
        """What the first layer applied to ``__call__``'s input shows about that input; when
        the input first goes through a sub-module, ``{"sub": class name}``."""
        call = self.by_name[self.entry]
        params = params_of(call)
        x = params[1] if len(params) > 1 else None
        matches = {id(m.node): m for e in edits for m in e.matches()}
        subs = {self_attr(s.targets[0]): s.value.func.id for s in self.init.body  # type: ignore[union-attr]
                if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.value, ast.Call)
                and isinstance(s.value.func, ast.Name) and s.value.func.id in self.env.sublayers}
        for n in ast.walk(call):
            if isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == x:
                attr = self_attr(n.func)
                if attr in subs:
                    return {"sub": subs[attr]}
        first = [m for e in sorted(edits, key=lambda e: e.stmt.lineno) for m in e.matches()]
        for m in first:
            if any(isinstance(i, ast.Name) and i.id == x for i in m.inputs) and m.spec.weights:
                return input_hint(m.spec, self.env.rules)
        weighted = [m for m in first if m.spec.weights]
        del matches
        return input_hint(weighted[0].spec, self.env.rules) if weighted else None

    # ------------------------------------------------------------------ pieces of the output

    def _method_span(self, m: ast.FunctionDef) -> tuple[int, int]:
        st = self.st
        first = m.decorator_list[0].lineno if m.decorator_list else m.lineno
        start = st.starts[first - 1]
        end = st.starts[min(m.end_lineno or m.lineno, len(st.lines))]
        # the blank line that separated it from the previous method goes with it
        if first >= 2 and not st.lines[first - 2].strip():
            start = st.starts[first - 2]
        return start, end

    def _stmt_edit(self, stmt: ast.stmt, new: str | None) -> SpanEdit:
        st = self.st
        if new is None:
            if st.owns_lines(stmt):
                s, e = st.line_span(stmt)
                return SpanEdit(s, e, "")
            a, b = st.span(stmt)
            return SpanEdit(a, b, "pass")
        a, b = st.span(stmt)
        if "\n" in new:
            indent = st.indent_of(stmt)
            new = new.replace("\n", "\n" + indent)
        return SpanEdit(a, b, new)

    def _rename_call(self, call: ast.FunctionDef) -> list[SpanEdit]:
        st = self.st
        out = []
        line = st.lines[call.lineno - 1]
        at = line.find("def __call__")
        base = st.starts[call.lineno - 1]
        out.append(SpanEdit(base + at + 4, base + at + 12, "call"))
        for dec in call.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if self.env.names.qual(target) == "tf.function":
                s = st.starts[dec.lineno - 1]
                e = st.starts[dec.end_lineno]  # type: ignore[index]
                out.append(SpanEdit(s, e, ""))
        if training_param(call) is None and not self.marker and not self.graph:
            a = call.args
            if a.vararg is None and a.kwarg is None and not a.kwonlyargs and a.args:
                last = a.args[-1]
                end = st.span(last)[1]
                if a.defaults and a.defaults[-1] is not None:
                    end = max(end, st.span(a.defaults[-1])[1])
                out.append(SpanEdit(end, end, ", training=False"))
        return out

    def _weight_order(self, groups: dict[frozenset[str], list[Match]], group_attr: dict[frozenset[str], str], matches: list[Match]) -> list[str]:
        """Original variables in the order the Keras model's get_weights() lists them."""
        assert self.init is not None
        position = {id(s): i for i, s in enumerate(self.init.body)}
        items = []
        for key, ms in groups.items():
            spec = ms[0].spec
            first = min(position.get(id(self.vars[a].stmt), 1 << 30) for a in key)
            items.append((first, [spec.weights[r].attr for r in keras_roles(spec, self.env.rules)]))
        # sub-modules (``self.block = Block()``) contribute their own weights where they are
        # assigned; "@block:Block" is expanded once every class is translated; a Keras layer
        # kept in the module (``self.lstm = layers.LSTM(...)``) contributes "*lstm", its weights
        for i, stmt in enumerate(self.init.body):
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and self_attr(stmt.targets[0]) is not None
                    and id(stmt.value) in self.env.keras_calls):
                items.append((i, [f"*{self_attr(stmt.targets[0])}"]))
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and self_attr(stmt.targets[0]) is not None
                    and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
                    and stmt.value.func.id in self.env.sublayers):
                items.append((i, [f"@{self_attr(stmt.targets[0])}:{stmt.value.func.id}"]))
        return [a for _, attrs in sorted(items, key=lambda t: t[0]) for a in attrs]

    def _report_ops(self, spans: list[tuple[int, int]], removed_spans: list[tuple[int, int]]) -> None:
        """XL501 for every tf.nn op (in to-tf's own code: every tf op) left in the class; an op
        inside another reported one is not reported again."""
        st, names = self.st, self.env.names
        found: list[tuple[int, int, ast.Call, str]] = []
        for m in self._body_methods():
            for n in ast.walk(m):
                q = names.call(n)
                if q is None or not (q.startswith("tf.nn.") or (self.graph and q not in PLUMBING)):
                    continue
                a, b = st.span(n)
                if not any(s <= a and b <= e for s, e in spans + removed_spans):
                    found.append((a, b, n, q))  # type: ignore[arg-type]
        for a, b, n, q in found:
            if any(a2 <= a and b <= b2 and (a2, b2) != (a, b) for a2, b2, _, _ in found):
                continue
            self.findings.append(Finding(n, "XL501", kept_message(q)))

    def _report(self, edits: dict[str, list[StmtEdit]], ctxs: dict[str, MatchCtx], matches: list[Match],
                removed_spans: list[tuple[int, int]]) -> None:
        # (no variable stays a tf.Variable of a raised class: one that would keeps it a tf.Module, XL502)
        st = self.st
        spans = []
        for m in matches:
            spans.append(st.span(m.node))
            for absorbed in m.absorbed:
                spans.append(st.span(absorbed))
        for s, e in removed_spans:
            spans.append((s, e))
        noted = [st.span(node) for ctx in ctxs.values() for node, _ in ctx.notes]  # reported with their reason below
        self._report_ops(spans + noted, removed_spans)
        for ctx in ctxs.values():
            for node, why in ctx.notes:
                a, _ = st.span(node)
                if not any(s <= a < e for s, e in spans):
                    self.findings.append(Finding(node, "XL501", f"kept as TensorFlow ops: {why}"))
