"""Dot -> Keras's ``batch_dot`` spelled with tf.matmul, tf.transpose and reshapes
(``keras/src/layers/merging/dot.py``); normalize=True is ``ops.normalize`` (L2)."""

from __future__ import annotations

import ast
from functools import lru_cache

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported
from kerastf_xlate.layerkit.family import SEQUENCE, LayerFamily, Recogniser
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, MatchCtx
from kerastf_xlate.layerkit.shapes import (
    Shape,
)
from kerastf_xlate.layers.attention import _assign_to, _input
from kerastf_xlate.static import literal_or

_EPSILON = 1e-7  # keras.config.epsilon()


def _normalize(t: str, axis: int) -> str:
    """``x * min(rsqrt(sum(x**2, axis, keepdims)), 1 / epsilon)``, as ``ops.normalize``."""
    return (f"{t} * tf.minimum(tf.math.rsqrt(tf.reduce_sum(tf.square({t}), axis={axis}, keepdims=True)), "
            f"{1.0 / _EPSILON!r})")


def dot(ctx: EmitCtx) -> Emitted:
    if ctx.inputs is not None and len(ctx.inputs) != 2:
        raise Unsupported("Dot takes exactly two inputs")
    if len(ctx.in_shapes) != 2 or ctx.rank(0) is None or ctx.rank(1) is None:
        raise Unsupported("Dot needs inputs of known rank")
    xr, yr = ctx.rank(0), ctx.rank(1)
    assert xr is not None and yr is not None
    axes_v = ctx.value("axes")
    if isinstance(axes_v, int) and not isinstance(axes_v, bool):
        axes = [axes_v % xr, axes_v % yr] if axes_v < 0 else [axes_v, axes_v]
    elif (isinstance(axes_v, (tuple, list)) and len(axes_v) == 2
          and all(isinstance(a, int) and not isinstance(a, bool) for a in axes_v)):
        axes = [a % r if a < 0 else a for a, r in zip(axes_v, (xr, yr))]
    else:
        raise Unsupported(f"axes={axes_v!r}")
    if xr < 2 or yr < 2:
        raise Unsupported("Dot on inputs of rank < 2 (Keras rejects it)")
    if 0 in axes or axes[0] >= xr or axes[1] >= yr:
        raise Unsupported(f"axes={axes_v!r} (Keras rejects it)")
    sx, sy = ctx.in_shapes[0], ctx.in_shapes[1]
    assert sx is not None and sy is not None
    d1, d2 = sx[axes[0]], sy[axes[1]]
    if isinstance(d1, int) and isinstance(d2, int) and d1 != d2:
        raise Unsupported(f"contracted sizes differ ({d1} != {d2})")
    normalize = ctx.value("normalize")
    if not isinstance(normalize, bool):
        raise Unsupported("normalize must be True or False")

    x, y = ctx.tmp("x"), ctx.tmp("y")
    lines = [f"{x} = {ctx.item(0)}", f"{y} = {ctx.item(1)}"]
    if normalize:
        lines += [f"{x} = {_normalize(x, axes[0])}", f"{y} = {_normalize(y, axes[1])}"]
    # batch_dot
    a0, a1 = axes
    x_ndim, y_ndim = xr, yr
    if x_ndim == 2:
        lines.append(f"{x} = tf.expand_dims({x}, 1)")
        a0 += 1
        x_ndim += 1
    if y_ndim == 2:
        lines.append(f"{y} = tf.expand_dims({y}, 2)")
        y_ndim += 1
    if a0 != x_ndim - 1:
        pattern = list(range(x_ndim))
        for i in range(a0, x_ndim - 1):
            pattern[i] = pattern[i + 1]
        pattern[-1] = a0
        lines.append(f"{x} = tf.transpose({x}, {pattern!r})")
    if a1 != 1:
        pattern = list(range(y_ndim))
        for i in range(a1, 1, -1):
            pattern[i] = pattern[i - 1]
        pattern[1] = a1
        lines.append(f"{y} = tf.transpose({y}, {pattern!r})")
    x_squashed = x_ndim > 3
    y_squashed = y_ndim > 3
    xs, ys = ctx.tmp("x_shape"), ctx.tmp("y_shape")
    if x_squashed:
        lines.append(f"{xs} = tf.shape({x})")
        lines.append(f"{x} = tf.reshape({x}, [{xs}[0], -1, {xs}[-1]])")
    if y_squashed:
        lines.append(f"{ys} = tf.shape({y})")
        lines.append(f"{y} = tf.reshape({y}, [{ys}[0], {ys}[1], -1])")
    lines.append(ctx.assign(f"tf.matmul({x}, {y})"))
    if x_squashed or y_squashed:
        os_ = ctx.tmp("out_shape")
        lines.append(f"{os_} = tf.shape({ctx.out})")
        head = f"{xs}[:1], {xs}[1:-1]" if x_squashed else f"{os_}[:1], {os_}[1:-1]"
        tail = f"{ys}[2:]" if y_squashed else f"{os_}[-1:]"
        lines.append(f"{ctx.out} = tf.reshape({ctx.out}, tf.concat([{head}, {tail}], 0))")
    if xr == 2:
        lines.append(f"{ctx.out} = tf.squeeze({ctx.out}, 1)")
    elif yr == 2:
        lines.append(f"{ctx.out} = tf.squeeze({ctx.out}, -1)")
    # static output shape: x without axis a0, y without batch and axis a1 (Keras's rule)
    out = [d for i, d in enumerate(sx) if i != axes[0]] + [d for i, d in enumerate(sy) if i not in (0, axes[1])]
    if len(out) == 1:
        out.append(1)
    return Emitted([], lines, tuple(d if isinstance(d, int) else None for d in out))


