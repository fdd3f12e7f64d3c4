"""Shape arithmetic shared by every layer family, in both directions.

A shape is a tuple with the batch axis first. In to-tf a dimension is an ``int`` when known
statically, a :class:`~kerastf_xlate.layerkit.emit.Dim` (source code) or None; in to-keras an
``int`` or None (unknown), and :class:`Unbuildable` says Keras could not build a layer on the
input shape tried. :class:`Fact` is what to-tf's code shows about a layer's input, and
:func:`recover` finds the input shapes whose propagation reproduces the facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.static import is_int

Shape = tuple[Any, ...]  # (batch, d1, ..., dn); None for an unknown rank


class Unbuildable(Exception):
    """Keras could not build this layer on the given input shape."""


def conv_out(n: Any, k: int, s: int, d: int, padding: str, clamp: bool = False) -> Any:
    """Spatial size after a convolution / pooling window (None when ``n`` is not an int);
    with ``clamp``, a window larger than the input gives 0 (as Keras's shape inference)."""
    if not is_int(n):
        return None
    if padding.lower() == "same":
        return -(-n // s)
    effective = (k - 1) * d + 1
    out = -(-(n - effective + 1) // s)
    return max(out, 0) if clamp else out


def transpose_out(n: int, k: int, s: int, d: int, padding: str) -> int:
    """Conv*DTranspose (output_padding=None): ``n * s`` ('same'), ``(n - 1) * s + max(k_eff, s)``."""
    if padding.lower() == "same":
        return n * s
    return (n - 1) * s + max((k - 1) * d + 1, s)


def padding_value(ctx_value: str) -> str:
    return "SAME" if ctx_value.lower() == "same" else "VALID"


def rank_of(layer: str) -> int:
    """Spatial rank from the layer name: Conv2D -> 2, MaxPooling1D -> 1."""
    for r in (1, 2, 3):
        if f"{r}D" in layer:
            return r
    raise ValueError(layer)


def as_tuple(v: Any, n: int) -> tuple[int, ...] | None:
    """An int or an n-sequence of ints as an n-tuple; None for anything else."""
    if is_int(v):
        return (v,) * n
    if isinstance(v, (tuple, list)) and len(v) == n and all(isinstance(i, int) for i in v):
        return tuple(v)
    return None


@dataclass
class Fact:
    """Something the to-tf code shows about the input of one layer application."""

    app: int  # index of the application
    kind: str  # dim (a static size: input axis ``axis`` == value) | lazy (unknown) | rank | not_rank2 | unknown_rank
    axis: int = -1
    value: Any = None


def consistent(shapes: list[Shape | None], facts: list[Fact]) -> bool:
    for f in facts:
        s = shapes[f.app]
        if f.kind == "dim":
            if s is None or not (-len(s) <= f.axis < len(s)) or s[f.axis] != f.value:
                return False
        elif f.kind == "lazy":
            if s is not None and -len(s) <= f.axis < len(s) and s[f.axis] is not None:
                return False
        elif f.kind == "rank":
            if s is None or len(s) != f.value:
                return False
        elif f.kind == "unknown_rank":
            if s is not None:
                return False
        elif f.kind == "not_rank2":
            if s is not None and len(s) == 2:
                return False
    return True


def recover(candidates: list[list[Shape | None]], propagate: Callable[[list[Shape | None]], list[Shape | None]],
            facts: list[Fact]) -> list[Shape | None] | None:
    """The first candidate (inputs' shapes) whose propagation is buildable and consistent."""
    for cand in candidates:
        try:
            shapes = propagate(cand)
        except Unbuildable:
            continue
        if consistent(shapes, facts):
            return cand
    return None


def candidate_shapes(rank_hint: int | None, channels: list[int | None], spatial_sizes: list[int | None]) -> list[Shape | None]:
    """Input shapes to try for one input, most specific knowledge first, ``None`` dims where
    nothing is known."""
    ranks = [rank_hint] if rank_hint else [2, 3, 4, 5]
    out: list[Shape | None] = []
    for r in ranks:
        for c in channels:
            for s in spatial_sizes:
                out.append((None,) + (s,) * (r - 2) + (c,) if r >= 2 else (None,))
    return out


def first_input(ins: list[Shape | None]) -> Shape | None:
    return ins[0] if ins else None


def same_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """A layer whose output has its input's shape."""
    return first_input(ins)


def same_shape_on_channels(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """A layer whose output has its input's shape and whose weights need the last axis's size."""
    x = first_input(ins)
    if x is not None and x[-1] is None:
        raise Unbuildable(cls)
    return x


def spatial_input(cls: str, ins: list[Shape | None]) -> tuple[Shape, int] | None:
    """The input shape of a layer with ``rank_of(cls)`` spatial axes, and that rank; None when
    the shape is unknown, :class:`Unbuildable` when its rank is not the layer's."""
    x = first_input(ins)
    if x is None:
        return None
    k = rank_of(cls)
    if len(x) != k + 2:
        raise Unbuildable(cls)
    return x, k
