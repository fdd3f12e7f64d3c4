"""Layer arguments that only the input's static shape tells, settled once that shape is known.

``xlate to-tf`` folds the input's static sizes into the code of a few layers: CenterCrop's
window ``tf.cast(x, tf.float32)[:, 1:5, 1:5, :]`` is centred in a 6x6 image only,
UpSampling2D's ``tf.image.resize(x, [6, 12], method='bilinear', ...)`` is ``size=(2, 3)``
of a 3x4 image only, ``tf.one_hot(...)`` without a squeeze is CategoryEncoding only when the
last axis is not 1. The code alone does not say which layer it was; the model's input shape
(``input_signature``, :meth:`.graph.GraphTranslator._signature`) propagated through the
recovered layers does.

A match that needs the shape is marked by :func:`needs_shape`: ``hints[FROM_SHAPE]`` is a
function from its input's shape (batch axis first) to the arguments it adds, or None when
that shape does not give this code. Until :func:`settle` has run, the spec holds the argument
:data:`PENDING_ARG` with a value that is not Python: a module translated without shapes
treats it as an argument ``__init__`` cannot create (its deny loop keeps the op as it is),
so the layer is written only where the shape was checked. :func:`graph_only` marks a layer
the same way for another reason: Keras 3 builds the layers of a subclassed model inside a
scratch graph on its first call, and Normalization's statistics (tensors, not variables)
built there cannot be used afterwards, so only a Sequential / functional model can hold it.
"""

from __future__ import annotations

from typing import Any, Callable

from kerastf_xlate.tokeras.graph_inputs import App, propagator
from kerastf_xlate.layerkit.recognise import Match
from kerastf_xlate.tokeras.shapes import Shape, Unbuildable

FROM_SHAPE = "from_shape"
PENDING_ARG = "_from_input_shape"
PENDING = "<known from the input shape only>"

Resolver = Callable[[Shape], "dict[str, str] | None"]


def needs_shape(m: Match, resolve: Resolver) -> Match:
    """Mark ``m`` as complete only once ``resolve(input shape)`` has given its arguments."""
    m.hints[FROM_SHAPE] = resolve
    m.spec.args[PENDING_ARG] = PENDING
    return m


def graph_only(m: Match) -> Match:
    """Mark ``m`` as a layer that only the Sequential / functional model :mod:`.graph` writes
    may hold: :func:`settle` unmarks it without a shape; a subclass never gets it."""
    m.hints[FROM_SHAPE] = None
    m.spec.args[PENDING_ARG] = PENDING
    return m


def pending(m: Match | None) -> bool:
    return m is not None and FROM_SHAPE in m.hints


def settle(apps: list[App], inputs: list[str], declared: Any) -> bool:
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
            shape = propagator(apps[:k] + [probe], inputs)(list(declared))[-1]
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


def out_shape_extra(cls: str, args: dict[str, str], x: Shape) -> Shape | None:
    """:func:`.shapes.out_shape` of GroupNormalization, Normalization, Resizing, CenterCrop and
    CategoryEncoding (``x``: the input's shape, batch axis first)."""
    from kerastf_xlate.tokeras.shapes import _val

    rank = len(x)
    if cls == "Normalization":
        return x
    if cls == "GroupNormalization":
        axis, groups = _val(args.get("axis"), -1), _val(args.get("groups"), 32)
        if not (isinstance(axis, int) and -rank <= axis < rank and axis % rank) or not isinstance(x[axis], int):
            raise Unbuildable(cls)  # Keras needs a static size on the grouped axis
        if not isinstance(groups, int) or (groups != -1 and (groups <= 0 or x[axis] % groups)):
            raise Unbuildable(cls)
        return x
    if cls in ("Resizing", "CenterCrop"):
        h, w = _val(args.get("height")), _val(args.get("width"))
        if rank == 3:
            return None  # Keras takes it for one image without a batch axis
        if rank != 4:
            raise Unbuildable(cls)
        return (x[0], h if isinstance(h, int) else None, w if isinstance(w, int) else None, x[3])
    if cls == "CategoryEncoding":
        n, mode = _val(args.get("num_tokens")), _val(args.get("output_mode"), "multi_hot")
        n = n if isinstance(n, int) else None
        if mode == "one_hot":
            return (x[:-1] if rank > 1 and x[-1] == 1 else x) + (n,)
        return x[:-1] + (n,) if rank <= 2 else None  # rank > 2: Keras's declared shape is not what it computes
    return None
