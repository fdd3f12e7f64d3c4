"""The ``keras.Input`` of a model recovered from xlate to-tf's code.

Each layer application tells something about its input (:class:`.shapes.Fact`): a kernel's
static input dimension, a lazily created weight (the dimension was unknown to to-tf), the rank
``tf.matmul`` or ``tf.nn.moments`` shows. :func:`candidates` lists the input shapes whose
propagation through the recovered Keras layers (:func:`.shapes.out_shape`) reproduces all of
them: the first layer's own weights first, then unknown (None) sizes, then the smallest square
spatial size a later weight needs. Shapes of different ranks that fit equally well mean the
rank is unknown: no ``keras.Input`` is written then.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.layerkit.recognise import FROM_SHAPE, PENDING_ARG, Match, pending
from kerastf_xlate.layerkit.shapes import (
    Fact,
    Shape,
    Unbuildable,
    candidate_shapes,
    consistent,
)
from kerastf_xlate.layers import family_for
from kerastf_xlate.rules import RuleSet
from kerastf_xlate.tokeras.shapes import input_facts, out_shape, rank_hint


@dataclass
class App:
    out: str
    match: Match | None  # None: an alias ``skip = x``
    inputs: list[str]
    list_input: bool = False


def facts_of(apps: list[App], rules: RuleSet) -> list[Fact]:
    """What to-tf's code shows about each application's input (Fact per weight dimension,
    the rank where an op shows it): each layer family knows its own."""
    facts: list[Fact] = []
    for i, a in enumerate(apps):
        if a.match is not None:
            facts += input_facts(i, a.match, rules)
    return facts


def propagator(apps: list[App], inputs: list[str], rules: RuleSet) -> Any:
    """A function: the inputs' shapes -> each application's first input shape."""
    def propagate(cands: list[Shape | None]) -> list[Shape | None]:
        shapes: dict[str, Shape | None] = dict(zip(inputs, cands))
        seen: list[Shape | None] = []
        for a in apps:
            ins = [shapes.get(n) for n in a.inputs]
            seen.append(ins[0] if ins else None)
            if a.match is None:
                shapes[a.out] = ins[0]
                continue
            spec = a.match.spec
            shapes[a.out] = out_shape(spec.cls, spec.args, ins, rules)
        return seen
    return propagate


def candidates(kind: str, inputs: list[str], apps: list[App], facts: list[Fact], propagate: Any,
               rules: RuleSet) -> list[list[Shape | None] | None]:
    """Input shapes (one list per choice; None: no keras.Input) that reproduce the facts,
    best first; empty when none can be written."""
    first = next((a for a in apps if a.match is not None and a.inputs and a.inputs[0] in inputs), None)
    hint = None
    if first is not None and first.match is not None:
        hint = rank_hint(first.match, rules)
    channels = [None] + sorted({f.value for f in facts if f.kind == "dim" and f.axis == -1})
    plain = candidate_shapes(hint, channels, [None])
    if first is not None and len(inputs) == 1:
        # what the first layer's own weights show about the input, as a shape
        idx = apps.index(first)
        own = {f.axis: f.value for f in facts if f.app == idx and f.kind == "dim"}
        top = max((a for a in own if a > 0), default=0)
        for r in ([hint] if hint else [2, 3, 4, 5]):
            if r - 1 >= top:
                dims = [None] * (r - 1)
                for a, v in own.items():
                    dims[a - 1 if a > 0 else a] = v
                plain.insert(0, (None, *dims))
    consistent_cands: list[list[Shape | None] | None] = []

    def ok(cands: list[Shape | None]) -> bool:
        try:
            return consistent(propagate(cands), facts)
        except Unbuildable:
            return False

    if len(inputs) == 1:
        for c in plain:
            if ok([c]):
                consistent_cands.append([c])
        if not consistent_cands:
            for s in range(1, 513):
                for c in candidate_shapes(hint, channels[1:] or [None], [s]):
                    if ok([c]):
                        consistent_cands.append([c])
                if consistent_cands:
                    break
    else:
        per = [candidate_shapes(None, channels, [None]) for _ in inputs]
        for combo in itertools.islice(itertools.product(*per), 4000):
            if ok(list(combo)):
                consistent_cands.append(list(combo))
                if len(consistent_cands) > 3:
                    break
    if not consistent_cands and kind == "functional":
        # nothing reproduces the code exactly (to-tf did not know the input shape): the
        # least specific input Keras can build the model on
        pool = [plain] if len(inputs) == 1 else []
        for c in (pool[0] if pool else []):
            try:
                propagate([c])
            except Unbuildable:
                continue
            if c is not None and not any(d is not None for d in c[1:-1]):
                consistent_cands.append([c])
                break
    if kind == "sequential":
        consistent_cands.append(None)  # no keras.Input: Keras builds on the first call
    # ambiguous rank: shapes of different ranks reproduce the code equally well
    ranks = {tuple(len(s) if s is not None else None for s in c) for c in consistent_cands if c is not None}
    if len(ranks) > 1:
        consistent_cands = [None] if kind == "sequential" else []
    return consistent_cands


def settle(apps: list[App], inputs: list[str], declared: Any, rules: RuleSet) -> bool:
    """Complete every marked match from the input shapes ``declared`` (one tuple per input,
    batch axis first); False when a shape is unknown or does not give the code found."""
    for a in apps:
        if a.match is not None and pending(a.match) and a.match.hints[FROM_SHAPE] is None:
            del a.match.hints[FROM_SHAPE]
            a.match.spec.args.pop(PENDING_ARG, None)
    if not any(pending(a.match) for a in apps):
        return True
    if not (isinstance(declared, list) and len(declared) == len(inputs)
            and all(isinstance(s, tuple) and (not s or s[0] != "src") for s in declared)):
        return False  # no literal input shape: nothing can be checked
    for k, a in enumerate(apps):
        m = a.match
        if m is None or not pending(m) or not a.inputs:
            continue
        probe = App("", None, a.inputs[:1])  # an alias: its "output" is the marked layer's input
        try:
            shape = propagator(apps[:k] + [probe], inputs, rules)(list(declared))[-1]
        except Unbuildable:
            return False
        args = m.hints[FROM_SHAPE](shape) if shape is not None else None
        if args is None:
            return False
        if PENDING_ARG not in m.spec.args and any(m.spec.args.get(n) != v for n, v in args.items()):
            return False  # a layer applied twice: both inputs must give the same arguments
        m.spec.args.pop(PENDING_ARG, None)
        m.spec.args.update(args)
    return True


def refine_arguments(apps: list[App], propagate: Any, shapes: list[Shape | None] | None, rules: RuleSet) -> None:
    """Let each layer whose arguments depend on its input's sizes (EinsumDense's
    ``output_shape``) complete them from the shape the model's ``keras.Input`` gives it."""
    hooks = [(i, a.match, f) for i, a in enumerate(apps) if a.match is not None
             and (f := family_for(a.match.spec.cls, rules)) is not None and f.refine_arguments is not None]
    if not hooks:
        return
    seen: list[Shape | None] = []
    if shapes and all(isinstance(s, tuple) and s and s[0] != "src" for s in shapes):
        try:
            seen = propagate(shapes)
        except Unbuildable:
            seen = []
    for i, m, f in hooks:
        assert f.refine_arguments is not None
        f.refine_arguments(m, seen[i] if i < len(seen) else None)
