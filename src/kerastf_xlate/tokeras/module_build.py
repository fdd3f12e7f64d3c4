"""Layers a raised Keras class creates in its ``build``: their arguments come from the input's
shape (issue #17).

A Keras layer whose ``build`` creates weights sized by its input (the keras-io
``Antirectifier``: ``width = input_shape[-1]``, a kernel ``(width * 2, width)`` mixing two
halves back to the input's width) holds a Dense whose ``units`` is the input's width: a
number ``__init__`` does not know. Keras's own answer is to create such a sub-layer in
``build``, which runs once, with the input's shape, before the first ``call``; Keras 3 tracks
a layer assigned there like one assigned in ``__init__``, and builds it on its first call
inside ``call``. So the layer is created where the first of its variables was, in ``build``,
from the same expressions the variable's shape used (``input_shape[-1]``); the variables'
statements go, the locals nothing reads any more go with them, and what else ``build`` did
(``super().build(input_shape)``, ``self.built = True``) stays.

The layer is built there too, with the input shape its variables had: ``self.dense.build((None,
width * 2))``. A Keras layer infers its input's size on its first call, where the original's
variable had a size of its own that ``tf.matmul`` checked (the keras-io debugging guide's
layer that concatenates along the wrong axis fails there; a Dense built on the first call
would not). Built explicitly, the layer's kernel has the original's shape and its input spec
rejects the input the original rejected; its weights exist after ``build``, as the
original's did. The shape comes from what the layer's family says its weights show about
its input (``facts``: the kernel's rows are the input's last axis, the rank is 2 for a
``tf.matmul``): a layer whose family does not tell the rank is not created in ``build``.

Only for ``add_weight`` weights: Keras 3 does not track a ``tf.Variable`` attribute of a
layer (the original's ``trainable_variables`` is empty, so ``fit`` or a loop over them trains
nothing), and a raised layer would be trained: a change of behaviour. And only when every
argument of the layer reads nothing but ``build``'s input-shape parameter,
names of the module, builtins and attributes ``__init__`` sets, ``build`` and ``__init__``
name ``self`` alike, and every statement of ``build`` is on lines of its own. Not in a class
whose ``__init__`` only calls ``super().__init__`` and creates layers: that is the
``__init__`` to-keras writes for a Keras class without one (for its stateless ops, which the
module path, needing an ``__init__``, leaves to :mod:`.keras_code`); raising the weights on
a second run would make the translation change on every run until it settles.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable

from kerastf_xlate.edit.records import SpanEdit
from kerastf_xlate.layerkit.recognise import Match, VarDim
from kerastf_xlate.rules import RuleSet
from kerastf_xlate.syntax import SourceText, self_attr
from kerastf_xlate.tokeras.common import free_names
from kerastf_xlate.tokeras.shapes import input_facts


def readable_in_build(build: ast.FunctionDef, srcs: Iterable[str], st: SourceText, allowed: set[str],
                      init_attrs: set[str]) -> bool:
    """Every source in ``srcs`` can run at the start of ``build`` (see the module docstring);
    ``allowed``: the module's names and the builtins."""
    params = [a.arg for a in build.args.args]
    if len(params) != 2 or params[0] != "self" or not all(st.owns_lines(s) for s in build.body):
        return False
    for src in srcs:
        names, attrs = free_names(src)
        if not names <= allowed | {params[1]} or not attrs <= init_attrs:
            return False
    return True


_PROBE = 1_000_003  # sizes no code writes: a probe's dims, told apart by their value