# ------------------------------------------------------------------------------ to-keras: recognising the layer


_MAX_RANK = 6  # Dot inputs up to this rank are recognised


_MAX_STATEMENTS = 16  # the longest sequence to-tf writes for one Dot


@lru_cache(maxsize=4096)
def _dump_line(line: str) -> str:
    try:
        body = ast.parse(line).body
    except SyntaxError:
        return ""
    return ast.dump(body[0]) if len(body) == 1 else ""


def _dot_forms(ctx: MatchCtx, prefix: str, a: str, b: str, out: str, got: list[str]) -> list[tuple[int, int, int, int, bool]]:
    """Every (x rank, y rank, x axis, y axis, normalize) for which to-tf writes exactly ``got``."""
    rule = ctx.rules.get("Dot")
    if rule is None:
        return []
    found = []
    for xr in range(2, _MAX_RANK + 1):
        for yr in range(2, _MAX_RANK + 1):
            for a0 in range(1, xr):
                for a1 in range(1, yr):
                    for normalize in (False, True):
                        hctx = EmitCtx(rule, {"axes": (a0, a1), "normalize": normalize}, {}, prefix, [a, b], f"[{a}, {b}]",
                                          [(None,) * xr, (None,) * yr], out)
                        try:
                            lines = dot(hctx).lines
                        except Unsupported:
                            continue
                        if len(lines) == len(got) and all(_dump_line(ln) == g for ln, g in zip(lines, got)):
                            found.append((xr, yr, a0, a1, normalize))
    return found


def _axis(values: set[tuple[int, int]]) -> int | None:
    """One axis for every (rank, axis) that fits: the axis, or -1 when it is always the last."""
    axes = {a for _, a in values}
    if len(axes) == 1:
        return axes.pop()
    if all(a == r - 1 for r, a in values):
        return -1
    return None


def dot_sequence(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """What to-tf writes for ``Dot(axes, normalize)([a, b])``, ending at ``stmts[i]``."""
    out = _assign_to(stmts[i])
    if out is None:
        return None
    for j in range(max(i - _MAX_STATEMENTS + 1, 0), i - 1):  # the longest sequence first
        xn, yn = _assign_to(stmts[j]), _assign_to(stmts[j + 1])
        if xn is None or yn is None or not xn.endswith("_x") or yn != xn[:-2] + "_y":
            continue
        a, b = stmts[j].value, stmts[j + 1].value  # type: ignore[attr-defined]
        reads = {n.id for n in ast.walk(a) if isinstance(n, ast.Name)} | {n.id for n in ast.walk(b) if isinstance(n, ast.Name)}
        if not (_input(a, ctx) and _input(b, ctx)) or xn in reads or yn in reads:
            continue
        forms = _dot_forms(ctx, xn[:-2], ctx.st.seg(a), ctx.st.seg(b), out, [ast.dump(s) for s in stmts[j : i + 1]])
        if not forms or len({f[4] for f in forms}) != 1:
            continue
        a0, a1 = _axis({(f[0], f[2]) for f in forms}), _axis({(f[1], f[3]) for f in forms})
        if a0 is None or a1 is None:
            continue
        args = {"axes": repr(a0) if a0 == a1 else repr((a0, a1))}
        if forms[0][4]:
            args["normalize"] = "True"
        return out, Match(LayerSpec("Dot", args), stmts[i], [a, b], list_input=True, absorbed=stmts[j:i], hints={"prefix": xn[:-2]})
    return None

# ------------------------------------------------------------------------------ the family


def _dot_shape(cls: str, args: dict[str, str], ins: list[Shape | None]) -> Shape | None:
    """x without its axis, then y without batch and its axis (Keras's rule)."""
    if len(ins) < 2 or any(s is None for s in ins):
        return None
    x, y = ins[0], ins[1]
    assert x is not None and y is not None
    axes = literal_or(args.get("axes"))
    axes = [axes, axes] if isinstance(axes, int) else axes
    if not (isinstance(axes, (tuple, list)) and len(axes) == 2 and all(isinstance(a, int) for a in axes)):
        return None
    a0, a1 = (a % len(s) if a < 0 else a for a, s in zip(axes, (x, y)))
    out = tuple(d for i, d in enumerate(x) if i != a0) + tuple(d for i, d in enumerate(y) if i not in (0, a1))
    return out if len(out) > 1 else out + (1,)


DOT = LayerFamily("dot", emit=dot, recognisers=(Recogniser(SEQUENCE, 30, dot_sequence),), output_shape=_dot_shape, multi_input=True)
