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

import ast
import itertools
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.layerkit.recognise import Match
from kerastf_xlate.tokeras.shapes import Fact, Shape, Unbuildable, candidate_shapes, consistent, out_shape
from kerastf_xlate.tokeras.weighted_extra import extra_facts


@dataclass
class App:
    out: str
    match: Match | None  # None: an alias ``skip = x``
    inputs: list[str]
    list_input: bool = False


def facts_of(apps: list[App]) -> list[Fact]:
    """What to-tf's code shows about each application's input (Fact per weight dimension,
    the rank where an op shows it)."""
    facts: list[Fact] = []
    for i, a in enumerate(apps):
        m = a.match
        if m is None:
            continue
        w = m.spec.weights
        cls = m.spec.cls

        def dim_fact(var_role: str, idx: int, axis: int = -1) -> None:
            v = w.get(var_role)
            if v is None or v.shape is None or not (-len(v.shape) <= idx < len(v.shape)):
                return
            d = v.shape[idx]
            if v.lazy is not None or d.from_input:
                facts.append(Fact(i, "lazy", axis))
            elif d.value is not None:
                facts.append(Fact(i, "dim", axis, d.value))

        if cls == "Dense":
            dim_fact("kernel", 0)
            facts.append(Fact(i, "rank", value=2) if m.hints.get("op") == "matmul" else Fact(i, "not_rank2"))
        elif cls in ("Conv1D", "Conv2D", "Conv3D"):
            dim_fact("kernel", -2)
        elif cls in ("DepthwiseConv2D", "SeparableConv2D"):
            dim_fact("kernel" if cls == "DepthwiseConv2D" else "depthwise_kernel", 2)
        elif cls in ("DepthwiseConv1D", "SeparableConv1D"):
            dim_fact("kernel" if cls == "DepthwiseConv1D" else "depthwise_kernel", 1)
        elif cls == "EinsumDense" or cls.endswith("DTranspose"):
            facts += extra_facts(i, m)
        elif cls == "LayerNormalization" and "axis" in m.spec.args:
            role = "gamma" if "gamma" in w else "beta"
            axes = ast.literal_eval(m.spec.args["axis"])
            for k, ax in enumerate(axes if isinstance(axes, list) else [axes]):
                dim_fact(role, k, ax)
            if m.hints.get("rank"):
                facts.append(Fact(i, "rank", value=m.hints["rank"]))
        elif cls == "GroupNormalization":  # the channels on its axis; the rank its reshape shows
            if w:
                dim_fact("gamma" if "gamma" in w else "beta", 0, ast.literal_eval(m.spec.args.get("axis", "-1")))
            if m.hints.get("rank"):
                facts.append(Fact(i, "rank", value=m.hints["rank"]))
            facts += [Fact(i, "dim" if v is not None else "lazy", k, v) for k, v in m.hints.get("dims", {}).items()]
        elif cls in ("BatchNormalization", "LayerNormalization"):
            role = "gamma" if "gamma" in w else ("beta" if "beta" in w else "moving_mean")
            dim_fact(role, 0)
            if cls == "BatchNormalization" and "rank" in m.hints:
                r = m.hints["rank"]
                facts.append(Fact(i, "rank", value=r) if r else Fact(i, "unknown_rank"))
        elif cls == "RMSNormalization" and "axis" not in m.spec.args:
            dim_fact("scale", 0)
        elif cls == "PReLU":
            v = w["alpha"]
            for k in range(len(v.shape or ())):
                dim_fact("alpha", k, k + 1)
    return facts

def propagator(apps: list[App], inputs: list[str]) -> Any:
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
            if a.list_input is False and len(a.inputs) == 1 and spec.cls in ("Concatenate", "Add"):
                shapes[a.out] = None
                continue
            shapes[a.out] = out_shape(spec.cls, spec.args, ins)
        return seen
    return propagate


def candidates(kind: str, inputs: list[str], apps: list[App], facts: list[Fact], propagate: Any) -> list[list[Shape | None] | None]:
    """Input shapes (one list per choice; None: no keras.Input) that reproduce the facts,
    best first; empty when none can be written."""
    first = next((a for a in apps if a.match is not None and a.inputs and a.inputs[0] in inputs), None)
    hint = None
    if first is not None and first.match is not None:
        cls = first.match.spec.cls
        for r in (1, 2, 3):
            if cls.endswith(f"{r}D") or cls.endswith(f"{r}DTranspose"):
                hint = r + 2
        if cls == "Dense" and first.match.hints.get("op") == "matmul":
            hint = 2
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
