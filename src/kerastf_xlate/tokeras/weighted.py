"""Weighted layers: ``tf.matmul`` / ``@`` / ``tf.tensordot`` (Dense), ``tf.nn.conv*d`` /
``tf.nn.convolution`` (Conv*D), depthwise and separable convolutions, embedding lookups, each
with its bias and activation folded in; PReLU and RMSNormalization formulas."""

from __future__ import annotations

import ast

from kerastf_xlate.tokeras.activations import match_activation
from kerastf_xlate.layerkit.recognise import MatchCtx, data_format_ok, init_arg, padding_of, resolved, spatial, tuple_src
from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.syntax import const, is_int, kwarg, only_args, same


def _dense(node: ast.AST, ctx: MatchCtx) -> Match | None:
    x = w = None
    op = "matmul"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        x, w = node.left, node.right
    elif isinstance(node, ast.Call):
        q = ctx.names.call(node)
        if q == "tf.linalg.matmul" and only_args(node, ["a", "b"]) and len(node.args) == 2:
            x, w = node.args
        elif q == "tf.linalg.tensordot" and only_args(node, ["a", "b", "axes"]):
            axes = const(kwarg(node, "axes", 2))
            if axes == 1 or axes == [[-1], [0]] or axes == ([-1], [0]):
                x, w = kwarg(node, "a", 0), kwarg(node, "b", 1)
                op = "tensordot"
    var = ctx.var(w)
    if x is None or var is None or var.shape is None or len(var.shape) != 2:
        return None
    spec = LayerSpec("Dense", {"units": var.shape[1].src, "use_bias": "False"}, {"kernel": var})
    init_arg(spec, "kernel_initializer", var, ctx)
    return Match(spec, node, [x], foldable=True, hints={"op": op})


_CONV = {"tf.nn.conv1d": 1, "tf.nn.conv2d": 2, "tf.nn.conv3d": 3, "tf.nn.convolution": 0}


def _conv(node: ast.AST, ctx: MatchCtx) -> Match | None:
    if not isinstance(node, ast.Call):
        return None
    q = ctx.names.call(node)
    if q in _CONV:
        stride_kw = "stride" if q == "tf.nn.conv1d" else "strides"
        params = ["input", "filters", stride_kw, "padding", "data_format", "dilations", "name"]
        if not only_args(node, params):
            return None
        x, w = kwarg(node, "input", 0), kwarg(node, "filters", 1)
        var = ctx.var(w)
        if x is None or var is None or var.shape is None or len(var.shape) not in (3, 4, 5):
            return None
        rank = len(var.shape) - 2
        if _CONV[q] not in (0, rank):
            return None
        strides = spatial(kwarg(node, stride_kw, 2), rank)
        dil = spatial(kwarg(node, "dilations", 5), rank)
        pad = padding_of(kwarg(node, "padding", 3), "VALID" if q == "tf.nn.convolution" else "")
        if strides is None or dil is None or pad is None or not data_format_ok(kwarg(node, "data_format", 4)):
            return None
        kernel = tuple(d.value for d in var.shape[:rank])
        if not all(is_int(k) for k in kernel):
            return None
        spec = LayerSpec(f"Conv{rank}D", {"filters": var.shape[-1].src, "kernel_size": tuple_src(kernel)}, {"kernel": var})  # type: ignore[arg-type]
        _set_conv_args(spec, strides, pad, dil, rank)
        spec.args["use_bias"] = "False"
        init_arg(spec, "kernel_initializer", var, ctx)
        return Match(spec, node, [x], foldable=True)
    if q == "tf.nn.depthwise_conv2d":
        if not only_args(node, ["input", "filter", "strides", "padding", "data_format", "dilations", "name"]):
            return None
        x, w = kwarg(node, "input", 0), kwarg(node, "filter", 1)
        var = ctx.var(w)
        if x is None or var is None or var.shape is None or len(var.shape) != 4:
            return None
        strides = spatial(kwarg(node, "strides", 2), 2)
        dil = spatial(kwarg(node, "dilations", 5), 2)
        pad = padding_of(kwarg(node, "padding", 3), "")
        kernel = tuple(d.value for d in var.shape[:2])
        if strides is None or dil is None or pad is None or not all(is_int(k) for k in kernel):
            return None
        spec = LayerSpec("DepthwiseConv2D", {"kernel_size": tuple_src(kernel)}, {"kernel": var})  # type: ignore[arg-type]
        _set_conv_args(spec, strides, pad, dil, 2)
        spec.args["depth_multiplier"] = var.shape[3].src
        spec.args["use_bias"] = "False"
        init_arg(spec, "depthwise_initializer", var, ctx)
        return Match(spec, node, [x], foldable=True)
    if q == "tf.nn.separable_conv2d":
        if not only_args(node, ["input", "depthwise_filter", "pointwise_filter", "strides", "padding", "data_format", "dilations", "name"]):
            return None
        x = kwarg(node, "input", 0)
        dw, pw = ctx.var(kwarg(node, "depthwise_filter", 1)), ctx.var(kwarg(node, "pointwise_filter", 2))
        if x is None or dw is None or pw is None or dw.shape is None or pw.shape is None or len(dw.shape) != 4 or len(pw.shape) != 4:
            return None
        strides = spatial(kwarg(node, "strides", 3), 2)
        dil = spatial(kwarg(node, "dilations", 6), 2)
        pad = padding_of(kwarg(node, "padding", 4), "")
        kernel = tuple(d.value for d in dw.shape[:2])
        if strides is None or dil is None or pad is None or not all(is_int(k) for k in kernel):
            return None
        spec = LayerSpec("SeparableConv2D", {"filters": pw.shape[3].src, "kernel_size": tuple_src(kernel)},  # type: ignore[arg-type]
                         {"depthwise_kernel": dw, "pointwise_kernel": pw})
        _set_conv_args(spec, strides, pad, dil, 2)
        spec.args["depth_multiplier"] = dw.shape[3].src
        spec.args["use_bias"] = "False"
        init_arg(spec, "depthwise_initializer", dw, ctx)
        init_arg(spec, "pointwise_initializer", pw, ctx)
        return Match(spec, node, [x], foldable=True)
    return None