def build_shape(m: Match, rules: RuleSet, rank: int | None = None) -> str | None:
    """The source of the input shape the layer of ``m`` is built with in ``build`` (see the
    module docstring), or None when its family does not tell it whole. ``rank``: the input's
    rank where the family does not say it (``Conv2D``'s 4, from its class: the caller knows the
    layer is applied as such)."""
    srcs: dict[int, str] = {}
    weights = {}
    for role, v in m.spec.weights.items():
        if v.shape is None:
            return None
        dims = []
        for d in v.shape:
            srcs[_PROBE + len(srcs)] = d.src
            dims.append(VarDim(_PROBE + len(srcs) - 1, d.src))
        weights[role] = dataclasses.replace(v, shape=tuple(dims), lazy=None)
    probe = dataclasses.replace(m, spec=dataclasses.replace(m.spec, weights=weights), hints=dict(m.hints))
    given, rank = rank, None
    axes: dict[int, str] = {}
    for f in input_facts(0, probe, rules):
        if f.kind == "rank" and isinstance(f.value, int):
            rank = f.value
        elif f.kind == "dim" and f.value in srcs:
            axes[f.axis] = srcs[f.value]
        else:
            return None
    rank = rank if rank is not None else given
    if rank is None or not axes or any(not -rank <= a < rank for a in axes):
        return None
    shape = ["None"] * rank
    for a, src in axes.items():
        shape[a] = src
    return f"({', '.join(shape)}{',' if rank == 1 else ''})"


def layers_only_init(init: ast.FunctionDef) -> bool:
    """``__init__`` is ``super().__init__(...)`` and ``self.x = <...>.Layer(...)`` lines only."""
    for s in init.body:
        if (isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                and s.value.func.attr == "__init__" and isinstance(s.value.func.value, ast.Call)
                and isinstance(s.value.func.value.func, ast.Name) and s.value.func.value.func.id == "super"):
            continue
        if (isinstance(s, ast.Assign) and len(s.targets) == 1 and self_attr(s.targets[0]) is not None
                and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                and s.value.func.attr[:1].isupper()):
            continue
        return False
    return True


def named_sizes(build: ast.FunctionDef, st: SourceText) -> dict[str, str]:
    """The locals ``build`` binds once, before its first ``self.`` assignment, by their
    value's source (``"input_shape[-1]"`` -> ``"width"``): an argument that is that value
    reads the local, as the user wrote it."""
    out: dict[str, str] = {}
    bound: dict[str, int] = {}
    for n in ast.walk(build):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound[n.id] = bound.get(n.id, 0) + 1
    for s in build.body:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and self_attr(s.targets[0]) is not None:
            break
        if (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and bound.get(s.targets[0].id) == 1):
            out.setdefault(st.seg(s.value).replace(" ", ""), s.targets[0].id)
    return out


def build_edits(build: ast.FunctionDef, st: SourceText, var_attrs: set[str],
                created: dict[str, list[str]]) -> tuple[list[SpanEdit], list[tuple[int, int]]]:
    """``build`` rewritten: each statement creating a variable of ``var_attrs`` goes, the one
    creating ``attr`` (a key of ``created``: the first variable of a layer made here) becomes
    that layer's creation lines, and locals no remaining statement reads go. The edits and
    the spans they cover."""
    def var_stmt(s: ast.stmt) -> str | None:
        if isinstance(s, ast.Assign) and len(s.targets) == 1:
            a = self_attr(s.targets[0])
            if a in var_attrs:
                return a
        return None

    gone = {id(s) for s in build.body if var_stmt(s) is not None}
    new_text = [ln.split(" = ", 1)[-1] for lines in created.values() for ln in lines]
    while True:  # a local goes when nothing left reads it (`width = input_shape[-1]` read by shapes only)
        read: set[str] = set()
        for s in build.body:
            if id(s) not in gone:
                read |= {n.id for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        for src in new_text:
            read |= free_names(src)[0]
        dead = {id(s) for s in build.body if id(s) not in gone and isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id not in read}
        if not dead:
            break
        gone |= dead
    out: list[SpanEdit] = []
    spans: list[tuple[int, int]] = []
    for s in build.body:
        if id(s) not in gone:
            continue
        start, end = st.line_span(s)
        attr = var_stmt(s)
        lines = created.get(attr, []) if attr is not None else []
        indent = st.indent_of(s)
        out.append(SpanEdit(start, end, "".join(f"{indent}{ln}\n" for ln in lines)))
        spans.append((start, end))
    return out, spans
