"""What ``xlate to-tf`` wrote for a ``Sequential`` or functional model -> that model again.

The class (docstring "Translated by xlate to-tf from a keras.Sequential ...") and the
statement that instantiates it (``model = Model()`` / ``return Model()``) are replaced by
``model = keras.Sequential([...])`` or by the functional graph (``x = layers.Conv2D(...)(x)``
... ``keras.Model(inputs, outputs)``), when every statement of ``__call__`` is one layer
application. Layer names that ``xlate to-tf`` would not derive by itself are given as
``name=`` so the variable names come back the same. The ``keras.Input`` shape is recovered
(:mod:`.shapes`) and checked by translating the result back with ``xlate to-tf``: the form
whose translation is the class we started from is preferred. When no ``keras.Input`` can be
written (nothing shows the input's rank or channels) a ``Sequential`` is written without one
(Keras builds it on the first call); a functional model then stays a ``keras.Model`` subclass.
"""

from __future__ import annotations

import ast
import keyword
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.edit.records import SpanEdit
from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.static import Namer as _ToTfNamer  # to-tf's own naming: the prefixes predicted here are the ones it writes
from kerastf_xlate.static import snake as _snake
from kerastf_xlate.syntax import self_attr
from kerastf_xlate.tokeras.body import StmtEdit
from kerastf_xlate.tokeras.common import FileEnv, Finding, build_call
from kerastf_xlate.tokeras.graph_inputs import (
    App,
    candidates,
    facts_of,
    propagator,
    refine_arguments,
    settle,
)
from kerastf_xlate.tokeras.module import ModuleTranslator
from kerastf_xlate.tokeras.shapes import Fact, Shape, input_dtype, input_hint
from kerastf_xlate.tokeras.units import UnitInfo
from kerastf_xlate.tokeras.variables import find_variables
from kerastf_xlate.totf import translate as to_tf

_DOC = re.compile(r"^Translated by xlate to-tf from a (keras\.Sequential|functional keras\.Model); runs without Keras\.$")
_COMMENT_HEAD = "# Comments from the Keras model this class replaces:"


def graph_kind(cls: ast.ClassDef) -> str | None:
    m = _DOC.match(ast.get_docstring(cls, clean=False) or "")
    if m is None:
        return None
    return "sequential" if m.group(1) == "keras.Sequential" else "functional"


@dataclass
class GraphResult:
    edits: list[SpanEdit]
    findings: list[Finding]
    info: Any