def _set_conv_args(spec: LayerSpec, strides: tuple[int, ...], pad: str, dil: tuple[int, ...], rank: int) -> None:
    if any(s != 1 for s in strides):
        spec.args["strides"] = tuple_src(strides)
    if pad != "valid":
        spec.args["padding"] = repr(pad)
    if any(d != 1 for d in dil):
        spec.args["dilation_rate"] = tuple_src(dil)


def _embedding(node: ast.AST, ctx: MatchCtx) -> Match | None:
    if not isinstance(node, ast.Call):
        return None
    q = ctx.names.call(node)
    if q == "tf.nn.embedding_lookup" and only_args(node, ["params", "ids", "max_norm", "name"]) and kwarg(node, "max_norm", 2) is None:
        w, ids = kwarg(node, "params", 0), kwarg(node, "ids", 1)
    elif q == "tf.gather" and only_args(node, ["params", "indices"]):
        w, ids = kwarg(node, "params", 0), kwarg(node, "indices", 1)
    else:
        return None
    var = ctx.var(w)
    if ids is None or var is None or var.shape is None or len(var.shape) != 2:
        return None
    if isinstance(ids, ast.Call) and ctx.names.call(ids) == "tf.cast" and len(ids.args) == 2 and not ids.keywords:
        dt = ids.args[1]
        if ctx.names.qual(dt) in ("tf.int32", "tf.int64") or const(dt) in ("int32", "int64"):
            ids = ids.args[0]
    spec = LayerSpec("Embedding", {"input_dim": var.shape[0].src, "output_dim": var.shape[1].src}, {"embeddings": var})
    init_arg(spec, "embeddings_initializer", var, ctx)
    return Match(spec, node, [ids])


def _core(node: ast.AST, ctx: MatchCtx) -> Match | None:
    from kerastf_xlate.tokeras.weighted_extra import extra_core  # it imports this module

    return _dense(node, ctx) or _conv(node, ctx) or extra_core(node, ctx)


