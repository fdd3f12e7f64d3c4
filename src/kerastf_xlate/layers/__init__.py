"""Layer handlers, discovered from the modules of this package (not registered by hand).

A handler is a function ``(ctx: EmitCtx) -> Emitted`` registered with ``@handler("name")``;
rule files name it in ``counterpart.handler``. Rules with a ``counterpart.call`` template
need no handler: :func:`template_handler` fills the template.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from typing import Callable

from kerastf_xlate.activations import activation_template
from kerastf_xlate.initializers import init_expr
from kerastf_xlate.layerkit.emit import EmitCtx, Emitted, Unsupported

Handler = Callable[[EmitCtx], Emitted]
HANDLERS: dict[str, Handler] = {}
_loaded = False


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if name in HANDLERS:
            raise RuntimeError(f"handler {name!r} registered twice")

        @functools.wraps(func)
        def checked(ctx: EmitCtx) -> Emitted:
            emitted = func(ctx)
            # an initializer without a TF spelling must surface here, as Unsupported (the
            # layer is then kept as Keras), not later when the variables are written out
            for w in emitted.weights:
                init_expr(w.init, "[1]")
            return emitted

        HANDLERS[name] = checked
        return func

    return register


def load_handlers() -> dict[str, Handler]:
    global _loaded
    if not _loaded:
        for mod in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{mod.name}")
        _loaded = True
    return HANDLERS


_PH = re.compile(r"\{(\w+)\}")


def template_handler(ctx: EmitCtx) -> Emitted:
    """Fill a rule's ``call`` template: {x}, {x0}.., {xs}, {argname}."""
    template = ctx.rule.call or ""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "x":
            return ctx.x
        if key == "xs":
            return ctx.xs
        if re.fullmatch(r"x\d+", key):
            return ctx.item(int(key[1:]))
        return ctx.src[key]

    expr = _PH.sub(sub, template)
    return Emitted(lines=[ctx.assign(expr)], out_shape=_template_shape(ctx))


_SAME_SHAPE = {"Identity", "Softmax", "ELU", "LeakyReLU", "UnitNormalization", "Rescaling",
               "ActivityRegularization", "Lambda"}


def _template_shape(ctx: EmitCtx):  # type: ignore[no-untyped-def]
    """Static output shape of the template layers (None when unknown)."""
    shape = ctx.in_shapes[0] if ctx.in_shapes else None
    layer = ctx.rule.layer
    if shape is None or layer == "Lambda":
        return None
    if layer in _SAME_SHAPE:
        return shape
    if layer == "Flatten":
        total = 1
        for d in shape[1:]:
            if not isinstance(d, int):
                return (shape[0], None)
            total *= d
        return (shape[0], total)
    if layer == "RepeatVector" and ctx.is_literal("n") and len(shape) == 2:
        return (shape[0], ctx.value("n"), shape[1])
    if layer == "Permute" and ctx.is_literal("dims"):
        dims = ctx.value("dims")
        return (shape[0],) + tuple(shape[d] for d in dims)
    return None


def activation_lines(ctx: EmitCtx, arg: str = "activation") -> list[str]:
    """Statements applying the layer's ``activation=`` to ``ctx.out`` (none for linear)."""
    if arg not in ctx.src:
        return []
    value = ctx.values.get(arg)
    src = ctx.src[arg]
    if value is None and src == "None":
        return []
    if isinstance(value, str):
        template = activation_template(value)
        if template is None:
            raise Unsupported(f"activation {value!r}")
    else:
        # a callable: keras.activations.relu / tf.nn.relu map to their TF spelling,
        # anything else is called as it is
        last = src.rsplit(".", 1)[-1]
        template = activation_template(last) if "." in src else None
        if template is None:
            template = f"({src})({{x}})"
    if template == "{x}":
        return []
    return [f"{ctx.out} = {template.replace('{x}', ctx.out)}"]