class GraphTranslator:
    def __init__(self, cls: ast.ClassDef, env: FileEnv, kind: str, block: list[ast.stmt], index: int) -> None:
        self.cls = cls
        self.env = env
        self.kind = kind
        self.block = block
        self.index = index
        self.st = env.st

    def _instance(self) -> tuple[ast.stmt, str | None] | None:
        if self.index + 1 >= len(self.block):
            return None
        stmt = self.block[self.index + 1]
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.Return)) else None
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == self.cls.name
                and not value.args and not value.keywords):
            return None
        if isinstance(stmt, ast.Return):
            return stmt, None
        assert isinstance(stmt, ast.Assign)
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            return None
        return stmt, stmt.targets[0].id

    def run(self) -> GraphResult | None:
        inst = self._instance()
        if inst is None:
            return None
        inst_stmt, target = inst
        mt = ModuleTranslator(self.cls, self.env, graph=True)
        if not mt.check():
            return None
        assert mt.init is not None
        mt.vars, others = find_variables(self.cls, mt.init, self.st, self.env.names)
        if others:
            return None
        edits, ctxs = mt._run_bodies(mt.vars, set())
        call = mt.by_name["__call__"]
        self.raw = self._raw_layers(mt.init)
        signature = self._signature()
        self.declared = self._declared_inputs(mt.init) if signature is None else signature
        if self.raw is None or self.declared == "bad":
            return None
        parsed = self._apps(call, edits["__call__"], mt)
        if parsed is None:
            return None
        inputs, apps, outputs, outputs_list = parsed
        self._outputs, self._outputs_list = outputs, outputs_list
        if not settle(apps, inputs, self.declared, self.env.rules):  # layers whose arguments only the input shape tells (CenterCrop, ...)
            return None
        if self.kind == "sequential" and not (inputs == ["x"] and outputs == ["x"] and all(a.inputs == ["x"] and a.out == "x" and a.match is not None for a in apps)):
            return None
        groups: dict[frozenset[str], Match] = {}
        for a in apps:
            if a.match is not None and a.match.spec.weights:
                key = frozenset(v.attr for v in a.match.spec.weights.values())
                if key in groups and groups[key].spec.key() != a.match.spec.key():
                    return None
                groups.setdefault(key, a.match)
        used = {v.attr for key in groups for v in [mt.vars[a] for a in key]}
        if set(mt.vars) - used:
            return None
        if self.declared is not None:  # to-tf wrote the input shape down: self.build([None, *shape])
            if len(self.declared) != len(inputs):
                return None
            shapes, code = self.declared, self._code(self.declared, apps, inputs, target)  # type: ignore[arg-type]
        else:
            facts = facts_of(apps, self.env.rules)
            propagate = propagator(apps, inputs, self.env.rules)
            chosen = self._choose_inputs(inputs, apps, facts, propagate, target)
            if chosen is None:
                return None
            shapes, code = chosen  # type: ignore[assignment]
        indent = self.st.indent_of(self.cls)
        first_line = self.cls.decorator_list[0].lineno if self.cls.decorator_list else self.cls.lineno
        start = self.st.starts[first_line - 1]
        above = first_line - 1
        while above >= 1 and not self.st.lines[above - 1].strip():
            above -= 1
        if self.index == 0 and above >= 1 and self.st.lines[above - 1].rstrip().endswith(":"):
            start = self.st.starts[above]  # to-tf put a blank line between the def and the class
        end = self.st.line_span(inst_stmt)[1]
        text = textwrap.indent(code, indent) if indent else code
        prev = self.block[self.index - 1] if self.index > 0 else None
        if prev is not None and not isinstance(prev, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and first_line - above > 2 and not self.st.lines[above - 1].lstrip().startswith("#"):
            start, text = self.st.starts[above], "\n" + text  # two blank lines were for the class: one is enough
        order = self._ordered_variables(mt)
        if order is None:
            return None
        first = next((a.match for a in apps if a.match is not None), None)
        info = UnitInfo(self.cls.name, self.kind, order, instance=target, input_shapes=list(shapes) if shapes else None,  # type: ignore[arg-type]
                        input_hint=input_hint(first.spec, self.env.rules) if first is not None else None)
        return GraphResult([SpanEdit(start, end, text)], [], info)

    # ------------------------------------------------------------------ reading __init__

    def _raw_layers(self, init: ast.FunctionDef) -> dict[str, LayerSpec] | None:
        """Keras layers to-tf kept (``self.lstm = layers.LSTM(...)``), by attribute."""
        out: dict[str, LayerSpec] = {}
        for stmt in init.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and id(stmt.value) in self.env.keras_calls:
                attr = self_attr(stmt.targets[0])
                if attr is None:
                    return None
                out[attr] = LayerSpec(self.env.keras_calls[id(stmt.value)], raw=self.st.seg(stmt.value))
        return out

    def _signature(self) -> list[Any] | str | None:
        """The inputs from to-tf's ``input_signature = [tf.TensorSpec([None, 28, 28, 1],
        tf.float32)]`` (``[[spec, spec]]`` for several): a list of shapes (batch axis first)
        or ("src", shape source) per input; the dtypes go to ``self.signature_dtypes``.
        None without the attribute; "bad" when it cannot be read."""
        stmt = next((s for s in self.cls.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                     and isinstance(s.targets[0], ast.Name) and s.targets[0].id == "input_signature"), None)
        self.signature_dtypes: list[str] | None = None
        if stmt is None:
            return None
        value = stmt.value
        if not (isinstance(value, ast.List) and len(value.elts) == 1):
            return "bad"
        specs = value.elts[0].elts if isinstance(value.elts[0], ast.List) else [value.elts[0]]
        shapes: list[Any] = []
        dtypes: list[str] = []
        for spec in specs:
            if not (isinstance(spec, ast.Call) and self.env.names.call(spec) == "tf.TensorSpec" and len(spec.args) == 2
                    and not spec.keywords and isinstance(spec.args[0], ast.List) and spec.args[0].elts):
                return "bad"
            dims, dtype = spec.args[0].elts, self.env.names.qual(spec.args[1])
            if dtype is None or not dtype.startswith("tf."):
                return "bad"
            dtypes.append(dtype[3:])
            if len(dims) == 2 and isinstance(dims[1], ast.Starred) and isinstance(dims[0], ast.Constant) and dims[0].value is None:
                shapes.append(("src", self.st.seg(dims[1].value)))
                continue
            if (isinstance(dims[0], ast.Constant) and dims[0].value is None and len(dims) > 1
                    and not any(isinstance(d, ast.Starred) for d in dims[1:])
                    and any(not isinstance(d, ast.Constant) for d in dims[1:])):
                # names to-tf kept (``[None, NUM_FEATURES]``): the shape is their source
                rest = ", ".join(self.st.seg(d) for d in dims[1:])
                shapes.append(("src", f"({rest}{',' if len(dims) == 2 else ''})"))
                continue
            values = [d.value if isinstance(d, ast.Constant) else "bad" for d in dims]
            if not all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0) for v in values):
                return "bad"
            shapes.append(tuple(values))
        self.signature_dtypes = dtypes
        return shapes

    def _declared_inputs(self, init: ast.FunctionDef) -> list[Any] | str | None:
        """Input shapes from to-tf's ``self.build([None, *(N,)])`` line: a list of
        ("src", shape source) per input; None without such a line; "bad" when unreadable."""
        arg = next((a for s in init.body if (a := build_call(s)) is not None), None)
        if arg is None:
            return None
        shapes = arg.elts if isinstance(arg, ast.List) and arg.elts and all(isinstance(e, ast.List) for e in arg.elts) else [arg]
        out: list[Any] = []
        for sh in shapes:
            if not (isinstance(sh, ast.List) and sh.elts and isinstance(sh.elts[0], ast.Constant) and sh.elts[0].value is None):
                return "bad"
            rest = sh.elts[1:]
            if len(rest) == 1 and isinstance(rest[0], ast.Starred):
                out.append(("src", self.st.seg(rest[0].value)))
            elif not any(isinstance(e, ast.Starred) for e in rest):
                out.append(("src", "(" + ", ".join(self.st.seg(e) for e in rest) + ("," if len(rest) == 1 else "") + ")"))
            else:
                return "bad"
        return out

    def _ordered_variables(self, mt: ModuleTranslator) -> list[str] | None:
        """The variables in to-tf's ``ordered_variables()`` (Keras's order): attribute names,
        "*attr" for all weights of a kept Keras layer."""
        fn = mt.by_name.get("ordered_variables")
        if fn is None:
            return []
        for n in ast.walk(fn):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.List):
                out = []
                for e in n.value.elts:
                    if isinstance(e, ast.Starred) and isinstance(e.value, ast.Attribute) and e.value.attr == "weights" \
                            and self_attr(e.value.value) is not None:
                        out.append("*" + self_attr(e.value.value))  # type: ignore[operator]
                    elif self_attr(e) is not None:
                        out.append(self_attr(e))  # type: ignore[arg-type]
                    else:
                        return None
                return out
        return None

    # ------------------------------------------------------------------ reading __call__

    def _apps(self, call: ast.FunctionDef, edits: list[StmtEdit], mt: ModuleTranslator) -> tuple[list[str], list[App], list[str], bool] | None:
        by_stmt = {id(e.stmt): e for e in edits}
        self._raw_matches: dict[int, Match] = {}
        body = list(call.body)
        inputs: list[str] = ["inputs"]
        if body and isinstance(body[0], ast.Assign) and isinstance(body[0].value, ast.Name) and body[0].value.id == "inputs" and len(body[0].targets) == 1:
            t = body[0].targets[0]
            if isinstance(t, ast.Name):
                inputs = [t.id]
                body = body[1:]
            elif isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts):
                inputs = [e.id for e in t.elts]  # type: ignore[attr-defined]
                self.inputs_list = True
                body = body[1:]
        self.inputs_list = getattr(self, "inputs_list", False)
        apps: list[App] = []
        outputs: list[str] = []
        outputs_list = False
        for i, stmt in enumerate(body):
            e = by_stmt.get(id(stmt))
            if e is not None and e.kind in ("lazy", "delete"):
                continue
            if isinstance(stmt, ast.Return):
                if i != len(body) - 1:
                    return None
                if isinstance(stmt.value, ast.Name):
                    outputs = [stmt.value.id]
                elif isinstance(stmt.value, ast.List) and all(isinstance(x, ast.Name) for x in stmt.value.elts):
                    outputs, outputs_list = [x.id for x in stmt.value.elts], True  # type: ignore[attr-defined]
                else:
                    return None
                continue
            replaced = e is not None and e.kind == "replace"  # an idiom of whole statements (if training:, sequences)
            if not replaced and not (isinstance(stmt, (ast.Assign, ast.If)) and (isinstance(stmt, ast.If) or (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)))):
                return None
            if e is None and isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and self_attr(stmt.value.func) in self.raw:  # type: ignore[operator]
                call = stmt.value  # type: ignore[assignment]
                spec = self.raw[self_attr(call.func)]  # type: ignore[index, attr-defined]
                if len(call.args) != 1 or any(k.arg != "training" for k in call.keywords):  # type: ignore[arg-type, attr-defined]
                    return None
                arg = call.args[0]  # type: ignore[index]
                names_ = [arg.id] if isinstance(arg, ast.Name) else [x.id for x in arg.elts] if isinstance(arg, ast.List) and all(isinstance(x, ast.Name) for x in arg.elts) else None  # type: ignore[attr-defined]
                if names_ is None:
                    return None
                m = self._raw_matches.setdefault(id(spec), Match(spec, call, [arg]))
                apps.append(App(stmt.targets[0].id, m, names_, isinstance(arg, ast.List)))  # type: ignore[attr-defined]
                continue
            if e is None:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
                    out = stmt.targets[0].id  # type: ignore[attr-defined]
                    if out == stmt.value.id:
                        apps.append(App(out, Match(LayerSpec("Identity"), stmt.value, [stmt.value]), [out]))
                    else:
                        apps.append(App(out, None, [stmt.value.id]))
                    continue
                return None
            if e.kind == "replace":
                m, out = e.match, e.target  # type: ignore[assignment]
            else:
                piece = e.piece
                if piece is None or piece.match is None or piece.children or any(p.match or p.children for p in piece.inputs):
                    return None
                m, out = piece.match, stmt.targets[0].id  # type: ignore[attr-defined]
            assert m is not None
            names = []
            for x in m.inputs:
                if not isinstance(x, ast.Name):
                    return None
                names.append(x.id)
            apps.append(App(out, m, names, m.list_input))
        if not outputs:
            return None
        return inputs, apps, outputs, outputs_list

    # ------------------------------------------------------------------ input shapes

    def _choose_inputs(self, inputs: list[str], apps: list[App], facts: list[Fact], propagate: Any, target: str | None) -> tuple[list[Shape | None] | None, str] | None:
        cands = candidates(self.kind, inputs, apps, facts, propagate, self.env.rules)
        if not cands:
            return None
        codes = [(c, self._code(c, apps, inputs, target)) for c in cands[:4]]
        if len(codes) == 1 or (len(codes) == 2 and codes[1][0] is None):
            return codes[0]  # one real choice: nothing for the check to decide
        for c, code in codes:
            if self._reproduces(code, target):
                return c, code
        return codes[0]

    # ------------------------------------------------------------------ code

    def _names(self, apps: list[App]) -> dict[int, str | None]:
        """name= for the layers whose variables to-tf would otherwise name differently."""
        namer = _ToTfNamer()
        out: dict[int, str | None] = {}
        done: set[int] = set()
        for a in apps:
            m = a.match
            if m is None or id(m) in done:
                continue
            done.add(id(m))
            prefixes = {v.prefix for v in m.spec.weights.values()} or {m.hints.get("prefix")}
            want = prefixes.pop() if len(prefixes) == 1 else None
            base = _snake(m.spec.cls)
            if want is None or want == namer.peek(base):
                namer(base)
                out[id(m)] = None
            else:
                namer(want)
                out[id(m)] = want
        return out


    def _comments(self) -> list[str]:
        st = self.st
        call_init = next((s for s in self.cls.body if isinstance(s, ast.FunctionDef)), None)
        if call_init is None:
            return []
        lines = st.lines[self.cls.body[0].end_lineno : call_init.lineno - 1]
        found = [ln.strip() for ln in lines if ln.strip().startswith("#")]
        if found and found[0] == _COMMENT_HEAD:
            return found[1:]
        return []

    def _code(self, shapes: list[Shape | None] | None, apps: list[App], inputs: list[str], target: str | None) -> str:
        env = self.env
        k, lp = env.keras, env.layers
        names = self._names(apps)
        comments = self._comments()
        refine_arguments(apps, propagator(apps, inputs, env.rules), shapes, env.rules)  # EinsumDense sizes this input shows

        def input_src(shape: Any, dtype: str | None) -> str:
            keyword = "shape"
            if isinstance(shape, tuple) and len(shape) == 2 and shape[0] == "src":
                dims = shape[1]
            else:
                if shape[0] is not None:  # a fixed batch size
                    keyword, shape = "batch_shape", (None, *shape)
                dims = ", ".join("None" if d is None else str(d) for d in shape[1:])
                dims = f"({dims},)" if len(shape) == 2 else f"({dims})"
            dt = f", dtype={dtype!r}" if dtype else ""
            return f"{k}.Input({keyword}={dims}{dt})"

        dtypes = self._dtypes(apps, inputs)
        if self.signature_dtypes is not None and len(self.signature_dtypes) == len(inputs):
            dtypes = {n: d for n, d in zip(inputs, self.signature_dtypes) if d != "float32"}
        if self.kind == "sequential":
            items = []
            if shapes and shapes[0] is not None:
                items.append(input_src(shapes[0], dtypes.get(inputs[0])))
            for a in apps:
                assert a.match is not None
                items.append(a.match.spec.render(env.rules, lp, names.get(id(a.match))))
            body = "".join(f"        {c}\n" for c in comments) + "".join(f"        {it},\n" for it in items)
            return f"{target or 'model'} = {k}.Sequential(\n    [\n{body}    ]\n)\n"
        lines = []
        assert shapes is not None
        for n, s in zip(inputs, shapes):
            lines.append(f"{n} = {input_src(s, dtypes.get(n))}")
        objects: dict[int, str] = {}
        counts: dict[int, int] = {}
        for a in apps:
            if a.match is not None:
                counts[id(a.match)] = counts.get(id(a.match), 0) + 1
        for a in apps:
            m = a.match
            if m is None:
                lines.append(f"{a.out} = {a.inputs[0]}")
                continue
            arg = "[" + ", ".join(a.inputs) + "]" if a.list_input else a.inputs[0]
            if counts[id(m)] > 1:
                if id(m) not in objects:
                    obj = names.get(id(m)) or _snake(m.spec.cls)
                    if keyword.iskeyword(obj) or obj in inputs or any(obj == b.out for b in apps):
                        obj += "_layer"
                    objects[id(m)] = obj
                    lines.append(f"{obj} = {m.spec.render(env.rules, lp, names.get(id(m)))}")
                lines.append(f"{a.out} = {objects[id(m)]}({arg})")
            else:
                lines.append(f"{a.out} = {m.spec.render(env.rules, lp, names.get(id(m)))}({arg})")
        for i, c in enumerate(comments):
            if i + len(inputs) < len(lines):
                lines[i + len(inputs)] += f"  {c}"
        ins = "[" + ", ".join(inputs) + "]" if self.inputs_list else inputs[0]
        outs = "[" + ", ".join(self._outputs) + "]" if self._outputs_list else self._outputs[0]
        model = f"{k}.Model({ins}, {outs})"
        lines.append(f"{target} = {model}" if target else f"return {model}")
        return "".join(ln + "\n" for ln in lines)

    def _dtypes(self, apps: list[App], inputs: list[str]) -> dict[str, str]:
        out = {}
        for a in apps:
            if a.match is not None and input_dtype(a.match.spec.cls, self.env.rules) == "int32":
                for n in a.inputs:
                    if n in inputs:
                        out[n] = "int32"
        return out

    def _reproduces(self, code: str, target: str | None) -> bool:
        """Translating ``code`` back with xlate to-tf gives this class again."""
        head = "import keras\nfrom keras import layers\n\n"
        unit = code if target is not None else code.replace("return ", "model = ", 1)
        try:
            out, _ = to_tf(head + unit, "<to-keras check>")
        except Exception:  # the check is best effort: any failure means "not reproduced"
            return False
        tree = ast.parse(out)
        cls = next((s for s in tree.body if isinstance(s, ast.ClassDef)), None)
        if cls is None:
            return False
        got = ast.get_source_segment(out, cls) or ""
        a, b = self.st.line_span(self.cls)
        want = textwrap.dedent(self.st.text[a:b])
        got = got.replace(f"class {cls.name}(", f"class {self.cls.name}(", 1)
        return got.strip() == want.strip()

