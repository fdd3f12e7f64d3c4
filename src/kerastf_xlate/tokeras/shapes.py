"""Static shapes through Keras layers, to give a recovered model back its ``keras.Input``.

``xlate to-tf`` does not write a model's input shape down; it only shows where it mattered:
in the static shapes of the variables (a ``Dense`` kernel of ``[5408, 10]`` after a
``Flatten``), in ``tf.matmul`` (rank 2) versus ``tf.tensordot``, in the axes of
``tf.nn.moments``. :func:`recover` searches the input shapes whose propagation through the
recovered layers reproduces those facts; unknown dimensions stay ``None``, and spatial sizes
are only filled in when a later weight needs them (the smallest square size that fits).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

Shape = tuple  # (None, d1, ..., dn): batch first; None for an unknown rank


def _val(src: str | None, default: Any = None) -> Any:
    if src is None:
        return default
    try:
        return ast.literal_eval(src)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _tup(v: Any, n: int) -> tuple[int, ...] | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * n
    if isinstance(v, (tuple, list)) and len(v) == n and all(isinstance(i, int) for i in v):
        return tuple(v)
    return None


def _conv_out(n: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    if n is None:
        return None
    if padding == "same":
        return -(-n // s)
    eff = (k - 1) * d + 1
    out = -(-(n - eff + 1) // s)
    return out if out > 0 else 0


def _transpose_out(n: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    """Conv*DTranspose (output_padding=None): ``n * s``, plus ``max(k_eff - s, 0)`` for 'valid'."""
    if n is None:
        return None
    return n * s + (0 if padding == "same" else max((k - 1) * d + 1 - s, 0))


def _rank_of(cls: str) -> int:
    for r in (1, 2, 3):
        if f"{r}D" in cls:
            return r
    return 0


class Unbuildable(Exception):
    """Keras could not build this layer on the given input shape."""


_SAME = {"BatchNormalization", "LayerNormalization", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
         "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU", "UnitNormalization", "Identity", "GaussianNoise",
         "GaussianDropout", "Rescaling", "RMSNormalization", "AlphaDropout"}


def out_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """The Keras output shape of a layer (None when it cannot be told statically)."""
    x = ins[0] if ins else None
    if cls in ("Dot", "Attention", "AdditiveAttention"):
        return _two_inputs(cls, args, ins)
    if cls in ("Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        if any(s is None for s in ins):
            return None
        if cls != "Concatenate":
            return ins[0]
        axis = _val(args.get("axis"), -1)
        rank = len(ins[0])  # type: ignore[arg-type]
        if any(len(s) != rank for s in ins):  # type: ignore[arg-type]
            raise Unbuildable(cls)
        a = axis % rank
        sizes = [s[a] for s in ins]  # type: ignore[index]
        total = sum(sizes) if all(isinstance(v, int) for v in sizes) else None
        return tuple(total if i == a else ins[0][i] for i in range(rank))  # type: ignore[index]
    if x is None:
        return None  # nothing known (no keras.Input, or after a layer whose shape is not modelled)
    rank = len(x)
    if cls in _SAME:
        if cls in ("BatchNormalization", "LayerNormalization", "PReLU", "RMSNormalization") and x[-1] is None:
            raise Unbuildable(cls)
        return x
    if cls == "Dense":
        if x[-1] is None or rank < 2:
            raise Unbuildable(cls)
        return x[:-1] + (_val(args.get("units")),)
    if cls in ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D") \
            or cls.endswith("DTranspose"):
        k = _rank_of(cls)
        if rank != k + 2 or x[-1] is None:
            raise Unbuildable(cls)
        ks = _tup(_val(args.get("kernel_size")), k)
        st = _tup(_val(args.get("strides"), 1), k)
        dl = _tup(_val(args.get("dilation_rate"), 1), k)
        pad = _val(args.get("padding"), "valid")
        if ks is None or st is None or dl is None:
            return (None,) * (k + 1) + (None,)
        size = _transpose_out if cls.endswith("DTranspose") else _conv_out
        spatial = tuple(size(x[1 + i], ks[i], st[i], dl[i], pad) for i in range(k))
        if cls.startswith("Depthwise"):
            dm = _val(args.get("depth_multiplier"), 1)
            ch = x[-1] * dm if isinstance(dm, int) else None
        else:
            ch = _val(args.get("filters"))
        return (x[0],) + spatial + (ch if isinstance(ch, int) else None,)
    if "Pooling" in cls and not cls.startswith("Global"):
        k = _rank_of(cls)
        if rank != k + 2:
            raise Unbuildable(cls)
        ps = _tup(_val(args.get("pool_size"), 2), k)
        st = _tup(_val(args.get("strides")) or _val(args.get("pool_size"), 2), k)
        pad = _val(args.get("padding"), "valid")
        if ps is None or st is None:
            return (x[0],) + (None,) * k + (x[-1],)
        return (x[0],) + tuple(_conv_out(x[1 + i], ps[i], st[i], 1, pad) for i in range(k)) + (x[-1],)
    if cls.startswith("Global"):
        k = _rank_of(cls)
        if rank != k + 2:
            raise Unbuildable(cls)
        if _val(args.get("keepdims"), False):
            return (x[0],) + (1,) * k + (x[-1],)
        return (x[0], x[-1])
    if cls == "Flatten":
        total = 1
        for d in x[1:]:
            if d is None:
                return (x[0], None)
            total *= d
        return (x[0], total)
    if cls == "Reshape":
        target = _val(args.get("target_shape"))
        if not isinstance(target, tuple):
            return None
        if -1 in target:
            known = 1
            for d in target:
                if d != -1:
                    known *= d
            total = 1
            for d in x[1:]:
                if d is None:
                    return (x[0],) + tuple(None if d == -1 else d for d in target)
                total *= d
            return (x[0],) + tuple(total // known if d == -1 else d for d in target)
        return (x[0],) + target
    if cls == "EinsumDense":
        from kerastf_xlate.tokeras.weighted_extra import einsum_out_shape  # it imports this module

        return einsum_out_shape(args, x)
    if cls == "Embedding":
        return x + (_val(args.get("output_dim")),)
    if cls.startswith("ZeroPadding") or cls.startswith("Cropping"):
        k = _rank_of(cls)
        if rank != k + 2:
            raise Unbuildable(cls)
        v = _val(args.get("padding" if cls.startswith("Zero") else "cropping"), 1 if cls.startswith("Zero") else 0)
        pairs = _pairs(v, k)
        if pairs is None:
            return None
        sign = 1 if cls.startswith("Zero") else -1
        return (x[0],) + tuple(None if x[1 + i] is None else x[1 + i] + sign * (a + b) for i, (a, b) in enumerate(pairs)) + (x[-1],)
    if cls.startswith("UpSampling"):
        k = _rank_of(cls)
        size = _tup(_val(args.get("size"), 2), k)
        if rank != k + 2 or size is None:
            raise Unbuildable(cls)
        return (x[0],) + tuple(None if x[1 + i] is None else x[1 + i] * size[i] for i in range(k)) + (x[-1],)
    if cls == "Permute":
        dims = _val(args.get("dims"))
        if not isinstance(dims, tuple) or len(dims) != rank - 1:
            raise Unbuildable(cls)
        return (x[0],) + tuple(x[d] for d in dims)
    if cls == "RepeatVector":
        if rank != 2:
            raise Unbuildable(cls)
        return (x[0], _val(args.get("n")), x[1])
    if cls in ("GroupNormalization", "Normalization", "Resizing", "CenterCrop", "CategoryEncoding"):
        from kerastf_xlate.tokeras.shape_args import out_shape_extra  # it imports this module

        return out_shape_extra(cls, args, x)
    return None


def _two_inputs(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """Dot: x without its axis, then y without batch and its axis (Keras's rule); Attention:
    the query's shape with the value's features."""
    if len(ins) < 2 or any(s is None for s in ins):
        return None
    x, y = ins[0], ins[1]
    assert x is not None and y is not None
    if cls != "Dot":
        return x[:-1] + y[-1:]
    axes = _val(args.get("axes"))
    axes = [axes, axes] if isinstance(axes, int) else axes
    if not (isinstance(axes, (tuple, list)) and len(axes) == 2 and all(isinstance(a, int) for a in axes)):
        return None
    a0, a1 = (a % len(s) if a < 0 else a for a, s in zip(axes, (x, y)))
    out = tuple(d for i, d in enumerate(x) if i != a0) + tuple(d for i, d in enumerate(y) if i not in (0, a1))
    return out if len(out) > 1 else out + (1,)


def _pairs(v: Any, k: int) -> list[tuple[int, int]] | None:
    if isinstance(v, int):
        return [(v, v)] * k
    if isinstance(v, tuple) and len(v) == 2 and k == 1 and all(isinstance(i, int) for i in v):
        return [tuple(v)]  # type: ignore[list-item]
    if isinstance(v, tuple) and len(v) == k:
        out = []
        for item in v:
            if isinstance(item, int):
                out.append((item, item))
            elif isinstance(item, tuple) and len(item) == 2:
                out.append(tuple(item))
            else:
                return None
        return out  # type: ignore[return-value]
    return None


@dataclass
class Fact:
    """Something the to-tf code shows about the input of one layer application."""

    app: int  # index of the application
    kind: str  # dim (a static size: input axis ``axis`` == value) | lazy (unknown) | rank | not_rank2
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
