"""The new ``__init__`` of a translated module: each layer created where its first variable
was, stateless layers after the layer that precedes them (in order of first use), the
variables' lines gone, and the arguments xlate to-tf stored (``self.dense_units = hidden``)
folded back into the constructors.

:class:`InitWriter` is mixed into :class:`.module.ModuleTranslator`.
"""

from __future__ import annotations

import ast
import re

from kerastf_xlate.edit.records import SpanEdit
from kerastf_xlate.layerkit.recognise import Match, Var
from kerastf_xlate.syntax import SourceText, self_attr
from kerastf_xlate.tokeras.common import FileEnv, build_call, free_names
from kerastf_xlate.tokeras.module_build import build_shape
from kerastf_xlate.tokeras.shapes import rank_hint


class InitWriter:
    cls: ast.ClassDef
    env: FileEnv
    st: SourceText
    init: ast.FunctionDef | None
    graph: bool
    vars: dict[str, Var]
    by_name: dict[str, ast.FunctionDef]
    in_build: set[frozenset[str]]  # layers created in a Keras build instead (module_build)
    float64: bool  # every variable is tf.float64 (module.ModuleTranslator)

    def _init_edits(self, groups: dict[frozenset[str], list[Match]], group_attr: dict[frozenset[str], str], natural: list[Match],
                    attributed: dict[str, tuple[Match, str]], method_layer: dict[str, Match]) -> tuple[list[SpanEdit], list[tuple[int, int]]]:
        st, env = self.st, self.env
        assert self.init is not None
        init = self.init
        out: list[SpanEdit] = []
        spans: list[tuple[int, int]] = []
        indent = st.indent_of(init.body[0]) if init.body else " " * (init.col_offset + 4)
        position = {id(s): i for i, s in enumerate(init.body)}
        stores = self._stored_args(attributed, method_layer)
        deleted: set[int] = set()
        anchors: dict[int, ast.stmt] = {}  # id(first match of a group) -> anchor statement
        for key, ms in groups.items():
            vs = [self.vars[a] for a in key]
            stmts = sorted({id(v.stmt): v.stmt for v in vs}.values(), key=lambda s: position.get(id(s), 1 << 30))
            anchor = stmts[0]
            anchors[id(ms[0])] = anchor
            for s in stmts:
                deleted.add(id(s))
        for s in stores.values():  # type: ignore[assignment]
            deleted.add(id(s[1]))  # type: ignore[index]
        if self.graph:  # to-tf's `self.build([...])`: a Keras subclass is built on its first call
            deleted |= {id(s) for s in init.body if build_call(s) is not None}
        created: dict[int, list[str]] = {}  # anchor id -> creation lines (after deletions)
        rendered: set[str] = set()

        def creation(m: Match) -> str:
            args = {k: self._fold_stored(v, stores) for k, v in m.spec.args.items()}
            if self.float64:  # every layer computes in the variables' dtype (a float32 one would cast to it)
                args["dtype"] = "'float64'"
            spec = type(m.spec)(m.spec.cls, args, m.spec.weights)
            return f"self.{m.attr} = {spec.render(env.rules, env.layers)}"

        for key, ms in groups.items():
            m = ms[0]
            if key in self.in_build:
                rendered.add(m.attr)  # type: ignore[arg-type]
                continue
            created.setdefault(id(anchors[id(m)]), []).append(creation(m))
            if self.cls.name in env.built:  # sized as the variables were: the weights exist from here
                shape = build_shape(m, env.rules, rank=rank_hint(m, env.rules))
                if shape is None:
                    shape = m.hints.get("build_shape")  # a layer whose build reads no input shape (layers/core.py)
                if shape is not None:
                    created[id(anchors[id(m)])].append(f"self.{m.attr}.build({shape})")
            rendered.add(m.attr)  # type: ignore[arg-type]
        # stateless layers: after the layer that precedes them, in order of first use
        tail: list[str] = []
        last_anchor: ast.stmt | None = None
        before_first: list[str] = []
        for m in natural:
            if m.spec.weights:
                key = frozenset(v.attr for v in m.spec.weights.values())
                last_anchor = anchors.get(id(groups[key][0]))
                continue
            if m.attr in rendered:
                continue
            rendered.add(m.attr)  # type: ignore[arg-type]
            line = creation(m)
            _, attrs = free_names(", ".join(self._fold_stored(v, stores) for v in m.spec.args.values()))
            if attrs:
                tail.append(line)
            elif last_anchor is not None:
                created.setdefault(id(last_anchor), []).append(line)
            else:
                before_first.append(line)
        if before_first:
            firsts = sorted((anchors[id(ms[0])] for ms in groups.values()), key=lambda s: position.get(id(s), 1 << 30))
            if firsts:
                created[id(firsts[0])] = before_first + created.get(id(firsts[0]), [])
            else:
                tail = before_first + tail
        # a layer whose arguments read attributes set later in __init__ (``self.ready = False``
        # before ``self.units = units``) is created after the last of them
        by_id = {id(s): s for s in init.body}
        later: dict[int, list[str]] = {}
        for sid in list(created):
            if sid not in position:  # created in a Keras ``build``: at the end of __init__
                tail += created.pop(sid)
                continue
            here = position[sid]
            keep: list[str] = []
            dest = keep
            for ln in created[sid]:
                if " = " not in ln:  # a layer's `.build(...)`: with the layer
                    dest.append(ln)
                    continue
                _, attrs = free_names(ln.split(" = ", 1)[1])
                setters = [s for s in init.body[here + 1:] if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                           and any(self_attr(t) in attrs for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]
                dest = later.setdefault(id(setters[-1]), []) if setters else keep
                dest.append(ln)
            created[sid] = keep
        after: dict[int, list[str]] = {}
        for sid, lns in later.items():
            if sid in deleted or sid in created:
                created.setdefault(sid, []).extend(lns)
            else:
                after[sid] = lns
        for sid, lns in after.items():
            _, e = st.line_span(by_id[sid])
            out.append(SpanEdit(e, e, "".join(f"{indent}{ln}\n" for ln in lns)))
        # write: every deleted statement goes; anchors get the creation lines
        for sid in deleted | set(created):
            stmt = by_id.get(sid)
            if stmt is None:
                continue
            lines = created.get(sid)
            s, e = st.line_span(stmt)  # type: ignore[assignment]
            spans.append((s, e))  # type: ignore[arg-type]
            text = "".join(f"{indent}{ln}\n" for ln in lines) if lines else ""
            out.append(SpanEdit(s, e, text))  # type: ignore[arg-type]
        if tail:
            last = init.body[-1]
            _, e = st.line_span(last)
            out.append(SpanEdit(e, e, "".join(f"{indent}{ln}\n" for ln in tail)))
        if init.body and all(id(s) in deleted and id(s) not in created for s in init.body) and not tail:
            out.append(SpanEdit(st.line_span(init.body[0])[0], st.line_span(init.body[0])[0], f"{indent}pass\n"))
        return out, spans

    def _stored_args(self, attributed: dict[str, tuple[Match, str]], method_layer: dict[str, Match]) -> dict[str, tuple[str, ast.stmt]]:
        """``self.dense_units = hidden`` statements to-tf wrote for a layer method: attribute ->
        (source of the value, statement), when nothing else reads the attribute."""
        assert self.init is not None
        out: dict[str, tuple[str, ast.stmt]] = {}
        if not method_layer:
            return out
        removed = {id(n) for name in method_layer for n in ast.walk(self.by_name[name])}
        var_nodes = {id(n) for a in attributed for n in ast.walk(self.vars[a].stmt)}
        var_nodes |= {id(n) for a in attributed if self.vars[a].lazy is not None for n in ast.walk(self.vars[a].lazy)}  # type: ignore[arg-type]
        for stmt in self.init.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                continue
            attr = self_attr(stmt.targets[0])
            if attr is None or not any(attr.startswith(name + "_") for name in method_layer):
                continue
            reads = [n for n in ast.walk(self.cls) if self_attr(n) == attr and isinstance(getattr(n, "ctx", None), ast.Load)
                     and id(n) not in removed and id(n) not in var_nodes]
            if not reads:
                out[attr] = (self.st.seg(stmt.value), stmt)
        return out

    @staticmethod
    def _fold_stored(src: str, stores: dict[str, tuple[str, ast.stmt]]) -> str:
        m = re.fullmatch(r"self\.(\w+)", src.strip())
        if m and m.group(1) in stores:
            return stores[m.group(1)][0]
        return src