def _with_bias(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``core + b`` / ``tf.nn.bias_add(core, b)`` / ``tf.add(core, b)``, or a bare core."""
    pairs: list[tuple[ast.expr, ast.expr]] = []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pairs = [(node.left, node.right), (node.right, node.left)]
    elif isinstance(node, ast.Call):
        q = ctx.names.call(node)
        if q == "tf.nn.bias_add" and only_args(node, ["value", "bias", "data_format", "name"]) and data_format_ok(kwarg(node, "data_format", 2)):
            v, b = kwarg(node, "value", 0), kwarg(node, "bias", 1)
            if v is not None and b is not None:
                pairs = [(v, b)]
        elif q == "tf.math.add" and len(node.args) == 2 and not node.keywords:
            pairs = [(node.args[0], node.args[1]), (node.args[1], node.args[0])]
    for core_node, b in pairs:
        bias = ctx.var(b)
        if bias is None or bias.shape is None or len(bias.shape) != 1:
            continue
        absorbed: list[ast.stmt] = []
        inner = resolved(core_node, ctx, absorbed)
        m = _core(inner, ctx)
        if m is None or "bias" in m.spec.weights or "use_bias" not in m.spec.args:
            continue  # EinsumDense matches its own bias (any rank, ``bias_axes``)
        units = m.spec.args.get("filters") or m.spec.args.get("units")
        if m.spec.cls == "DepthwiseConv2D":
            units = None  # bias has in_channels * depth_multiplier entries
        if units is not None and bias.shape[0].value is not None and str(bias.shape[0].value) != units and bias.shape[0].src != units:
            continue
        m.spec.weights["bias"] = bias
        del m.spec.args["use_bias"]
        init_arg(m.spec, "bias_initializer", bias, ctx)
        m.node = node
        m.absorbed = absorbed + m.absorbed
        return m
    return None


def _prelu(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``tf.nn.relu(x) - alpha * tf.nn.relu(-x)`` (what to-tf writes for PReLU)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return None
    left, right = node.left, node.right
    if not (isinstance(left, ast.Call) and ctx.names.call(left) == "tf.nn.relu" and len(left.args) == 1):
        return None
    if not (isinstance(right, ast.BinOp) and isinstance(right.op, ast.Mult)):
        return None
    alpha = ctx.var(right.left)
    neg = right.right
    if alpha is None or alpha.shape is None or not (isinstance(neg, ast.Call) and ctx.names.call(neg) == "tf.nn.relu" and len(neg.args) == 1):
        return None
    x = left.args[0]
    inner = neg.args[0]
    if not (isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub) and same(inner.operand, x)):
        return None
    spec = LayerSpec("PReLU", {}, {"alpha": alpha})
    shared = [i + 1 for i, d in enumerate(alpha.shape) if d.value == 1]
    if shared:
        spec.args["shared_axes"] = repr(shared)
    init_arg(spec, "alpha_initializer", alpha, ctx)
    return Match(spec, node, [x])


def _rms_norm(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """``x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=a, keepdims=True) + eps) * scale``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Mult)):
        return None
    scale = ctx.var(node.right)
    x, rs = node.left.left, node.left.right
    if scale is None or not (isinstance(rs, ast.Call) and ctx.names.call(rs) == "tf.math.rsqrt" and len(rs.args) == 1):
        return None
    inner = rs.args[0]
    if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Add) and isinstance(const(inner.right), float)):
        return None
    mean = inner.left
    if not (isinstance(mean, ast.Call) and ctx.names.call(mean) == "tf.math.reduce_mean" and const(kwarg(mean, "keepdims", 2)) is True):
        return None
    sq = kwarg(mean, "input_tensor", 0)
    axis = const(kwarg(mean, "axis", 1))
    if not (isinstance(sq, ast.Call) and ctx.names.call(sq) == "tf.math.square" and len(sq.args) == 1 and same(sq.args[0], x)):
        return None
    if not (is_int(axis) or (isinstance(axis, list) and all(is_int(a) for a in axis))):
        return None
    spec = LayerSpec("RMSNormalization", {"epsilon": repr(const(inner.right))}, {"scale": scale})
    if axis != -1:
        spec.args["axis"] = repr(axis)
    return Match(spec, node, [x])


def weighted(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """A weighted layer application, with its bias and activation folded in."""
    act = match_activation(node, ctx.names, ctx.st)
    if act is not None and act.fold is not None:
        absorbed: list[ast.stmt] = []
        inner = resolved(act.x, ctx, absorbed)
        m = _with_bias(inner, ctx) or _core(inner, ctx)
        if m is not None and m.foldable and not m.activation_set:
            m.spec.args["activation"] = repr(act.fold)
            m.activation_set = True
            m.node = node
            m.absorbed = absorbed + m.absorbed
            return m
    return _with_bias(node, ctx) or _core(node, ctx) or _embedding(node, ctx) or _prelu(node, ctx) or _rms_norm(node, ctx)
